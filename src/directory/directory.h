// directory: who a person is, from the city's directory (LDAP / Active Directory) — sign-in by
// binding as the person, their groups (nested ones included) and the policy roles those groups
// map to. The console and the transfer service ask it; local accounts stay for emergencies, so a
// directory that is down is an error of its own ("directory.unavailable"), not a refusal.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

typedef struct ldap LDAP;  // libldap's connection (ldap.h), declared so this header need not include it

namespace sanso::directory {

// How a connection is protected. A password never crosses the network in clear: `kNone` is
// accepted only for ldapi:// (a local socket) and loopback addresses (docs/directory.md).
enum class Transport { kStartTls, kLdaps, kNone };

// A directory group and what membership in it grants.
struct GroupMapping {
  std::string dn;                  // the group's DN (compared normalised, case-insensitively)
  std::vector<std::string> roles;  // policy role ids
  std::string zone;                // the side its members act from ("internet", "lgwan"), or ""
};

struct Settings {
  std::string uri;                     // ldaps://dc1.city.local, ldap://ldap.city.local:389
  Transport transport = Transport::kStartTls;
  std::string ca_file;                 // PEM of the CA that signed the directory's certificate
  // How the person binds: a DN or a user principal name with "{user}" where their sign-in name
  // goes, escaped as the form requires ("uid={user},ou=people,dc=city,dc=example", "{user}@city.local").
  std::string bind_template;
  std::string base_dn;                 // where their entry is searched for
  // How their entry is found: {user} must be the value of an equality match, whose attribute
  // gives the name they are known by (Person::name). AD: "(sAMAccountName={user})".
  std::string user_filter = "(uid={user})";
  std::string group_base;              // where groups are searched for; empty: base_dn
  std::vector<GroupMapping> groups;
  std::chrono::milliseconds timeout{5000};
  int max_group_depth = 8;             // nested groups followed this deep (AD nests freely); deeper: refused
  // The account the service binds as to look up a person who is not signing in (the recipient of
  // a transfer): a DN or user principal name, and a file (absolute) holding its password. Empty:
  // nobody is looked up.
  std::string lookup_bind;
  std::string lookup_password_file;
  // Groups whose members must attend training (members_of); empty: the training register has no
  // audience from the directory.
  std::vector<std::string> training_groups;
};

// Who signed in.
struct Person {
  std::string name;          // as the directory keeps it (user_filter's attribute), whatever case or alias was typed
  std::string dn;            // their entry
  std::string display_name;  // displayName, else cn; may be empty
  std::vector<std::string> groups;  // normalised DNs, direct and nested
  std::vector<std::string> roles;   // from `groups` through the mappings, without repeats
  std::string zone;                 // the zone the mapped groups name ("" for none; two differ: an error)
  std::string mail;                 // their entry's one `mail`, when it is a plain address; else ""
};

// Binds as `name` with `password` and reads who they are. Errors:
//   "directory.bad-credentials"  the name or password is wrong, or the password is empty (an empty
//                                password would be an unauthenticated bind that "succeeds");
//   "directory.disabled"         the account is disabled or locked (AD userAccountControl, the
//                                password policy's pwdAccountLockedTime, nsAccountLock);
//   "directory.unavailable"      the directory cannot be reached, refused TLS, or timed out;
//   "directory.bad-settings"     the settings cannot work (cleartext to a remote host, no template).
Result<Person> sign_in(const Settings& settings, std::string_view name, std::string_view password);

// What sign_in does after the bind succeeded on `ld` as `bind_name` (bind_template filled in):
// finds the person's entry with user_filter and ties it to the account that bound — the same DN,
// or, for a user principal name, exactly one entry under base_dn holding it (case-insensitively,
// as AD compares) and it the one found. Apart for tests: OpenLDAP binds DNs only, so a test binds
// by DN and checks here what follows a bind by user principal name.
Result<Person> person_after_bind(const Settings& settings, LDAP* ld, std::string_view name, std::string_view bind_name);

// Finds the person the directory knows by `name` (user_filter's attribute, as at sign-in), bound
// as lookup_bind, with the same group → role and zone mapping; nullopt when no entry has that
// name. Errors: "directory.unavailable" (cannot be asked), "directory.bad-settings" (no
// lookup_bind, its password unreadable or refused), "directory.ambiguous" (two entries, both
// zones), "directory.disabled" (the entry is disabled or locked).
Result<std::optional<Person>> look_up(const Settings& settings, std::string_view name);

// Finds the person whose entry's `mail` is `address` (as the directory compares it: without regard
// to case), bound as lookup_bind, read as look_up reads them; nullopt when no entry holds it or
// `address` is no plain address. Two entries holding it: "directory.ambiguous" (a recipient is
// never guessed). Other errors as look_up's. Only `mail` is searched (not AD's proxyAddresses):
// the address notices go to is the one a person is found by.
Result<std::optional<Person>> look_up_by_mail(const Settings& settings, std::string_view address);

// Who must attend training (the training register, 6(5)): the groups whose members are the
// audience ([directory] training_groups), read as the lookup account. A member that is a group
// brings its members (as deep as max_group_depth; loops end); a person is listed once, by the
// name user_filter's attribute gives (as at sign-in), with their display name. Disabled or locked
// accounts are left out: they cannot attend. Errors as look_up's, and "directory.not-found" for a
// listed group the directory does not have.
struct Member {
  std::string name;
  std::string display_name;
  std::string dn;
};
Result<std::vector<Member>> members_of(const Settings& settings, const std::vector<std::string>& group_dns);

// RFC 4515 and RFC 4514 escaping of a value put into a filter or a DN: what keeps a sign-in name
// like "*)(uid=*" a name.
std::string escape_filter_value(std::string_view value);
std::string escape_dn_value(std::string_view value);

// A DN in one spelling (RFC 4514, case folded) so that "CN=Jouhou, OU=Groups" and
// "cn=jouhou,ou=groups" compare equal; the input unchanged (lower-cased) when it does not parse.
std::string normalize_dn(std::string_view dn);

}  // namespace sanso::directory
