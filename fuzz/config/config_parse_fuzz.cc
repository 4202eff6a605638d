// libFuzzer target: sanso.toml on arbitrary bytes gives a configuration or an error with a
// position, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = sanso::config::parse_config(text, "/etc/sanso/sanso.toml");
  if (c && (c->data_dir.empty() || c->data_dir[0] != '/' || c->policy_file.empty())) __builtin_trap();
  return 0;
}
