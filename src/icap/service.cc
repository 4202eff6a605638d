#include "icap/icap.h"

#include <chrono>
#include <cstdio>
#include <optional>

#include "audit/log.h"
#include "config/config.h"
#include "core/digest.h"
#include "core/log.h"
#include "icap/content_coding.h"
#include "icap/spool.h"
#include "mail/identifiers.h"
#include "metrics/metrics.h"
#include "mime/header.h"
#include "quarantine/quarantine.h"
#include "store/shared_database.h"

namespace sanso::icap {
namespace {

using Out = std::function<bool(std::string_view)>;

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "text/html; charset=utf-8" → "text/html".
std::string media_type(const HttpHead& head) {
  const std::string* v = head.headers.find("Content-Type");
  if (v == nullptr) return "";
  return lowered(trimmed(std::string_view(*v).substr(0, v->find(';'))));
}

// How much of a body tells a page from a file (looks_like_a_file).
constexpr std::uint64_t kFirstBytes = 1024;

// The service's numbers for /metrics: requests per method and outcome, how long each took, and
// the store writes that failed. Methods and outcomes are this file's own words, never the peer's.
struct IcapMetrics {
  metrics::Registry& registry = metrics::Registry::global();
  metrics::Counter& store_errors = registry.counter("sanso_store_errors_total", "Store operations that failed", {{"service", "icap"}});
  metrics::Counter& requests(std::string_view method, std::string_view outcome) {
    return registry.counter("sanso_icap_requests_total", "ICAP requests answered, by method and outcome (downloads are respmod, uploads reqmod)",
                            {{"method", std::string(method)}, {"outcome", std::string(outcome)}});
  }
  metrics::Histogram& seconds(std::string_view method) {
    return registry.histogram("sanso_icap_request_duration_seconds", "Time from an ICAP request's head to its answer", {{"method", std::string(method)}});
  }
};
IcapMetrics& icap_metrics() {
  static IcapMetrics* m = new IcapMetrics();  // never destroyed: connection threads may outlive main
  return *m;
}

std::string_view method_label(Method m) { return m == Method::kOptions ? "options" : m == Method::kRespmod ? "respmod" : "reqmod"; }

// Bytes a document or program begins with, whatever the server calls it: a "text/html" that is
// a ZIP (an Office file), OLE2, PDF, RTF or an executable is a download, not a page.
bool looks_like_a_file(std::string_view first) {
  static constexpr std::string_view kMagic[] = {
      std::string_view("PK\x03\x04", 4), std::string_view("\xD0\xCF\x11\xE0", 4), "{\\rtf", "MZ", std::string_view("\x7F" "ELF", 4), "Rar!",
      std::string_view("7z\xBC\xAF", 4), std::string_view("\x1F\x8B", 2), std::string_view("\x89PNG", 4), std::string_view("\xFF\xD8\xFF", 3),
      "GIF8"};
  for (std::string_view m : kMagic) {
    if (first.substr(0, m.size()) == m) return true;
  }
  // PDF readers look for the header within the first kilobyte.
  return first.substr(0, kFirstBytes).find("%PDF") != std::string_view::npos;
}

// Whether any Content-Encoding field names a coding other than identity: the bytes are then not the
// file the browser gets. Every field counts — a first "identity" does not hide a second "gzip",
// since the browser applies them all.
bool content_encoded(const HttpHead& head) {
  for (const auto& f : head.headers.fields) {
    if (lowered(f.name) != "content-encoding") continue;
    std::string_view v = f.value;
    while (!v.empty()) {
      const std::size_t comma = v.find(',');
      const std::string coding = lowered(trimmed(v.substr(0, comma)));
      if (!coding.empty() && coding != "identity") return true;
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  return false;
}

// Whether the file itself is what `coding` makes (a .gz, .tgz, .svgz, .br, .zst, or a type that
// says so): browsers save such a download as it came, the coding not removed.
bool is_compressed_file(std::string_view type, std::string_view name, ContentCoding coding) {
  const std::string n = lowered(name);
  auto ends = [&](std::string_view suffix) { return n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0; };
  switch (coding) {
    case ContentCoding::kGzip:
      return type == "application/gzip" || type == "application/x-gzip" || type == "application/x-gzip-compressed" || type == "application/x-tgz" ||
             ends(".gz") || ends(".tgz") || ends(".svgz");
    case ContentCoding::kBrotli:
      return type == "application/x-brotli" || ends(".br");
    case ContentCoding::kZstd:
      return type == "application/zstd" || ends(".zst");
    case ContentCoding::kDeflate:
      return false;
  }
  return false;
}

// The largest Content-Length the head declares, when one is a plain decimal number. Used only to
// refuse early a body that says it is over the limit; the chunks read still count for the rest.
std::optional<std::uint64_t> declared_length(const HttpHead& head) {
  std::optional<std::uint64_t> most;
  for (const auto& f : head.headers.fields) {
    if (lowered(f.name) != "content-length") continue;
    const std::string_view v = trimmed(f.value);
    if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string_view::npos) continue;
    std::uint64_t n = 0;
    for (char c : v) n = n * 10 + static_cast<std::uint64_t>(c - '0');
    most = std::max(most.value_or(0), n);
  }
  return most;
}

std::string percent_decoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; };
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The name the download goes by: Content-Disposition's filename, else the last segment of the URL's
// path. Control bytes and path separators are dropped; the CDR engine checks it against the bytes.
std::string file_name_of(const std::optional<HttpHead>& request, const std::optional<HttpHead>& response, std::string_view fallback) {
  std::string name;
  if (response) {
    if (const std::string* cd = response->headers.find("Content-Disposition")) {
      std::string_view v = *cd;
      const std::size_t star = lowered(v).find("filename*=utf-8''");
      const std::size_t plain = lowered(v).find("filename=");
      if (star != std::string_view::npos) {
        std::string_view rest = v.substr(star + 17);
        name = percent_decoded(rest.substr(0, rest.find(';')));
      } else if (plain != std::string_view::npos) {
        std::string_view rest = trimmed(v.substr(plain + 9));
        if (!rest.empty() && rest.front() == '"') {
          rest.remove_prefix(1);
          rest = rest.substr(0, rest.find('"'));
        } else {
          rest = rest.substr(0, rest.find(';'));
        }
        name = std::string(rest);
      }
    }
  }
  if (name.empty() && request) {
    std::string_view target = request->target;
    target = target.substr(0, target.find_first_of("?#"));
    name = percent_decoded(target.substr(target.find_last_of('/') == std::string_view::npos ? 0 : target.find_last_of('/') + 1));
  }
  std::string clean;
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '/' || c == '\\') continue;
    clean += c;
  }
  if (clean.size() > 200) clean.resize(200);
  return clean.empty() || clean == "." || clean == ".." ? std::string(fallback) : clean;
}

