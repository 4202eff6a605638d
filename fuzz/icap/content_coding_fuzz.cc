// libFuzzer target: a download's content codings removed (src/icap/content_coding.h) from arbitrary
// bytes, as the sandboxed decoder receives them from `sanso icap`: a line naming the codings, then a
// body a hostile server compressed (or did not). Every input is a file of at most the limit or an
// error of the two kinds the service tells apart — never a crash, a hang or more than the limit.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "icap/content_coding.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kLimit = 4u << 20;
  const auto decoded = sanso::icap::decode_request(std::string_view(reinterpret_cast<const char*>(data), size), kLimit);
  if (decoded && decoded->size() > kLimit) __builtin_trap();
  if (!decoded && decoded.error().code != "icap.content-coding" && decoded.error().code != "icap.content-limit") __builtin_trap();
  return 0;
}
