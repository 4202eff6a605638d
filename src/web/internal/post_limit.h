// How many unauthenticated POSTs one internet-side client may make in a window (console.cc). Such
// a POST (a PPAP password, a link's download, a sign-in, a refused form) is audited or stored by
// its handler; counted here first, a flood from one client writes at most the window's allowance
// and one record per network that ran out — never one record per request. Private to src/web.
//
// Who is "one client": an IPv4 address; for IPv6 a host is given a whole /64 (it can pick a fresh
// address for every request), a site a /56 or a /48 (it can pick a fresh /64 as easily). So an
// IPv6 request counts against its /64, its /56 and its /48, each with an allowance of its own,
// larger for the wider ones (kWiderAllowance), and is admitted only when all three have room.
// Networks are keyed by their binary prefix, never by text ("2001:db8::1" and "2001:0db8:0:0::2"
// are one /64; "::ffff:192.0.2.1" and the NAT64 "64:ff9b::c000:201" are 192.0.2.1). Users behind
// one carrier-grade NAT share one IPv4 address and so one allowance: nothing in the request tells
// them apart.
//
// Memory is bounded (kNetworksKept) and strangers are never pooled: a full table first drops the
// networks whose window is over, then the least recently used of those with allowance left; a
// network that spent its allowance is kept until its window ends (dropped only when the table holds
// nothing else). Networks are checked widest first and an entry is made only for an admitted
// request, so a refused /48 cannot fill the table with its /64s. The trade-off, chosen: someone
// with more admitted networks than the table holds (10,000 IPv4 addresses, a /32 of IPv6) can make
// the table forget a network with allowance left before its window ends, which then starts afresh —
// mostly its own (least recently used) entries; it cannot make the table forget a spent network,
// and every other client keeps its own allowance. Pooling newcomers under one key, as before, let
// such a flood lock every new internet user out for the window.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace sanso::web::internal {

class PostLimit {
 public:
  enum class Verdict {
    kAdmit,        // within the allowance: the handler runs
    kFirstRefusal, // over it, the first time this window: refuse and record that once
    kRefused,      // over it again: refuse, record nothing
  };
  struct Admission {
    Verdict verdict = Verdict::kAdmit;
    std::string network;  // refused: the network that ran out ("192.0.2.1", "2001:db8::/48")
    std::size_t allowance = 0;  // refused: that network's allowance per window
  };

  // The /56 and /48 of IPv6 may make this many times the /64's allowance: a household or an
  // office behind one prefix, several people at once, but not an attacker's 256 or 65,536 /64s.
  static constexpr std::size_t kWiderAllowance56 = 4;
  static constexpr std::size_t kWiderAllowance48 = 16;
  static constexpr std::size_t kNetworksKept = 65536;

  PostLimit(std::size_t per_window, std::chrono::seconds window, std::size_t networks_kept = kNetworksKept)
      : per_window_(per_window), window_(window), networks_kept_(networks_kept < 3 ? 3 : networks_kept) {}

  // Counts one POST of `client` (an address) at `now`.
  Admission admit(const std::string& client, std::chrono::steady_clock::time_point now) {
    const std::vector<Network> networks = networks_of(client);  // widest first
    std::lock_guard lock(mu_);
    // Widest first, and only looked up: a request its /48 refuses neither makes nor refreshes an
    // entry for its /56 or /64 — or one /48's fresh /64s would churn the table and push other
    // clients' counts out. All or nothing: a refused request counts against none of its networks.
    for (const Network& n : networks) {
      Entry* e = find(n.key, now);
      if (e == nullptr || e->window.count < n.allowance) continue;
      Admission refused{Verdict::kRefused, n.text, n.allowance};
      if (!e->window.refusal_recorded) {
        e->window.refusal_recorded = true;
        refused.verdict = Verdict::kFirstRefusal;
      }
      return refused;
    }
    for (const Network& n : networks) {
      Entry& e = touch(n.key, now);
      if (++e.window.count >= n.allowance && !e.spent) {
        // Spent: kept apart from the others until its window ends, so that no flow of newcomers
        // can push it out and give its client a fresh allowance.
        e.spent = true;
        spent_.splice(spent_.begin(), recency_, e.place);
      }
    }
    return {};
  }

  std::size_t per_window() const { return per_window_; }
  std::chrono::seconds window() const { return window_; }
  std::size_t networks_kept() const {
    std::lock_guard lock(mu_);
    return entries_.size();
  }

  // One client, as text for records: an IPv4 address, or the /64 of an IPv6 one.
  static std::string network_of(const std::string& address) {
    std::array<unsigned char, 16> bytes{};
    const int family = parse(address, bytes);
    if (family == AF_INET) return prefix_text(AF_INET, bytes, 32);
    if (family == AF_INET6) return prefix_text(AF_INET6, bytes, 64);
    return address;
  }

 private:
  struct Network {
    std::string key;   // family, prefix length and the prefix's bytes
    std::string text;  // for records
    std::size_t allowance;
  };
  struct Window {
    std::chrono::steady_clock::time_point started{};
    std::size_t count = 0;
    bool refusal_recorded = false;
  };
  struct Entry {
    Window window;
    bool spent = false;                        // its allowance used up this window: in spent_, else in recency_
    std::list<std::string>::iterator place;    // its place in that list, most recent first
  };

