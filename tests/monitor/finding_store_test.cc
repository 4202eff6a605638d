// Findings in the store on both backends: several collectors on one store raise a finding once
// however they race, and acknowledging a finding is a person's audited act with a reason.
#include "monitor/finding_store.h"

#include <atomic>
#include <barrier>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "audit/log.h"
#include "monitor_fixtures.h"
#include "policy/network.h"
#include "store/schema.h"
#include "support/test_store.h"

namespace sanso::monitor {
namespace {

policy::Address128 ip(const std::string& text) { return policy::parse_ip(text)->value; }

std::unique_ptr<audit::AuditLog> audit_log() {
  audit::LogOptions o;
  o.node = "gw-test";
  o.policy_sha256 = std::string(64, '0');
  return std::make_unique<audit::AuditLog>(std::move(o));
}

class FindingStoreTest : public ::testing::TestWithParam<store::Backend> {
 protected:
  void SetUp() override {
    store_ = std::make_unique<sanso::testing::TestStore>(GetParam());
    db_ = store_->open();
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(store::migrate(*db_));
    policy_ = testing::test_policy();
    auto plan = AddressPlan::build(policy_);
    ASSERT_TRUE(plan) << plan.error().to_string();
    plan_ = std::make_unique<AddressPlan>(std::move(*plan));
    log_ = audit_log();
  }

  // A mynumber host talking to an internet address: the egress finding, at `t`.
  Finding egress(int host, std::int64_t t) const {
    Finding f;
    f.rule = Rule::kMynumberEgress;
    f.src = ip("192.0.2." + std::to_string(10 + host));
    f.dst = ip("203.0.113.7");
    f.dport = 443;
    f.proto = 6;
    f.src_zone = plan_->zone_of(f.src);
    f.dst_zone = plan_->zone_of(f.dst);
    f.first_seen = f.last_seen = t;
    f.count = 1;
    return f;
  }

  std::int64_t rows(const std::string& where = "1 = 1") {
    auto r = db_->query_one("SELECT COUNT(*) FROM monitor_findings WHERE " + where);
    EXPECT_TRUE(r && *r);
    return r && *r ? (*r)->integer(0) : -1;
  }

  std::vector<nlohmann::json> records(const std::string& action) {
    std::vector<nlohmann::json> out;
    auto entries = audit::read_entries(*db_, 0, INT64_MAX);
    EXPECT_TRUE(entries);
    if (!entries) return out;
    for (const auto& e : *entries) {
      if (e.action == action) out.push_back(nlohmann::json::parse(e.record));
    }
    return out;
  }

