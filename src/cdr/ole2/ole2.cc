// Legacy Office (OLE2 compound files: doc/xls/ppt) read with libgsf. These cannot be rebuilt
// safely in place, so the engine inspects them: VBA projects, Excel 4.0 macro sheets, embedded
// objects (ObjectPool, Ole10Native packages, PowerPoint ExOleObjStg), DDE and remote-include
// fields in Word text, and encryption block the file; a file with none of these passes unchanged.
#include <gsf/gsf-infile-msole.h>
#include <gsf/gsf-infile.h>
#include <gsf/gsf-input-memory.h>
#include <gsf/gsf-input.h>
#include <gsf/gsf-utils.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "cdr/internal/format.h"
#include "core/text.h"
#include "mime/charset.h"

namespace sanso::cdr::internal {
namespace {

struct GObjectRef {
  gpointer p = nullptr;
  explicit GObjectRef(gpointer x) : p(x) {}
  ~GObjectRef() {
    if (p != nullptr) g_object_unref(p);
  }
  GObjectRef(const GObjectRef&) = delete;
  GObjectRef& operator=(const GObjectRef&) = delete;
};

struct Stream {
  std::string path;  // "Macros/VBA/dir", "WordDocument"
  GsfInput* input;
};

// Every storage and stream, depth-first; `visit` sees each with its full path. Limits the walk.
class CompoundFile {
 public:
  explicit CompoundFile(std::string_view bytes) {
    input_ = gsf_input_memory_new(reinterpret_cast<const guint8*>(bytes.data()), static_cast<gsf_off_t>(bytes.size()), FALSE);
    if (input_ != nullptr) {
      GError* err = nullptr;
      root_ = gsf_infile_msole_new(input_, &err);
      if (err != nullptr) g_error_free(err);
    }
  }
  ~CompoundFile() {
    for (GsfInput* c : children_) g_object_unref(c);
    if (root_ != nullptr) g_object_unref(root_);
    if (input_ != nullptr) g_object_unref(input_);
  }
  bool ok() const { return root_ != nullptr; }

  std::vector<Stream> entries(std::size_t limit) {
    std::vector<Stream> out;
    walk(root_, "", out, limit, 0);
    return out;
  }

  // A stream's bytes, at most `max`.
  static std::string read(GsfInput* in, std::size_t max) {
    gsf_off_t size = gsf_input_size(in);
    if (size <= 0) return {};
    std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(size), max);
    std::string out(n, '\0');
    if (gsf_input_seek(in, 0, G_SEEK_SET) || gsf_input_read(in, n, reinterpret_cast<guint8*>(out.data())) == nullptr) return {};
    return out;
  }

 private:
  void walk(GsfInfile* dir, const std::string& prefix, std::vector<Stream>& out, std::size_t limit, int depth) {
    if (dir == nullptr || depth > 16) return;
    int n = gsf_infile_num_children(dir);
    for (int i = 0; i < n && out.size() < limit; ++i) {
      GsfInput* child = gsf_infile_child_by_index(dir, i);
      if (child == nullptr) continue;
      children_.push_back(child);
      const char* name = gsf_infile_name_by_index(dir, i);
      std::string path = prefix + (name != nullptr ? name : "?");
      out.push_back({path, child});
      if (GSF_IS_INFILE(child) && gsf_infile_num_children(GSF_INFILE(child)) >= 0) walk(GSF_INFILE(child), path + "/", out, limit, depth + 1);
    }
  }

  GsfInput* input_ = nullptr;
  GsfInfile* root_ = nullptr;
  std::vector<GsfInput*> children_;
};

std::string leaf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::uint16_t u16(std::string_view b, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(b[at]) | (static_cast<unsigned char>(b[at + 1]) << 8));
}
std::uint32_t u32(std::string_view b, std::size_t at) { return u16(b, at) | (static_cast<std::uint32_t>(u16(b, at + 2)) << 16); }

// BIFF records of an Excel workbook stream: macro sheets (BOUNDSHEET type 1) and FILEPASS.
void inspect_workbook(std::string_view wb, bool& macro_sheet, bool& encrypted) {
  for (std::size_t at = 0; at + 4 <= wb.size();) {
    std::uint16_t type = u16(wb, at), len = u16(wb, at + 2);
    std::size_t data = at + 4;
    if (data + len > wb.size()) break;
    if (type == 0x002F) encrypted = true;                        // FILEPASS
    if (type == 0x0085 && len >= 6 && wb[data + 5] == 0x01) macro_sheet = true;  // BOUNDSHEET, dt = macro sheet
    at = data + len;
  }
}

// PowerPoint records: VBAInfoContainer (0x03FF), ExOleObjStg (0x1011), CryptSession10 (0x2F14).
void inspect_powerpoint(std::string_view doc, bool& vba, bool& ole, bool& encrypted) {
  std::function<void(std::size_t, std::size_t, int)> walk = [&](std::size_t from, std::size_t to, int depth) {
    for (std::size_t at = from; at + 8 <= to;) {
      std::uint16_t ver_inst = u16(doc, at), type = u16(doc, at + 2);
      std::uint32_t len = u32(doc, at + 4);
      std::size_t data = at + 8;
      if (len > to - data) return;
      if (type == 0x03FF) vba = true;
      if (type == 0x1011) ole = true;
      if (type == 0x2F14) encrypted = true;
      if ((ver_inst & 0x000F) == 0x000F && depth < 32) walk(data, data + len, depth + 1);
      at = data + len;
    }
  };
  walk(0, doc.size(), 0);
}

// The document text of a Word 97–2003 file, from the piece table (the Clx in the table stream the
// FIB names): pieces are either 8-bit (Windows-1252, stored at fc/2) or UTF-16LE. Field codes live
// in this text between 0x13 (begin), 0x14 (separator) and 0x15 (end). Text is kept as UTF-16 code
// units narrowed to bytes where ASCII — enough to read field instructions, which are ASCII words.
// Calls `put(unit, compressed)` for each character of the piece table's text, at most `max_chars`.
template <typename Put>
void word_pieces(std::string_view doc, std::string_view table, std::size_t max_chars, Put put) {
  if (doc.size() < 36) return;
  const std::size_t csw = u16(doc, 32);
  const std::size_t at_cslw = 34 + csw * 2;
  if (at_cslw + 2 > doc.size()) return;
  const std::size_t at_count = at_cslw + 2 + u16(doc, at_cslw) * std::size_t{4};  // cbRgFcLcb, after fibRgLw
  if (at_count + 2 > doc.size()) return;
  const std::size_t count = u16(doc, at_count), at_fclcb = at_count + 2;
  if (count <= 33 || at_fclcb + 34 * 8 > doc.size()) return;
  const std::uint32_t fc_clx = u32(doc, at_fclcb + 33 * 8), lcb_clx = u32(doc, at_fclcb + 33 * 8 + 4);
  if (lcb_clx == 0 || fc_clx > table.size() || lcb_clx > table.size() - fc_clx) return;
  std::string_view clx = table.substr(fc_clx, lcb_clx);
  std::size_t at = 0;
  while (at < clx.size() && clx[at] == 0x01) {  // Prc: formatting, skipped
    if (at + 3 > clx.size()) return;
    at += 3 + std::size_t{u16(clx, at + 1)};  // cbGrpprl, never negative in a valid file: a walk that only goes forward
  }
  if (at + 5 > clx.size() || clx[at] != 0x02) return;
  const std::uint32_t lcb = u32(clx, at + 1);
  if (lcb > clx.size() - at - 5 || lcb < 4) return;
  std::string_view plc = clx.substr(at + 5, lcb);
  const std::size_t pieces = (plc.size() - 4) / 12;  // n+1 CPs of 4 bytes and n Pcds of 8
  std::size_t done = 0;
  for (std::size_t i = 0; i < pieces && done < max_chars; ++i) {
    const std::uint32_t cp0 = u32(plc, i * 4), cp1 = u32(plc, (i + 1) * 4);
    if (cp1 <= cp0) continue;
    const std::uint32_t fc_raw = u32(plc, (pieces + 1) * 4 + i * 8 + 2);
    const bool compressed = (fc_raw & 0x40000000u) != 0;
    const std::size_t chars = std::min<std::size_t>(cp1 - cp0, max_chars - done);
    const std::size_t start = compressed ? (fc_raw & 0x3FFFFFFFu) / 2 : (fc_raw & 0x3FFFFFFFu);
    const std::size_t bytes = compressed ? chars : chars * 2;
    if (start > doc.size() || bytes > doc.size() - start) continue;
    for (std::size_t c = 0; c < chars; ++c) put(compressed ? static_cast<unsigned char>(doc[start + c]) : u16(doc, start + 2 * c), compressed);
    done += chars;
  }
}

