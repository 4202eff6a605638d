// Bodies as mail carries them: CRLF line ends, and base64 in lines of 76 characters (RFC 2045).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sanso::mime {

// Bare LF line ends become CRLF; CRLF stays as it is.
std::string to_crlf(std::string_view text);

// Base64 of `bytes`, in lines of at most 76 characters, each ending CRLF.
std::string encode_base64_lines(std::string_view bytes);

// A multipart boundary ("=_sanso_" and 32 random letters and digits from the kernel's CSPRNG)
// that occurs, compared case-insensitively, in none of `entities` — every header and body the
// caller will write between the delimiters. Random so that a sender cannot write it in advance;
// checked so that even a sender who guessed it cannot end a part early.
std::string unique_boundary(const std::vector<std::string>& entities);

// True when `text` may go out as Content-Transfer-Encoding 7bit (RFC 5322 2.1.1, RFC 2045 2.7):
// ASCII without NUL, CR and LF only as CRLF, no line longer than 998 octets.
bool fits_7bit(std::string_view text);

}  // namespace sanso::mime
