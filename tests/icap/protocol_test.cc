// The ICAP reader against hostile requests: every request that is not exactly what RFC 3507 allows
// is an error with the status the service answers (400, 501, 505), never a guess and never a crash;
// well-formed requests split across any number of reads parse the same.
#include "icap/protocol.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace sanso::icap {
namespace {

const std::string kReqHdr = "GET /files/a.docx HTTP/1.1\r\nHost: www.example.com\r\n\r\n";
const std::string kResHdr = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 5\r\n\r\n";

std::string respmod(const std::string& extra_headers, const std::string& encapsulated, const std::string& rest) {
  return "RESPMOD icap://127.0.0.1:1344/respmod ICAP/1.0\r\nHost: 127.0.0.1\r\n" + extra_headers + "Encapsulated: " + encapsulated + "\r\n\r\n" + rest;
}

std::string good_respmod(const std::string& extra_headers = "", const std::string& body = "5\r\nhello\r\n0\r\n\r\n") {
  return respmod(extra_headers,
                 "req-hdr=0, res-hdr=" + std::to_string(kReqHdr.size()) + ", res-body=" + std::to_string(kReqHdr.size() + kResHdr.size()),
                 kReqHdr + kResHdr + body);
}

Result<Request> read_one(const std::string& bytes, std::size_t step = SIZE_MAX, Limits limits = {}) {
  StringSource source(bytes, step);
  Reader reader(source);
  return read_request(reader, limits);
}

// The status the service would answer a request with (200 when it reads as valid).
int status_for(const std::string& bytes, Limits limits = {}) {
  auto r = read_one(bytes, SIZE_MAX, limits);
  return r ? 200 : status_of(r.error());
}

TEST(IcapProtocol, AWellFormedRespmodParsesTheSameHoweverItIsSplitAcrossReads) {
  const std::string bytes = good_respmod("Preview: 1024\r\nAllow: 204, 206\r\n");
  for (std::size_t step : {std::size_t{1}, std::size_t{7}, SIZE_MAX}) {
    StringSource source(bytes, step);
    Reader reader(source);
    auto r = read_request(reader, {});
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->method, Method::kRespmod);
    EXPECT_EQ(r->service, "respmod");
    EXPECT_TRUE(r->allow_204);
    EXPECT_EQ(r->preview, 1024u);
    ASSERT_TRUE(r->http_request && r->http_response);
    EXPECT_EQ(r->http_request->target, "/files/a.docx");
    EXPECT_EQ(r->http_response->status, 200);
    EXPECT_EQ(*r->http_response->headers.find("content-type"), "application/octet-stream");
    EXPECT_TRUE(r->has_body);
    std::string body;
    auto status = read_chunked(reader, 100, 0, [&](std::string_view p) { body += p; });
    ASSERT_TRUE(status) << status.error().to_string();
    EXPECT_EQ(body, "hello");
    EXPECT_FALSE(status->over);
    EXPECT_TRUE(reader.at_end());
  }
}

