// Mail the tests produce or receive, read back with GMime as a mail client would.
#pragma once

#include <gmime/gmime.h>

#include <string>

#include "mime/charset.h"

namespace sanso::testing {

// The message, or nullptr when it does not parse; the caller unrefs it.
inline GMimeMessage* parse_message(const std::string& raw) {
  g_mime_init();
  GMimeStream* stream = g_mime_stream_mem_new_with_buffer(raw.data(), raw.size());
  GMimeParser* parser = g_mime_parser_new_with_stream(stream);
  GMimeMessage* m = g_mime_parser_construct_message(parser, nullptr);
  g_object_unref(parser);
  g_object_unref(stream);
  return m;
}

// A part's content, transfer-decoded, then as UTF-8 from `charset` (its own label when empty).
inline std::string part_text(GMimeObject* part, const std::string& charset = "") {
  GMimeStream* s = g_mime_stream_mem_new();
  g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(part)), s);
  GByteArray* a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
  std::string label = charset;
  if (label.empty()) {
    const char* cs = g_mime_content_type_get_parameter(g_mime_object_get_content_type(part), "charset");
    label = cs != nullptr ? cs : "";
  }
  std::string text = mime::decode_text(std::string(reinterpret_cast<char*>(a->data), a->len), label).utf8;
  g_object_unref(s);
  return text;
}

}  // namespace sanso::testing
