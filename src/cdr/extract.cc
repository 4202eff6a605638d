// Text out of a file for content checks; no rebuild, no findings. An XML part is read as the office
// lays it out (a paragraph, a cell… a line; runs joined, so a number split across runs is whole) and
// again element by element (xml_text).
// Archives are read member by member, recursively, each member's text its own; what cannot be read
// says why, and a caller checking content treats it as a file that could not be checked.
#include <pugixml.hpp>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <utility>
#include <vector>

#include "cdr/cdr.h"
#include "cdr/internal/data_uris.h"
#include "cdr/internal/format.h"
#include "cdr/internal/metafile.h"
#include "cdr/internal/zip_package.h"
#include "core/digest.h"
#include "core/result.h"
#include "core/text.h"
#include "mime/charset.h"
#include "mime/der_text.h"
#include "mime/html_text.h"

namespace sanso::cdr {
namespace {

// The largest picture handed on for OCR (a scanned A4 page at 300 dpi is a few MiB); larger ones
// stay unreadable, named so.
constexpr std::size_t kMostPictureBytes = std::size_t{32} << 20;

std::uint32_t big_endian32(std::string_view b, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) << 24 | static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 8 | static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3]));
}

// True when `data` is one zlib stream that ends exactly where `data` ends and inflates to exactly
// `expected` bytes: nothing rides in a PNG's image data beside the pixels OCR sees.
bool inflates_exactly(std::string_view data, std::uint64_t expected) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return false;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::uint64_t produced = 0;
  unsigned char out[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = out;
    z.avail_out = sizeof out;
    rc = inflate(&z, Z_NO_FLUSH);
    produced += sizeof out - z.avail_out;
    if (produced > expected) break;
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;
  }
  const bool whole = rc == Z_STREAM_END && z.avail_in == 0 && produced == expected;
  inflateEnd(&z);
  return whole;
}

// A picture whose file holds nothing but the picture, so that what OCR reads of its pixels is all
// of it: a PNG whose chunks run from IHDR to IEND with nothing after, one non-interlaced image whose
// data inflates to exactly its rows, and only chunks that describe the pixels or carry readable
// text; or a JPEG whose segments run from SOI to EOI with nothing after. The text a tool can show
// of it (PNG tEXt/iTXt/eXIf, JPEG COM and APPn: EXIF, XMP, ICC names) goes to `text`, read like
// any other. False for anything else — another format, an animation, compressed text, an unknown
// chunk, bytes after the end: such a picture stays unchecked (held), since OCR would pass the rest
// of its bytes unread.
bool plain_picture(std::string_view b, std::string_view type, std::string& text) {
  if (type == "png") {
    if (b.size() < 8 + 25 || b.substr(0, 8) != std::string_view("\x89PNG\r\n\x1A\n", 8)) return false;
    std::size_t at = 8;
    std::string idat;
    std::uint64_t expected = 0;
    bool ended = false;
    for (bool first = true; at + 12 <= b.size(); first = false) {
      const std::uint32_t length = big_endian32(b, at);
      if (length > b.size() - at - 12) return false;
      const std::string_view kind = b.substr(at + 4, 4), data = b.substr(at + 8, length);
      at += 12 + length;
      if (first != (kind == "IHDR")) return false;
      if (kind == "IHDR") {
        if (length != 13 || data[12] != 0) return false;  // interlaced: not read here
        const std::uint64_t width = big_endian32(data, 0), height = big_endian32(data, 4);
        const unsigned depth = static_cast<unsigned char>(data[8]), colour = static_cast<unsigned char>(data[9]);
        const unsigned channels = colour == 0 ? 1 : colour == 2 ? 3 : colour == 3 ? 1 : colour == 4 ? 2 : colour == 6 ? 4 : 0;
        if (channels == 0 || depth == 0 || depth > 16 || width == 0 || height == 0 || width > 100000 || height > 100000) return false;
        expected = height * (1 + (width * channels * depth + 7) / 8);
      } else if (kind == "IDAT") {
        idat.append(data);
      } else if (kind == "IEND") {
        ended = true;
        break;
      } else if (kind == "tEXt" || kind == "eXIf") {
        text += mime::decode_text(data, "").utf8 + "\n";
      } else if (kind == "iTXt") {
        // keyword \0 compressed? method language \0 translated \0 text: compressed text is not read here.
        const std::size_t nul = data.find('\0');
        if (nul == std::string_view::npos || nul + 2 >= data.size() || data[nul + 1] != 0) return false;
        text += mime::decode_text(data, "").utf8 + "\n";
      } else if (kind != "PLTE" && kind != "tRNS" && kind != "gAMA" && kind != "cHRM" && kind != "sRGB" && kind != "bKGD" && kind != "pHYs" &&
                 kind != "sBIT" && kind != "tIME") {
        return false;  // iCCP, zTXt (compressed), acTL (an animation), sPLT, private chunks…
      }
    }
    return ended && at == b.size() && !idat.empty() && inflates_exactly(idat, expected);
  }
  if (type == "jpeg") {
    if (b.size() < 4 || static_cast<unsigned char>(b[0]) != 0xFF || static_cast<unsigned char>(b[1]) != 0xD8) return false;
    std::size_t at = 2;
    bool in_scan = false, any_scan = false;  // inside a scan's entropy-coded data; some scan seen
    while (at + 2 <= b.size()) {
      if (static_cast<unsigned char>(b[at]) != 0xFF) {
        // Entropy-coded data follows a scan until the next marker (0xFF not followed by 0 or RSTn).
        if (!in_scan) return false;
        ++at;
        continue;
      }
      const unsigned marker = static_cast<unsigned char>(b[at + 1]);
      if (marker == 0xFF) {  // fill byte
        ++at;
        continue;
      }
      if (in_scan && (marker == 0x00 || (marker >= 0xD0 && marker <= 0xD7))) {
        at += 2;
        continue;
      }
      if (marker == 0xD9) return any_scan && at + 2 == b.size();  // EOI, and nothing after it
      if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) return false;  // no standalone markers elsewhere
      if (at + 4 > b.size()) return false;
      const std::size_t length = static_cast<std::size_t>(static_cast<unsigned char>(b[at + 2])) << 8 | static_cast<unsigned char>(b[at + 3]);
      if (length < 2 || at + 2 + length > b.size()) return false;
      const std::string_view payload = b.substr(at + 4, length - 2);
      if ((marker >= 0xE0 && marker <= 0xEF) || marker == 0xFE) text += mime::decode_text(payload, "").utf8 + "\n";
      in_scan = marker == 0xDA;
      any_scan = any_scan || in_scan;
      at += 2 + length;
    }
    return false;  // no EOI
  }
  return false;
}

