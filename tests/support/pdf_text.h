// The text of a PDF as poppler's pdftotext reads it (a separate process, Debian's poppler-utils),
// line by line in the page's layout: what a test asserts of a printed report.
#pragma once

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

namespace sanso::testing {

inline constexpr const char* kPdfToText = "/usr/bin/pdftotext";

// "" when the file has no text or pdftotext fails (its message is then the text returned, so an
// assertion shows it).
inline std::string pdf_text(const std::filesystem::path& pdf) {
  FILE* p = ::popen((std::string(kPdfToText) + " -layout -enc UTF-8 '" + pdf.string() + "' - 2>&1").c_str(), "r");
  if (!p) return "popen failed";
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  ::pclose(p);
  return out;
}

// The line of `text` that holds `needle`, or "".
inline std::string line_with(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  if (at == std::string::npos) return "";
  const auto start = text.rfind('\n', at);
  const auto end = text.find('\n', at);
  return text.substr(start == std::string::npos ? 0 : start + 1, end == std::string::npos ? std::string::npos : end - (start == std::string::npos ? 0 : start + 1));
}

}  // namespace sanso::testing
