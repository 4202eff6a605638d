#include "icap/content_coding.h"

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <memory>

namespace sanso::icap {
namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kPrefixLayerBytes = std::size_t{1} << 20;
constexpr std::size_t kBombFloorBytes = std::size_t{8} << 20;
constexpr std::size_t kBombRatio = 100;

std::string lowered_token(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  std::string out(v);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

Error corrupt(ContentCoding c, std::string_view why) {
  return make_error("icap.content-coding", std::string(to_string(c)), "the compressed download cannot be read: " + std::string(why));
}

// A decoder's answer when its output reaches `max_bytes`: in prefix mode, those first bytes.
Error over(ContentCoding c, std::size_t max_bytes) {
  return make_error("icap.content-limit", std::string(to_string(c)),
                    "the download expands to more than " + std::to_string(max_bytes) + " bytes ([icap] max_body_mb)");
}

// Past `max_bytes`: an error, or in prefix mode the first `max_bytes` bytes, and done.
Result<void> cut_at_limit(std::string& out, ContentCoding c, std::size_t max_bytes, bool prefix) {
  if (!prefix) return over(c, max_bytes);
  out.resize(max_bytes);
  return ok();
}

// Each decoder writes into `out`, which the caller empties and gives room for `max_bytes` + 2 first,
// so that it never grows by copying itself (the +1 tells "over the limit", the +1 lets the sandbox
// put its status byte in front in place).

// zlib's inflate for gzip (RFC 1952) and deflate (RFC 1950, or a raw RFC 1951 stream as some
// servers send and every browser accepts).
Result<void> inflate_into(std::string& out, std::string_view in, ContentCoding c, std::size_t max_bytes, bool prefix) {
  int window = 16 + MAX_WBITS;
  if (c == ContentCoding::kDeflate) {
    const auto b0 = in.size() >= 2 ? static_cast<unsigned char>(in[0]) : 0u, b1 = in.size() >= 2 ? static_cast<unsigned char>(in[1]) : 0u;
    const bool zlib_header = in.size() >= 2 && (b0 & 0x0Fu) == 8 && (b0 >> 4) <= 7 && ((b0 << 8) | b1) % 31 == 0;
    window = zlib_header ? MAX_WBITS : -MAX_WBITS;
  }
  z_stream z{};
  if (inflateInit2(&z, window) != Z_OK) return make_error("icap.content-coding", std::string(to_string(c)), "zlib could not start");
  const std::unique_ptr<z_stream, int (*)(z_stream*)> end(&z, inflateEnd);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  if (in.size() > std::numeric_limits<uInt>::max()) return over(c, max_bytes);
  while (true) {
    const std::size_t had = out.size();
    if (had >= max_bytes + 1) return cut_at_limit(out, c, max_bytes, prefix);
    out.resize(had + std::min(kChunk, max_bytes + 1 - had));
    z.next_out = reinterpret_cast<Bytef*>(out.data() + had);
    z.avail_out = static_cast<uInt>(out.size() - had);
    const int rc = inflate(&z, Z_NO_FLUSH);
    out.resize(out.size() - z.avail_out);
    if (out.size() > max_bytes) return cut_at_limit(out, c, max_bytes, prefix);
    if (rc == Z_STREAM_END) {
      if (z.avail_in != 0) return corrupt(c, std::to_string(z.avail_in) + " bytes after the end of the compressed stream");
      return ok();
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0) return prefix ? ok() : Result<void>(corrupt(c, "the stream is truncated"));
    if (rc != Z_OK && rc != Z_BUF_ERROR) return corrupt(c, z.msg != nullptr ? z.msg : "zlib error " + std::to_string(rc));
  }
}

Result<void> unbrotli_into(std::string& out, std::string_view in, std::size_t max_bytes, bool prefix) {
  constexpr ContentCoding c = ContentCoding::kBrotli;
  const std::unique_ptr<BrotliDecoderState, void (*)(BrotliDecoderState*)> state(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr),
                                                                                 BrotliDecoderDestroyInstance);
  if (!state) return make_error("icap.content-coding", "br", "the brotli decoder could not start");
  const auto* next_in = reinterpret_cast<const uint8_t*>(in.data());
  std::size_t avail_in = in.size();
  while (true) {
    const std::size_t had = out.size();
    if (had >= max_bytes + 1) return cut_at_limit(out, c, max_bytes, prefix);
    out.resize(had + std::min(kChunk, max_bytes + 1 - had));
    auto* next_out = reinterpret_cast<uint8_t*>(out.data() + had);
    std::size_t avail_out = out.size() - had;
    const BrotliDecoderResult rc = BrotliDecoderDecompressStream(state.get(), &avail_in, &next_in, &avail_out, &next_out, nullptr);
    out.resize(out.size() - avail_out);
    if (out.size() > max_bytes) return cut_at_limit(out, c, max_bytes, prefix);
    if (rc == BROTLI_DECODER_RESULT_SUCCESS) {
      if (avail_in != 0) return corrupt(c, std::to_string(avail_in) + " bytes after the end of the compressed stream");
      return ok();
    }
    if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) return prefix ? ok() : Result<void>(corrupt(c, "the stream is truncated"));
    if (rc == BROTLI_DECODER_RESULT_ERROR) return corrupt(c, BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state.get())));
  }
}