// The document text of a Word 97–2003 file, from the piece table (the Clx in the table stream the
// FIB names): pieces are either 8-bit (Windows-1252, stored at fc/2) or UTF-16LE. Field codes live
// in this text between 0x13 (begin), 0x14 (separator) and 0x15 (end). Text is kept as UTF-16 code
// units narrowed to bytes where ASCII — enough to read field instructions, which are ASCII words.
std::string word_text(std::string_view doc, std::string_view table, std::size_t max_chars) {
  std::string text;
  word_pieces(doc, table, max_chars, [&](unsigned unit, bool) { text.push_back(unit < 0x80 ? static_cast<char>(unit) : '?'); });
  return text;
}

// UTF-16 code units as UTF-8: pairs joined, a lone surrogate as U+FFFD; controls (Word's field and
// cell marks, paragraph ends) as line ends, so that text on both sides of one is not read as one word.
class Utf16Text {
 public:
  void put(unsigned unit) {
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      if (high_ != 0) append_utf8(out_, 0xFFFD);
      high_ = unit;
      return;
    }
    if (unit >= 0xDC00 && unit <= 0xDFFF) {
      append_utf8(out_, high_ != 0 ? static_cast<char32_t>(0x10000 + ((high_ - 0xD800) << 10) + (unit - 0xDC00)) : char32_t{0xFFFD});
      high_ = 0;
      return;
    }
    if (high_ != 0) append_utf8(out_, 0xFFFD);
    high_ = 0;
    if (unit < 0x20 && unit != '\t') {
      out_.push_back('\n');
    } else {
      append_utf8(out_, static_cast<char32_t>(unit));
    }
  }
  void line() { put('\n'); }
  std::string& text() { return out_; }

 private:
  std::string out_;
  unsigned high_ = 0;
};

// Windows-1252's 0x80–0x9F; elsewhere it is Latin-1.
// The strings in binary data, as `strings` finds them: runs of at least 4 printable ASCII bytes,
// and of at least 4 UTF-16LE characters at either byte alignment, each run a line.
void stream_strings(std::string_view data, Utf16Text& out) {
  constexpr std::size_t kShortest = 4;
  std::size_t run = 0;
  for (std::size_t i = 0; i <= data.size(); ++i) {
    const bool printable = i < data.size() && data[i] >= 0x20 && data[i] < 0x7F;
    if (printable) {
      ++run;
      continue;
    }
    if (run >= kShortest) {
      for (char c : data.substr(i - run, run)) out.put(static_cast<unsigned char>(c));
      out.line();
    }
    run = 0;
  }
  for (std::size_t align = 0; align < 2; ++align) {
    std::size_t from = align;
    run = 0;
    for (std::size_t i = align; i + 1 < data.size() + 2; i += 2) {
      const bool in = i + 1 < data.size();
      const unsigned unit = in ? u16(data, i) : 0;
      // No control characters, surrogates or non-characters (ASCII text read two bytes at a time
      // gives runs of CJK-looking noise here: harmless beside the pass above, which reads it).
      const bool printable = in && unit >= 0x20 && (unit < 0xD800 || unit >= 0xE000) && unit != 0xFFFF && unit != 0xFFFE && (unit < 0x7F || unit >= 0xA0);
      if (printable) {
        if (run == 0) from = i;
        ++run;
        continue;
      }
      if (run >= kShortest) {
        for (std::size_t k = 0; k < run; ++k) out.put(u16(data, from + 2 * k));
        out.line();
      }
      run = 0;
    }
  }
}

char32_t cp1252(unsigned char c) {
  static constexpr char16_t kHigh[32] = {0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
                                         0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};
  return c >= 0x80 && c < 0xA0 ? kHigh[c - 0x80] : c;
}

// A BIFF8 number as a cell shows it: whole numbers without a fraction (a 個人番号 typed into a cell
// is a number), others with the digits a double holds.
// Whether a cell shows `v` without a fraction.
bool is_whole(double v) { return v == v && v > -1e16 && v < 1e16 && v == static_cast<double>(static_cast<long long>(v)); }

// The IEEE double a record stores at `at`, as it lies there (the caller has checked its 8 bytes).
double double_at(std::string_view r, std::size_t at) {
  double v = 0;
  std::memcpy(&v, r.data() + at, sizeof v);
  return v;
}

std::string biff_number(double v) {
  char buf[64];
  if (is_whole(v)) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  } else {
    std::snprintf(buf, sizeof buf, "%.15g", v);
  }
  return buf;
}

double rk_number(std::uint32_t rk) {
  double v = 0;
  if ((rk & 2u) != 0) {
    v = static_cast<double>(static_cast<std::int32_t>(rk) >> 2);
  } else {
    const std::uint64_t bits = static_cast<std::uint64_t>(rk & 0xFFFFFFFCu) << 32;
    std::memcpy(&v, &bits, sizeof v);
  }
  return (rk & 1u) != 0 ? v / 100 : v;
}

// Bytes in a workbook's or property set's code page as UTF-8. A code page no converter here knows
// is read as Windows reads what it cannot map, windows-1252, and as the outgoing check guesses
// unlabelled bytes (cp932, EUC-JP, UTF-8 …), a line each: a Mac Japanese workbook's 個人番号 read
// only as Western was mojibake to the checks.
std::string code_page_text(std::string_view bytes, std::string_view label) {
  if (!label.empty()) return mime::decode_text(bytes, label).utf8;
  std::string text = mime::decode_text(bytes, "windows-1252").utf8;
  const std::string guess = mime::text_for_checks(bytes);
  if (guess != text) text += "\n" + guess;
  return text;
}

