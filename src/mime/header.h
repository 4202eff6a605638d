// Header text as Japanese mail really carries it: RFC 2047 encoded-words (B and Q) with adjacent
// words of one charset joined at the byte level before decoding (mailers split multi-byte
// characters across words), encoded-words without the surrounding spaces or inside quoted
// strings, raw 8-bit CP932 or UTF-8, and RFC 2231 parameter continuations with charsets.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sanso::mime {

struct HeaderText {
  std::string utf8;
  std::size_t replaced = 0;  // undecodable bytes, each one U+FFFD
  bool raw_8bit = false;     // the header carried unencoded 8-bit bytes
};

// Decodes an unstructured header value (Subject, a display name), unfolding it first.
HeaderText decode_header_text(std::string_view raw);

// A MIME parameter (`filename`, `name`) from the parameters in the order they appeared, with
// RFC 2231 continuations (`filename*0*=ISO-2022-JP''%1B%24B…`, `filename*1*=…`) joined and
// decoded, and RFC 2047 words inside a plain value decoded too (a common violation).
std::optional<HeaderText> decode_parameter(const std::vector<std::pair<std::string, std::string>>& params,
                                           std::string_view name);

// An ASCII header value (an address list) with each run of encoded-words — adjacent words of one
// charset, joined as decode_header_text joins them — replaced by one UTF-8 encoded-word of Sanso's
// decoding, so that a parser reading its structure (GMime's address parser) decodes every charset
// as Sanso does (GMime's own decoder garbles CP50220's ㈱). Only words whose encoded text holds no
// character with a structural meaning (RFC 2047 5(3)) are replaced, and the text between words is
// kept, so the structure read is the same. Line breaks are unfolded.
std::string with_utf8_encoded_words(std::string_view ascii);

// The domain of an address ("Tanaka@City.Example.LG.JP" → "city.example.lg.jp"), lower-case:
// what follows its last '@'; "" when there is none.
std::string address_domain(std::string_view address);

// UTF-8 as RFC 2047 encoded-words (B) in `charset` ("utf-8" or "iso-2022-jp"), folded so that no
// line exceeds 76 characters; ASCII-only text comes back unchanged.
std::string encode_header_text(std::string_view utf8, std::string_view charset);

// `value` as the encoded text of an RFC 5987 (HTTP) / RFC 2231 (MIME) extended value, the part after
// "UTF-8''": letters, digits, '.', '-' and '_' as they are, every other byte percent-encoded — a name
// of any bytes, with nothing a header or parameter parser could read as structure.
std::string percent_encode_ext_value(std::string_view value);

// `value` (UTF-8) as an RFC 2231 parameter continued in pieces, for a header Sanso writes over
// several lines: ";\r\n NAME*0*=UTF-8''…;\r\n NAME*1*=…", each piece's value (the first with its
// "UTF-8''") at most kExtendedPieceOctets of percent_encode_ext_value's text, cut only between
// characters (a client that decodes each piece by itself still reads whole characters; bytes that
// are no UTF-8 are cut one by one), so that every line stays under 78 columns however long the name.
inline constexpr std::size_t kExtendedPieceOctets = 60;
std::string extended_parameter_pieces(std::string_view parameter, std::string_view value);

// `Content-Disposition: attachment` for a file named `name` (UTF-8): `ascii` in filename= for clients
// that read only that (quotes, backslashes, '%', ';' and every byte outside printable ASCII of it
// become '_'), the real name in filename*=UTF-8''.
std::string attachment_disposition(std::string_view name, std::string_view ascii);

}  // namespace sanso::mime
