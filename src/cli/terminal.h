// Reading what a person types at the terminal.
#pragma once

#include <string>

#include "core/result.h"

namespace sanso::cli {

// A password from the terminal without echo, or one line of standard input when piped.
Result<std::string> read_password(const char* prompt);

}  // namespace sanso::cli
