#include "mime/transfer.h"

#include <openssl/evp.h>
#include <sys/random.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>

#include "core/text.h"

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

namespace {

// Random bytes from getrandom(2) (allowed inside the sandbox's filter too). Should the kernel
// refuse, the bytes come from the clock and a counter instead: still unlikely to be guessed, and
// unique_boundary's check is what guarantees a boundary never occurs in the content anyway.
void random_bytes(unsigned char* out, std::size_t n) {
  std::size_t have = 0;
  while (have < n) {
    ssize_t got = getrandom(out + have, n - have, 0);
    if (got > 0) {
      have += static_cast<std::size_t>(got);
    } else if (got < 0 && errno != EINTR) {
      break;
    }
  }
  if (have == n) return;
  static std::atomic<std::uint64_t> counter{0};
  std::uint64_t x = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^ (counter.fetch_add(1) << 48);
  for (std::size_t i = have; i < n; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift64
    out[i] = static_cast<unsigned char>(x);
  }
}

}  // namespace

std::string unique_boundary(const std::vector<std::string>& entities) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";  // 32 symbols: 5 bits each
  std::vector<std::string> lowered;
  lowered.reserve(entities.size());
  for (const auto& e : entities) lowered.push_back(ascii_lower(e));
  for (;;) {
    unsigned char r[32];
    random_bytes(r, sizeof r);
    std::string boundary = "=_sanso_";
    for (unsigned char c : r) boundary += kAlphabet[c & 31];
    const bool occurs = std::any_of(lowered.begin(), lowered.end(), [&](const std::string& e) { return e.find(boundary) != std::string::npos; });
    if (!occurs) return boundary;
  }
}

bool fits_7bit(std::string_view text) {
  std::size_t line = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\r') {
      if (i + 1 >= text.size() || text[i + 1] != '\n') return false;
      ++i;
      line = 0;
      continue;
    }
    if (c == 0 || c >= 0x80 || c == '\n' || ++line > 998) return false;
  }
  return true;
}

}  // namespace sanso::mime