  std::unique_ptr<sanso::testing::TestStore> store_;
  std::unique_ptr<store::Database> db_;
  policy::Policy policy_;
  std::unique_ptr<AddressPlan> plan_;
  std::unique_ptr<audit::AuditLog> log_;
};

// Two collectors (each its own connection, as two processes on two sites would have) see the
// same flows at the same instant and open the same findings together, round after round.
TEST_P(FindingStoreTest, TwoCollectorsOpeningTheSameFindingsStoreEachOnceWithBothCounts) {
  constexpr int kRounds = 40;
  auto db_a = store_->open(), db_b = store_->open();
  ASSERT_NE(db_a, nullptr);
  ASSERT_NE(db_b, nullptr);
  auto log_b = audit_log();  // two processes: each its own log writer, one tree in the store
  FindingStore a(*db_a, *log_, *plan_, "collector-a", "monitor@a", 3600);
  FindingStore b(*db_b, *log_b, *plan_, "collector-b", "monitor@b", 3600);
  std::barrier together(2);
  std::atomic<int> failures{0};
  auto run = [&](FindingStore& store) {
    for (int i = 0; i < kRounds; ++i) {
      Finding f = egress(i, 1796000000 + i);
      together.arrive_and_wait();
      auto r = store.opened(f, "udp 198.51.100.1:2055", 1796000000 + i);
      if (!r) {
        ADD_FAILURE() << r.error().to_string();
        ++failures;
      }
    }
  };
  std::thread ta([&] { run(a); });
  std::thread tb([&] { run(b); });
  ta.join();
  tb.join();
  ASSERT_EQ(failures.load(), 0);
  EXPECT_EQ(rows(), kRounds) << "one stored finding per distinct flow";
  EXPECT_EQ(rows("count = 2"), kRounds) << "each counts both collectors' sightings";
  EXPECT_EQ(a.adopted() + b.adopted(), static_cast<std::uint64_t>(kRounds)) << "one of the two adopted each";
  EXPECT_EQ(records("monitor.finding").size(), static_cast<std::size_t>(kRounds)) << "one audit record per finding";
}

// Unknown devices are keyed on the address alone: two collectors seeing it toward different
// destinations still raise one finding.
TEST_P(FindingStoreTest, AnUnknownDeviceSeenByTwoCollectorsIsOneFinding) {
  auto db_b = store_->open();
  auto log_b = audit_log();
  FindingStore a(*db_, *log_, *plan_, "collector-a", "monitor@a", 3600);
  FindingStore b(*db_b, *log_b, *plan_, "collector-b", "monitor@b", 3600);
  Finding one = egress(0, 1796000000);
  one.rule = Rule::kUnzonedAddress;
  one.src = ip("192.0.2.200");
  Finding two = one;
  two.dst = ip("203.0.113.9");
  two.dport = 80;
  ASSERT_TRUE(a.opened(one, "conn.log:1", 1796000000));
  ASSERT_TRUE(b.opened(two, "conn.log:9", 1796000010));
  EXPECT_EQ(rows(), 1);
  EXPECT_EQ(rows("count = 2"), 1);
}

TEST_P(FindingStoreTest, AcknowledgingNeedsARoleAndAReasonAndIsRecordedOnce) {
  FindingStore collector(*db_, *log_, *plan_, "collector-a", "monitor@a", 3600);
  Finding f = egress(1, 1796000000);
  ASSERT_TRUE(collector.opened(f, "conn.log:12", 1796000000));
  const std::vector<std::string> approvers = {"security_manager"};
  const Acknowledger staff{"sato", {"staff"}, "test"};
  const Acknowledger manager{"tanaka", {"security_manager"}, "console session 1 from 10.20.0.7"};
  auto in_tx = [&](auto work) {
    auto tx = store::Transaction::begin(*db_);
    EXPECT_TRUE(tx);
    auto r = work();
    if (r) {
      EXPECT_TRUE(tx->commit());
    }
    return r;
  };

  auto refused = in_tx([&] { return acknowledge_finding(*db_, *log_, f.store_id, staff, "seen", approvers, 1796000100); });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "monitor.forbidden");
  for (const std::string& reason : {std::string(""), std::string(" \n\t"), std::string(2001, 'x'), std::string("\xff\xfe")}) {
    auto bad = in_tx([&] { return acknowledge_finding(*db_, *log_, f.store_id, manager, reason, approvers, 1796000100); });
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, "monitor.input");
  }
  auto missing = in_tx([&] { return acknowledge_finding(*db_, *log_, f.store_id + 1000, manager, "x", approvers, 1796000100); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "monitor.not-found");
  EXPECT_EQ(rows("state = 'open'"), 1);
  EXPECT_TRUE(records("monitor.acknowledge").empty());

  auto done = in_tx([&] { return acknowledge_finding(*db_, *log_, f.store_id, manager, "保守業者の作業端末と確認。遮断済み。", approvers, 1796000100); });
  ASSERT_TRUE(done) << done.error().to_string();
  auto again = in_tx([&] { return acknowledge_finding(*db_, *log_, f.store_id, manager, "again", approvers, 1796000200); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "monitor.state");

  auto stored = get_finding(*db_, f.store_id);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->state, "acknowledged");
  EXPECT_EQ((*stored)->acknowledged_by, "tanaka");
  EXPECT_EQ((*stored)->acknowledged_at, 1796000100);
  EXPECT_EQ((*stored)->acknowledged_reason, "保守業者の作業端末と確認。遮断済み。");
  auto acks = records("monitor.acknowledge");
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0]["actor"], "tanaka");
  EXPECT_EQ(acks[0]["rule"], "mynumber-egress");
  EXPECT_EQ(acks[0]["clause"], "6(3)①");
  EXPECT_EQ(acks[0]["details"]["reason"], "保守業者の作業端末と確認。遮断済み。");

  // An acknowledged finding is history: the same flow again opens a new one, not hidden in the old.
  FindingFilter open_only;
  open_only.state = "open";
  auto open = list_findings(*db_, open_only);
  ASSERT_TRUE(open);
  EXPECT_TRUE(open->empty());
}

TEST_P(FindingStoreTest, ListingFiltersByStateZoneAndPeriod) {
  FindingStore collector(*db_, *log_, *plan_, "collector-a", "monitor@a", 3600);
  Finding early = egress(1, 1796000000), late = egress(2, 1796100000);
  Finding unknown = egress(3, 1796050000);
  unknown.rule = Rule::kLgwanInternet;
  unknown.src = ip("198.51.100.20");
  unknown.src_zone = plan_->zone_of(unknown.src);
  for (Finding* f : {&early, &late, &unknown}) ASSERT_TRUE(collector.opened(*f, "conn.log:1", f->first_seen));
  auto by = [&](std::string zone, std::int64_t from, std::int64_t until, std::int64_t before_id) {
    FindingFilter filter;
    filter.zone = std::move(zone);
    filter.from = from;
    filter.until = until;
    filter.before_id = before_id;
    std::vector<std::int64_t> ids;
    auto found = list_findings(*db_, filter);
    EXPECT_TRUE(found) << found.error().to_string();
    if (found) {
      for (const auto& f : *found) ids.push_back(f.id);
    }
    return ids;
  };
  EXPECT_EQ(by("", 0, 0, 0), (std::vector<std::int64_t>{unknown.store_id, late.store_id, early.store_id}));
  EXPECT_EQ(by("lgwan", 0, 0, 0), (std::vector<std::int64_t>{unknown.store_id}));
  EXPECT_EQ(by("mynumber", 0, 0, 0), (std::vector<std::int64_t>{late.store_id, early.store_id}));
  EXPECT_EQ(by("", 1796040000, 1796060000, 0), (std::vector<std::int64_t>{unknown.store_id}));
  EXPECT_EQ(by("", 0, 0, late.store_id), (std::vector<std::int64_t>{early.store_id}));
  auto zones = finding_zones(*db_);
  ASSERT_TRUE(zones);
  EXPECT_NE(std::find(zones->begin(), zones->end(), "lgwan"), zones->end());
}

INSTANTIATE_TEST_SUITE_P(Backends, FindingStoreTest, ::testing::ValuesIn(sanso::testing::test_backends()), sanso::testing::backend_name);

}  // namespace
}  // namespace sanso::monitor
