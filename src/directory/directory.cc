#include "directory/directory.h"

#include <ldap.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "core/text.h"

namespace sanso::directory {
namespace {

constexpr std::size_t kMaxNameBytes = 256;
constexpr std::size_t kMaxPasswordBytes = 1024;
constexpr std::size_t kMaxGroups = 1000;
constexpr std::size_t kMaxAudience = 100000;  // entries read for the training audience: a whole city's staff several times  // a person in more is a directory we do not understand

std::string replace_user(const std::string& pattern, const std::string& value) {
  std::string out = pattern;
  for (std::size_t at = out.find("{user}"); at != std::string::npos; at = out.find("{user}", at + value.size())) out.replace(at, 6, value);
  return out;
}

// The socket libldap opens, known to a watchdog (libldap's connection callbacks): libldap bounds
// connecting and each operation by the timeout, but not the TLS handshake, which against a server
// that accepts and then says nothing spins on its non-blocking socket for ever (a sign-in that
// never returns, a core kept busy). Shutting the socket down ends it.
struct SocketWatch {
  ldap_conncb callbacks{};
  std::mutex mutex;
  int fd = -1;
  bool fired = false;

  SocketWatch() {
    callbacks.lc_add = [](LDAP*, Sockbuf* sb, LDAPURLDesc*, sockaddr*, ldap_conncb* cb) {
      auto* self = static_cast<SocketWatch*>(cb->lc_arg);
      std::lock_guard lock(self->mutex);
      ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &self->fd);
      return 0;
    };
    callbacks.lc_del = [](LDAP*, Sockbuf*, ldap_conncb* cb) {
      auto* self = static_cast<SocketWatch*>(cb->lc_arg);
      std::lock_guard lock(self->mutex);
      self->fd = -1;  // libldap closes it: the number may be another file's from now on
    };
    callbacks.lc_arg = this;
  }
  void shut() {
    std::lock_guard lock(mutex);
    fired = true;
    // Reading only: its reads end, and a write (a TLS alert) does not raise SIGPIPE.
    if (fd >= 0) ::shutdown(fd, SHUT_RD);
  }
  // `step` (which may do a TLS handshake), its socket shut down if it outlives `limit`.
  template <typename Step>
  int within(std::chrono::milliseconds limit, Step&& step) {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::thread watchdog([&] {
      std::unique_lock lock(m);
      if (!cv.wait_for(lock, limit, [&] { return done; })) shut();
    });
    const int rc = step();
    {
      std::lock_guard lock(m);
      done = true;
    }
    cv.notify_one();
    watchdog.join();
    return rc;
  }
};

// Unbinds, then lets the watch go (libldap calls it until the connection is freed).
struct LdapCloser {
  std::shared_ptr<SocketWatch> watch;
  void operator()(LDAP* ld) const { ldap_unbind_ext_s(ld, nullptr, nullptr); }
};
using Connection = std::unique_ptr<LDAP, LdapCloser>;

struct MessageFree {
  void operator()(LDAPMessage* m) const { ldap_msgfree(m); }
};
using Message = std::unique_ptr<LDAPMessage, MessageFree>;

std::string diagnostic(LDAP* ld) {
  char* text = nullptr;
  ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &text);
  std::string out = text != nullptr ? text : "";
  ldap_memfree(text);
  return out;
}

Error ldap_error(const Settings& s, const char* what, int rc, LDAP* ld) {
  std::string detail = ldap_err2string(rc);
  if (const std::string d = ld != nullptr ? diagnostic(ld) : ""; !d.empty()) detail += " (" + d + ")";
  return make_error("directory.unavailable", s.uri, std::string(what) + " failed: " + detail);
}

bool loopback_or_local(const std::string& uri) {
  LDAPURLDesc* url = nullptr;
  if (ldap_url_parse(uri.c_str(), &url) != LDAP_URL_SUCCESS) return false;
  const std::string scheme = url->lud_scheme != nullptr ? ascii_lower(url->lud_scheme) : "";
  const std::string host = url->lud_host != nullptr ? ascii_lower(url->lud_host) : "";
  ldap_free_urldesc(url);
  return scheme == "ldapi" || host == "127.0.0.1" || host == "::1" || host == "localhost";
}