// A run of BIFF8 record payloads read as one (SST and its CONTINUE records): a string's characters
// that cross into the next record start it with a new flags byte (8-bit or UTF-16).
class BiffCursor {
 public:
  explicit BiffCursor(std::vector<std::string_view> chunks) : chunks_(std::move(chunks)) {}
  bool bytes(std::size_t n, std::string* into = nullptr) {
    while (n > 0) {
      if (!ready()) return false;
      const std::size_t take = std::min(n, chunks_[i_].size() - at_);
      if (into != nullptr) into->append(chunks_[i_].substr(at_, take));
      at_ += take;
      n -= take;
    }
    return true;
  }
  // An XLUnicodeString's characters (cch of them), appended as UTF-8.
  bool chars(std::size_t cch, bool high, Utf16Text& out) {
    while (cch > 0) {
      if (at_ >= chunks_[i_].size()) {
        if (++i_ >= chunks_.size()) return false;
        at_ = 0;
        if (chunks_[i_].empty()) return false;
        high = (static_cast<unsigned char>(chunks_[i_][at_++]) & 1u) != 0;
      }
      const std::string_view c = chunks_[i_];
      if (high) {
        if (at_ + 2 > c.size()) return false;
        out.put(u16(c, at_));
        at_ += 2;
      } else {
        append_utf8(out.text(), cp1252(static_cast<unsigned char>(c[at_])));
        at_ += 1;
      }
      --cch;
    }
    return true;
  }
  // An XLUnicodeRichExtendedString (SST entry).
  bool sst_string(Utf16Text& out) {
    std::string head;
    if (!bytes(3, &head)) return false;
    const std::size_t cch = u16(head, 0);
    const auto flags = static_cast<unsigned char>(head[2]);
    std::size_t runs = 0, ext = 0;
    if ((flags & 0x08u) != 0) {
      std::string r;
      if (!bytes(2, &r)) return false;
      runs = u16(r, 0);
    }
    if ((flags & 0x04u) != 0) {
      std::string e;
      if (!bytes(4, &e)) return false;
      ext = u32(e, 0);
    }
    if (!chars(cch, (flags & 0x01u) != 0, out)) return false;
    out.line();
    return bytes(runs * 4) && bytes(ext);
  }

 private:
  bool ready() {
    while (i_ < chunks_.size() && at_ >= chunks_[i_].size()) {
      ++i_;
      at_ = 0;
    }
    return i_ < chunks_.size();
  }
  std::vector<std::string_view> chunks_;
  std::size_t i_ = 0, at_ = 0;
};

// An XLUnicodeString at `at` of one record (cch of `cch_bytes`, then flags, then characters).
void biff_string(std::string_view r, std::size_t at, std::size_t cch_bytes, Utf16Text& out) {
  if (at + cch_bytes + 1 > r.size()) return;
  const std::size_t cch = cch_bytes == 1 ? static_cast<unsigned char>(r[at]) : u16(r, at);
  BiffCursor c({r.substr(at + cch_bytes + 1)});
  c.chars(cch, (static_cast<unsigned char>(r[at + cch_bytes]) & 1u) != 0, out);
  out.line();
}

// A BIFF5 (Excel 5.0/95) string at `at` of one record: its byte count (of `cch_bytes`), then its
// bytes in the workbook's code page — no flags byte, unlike BIFF8's.
void biff5_string(std::string_view r, std::size_t at, std::size_t cch_bytes, std::string_view label, Utf16Text& out) {
  if (at + cch_bytes > r.size()) return;
  const std::size_t cch = cch_bytes == 1 ? static_cast<unsigned char>(r[at]) : u16(r, at);
  out.text() += code_page_text(r.substr(at + cch_bytes, std::min(cch, r.size() - at - cch_bytes)), label);
  out.line();
}

// The payloads of the CONTINUE records from `at` on, appended to `chunks`; `at` moves past them.
void continue_records(std::string_view wb, std::size_t& at, std::vector<std::string_view>& chunks) {
  while (at + 4 <= wb.size() && u16(wb, at) == 0x003C) {
    const std::size_t length = u16(wb, at + 2);
    if (at + 4 + length > wb.size()) break;
    chunks.push_back(wb.substr(at + 4, length));
    at += 4 + length;
  }
}

// The longest string an array constant holds: Excel takes no longer string in a formula, and a
// byte that only looks like one is not read for 65535 characters at every byte of a record.
constexpr std::size_t kLongestFormulaString = 255;

// The constants of a formula (its parsed expression, rgce, and the data after it, rgcb) as the
// formula bar shows them: a defined name "=123456789018", a formula '="1234"&"56789018"' or an
// array constant {123456789018} holds the number as much as a cell does. In rgce, ptgNum (0x1F, an
// IEEE double) and ptgStr (0x17: BIFF8 a ShortXLUnicodeString, BIFF5 a byte count and bytes in the
// code page); in rgcb, an array's values (SerAr): 0x01 and a double, 0x02 and a string (BIFF8 an
// XLUnicodeString, BIFF5 a byte count and bytes). Looked for at every byte rather than token by
// token: a token table for two BIFF versions is a parser of its own, and a byte that only looks
// like a token yields a line of noise, which no check reads as a number. A SerAr number is read
// only when whole: 0x01 is a common byte, and a fraction shows no 個人番号.
void formula_constants(std::string_view rgce, bool biff5, std::string_view label, Utf16Text& out) {
  for (std::size_t i = 0; i + 1 < rgce.size(); ++i) {
    const auto token = static_cast<unsigned char>(rgce[i]);
    if ((token == 0x1F || token == 0x01) && i + 9 <= rgce.size()) {
      const double v = double_at(rgce, i + 1);
      if (token == 0x01 ? is_whole(v) : v == v && v > -1e300 && v < 1e300) out.text() += biff_number(v) + "\n";
    } else if (token == 0x17) {
      if (biff5) biff5_string(rgce, i + 1, 1, label, out);
      else biff_string(rgce, i + 1, 1, out);
    } else if (token == 0x02) {
      if (biff5) biff5_string(rgce, i + 1, 1, label, out);
      else if (i + 3 <= rgce.size() && u16(rgce, i + 1) <= kLongestFormulaString) biff_string(rgce, i + 1, 2, out);
    }
  }
}

// A number format's text as a cell shows it: its literal characters — escaped by a backslash,
// quoted, or of no meaning to the format (digits other than 0, '-', '/', ' ' …) — with the codes
// that stand for the value left out ('#' and '@' none, '?' a space, '0' a zero, as for a value of
// 0), a line per section (';': one section shows at a time). "\1\2\3…" and "1234""5678""9018" are
// the digits every cell of the format shows, though the format's source holds no number.
std::string format_shown_text(std::string_view code) {
  std::string shown;
  bool quoted = false;
  for (std::size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    // A character after '\\', '_' or '*' is taken whole (its UTF-8 bytes), never as a code.
    auto next_character = [&]() -> std::string_view {
      if (i + 1 >= code.size()) return {};
      std::size_t n = 1;
      while (i + 1 + n < code.size() && (static_cast<unsigned char>(code[i + 1 + n]) & 0xC0) == 0x80) ++n;
      const std::string_view ch = code.substr(i + 1, n);
      i += n;
      return ch;
    };
    if (quoted) {
      if (c == '"') quoted = false;
      else shown.push_back(c);
    } else if (c == '"') {
      quoted = true;
    } else if (c == '\\' || c == '*') {
      shown += next_character();
    } else if (c == '_') {
      next_character();
      shown.push_back(' ');
    } else if (c == '[') {  // a colour, a condition, an elapsed time: no text; a currency [$¥-411]: its symbol
      const auto close = std::min(code.find(']', i), code.size());
      if (i + 1 < close && code[i + 1] == '$') shown += code.substr(i + 2, std::min(code.find('-', i), close) - (i + 2));
      i = close;
    } else if (c == ';') {
      shown.push_back('\n');
    } else if (c == '?') {
      shown.push_back(' ');
    } else if (c != '#' && c != '@') {
      shown.push_back(c);
    }
  }
  return shown;
}

