#include "mime/embedded.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "core/text.h"
#include "mime/charset.h"

namespace sanso::mime {
namespace {

struct Line {
  std::size_t begin, end, next;  // the text without its line end, and where the next line starts
};

// Lines as decoders split them: LF, CRLF, and a CR alone (an old Mac's text, which uudecode and
// StuffIt read line by line all the same).
std::vector<Line> lines_of(std::string_view text) {
  std::vector<Line> lines;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t eol = text.find_first_of("\r\n", at);
    if (eol == std::string_view::npos) {
      lines.push_back({at, text.size(), text.size()});
      break;
    }
    const std::size_t next = text[eol] == '\r' && eol + 1 < text.size() && text[eol + 1] == '\n' ? eol + 2 : eol + 1;
    lines.push_back({at, eol, next});
    at = next;
  }
  return lines;
}

bool blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (blank(s.back()) || s.back() == '\f')) s.remove_suffix(1);
  return s;
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  return s;
}

struct BeginLine {
  std::string name;
  bool classic = false;  // "begin 644 name": a mode of 3 or 4 digits, one space each side, a name
};

// A uuencode begin line as GNU uudecode (sscanf "begin %o %[^\n]") and Python's uu (split on ' ',
// int(mode, 8)) take it: "begin" (or "begin-base64"), blanks or none, a mode of octal digits in
// any number (a sign, "0o" and '_' as Python's int() reads them), blanks, the name to the line's
// end (trailing blanks off; none at all is a nameless file to a decoder given one).
std::optional<BeginLine> begin_line(std::string_view line, std::string_view keyword) {
  if (line.size() <= keyword.size() || ascii_lower(line.substr(0, keyword.size())) != keyword) return std::nullopt;
  std::string_view rest = line.substr(keyword.size());
  const bool spaced = rest.size() > 1 && rest[0] == ' ' && rest[1] != ' ' && rest[1] != '\t';
  rest = trim_left(rest);
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) rest.remove_prefix(1);
  if (rest.size() > 1 && rest[0] == '0' && (rest[1] == 'o' || rest[1] == 'O')) rest.remove_prefix(2);
  std::size_t digits = 0, at = 0;
  for (; at < rest.size() && ((rest[at] >= '0' && rest[at] <= '7') || (rest[at] == '_' && digits > 0)); ++at) digits += rest[at] != '_';
  if (digits == 0 || digits > 12) return std::nullopt;
  const std::string_view mode = rest.substr(0, at);
  rest.remove_prefix(at);
  if (!rest.empty() && !blank(rest[0])) return std::nullopt;  // "begin 99 x", "begin 644x"
  BeginLine b;
  b.name = std::string(trim_right(trim_left(rest)));
  b.classic = spaced && (mode.size() == 3 || mode.size() == 4) && mode == line.substr(keyword.size() + 1, mode.size()) && rest.size() > 1 &&
              rest[0] == ' ' && rest[1] != ' ' && rest[1] != '\t' && !b.name.empty();
  return b;
}

// A uuencoded data line: characters from ' ' to '`' only, its first one giving the length.
bool uu_data(std::string_view line) {
  line = trim_right(line);
  if (line.empty()) return false;
  return std::all_of(line.begin(), line.end(), [](char c) { return c >= ' ' && c <= '`'; });
}

// A data line as an encoder writes it: its characters exactly those its length asks for (one more
// at most, a checksum character some encoders add). Prose after "begin 7 days" is not one.
bool uu_data_of_its_length(std::string_view line) {
  if (!uu_data(line)) return false;
  const std::size_t n = static_cast<std::size_t>((line[0] - ' ') & 0x3F);
  const std::size_t chars = trim_right(line).size() - 1, full = (n + 2) / 3 * 4;
  return n > 0 && chars + 2 >= (n * 4 + 2) / 3 && chars <= full + 1;
}

bool base64_data(std::string_view line) {
  line = trim_right(line);
  return !line.empty() && std::all_of(line.begin(), line.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
  });
}

// BinHex 4.0's 64 characters, each standing for its index.
constexpr std::string_view kBinHexAlphabet = "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr";

int binhex_value(char c) {
  const std::size_t v = kBinHexAlphabet.find(c);
  return v == std::string_view::npos ? -1 : static_cast<int>(v);
}