// The attribute user_filter matches the typed name against: "uid" in "(uid={user})",
// "sAMAccountName" in "(&(objectCategory=person)(sAMAccountName={user}))". Empty when the first
// {user} is not the whole value of an equality match.
std::string naming_attribute(std::string_view filter) {
  const auto at = filter.find("{user}");
  if (at == std::string_view::npos || at == 0 || filter[at - 1] != '=' || filter.substr(at + 6, 1) != ")") return "";
  const auto open = filter.rfind('(', at);
  if (open == std::string_view::npos) return "";
  const std::string_view attribute = filter.substr(open + 1, at - 1 - open - 1);
  const bool plain = !attribute.empty() && std::all_of(attribute.begin(), attribute.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == ';';
  });
  return plain ? std::string(attribute) : "";
}

// What a bind name is, which says how the entry read after the bind is tied to the account that
// bound: a DN is compared with the entry's DN, a user principal name with its userPrincipalName.
// A down-level "CITY\\{user}" or a bare name names the account in a way no attribute we read
// matches for certain, so it is refused rather than trusted.
enum class BindForm { kDn, kUserPrincipalName, kOther };
BindForm bind_form(std::string_view bind_template) {
  if (bind_template.find('=') != std::string_view::npos) return BindForm::kDn;
  const auto at = bind_template.rfind('@');
  if (at != std::string_view::npos && at + 1 < bind_template.size() && bind_template.find('\\') == std::string_view::npos) return BindForm::kUserPrincipalName;
  return BindForm::kOther;
}

Result<void> check_settings(const Settings& s) {
  auto bad = [&](const std::string& why) { return make_error("directory.bad-settings", "[directory]", why); };
  if (s.uri.empty()) return bad("no uri: set uri = \"ldaps://your-dc.example\"");
  const std::string lower = ascii_lower(s.uri);
  if (s.bind_template.find("{user}") == std::string::npos) return bad("bind_template must contain {user}, e.g. \"uid={user},ou=people,dc=city,dc=example\"");
  if (s.user_filter.find("{user}") == std::string::npos) return bad("user_filter must contain {user}, e.g. \"(sAMAccountName={user})\"");
  if (naming_attribute(s.user_filter).empty()) {
    return bad("user_filter must match {user} by equality, as in (uid={user}) or (sAMAccountName={user}): the person's name is read from that attribute");
  }
  if (s.base_dn.empty()) return bad("no base_dn: where people's entries are searched for");
  if (bind_form(s.bind_template) == BindForm::kOther) {
    return bad("bind_template must be a DN (\"uid={user},ou=people,dc=city,dc=example\") or a user principal name (\"{user}@city.local\"): "
               "with any other form the entry read after the bind could not be tied to the account that bound");
  }
  if (s.transport == Transport::kLdaps && !lower.starts_with("ldaps://")) return bad("transport ldaps needs an ldaps:// uri");
  if (s.transport == Transport::kStartTls && !lower.starts_with("ldap://")) return bad("transport starttls needs an ldap:// uri");
  if (s.transport == Transport::kNone && !loopback_or_local(s.uri)) {
    return bad("transport none would send passwords in clear; it is allowed only for ldapi:// and loopback addresses");
  }
  return {};
}

