// How many unauthenticated POSTs one internet-side client may make in a window (console.cc). Such
// a POST (a PPAP password, a link's download, a sign-in, a refused form) is audited or stored by
// its handler; counted here first, a flood from one client writes at most the window's allowance
// and one record that the limit was hit — never one record per request. Private to src/web.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace sanso::web::internal {

class PostLimit {
 public:
  enum class Verdict {
    kAdmit,        // within the allowance: the handler runs
    kFirstRefusal, // over it, the first time this window: refuse and record that once
    kRefused,      // over it again: refuse, record nothing
  };

  PostLimit(std::size_t per_window, std::chrono::seconds window) : per_window_(per_window), window_(window) {}

  // Counts one POST of `client` (an address) at `now`.
  Verdict admit(const std::string& client, std::chrono::steady_clock::time_point now) {
    std::lock_guard lock(mu_);
    if (clients_.size() >= kClientsKept) {
      std::erase_if(clients_, [&](const auto& entry) { return now - entry.second.started >= window_; });
    }
    // A table full of live clients (a flood from many addresses) counts every newcomer under one
    // shared name: memory stays bounded, and the flood shares one allowance.
    const std::string key = clients_.size() >= kClientsKept && clients_.count(network_of(client)) == 0 ? std::string("(overflow)") : network_of(client);
    Window& w = clients_[key];
    if (w.count == 0 || now - w.started >= window_) w = Window{now, 0, false};
    if (w.count < per_window_) {
      ++w.count;
      return Verdict::kAdmit;
    }
    if (w.refusal_recorded) return Verdict::kRefused;
    w.refusal_recorded = true;
    return Verdict::kFirstRefusal;
  }

  std::size_t per_window() const { return per_window_; }
  std::chrono::seconds window() const { return window_; }

  // One client: an IPv4 address, or the /64 network of an IPv6 one (a single host is given a
  // whole /64 and could otherwise pick a fresh address for every request).
  static std::string network_of(const std::string& address) {
    if (address.find(':') == std::string::npos || address.rfind("::ffff:", 0) == 0) return address;
    std::string out;
    int groups = 0;
    for (std::size_t i = 0; i < address.size() && groups < 4; ++i) {
      if (address[i] == ':') {
        if (i + 1 < address.size() && address[i + 1] == ':') return address.substr(0, i) + "::/64";  // "::" before the 4th group
        ++groups;
        if (groups == 4) break;
      }
      out.push_back(address[i]);
    }
    return out + "::/64";
  }

 private:
  static constexpr std::size_t kClientsKept = 10000;
  struct Window {
    std::chrono::steady_clock::time_point started{};
    std::size_t count = 0;
    bool refusal_recorded = false;
  };
  std::size_t per_window_;
  std::chrono::seconds window_;
  std::mutex mu_;
  std::map<std::string, Window> clients_;
};

}  // namespace sanso::web::internal
