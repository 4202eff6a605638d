// `sanso doctor postfix [--postfix-config DIR]`: holds the Postfix in front of the milter against
// sanso.toml and the policy — every way in through the milter, a milter that is down refusing mail,
// bounces filtered, the release listener on loopback, the domains the policy's — and says what to
// change, in Japanese first. Exit 1 when a setting lets mail past 無害化.
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/service.h"
#include "core/io.h"
#include "core/text.h"
#include "mail/milter/postfix_settings.h"

extern char** environ;

namespace sanso::cli {
namespace {

constexpr const char* kPostconf = "/usr/sbin/postconf";

// postconf's standard output. Its environment is fixed: MAIL_CONFIG and friends from the caller's
// must not point it at another configuration than the one named.
Result<std::string> postconf(const std::string& config_dir, const std::vector<std::string>& flags) {
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return make_error("doctor.postconf", kPostconf, "cannot make a pipe");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return make_error("doctor.postconf", kPostconf, "cannot make a pipe");
  }
  UniqueFd out_read(out[0]), out_write(out[1]), err_read(err[0]), err_write(err[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  std::vector<std::string> args = {"postconf", "-c", config_dir};
  args.insert(args.end(), flags.begin(), flags.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin", lang = "LC_ALL=C";
  char* envp[] = {path.data(), lang.data(), nullptr};
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, kPostconf, &actions, nullptr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  out_write.reset();
  err_write.reset();
  if (spawned != 0) return make_error("doctor.postconf", kPostconf, "cannot run postconf (is Postfix installed?)");
  std::string output, errors;
  pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
  int open = 2;
  char buf[65536];
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? output : errors).append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Its warnings (an unused parameter) do not change what it printed; a fatal error does.
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string flag_text = join(flags, " ");
    return make_error("doctor.postconf", "postconf -c " + config_dir + " " + flag_text,
                      "postconf failed" + (errors.empty() ? std::string() : ": " + std::string(visible_text(errors))));
  }
  return output;
}

Result<mail::PostfixSettings> read_postfix(const std::string& config_dir) {
  auto main_cf = postconf(config_dir, {"-x"});
  if (!main_cf) return std::move(main_cf).error();
  auto master = postconf(config_dir, {"-M"});
  if (!master) return std::move(master).error();
  auto overrides = postconf(config_dir, {"-P", "-x"});
  if (!overrides) return std::move(overrides).error();
  auto settings = mail::parse_postconf(*main_cf, *master, *overrides);
  if (!settings) return settings;
  // header_checks' regexp/pcre tables, for the verifier's rule; one that cannot be read (or is
  // over 1 MiB) is left out and the check says the rule was not found.
  constexpr std::size_t kTableLimit = std::size_t{1} << 20;
  for (const std::string& table : mail::header_checks_table_names(*settings)) {
    std::ifstream in(table.substr(table.find(':') + 1), std::ios::binary);
    std::string text(kTableLimit + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (in.eof() && !in.bad() && text.size() <= kTableLimit) settings->header_checks_tables[table] = std::move(text);
  }
  return settings;
}

struct DoctorArgs {
  ServiceOptions service;
  std::string postfix_config = "/etc/postfix";
  std::string milter;
  std::string lang = "ja";
  bool json = false;
};

int run_postfix(const DoctorArgs& a) {
  auto service = load_service(a.service);
  if (!service) return fail(service.error());
  mail::GatewayDeployment deployment;
  deployment.milter_listen = a.milter.empty() ? service->config.listeners.milter : a.milter;
  deployment.release_relay = service->config.quarantine.smtp_relay;
  deployment.verifier_authserv_id = service->config.mail.verifier_authserv_id;
  if (deployment.milter_listen.empty()) {
    print_error(make_error("cli.usage", service->config.source, "no milter address: set [listeners] milter in sanso.toml or give --milter"));
    return kExitUsage;
  }
  auto postfix = read_postfix(a.postfix_config);
  if (!postfix) return fail(postfix.error());
  const auto checks = mail::check_postfix_settings(*postfix, service->policy, deployment);
  std::size_t failures = 0, warnings = 0;
  for (const auto& c : checks) {
    failures += c.verdict == mail::SettingVerdict::kFailure;
    warnings += c.verdict == mail::SettingVerdict::kWarning;
  }
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : checks) {
      out.push_back({{"id", c.id},
                     {"verdict", mail::to_string(c.verdict)},
                     {"service", c.service},
                     {"setting", c.setting},
                     {"message", a.lang == "en" ? c.en : c.ja}});
    }
    nlohmann::json doc = {{"postfix_config", a.postfix_config}, {"milter", deployment.milter_listen}, {"failures", failures}, {"warnings", warnings}, {"checks", out}};
    std::printf("%s\n", doc.dump(2).c_str());
  } else {
    for (const auto& c : checks) {
      std::printf("%-6s %s%s%s\n       %s\n       [%s]\n", std::string(mail::label(c.verdict, a.lang)).c_str(), c.service.empty() ? "main.cf" : "master.cf ",
                  c.service.c_str(), (": " + c.setting).c_str(), (a.lang == "en" ? c.en : c.ja).c_str(), c.id.c_str());
    }
    if (a.lang == "en") std::printf("%s: %zu failure(s), %zu warning(s)\n", a.postfix_config.c_str(), failures, warnings);
    else std::printf("%s: 不備 %zu 件、注意 %zu 件\n", a.postfix_config.c_str(), failures, warnings);
  }
  return failures == 0 ? kExitOk : kExitFailure;
}

}  // namespace

void register_doctor_command(CLI::App& app, int& exit_code) {
  CLI::App* d = app.add_subcommand("doctor", "check the software around Sanso against sanso.toml and the policy");
  d->require_subcommand(1);
  auto a = std::make_shared<DoctorArgs>();
  CLI::App* p = d->add_subcommand("postfix", "Postfix's settings for the milter: every way in filtered, bounces too, the release listener, the domains");
  add_service_options(*p, a->service, false);
  p->add_option("--postfix-config", a->postfix_config, "Postfix's configuration directory (default /etc/postfix)");
  p->add_option("--milter", a->milter, "the milter's address as sanso milter --listen takes it (default: [listeners] milter)");
  p->add_option("--lang", a->lang, "language of the messages (ja, en)")->check(CLI::IsMember({"ja", "en"}));
  p->add_flag("--json", a->json, "as JSON");
  p->callback([&exit_code, a] { exit_code = run_postfix(*a); });
}

}  // namespace sanso::cli