bool binhex_char(char c) { return binhex_value(c) >= 0; }

// Skipped inside BinHex data, as decoders skip them: line ends (any), blanks (added by mailers).
bool binhex_skipped(char c) { return c == '\r' || c == '\n' || c == ' ' || c == '\t' || c == '\f'; }

// A BinHex data line: its alphabet, and the ':' that opens or closes the data.
bool binhex_data(std::string_view line) {
  line = trim_right(line);
  return !line.empty() && std::all_of(line.begin(), line.end(), [](char c) { return binhex_char(c) || c == ':'; });
}

// A long line that could open BinHex data by its shape alone: ':' and the alphabet, and as varied
// as encoded data is (its header holds a name, a type and lengths) — a rule drawn as ":-----…" or
// "::::…" is a line of prose.
bool binhex_shaped(std::string_view line) {
  if (line.size() < 64 || line[0] != ':' || line[1] == ':' || !binhex_data(line)) return false;
  bool seen[256] = {};
  int distinct = 0;
  for (char c : line.substr(0, 64)) distinct += !std::exchange(seen[static_cast<unsigned char>(c)], true);
  return distinct >= 8;
}

std::string parameter(std::string_view line, std::string_view key) {  // yEnc's "name=" runs to the line end
  std::size_t at = line.find(key);
  if (at == std::string_view::npos) return {};
  std::string_view value = line.substr(at + key.size());
  if (key != "name=") value = value.substr(0, value.find(' '));
  return std::string(trim_right(value));
}

std::uint16_t crc16_xmodem(std::uint16_t crc, unsigned char byte) {
  crc = static_cast<std::uint16_t>(crc ^ (byte << 8));
  for (int i = 0; i < 8; ++i) crc = static_cast<std::uint16_t>((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1);
  return crc;
}

// BinHex data read byte by byte: 6-bit characters to bytes, then the run-length code undone
// ("c 0x90 n" is c n times in all, "0x90 0" a 0x90 itself).
class BinHexReader {
 public:
  explicit BinHexReader(std::string_view text) : text_(text), at_(text.empty() || text[0] != ':' ? 0 : 1) {}

  // The next byte; false at the data's end, `why` then saying what ended it when that is not the
  // closing ':' ("" for it).
  bool next(unsigned char& out) {
    if (repeat_ > 0) {
      --repeat_;
      out = static_cast<unsigned char>(last_);
      return true;
    }
    for (;;) {
      unsigned char c = 0;
      if (!raw(c)) return false;
      if (c != 0x90) {
        last_ = c;
        out = c;
        return true;
      }
      unsigned char count = 0;
      if (!raw(count)) {
        if (why_.empty()) why_ = "the data ends inside a run-length code";
        return false;
      }
      if (count == 0) {
        last_ = 0x90;
        out = 0x90;
        return true;
      }
      if (last_ < 0) {
        why_ = "a run-length code with no byte before it";
        return false;
      }
      if (count > 1) {
        repeat_ = count - 2u;
        out = static_cast<unsigned char>(last_);
        return true;
      }
      // "c 0x90 1": c once in all, already written; read on.
    }
  }

  bool closed() const { return closed_; }
  const std::string& why() const { return why_; }

 private:
  bool raw(unsigned char& out) {
    while (bits_ < 8) {
      if (closed_ || !why_.empty()) return false;
      if (at_ >= text_.size()) {
        why_ = "the data ends without its closing ':'";
        return false;
      }
      const char c = text_[at_++];
      if (binhex_skipped(c)) continue;
      if (c == ':') {
        closed_ = true;
        return false;
      }
      const int v = binhex_value(c);
      if (v < 0) {
        why_ = "a character outside the BinHex alphabet at offset " + std::to_string(at_ - 1);
        return false;
      }
      acc_ = (acc_ << 6) | static_cast<unsigned>(v);
      bits_ += 6;
    }
    bits_ -= 8;
    out = static_cast<unsigned char>((acc_ >> bits_) & 0xFF);
    acc_ &= (1u << bits_) - 1;
    return true;
  }

  std::string_view text_;
  std::size_t at_;
  unsigned acc_ = 0;
  int bits_ = 0;
  int last_ = -1;
  unsigned repeat_ = 0;
  bool closed_ = false;
  std::string why_;
};

// A Mac file name (Mac Roman, MacJapanese: any bytes) as UTF-8 a person and a JSON record can
// take, its control characters shown as '_' (a name with a line break must not split a notice).
std::string readable_name(std::string_view raw) {
  std::string name = std::all_of(raw.begin(), raw.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }) ? std::string(raw)
                                                                                                                     : decode_text(raw, "").utf8;
  for (char& c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '_';
  }
  return name;
}

