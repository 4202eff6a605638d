#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <string>

namespace sanso::log {
namespace {

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto l = spdlog::stderr_color_mt("sanso");
    l->set_pattern("%Y-%m-%dT%H:%M:%S%z %^%l%$ %v");
    const char* env = std::getenv("SANSO_LOG");
    const std::string level = env ? env : "warn";
    l->set_level(spdlog::level::from_str(level));
    return l;
  }();
  return *instance;
}

}  // namespace

void write(Level level, std::string_view message) {
  static constexpr spdlog::level::level_enum kMap[] = {
      spdlog::level::debug, spdlog::level::info, spdlog::level::warn, spdlog::level::err};
  logger().log(kMap[static_cast<int>(level)], "{}", message);
}

}  // namespace sanso::log
