#include "mail/sanitize.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <cctype>

#include "core/text.h"
#include "mail/internal/message_text.h"
#include "mime/header.h"

namespace sanso::mail {

using namespace internal;

namespace {

std::size_t code_points(const std::string& utf8) { return static_cast<std::size_t>(g_utf8_strlen(utf8.c_str(), static_cast<gssize>(utf8.size()))); }

// The e-mail addresses written in a display name ("市役所 jouhou＠city.example.lg.jp"), lower-case,
// full-width forms read as ASCII.
std::vector<std::string> addresses_in(const std::string& name) {
  gchar* valid = g_utf8_make_valid(name.c_str(), static_cast<gssize>(name.size()));
  gchar* nfkc = g_utf8_normalize(valid, -1, G_NORMALIZE_NFKC);
  g_free(valid);
  const std::string text = ascii_lower(nfkc != nullptr ? nfkc : "");
  g_free(nfkc);
  auto local_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || std::string_view(".!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos; };
  auto domain_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'; };
  std::vector<std::string> out;
  for (std::size_t at = text.find('@'); at != std::string::npos; at = text.find('@', at + 1)) {
    std::size_t b = at, e = at + 1;
    while (b > 0 && local_char(text[b - 1])) --b;
    while (e < text.size() && domain_char(text[e])) ++e;
    std::string local = text.substr(b, at - b), domain = text.substr(at + 1, e - at - 1);
    while (!local.empty() && local.front() == '.') local.erase(0, 1);
    while (!domain.empty() && (domain.back() == '.' || domain.back() == '-')) domain.pop_back();
    if (local.empty() || domain.find('.') == std::string::npos) continue;
    out.push_back(local + "@" + domain);
  }
  return out;
}

bool in_domains(const std::string& domain, const std::vector<std::string>& domains) {
  return std::any_of(domains.begin(), domains.end(), [&](const std::string& d) {
    const std::string want = ascii_lower(d);
    return !want.empty() && (domain == want || (domain.size() > want.size() && domain.ends_with("." + want)));
  });
}

}  // namespace

void check_sender(SanitizePlan& plan, const SanitizeOptions& options) {
  plan.sender_findings.clear();
  auto add = [&](const char* kind, const Mailbox& m, const std::string& matched) {
    for (const auto& f : plan.sender_findings) {
      if (f.kind == kind && f.address == m.address && f.matched == matched) return;
    }
    plan.sender_findings.push_back({kind, m.name, m.address, matched});
  };
  // Names this short (one character: 市, 課) are part of too many honest names to warn about.
  constexpr std::size_t kMinNameLength = 2;
  auto comparable_names = [&](auto names, std::size_t min_length) {
    std::vector<std::pair<std::string, std::string>> out;  // (as compared, as configured)
    for (const std::string& n : names) {
      std::string c = comparable(n);
      if (code_points(c) >= min_length) out.emplace_back(std::move(c), n);
    }
    return out;
  };
  std::vector<std::string> city_names = options.protected_names, correspondent_names;
  city_names.insert(city_names.end(), options.protected_domains.begin(), options.protected_domains.end());
  for (const auto& c : options.correspondents) correspondent_names.push_back(c.first);
  const auto city = comparable_names(city_names, kMinNameLength);
  const auto correspondents = comparable_names(correspondent_names, kMinNameLength);
  for (const Mailbox& m : plan.from_mailboxes) {
    const std::string address = ascii_lower(m.address);
    const std::string domain = mime::address_domain(address);
    const bool city_address = in_domains(domain, options.protected_domains);
    if (city_address && options.arrival.source_zone == "internet") add("city-address-from-internet", m, domain);
    if (m.name.empty()) continue;
    for (const auto& shown_address : addresses_in(m.name)) {
      if (shown_address != address) add("address-in-name", m, shown_address);
    }
    const std::string name = comparable(m.name);
    if (!city_address) {
      // One warning however many of the city's names it borrows ("水俣市 情報政策係 <jouhou@city…>"
      // borrows three): a reader skims past a banner that repeats itself.
      std::string borrowed;
      for (const auto& [want, configured] : city) {
        if (name.find(want) != std::string::npos && (", " + borrowed + ", ").find(", " + configured + ", ") == std::string::npos) {
          borrowed += (borrowed.empty() ? "" : ", ") + configured;
        }
      }
      if (!borrowed.empty()) add("city-name", m, borrowed);
    }
    for (const auto& correspondent : correspondents) {
      // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
      const std::string& want = correspondent.first;
      const std::string& known_name = correspondent.second;
      if (name.find(want) == std::string::npos) continue;
      // One name may be known with several addresses; any of them is the real correspondent.
      auto same_name = [&](const auto& c) { return c.first == known_name; };
      if (std::any_of(options.correspondents.begin(), options.correspondents.end(),
                      [&](const auto& c) { return same_name(c) && ascii_lower(c.second) == address; })) {
        continue;
      }
      for (const auto& c : options.correspondents) {
        if (same_name(c)) add("correspondent-name", m, known_name + " <" + c.second + ">");
      }
    }
  }
}

}  // namespace sanso::mail
