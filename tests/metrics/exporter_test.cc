// The /metrics listener of the services without a web server: it serves the registry, asks the
// service to refresh its gauges first, and answers only loopback and the listed addresses.
#include "metrics/exporter.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <gtest/gtest.h>

#include "support/metrics_scrape.h"

namespace sanso::metrics {
namespace {

// An IPv4 address of this host that is not loopback (the container's own), or "" when none.
std::string own_address() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* i = list; i != nullptr && found.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) != 0 || (i->ifa_flags & IFF_UP) == 0) continue;
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
    found = text;
  }
  freeifaddrs(list);
  return found;
}

int port_of(const Exporter& e) { return std::stoi(e.address().substr(e.address().rfind(':') + 1)); }

TEST(ExporterTest, ServesTheRegistryToLoopbackAfterRefreshingItsGauges) {
  Registry registry;
  registry.counter("sanso_things_total", "Things").inc(3);
  Gauge& depth = registry.gauge("sanso_queue_depth", "Depth");
  ExporterOptions options;
  options.listen = "127.0.0.1:0";
  options.before_scrape = [&depth] { depth.set(7); };
  auto e = Exporter::start(registry, options);
  ASSERT_TRUE(e) << e.error().to_string();
  auto got = testing::scrape_metrics("127.0.0.1", port_of(**e));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(testing::metric_sample(got->body, "sanso_things_total"), 3) << got->body;
  EXPECT_EQ(testing::metric_sample(got->body, "sanso_queue_depth"), 7) << got->body;
}

TEST(ExporterTest, AnAddressNeitherLoopbackNorListedIsRefused) {
  const std::string own = own_address();
  if (own.empty()) GTEST_SKIP() << "this host has no address besides loopback to scrape from";
  Registry registry;
  registry.counter("sanso_things_total", "Things").inc();
  ExporterOptions closed;
  closed.listen = own + ":0";
  auto e = Exporter::start(registry, closed);
  ASSERT_TRUE(e) << e.error().to_string();
  // Connecting to the host's own address comes from that address, not from loopback.
  auto refused = testing::scrape_metrics(own, port_of(**e));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(refused->body.find("sanso_things_total"), std::string::npos);

  ExporterOptions listed;
  listed.listen = own + ":0";
  listed.allowed = {own + "/32"};
  auto open = Exporter::start(registry, listed);
  ASSERT_TRUE(open) << open.error().to_string();
  auto got = testing::scrape_metrics(own, port_of(**open));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(testing::metric_sample(got->body, "sanso_things_total"), 1);
}

TEST(ExporterTest, ABadOrTakenAddressIsAnErrorAtStart) {
  Registry registry;
  for (const char* bad : {"9851", "::1:9851", "127.0.0.1:99999", "127.0.0.1:", "127.0.0.1:x"}) {
    auto e = Exporter::start(registry, ExporterOptions{bad, {}, {}});
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().code, "metrics.listen") << bad;
  }
  auto first = Exporter::start(registry, ExporterOptions{"127.0.0.1:0", {}, {}});
  ASSERT_TRUE(first);
  auto taken = Exporter::start(registry, ExporterOptions{(*first)->address(), {}, {}});
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, "metrics.listen");
  auto wrong = Exporter::start(registry, ExporterOptions{"127.0.0.1:0", {"10.0.0.0/33"}, {}});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, "metrics.from");
}

}  // namespace
}  // namespace sanso::metrics
