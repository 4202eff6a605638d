// Files carried inside text instead of as attachments: uuencode (`begin 644 setup.exe`), its
// base64 form (`begin-base64`), BinHex 4.0 and yEnc. Mail and news clients decode such blocks
// into attachments, so a text body can deliver an executable past a filter that only looks at
// MIME parts; the sanitizer removes them like attachments.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sanso::mime {

struct EmbeddedFile {
  std::string kind;        // "uuencode", "uuencode-base64", "binhex", "yenc"
  std::string name;        // as the block names it; "" when it does not (BinHex keeps it inside)
  std::size_t begin = 0;   // the block's byte range in the text: whole lines, from its first line
  std::size_t end = 0;     //   through its last, line end included
  std::size_t size = 0;    // the file's size as far as the block tells it without decoding
};

// Every block in `text` (LF or CRLF line ends), in order, not overlapping. Liberal like the
// decoders it guards against: a block without its end line runs to where its data lines stop.
std::vector<EmbeddedFile> find_embedded_files(std::string_view text);

}  // namespace sanso::mime
