// The batch commands (`sanso mail sanitize --input DIR --output-dir OUT`, `sanso file sanitize DIR
// -o OUT`) against what others can put in the folders they read and write: links, pipes, huge
// files, names two messages would share, an output folder inside the input; and the store they keep
// originals in (a damaged blob of the right size, a key file gone). From a read-only attack on the
// batch (review26): each test failed before the fix it names.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sodium.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <atomic>
#include <cstdio>

#include "support/cli_runner.h"
#include "support/failing_audit.h"
#include "support/test_store.h"

namespace {

namespace fs = std::filesystem;
using sanso::testing::run_sanso;

class BatchInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-batch-inputs-" + sanso::testing::random_hex(4));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "sanso.toml") << "[service]\nnode = \"gw-test\"\ndata_dir = \"data\"\npolicy = \"" << SANSO_SOURCE_DIR
                                       << "/examples/minamata/policy.toml\"\n[mail]\nlang = \"en\"\n"
                                          "[[users]]\nname = \"tanaka\"\nroles = [\"security_manager\"]\n";
    config_ = " --config " + (dir_ / "sanso.toml").string();
    invoice_ = std::string(SANSO_SOURCE_DIR) + "/examples/minamata/mail/invoice.eml";
  }
  void TearDown() override { fs::remove_all(dir_); }
  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string all_outputs(const fs::path& out) const {
    std::string all;
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(out, ec)) {
      if (e.is_regular_file()) all += read(e.path());
    }
    return all;
  }
  nlohmann::json items() const { return nlohmann::json::parse(run_sanso("quarantine list --json --limit 1000" + config_).output); }
  fs::path dir_;
  std::string config_;
  std::string invoice_;
};

// The text of a sanitized single-part output: its base64 body decoded.
std::string decoded_body(const std::string& eml) {
  const auto at = eml.find("\r\n\r\n");
  if (at == std::string::npos) return "";
  const std::string b64 = eml.substr(at + 4);
  std::string text(b64.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(text.data()), text.size(), b64.data(), b64.size(), "\r\n", &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return "";
  }
  text.resize(len);
  return text;
}

// A plain message whose body is a token: "Subject: <s>\n\nbody <token>\n".
void write_mail(const fs::path& p, const std::string& subject, const std::string& token) {
  std::ofstream(p) << "From: a@example.com\nTo: b@city.minamata.lg.jp\nSubject: " << subject << "\n\nbody " << token << "\n";
}

// A link planted in the input folder is not followed: whoever can write into a Maildir would
// otherwise make the batch — run as root or as the sanso user — read any file it can read, keep it
// as a "mail" and write its text into the output folder. It is reported, and the run fails.
TEST_F(BatchInputs, ASymlinkInTheInputIsNotFollowed) {
  fs::create_directories(dir_ / "secret");
  // Another person's mail (their Maildir, /var/mail/NAME): the batch's operator may not read it.
  std::ofstream(dir_ / "secret" / "db.conf") << "From: mayor@city.minamata.lg.jp\nTo: soumu@city.minamata.lg.jp\nSubject: jinji\n\nSECRET-TOKEN-4711\n";
  ::chmod((dir_ / "secret").c_str(), 0700);
  fs::create_directories(dir_ / "in" / "cur");
  write_mail(dir_ / "in" / "cur" / "1:2,S", "one", "ordinary");
  fs::create_symlink(dir_ / "secret" / "db.conf", dir_ / "in" / "cur" / "2:2,S");
  auto r = run_sanso("mail sanitize --input " + (dir_ / "in").string() + " --output-dir " + (dir_ / "out").string() + config_);
  const fs::path leaked = dir_ / "out" / "cur_2:2,S.eml";
  EXPECT_FALSE(fs::exists(leaked)) << r.output;
  EXPECT_EQ(decoded_body(read(leaked)).find("SECRET-TOKEN-4711"), std::string::npos) << "a file outside the input came out as a message: "
                                                                                      << decoded_body(read(leaked));
  EXPECT_EQ(items().size(), 1u) << "a file outside the input was kept as a mail";
  EXPECT_NE(r.exit_code, 0) << "the refused symlink is reported: " << r.output;
}