  // AF_INET or AF_INET6 with the address's bytes (a v4-mapped IPv6 address as the IPv4 one);
  // 0 for text that is no address.
  static int parse(const std::string& address, std::array<unsigned char, 16>& bytes) {
    in_addr v4{};
    if (::inet_pton(AF_INET, address.c_str(), &v4) == 1) {
      std::memcpy(bytes.data(), &v4, 4);
      return AF_INET;
    }
    in6_addr v6{};
    if (::inet_pton(AF_INET6, address.c_str(), &v6) != 1) return 0;
    // The well-known NAT64 prefix 64:ff9b::/96 (RFC 6052) carries an IPv4 client's address in its
    // last four bytes: behind a translator every IPv4 user would otherwise share one /64.
    static constexpr unsigned char kNat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (IN6_IS_ADDR_V4MAPPED(&v6) || std::memcmp(v6.s6_addr, kNat64, sizeof kNat64) == 0) {
      std::memcpy(bytes.data(), &v6.s6_addr[12], 4);
      return AF_INET;
    }
    std::memcpy(bytes.data(), v6.s6_addr, 16);
    return AF_INET6;
  }

  static std::string prefix_text(int family, std::array<unsigned char, 16> bytes, int bits) {
    char out[INET6_ADDRSTRLEN] = {};
    if (family == AF_INET) return ::inet_ntop(AF_INET, bytes.data(), out, sizeof out);
    for (int i = bits / 8; i < 16; ++i) bytes[static_cast<std::size_t>(i)] = 0;
    return std::string(::inet_ntop(AF_INET6, bytes.data(), out, sizeof out)) + "/" + std::to_string(bits);
  }

  std::vector<Network> networks_of(const std::string& address) const {
    std::array<unsigned char, 16> bytes{};
    const int family = parse(address, bytes);
    if (family == AF_INET) {
      return {{"4/" + std::string(reinterpret_cast<const char*>(bytes.data()), 4), prefix_text(AF_INET, bytes, 32), per_window_}};
    }
    if (family != AF_INET6) return {{"?/" + address, address, per_window_}};
    std::vector<Network> out;
    for (const auto& [bits, allowance] : {std::pair<int, std::size_t>{48, per_window_ * kWiderAllowance48}, {56, per_window_ * kWiderAllowance56},
                                          {64, per_window_}}) {
      out.push_back({"6/" + std::to_string(bits) + "/" + std::string(reinterpret_cast<const char*>(bytes.data()), static_cast<std::size_t>(bits / 8)),
                     prefix_text(AF_INET6, bytes, bits), allowance});
    }
    return out;
  }

  // The entry of `key` with its window restarted when over (a spent one back among the others), or
  // null when the table has none; made the most recently used of its list.
  Entry* find(const std::string& key, std::chrono::steady_clock::time_point now) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    Entry& e = it->second;
    if (now - e.window.started >= window_) {
      e.window = Window{now, 0, false};
      if (e.spent) {
        e.spent = false;
        recency_.splice(recency_.begin(), spent_, e.place);
      }
    }
    std::list<std::string>& list = e.spent ? spent_ : recency_;
    list.splice(list.begin(), list, e.place);
    return &e;
  }

  // The entry of `key`, as find() gives it; a new one (after room is made) when the table has none.
  Entry& touch(const std::string& key, std::chrono::steady_clock::time_point now) {
    if (Entry* e = find(key, now)) return *e;
    make_room(now);
    recency_.push_front(key);
    return entries_.emplace(key, Entry{Window{now, 0, false}, false, recency_.begin()}).first->second;
  }

  void make_room(std::chrono::steady_clock::time_point now) {
    if (entries_.size() < networks_kept_) return;
    // Networks whose window is over first: forgetting them changes nothing. At most once a second
    // (a whole-table walk), so that a table full of live networks costs a flood nothing more.
    if (now - last_sweep_ >= std::chrono::seconds(1)) {
      last_sweep_ = now;
      for (std::list<std::string>* list : {&recency_, &spent_}) {
        for (auto it = list->begin(); it != list->end();) {
          auto entry = entries_.find(*it);
          if (now - entry->second.window.started >= window_) {
            entries_.erase(entry);
            it = list->erase(it);
          } else {
            ++it;
          }
        }
      }
    }
    // Then the least recently used of those with allowance left: the one a flood of new networks
    // touched longest ago. A spent network goes only when nothing else is left (a table of them all,
    // a flood larger than the table's allowance), the one spent longest ago first.
    while (entries_.size() >= networks_kept_) {
      std::list<std::string>& list = !recency_.empty() ? recency_ : spent_;
      if (list.empty()) break;
      entries_.erase(list.back());
      list.pop_back();
    }
  }

  std::size_t per_window_;
  std::chrono::seconds window_;
  std::size_t networks_kept_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> recency_;  // networks with allowance left, most recently used first
  std::list<std::string> spent_;    // networks whose allowance is spent this window, most recently touched first
  std::chrono::steady_clock::time_point last_sweep_{};
};

}  // namespace sanso::web::internal