TEST(IcapProtocol, AMissingOrMalformedEncapsulatedHeaderIsA400) {
  EXPECT_EQ(status_for("RESPMOD icap://h/respmod ICAP/1.0\r\nHost: h\r\n\r\n"), 400) << "missing";
  EXPECT_EQ(status_for("REQMOD icap://h/reqmod ICAP/1.0\r\nHost: h\r\n\r\n"), 400) << "missing";
  const std::string heads = kReqHdr + kResHdr;
  const std::string r = std::to_string(kReqHdr.size());
  const std::string b = std::to_string(heads.size());
  for (const std::string& bad : {
           "req-hdr=0, res-hdr=" + r + ", res-body=" + r,                 // the body starts where a header does
           "req-hdr=1, res-hdr=" + r + ", res-body=" + b,                 // not from 0
           "res-hdr=" + r + ", req-hdr=0, res-body=" + b,                 // out of order
           "req-hdr=0, req-hdr=0, res-body=" + b,                         // twice
           "req-hdr=0, res-hdr=" + r + ", res-body=" + b + ",",           // a trailing comma
           "req-hdr=0, res-hdr=" + r,                                     // no body part
           "req-hdr=0, res-body=" + b + ", res-hdr=" + r,                 // a header after the body
           "req-hdr=0, res-hdr=" + r + ", req-body=" + b,                 // a request body in RESPMOD
           "req-hdr=0, res-hdr=-" + r + ", res-body=" + b,                // a sign
           "req-hdr=0, res-hdr=" + r + ", res-body=99999999999999999999",  // beyond any size
           "req-hdr=0, res-hdr=0x10, res-body=" + b,                      // not decimal
           "req-hdr=0, x-hdr=" + r + ", res-body=" + b,                   // no such part
           "req-hdr=0; res-hdr=" + r + "; res-body=" + b,                 // wrong separator
           "req-hdr=0, res-body=" + b,                                    // RESPMOD without the response header
       }) {
    EXPECT_EQ(status_for(respmod("", bad, heads + "0\r\n\r\n")), 400) << bad;
  }
}

TEST(IcapProtocol, OffsetsThatDoNotMatchTheHeadersTheyNameAreRefused) {
  const std::string heads = kReqHdr + kResHdr;
  // The response header said to start 2 bytes early: neither part ends with its empty line there.
  const std::string shifted = "req-hdr=0, res-hdr=" + std::to_string(kReqHdr.size() - 2) + ", res-body=" + std::to_string(heads.size());
  auto r = read_one(respmod("", shifted, heads + "0\r\n\r\n"));
  ASSERT_FALSE(r);
  EXPECT_EQ(status_of(r.error()), 400);
  EXPECT_NE(r.error().message.find("offsets do not match"), std::string::npos) << r.error().to_string();
  // A body offset past the headers swallows body bytes into a header.
  const std::string late = "req-hdr=0, res-hdr=" + std::to_string(kReqHdr.size()) + ", res-body=" + std::to_string(heads.size() + 3);
  EXPECT_EQ(status_for(respmod("", late, heads + "5\r\nhello\r\n0\r\n\r\n")), 400);
  // Two heads in one part (a smuggled second response header).
  const std::string two = kResHdr + kResHdr;
  EXPECT_EQ(status_for(respmod("", "res-hdr=0, res-body=" + std::to_string(two.size()), two + "0\r\n\r\n")), 400);
}

TEST(IcapProtocol, HeadsOverTheLimitAreRefusedBeforeTheyAreRead) {
  Limits small;
  small.max_head_bytes = 256;
  const std::string huge_field = "X-Pad: " + std::string(1000, 'a') + "\r\n";
  EXPECT_EQ(status_for(respmod(huge_field, "null-body=0", ""), small), 400) << "the ICAP head";
  auto r = read_one(respmod("", "res-hdr=0, res-body=100000", "HTTP/1.1 200 OK\r\n"), SIZE_MAX, small);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "icap.too-large") << "HTTP headers claimed beyond the limit are not waited for";
  // A head that never ends is refused once the limit has passed, not read forever.
  EXPECT_EQ(status_for("OPTIONS icap://h/respmod ICAP/1.0\r\nHost: h\r\n" + std::string(100000, 'x'), small), 400);
}

