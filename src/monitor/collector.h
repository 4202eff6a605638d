// The listeners of `sanso monitor listen`: syslog over UDP and TCP (one message a datagram, or
// newline-framed on TCP) carrying firewall logs, and NetFlow v5/v9 + IPFIX over UDP. One thread,
// one poll loop; every message that is not a flow is counted, never fatal.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "monitor/netflow.h"
#include "monitor/parsers.h"

namespace sanso::monitor {

struct CollectorOptions {
  std::string syslog_udp;  // "host:port" ("[::1]:514", "0.0.0.0:5514"); empty: off
  std::string syslog_tcp;
  std::string ipfix_udp;
  Format syslog_format = Format::kSyslog;
  ParserContext context;
  // What "now" is while the collector runs (the parsers' year for RFC 3164 times, the bound on
  // times a sender may claim); nullptr: the machine's clock.
  const Clock* clock = nullptr;
};

// How far ahead of the collector's clock a flow's claimed start may be (exporters' clocks drift).
// Beyond it the time is the one it arrived at: a datagram claiming a time in the future would
// otherwise carry a host's volume bucket past every real flow of it (all of them then "late") and
// date a stored finding ahead so that the real ones are adopted into it.
inline constexpr std::int64_t kMaxFutureSkewSeconds = 300;

struct CollectorStats {
  std::uint64_t syslog_messages = 0;
  std::uint64_t ipfix_datagrams = 0;
  std::uint64_t flows = 0;
  std::uint64_t malformed = 0;  // messages or datagram parts rejected
  std::uint64_t records_without_template = 0;
  std::uint64_t future_dated = 0;  // flows whose claimed time lay beyond kMaxFutureSkewSeconds
  std::uint64_t tcp_dropped = 0;   // syslog/TCP connections refused or closed (per-peer share, full, silent)
};

// Where a flow came from: 0 syslog/UDP, 1 syslog/TCP, 2 NetFlow/IPFIX; and the message's number.
struct FlowSource {
  std::uint32_t listener = 0;
  std::uint64_t sequence = 0;
};

class Collector {
 public:
  using OnFlow = std::function<void(const Flow&, FlowSource)>;
  using OnProblem = std::function<void(const std::string&)>;

  // Binds every configured listener; an Error names the one that could not be bound.
  static Result<std::unique_ptr<Collector>> open(const CollectorOptions& options);
  ~Collector();

  // Until `stop` is set: reads, parses, and hands each flow over. `tick` runs about once a second.
  Result<void> run(const std::atomic<bool>& stop, const OnFlow& on_flow, const OnProblem& on_problem, const std::function<void()>& tick);

  // The ports actually bound (a listener given port 0 gets one from the kernel); 0 when off.
  std::uint16_t syslog_udp_port() const;
  std::uint16_t syslog_tcp_port() const;
  std::uint16_t ipfix_udp_port() const;
  const CollectorStats& stats() const { return stats_; }
  static std::vector<std::string> listener_names() { return {"syslog/udp", "syslog/tcp", "netflow/udp"}; }

 private:
  struct State;
  explicit Collector(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  CollectorStats stats_;
};

}  // namespace sanso::monitor