Result<void> unzstd_into(std::string& out, std::string_view in, std::size_t max_bytes, bool prefix) {
  constexpr ContentCoding c = ContentCoding::kZstd;
  const std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!ctx) return make_error("icap.content-coding", "zstd", "the zstd decoder could not start");
  // Browsers refuse windows over 8 MiB (RFC 8878 §3 for HTTP): a larger one is not a download
  // they would open, and its memory is the attacker's choice.
  if (ZSTD_isError(ZSTD_DCtx_setParameter(ctx.get(), ZSTD_d_windowLogMax, 23))) return make_error("icap.content-coding", "zstd", "the zstd decoder could not be limited");
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  while (true) {
    const std::size_t had = out.size();
    if (had >= max_bytes + 1) return cut_at_limit(out, c, max_bytes, prefix);
    out.resize(had + std::min(kChunk, max_bytes + 1 - had));
    ZSTD_outBuffer output{out.data() + had, out.size() - had, 0};
    const std::size_t rc = ZSTD_decompressStream(ctx.get(), &output, &input);
    out.resize(had + output.pos);
    if (ZSTD_isError(rc)) return corrupt(c, ZSTD_getErrorName(rc));
    if (out.size() > max_bytes) return cut_at_limit(out, c, max_bytes, prefix);
    if (rc == 0) {
      // One frame: a second one (or anything) after it is read by some decoders and not others.
      if (input.pos != input.size) return corrupt(c, std::to_string(input.size - input.pos) + " bytes after the end of the compressed frame");
      return ok();
    }
    if (input.pos == input.size && output.pos < output.size) return prefix ? ok() : Result<void>(corrupt(c, "the stream is truncated"));
  }
}

}  // namespace

std::string_view to_string(ContentCoding c) {
  switch (c) {
    case ContentCoding::kGzip:
      return "gzip";
    case ContentCoding::kDeflate:
      return "deflate";
    case ContentCoding::kBrotli:
      return "br";
    case ContentCoding::kZstd:
      return "zstd";
  }
  return "?";
}

