#include "transfer/transfer_json.h"

#include "cdr/cdr.h"
#include "core/clock.h"
#include "mail/identifiers.h"

namespace sanso::transfer {

namespace {

// A stored finding's label; a word this engine does not know is shown as it is.
std::string finding_label(const std::string& kind, std::string_view lang) {
  auto parsed = cdr::parse_finding_kind(kind, "transfer");
  return parsed ? std::string(cdr::label(*parsed, lang)) : kind;
}

}  // namespace

nlohmann::json to_json(const Transfer& t) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : t.files) {
    auto findings = nlohmann::json::parse(f.findings_json, nullptr, false);
    if (!findings.is_array()) findings = nlohmann::json::array();
    for (auto& x : findings) {
      if (x.is_object() && x.contains("kind") && x["kind"].is_string()) {
        x["label_ja"] = finding_label(x["kind"].get<std::string>(), "ja");
        x["label_en"] = finding_label(x["kind"].get<std::string>(), "en");
      }
    }
    files.push_back({{"position", f.position}, {"name", f.name}, {"size", f.size}, {"sha256", f.sha256}, {"quarantine_id", f.quarantine_id},
                     {"verdict", f.verdict}, {"reason", f.reason}, {"findings", findings}, {"output_name", f.output_name},
                     {"output_sha256", f.output_sha256}, {"awaits_password", f.awaits_password()}, {"unlock_attempts", f.unlock_attempts}});
  }
  return {{"id", t.id},
          {"from", t.from_zone},
          {"to", t.to_zone},
          {"sender", t.sender},
          {"recipient", t.recipient},
          {"reason", mail::mask_identification_numbers(t.reason)},
          {"state", std::string(to_string(t.state))},
          {"action", t.action},
          {"rule", t.rule_id},
          {"clause", t.clause},
          {"hold_reason", t.hold_reason},
          {"approver_role", t.approver_role},
          {"decided_by", t.decided_by},
          {"decision_note", t.decision_note},
          {"created_at", iso_utc(t.created_at)},
          {"expires_at", iso_utc(t.expires_at)},
          {"link_issued", t.link_issued},
          {"files", files}};
}

}  // namespace sanso::transfer
