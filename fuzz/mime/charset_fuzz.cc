// libFuzzer target: any bytes under any label decode to valid UTF-8 with every bad byte counted;
// what comes out re-encodes as ISO-2022-JP and decodes again without a single replacement.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/text.h"
#include "mime/charset.h"
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
  // The same bytes as a header value: decoded to valid UTF-8; what it decodes to survives
  // encoding as RFC 2047 words and decoding again (ESC and controls aside).
  HeaderText h = decode_header_text(bytes);
  if (!sanso::is_valid_utf8(h.utf8)) __builtin_trap();
  bool clean = true;
  for (char c : h.utf8) clean = clean && static_cast<unsigned char>(c) >= 0x20 && c != 0x7F;
  if (clean && h.utf8.find("=?") == std::string::npos) {
    if (decode_header_text(encode_header_text(h.utf8, "utf-8")).utf8 != h.utf8) __builtin_trap();
  }
  return 0;
}
