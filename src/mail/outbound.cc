#include "mail/outbound.h"

#include <gmime/gmime.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <ctime>

#include "cdr/cdr.h"
#include "mail/identifiers.h"
#include "mail/sanitize.h"
#include "mime/charset.h"
#include "mime/html_text.h"
#include "sandbox/sandbox.h"

namespace sanso::mail {
namespace {

// The longest scheme level right after "機密性" in the text ("【機密性3B】件名" → "3B").
std::string marked_level(std::string_view text, const std::vector<std::string>& levels) {
  static constexpr std::string_view kMark = "機密性";
  std::string best;
  for (std::size_t at = text.find(kMark); at != std::string_view::npos; at = text.find(kMark, at + kMark.size())) {
    std::string_view rest = text.substr(at + kMark.size());
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == ':')) rest.remove_prefix(1);
    for (const auto& level : levels) {
      if (rest.substr(0, level.size()) == level && level.size() > best.size()) best = level;
    }
    // Full-width digits are common in Japanese subjects: 機密性２.
    if (best.empty() && rest.size() >= 3 && static_cast<unsigned char>(rest[0]) == 0xEF && static_cast<unsigned char>(rest[1]) == 0xBC) {
      unsigned char d = static_cast<unsigned char>(rest[2]);
      if (d >= 0x90 && d <= 0x99) {
        std::string ascii(1, static_cast<char>('0' + d - 0x90));
        // A following full-width letter (Ａ–Ｃ: EF BC A1..A3) completes "3A".
        if (rest.size() >= 6 && static_cast<unsigned char>(rest[3]) == 0xEF && static_cast<unsigned char>(rest[4]) == 0xBC) {
          unsigned char l = static_cast<unsigned char>(rest[5]);
          if (l >= 0xA1 && l <= 0xBA) ascii.push_back(static_cast<char>('A' + l - 0xA1));
        }
        for (const auto& level : levels) {
          if ((level == ascii || level == ascii.substr(0, 1)) && level.size() > best.size()) best = level;
        }
      }
    }
  }
  return best;
}

void add_matches(std::vector<OutboundFinding>& out, std::string_view text, const std::string& where) {
  for (auto& m : find_identification_numbers(text)) out.push_back({m.kind, m.masked, where});
}

}  // namespace

OutboundScan scan_outbound(std::string_view raw, const std::vector<std::string>& levels) {
  OutboundScan scan;
  SanitizeOptions options;
  options.attachment_action = AttachmentAction::kSanitize;  // keeps the attachments' bytes in the plan
  options.keep_headers.push_back("X-Classification");
  SanitizePlan plan = plan_message(raw, options);
  scan.subject = plan.subject;
  scan.from = plan.from;
  scan.message_id = plan.message_id;
  if (plan.verdict == Verdict::kHeld && plan.parts.empty()) {
    scan.error = plan.reason;
    return scan;
  }
  scan.classification = marked_level(plan.subject, levels);
  for (const auto& h : plan.headers) {
    if (h.name.size() == 16 && (h.name == "X-Classification" || h.name == "x-classification")) {
      std::string value = h.value;
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      for (const auto& level : levels) {
        if (value == level || value == "機密性" + level) scan.classification = level;
      }
    }
  }
  add_matches(scan.identifiers, plan.subject, "subject");
  add_matches(scan.identifiers, plan.body, "body");
  for (const auto& [index, bytes] : plan.pending) {
    const std::string& name = plan.parts[index].name;
    scan.attachments.push_back(name);
    add_matches(scan.identifiers, cdr::extract_text(bytes, name), name);
  }
  for (const auto& p : plan.parts) {
    if (p.action == PartAction::kRemoved && !p.name.empty()) scan.attachments.push_back(p.name);
  }
  return scan;
}

std::string scan_to_json(const OutboundScan& s) {
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& f : s.identifiers) ids.push_back({{"kind", to_string(f.kind)}, {"masked", f.masked}, {"where", f.where}});
  nlohmann::json j{{"subject", s.subject}, {"from", s.from},       {"message_id", s.message_id}, {"classification", s.classification},
                   {"identifiers", ids},   {"attachments", s.attachments}, {"error", s.error}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<OutboundScan> scan_from_json(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("mail.scan", "", "the outbound scan's answer is not JSON");
  try {
    OutboundScan s;
    s.subject = j.at("subject").get<std::string>();
    s.from = j.at("from").get<std::string>();
    s.message_id = j.at("message_id").get<std::string>();
    s.classification = j.at("classification").get<std::string>();
    for (const auto& f : j.at("identifiers")) {
      auto kind = parse_number_kind(f.at("kind").get<std::string>(), "outbound scan JSON identifiers[].kind");
      if (!kind) return make_error("mail.scan", kind.error().where, "the outbound scan's answer is broken: " + kind.error().message);
      s.identifiers.push_back({*kind, f.at("masked").get<std::string>(), f.at("where").get<std::string>()});
    }
    s.attachments = j.at("attachments").get<std::vector<std::string>>();
    s.error = j.at("error").get<std::string>();
    return s;
  } catch (const std::exception& e) {
    return make_error("mail.scan", "", std::string("the outbound scan's answer is incomplete: ") + e.what());
  }
}

namespace {

void prepare_scan_sandbox() {
  setenv("TZ", "UTC", 1);
  tzset();
  g_mime_init();
  mime::prepare_charsets();
  (void)mime::html_to_text("<p>warm</p>");
}

sandbox::Limits scan_limits() {
  sandbox::Limits limits;
  limits.timeout = std::chrono::seconds(60);
  limits.memory_bytes = std::size_t{2} << 30;
  return limits;
}

// Fail closed: a scan that did not come back is an error the gateway holds the message for.
OutboundScan from_answer(Result<std::string> answer) {
  Result<OutboundScan> scan = answer ? scan_from_json(*answer) : Result<OutboundScan>(answer.error());
  if (scan) return std::move(scan).value();
  OutboundScan failed;
  failed.error = scan.error().message + " [" + scan.error().code + "]";
  return failed;
}

}  // namespace

sandbox::Task outbound_scan_task(const std::vector<std::string>& levels) {
  mime::preload_charsets();  // once per process; every sandboxed child inherits the converters
  return sandbox::Task{[levels](std::string_view in) -> Result<std::string> { return scan_to_json(scan_outbound(in, levels)); }, &prepare_scan_sandbox,
                       scan_limits(), 200};
}

OutboundScan scan_outbound_sandboxed(sandbox::Executor& scanner, std::string_view raw) { return from_answer(scanner.run(raw)); }

}  // namespace sanso::mail
