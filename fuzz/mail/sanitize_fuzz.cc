// libFuzzer target: the mail sanitizer on arbitrary bytes (in-process here; the service runs it in
// the sandbox). Every input gives a plan, and the rendered output is one text/plain part with the
// X-Sanso-Sanitized header, whatever the message was.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/text.h"
#include "mail/sanitize.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sanso::mail;
  if (size > 256 * 1024) return 0;
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  SanitizeOptions options;
  options.max_parts = 200;
  SanitizePlan plan = sanitize_message(raw, options);
  if (plan.verdict != "clean" && plan.verdict != "sanitized" && plan.verdict != "held") __builtin_trap();
  if (!sanso::is_valid_utf8(plan.body)) __builtin_trap();
  std::string out = render_message(plan, options, "Q20261125-FUZZ0000");
  if (out.find("\r\nContent-Type: text/plain; charset=UTF-8\r\n") == std::string::npos) __builtin_trap();
  if (out.find("X-Sanso-Sanitized: " + plan.verdict) == std::string::npos) __builtin_trap();
  // No header may smuggle a line break that starts a new header or the body.
  std::string_view head(out.data(), out.find("\r\n\r\n"));
  for (std::size_t at = head.find('\n'); at != std::string_view::npos; at = head.find('\n', at + 1)) {
    if (at == 0 || head[at - 1] != '\r') __builtin_trap();
  }
  auto round = plan_from_json(plan_to_json(plan));
  if (!round || round->verdict != plan.verdict || round->body != plan.body) __builtin_trap();
  return 0;
}