struct BinHexHeader {
  std::string name, type, creator;
  std::uint32_t data = 0, resource = 0;
  bool plausible = false;  // as an encoder writes one: see plausible_header()
};

// A four-byte Finder type or creator as Mac OS writes one: four printable characters (Mac Roman's
// upper half included: 'PICT', '©ttx'), or none at all (zeros).
bool finder_code(std::string_view code) {
  return code == std::string_view("\0\0\0\0", 4) ||
         std::all_of(code.begin(), code.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7F; });
}

// Whether a header whose CRC matched is one an encoder wrote, not 16 bits of ordinary text that
// happened to match (one ':' in 65,536 would): its version byte 0, a name of printable bytes (none
// at all is a nameless file, which decoders write all the same), the Finder type and creator
// printable or zero, and something in its forks (a header of zeros has a CRC of zero: a run of
// '!' is all zeros). Where the forks' lengths must fit in the data is checked by the caller, who
// knows how much data follows.
bool plausible_header(std::string_view name, std::string_view version, std::string_view type, std::string_view creator, std::uint32_t data,
                      std::uint32_t resource) {
  return version == std::string_view("\0", 1) && name.size() <= 63 &&
         std::all_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7F; }) && finder_code(type) &&
         finder_code(creator) && (data > 0 || resource > 0);
}

// The header at the start of BinHex data, checked by its CRC; nothing when it does not decode.
// Reads at most the header's bytes (86), so a try at every ':' of a text costs little.
std::optional<BinHexHeader> binhex_header(BinHexReader& in, std::string* why = nullptr) {
  std::uint16_t crc = 0;
  auto byte = [&](unsigned char& b) {
    if (!in.next(b)) return false;
    crc = crc16_xmodem(crc, b);
    return true;
  };
  auto fail = [&](const std::string& what) -> std::optional<BinHexHeader> {
    if (why != nullptr) *why = what + (in.why().empty() ? "" : " (" + in.why() + ")");
    return std::nullopt;
  };
  auto bytes = [&](std::size_t n, std::string& into) {
    for (std::size_t i = 0; i < n; ++i) {
      unsigned char b = 0;
      if (!byte(b)) return false;
      into += static_cast<char>(b);
    }
    return true;
  };
  auto number = [&](std::size_t n, std::uint32_t& into) {
    std::string raw;
    if (!bytes(n, raw)) return false;
    into = 0;
    for (char c : raw) into = (into << 8) | static_cast<unsigned char>(c);
    return true;
  };
  BinHexHeader h;
  unsigned char length = 0;
  std::string version, flags;
  std::uint32_t stored = 0;
  if (!byte(length) || !bytes(length, h.name) || !bytes(1, version) || !bytes(4, h.type) || !bytes(4, h.creator) || !bytes(2, flags) ||
      !number(4, h.data) || !number(4, h.resource)) {
    return fail("the header ends early");
  }
  const std::uint16_t computed = crc;
  if (!number(2, stored)) return fail("the header ends before its CRC");
  if (stored != computed) return fail("the header's CRC does not match");
  h.plausible = plausible_header(h.name, version, h.type, h.creator, h.data, h.resource);
  h.name = readable_name(h.name);
  h.type = readable_name(h.type);
  h.creator = readable_name(h.creator);
  return h;
}

// Whether the BinHex data opening at `colon` has a header that decodes, and what it says.
std::optional<BinHexHeader> binhex_header_at(std::string_view text, std::size_t colon) {
  BinHexReader in(text.substr(colon));
  return binhex_header(in);
}

// How many characters of the alphabet the data opening at `colon` has before it closes (the next
// ':') or meets what it cannot hold, line ends and blanks passed over as decoders pass them. Ends
// at the next ':', so the tries at a text's colons read disjoint stretches of it.
std::size_t binhex_characters(std::string_view text, std::size_t colon) {
  std::size_t n = 0;
  for (std::size_t at = colon + 1; at < text.size(); ++at) {
    if (binhex_char(text[at])) ++n;
    else if (!binhex_skipped(text[at])) break;
  }
  return n;
}

