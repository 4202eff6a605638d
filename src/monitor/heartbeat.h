// The collector's heartbeat: an audit record (`monitor.heartbeat`) when `sanso monitor listen`
// starts, every hour while it runs, and when it stops, with the flows it received since the one
// before. A period without them is a period nobody watched: the automatic inspection item
// `monitor-heartbeat` (src/inspect) fails on it and cites the records on either side of the gap.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/audit_sink.h"

namespace sanso::monitor {

inline constexpr std::int64_t kHeartbeatSeconds = 3600;

class Heartbeat {
 public:
  explicit Heartbeat(std::string actor) : actor_(std::move(actor)) {}

  void count_flow() { ++flows_; }

  // The record due at `now`: "started" at the first call, then "alive" every kHeartbeatSeconds.
  std::optional<store::AuditEvent> due(std::int64_t now);
  // The last record, when the collector stops.
  store::AuditEvent stopped(std::int64_t now);

 private:
  store::AuditEvent event(const char* outcome, std::int64_t now);

  std::string actor_;
  std::int64_t last_ = 0;  // 0: not started
  std::uint64_t flows_ = 0;
};

}  // namespace sanso::monitor
