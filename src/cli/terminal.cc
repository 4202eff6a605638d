#include "cli/terminal.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace sanso::cli {

Result<std::string> read_password(const char* prompt) {
  std::string line;
  if (::isatty(STDIN_FILENO) == 0) {
    if (!std::getline(std::cin, line)) return make_error("cli.input", "stdin", "no password on standard input");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  termios old{};
  ::tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::fprintf(stderr, "%s", prompt);
  bool got = static_cast<bool>(std::getline(std::cin, line));
  ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::fprintf(stderr, "\n");
  if (!got) return make_error("cli.input", "terminal", "no password given");
  return line;
}

}  // namespace sanso::cli
