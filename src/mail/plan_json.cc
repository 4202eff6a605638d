#include "mail/sanitize.h"
#include "mail/plan_report.h"

#include <glib.h>

#include <nlohmann/json.hpp>

#include <optional>

#include "core/text.h"

#include "mail/identifiers.h"
#include "mail/internal/message_text.h"
#include "mail/internal/plan_report.h"
#include "mime/charset.h"

namespace sanso::mail {

namespace internal {
std::string to_base64(const std::string& bytes) {
  gchar* b64 = g_base64_encode(reinterpret_cast<const guchar*>(bytes.data()), bytes.size());
  std::string out = b64 != nullptr ? b64 : "";
  g_free(b64);
  return out;
}
std::string from_base64(const std::string& text) {
  gsize n = 0;
  guchar* raw = g_base64_decode(text.c_str(), &n);
  std::string out(reinterpret_cast<const char*>(raw), n);
  g_free(raw);
  return out;
}
}  // namespace internal

namespace {
using internal::from_base64;
using internal::to_base64;
// A bad word in the sandbox's answer is the same failure as any other broken answer ("mail.plan").
template <typename T>
Result<T> as_plan_error(Result<T> parsed) {
  if (parsed) return parsed;
  return make_error("mail.plan", parsed.error().where, "the sanitizer's answer is broken: " + parsed.error().message);
}
}  // namespace

namespace {

enum class PlanJson { kReport, kMaskedReport, kWithBody, kBoundary };

// Every string of `j` masked where it stands (mask_identification_numbers_in_json's rule: strings
// are the sender's, numbers the program's), so that the report is written once, not written,
// parsed again and rewritten: a kept mail's report was both, for every message of a batch. The
// keys here are the program's own words and hold no number.
void mask_strings(nlohmann::json& j) {
  if (j.is_string()) {
    j = mask_identification_numbers(j.get_ref<const std::string&>());
  } else if (j.is_structured()) {
    for (auto& v : j) mask_strings(v);
  }
}

std::string plan_json(const SanitizePlan& plan, PlanJson what) {
  const bool with_bytes = what == PlanJson::kBoundary;
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& p : plan.parts) {
    parts.push_back({{"path", p.path}, {"type", p.type}, {"charset", p.charset}, {"decoded_as", p.decoded_as}, {"size", p.size},
                     {"name", p.name}, {"action", to_string(p.action)}, {"flags", p.flags}});
  }
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& h : plan.headers) headers.push_back({h.name, h.value});
  nlohmann::json attachments = nlohmann::json::array();
  for (const auto& a : plan.attachments) {
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& f : a.findings) findings.push_back({{"kind", cdr::to_string(f.kind)}, {"location", f.location}, {"action", cdr::to_string(f.action)}, {"severity", to_string(cdr::severity_of(f.kind))}});
    nlohmann::json item{{"part", a.part}, {"name", a.name}, {"content_type", a.content_type}, {"size", a.bytes.size()}, {"findings", findings}};
    if (with_bytes) item["bytes"] = to_base64(a.bytes);
    attachments.push_back(std::move(item));
  }
  nlohmann::json parser_findings = nlohmann::json::array();
  for (const auto& f : plan.parser_findings) {
    parser_findings.push_back({{"severity", to_string(f.severity)}, {"kind", kind_name(f)}, {"item", f.item}, {"offset", f.offset}, {"count", f.count}});
  }
  nlohmann::json from_mailboxes = nlohmann::json::array();
  for (const auto& m : plan.from_mailboxes) from_mailboxes.push_back({{"name", m.name}, {"address", m.address}});
  nlohmann::json sender_findings = nlohmann::json::array();
  for (const auto& f : plan.sender_findings) {
    sender_findings.push_back({{"kind", to_string(f.kind)}, {"display_name", f.display_name}, {"address", f.address}, {"matched", f.matched}});
  }
  nlohmann::json j{{"verdict", to_string(plan.verdict)}, {"reason", plan.reason}, {"headers", headers},
                   {"parts", parts}, {"warnings", plan.warnings}, {"parser_findings", parser_findings}, {"replaced_characters", plan.replaced_characters},
                   {"subject", plan.subject}, {"from", plan.from}, {"message_id", plan.message_id}, {"to", plan.to},
                   {"from_mailboxes", from_mailboxes}, {"sender_findings", sender_findings},
                   {"banner_lookalike_lines", plan.banner_lookalike_lines}, {"attachments", attachments}};
  const bool report = what == PlanJson::kReport || what == PlanJson::kMaskedReport;
  if (!report) j["body"] = plan.body;
  if (with_bytes) {
    nlohmann::json pending = nlohmann::json::array();
    for (const auto& [index, bytes] : plan.pending) pending.push_back({{"part", index}, {"bytes", to_base64(bytes)}});
    j["pending"] = pending;
  }
  if (what == PlanJson::kMaskedReport) mask_strings(j);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string plan_to_json(const SanitizePlan& plan, bool with_bytes) { return plan_json(plan, with_bytes ? PlanJson::kBoundary : PlanJson::kWithBody); }