Result<std::vector<ContentCoding>> content_codings(const std::vector<std::string>& field_values) {
  std::vector<ContentCoding> out;
  int identities = 0;
  for (const auto& value : field_values) {
    std::string_view v = value;
    while (true) {
      const std::size_t comma = v.find(',');
      const std::string token = lowered_token(v.substr(0, comma));
      if (token == "gzip" || token == "x-gzip") {
        out.push_back(ContentCoding::kGzip);
      } else if (token == "deflate") {
        out.push_back(ContentCoding::kDeflate);
      } else if (token == "br") {
        out.push_back(ContentCoding::kBrotli);
      } else if (token == "zstd") {
        out.push_back(ContentCoding::kZstd);
      } else if (token == "identity") {
        ++identities;
      } else if (!token.empty()) {
        return make_error("icap.content-coding", token.substr(0, 64), "a Content-Encoding the service does not decode (gzip, deflate, br and zstd are decoded)");
      }
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  // "identity" beside a coding: browsers differ (Chrome stops decoding at it and hands on the raw
  // bytes), so no one reading of the body is the browser's.
  if (identities > 0 && !out.empty()) return make_error("icap.content-coding", "identity", "\"identity\" listed beside a content coding: browsers disagree on what it means");
  // More layers than any server applies is an attacker's nesting (each could expand to the limit).
  if (out.size() > 4) return make_error("icap.content-coding", std::to_string(out.size()) + " codings", "more than four content codings on one download");
  return out;
}

namespace {

Result<std::string> decode_layers(std::string_view body, const std::vector<ContentCoding>& applied, std::size_t max_bytes, bool prefix) {
  if (applied.empty()) return std::string(prefix ? body.substr(0, max_bytes) : body);
  // Two buffers, whatever the number of layers: a layer reads the one the layer before wrote and
  // writes the other, emptied but keeping its room. The body is never copied.
  std::string buffers[2];
  std::string_view in = body;
  std::size_t at = 0;
  for (auto it = applied.rbegin(); it != applied.rend(); ++it, at ^= 1) {
    // Only the last layer off is what is wanted; the ones before it yield its input, of which a
    // prefix needs no more than what a file of the limit could take.
    const bool last = std::next(it) == applied.rend();
    const std::size_t most = prefix && !last ? std::max(max_bytes, kPrefixLayerBytes) : max_bytes;
    std::string& out = buffers[at];
    out.clear();
    // Room reserved is address space, not memory: only the pages written become resident.
    if (most > std::numeric_limits<std::size_t>::max() - 2) return over(*it, most);
    out.reserve(most + 2);
    Result<void> done = *it == ContentCoding::kBrotli ? unbrotli_into(out, in, most, prefix)
                        : *it == ContentCoding::kZstd ? unzstd_into(out, in, most, prefix)
                                                      : inflate_into(out, in, *it, most, prefix);
    if (!done) return std::move(done).error();
    in = out;
  }
  return std::move(buffers[at ^ 1]);
}

}  // namespace

Result<std::string> decode_content(std::string_view body, const std::vector<ContentCoding>& applied, std::size_t max_bytes) {
  auto decoded = decode_layers(body, applied, max_bytes, false);
  if (!decoded) return decoded;
  // Past a few megabytes, a file a hundred times its compressed size is made to be large (zeros, a
  // repeated block): kept and rebuilt, it would cost the city a hundred times what it cost to send.
  if (decoded->size() > kBombFloorBytes && decoded->size() / std::max<std::size_t>(body.size(), 1) > kBombRatio) {
    return make_error("icap.content-limit", std::string(to_string(applied.back())),
                      "the download expands " + std::to_string(decoded->size() / std::max<std::size_t>(body.size(), 1)) + " times (" +
                          std::to_string(decoded->size()) + " bytes from " + std::to_string(body.size()) + "): a compression bomb");
  }
  return decoded;
}

Result<std::string> decode_prefix(std::string_view body, const std::vector<ContentCoding>& applied, std::size_t want) {
  return decode_layers(body, applied, want, true);
}

std::string decoding_request(const std::vector<ContentCoding>& applied, std::string_view body, std::size_t prefix) {
  std::string out = prefix > 0 ? "prefix=" + std::to_string(prefix) + " " : "";
  for (ContentCoding c : applied) out += std::string(to_string(c)) + ",";
  out += '\n';
  out.append(body);
  return out;
}

Result<std::string> decode_request(std::string_view request, std::size_t max_bytes) {
  const std::size_t nl = request.find('\n');
  if (nl == std::string_view::npos || nl > 80) return make_error("icap.content-coding", "decoding request", "no list of codings before the body");
  std::string_view line = request.substr(0, nl);
  std::size_t prefix = 0;
  if (line.rfind("prefix=", 0) == 0) {
    const std::size_t space = line.find(' ');
    const std::string_view n = line.substr(7, space == std::string_view::npos ? std::string_view::npos : space - 7);
    if (n.empty() || n.size() > 9 || n.find_first_not_of("0123456789") != std::string_view::npos) {
      return make_error("icap.content-coding", "decoding request", "a prefix length that is no number");
    }
    prefix = std::stoul(std::string(n));
    line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  }
  auto applied = content_codings({std::string(line)});
  if (!applied) return std::move(applied).error();
  if (prefix > 0) return decode_prefix(request.substr(nl + 1), *applied, std::min(prefix, max_bytes));
  return decode_content(request.substr(nl + 1), *applied, max_bytes);
}

}  // namespace sanso::icap
