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
// are one /64; "::ffff:192.0.2.1", the NAT64 "64:ff9b::c000:201", Teredo's and 6to4's addresses
// are the IPv4 client they carry, 192.0.2.1). A translator with a network-specific NAT64 prefix
// (RFC 6052: an operator's own, or one of 64:ff9b:1::/48, RFC 8215) is recognised when [web]
// nat64_prefixes names it; otherwise its IPv4 users share one /64. Users behind
// one carrier-grade NAT share one IPv4 address and so one allowance: nothing in the request tells
// them apart.
//
// Memory is bounded (kNetworksKept) and strangers are never pooled: a full table first drops the
// networks whose window is over, then the least recently used of those with allowance left; a
// network that spent its allowance is kept until its window ends (dropped before then only when
// spent networks would fill more than three quarters of the table, the longest spent first, so that
// the others always have room). Networks are checked widest first and an entry is made only for an admitted
// request, so a refused /48 cannot fill the table with its /64s. The trade-off, chosen: someone
// with more admitted networks than the table holds (65,536 IPv4 addresses, some 2,000 /48s of
// IPv6: one /48 keeps at most kChildrenPer48 /56s and /64s in the table) can make
// the table forget a network with allowance left before its window ends, which then starts afresh —
// mostly its own (least recently used) entries; it can make the table forget a spent network only
// by spending some 49,000 allowances, and every other client keeps its own allowance. Pooling newcomers under one key, as before, let
// such a flood lock every new internet user out for the window.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
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
  // The /56s and /64s one /48 may have in the table at once (beyond them its fresh /64s count
  // against their /56 and /48 only): churning the table then takes some 2,000 /48s, not 68.
  static constexpr std::size_t kChildrenPer48 = 32;

  // A network-specific NAT64 prefix (RFC 6052): /32, /40, /48, /56, /64 or /96.
  struct Nat64Prefix {
    std::array<unsigned char, 16> bytes{};
    int bits = 96;
  };

  PostLimit(std::size_t per_window, std::chrono::seconds window, std::size_t networks_kept = kNetworksKept, std::vector<Nat64Prefix> nat64 = {})
      : per_window_(per_window), window_(window), networks_kept_(networks_kept < 3 ? 3 : networks_kept), nat64_(std::move(nat64)) {}

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
    // Room for the request's networks the table lacks, made before any is touched and never from
    // among them: a request's /48 is not pushed out by its own /56.
    std::size_t missing = 0;
    for (const Network& n : networks) missing += entries_.contains(n.key) ? 0 : 1;
    make_room(now, missing, networks);
    Entry* widest = nullptr;
    for (std::size_t i = 0; i < networks.size(); ++i) {
      const Network& n = networks[i];
      Entry* e = find(n.key, now);
      if (e == nullptr) {
        // One /48 keeps at most kChildrenPer48 /56s and /64s in the table: past that, a fresh /64
        // is charged to its /56 and /48 only (a fresh /56 to its /48) — or one /48's 65,536 /64s,
        // each under its allowance, would push out everyone else and start afresh themselves.
        if (widest != nullptr && widest->children >= kChildrenPer48) continue;
        e = &make(n.key, now, i == 0 ? std::string() : networks.front().key);
        if (widest != nullptr) ++widest->children;
      }
      if (i == 0 && networks.size() > 1) widest = e;
      if (++e->window.count >= n.allowance && !e->spent) {
        // Spent: kept apart from the others until its window ends, so that no flow of newcomers
        // can push it out and give its client a fresh allowance.
        e->spent = true;
        spent_.splice(spent_.begin(), recency_, e->place);
        // A floor for the networks with allowance left: spent ones fill at most three quarters of
        // the table (beyond, the one spent longest ago is forgotten), so that a table filled with
        // spent networks cannot leave every other client one entry that is pushed out at once.
        while (spent_.size() > networks_kept_ * 3 / 4 && spent_.size() > 1) {
          auto oldest = entries_.find(spent_.back());
          if (oldest->second.place == e->place) break;
          spent_.pop_back();
          forget(oldest);
        }
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
  static std::string network_of(const std::string& address, const std::vector<Nat64Prefix>& nat64 = {}) {
    std::array<unsigned char, 16> bytes{};
    const int family = parse(address, bytes, nat64);
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
    std::string parent;                        // a /56's or /64's /48 ("" for others)
    std::size_t children = 0;                  // a /48's /56s and /64s in the table
  };

  // AF_INET or AF_INET6 with the address's bytes (a v4-mapped IPv6 address as the IPv4 one);
  // 0 for text that is no address.
  static int parse(const std::string& address, std::array<unsigned char, 16>& bytes, const std::vector<Nat64Prefix>& nat64 = {}) {
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
    // The city's own translators: the IPv4 address follows the prefix, skipping bits 64–71 (the
    // "u" octet RFC 6052 keeps zero).
    for (const Nat64Prefix& p : nat64) {
      if (p.bits < 32 || p.bits > 96 || p.bits % 8 != 0) continue;  // not an RFC 6052 length (config refuses them)
      if (std::memcmp(v6.s6_addr, p.bytes.data(), static_cast<std::size_t>(p.bits / 8)) != 0) continue;
      std::size_t at = static_cast<std::size_t>(p.bits / 8);
      for (std::size_t got = 0; got < 4; ++at) {
        if (at == 8) continue;
        bytes[got++] = v6.s6_addr[at];
      }
      return AF_INET;
    }
    // Teredo (2001:0::/32, RFC 4380): the client's own IPv4 address, inverted, in the last four
    // bytes — its /64 is the Teredo server's, shared by all of that server's clients. 6to4
    // (2002::/16, RFC 3056): the site's IPv4 address in bytes 2–5, a whole /48 per address. Both
    // answer only to whoever holds that IPv4 address (a TCP handshake must come back), so it is
    // the client.
    if (v6.s6_addr[0] == 0x20 && v6.s6_addr[1] == 0x01 && v6.s6_addr[2] == 0 && v6.s6_addr[3] == 0) {
      for (int i = 0; i < 4; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<unsigned char>(v6.s6_addr[12 + i] ^ 0xff);
      return AF_INET;
    }
    if (v6.s6_addr[0] == 0x20 && v6.s6_addr[1] == 0x02) {
      std::memcpy(bytes.data(), &v6.s6_addr[2], 4);
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
    const int family = parse(address, bytes, nat64_);
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

  // A new entry for `key` (room made by the caller), under `parent` ("" when none).
  Entry& make(const std::string& key, std::chrono::steady_clock::time_point now, std::string parent) {
    recency_.push_front(key);
    return entries_.emplace(key, Entry{Window{now, 0, false}, false, recency_.begin(), std::move(parent), 0}).first->second;
  }

  // Forgets `it`'s entry, and that its /48 has one child fewer.
  void forget(std::unordered_map<std::string, Entry>::iterator it) {
    if (!it->second.parent.empty()) {
      auto parent = entries_.find(it->second.parent);
      if (parent != entries_.end() && parent->second.children > 0) --parent->second.children;
    }
    entries_.erase(it);
  }

  // Makes room for `needed` new entries, never forgetting one of `keep` (the request's own).
  void make_room(std::chrono::steady_clock::time_point now, std::size_t needed, const std::vector<Network>& keep) {
    if (needed == 0 || entries_.size() + needed <= networks_kept_) return;
    const auto kept = [&](const std::string& key) {
      return std::any_of(keep.begin(), keep.end(), [&](const Network& n) { return n.key == key; });
    };
    // Networks whose window is over first: forgetting them changes nothing. At most once a second
    // (a whole-table walk), so that a table full of live networks costs a flood nothing more.
    if (now - last_sweep_ >= std::chrono::seconds(1)) {
      last_sweep_ = now;
      for (std::list<std::string>* list : {&recency_, &spent_}) {
        for (auto it = list->begin(); it != list->end();) {
          auto entry = entries_.find(*it);
          if (now - entry->second.window.started >= window_ && !kept(*it)) {
            it = list->erase(it);
            forget(entry);
          } else {
            ++it;
          }
        }
      }
    }
    // Then the least recently used of those with allowance left: the one a flood of new networks
    // touched longest ago. A spent network goes only when nothing else is left (a table of them
    // all, a flood larger than the table's allowance), the one spent longest ago first.
    for (std::list<std::string>* list : {&recency_, &spent_}) {
      auto it = list->end();
      while (entries_.size() + needed > networks_kept_ && it != list->begin()) {
        --it;
        if (kept(*it)) continue;
        auto entry = entries_.find(*it);
        it = list->erase(it);
        forget(entry);
      }
    }
  }

  std::size_t per_window_;
  std::chrono::seconds window_;
  std::size_t networks_kept_;
  std::vector<Nat64Prefix> nat64_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> recency_;  // networks with allowance left, most recently used first
  std::list<std::string> spent_;    // networks whose allowance is spent this window, most recently touched first
  std::chrono::steady_clock::time_point last_sweep_{};
};

}  // namespace sanso::web::internal