std::string plan_report_json(const SanitizePlan& plan) { return plan_json(plan, PlanJson::kReport); }

namespace {

// The masked report written straight out, byte for byte as the document road dumps it — the keys in
// the order its objects keep them (sorted), no spaces, the same escapes — without building a
// document, masking it and dumping it: a kept mail's report is written for every message of a
// batch. Every string is masked, the program's words too, as mask_strings does.
class MaskedReportWriter {
 public:
  // nullopt when a string is not valid UTF-8 once masked: the document road replaces such bytes as
  // nlohmann does, and is taken then.
  std::optional<std::string> write(const SanitizePlan& plan) {
    out_.reserve(1024);
    out_ += '{';
    key("attachments", true);
    list(plan.attachments, [&](const SanitizedAttachment& a) {
      out_ += '{';
      key("content_type", true); text(a.content_type);
      key("findings"); list(a.findings, [&](const cdr::Finding& f) {
        out_ += '{';
        key("action", true); text(cdr::to_string(f.action));
        key("kind"); text(cdr::to_string(f.kind));
        key("location"); text(f.location);
        key("severity"); text(to_string(cdr::severity_of(f.kind)));
        out_ += '}';
      });
      key("name"); text(a.name);
      key("part"); number(a.part);
      key("size"); number(a.bytes.size());
      out_ += '}';
    });
    key("banner_lookalike_lines"); number(plan.banner_lookalike_lines);
    key("from"); text(plan.from);
    key("from_mailboxes"); list(plan.from_mailboxes, [&](const Mailbox& m) {
      out_ += '{';
      key("address", true); text(m.address);
      key("name"); text(m.name);
      out_ += '}';
    });
    key("headers"); list(plan.headers, [&](const Header& h) {
      out_ += '[';
      text(h.name);
      out_ += ',';
      text(h.value);
      out_ += ']';
    });
    key("message_id"); text(plan.message_id);
    key("parser_findings"); list(plan.parser_findings, [&](const ParserFinding& f) {
      out_ += '{';
      key("count", true); number(f.count);
      key("item"); text(f.item);
      key("kind"); text(kind_name(f));
      key("offset"); number(f.offset);
      key("severity"); text(to_string(f.severity));
      out_ += '}';
    });
    key("parts"); list(plan.parts, [&](const PartReport& p) {
      out_ += '{';
      key("action", true); text(to_string(p.action));
      key("charset"); text(p.charset);
      key("decoded_as"); text(p.decoded_as);
      key("flags"); list(p.flags, [&](const std::string& f) { text(f); });
      key("name"); text(p.name);
      key("path"); text(p.path);
      key("size"); number(p.size);
      key("type"); text(p.type);
      out_ += '}';
    });
    key("reason"); text(plan.reason);
    key("replaced_characters"); number(plan.replaced_characters);
    key("sender_findings"); list(plan.sender_findings, [&](const SenderFinding& f) {
      out_ += '{';
      key("address", true); text(f.address);
      key("display_name"); text(f.display_name);
      key("kind"); text(to_string(f.kind));
      key("matched"); text(f.matched);
      out_ += '}';
    });
    key("subject"); text(plan.subject);
    key("to"); list(plan.to, [&](const std::string& t) { text(t); });
    key("verdict"); text(to_string(plan.verdict));
    key("warnings"); list(plan.warnings, [&](const std::string& w) { text(w); });
    out_ += '}';
    if (!valid_) return std::nullopt;
    return std::move(out_);
  }

 private:
  // The keys are the program's own words: no escapes, nothing to mask.
  void key(std::string_view k, bool first = false) {
    if (!first) out_ += ',';
    out_ += '"';
    out_ += k;
    out_ += "\":";
  }
  template <class Items, class Each>
  void list(const Items& items, Each each) {
    out_ += '[';
    bool first = true;
    for (const auto& item : items) {
      if (!first) out_ += ',';
      first = false;
      each(item);
    }
    out_ += ']';
  }
  template <class Integer>
  void number(Integer n) {
    out_ += std::to_string(n);
  }
  // Written with the escapes nlohmann's dump uses (ensure_ascii off); a string that is not UTF-8
  // once masked sends the report down the document road, which replaces its bad bytes.
  void text(std::string_view raw) {
    const std::string masked = mask_identification_numbers(raw);
    if (!is_valid_utf8(masked)) valid_ = false;
    append_json_string(out_, masked);
  }

  std::string out_;
  bool valid_ = true;
};

}  // namespace

std::string masked_plan_report_json(const SanitizePlan& plan) {
  if (auto written = MaskedReportWriter().write(plan)) return std::move(*written);
  return plan_json(plan, PlanJson::kMaskedReport);
}