// The text and numbers of an Excel 5.0–2003 workbook stream ([MS-XLS]): sheet names, headers and
// footers, the shared strings, LABEL (and BIFF5's RSTRING) cells, numbers (NUMBER, RK, MULRK, a
// formula's cached value), a formula's string result, and the text of text boxes and comments
// (TXO). Strings are BIFF8's (a flags byte: 8-bit or UTF-16) or, after a BOF of version 0x0500,
// BIFF5's (bytes in the CODEPAGE record's code page): read as the other, a BIFF5 string loses its
// first character to the flags byte and may turn into UTF-16 nonsense. `encrypted` is set by
// FILEPASS; `cut_short` by a TXO whose text is not all there (its characters are not read then).
void workbook_text(std::string_view wb, Utf16Text& out, bool& encrypted, bool& cut_short) {
  bool biff5 = false;
  // The charset of the CODEPAGE record's code page (mime::charset_for_code_page); "" for one no
  // converter here knows (10001, Mac Japanese): code_page_text reads that twice.
  std::string label = mime::charset_for_code_page(1252);
  // A BIFF5 comment longer than one NOTE record goes on in NOTE records with rw 0xFFFF, and Excel
  // shows it as one text: its bytes are joined before they are decoded (a cp932 character may be
  // cut between two records) and read as one line when the next record is no continuation.
  std::string note;
  bool note_open = false;
  auto end_note = [&] {
    if (!note_open) return;
    out.text() += code_page_text(note, label);
    out.line();
    note.clear();
    note_open = false;
  };
  for (std::size_t at = 0; at + 4 <= wb.size();) {
    const std::uint16_t type = u16(wb, at), len = u16(wb, at + 2);
    const std::size_t data = at + 4;
    if (data + len > wb.size()) break;
    const std::string_view r = wb.substr(data, len);
    at = data + len;
    const bool continues_note = biff5 && type == 0x001C && r.size() >= 2 && u16(r, 0) == 0xFFFF;
    if (!continues_note) end_note();
    switch (type) {
      case 0x002F:  // FILEPASS
        encrypted = true;
        return;
      case 0x0809:  // BOF: each substream says its BIFF version
        if (r.size() >= 2) biff5 = u16(r, 0) == 0x0500;
        break;
      case 0x0042:  // CODEPAGE: BIFF5's 8-bit strings are in it
        if (r.size() >= 2) label = mime::charset_for_code_page(u16(r, 0));
        break;
      case 0x0085:  // BOUNDSHEET: the sheet's name
        if (biff5) biff5_string(r, 6, 1, label, out);
        else biff_string(r, 6, 1, out);
        break;
      case 0x0014:  // HEADER
      case 0x0015:  // FOOTER
      case 0x0204:  // LABEL (row, col, xf, string)
      case 0x00D6:  // RSTRING: BIFF5's LABEL with formatting runs after its string
      case 0x0207:  // STRING: a formula's text result
        if (biff5) biff5_string(r, type == 0x0204 || type == 0x00D6 ? 6 : 0, type == 0x0014 || type == 0x0015 ? 1 : 2, label, out);
        else biff_string(r, type == 0x0204 || type == 0x00D6 ? 6 : 0, 2, out);
        break;
      case 0x0203:  // NUMBER
        if (r.size() >= 14) out.text() += biff_number(double_at(r, 6)) + "\n";
        break;
      case 0x0006:  // FORMULA: the cached value, when it is a number (its last two bytes are not 0xFFFF); its constants
        if (r.size() >= 14 && u16(r, 12) != 0xFFFF) out.text() += biff_number(double_at(r, 6)) + "\n";
        if (r.size() > 22) formula_constants(r.substr(22), biff5, label, out);
        break;
      case 0x0221:  // ARRAY, SHRFMLA: a formula shared by cells, its constants
      case 0x04BC:
      case 0x01BE:  // DV: data validation — its prompt and error texts and its two formulas
      case 0x01B1:  // CF: conditional formatting's formulas
        stream_strings(r, out);
        formula_constants(r, biff5, label, out);
        break;
      case 0x0018:  // NAME: a defined name, its formula, and (BIFF5) its menu, description, help and status texts
        if (r.size() >= 14) {
          // The name's length is in the header (cch at 3); its characters follow it at 14 — BIFF5's
          // bytes in the code page, BIFF8's after a flags byte.
          const std::size_t cch = static_cast<unsigned char>(r[3]), cce = u16(r, 4);
          std::size_t rest = 14 + cch;
          if (biff5) {
            out.text() += code_page_text(r.substr(14, std::min(cch, r.size() - 14)), label);
          } else if (r.size() > 14) {
            const bool high = (static_cast<unsigned char>(r[14]) & 1u) != 0;
            rest += 1 + (high ? cch : 0);
            BiffCursor(std::vector<std::string_view>{r.substr(15)}).chars(cch, high, out);
          }
          out.line();
          // Its rgcb (an array constant's values) follows the cce bytes of rgce: the rest is read too.
          formula_constants(r.substr(std::min(rest, r.size())), biff5, label, out);
          if (rest + cce < r.size()) {
            if (biff5) out.text() += code_page_text(r.substr(rest + cce), label) + "\n";
            else stream_strings(r.substr(rest + cce), out);
          }
        }
        break;
      case 0x001C:  // NOTE: BIFF5's comment text (row, column, cch, bytes); BIFF8's author, its text in TXO
        if (biff5) {
          if (r.size() >= 6) note.append(r.substr(6, std::min<std::size_t>(u16(r, 4), r.size() - 6)));
          note_open = true;  // a continuation with no comment before it is read as one of its own
        } else {
          biff_string(r, 8, 2, out);
        }
        break;
      case 0x041E: {  // FORMAT: a number format (ifmt, then its string), and the text its cells show
        Utf16Text code;
        if (biff5) biff5_string(r, 2, 1, label, code);
        else biff_string(r, 2, 2, code);
        out.text() += code.text();
        out.text() += format_shown_text(code.text()) + "\n";
        break;
      }
      case 0x005A:  // CRN: the cached values of another workbook's cells
        for (std::size_t k = 4; k < r.size();) {
          const auto kind = static_cast<unsigned char>(r[k++]);
          if (kind == 0x02) {  // a string: BIFF5 a byte count and bytes, BIFF8 an XLUnicodeString
            const std::size_t head = biff5 ? 1 : 3;
            if (k + head > r.size()) break;
            const std::size_t cch = biff5 ? static_cast<unsigned char>(r[k]) : u16(r, k);
            const bool high = !biff5 && (static_cast<unsigned char>(r[k + 2]) & 1u) != 0;
            if (biff5) biff5_string(r, k, 1, label, out);
            else biff_string(r, k, 2, out);
            k += head + cch * (high ? 2 : 1);
            continue;
          }
          if (kind == 0x01 && k + 8 <= r.size()) out.text() += biff_number(double_at(r, k)) + "\n";
          k += 8;
        }
        break;
      case 0x027E:  // RK
        if (r.size() >= 10) out.text() += biff_number(rk_number(u32(r, 6))) + "\n";
        break;
      case 0x00BD:  // MULRK: row, first column, (xf, rk)…, last column
        for (std::size_t k = 4; k + 6 + 2 <= r.size(); k += 6) out.text() += biff_number(rk_number(u32(r, k + 2))) + "\n";
        break;
      case 0x00FC: {  // SST, continued by CONTINUE records
        std::vector<std::string_view> chunks{r.size() >= 8 ? r.substr(8) : std::string_view()};
        const std::size_t unique = r.size() >= 8 ? u32(r, 4) : 0;
        continue_records(wb, at, chunks);
        BiffCursor c(std::move(chunks));
        for (std::size_t k = 0; k < unique && c.sst_string(out); ++k) {
        }
        break;
      }
      case 0x01B6: {  // TXO: a text box's or a comment's text (cchText at 10), in the CONTINUE records after it
        std::vector<std::string_view> chunks;
        continue_records(wb, at, chunks);
        const std::size_t cch = r.size() >= 12 ? u16(r, 10) : 0;
        if (r.size() < 12) cut_short = true;
        if (cch == 0) break;
        if (biff5) {  // BIFF5: cch bytes in the code page across the CONTINUE records, no flags byte
          std::string bytes;
          if (!BiffCursor(std::move(chunks)).bytes(cch, &bytes)) cut_short = true;
          else out.text() += code_page_text(bytes, label);
          out.line();
          break;
        }
        // Each CONTINUE that holds characters starts with its own flags byte (8-bit or UTF-16).
        BiffCursor c(std::move(chunks));
        std::string flags;
        if (!c.bytes(1, &flags) || !c.chars(cch, (static_cast<unsigned char>(flags[0]) & 1u) != 0, out)) cut_short = true;
        out.line();
        break;
      }
      default:
        // Any other record — fonts, styles, hyperlinks, the user who saved it, objects, CONTINUE
        // records not read above: its strings, as `strings` finds them.
        stream_strings(r, out);
        break;
    }
  }
  end_note();
}