Result<Connection> connect(const Settings& s) {
  LDAP* raw = nullptr;
  if (int rc = ldap_initialize(&raw, s.uri.c_str()); rc != LDAP_SUCCESS) {
    return make_error("directory.bad-settings", s.uri, std::string("not a usable LDAP uri: ") + ldap_err2string(rc));
  }
  auto watch = std::make_shared<SocketWatch>();
  Connection ld(raw, LdapCloser{watch});
  ldap_set_option(ld.get(), LDAP_OPT_CONNECT_CB, &watch->callbacks);
  const int version = LDAP_VERSION3;
  ldap_set_option(ld.get(), LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(ld.get(), LDAP_OPT_REFERRALS, LDAP_OPT_OFF);  // a referral could send the password elsewhere
  timeval tv{static_cast<time_t>(s.timeout.count() / 1000), static_cast<suseconds_t>((s.timeout.count() % 1000) * 1000)};
  ldap_set_option(ld.get(), LDAP_OPT_NETWORK_TIMEOUT, &tv);
  ldap_set_option(ld.get(), LDAP_OPT_TIMEOUT, &tv);
  if (s.transport != Transport::kNone) {
    const int hard = LDAP_OPT_X_TLS_HARD;
    ldap_set_option(ld.get(), LDAP_OPT_X_TLS_REQUIRE_CERT, &hard);
    if (!s.ca_file.empty()) ldap_set_option(ld.get(), LDAP_OPT_X_TLS_CACERTFILE, s.ca_file.c_str());
    const int is_server = 0;
    if (int rc = ldap_set_option(ld.get(), LDAP_OPT_X_TLS_NEWCTX, &is_server); rc != LDAP_OPT_SUCCESS) {
      return make_error("directory.bad-settings", s.ca_file, "cannot set up TLS with this CA file (is it a readable PEM?)");
    }
    // The handshake now, under the watchdog (LDAPS would otherwise do it inside the bind).
    const bool starttls = s.transport == Transport::kStartTls;
    const int rc = watch->within(s.timeout, [&] { return starttls ? ldap_start_tls_s(ld.get(), nullptr, nullptr) : ldap_connect(ld.get()); });
    if (watch->fired && rc != LDAP_SUCCESS) {
      return make_error("directory.unavailable", s.uri, "no TLS handshake within " + std::to_string(s.timeout.count()) + " ms: the server accepted and went silent");
    }
    if (rc != LDAP_SUCCESS) return ldap_error(s, starttls ? "StartTLS" : "connecting", rc, ld.get());
  }
  return ld;
}

std::vector<std::string> values(LDAP* ld, LDAPMessage* entry, const char* attribute) {
  std::vector<std::string> out;
  berval** vals = ldap_get_values_len(ld, entry, attribute);
  if (vals == nullptr) return out;
  for (int i = 0; vals[i] != nullptr; ++i) out.emplace_back(vals[i]->bv_val, vals[i]->bv_len);
  ldap_value_free_len(vals);
  return out;
}

std::string first(const std::vector<std::string>& v) { return v.empty() ? "" : v.front(); }

Result<Message> search(const Settings& s, LDAP* ld, const std::string& base, const std::string& filter, std::vector<const char*> attributes,
                       int scope = LDAP_SCOPE_SUBTREE) {
  attributes.push_back(nullptr);
  timeval tv{static_cast<time_t>(s.timeout.count() / 1000), static_cast<suseconds_t>((s.timeout.count() % 1000) * 1000)};
  LDAPMessage* result = nullptr;
  const int rc = ldap_search_ext_s(ld, base.c_str(), scope, filter.c_str(), const_cast<char**>(attributes.data()), 0, nullptr, nullptr,
                                   &tv, static_cast<int>(kMaxGroups) + 1, &result);
  Message owned(result);
  // Reading one entry by its DN: an entry that does not exist is an empty answer, not a failure.
  if (scope == LDAP_SCOPE_BASE && rc == LDAP_NO_SUCH_OBJECT) return Message(nullptr);
  if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) return ldap_error(s, "searching", rc, ld);
  return owned;
}

// Active Directory puts why a bind failed in the diagnostic text: "data 533" (disabled), "775"
// (locked out), "701" (account expired), "532"/"773" (password expired / must change).
bool ad_says_disabled(const std::string& diagnostic_text) {
  for (const char* code : {"data 533", "data 775", "data 701", "data 532", "data 773"}) {
    if (diagnostic_text.find(code) != std::string::npos) return true;
  }
  return false;
}

