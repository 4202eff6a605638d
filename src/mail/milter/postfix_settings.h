// Postfix's settings held against what the gateway needs (`sanso doctor postfix`): every way in
// passes the milter, a milter that is down refuses rather than passes, Postfix's own bounces are
// filtered, the domains Postfix takes mail for are the policy's, and the release listener is the
// only way round. Postfix reads its own files; this reads what `postconf` says of them (main.cf
// with $names expanded, master.cf's services and their -o overrides), so a setting is judged as
// Postfix applies it, per service.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sanso::policy {
struct Policy;
}

namespace sanso::mail {

struct PostfixService {
  std::string name;     // master.cf's first field: "smtp", "127.0.0.1:10026", "pickup"
  std::string type;     // inet, unix, unix-dgram, fifo, pass
  std::string command;  // the daemon: smtpd, cleanup, pickup, …
  bool chroot = false;  // a relative or absolute milter path is then inside queue_directory
  std::map<std::string, std::string> overrides;  // -o name=value, expanded
};

struct PostfixSettings {
  std::map<std::string, std::string> main;  // every main.cf parameter, defaults included, expanded
  std::vector<PostfixService> services;
  // The text of each regexp:/pcre: header_checks table main.cf names ("regexp:/etc/postfix/x" →
  // its lines), read by the caller; a table that could not be read is absent.
  std::map<std::string, std::string> header_checks_tables;
};

// From the outputs of `postconf -x` (main.cf, "name = value" a line), `postconf -M` (one service a
// line) and `postconf -P -x` ("service/type/name = value"). A line that is none of these is an
// error naming it: a misread setting must not pass as a good one.
Result<PostfixSettings> parse_postconf(std::string_view main_cf, std::string_view master_cf, std::string_view master_overrides);

// The regexp: and pcre: tables of main.cf's header_checks, as written there
// ("regexp:/etc/postfix/header_checks"): the caller reads each into header_checks_tables.
std::vector<std::string> header_checks_table_names(const PostfixSettings& postfix);

// What Sanso is set up with, from sanso.toml.
struct GatewayDeployment {
  std::string milter_listen;           // [listeners] milter, as libmilter reads it
  std::string release_relay;           // [quarantine] smtp_relay ("host:port"); empty: none
  std::string verifier_authserv_id;    // [mail] verifier_authserv_id; empty: none
};

enum class SettingVerdict : std::uint8_t { kOk, kWarning, kFailure };
std::string_view to_string(SettingVerdict verdict);  // "ok", "warning", "failure"
std::string_view label(SettingVerdict verdict, std::string_view lang);

struct SettingCheck {
  std::string id;       // stable: "postfix.milter-default-action"
  SettingVerdict verdict = SettingVerdict::kOk;
  std::string service;  // master.cf service the finding is about; empty: main.cf
  std::string setting;  // "milter_default_action = accept"
  std::string ja;       // what is wrong (or right) and what to do, for people
  std::string en;
};

std::vector<SettingCheck> check_postfix_settings(const PostfixSettings& postfix, const policy::Policy& policy, const GatewayDeployment& sanso);

}  // namespace sanso::mail
