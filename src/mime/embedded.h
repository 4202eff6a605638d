// Files carried inside text instead of as attachments: uuencode (`begin 644 setup.exe`), its
// base64 form (`begin-base64`), BinHex 4.0 and yEnc. Mail and news clients decode such blocks
// into attachments, so a text body can deliver an executable past a filter that only looks at
// MIME parts; the sanitizer removes them like attachments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sanso::mime {

struct EmbeddedFile {
  std::string kind;        // "uuencode", "uuencode-base64", "binhex", "yenc"
  std::string name;        // as the block names it; "" when it does not (a BinHex header that does
                           // not decode, a begin line without a name)
  std::size_t begin = 0;   // the block's byte range in the text: whole lines, from its first line
  std::size_t end = 0;     //   through its last, line end included
  std::size_t size = 0;    // the file's size as far as the block tells it without decoding the data
  std::size_t data_at = 0; // BinHex: where its data opens (the ':'), for decode_binhex()
};

// Every block in `text` (LF, CRLF or CR line ends), in order, not overlapping. Liberal like the
// decoders it guards against (GNU uudecode, Python's uu and binhex, StuffIt, macutils' hexbin, mail
// clients): a begin line with a mode of any number of octal digits, tabs, no name; a block without
// its end line runs to where its data lines stop; BinHex wherever a ':' opens data that decodes as
// a file, on one line or many, the data starting on the same line or the next (line ends and blank
// lines after the ':' and inside the data passed over), with a name or without one. A form
// decoders accept but prose could take (`begin 7 days`, a ':' in a line) is a block only when
// what follows decodes: a data line of its length; for BinHex a header whose CRC-16 matches AND
// that an encoder could have written (version 0, a printable name of at most 63 bytes or none, the
// Finder type and creator printable or zero, forks not both empty and no longer than the data
// after it can carry) AND a data fork whose CRC-16 matches when the data holds all of it — a CRC
// alone matches one ':' of ordinary text in 65,536 (urn:uuid:…, 時刻: 12:30, a token after "id:").
std::vector<EmbeddedFile> find_embedded_files(std::string_view text);

// A BinHex 4.0 file decoded: its name and Finder type, its data fork (the file as Windows readers
// and decoders write it) and its resource fork (kept beside it by Mac decoders; "" when empty).
struct BinHexFile {
  std::string name;
  std::string type;     // four characters, "TEXT", "XLS8"
  std::string creator;
  std::string data;
  std::string resource;
};

// Decodes the BinHex data that `text` opens with ':' (EmbeddedFile::data_at onward): the 6-bit
// alphabet (line ends and blanks skipped), the 0x90 run-length code, the header, both forks and
// the CRC-16/XMODEM of each. Errors: "embedded.binhex-malformed" (a character outside the
// alphabet before the data is complete, a CRC that does not match, data that ends before the
// lengths its header gives, bytes after the resource fork before the closing ':' — no decoder
// writes them anywhere, so they would pass unread; up to three zero bytes are an encoder's
// padding), "embedded.binhex-limit" (forks together larger than `most` bytes).
// The resource fork is returned beside the data fork, never as part of it: it is Mac OS's (icons,
// code resources), no Windows reader opens it, so the mail sanitizer removes the whole block and
// never passes it on; the outgoing check reads it as a file of its own ("name.rsrc").
Result<BinHexFile> decode_binhex(std::string_view text, std::uint64_t most);

}  // namespace sanso::mime