// A link planted in the output folder under an output's name is replaced, never written through:
// the sanitized text (the internet sender's words) over the file it points at (a .bashrc) would be
// theirs to run.
TEST_F(BatchInputs, ASymlinkInTheOutputDirectoryIsNotFollowed) {
  fs::create_directories(dir_ / "in");
  write_mail(dir_ / "in" / "a.eml", "one", "ATTACKER-TEXT-1");
  write_mail(dir_ / "in" / "b.eml", "two", "ATTACKER-TEXT-2");
  fs::create_directories(dir_ / "out");
  std::ofstream(dir_ / "victim.conf") << "original victim content\n";
  fs::create_symlink(dir_ / "victim.conf", dir_ / "out" / "a.eml");
  fs::create_symlink(dir_ / "created-by-sanso", dir_ / "out" / "b.eml");
  auto r = run_sanso("mail sanitize --input " + (dir_ / "in").string() + " --output-dir " + (dir_ / "out").string() + config_);
  EXPECT_EQ(read(dir_ / "victim.conf"), "original victim content\n") << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "created-by-sanso")) << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::is_symlink(dir_ / "out" / "a.eml"));
  EXPECT_NE(decoded_body(read(dir_ / "out" / "a.eml")).find("ATTACKER-TEXT-1"), std::string::npos);
}

// "x" and "x.eml" (or "d/a.eml" and "d_a.eml") would both be written to x.eml (d_a.eml): the
// later one is numbered, so no output replaces another's.
TEST_F(BatchInputs, TwoMessagesNeverShareOneOutput) {
  fs::create_directories(dir_ / "in" / "d");
  write_mail(dir_ / "in" / "x", "first", "FIRST-BODY");
  write_mail(dir_ / "in" / "x.eml", "second", "SECOND-BODY");
  write_mail(dir_ / "in" / "d" / "a.eml", "third", "THIRD-BODY");
  write_mail(dir_ / "in" / "d_a.eml", "fourth", "FOURTH-BODY");
  auto r = run_sanso("mail sanitize --input " + (dir_ / "in").string() + " --output-dir " + (dir_ / "out").string() + config_);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_EQ(items().size(), 4u) << r.output;  // four originals kept
  std::string bodies;
  int outputs = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "out")) {
    outputs += e.is_regular_file() ? 1 : 0;
    bodies += decoded_body(read(e.path()));
  }
  EXPECT_EQ(outputs, 4);
  for (const char* body : {"FIRST-BODY", "SECOND-BODY", "THIRD-BODY", "FOURTH-BODY"}) {
    EXPECT_NE(bodies.find(body), std::string::npos) << body << " was lost: " << r.output;
  }
  // The earlier name keeps the plain output name; the later one is numbered.
  EXPECT_NE(decoded_body(read(dir_ / "out" / "x.eml")).find("FIRST-BODY"), std::string::npos);
  EXPECT_NE(decoded_body(read(dir_ / "out" / "x (2).eml")).find("SECOND-BODY"), std::string::npos);
}