bool entry_disabled(LDAP* ld, LDAPMessage* entry) {
  const std::string uac = first(values(ld, entry, "userAccountControl"));
  if (!uac.empty()) {
    char* end = nullptr;
    const unsigned long flags = std::strtoul(uac.c_str(), &end, 10);
    if (end != nullptr && *end == '\0' && (flags & 0x2UL) != 0) return true;  // ACCOUNTDISABLE
  }
  if (!values(ld, entry, "pwdAccountLockedTime").empty()) return true;
  return ascii_lower(first(values(ld, entry, "nsAccountLock"))) == "true";
}

// Groups holding any of `members`, one search a level, followed until no new group appears.
Result<std::vector<std::string>> nested_groups(const Settings& s, LDAP* ld, const std::string& person_dn, std::vector<std::string> direct) {
  std::set<std::string> seen;
  std::vector<std::string> out;
  std::vector<std::string> frontier{person_dn};
  auto add = [&](const std::string& dn, std::vector<std::string>& next) {
    const std::string n = normalize_dn(dn);
    if (seen.insert(n).second) {
      out.push_back(n);
      next.push_back(dn);
    }
  };
  std::vector<std::string> next;
  for (const auto& g : direct) add(g, next);
  frontier.insert(frontier.end(), next.begin(), next.end());
  const std::string base = s.group_base.empty() ? s.base_dn : s.group_base;
  for (int depth = 0; !frontier.empty(); ++depth) {
    std::string filter = "(|";
    for (const auto& m : frontier) filter += "(member=" + escape_filter_value(m) + ")(uniqueMember=" + escape_filter_value(m) + ")";
    filter += ")";
    Message result = SANSO_TRY(search(s, ld, base, filter, {"1.1"}));
    std::vector<std::string> found;
    for (LDAPMessage* e = ldap_first_entry(ld, result.get()); e != nullptr; e = ldap_next_entry(ld, e)) {
      char* dn = ldap_get_dn(ld, e);
      if (dn != nullptr) add(dn, found);
      ldap_memfree(dn);
    }
    if (out.size() > kMaxGroups) return make_error("directory.unavailable", person_dn, "more than " + std::to_string(kMaxGroups) + " groups: refusing to guess");
    // Groups past the depth, left out, would take with them a role's limits or a zone that
    // contradicts the one found (a person on both sides is refused): an incomplete answer is none.
    if (!found.empty() && depth >= s.max_group_depth) {
      return make_error("directory.ambiguous", person_dn,
                        "groups nest deeper than max_group_depth (" + std::to_string(s.max_group_depth) + "): refusing to guess the rest; raise it if the nesting is real");
    }
    frontier = std::move(found);
  }
  return out;
}

