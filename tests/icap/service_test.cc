// The ICAP service on a real store, audit log and CDR engine: a download from the internet goes
// through the one intake (rebuilt, or blocked with the Japanese page naming its quarantine id), a
// page the policy lets through passes with 204 from its preview, an upload with a 個人番号 is
// blocked and kept, and a malformed request gets an ICAP 400 and nothing else.
#include "icap/icap.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <thread>
#include <fstream>
#include <memory>
#include <sstream>

#include "audit/log.h"
#include "core/digest.h"
#include "mail/outbound.h"
#include "quarantine/quarantine.h"
#include "store/schema.h"
#include "support/compress.h"
#include "support/zip_of.h"
#include "support/example_policy.h"
#include "support/open_quarantine.h"
#include "support/test_store.h"

namespace sanso::icap {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string chunked(std::string_view body, std::size_t piece = 1000) {
  std::string out;
  for (std::size_t at = 0; at < body.size(); at += piece) out += chunk(body.substr(at, piece));
  return out;
}

// A RESPMOD request as Squid sends it: the client's address, the request and response heads, and
// the body chunked — whole, or as a preview of `preview` bytes and the rest after 100 Continue.
std::string respmod(const std::string& path, const std::string& content_type, std::string_view body, std::string client = "10.30.1.5",
                    std::optional<std::size_t> preview = std::nullopt, const std::string& extra_res = "", const std::string& status_line = "HTTP/1.1 200 OK",
                    bool with_length = true) {
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: files.example.com\r\n\r\n";
  const std::string length = with_length ? "Content-Length: " + std::to_string(body.size()) + "\r\n" : "";
  const std::string res = status_line + "\r\nContent-Type: " + content_type + "\r\n" + length + extra_res + "\r\n";
  std::string icap = "RESPMOD icap://127.0.0.1:1344/respmod ICAP/1.0\r\nHost: 127.0.0.1:1344\r\nX-Client-IP: " + client + "\r\nAllow: 204\r\n";
  if (preview) icap += "Preview: " + std::to_string(*preview) + "\r\n";
  icap += "Encapsulated: req-hdr=0, res-hdr=" + std::to_string(req.size()) + ", res-body=" + std::to_string(req.size() + res.size()) + "\r\n\r\n";
  icap += req + res;
  if (!preview) return icap + chunked(body) + std::string(kLastChunk);
  const std::size_t n = std::min(*preview, body.size());
  icap += chunked(body.substr(0, n));
  if (n == body.size()) return icap + "0; ieof\r\n\r\n";
  return icap + std::string(kLastChunk) + chunked(body.substr(n)) + std::string(kLastChunk);
}

// Hands out its bytes, then reports a failed read (as a socket whose peer went silent and timed
// out): what the service answers by then it answered without waiting for the rest.
class StallingSource final : public ByteSource {
 public:
  explicit StallingSource(std::string bytes) : bytes_(std::move(bytes)) {}
  long read_some(char* out, std::size_t n) override {
    if (at_ == bytes_.size()) return -1;
    const std::size_t take = std::min({n, std::size_t{4096}, bytes_.size() - at_});
    std::memcpy(out, bytes_.data() + at_, take);
    at_ += take;
    return static_cast<long>(take);
  }
  std::size_t consumed() const { return at_; }

 private:
  std::string bytes_;
  std::size_t at_ = 0;
};

// The body of a 200 answer, de-chunked; "" when there is none.
std::string answer_body(const std::string& answer) {
  const std::size_t icap_end = answer.find("\r\n\r\n");
  const std::size_t http_end = answer.find("\r\n\r\n", icap_end + 4);
  if (http_end == std::string::npos) return "";
  std::string out;
  std::size_t at = http_end + 4;
  while (at < answer.size()) {
    const std::size_t eol = answer.find("\r\n", at);
    const std::size_t size = std::stoul(answer.substr(at, eol - at), nullptr, 16);
    if (size == 0) break;
    out += answer.substr(eol + 2, size);
    at = eol + 2 + size + 2;
  }
  return out;
}

class IcapServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    store_dir_ = std::make_unique<sanso::testing::TestStore>(store::Backend::kSqlite);
    auto db = store_dir_->open();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(store::migrate(*db));
    log_ = std::make_unique<audit::AuditLog>(audit::LogOptions{});
    quarantine::QuarantineStore::Options o;
    o.settings.retention.default_days = 30;
    o.blob_dir = (store_dir_->dir() / "blobs").string();
    o.key_file = (store_dir_->dir() / "quarantine.key").string();
    o.audit = log_.get();
    auto q = sanso::testing::OpenQuarantine::open(std::move(db), o);
    ASSERT_TRUE(q) << q.error().to_string();
    store_ = std::move(q).value();
    auto example = sanso::testing::example_policy();
    ASSERT_NE(example.compiled, nullptr);
    policy_ = std::move(example.policy);
    compiled_ = std::move(example.compiled);
    settings_.node = "gw-test";
    settings_.spool_dir = (store_dir_->dir() / "spool").string();
    settings_.istag = istag_of("policy-digest", "engine 1");
    settings_.contact = "情報政策係（内線 2101）";
    settings_.icap.trusted_proxies = {"127.0.0.1"};
    std::vector<std::string> levels;
    for (const auto& l : policy_->scheme.confidentiality.levels) levels.push_back(l.id);
    engines_.sanitize = [](std::string_view bytes, std::string_view name) { return cdr::sanitize(bytes, name, cdr::CdrPolicy{}); };
    engines_.scan_outgoing = [levels](std::string_view bytes, std::string_view name) {
      // The transfer service's wrapping (a message with the file attached, as `sanso icap` scans
      // it), scanned in-process.
      return mail::scan_outbound(mail::message_carrying(bytes, name), levels);
    };
    // As `sanso icap` decodes: in a sandboxed child (one per job here).
    decoder_ = std::make_shared<sandbox::ForkPerJob>(decoding_task(static_cast<std::uint64_t>(settings_.icap.max_body_mb) << 20));
    engines_.decode = [d = decoder_](std::string_view body, const std::vector<ContentCoding>& applied, std::size_t prefix) {
      return d->run(decoding_request(applied, body, prefix));
    };
    service_ = std::make_unique<Service>(*compiled_, &*store_, log_.get(), &store_.shared(), settings_, engines_);
  }

  // Everything the service answers on one connection that carries `bytes`.
  std::string serve(const std::string& bytes, const std::string& peer = "127.0.0.1") {
    StringSource source(bytes, 4096);
    std::string out;
    service_->serve(source, [&](std::string_view b) { out += b; return true; }, peer);
    return out;
  }

  std::int64_t count(const std::string& sql) {
    auto row = store_.database().query_one(sql);
    return row && row->has_value() ? (*row)->integer(0) : -1;
  }

  // The quarantine id an answer names (its X-Sanso-Quarantine-Id, which its block page names too);
  // "" when it names none.
  static std::string named_id(const std::string& answer) {
    const std::string field = "X-Sanso-Quarantine-Id: ";
    const std::size_t at = answer.find(field);
    if (at == std::string::npos) return "";
    const std::string id = answer.substr(at + field.size(), answer.find("\r\n", at) - at - field.size());
    // A rebuilt file goes with its verdict; a block page names the id in its text too.
    if (answer.find("X-Sanso-Verdict: ") == std::string::npos) EXPECT_NE(answer_body(answer).find(id), std::string::npos) << "the block page names the quarantine id";
    return id;
  }

  // The original kept under the id the answer names, byte for byte; "" when none is kept.
  std::string kept_original(const std::string& answer) {
    const std::string id = named_id(answer);
    if (id.empty()) return "";
    auto original = store_->read_for_service(id);
    EXPECT_TRUE(original) << original.error().to_string();
    return original ? *original : "";
  }

  // The audit record (JSON) of `action` that names the quarantine id the answer names; "" when none.
  std::string record_of(const std::string& answer, const std::string& action) {
    const std::string id = named_id(answer);
    if (id.empty()) return "";
    auto row = store_.database().query_one("SELECT record FROM audit_entries WHERE action = '" + action + "' AND record LIKE '%\"quarantine_id\":\"" + id + "\"%'");
    return row && row->has_value() ? (*row)->text(0) : "";
  }

  std::unique_ptr<sanso::testing::TestStore> store_dir_;
  std::unique_ptr<audit::AuditLog> log_;
  sanso::testing::OpenQuarantine store_;
  std::unique_ptr<policy::Policy> policy_;
  std::unique_ptr<policy::CompiledPolicy> compiled_;
  Settings settings_;
  std::shared_ptr<sandbox::Executor> decoder_;
  Engines engines_;
  std::unique_ptr<Service> service_;
};

