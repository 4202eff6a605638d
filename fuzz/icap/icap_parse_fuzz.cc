// libFuzzer target: the ICAP request reader (src/icap/protocol.h) on arbitrary bytes, as a proxy —
// or whatever reached the ICAP port — could send them. The first byte sets how the bytes arrive
// (one to 64 per read) and the head limit; requests are read one after another as on a persistent
// connection, bodies to their end. Every input is a request or an error with an ICAP status —
// never a crash, a hang or a read past the end.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "icap/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sanso::icap;
  if (size < 1 || size > 1 << 20) return 0;
  const std::size_t step = 1 + (data[0] & 63);
  Limits limits;
  limits.max_head_bytes = (data[0] & 64) != 0 ? 256 : 65536;
  StringSource source(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), step);
  Reader reader(source);
  for (int i = 0; i < 16 && !reader.at_end(); ++i) {
    auto request = read_request(reader, limits);
    if (!request) {
      const int status = status_of(request.error());
      if (status < 400 && request.error().code != "icap.closed") __builtin_trap();
      return 0;
    }
    if (request->has_body) {
      std::uint64_t seen = 0;
      auto body = read_chunked(reader, 4096, 0, [&](std::string_view piece) { seen += piece.size(); });
      if (!body) return 0;
      if (seen > 4096 || seen != body->bytes) __builtin_trap();
      if (body->over) return 0;  // the rest of that body is unread: no further request can start
    }
  }
  return 0;
}