// What the batch cannot take (a FIFO, a socket, a device node, a dangling link) is named and
// fails the run; the pipe is never opened (it would wait for a writer); the rest is taken.
TEST_F(BatchInputs, AnEntryThatIsNotAFileIsReported) {
  fs::create_directories(dir_ / "in" / "cur");
  write_mail(dir_ / "in" / "cur" / "1:2,S", "one", "ordinary");
  ASSERT_EQ(::mkfifo((dir_ / "in" / "cur" / "2:2,S").c_str(), 0600), 0);
  fs::create_symlink(dir_ / "gone", dir_ / "in" / "cur" / "3:2,S");
  auto r = run_sanso("mail sanitize --input " + (dir_ / "in").string() + " --output-dir " + (dir_ / "out").string() + config_);
  EXPECT_EQ(r.exit_code, 1) << "two entries were not taken and nothing says so: " << r.output;
  EXPECT_NE(r.output.find("2:2,S"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("3:2,S"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "out" / "cur_1:2,S.eml")) << r.output;
  EXPECT_EQ(items().size(), 1u);
}

// A run of no messages still waits for its store, and fails when the store cannot open (it once
// asked before the store's thread had finished, and exited 0 half the time).
TEST_F(BatchInputs, AnEmptyRunStillReportsAStoreThatCannotOpen) {
  std::ofstream(dir_ / "broken.toml") << "[service]\ndata_dir = \"/proc/sanso-cannot-write\"\npolicy = \"" << SANSO_SOURCE_DIR
                                      << "/examples/minamata/policy.toml\"\n";
  fs::create_directories(dir_ / "in");
  auto r = run_sanso("mail sanitize --input " + (dir_ / "in").string() + " --output-dir " + (dir_ / "out").string() + " --config " +
                     (dir_ / "broken.toml").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
}

// A message over the store's inline limit (1 MiB sealed), so its sealed original is a file of
// the data directory's blobs/.
std::string big_mail(const std::string& token) {
  std::string m = "From: a@example.com\nTo: b@city.minamata.lg.jp\nSubject: big " + token +
                  "\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nhello " + token +
                  "\n--b\nContent-Type: application/octet-stream; name=\"data.bin\"\nContent-Disposition: attachment; filename=\"data.bin\"\n"
                  "Content-Transfer-Encoding: base64\n\n";
  for (int i = 0; i < 20000; ++i) m += "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\n";
  m += "--b--\n";
  return m;
}

std::vector<fs::path> blobs(const fs::path& data) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(data, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".sealed") out.push_back(e.path());
  }
  return out;
}

// A blob file of the same content address is reused only when it opens with the store's key to
// that content: one damaged (or planted) with the right size once made every later put of that
// content "keep" an original nobody could read, while the batch wrote the output as if kept.
TEST_F(BatchInputs, AnOriginalIsKeptReadablyEvenWhenADamagedBlobOfItsSizeExists) {
  fs::create_directories(dir_ / "in1");
  fs::create_directories(dir_ / "in2");
  const std::string mail = big_mail("BIG-1");
  std::ofstream(dir_ / "in1" / "m.eml") << mail;
  std::ofstream(dir_ / "in2" / "m.eml") << mail;
  auto first = run_sanso("mail sanitize --input " + (dir_ / "in1").string() + " --output-dir " + (dir_ / "out1").string() + config_);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  auto files = blobs(dir_ / "data");
  ASSERT_EQ(files.size(), 1u) << "the sealed original is a file";
  {
    // One byte flipped in the middle: same size, unreadable.
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    const auto at = static_cast<std::streamoff>(fs::file_size(files[0]) / 2);
    f.seekg(at);
    const char was = static_cast<char>(f.get());
    f.seekp(at);
    f.put(static_cast<char>(was ^ 0x5a));
  }
  auto second = run_sanso("mail sanitize --input " + (dir_ / "in2").string() + " --output-dir " + (dir_ / "out2").string() + config_);
  auto list = items();
  ASSERT_EQ(list.size(), 2u) << second.output;
  // The newest item is the second run's: the batch wrote its output, so its original must be readable.
  std::string newest;
  for (const auto& it : list) {
    const std::string id = it["id"];
    if (id > newest) newest = id;
  }
  ASSERT_EQ(second.exit_code, 0) << second.output;
  ASSERT_TRUE(fs::exists(dir_ / "out2" / "m.eml"));
  {
    auto ex = run_sanso("quarantine export " + newest + " -o " + (dir_ / "orig.eml").string() + " --as tanaka" + config_);
    EXPECT_EQ(ex.exit_code, 0) << "output written for a message whose original cannot be read: " << ex.output;
    EXPECT_EQ(read(dir_ / "orig.eml"), mail);
  }
}