namespace internal {
std::string masked_plan_report_json_by_document(const SanitizePlan& plan) { return plan_json(plan, PlanJson::kMaskedReport); }
}  // namespace internal

Result<SanitizePlan> plan_from_json(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("mail.plan", "", "the sanitizer's answer is not valid JSON");
  try {
    SanitizePlan plan;
    // An unknown word is a broken answer, never a guess: the caller holds the message.
    plan.verdict = SANSO_TRY(as_plan_error(parse_verdict(j.at("verdict").get<std::string>(), "plan JSON verdict")));
    plan.reason = j.at("reason").get<std::string>();
    for (const auto& h : j.at("headers")) plan.headers.push_back({h.at(0).get<std::string>(), h.at(1).get<std::string>()});
    plan.body = j.at("body").get<std::string>();
    for (const auto& p : j.at("parts")) {
      PartReport r;
      r.path = p.at("path").get<std::string>();
      r.type = p.at("type").get<std::string>();
      r.charset = p.at("charset").get<std::string>();
      r.decoded_as = p.at("decoded_as").get<std::string>();
      r.size = p.at("size").get<std::size_t>();
      r.name = p.at("name").get<std::string>();
      r.action = SANSO_TRY(as_plan_error(parse_part_action(p.at("action").get<std::string>(), "plan JSON parts[" + std::to_string(plan.parts.size()) + "].action")));
      r.flags = p.at("flags").get<std::vector<std::string>>();
      plan.parts.push_back(std::move(r));
    }
    plan.warnings = j.at("warnings").get<std::vector<std::string>>();
    if (j.contains("parser_findings")) {
      for (const auto& f : j.at("parser_findings")) {
        const FindingSeverity severity =
            SANSO_TRY(as_plan_error(parse_finding_severity(f.at("severity").get<std::string>(), "plan JSON parser_findings[].severity")));
        ParserFinding finding;
        finding.severity = severity;
        SANSO_TRY(as_plan_error(read_kind_name(finding, f.at("kind").get<std::string>(), "plan JSON parser_findings[].kind")));
        finding.item = f.at("item").get<std::string>();
        finding.offset = f.at("offset").get<std::int64_t>();
        finding.count = f.at("count").get<std::size_t>();
        plan.parser_findings.push_back(std::move(finding));
      }
    }
    plan.replaced_characters = j.at("replaced_characters").get<std::size_t>();
    plan.subject = j.at("subject").get<std::string>();
    plan.from = j.at("from").get<std::string>();
    plan.message_id = j.at("message_id").get<std::string>();
    plan.to = j.at("to").get<std::vector<std::string>>();
    if (j.contains("from_mailboxes")) {
      for (const auto& m : j.at("from_mailboxes")) plan.from_mailboxes.push_back({m.at("name").get<std::string>(), m.at("address").get<std::string>()});
    }
    if (j.contains("sender_findings")) {
      for (const auto& f : j.at("sender_findings")) {
        const SenderFindingKind kind = SANSO_TRY(as_plan_error(parse_sender_finding_kind(f.at("kind").get<std::string>(), "plan JSON sender_findings[].kind")));
        plan.sender_findings.push_back({kind, f.at("display_name").get<std::string>(), f.at("address").get<std::string>(),
                                        f.at("matched").get<std::string>()});
      }
    }
    if (j.contains("banner_lookalike_lines")) plan.banner_lookalike_lines = j.at("banner_lookalike_lines").get<std::size_t>();
    if (j.contains("attachments")) {
      for (const auto& a : j.at("attachments")) {
        SanitizedAttachment out;
        out.part = a.at("part").get<std::size_t>();
        out.name = a.at("name").get<std::string>();
        out.content_type = a.at("content_type").get<std::string>();
        if (a.contains("bytes")) out.bytes = from_base64(a.at("bytes").get<std::string>());
        for (const auto& f : a.at("findings")) {
          const cdr::FindingAction action = SANSO_TRY(as_plan_error(cdr::parse_finding_action(f.at("action").get<std::string>(), "plan JSON attachments[].findings[].action")));
          const cdr::FindingKind kind = SANSO_TRY(as_plan_error(cdr::parse_finding_kind(f.at("kind").get<std::string>(), "plan JSON attachments[].findings[].kind")));
          out.findings.push_back({kind, f.at("location").get<std::string>(), action});
        }
        plan.attachments.push_back(std::move(out));
      }
    }
    if (j.contains("pending")) {
      for (const auto& p : j.at("pending")) {
        std::size_t index = p.at("part").get<std::size_t>();
        if (index >= plan.parts.size()) return make_error("mail.plan", "", "the sanitizer's answer names a part that does not exist");
        plan.pending.emplace_back(index, from_base64(p.at("bytes").get<std::string>()));
      }
    }
    return plan;
  } catch (const std::exception& e) {
    return make_error("mail.plan", "", std::string("the sanitizer's answer is incomplete: ") + e.what());
  }
}

}  // namespace sanso::mail