// "{00000000-0001-0000-0000-000000000000}": an identifier the office generates for a part or a
// cell range (Excel writes one per sheet), shown to no one — and its zeros would pass for a 個人番号.
bool is_guid(std::string_view v) {
  if (v.starts_with('{') && v.ends_with('}')) v = v.substr(1, v.size() - 2);
  if (v.size() != 36) return false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? v[i] != '-' : !std::isxdigit(static_cast<unsigned char>(v[i]))) return false;
  }
  return true;
}

// The comments of a zip — the archive's and each member's — one a line: 7-Zip and WinRAR show
// them beside the members, so they are the archive's text (review30 L3). Raw bytes decoded as
// any text is (a Japanese archiver writes CP932).
std::string zip_comments(const internal::ZipReader& zip) {
  std::string out;
  if (!zip.comment().empty()) out += mime::decode_text(zip.comment(), "").utf8 + "\n";
  for (const auto& e : zip.entries()) {
    if (!e.comment.empty()) out += mime::decode_text(e.comment, "").utf8 + "\n";
  }
  return out;
}

}  // namespace

namespace {

std::string_view local_name(std::string_view name) {
  const std::size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// A run of characters a reader shows going on in the same word as the text before it: Word's and
// DrawingML's w:r / a:r (a:fld too), a shared string's rich-text r, ODF's text:span. A number split
// across runs ("1234" "5678" "9018", a change of font) is one number on the page.
bool inline_run(std::string_view local) { return local == "r" || local == "span" || local == "fld"; }

// Elements that end a unit of text as the office lays it out: paragraphs and headings, table rows
// and cells (Word's, DrawingML's, ODF's), a sheet's rows, cells, values and formulas, shared and
// inline strings, a chart's cached points, a sheet's headers and footers. What follows one is
// another line to a reader: an .xlsx roster's name, 個人番号 and telephone number are three cells,
// not one run of 22 digits (review30 C1).
bool ends_a_unit(std::string_view local) {
  static constexpr std::string_view kUnits[] = {"p",  "h",          "row",       "c",     "v",         "f",         "si",        "is",
                                                "tr", "tc",         "table-row", "table-cell", "covered-table-cell", "pt", "oddHeader", "evenHeader",
                                                "firstHeader", "oddFooter", "evenFooter", "firstFooter", "comment", "text"};
  return std::find(std::begin(kUnits), std::end(kUnits), local) != std::end(kUnits);
}

bool sheet_header_or_footer(std::string_view local) {
  return local == "oddHeader" || local == "evenHeader" || local == "firstHeader" || local == "oddFooter" || local == "evenFooter" || local == "firstFooter";
}

// A shared-string cell's value (<c t="s"><v>3</v></c>) is an index into the shared strings, shown
// to no one: its digits beside a cell's number made one longer run. An index longer than any
// sheet's count of strings is no index Excel reads; it is read as text, as anything unexplained is.
bool shared_string_index(const pugi::xml_node& text) {
  const pugi::xml_node v = text.parent(), c = v.parent();
  if (!v || !c || local_name(v.name()) != "v" || local_name(c.name()) != "c" || std::string_view(c.attribute("t").value()) != "s") return false;
  const std::string_view value = text.value();
  return !value.empty() && value.size() <= 9 && value.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

// Excel's header and footer text as the page shows it ([ECMA-376] Part 1 §18.3.1.39): its codes
// taken out — &L &C &R start a section (a line here), &P &N &D &T &F &A &Z &G put a field in (a
// line break here, the value is not the sender's), &B &I &U &E &S &X &Y &H &O switch a style,
// &"font,style" and &Kcolour name a font and a colour, &nn a font size, && is '&'. How many digits
// a size takes is Excel's to say ("&8123456789018"): each reading of one, two and three is a line.
void internal::sheet_header_text(std::string_view code, std::string& out) {
  for (std::size_t size_digits = 1; size_digits <= 3; ++size_digits) {
    std::string shown;
    for (std::size_t i = 0; i < code.size();) {
      if (code[i] != '&' || i + 1 == code.size()) {
        shown += code[i++];
        continue;
      }
      const char k = code[i + 1];
      i += 2;
      if (k == '&') {
        shown += '&';
      } else if (k == '"') {
        const std::size_t close = code.find('"', i);
        i = close == std::string_view::npos ? code.size() : close + 1;
      } else if (k >= '0' && k <= '9') {
        for (std::size_t taken = 1; taken < size_digits && i < code.size() && code[i] >= '0' && code[i] <= '9'; ++taken) ++i;
      } else if (k == 'K') {
        for (std::size_t taken = 0; taken < 6 && i < code.size() && std::isxdigit(static_cast<unsigned char>(code[i])); ++taken) ++i;
      } else if (std::string_view("BIUESXYHObiuesxyho").find(k) != std::string_view::npos) {
        // a style switched on or off: the text goes on
      } else if (std::string_view("LCRPNDTFAZGlcrpndtfazg").find(k) != std::string_view::npos) {
        shown += '\n';
      } else {
        shown += '&';  // no code: shown as written
        shown += k;
      }
    }
    out += shown;
    out += '\n';
  }
}

// The text of an XML document, read three ways, each its own lines: as the office lays it out (a
// paragraph, a row, a cell… ends a line; everything within one is joined, so that a number split by
// runs, bookmarks, tracked changes or links is whole); with every element but a run of characters
// on its own line (what an unknown vocabulary keeps in elements of its own); and a sheet's headers
// and footers without Excel's codes (sheet_header_text). Then every attribute value but namespace
// declarations on lines of their own (a spreadsheet cell's office:value, a picture's description, a
// document variable, a field instruction hold text a reader can see). A shared-string cell's index
// is no text. False when it is not well-formed XML. Declared in internal/format.h: a PDF's XFA form
// is read by it too.
bool internal::xml_text(std::string_view xml, std::string& out) {
  pugi::xml_document doc;
  // Comments and processing instructions too: pugixml's default parse drops them, and a number
  // written in <!-- --> is still in the file.
  if (!doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_comments | pugi::parse_pi)) return false;
  std::string laid_out, each, headers, header, attributes;
  std::size_t depth = 1, run_depth = 0, header_depth = 0;  // 0: not inside a run, a header
  const auto enter = [&](const pugi::xml_node& n) {
    const auto type = n.type();
    if (type == pugi::node_pcdata || type == pugi::node_cdata || type == pugi::node_comment || type == pugi::node_pi) {
      if (type == pugi::node_pcdata && shared_string_index(n)) return;
      laid_out += n.value();
      each += n.value();
      if (header_depth != 0) header += n.value();
      return;
    }
    if (type != pugi::node_element) return;
    const std::string_view local = local_name(n.name());
    if (run_depth == 0 && inline_run(local)) run_depth = depth;
    if (run_depth == 0) each += '\n';
    if (ends_a_unit(local)) laid_out += '\n';
    if (header_depth == 0 && sheet_header_or_footer(local)) {
      header_depth = depth;
      header.clear();
    }
    for (pugi::xml_attribute a : n.attributes()) {
      const std::string_view name = a.name();
      if (name == "xmlns" || name.starts_with("xmlns:") || *a.value() == '\0' || is_guid(a.value())) continue;
      attributes += a.value();
      attributes += '\n';
    }
  };
  const auto leave = [&](const pugi::xml_node& n) {
    if (n.type() != pugi::node_element) return;
    if (run_depth == depth) run_depth = 0;
    else if (run_depth == 0) each += '\n';
    if (ends_a_unit(local_name(n.name()))) laid_out += '\n';
    if (header_depth == depth) {
      header_depth = 0;
      sheet_header_text(header, headers);
    }
  };
  // Walked without recursion: a document nested a million deep is a well-formed one.
  for (pugi::xml_node n = doc.first_child(); n;) {
    enter(n);
    if (n.first_child()) {
      n = n.first_child();
      ++depth;
      continue;
    }
    for (;;) {
      leave(n);
      if (n.next_sibling()) {
        n = n.next_sibling();
        break;
      }
      n = n.parent();
      if (!n || n == doc) {
        n = pugi::xml_node();
        break;
      }
      --depth;
    }
  }
  out += laid_out;
  out += '\n';
  out += each;
  out += '\n';
  out += headers;
  out += attributes;
  return true;
}

namespace {

// Whether a member's bytes are meant as XML: after a byte-order mark and white space, '<'.
bool looks_like_xml(std::string_view bytes) {
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) return true;
  const auto first = bytes.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && bytes[first] == '<';
}

std::uint32_t be32(std::string_view b, std::size_t at) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) << 24) | (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 8) | static_cast<unsigned char>(b[at + 3]);
}
unsigned be16(std::string_view b, std::size_t at) { return (static_cast<unsigned char>(b[at]) << 8) | static_cast<unsigned char>(b[at + 1]); }