// A store that keeps originals and finds its key file gone refuses to open (it was given a new
// key, and every original kept before was silently unreadable); the error says to restore the key.
TEST_F(BatchInputs, AStoreWhoseKeyIsGoneIsNotGivenANewOne) {
  fs::create_directories(dir_ / "in1");
  std::ofstream(dir_ / "in1" / "m.eml") << big_mail("BIG-2");
  auto first = run_sanso("mail sanitize --input " + (dir_ / "in1").string() + " --output-dir " + (dir_ / "out1").string() + config_);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_TRUE(fs::remove(dir_ / "data" / "quarantine.key"));
  fs::create_directories(dir_ / "in2");
  std::ofstream(dir_ / "in2" / "m.eml") << big_mail("BIG-2");
  auto second = run_sanso("mail sanitize --input " + (dir_ / "in2").string() + " --output-dir " + (dir_ / "out2").string() + config_);
  EXPECT_EQ(second.exit_code, 1) << "a store with kept originals opened under a new key: " << second.output;
  EXPECT_FALSE(fs::exists(dir_ / "out2" / "m.eml"));
  EXPECT_NE(second.output.find("quarantine.key"), std::string::npos) << second.output;
  EXPECT_FALSE(fs::exists(dir_ / "data" / "quarantine.key")) << "no new key was made";
}

// The store file replaced under a running batch (a restore with `mv`, another tool's "init"):
// SQLite would keep writing to the old, unlinked inode; SqliteDatabase::begin() notices and every
// later message fails with store.replaced, so no output is written without its original kept.
TEST_F(BatchInputs, OutputsWrittenAfterTheStoreFileIsReplacedHaveTheirOriginalsKept) {
  fs::create_directories(dir_ / "seed");
  write_mail(dir_ / "seed" / "s.eml", "seed", "seed");
  ASSERT_EQ(run_sanso("mail sanitize --input " + (dir_ / "seed").string() + " --output-dir " + (dir_ / "seedout").string() + config_).exit_code, 0);
  const fs::path db = dir_ / "data" / "sanso.db";
  fs::copy_file(db, dir_ / "copy.db");
  fs::create_directories(dir_ / "in");
  constexpr int kMessages = 400;
  for (int i = 0; i < kMessages; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "m%04d.eml", i);
    write_mail(dir_ / "in" / name, "n" + std::to_string(i), "B" + std::to_string(i));
  }
  fs::create_directories(dir_ / "out");
  std::atomic<bool> replaced{false};
  std::thread swapper([&] {
    for (int tries = 0; tries < 60000 && !replaced; ++tries) {
      std::error_code ec;
      if (!fs::is_empty(dir_ / "out", ec)) {
        fs::rename(dir_ / "copy.db", db, ec);
        replaced = !ec;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  auto r = run_sanso("mail sanitize --input " + (dir_ / "in").string() + " --output-dir " + (dir_ / "out").string() + config_);
  swapper.join();
  ASSERT_TRUE(replaced.load()) << r.output;
  int outputs = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "out")) outputs += e.is_regular_file() ? 1 : 0;
  const std::int64_t kept = sanso::testing::count_rows(db, "quarantine_items");
  // The seed's item plus one for every output written.
  EXPECT_GE(kept, outputs + 1) << outputs << " outputs written, " << kept << " items in the store; exit " << r.exit_code << "\n" << r.output.substr(0, 2000);
}

// An output folder that is the input folder, or inside it, is refused before anything is read:
// an output ("d/x.eml" → "d_x.eml") would be written over an input not yet read, and what was kept
// and audited as that input's original would be another message's sanitized output.
TEST_F(BatchInputs, AnOutputNeverOverwritesAnInputNotYetKept) {
  const fs::path in = dir_ / "in";
  fs::create_directories(in / "d");
  write_mail(in / "d" / "x.eml", "first", "FIRST-ORIGINAL");
  write_mail(in / "d_x.eml", "victim", "VICTIM-ORIGINAL-4711");
  for (const fs::path& out : {in, in / "d", in / "new-out"}) {
    auto r = run_sanso("mail sanitize --input " + in.string() + " --output-dir " + out.string() + config_);
    EXPECT_EQ(r.exit_code, 2) << out << ": " << r.output;
    EXPECT_NE(r.output.find("inside it"), std::string::npos) << r.output;
  }
  // Refused before anything was read, kept or written.
  EXPECT_NE(read(in / "d_x.eml").find("VICTIM-ORIGINAL-4711"), std::string::npos);
  EXPECT_FALSE(fs::exists(in / "new-out"));
  EXPECT_FALSE(fs::exists(dir_ / "data" / "sanso.db"));
  // Beside the input (a name that only starts like it) is another folder.
  auto beside = run_sanso("mail sanitize --input " + in.string() + " --output-dir " + (dir_ / "in-out").string() + config_);
  EXPECT_EQ(beside.exit_code, 0) << beside.output;
  EXPECT_EQ(items().size(), 2u);
}

// `sanso file sanitize DIR -o OUT` writes nothing through a link planted under OUT: a folder that
// is a link is refused (it once took the rebuilt file elsewhere), and a link under a file's name
// is passed over for a new name (a dangling one once created its target). A rebuilt text file is
// the sender's text as sent.
TEST_F(BatchInputs, FileSanitizeWritesNothingOutsideItsOutputDirectory) {
  fs::create_directories(dir_ / "in" / "sub");
  std::ofstream(dir_ / "in" / "sub" / "authorized_keys") << "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIATTACKERKEY attacker\n";
  std::ofstream(dir_ / "in" / "note.txt") << "* * * * * root /tmp/attacker.sh\n";
  fs::create_directories(dir_ / "elsewhere");
  fs::create_directories(dir_ / "out" / "in");
  fs::create_directory_symlink(dir_ / "elsewhere", dir_ / "out" / "in" / "sub");
  fs::create_symlink(dir_ / "created-by-sanso", dir_ / "out" / "in" / "note.txt");
  auto r = run_sanso("file sanitize " + (dir_ / "in").string() + " -o " + (dir_ / "out").string() + " --lang en");
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere" / "authorized_keys")) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "created-by-sanso")) << r.output;
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("a link or a file stands where this folder should be"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "out" / "in" / "note (2).txt")) << r.output;
}