TEST(IcapProtocol, MalformedHeadLinesAreRefused) {
  const std::string enc = "Encapsulated: null-body=0\r\n";
  EXPECT_EQ(status_for("OPTIONS icap://h/respmod ICAP/1.0\nHost: h\r\n\r\n"), 400) << "bare LF";
  EXPECT_EQ(status_for("OPTIONS icap://h/respmod ICAP/1.0\r\nHost: h\r\n X-Folded: y\r\n\r\n"), 400) << "obs-fold";
  EXPECT_EQ(status_for("OPTIONS icap://h/respmod ICAP/1.0\r\nHost : h\r\n\r\n"), 400) << "space before the colon";
  EXPECT_EQ(status_for("OPTIONS icap://h/respmod ICAP/1.0\r\nHost: h\r\nX: a\x01" "b\r\n\r\n"), 400) << "a control byte";
  EXPECT_EQ(status_for("OPTIONS icap://h/respmod ICAP/1.0\r\n\r\n"), 400) << "no Host";
  EXPECT_EQ(status_for("OPTIONS icap://h/respmod ICAP/1.0\r\nHost: h\r\nHost: i\r\n\r\n"), 400) << "two Hosts";
  EXPECT_EQ(status_for("OPTIONS  icap://h/respmod ICAP/1.0\r\nHost: h\r\n\r\n"), 400) << "two spaces";
  EXPECT_EQ(status_for("OPTIONS http://h/respmod ICAP/1.0\r\nHost: h\r\n\r\n"), 400) << "not icap://";
  EXPECT_EQ(status_for("OPTIONS icap://h/../etc ICAP/1.0\r\nHost: h\r\n\r\n"), 400) << "a path, not a service";
  EXPECT_EQ(status_for("GET icap://h/respmod ICAP/1.0\r\nHost: h\r\n\r\n"), 501);
  EXPECT_EQ(status_for("OPTIONS icap://h/respmod ICAP/2.0\r\nHost: h\r\n\r\n"), 505);
  EXPECT_EQ(status_for("OPTIONS icap://h/respmod ICAP/1.0\r\nHost: h\r\nPreview: -1\r\n" + enc + "\r\n"), 400) << "Preview";
  EXPECT_EQ(status_for("OPTIONS icap://h/respmod ICAP/1.0\r\nHost: h\r\nEncapsulated: opt-body=0\r\n\r\n"), 400) << "an OPTIONS body";
  EXPECT_EQ(status_for("OPTIONS icap://h/respmod ICAP/1.0\r\nHost: h\r\n" + enc + enc + "\r\n"), 400) << "two Encapsulated";
  EXPECT_EQ(status_for("OPTIONS icap://h/respmod ICAP/1.0\r\nHost: h\r\n" + enc + "\r\n"), 200);
}

TEST(IcapProtocol, EncapsulatedHttpHeadsAreReadStrictly) {
  auto head = [](const std::string& h) { return respmod("", "res-hdr=0, res-body=" + std::to_string(h.size()), h + "0\r\n\r\n"); };
  EXPECT_EQ(status_for(head("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")), 200);
  EXPECT_EQ(status_for(head("HTTP/1.1 200\r\n\r\n")), 200) << "an empty reason phrase";
  EXPECT_EQ(status_for(head("HTTP/1.1 2000 OK\r\n\r\n")), 400);
  EXPECT_EQ(status_for(head("HTTP/1.1 OK\r\n\r\n")), 400);
  EXPECT_EQ(status_for(head("ICAP/1.0 200 OK\r\n\r\n")), 400);
  EXPECT_EQ(status_for(head("HTTP/1.1 200 OK\r\nContent Type: x\r\n\r\n")), 400);
  EXPECT_EQ(status_for(head("HTTP/1.1 200 OK\r\nX: y\rZ: w\r\n\r\n")), 400) << "a bare CR splits differently elsewhere";
}

Result<BodyStatus> read_body(const std::string& chunks, std::string* out, std::uint64_t max = 1 << 20) {
  StringSource source(chunks);
  Reader reader(source);
  return read_chunked(reader, max, 0, [&](std::string_view p) { *out += p; });
}