// PowerPoint's text ([MS-PPT]): TextCharsAtom and CString (UTF-16LE), TextBytesAtom (8-bit), in
// every container at any depth.
void powerpoint_text(std::string_view doc, Utf16Text& out) {
  std::function<void(std::size_t, std::size_t, int)> walk = [&](std::size_t from, std::size_t to, int depth) {
    for (std::size_t at = from; at + 8 <= to;) {
      const std::uint16_t ver_inst = u16(doc, at), type = u16(doc, at + 2);
      const std::uint32_t len = u32(doc, at + 4);
      const std::size_t data = at + 8;
      if (len > to - data) return;
      if (type == 0x0FA0 || type == 0x0FBA) {
        for (std::size_t k = 0; k + 2 <= len; k += 2) out.put(u16(doc, data + k));
        out.line();
      } else if (type == 0x0FA8) {
        for (std::size_t k = 0; k < len; ++k) append_utf8(out.text(), cp1252(static_cast<unsigned char>(doc[data + k])));
        out.line();
      }
      if ((ver_inst & 0x000F) == 0x000F && depth < 32) walk(data, data + len, depth + 1);
      at = data + len;
    }
  };
  walk(0, doc.size(), 0);
}

// The string properties of a property set stream ([MS-OLEPS]: SummaryInformation, DocumentSummary-
// Information with its user-defined section): title, subject, author, keywords, comments, company,
// custom properties — where offices and labelling tools write a classification.
void property_strings(std::string_view ps, Utf16Text& out) {
  if (ps.size() < 28) return;
  const std::uint32_t sections = u32(ps, 24);
  for (std::uint32_t s = 0; s < sections && s < 8; ++s) {
    const std::size_t entry = 28 + s * 20;
    if (entry + 20 > ps.size()) return;
    const std::size_t base = u32(ps, entry + 16);
    if (base + 8 > ps.size()) continue;
    const std::uint32_t count = u32(ps, base + 4);
    unsigned codepage = 1252;
    for (std::uint32_t p = 0; p < count && p < 4096; ++p) {  // the code page first: strings depend on it
      const std::size_t pe = base + 8 + p * 8;
      if (pe + 8 > ps.size()) break;
      const std::size_t off = base + u32(ps, pe + 4);
      if (u32(ps, pe) == 1 && off + 6 <= ps.size() && u16(ps, off) == 2) codepage = u16(ps, off + 4);
    }
    for (std::uint32_t p = 0; p < count && p < 4096; ++p) {
      const std::size_t pe = base + 8 + p * 8;
      if (pe + 8 > ps.size()) break;
      const std::size_t off = base + u32(ps, pe + 4);
      if (off + 8 > ps.size()) continue;
      const std::uint32_t vt = u32(ps, off), n = u32(ps, off + 4);
      if (vt == 0x1E && n <= ps.size() - off - 8) {  // VT_LPSTR in the code page
        std::string_view raw = ps.substr(off + 8, n);
        while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
        out.text() += code_page_text(raw, mime::charset_for_code_page(codepage));
        out.line();
      } else if (vt == 0x1F && n <= (ps.size() - off - 8) / 2) {  // VT_LPWSTR
        for (std::size_t k = 0; k < n; ++k) {
          const unsigned unit = u16(ps, off + 8 + 2 * k);
          if (unit == 0) break;
          out.put(unit);
        }
        out.line();
      }
    }
  }
}

}  // namespace

std::string nested_field_value(const std::string& instruction, const std::string& result) {
  std::string_view s = instruction;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  if (s.size() < 5 || ascii_lower(s.substr(0, 5)) != "quote") return result;
  s.remove_prefix(5);
  std::string out;
  bool codes = false;
  unsigned value = 0;
  bool in_number = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      value = std::min(value * 10 + static_cast<unsigned>(c - '0'), 0xFFFFu);
      in_number = codes = true;
    } else {
      if (in_number) out.push_back(value < 0x80 ? static_cast<char>(value) : '?');
      in_number = false;
      value = 0;
      if (c != ' ' && c != '\t' && c != '"') out.push_back(c);  // QUOTE "text": the text
    }
  }
  if (in_number) out.push_back(value < 0x80 ? static_cast<char>(value) : '?');
  return codes || !out.empty() ? out : result;
}

namespace {

// DDE and remote-include fields (DDEAUTO, INCLUDETEXT http://…) in the document text, nested or
// not. A nested field's value joins the instruction around it, as when Word updates fields, so
// { {QUOTE 68 68 69 65 85 84 79} cmd.exe } is judged as the DDEAUTO it becomes; a field whose
// very keyword is computed by a nested field cannot be judged before it runs and counts as DDE.
std::vector<FindingKind> dangerous_fields(std::string_view text) {
  std::vector<FindingKind> kinds;
  struct Open {
    std::string instruction, result;
    bool in_instruction = true;
    bool keyword_computed = false;
  };
  std::vector<Open> stack;
  auto judge = [&](Open& f) {
    if (!f.in_instruction) return;
    f.in_instruction = false;
    if (auto kind = dangerous_field_kind(f.instruction)) {
      kinds.push_back(*kind);
    } else if (f.keyword_computed) {
      kinds.push_back(FindingKind::kDdeField);
    }
  };
  for (char c : text) {
    if (c == 0x13) {
      if (!stack.empty() && stack.back().in_instruction &&
          stack.back().instruction.find_first_not_of(" \t\r\n\\") == std::string::npos) {
        stack.back().keyword_computed = true;
      }
      if (stack.size() < 64) stack.push_back({});
    } else if (c == 0x14) {
      if (!stack.empty()) judge(stack.back());
    } else if (c == 0x15) {
      if (!stack.empty()) {
        judge(stack.back());
        Open done = std::move(stack.back());
        stack.pop_back();
        if (!stack.empty()) {
          Open& outer = stack.back();
          std::string& into = outer.in_instruction ? outer.instruction : outer.result;
          if (into.size() < 4096) into += nested_field_value(done.instruction, done.result);
        }
      }
    } else if (!stack.empty()) {
      std::string& into = stack.back().in_instruction ? stack.back().instruction : stack.back().result;
      if (into.size() < 4096) into.push_back(c);
    }
  }
  for (auto& f : stack) judge(f);
  return kinds;
}

// Excel's links to other workbooks and DDE servers ([MS-XLS] SUPBOOK 0x01AE, EXTERNNAME 0x0023):
// a SUPBOOK that is neither the workbook itself (cch 0x0401) nor an add-in function table
// (0x3A01) names another file or a DDE/OLE server; an EXTERNNAME flagged OLE, OLE link or
// advise (fOle, fOleLink, fWantAdvise) is a live DDE/OLE link.
bool has_external_links(std::string_view wb) {
  for (std::size_t at = 0; at + 4 <= wb.size();) {
    const std::uint16_t type = u16(wb, at), len = u16(wb, at + 2);
    const std::size_t data = at + 4;
    if (data + len > wb.size()) break;
    if (type == 0x01AE && len >= 4) {
      const std::uint16_t cch = u16(wb, data + 2);
      if (cch != 0x0401 && cch != 0x3A01) return true;
    }
    if (type == 0x0023 && len >= 2 && (u16(wb, data) & 0x001A) != 0) return true;
    at = data + len;
  }
  return false;
}

}  // namespace

