// icap protocol: RFC 3507 on the wire, read strictly. Every byte here comes from the proxy, which
// passes on what a web server or a browser sent; nothing is trusted. A request that is not exactly
// what the RFC allows (a missing or malformed Encapsulated header, offsets that do not match the
// headers they name, a chunk size that is not hexadecimal, a head beyond the limit) is an Error
// whose code maps to an ICAP status (status_of): the connection answers 400 and closes, and no
// byte of such a request reaches the intake.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sanso::icap {

// Where the bytes come from: a socket in the service, a string in tests and the fuzz target.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to `n` bytes into `out`; 0 at the end of the stream; -1 when reading failed (or timed out).
  virtual long read_some(char* out, std::size_t n) = 0;
  // A request begins (its first bytes are here): a source with a time limit per request starts
  // counting it now.
  virtual void request_began() {}
  // The request was answered: the time until the next one begins does not count.
  virtual void request_done() {}
  // Whether reading failed because the request's time ran out (not idleness, not the peer).
  virtual bool out_of_time() const { return false; }
};

class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string_view bytes, std::size_t step = SIZE_MAX) : bytes_(bytes), step_(step) {}
  long read_some(char* out, std::size_t n) override;

 private:
  std::string_view bytes_;
  std::size_t step_;  // at most this many bytes per read: tests split heads across reads
};

// Buffered reading of one connection's requests.
class Reader {
 public:
  explicit Reader(ByteSource& source) : source_(source) {}
  // Whether the stream ended cleanly before another request began (a persistent connection closed).
  bool at_end();
  // Everything through the first empty line (CRLF CRLF), at most `limit` bytes.
  Result<std::string> read_head(std::size_t limit);
  // Exactly `n` bytes.
  Result<std::string> read_exact(std::size_t n);
  // A line through CRLF, returned without it; at most `limit` bytes; a bare CR or LF is an error.
  Result<std::string> read_line(std::size_t limit);
  // Up to `n` bytes of what is buffered or arrives next (at least one, or an error at the end).
  Result<std::string_view> read_some(std::size_t n);

 private:
  Result<void> fill();
  ByteSource& source_;
  std::string buffer_;
  std::size_t start_ = 0;
};

struct Header {
  std::string name;
  std::string value;
};

// Header fields in their order; names compared without regard to case.
struct Headers {
  std::vector<Header> fields;
  const std::string* find(std::string_view name) const;
  std::size_t count(std::string_view name) const;
  void remove(std::string_view name);
};

enum class Method { kOptions, kReqmod, kRespmod };

// One encapsulated part and where it starts in the encapsulated bytes (RFC 3507 §4.4.1).
struct Section {
  std::string name;  // "req-hdr", "res-hdr", "req-body", "res-body", "null-body", "opt-body"
  std::size_t offset = 0;
};

// An HTTP message head: its first line and header fields.
struct HttpHead {
  std::string start_line;  // "HTTP/1.1 200 OK" or "GET /a HTTP/1.1"
  Headers headers;
  int status = 0;           // responses: the status code
  std::string method;       // requests
  std::string target;       // requests: the request target as sent
  std::string serialize() const;  // start line, fields, empty line
};

struct Request {
  Method method = Method::kOptions;
  std::string uri;      // as sent: "icap://127.0.0.1:1344/respmod"
  std::string service;  // the URI's path without its slash and query: "respmod"
  Headers headers;      // the ICAP header fields
  std::vector<Section> sections;
  std::optional<HttpHead> http_request;   // req-hdr
  std::optional<HttpHead> http_response;  // res-hdr
  bool has_body = false;                  // a req-body or res-body follows, chunked
  std::optional<std::size_t> preview;     // Preview: n — the body begins with at most n bytes and a 0 chunk
  bool allow_204 = false;                 // Allow: 204 — 204 may answer outside a preview too
};

struct Limits {
  std::size_t max_head_bytes = 65536;  // the ICAP head; separately, the encapsulated HTTP heads
};

