// libFuzzer target: any bytes under any label decode to valid UTF-8 with every bad byte counted;
// what comes out re-encodes as ISO-2022-JP and decodes again without a single replacement. Files
// written into the text are found as whole blocks in order, inside it, named in valid UTF-8, and
// BinHex decodes within its limit or says why not.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/text.h"
#include "mime/charset.h"
#include "mime/embedded.h"
#include "mime/header.h"
#include "mime/html_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sanso::mime;
  if (size < 1 || size > 64 * 1024) return 0;
  static const char* kLabels[] = {"",         "iso-2022-jp", "shift_jis",  "euc-jp",       "utf-8",       "us-ascii",
                                  "koi8-r",   "x-unknown",   "utf-7",      "ibm037",       "big5-hkscs",  "iso-8859-9",
                                  "utf-16",   "utf-8//ignore", "windows-1253", "no-such-charset"};
  const char* label = kLabels[data[0] % (sizeof kLabels / sizeof kLabels[0])];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  DecodedText d = decode_text(bytes, label);
  if (!sanso::is_valid_utf8(d.utf8)) __builtin_trap();
  std::string jis = encode_iso2022jp(d.utf8);
  DecodedText again = decode_text(jis, "iso-2022-jp");
  if (again.replaced != 0 || !sanso::is_valid_utf8(again.utf8)) __builtin_trap();
  // The decoded text as HTML: always valid UTF-8 out, whatever the markup, and never more than
  // its size limit (plus the line that says it was cut).
  const HtmlText html = html_to_text(d.utf8);
  if (!sanso::is_valid_utf8(html.text)) __builtin_trap();
  if (html.text.size() > (std::size_t{1} << 20) + 4 * d.utf8.size() + 512) __builtin_trap();
  // What reorders the page's digits is named in words, or nothing is (html_layout.cc).
  const std::string reordering = html_reordering(d.utf8);
  if (!reordering.empty() && !reordering.starts_with("unsupported: the HTML's")) __builtin_trap();
  // The same bytes as a header value: decoded to valid UTF-8; what it decodes to survives
  // encoding as RFC 2047 words and decoding again (ESC and controls aside).
  HeaderText h = decode_header_text(bytes);
  if (!sanso::is_valid_utf8(h.utf8)) __builtin_trap();
  bool clean = true;
  for (char c : h.utf8) clean = clean && static_cast<unsigned char>(c) >= 0x20 && c != 0x7F;
  if (clean && h.utf8.find("=?") == std::string::npos) {
    if (decode_header_text(encode_header_text(h.utf8, "utf-8")).utf8 != h.utf8) __builtin_trap();
  }
  // Files written into the bytes: blocks in order, not overlapping, inside the text, a BinHex
  // block's data opening with ':' inside it; decoding never passes its limit.
  std::size_t after = 0;
  for (const auto& f : find_embedded_files(bytes)) {
    if (f.begin < after || f.end <= f.begin || f.end > bytes.size()) __builtin_trap();
    if (f.kind == "binhex" && (f.data_at < f.begin || f.data_at >= f.end || bytes[f.data_at] != ':')) __builtin_trap();
    if (f.kind == "binhex" && !sanso::is_valid_utf8(f.name)) __builtin_trap();
    after = f.end;
    if (f.kind == "binhex") {
      auto file = decode_binhex(bytes.substr(f.data_at, f.end - f.data_at), 1 << 16);
      if (file && (file->data.size() + file->resource.size() > (1 << 16) || !sanso::is_valid_utf8(file->name))) __builtin_trap();
      if (!file && file.error().message.empty()) __builtin_trap();
    }
  }
  auto whole = decode_binhex(bytes, 1 << 16);
  if (whole && whole->data.size() + whole->resource.size() > (1 << 16)) __builtin_trap();
  return 0;
}
