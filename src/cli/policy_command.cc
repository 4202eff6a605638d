// `sanso policy check|decide|test|explain|graph|rules|diff|versions`: the policy engine from the
// shell. Only `versions` and a `diff` against a kept version (@3) open the service's store.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/batch_files.h"
#include "cli/commands.h"
#include "audit/versions.h"
#include "cli/service.h"
#include "core/clock.h"
#include "policy/cases.h"
#include "policy/check.h"
#include "policy/decide.h"
#include "policy/diff.h"
#include "policy/explain.h"
#include "policy/load.h"

namespace sanso::cli {
namespace {

using namespace sanso::policy;

// Options every policy subcommand shares.
struct CommonOptions {
  std::string policy_path;
  std::string today;  // YYYY-MM-DD; empty: the machine's date
  std::string lang = "ja";
};

void add_common(CLI::App& cmd, CommonOptions& o) {
  cmd.add_option("POLICY", o.policy_path, "policy file (TOML)")->required();
  cmd.add_option("--today", o.today, "evaluate as of this date (YYYY-MM-DD); exceptions expire")
      ->check(CLI::Validator(
          [](const std::string& text) { return Date::parse(text) ? std::string() : "'" + text + "' is not a date like 2026-11-25"; },
          "DATE"));
  cmd.add_option("--lang", o.lang, "language of reasons and tables")->check(CLI::IsMember({"ja", "en"}));
}

Result<Date> today_of(const CommonOptions& o) {
  if (o.today.empty()) return system_clock().today();
  if (auto d = Date::parse(o.today)) return *d;
  return make_error("cli.bad-date", "--today", "'" + o.today + "' is not a date like 2026-11-25");
}

// Loads, checks and compiles; prints what went wrong and returns nullptr on failure.
std::unique_ptr<CompiledPolicy> compiled_policy(const CommonOptions& o) {
  auto today = today_of(o);
  if (!today) {
    print_error(today.error());
    return nullptr;
  }
  auto policy = load_persons_policy(o.policy_path, *today);
  if (!policy) {
    print_error(policy.error());
    return nullptr;
  }
  auto compiled = CompiledPolicy::compile(std::move(*policy), *today);
  if (!compiled) {
    print_error(compiled.error());
    return nullptr;
  }
  return std::make_unique<CompiledPolicy>(std::move(*compiled));
}


int run_check(const CommonOptions& o, bool json) {
  auto today = today_of(o);
  if (!today) {
    print_error(today.error());
    return kExitUsage;
  }
  auto text = read_persons_policy(o.policy_path);
  if (!text) {
    print_error(text.error());
    return kExitFailure;
  }
  const LoadResult loaded = load_and_check_policy(*text, o.policy_path, *today);
  const std::vector<Diagnostic>& diagnostics = loaded.diagnostics;
  std::size_t errors = 0, warnings = 0;
  nlohmann::json out = nlohmann::json::array();
  for (const Diagnostic& d : diagnostics) {
    (d.severity == Severity::kError ? errors : warnings)++;
    if (json) {
      out.push_back({{"file", o.policy_path},
                     {"line", d.loc.line},
                     {"column", d.loc.column},
                     {"severity", d.severity == Severity::kError ? "error" : "warning"},
                     {"message", d.message},
                     {"check", d.check_id}});
    } else {
      std::printf("%s\n", format(d, o.policy_path).c_str());
    }
  }
  if (json) {
    std::printf("%s\n", out.dump(2).c_str());
  } else if (loaded.policy) {
    const Policy& p = *loaded.policy;
    std::printf("%s: %zu error(s), %zu warning(s); %zu zones, %zu systems, %zu assets, %zu rules (profile %s, scheme %s)\n",
                o.policy_path.c_str(), errors, warnings, p.zones.size(), p.systems.size(), p.assets.size(), p.rules.size(),
                std::string(to_string(p.profile)).c_str(), p.scheme.id.c_str());
  } else {
    std::printf("%s: %zu error(s)\n", o.policy_path.c_str(), errors);
  }
  return errors ? kExitFailure : kExitOk;
}

// Options of `policy decide`.
struct DecideOptions {
  std::string from, to, channel, confidentiality, role, asset;
  bool json = false;
};

int run_decide(const CommonOptions& o, const DecideOptions& d) {
  auto c = compiled_policy(o);
  if (!c) return kExitFailure;
  auto decision = c->decide(RequestNames{d.from, d.to, d.channel, d.confidentiality, d.role, d.asset});
  if (!decision) {
    print_error(decision.error());
    return kExitUsage;
  }
  if (d.json) {
    nlohmann::json j = {{"action", to_string(decision->action)},
                        {"rule", decision->rule_id()},
                        {"clause", decision->clause()},
                        {"reason", decision->reason(o.lang)},
                        {"default", decision->is_default}};
    if (decision->action == Action::kApprove) j["approver"] = decision->approver();
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::string line = fmt::format("{} rule={} clause={} {}", to_string(decision->action), decision->rule_id(), decision->clause(),
                                   decision->reason(o.lang));
    if (decision->action == Action::kApprove) line += fmt::format(" (approver={})", decision->approver());
    std::printf("%s\n", line.c_str());
  }
  return kExitOk;
}

int run_test(CommonOptions o, const std::string& cases_path) {
  auto text = read_named_file(cases_path, 16 << 20);
  if (!text) {
    print_error(text.error());
    return kExitFailure;
  }
  CaseLoadResult loaded = load_cases(*text, cases_path);
  for (const Diagnostic& d : loaded.diagnostics) std::printf("%s\n", format(d, cases_path).c_str());
  if (!loaded.file || has_errors(loaded.diagnostics)) return kExitFailure;
  if (o.today.empty() && loaded.file->today) o.today = loaded.file->today->to_string();
  auto c = compiled_policy(o);
  if (!c) return kExitFailure;
  std::size_t passed = 0, failed = 0;
  for (const CaseResult& r : run_cases(*c, loaded.file->cases)) {
    if (r.passed) {
      ++passed;
      std::printf("PASS %s\n", r.test->name.c_str());
    } else {
      ++failed;
      std::printf("FAIL %s (%s:%u): %s\n", r.test->name.c_str(), cases_path.c_str(), r.test->loc.line, r.detail.c_str());
    }
  }
  std::printf("%zu passed, %zu failed\n", passed, failed);
  return failed ? kExitFailure : kExitOk;
}

int run_explain(const CommonOptions& o, const std::string& format_name, bool cross_zone_only) {
  auto c = compiled_policy(o);
  if (!c) return kExitFailure;
  auto cells = explain(*c);
  const std::string out =
      format_name == "json" ? render_explain_json(*c, cells, cross_zone_only) : render_explain_text(*c, cells, o.lang, cross_zone_only);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

int run_graph(const CommonOptions& o, const std::string& output) {
  auto c = compiled_policy(o);
  if (!c) return kExitFailure;
  if (auto w = write_named_file(output, render_zone_map_svg(*c, o.lang)); !w) {
    print_error(w.error());
    return kExitFailure;
  }
  std::printf("wrote %s\n", output.c_str());
  return kExitOk;
}

// The rules in force, in precedence order, with the profile's built-in rules resolved: what the
// engine really uses, for review and for other tools (the Cedar comparison reads it).
int run_rules(const CommonOptions& o) {
  auto c = compiled_policy(o);
  if (!c) return kExitFailure;
  const Policy& p = c->policy();
  nlohmann::json rules = nlohmann::json::array();
  for (const Rule* r : c->active_rules()) {
    nlohmann::json channels = nlohmann::json::array();
    for (Channel ch : r->channels) channels.push_back(to_string(ch));
    rules.push_back({{"id", r->id},
                     {"from", r->from},
                     {"to", r->to},
                     {"scope", r->scope == ZoneScope::kAny ? "any" : r->scope == ZoneScope::kCrossZone ? "cross_zone" : "same_zone"},
                     {"channels", channels},
                     {"min_confidentiality", r->min_confidentiality},
                     {"max_confidentiality", r->max_confidentiality},
                     {"roles", r->roles},
                     {"action", to_string(r->action)},
                     {"exception", r->exception.has_value()},
                     {"clause", r->clause},
                     {"origin", r->origin}});
  }
  nlohmann::json zones = nlohmann::json::array(), roles = nlohmann::json::array(), levels = nlohmann::json::array();
  for (const Zone& z : p.zones) zones.push_back(z.id);
  for (const Role& r : p.roles) roles.push_back(r.id);
  for (const Level& l : p.scheme.confidentiality.levels) levels.push_back(l.id);
  nlohmann::json out = {{"zones", zones}, {"roles", roles}, {"confidentiality_levels", levels}, {"rules", rules}};
  std::printf("%s\n", out.dump(2).c_str());
  return kExitOk;
}

// A policy by what the command line names: a file, or a kept version of the service's policy
// ("@3", "@9f86d0…", read from the store of --config), compiled as of `today`.
struct PolicySource {
  std::string argument;
  std::unique_ptr<store::Database>* store;  // opened on the first kept version asked for
  const ServiceOptions* service;
};

Result<std::unique_ptr<CompiledPolicy>> policy_from(const PolicySource& source, Date today) {
  Policy policy;
  if (!source.argument.empty() && source.argument[0] == '@') {
    if (!*source.store) {
      std::string path = source.service->config_path;
      if (path.empty()) {
        const char* env = std::getenv("SANSO_CONFIG");
        path = env != nullptr ? env : "/etc/sanso/sanso.toml";
      }
      path = SANSO_TRY(trusted_configuration(path));
      const config::ServiceConfig config = SANSO_TRY(config::load_config(path));
      *source.store = SANSO_TRY(open_store(config));
    }
    const audit::FileVersion v = SANSO_TRY(audit::find_file_version(**source.store, "policy", source.argument));
    const std::string text = SANSO_TRY(audit::file_version_text(**source.store, "policy", v.number));
    policy = SANSO_TRY(load_checked_policy_text(text, "policy @" + std::to_string(v.number) + " (" + v.sha256.substr(0, 12) + ")", today));
  } else {
    policy = SANSO_TRY(load_persons_policy(source.argument, today));
  }
  return std::make_unique<CompiledPolicy>(SANSO_TRY(CompiledPolicy::compile(std::move(policy), today)));
}

// What changes from OLD to NEW, decision by decision (clause 8's review). Both are compiled as of
// the same date, so an exception's expiry shows only when it really differs between the files.
int run_diff(const CommonOptions& o, const ServiceOptions& service, const std::string& new_path, bool json, bool exit_code_on_change) {
  auto today = today_of(o);
  if (!today) return print_error(today.error()), kExitFailure;
  std::unique_ptr<store::Database> store;
  auto before = policy_from({o.policy_path, &store, &service}, *today);
  if (!before) return print_error(before.error()), kExitFailure;
  auto after = policy_from({new_path, &store, &service}, *today);
  if (!after) return print_error(after.error()), kExitFailure;
  const PolicyDiff d = diff_policies(**before, **after);
  const std::string out = json ? render_diff_json(d, **before, **after) : render_diff_text(d, **before, **after, o.lang);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return exit_code_on_change && !d.empty() ? kExitFailure : kExitOk;
}

// Every policy version that took effect on this installation, oldest first. The policy of
// --config is recorded first, as any service would on start.
int run_versions(const ServiceOptions& options, bool json) {
  auto listed = [&]() -> Result<std::vector<audit::FileVersion>> {
    const Service service = SANSO_TRY(load_service(options));
    auto log = SANSO_TRY(make_audit_log(service));
    store::SharedDatabase db(SANSO_TRY(open_store(service.config)));
    SANSO_TRY(record_setting_changes(service, db, *log, service.config.node));
    auto use = db.use();
    return audit::file_versions(*use, "policy");
  }();
  if (!listed) return print_error(listed.error()), kExitFailure;
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : *listed) {
      out.push_back({{"number", v.number}, {"sha256", v.sha256}, {"path", v.path}, {"seen_by", v.seen_by}, {"seen_at", local_time(v.seen_at)},
                     {"audit_index", v.audit_index}, {"bytes", v.size}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%-5s %-16s %-25s %-16s %-8s %s\n", "版", "SHA-256", "初めて読まれた日時", "読んだもの", "監査ログ", "ファイル");
  for (const auto& v : *listed) {
    std::printf("@%-4lld %-16s %-25s %-16s #%-7llu %s\n", static_cast<long long>(v.number), v.sha256.substr(0, 16).c_str(), local_time(v.seen_at).c_str(),
                v.seen_by.c_str(), static_cast<unsigned long long>(v.audit_index), v.path.c_str());
  }
  return kExitOk;
}

}  // namespace

void register_policy_command(CLI::App& app, int& exit_code) {
  CLI::App* policy = app.add_subcommand("policy", "check, query and explain the security policy");
  policy->require_subcommand(1);

  auto common = std::make_shared<CommonOptions>();

  CLI::App* check = policy->add_subcommand("check", "static checks: references, separation of zones, classification, MFA");
  add_common(*check, *common);
  auto check_json = std::make_shared<bool>(false);
  check->add_flag("--json", *check_json, "diagnostics as JSON");
  check->callback([&exit_code, common, check_json] { exit_code = run_check(*common, *check_json); });

  CLI::App* decide = policy->add_subcommand("decide", "may this flow happen? prints the action, rule, clause and reason");
  add_common(*decide, *common);
  auto d = std::make_shared<DecideOptions>();
  decide->add_option("--from", d->from, "zone the information leaves")->required();
  decide->add_option("--to", d->to, "zone it goes to")->required();
  decide->add_option("--channel", d->channel, "mail, file, web, screen, removable_media or api")->required();
  decide->add_option("--confidentiality", d->confidentiality, "confidentiality level (absent: treated as the highest)");
  decide->add_option("--role", d->role, "role of the person asking");
  decide->add_option("--asset", d->asset, "asset id; its classification is a floor");
  decide->add_flag("--json", d->json, "one JSON object instead of a line");
  decide->callback([&exit_code, common, d] { exit_code = run_decide(*common, *d); });

  CLI::App* test = policy->add_subcommand("test", "run a table of expected decisions (a city's regression cases)");
  add_common(*test, *common);
  auto cases = std::make_shared<std::string>();
  test->add_option("CASES", *cases, "cases file (TOML, [[cases]])")->required();
  test->callback([&exit_code, common, cases] { exit_code = run_test(*common, *cases); });

  CLI::App* ex = policy->add_subcommand("explain", "for every zone pair and channel: what happens and why");
  add_common(*ex, *common);
  auto fmt_name = std::make_shared<std::string>("text");
  auto cross = std::make_shared<bool>(false);
  ex->add_option("--format", *fmt_name, "text or json")->check(CLI::IsMember({"text", "json"}));
  ex->add_flag("--cross-zone-only", *cross, "leave out flows inside one zone");
  ex->callback([&exit_code, common, fmt_name, cross] { exit_code = run_explain(*common, *fmt_name, *cross); });

  CLI::App* graph = policy->add_subcommand("graph", "draw the zone map as SVG");
  add_common(*graph, *common);
  auto output = std::make_shared<std::string>();
  graph->add_option("-o,--output", *output, "SVG file to write")->required();
  graph->callback([&exit_code, common, output] { exit_code = run_graph(*common, *output); });

  CLI::App* diff = policy->add_subcommand("diff", "what a new policy changes: every decision that differs from the old one, in words");
  add_common(*diff, *common);
  auto diff_new = std::make_shared<std::string>();
  auto diff_json = std::make_shared<bool>(false);
  auto diff_exit = std::make_shared<bool>(false);
  diff->add_option("NEW", *diff_new, "the new policy file (TOML) or a kept version (@3, @<hash prefix>); POLICY is the old one, either way")->required();
  diff->add_flag("--json", *diff_json, "the changes as JSON");
  diff->add_flag("--exit-code", *diff_exit, "exit 1 when anything differs (for scripts), 0 when nothing does");
  auto diff_service = std::make_shared<ServiceOptions>();
  diff->add_option("--config", diff_service->config_path, "sanso.toml whose store keeps the versions named @3 or @<hash prefix> (default $SANSO_CONFIG, then /etc/sanso/sanso.toml)");
  diff->callback([&exit_code, common, diff_service, diff_new, diff_json, diff_exit] {
    exit_code = run_diff(*common, *diff_service, *diff_new, *diff_json, *diff_exit);
  });

  CLI::App* versions = policy->add_subcommand("versions", "every policy version that took effect here, kept in the store (clause 8's review)");
  auto versions_service = std::make_shared<ServiceOptions>();
  auto versions_json = std::make_shared<bool>(false);
  add_service_options(*versions, *versions_service, false);
  versions->add_flag("--json", *versions_json, "the versions as JSON");
  versions->callback([&exit_code, versions_service, versions_json] { exit_code = run_versions(*versions_service, *versions_json); });

  CLI::App* rules = policy->add_subcommand("rules", "the rules in force, in precedence order, as JSON");
  add_common(*rules, *common);
  rules->callback([&exit_code, common] { exit_code = run_rules(*common); });
}

}  // namespace sanso::cli
