#include "mime/embedded.h"

#include <algorithm>

#include "core/text.h"

namespace sanso::mime {
namespace {

struct Line {
  std::size_t begin, end, next;  // the text without its line end, and where the next line starts
};

std::vector<Line> lines_of(std::string_view text) {
  std::vector<Line> lines;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t nl = text.find('\n', at);
    std::size_t next = nl == std::string_view::npos ? text.size() : nl + 1;
    std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    if (end > at && text[end - 1] == '\r') --end;
    lines.push_back({at, end, next});
    at = next;
  }
  return lines;
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "begin 644 name" / "begin-base64 0755 name": the name, or nothing when the line is not one.
bool begin_line(std::string_view line, std::string_view keyword, std::string& name) {
  if (line.size() <= keyword.size() + 1 || ascii_lower(line.substr(0, keyword.size())) != keyword || line[keyword.size()] != ' ') return false;
  std::string_view rest = line.substr(keyword.size() + 1);
  std::size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '7') ++digits;
  if (digits < 3 || digits > 4 || digits >= rest.size() || rest[digits] != ' ') return false;
  name = std::string(trim_right(rest.substr(digits + 1)));
  return !name.empty();
}

// A uuencoded data line: characters from ' ' to '`' only, its first one giving the length.
bool uu_data(std::string_view line) {
  line = trim_right(line);
  if (line.empty()) return false;
  return std::all_of(line.begin(), line.end(), [](char c) { return c >= ' ' && c <= '`'; });
}

bool base64_data(std::string_view line) {
  line = trim_right(line);
  return !line.empty() && std::all_of(line.begin(), line.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
  });
}

bool binhex_char(char c) {
  static constexpr std::string_view kAlphabet = "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr";
  return kAlphabet.find(c) != std::string_view::npos;
}

// A BinHex data line: its alphabet, and the ':' that opens or closes the data.
bool binhex_data(std::string_view line) {
  line = trim_right(line);
  return !line.empty() && std::all_of(line.begin(), line.end(), [](char c) { return binhex_char(c) || c == ':'; });
}

std::string parameter(std::string_view line, std::string_view key) {  // yEnc's "name=" runs to the line end
  std::size_t at = line.find(key);
  if (at == std::string_view::npos) return {};
  std::string_view value = line.substr(at + key.size());
  if (key != "name=") value = value.substr(0, value.find(' '));
  return std::string(trim_right(value));
}

}  // namespace

std::vector<EmbeddedFile> find_embedded_files(std::string_view text) {
  std::vector<EmbeddedFile> found;
  const std::vector<Line> lines = lines_of(text);
  auto view = [&](std::size_t i) { return text.substr(lines[i].begin, lines[i].end - lines[i].begin); };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = view(i);
    EmbeddedFile f;
    std::size_t last = i;  // the block's last line
    if (begin_line(line, "begin", f.name)) {
      f.kind = "uuencode";
      while (last + 1 < lines.size() && uu_data(view(last + 1))) {
        const std::string_view data = view(last + 1);
        f.size += static_cast<std::size_t>((data[0] - ' ') & 0x3F);
        ++last;
      }
      if (last + 1 < lines.size() && ascii_lower(trim_right(view(last + 1))) == "end") ++last;
    } else if (begin_line(line, "begin-base64", f.name)) {
      f.kind = "uuencode-base64";
      while (last + 1 < lines.size() && base64_data(view(last + 1)) && trim_right(view(last)) != "====") {
        f.size += trim_right(view(last + 1)).size() * 3 / 4;
        ++last;
      }
    } else if (line.starts_with("=ybegin ") && line.find("name=") != std::string_view::npos) {
      f.kind = "yenc";
      f.name = parameter(line, "name=");
      const std::string size = parameter(line, "size=");
      for (char c : size.substr(0, 12)) {
        if (c < '0' || c > '9') break;
        f.size = f.size * 10 + static_cast<std::size_t>(c - '0');
      }
      // yEnc data is any byte but NUL, CR, LF and '=': no way to tell where it stops but its end line.
      last = lines.size() - 1;
      for (std::size_t j = i + 1; j < lines.size(); ++j) {
        if (view(j).starts_with("=yend")) {
          last = j;
          break;
        }
      }
    } else if (line.find("(This file must be converted with BinHex") != std::string_view::npos ||
               (line.size() >= 64 && line[0] == ':' && binhex_data(line))) {
      f.kind = "binhex";
      std::size_t j = i;
      if (line[0] != ':') {  // the banner: the data starts at the next line that opens with ':'
        while (j + 1 < lines.size() && trim_right(view(j + 1)).empty()) ++j;
        if (j + 1 >= lines.size() || view(j + 1).empty() || view(j + 1)[0] != ':') continue;
        ++j;
      }
      last = j;
      bool closed = trim_right(view(j)).size() > 1 && trim_right(view(j)).ends_with(':');
      while (!closed && last + 1 < lines.size() && binhex_data(view(last + 1))) {
        ++last;
        closed = trim_right(view(last)).ends_with(':');
      }
      for (std::size_t k = j; k <= last; ++k) f.size += trim_right(view(k)).size() * 3 / 4;
    } else {
      continue;
    }
    f.begin = lines[i].begin;
    f.end = lines[last].next;
    found.push_back(std::move(f));
    i = last;
  }
  return found;
}

}  // namespace sanso::mime
