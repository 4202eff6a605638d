// A multipart form read as it arrives (the transfer upload and the inspection evidence): the
// one way the console turns an upload's body into spooled files and fields.
#pragma once

#include <sodium.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "web/internal/console_server.h"
#include "web/multipart.h"

namespace sanso::web::internal {

// The form of `req` streamed from `body` through a MultipartReader under `limits` into private
// files in `temp_dir`: refused when the form's type is not given exactly once, when the body
// breaks a limit or the multipart rules, or when it ends before its last delimiter.
inline Result<MultipartForm> receive_form(const httplib::Request& req, const httplib::ContentReader& body, const MultipartLimits& limits,
                                          const std::string& temp_dir) {
  if (req.get_header_value_count(kFormTypeHeader) != 1) {
    return make_error("upload.malformed", "Content-Type", "the form must be sent once as multipart/form-data");
  }
  auto reader = MultipartReader::open(req.get_header_value(kFormTypeHeader), limits, temp_dir);
  if (!reader) return reader.error();
  std::optional<Error> broken;
  const bool whole = body([&](const char* data, std::size_t n) {
    auto fed = (*reader)->feed(std::string_view(data, n));
    if (!fed) broken = fed.error();
    return fed.has_value();
  });
  if (broken) return *broken;
  if (!whole) return make_error("upload.malformed", "upload body", "the body was cut off before its end (or came too slowly)");
  return (*reader)->finish();
}

// True when the form's `csrf` field is the session's form token (compared in constant time).
inline bool form_token_matches(const MultipartForm& form, const std::string& session_token) {
  auto it = form.fields.find("csrf");
  if (it == form.fields.end()) return false;
  const std::string& token = it->second;
  return !token.empty() && token.size() == session_token.size() && sodium_memcmp(token.data(), session_token.data(), token.size()) == 0;
}

}  // namespace sanso::web::internal