// A mail kept by `sanso mail sanitize` takes no envelope from its headers: From, To and Cc are the
// internet sender's to write, and a four-eyes release by mail once delivered the original through
// the city's relay to whatever they named (outside addresses, a staff list). Without --recipient
// the release goes to a file only; with it, to that mailbox.
TEST_F(BatchInputs, AHeaderIsNotTakenForTheEnvelope) {
  fs::create_directories(dir_ / "in");
  std::ofstream(dir_ / "in" / "m.eml") << "From: ceo@city.minamata.lg.jp\nTo: kikaku@city.minamata.lg.jp\n"
                                          "Cc: list@outside.example, all-staff@city.minamata.lg.jp\nSubject: hdr\n\nbody\n";
  auto r = run_sanso("mail sanitize --input " + (dir_ / "in").string() + " --output-dir " + (dir_ / "out").string() + config_);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto list = items();
  ASSERT_EQ(list.size(), 1u);
  auto show = nlohmann::json::parse(run_sanso("quarantine show " + list[0]["id"].get<std::string>() + " --json" + config_).output);
  const std::string to = show["origin"]["envelope_to"].dump();
  EXPECT_EQ(to.find("outside.example"), std::string::npos) << "a Cc header became a release recipient: " << to;
  EXPECT_NE(show["origin"]["envelope_from"], "ceo@city.minamata.lg.jp") << "a From header became the envelope sender";
  EXPECT_EQ(show["origin"]["envelope_to"], nlohmann::json::array());
  // Released by mail (a relay configured, four eyes given): refused for want of an envelope, and
  // still there to release to a file.
  const std::string id = list[0]["id"];
  std::ofstream(dir_ / "sanso.toml", std::ios::app) << "[[users]]\nname = \"suzuki\"\nroles = [\"security_manager\"]\n"
                                                        "[quarantine]\nsmtp_relay = \"127.0.0.1:9\"\n";
  ASSERT_EQ(run_sanso("quarantine request-release " + id + " --reason r --as tanaka" + config_).exit_code, 0);
  std::string why;
  const std::string suzukis_account = sanso::testing::other_account_prefix(1001, &why);
  if (!suzukis_account.empty()) {
    auto approved = run_sanso("quarantine approve " + id + " --as suzuki" + config_, suzukis_account);
    ASSERT_EQ(approved.exit_code, 0) << approved.output;
    auto release = run_sanso("quarantine release " + id + " --as tanaka" + config_);
    EXPECT_EQ(release.exit_code, 1) << release.output;
    EXPECT_NE(release.output.find("quarantine.no-envelope"), std::string::npos) << release.output;
    auto to_file = run_sanso("quarantine release " + id + " -o " + (dir_ / "released.eml").string() + " --as tanaka" + config_);
    EXPECT_EQ(to_file.exit_code, 0) << to_file.output;
  }
  // Given by the administrator, the envelope is kept.
  fs::create_directories(dir_ / "in2");
  fs::copy_file(dir_ / "in" / "m.eml", dir_ / "in2" / "m.eml");
  auto given = run_sanso("mail sanitize --input " + (dir_ / "in2").string() + " --output-dir " + (dir_ / "out2").string() +
                         " --recipient kikaku@city.minamata.lg.jp" + config_);
  ASSERT_EQ(given.exit_code, 0) << given.output;
  bool recorded = false;
  for (const auto& it : items()) {
    auto one = nlohmann::json::parse(run_sanso("quarantine show " + it["id"].get<std::string>() + " --json" + config_).output);
    recorded = recorded || one["origin"]["envelope_to"] == nlohmann::json::array({"kikaku@city.minamata.lg.jp"});
  }
  EXPECT_TRUE(recorded);
  EXPECT_EQ(run_sanso("mail sanitize --input " + (dir_ / "in2").string() + " --output-dir " + (dir_ / "out3").string() +
                      " --recipient 'a@b>, evil@x'" + config_).exit_code, 2);
}