// The byte ranges of one sfnt font's table directory and tables at `at`, or false when it has none
// that fit in the file.
bool sfnt_ranges(std::string_view b, std::size_t at, std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges) {
  if (at > b.size() || b.size() - at < 12) return false;
  const std::uint32_t version = be32(b, at);
  if (version != 0x00010000 && version != 0x74727565 /* true */ && version != 0x4F54544F /* OTTO */) return false;
  const unsigned tables = be16(b, at + 4);
  if (tables == 0 || tables > 256 || b.size() - at < 12 + std::size_t{16} * tables) return false;
  ranges.emplace_back(at, at + 12 + std::uint64_t{16} * tables);
  for (unsigned i = 0; i < tables; ++i) {
    const std::size_t record = at + 12 + std::size_t{16} * i;
    const std::uint64_t offset = be32(b, record + 8), length = be32(b, record + 12);
    if (offset + length > b.size()) return false;
    ranges.emplace_back(offset, offset + length);
  }
  return true;
}

// Whether `ranges` (sorted here) cover `b` from `from` to its end but for padding: gaps of at most
// 3 bytes, all zeros, as the format pads its tables to four-byte boundaries. Padding of anything
// else is bytes no reader shows, where a number could ride.
bool covered_but_padding(std::string_view b, std::uint64_t from, std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges) {
  const auto padding = [&](std::uint64_t a, std::uint64_t z) { return z - a <= 3 && b.substr(a, z - a).find_first_not_of('\0') == std::string_view::npos; };
  std::sort(ranges.begin(), ranges.end());
  std::uint64_t covered = from;
  for (const auto& [start, stop] : ranges) {
    if (start > covered && !padding(covered, start)) return false;
    covered = std::max(covered, stop);
  }
  return covered >= b.size() || padding(covered, b.size());
}