// The name the directory keeps for the person, not the one typed. A directory compares names
// without regard to case (often to width too), so "tanaka", "Tanaka" and "TANAKA" all bind as
// tanaka; kept as typed they were three people to every check that compares names — four eyes,
// the console's lock and second factor, a local account's name. An attribute with several values
// (uid: tanaka, uid: ichiro.tanaka) gives the one in the entry's own DN, so every alias is the
// same person too; a choice the entry does not settle is refused, not guessed.
Result<std::string> directory_name(LDAP* ld, LDAPMessage* entry, const std::string& attribute, const std::string& dn,
                                   const std::string& typed) {
  std::vector<std::string> names = values(ld, entry, attribute.c_str());
  if (names.size() > 1) {
    std::vector<std::string> chosen;
    LDAPDN parsed = nullptr;
    if (ldap_str2dn(dn.c_str(), &parsed, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS && parsed != nullptr && parsed[0] != nullptr) {
      for (LDAPAVA** ava = parsed[0]; *ava != nullptr; ++ava) {
        if (ascii_lower(std::string((*ava)->la_attr.bv_val, (*ava)->la_attr.bv_len)) != ascii_lower(attribute)) continue;
        const std::string value((*ava)->la_value.bv_val, (*ava)->la_value.bv_len);
        for (const auto& n : names) {
          if (ascii_lower(n) == ascii_lower(value)) chosen.push_back(n);
        }
      }
    }
    ldap_dnfree(parsed);
    names = std::move(chosen);
  }
  if (names.size() != 1) {
    return make_error("directory.ambiguous", typed,
                      "the entry " + dn + " does not have exactly one " + attribute + " (nor one named by its DN): refusing to guess which name is this person's");
  }
  const std::string& name = names.front();
  if (name.empty() || name.size() > kMaxNameBytes || !is_valid_utf8(name) ||
      std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
    return make_error("directory.ambiguous", typed, "the entry " + dn + " has a " + attribute + " that cannot be a person's name (empty, too long, control characters)");
  }
  return name;
}

// The person's groups (direct and nested) and what they map to: roles, and the one zone.
Result<void> read_groups(const Settings& s, LDAP* ld, LDAPMessage* entry, Person& p, const std::string& user) {
  p.groups = SANSO_TRY(nested_groups(s, ld, p.dn, values(ld, entry, "memberOf")));
  for (const auto& mapping : s.groups) {
    if (std::find(p.groups.begin(), p.groups.end(), normalize_dn(mapping.dn)) == p.groups.end()) continue;
    for (const auto& role : mapping.roles) {
      if (std::find(p.roles.begin(), p.roles.end(), role) == p.roles.end()) p.roles.push_back(role);
    }
    if (mapping.zone.empty() || mapping.zone == p.zone) continue;
    // Groups that place one person on both sides leave no side to act from: refuse, not pick.
    if (!p.zone.empty()) return make_error("directory.ambiguous", user, "groups place this person in both zone " + p.zone + " and zone " + mapping.zone);
    p.zone = mapping.zone;
  }
  return {};
}

// Who bound, to tie the entry read afterwards to them: a DN, or a user principal name.
struct BoundAs {
  BindForm form = BindForm::kOther;
  std::string name;  // the bind name as sent
};

// A user principal name compared as Active Directory compares it: without regard to case. Only
// ASCII letters are folded; two names that differ elsewhere are different names here (a refusal
// of a name AD would have folded, never a match AD would not make).
bool same_user_principal_name(std::string_view a, std::string_view b) { return ascii_lower(a) == ascii_lower(b); }

// A bind by user principal name proves the password of whoever holds that name, and nothing of
// the entry user_filter finds (sAMAccountName "tanaka" may be someone else than the holder of
// tanaka@city.local). So the entry must hold exactly that one userPrincipalName, and no other entry
// under base_dn may hold it too.
Result<void> check_user_principal_name(const Settings& s, LDAP* ld, LDAPMessage* entry, const std::string& entry_dn, const std::string& upn,
                                       const std::string& user) {
  const std::vector<std::string> held = values(ld, entry, "userPrincipalName");
  if (held.size() != 1 || !same_user_principal_name(held.front(), upn)) {
    return make_error("directory.ambiguous", user,
                      "signed in as " + upn + ", but the entry user_filter finds (" + entry_dn + ") " +
                          (held.empty() ? std::string("has no userPrincipalName") : "has userPrincipalName " + held.front()) +
                          ": refusing to lend another entry's groups / 別のエントリの権限は使いません");
  }
  Message holders = SANSO_TRY(search(s, ld, s.base_dn, "(userPrincipalName=" + escape_filter_value(upn) + ")", {"userPrincipalName"}));
  int matching = 0;
  for (LDAPMessage* e = ldap_first_entry(ld, holders.get()); e != nullptr; e = ldap_next_entry(ld, e)) {
    for (const auto& value : values(ld, e, "userPrincipalName")) {
      if (same_user_principal_name(value, upn)) ++matching;
    }
  }
  if (matching != 1) {
    return make_error("directory.ambiguous", user,
                      std::to_string(matching) + " entries under " + s.base_dn + " hold the userPrincipalName " + upn +
                          ": exactly one must; refusing to guess which is this person / UPN が一意でないため拒否します");
  }
  return {};
}

// The entry user_filter finds for `user`, read as a Person with their groups' roles and zone;
// nullopt when there is none. With `bound`, the entry must be the one that bound (its DN, or its
// user principal name).
Result<std::optional<Person>> read_person(const Settings& s, LDAP* ld, const std::string& user, const BoundAs* bound) {
  const std::string name_attribute = naming_attribute(s.user_filter);
  Message found = SANSO_TRY(search(s, ld, s.base_dn, replace_user(s.user_filter, escape_filter_value(user)),
                                   {"displayName", "cn", "mail", "memberOf", "userAccountControl", "pwdAccountLockedTime", "nsAccountLock", "userPrincipalName",
                                    name_attribute.c_str()}));
  const int count = ldap_count_entries(ld, found.get());
  if (count == 0) return std::optional<Person>();
  if (count > 1) return make_error("directory.ambiguous", user, "more than one entry matches user_filter: refusing to guess which is this person");
  LDAPMessage* entry = ldap_first_entry(ld, found.get());
  Person p;
  if (char* dn = ldap_get_dn(ld, entry); dn != nullptr) {
    p.dn = dn;
    ldap_memfree(dn);
  }
  if (bound != nullptr && bound->form == BindForm::kDn && normalize_dn(p.dn) != normalize_dn(bound->name)) {
    return make_error("directory.ambiguous", user, "the entry user_filter finds (" + p.dn + ") is not the one that signed in");
  }
  if (bound != nullptr && bound->form == BindForm::kUserPrincipalName) SANSO_TRY(check_user_principal_name(s, ld, entry, p.dn, bound->name, user));
  if (bound != nullptr && bound->form == BindForm::kOther) return make_error("directory.bad-settings", user, "a bind name that is neither a DN nor a user principal name");
  if (entry_disabled(ld, entry)) return make_error("directory.disabled", user, "the account is disabled or locked in the directory");
  p.name = SANSO_TRY(directory_name(ld, entry, name_attribute, p.dn, user));
  p.display_name = first(values(ld, entry, "displayName"));
  if (p.display_name.empty()) p.display_name = first(values(ld, entry, "cn"));
  // Notices go to one address the entry names, never to a list or to text that could add a header.
  if (const auto mails = values(ld, entry, "mail"); mails.size() == 1 && is_plain_mail_address(mails.front())) p.mail = mails.front();
  SANSO_TRY(read_groups(s, ld, entry, p, user));
  return std::optional<Person>(std::move(p));
}

}  // namespace

