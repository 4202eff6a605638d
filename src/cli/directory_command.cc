// `sanso directory test NAME`: signs in to the configured directory as NAME (password prompted or
// on stdin) and shows what Sanso would make of them — their entry, groups, roles and zone — the
// way an administrator checks a [directory] section before people rely on it.
#include <CLI/CLI.hpp>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/service.h"
#include "cli/terminal.h"
#include "directory/directory.h"

namespace sanso::cli {
namespace {

int run_test(const ServiceOptions& o, const std::string& name, bool json) {
  auto service = load_service(o);
  if (!service) return print_error(service.error()), kExitFailure;
  if (service->config.directory.uri.empty()) {
    print_error(make_error("directory.not-configured", service->config.source, "no [directory] uri: people sign in with local accounts only"));
    return kExitFailure;
  }
  auto password = read_password(("Directory password for " + name + ": ").c_str());
  if (!password) return print_error(password.error()), kExitFailure;
  auto person = directory::sign_in(service->config.directory, name, *password);
  if (!person) return print_error(person.error()), kExitFailure;
  if (json) {
    nlohmann::json out = {{"name", person->name}, {"dn", person->dn},       {"display_name", person->display_name},
                          {"groups", person->groups}, {"roles", person->roles}, {"zone", person->zone}};
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%s: %s\n", person->name.c_str(), person->dn.c_str());
  if (!person->display_name.empty()) std::printf("  表示名 / display name: %s\n", person->display_name.c_str());
  std::printf("  グループ / groups (%zu):\n", person->groups.size());
  for (const auto& g : person->groups) std::printf("    %s\n", g.c_str());
  std::string roles;
  for (const auto& r : person->roles) {
    const policy::Role* role = service->policy.find_role(r);
    roles += (roles.empty() ? "" : ", ") + (role != nullptr ? role->name.ja + " (" + r + ")" : r);
  }
  std::printf("  役割 / roles: %s\n", roles.empty() ? "（なし / none: this person cannot act in Sanso）" : roles.c_str());
  std::printf("  ゾーン / acts from: %s\n", person->zone.empty() ? "（指定なし / not set）" : person->zone.c_str());
  return kExitOk;
}

}  // namespace

void register_directory_command(CLI::App& app, int& exit_code) {
  CLI::App* d = app.add_subcommand("directory", "the city's LDAP / Active Directory as Sanso sees it");
  d->require_subcommand(1);
  auto o = std::make_shared<ServiceOptions>();
  auto name = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* test = d->add_subcommand("test", "sign in as NAME (password prompted, or one line on stdin) and show the groups, roles and zone Sanso derives");
  add_service_options(*test, *o, false);
  test->add_option("NAME", *name, "the sign-in name")->required();
  test->add_flag("--json", *json, "as JSON");
  test->callback([&exit_code, o, name, json] { exit_code = run_test(*o, *name, *json); });
}

}  // namespace sanso::cli
