// HTTP content codings (RFC 9110 §8.4): a download the server compressed (`Content-Encoding:
// gzip`, `br`, `zstd`, `deflate`) is judged as the file the browser would save, so its codings are
// removed first — in the sandbox, since the compressed bytes are the internet's.
//
// Decoding is strict where browsers differ or an attacker could make two readers disagree: bytes
// after the end of a compressed stream, a truncated stream, or a coding we do not know are errors,
// and the download is blocked rather than judged on one reading of it. A body that would expand
// past the limit is an error too (a compression bomb is a verdict, never an outage).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sanso::icap {

enum class ContentCoding { kGzip, kDeflate, kBrotli, kZstd };

std::string_view to_string(ContentCoding c);

// The codings the values of every Content-Encoding field name, in the order the server applied
// them ("identity" alone is none). Errors: "icap.content-coding" naming a coding not decoded here
// (compress, exi, an unknown token), "identity" beside a coding, more than four.
Result<std::vector<ContentCoding>> content_codings(const std::vector<std::string>& field_values);

// `body` with `applied` removed, last applied first. Errors: "icap.content-coding" (a corrupt or
// truncated stream, bytes after its end), "icap.content-limit" (more than `max_bytes` decoded, or
// past 8 MiB more than a hundred times the compressed size: a bomb).
Result<std::string> decode_content(std::string_view body, const std::vector<ContentCoding>& applied, std::size_t max_bytes);
// The first `want` bytes of what `body` decodes to, from as much of it as is there (a preview): a
// stream cut short is no error here; a corrupt one, or bytes after its end, are.
Result<std::string> decode_prefix(std::string_view body, const std::vector<ContentCoding>& applied, std::size_t want);

// What a sandboxed decoder receives and how it reads it back: the codings (and with `prefix`, only
// that many first bytes wanted: decode_prefix), then the body.
std::string decoding_request(const std::vector<ContentCoding>& applied, std::string_view body, std::size_t prefix = 0);
Result<std::string> decode_request(std::string_view request, std::size_t max_bytes);

}  // namespace sanso::icap
