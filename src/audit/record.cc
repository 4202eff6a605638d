// The canonical record of an event (RFC 8785; docs/audit-format.md).
#include "audit/log.h"

#include <nlohmann/json.hpp>

#include "audit/canonical_json.h"
#include "core/clock.h"

namespace sanso::audit {

Result<std::string> make_record(const store::AuditEvent& e, std::uint64_t index, const std::string& node,
                                const std::string& policy_sha256) {
  nlohmann::json r = {{"v", 1}, {"seq", index}, {"time", iso_utc(e.time)}, {"node", node}, {"actor", e.actor}, {"action", e.action}};
  auto put = [&](const char* key, const std::string& value) {
    if (!value.empty()) r[key] = value;
  };
  put("subject", e.subject);
  put("outcome", e.outcome);
  put("rule", e.rule_id);
  put("clause", e.clause);
  put("input_sha256", e.input_sha256);
  put("output_sha256", e.output_sha256);
  put("policy_sha256", policy_sha256);
  if (!e.details.empty()) {
    nlohmann::json d = nlohmann::json::object();
    for (const auto& [k, v] : e.details) d[k] = v;
    r["details"] = std::move(d);
  }
  std::string out = SANSO_TRY(canonical_json(r));
  if (out.size() > kMaxRecordBytes) {
    // Long free text (a reason, a note) is cut rather than losing the record; the cut is marked.
    for (auto& [k, v] : r["details"].items()) {
      std::string s = v.get<std::string>();
      if (s.size() <= 1024) continue;
      std::size_t cut = 1024;
      while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
      v = s.substr(0, cut) + "…";
      r["truncated"] = true;
    }
    out = SANSO_TRY(canonical_json(r));
    if (out.size() > kMaxRecordBytes) {
      return make_error("audit.record-too-large", e.action, "an audit record may not exceed 64 KiB");
    }
  }
  return out;
}

}  // namespace sanso::audit
