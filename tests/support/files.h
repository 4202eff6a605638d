// Reading test inputs whole (corpora, golden files).
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sanso::testing {

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace sanso::testing
