#include "config/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

#include "core/text.h"
#include "policy/network.h"

namespace sanso::config {
namespace {

namespace fs = std::filesystem;

std::string where(std::string_view path, const toml::node& n) {
  const auto& b = n.source().begin;
  return std::string(path) + ":" + std::to_string(b.line) + ":" + std::to_string(b.column);
}

// A vocabulary's parse error as this file's: code config.value, the key named.
template <typename E>
Result<E> as_config_value(Result<E> parsed, std::string_view key) {
  if (parsed) return parsed;
  const Error& e = parsed.error();
  return make_error("config.value", e.where, "'" + std::string(key) + "': " + e.message);
}

class Reader {
 public:
  explicit Reader(std::string_view path) : path_(path) {}

  Result<void> only_keys(const toml::table& t, std::string_view section,
                         std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, node] : t) {
      bool known = false;
      for (auto a : allowed) known = known || key.str() == a;
      if (!known) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        return make_error("config.unknown-key", where(path_, node),
                          "unknown key '" + std::string(key.str()) + "' in " + std::string(section) +
                              " (known: " + list + ")");
      }
    }
    return ok();
  }

  Result<void> string(const toml::table& t, std::string_view key, std::string& out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return ok();
    if (!n->is_string()) return wrong(*n, key, "a string");
    out = n->as_string()->get();
    return ok();
  }

  Result<void> integer(const toml::table& t, std::string_view key, std::int64_t& out, std::int64_t min) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return ok();
    if (!n->is_integer()) return wrong(*n, key, "an integer");
    std::int64_t v = n->as_integer()->get();
    if (v < min) {
      return make_error("config.value", where(path_, *n),
                        "'" + std::string(key) + "' must be at least " + std::to_string(min));
    }
    out = v;
    return ok();
  }

  Result<void> boolean(const toml::table& t, std::string_view key, bool& out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return ok();
    if (!n->is_boolean()) return wrong(*n, key, "true or false");
    out = n->as_boolean()->get();
    return ok();
  }

  // A table of strings keyed by a lower-cased name (`dat = "pdf"`); `what` says what a value means.
  Result<void> keyed_strings(const toml::table& t, std::string_view key, std::map<std::string, std::string>& out, std::string_view what) {
    const toml::table* m = SANSO_TRY(table(t, key));
    if (m == nullptr) return ok();
    for (const auto& [k, v] : *m) {
      if (v.as_string() == nullptr) return wrong(v, key, what);
      out[ascii_lower(k.str())] = v.as_string()->get();
    }
    return ok();
  }

  // A word of a closed set, turned into its enum here once (`parse`, e.g. mail::parse_attachment_action);
  // any other value is a config error at the key.
  template <typename E, typename Parse>
  Result<void> word(const toml::table& t, std::string_view key, E& out, Parse parse) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return ok();
    if (!n->is_string()) return wrong(*n, key, "a string");
    out = SANSO_TRY(as_config_value(parse(n->as_string()->get(), where(path_, *n)), key));
    return ok();
  }

  // The same for a table of words keyed by a lower-cased name (`exe = "reject"`).
  template <typename E, typename Parse>
  Result<void> keyed_words(const toml::table& t, std::string_view key, std::map<std::string, E, std::less<>>& out, Parse parse) {
    const toml::table* m = SANSO_TRY(table(t, key));
    if (m == nullptr) return ok();
    for (const auto& [k, v] : *m) {
      if (!v.is_string()) return wrong(v, key, "a table of strings");
      const std::string entry = std::string(key) + "." + std::string(k.str());
      out[ascii_lower(k.str())] = SANSO_TRY(as_config_value(parse(v.as_string()->get(), where(path_, v)), entry));
    }
    return ok();
  }

  Result<void> strings(const toml::table& t, std::string_view key, std::vector<std::string>& out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return ok();
    const toml::array* a = n->as_array();
    if (a == nullptr) return wrong(*n, key, "an array of strings");
    out.clear();
    for (const toml::node& item : *a) {
      if (!item.is_string()) return wrong(item, key, "an array of strings");
      out.push_back(item.as_string()->get());
    }
    return ok();
  }

  Result<const toml::table*> table(const toml::table& t, std::string_view key) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return static_cast<const toml::table*>(nullptr);
    if (!n->is_table()) return wrong(*n, key, "a table");
    return n->as_table();
  }

  Error wrong(const toml::node& n, std::string_view key, std::string_view expected) {
    return make_error("config.type", where(path_, n), "'" + std::string(key) + "' must be " + std::string(expected));
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string absolute_from(const fs::path& base, const std::string& value) {
  if (value.empty()) return value;
  fs::path p(value);
  if (p.is_relative()) p = base / p;
  return p.lexically_normal().string();
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "sanso";
  return buf;
}

}  // namespace

int Retention::days_for(quarantine::Verdict verdict) const {
  auto it = days_by_verdict.find(verdict);
  return it == days_by_verdict.end() ? default_days : it->second;
}

