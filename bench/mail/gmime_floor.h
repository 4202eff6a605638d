// The floor every mail benchmark reports against: GMime parses one message and writes it out
// again, nothing else. Shared by sanitize_bench.cc and the batch benchmark's floor_main.cc so both
// measure the same work.
#pragma once

#include <gmime/gmime.h>

#include <cstddef>
#include <string_view>

namespace sanso::bench {

// Bytes written; 0 when GMime could not make a message of it.
inline std::size_t gmime_parse_serialize(std::string_view m) {
  GMimeStream* in = g_mime_stream_mem_new_with_buffer(m.data(), m.size());
  GMimeParser* p = g_mime_parser_new_with_stream(in);
  GMimeMessage* msg = g_mime_parser_construct_message(p, nullptr);
  GMimeStream* out = g_mime_stream_mem_new();
  if (msg != nullptr) g_mime_object_write_to_stream(GMIME_OBJECT(msg), nullptr, out);
  const std::size_t written = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out))->len;
  g_object_unref(out);
  if (msg != nullptr) g_object_unref(msg);
  g_object_unref(p);
  g_object_unref(in);
  return written;
}

}  // namespace sanso::bench