Detected ole2_kind(std::string_view bytes) {
  CompoundFile cf(bytes);
  if (!cf.ok()) return {"ole2", Family::kOle2};
  bool info = false, package = false, word = false, excel = false, ppt = false, msg = false;
  for (const auto& e : cf.entries(4096)) {
    const std::string p = ascii_lower(e.path);  // [MS-CFB] names compare case-insensitively
    if (p == "encryptioninfo") info = true;
    if (p == "encryptedpackage") package = true;
    if (p == "worddocument") word = true;
    if (p == "workbook" || p == "book") excel = true;
    if (p == "powerpoint document") ppt = true;
    if (p.rfind("__substg1.0_", 0) == 0 || p == "__properties_version1.0") msg = true;
  }
  if (info && package) return {"encrypted-ooxml", Family::kOle2};
  if (msg) return {"msg", Family::kMessage};
  if (word) return {"doc", Family::kWord};
  if (excel) return {"xls", Family::kExcel};
  if (ppt) return {"ppt", Family::kPowerpoint};
  return {"ole2", Family::kOle2};
}

Result<std::pair<std::string, std::string>> encrypted_ooxml_streams(std::string_view bytes, std::size_t max) {
  CompoundFile cf(bytes);
  if (!cf.ok()) return blocked("malformed", "document", "the OLE2 compound file cannot be read");
  std::optional<std::string> info, package;
  for (const auto& e : cf.entries(4096)) {
    const std::string p = ascii_lower(e.path);
    if (p != "encryptioninfo" && p != "encryptedpackage") continue;
    const gsf_off_t size = gsf_input_size(e.input);
    if (size < 0 || static_cast<std::uint64_t>(size) > max) {
      return blocked("limit", e.path, "the stream is larger than the limit of " + std::to_string(max) + " bytes");
    }
    std::string data = CompoundFile::read(e.input, max);
    if (static_cast<gsf_off_t>(data.size()) != size) return blocked("malformed", e.path, "the stream cannot be read whole");
    (p == "encryptioninfo" ? info : package) = std::move(data);
  }
  if (!info || !package) return blocked("malformed", "document", "the encrypted document lacks its EncryptionInfo or EncryptedPackage stream");
  return std::make_pair(std::move(*info), std::move(*package));
}

Result<Rebuilt> sanitize_ole2(std::string_view bytes, std::string_view type, const Context& ctx) {
  const std::string where = ctx.prefix.empty() ? std::string("document") : ctx.prefix.substr(0, ctx.prefix.size() - 1);
  CompoundFile cf(bytes);
  if (!cf.ok()) return blocked("malformed", where, "the OLE2 compound file cannot be read");
  std::vector<Finding> found;
  bool encrypted = false;
  auto entries = cf.entries(ctx.policy.max_members + 1);
  if (entries.size() > ctx.policy.max_members) return blocked("limit", where, "the compound file has more streams than the limit");
  // [MS-CFB] compares directory entry names case-insensitively, and so does Office: "macros/vba"
  // or "OBJECTPOOL" is the same storage as "Macros/VBA" or "ObjectPool".
  auto stream_named = [&](std::string_view path) -> const Stream* {
    for (const auto& t : entries) {
      if (ascii_lower(t.path) == path) return &t;
    }
    return nullptr;
  };
  for (const auto& e : entries) {
    const std::string path = ascii_lower(e.path);
    const std::string name = leaf(path);
    if (name == "macros" || name == "_vba_project_cur" || name == "vba" || name == "_vba_project" || name == "vba_project") {
      if (found.empty() || found.back().kind != FindingKind::kVbaMacro) found.push_back({FindingKind::kVbaMacro, e.path, FindingAction::kBlocked});
    }
    if (name == "objectpool" && GSF_IS_INFILE(e.input) && gsf_infile_num_children(GSF_INFILE(e.input)) > 0) found.push_back({FindingKind::kOleObject, e.path, FindingAction::kBlocked});
    if (name == "\x01ole10native") found.push_back({FindingKind::kOleObject, e.path, FindingAction::kBlocked});
    if (path.rfind("mbd", 0) == 0 && path.find('/') == std::string::npos) found.push_back({FindingKind::kOleObject, e.path, FindingAction::kBlocked});
    if (name == "encryptedsummary") encrypted = true;
    if (path == "worddocument") {
      std::string doc = CompoundFile::read(e.input, ctx.policy.max_input_bytes);
      SANSO_TRY(ctx.charge(doc.size(), e.path));
      if (doc.size() >= 12 && (u16(doc, 0x0A) & 0x0100) != 0) encrypted = true;  // FIB fEncrypted
      if (!encrypted && doc.size() >= 12) {
        const char* table_name = (u16(doc, 0x0A) & 0x0200) != 0 ? "1table" : "0table";  // FIB fWhichTblStm
        if (const Stream* t = stream_named(table_name); t != nullptr) {
          std::string table = CompoundFile::read(t->input, ctx.policy.max_input_bytes);
          SANSO_TRY(ctx.charge(table.size(), t->path));
          for (FindingKind kind : dangerous_fields(word_text(doc, table, 64u << 20))) {
            if (found.empty() || found.back().kind != kind) found.push_back({kind, e.path, FindingAction::kBlocked});
          }
        }
      }
    }
    if (path == "workbook" || path == "book") {
      std::string wb = CompoundFile::read(e.input, ctx.policy.max_input_bytes);
      SANSO_TRY(ctx.charge(wb.size(), e.path));
      bool macro_sheet = false;
      inspect_workbook(wb, macro_sheet, encrypted);
      if (macro_sheet) found.push_back({FindingKind::kExcel4Macro, e.path, FindingAction::kBlocked});
      if (has_external_links(wb)) found.push_back({FindingKind::kExternalLink, e.path, FindingAction::kBlocked});
    }
    if (path == "powerpoint document") {
      std::string doc = CompoundFile::read(e.input, ctx.policy.max_input_bytes);
      SANSO_TRY(ctx.charge(doc.size(), e.path));
      bool vba = false, ole = false;
      inspect_powerpoint(doc, vba, ole, encrypted);
      if (vba) found.push_back({FindingKind::kVbaMacro, e.path, FindingAction::kBlocked});
      if (ole) found.push_back({FindingKind::kOleObject, e.path, FindingAction::kBlocked});
    }
  }
  if (encrypted) return blocked("encrypted", where, "the " + std::string(type) + " document is password-protected");
  if (!found.empty()) {
    std::string what;
    for (const auto& f : found) {
      ctx.add(f.kind, f.location, f.action);
      const std::string_view kind = to_string(f.kind);
      if (what.find(kind) == std::string::npos) what += (what.empty() ? "" : ", ") + std::string(kind);
    }
    return blocked("active-content", where,
                   "the legacy " + std::string(type) + " file contains " + what + "; legacy Office files are not rebuilt — ask for .docx/.xlsx/.pptx or PDF");
  }
  return Rebuilt{std::string(bytes), std::string(type)};
}