// Whether `b` is a TrueType/OpenType font or collection and nothing else: every byte after the
// header lies in a table its directory lists (zero padding between them). Bytes in no table —
// where a number could be put — make it no font.
bool is_sfnt(std::string_view b) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  if (b.size() >= 12 && b.substr(0, 4) == "ttcf") {
    const std::uint32_t fonts = be32(b, 8);
    if (fonts == 0 || fonts > 256 || b.size() < 12 + std::size_t{4} * fonts) return false;
    ranges.emplace_back(0, 12 + std::uint64_t{4} * fonts + (be16(b, 4) >= 2 ? 12 : 0));  // version 2 adds a DSIG reference
    for (std::uint32_t i = 0; i < fonts; ++i) {
      if (!sfnt_ranges(b, be32(b, 12 + std::size_t{4} * i), ranges)) return false;
    }
  } else if (!sfnt_ranges(b, 0, ranges)) {
    return false;
  }
  return covered_but_padding(b, 0, ranges);
}

// The tables a font may hold that carry no text of their own (outlines, metrics, hinting, layout,
// colour, variations), whose text is read here (name, post, CFF) or that sfnt_text() names as
// pictures (sbix, CBDT). Any other — a private table, SVG
// (documents), meta (free text), Graphite's or AAT's with strings — is where a number could ride.
bool known_font_table(std::string_view tag) {
  static constexpr std::string_view kKnown[] = {
      "cmap", "head", "hhea", "hmtx", "maxp", "name", "OS/2", "post", "cvt ", "fpgm", "glyf", "loca", "prep", "gasp", "CFF ", "CFF2", "VORG",
      "EBDT", "EBLC", "EBSC", "CBDT", "CBLC", "sbix", "BASE", "GDEF", "GPOS", "GSUB", "JSTF", "MATH", "avar", "cvar", "fvar", "gvar", "HVAR",
      "MVAR", "STAT", "VVAR", "COLR", "CPAL", "DSIG", "hdmx", "kern", "LTSH", "PCLT", "VDMX", "vhea", "vmtx",
      "FFTM"};  // FontForge's time stamps (three dates): DejaVu, Noto and most free fonts carry it
  return std::find(std::begin(kKnown), std::end(kKnown), tag) != std::end(kKnown);
}

// The strings of a name table, format 0 or 1 (whose language tags are strings too): UTF-16BE for the
// Unicode and Windows platforms and for the tags, else as a legacy charset, each on a line of its
// own. False for another format, a string outside the table, or storage bytes no record points at:
// bytes a font's reader never shows are where a number could ride.
bool name_strings(std::string_view table, std::string& text) {
  if (table.size() < 6) return false;
  const unsigned format = be16(table, 0);
  const std::size_t count = be16(table, 2), storage = be16(table, 4);
  std::size_t end = 6 + 12 * count;
  if (format > 1 || end > table.size()) return false;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> used;
  const auto take = [&](std::size_t length, std::size_t offset, bool utf16) {
    const std::size_t from = storage + offset;
    if (from > table.size() || length > table.size() - from) return false;
    const std::string_view s = table.substr(from, length);
    text += (utf16 ? mime::decode_text(s, "utf-16be").utf8 : mime::decode_text(s, "").utf8) + "\n";
    used.emplace_back(from, from + length);
    return true;
  };
  for (std::size_t r = 0; r < count; ++r) {
    const std::size_t rec = 6 + 12 * r;
    const unsigned platform = be16(table, rec);
    if (!take(be16(table, rec + 8), be16(table, rec + 10), platform == 0 || platform == 3)) return false;
  }
  if (format == 1) {
    if (end + 2 > table.size()) return false;
    const std::size_t tags = be16(table, end);
    end += 2;
    if (4 * tags > table.size() - end) return false;
    for (std::size_t t = 0; t < tags; ++t) {
      if (!take(be16(table, end + 4 * t), be16(table, end + 4 * t + 2), true)) return false;
    }
    end += 4 * tags;
  }
  if (storage < end || storage > table.size()) return false;
  return covered_but_padding(table, storage, used);
}

// One CFF INDEX at `at` ([Adobe TN 5176] §5): its entries appended to `entries` (when given), `at`
// moved past it; false when it does not fit in `t`.
bool cff_index(std::string_view t, std::size_t& at, std::vector<std::string_view>* entries) {
  if (at > t.size() || t.size() - at < 2) return false;
  const std::size_t count = be16(t, at);
  if (count == 0) {
    at += 2;
    return true;
  }
  if (t.size() - at < 3) return false;
  const std::size_t size = static_cast<unsigned char>(t[at + 2]), offsets = at + 3;
  if (size < 1 || size > 4 || (count + 1) * size > t.size() - offsets) return false;
  const std::size_t data = offsets + (count + 1) * size - 1;  // offsets count from 1, the byte before the data
  const auto offset = [&](std::size_t i) {
    std::size_t v = 0;
    for (std::size_t k = 0; k < size; ++k) v = (v << 8) | static_cast<unsigned char>(t[offsets + i * size + k]);
    return v;
  };
  std::size_t previous = offset(0);
  if (previous != 1) return false;
  for (std::size_t i = 1; i <= count; ++i) {
    const std::size_t next = offset(i);
    if (next < previous || next > t.size() - data) return false;
    if (entries != nullptr) entries->push_back(t.substr(data + previous, next - previous));
    previous = next;
  }
  at = data + previous;
  return true;
}

// The strings of a CFF table: the Name INDEX (its fonts' names) and the String INDEX, which holds
// every string the Top and font DICTs name by id (FullName, FamilyName, Notice, Copyright, a CID
// font's registry) beyond the standard ones. False when the INDEXes before them do not parse.
bool cff_strings(std::string_view t, std::string& text) {
  if (t.size() < 4 || t[0] != 1) return false;
  std::size_t at = static_cast<unsigned char>(t[2]);
  std::vector<std::string_view> strings;
  if (!cff_index(t, at, &strings) || !cff_index(t, at, nullptr) || !cff_index(t, at, &strings)) return false;
  for (std::string_view s : strings) text += mime::decode_text(s, "").utf8 + "\n";
  return true;
}