const Operator* ServiceConfig::find_operator(std::string_view name) const {
  for (const auto& o : operators) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

Result<ServiceConfig> parse_config(std::string_view text, std::string_view path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return make_error("config.toml-syntax", std::string(path) + ":" + std::to_string(b.line) + ":" + std::to_string(b.column),
                      std::string(e.description()));
  }
  Reader r(path);
  ServiceConfig c;
  c.source = std::string(path);
  fs::path config_dir = fs::absolute(fs::path(path)).parent_path();
  SANSO_TRY(r.only_keys(root, "sanso.toml", {"service", "quarantine", "audit", "mail", "cdr", "listeners", "web", "directory", "users", "monitor", "transfer", "register", "icap", "metrics", "log"}));

  const toml::table* service = SANSO_TRY(r.table(root, "service"));
  if (service == nullptr) {
    return make_error("config.missing", std::string(path), "[service] is required (at least data_dir and policy)");
  }
  SANSO_TRY(r.only_keys(*service, "[service]", {"node", "policy", "data_dir", "store", "key_file", "auto_migrate"}));
  SANSO_TRY(r.string(*service, "node", c.node));
  SANSO_TRY(r.string(*service, "policy", c.policy_file));
  SANSO_TRY(r.string(*service, "data_dir", c.data_dir));
  SANSO_TRY(r.string(*service, "store", c.store));
  SANSO_TRY(r.string(*service, "key_file", c.key_file));
  bool migrate_set = service->get("auto_migrate") != nullptr;
  SANSO_TRY(r.boolean(*service, "auto_migrate", c.auto_migrate));
  if (c.data_dir.empty()) return make_error("config.missing", std::string(path), "[service] data_dir is required");
  if (c.policy_file.empty()) return make_error("config.missing", std::string(path), "[service] policy is required");
  if (c.node.empty()) c.node = host_name();
  c.data_dir = absolute_from(config_dir, c.data_dir);
  c.policy_file = absolute_from(config_dir, c.policy_file);
  c.key_file = absolute_from(c.data_dir, c.key_file.empty() ? "quarantine.key" : c.key_file);
  // A shared PostgreSQL is changed deliberately (`sanso store migrate`), never by whichever node
  // happens to start first with a newer binary.
  bool postgres = c.store.starts_with("postgres");
  if (!migrate_set) c.auto_migrate = !postgres;

  if (const toml::table* q = SANSO_TRY(r.table(root, "quarantine"))) {
    SANSO_TRY(r.only_keys(*q, "[quarantine]", {"retention_days", "approver_roles", "inspector_roles", "export_dir", "smtp_relay", "smtp_helo"}));
    if (const toml::table* days = SANSO_TRY(r.table(*q, "retention_days"))) {
      for (const auto& [key, node] : *days) {
        if (!node.is_integer() || node.as_integer()->get() < 1) {
          return make_error("config.value", where(path, node),
                            "retention_days." + std::string(key.str()) + " must be a whole number of days, at least 1");
        }
        int v = static_cast<int>(node.as_integer()->get());
        if (key.str() == "default") {
          c.quarantine.retention.default_days = v;
        } else {
          auto verdict = quarantine::parse_verdict(key.str(), where(path, node));
          if (!verdict) {
            return make_error("config.value", where(path, node),
                              "retention_days." + std::string(key.str()) + " is not a verdict Sanso keeps originals with (one of: " +
                                  quarantine::verdict_names() + ", or default)");
          }
          c.quarantine.retention.days_by_verdict[*verdict] = v;
        }
      }
    }
    SANSO_TRY(r.strings(*q, "approver_roles", c.quarantine.approver_roles));
    SANSO_TRY(r.strings(*q, "inspector_roles", c.quarantine.inspector_roles));
    SANSO_TRY(r.string(*q, "export_dir", c.quarantine.export_dir));
    SANSO_TRY(r.string(*q, "smtp_relay", c.quarantine.smtp_relay));
    SANSO_TRY(r.string(*q, "smtp_helo", c.quarantine.smtp_helo));
  }
  if (c.quarantine.approver_roles.empty()) c.quarantine.approver_roles = {"security_manager"};
  if (c.quarantine.inspector_roles.empty()) c.quarantine.inspector_roles = c.quarantine.approver_roles;
  c.quarantine.export_dir = absolute_from(c.data_dir, c.quarantine.export_dir.empty() ? "exports" : c.quarantine.export_dir);

  if (const toml::table* a = SANSO_TRY(r.table(root, "audit"))) {
    SANSO_TRY(r.only_keys(*a, "[audit]", {"key_file", "origin", "checkpoint_every", "checkpoint_seconds"}));
    SANSO_TRY(r.string(*a, "key_file", c.audit.key_file));
    SANSO_TRY(r.string(*a, "origin", c.audit.origin));
    SANSO_TRY(r.integer(*a, "checkpoint_every", c.audit.checkpoint_every, 1));
    SANSO_TRY(r.integer(*a, "checkpoint_seconds", c.audit.checkpoint_seconds, 1));
  }
  c.audit.key_file = absolute_from(c.data_dir, c.audit.key_file.empty() ? "audit.key" : c.audit.key_file);

  if (const toml::table* m = SANSO_TRY(r.table(root, "mail"))) {
    SANSO_TRY(r.only_keys(*m, "[mail]", {"output_charset", "prefer", "defang_links", "lang", "keep_headers", "max_message_mb",
                                          "max_depth", "max_parts", "contact", "notice_from", "notice_template", "attachment_actions",
                                          "unmarked_classification", "identifier_action", "strict_on_auth_failure",
                                          "strict_for_first_time_senders", "listener_zones", "outside_city_sender", "on_parser_critical",
                                          "authserv_id", "correspondents", "verifier_authserv_id", "pictures"}));
    SANSO_TRY(r.string(*m, "authserv_id", c.mail.authserv_id));
    // A host name or domain (RFC 8601 2.5): it is written into a header as it is.
    if (!std::all_of(c.mail.authserv_id.begin(), c.mail.authserv_id.end(),
                     [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == '_'; }) ||
        c.mail.authserv_id.size() > 253) {
      return make_error("config.value", where(path, *m->get("authserv_id")),
                        "'authserv_id' must be a host name (letters, digits, '.', '-', '_'; at most 253 characters)");
    }
    // The MTA's verifier (OpenDMARC, OpenDKIM, an SPF checker): its Authentication-Results are
    // what a PPAP link trusts; Sanso's own id there would let Sanso vouch for what it never checked.
    SANSO_TRY(r.string(*m, "verifier_authserv_id", c.mail.verifier_authserv_id));
    if (m->contains("verifier_authserv_id")) {
      const std::string& v = c.mail.verifier_authserv_id;
      if (v.empty() || v.size() > 253 || !std::all_of(v.begin(), v.end(), [](char ch) {
            return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == '_';
          })) {
        return make_error("config.value", where(path, *m->get("verifier_authserv_id")),
                          "'verifier_authserv_id' must be a host name (letters, digits, '.', '-', '_'; at most 253 characters)");
      }
      char host[256] = {};
      if (c.mail.authserv_id.empty()) ::gethostname(host, sizeof host - 1);  // Sanso's id by default (mail/render.cc)
      if (ascii_lower(v) == ascii_lower(c.mail.authserv_id.empty() ? std::string(host) : c.mail.authserv_id)) {
        return make_error("config.value", where(path, *m->get("verifier_authserv_id")),
                          "'verifier_authserv_id' is Sanso's own authserv_id: it must name the MTA's verifier (OpenDMARC, OpenDKIM), which Sanso is not");
      }
    }
    SANSO_TRY(r.keyed_strings(*m, "correspondents", c.mail.correspondents, "an address (display name = \"a@example.jp\")"));
    for (const auto& [name, address] : c.mail.correspondents) {
      if (address.find('@') == std::string::npos || address.find_first_of(" \t\r\n<>") != std::string::npos) {
        return make_error("config.value", where(path, *m->get("correspondents")),
                          "[mail] correspondents: '" + name + "' = '" + address + "' is not an e-mail address");
      }
    }
    SANSO_TRY(r.keyed_strings(*m, "listener_zones", c.mail.listener_zones, "a zone id (listener name = \"lgwan\")"));
    SANSO_TRY(r.word(*m, "outside_city_sender", c.mail.outside_city_sender, mail::parse_outside_city_sender));
    SANSO_TRY(r.boolean(*m, "strict_for_first_time_senders", c.mail.strict_for_first_time_senders));
    SANSO_TRY(r.string(*m, "unmarked_classification", c.mail.unmarked_classification));
    SANSO_TRY(r.word(*m, "identifier_action", c.mail.identifier_action, mail::parse_identifier_action));
    SANSO_TRY(r.word(*m, "pictures", c.mail.pictures, mail::parse_picture_reading));
    SANSO_TRY(r.boolean(*m, "strict_on_auth_failure", c.mail.strict_on_auth_failure));
    SANSO_TRY(r.keyed_words(*m, "attachment_actions", c.mail.attachment_actions, mail::parse_attachment_action));
    SANSO_TRY(r.string(*m, "output_charset", c.mail.output_charset));
    SANSO_TRY(r.string(*m, "prefer", c.mail.prefer));
    SANSO_TRY(r.boolean(*m, "defang_links", c.mail.defang_links));
    SANSO_TRY(r.string(*m, "lang", c.mail.lang));
    SANSO_TRY(r.strings(*m, "keep_headers", c.mail.keep_headers));
    SANSO_TRY(r.integer(*m, "max_message_mb", c.mail.max_message_mb, 1));
    SANSO_TRY(r.integer(*m, "max_depth", c.mail.max_depth, 1));
    SANSO_TRY(r.integer(*m, "max_parts", c.mail.max_parts, 1));
    SANSO_TRY(r.string(*m, "contact", c.mail.contact));
    SANSO_TRY(r.string(*m, "notice_from", c.mail.notice_from));
    SANSO_TRY(r.string(*m, "notice_template", c.mail.notice_template));
    SANSO_TRY(r.word(*m, "on_parser_critical", c.mail.on_parser_critical, mail::parse_parser_critical_action));
    c.mail.notice_template = absolute_from(config_dir, c.mail.notice_template);
    auto one_of = [&](const std::string& value, const char* key, std::initializer_list<const char*> allowed) -> Result<void> {
      for (const char* a : allowed) {
        if (value == a) return ok();
      }
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return make_error("config.value", where(path, *m->get(key)), std::string("'") + key + "' must be one of: " + list);
    };
    if (m->get("output_charset") != nullptr) SANSO_TRY(one_of(c.mail.output_charset, "output_charset", {"utf-8", "iso-2022-jp"}));
    if (m->get("prefer") != nullptr) SANSO_TRY(one_of(c.mail.prefer, "prefer", {"text", "html"}));
    if (m->get("lang") != nullptr) SANSO_TRY(one_of(c.mail.lang, "lang", {"ja", "en"}));
  }

  // The strict trigger reads only the verifier's Authentication-Results: without one it never
  // fires. On — written out, or by default, which an administrator reads in the docs as "on" —
  // the setting promises what it cannot do: said at load (by default, only where the gateway
  // runs: `sanso milter`), not silently; with no [mail] table at all, of the file.
  if (c.mail.strict_on_auth_failure && c.mail.verifier_authserv_id.empty()) {
    const toml::table* m = root.get_as<toml::table>("mail");
    const bool written = m != nullptr && m->contains("strict_on_auth_failure");
    const std::string at = written ? where(path, *m->get("strict_on_auth_failure")) : m != nullptr ? where(path, *m) : std::string(path);
    (written ? c.warnings : c.gateway_warnings)
        .push_back(at + ": [mail] strict_on_auth_failure = true" + (written ? "" : " (the default)") +
                   " has no effect without [mail] verifier_authserv_id (the MTA's verifier, e.g. OpenDMARC's AuthservID, whose "
                   "SPF/DKIM/DMARC results it acts on): set it, or turn strict_on_auth_failure off");
  }

  if (const toml::table* d = SANSO_TRY(r.table(root, "cdr"))) {
    SANSO_TRY(r.only_keys(*d, "[cdr]", {"keep_hyperlinks", "remove_pdf_uri", "csv_bom", "extension_map", "max_depth", "max_members",
                                         "max_expanded_mb", "max_ratio", "max_pixels", "max_file_mb", "timeout_seconds", "attachments", "clamd",
                                         "mode", "convert_legacy", "max_pages", "dpi", "libreoffice", "pdftoppm", "tiff2rgba", "converter_timeout_seconds", "chromium"}));
    SANSO_TRY(r.string(*d, "clamd", c.cdr.clamd));
    SANSO_TRY(r.boolean(*d, "keep_hyperlinks", c.cdr.keep_hyperlinks));
    SANSO_TRY(r.boolean(*d, "remove_pdf_uri", c.cdr.remove_pdf_uri));
    SANSO_TRY(r.boolean(*d, "csv_bom", c.cdr.csv_bom));
    SANSO_TRY(r.integer(*d, "max_depth", c.cdr.max_depth, 1));
    SANSO_TRY(r.integer(*d, "max_members", c.cdr.max_members, 1));
    SANSO_TRY(r.integer(*d, "max_expanded_mb", c.cdr.max_expanded_mb, 1));
    SANSO_TRY(r.integer(*d, "max_ratio", c.cdr.max_ratio, 1));
    SANSO_TRY(r.integer(*d, "max_pixels", c.cdr.max_pixels, 1));
    SANSO_TRY(r.integer(*d, "max_file_mb", c.cdr.max_file_mb, 1));
    SANSO_TRY(r.integer(*d, "timeout_seconds", c.cdr.timeout_seconds, 1));
    SANSO_TRY(r.string(*d, "mode", c.cdr.mode));
    if (c.cdr.mode != "rebuild" && c.cdr.mode != "rasterize") {
      return make_error("config.value", where(path, *d->get("mode")), "'mode' must be one of: rebuild, rasterize");
    }
    SANSO_TRY(r.boolean(*d, "convert_legacy", c.cdr.convert_legacy));
    SANSO_TRY(r.integer(*d, "max_pages", c.cdr.max_pages, 1));
    SANSO_TRY(r.integer(*d, "dpi", c.cdr.dpi, 36));
    if (c.cdr.dpi > 600) return make_error("config.value", where(path, *d->get("dpi")), "'dpi' must be at most 600 (pages become huge images)");
    SANSO_TRY(r.string(*d, "libreoffice", c.cdr.libreoffice));
    SANSO_TRY(r.string(*d, "pdftoppm", c.cdr.pdftoppm));
    SANSO_TRY(r.string(*d, "tiff2rgba", c.cdr.tiff2rgba));
    SANSO_TRY(r.string(*d, "chromium", c.cdr.chromium));
    SANSO_TRY(r.integer(*d, "converter_timeout_seconds", c.cdr.converter_timeout_seconds, 1));
    SANSO_TRY(r.word(*d, "attachments", c.cdr.attachments, mail::parse_attachment_action));
    // "reject" is a per-type exception ([mail] attachment_actions), not a default: it would hold every mail with an attachment.
    if (c.cdr.attachments == mail::AttachmentAction::kReject) {
      return make_error("config.value", where(path, *d->get("attachments")), "'attachments' must be one of: sanitize, remove");
    }
    SANSO_TRY(r.keyed_strings(*d, "extension_map", c.cdr.extension_map, "a string (the content type accepted under this extension, e.g. \"pdf\")"));
  }

  if (const toml::table* t = SANSO_TRY(r.table(root, "register"))) {
    SANSO_TRY(r.only_keys(*t, "[register]", {"max_import_rows", "max_import_mb"}));
    SANSO_TRY(r.integer(*t, "max_import_rows", c.registers.max_import_rows, 1));
    SANSO_TRY(r.integer(*t, "max_import_mb", c.registers.max_import_mb, 1));
  }
  if (const toml::table* t = SANSO_TRY(r.table(root, "transfer"))) {
    SANSO_TRY(r.only_keys(*t, "[transfer]", {"max_file_mb", "max_files", "max_total_mb", "retention_days", "link_hours", "max_password_failures",
                                               "user_quota_mb", "notify", "notify_from", "unlock_attempts"}));
    SANSO_TRY(r.integer(*t, "max_file_mb", c.transfer.max_file_mb, 1));
    SANSO_TRY(r.integer(*t, "max_files", c.transfer.max_files, 1));
    SANSO_TRY(r.integer(*t, "max_total_mb", c.transfer.max_total_mb, 1));
    SANSO_TRY(r.integer(*t, "retention_days", c.transfer.retention_days, 1));
    SANSO_TRY(r.integer(*t, "link_hours", c.transfer.link_hours, 1));
    SANSO_TRY(r.integer(*t, "max_password_failures", c.transfer.max_password_failures, 1));
    SANSO_TRY(r.integer(*t, "unlock_attempts", c.transfer.unlock_attempts, 1));
    SANSO_TRY(r.integer(*t, "user_quota_mb", c.transfer.user_quota_mb, 1));
    SANSO_TRY(r.boolean(*t, "notify", c.transfer.notify));
    SANSO_TRY(r.string(*t, "notify_from", c.transfer.notify_from));
    if (!c.transfer.notify_from.empty() && !is_plain_mail_address(c.transfer.notify_from)) {
      return make_error("config.value", where(path, *t->get("notify_from")), "[transfer] notify_from '" + c.transfer.notify_from + "' is not a plain address (local@domain)");
    }
  }
  if (const toml::table* m = SANSO_TRY(r.table(root, "monitor"))) {
    SANSO_TRY(r.only_keys(*m, "[monitor]", {"indicator_files", "window_seconds", "volume_bucket_seconds", "volume_factor", "volume_min_mb",
                                             "csv_columns", "syslog_udp", "syslog_tcp", "ipfix_udp", "syslog_format", "notify_to",
                                             "notify_from", "notify_interval_seconds", "notify_max_listed"}));
    SANSO_TRY(r.strings(*m, "indicator_files", c.monitor.indicator_files));
    for (auto& f : c.monitor.indicator_files) f = absolute_from(config_dir, f);
    SANSO_TRY(r.integer(*m, "window_seconds", c.monitor.window_seconds, 1));
    SANSO_TRY(r.integer(*m, "volume_bucket_seconds", c.monitor.volume_bucket_seconds, 60));
    SANSO_TRY(r.integer(*m, "volume_factor", c.monitor.volume_factor, 2));
    SANSO_TRY(r.integer(*m, "volume_min_mb", c.monitor.volume_min_mb, 0));
    SANSO_TRY(r.string(*m, "csv_columns", c.monitor.csv_columns));
    SANSO_TRY(r.string(*m, "syslog_udp", c.monitor.syslog_udp));
    SANSO_TRY(r.string(*m, "syslog_tcp", c.monitor.syslog_tcp));
    SANSO_TRY(r.string(*m, "ipfix_udp", c.monitor.ipfix_udp));
    SANSO_TRY(r.string(*m, "syslog_format", c.monitor.syslog_format));
    if (c.monitor.syslog_format != "syslog" && c.monitor.syslog_format != "fortigate" && c.monitor.syslog_format != "paloalto") {
      return make_error("config.value", where(path, *m->get("syslog_format")), "'syslog_format' must be one of: syslog, fortigate, paloalto");
    }
    SANSO_TRY(r.strings(*m, "notify_to", c.monitor.notify_to));
    SANSO_TRY(r.string(*m, "notify_from", c.monitor.notify_from));
    SANSO_TRY(r.integer(*m, "notify_interval_seconds", c.monitor.notify_interval_seconds, 10));
    SANSO_TRY(r.integer(*m, "notify_max_listed", c.monitor.notify_max_listed, 1));
    // These go into the mail's header as they are: an address that could end or split a header
    // field is refused here, not sent.
    for (const std::string& a : c.monitor.notify_to) {
      if (!is_plain_mail_address(a)) return make_error("config.value", where(path, *m->get("notify_to")), "'notify_to': '" + a + "' is not a plain address (local@domain)");
    }
    if (!c.monitor.notify_from.empty() && !is_plain_mail_address(c.monitor.notify_from)) {
      return make_error("config.value", where(path, *m->get("notify_from")), "'notify_from' is not a plain address (local@domain)");
    }
    if (!c.monitor.notify_to.empty() && c.quarantine.smtp_relay.empty()) {
      return make_error("config.missing", where(path, *m->get("notify_to")), "'notify_to' is set but [quarantine] smtp_relay is not: the mail would have no way out");
    }
  }

  c.log.hostname = c.node;
  if (const toml::table* t = SANSO_TRY(r.table(root, "log"))) {
    SANSO_TRY(r.only_keys(*t, "[log]", {"level", "syslog", "facility", "journal", "audit"}));
    std::string level;
    SANSO_TRY(r.string(*t, "level", level));
    if (!level.empty()) {
      static constexpr std::pair<const char*, log::Level> kLevels[] = {
          {"debug", log::Level::kDebug}, {"info", log::Level::kInfo}, {"warn", log::Level::kWarn}, {"error", log::Level::kError}};
      for (const auto& [name, value] : kLevels) {
        if (level == name) c.log.level = value;
      }
      if (!c.log.level) return make_error("config.value", where(path, *t->get("level")), "[log] 'level' must be one of: debug, info, warn, error");
    }
    SANSO_TRY(r.string(*t, "syslog", c.log.syslog));
    if (!c.log.syslog.empty()) {
      if (auto checked = log::check_syslog_target(c.log.syslog); !checked) {
        return make_error("config.value", where(path, *t->get("syslog")), "[log] 'syslog': " + checked.error().message);
      }
    }
    SANSO_TRY(r.string(*t, "facility", c.log.facility));
    if (auto checked = log::check_facility(c.log.facility); !checked) {
      return make_error("config.value", where(path, *t->get("facility")), "[log] 'facility': " + checked.error().message);
    }
    SANSO_TRY(r.boolean(*t, "journal", c.log.journal));
    SANSO_TRY(r.boolean(*t, "audit", c.log.audit));
  }

  if (const toml::table* t = SANSO_TRY(r.table(root, "metrics"))) {
    SANSO_TRY(r.only_keys(*t, "[metrics]", {"milter", "icap", "monitor", "from"}));
    for (auto [key, value] : {std::pair{"milter", &c.metrics.milter}, std::pair{"icap", &c.metrics.icap}, std::pair{"monitor", &c.metrics.monitor}}) {
      SANSO_TRY(r.string(*t, key, *value));
      if (!value->empty() && !split_host_port(*value)) {
        return make_error("config.value", where(path, *t->get(key)),
                          "[metrics] '" + std::string(key) + "' must be host:port, e.g. \"127.0.0.1:9851\" or \"[::1]:9851\"");
      }
    }
    SANSO_TRY(r.strings(*t, "from", c.metrics.from));
    for (const auto& network : c.metrics.from) {
      if (!policy::parse_cidr(network)) {
        return make_error("config.value", where(path, *t->get("from")),
                          "'" + network + "' in [metrics] 'from' is not an address or network (e.g. \"192.0.2.7\" or \"10.0.0.0/24\")");
      }
    }
  }

  if (const toml::table* l = SANSO_TRY(r.table(root, "listeners"))) {
    SANSO_TRY(r.only_keys(*l, "[listeners]", {"milter", "web", "web_zones"}));
    SANSO_TRY(r.string(*l, "milter", c.listeners.milter));
    SANSO_TRY(r.string(*l, "web", c.listeners.web));
    SANSO_TRY(r.keyed_strings(*l, "web_zones", c.listeners.web_zones, "the console's address for that zone (lgwan = \"10.20.0.1:8443\")"));
  }

  if (const toml::table* w = SANSO_TRY(r.table(root, "web"))) {
    SANSO_TRY(r.only_keys(*w, "[web]", {"tls_cert", "tls_key", "roles", "session_idle_minutes", "session_max_hours", "max_failures",
                                         "lockout_minutes", "min_password_length", "require_second_factor", "admin_roles",
                                         "public_origin", "internet_origin", "trusted_proxies", "permissions", "metrics_from", "nat64_prefixes"}));
    SANSO_TRY(r.string(*w, "tls_cert", c.web.tls_cert));
    SANSO_TRY(r.string(*w, "tls_key", c.web.tls_key));
    if (c.web.tls_cert.empty() != c.web.tls_key.empty()) {
      return make_error("config.value", std::string(path) + ": [web]", "give both 'tls_cert' and 'tls_key', or neither");
    }
    c.web.tls_cert = absolute_from(config_dir, c.web.tls_cert);
    c.web.tls_key = absolute_from(config_dir, c.web.tls_key);
    SANSO_TRY(r.strings(*w, "roles", c.web.roles));
    SANSO_TRY(r.integer(*w, "session_idle_minutes", c.web.session_idle_minutes, 1));
    SANSO_TRY(r.integer(*w, "session_max_hours", c.web.session_max_hours, 1));
    SANSO_TRY(r.integer(*w, "max_failures", c.web.max_failures, 1));
    SANSO_TRY(r.integer(*w, "lockout_minutes", c.web.lockout_minutes, 1));
    SANSO_TRY(r.integer(*w, "min_password_length", c.web.min_password_length, 8));
    SANSO_TRY(r.boolean(*w, "require_second_factor", c.web.require_second_factor));
    SANSO_TRY(r.strings(*w, "admin_roles", c.web.admin_roles));
    if (const toml::table* granted = SANSO_TRY(r.table(*w, "permissions"))) {
      std::string words;
      for (auto word : kConsolePermissions) words += (words.empty() ? "" : ", ") + std::string(word);
      if (granted->empty()) {
        return make_error("config.value", where(path, *w->get("permissions")),
                          "[web.permissions] gives nobody anything: name the roles of each page group (" + words + ")");
      }
      for (const auto& [key, value] : *granted) {
        const std::string word(key.str());
        if (std::find(std::begin(kConsolePermissions), std::end(kConsolePermissions), word) == std::end(kConsolePermissions)) {
          return make_error("config.value", where(path, value),
                            "'" + word + "' in [web.permissions] is not a permission of the console (" + words + ")");
        }
        std::vector<std::string> roles;
        SANSO_TRY(r.strings(*granted, key.str(), roles));
        c.web.permissions[word] = std::move(roles);
      }
      if (w->get("roles") != nullptr) {
        return make_error("config.value", where(path, *w->get("roles")),
                          "give [web.permissions] or [web] roles, not both: with permissions, everyone holding one may sign in");
      }
      for (const auto& [word, roles] : c.web.permissions) {
        for (const auto& role : roles) {
          if (std::find(c.web.roles.begin(), c.web.roles.end(), role) == c.web.roles.end()) c.web.roles.push_back(role);
        }
      }
    }
    SANSO_TRY(r.string(*w, "public_origin", c.web.public_origin));
    c.web.public_origin = normal_origin(c.web.public_origin);
    if (!c.web.public_origin.empty() && !is_web_origin(c.web.public_origin)) {
      return make_error("config.value", where(path, *w->get("public_origin")),
                        "'public_origin' must be scheme://host[:port] as browsers send it in Origin, e.g. "
                        "\"https://console.city.example.lg.jp\" (no path)");
    }
    SANSO_TRY(r.string(*w, "internet_origin", c.web.internet_origin));
    c.web.internet_origin = normal_origin(c.web.internet_origin);
    // Links that leave the city by mail: https only, never a plain-text address on the internet.
    if (!c.web.internet_origin.empty() && (c.web.internet_origin.rfind("https://", 0) != 0 || !is_web_origin(c.web.internet_origin))) {
      return make_error("config.value", where(path, *w->get("internet_origin")),
                        "'internet_origin' must be https://host[:port] as internet-side browsers reach the console, e.g. "
                        "\"https://files.city.example.jp\" (no path, query or user)");
    }
    SANSO_TRY(r.strings(*w, "metrics_from", c.web.metrics_from));
    for (const auto& network : c.web.metrics_from) {
      if (!policy::parse_cidr(network)) {
        return make_error("config.value", where(path, *w->get("metrics_from")),
                          "'" + network + "' in 'metrics_from' is not an address or network (e.g. \"192.0.2.7\" or \"10.0.0.0/24\")");
      }
    }
    SANSO_TRY(r.strings(*w, "nat64_prefixes", c.web.nat64_prefixes));
    for (auto& prefix : c.web.nat64_prefixes) {
      auto cidr = policy::parse_cidr(prefix);
      const bool rfc6052 = cidr && !cidr->v4 && !cidr->host_bits_set &&
                           (cidr->bits == 32 || cidr->bits == 40 || cidr->bits == 48 || cidr->bits == 56 || cidr->bits == 64 || cidr->bits == 96);
      if (!rfc6052) {
        return make_error("config.value", where(path, *w->get("nat64_prefixes")),
                          "'" + prefix + "' in 'nat64_prefixes' is not an IPv6 NAT64 prefix of RFC 6052's lengths (/32, /40, /48, /56, /64 or /96, "
                          "no host bits), e.g. \"2001:db8:64::/96\"");
      }
      prefix = policy::format_ip(cidr->base) + "/" + std::to_string(cidr->bits);
    }
    SANSO_TRY(r.strings(*w, "trusted_proxies", c.web.trusted_proxies));
    for (auto& proxy : c.web.trusted_proxies) {
      auto address = canonical_ip(proxy);
      if (!address) {
        return make_error("config.value", where(path, *w->get("trusted_proxies")),
                          "'" + proxy + "' in 'trusted_proxies' is not an IP address (give each proxy's address, e.g. \"127.0.0.1\")");
      }
      proxy = *address;
    }
  }

  if (const toml::table* t = SANSO_TRY(r.table(root, "icap"))) {
    SANSO_TRY(r.only_keys(*t, "[icap]", {"listen", "trusted_proxies", "max_header_kb", "max_body_mb", "preview_bytes", "max_connections",
                                         "options_ttl_seconds", "idle_seconds", "page_types", "contact", "request_seconds", "from"}));
    SANSO_TRY(r.string(*t, "listen", c.icap.listen));
    SANSO_TRY(r.strings(*t, "trusted_proxies", c.icap.trusted_proxies));
    for (auto& proxy : c.icap.trusted_proxies) {
      auto address = canonical_ip(proxy);
      if (!address) {
        return make_error("config.value", where(path, *t->get("trusted_proxies")),
                          "'" + proxy + "' in [icap] 'trusted_proxies' is not an IP address (give each proxy's address, e.g. \"127.0.0.1\")");
      }
      proxy = *address;
    }
    SANSO_TRY(r.integer(*t, "max_header_kb", c.icap.max_header_kb, 4));
    SANSO_TRY(r.integer(*t, "max_body_mb", c.icap.max_body_mb, 1));
    SANSO_TRY(r.integer(*t, "preview_bytes", c.icap.preview_bytes, 0));
    SANSO_TRY(r.integer(*t, "max_connections", c.icap.max_connections, 1));
    SANSO_TRY(r.integer(*t, "options_ttl_seconds", c.icap.options_ttl_seconds, 1));
    SANSO_TRY(r.integer(*t, "idle_seconds", c.icap.idle_seconds, 1));
    SANSO_TRY(r.integer(*t, "request_seconds", c.icap.request_seconds, 1));
    SANSO_TRY(r.strings(*t, "from", c.icap.from));
    for (const auto& network : c.icap.from) {
      if (!policy::parse_cidr(network)) {
        return make_error("config.value", where(path, *t->get("from")),
                          "'" + network + "' in [icap] 'from' is not an address or network (e.g. \"192.0.2.7\" or \"10.0.0.0/24\")");
      }
    }
    SANSO_TRY(r.strings(*t, "page_types", c.icap.page_types));
    for (auto& type : c.icap.page_types) {
      for (auto& ch : type) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
    SANSO_TRY(r.string(*t, "contact", c.icap.contact));
    if (c.icap.max_header_kb > 1024) return make_error("config.value", where(path, *t->get("max_header_kb")), "'max_header_kb' must be at most 1024");
    if (c.icap.preview_bytes > 65536) return make_error("config.value", where(path, *t->get("preview_bytes")), "'preview_bytes' must be at most 65536");
    if (c.icap.max_connections > 4096) return make_error("config.value", where(path, *t->get("max_connections")), "'max_connections' must be at most 4096");
  }

  if (const toml::table* d = SANSO_TRY(r.table(root, "directory"))) {
    SANSO_TRY(r.only_keys(*d, "[directory]", {"uri", "transport", "ca_file", "bind_template", "base_dn", "user_filter", "group_base",
                                               "timeout_seconds", "max_group_depth", "groups", "lookup_bind", "lookup_password_file",
                                               "training_groups"}));
    directory::Settings& ds = c.directory;
    SANSO_TRY(r.string(*d, "uri", ds.uri));
    std::string transport = "starttls";
    SANSO_TRY(r.string(*d, "transport", transport));
    if (transport == "starttls") {
      ds.transport = directory::Transport::kStartTls;
    } else if (transport == "ldaps") {
      ds.transport = directory::Transport::kLdaps;
    } else if (transport == "none") {
      ds.transport = directory::Transport::kNone;
    } else {
      return make_error("config.value", where(path, *d->get("transport")), "'transport' must be \"starttls\", \"ldaps\" or \"none\"");
    }
    SANSO_TRY(r.string(*d, "ca_file", ds.ca_file));
    ds.ca_file = absolute_from(config_dir, ds.ca_file);
    SANSO_TRY(r.string(*d, "bind_template", ds.bind_template));
    SANSO_TRY(r.string(*d, "base_dn", ds.base_dn));
    SANSO_TRY(r.string(*d, "user_filter", ds.user_filter));
    SANSO_TRY(r.string(*d, "group_base", ds.group_base));
    SANSO_TRY(r.string(*d, "lookup_bind", ds.lookup_bind));
    SANSO_TRY(r.string(*d, "lookup_password_file", ds.lookup_password_file));
    if (ds.lookup_bind.empty() != ds.lookup_password_file.empty()) {
      return make_error("config.missing", where(path, *d), "[directory] give both 'lookup_bind' and 'lookup_password_file', or neither");
    }
    ds.lookup_password_file = absolute_from(config_dir, ds.lookup_password_file);
    SANSO_TRY(r.strings(*d, "training_groups", ds.training_groups));
    if (!ds.training_groups.empty() && ds.lookup_bind.empty()) {
      return make_error("config.missing", where(path, *d), "[directory] 'training_groups' are read as the lookup account: give 'lookup_bind' and 'lookup_password_file'");
    }
    std::int64_t timeout_seconds = 5;
    std::int64_t max_group_depth = ds.max_group_depth;
    SANSO_TRY(r.integer(*d, "timeout_seconds", timeout_seconds, 1));
    SANSO_TRY(r.integer(*d, "max_group_depth", max_group_depth, 0));
    if (timeout_seconds > 600 || max_group_depth > 64) {
      return make_error("config.value", where(path, *d), "[directory] 'timeout_seconds' is at most 600 and 'max_group_depth' at most 64");
    }
    ds.timeout = std::chrono::seconds(timeout_seconds);
    ds.max_group_depth = static_cast<int>(max_group_depth);
    if (!ds.uri.empty()) {
      if (ds.bind_template.empty() || ds.base_dn.empty()) {
        return make_error("config.missing", where(path, *d), "[directory] with a uri needs 'bind_template' and 'base_dn'");
      }
      if (ds.bind_template.find("{user}") == std::string::npos || ds.user_filter.find("{user}") == std::string::npos) {
        return make_error("config.value", where(path, *d), "[directory] 'bind_template' and 'user_filter' must contain {user}");
      }
    }
    if (const toml::node* groups = d->get("groups")) {
      const toml::array* a = groups->as_array();
      if (a == nullptr) return r.wrong(*groups, "groups", "an array of tables ([[directory.groups]])");
      for (const toml::node& item : *a) {
        const toml::table* g = item.as_table();
        if (g == nullptr) return r.wrong(item, "groups", "an array of tables ([[directory.groups]])");
        SANSO_TRY(r.only_keys(*g, "[[directory.groups]]", {"dn", "roles", "zone"}));
        directory::GroupMapping group;
        SANSO_TRY(r.string(*g, "dn", group.dn));
        SANSO_TRY(r.strings(*g, "roles", group.roles));
        SANSO_TRY(r.string(*g, "zone", group.zone));
        if (group.dn.empty()) return make_error("config.missing", where(path, item), "[[directory.groups]] needs a dn");
        ds.groups.push_back(std::move(group));
      }
    }
  }

  if (const toml::node* users = root.get("users")) {
    const toml::array* a = users->as_array();
    if (a == nullptr) return r.wrong(*users, "users", "an array of tables ([[users]])");
    for (const toml::node& item : *a) {
      const toml::table* u = item.as_table();
      if (u == nullptr) return r.wrong(item, "users", "an array of tables ([[users]])");
      SANSO_TRY(r.only_keys(*u, "[[users]]", {"name", "display", "roles", "zone", "mail"}));
      Operator op;
      SANSO_TRY(r.string(*u, "name", op.name));
      SANSO_TRY(r.string(*u, "display", op.display));
      SANSO_TRY(r.strings(*u, "roles", op.roles));
      SANSO_TRY(r.string(*u, "zone", op.zone));
      SANSO_TRY(r.string(*u, "mail", op.mail));
      if (!op.mail.empty() && !is_plain_mail_address(op.mail)) {
        return make_error("config.value", where(path, *u->get("mail")), "[[users]] mail '" + op.mail + "' is not a plain address (local@domain)");
      }
      if (op.name.empty()) return make_error("config.missing", where(path, item), "[[users]] needs a name");
      if (c.find_operator(op.name) != nullptr) {
        return make_error("config.duplicate", where(path, item), "user '" + op.name + "' is listed twice");
      }
      c.operators.push_back(std::move(op));
    }
  }
  if (c.web.admin_roles.empty()) c.web.admin_roles = c.quarantine.inspector_roles;
  if (c.web.roles.empty() && c.web.permissions.empty()) {
    c.web.roles = c.quarantine.approver_roles;
    for (const auto& role : c.quarantine.inspector_roles) {
      if (std::find(c.web.roles.begin(), c.web.roles.end(), role) == c.web.roles.end()) c.web.roles.push_back(role);
    }
  }
  return c;
}

std::optional<std::string> canonical_ip(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string input(text);
  char out[INET6_ADDRSTRLEN];
  in_addr v4{};
  if (::inet_pton(AF_INET, input.c_str(), &v4) == 1) return std::string(::inet_ntop(AF_INET, &v4, out, sizeof out));
  in6_addr v6{};
  if (::inet_pton(AF_INET6, input.c_str(), &v6) != 1) return std::nullopt;
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    std::memcpy(&v4, &v6.s6_addr[12], 4);
    return std::string(::inet_ntop(AF_INET, &v4, out, sizeof out));
  }
  return std::string(::inet_ntop(AF_INET6, &v6, out, sizeof out));
}