// The most bytes `characters` of BinHex can carry: 4 characters are 3 bytes, and 3 bytes
// ("c 0x90 n") a run of up to 255.
std::uint64_t most_binhex_bytes(std::size_t characters) { return std::uint64_t{characters} / 4 * 255 + 255; }

// Whether the BinHex data opening at `colon` is a file, not ordinary text that a header's CRC
// matched by chance (urn:uuid:…, "時刻: 12:30", a token after "key:"): its header decodes with its
// CRC and is plausible, its forks fit in the data that follows, and its data fork's CRC matches
// when the data holds the whole fork (data cut short is still a file to StuffIt: it is found, and
// its decoding fails). Reads at most what the forks' lengths allow, which the data bounds: the
// tries at every ':' of a text cost time linear in it.
std::optional<BinHexHeader> binhex_file_at(std::string_view text, std::size_t colon) {
  BinHexReader in(text.substr(colon));
  auto header = binhex_header(in);
  if (!header || !header->plausible) return std::nullopt;
  if (std::uint64_t{header->data} + header->resource > most_binhex_bytes(binhex_characters(text, colon))) return std::nullopt;
  std::uint16_t crc = 0;
  for (std::uint32_t n = 0; n < header->data; ++n) {
    unsigned char b = 0;
    if (!in.next(b)) return header;  // cut short: found, its decoding says why it cannot be read
    crc = crc16_xmodem(crc, b);
  }
  std::uint16_t stored = 0;
  for (int n = 0; n < 2; ++n) {
    unsigned char b = 0;
    if (!in.next(b)) return header;
    stored = static_cast<std::uint16_t>((stored << 8) | b);
  }
  return stored == crc ? header : std::nullopt;
}

