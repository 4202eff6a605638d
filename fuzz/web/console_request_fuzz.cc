// libFuzzer target: arbitrary bytes sent to a running console as an HTTP request, over a real
// socket. "$SESSION", "$CSRF" and "$ITEM" in the input become a signed-in person's cookie value,
// their form token and a quarantined item's id, so that the fuzzer reaches past the sign-in.
// Whatever arrives, the console keeps answering, never reflects markup unescaped, and never
// releases an item without the second person's approval.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "audit/log.h"
#include "config/config.h"
#include "store/database.h"
#include "store/schema.h"
#include "store/shared_database.h"
#include "web/accounts.h"
#include "web/console.h"

namespace {

using namespace sanso;

struct Rig {
  std::filesystem::path dir;
  config::ServiceConfig config;
  std::unique_ptr<audit::AuditLog> log;
  std::unique_ptr<store::SharedDatabase> db;  // the service's connection
  std::unique_ptr<quarantine::QuarantineStore> quarantine;
  std::unique_ptr<web::ConsoleAccounts> accounts;
  std::unique_ptr<web::Console> console;
  std::string token, csrf, item;
  int released_without_approval = 0;
};

std::unique_ptr<store::Database> open_db(const std::filesystem::path& dir) {
  auto db = store::open_database({store::Backend::kSqlite, (dir / "sanso.db").string()});
  if (!db) __builtin_trap();
  return std::move(db).value();
}

Rig& rig() {
  static Rig* r = [] {
    auto* r = new Rig;
    r->dir = std::filesystem::temp_directory_path() / ("sanso-web-fuzz-" + std::to_string(::getpid()));
    std::filesystem::remove_all(r->dir);
    std::filesystem::create_directories(r->dir);
    auto db = open_db(r->dir);
    // Durability is not what is fuzzed, and every commit's fsync on a busy disk (a CI machine
    // building beside it) took the first input past libFuzzer's timeout.
    if (!db->execute_script("PRAGMA synchronous = OFF")) __builtin_trap();
    if (!store::migrate(*db)) __builtin_trap();
    r->config.operators = {{"tanaka", "田中", {"security_manager"}}, {"suzuki", "鈴木", {"security_manager"}}};
    r->config.quarantine.approver_roles = {"security_manager"};
    r->config.quarantine.inspector_roles = {"security_manager"};
    r->config.web.roles = {"security_manager"};
    r->config.web.admin_roles = {"security_manager"};
    audit::LogOptions lo;
    lo.node = "fuzz";
    lo.policy_sha256 = std::string(64, '0');
    r->log = std::make_unique<audit::AuditLog>(std::move(lo));
    quarantine::QuarantineStore::Options qo;
    qo.settings = r->config.quarantine;
    qo.blob_dir = (r->dir / "blobs").string();
    qo.key_file = (r->dir / "quarantine.key").string();
    qo.audit = r->log.get();
    r->db = std::make_unique<store::SharedDatabase>(std::move(db));
    auto q = quarantine::QuarantineStore::open(*r->db, qo);
    if (!q) __builtin_trap();
    r->quarantine = std::move(q).value();
    web::AccountRules rules = web::account_rules_from(r->config);
    rules.argon2_ops = 1;          // libsodium's minimum: the fuzzer signs in often
    rules.argon2_memory = 8192;
    rules.max_failures = 1000000;  // the fuzzer's own guesses must not lock the account it uses
    r->config.data_dir = r->dir.string();
    auto accounts = web::ConsoleAccounts::open(*r->db, r->config, rules, *r->log);
    if (!accounts) __builtin_trap();
    r->accounts = std::move(accounts).value();
    if (!r->accounts->set_password("tanaka", "fuzzing passphrase", quarantine::Actor{"tanaka", {"security_manager"}, "fuzz"})) __builtin_trap();
    auto in = r->accounts->sign_in("tanaka", "fuzzing passphrase", "fuzz");
    if (!in || !in->session) __builtin_trap();
    r->token = in->token;
    r->csrf = in->session->csrf;
    quarantine::Submission s;
    s.original = "Subject: x\r\n\r\nbody\r\n";
    s.origin.kind = quarantine::Origin::Kind::kFile;
    s.origin.file_name = "a.txt";
    s.verdict = quarantine::Verdict::kBlocked;
    auto item = r->quarantine->put(std::move(s));
    if (!item) __builtin_trap();
    r->item = item->id;
    web::ConsoleOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.read_timeout_ms = 100;  // an incomplete request is given up on quickly
    web::ConsoleServices services{*r->accounts, *r->quarantine, *r->db, r->config,
                                  [r](const quarantine::Item&, const std::string&, const quarantine::Actor&) -> Result<std::string> {
                                    ++r->released_without_approval;  // only suzuki could approve, and nobody signs in as suzuki
                                    return std::string("fuzz");
                                  }};
    auto console = web::Console::start(o, services);
    if (!console) __builtin_trap();
    r->console = std::move(console).value();
    return r;
  }();
  return *r;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

// Whether `answer` holds a whole response (the console always sends a Content-Length).
bool complete(const std::string& answer) {
  auto end = answer.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  auto at = answer.find("Content-Length: ");
  if (at == std::string::npos || at > end) return true;
  return answer.size() - (end + 4) >= std::stoul(answer.substr(at + 16, 20));
}

// Sends one request and reads one answer, or nothing when the console drops the connection.
std::string exchange(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  // Closed with a reset, not into TIME_WAIT: two connections an input, thousands a second, would
  // otherwise use up the loopback's ephemeral ports within a 20-second run and make connect()
  // fail for the harness's own reasons (seen twice in CI's fuzz smoke).
  const linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  // A console that stopped listening refuses for good; a busy kernel may refuse for a moment
  // (a full accept queue, no port free yet): tried for two seconds before it counts.
  int tries = 0;
  while (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    const int why = errno;
    if (++tries > 200 || (why != ECONNREFUSED && why != EADDRNOTAVAIL && why != EAGAIN && why != EINTR && why != ETIMEDOUT)) {
      std::fprintf(stderr, "connect() to the console failed: %s (after %d tries)\n", std::strerror(why), tries);
      __builtin_trap();  // the console stopped listening
    }
    ::close(fd);
    ::usleep(10000);
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  }
  std::size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the console may answer (413, 400) and close before reading it all
    sent += static_cast<std::size_t>(n);
  }
  // Not shutdown(SHUT_WR): a console that sees the peer gone does not answer at all.
  std::string answer;
  char buf[8192];
  for (ssize_t n; !complete(answer) && (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) answer.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return answer;
}

}  // namespace

// The console is stopped, its handlers finished, before the process's statics are destroyed: bytes
// an input pipelined after its request are still being answered when the run ends, and a page
// rendered then would read the console's wording after its destruction. Registered once a page
// has been rendered, so that it runs before the destructors of everything rendering constructs.
void stop_console_at_exit() {
  static const bool registered = [] {
    (void)exchange(rig().console->port(), "GET /login HTTP/1.1\r\nHost: x\r\n\r\n");
    std::atexit([] {
      rig().console->stop();
      rig().console->wait();
    });
    return true;
  }();
  (void)registered;
}

// The rig is built before the first input, outside the time libFuzzer allows each input.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  (void)rig();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 32 * 1024) return 0;
  Rig& r = rig();
  stop_console_at_exit();
  std::string request(reinterpret_cast<const char*>(data), size);
  replace_all(request, "$SESSION", r.token);
  replace_all(request, "$CSRF", r.csrf);
  replace_all(request, "$ITEM", r.item);
  std::string answer = exchange(r.console->port(), request);
  // The pages have no scripts of their own: one in an answer is input reflected unescaped.
  if (answer.find("<script") != std::string::npos || answer.find("<img") != std::string::npos) __builtin_trap();
  if (r.released_without_approval != 0) __builtin_trap();
  // Still serving.
  std::string health = exchange(r.console->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  if (health.find("200 OK") == std::string::npos) __builtin_trap();
  return 0;
}
