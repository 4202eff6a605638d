#include "cli/service.h"
#include "cli/batch_files.h"
#include "cli/commands.h"

#include <chrono>

#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <malloc.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <signal.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <cstring>
#include <fstream>
#include <sstream>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>

#include "audit/versions.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/os_identity.h"
#include "core/private_file.h"
#include "mail/smtp_client.h"
#include "policy/check.h"
#include "store/schema.h"

namespace sanso::cli {
namespace {

Result<std::string> file_sha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cli.unreadable", path, "cannot read the file");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return sha256_hex(bytes.str());
}

}  // namespace


void add_service_options(CLI::App& cmd, ServiceOptions& o, bool needs_actor) {
  cmd.add_option("--config", o.config_path, "service configuration (sanso.toml); default $SANSO_CONFIG or /etc/sanso/sanso.toml");
  if (needs_actor) {
    cmd.add_option("--as", o.as,
                   "who is acting (a [[users]] name in sanso.toml); default $SANSO_USER, then your login's account name. "
                   "The record also keeps the operating-system account, which --as cannot change");
  }
}

void print_error(const Error& e) { std::fprintf(stderr, "sanso: %s\n", e.to_string().c_str()); }

int fail(const Error& e) {
  print_error(e);
  return kExitFailure;
}

Result<Service> load_service(const ServiceOptions& o) {
  std::string path = o.config_path;
  if (path.empty()) {
    const char* env = std::getenv("SANSO_CONFIG");
    path = env != nullptr ? env : "/etc/sanso/sanso.toml";
  }
  path = SANSO_TRY(trusted_configuration(path));
  Service s;
  auto loaded = config::load_config(path);
  if (!loaded) {
    // Under sudo any root file passes as a configuration's owner: a parse error would show the
    // shape of one the person may not read (`/etc/shadow:1:5: expected '='`).
    if (!person_may_read(path)) {
      return make_error(loaded.error().code, path, "not a configuration sanso can use (what is wrong is not shown: you cannot read this file yourself)");
    }
    return loaded.error();
  }
  s.config = std::move(loaded).value();
  // Before anything is audited: every entry this command commits is told to the configured logs.
  SANSO_TRY(log::configure(s.config.log));
  s.policy = SANSO_TRY(policy::load_checked_policy(s.config.policy_file, system_clock().today()));
  s.policy_sha256 = SANSO_TRY(file_sha256(s.config.policy_file));
  s.config_sha256 = SANSO_TRY(file_sha256(s.config.source));
  SANSO_TRY(config::check_config_against_policy(s.config, s.policy));
  if (!o.service_daemon) s.via = os_identity_of_this_process().via();
  return s;
}

Result<std::unique_ptr<store::Database>> open_store(const config::ServiceConfig& config, bool check_checkpoint) {
  auto location = SANSO_TRY(store::parse_store_location(config.store, config.data_dir));
  SANSO_TRY(refuse_missing_store(config, location));
  auto db = SANSO_TRY(store::open_database(location));
  if (config.auto_migrate) {
    SANSO_TRY(store::migrate(*db));
  } else {
    SANSO_TRY(store::require_current_schema(*db));
  }
  SANSO_TRY(guard_store_identity(*db, config, location));
  if (check_checkpoint) SANSO_TRY(guard_store_checkpoint(*db, config, location));
  return db;
}

struct StoreWatch::State {
  std::mutex mu;
  std::condition_variable cv;
  bool ending = false;
  std::optional<Error> lost;
  std::thread thread;
};

StoreWatch::StoreWatch(const config::ServiceConfig& config, std::function<void()> stop) : state_(std::make_unique<State>()) {
  auto location = store::parse_store_location(config.store, config.data_dir);
  if (!location || location->backend != store::Backend::kSqlite) return;
  struct stat first {};
  if (::stat(location->target.c_str(), &first) != 0) return;
  state_->thread = std::thread([state = state_.get(), path = location->target, first, stop = std::move(stop)] {
    // Signals stay with the threads that wait for them (libmilter's, the console's).
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    std::unique_lock lock(state->mu);
    while (!state->cv.wait_for(lock, std::chrono::seconds(2), [state] { return state->ending; })) {
      struct stat now {};
      bool gone = ::stat(path.c_str(), &now) != 0;
      if (!gone && now.st_dev == first.st_dev && now.st_ino == first.st_ino) continue;
      state->lost = make_error("store.replaced", path,
                               gone ? "the store's file was removed while the service ran; it stops rather than write into a file no one "
                                      "can open again. Restore the store (docs/operations.md), then start the service"
                                    : "the store's file was replaced while the service ran; it stops. Find out why (docs/operations.md)");
      print_error(*state->lost);
      lock.unlock();
      stop();
      return;
    }
  });
}