std::string html_escaped(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string content_type_for(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  const std::string ext = dot == std::string_view::npos ? "" : lowered(name.substr(dot + 1));
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
      {"pdf", "application/pdf"}, {"png", "image/png"}, {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"gif", "image/gif"},
      {"txt", "text/plain; charset=utf-8"}, {"csv", "text/csv; charset=utf-8"}, {"zip", "application/zip"}, {"rtf", "application/rtf"},
      {"odt", "application/vnd.oasis.opendocument.text"}, {"ods", "application/vnd.oasis.opendocument.spreadsheet"}};
  for (const auto& [e, t] : kTypes) {
    if (e == ext) return std::string(t);
  }
  return "application/octet-stream";
}


// Why a file was blocked, in words for the person who asked for it.
std::pair<std::string, std::string> reason_words(const cdr::CdrResult& r) {
  const cdr::FindingKind kind = r.reason.rfind("policy", 0) == 0 ? cdr::FindingKind::kPolicy : cdr::finding_kind_of(r.reason);
  std::string ja(cdr::label(kind, "ja"));
  std::string en(cdr::label(kind, "en"));
  if (!r.message.empty()) en += " — " + r.message;
  return {ja, en};
}

}  // namespace

sandbox::Task decoding_task(std::uint64_t max_bytes) {
  sandbox::Task t;
  const std::size_t most = static_cast<std::size_t>(max_bytes);
  t.work = [most](std::string_view request) { return decode_request(request, most); };
  // Address space for the request (the compressed body, at most the limit), the two buffers the
  // layers write (each reserved at the limit), the decoders' windows (8 MiB for zstd, less for the
  // others), and room to spare.
  t.limits.memory_bytes = std::max<std::size_t>(std::size_t{1} << 30, 5 * most + (std::size_t{256} << 20));
  t.limits.output_bytes = most + 1;
  t.limits.timeout = std::chrono::seconds(30);
  // A decoded file leaves nothing a later job could read; the pool still renews its workers.
  t.jobs_per_worker = 1000;
  return t;
}

std::string istag_of(std::string_view policy_sha256, std::string_view engine_version) {
  return "sanso-" + sha256_hex(std::string(policy_sha256) + "\n" + std::string(engine_version)).substr(0, 24);
}

std::string block_page(std::string_view file_name, std::string_view reason_ja, std::string_view reason_en, std::string_view quarantine_id,
                       std::string_view contact, bool upload) {
  std::string p = "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>";
  p += upload ? "送信を止めました / Upload blocked" : "ダウンロードを止めました / Download blocked";
  p += "</title><style>body{font-family:sans-serif;max-width:42em;margin:2em auto;line-height:1.6}dt{font-weight:bold}</style></head><body>\n";
  p += upload ? "<h1>この内容はインターネットへ送信できないため、止めました</h1>\n<p lang=\"en\">Sanso blocked this upload: it may not leave the city.</p>\n<dl>\n"
              : "<h1>このファイルは安全に受け取れないため、止めました</h1>\n<p lang=\"en\">Sanso blocked this download: it could not be made safe.</p>\n<dl>\n";
  p += "<dt>ファイル / File</dt><dd>" + html_escaped(file_name) + "</dd>\n";
  p += "<dt>理由 / Reason</dt><dd>" + html_escaped(reason_ja) + "<br><span lang=\"en\">" + html_escaped(reason_en) + "</span></dd>\n";
  if (!quarantine_id.empty()) {
    p += "<dt>隔離番号 / Quarantine id</dt><dd><code>" + html_escaped(quarantine_id) + "</code>（原本は隔離して保管しています / the original is kept）</dd>\n";
  }
  p += "</dl>\n<p>業務で必要な場合は、隔離番号を添えて次へお問い合わせください。<br><span lang=\"en\">If you need it for your work, contact, with the quarantine id:</span> ";
  p += html_escaped(contact.empty() ? "情報セキュリティ担当 / the information security office" : contact);
  p += "</p>\n</body></html>\n";
  return p;
}

