// The `sanso` command's subcommands: each registers itself on the CLI11 app and runs when chosen.
#pragma once

namespace CLI {
class App;
}

namespace sanso::cli {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the input is bad, a check failed, or an internal error
inline constexpr int kExitUsage = 2;    // the command line itself is wrong

// `sanso policy …`. The returned flag is set to the exit code once the subcommand has run.
void register_policy_command(CLI::App& app, int& exit_code);
// `sanso store …` and `sanso quarantine …`; both take --config FILE.
void register_store_command(CLI::App& app, int& exit_code);
void register_quarantine_command(CLI::App& app, int& exit_code);
// `sanso mail …`.
void register_mail_command(CLI::App& app, int& exit_code);
// `sanso file …`.
void register_file_command(CLI::App& app, int& exit_code);
// `sanso milter`.
void register_milter_command(CLI::App& app, int& exit_code);
// `sanso audit …`.
void register_audit_command(CLI::App& app, int& exit_code);
// `sanso monitor scan|listen`.
void register_monitor_command(CLI::App& app, int& exit_code);
// `sanso web` and `sanso user …`.
void register_web_command(CLI::App& app, int& exit_code);
// `sanso transfer …`.
void register_transfer_command(CLI::App& app, int& exit_code);
// `sanso directory test`.
void register_directory_command(CLI::App& app, int& exit_code);
// `sanso icap`.
void register_icap_command(CLI::App& app, int& exit_code);
// `sanso inspect …`.
void register_inspect_command(CLI::App& app, int& exit_code);
// `sanso register …`.
void register_register_command(CLI::App& app, int& exit_code);
// `sanso doctor postfix`.
void register_doctor_command(CLI::App& app, int& exit_code);
// `sanso api token …`.
void register_api_command(CLI::App& app, int& exit_code);

}  // namespace sanso::cli