// The strings of a DSIG table (a font's digital signatures, [OpenType] DSIG): each signature block
// is PKCS #7 DER, read as a certificate is (names, serial numbers as viewers show them). False when
// a block does not fit, its length disagrees, its DER does not parse, or bytes lie outside the
// blocks.
bool dsig_strings(std::string_view t, std::string& text) {
  if (t.size() < 8 || be32(t, 0) != 1) return false;
  const std::uint64_t count = be16(t, 4);
  if (8 + 12 * count > t.size()) return false;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges{{0, 8 + 12 * count}};
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t length = be32(t, 8 + 12 * i + 4), offset = be32(t, 8 + 12 * i + 8);
    if (offset > t.size() || length > t.size() - offset || length < 8 || be32(t, offset + 4) != length - 8) return false;
    if (!mime::der_strings(t.substr(offset + 8, length - 8), text)) return false;
    ranges.emplace_back(offset, offset + length);
  }
  return covered_but_padding(t, 0, ranges);
}

// Whether every strike an EBLC table lists is of one bit a pixel: glyph shapes, as outlines are.
// Grey-scale strikes (2, 4, 8 bits) are pictures of whatever their maker drew.
bool monochrome_strikes(std::string_view t) {
  if (t.size() < 8) return false;
  const std::uint64_t strikes = be32(t, 4);
  if (strikes > (t.size() - 8) / 48) return false;
  for (std::uint64_t i = 0; i < strikes; ++i) {
    if (t[8 + 48 * i + 46] != 1) return false;
  }
  return true;
}

// The text of one sfnt font at `at` (is_sfnt() has checked its directory): every string of its name
// table and of a CFF table, and the glyph names of a version-2 post table, on lines of their own.
// `why` gets why the font is not read whole, the first reason found: a table of no known kind, a
// name or CFF table that does not parse, pictures of glyphs (sbix, CBDT: whole PNG, JPEG, TIFF or
// PDF files, which could show any text). EBDT's monochrome bitmaps of at most 255 × 255 pixels are
// glyph shapes as outlines are, and passed like them.
void sfnt_text(std::string_view b, std::size_t at, std::string& text, std::string& why) {
  const auto note = [&](std::string_view tag, std::string_view because) {
    std::string shown(tag);
    for (char& c : shown) c = std::isprint(static_cast<unsigned char>(c)) ? c : '?';  // a tag is the sender's bytes
    if (why.empty()) why = std::string(because) + " ('" + shown + "')";
  };
  const unsigned tables = be16(b, at + 4);
  for (unsigned i = 0; i < tables; ++i) {
    const std::size_t record = at + 12 + std::size_t{16} * i;
    const std::string_view tag = b.substr(record, 4);
    const std::string_view table = b.substr(be32(b, record + 8), be32(b, record + 12));
    if (!known_font_table(tag)) {
      note(tag, "unsupported: the font has a table that is not read");
    } else if (tag == "sbix" || tag == "CBDT") {
      note(tag, "image: the font holds pictures of its glyphs, whose text is not read");
    } else if (tag == "name") {
      if (!name_strings(table, text)) note(tag, "unsupported: the font has a table that is not read");
    } else if (tag == "CFF ") {
      if (!cff_strings(table, text)) note(tag, "malformed: the font's CFF table cannot be read");
    } else if (tag == "DSIG") {
      if (!dsig_strings(table, text)) note(tag, "malformed: the font's signature table cannot be read");
    } else if (tag == "PCLT") {
      // Fixed fields; its typeface name, character complement and file name are text.
      if (table.size() != 54) note(tag, "malformed: the font's PCLT table is not of its fixed size");
      else text += mime::decode_text(table.substr(20, 30), "").utf8 + "\n";
    } else if (tag == "EBLC") {
      if (!monochrome_strikes(table)) note(tag, "image: the font holds grey-scale pictures of its glyphs, whose text is not read");
    } else if (tag == "post" && table.size() >= 34 && be32(table, 0) == 0x00020000) {
      const std::size_t glyphs = be16(table, 32);
      for (std::size_t p = 34 + 2 * glyphs; p < table.size();) {  // Pascal strings after the index
        const std::size_t n = static_cast<unsigned char>(table[p]);
        text += std::string(table.substr(p + 1, std::min(n, table.size() - p - 1))) + "\n";
        p += 1 + n;
      }
    }
  }
}

// The text of a font or collection `b` that is_sfnt() accepted, as sfnt_text() reads each font.
void font_text(std::string_view b, std::string& text, std::string& why) {
  if (b.substr(0, 4) != "ttcf") return sfnt_text(b, 0, text, why);
  for (std::uint32_t i = 0; i < be32(b, 8); ++i) sfnt_text(b, be32(b, 12 + std::size_t{4} * i), text, why);
}

// An embedded OpenType font Word obfuscates (.odttf, ECMA-376 Part 1 §17.8.1): its first 32 bytes
// XORed with the font key, a GUID the font table names (w:fontKey). The font as it is, or empty when
// `key` is no GUID.
std::string deobfuscated_font(std::string_view bytes, std::string_view key) {
  std::string hex;
  for (char c : key) {
    if (std::isxdigit(static_cast<unsigned char>(c))) hex += c;
  }
  if (hex.size() != 32 || bytes.size() < 32) return {};
  std::string font(bytes);
  for (std::size_t i = 0; i < 32; ++i) {
    // The key's bytes are the GUID's hex pairs read from the last.
    const unsigned k = static_cast<unsigned>(std::stoul(hex.substr(30 - 2 * (i % 16), 2), nullptr, 16));
    font[i] = static_cast<char>(static_cast<unsigned char>(font[i]) ^ k);
  }
  return font;
}

