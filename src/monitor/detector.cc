#include "monitor/detector.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <type_traits>

#include <sys/mman.h>

namespace sanso::monitor {
namespace {

constexpr std::array<RuleInfo, kRuleCount> kRules = {{
    {"mynumber-egress", "separation", "6(3)①", true, "マイナンバー利用事務系から他の領域への通信", "a flow leaving the Individual Number zone"},
    {"mynumber-ingress", "separation", "6(3)①", true, "他の領域からマイナンバー利用事務系への通信", "a flow into the Individual Number zone from another zone"},
    {"lgwan-internet", "separation", "6(3)②", true, "LGWAN接続系とインターネットの間の、認められた経路（無害化等）を通らない通信",
     "LGWAN ↔ internet without a sanctioned endpoint (sanitizing gateway, relay, ...)"},
    {"unzoned-address", "unknown-device", "6(3)③", false, "市のアドレス範囲にあるが、どの領域にも属さない機器", "an address in the city's ranges that belongs to no zone"},
    {"indicator", "indicator", "6(3)③", true, "通報・脅威情報のリストにあるアドレスとの通信", "a flow with an address on an indicator list"},
    {"volume", "volume", "6(3)③", false, "端末の通信量が平常時を大きく超過", "a host's volume far above its own baseline"},
}};

std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

std::uint64_t hash128(Address128 a) { return mix(static_cast<std::uint64_t>(a) ^ mix(static_cast<std::uint64_t>(a >> 64))); }

}  // namespace

const RuleInfo& info(Rule rule) { return kRules[static_cast<int>(rule)]; }

std::size_t Detector::KeyHash::operator()(const Key& k) const {
  return mix(hash128(k.a) ^ (hash128(k.b) * 31) ^ (std::uint64_t{k.port} << 16) ^ (std::uint64_t{k.proto} << 8) ^ static_cast<std::uint64_t>(k.rule));
}

Detector::Detector(const AddressPlan& plan, const IndicatorSet* indicators, DetectorSettings settings, Emit emit)
    : plan_(plan), indicators_(indicators), settings_(settings), emit_(std::move(emit)) {
  stats_.pairs.assign(plan_.place_count() * plan_.place_count(), 0);
  settings_.window_seconds = std::max<std::int64_t>(settings_.window_seconds, 1);
  settings_.volume_bucket_seconds = std::max<std::int64_t>(settings_.volume_bucket_seconds, 1);
  // A host's history stays at 65535 buckets (HostVolume::history).
  settings_.volume_min_history = std::min(settings_.volume_min_history, int{UINT16_MAX});
}

void Detector::observe(const Flow& flow, std::uint32_t file, std::uint64_t line) {
  ++stats_.flows;
  latest_ = std::max(latest_, flow.time);
  const ZoneIndex s = plan_.zone_of(flow.src);
  const ZoneIndex d = plan_.zone_of(flow.dst);
  ++stats_.pairs[s * plan_.place_count() + d];

  const bool local = s == plan_.local() || d == plan_.local();
  // A one-direction record (NetFlow) may be the answer of a sanctioned endpoint: the same flow
  // seen from the other side, from the endpoint's address and port back to a zone it serves.
  auto sanctioned = [&] {
    if (plan_.sanctioned(flow, s)) return true;
    if (!flow.unidirectional) return false;
    Flow reply = flow;
    std::swap(reply.src, reply.dst);
    std::swap(reply.sport, reply.dport);
    return plan_.sanctioned(reply, d);
  };
  if (!local && s != d) {
    // 6(3)①: nothing crosses the mynumber zone's boundary unless the policy names the endpoint
    // and lets mynumber use it (which `sanso policy check` flags).
    if (s == plan_.mynumber() && !sanctioned()) {
      raise(Rule::kMynumberEgress, flow, s, d, file, line, flow.src, flow.dst, flow.dport, flow.proto);
    } else if (d == plan_.mynumber() && !sanctioned()) {
      raise(Rule::kMynumberIngress, flow, s, d, file, line, flow.src, flow.dst, flow.dport, flow.proto);
    }
    // 6(3)②: LGWAN and the internet meet only at a sanctioned endpoint (the destination, so that
    // the gateway host cannot open connections anywhere on the endpoint's behalf).
    const bool lgwan_internet = (s == plan_.lgwan() && plan_.is_internet(d)) || (d == plan_.lgwan() && plan_.is_internet(s));
    if (lgwan_internet && !sanctioned()) {
      raise(Rule::kLgwanInternet, flow, s, d, file, line, flow.src, flow.dst, flow.dport, flow.proto);
    }
  }
  // An unknown device: one finding per address per window, whoever it talks to.
  if (s == plan_.unzoned()) raise(Rule::kUnzonedAddress, flow, s, d, file, line, flow.src, 0, 0, 0);
  if (d == plan_.unzoned()) raise(Rule::kUnzonedAddress, flow, s, d, file, line, flow.dst, 0, 0, 0);

  if (indicators_ != nullptr && !indicators_->empty()) {
    if (const std::string* list = indicators_->match(flow.dst)) {
      raise(Rule::kIndicator, flow, s, d, file, line, flow.src, flow.dst, flow.dport, flow.proto, *list);
    } else if (const std::string* list_src = indicators_->match(flow.src)) {
      raise(Rule::kIndicator, flow, s, d, file, line, flow.src, flow.dst, flow.dport, flow.proto, *list_src);
    }
  }
  if (flow.bytes > 0 && s < plan_.place_count() - 3) volume(flow, s, d, file, line);

  if (++since_sweep_ >= 65536) {
    since_sweep_ = 0;
    sweep(false);
  }
}

void Detector::SlotMemory::release(void* slots) const {
  if (slots != nullptr) munmap(slots, bytes);
}

void* Detector::SlotMemory::allocate(std::size_t bytes) {
  constexpr std::size_t kHuge = 2u << 20;
  // Anonymous memory is zero, which is an empty slot (used = false): nothing to write, and pages
  // the table never reaches are never faulted in.
  void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::bad_alloc();
  if (bytes >= kHuge) (void)madvise(memory, bytes, MADV_HUGEPAGE);  // a hint: 4 KiB pages work too
  return memory;
}

namespace {

// Where a host's slot is looked for first.
std::uint64_t slot_hash(std::uint32_t v4) { return mix(v4); }
std::uint64_t slot_hash(Address128 address) { return hash128(address); }

bool is_v4(Address128 address) { return (address >> 32) == 0xffff; }

// Where a host's probe starts. An IPv4 slot is 32 bytes, two to a 64-byte line (the table starts
// on a page): its probe starts at the line's first slot, so that the slots of the lines the batch
// asked for are looked at together (find_or_add). Inserting, looking up and growing all start
// there, as linear probing needs.
template <bool kV4>
std::size_t home_slot(std::uint64_t hash, std::size_t mask) {
  if constexpr (kV4) {
    return hash & mask & ~std::size_t{1};
  } else {
    return hash & mask;
  }
}

}  // namespace

void Detector::prefetch(std::span<const Flow> flows) const {
  if (hosts4_.capacity != 0) {
    const std::size_t mask = hosts4_.capacity - 1;
    for (const Flow& f : flows) {
      if (is_v4(f.src)) {
        const std::size_t home = home_slot<true>(slot_hash(static_cast<std::uint32_t>(f.src)), mask);
        __builtin_prefetch(&hosts4_.slots[home]);
        __builtin_prefetch(&hosts4_.slots[(home + 2) & mask]);
      }
    }
  }
}

void Detector::observe_batch(std::span<const Flow> flows, std::uint32_t file, std::span<const std::uint64_t> lines) {
  prefetch(flows);
  observe_each(flows, file, lines);
}

void Detector::raise(Rule rule, const Flow& flow, ZoneIndex src_zone, ZoneIndex dst_zone, std::uint32_t file, std::uint64_t line, Address128 key_a,
                     Address128 key_b, std::uint16_t key_port, std::uint8_t key_proto, std::string_view detail) {
  ++stats_.occurrences[static_cast<int>(rule)];
  const Key key{key_a, key_b, key_port, key_proto, rule};
  auto it = open_.find(key);
  if (it != open_.end()) {
    Finding& f = it->second;
    // Within the window around what was seen: the same finding, once more.
    if (flow.time <= f.last_seen + settings_.window_seconds && flow.time >= f.first_seen - settings_.window_seconds) {
      ++f.count;
      f.bytes += flow.bytes;
      f.first_seen = std::min(f.first_seen, flow.time);
      f.last_seen = std::max(f.last_seen, flow.time);
      return;
    }
    hand_out(f);
    open_.erase(it);
  }
  Finding f;
  f.rule = rule;
  f.src = rule == Rule::kUnzonedAddress ? key_a : flow.src;
  f.dst = rule == Rule::kUnzonedAddress && key_a == flow.dst ? flow.src : flow.dst;
  if (rule == Rule::kUnzonedAddress && key_a == flow.dst) std::swap(src_zone, dst_zone);
  f.dport = flow.dport;
  f.proto = flow.proto;
  f.src_zone = src_zone;
  f.dst_zone = dst_zone;
  f.first_seen = f.last_seen = flow.time;
  f.count = 1;
  f.bytes = flow.bytes;
  f.file = file;
  f.line = line;
  f.detail = std::string(detail);
  if (on_open_) on_open_(f);
  open_floor_ = std::min(open_floor_, f.last_seen);
  open_.emplace(key, std::move(f));
  if (open_.size() > settings_.max_open_findings) sweep(false);
  if (open_.size() > settings_.max_open_findings) sweep(true);  // a flood of distinct findings: out they go, early
}

void Detector::volume(const Flow& flow, ZoneIndex src_zone, ZoneIndex dst_zone, std::uint32_t file, std::uint64_t line) {
  HostVolume* found = host(flow.src);
  if (found == nullptr) {
    ++stats_.hosts_untracked;
    return;
  }
  HostVolume& h = *found;
  // Most flows fall in the host's current bucket: known without the two divisions.
  const bool current = h.bucket != INT64_MIN && flow.time >= h.bucket &&
                       static_cast<std::uint64_t>(flow.time) - static_cast<std::uint64_t>(h.bucket) < static_cast<std::uint64_t>(settings_.volume_bucket_seconds);
  const std::int64_t bucket =
      current ? h.bucket : flow.time - (flow.time % settings_.volume_bucket_seconds + settings_.volume_bucket_seconds) % settings_.volume_bucket_seconds;
  if (bucket > h.bucket) {
    if (h.bucket != INT64_MIN) {
      // Exponentially weighted: a slow rise becomes the new normal, a sudden burst does not.
      h.baseline = h.history == 0 ? static_cast<double>(h.bytes) : 0.7 * h.baseline + 0.3 * static_cast<double>(h.bytes);
      if (h.history < UINT16_MAX) ++h.history;
    }
    h.bucket = bucket;
    h.bytes = 0;
    h.flagged = false;
  } else if (bucket < h.bucket) {
    return;  // late, out of order: its bucket is closed
  }
  h.bytes += flow.bytes;
  if (h.flagged || h.history < settings_.volume_min_history) return;
  const double limit = std::max(settings_.volume_factor * std::max(h.baseline, 1.0), static_cast<double>(settings_.volume_min_bytes));
  if (static_cast<double>(h.bytes) > limit) {
    h.flagged = true;
    char detail[160];
    std::snprintf(detail, sizeof detail, "%llu bytes in %llds from %.0f bytes per bucket (baseline)", static_cast<unsigned long long>(h.bytes),
                  static_cast<long long>(settings_.volume_bucket_seconds), h.baseline);
    raise(Rule::kVolume, flow, src_zone, dst_zone, file, line, flow.src, static_cast<Address128>(bucket), 0, 0, detail);
  }
}

Detector::HostVolume* Detector::host(Address128 address) {
  if (is_v4(address)) return find_or_add(hosts4_, static_cast<std::uint32_t>(address));
  return find_or_add(hosts6_, address);
}

template <typename Slot, typename Address>
Detector::HostVolume* Detector::find_or_add(HostTable<Slot>& table, Address address) {
  static_assert(std::is_trivially_destructible_v<Slot>);
  constexpr bool kV4 = std::is_same_v<Slot, HostVolume>;
  auto volume_of = [](Slot& slot) -> HostVolume& {
    if constexpr (kV4) {
      return slot;
    } else {
      return slot.volume;
    }
  };
  auto holds = [&](const Slot& slot) {
    if constexpr (kV4) {
      return slot.v4 == address;
    } else {
      return slot.address == address;
    }
  };
  constexpr std::size_t kHuge = 2u << 20;
  auto allocate = [](std::size_t count) {
    const std::size_t bytes = (count * sizeof(Slot) + kHuge - 1) / kHuge * kHuge;
    return std::unique_ptr<Slot[], SlotMemory>(static_cast<Slot*>(SlotMemory::allocate(bytes)), SlotMemory{bytes});
  };
  if (table.capacity == 0) {
    // As many slots as the first huge page holds, which the table takes however small it is:
    // starting at 1,024, each doubling below it faulted in a fresh 2 MiB page for a table of a few
    // KiB (14 of the 42 MiB a 250,000-host scan cleared; a fresh page can cost the VM's host a
    // fault per 4 KiB as well: clearing was 0.2-10 % of a scan's profile, from run to run).
    constexpr std::size_t kFirst = std::bit_floor(kHuge / sizeof(Slot));
    table.slots = allocate(kFirst);
    table.capacity = kFirst;
  }
  for (;;) {
    const std::size_t mask = table.capacity - 1;
    std::size_t i = home_slot<kV4>(slot_hash(address), mask);
    if constexpr (kV4) {
      // The four slots of the two lines the batch asked for (prefetch), at once: which one holds
      // the host decides no branch. Probing a slot at a time, a host not in its first slot (a
      // quarter of the benchmark's 250,000 in 524,288 slots) cost a mispredicted branch and,
      // past that slot's line (one in six), a miss in a line nobody had asked for; from the
      // line's first slot, 97 % of them are in these four, and the loop below is for the rest
      // and for new hosts.
      auto holds_at = [&](std::size_t k) {
        const Slot& slot = table.slots[(i + k) & mask];
        return static_cast<unsigned>(slot.used & (slot.v4 == address)) << k;
      };
      const unsigned found = holds_at(0) | holds_at(1) | holds_at(2) | holds_at(3);
      if (found != 0) return &table.slots[(i + static_cast<std::size_t>(std::countr_zero(found))) & mask];
    }
    while (volume_of(table.slots[i]).used) {
      if (holds(table.slots[i])) return &volume_of(table.slots[i]);
      i = (i + 1) & mask;
    }
    if (host_count_ >= settings_.max_tracked_hosts) return nullptr;
    if ((table.count + 1) * 2 <= table.capacity) {
      Slot& slot = table.slots[i];
      HostVolume& v = volume_of(slot);
      v = HostVolume{};
      v.used = true;
      if constexpr (kV4) {
        v.v4 = address;
      } else {
        slot.address = address;
      }
      ++table.count;
      ++host_count_;
      return &v;
    }
    // Half full: double, and look again.
    auto old = allocate(table.capacity * 2);
    old.swap(table.slots);
    const std::size_t old_capacity = table.capacity;
    table.capacity *= 2;
    const std::size_t new_mask = table.capacity - 1;
    for (std::size_t k = 0; k < old_capacity; ++k) {
      Slot& s = old[k];
      if (!volume_of(s).used) continue;
      std::size_t j;
      if constexpr (kV4) {
        j = home_slot<kV4>(slot_hash(s.v4), new_mask);
      } else {
        j = home_slot<kV4>(slot_hash(s.address), new_mask);
      }
      while (volume_of(table.slots[j]).used) j = (j + 1) & new_mask;
      table.slots[j] = s;
    }
  }
}

void Detector::hand_out(Finding& f) {
  ++stats_.findings[static_cast<int>(f.rule)];
  if (emit_) emit_(f);
}

void Detector::sweep(bool everything) {
  // The oldest open finding's window is still open (or nothing is open): nothing to close.
  if (!everything && (open_.empty() || static_cast<__int128>(open_floor_) + settings_.window_seconds >= latest_)) return;
  std::vector<Key> closed;
  std::int64_t floor = INT64_MAX;
  for (auto& [key, f] : open_) {
    if (everything || f.last_seen + settings_.window_seconds < latest_) {
      closed.push_back(key);
    } else {
      floor = std::min(floor, f.last_seen);
    }
  }
  open_floor_ = floor;
  // In time order, so that what is handed out reads as a timeline.
  std::sort(closed.begin(), closed.end(), [&](const Key& a, const Key& b) {
    const Finding& fa = open_.at(a);
    const Finding& fb = open_.at(b);
    if (fa.first_seen != fb.first_seen) return fa.first_seen < fb.first_seen;
    if (fa.file != fb.file) return fa.file < fb.file;
    if (fa.line != fb.line) return fa.line < fb.line;
    return fa.rule < fb.rule;
  });
  for (const Key& k : closed) {
    auto it = open_.find(k);
    hand_out(it->second);
    open_.erase(it);
  }
}

void Detector::flush() { sweep(true); }

}  // namespace sanso::monitor
