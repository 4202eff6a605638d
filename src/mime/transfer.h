// Bodies as mail carries them: CRLF line ends, and base64 in lines of 76 characters (RFC 2045).
#pragma once

#include <string>
#include <string_view>

namespace sanso::mime {

// Bare LF line ends become CRLF; CRLF stays as it is.
std::string to_crlf(std::string_view text);

// Base64 of `bytes`, in lines of at most 76 characters, each ending CRLF.
std::string encode_base64_lines(std::string_view bytes);

}  // namespace sanso::mime