StoreWatch::~StoreWatch() {
  if (!state_->thread.joinable()) return;
  {
    std::lock_guard lock(state_->mu);
    state_->ending = true;
  }
  state_->cv.notify_all();
  state_->thread.join();
}

std::optional<Error> StoreWatch::lost() const {
  std::lock_guard lock(state_->mu);
  return state_->lost;
}

Result<audit::SigningKey> load_audit_key(const Service& service, bool create) {
  const std::string& path = service.config.audit.key_file;
  std::ifstream in(path);
  if (in) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      return make_error("audit.key", path, "the audit signing key is readable by other users; run chmod 600 on it");
    }
    std::string text;
    std::getline(in, text);
    auto key = audit::parse_signing_key(text);
    if (!key) return Error{key.error().code, path, key.error().message};
    return key;
  }
  if (!create) return make_error("audit.key", path, "no audit signing key; create one with `sanso audit keygen --config FILE`");
  std::string name = service.config.audit.origin;
  if (name.empty()) name = service.policy.municipality.id + "/sanso/audit";
  auto key = SANSO_TRY(audit::generate_signing_key(name));
  SANSO_TRY(create_private_directories(std::filesystem::path(path).parent_path().string()));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return make_error("audit.key", path, std::string("cannot create the audit signing key: ") + std::strerror(errno));
  std::string text = audit::encode_signing_key(key) + "\n";
  bool good = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!good) return make_error("audit.key", path, "cannot write the audit signing key");
  // Public by nature, but private like everything in the data directory: it goes to auditors
  // by hand (`sanso audit pubkey`).
  SANSO_TRY(write_private_file(path + ".pub", audit::encode_verifier_key(key.verifier) + "\n"));
  std::fprintf(stderr, "sanso: created the audit signing key %s; give auditors the verifier key in %s.pub\n", path.c_str(),
               path.c_str());
  return key;
}

Result<void> record_setting_changes(const Service& service, store::SharedDatabase& db, audit::AuditLog& log, const std::string& actor) {
  // The policy's text is kept as a version (clause 8's review), read again here and checked
  // against the hash taken when it was loaded.
  std::ifstream in(service.config.policy_file, std::ios::binary);
  std::ostringstream policy_text;
  policy_text << in.rdbuf();
  if (!in) return make_error("policy.unreadable", service.config.policy_file, "cannot read the policy file again to keep its version");
  const std::string policy_path = std::filesystem::absolute(service.config.policy_file).string();
  const audit::TrackedFile files[] = {
      {"policy", policy_path, service.policy_sha256},
      {"config", std::filesystem::absolute(service.config.source).lexically_normal().string(), service.config_sha256}};
  auto connection = db.use();
  SANSO_TRY(audit::record_file_changes(*connection, log, files, actor));
  SANSO_TRY(audit::keep_file_version(*connection, log, "policy", policy_path, service.policy_sha256, policy_text.str(), actor));
  return ok();
}

Result<std::unique_ptr<audit::AuditLog>> make_audit_log(const Service& service) {
  audit::LogOptions o;
  o.node = service.config.node;
  o.policy_sha256 = service.policy_sha256;
  o.via = service.via;
  o.signing_key = SANSO_TRY(load_audit_key(service, true));
  o.checkpoint_every = service.config.audit.checkpoint_every;
  o.checkpoint_seconds = service.config.audit.checkpoint_seconds;
  return std::make_unique<audit::AuditLog>(std::move(o));
}

