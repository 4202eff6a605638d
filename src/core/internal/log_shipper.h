// The syslog and journal side of core/log: RFC 5424 lines and journal fields, sent from a thread
// of their own so that no service waits for a log server.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/log.h"
#include "core/result.h"

namespace sanso::log::internal {

// An event already masked and made visible (core/log.cc's `clean`).
struct Line {
  Level level = Level::kInfo;
  bool notice = false;  // RFC 5424 severity 5 (an audit entry), not the level's
  std::string name;     // printable ASCII, at most 32 bytes
  std::string message;
  std::int64_t unix_micros = 0;
  std::vector<std::pair<std::string, std::string>> fields;  // keys [A-Za-z0-9_]
};

struct Target {
  enum class Kind { kUdp, kTcp, kUnix } kind = Kind::kUdp;
  std::string host;  // or the socket's path
  int port = 0;
};

Result<Target> parse_target(std::string_view text);
std::optional<int> facility_code(std::string_view name);
std::string format_rfc5424(const Line& line, int facility, std::string_view hostname, long pid);

class Shipper {
 public:
  Shipper(std::optional<Target> syslog, bool journal);
  ~Shipper();  // sends what is queued, for a few seconds at most, then stops
  Shipper(const Shipper&) = delete;
  Shipper& operator=(const Shipper&) = delete;

  void push(Line line, const std::string& facility, const std::string& hostname);
  // A forked child (a sandbox worker) has the parent's Shipper but not its thread: it neither
  // queues nor joins.
  bool owned_by_this_process() const;

 private:
  struct Queued {
    Line line;
    int facility = 3;
    std::string hostname;
    bool journaled = false;  // sent to the journal already (a syslog retry must not repeat it there)
  };
  void run();
  bool send_syslog(const std::string& text);
  void send_journal(const Line& line);
  void close_socket();

  std::optional<Target> syslog_;
  bool journal_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Queued> queue_;
  std::uint64_t dropped_ = 0;
  bool stopping_ = false;
  int fd_ = -1;
  long pid_;
  std::thread thread_;
};

}  // namespace sanso::log::internal