// The BinHex line that carries the opening ':' of `line`: the offset of a ':' whose data is a
// file (binhex_file_at), or npos. The data may start on the next line: decoders pass over line
// ends after the ':' as within the data.
std::size_t binhex_colon(std::string_view text, const Line& line, std::optional<BinHexHeader>& header) {
  for (std::size_t at = text.find(':', line.begin); at != std::string_view::npos && at < line.end; at = text.find(':', at + 1)) {
    std::size_t first = at + 1;
    while (first < text.size() && binhex_skipped(text[first])) ++first;
    if (first >= text.size() || !binhex_char(text[first])) continue;  // ":)" and "10:30" end here, as does a closing ':'
    header = binhex_file_at(text, at);
    if (header) return at;
  }
  return std::string_view::npos;
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
    std::size_t colon = std::string_view::npos;
    std::optional<BinHexHeader> header;
    if (auto b = begin_line(line, "begin")) {
      // A form prose could take ("begin 7 days later") is a block only with a data line after it
      // that an encoder could have written, or with the empty last line and "end".
      const bool decodes = i + 1 < lines.size() && (uu_data_of_its_length(view(i + 1)) ||
                                                    ((trim_right(view(i + 1)) == "`" || view(i + 1) == " ") && i + 2 < lines.size() &&
                                                     ascii_lower(trim_right(view(i + 2))) == "end"));
      if (!b->classic && !decodes) continue;
      f.kind = "uuencode";
      f.name = std::move(b->name);
      while (last + 1 < lines.size() && uu_data(view(last + 1))) {
        const std::string_view data = view(last + 1);
        f.size += static_cast<std::size_t>((data[0] - ' ') & 0x3F);
        ++last;
      }
      if (last + 1 < lines.size() && ascii_lower(trim_right(view(last + 1))) == "end") ++last;
    } else if (auto b64 = begin_line(line, "begin-base64")) {
      const bool decodes = i + 1 < lines.size() && (base64_data(view(i + 1)) || trim_right(view(i + 1)) == "====");
      if (!b64->classic && !decodes) continue;
      f.kind = "uuencode-base64";
      f.name = std::move(b64->name);
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
               binhex_shaped(line) || (colon = binhex_colon(text, lines[i], header)) != std::string_view::npos) {
      // The banner or a long line of the alphabet is BinHex by its shape, decodable or not (a
      // damaged one is still a file to StuffIt); elsewhere a ':' opens BinHex only when the header
      // after it decodes with its CRC, so ":)" or a time of day never does.
      f.kind = "binhex";
      std::size_t j = i;
      if (colon == std::string_view::npos) {
        if (line[0] != ':') {  // the banner: the data starts at the next line that opens with ':'
          while (j + 1 < lines.size() && trim_right(view(j + 1)).empty()) ++j;
          if (j + 1 >= lines.size() || view(j + 1).empty() || view(j + 1)[0] != ':') continue;
          ++j;
        }
        colon = lines[j].begin;
        header = binhex_header_at(text, colon);
      }
      // Its first line runs from the ':' to the closing one or to the line's end; more lines
      // follow while they are the alphabet alone and the data is not closed.
      const std::string_view first = text.substr(colon + 1, lines[j].end - colon - 1);
      std::size_t k = 0;
      while (k < first.size() && (binhex_char(first[k]) || binhex_skipped(first[k]))) ++k;
      bool closed = k < first.size();  // a closing ':', or what the data cannot hold: it ends here
      last = j;
      while (!closed) {
        // Blank lines inside the data are passed over as decoders pass over them.
        std::size_t next = last + 1;
        while (next < lines.size() && trim_right(view(next)).empty()) ++next;
        if (next >= lines.size() || !binhex_data(view(next))) break;
        last = next;
        closed = view(last).find(':') != std::string_view::npos;
      }
      f.data_at = colon;
      if (header) {
        f.name = header->name;
        f.size = std::size_t{header->data} + header->resource;
      } else {
        f.size = (lines[last].end - colon) * 3 / 4;
      }
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

Result<BinHexFile> decode_binhex(std::string_view text, std::uint64_t most) {
  auto malformed = [](const std::string& why) {
    return make_error("embedded.binhex-malformed", "", "malformed: the BinHex data cannot be decoded: " + why);
  };
  BinHexReader in(text);
  std::string why;
  const auto header = binhex_header(in, &why);
  if (!header) return malformed(why);
  if (std::uint64_t{header->data} + header->resource > most) {
    return make_error("embedded.binhex-limit", header->name,
                      "limit: the BinHex file's forks (" + std::to_string(std::uint64_t{header->data} + header->resource) + " bytes) are larger than " +
                          std::to_string(most) + " bytes");
  }
  auto fork = [&](std::uint32_t size, const char* what, std::string& into) -> Result<void> {
    std::uint16_t crc = 0;
    into.reserve(std::min<std::uint64_t>(size, text.size() * 2));
    for (std::uint32_t n = 0; n < size; ++n) {
      unsigned char b = 0;
      if (!in.next(b)) {
        return malformed(std::string("the ") + what + " fork ends after " + std::to_string(n) + " of its " + std::to_string(size) + " bytes" +
                         (in.why().empty() ? "" : " (" + in.why() + ")"));
      }
      crc = crc16_xmodem(crc, b);
      into += static_cast<char>(b);
    }
    std::uint32_t stored = 0;
    for (int n = 0; n < 2; ++n) {
      unsigned char b = 0;
      if (!in.next(b)) return malformed(std::string("the ") + what + " fork's CRC is missing");
      stored = (stored << 8) | b;
    }
    if (stored != crc) return malformed(std::string("the ") + what + " fork's CRC does not match");
    return ok();
  };
  BinHexFile file;
  file.name = header->name;
  file.type = header->type;
  file.creator = header->creator;
  if (auto r = fork(header->data, "data", file.data); !r) return std::move(r).error();
  if (auto r = fork(header->resource, "resource", file.resource); !r) return std::move(r).error();
  // What follows the resource fork before the closing ':' is no part of the file to a decoder,
  // but it is bytes the sender wrote: dropped unread, it would carry anything past the check. Up to
  // three zero bytes are an encoder's padding to whole characters; anything more makes the file
  // one that cannot be read.
  std::size_t after = 0;
  bool zeros = true;
  for (unsigned char b = 0; in.next(b);) {
    ++after;
    zeros = zeros && b == 0;
    if (after > 3 || !zeros) {
      return malformed("bytes follow the resource fork before the closing ':' (at least " + std::to_string(after) + ")");
    }
  }
  return file;
}

}  // namespace sanso::mime
