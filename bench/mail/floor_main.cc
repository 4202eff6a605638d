// The GMime floor for the batch benchmark (bench/mail-batch/run.sh): every message of a directory
// parsed and written out again by GMime, on one core, nothing kept, nothing sandboxed — over the
// very files the batch command and the Python peer take, in the same run.
//   sanso_mail_floor DIR      prints one JSON line: messages, seconds
#include <gmime/gmime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mail/gmime_floor.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: sanso_mail_floor DIR\n");
    return 2;
  }
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(argv[1])) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  g_mime_init();
  std::size_t written = 0, empty = 0;
  // Reading each file is part of the work, as it is for the peer and the batch command.
  const auto start = std::chrono::steady_clock::now();
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    const std::size_t n = sanso::bench::gmime_parse_serialize(bytes.str());
    written += n;
    empty += n == 0 ? 1 : 0;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (empty > 0) {
    std::fprintf(stderr, "sanso_mail_floor: GMime made no message of %zu files\n", empty);
    return 1;
  }
  std::printf("{\"messages\": %zu, \"seconds\": %.6f, \"bytes_written\": %zu}\n", files.size(), seconds, written);
  return 0;
}
