// sanso_bench_gen: writes inputs for the comparison scripts.
//   sanso_bench_gen policy RULES OUT.toml          a generated policy with RULES city rules
//   sanso_bench_gen requests POLICY COUNT OUT.json  sampled requests with sanso's own decisions
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "policy/check.h"
#include "policy/generated_policy.h"

namespace {

int usage() {
  std::fprintf(stderr, "usage: sanso_bench_gen policy RULES OUT.toml | requests POLICY COUNT OUT.json\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sanso::policy;
  if (argc < 2) return usage();
  const std::string mode = argv[1];
  if ((mode == "policy" && argc != 4) || (mode == "requests" && argc != 5)) return usage();
  const sanso::Date today{2026, 11, 25};
  if (mode == "policy") {
    std::ofstream(argv[3]) << sanso::bench::generated_policy_toml(std::atoi(argv[2]));
    return 0;
  }
  if (mode != "requests") return usage();
  auto policy = load_checked_policy(argv[2], today);
  if (!policy) {
    std::fprintf(stderr, "%s\n", policy.error().to_string().c_str());
    return 1;
  }
  auto c = CompiledPolicy::compile(std::move(*policy), today);
  if (!c) return 1;
  nlohmann::json out = nlohmann::json::array();
  const Policy& p = c->policy();
  for (const Request& q : sanso::bench::sample_requests(*c, static_cast<std::size_t>(std::atol(argv[3])))) {
    const Decision d = c->decide(q);
    out.push_back({{"from", p.zones[q.from_zone].id},
                   {"to", p.zones[q.to_zone].id},
                   {"channel", to_string(q.channel)},
                   {"level", q.confidentiality},
                   {"role", q.role < 0 ? "" : p.roles[q.role].id},
                   {"expect_rule", d.is_default ? "" : std::string(d.rule_id())},
                   {"expect_action", to_string(d.action)}});
  }
  std::ofstream(argv[4]) << out.dump();
  return 0;
}