// A message file over [mail] max_message_mb is not read at all: a sparse file of 2 TB (a few bytes
// on disk) once ended the whole run from a failed allocation on a batch thread. It is named, the
// run fails, and the messages after it are taken.
TEST_F(BatchInputs, AHugeMessageFileIsRefusedAloneAndTheRunGoesOn) {
  fs::create_directories(dir_ / "in");
  write_mail(dir_ / "in" / "a.eml", "one", "A-BODY");
  {
    std::ofstream(dir_ / "in" / "b.eml") << "";
    fs::resize_file(dir_ / "in" / "b.eml", std::uintmax_t{2} << 40);
  }
  write_mail(dir_ / "in" / "c.eml", "three", "C-BODY");
  auto r = run_sanso("mail sanitize --input " + (dir_ / "in").string() + " --output-dir " + (dir_ / "out").string() + config_);
  EXPECT_EQ(r.exit_code, 1) << r.output.substr(0, 600);
  EXPECT_NE(r.output.find("b.eml"), std::string::npos) << "the refused file is named: " << r.output.substr(0, 600);
  EXPECT_TRUE(fs::exists(dir_ / "out" / "c.eml")) << "the messages after it are taken";
  EXPECT_FALSE(fs::exists(dir_ / "out" / "b.eml"));
  EXPECT_NE(r.output.find("over the limit"), std::string::npos) << r.output.substr(0, 600);
  EXPECT_EQ(items().size(), 2u);
}

// Only a Maildir's tmp/ (beside cur/ and new/) is passed over: a folder named tmp in a folder of
// .eml files (2024/tmp/) holds messages like any other.
TEST_F(BatchInputs, AFolderNamedTmpOutsideAMaildirIsNotPassedOverSilently) {
  fs::create_directories(dir_ / "in" / "2024" / "tmp");
  write_mail(dir_ / "in" / "2024" / "tmp" / "a.eml", "one", "A-BODY");
  auto r = run_sanso("mail sanitize --input " + (dir_ / "in").string() + " --output-dir " + (dir_ / "out").string() + config_);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "out" / "2024_tmp_a.eml")) << r.output;
}

}  // namespace