struct Service::Exchange {
  Service& service;
  Reader& reader;
  const Request& request;
  const Out& out;
  std::string client;  // the address the policy sees
  std::string zone;    // its zone; empty: none
  std::string actor;
  std::optional<Spool> spool{};
  BodyStatus body{};
  // kAll: the body was read to its last chunk. A body over the limit stays short of kAll: its
  // reading stopped at the limit (read_chunked).
  enum class Stage { kNotRead, kPreviewRead, kAll } stage = Stage::kNotRead;
  bool continued = false;    // 100 Continue was sent: the answer is no longer one to a preview
  // What the answer did, for /metrics: "unchanged", "decoded", "blocked", "sanitized", "options" or "error".
  std::string_view outcome = "error";
  bool disk_failed = false;  // the spool could not take the body: it is blocked, as over the limit

  bool send(std::string_view bytes) { return out(bytes); }

  // Whether the proxy is still sending this request's body when we answer now: then the answer
  // says Connection: close and the connection ends after it (the bytes still coming cannot be told
  // from a next request). After a preview without 100 Continue the proxy sends nothing more.
  bool body_pending() const {
    if (!request.has_body || stage == Stage::kAll) return false;
    return !(stage == Stage::kPreviewRead && !continued);
  }

  std::string head(int status, std::string_view encapsulated) const {
    std::string h = "ICAP/1.0 " + std::to_string(status) + " " + std::string(reason_phrase(status)) + "\r\n";
    h += "ISTag: \"" + service.settings_.istag + "\"\r\nServer: sanso-icap\r\n";
    if (body_pending()) h += "Connection: close\r\n";
    h += "Encapsulated: " + std::string(encapsulated) + "\r\n\r\n";
    return h;
  }

  Result<void> read_chunks(std::uint64_t limit) {
    if (!spool) spool = SANSO_TRY(Spool::open(service.settings_.spool_dir));
    body = SANSO_TRY(read_chunked(reader, limit, body.bytes, [&](std::string_view piece) {
      if (auto r = spool->append(piece); !r) disk_failed = true;
    }));
    return ok();
  }

  // The preview, when the proxy sends one: the first bytes, then a zero chunk (with ieof when
  // that was all of it).
  Result<void> read_preview(std::uint64_t limit) {
    if (!request.has_body || !request.preview || stage != Stage::kNotRead) return ok();
    SANSO_TRY(read_chunks(limit));
    if (!body.over) stage = body.ieof ? Stage::kAll : Stage::kPreviewRead;
    return ok();
  }

  // The whole body, or up to the limit; what the preview did not carry is asked for with 100
  // Continue.
  Result<void> read_all(std::uint64_t limit) {
    if (!request.has_body) return ok();
    SANSO_TRY(read_preview(limit));
    if (body.over || stage == Stage::kAll) return ok();
    if (stage == Stage::kPreviewRead) {
      if (!send("ICAP/1.0 100 Continue\r\n\r\n")) return make_error("icap.closed", "connection", "the proxy went away");
      continued = true;
    }
    SANSO_TRY(read_chunks(limit));
    if (!body.over) stage = Stage::kAll;
    return ok();
  }

  // Before a final answer that needs no body: a preview is read, since the proxy is sending it
  // anyway and sends nothing more once answered; a body sent without a preview is not waited for —
  // the answer goes at once and the connection closes after it (body_pending).
  Result<void> finish_reading(std::uint64_t limit) {
    if (!request.has_body || stage != Stage::kNotRead || !request.preview) return ok();
    return read_preview(limit);
  }

  // The body as far as it was read (a preview's bytes, or all of it).
  Result<std::string_view> bytes() {
    if (!spool) return std::string_view();
    return spool->view();
  }

  // 204 is allowed in answer to a preview (RFC 3507 §4.6) or when the proxy said Allow: 204;
  // otherwise the message goes back as it came.
  Result<void> unchanged(std::uint64_t limit) {
    outcome = "unchanged";
    if (request.allow_204 || (request.preview && request.has_body && !continued)) {
      if (!send(head(204, "null-body=0"))) return make_error("icap.closed", "connection", "the proxy went away");
      return ok();
    }
    SANSO_TRY(read_all(limit));
    if (body.over || disk_failed) return make_error("icap.too-large", "body", "a body to be echoed unchanged is over the limit");
    if (!echo()) return make_error("icap.closed", "connection", "the proxy went away");
    return ok();
  }

