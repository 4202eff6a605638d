// What the console tests share: a store with the audit log, the four people of the example city,
// a clock moved by hand, and console accounts with a cheap Argon2id cost.
#pragma once

#include <sodium.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "audit/log.h"
#include "config/config.h"
#include "store/schema.h"
#include "store/shared_database.h"
#include "support/test_store.h"
#include "web/accounts.h"

namespace sanso::web::testing {

// A clock the test moves by hand (sessions and locks last minutes to hours).
class HandClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return t_; }
  Date today() const override { return Date{2026, 11, 26}; }
  void advance(std::chrono::seconds s) { t_ += s; }

 private:
  std::chrono::system_clock::time_point t_ = std::chrono::system_clock::from_time_t(1795700000);
};

inline config::ServiceConfig city_config() {
  config::ServiceConfig c;
  c.source = "test/sanso.toml";
  c.node = "gw-test";
  c.operators = {{"tanaka", "田中 情報政策係長", {"security_manager"}, "lgwan", ""},
                 {"suzuki", "鈴木 総務部長", {"general_security_officer"}, "lgwan", ""},
                 {"sato", "佐藤 税務課", {"staff"}, "lgwan", ""},
                 {"kato", "加藤 システム管理者", {"system_admin"}, "lgwan", ""}};
  c.quarantine.approver_roles = {"security_manager", "general_security_officer"};
  c.quarantine.inspector_roles = {"security_manager", "system_admin"};
  c.web.roles = {"security_manager", "general_security_officer", "system_admin"};
  c.web.admin_roles = {"security_manager", "system_admin"};
  return c;
}

// One of the city's people acting on the accounts, with their roles from city_config().
inline quarantine::Actor as(const std::string& name) {
  for (const auto& op : city_config().operators) {
    if (op.name == name) return quarantine::Actor{op.name, op.roles, "test"};
  }
  return quarantine::Actor{name, {}, "test"};
}

inline AccountRules cheap_rules(const config::ServiceConfig& c) {
  AccountRules r = account_rules_from(c);
  r.argon2_ops = crypto_pwhash_OPSLIMIT_MIN;
  r.argon2_memory = crypto_pwhash_MEMLIMIT_MIN;
  return r;
}

// The audit records with `action`, oldest first, as parsed JSON.
inline std::vector<nlohmann::json> records(store::Database& db, const std::string& action) {
  std::vector<nlohmann::json> out;
  auto entries = audit::read_entries(db, 0, INT64_MAX);
  EXPECT_TRUE(entries) << entries.error().to_string();
  if (!entries) return out;
  for (const auto& e : *entries) {
    if (e.action == action) out.push_back(nlohmann::json::parse(e.record));
  }
  return out;
}

inline std::string detail(const nlohmann::json& record, const std::string& key) {
  const auto& d = record["details"];
  return d.contains(key) ? d[key].get<std::string>() : std::string();
}

// A mail from outside kept as held (an executable attachment, say); its quarantine id. With
// `approver_role`, the role the policy rule names to decide its release.
inline std::string held_mail(quarantine::QuarantineStore& quarantine, const std::string& body, const std::string& approver_role = "") {
  quarantine::Submission s;
  s.original = body;
  s.origin.kind = quarantine::Origin::Kind::kMail;
  s.origin.envelope_from = "vendor@example.com";
  s.origin.envelope_to = {"kikaku@city.minamata.lg.jp"};
  s.origin.subject = "【見積】①号案件";
  s.verdict = quarantine::Verdict::kHeld;
  s.reason = "実行ファイルの添付";
  s.approver_role = approver_role;
  auto item = quarantine.put(std::move(s));
  EXPECT_TRUE(item) << item.error().to_string();
  return item ? item->id : std::string();
}

// A held mail from `envelope_from` to `envelope_to`, its subject `subject`: the item's id.
inline std::string held_mail_between(quarantine::QuarantineStore& quarantine, const std::string& envelope_from, std::vector<std::string> envelope_to,
                                     const std::string& subject = "") {
  quarantine::Submission s;
  s.original = "x";
  s.origin.kind = quarantine::Origin::Kind::kMail;
  s.origin.envelope_from = envelope_from;
  s.origin.envelope_to = std::move(envelope_to);
  s.origin.subject = subject;
  s.verdict = quarantine::Verdict::kHeld;
  auto item = quarantine.put(std::move(s));
  EXPECT_TRUE(item) << item.error().to_string();
  return item ? item->id : std::string();
}

// A migrated store, its audit log and the console accounts on the service's shared connection.
class AccountsHarness {
 public:
  explicit AccountsHarness(store::Backend backend, config::ServiceConfig config = city_config())
      : store_(backend), config_(std::move(config)) {
    if (config_.data_dir.empty()) config_.data_dir = store_.dir().string();
    reader_ = store_.open();
    if (reader_ == nullptr) return;
    EXPECT_TRUE(store::migrate(*reader_));
    audit::LogOptions o;
    o.node = "gw-test";
    o.policy_sha256 = std::string(64, '0');
    o.clock = &clock_;
    log_ = std::make_unique<audit::AuditLog>(std::move(o));
    shared_ = std::make_unique<store::SharedDatabase>(store_.open());
    accounts_ = make_accounts(config_);
  }

  std::unique_ptr<ConsoleAccounts> make_accounts(const config::ServiceConfig& config, AccountRules rules) {
    auto accounts = ConsoleAccounts::open(*shared_, config, std::move(rules), *log_, clock_);
    EXPECT_TRUE(accounts) << accounts.error().to_string();
    return accounts ? std::move(accounts).value() : nullptr;
  }
  std::unique_ptr<ConsoleAccounts> make_accounts(const config::ServiceConfig& config) {
    return make_accounts(config, cheap_rules(config));
  }

  // The quarantine on the service's connection, as the console uses it, with the audit log.
  std::unique_ptr<quarantine::QuarantineStore> open_quarantine() {
    quarantine::QuarantineStore::Options o;
    o.settings = config_.quarantine;
    o.blob_dir = (store_.dir() / "blobs").string();
    o.key_file = (store_.dir() / "quarantine.key").string();
    o.audit = log_.get();
    o.node = "gw-test";
    auto q = quarantine::QuarantineStore::open(*shared_, o);
    EXPECT_TRUE(q) << q.error().to_string();
    return q ? std::move(q).value() : nullptr;
  }

  sanso::testing::TestStore store_;
  config::ServiceConfig config_;
  HandClock clock_;
  std::unique_ptr<store::Database> reader_;  // for the tests' own queries
  std::unique_ptr<audit::AuditLog> log_;
  std::unique_ptr<store::SharedDatabase> shared_;  // the service's connection
  std::unique_ptr<ConsoleAccounts> accounts_;
};

}  // namespace sanso::web::testing
