#include "monitor/heartbeat.h"

#include "core/clock.h"

namespace sanso::monitor {

std::optional<store::AuditEvent> Heartbeat::due(std::int64_t now) {
  if (last_ == 0) return event("started", now);
  if (now - last_ < kHeartbeatSeconds) return std::nullopt;
  return event("alive", now);
}

store::AuditEvent Heartbeat::stopped(std::int64_t now) { return event("stopped", now); }

store::AuditEvent Heartbeat::event(const char* outcome, std::int64_t now) {
  store::AuditEvent e;
  e.time = now;
  e.actor = actor_;
  e.action = "monitor.heartbeat";
  e.subject = "collector";
  e.outcome = outcome;
  e.clause = "6(3)③";
  e.details = {{"flows", std::to_string(flows_)}, {"since", last_ == 0 ? std::string() : iso_utc(last_)}};
  last_ = now;
  flows_ = 0;
  return e;
}

}  // namespace sanso::monitor
