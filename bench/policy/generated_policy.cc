#include "policy/generated_policy.h"

#include <cstdio>
#include <random>

namespace sanso::bench {

std::string generated_policy_toml(int rules, int extra_zones, int extra_roles, std::uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint32_t>(n)); };
  std::string out =
      "[municipality]\nid = \"bench\"\nname = \"ベンチ市\"\n[profile]\nmodel = \"alpha\"\n"
      "[[bodies]]\nid = \"mayor\"\nname = \"市長部局\"\n"
      "[[zones]]\nid = \"mynumber\"\nname = \"マイナンバー利用事務系\"\ncontrols = [\"mfa\", \"no_export\"]\n"
      "[[zones]]\nid = \"lgwan\"\nname = \"LGWAN接続系\"\n[[zones]]\nid = \"internet\"\nname = \"インターネット接続系\"\n"
      "[[roles]]\nid = \"security_manager\"\nname = \"情報セキュリティ管理者\"\nmfa = true\n"
      "[[roles]]\nid = \"staff\"\nname = \"職員\"\nmfa = true\n";
  char buf[512];
  for (int z = 1; z <= extra_zones; ++z) {
    std::snprintf(buf, sizeof buf, "[[zones]]\nid = \"zone%02d\"\nname = \"業務領域%02d\"\n", z, z);
    out += buf;
  }
  for (int r = 1; r <= extra_roles; ++r) {
    std::snprintf(buf, sizeof buf, "[[roles]]\nid = \"role%02d\"\nname = \"役割%02d\"\nmfa = true\n", r, r);
    out += buf;
  }
  static constexpr const char* kChannels[] = {"mail", "file", "web", "screen", "removable_media", "api"};
  static constexpr const char* kLevels[] = {"1", "2", "3C", "3B", "3A"};
  static constexpr const char* kActions[] = {"allow", "sanitize", "approve", "deny"};
  for (int i = 0; i < rules; ++i) {
    // Rules between the city's own zones, so that no rule breaks the three-layer checks.
    std::snprintf(buf, sizeof buf, "zone%02d", pick(extra_zones) + 1);
    const std::string from = buf;
    std::snprintf(buf, sizeof buf, "zone%02d", pick(extra_zones) + 1);
    const std::string to = buf;
    std::string channels;
    const int nch = 1 + pick(3);
    for (int c = 0; c < nch; ++c) channels += std::string(c ? ", " : "") + "\"" + kChannels[pick(6)] + "\"";
    const char* action = kActions[pick(4)];
    int lo = pick(5), hi = pick(5);
    if (lo > hi) std::swap(lo, hi);
    std::string roles;
    const int nroles = pick(3);
    for (int r = 0; r < nroles; ++r) {
      std::snprintf(buf, sizeof buf, "%s\"role%02d\"", r ? ", " : "", pick(extra_roles) + 1);
      roles += buf;
    }
    std::snprintf(buf, sizeof buf,
                  "[[rules]]\nid = \"gen.%04d\"\nfrom = \"%s\"\nto = \"%s\"\nchannels = [%s]\nmin_confidentiality = \"%s\"\n"
                  "max_confidentiality = \"%s\"\nroles = [%s]\naction = \"%s\"\n%sclause = \"6(3)\"\nreason = \"生成ルール\"\n",
                  i, from.c_str(), to.c_str(), channels.c_str(), kLevels[lo], kLevels[hi], roles.c_str(), action,
                  std::string(action) == "approve" ? "approver = \"security_manager\"\n" : "");
    out += buf;
  }
  return out;
}

std::vector<policy::Request> sample_requests(const policy::CompiledPolicy& c, std::size_t count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint32_t>(n)); };
  std::vector<policy::Request> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(policy::Request{pick(c.zone_count()), pick(c.zone_count()), static_cast<policy::Channel>(pick(policy::kChannelCount)),
                                  pick(c.level_count()), pick(c.role_count() + 1) - 1});
  }
  return out;
}

}  // namespace sanso::bench