TEST(IcapProtocol, BadChunkSizesAndFramingAreRefused) {
  std::string body;
  for (const std::string& bad : {
           std::string("zz\r\nhello\r\n0\r\n\r\n"),          // not hexadecimal
           std::string("-5\r\nhello\r\n0\r\n\r\n"),          // a sign
           std::string("fffffffffffffffff\r\nx\r\n0\r\n\r\n"),  // 17 digits: beyond any size
           std::string("3\r\nhello\r\n0\r\n\r\n"),           // the size is wrong: no CRLF after 3 bytes
           std::string("5 x\r\nhello\r\n0\r\n\r\n"),         // bytes after the size
           std::string("5\nhello\r\n0\r\n\r\n"),             // a bare LF
           std::string("5;\r\nhello\r\n0\r\n\r\n"),          // an empty extension
           std::string("5; ieof\r\nhello\r\n0\r\n\r\n"),     // ieof before the end
           std::string("5\r\nhello\r\n0\r\nX: trailer\r\n\r\n"),  // a trailer
           std::string("\r\nhello\r\n0\r\n\r\n"),            // no size
       }) {
    auto r = read_body(bad, &body);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(status_of(r.error()), 400) << bad;
  }
  // A stream that ends inside a body is no request at all: the connection is simply gone.
  auto cut = read_body("100\r\nhello", &body);
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code, "icap.closed");
}

TEST(IcapProtocol, TheLastChunkOfAPreviewSaysWhetherItWasAllOfTheBody) {
  std::string body;
  auto whole = read_body("5\r\nhello\r\n0; ieof\r\n\r\n", &body);
  ASSERT_TRUE(whole) << whole.error().to_string();
  EXPECT_TRUE(whole->ieof);
  auto part = read_body("5\r\nhello\r\n0\r\n\r\n", &body);
  ASSERT_TRUE(part);
  EXPECT_FALSE(part->ieof);
  auto ext = read_body("5;name=value\r\nhello\r\n0 ; IEOF\r\n\r\n", &body);
  ASSERT_TRUE(ext) << ext.error().to_string();
  EXPECT_TRUE(ext->ieof);
}

TEST(IcapProtocol, ABodyOverTheLimitIsNotReadPastTheChunkThatCrossesIt) {
  // Reading on to the end would make the proxy wait for the whole oversize body before any answer;
  // the service answers at once and closes the connection instead.
  StringSource source("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n");
  Reader reader(source);
  std::string body;
  auto r = read_chunked(reader, 7, 0, [&](std::string_view p) { body += p; });
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->over);
  EXPECT_EQ(r->bytes, 5u);
  EXPECT_EQ(body, "hello");
  auto rest = reader.read_exact(5);
  ASSERT_TRUE(rest);
  EXPECT_EQ(*rest, "world") << "the crossing chunk's data is left unread";
  // A chunk size far beyond the limit is refused before a byte of it is waited for.
  StringSource huge("fffffffffffffff\r\n");
  Reader huge_reader(huge);
  auto h = read_chunked(huge_reader, 1 << 20, 0, [&](std::string_view) { ADD_FAILURE() << "no data of an oversize chunk"; });
  ASSERT_TRUE(h) << h.error().to_string();
  EXPECT_TRUE(h->over);
  // Exactly at the limit is not over.
  std::string exact;
  auto at = read_body("5\r\nhello\r\n0\r\n\r\n", &exact, 5);
  ASSERT_TRUE(at);
  EXPECT_FALSE(at->over);
  EXPECT_EQ(exact, "hello");
}

TEST(IcapProtocol, RandomDamageToARequestNeverCrashesTheReader) {
  const std::string good = good_respmod("Preview: 4\r\n", "5\r\nhello\r\n0; ieof\r\n\r\n");
  std::mt19937 rng(20);
  for (int i = 0; i < 3000; ++i) {
    std::string bytes = good;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % bytes.size();
      switch (rng() % 3) {
        case 0: bytes[at] = static_cast<char>(rng()); break;
        case 1: bytes.erase(at, 1 + rng() % 8); break;
        default: bytes.insert(at, std::string(1 + rng() % 3, static_cast<char>(rng()))); break;
      }
      if (bytes.empty()) bytes = "x";
    }
    StringSource source(bytes, 1 + rng() % 64);
    Reader reader(source);
    auto r = read_request(reader, {});
    if (r && r->has_body) (void)read_chunked(reader, 1 << 20, 0, [](std::string_view) {});
  }
}

}  // namespace
}  // namespace sanso::icap
