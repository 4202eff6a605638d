#include "mail/sanitize.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <cctype>
#include <map>

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

// Letters as their base letter without accents ("cìty" → "city"): each accent is one edit, so
// two of them made a look-alike "another domain". comparable() composes (NFKC), so the marks go
// after it, from the decomposed form.
std::string base_letters(const std::string& text) {
  gchar* nfkd = g_utf8_normalize(text.c_str(), static_cast<gssize>(text.size()), G_NORMALIZE_NFKD);
  if (nfkd == nullptr) return text;
  std::string out;
  for (const gchar* p = nfkd; *p != '\0'; p = g_utf8_next_char(p)) {
    const gunichar c = g_utf8_get_char(p);
    const GUnicodeType type = g_unichar_type(c);
    if (type == G_UNICODE_NON_SPACING_MARK || type == G_UNICODE_ENCLOSING_MARK || type == G_UNICODE_SPACING_MARK) continue;
    out.append(p, static_cast<std::size_t>(g_utf8_next_char(p) - p));
  }
  g_free(nfkd);
  return out;
}

// A domain as a reader tells domains apart at a glance: IDNA labels shown as Unicode, then
// comparable() (look-alike letters, widths, case, '-' gone), accents gone, the dots gone, and the
// shapes that pass for one another in a mail client's font read as one (0/o, 1/l/i, rn/m, vv/w).
std::string domain_skeleton(const std::string& domain) {
  std::string shown = domain;
  if (gchar* unicode = g_hostname_to_unicode(domain.c_str()); unicode != nullptr) {
    shown = unicode;
    g_free(unicode);
  }
  std::string c = base_letters(comparable(shown)), out;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const char ch = c[i];
    if (ch == '.') continue;
    if (ch == '0') out += 'o';
    else if (ch == '1' || ch == 'i' || ch == '|') out += 'l';
    else if (ch == 'r' && i + 1 < c.size() && c[i + 1] == 'n') out += 'm', ++i;
    else if (ch == 'v' && i + 1 < c.size() && c[i + 1] == 'v') out += 'w', ++i;
    else out += ch;
  }
  return out;
}

// Damerau–Levenshtein distance, stopping early: only "at most one edit" matters here.
bool within_one_edit(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  if (b.size() - a.size() > 1) return false;
  std::size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  if (i == a.size()) return true;  // equal, or one appended
  if (a.size() == b.size()) {
    if (a.substr(i + 1) == b.substr(i + 1)) return true;  // one replaced
    return i + 1 < a.size() && a[i] == b[i + 1] && a[i + 1] == b[i] && a.substr(i + 2) == b.substr(i + 2);  // two swapped
  }
  return a.substr(i) == b.substr(i + 1);  // one inserted
}

// A protected domain's skeleton: the same few domains for every message a thread checks.
std::string protected_skeleton(const std::string& domain) {
  thread_local std::map<std::string, std::string> cache;
  if (auto it = cache.find(domain); it != cache.end()) return it->second;
  constexpr std::size_t kDomainsKept = 256;  // a city has a handful; bounded against odd configurations
  if (cache.size() >= kDomainsKept) cache.clear();
  return cache.emplace(domain, domain_skeleton(domain)).first->second;
}

// The protected domain `domain` imitates, or "" when none: the same skeleton, one edit away from
// it (long domains only: short ones are one edit from too many honest ones), or the protected
// domain written as the first labels of another ("city.minamata.lg.jp.example.net"), in a
// look-alike spelling too ("clty.minamata.lg.jp.example.net": a reader stops at the part they know).
std::string imitated_domain(const std::string& domain, const std::vector<std::string>& protected_domains) {
  if (domain.empty()) return {};
  const std::string skeleton = domain_skeleton(domain);
  for (const auto& p : protected_domains) {
    const std::string want = ascii_lower(p);
    if (want.empty() || domain == want || domain.ends_with("." + want)) continue;  // the domain itself
    if (domain.starts_with(want + ".")) return p;
    const std::string want_skeleton = protected_skeleton(want);
    if (skeleton == want_skeleton) return p;
    constexpr std::size_t kMinLengthForOneEdit = 8;
    if (want_skeleton.size() >= kMinLengthForOneEdit && within_one_edit(skeleton, want_skeleton)) return p;
    if (want_skeleton.size() >= kMinLengthForOneEdit && skeleton.size() > want_skeleton.size()) {
      for (std::size_t n = want_skeleton.size() - 1; n <= want_skeleton.size() + 1 && n <= skeleton.size(); ++n) {
        if (within_one_edit(std::string_view(skeleton).substr(0, n), want_skeleton)) return p;
      }
    }
  }
  return {};
}