// Every w:fontKey="{…}" in an XML part: the keys of the package's obfuscated fonts.
void font_keys(std::string_view xml, std::vector<std::string>& keys) {
  for (std::size_t at = xml.find("fontKey=\""); at != std::string_view::npos; at = xml.find("fontKey=\"", at + 1)) {
    const std::size_t from = at + 9, to = xml.find('"', from);
    if (to != std::string_view::npos && to - from <= 40) keys.emplace_back(xml.substr(from, to - from));
  }
}

}  // namespace

namespace {

// What a reader reports for an error of the engine's readers: "encrypted", "limit", "malformed"…
std::string unreadable_because(const Error& e) {
  std::string reason = internal::reason_of(e);
  return reason + ": " + e.message;
}

// data: URIs read from one HTML file; past them the page is unreadable (a page of thousands is
// built to be).
constexpr std::size_t kMostDataUris = 200;

class TextReader {
 public:
  explicit TextReader(const CdrPolicy& policy) : policy_(policy) {}

  void read(std::string_view bytes, const std::string& where, const internal::Context& ctx) {
    if (out_.size() >= kMostFiles) {
      if (!over_) out_.push_back({where, "", "", "limit: more than " + std::to_string(kMostFiles) + " files and members to read"});
      over_ = true;
      return;
    }
    ExtractedText piece{where, "", "", ""};
    if (ctx.depth > policy_.max_depth) {
      piece.unreadable = "limit: nested more than " + std::to_string(policy_.max_depth) + " levels deep";
      out_.push_back(std::move(piece));
      return;
    }
    const std::string_view file = std::string_view(where).substr(where.rfind('/') == std::string::npos ? 0 : where.rfind('/') + 1);
    internal::Detected d = internal::detect(bytes, file, ctx);
    // A PDF is read by pdftotext and qpdf wherever its header is (readers look at the first
    // kilobyte; bytes of no known type or text before it make it no less a PDF to some reader).
    // Inside what is another known type (a zip storing a PDF member) the type's reader reads it.
    const std::size_t pdf_at = bytes.find("%PDF-");
    const bool pdf = d.family == internal::Family::kPdf ||
                     (pdf_at != std::string_view::npos && (d.family == internal::Family::kUnknown || d.family == internal::Family::kText));
    if (pdf) {
      piece.pdf = std::string(bytes.substr(pdf_at == std::string_view::npos ? 0 : pdf_at));
      auto content = internal::pdf_content(piece.pdf, ctx);
      if (!content) {  // its fields and annotations unread: the file cannot be checked, whatever pdftotext says
        piece.unreadable = unreadable_because(content.error());
        piece.pdf.clear();
        out_.push_back(std::move(piece));
        return;
      }
      // Under another name than .pdf, or with other bytes before it, its bytes are text as well:
      // whatever pdftotext finds in it, a spreadsheet or an editor shows what surrounds the PDF.
      if (!ascii_lower(file).ends_with(".pdf") || pdf_at != 0) content->text += "\n" + mime::decode_text(bytes, "").utf8;
      piece.pdf_digest = sha256_hex(piece.pdf);
      add_content(std::move(content).value(), std::move(piece), ctx);
      // A zip that stores a PDF near its start is a PDF to a reader (the header is in the first
      // kilobyte) and a zip to an archiver: its members are read too.
      if (bytes.starts_with("PK\x03\x04")) read_members(bytes, "zip", where, ctx);
      return;
    }
    Result<std::string> text = std::string();
    if (bytes.empty()) {
      text = std::string();
    } else if (d.family == internal::Family::kText) {
      text = mime::text_for_checks(bytes);
    } else if (d.family == internal::Family::kHtml) {
      const std::string html = mime::decode_text(bytes, "").utf8;
      mime::HtmlText shown = mime::html_to_text(html);
      text = shown.text + "\n" + mime::decode_character_references(html);
      // What the reader did not follow (nesting past its depth, text past its size) may hold what
      // a browser shows joined ("1234<b></b>56789018"): the source alone cannot stand for it.
      if (shown.truncated) piece.unreadable = "limit: the HTML nests deeper than its reader follows; part of its text is not read";
      else if (shown.size_limited) piece.unreadable = "limit: the HTML's text is larger than its reader reads; the rest is not read";
      piece.text = std::move(text).value();
      out_.push_back(std::move(piece));
      // Digits the style shows reversed, reordered or adds: the page is not read as it is shown.
      if (std::string why = mime::html_reordering(html); !why.empty()) out_.push_back({where, "", "", std::move(why)});
      read_data_uris(html, where, ctx);
      return;
    } else if ((internal::is_ooxml(d.family) && d.type != "doc" && d.type != "xls" && d.type != "ppt" && d.type != "xlsb") ||
               (internal::is_odf(d.family) && d.type != "flat-odf")) {
      read_package(bytes, std::move(piece), ctx);
      return;
    } else if (d.family == internal::Family::kRtf || d.type == "doc" || d.type == "xls" || d.type == "ppt" || d.type == "encrypted-ooxml" ||
               d.type == "msg" || d.type == "ole2") {
      // Legacy Office, Outlook items and any other compound file (一太郎, Visio…: every stream is read
      // or named), RTF: their text, and what is embedded in them read as files of their own.
      add_content(d.family == internal::Family::kRtf ? internal::rtf_content(bytes, ctx) : internal::ole2_content(bytes, d.type, ctx), std::move(piece), ctx);
      return;
    } else if (d.family == internal::Family::kArchive) {
      read_members(bytes, d.type, where, ctx);
      return;
    } else if ((d.family == internal::Family::kUnknown || d.family == internal::Family::kNone) && (internal::is_wmf(bytes) || internal::is_emf(bytes))) {
      // A Windows metafile (an Outlook attachment's icon, Office clip art, a pasted chart): the
      // text it draws, its bitmaps as pictures for OCR, and — when it paints more than text — the
      // whole of it rendered for OCR ("a.emf/drawing").
      add_content(internal::is_wmf(bytes) ? internal::wmf_content(bytes, ctx) : internal::emf_content(bytes, ctx), std::move(piece), ctx);
      return;
    } else if (d.family == internal::Family::kImage) {
      piece.unreadable = "image: the text in a picture (" + d.type + ") is not read";
      // Left for OCR outside the sandbox (cdr::picture_text), up to the size a picture is read at,
      // and only a file that holds nothing but its picture (and text read here).
      std::string shown;
      if (bytes.size() <= kMostPictureBytes && plain_picture(bytes, d.type, shown)) {
        piece.picture = std::string(bytes);
        // Its text chunks and segments (a comment, EXIF, XMP) are read now, as a piece of their
        // own under the picture's name: the picture itself stays unreadable until OCR reads it.
        if (!shown.empty()) {
          ExtractedText meta;
          meta.where = where;
          meta.text = std::move(shown);
          out_.push_back(std::move(meta));
        }
      }
    } else {
      piece.unreadable = "unsupported: the text of " + d.type + " content is not read";
    }
    if (!text) piece.unreadable = unreadable_because(text.error());
    else piece.text = std::move(text).value();
    out_.push_back(std::move(piece));
  }