namespace {

// `file sanitize --as NAME` with a name not in [[users]] is refused (the record once named "file"
// and nobody knew the claim was wrong).
TEST_F(BatchInputs, AFileRunAsSomeoneUnknownIsRefused) {
  fs::create_directories(dir_ / "in");
  std::ofstream(dir_ / "in" / "a.txt") << "hello\n";
  auto r = run_sanso("file sanitize " + (dir_ / "in").string() + " -o " + (dir_ / "out").string() + " --as nobody" + config_);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("[[users]]"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "out"));
  auto known = run_sanso("file sanitize " + (dir_ / "in").string() + " -o " + (dir_ / "out").string() + " --as tanaka" + config_);
  EXPECT_EQ(known.exit_code, 0) << known.output;
}

}  // namespace

namespace {

// Under sudo, a path on the command line is opened as the person who typed it, not as the account
// sanso runs as: a file only root may read (another person's mail, the store's key, /etc/shadow)
// is not read, kept or written out for someone who could not read it themselves; what they may
// read goes through, and what is written out is theirs.
TEST_F(BatchInputs, FilesNamedOnTheCommandLineAreOpenedAsThePersonRunningSanso) {
  std::string why;
  const std::string as_1001 = sanso::testing::other_account_prefix(1001, &why);
  if (as_1001.empty()) GTEST_SKIP() << why;
  std::ofstream(dir_ / "secret.eml") << "From: a@example.com\nSubject: s\n\nROOT-ONLY-SECRET\n";
  ::chmod((dir_ / "secret.eml").c_str(), 0600);
  std::ofstream(dir_ / "public.eml") << "From: a@example.com\nSubject: p\n\nPUBLIC-TEXT\n";
  ::chmod((dir_ / "public.eml").c_str(), 0644);
  ::chmod(dir_.c_str(), 0755);
  fs::create_directories(dir_ / "mine");
  ASSERT_EQ(::chown((dir_ / "mine").c_str(), 1001, 1001), 0);

  auto mail = run_sanso("mail sanitize " + (dir_ / "secret.eml").string() + " -o " + (dir_ / "mine" / "s.eml").string(), as_1001);
  EXPECT_EQ(mail.exit_code, 1) << mail.output;
  EXPECT_FALSE(fs::exists(dir_ / "mine" / "s.eml"));
  auto file = run_sanso("file sanitize " + (dir_ / "secret.eml").string() + " -o " + (dir_ / "mine" / "f").string(), as_1001);
  EXPECT_EQ(file.exit_code, 1) << file.output;
  EXPECT_EQ(file.output.find("ROOT-ONLY-SECRET"), std::string::npos);
  std::error_code ec;
  EXPECT_TRUE(!fs::exists(dir_ / "mine" / "f" / "secret.eml", ec)) << file.output;
  auto add = run_sanso("quarantine add " + (dir_ / "secret.eml").string() + " --as tanaka" + config_, as_1001);
  EXPECT_EQ(add.exit_code, 1) << add.output;
  // Nor written where they may not write (the test's folder is root's).
  auto nowhere = run_sanso("mail sanitize " + (dir_ / "public.eml").string() + " -o " + (dir_ / "p.eml").string(), as_1001);
  EXPECT_EQ(nowhere.exit_code, 1) << nowhere.output;
  EXPECT_FALSE(fs::exists(dir_ / "p.eml"));

  auto mine = run_sanso("mail sanitize " + (dir_ / "public.eml").string() + " -o " + (dir_ / "mine" / "p.eml").string(), as_1001);
  ASSERT_EQ(mine.exit_code, 0) << mine.output;
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "mine" / "p.eml").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1001u) << "what is written out is the person's";
  EXPECT_NE(decoded_body(read(dir_ / "mine" / "p.eml")).find("PUBLIC-TEXT"), std::string::npos);
  // As root (the person is root), the root-only file is readable as before.
  EXPECT_EQ(run_sanso("mail sanitize " + (dir_ / "secret.eml").string() + " -o " + (dir_ / "s.eml").string()).exit_code, 0);
}

}  // namespace