TEST_F(IcapServiceTest, OptionsOfferPreviewAnd204WithATagThatFollowsThePolicyAndEngine) {
  const std::string answer = serve("OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\nHost: 127.0.0.1\r\nEncapsulated: null-body=0\r\n\r\n");
  EXPECT_EQ(answer.rfind("ICAP/1.0 200 OK\r\n", 0), 0u) << answer;
  for (const char* field : {"Methods: RESPMOD\r\n", "Allow: 204\r\n", "Preview: 4096\r\n", "Transfer-Preview: *\r\n", "Max-Connections: 64\r\n",
                            "Options-TTL: 300\r\n", "Service: "}) {
    EXPECT_NE(answer.find(field), std::string::npos) << field << "\n" << answer;
  }
  EXPECT_NE(answer.find("ISTag: \"" + settings_.istag + "\""), std::string::npos);
  EXPECT_NE(istag_of("policy-digest", "engine 1"), istag_of("policy-digest-2", "engine 1"));
  EXPECT_NE(istag_of("policy-digest", "engine 1"), istag_of("policy-digest", "engine 2"));
  EXPECT_LE(istag_of("p", "e").size(), 32u);
  const std::string reqmod = serve("OPTIONS icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_NE(reqmod.find("Methods: REQMOD\r\n"), std::string::npos) << reqmod;
  EXPECT_EQ(serve("OPTIONS icap://127.0.0.1/other ICAP/1.0\r\nHost: 127.0.0.1\r\n\r\n").rfind("ICAP/1.0 404", 0), 0u);
}

TEST_F(IcapServiceTest, AMacroDocumentArrivesRebuiltAndItsOriginalIsKeptAndRecorded) {
  const std::string docm = read_all(fs::path(SANSO_SOURCE_DIR) / "examples/minamata/files/見積書.docm");
  ASSERT_FALSE(docm.empty());
  const std::string answer = serve(respmod("/dl/mitsumori.docm", "application/vnd.ms-word.document.macroEnabled.12", docm, "10.30.1.5", 512));
  // A preview first, then the rest after 100 Continue, then the rebuilt document.
  ASSERT_EQ(answer.rfind("ICAP/1.0 100 Continue\r\n\r\nICAP/1.0 200 OK\r\n", 0), 0u) << answer.substr(0, 300);
  const std::string rebuilt = answer_body(answer.substr(answer.find("ICAP/1.0 200")));
  EXPECT_EQ(rebuilt.substr(0, 2), "PK");
  EXPECT_NE(rebuilt, docm);
  EXPECT_EQ(rebuilt.find("vbaProject"), std::string::npos) << "the macro is gone";
  EXPECT_NE(answer.find("Content-Length: " + std::to_string(rebuilt.size()) + "\r\n"), std::string::npos) << "the length is the rebuilt file's";
  EXPECT_NE(answer.find("filename*=UTF-8''mitsumori.docx"), std::string::npos) << "a .docm becomes a .docx";
  EXPECT_NE(answer.find("wordprocessingml.document\r\n"), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'file.sanitize'"), 1);
}

TEST_F(IcapServiceTest, AnExecutableGetsTheJapaneseBlockPageNamingItsQuarantineId) {
  std::string exe = "MZ";
  exe += std::string(200, '\0');
  exe += "This program cannot be run in DOS mode.";
  const std::string answer = serve(respmod("/setup.exe", "application/octet-stream", exe));
  ASSERT_EQ(answer.rfind("ICAP/1.0 200 OK\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("HTTP/1.1 403 Forbidden\r\n"), std::string::npos);
  const std::string page = answer_body(answer);
  EXPECT_NE(page.find("このファイルは安全に受け取れないため、止めました"), std::string::npos) << page;
  EXPECT_NE(page.find("情報政策係（内線 2101）"), std::string::npos);
  EXPECT_NE(page.find("setup.exe"), std::string::npos);
  auto id = store_.database().query_one("SELECT id FROM quarantine_items");
  ASSERT_TRUE(id && id->has_value());
  EXPECT_NE(page.find((*id)->text(0)), std::string::npos) << "the page names the quarantine id";
  // A marker of the file's own (its quarantine id, random letters, may hold "MZ").
  EXPECT_EQ(page.find("This program cannot be run"), std::string::npos) << "nothing of the file";
}

TEST_F(IcapServiceTest, AHostileNameOrReasonIsEscapedOnTheBlockPage) {
  const std::string page = block_page("<script>alert(1)</script>.exe", "理由", "<img src=x onerror=alert(1)>", "q\"1", "<b>x</b>");
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("<b>x"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;"), std::string::npos);
}

TEST_F(IcapServiceTest, APageThePolicyLetsThroughPassesWith204FromItsPreviewAndAPageThatIsReallyAFileDoesNot) {
  const std::string html = "<!DOCTYPE html><html><body>" + std::string(10000, 'a') + "</body></html>";
  const std::string answer = serve(respmod("/index.html", "text/html; charset=utf-8", html, "10.30.1.5", 1024));
  EXPECT_EQ(answer.rfind("ICAP/1.0 204 No Content\r\n", 0), 0u) << answer.substr(0, 200);
  EXPECT_EQ(answer.find("100 Continue"), std::string::npos) << "decided on the preview alone";
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 0);
  // The same label on an executable's bytes: a file, judged by the engine and blocked.
  std::string exe = "MZ" + std::string(3000, '\x01');
  const std::string disguised = serve(respmod("/index.html", "text/html", exe, "10.30.1.5", 1024));
  EXPECT_NE(disguised.find("HTTP/1.1 403 Forbidden"), std::string::npos) << disguised.substr(0, 300);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 1);
}

TEST_F(IcapServiceTest, TheClientsZoneComesFromTheProxyOnlyWhenTheProxyIsTrusted) {
  const std::string html = "<html>hi</html>";
  // LGWAN terminals do not browse the internet (the example's profile.lgwan... rules): blocked.
  const std::string lgwan = serve(respmod("/", "text/html", html, "10.20.1.5", 1024));
  EXPECT_NE(lgwan.find("HTTP/1.1 403"), std::string::npos) << lgwan.substr(0, 300);
  // The same claim from an untrusted peer is ignored: its own address is in no zone → blocked too,
  // and an internet-zone peer that claims an LGWAN client is judged as itself.
  const std::string untrusted = serve(respmod("/", "text/html", html, "10.30.1.5", 1024), "198.51.100.7");
  EXPECT_NE(untrusted.find("HTTP/1.1 403"), std::string::npos) << untrusted.substr(0, 300);
  const std::string self = serve(respmod("/", "text/html", html, "10.20.1.5", 1024), "10.30.9.9");
  EXPECT_EQ(self.rfind("ICAP/1.0 204", 0), 0u) << self.substr(0, 300);
  EXPECT_GE(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'icap.page' AND record LIKE '%\"blocked\"%'"), 1);
}

TEST_F(IcapServiceTest, ABodyOverTheLimitGetsTheBlockPageAndNothingOfItPasses) {
  settings_.icap.max_body_mb = 1;
  service_ = std::make_unique<Service>(*compiled_, &*store_, log_.get(), &store_.shared(), settings_, engines_);
  const std::string big(1500000, 'x');
  const std::string answer = serve(respmod("/big.txt", "text/plain", big, "10.30.1.5", 4096));
  EXPECT_NE(answer.find("HTTP/1.1 403"), std::string::npos) << answer.substr(0, 300);
  EXPECT_EQ(answer.find("xxxxxxxx"), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'icap.download' AND record LIKE '%\"blocked\"%'"), 1);
}

// Compressed bytes that cannot be decoded as the browser would decode them are refused, not guessed
// at: a stream that is not what it says, a coding not decoded here.
TEST_F(IcapServiceTest, ACompressedDownloadThatCannotBeDecodedIsBlockedNotGuessedAt) {
  const std::string gz = serve(respmod("/a.pdf", "application/pdf", "%PDF-1.4 not really", "10.30.1.5", std::nullopt, "Content-Encoding: gzip\r\n"));
  EXPECT_NE(gz.find("HTTP/1.1 403"), std::string::npos) << gz.substr(0, 300);
  EXPECT_NE(answer_body(gz).find("圧縮を解けないファイルは受け取れません"), std::string::npos);
  // Refused, and kept as it came: the bytes, their name, the client, the reason.
  EXPECT_EQ(kept_original(gz), "%PDF-1.4 not really");
  const std::string record = record_of(gz, "icap.download");
  for (const char* field : {"\"outcome\":\"blocked\"", "\"subject\":\"a.pdf\"", "\"client\":\"10.30.1.5\"", "Content-Encoding on a download",
                            "\"content_encoding\":\"gzip\"", "\"input_sha256\":\""}) {
    EXPECT_NE(record.find(field), std::string::npos) << field << "\n" << record;
  }
  auto item = store_->get(named_id(gz));
  ASSERT_TRUE(item) << item.error().to_string();
  EXPECT_EQ(item->origin.file_name, "a.pdf");
  EXPECT_NE(item->reason.find("Content-Encoding on a download"), std::string::npos) << item->reason;
  // The browser applies every Content-Encoding field: a first "identity" hides nothing.
  const std::string twice = serve(respmod("/a.txt", "text/plain", "hello", "10.30.1.5", std::nullopt, "Content-Encoding: identity\r\nContent-Encoding: gzip\r\n"));
  EXPECT_NE(twice.find("HTTP/1.1 403"), std::string::npos) << twice.substr(0, 300);
  const std::string listed = serve(respmod("/a.txt", "text/plain", "hello", "10.30.1.5", std::nullopt, "Content-Encoding: identity, br\r\n"));
  EXPECT_NE(listed.find("HTTP/1.1 403"), std::string::npos) << listed.substr(0, 300);
  const std::string lzw = serve(respmod("/a.txt", "text/plain", "hello", "10.30.1.5", std::nullopt, "Content-Encoding: compress\r\n"));
  EXPECT_NE(lzw.find("HTTP/1.1 403"), std::string::npos) << lzw.substr(0, 300);
  // A second gzip member after the first: one reader's file is not another's.
  const std::string members = sanso::testing::gzipped("hello\n") + sanso::testing::gzipped(std::string("MZ") + std::string(64, '\0'));
  const std::string two = serve(respmod("/a.txt", "text/plain", members, "10.30.1.5", std::nullopt, "Content-Encoding: gzip\r\n"));
  EXPECT_NE(two.find("HTTP/1.1 403"), std::string::npos) << two.substr(0, 300);
  EXPECT_EQ(kept_original(two), members) << "the compressed bytes as they came";
  EXPECT_EQ(kept_original(lzw), "hello");
  EXPECT_NE(record_of(lzw, "icap.download").find("\"content_encoding\":\"compress\""), std::string::npos) << record_of(lzw, "icap.download");
  EXPECT_EQ(serve(respmod("/a.txt", "text/plain", "hello", "10.30.1.5", std::nullopt, "Content-Encoding: identity\r\n")).rfind("ICAP/1.0 204", 0), 0u);
  // Every refused one is kept (this was 1 before issue #20's "lose nothing": only the "identity"
  // one, judged as a file like any other, was kept).
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 6);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'icap.download'"), 5);
}

TEST_F(IcapServiceTest, APartialDownloadIsBlockedNotGuessedAt) {
  const std::string part = serve(respmod("/a.pdf", "application/pdf", "%PDF-1.4 part", "10.30.1.5", std::nullopt, "Content-Range: bytes 0-12/100\r\n",
                                         "HTTP/1.1 206 Partial Content"));
  EXPECT_NE(part.find("HTTP/1.1 403"), std::string::npos) << part.substr(0, 300);
  EXPECT_NE(answer_body(part).find("ファイルの一部だけは受け取れません"), std::string::npos);
  EXPECT_EQ(kept_original(part), "%PDF-1.4 part") << "the part is kept as it came";
  const std::string record = record_of(part, "icap.download");
  EXPECT_NE(record.find("a partial response (206 or Content-Range) of a file"), std::string::npos) << record;
  EXPECT_EQ(record.find("content_encoding"), std::string::npos) << "no coding was said";
}

// A download the server compressed (the browser asked for gzip, br or zstd) is judged as the file
// the browser saves: decoded in the sandbox, rebuilt or blocked like any other, its decoded bytes
// kept as the original — and the browser gets the decoded (rebuilt) file without Content-Encoding,
// even when the engine found it clean, so no other decoder's reading of the compressed bytes counts.
TEST_F(IcapServiceTest, ACompressedDownloadIsJudgedAsTheFileTheBrowserSaves) {
  const std::string docm = read_all(fs::path(SANSO_SOURCE_DIR) / "examples/minamata/files/見積書.docm");
  ASSERT_FALSE(docm.empty());
  const std::string answer = serve(respmod("/dl/mitsumori.docm", "application/vnd.ms-word.document.macroEnabled.12", sanso::testing::brotli_compressed(docm),
                                           "10.30.1.5", 512, "Content-Encoding: br\r\nVary: Accept-Encoding\r\n"));
  ASSERT_NE(answer.find("ICAP/1.0 200 OK\r\n"), std::string::npos) << answer.substr(0, 300);
  const std::string rebuilt = answer_body(answer.substr(answer.find("ICAP/1.0 200")));
  EXPECT_EQ(rebuilt.substr(0, 2), "PK");
  EXPECT_EQ(rebuilt.find("vbaProject"), std::string::npos) << "the macro is gone";
  EXPECT_EQ(answer.find("Content-Encoding"), std::string::npos) << "the rebuilt file goes out as it is";
  auto kept = store_.database().query_one("SELECT id FROM quarantine_items");
  ASSERT_TRUE(kept && kept->has_value());
  auto item = store_->get((*kept)->text(0));
  ASSERT_TRUE(item) << item.error().to_string();
  auto original = store_->read_for_service(item->id);
  ASSERT_TRUE(original) << original.error().to_string();
  EXPECT_EQ(*original, docm) << "the original kept is the file the browser would have saved, not its compressed bytes";
  // Its record says it was decoded, and from what: the codings and the received bytes' digest,
  // beside the decoded file's.
  const std::string record = record_of(answer.substr(answer.find("ICAP/1.0 200")), "file.sanitize");
  for (const std::string& field : {std::string("\"content_codings\":\"br\""),
                                   "\"received_sha256\":\"" + sha256_hex(sanso::testing::brotli_compressed(docm)) + "\"",
                                   "\"input_sha256\":\"" + sha256_hex(docm) + "\""}) {
    EXPECT_NE(record.find(field), std::string::npos) << field << "\n" << record;
  }

  std::string exe = "MZ";
  exe += std::string(200, '\0');
  exe += "This program cannot be run in DOS mode.";
  const std::string blocked = serve(respmod("/setup.txt", "text/plain", sanso::testing::gzipped(exe), "10.30.1.5", std::nullopt, "Content-Encoding: gzip\r\n"));
  EXPECT_NE(blocked.find("HTTP/1.1 403 Forbidden\r\n"), std::string::npos) << blocked.substr(0, 300);
  EXPECT_NE(answer_body(blocked).find("このファイルは安全に受け取れないため、止めました"), std::string::npos);

  const std::string text = "お知らせ\n施設の利用時間が変わります。\n";
  const std::string clean = serve(respmod("/notice.txt", "text/plain; charset=utf-8", sanso::testing::zstd_compressed(text), "10.30.1.5", std::nullopt,
                                          "Content-Encoding: zstd\r\n"));
  ASSERT_EQ(clean.rfind("ICAP/1.0 200 OK\r\n", 0), 0u) << "decoded bytes go out, not a 204 for the compressed ones: " << clean.substr(0, 300);
  EXPECT_EQ(answer_body(clean), text);
  EXPECT_EQ(clean.find("Content-Encoding"), std::string::npos);
  EXPECT_NE(clean.find("Content-Length: " + std::to_string(text.size()) + "\r\n"), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 3);

  // Two codings, as the server applied them: both named, in that order.
  const std::string layered = sanso::testing::brotli_compressed(sanso::testing::gzipped(text));
  const std::string both = serve(respmod("/notice2.txt", "text/plain; charset=utf-8", layered, "10.30.1.5", std::nullopt, "Content-Encoding: gzip, br\r\n"));
  ASSERT_EQ(both.rfind("ICAP/1.0 200 OK\r\n", 0), 0u) << both.substr(0, 300);
  EXPECT_EQ(answer_body(both), text);
  const std::string both_record = record_of(both, "file.sanitize");
  EXPECT_NE(both_record.find("\"content_codings\":\"gzip, br\""), std::string::npos) << both_record;
  EXPECT_NE(both_record.find("\"received_sha256\":\"" + sha256_hex(layered) + "\""), std::string::npos) << both_record;
  EXPECT_NE(both_record.find("\"input_sha256\":\"" + sha256_hex(text) + "\""), std::string::npos) << both_record;
}

// A compressed "page" is judged by what it decodes to: a document served gzip-compressed as
// text/html (a same-origin <a download> saves it) is a file, rebuilt; a real compressed page passes
// from its preview; "identity" beside a coding (Chrome then hands on the raw bytes), or a second
// Content-Type the browser may obey instead, make no page.
TEST_F(IcapServiceTest, ACompressedPageIsJudgedByWhatItDecodesTo) {
  const std::string docm = read_all(fs::path(SANSO_SOURCE_DIR) / "examples/minamata/files/見積書.docm");
  const std::string disguised = serve(respmod("/index.html", "text/html", sanso::testing::gzipped(docm), "10.30.1.5", 512, "Content-Encoding: gzip\r\n"));
  // Judged as the file it decodes to: a document named .html is refused (its name and content
  // disagree), its original kept — never passed on unread.
  ASSERT_NE(disguised.find("ICAP/1.0 200 OK\r\n"), std::string::npos) << disguised.substr(0, 300);
  EXPECT_NE(disguised.find("HTTP/1.1 403"), std::string::npos) << disguised.substr(0, 400);
  EXPECT_EQ(disguised.find("vbaProject"), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 1);

  std::string page = "<!DOCTYPE html><html><body>";
  std::uint32_t lcg = 12345;  // text that compresses only so far: a preview holds part of it
  for (int i = 0; i < 400; ++i) {
    lcg = lcg * 1103515245u + 12345u;
    page += "<p>お知らせ " + std::to_string(lcg) + "</p>";
  }
  page += "</body></html>";
  const std::string compressed_page = sanso::testing::brotli_compressed(page);
  ASSERT_GT(compressed_page.size(), 1024u);
  const std::string real = serve(respmod("/news.html", "text/html", compressed_page, "10.30.1.5", 1024, "Content-Encoding: br\r\n"));
  EXPECT_EQ(real.rfind("ICAP/1.0 204", 0), 0u) << "a compressed page passes from its preview: " << real.substr(0, 300);
  // A preview too short to decode to a kilobyte: the body is read whole, then it passes.
  const std::string short_preview = serve(respmod("/news2.html", "text/html", compressed_page, "10.30.1.5", 64, "Content-Encoding: br\r\n"));
  EXPECT_EQ(short_preview.rfind("ICAP/1.0 100 Continue\r\n\r\nICAP/1.0 204", 0), 0u) << short_preview.substr(0, 300);

  std::string exe = "MZ";
  exe += std::string(200, '\0');
  exe += "This program cannot be run in DOS mode.";
  const std::string raw = serve(respmod("/x.html", "text/html", exe, "10.30.1.5", std::nullopt, "Content-Encoding: identity, gzip\r\n"));
  EXPECT_NE(raw.find("HTTP/1.1 403"), std::string::npos) << raw.substr(0, 300);
  const std::string two_types = serve(respmod("/y.html", "text/html", sanso::testing::gzipped(exe), "10.30.1.5", std::nullopt,
                                              "Content-Type: application/octet-stream\r\nContent-Encoding: gzip\r\n"));
  EXPECT_NE(two_types.find("HTTP/1.1 403"), std::string::npos) << two_types.substr(0, 300);
  EXPECT_NE(answer_body(two_types).find("このファイルは安全に受け取れないため、止めました"), std::string::npos) << "judged (decoded) as the file it is";
}

// A compressed body is decoded whole once: a "page" that turns out to be a file is not decoded again
// for the engine, and its prefix is not decoded from the whole body before the whole of it.
TEST_F(IcapServiceTest, ACompressedBodyIsDecodedWholeOnce) {
  struct Call {
    std::size_t body_bytes;
    std::size_t prefix;
  };
  auto calls = std::make_shared<std::vector<Call>>();
  engines_.decode = [d = decoder_, calls](std::string_view body, const std::vector<ContentCoding>& applied, std::size_t prefix) {
    calls->push_back({body.size(), prefix});
    return d->run(decoding_request(applied, body, prefix));
  };
  service_ = std::make_unique<Service>(*compiled_, &*store_, log_.get(), &store_.shared(), settings_, engines_);
  // A program that compresses about 2:1 into one zstd block: zstd hands out whole blocks only, so a
  // preview of part of it decodes to nothing.
  std::string exe = "MZ";
  std::uint32_t lcg = 3;
  for (int i = 0; i < 40000; ++i) {
    lcg = lcg * 1103515245u + 12345u;
    exe += static_cast<char>('a' + (lcg >> 16) % 16);
  }
  const std::string zst = sanso::testing::zstd_compressed(exe);
  ASSERT_GT(zst.size(), 4096u);
  // A preview that decodes to less than a kilobyte: its prefix, then the whole body once.
  const std::string previewed = serve(respmod("/index.html", "text/html", zst, "10.30.1.5", 2048, "Content-Encoding: zstd\r\n"));
  EXPECT_NE(previewed.find("HTTP/1.1 403"), std::string::npos) << previewed.substr(0, 400);
  ASSERT_EQ(calls->size(), 2u);
  EXPECT_EQ((*calls)[0].body_bytes, 2048u);
  EXPECT_EQ((*calls)[0].prefix, 1024u);
  EXPECT_EQ((*calls)[1].body_bytes, zst.size());
  EXPECT_EQ((*calls)[1].prefix, 0u) << "decoded whole, and not again for the engine";
  // No preview: the whole body, once, for the page check and the engine both.
  calls->clear();
  const std::string whole = serve(respmod("/index.html", "text/html", sanso::testing::gzipped(exe), "10.30.1.5", std::nullopt, "Content-Encoding: gzip\r\n"));
  EXPECT_NE(whole.find("HTTP/1.1 403"), std::string::npos) << whole.substr(0, 400);
  ASSERT_EQ(calls->size(), 1u);
  EXPECT_EQ((*calls)[0].prefix, 0u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 2) << "both judged as the program they are, and kept";
}

// A file that is itself compressed (a .csv.gz sent with Content-Encoding: gzip) is saved compressed
// by browsers: judged as the archive it is, handed on without the field. A decoder that fails
// itself is Sanso's failure (503), not the file's.
TEST_F(IcapServiceTest, ASelfCompressedFileIsJudgedAsItIsAndADecoderFailureIsOurs) {
  const std::string csv = "番号,氏名\n1,山田\n";
  const std::string gz = sanso::testing::gzipped(csv);
  const std::string answer = serve(respmod("/data/list.csv.gz", "application/gzip", gz, "10.30.1.5", std::nullopt, "Content-Encoding: gzip\r\n"));
  ASSERT_EQ(answer.rfind("ICAP/1.0 200 OK\r\n", 0), 0u) << answer.substr(0, 400);
  EXPECT_EQ(answer.find("Content-Encoding"), std::string::npos) << answer.substr(0, 400);
  EXPECT_EQ(answer.find("HTTP/1.1 403"), std::string::npos) << answer.substr(0, 400);
  // Not decoded: its record names no coding, and its input is the bytes as they came.
  const std::string record = record_of(answer, "file.sanitize");
  EXPECT_NE(record.find("\"input_sha256\":\"" + sha256_hex(gz) + "\""), std::string::npos) << record;
  EXPECT_EQ(record.find("content_codings"), std::string::npos) << record;

  engines_.decode = [](std::string_view, const std::vector<ContentCoding>&, std::size_t) -> Result<std::string> {
    return make_error("sandbox.crash", "decoder", "killed by signal 31");
  };
  service_ = std::make_unique<Service>(*compiled_, &*store_, log_.get(), &store_.shared(), settings_, engines_);
  const std::string failed = serve(respmod("/a.txt", "text/plain", sanso::testing::gzipped("hello"), "10.30.1.5", std::nullopt, "Content-Encoding: gzip\r\n"));
  EXPECT_NE(failed.find("HTTP/1.1 503"), std::string::npos) << failed.substr(0, 300);
  EXPECT_NE(answer_body(failed).find("一時的な障害"), std::string::npos);
  EXPECT_EQ(kept_original(failed), sanso::testing::gzipped("hello")) << "our failure loses nothing either";
  EXPECT_NE(record_of(failed, "icap.download").find("the decoder failed: "), std::string::npos);
}

// A small compressed body that expands past [icap] max_body_mb is refused as a body over the limit,
// and the decoder stops at the limit (the bomb never lands in memory whole).
TEST_F(IcapServiceTest, ACompressionBombIsRefusedAtTheLimit) {
  settings_.icap.max_body_mb = 2;
  const std::size_t limit = static_cast<std::size_t>(settings_.icap.max_body_mb) << 20;
  decoder_ = std::make_shared<sandbox::ForkPerJob>(decoding_task(limit));
  engines_.decode = [d = decoder_](std::string_view body, const std::vector<ContentCoding>& applied, std::size_t prefix) {
      return d->run(decoding_request(applied, body, prefix));
    };
  service_ = std::make_unique<Service>(*compiled_, &*store_, log_.get(), &store_.shared(), settings_, engines_);
  const std::string bomb = sanso::testing::gzipped(std::string(limit + (std::size_t{1} << 20), 'A'));
  ASSERT_LT(bomb.size(), limit / 100);
  const std::string answer = serve(respmod("/big.csv", "text/csv", bomb, "10.30.1.5", std::nullopt, "Content-Encoding: gzip\r\n"));
  EXPECT_NE(answer.find("HTTP/1.1 403"), std::string::npos) << answer.substr(0, 300);
  EXPECT_NE(answer_body(answer).find("展開すると大きすぎるため受け取れません"), std::string::npos);
  // Kept compressed, as it came (this was 0 before issue #20: only a digest was recorded).
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 1);
  EXPECT_EQ(kept_original(answer), bomb);
  EXPECT_NE(record_of(answer, "icap.download").find("max_body_mb"), std::string::npos) << record_of(answer, "icap.download");
}

TEST_F(IcapServiceTest, APartOfAFileNeverPassesAsAPage) {
  // A download manager asks for a program in ranges, each labelled text/html by a hostile server;
  // no range begins like a program, but together they are one.
  const std::string range = "Z" + std::string(2000, '\x01');
  for (const std::optional<std::size_t> preview : {std::optional<std::size_t>(1024), std::optional<std::size_t>()}) {
    const std::string partial = serve(respmod("/setup.exe", "text/html", range, "10.30.1.5", preview, "Content-Range: bytes 1-2001/90000\r\n", "HTTP/1.1 206 Partial Content"));
    EXPECT_NE(partial.find("HTTP/1.1 403"), std::string::npos) << partial.substr(0, 300);
    EXPECT_EQ(partial.find("ICAP/1.0 204"), std::string::npos);
    // Content-Range on a 200 is no less a part.
    const std::string ranged = serve(respmod("/setup.exe", "text/html", range, "10.30.1.5", preview, "Content-Range: bytes 1-2001/90000\r\n"));
    EXPECT_NE(ranged.find("HTTP/1.1 403"), std::string::npos) << ranged.substr(0, 300);
  }
  EXPECT_GE(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'icap.download' AND record LIKE '%partial%'"), 4);
}

TEST_F(IcapServiceTest, WithoutAPreviewAPageIsStillJudgedByItsFirstBytes) {
  // The proxy sends no preview (preview_bytes = 0, or a proxy that does not do previews): the label
  // text/html must not let an executable pass unread with 204.
  std::string exe = "MZ" + std::string(3000, '\x01');
  const std::string disguised = serve(respmod("/index.html", "text/html", exe));
  EXPECT_EQ(disguised.find("ICAP/1.0 204"), std::string::npos) << disguised.substr(0, 300);
  EXPECT_NE(disguised.find("HTTP/1.1 403 Forbidden"), std::string::npos) << disguised.substr(0, 300);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 1);
  // A preview too short to show the first bytes (the proxy's own preview size: 0, or 2) is no
  // better: the body is read.
  const std::string pdf = "\r\n%PDF-1.4\n" + std::string(2000, 'x');  // readers find the header within the first kilobyte
  for (const auto& [tiny, body] : {std::pair<std::size_t, std::string>{0, exe}, std::pair<std::size_t, std::string>{2, pdf}}) {
    const std::string short_preview = serve(respmod("/index.html", "text/html", body, "10.30.1.5", tiny));
    EXPECT_EQ(short_preview.find("ICAP/1.0 204"), std::string::npos) << tiny << "\n" << short_preview.substr(0, 300);
    EXPECT_NE(short_preview.find("100 Continue"), std::string::npos) << tiny;
  }
  // A real page still passes unchanged, read whole first; the connection stays open for the next.
  const std::string html = "<!DOCTYPE html><html><body>" + std::string(5000, 'a') + "</body></html>";
  const std::string two = serve(respmod("/index.html", "text/html; charset=utf-8", html) + respmod("/b.html", "text/html", html));
  EXPECT_EQ(two.rfind("ICAP/1.0 204 No Content\r\n", 0), 0u) << two.substr(0, 300);
  EXPECT_NE(two.find("ICAP/1.0 204", 10), std::string::npos) << "the second request on the same connection";
  EXPECT_EQ(two.find("Connection: close"), std::string::npos);
}

TEST_F(IcapServiceTest, ABodyOverTheLimitIsAnsweredAtOnceNotAfterAllOfItArrives) {
  settings_.icap.max_body_mb = 1;
  service_ = std::make_unique<Service>(*compiled_, &*store_, log_.get(), &store_.shared(), settings_, engines_);
  const std::string big(3 << 20, 'x');
  // Content-Length says 3 MB: the block page goes before any of the body is read. The source
  // gives no more than the heads and a first chunk, then goes silent, as a proxy that waits for an
  // answer before it sends the rest.
  {
    std::string request = respmod("/big.bin", "application/octet-stream", big);
    request.resize(request.find("xxxx") + 100);
    StallingSource source(request);
    std::string answer;
    service_->serve(source, [&](std::string_view b) { answer += b; return true; }, "127.0.0.1");
    EXPECT_EQ(answer.rfind("ICAP/1.0 200 OK\r\n", 0), 0u) << answer.substr(0, 300);
    EXPECT_NE(answer.find("HTTP/1.1 403"), std::string::npos) << answer.substr(0, 300);
    EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos) << "the rest of the body is still coming: the connection ends";
    EXPECT_EQ(answer.find("xxxxxxxx"), std::string::npos);
  }
  // No Content-Length (a chunked download): reading stops where the chunks pass the limit, the
  // block page goes at once, and nothing after that point is waited for.
  {
    const std::string request = respmod("/big.bin", "application/octet-stream", big, "10.30.1.5", std::nullopt, "", "HTTP/1.1 200 OK", false);
    StallingSource source(request.substr(0, request.size() / 2));
    std::string answer;
    service_->serve(source, [&](std::string_view b) { answer += b; return true; }, "127.0.0.1");
    EXPECT_NE(answer.find("HTTP/1.1 403"), std::string::npos) << answer.substr(0, 300);
    EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos);
    EXPECT_LT(source.consumed(), (1u << 20) + 70000u) << "reading stopped near the limit";
  }
  // With a preview and a declared length over the limit: the preview is read, the answer goes
  // without 100 Continue, and the connection can carry the next request.
  {
    const std::string options = "OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    std::string request = respmod("/big.bin", "application/octet-stream", big, "10.30.1.5", 4096);
    request.resize(request.find("\r\n0\r\n\r\n") + 7);  // through the preview's zero chunk
    const std::string answer = serve(request + options);
    EXPECT_NE(answer.find("HTTP/1.1 403"), std::string::npos) << answer.substr(0, 300);
    EXPECT_EQ(answer.find("100 Continue"), std::string::npos);
    EXPECT_EQ(answer.find("Connection: close"), std::string::npos);
    EXPECT_NE(answer.find("Methods: RESPMOD"), std::string::npos) << "the next request on the same connection";
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'icap.download' AND record LIKE '%max_body_mb%'"), 3);
}

TEST_F(IcapServiceTest, PersistentConnectionsCarrySeveralRequestsAndAMalformedOneEndsTheConnectionWith400) {
  const std::string options = "OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  const std::string two = serve(options + options);
  EXPECT_NE(two.find("ICAP/1.0 200 OK"), two.rfind("ICAP/1.0 200 OK")) << "two answers on one connection";
  const std::string bad = serve(options + "RESPMOD icap://127.0.0.1/respmod ICAP/1.0\r\nHost: h\r\n\r\n" + options);
  const std::size_t refused = bad.find("ICAP/1.0 400 Bad Request\r\n");
  ASSERT_NE(refused, std::string::npos) << bad;
  EXPECT_NE(bad.find("Connection: close"), std::string::npos);
  EXPECT_EQ(bad.find("ICAP/1.0 200", refused), std::string::npos) << "nothing after the refusal";
  // A chunk size that lies: 400, and no byte of the body reaches the intake.
  std::string lying = respmod("/a.txt", "text/plain", "hello");
  lying.replace(lying.rfind("5\r\nhello"), 1, "9");
  EXPECT_EQ(serve(lying).rfind("ICAP/1.0 400", 0), 0u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 0);
  // RESPMOD sent to the reqmod service.
  std::string wrong = respmod("/a.txt", "text/plain", "hello");
  wrong.replace(wrong.find("/respmod"), 8, "/reqmod");
  EXPECT_EQ(serve(wrong).rfind("ICAP/1.0 405", 0), 0u);
}

TEST_F(IcapServiceTest, AnUploadWithAnIndividualNumberIsBlockedAndKeptAndACleanOnePasses) {
  auto reqmod = [](const std::string& body) {
    const std::string req = "POST /form HTTP/1.1\r\nHost: forms.example.com\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    return "REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: 127.0.0.1\r\nX-Client-IP: 10.30.1.5\r\nAllow: 204\r\nEncapsulated: req-hdr=0, req-body=" +
           std::to_string(req.size()) + "\r\n\r\n" + req + chunked(body) + std::string(kLastChunk);
  };
  const std::string clean = serve(reqmod("お問い合わせ: 来週の説明会について"));
  EXPECT_EQ(clean.rfind("ICAP/1.0 204", 0), 0u) << clean;
  // 123456789018 is a valid 個人番号 (its check digit holds).
  const std::string leak = serve(reqmod("氏名 山田太郎 個人番号 1234-5678-9018"));
  EXPECT_NE(leak.find("HTTP/1.1 403"), std::string::npos) << leak.substr(0, 400);
  EXPECT_NE(answer_body(leak).find("個人番号"), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'icap.upload' AND record LIKE '%\"blocked\"%'"), 1);
}

// An upload is read as outgoing mail is: a 個人番号 inside a zip is found, and a file whose text
// cannot be read (a picture) does not leave — a proxy cannot hold it for approval.
TEST_F(IcapServiceTest, AZippedNumberAndAnUnreadableUploadAreBlocked) {
  auto reqmod = [](const std::string& body) {
    const std::string req = "POST /upload HTTP/1.1\r\nHost: forms.example.com\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n";
    return "REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: 127.0.0.1\r\nX-Client-IP: 10.30.1.5\r\nAllow: 204\r\nEncapsulated: req-hdr=0, req-body=" +
           std::to_string(req.size()) + "\r\n\r\n" + req + chunked(body) + std::string(kLastChunk);
  };
  const std::string zipped = serve(reqmod(sanso::testing::zip_of({{"list.csv", "山田,123456789018\r\n"}})));
  EXPECT_NE(zipped.find("HTTP/1.1 403"), std::string::npos) << zipped.substr(0, 400);
  EXPECT_NE(answer_body(zipped).find("個人番号"), std::string::npos);
  const std::string picture = serve(reqmod(std::string("\x89PNG\r\n\x1A\n") + std::string(64, '\0')));
  EXPECT_NE(picture.find("HTTP/1.1 403"), std::string::npos) << picture.substr(0, 400);
  EXPECT_NE(answer_body(picture).find("本文を確認できない"), std::string::npos) << answer_body(picture);
  const std::string clean = serve(reqmod(sanso::testing::zip_of({{"note.txt", "説明会のご案内"}})));
  EXPECT_EQ(clean.rfind("ICAP/1.0 204", 0), 0u) << clean.substr(0, 400);
}


// A service on a real socket (run_server) in a thread of its own, stopped at the end of the scope.
class RunningServer {
 public:
  RunningServer(Service& service, const std::string& listen) {
    auto address = bound_.get_future();
    thread_ = std::thread([this, &service, listen] {
      result_ = run_server(service, listen, stop_, [this](const std::string& a) { bound_.set_value(a); });
      if (!result_) bound_.set_value("");
    });
    if (address.wait_for(std::chrono::seconds(10)) == std::future_status::ready) port_ = address.get();
    port_ = port_.substr(port_.rfind(':') + 1);
  }
  ~RunningServer() {
    stop_ = true;
    thread_.join();
  }
  int port() const { return port_.empty() ? 0 : std::stoi(port_); }

 private:
  std::atomic<bool> stop_{false};
  std::promise<std::string> bound_;
  std::thread thread_;
  Result<void> result_ = ok();
  std::string port_;
};

int connect_to(const std::string& host, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Everything the server sends until it closes the connection (or `wait` passes).
std::string read_until_closed(int fd, std::chrono::milliseconds wait) {
  std::string got;
  const auto until = std::chrono::steady_clock::now() + wait;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

// A client that sends its request a byte at a time, each byte well within idle_seconds, is cut
// when the request has taken request_seconds — with a line in the log saying why — while a
// request sent at once on another connection is answered.
TEST_F(IcapServiceTest, ASlowLorisClientIsCutAfterRequestSecondsWithALogLine) {
  Settings s = settings_;
  s.icap.idle_seconds = 3;
  s.icap.request_seconds = 2;
  Service service(*compiled_, &*store_, log_.get(), &store_.shared(), s, engines_);
  RunningServer server(service, "127.0.0.1:0");
  ASSERT_NE(server.port(), 0);
  const std::string options = "OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\nHost: 127.0.0.1\r\nEncapsulated: null-body=0\r\n\r\n";
  ::testing::internal::CaptureStderr();
  const int slow = connect_to("127.0.0.1", server.port());
  ASSERT_GE(slow, 0);
  const auto started = std::chrono::steady_clock::now();
  std::size_t sent = 0;
  bool cut = false;
  // 400 ms between bytes: never idle for idle_seconds, and the whole head would take 30 s.
  for (; sent < options.size(); ++sent) {
    if (::send(slow, options.data() + sent, 1, MSG_NOSIGNAL) != 1) break;
    pollfd p{slow, POLLIN, 0};
    if (::poll(&p, 1, 400) > 0) {
      cut = read_until_closed(slow, std::chrono::milliseconds(3000)).empty();
      break;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ::close(slow);
  // Another connection, sending at once, is served as always.
  const int quick = connect_to("127.0.0.1", server.port());
  ASSERT_GE(quick, 0);
  ASSERT_EQ(::send(quick, options.data(), options.size(), MSG_NOSIGNAL), static_cast<ssize_t>(options.size()));
  ::shutdown(quick, SHUT_WR);
  const std::string answer = read_until_closed(quick, std::chrono::milliseconds(5000));
  ::close(quick);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(cut) << "the slow connection was closed without an answer";
  EXPECT_LT(sent, options.size()) << "cut before its head was complete";
  EXPECT_GE(seconds, 1.5);
  EXPECT_LT(seconds, 4.5);
  EXPECT_NE(log.find("request_seconds (2 s)"), std::string::npos) << log;
  EXPECT_NE(log.find("slow loris"), std::string::npos) << log;
  EXPECT_EQ(answer.rfind("ICAP/1.0 200 OK\r\n", 0), 0u) << answer;
}

// This host's first IPv4 address that is not loopback (the test connects to it, so that the
// server sees a peer beyond loopback); empty when the host has none.
std::string non_loopback_ipv4() {
  ifaddrs* all = nullptr;
  if (::getifaddrs(&all) != 0) return "";
  std::string found;
  for (ifaddrs* i = all; i != nullptr && found.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
    if (std::string_view(text).rfind("127.", 0) != 0) found = text;
  }
  ::freeifaddrs(all);
  return found;
}

TEST_F(IcapServiceTest, BeyondLoopbackOnlyThePeersInFromAreServed) {
  // Listening beyond loopback without a list: refused, before a socket is opened.
  config::IcapSettings none;
  auto refused = allowed_peers(none, "0.0.0.0:1344");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "icap.from");
  EXPECT_NE(refused.error().message.find("[icap] from"), std::string::npos);
  EXPECT_TRUE(allowed_peers(none, "127.0.0.1:1344"));
  EXPECT_TRUE(allowed_peers(none, "[::1]:1344"));
  Settings unlisted_settings = settings_;
  unlisted_settings.icap.trusted_proxies.clear();
  Service nowhere(*compiled_, &*store_, log_.get(), &store_.shared(), unlisted_settings, engines_);
  std::atomic<bool> stop{true};
  EXPECT_FALSE(run_server(nowhere, "0.0.0.0:0", stop));

  config::IcapSettings listed;
  listed.from = {"198.51.100.0/24"};
  listed.trusted_proxies = {"203.0.113.9"};
  auto allowed = allowed_peers(listed, "0.0.0.0:1344");
  ASSERT_TRUE(allowed) << allowed.error().to_string();
  EXPECT_TRUE(peer_allowed(*allowed, "198.51.100.7"));
  EXPECT_TRUE(peer_allowed(*allowed, "::ffff:198.51.100.7"));
  EXPECT_TRUE(peer_allowed(*allowed, "203.0.113.9"));
  EXPECT_TRUE(peer_allowed(*allowed, "127.0.0.1"));
  EXPECT_TRUE(peer_allowed(*allowed, "::1"));
  EXPECT_FALSE(peer_allowed(*allowed, "198.51.101.7"));
  EXPECT_FALSE(peer_allowed(*allowed, "203.0.113.10"));
  EXPECT_FALSE(peer_allowed(*allowed, ""));
  EXPECT_FALSE(peer_allowed(*allowed, "not an address"));

  // On a real socket: a peer beyond loopback, not listed, is closed unserved and logged; listed, served.
  const std::string own = non_loopback_ipv4();
  if (own.empty()) GTEST_SKIP() << "this host has no IPv4 address beyond loopback to connect from";
  const std::string options = "OPTIONS icap://127.0.0.1/respmod ICAP/1.0\r\nHost: 127.0.0.1\r\nEncapsulated: null-body=0\r\n\r\n";
  auto ask = [&](const std::vector<std::string>& from) {
    Settings s = settings_;
    s.icap.trusted_proxies.clear();
    s.icap.from = from;
    Service service(*compiled_, &*store_, log_.get(), &store_.shared(), s, engines_);
    RunningServer server(service, "0.0.0.0:0");
    if (server.port() == 0) return std::string("(not listening)");
    const int fd = connect_to(own, server.port());
    if (fd < 0) return std::string("(no connection)");
    ::send(fd, options.data(), options.size(), MSG_NOSIGNAL);
    const std::string answer = read_until_closed(fd, std::chrono::milliseconds(3000));
    ::close(fd);
    return answer;
  };
  ::testing::internal::CaptureStderr();
  const std::string unlisted = ask({"198.51.100.0/24"});
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(unlisted, "") << "closed without an answer";
  EXPECT_NE(log.find("icap: connection from " + own + " refused: not loopback and not in [icap] from"), std::string::npos) << log;
  const std::string listed_answer = ask({own});
  EXPECT_EQ(listed_answer.rfind("ICAP/1.0 200 OK\r\n", 0), 0u) << listed_answer;
}

}  // namespace
}  // namespace sanso::icap
