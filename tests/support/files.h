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

// Every byte a service wrote where it keeps things (the store's files, the quarantine's blobs,
// the key): a password found there was kept.
inline bool kept_anywhere(const std::filesystem::path& dir, const std::string& needle) {
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    if (read_file(e.path()).find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace sanso::testing
