// libFuzzer target: the policy loader and the static checks on arbitrary bytes. Whatever the
// input, loading returns diagnostics; a valid result must compile and decide without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "policy/check.h"
#include "policy/decide.h"
#include "policy/load.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sanso::policy;
  if (size > 256 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  LoadResult r = load_policy(text, "fuzz.toml");
  if (!r.policy || has_errors(r.diagnostics)) return 0;
  const sanso::Date today{2026, 11, 25};
  auto diagnostics = check_policy(*r.policy, today);
  if (has_errors(diagnostics)) return 0;
  auto compiled = CompiledPolicy::compile(std::move(*r.policy), today);
  if (!compiled) return 0;
  for (int f = 0; f < compiled->zone_count(); ++f) {
    for (int ch = 0; ch < kChannelCount; ++ch) {
      const Decision d = compiled->decide(Request{f, 0, static_cast<Channel>(ch), -1, -1});
      if (d.rule == nullptr) __builtin_trap();
    }
  }
  return 0;
}
