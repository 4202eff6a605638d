// A policy on the documentation ranges, and helpers to run logs through the monitor.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "monitor/detector.h"
#include "monitor/scan.h"
#include "policy/load.h"

namespace sanso::monitor::testing {

// tests/data/monitor/policy.toml: mynumber 192.0.2.0/25, lgwan 198.51.100.0/24, internet
// 203.0.113.0/25 (and 2001:db8:30::/48); the city's ranges add 192.0.2.128/25 and
// 203.0.113.128/25, which no zone holds. The sanctioned endpoint: the screen-transfer server
// 203.0.113.25 tcp/443 for LGWAN terminals.
inline std::string policy_path() { return std::string(SANSO_SOURCE_DIR) + "/tests/data/monitor/policy.toml"; }

inline policy::Policy test_policy() {
  auto loaded = policy::load_policy_file(policy_path());
  EXPECT_TRUE(loaded && loaded->policy.has_value());
  return std::move(*loaded->policy);
}

// Everything one scan produced.
struct ScanOutcome {
  std::vector<FileReport> reports;
  std::vector<Finding> findings;
  DetectorStats stats;
  std::vector<std::string> rules() const {
    std::vector<std::string> out;
    for (const Finding& f : findings) out.emplace_back(info(f.rule).id);
    return out;
  }
};

// One reader's lines through the parser and the detector on the test policy.
inline ScanOutcome scan_reader(LineReader& reader, Format format, ParserContext context, DetectorSettings settings) {
  static const policy::Policy policy = test_policy();
  auto plan = AddressPlan::build(policy);
  EXPECT_TRUE(plan.has_value());
  ScanOutcome out;
  Detector detector(*plan, nullptr, settings, [&](const Finding& f) { out.findings.push_back(f); });
  if (context.now == 0) context.now = 1796000000;  // 2026-11-30
  auto report = scan_stream(reader, format, context, detector, 0);
  EXPECT_TRUE(report.has_value()) << (report ? "" : report.error().to_string());
  if (report) out.reports.push_back(*report);
  detector.flush();
  out.stats = detector.stats();
  return out;
}

inline ScanOutcome scan_text(const std::string& text, Format format = Format::kAuto, ParserContext context = {}, DetectorSettings settings = {}) {
  auto reader = LineReader::over(text, "test.log");
  return scan_reader(*reader, format, context, settings);
}

// The same through a file, as `sanso monitor scan` reads one (LineReader::open_file).
inline ScanOutcome scan_file(const std::string& text, Format format = Format::kAuto, ParserContext context = {}, DetectorSettings settings = {}) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() / ("sanso-scan-" + std::to_string(::getpid()) + ".log");
  {
    std::ofstream file(path, std::ios::binary);
    file.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  auto reader = LineReader::open_file(path.string());
  EXPECT_TRUE(reader.has_value());
  ScanOutcome out;
  if (reader) out = scan_reader(**reader, format, context, settings);
  std::filesystem::remove(path);
  return out;
}

inline std::string gzip(const std::string& text) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, text.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace sanso::monitor::testing
