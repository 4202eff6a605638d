// libFuzzer target: the mail sanitizer on arbitrary bytes (in-process here; the service runs it in
// the sandbox). Every input gives a plan, and the rendered output holds exactly the entities the
// plan reports as GMime reads them back (the text part, and each rebuilt attachment), with the
// X-Sanso-Sanitized header, whatever the message was. The whole input is the message; its last
// byte and its size choose the output mode (charset, HTML preference, what happens to
// attachments, links, language), so seed messages spread over every mode.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/text.h"
#include "mail/attachment_batches.h"
#include "mail/sanitize.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sanso::mail;
  if (size == 0 || size > 256 * 1024) return 0;
  const auto mode = static_cast<std::uint8_t>(data[size - 1] ^ size);
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  SanitizeOptions options;
  options.max_parts = 200;
  options.output_charset = (mode & 1) != 0 ? "iso-2022-jp" : "utf-8";
  options.prefer_html = (mode & 2) != 0;
  options.attachment_action = (mode & 4) != 0 ? AttachmentAction::kSanitize : AttachmentAction::kRemove;
  options.defang_links = (mode & 8) == 0;
  options.lang = (mode & 16) != 0 ? "en" : "ja";
  SanitizePlan plan = sanitize_message(raw, options);
  if (plan.verdict != Verdict::kClean && plan.verdict != Verdict::kSanitized && plan.verdict != Verdict::kHeld) __builtin_trap();
  if (!sanso::is_valid_utf8(plan.body)) __builtin_trap();
  std::string out = render_message(plan, options, "Q20261125-FUZZ0000");
  if (output_entities(out) != expected_entities(plan)) __builtin_trap();
  if (out.find("X-Sanso-Sanitized: " + std::string(to_string(plan.verdict))) == std::string::npos) __builtin_trap();
  // No header may smuggle a line break that starts a new header or the body.
  std::string_view head(out.data(), out.find("\r\n\r\n"));
  for (std::size_t at = head.find('\n'); at != std::string_view::npos; at = head.find('\n', at + 1)) {
    if (at == 0 || head[at - 1] != '\r') __builtin_trap();
  }
  // A held message carries nothing; every part of a passed one is accounted for (issue #22: no
  // part dropped without a line) — only a text part with no text in it may stay "skipped".
  if (plan.verdict == Verdict::kHeld && !plan.attachments.empty()) __builtin_trap();
  for (const auto& p : plan.parts) {
    if (plan.verdict != Verdict::kHeld && p.action == PartAction::kSkipped && p.type != "text/plain" && p.type != "text/html") __builtin_trap();
    if (plan.verdict != Verdict::kHeld && p.action == PartAction::kPending) __builtin_trap();
  }
  // The batch framing read back from arbitrary bytes (what a compromised child could answer).
  (void)decode_batch_answer(raw, mode % 4);
  auto round = plan_from_json(plan_to_json(plan));
  if (!round || round->verdict != plan.verdict || round->body != plan.body) __builtin_trap();
  // The plan's wire form from the parse worker: read back whole, and arbitrary bytes after its
  // magic refused or read without a fault (what a compromised worker could answer).
  auto wired = plan_from_wire(plan_to_wire(plan));
  auto via_json = plan_from_json(plan_to_json(plan, true));
  if (!wired || !via_json || plan_to_json(*wired, true) != plan_to_json(*via_json, true)) __builtin_trap();
  (void)plan_from_wire(std::string("\x04SPW1") + std::string(raw));
  return 0;
}
