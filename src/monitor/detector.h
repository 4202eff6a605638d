// The checks every flow goes through, and the findings they raise: each names its rule and the
// policy clause, is deduplicated in a time window (first seen, last seen, count), and is handed
// to the caller when its window closes (or at flush), so memory stays bounded however long the
// stream is.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "monitor/address_plan.h"
#include "monitor/flow.h"
#include "monitor/indicators.h"

namespace sanso::monitor {

enum class Rule : std::uint8_t { kMynumberEgress, kMynumberIngress, kLgwanInternet, kUnzonedAddress, kIndicator, kVolume };
inline constexpr int kRuleCount = 6;

struct RuleInfo {
  std::string_view id;        // "mynumber-egress"
  std::string_view kind;      // "separation", "unknown-device", "indicator", "volume"
  std::string_view clause;    // "6(3)①"
  bool deny;                  // a breach (exit 1 from `sanso monitor scan`), not only a warning
  std::string_view ja;
  std::string_view en;
};
const RuleInfo& info(Rule rule);

struct Finding {
  Rule rule = Rule::kMynumberEgress;
  Address128 src = 0;
  Address128 dst = 0;
  std::uint16_t dport = 0;
  std::uint8_t proto = kProtoUnknown;
  ZoneIndex src_zone = 0;
  ZoneIndex dst_zone = 0;
  std::int64_t first_seen = 0;
  std::int64_t last_seen = 0;
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  std::uint32_t file = 0;  // the caller's index of the input it was first seen in
  std::uint64_t line = 0;  // and the line (or datagram) there
  std::string detail;      // the indicator list; the volume against the baseline
  // Set by an Open hook that keeps findings in a store: the row, and the count already there.
  std::int64_t store_id = 0;
  std::uint64_t stored_count = 0;
};

struct DetectorSettings {
  std::int64_t window_seconds = 3600;       // the same finding within this is counted, not repeated
  std::int64_t volume_bucket_seconds = 3600;
  double volume_factor = 10.0;              // a bucket this many times the host's baseline ...
  std::uint64_t volume_min_bytes = 100ull << 20;  // ... and at least this many bytes
  int volume_min_history = 3;               // buckets seen before a host has a baseline
  std::size_t max_open_findings = 100000;
  std::size_t max_tracked_hosts = 1u << 20;
};

struct DetectorStats {
  std::uint64_t flows = 0;
  std::vector<std::uint64_t> pairs;  // [src place * place_count + dst place]
  std::array<std::uint64_t, kRuleCount> findings{};     // findings handed out, per rule
  std::array<std::uint64_t, kRuleCount> occurrences{};  // flows that raised them
  std::uint64_t hosts_untracked = 0;  // internal hosts beyond max_tracked_hosts (no volume baseline)
};

class Detector {
 public:
  using Emit = std::function<void(const Finding&)>;
  Detector(const AddressPlan& plan, const IndicatorSet* indicators, DetectorSettings settings, Emit emit);

  void observe(const Flow& flow, std::uint32_t file, std::uint64_t line);
  // The same as observe() for each flow in order (lines[i] is flows[i]'s line), but first asks
  // the memory for every flow's host record: the volume table is tens of MiB, looked up at a
  // random place per flow, and one cache and TLB miss after another was most of a scan's time;
  // asked for together, the misses overlap.
  void observe_batch(std::span<const Flow> flows, std::uint32_t file, std::span<const std::uint64_t> lines);
  // The two halves of observe_batch, for a caller that can put work between them: asks the
  // memory for each flow's host record, and observes flows in order without asking. A scan asks
  // for one batch's records and then observes the batch before it, so that the records have a
  // batch's parsing (some 3 µs) to arrive instead of the first flows' few nanoseconds.
  void prefetch(std::span<const Flow> flows) const;
  void observe_each(std::span<const Flow> flows, std::uint32_t file, std::span<const std::uint64_t> lines) {
    for (std::size_t i = 0; i < flows.size(); ++i) observe(flows[i], file, lines[i]);
  }
  static constexpr std::size_t kBatch = 32;  // enough misses in flight to hide the latency
  // Hands out every open finding (end of input, or shutdown).
  void flush();
  // Hands out the findings whose window has closed by the latest flow's time (a collector's tick).
  void expire() { sweep(false); }
  const DetectorStats& stats() const { return stats_; }
  const AddressPlan& plan() const { return plan_; }
  void set_indicators(const IndicatorSet* indicators) { indicators_ = indicators; }
  // Called when a finding opens (its first flow in a window), before any more flows count: a
  // collector persists it there, or adopts the same finding a previous run already stored.
  using Open = std::function<void(Finding&)>;
  void set_on_open(Open on_open) { on_open_ = std::move(on_open); }