bool is_web_origin(std::string_view origin) {
  std::string_view rest;
  if (origin.rfind("https://", 0) == 0) {
    rest = origin.substr(8);
  } else if (origin.rfind("http://", 0) == 0) {
    rest = origin.substr(7);
  } else {
    return false;
  }
  // A host name, an IPv4 address or a bracketed IPv6 one, and an optional port: nothing that
  // could carry a path, credentials, a query or whitespace.
  if (rest.empty() || rest.size() > 255) return false;
  return std::all_of(rest.begin(), rest.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
  }) && rest.front() != ':' && rest.front() != '.';
}

std::string normal_origin(std::string_view origin) {
  std::string out = ascii_lower(origin);
  if (!out.empty() && out.back() == '/') out.pop_back();
  for (const auto& [scheme, port] : {std::pair<std::string_view, std::string_view>{"https://", ":443"}, {"http://", ":80"}}) {
    if (out.rfind(scheme, 0) == 0 && out.size() > scheme.size() + port.size() && out.compare(out.size() - port.size(), port.size(), port) == 0) {
      out.resize(out.size() - port.size());
    }
  }
  return out;
}

Result<ServiceConfig> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("config.io", path, "cannot read the service configuration (give it with --config FILE)");
  std::ostringstream text;
  text << in.rdbuf();
  ServiceConfig c = SANSO_TRY(parse_config(text.str(), path));
  for (const auto& w : c.warnings) log::warn("config: " + w);
  return c;
}

}  // namespace sanso::config

