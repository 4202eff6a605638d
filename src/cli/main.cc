// `sanso`: the command-line entry point. Subcommands live one per file beside this one.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Sanso (三層): the three-layer security policy of a Japanese municipality, enforced and proven", "sanso"};
  app.set_version_flag("--version", "sanso 0.1.0");
  app.require_subcommand(1);
  int exit_code = sanso::cli::kExitOk;
  sanso::cli::register_policy_command(app, exit_code);
  sanso::cli::register_store_command(app, exit_code);
  sanso::cli::register_quarantine_command(app, exit_code);
  sanso::cli::register_audit_command(app, exit_code);
  sanso::cli::register_mail_command(app, exit_code);
  sanso::cli::register_file_command(app, exit_code);
  sanso::cli::register_milter_command(app, exit_code);
  sanso::cli::register_web_command(app, exit_code);
  sanso::cli::register_directory_command(app, exit_code);
  sanso::cli::register_monitor_command(app, exit_code);
  sanso::cli::register_transfer_command(app, exit_code);
  sanso::cli::register_inspect_command(app, exit_code);
  sanso::cli::register_register_command(app, exit_code);
  sanso::cli::register_icap_command(app, exit_code);
  sanso::cli::register_api_command(app, exit_code);
  sanso::cli::register_doctor_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return sanso::cli::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sanso: internal error: %s\n", e.what());
    return sanso::cli::kExitFailure;
  }
  return exit_code;
}