 private:
  struct Key {
    Address128 a, b;
    std::uint16_t port;
    std::uint8_t proto;
    Rule rule;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  // A host's volume record. In the IPv4 table (nearly every host) it is the whole slot, its
  // address and `used` in what would be padding: 32 bytes, two to a cache line. The table is
  // read at a random place for every flow, and at 64 bytes a slot it was twice the memory to miss in.
  struct HostVolume {
    std::int64_t bucket = INT64_MIN;  // start of the current bucket
    std::uint64_t bytes = 0;          // in the current bucket
    double baseline = 0;              // mean bytes per active bucket (exponentially weighted)
    std::uint32_t v4 = 0;             // the IPv4 table's slot: its address
    std::uint16_t history = 0;        // buckets folded into the baseline (stays at 65535)
    bool flagged = false;             // the current bucket already raised a finding
    bool used = false;                // the slot holds a host
  };
  static_assert(sizeof(HostVolume) == 32);

  // The host's volume record, created when new; nullptr beyond max_tracked_hosts.
  HostVolume* host(Address128 address);
  void raise(Rule rule, const Flow& flow, ZoneIndex src_zone, ZoneIndex dst_zone, std::uint32_t file, std::uint64_t line,
             Address128 key_a, Address128 key_b, std::uint16_t key_port, std::uint8_t key_proto, std::string_view detail = {});
  void volume(const Flow& flow, ZoneIndex src_zone, ZoneIndex dst_zone, std::uint32_t file, std::uint64_t line);
  void sweep(bool everything);
  void hand_out(Finding& f);

  const AddressPlan& plan_;
  const IndicatorSet* indicators_;
  DetectorSettings settings_;
  Emit emit_;
  Open on_open_;
  DetectorStats stats_;
  std::unordered_map<Key, Finding, KeyHash> open_;
  // Open addressing with linear probing: one flat array, looked up for nearly every flow, where a
  // node-based map spent a third of the scan's time in cache misses. IPv4 hosts in one table of
  // HostVolume slots, every other address in one of HostSlot6. An IPv4 host's probe starts at
  // the first slot of its home's 64-byte line, and the four slots of that line and the next (the
  // two lines prefetch() asks for) are looked at at once: nearly every host is in them.
  struct HostSlot6 {
    Address128 address = 0;
    HostVolume volume;
  };
  // Memory for the slots, on huge pages where the kernel gives them (the table is tens of MiB
  // read at random: with 4 KiB pages nearly every look-up also missed the TLB).
  struct SlotMemory {
    SlotMemory() noexcept : bytes(0) {}
    explicit SlotMemory(std::size_t b) noexcept : bytes(b) {}
    template <typename Slot>
    void operator()(Slot* slots) const { release(slots); }
    static void* allocate(std::size_t bytes);
    void release(void* slots) const;
    std::size_t bytes;
  };
  template <typename Slot>
  struct HostTable {
    std::unique_ptr<Slot[], SlotMemory> slots;
    std::size_t capacity = 0;  // a power of two; 0 before the first host
    std::size_t count = 0;     // hosts in it
  };
  template <typename Slot, typename Address>
  HostVolume* find_or_add(HostTable<Slot>& table, Address address);
  HostTable<HostVolume> hosts4_;
  HostTable<HostSlot6> hosts6_;
  std::size_t host_count_ = 0;  // in both tables
  std::int64_t latest_ = INT64_MIN;
  std::uint64_t since_sweep_ = 0;
  // No open finding was last seen before this (INT64_MAX: none is open). A finding's last_seen
  // only grows, so a sweep that cannot close anything is known without walking open_: a scan
  // whose findings stay open (a log shorter than the window) walked thousands of them every
  // 65,536 flows, 3-4 % of the scan.
  std::int64_t open_floor_ = INT64_MAX;
};

}  // namespace sanso::monitor
