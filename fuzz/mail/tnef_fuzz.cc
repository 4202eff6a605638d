// libFuzzer target: our TNEF reader (mail/internal/tnef.h) on arbitrary bytes. The reader either
// refuses the blob with a "tnef.*" error or gives parts that all lie inside it; then the same bytes,
// as a winmail.dat part of a message, go through the sanitizer with the outgoing check's leaves
// kept, which turns what the reader gives into files (names, bodies, compressed RTF, properties).
#include <cstddef>
#include <cstdint>
#include <string>
#include <optional>
#include <string_view>
#include <vector>

#include "mail/internal/tnef.h"
#include "mail/sanitize.h"

namespace {

bool inside(std::string_view part, std::string_view blob) {
  return part.empty() || (part.data() >= blob.data() && part.data() + part.size() <= blob.data() + blob.size());
}

bool inside(const std::optional<std::string_view>& part, std::string_view blob) { return !part || inside(*part, blob); }

bool properties_inside(const std::vector<sanso::mail::internal::TnefProperty>& properties, std::string_view blob) {
  for (const auto& p : properties) {
    if (!inside(p.name, blob) || !inside(p.guid, blob)) return false;
    for (const std::string_view v : p.values) {
      if (!inside(v, blob)) return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sanso::mail;
  if (size > 256 * 1024) return 0;
  const std::string_view blob(reinterpret_cast<const char*>(data), size);
  auto parsed = internal::parse_tnef(blob);
  if (!parsed) {
    if (parsed.error().code.rfind("tnef.", 0) != 0 || parsed.error().where.rfind("byte ", 0) != 0) __builtin_trap();
  } else {
    if (!inside(parsed->subject, blob) || !inside(parsed->body, blob) || !inside(parsed->from, blob)) __builtin_trap();
    if (!properties_inside(parsed->properties, blob)) __builtin_trap();
    for (const auto& row : parsed->recipients) {
      if (!properties_inside(row, blob)) __builtin_trap();
    }
    for (const auto& attribute : parsed->attributes) {
      if (!inside(attribute.data, blob)) __builtin_trap();
    }
    for (const auto& a : parsed->attachments) {
      if (!inside(a.data, blob) || !properties_inside(a.properties, blob)) __builtin_trap();
      for (const auto title : a.titles) {
        if (!inside(title, blob)) __builtin_trap();
      }
      for (const auto& attribute : a.attributes) {
        if (!inside(attribute.data, blob)) __builtin_trap();
      }
    }
  }
  SanitizeOptions options;
  options.keep_leaves = true;
  const std::string message = "Subject: tnef\r\nMIME-Version: 1.0\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\n"
                              "Content-Transfer-Encoding: binary\r\n\r\n" + std::string(blob);
  SanitizePlan plan = sanitize_message(message, options);
  if (plan.verdict != Verdict::kClean && plan.verdict != Verdict::kSanitized && plan.verdict != Verdict::kHeld) __builtin_trap();
  return 0;
}
