// The set-up the register, inspection and statistics tests start from: a fresh, migrated store of
// the test's backend (SQLite, PostgreSQL), the example city's policy, and an audit log whose
// clock is the test's fixed clock, with helpers to append records and read back what was logged.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "audit/log.h"
#include "core/clock.h"
#include "policy/check.h"
#include "policy/policy.h"
#include "store/schema.h"
#include "support/test_store.h"

namespace sanso::testing {

inline const std::string kExampleCityDir = std::string(SANSO_SOURCE_DIR) + "/examples/minamata/";

class AuditedStoreTest : public ::testing::TestWithParam<store::Backend> {
 protected:
  void SetUp() override {
    t_ = std::make_unique<TestStore>(GetParam());
    db_ = t_->open();
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(store::migrate(*db_));
    auto p = policy::load_checked_policy(kExampleCityDir + "policy.toml", clock_.today());
    ASSERT_TRUE(p) << p.error().to_string();
    policy_ = *p;
    audit::LogOptions o;
    o.node = "test";
    o.clock = &clock_;
    log_ = std::make_unique<audit::AuditLog>(o);
  }

  // One record, committed on its own; its entry index.
  std::uint64_t append(std::int64_t time, const std::string& actor, const std::string& action, const std::string& subject,
                       const std::string& outcome, std::vector<std::pair<std::string, std::string>> details = {},
                       const std::string& rule = "") {
    store::AuditEvent e;
    e.time = time;
    e.actor = actor;
    e.action = action;
    e.subject = subject;
    e.outcome = outcome;
    e.rule_id = rule;
    e.details = std::move(details);
    auto r = log_->append_now(*db_, e);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? *r : 0;
  }

  std::uint64_t entries() {
    auto n = audit::tree_size(*db_);
    EXPECT_TRUE(n);
    return n ? *n : 0;
  }

  std::vector<std::string> actions_logged() {
    std::vector<std::string> out;
    auto rows = db_->query("SELECT action FROM audit_entries ORDER BY idx");
    EXPECT_TRUE(rows);
    if (rows) {
      for (const auto& row : *rows) out.push_back(row.text(0));
    }
    return out;
  }

  FixedClock clock_{Date{2026, 12, 1}};
  std::unique_ptr<TestStore> t_;
  std::unique_ptr<store::Database> db_;
  policy::Policy policy_;
  std::unique_ptr<audit::AuditLog> log_;
};

// The backends every such test runs on, named in the test's name.
#define SANSO_ON_EVERY_BACKEND(Suite) \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::ValuesIn(sanso::testing::test_backends()), sanso::testing::backend_name)

}  // namespace sanso::testing