// The names as compared (look-alikes folded, NFKC), with each as configured. A service checks
// every message against the same lists, and normalising them again for each message cost more
// than the rest of the check: each thread keeps the last few lists it was given.
std::vector<std::pair<std::string, std::string>> comparable_names_of(const std::vector<std::string>& names, std::size_t min_length) {
  std::string key = std::to_string(min_length);
  for (const auto& n : names) key.append(1, '\0').append(n);
  thread_local std::map<std::string, std::vector<std::pair<std::string, std::string>>> cache;
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  std::vector<std::pair<std::string, std::string>> out;  // (as compared, as configured)
  for (const std::string& n : names) {
    std::string c = comparable(n);
    if (code_points(c) >= min_length) out.emplace_back(std::move(c), n);
  }
  constexpr std::size_t kListsKept = 8;  // a service has one or two; tests and tools a few more
  if (cache.size() >= kListsKept) cache.clear();
  cache.emplace(std::move(key), out);
  return out;
}

}  // namespace

void check_sender(SanitizePlan& plan, const SanitizeOptions& options) {
  plan.sender_findings.clear();
  auto add = [&](SenderFindingKind kind, const Mailbox& m, const std::string& matched) {
    for (const auto& f : plan.sender_findings) {
      if (f.kind == kind && f.address == m.address && f.matched == matched) return;
    }
    plan.sender_findings.push_back({kind, m.name, m.address, matched});
  };
  // Names this short (one character: 市, 課) are part of too many honest names to warn about.
  constexpr std::size_t kMinNameLength = 2;
  std::vector<std::string> city_names = options.protected_names, correspondent_names;
  city_names.insert(city_names.end(), options.protected_domains.begin(), options.protected_domains.end());
  for (const auto& c : options.correspondents) correspondent_names.push_back(c.first);
  const auto city = comparable_names_of(city_names, kMinNameLength);
  const auto correspondents = comparable_names_of(correspondent_names, kMinNameLength);
  // Business e-mail compromise writes from a domain one letter off a supplier's.
  std::vector<std::string> correspondent_domains;
  for (const auto& c : options.correspondents) {
    if (std::string d = mime::address_domain(ascii_lower(c.second)); !d.empty()) correspondent_domains.push_back(std::move(d));
  }
  auto known_domain = [&](const std::string& d) {
    return std::find(correspondent_domains.begin(), correspondent_domains.end(), d) != correspondent_domains.end() || in_domains(d, options.protected_domains);
  };
  for (const Mailbox& m : plan.from_mailboxes) {
    const std::string address = ascii_lower(m.address);
    const std::string domain = mime::address_domain(address);
    const bool city_address = in_domains(domain, options.protected_domains);
    if (city_address && options.arrival.source_zone == "internet") add(SenderFindingKind::kCityAddressFromInternet, m, domain);
    if (!city_address) {
      if (std::string imitated = imitated_domain(domain, options.protected_domains); !imitated.empty()) add(SenderFindingKind::kLookalikeDomain, m, imitated);
    }
    if (!known_domain(domain)) {
      if (std::string imitated = imitated_domain(domain, correspondent_domains); !imitated.empty()) add(SenderFindingKind::kLookalikeDomain, m, imitated);
    }
    if (m.name.empty()) continue;
    for (const auto& shown_address : addresses_in(m.name)) {
      if (shown_address != address) add(SenderFindingKind::kAddressInName, m, shown_address);
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
      if (!borrowed.empty()) add(SenderFindingKind::kCityName, m, borrowed);
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
        if (same_name(c)) add(SenderFindingKind::kCorrespondentName, m, known_name + " <" + c.second + ">");
      }
    }
  }
}

}  // namespace sanso::mail