std::string escape_filter_value(std::string_view value) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (const char c : value) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '*' || c == '(' || c == ')' || c == '\\' || b == 0) {
      out += '\\';
      out += hex[b >> 4];
      out += hex[b & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_dn_value(std::string_view value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const bool edge_space = c == ' ' && (i == 0 || i + 1 == value.size());
    if (c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';' || c == '=' || edge_space || (c == '#' && i == 0)) {
      out += '\\';
      out += c;
    } else if (c == '\0') {
      out += "\\00";
    } else {
      out += c;
    }
  }
  return out;
}

std::string normalize_dn(std::string_view dn) {
  const std::string in(dn);
  char* normal = nullptr;
  if (ldap_dn_normalize(in.c_str(), LDAP_DN_FORMAT_LDAP, &normal, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || normal == nullptr) return ascii_lower(dn);
  std::string out = ascii_lower(normal);
  ldap_memfree(normal);
  return out;
}

Result<Person> sign_in(const Settings& s, std::string_view name, std::string_view password) {
  auto refused = [&](const std::string& why) { return make_error("directory.bad-credentials", std::string(name.substr(0, 64)), why); };
  if (name.empty() || name.size() > kMaxNameBytes) return refused("a sign-in name of 1 to 256 bytes is needed");
  if (std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
    return refused("the sign-in name contains control characters");
  }
  // An empty password makes a simple bind "unauthenticated" (RFC 4513 5.1.2), which many
  // directories answer with success: never send one.
  if (password.empty()) return refused("the password is empty");
  if (password.size() > kMaxPasswordBytes || password.find('\0') != std::string_view::npos) return refused("the password is not one a directory accepts");
  SANSO_TRY(check_settings(s));
  Connection ld = SANSO_TRY(connect(s));

  const std::string user(name);
  const BindForm form = bind_form(s.bind_template);
  const std::string bind_name = replace_user(s.bind_template, form == BindForm::kDn ? escape_dn_value(user) : user);
  berval credential{static_cast<ber_len_t>(password.size()), const_cast<char*>(password.data())};
  const int rc = ldap_sasl_bind_s(ld.get(), bind_name.c_str(), LDAP_SASL_SIMPLE, &credential, nullptr, nullptr, nullptr);
  if (rc == LDAP_INVALID_CREDENTIALS) {
    if (ad_says_disabled(diagnostic(ld.get()))) return make_error("directory.disabled", user, "the directory says this account is disabled, locked or expired");
    return refused("the directory did not accept this name and password");
  }
  if (rc == LDAP_INAPPROPRIATE_AUTH || rc == LDAP_UNWILLING_TO_PERFORM) {
    return make_error("directory.disabled", user, std::string("the directory refused the sign-in: ") + ldap_err2string(rc));
  }
  if (rc != LDAP_SUCCESS) return ldap_error(s, "binding", rc, ld.get());

  return person_after_bind(s, ld.get(), user, bind_name);
}

Result<Person> person_after_bind(const Settings& s, LDAP* ld, std::string_view name, std::string_view bind_name) {
  // The entry read must be the one that signed in: a filter that matches someone else's entry
  // must not lend their groups.
  const std::string user(name);
  const BoundAs bound{bind_form(s.bind_template), std::string(bind_name)};
  auto p = SANSO_TRY(read_person(s, ld, user, &bound));
  if (!p) return make_error("directory.no-entry", user, "signed in, but no entry matches user_filter under base_dn: check the settings");
  return std::move(*p);
}

namespace {

// A connection bound as the service's lookup account.
Result<Connection> lookup_connection(const Settings& s) {
  auto bad = [&](const std::string& why) { return make_error("directory.bad-settings", "[directory] lookup_bind", why); };
  SANSO_TRY(check_settings(s));
  if (s.lookup_bind.empty() || s.lookup_password_file.empty()) return bad("looking people up needs lookup_bind and lookup_password_file");
  std::string password;
  {
    std::ifstream in(s.lookup_password_file, std::ios::binary);
    if (!in || !std::getline(in, password)) return bad("cannot read " + s.lookup_password_file);
    if (!password.empty() && password.back() == '\r') password.pop_back();
  }
  if (password.empty()) return bad(s.lookup_password_file + " holds no password");
  Connection ld = SANSO_TRY(connect(s));
  berval credential{static_cast<ber_len_t>(password.size()), password.data()};
  const int rc = ldap_sasl_bind_s(ld.get(), s.lookup_bind.c_str(), LDAP_SASL_SIMPLE, &credential, nullptr, nullptr, nullptr);
  explicit_bzero(password.data(), password.size());
  if (rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INAPPROPRIATE_AUTH) return bad("the directory refused the lookup account's name or password");
  if (rc != LDAP_SUCCESS) return ldap_error(s, "binding as the lookup account", rc, ld.get());
  return ld;
}

bool is_group(const std::vector<std::string>& object_classes) {
  return std::any_of(object_classes.begin(), object_classes.end(), [](const std::string& c) {
    const std::string lower = ascii_lower(c);
    return lower == "groupofnames" || lower == "groupofuniquenames" || lower == "group";
  });
}

}  // namespace

Result<std::optional<Person>> look_up(const Settings& s, std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes || std::any_of(name.begin(), name.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
      })) {
    return std::optional<Person>();  // no directory keeps such a name
  }
  Connection ld = SANSO_TRY(lookup_connection(s));
  return read_person(s, ld.get(), std::string(name), nullptr);
}