  // The message as it came, for a proxy that does not take 204.
  bool echo() {
    const bool response = request.method == Method::kRespmod;
    const HttpHead* h = response ? &*request.http_response : &*request.http_request;
    std::string req = !response || !request.http_request ? "" : request.http_request->serialize();
    std::string hdr = h->serialize();
    std::string enc;
    if (!req.empty()) enc = "req-hdr=0, ";
    const std::size_t body_at = req.size() + hdr.size();
    enc += std::string(response ? "res-hdr=" : "req-hdr=") + std::to_string(req.size()) + ", " +
           (request.has_body ? std::string(response ? "res-body=" : "req-body=") : std::string("null-body=")) + std::to_string(body_at);
    std::string msg = head(200, enc) + req + hdr;
    if (!send(msg)) return false;
    if (request.has_body) {
      auto b = bytes();
      if (!b) return false;
      for (std::size_t at = 0; at < b->size(); at += 65536) {
        if (!send(chunk(b->substr(at, 65536)))) return false;
      }
      return send(kLastChunk);
    }
    return true;
  }

  // An HTTP response in place of what was asked for (a block page, or a rebuilt document).
  bool respond(const HttpHead& http, std::string_view body_bytes) {
    const std::string hdr = http.serialize();
    std::string msg = head(200, "res-hdr=0, res-body=" + std::to_string(hdr.size())) + hdr;
    if (!send(msg)) return false;
    for (std::size_t at = 0; at < body_bytes.size(); at += 65536) {
      if (!send(chunk(body_bytes.substr(at, 65536)))) return false;
    }
    return send(kLastChunk);
  }

  bool block(int http_status, std::string_view name, std::string_view reason_ja, std::string_view reason_en, std::string_view quarantine_id) {
    outcome = "blocked";
    const std::string page = block_page(name, reason_ja, reason_en, quarantine_id, service.settings_.contact, request.method == Method::kReqmod);
    HttpHead h;
    h.start_line = "HTTP/1.1 " + std::to_string(http_status) + (http_status == 403 ? " Forbidden" : " Service Unavailable");
    h.headers.fields = {{"Content-Type", "text/html; charset=utf-8"},
                        {"Content-Length", std::to_string(page.size())},
                        {"Cache-Control", "no-store"},
                        {"X-Content-Type-Options", "nosniff"},
                        {"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"}};
    if (!quarantine_id.empty()) h.headers.fields.push_back({"X-Sanso-Quarantine-Id", std::string(quarantine_id)});
    return respond(h, page);
  }

  // A decision taken without the intake (no file to keep, or none kept): recorded all the same.
  void record(std::string_view action, std::string_view subject, std::string_view outcome, std::string_view reason,
              const std::optional<policy::Decision>& ruling, std::string_view input_sha256 = "") {
    if (service.log_ == nullptr || service.db_ == nullptr) return;
    store::AuditEvent e;
    e.actor = actor;
    e.action = std::string(action);
    e.subject = std::string(subject);
    e.outcome = std::string(outcome);
    if (ruling) {
      e.rule_id = std::string(ruling->rule_id());
      e.clause = std::string(ruling->clause());
    }
    e.input_sha256 = std::string(input_sha256);
    e.details = {{"client", client}, {"zone", zone}, {"reason", std::string(reason)}, {"bytes", std::to_string(body.bytes)}};
    if (auto r = service.db_->commit([&](store::Database& db) { return service.log_->append(db, e); }); !r) {
      icap_metrics().store_errors.inc();
      log::error("icap: the audit record of " + std::string(action) + " " + std::string(subject) + " was not written: " + r.error().to_string());
    }
  }
};

Service::Service(const policy::CompiledPolicy& policy, quarantine::QuarantineStore* store, audit::AuditLog* log, store::SharedDatabase* db,
                 Settings settings, Engines engines)
    : policy_(policy),
      store_(store),
      log_(log),
      db_(db),
      settings_(std::move(settings)),
      engines_(std::move(engines)),
      intake_(&policy, store, log) {}

