// A real console with the transfer service, the quarantine, the example city's policy and the
// sandboxed CDR engine, which the transfer pages' and the approvals inbox's tests share. Browsers
// are placed in a zone by a trusted proxy's X-Forwarded-For (127.0.0.1), as behind the city's
// reverse proxy.
#pragma once

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>

#include <gtest/gtest.h>

#include "../cdr/fixtures.h"
#include "cdr/unlock.h"
#include "mail/outbound.h"
#include "sandbox/sandbox.h"
#include "support/example_policy.h"
#include "transfer/transfer.h"
#include "web/console.h"
#include "web/totp.h"
#include "web/web_fixture.h"

namespace sanso::web {

using testing::records;

inline constexpr const char* kInternet = "10.30.0.5";  // the example city's internet zone
inline constexpr const char* kLgwan = "10.20.0.7";     // its LGWAN zone
inline constexpr const char* kPassword = "a long enough passphrase";
inline const std::string kBoundary = "----SansoTestBoundary42";

struct Visitor {
  std::string cookie, csrf, address;
};

inline std::string multipart(const std::vector<std::pair<std::string, std::string>>& fields,
                      const std::vector<std::pair<std::string, std::string>>& files) {
  std::string body;
  for (const auto& [k, v] : fields) body += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v + "\r\n";
  for (const auto& [name, bytes] : files) {
    body += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" + name +
            "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + bytes + "\r\n";
  }
  return body + "--" + kBoundary + "--\r\n";
}

inline std::string form_token(const std::string& html) {
  std::smatch m;
  static const std::regex kCsrf(R"re(name="csrf" value="([^"]+)")re");
  return std::regex_search(html, m, kCsrf) ? m[1].str() : std::string();
}

// Sends `request` as it is on one connection (a body cut short, say) and returns the answer.
inline std::string raw_exchange(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  timeval limit{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return {};
  }
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

inline config::ServiceConfig transfer_city() {
  config::ServiceConfig c = testing::city_config();
  c.operators.push_back({"yamada", "山田 企画課", {"staff"}, "internet"});
  c.operators.push_back({"ito", "伊藤 住民課", {"staff"}, "mynumber"});
  c.operators.push_back({"mori", "森 監査担当", {"auditor"}, "lgwan"});
  // As a city hands out its pages: every clerk exchanges files, the approver roles decide, the
  // security manager and the system administrator see the quarantine and the audit log, and the
  // auditor only the audit log. Who signs in is everyone the permissions name.
  c.web.permissions = {{"transfer", {"staff", "security_manager", "general_security_officer", "system_admin"}},
                       {"approvals", {"security_manager", "general_security_officer"}},
                       {"quarantine", {"security_manager", "system_admin"}},
                       {"audit", {"security_manager", "system_admin", "auditor"}}};
  c.web.roles = {"staff", "security_manager", "general_security_officer", "system_admin", "auditor"};
  c.transfer.max_file_mb = 1;
  c.transfer.max_files = 3;
  c.transfer.max_total_mb = 2;
  return c;
}

class TransferConsoleTest : public ::testing::TestWithParam<store::Backend> {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    h_ = std::make_unique<testing::AccountsHarness>(GetParam(), transfer_city());
    ASSERT_NE(h_->accounts_, nullptr);
    for (const char* name : {"tanaka", "suzuki", "kato", "sato", "yamada", "ito", "mori"}) {
      ASSERT_TRUE(h_->accounts_->set_password(name, kPassword, testing::as("kato"))) << name;
    }
    quarantine::QuarantineStore::Options o;
    o.settings = h_->config_.quarantine;
    o.blob_dir = (h_->store_.dir() / "blobs").string();
    o.key_file = (h_->store_.dir() / "quarantine.key").string();
    o.audit = h_->log_.get();
    o.node = "gw-test";
    auto q = quarantine::QuarantineStore::open(*h_->shared_, o);
    ASSERT_TRUE(q) << q.error().to_string();
    quarantine_ = std::move(q).value();

    example_ = sanso::testing::example_policy();
    ASSERT_NE(example_.compiled, nullptr);
    std::vector<std::string> levels;
    for (const auto& l : example_.policy->scheme.confidentiality.levels) levels.push_back(l.id);
    // Pools started here, before the console's threads: a child forked per job from a threaded
    // process can inherit a lock another thread held (one hung in ASan's allocator), as `sanso web` does.
    auto scanner = sandbox::start(mail::outbound_scan_task(levels), sandbox::Launch::pool(1));
    ASSERT_TRUE(scanner) << scanner.error().to_string();
    scanner_ = std::move(scanner).value();
    auto engine = sandbox::start(cdr::engine_task(cdr::CdrPolicy{}), sandbox::Launch::pool(2));
    ASSERT_TRUE(engine) << engine.error().to_string();
    engine_ = std::move(engine).value();
    transfer::TransferService::Options options;
    options.limits = h_->config_.transfer;
    options.approver_roles = h_->config_.quarantine.approver_roles;
    options.key_file = o.key_file;
    transfer::TransferService::Engines engines;
    engines.sanitize = [this](std::string_view bytes, std::string_view name) { return cdr::sanitize_sandboxed(*engine_, bytes, name, cdr::CdrPolicy{}); };
    engines.scan = [this](std::string_view bytes, std::string_view name) { return transfer::scan_outgoing_file(*scanner_, bytes, name); };
    // PPAP attempts through a pool of one-job workers started here too, as `sanso web` does.
    auto unlocker = sandbox::start(cdr::unlock_task(cdr::CdrPolicy{}), sandbox::Launch::pool(1));
    ASSERT_TRUE(unlocker) << unlocker.error().to_string();
    unlocker_ = std::move(unlocker).value();
    engines.unlock = [this](std::string_view bytes, std::string_view name, std::string_view password) {
      return cdr::unlock_sandboxed(*unlocker_, *engine_, bytes, name, password, cdr::CdrPolicy{});
    };
    adjust_transfers(options);
    auto service = transfer::TransferService::open(h_->config_, *example_.compiled, *quarantine_, *h_->log_, *h_->shared_, options, engines);
    ASSERT_TRUE(service) << service.error().to_string();
    transfers_ = std::move(service).value();

    services_ = std::make_unique<ConsoleServices>(ConsoleServices{
        *h_->accounts_, *quarantine_, *h_->shared_, h_->config_,
        [](const quarantine::Item&, const std::string&, const quarantine::Actor&) -> Result<std::string> {
          return make_error("test.delivery", "", "not used here");
        },
        transfers_.get(), example_.policy.get()});
    // The registers too, for the approvals inbox's exceptions (the policy's approver roles).
    services_->proof = ProofServices{h_->log_.get(), example_.policy.get()};
    ASSERT_TRUE(serve(console_options()));
  }

  // What a test family changes in the transfer service's options before it opens (notices, say).
  virtual void adjust_transfers(transfer::TransferService::Options&) {}

  // Loopback, any port, 127.0.0.1 a trusted proxy: the tests place browsers with X-Forwarded-For.
  static ConsoleOptions console_options() {
    ConsoleOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.trusted_proxies = {"127.0.0.1"};
    return o;
  }

  // (Re)starts the console the helpers below talk to.
  Result<void> serve(const ConsoleOptions& options) {
    client_.reset();
    console_.reset();
    auto console = SANSO_TRY(Console::start(options, *services_));
    console_ = std::move(console);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", console_->port());
    client_->set_read_timeout(60, 0);
    return ok();
  }

  httplib::Headers headers(const Visitor& v) const {
    httplib::Headers h{{"X-Forwarded-For", v.address}};
    if (!v.cookie.empty()) h.emplace("Cookie", v.cookie);
    return h;
  }

  Visitor sign_in(const std::string& name, const std::string& address, const std::string& code = "") {
    Visitor v{"", "", address};
    auto res = client_->Post("/login", headers(v), httplib::Params{{"name", name}, {"password", kPassword}, {"code", code}});
    EXPECT_TRUE(res && res->status == 303) << name;
    if (!res) return v;
    std::string set = res->get_header_value("Set-Cookie");
    v.cookie = set.substr(0, set.find(';'));
    v.csrf = form_token(client_->Get("/", headers(v))->body);
    return v;
  }

  httplib::Result get(const Visitor& v, const std::string& path) { return client_->Get(path, headers(v)); }

  httplib::Result upload(const Visitor& v, const std::string& recipient, const std::string& reason,
                         const std::vector<std::pair<std::string, std::string>>& files, bool with_token = true) {
    std::vector<std::pair<std::string, std::string>> fields{{"recipient", recipient}, {"reason", reason}};
    if (with_token) fields.insert(fields.begin(), {"csrf", v.csrf});
    return client_->Post("/transfer/send", headers(v), multipart(fields, files), ("multipart/form-data; boundary=" + kBoundary).c_str());
  }

  httplib::Result post(const Visitor& v, const std::string& path, httplib::Params params) {
    params.emplace("csrf", v.csrf);
    return client_->Post(path, headers(v), params);
  }

  std::int64_t stored_transfers() {
    auto db = h_->shared_->use();
    auto row = db->query_one("SELECT COUNT(*) FROM transfers");
    return row && *row ? (*row)->integer(0) : -1;
  }

  static std::string id_of(const httplib::Result& res) {
    std::string to = res ? res->get_header_value("Location") : "";
    std::smatch m;
    static const std::regex kId("^/transfer/(t[0-9a-f]+)\\?done=sent$");
    return std::regex_search(to, m, kId) ? m[1].str() : std::string();
  }

  std::unique_ptr<testing::AccountsHarness> h_;
  std::unique_ptr<quarantine::QuarantineStore> quarantine_;
  sanso::testing::ExamplePolicy example_;
  std::unique_ptr<sandbox::Executor> scanner_;
  std::unique_ptr<sandbox::Executor> engine_;
  std::unique_ptr<sandbox::Executor> unlocker_;
  std::unique_ptr<transfer::TransferService> transfers_;
  std::unique_ptr<ConsoleServices> services_;
  std::unique_ptr<Console> console_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace sanso::web