Result<std::optional<Person>> look_up_by_mail(const Settings& s, std::string_view address) {
  if (!is_plain_mail_address(address)) return std::optional<Person>();
  Connection ld = SANSO_TRY(lookup_connection(s));
  const std::string name_attribute = naming_attribute(s.user_filter);
  const std::string wanted(address);
  Message found = SANSO_TRY(search(s, ld.get(), s.base_dn, "(mail=" + escape_filter_value(wanted) + ")", {name_attribute.c_str()}));
  const int count = ldap_count_entries(ld.get(), found.get());
  if (count == 0) return std::optional<Person>();
  if (count > 1) return make_error("directory.ambiguous", wanted, "more than one entry holds this mail address: refusing to guess which person it is");
  LDAPMessage* entry = ldap_first_entry(ld.get(), found.get());
  std::string dn;
  if (char* d = ldap_get_dn(ld.get(), entry); d != nullptr) {
    dn = d;
    ldap_memfree(d);
  }
  const std::string name = SANSO_TRY(directory_name(ld.get(), entry, name_attribute, dn, wanted));
  // The person as sign-in finds them by that name: their groups, zone and a disabled account; and
  // it must be the very entry that holds the address, not another that user_filter finds first.
  auto person = SANSO_TRY(read_person(s, ld.get(), name, nullptr));
  if (!person) return std::optional<Person>();
  if (normalize_dn(person->dn) != normalize_dn(dn)) {
    return make_error("directory.ambiguous", wanted, "the entry holding this address (" + dn + ") is not the one its name " + name + " finds (" + person->dn + ")");
  }
  return person;
}