  std::vector<ExtractedText> take() { return std::move(out_); }

 private:
  // Each `data:` URI in an HTML file (a picture in an <img>, a document behind a link, a CSS
  // background) is a file inside it, read as what it is under "page.html/data-uri-N": a picture goes
  // to OCR, text is text. Found as a browser finds them (internal/data_uris.h): attribute values
  // decoded, "da&#10;ta:" a URI, base64 across lines. One that cannot be decoded, or past the count
  // read, is unreadable.
  void read_data_uris(std::string_view html, const std::string& where, const internal::Context& ctx) {
    for (auto& f : data_uri_files(html)) {
      if (!f.unreadable.empty()) out_.push_back({where + "/" + f.name, "", "", std::move(f.unreadable)});
      else read(f.bytes, where + "/" + f.name, ctx.nested(f.name));
    }
  }

  // Each member of an archive as a file of its own, under its path; an archive that cannot be
  // unpacked (encrypted, a limit, damaged) is one piece that says why.
  void read_members(std::string_view bytes, std::string_view type, const std::string& where, const internal::Context& ctx) {
    auto members = internal::read_archive(bytes, type, ctx);
    if (!members) {
      out_.push_back({where, "", "", unreadable_because(members.error())});
      return;
    }
    // A zip's comments are the archive's own text (libarchive shows no other format's comments).
    if (type == "zip") {
      if (auto zip = internal::ZipReader::open(bytes, ctx); zip && !zip_comments(**zip).empty()) {
        ExtractedText comments;
        comments.where = where;
        comments.text = zip_comments(**zip);
        out_.push_back(std::move(comments));
      }
    }
    for (const auto& m : *members) read(m.data, where + "/" + m.name, ctx.nested(m.name));
  }

  // A document's piece with its text, then what it holds: parts it cannot read, each named with why,
  // and embedded files read as files of their own ("a.doc/ObjectPool/_1/Package", "a.pdf/b.xlsx").
  // A reader's error makes the piece unreadable, with why.
  void add_content(Result<internal::ReadContent> content, ExtractedText piece, const internal::Context& ctx) {
    if (!content) {
      piece.unreadable = unreadable_because(content.error());
      out_.push_back(std::move(piece));
    } else {
      add_content(std::move(content).value(), std::move(piece), ctx);
    }
  }

  void add_content(internal::ReadContent content, ExtractedText piece, const internal::Context& ctx) {
    piece.text = std::move(content.text);
    const std::string where = piece.where, pdf_digest = piece.pdf_digest;
    out_.push_back(std::move(piece));
    for (auto& [name, why] : content.unread) out_.push_back({where + "/" + name, "", "", std::move(why)});
    if (!content.pages_unread.empty() || !content.glyph_sheets.empty()) {  // a PDF's pages of pictures, for OCR of the rendered page
      out_.push_back({where + "/pages", "", "", std::move(content.pages_unread)});
      out_.back().pages = std::move(content.picture_pages);
      out_.back().glyph_sheets = std::move(content.glyph_sheets);
      out_.back().pdf_digest = pdf_digest;
    }
    if (!content.drawing_unread.empty()) {  // a metafile that paints shapes, for OCR of it rendered
      out_.push_back({where + "/drawing", "", "", content.drawing_unread});
      out_.back().picture = std::move(content.drawing);
      out_.back().drawing = !out_.back().picture.empty();
      // Its parts and a dual EMF's EMF records alone ("a.emf/drawing/part-1", "a.emf/drawing-gdi"),
      // each read as its own picture.
      for (auto& [name, copy] : content.more_drawings) {
        out_.push_back({where + "/" + name, "", "", content.drawing_unread});
        out_.back().picture = std::move(copy);
        out_.back().drawing = true;
      }
    }
    for (const auto& m : content.embedded) read(m.data, where + "/" + m.name, ctx.nested(m.name));
  }