// The ICAP head and the encapsulated HTTP heads of the next request; stops before the body.
// Errors: "icap.malformed" (400), "icap.too-large" (400, a head over the limit), "icap.method"
// (501), "icap.version" (505), "icap.closed" (the stream ended or failed: no answer possible).
Result<Request> read_request(Reader& reader, const Limits& limits);

// The pieces read_request is made of, public for the tests and the fuzz target.
Result<std::vector<Section>> parse_encapsulated(std::string_view value, Method method);
Result<HttpHead> parse_http_head(std::string_view bytes, bool response, std::string_view where);
// The ICAP head (request line and fields), given without its empty line.
Result<Request> parse_icap_head(std::string_view head);

// One chunk of an ICAP body (RFC 3507 §4.5: HTTP/1.1 chunking with the "ieof" extension).
struct Chunk {
  std::size_t size = 0;  // 0: the last chunk of this body (or of the preview)
  bool ieof = false;     // "0; ieof": the preview held the whole body
};
// A chunk-size line: hexadecimal size, then optional extensions; only ieof means anything here.
Result<Chunk> parse_chunk_line(std::string_view line);

// Reads a chunked body up to its zero chunk and trailer, handing the data on in pieces. Returns
// whether the zero chunk carried ieof. A body whose chunks add up to more than `max_bytes` is not
// read to its end: reading stops inside the chunk that crosses the limit, `over` is set and the sink
// sees nothing past the limit. The rest of that body is still on its way, so the connection cannot
// carry another request: the caller answers and closes it. Draining instead would make the proxy
// wait for the whole oversize body before it sees any answer (with Squid 5 it does not even get
// there: its reading of the server stalls while the service does not answer, Squid bug 5352).
struct BodyStatus {
  bool ieof = false;
  bool over = false;  // stopped at the limit: the body was not read to its end
  std::uint64_t bytes = 0;
};
template <typename Sink>
Result<BodyStatus> read_chunked(Reader& reader, std::uint64_t max_bytes, std::uint64_t already, Sink&& sink);

// The ICAP status of an Error of this module (400, 501, 505), 500 for anything else.
int status_of(const Error& error);
std::string_view reason_phrase(int status);

// The body of a response, chunked.
std::string chunk(std::string_view data);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// --- implementation of the template ---
template <typename Sink>
Result<BodyStatus> read_chunked(Reader& reader, std::uint64_t max_bytes, std::uint64_t already, Sink&& sink) {
  BodyStatus status;
  status.bytes = already;
  status.over = already > max_bytes;
  if (status.over) return status;
  for (;;) {
    const std::string line = SANSO_TRY(reader.read_line(256));
    const Chunk c = SANSO_TRY(parse_chunk_line(line));
    if (c.size == 0) {
      // No trailers in ICAP bodies: the zero chunk ends with its empty line.
      const std::string end = SANSO_TRY(reader.read_line(256));
      if (!end.empty()) return make_error("icap.malformed", "body", "the last chunk is followed by '" + end.substr(0, 40) + "', not the empty line");
      status.ieof = c.ieof;
      return status;
    }
    if (c.ieof) return make_error("icap.malformed", "body", "ieof on a chunk that is not the last");
    if (c.size > max_bytes - status.bytes) {  // bytes <= max_bytes holds here: no overflow
      status.over = true;
      return status;
    }
    std::uint64_t left = c.size;
    while (left > 0) {
      const std::string_view piece = SANSO_TRY(reader.read_some(static_cast<std::size_t>(std::min<std::uint64_t>(left, 65536))));
      left -= piece.size();
      status.bytes += piece.size();
      sink(piece);
    }
    const std::string crlf = SANSO_TRY(reader.read_exact(2));
    if (crlf != "\r\n") return make_error("icap.malformed", "body", "chunk data of " + std::to_string(c.size) + " bytes is not followed by CRLF (the size is wrong)");
  }
}

}  // namespace sanso::icap
