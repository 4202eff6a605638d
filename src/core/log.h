// Logging for services and the CLI: one line per event on stderr, levels from the environment
// (SANSO_LOG=debug|info|warn|error). Kept free of spdlog's headers so that including it is cheap.
#pragma once

#include <string_view>

namespace sanso::log {

enum class Level { kDebug, kInfo, kWarn, kError };

void write(Level level, std::string_view message);
inline void debug(std::string_view m) { write(Level::kDebug, m); }
inline void info(std::string_view m) { write(Level::kInfo, m); }
inline void warn(std::string_view m) { write(Level::kWarn, m); }
inline void error(std::string_view m) { write(Level::kError, m); }

}  // namespace sanso::log