namespace {

// Little-endian fields read in order; `ok` false once one runs past the end.
struct Fields {
  std::string_view b;
  std::size_t at = 0;
  bool ok = true;
  std::string_view take(std::size_t n) {
    if (!ok || n > b.size() - at) {
      ok = false;
      return {};
    }
    at += n;
    return b.substr(at - n, n);
  }
  std::uint32_t u32le() {
    const std::string_view f = take(4);
    return ok ? u32(f, 0) : 0;
  }
  std::string_view cstr() {
    const auto nul = b.find('\0', at);
    if (!ok || nul == std::string_view::npos) {
      ok = false;
      return {};
    }
    const std::string_view out = b.substr(at, nul - at);
    at = nul + 1;
    return out;
  }
  std::string_view lenstr() {  // u32 length (the NUL included), then the bytes
    std::string_view s = take(u32le());
    while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
    return s;
  }
};

// A file name from an object's label or path: its last component, never empty.
std::string file_label(std::string_view label, std::string_view fallback) {
  const auto cut = label.find_last_of("/\\");
  if (cut != std::string_view::npos) label.remove_prefix(cut + 1);
  return label.empty() ? std::string(fallback) : mime::decode_text(label, "").utf8;
}

// An Outlook item's RTF body ([MS-OXRTFCP]): LZ77 over a 4096-byte dictionary that starts with a
// fixed RTF prelude ("LZFu"), or stored as it is ("MELA"); at most `max` bytes. Every byte read is
// inside `in`; a body cut short anywhere is malformed rather than a partial text taken for the whole.
Result<std::string> rtf_body(std::string_view in, std::size_t max) {
  if (in.size() < 16) return blocked("malformed", "RTF body", "the compressed RTF body is too short (" + std::to_string(in.size()) + " bytes; its header alone is 16)");
  const std::uint32_t compressed = u32(in, 0), raw = u32(in, 4), magic = u32(in, 8);
  if (raw > max) return blocked("limit", "RTF body", "the RTF body is larger than the limit");
  // CompSize counts the bytes after itself: the rest of the header (12) and the data.
  if (compressed < 12 || std::uint64_t{compressed} + 4 > in.size()) {
    return blocked("malformed", "RTF body", "the compressed RTF body is cut short (its header says " + std::to_string(std::uint64_t{compressed} + 4) +
                                                " bytes, " + std::to_string(in.size()) + " are there)");
  }
  if (magic == 0x414C454D) {
    if (raw > in.size() - 16) return blocked("malformed", "RTF body", "the stored RTF body is cut short");
    return std::string(in.substr(16, raw));
  }
  if (magic != 0x75465A4C) return blocked("malformed", "RTF body", "the RTF body is neither compressed nor stored");
  static constexpr std::string_view kPrelude =
      "{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes "
      "New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";
  static_assert(kPrelude.size() == 207);
  std::string dict(4096, '\0'), out;
  dict.replace(0, kPrelude.size(), kPrelude);
  std::size_t write = kPrelude.size();
  auto put = [&](char c) {
    out.push_back(c);
    dict[write] = c;
    write = (write + 1) % dict.size();
  };
  const std::size_t end = std::size_t{4} + compressed;
  for (std::size_t at = 16; at < end;) {
    const unsigned control = static_cast<unsigned char>(in[at++]);
    for (int bit = 0; bit < 8 && at < end; ++bit) {
      if ((control & (1u << bit)) == 0) {
        put(in[at++]);
      } else {
        if (at + 1 >= end) return blocked("malformed", "RTF body", "the compressed RTF body ends inside a reference");
        const unsigned ref = (static_cast<unsigned char>(in[at]) << 8) | static_cast<unsigned char>(in[at + 1]);
        at += 2;
        const std::size_t offset = ref >> 4, length = (ref & 0xF) + 2;
        if (offset == write) return out;  // the end marker
        for (std::size_t i = 0; i < length; ++i) put(dict[(offset + i) % dict.size()]);
      }
      if (out.size() > max) return blocked("limit", "RTF body", "the RTF body expands beyond the limit");
    }
  }
  return blocked("malformed", "RTF body", "the compressed RTF body has no end marker (it is cut short)");
}

}  // namespace

Result<ArchiveMember> packager_file(std::string_view bytes, bool with_size) {
  Fields f{bytes};
  if (with_size) {
    const std::uint32_t size = f.u32le();
    if (f.ok && size <= bytes.size() - 4) f.b = bytes.substr(0, 4 + size);
  }
  f.take(2);
  const std::string_view label = f.cstr();
  const std::string_view path = f.cstr();
  f.u32le();
  f.take(f.u32le());  // the temporary path
  const std::string_view data = f.take(f.u32le());
  if (!f.ok) return blocked("malformed", "Ole10Native", "the packaged file's header cannot be read");
  return ArchiveMember{file_label(label.empty() ? path : label, "packaged file"), std::string(data)};
}

Result<ArchiveMember> ole1_object(std::string_view bytes, std::string label) {
  Fields f{bytes};
  f.u32le();
  const std::uint32_t format = f.u32le();
  if (f.ok && format == 1) return blocked("unsupported", label, "a linked object: its file is elsewhere and is not read");
  if (f.ok && format == 5) return blocked("image", label, "a static picture object is not read");
  if (f.ok && format != 2) return blocked("malformed", label, "the embedded object's header cannot be read");
  const std::string class_name = ascii_lower(f.lenstr());
  f.lenstr();
  f.lenstr();
  const std::string_view native = f.take(f.u32le());
  if (!f.ok) return blocked("malformed", label, "the embedded object's header cannot be read");
  if (class_name == "package") return packager_file(native, false);
  return ArchiveMember{std::move(label), std::string(native)};
}