Result<QuarantineSession> open_quarantine_session(Service service) {
  QuarantineSession s;
  s.service = std::move(service);
  s.log = SANSO_TRY(make_audit_log(s.service));
  s.db = std::make_unique<store::SharedDatabase>(SANSO_TRY(open_store(s.service.config)));
  quarantine::QuarantineStore::Options o;
  o.settings = s.service.config.quarantine;
  o.blob_dir = (std::filesystem::path(s.service.config.data_dir) / "quarantine").string();
  o.key_file = s.service.config.key_file;
  o.node = s.service.config.node;
  o.audit = s.log.get();
  for (const auto& op : s.service.config.operators) {
    if (!op.mail.empty()) o.addresses_by_person[op.name].push_back(op.mail);
  }
  s.store = SANSO_TRY(quarantine::QuarantineStore::open(*s.db, std::move(o)));
  if (auto recovered = s.store->recover_interrupted_releases(); !recovered) return std::move(recovered).error();
  SANSO_TRY(record_setting_changes(s.service, *s.db, *s.log, s.service.config.node));
  return s;
}

Result<QuarantineSession> open_quarantine_session(const ServiceOptions& o) { return open_quarantine_session(SANSO_TRY(load_service(o))); }

Result<quarantine::Actor> resolve_actor(const Service& service, const ServiceOptions& o) {
  // Names are claims (--as, $SANSO_USER); the kernel's account is not, and goes with every
  // record, so that a claim to be someone else stands out and one account cannot be two people.
  OsIdentity os = os_identity_of_this_process();
  std::string name = o.as;
  if (name.empty()) {
    if (const char* v = std::getenv("SANSO_USER")) name = v;
  }
  if (name.empty()) name = user_name_of(os.person_uid());
  const config::Operator* op = service.config.find_operator(name);
  if (op == nullptr) {
    return make_error("cli.unknown-user", service.config.source,
                      "'" + name + "' is not listed in [[users]]; add them with their policy roles, or act with --as NAME");
  }
  return quarantine::Actor{op->name, op->roles, os.via(), os.account()};
}

quarantine::Deliver release_delivery(const Service& service, const std::string& actor, const std::string& output) {
  namespace fs = std::filesystem;
  return [settings = service.config.quarantine, source = service.config.source, actor, output](
             const quarantine::Item& it, const std::string& original) -> Result<std::string> {
    bool as_mail = output.empty() && it.origin.kind == quarantine::Origin::Kind::kMail;
    if (as_mail) {
      if (settings.smtp_relay.empty()) {
        return make_error("config.missing", source, "[quarantine] smtp_relay is not set: give -o FILE to export the mail instead");
      }
      // No envelope, no delivery: the mail's To and Cc headers are the sender's claims.
      if (it.origin.envelope_to.empty()) {
        return make_error("quarantine.no-envelope", it.id,
                          "this mail was kept without its envelope (sanso mail sanitize without --recipient): give -o FILE to release it to a file");
      }
      // A trace header tells the recipient (and the gateway) what this is; the original follows unchanged.
      std::string header = "X-Sanso-Released: id=" + it.id + "; by=" + actor + "\r\n";
      mail::SmtpOptions smtp{settings.smtp_relay, settings.smtp_helo};
      auto reply = SANSO_TRY(mail::send_mail(smtp, {it.origin.envelope_from, it.origin.envelope_to}, header + original));
      return "smtp:" + settings.smtp_relay + " (" + reply + ")";
    }
    fs::path path = output;
    if (path.empty()) {
      std::string name = it.origin.file_name.empty() ? "original.eml" : fs::path(it.origin.file_name).filename().string();
      path = fs::path(settings.export_dir) / (it.id + "-" + name);
    }
    // A path the person gave (-o) is written as them, into a folder they have; the configured
    // export_dir as sanso.
    if (!output.empty()) {
      SANSO_TRY(write_named_file(path, original, 0600));
      return "file:" + path.string();
    }
    if (path.has_parent_path()) SANSO_TRY(create_private_directories(path.parent_path().string()));
    if (auto written = write_private_file(path.string(), original); !written) {
      return make_error("cli.unwritable", path.string(), "cannot write the released file: " + written.error().message);
    }
    return "file:" + path.string();
  };
}