void Service::serve(ByteSource& in, const Out& out, const std::string& peer) {
  Reader reader(in);
  Limits limits;
  limits.max_head_bytes = static_cast<std::size_t>(settings_.icap.max_header_kb) * 1024;
  // A request that took longer than request_seconds to arrive: cut, and said so (the reads
  // failed as a closed connection would, which is otherwise not worth a line).
  auto cut_if_out_of_time = [&] {
    if (!in.out_of_time()) return false;
    log::warn("icap: " + peer + ": connection cut: a request was still arriving after [icap] request_seconds (" +
              std::to_string(settings_.icap.request_seconds) + " s) — a client sending too slowly (slow loris) would hold a thread");
    return true;
  };
  while (!reader.at_end()) {
    in.request_began();
    auto request = read_request(reader, limits);
    Result<void> answered = ok();
    if (!request) {
      answered = request.error();
    } else {
      Exchange x{*this, reader, *request, out, peer, "", "icap@" + settings_.node};
      const auto started = std::chrono::steady_clock::now();
      answered = answer(x);
      IcapMetrics& m = icap_metrics();
      m.requests(method_label(request->method), answered ? x.outcome : "error").inc();
      m.seconds(method_label(request->method)).observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      // Answered before the whole body came (over the limit, or blocked on its head alone):
      // the rest of it is still on its way and the connection ends here.
      if (cut_if_out_of_time()) return;
      if (answered && x.body_pending()) return;
    }
    if (answered) {
      in.request_done();  // waiting for the next request is idleness, not this request's time
      continue;
    }
    if (cut_if_out_of_time()) return;
    const Error& e = answered.error();
    if (e.code == "icap.closed") return;
    const int status = status_of(e);
    log::error("icap: " + peer + ": " + e.to_string());
    // After a refused request the rest of the stream cannot be trusted to start a new one.
    const std::string reply = "ICAP/1.0 " + std::to_string(status) + " " + std::string(reason_phrase(status)) + "\r\nISTag: \"" + settings_.istag +
                              "\"\r\nConnection: close\r\nX-Sanso-Error: " + e.code + "\r\nEncapsulated: null-body=0\r\n\r\n";
    out(reply);
    return;
  }
}