Result<ReadContent> ole2_content(std::string_view bytes, std::string_view type, const Context& ctx) {
  const std::string where = ctx.prefix.empty() ? std::string("document") : ctx.prefix.substr(0, ctx.prefix.size() - 1);
  if (type == "encrypted-ooxml") return blocked("encrypted", where, "the Office document is password-protected");
  CompoundFile cf(bytes);
  if (!cf.ok()) return blocked("malformed", where, "the OLE2 compound file cannot be read");
  auto entries = cf.entries(ctx.policy.max_members + 1);
  if (entries.size() > ctx.policy.max_members) return blocked("limit", where, "the compound file has more streams than the limit");
  auto read = [&](const Stream& e) -> Result<std::string> {
    std::string data = CompoundFile::read(e.input, ctx.policy.max_input_bytes);
    SANSO_TRY(ctx.charge(data.size(), e.path));
    return data;
  };
  ReadContent content;
  Utf16Text out;
  bool encrypted = false, macros = false;
  std::size_t pictures = 0;
  // Every stream is read by what its name means in the storage that holds it (the document's root,
  // or an embedded object's storage: ObjectPool/_…/, MBD…/, an Outlook attachment's), or named.
  for (const auto& e : entries) {
    if (GSF_IS_INFILE(e.input) && gsf_infile_num_children(GSF_INFILE(e.input)) >= 0) continue;  // a storage: its streams follow
    if (e.path.empty()) {  // a directory entry may carry no name: what is not read is still named
      content.unread.emplace_back("(unnamed stream)", "unsupported: a stream without a name in the compound file is not read");
      continue;
    }
    const std::string path = ascii_lower(e.path);  // [MS-CFB] names compare case-insensitively
    const std::string storage = path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
    const std::string name = leaf(path);
    if (("/" + path).find("/macros/") != std::string::npos || ("/" + path).find("/_vba_project_cur/") != std::string::npos ||
        ("/" + path).find("/_vba_project/") != std::string::npos) {
      macros = true;
      continue;
    }
    if (name == "encryptedsummary") encrypted = true;
    if (name == "\x05summaryinformation" || name == "\x05" "documentsummaryinformation") {
      property_strings(SANSO_TRY(read(e)), out);
    } else if (name == "worddocument") {
      const std::string doc = SANSO_TRY(read(e));
      if (doc.size() < 12) return blocked("malformed", where, "the WordDocument stream is too short");
      if (u16(doc, 2) < 0xC0) {  // FIB nFib (Word 6: 101, Word 95: 104, Word 97 on: 193): older Word keeps its text otherwise
        content.unread.emplace_back(e.path, "unsupported: a Word 6/95 document's text is not read");
        continue;
      }
      if ((u16(doc, 0x0A) & 0x0100) != 0) {  // FIB fEncrypted
        encrypted = true;
        continue;
      }
      const std::string table_name = storage + ((u16(doc, 0x0A) & 0x0200) != 0 ? "1table" : "0table");  // FIB fWhichTblStm
      const Stream* table = nullptr;
      for (const auto& t : entries) {
        if (ascii_lower(t.path) == table_name) table = &t;
      }
      if (table == nullptr) return blocked("malformed", where, "the Word document has no " + leaf(table_name) + " stream");
      const std::string tbl = SANSO_TRY(read(*table));
      word_pieces(doc, tbl, ctx.policy.max_input_bytes, [&](unsigned unit, bool compressed) {
        if (compressed && unit >= 0x20) {
          append_utf8(out.text(), cp1252(static_cast<unsigned char>(unit)));
        } else {
          out.put(unit);
        }
      });
      out.line();
    } else if (name == "1table" || name == "0table" || name == "current user" || name == "\x01" "compobj" || name == "\x01ole" ||
               name == "\x03objinfo" || name == "\x03ocxname" || name == "__properties_version1.0" || path.find("__nameid_version1.0/") != std::string::npos) {
      // A Word table stream (the text is read with WordDocument; style and font names, document
      // variables, authors stay in the table), object and item bookkeeping (class ids, flags,
      // property ids). Known by name only — a name anyone can give a stream —, so their strings
      // are read: a number put there is found, and binary ids give none.
      stream_strings(SANSO_TRY(read(e)), out);
    } else if (name == "workbook" || name == "book") {
      bool cut_short = false;
      workbook_text(SANSO_TRY(read(e)), out, encrypted, cut_short);
      if (cut_short) content.unread.emplace_back(e.path, "malformed: a text box or comment (TXO) whose text is cut short is not read");
    } else if (name == "powerpoint document") {
      const std::string doc = SANSO_TRY(read(e));
      bool vba = false, ole = false;
      inspect_powerpoint(doc, vba, ole, encrypted);
      powerpoint_text(doc, out);
      macros = macros || vba;
      if (ole) content.unread.emplace_back(e.path, "unsupported: objects embedded in the presentation are not read");
    } else if (name == "\x01ole10native") {
      auto file = packager_file(SANSO_TRY(read(e)), true);
      if (file) content.embedded.push_back(std::move(file).value());
      else content.unread.emplace_back(e.path, reason_of(file.error()) + ": " + file.error().message);
    } else if (name == "package" || name == "contents" || name == "embeddedodf" || (storage.find("msodatastore/") != std::string::npos)) {
      content.embedded.push_back({e.path, SANSO_TRY(read(e))});  // an embedded file as it is (a docx, a PDF, custom XML)
    } else if (name == "data" || name == "pictures" || name.rfind("\x02olepres", 0) == 0 || name == "\x03meta" || name == "\x03" "eprint") {
      if (gsf_input_size(e.input) > 0) ++pictures;  // Word's and PowerPoint's pictures, an object's presentation
    } else if (name.rfind("__substg1.0_", 0) == 0 && name.size() >= 20) {
      // An Outlook item ([MS-OXMSG]): __substg1.0_TTTTYYYY, property tag TTTT of type YYYY.
      const std::string tag = name.substr(12, 4), kind = name.substr(16, 4);
      if (kind == "001f") {
        const std::string data = SANSO_TRY(read(e));
        for (std::size_t i = 0; i + 1 < data.size(); i += 2) out.put(u16(data, i));
        out.line();
      } else if (kind == "001e") {
        out.text() += mime::decode_text(SANSO_TRY(read(e)), "").utf8 + "\n";
      } else if (kind == "0102" && tag == "3701") {  // an attachment's data, named by its file name
        std::string file = "attachment";
        for (const auto& n : entries) {
          const std::string np = ascii_lower(n.path);
          if (np == storage + "__substg1.0_3707001f" || (file == "attachment" && np == storage + "__substg1.0_3704001f")) {
            const std::string utf16 = SANSO_TRY(read(n));
            Utf16Text label;
            for (std::size_t i = 0; i + 1 < utf16.size(); i += 2) label.put(u16(utf16, i));
            file = file_label(label.text(), "attachment");
          }
        }
        content.embedded.push_back({storage + file, SANSO_TRY(read(e))});
      } else if (kind == "0102" && tag == "1013") {
        content.embedded.push_back({storage + "body.html", SANSO_TRY(read(e))});
      } else if (kind == "0102" && tag == "1009") {
        auto body = rtf_body(SANSO_TRY(read(e)), ctx.policy.max_input_bytes);
        if (!body) content.unread.emplace_back(e.path, reason_of(body.error()) + ": " + body.error().message);
        else {
          SANSO_TRY(ctx.charge(body->size(), e.path));
          content.embedded.push_back({storage + "body.rtf", std::move(body).value()});
        }
      } else if ((kind == "101f" || kind == "101e") && name.size() > 20) {
        // A value of a multi-valued string property (keywords, companies, a contact's children):
        // __substg1.0_TTTT101F-0000000N, one stream per value.
        const std::string data = SANSO_TRY(read(e));
        if (kind == "101f") {
          for (std::size_t i = 0; i + 1 < data.size(); i += 2) out.put(u16(data, i));
        } else {
          out.text() += mime::decode_text(data, "").utf8;
        }
        out.line();
      } else if (kind == "0102" || kind == "1102") {
        // Another binary property, or a value of a multi-valued one: a file when its bytes are
        // one a reader knows (read as that file), otherwise entry ids, search and change keys,
        // conversation indexes — read for their strings, which holds any text put there (an entry
        // id's address, a number) and gives nothing of a binary id. None is passed over unread.
        std::string data = SANSO_TRY(read(e));
        const Family family = detect(data, "", ctx).family;
        if (family != Family::kUnknown && family != Family::kText && family != Family::kNone) {
          content.embedded.push_back({storage + "property " + tag + (name.size() > 20 ? name.substr(20) : ""), std::move(data)});
        } else {
          stream_strings(data, out);
        }
      } else {
        // Fixed-size values of a multi-valued property and the lengths of variable ones (…101F
        // without a value index): numbers in a row. Their strings are read all the same.
        stream_strings(SANSO_TRY(read(e)), out);
      }
    } else {
      content.unread.emplace_back(e.path, "unsupported: a stream of no known meaning in the compound file is not read");
    }
  }
  if (encrypted) return blocked("encrypted", where, "the " + std::string(type) + " document is password-protected");
  if (macros) content.unread.emplace_back("macros", "unsupported: the document's macros (VBA) are not read");
  if (pictures > 0) content.unread.emplace_back("pictures", "image: " + std::to_string(pictures) + " picture(s) in the document are not read");
  content.text = std::move(out.text());
  return content;
}

Result<std::string> ole2_text(std::string_view bytes, std::string_view type, const Context& ctx) {
  auto content = ole2_content(bytes, type, ctx);
  if (!content) return std::move(content).error();
  return std::move(content->text);
}

}  // namespace sanso::cdr::internal

namespace sanso::cdr {

Result<std::string> decompress_rtf(std::string_view compressed, std::size_t max) { return internal::rtf_body(compressed, max); }

}  // namespace sanso::cdr