Result<std::vector<Member>> members_of(const Settings& s, const std::vector<std::string>& group_dns) {
  Connection ld = SANSO_TRY(lookup_connection(s));
  const std::string name_attribute = naming_attribute(s.user_filter);
  if (name_attribute.empty()) return make_error("directory.bad-settings", s.user_filter, "user_filter names no attribute to take a person's name from");
  std::set<std::string> seen;
  std::map<std::string, Member> people;
  std::vector<std::string> frontier = group_dns;
  for (int depth = 0; !frontier.empty(); ++depth) {
    if (depth > s.max_group_depth) {
      return make_error("directory.ambiguous", group_dns.front(),
                        "the training groups nest deeper than max_group_depth (" + std::to_string(s.max_group_depth) + "): refusing to guess the rest");
    }
    std::vector<std::string> next;
    for (const auto& dn : frontier) {
      if (!seen.insert(normalize_dn(dn)).second) continue;  // a loop, or a member listed twice
      if (seen.size() > kMaxAudience) return make_error("directory.unavailable", dn, "more than " + std::to_string(kMaxAudience) + " entries in the training groups");
      auto read = search(s, ld.get(), dn, "(objectClass=*)",
                         {"objectClass", "member", "uniqueMember", "displayName", "cn", "userAccountControl", "pwdAccountLockedTime", "nsAccountLock",
                          name_attribute.c_str()},
                         LDAP_SCOPE_BASE);
      if (!read) return read.error();
      LDAPMessage* entry = read->get() != nullptr ? ldap_first_entry(ld.get(), read->get()) : nullptr;
      if (entry == nullptr) {
        // A listed group must exist (a typo would silently shrink the audience); a member that
        // no longer does is a dangling reference the directory keeps, not a person.
        if (depth == 0) return make_error("directory.not-found", dn, "the directory has no such training group ([directory] training_groups)");
        continue;
      }
      if (is_group(values(ld.get(), entry, "objectClass"))) {
        for (const char* attribute : {"member", "uniqueMember"}) {
          for (auto& m : values(ld.get(), entry, attribute)) next.push_back(std::move(m));
        }
        continue;
      }
      if (depth == 0) return make_error("directory.not-found", dn, "not a group: training_groups lists groups");
      if (entry_disabled(ld.get(), entry)) continue;
      Member m;
      m.dn = dn;
      m.name = SANSO_TRY(directory_name(ld.get(), entry, name_attribute, dn, dn));
      m.display_name = first(values(ld.get(), entry, "displayName"));
      if (m.display_name.empty()) m.display_name = first(values(ld.get(), entry, "cn"));
      people.emplace(m.name, std::move(m));
    }
    frontier = std::move(next);
  }
  std::vector<Member> out;
  for (auto& [name, m] : people) out.push_back(std::move(m));
  return out;
}

}  // namespace sanso::directory