#include "policy/policy.h"

namespace sanso::config {

Result<void> check_config_against_policy(const ServiceConfig& config, const policy::Policy& policy) {
  auto known = [&](const std::string& role, const std::string& where) -> Result<void> {
    if (policy.find_role(role) != nullptr) return ok();
    std::string list;
    for (const auto& r : policy.roles) list += (list.empty() ? "" : ", ") + r.id;
    return make_error("config.unknown-role", config.source + ": " + where,
                      "role '" + role + "' is not a role of the policy " + policy.source_name + " (roles: " + list + ")");
  };
  for (const auto& r : config.quarantine.approver_roles) SANSO_TRY(known(r, "[quarantine] approver_roles"));
  for (const auto& r : config.quarantine.inspector_roles) SANSO_TRY(known(r, "[quarantine] inspector_roles"));
  for (const auto& r : config.web.roles) SANSO_TRY(known(r, "[web] roles"));
  for (const auto& r : config.web.admin_roles) SANSO_TRY(known(r, "[web] admin_roles"));
  for (const auto& [word, roles] : config.web.permissions) {
    for (const auto& r : roles) SANSO_TRY(known(r, "[web.permissions] " + word));
  }
  for (const auto& u : config.operators) {
    for (const auto& r : u.roles) SANSO_TRY(known(r, "[[users]] " + u.name));
    if (!u.zone.empty() && policy.find_zone(u.zone) == nullptr) {
      return make_error("config.unknown-zone", config.source + ": [[users]] " + u.name, "zone '" + u.zone + "' is not a zone of the policy");
    }
  }
  for (const auto& g : config.directory.groups) {
    for (const auto& r : g.roles) SANSO_TRY(known(r, "[[directory.groups]] " + g.dn));
    if (!g.zone.empty() && policy.find_zone(g.zone) == nullptr) {
      return make_error("config.unknown-zone", config.source + ": [[directory.groups]] " + g.dn, "zone '" + g.zone + "' is not a zone of the policy");
    }
  }
  if (!policy.scheme.confidentiality.rank_of(config.mail.unmarked_classification)) {
    return make_error("config.unknown-level", config.source + ": [mail] unmarked_classification",
                      "'" + config.mail.unmarked_classification + "' is not a confidentiality level of the policy (levels: " +
                          policy.scheme.confidentiality.ids_joined() + ")");
  }
  return ok();
}

}  // namespace sanso::config
