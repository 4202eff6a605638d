// Mail to the security manager (情報セキュリティ管理者) about deny findings, through the relay
// the quarantine's notices use. Findings are gathered into batches, one mail a batch, at most one
// mail per interval: under a flood of forged flows the mails stay bounded, each listing its first
// findings and counting the rest per rule. A mail carries no text the logs supplied in its header
// (the subject is fixed words, counts and clauses); the body is base64 and its text shown with
// controls made visible, so no forged host name or field can add a header or a line that reads
// as Sanso's own.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "mime/notice_mail.h"
#include "monitor/detector.h"
#include "store/audit_sink.h"

namespace sanso::monitor {

struct NotifySettings {
  std::vector<std::string> to;  // the security manager's addresses; empty: no mail
  std::string from = "postmaster";
  std::string node;             // this collector, named in the mail
  std::int64_t interval_seconds = 300;  // at most one mail per interval
  std::int64_t gather_seconds = 10;     // a batch waits this long after its first finding for the rest of a burst
  std::size_t max_listed = 20;          // findings listed in one mail; the rest are counted per rule
};

// One mail, ready for the relay.
struct Notice {
  std::string message_id;  // "<…@node>"
  std::string from;
  std::vector<std::string> to;
  std::string message;     // RFC 5322 with CRLF line ends
  std::uint64_t findings = 0;  // in the batch
  std::size_t listed = 0;      // of them, listed one by one
  std::array<std::uint64_t, kRuleCount> per_rule{};
  Rule first_rule = Rule::kMynumberEgress;  // the batch's most serious rule (the lowest clause)
};

class Notifier {
 public:
  Notifier(const AddressPlan& plan, NotifySettings settings);

  bool enabled() const { return !settings_.to.empty(); }
  // A finding to tell about: deny findings only (warnings stay in the audit log and console).
  // `source` names where it was seen; shown in the body only, made visible.
  void add(const Finding& f, std::string_view source, std::int64_t now);
  // The mail to send now, if a batch waits, its gathering time has passed and the last mail is an
  // interval ago; `force` ignores both times (end of a scan, shutdown). Until `finished` is
  // called the batch is in flight, and new findings gather into the next one.
  std::optional<Notice> due(std::int64_t now, bool force = false);
  // The in-flight mail's outcome: delivered, it is done; not, its findings go back to the front
  // of the next batch (bounded as ever) and are tried again an interval later.
  void finished(bool delivered, std::int64_t now);
  bool in_flight() const { return in_flight_.has_value(); }
  std::uint64_t waiting() const { return pending_.total; }

 private:
  struct Listed {
    Finding finding;
    std::string source;
  };
  struct Batch {
    std::vector<Listed> listed;
    std::array<std::uint64_t, kRuleCount> per_rule{};
    std::uint64_t total = 0;
    std::int64_t first_added = 0;
  };
  Result<mime::ComposedNotice> compose(const Batch& b, std::int64_t now) const;

  const AddressPlan& plan_;
  NotifySettings settings_;
  Batch pending_;
  std::optional<Batch> in_flight_;
  std::optional<std::int64_t> last_attempt_;
};

// The audit event of one mail attempt (action "monitor.notify", docs/audit-format.md): outcome
// "sent" with the relay's reply, or "failed" with its error.
store::AuditEvent notice_event(const Notice& n, const Result<std::string>& sent, const std::string& relay, const std::string& actor, std::int64_t now);

}  // namespace sanso::monitor