cdr::CdrPolicy cdr_policy_from(const config::CdrSettings& s) {
  cdr::CdrPolicy p;
  p.keep_hyperlinks = s.keep_hyperlinks;
  p.remove_pdf_uri = s.remove_pdf_uri;
  p.csv_bom = s.csv_bom;
  p.extension_map = s.extension_map;
  p.max_depth = static_cast<int>(s.max_depth);
  p.max_members = static_cast<std::size_t>(s.max_members);
  p.max_expanded_bytes = static_cast<std::uint64_t>(s.max_expanded_mb) << 20;
  p.max_ratio = static_cast<std::uint64_t>(s.max_ratio);
  p.max_pixels = static_cast<std::uint64_t>(s.max_pixels);
  p.max_input_bytes = static_cast<std::size_t>(s.max_file_mb) << 20;
  p.timeout = std::chrono::seconds(s.timeout_seconds);
  p.rasterize = s.mode == "rasterize";
  p.convert_legacy = s.convert_legacy;
  p.max_pages = static_cast<int>(s.max_pages);
  p.dpi = static_cast<int>(s.dpi);
  p.libreoffice = s.libreoffice;
  p.pdftoppm = s.pdftoppm;
  p.tiff2rgba = s.tiff2rgba;
  p.converter_timeout = std::chrono::seconds(s.converter_timeout_seconds);
  return p;
}

Result<mail::SanitizeOptions> sanitize_options_from(const config::ServiceConfig* c) {
  mail::SanitizeOptions o;
  if (c == nullptr) return o;
  o.attachment_action = c->cdr.attachments;
  o.cdr = cdr_policy_from(c->cdr);
  o.clamd = c->cdr.clamd;
  // Attachments the policy wants converted need their converters, as the file command does.
  if (o.attachment_action == mail::AttachmentAction::kSanitize) SANSO_TRY(cdr::check_converters(o.cdr));
  const config::MailSettings& m = c->mail;
  o.attachment_rules = m.attachment_actions;
  o.output_charset = m.output_charset;
  o.prefer_html = m.prefer == "html";
  o.defang_links = m.defang_links;
  o.lang = m.lang;
  if (!m.keep_headers.empty()) o.keep_headers = m.keep_headers;
  o.max_message_bytes = static_cast<std::size_t>(m.max_message_mb) << 20;
  o.max_depth = static_cast<int>(m.max_depth);
  o.max_parts = static_cast<int>(m.max_parts);
  o.contact = m.contact;
  o.on_parser_critical = m.on_parser_critical;
  o.authserv_id = m.authserv_id;
  o.correspondents.assign(m.correspondents.begin(), m.correspondents.end());
  if (!m.notice_template.empty()) {
    std::ifstream in(m.notice_template, std::ios::binary);
    if (!in) return make_error("config.template", m.notice_template, "cannot read the notice template");
    std::ostringstream text;
    text << in.rdbuf();
    o.notice_template = text.str();
    auto valid = mail::check_notice_template(o.notice_template);
    if (!valid) return Error{valid.error().code, m.notice_template, valid.error().message};
  }
  return o;
}

void keep_freed_memory_for_batch() {
  // Bounded by what is in flight (intake::kBatchInFlight: its items and their bytes), not by the run.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

// One buffer of the file's size, filled by read(2): a batch reads every message through here, and
// a stream copied into a growing string (then copied out again) cost more than the reading. A
// file that grows meanwhile, or one that is not regular (a pipe), is read to its end all the same.
Result<std::string> read_persons_policy(const std::string& path) {
  constexpr std::uint64_t kMostPolicyBytes = 16 << 20;  // a city's policy is tens of kilobytes
  auto text = read_named_file(path, kMostPolicyBytes);
  if (!text) return Error{text.error().code, path, "cannot open the policy file: " + text.error().message};
  return text;
}

Result<policy::Policy> load_persons_policy(const std::string& path, Date today) {
  return policy::load_checked_policy_text(SANSO_TRY(read_persons_policy(path)), path, today);
}

Result<std::string> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("cli.unreadable", path, "cannot open the file: " + std::string(std::strerror(errno)));
  struct stat st {};
  const std::size_t expected = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 ? static_cast<std::size_t>(st.st_size) : 0;
  std::string out(expected, '\0');
  std::size_t have = 0;
  char chunk[65536];
  for (;;) {
    // Into the buffer while it has room, then (a file that grew, or one that is not regular) in chunks.
    const bool into_buffer = have < out.size();
    const ssize_t n = into_buffer ? ::read(fd, out.data() + have, out.size() - have) : ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return make_error("cli.unreadable", path, "reading the file failed: " + std::string(std::strerror(e)));
    }
    if (n == 0) break;
    if (into_buffer) {
      have += static_cast<std::size_t>(n);
    } else {
      out.resize(have);
      out.append(chunk, static_cast<std::size_t>(n));
      have = out.size();
    }
  }
  ::close(fd);
  out.resize(have);
  return out;
}

}  // namespace sanso::cli