Result<void> Service::answer(Exchange& x) {
  const Request& request = x.request;
  const Out& out = x.out;
  const std::string peer = x.client;  // the connection's own address, before any X-Client-IP
  const bool respmod_service = request.service == "respmod";
  const bool reqmod_service = request.service == "reqmod";
  if (!respmod_service && !reqmod_service) {
    return make_error("icap.service", request.uri, "no such service (icap://host/respmod and icap://host/reqmod are served)");
  }

  if (request.method == Method::kOptions) {
    std::string h = "ICAP/1.0 200 OK\r\n";
    h += "Methods: " + std::string(respmod_service ? "RESPMOD" : "REQMOD") + "\r\n";
    h += "Service: Sanso ICAP (CDR)\r\nISTag: \"" + settings_.istag + "\"\r\n";
    h += "Max-Connections: " + std::to_string(settings_.icap.max_connections) + "\r\n";
    h += "Options-TTL: " + std::to_string(settings_.icap.options_ttl_seconds) + "\r\n";
    h += "Allow: 204\r\n";
    if (settings_.icap.preview_bytes > 0) {
      // Every file is previewed: the first bytes tell a page from a document, whatever its name.
      h += "Preview: " + std::to_string(settings_.icap.preview_bytes) + "\r\n";
      h += "Transfer-Preview: *\r\n";
    }
    h += "Encapsulated: null-body=0\r\n\r\n";
    if (!out(h)) return make_error("icap.closed", "connection", "the proxy went away");
    x.outcome = "options";
    return ok();
  }
  if ((request.method == Method::kRespmod) != respmod_service) {
    return make_error("icap.not-allowed", request.uri, std::string(request.method == Method::kRespmod ? "RESPMOD" : "REQMOD") + " is not served here");
  }

  // Whom the answer is for: the proxy's word for its client only when the proxy is trusted.
  x.client = config::canonical_ip(peer).value_or(peer);
  const bool trusted = std::find(settings_.icap.trusted_proxies.begin(), settings_.icap.trusted_proxies.end(), x.client) != settings_.icap.trusted_proxies.end();
  if (trusted && request.headers.count("X-Client-IP") > 0) {
    const auto said = request.headers.count("X-Client-IP") == 1 ? config::canonical_ip(*request.headers.find("X-Client-IP")) : std::nullopt;
    if (!said) return make_error("icap.malformed", "X-Client-IP", "the client's address is not one IP address");
    x.client = *said;
  }
  x.actor += " " + x.client;
  if (const policy::Zone* z = policy_.policy().zone_of_address(x.client)) x.zone = z->id;
  const std::uint64_t limit = static_cast<std::uint64_t>(settings_.icap.max_body_mb) << 20;
  auto gone = [] { return make_error("icap.closed", "connection", "the proxy went away"); };

  if (request.method == Method::kReqmod) {
    // Recorded and shown, never handed on (REQMOD passes the request as it came): a 個人番号 in it is masked.
    const std::string name = mail::mask_identification_numbers(file_name_of(request.http_request, std::nullopt, "upload"));
    if (!request.has_body) return x.unchanged(limit);
    if (x.zone.empty()) {
      SANSO_TRY(x.finish_reading(limit));
      x.record("icap.upload", name, "blocked", "client address " + x.client + " is in no zone of the policy", std::nullopt);
      return x.block(403, name, "送信元の端末がどの領域にも属していません", "the client " + x.client + " is in no zone of the policy", "") ? ok() : gone();
    }
    const auto declared = declared_length(*request.http_request);
    if (declared && *declared > limit) {
      SANSO_TRY(x.finish_reading(limit));
    } else {
      SANSO_TRY(x.read_all(limit));
    }
    if ((declared && *declared > limit) || x.body.over || x.disk_failed) {
      x.record("icap.upload", name, "blocked", "over [icap] max_body_mb", std::nullopt);
      return x.block(403, name, "送信する内容が大きすぎます", "the upload is over the limit of " + std::to_string(settings_.icap.max_body_mb) + " MB", "") ? ok() : gone();
    }
    const std::string_view body = SANSO_TRY(x.bytes());
    const mail::OutboundScan scan = engines_.scan_outgoing(body, name);
    const std::string level = scan.classification.empty() ? settings_.unmarked_classification : scan.classification;
    auto ruling = policy_.decide(policy::RequestNames{x.zone, "internet", "web", level, "", ""});
    std::string why_ja, why_en;
    if (!ruling) {
      why_ja = "ポリシーで判断できません";
      why_en = ruling.error().to_string();
    } else if (ruling->action == policy::Action::kDeny || ruling->action == policy::Action::kApprove) {
      why_ja = "ポリシーにより外部への送信はできません（" + std::string(ruling->rule_id()) + "、" + std::string(ruling->clause()) + "）";
      why_en = "policy rule " + std::string(ruling->rule_id()) + " (" + std::string(ruling->clause()) + "): " + std::string(ruling->reason("en"));
    } else if (!scan.error.empty()) {
      why_ja = "送信内容を検査できませんでした";
      why_en = "the outgoing scan failed: " + scan.error;
    } else if (!scan.unchecked.empty()) {
      // A proxy cannot hold an upload for approval: what could not be checked does not leave.
      why_ja = mail::unchecked_reason(scan);
      why_en = "the text of " + std::to_string(scan.unchecked.size()) + " file(s) in the upload could not be checked: " + scan.unchecked.front().where + " (" + scan.unchecked.front().why + ")";
    } else if (!scan.identifiers.empty()) {
      why_ja = "個人番号・法人番号と思われる記載があります（" + std::to_string(scan.identifiers.size()) + " 件）";
      why_en = std::to_string(scan.identifiers.size()) + " Individual or Corporate Number(s) found";
    }
    std::optional<policy::Decision> decision;
    if (ruling) decision = *ruling;
    const std::string sha = sha256_hex(body);
    if (why_ja.empty()) {
      x.record("icap.upload", name, "allowed", "", decision, sha);
      return x.unchanged(limit);
    }
    std::string quarantine_id;
    if (store_ != nullptr) {
      // The original is kept as evidence, with its record, before the refusal is sent.
      quarantine::Submission s;
      s.id = store_->reserve_id();
      s.original = std::string(body);
      s.origin.kind = quarantine::Origin::Kind::kFile;
      s.origin.file_name = name;
      s.origin.uploader = x.actor;
      s.verdict = quarantine::Verdict::kBlocked;
      s.reason = "icap upload " + x.zone + " → internet: " + why_en;
      s.classification = scan.classification;
      store::AuditEvent e;
      e.actor = x.actor;
      e.action = "icap.upload";
      e.subject = name;
      e.outcome = "blocked";
      if (decision) {
        e.rule_id = std::string(decision->rule_id());
        e.clause = std::string(decision->clause());
      }
      e.input_sha256 = sha;
      e.details = {{"quarantine_id", s.id}, {"client", x.client}, {"zone", x.zone}, {"reason", why_en}, {"identifiers", std::to_string(scan.identifiers.size())}};
      s.with_item = [&](store::Database& d, const quarantine::Item&) { return log_->append(d, e); };
      auto kept = store_->put(std::move(s));
      if (!kept) {
        icap_metrics().store_errors.inc();
        log::error("icap: an upload blocked but not kept: " + kept.error().to_string());
        return x.block(503, name, "一時的な障害のため送信を止めました", kept.error().to_string(), "") ? ok() : gone();
      }
      quarantine_id = kept->id;
    }
    return x.block(403, name, why_ja, why_en, quarantine_id) ? ok() : gone();
  }

  // RESPMOD: a response from the internet on its way to a client of the proxy.
  const HttpHead& response = *request.http_response;
  // Recorded, shown and given to a rebuilt file: a 個人番号 in it is masked (the records must not carry it).
  const std::string name = mail::mask_identification_numbers(file_name_of(request.http_request, request.http_response, "download"));
  if (!request.has_body) return x.unchanged(limit);
  if (x.zone.empty()) {
    SANSO_TRY(x.finish_reading(limit));
    x.record("icap.download", name, "blocked", "client address " + x.client + " is in no zone of the policy", std::nullopt);
    return x.block(403, name, "利用者の端末がどの領域にも属していません", "the client " + x.client + " is in no zone of the policy", "") ? ok() : gone();
  }
  const auto too_large = [&] {
    x.record("icap.download", name, "blocked", "over [icap] max_body_mb (" + std::to_string(x.body.bytes) + " bytes read)", std::nullopt);
    return x.block(403, name, "ファイルが大きすぎるため受け取れません", "the file is over the limit of " + std::to_string(settings_.icap.max_body_mb) + " MB", "")
               ? ok()
               : gone();
  };
  // A body that says it is over the limit is refused before it is read: the proxy gets the block
  // page at once instead of after (or, with Squid 5, never after) sending all of it.
  if (const auto declared = declared_length(response); declared && *declared > limit) {
    SANSO_TRY(x.finish_reading(limit));
    return too_large();
  }
  const intake::Route route{"internet", x.zone, x.actor};
  // The first bytes decide between a page and a file. Without a preview they are known only by
  // reading the body; a page is passed on unread only when a preview showed what it begins with.
  if (request.preview) SANSO_TRY(x.read_preview(limit));
  // A preview too short to show what the body is (the proxy's preview size is its own setting, and
  // may be 0) counts as none.
  if (!request.preview || (x.stage == Exchange::Stage::kPreviewRead && x.body.bytes < kFirstBytes)) SANSO_TRY(x.read_all(limit));
  if (x.body.over || x.disk_failed) return too_large();
  const std::string_view first = SANSO_TRY(x.bytes());
  const std::string* disposition = response.headers.find("Content-Disposition");
  const bool attachment = disposition != nullptr && lowered(*disposition).find("attachment") != std::string::npos;
  const std::string type = media_type(response);
  const bool page_type = std::find(settings_.icap.page_types.begin(), settings_.icap.page_types.end(), type) != settings_.icap.page_types.end();
  const bool encoded = content_encoded(response);
  // Part of a file (a range) is never a page, whatever its first bytes: a download manager
  // assembles the file from ranges the engine would each have passed.
  const bool partial = response.status == 206 || response.headers.count("Content-Range") > 0;

  // Two Content-Type (or Content-Disposition) fields: which one a browser obeys is its own choice
  // (Chrome takes the last), so such a response is never taken for a page.
  const bool one_type = response.headers.count("Content-Type") <= 1 && response.headers.count("Content-Disposition") <= 1;
  std::vector<std::string> coding_values;
  for (const auto& f : response.headers.fields) {
    if (lowered(f.name) == "content-encoding") coding_values.push_back(f.value);
  }
  auto codings = content_codings(coding_values);
  // The whole body without its codings, decoded once in the sandbox: by the page check when the
  // preview is not enough, then by the file path, which takes it as it is.
  std::optional<Result<std::string>> decoded_whole;
  const auto decode_whole = [&](std::string_view whole) -> Result<std::string>& {
    if (!decoded_whole) {
      decoded_whole.emplace(!codings          ? Result<std::string>(codings.error())
                            : engines_.decode ? engines_.decode(whole, *codings, 0)
                                              : Result<std::string>(make_error("icap.content-coding", "service", "no decoder for compressed downloads")));
    }
    return *decoded_whole;
  };
  // What a browser renders of a compressed page is its decoded bytes: those are what must not
  // begin like a document or a program (decoded in the sandbox: the first kilobyte from the preview
  // when it decodes to that much, else the whole body, once). A coding that cannot be decoded, or
  // a body that cannot be decoded whole, makes it no page.
  auto page_begins_like_a_file = [&]() -> Result<bool> {
    if (!encoded) return looks_like_a_file(first);
    if (!codings || !engines_.decode) return true;
    if (x.stage == Exchange::Stage::kPreviewRead) {
      auto prefix = engines_.decode(first, *codings, kFirstBytes);
      if (!prefix || prefix->size() >= kFirstBytes) return !prefix || looks_like_a_file(*prefix);
      SANSO_TRY(x.read_all(limit));
      if (x.body.over || x.disk_failed) return true;
    }
    const Result<std::string>& whole = decode_whole(SANSO_TRY(x.bytes()));
    return !whole || looks_like_a_file(std::string_view(*whole).substr(0, kFirstBytes));
  };
  if (!attachment && page_type && !partial && one_type && !SANSO_TRY(page_begins_like_a_file())) {
    // A web page: browsing is the channel "web", ruled on for this route and passed as it is.
    const auto ruling = SANSO_TRY(intake_.rule(route, "web"));
    if (ruling && ruling->action != policy::Action::kAllow) {
      SANSO_TRY(x.finish_reading(limit));
      const std::string why = "policy rule " + std::string(ruling->rule_id()) + " (" + std::string(ruling->clause()) + "): " + std::string(ruling->reason("en"));
      x.record("icap.page", name, "blocked", why, ruling);
      return x.block(403, name, "ポリシーにより閲覧できません（" + std::string(ruling->rule_id()) + "）", why, "") ? ok() : gone();
    }
    return x.unchanged(limit);
  }

  // A file: all of it, spooled, then through the one intake pipeline.
  SANSO_TRY(x.read_all(limit));
  if (x.body.over || x.disk_failed) return too_large();
  std::string_view body = SANSO_TRY(x.bytes());
  // A download refused before the engine, read whole: kept in the quarantine as it came (the
  // compressed bytes of a compressed one), with the record of the refusal, before the block page
  // names where it is kept. Nothing is lost that is not passed on.
  const auto refuse = [&](int status, std::string_view reason_ja, const std::string& why) -> Result<void> {
    std::string quarantine_id;
    if (intake_.keeps_originals()) {
      intake::Refusal refusal{"icap.download", why, "", "", {{"client", x.client}, {"zone", x.zone}, {"bytes", std::to_string(body.size())}}};
      if (!coding_values.empty()) {
        std::string said;
        for (const auto& v : coding_values) said += (said.empty() ? "" : ", ") + v;
        refusal.details.emplace_back("content_encoding", said);
      }
      auto kept = intake_.keep_refused(intake::FileItem{body, name, route}, refusal);
      if (!kept) {
        icap_metrics().store_errors.inc();
        log::error("icap: a download blocked but not kept: " + kept.error().to_string());
        // Its record at least, with the digest, if the log can still be written (review19b).
        x.record("icap.download", name, "blocked", why + " (not kept: " + kept.error().to_string() + ")", std::nullopt, sha256_hex(body));
        return x.block(503, name, "一時的な障害のためファイルを止めました", kept.error().to_string(), "") ? ok() : gone();
      }
      quarantine_id = std::move(kept).value();
    } else {
      x.record("icap.download", name, "blocked", why, std::nullopt, sha256_hex(body));
    }
    return x.block(status, name, reason_ja, why, quarantine_id) ? ok() : gone();
  };
  // Part of a file is not the file the engine must judge: refused, not guessed at.
  if (partial) return refuse(403, "ファイルの一部だけは受け取れません", "a partial response (206 or Content-Range) of a file");
  // A compressed download is judged, kept and handed on as the file the browser would save: its
  // codings removed in the sandbox, and the browser gets the decoded (or rebuilt) bytes, never the
  // compressed ones — so no second reading of them, the browser's, can differ from the engine's.
  // A file that is itself compressed (a .gz sent with Content-Encoding: gzip, as servers do) is
  // saved compressed by browsers: it is judged as the archive it is, and only the field goes.
  std::string decoded;
  intake::FileItem item{body, name, route};
  const bool self_compressed = encoded && codings && codings->size() == 1 && is_compressed_file(type, name, codings->front());
  if (encoded && !self_compressed) {
    Result<std::string> plain = std::move(decode_whole(body));
    if (!plain) {
      const std::string& code = plain.error().code;
      if (code.rfind("sandbox.", 0) == 0) {
        // The decoder itself failed (no process, a crash, out of time): ours, not the file's — kept
        // all the same, for whoever looks into the failure.
        log::error("icap: decoding " + name + " for " + x.client + ": " + plain.error().to_string());
        return refuse(503, "一時的な障害のためファイルを止めました", "the decoder failed: " + plain.error().to_string());
      }
      if (code == "icap.content-limit") return refuse(403, "展開すると大きすぎるため受け取れません", plain.error().to_string());
      return refuse(403, "圧縮を解けないファイルは受け取れません", "Content-Encoding on a download: " + plain.error().to_string());
    }
    decoded = std::move(plain).value();
    // The record names what arrived beside the decoded file it judges: the codings removed and the
    // received bytes' digest.
    for (ContentCoding c : *codings) item.content_codings += (item.content_codings.empty() ? "" : ", ") + std::string(to_string(c));
    item.received_sha256 = sha256_hex(body);
    body = item.bytes = decoded;
  }
  auto taken = intake_.take_file(item, engines_.sanitize);
  if (!taken) {
    log::error("icap: " + name + " for " + x.client + ": " + taken.error().to_string());
    return x.block(503, name, "一時的な障害のためファイルを止めました", taken.error().to_string(), "") ? ok() : gone();
  }
  const cdr::CdrResult& r = taken->result;
  if (r.verdict == cdr::Verdict::blocked) {
    const auto [ja, en] = reason_words(r);
    return x.block(403, name, ja, en, taken->quarantine_id) ? ok() : gone();
  }
  if (r.verdict == cdr::Verdict::clean && r.output == body && !encoded) return x.unchanged(limit);

  // The rebuilt document replaces the body; what described the old bytes goes.
  HttpHead h = response;
  for (const char* stale : {"Content-Length", "Transfer-Encoding", "Content-Encoding", "Content-MD5", "Digest", "Content-Digest", "Repr-Digest", "ETag",
                            "Accept-Ranges", "Content-Range"}) {
    h.headers.remove(stale);
  }
  h.headers.fields.push_back({"Content-Length", std::to_string(r.output.size())});
  const std::string out_name = r.output_name.empty() ? name : r.output_name;
  if (out_name != name) {
    h.headers.remove("Content-Type");
    h.headers.remove("Content-Disposition");
    h.headers.fields.push_back({"Content-Type", content_type_for(out_name)});
    h.headers.fields.push_back({"Content-Disposition", "attachment; filename*=UTF-8''" + mime::percent_encode_ext_value(out_name)});
  }
  h.headers.fields.push_back({"X-Sanso-Quarantine-Id", taken->quarantine_id});
  h.headers.fields.push_back({"X-Sanso-Verdict", std::string(cdr::to_string(r.verdict))});
  x.outcome = r.verdict == cdr::Verdict::clean && encoded ? "decoded" : "sanitized";
  return x.respond(h, r.output) ? ok() : gone();
}

}  // namespace sanso::icap
