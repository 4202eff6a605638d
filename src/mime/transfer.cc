#include "mime/transfer.h"

#include <openssl/evp.h>

#include <algorithm>

namespace sanso::mime {

std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

std::string encode_base64_lines(std::string_view bytes) {
  // 57 input bytes make one 76-character line.
  std::string out;
  out.reserve((bytes.size() + 56) / 57 * 78);
  unsigned char line[80];
  for (std::size_t at = 0; at < bytes.size(); at += 57) {
    const std::size_t n = std::min<std::size_t>(57, bytes.size() - at);
    const int len = EVP_EncodeBlock(line, reinterpret_cast<const unsigned char*>(bytes.data() + at), static_cast<int>(n));
    out.append(reinterpret_cast<const char*>(line), static_cast<std::size_t>(len));
    out += "\r\n";
  }
  return out;
}

}  // namespace sanso::mime