  // An OOXML or ODF package: every part that is XML (body, headers, footers, properties, custom
  // XML, charts, comments, settings, relationships — whatever its name) gives its text to the
  // package's piece; every other part is read as the file it is under the package's path
  // ("a.docx/word/embeddings/b.xlsx", "a.odt/Pictures/c.png": an image cannot be read), so nothing
  // stored in the zip goes unread whatever the package reader of the office would do with it.
  // Only fonts are passed over — glyph outlines, not text —, and only those whose bytes prove them
  // a font (is_sfnt(), after Word's obfuscation is undone with a key of the package), whatever
  // their name: "fonts/font1.odttf" holding a list is read, and named, as what it is.
  void read_package(std::string_view bytes, ExtractedText piece, const internal::Context& ctx) {
    auto zip = internal::ZipReader::open(bytes, ctx);
    if (!zip) {
      piece.unreadable = unreadable_because(zip.error());
      out_.push_back(std::move(piece));
      return;
    }
    const std::string where = piece.where;
    const std::size_t at = out_.size();
    out_.push_back(std::move(piece));
    std::string text = zip_comments(**zip);
    std::vector<std::string> keys;
    std::vector<std::pair<std::string, std::string>> others;  // parts read as files once every key is known
    std::vector<std::pair<std::string, std::string>> sheets;  // worksheets, read as shown once the styles are known
    std::vector<std::size_t> styles;
    bool recalculated_on_open = false;
    std::vector<std::pair<std::string, std::string>> tables;  // an ODS's content, read as shown once its styles are known
    internal::OdsStyles ods_styles;
    for (const auto& e : (*zip)->entries()) {
      if (e.directory) continue;
      auto data = (*zip)->read(e, ctx);
      if (!data) {
        out_[at].unreadable = unreadable_because(data.error());
        return;
      }
      if (looks_like_xml(*data) && internal::xml_text(*data, text)) {
        font_keys(*data, keys);
        // A workbook's sheets are read again as Excel shows their cells, with its styles.
        if (data->find("sheetData") != std::string::npos) sheets.emplace_back(e.name, *data);
        else if (data->find("cellXfs") != std::string::npos && styles.empty()) styles = internal::sheet_style_widths(*data);
        if (data->find("calcPr") != std::string::npos) recalculated_on_open = recalculated_on_open || internal::workbook_recalculates_on_open(*data);
        // An ODS's tables, and the styles (in content.xml and styles.xml) that show their numbers.
        if (data->find("table-cell") != std::string::npos) tables.emplace_back(e.name, *data);
        if (data->find("-style") != std::string::npos) internal::ods_styles(*data, ods_styles);
        continue;
      }
      if (is_sfnt(*data)) {
        font_part(*data, where + "/" + e.name, text);
        continue;
      }
      // Not XML, or XML that is not well-formed: read as whatever it is (text, HTML, an image, a
      // nested document), never skipped.
      others.emplace_back(e.name, std::move(data).value());
    }
    for (const auto& [name, sheet] : sheets) {
      internal::SheetValues shown = internal::sheet_values(sheet, styles, recalculated_on_open);
      text += shown.text;
      for (auto& why : shown.unchecked) out_.push_back({where + "/" + name, "", "", std::move(why)});
    }
    for (const auto& [name, content] : tables) {
      internal::SheetValues shown = internal::ods_values(content, ods_styles);
      text += shown.text;
      for (auto& why : shown.unchecked) out_.push_back({where + "/" + name, "", "", std::move(why)});
    }
    out_[at].text = std::move(text);
    for (auto& [name, data] : others) {
      const std::string& bytes_of_part = data;  // clang 14 cannot capture a structured binding
      const auto key = std::find_if(keys.begin(), keys.end(), [&](const std::string& k) { return is_sfnt(deobfuscated_font(bytes_of_part, k)); });
      if (key != keys.end()) {
        font_part(deobfuscated_font(bytes_of_part, *key), where + "/" + name, out_[at].text);
        continue;
      }
      read(data, where + "/" + name, ctx.nested(name));
    }
  }

  // A font in a package: its names (a family name, a copyright line, a description anyone can
  // write) are the package's text; a font with a table not known or not read here is a piece of its
  // own, unreadable — a private table is bytes no reader shows and this one does not read.
  void font_part(std::string_view font, const std::string& where, std::string& text) {
    std::string why;
    font_text(font, text, why);
    if (!why.empty()) out_.push_back({where, "", "", std::move(why)});
  }

  static constexpr std::size_t kMostFiles = 2000;
  const CdrPolicy& policy_;
  std::vector<ExtractedText> out_;
  bool over_ = false;
};

}  // namespace

std::vector<DataUriFile> data_uri_files(std::string_view html) {
  std::vector<DataUriFile> out;
  const internal::DataUris found = internal::find_data_uris(html, kMostDataUris);
  for (std::size_t n = 1; n <= found.uris.size(); ++n) {
    DataUriFile f;
    f.name = "data-uri-" + std::to_string(n);
    if (n > kMostDataUris) {
      f.unreadable = "limit: more than " + std::to_string(kMostDataUris) + " data: URIs in one HTML file";
      out.push_back(std::move(f));
      break;
    }
    if (!internal::decoded_data_uri(found.uris[n - 1], f.bytes)) f.unreadable = "malformed: a data: URI whose payload cannot be decoded";
    out.push_back(std::move(f));
  }
  return out;
}

std::string extract_text(std::string_view bytes, std::string_view name) {
  std::string out;
  for (const auto& piece : extract_texts(bytes, name)) out += piece.text + "\n";
  return out;
}

std::vector<ExtractedText> extract_texts(std::string_view bytes, std::string_view name) {
  CdrPolicy policy;
  policy.max_expanded_bytes = std::uint64_t{256} << 20;
  policy.max_members = 2000;
  std::vector<Finding> findings;
  std::uint64_t expanded = 0;
  internal::Context ctx{policy, findings, expanded, 0, ""};
  TextReader reader(policy);
  try {
    reader.read(bytes, std::string(name), ctx);
  } catch (const std::bad_alloc&) {
    return {{std::string(name), "", "", "limit: reading the file needs more memory than allowed"}};
  } catch (const std::exception& e) {
    return {{std::string(name), "", "", std::string("malformed: the file could not be parsed: ") + e.what()}};
  }
  return reader.take();
}

}  // namespace sanso::cdr
