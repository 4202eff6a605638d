// A compressed download is decoded as a browser decodes it, and every reading two decoders could
// disagree on (bytes after the stream, a second member, a truncated stream) is an error.
#include "icap/content_coding.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "icap/icap.h"
#include "sandbox/sandbox.h"
#include "support/compress.h"

namespace sanso::icap {
namespace {

using sanso::testing::brotli_compressed;
using sanso::testing::deflated;
using sanso::testing::gzipped;
using sanso::testing::zstd_compressed;

constexpr std::size_t kMiB = std::size_t{1} << 20;

std::string sample() {
  std::string s = "番号,氏名,式\n";
  for (int i = 0; i < 2000; ++i) s += std::to_string(i) + ",山田 太郎,=1+" + std::to_string(i) + "\n";
  return s;
}

std::vector<ContentCoding> codings_of(const std::string& value) {
  auto c = content_codings({value});
  EXPECT_TRUE(c) << value << ": " << c.error().to_string();
  return c ? *c : std::vector<ContentCoding>{};
}

TEST(ContentCoding, EveryCodingABrowserAcceptsIsRemovedLastAppliedFirst) {
  const std::string file = sample();
  EXPECT_EQ(decode_content(gzipped(file), codings_of("gzip"), kMiB).value(), file);
  EXPECT_EQ(decode_content(gzipped(file), codings_of("X-GZIP"), kMiB).value(), file);
  EXPECT_EQ(decode_content(deflated(file, 15), codings_of("deflate"), kMiB).value(), file) << "zlib-wrapped, as RFC 9110 says";
  EXPECT_EQ(decode_content(deflated(file, -15), codings_of("deflate"), kMiB).value(), file) << "raw, as some servers send";
  EXPECT_EQ(decode_content(brotli_compressed(file), codings_of("br"), kMiB).value(), file);
  EXPECT_EQ(decode_content(zstd_compressed(file), codings_of("zstd"), kMiB).value(), file);
  // Applied in the order listed: gzip first, then br — so br comes off first.
  EXPECT_EQ(decode_content(brotli_compressed(gzipped(file)), codings_of("gzip , BR"), kMiB).value(), file);
  auto two_fields = content_codings({"gzip", "zstd"});
  ASSERT_TRUE(two_fields);
  EXPECT_EQ(decode_content(zstd_compressed(gzipped(file)), *two_fields, kMiB).value(), file);
  EXPECT_TRUE(codings_of("identity").empty());
  EXPECT_EQ(decode_content("", {}, kMiB).value(), "");
}

TEST(ContentCoding, WhatTwoDecodersCouldReadDifferentlyIsRefused) {
  const std::string file = sample();
  // A second gzip member: some readers stop after the first, others go on.
  auto two_members = decode_content(gzipped(file) + gzipped("MZ evil"), codings_of("gzip"), kMiB);
  ASSERT_FALSE(two_members);
  EXPECT_EQ(two_members.error().code, "icap.content-coding");
  EXPECT_NE(two_members.error().message.find("after the end"), std::string::npos) << two_members.error().message;
  EXPECT_FALSE(decode_content(gzipped(file) + "junk", codings_of("gzip"), kMiB));
  EXPECT_FALSE(decode_content(deflated(file, 15) + "junk", codings_of("deflate"), kMiB));
  EXPECT_FALSE(decode_content(brotli_compressed(file) + "junk", codings_of("br"), kMiB));
  EXPECT_FALSE(decode_content(zstd_compressed(file) + zstd_compressed("MZ"), codings_of("zstd"), kMiB)) << "a second zstd frame";
  // Truncated streams: what the browser would save is not known.
  for (const std::string& whole : {gzipped(file), deflated(file, 15), brotli_compressed(file), zstd_compressed(file)}) {
    const std::string coding = whole == gzipped(file) ? "gzip" : whole == deflated(file, 15) ? "deflate" : whole == brotli_compressed(file) ? "br" : "zstd";
    auto cut = decode_content(whole.substr(0, whole.size() / 2), codings_of(coding), kMiB);
    ASSERT_FALSE(cut) << coding;
    EXPECT_EQ(cut.error().code, "icap.content-coding") << coding;
  }
  EXPECT_FALSE(decode_content("plain text, not gzip", codings_of("gzip"), kMiB));
  EXPECT_FALSE(decode_content("plain text, not brotli", codings_of("br"), kMiB));
  // Codings not decoded here, and nesting no server applies.
  for (const char* value : {"compress", "x-compress", "exi", "gzip, pack200-gzip", "gzip;q=1"}) {
    auto c = content_codings({value});
    ASSERT_FALSE(c) << value;
    EXPECT_EQ(c.error().code, "icap.content-coding");
  }
  EXPECT_FALSE(content_codings({"gzip, gzip, gzip, gzip, gzip"}));
  // "identity" beside a coding: Chrome stops at it and hands on the raw bytes, others decode.
  for (const std::vector<std::string>& fields : std::vector<std::vector<std::string>>{{"identity, gzip"}, {"gzip, identity"}, {"identity", "br"}}) {
    auto c = content_codings(fields);
    ASSERT_FALSE(c) << fields.front();
    EXPECT_EQ(c.error().code, "icap.content-coding");
  }
}

// What a page's first bytes decode to, from a preview that ends mid-stream; a corrupt stream is
// still an error, and only the last layer's output is cut to the length wanted.
TEST(ContentCoding, APrefixIsDecodedFromAPreviewCutMidStream) {
  const std::string file = sample();
  for (const auto& [coding, body] : std::vector<std::pair<std::string, std::string>>{
           {"gzip", gzipped(file)}, {"deflate", deflated(file, 15)}, {"br", brotli_compressed(file)}, {"zstd", zstd_compressed(file)}}) {
    auto head = decode_prefix(std::string_view(body).substr(0, body.size() / 2), codings_of(coding), 1024);
    ASSERT_TRUE(head) << coding << ": " << head.error().to_string();
    // zstd hands out a block only once it is whole: from half of a one-block stream, nothing yet.
    if (coding == "zstd") {
      EXPECT_TRUE(file.compare(0, head->size(), *head) == 0) << "what it gives is the file's beginning";
    } else {
      EXPECT_TRUE(*head == file.substr(0, 1024)) << coding << ": " << head->size() << " bytes";
    }
  }
  // Formats with a magic number say at once that bytes are not theirs (brotli has none: garbage
  // may read as a stream not yet complete, and then yields nothing).
  for (const char* coding : {"gzip", "zstd"}) {
    EXPECT_FALSE(decode_prefix("not compressed at all, but long enough to be read as a stream", codings_of(coding), 1024)) << coding;
  }
  auto two = decode_prefix(brotli_compressed(gzipped(file)), codings_of("gzip, br"), 100);
  ASSERT_TRUE(two) << two.error().to_string();
  EXPECT_TRUE(*two == file.substr(0, 100)) << two->size() << " bytes";
  sandbox::ForkPerJob decoder(decoding_task(kMiB));
  auto sandboxed = decoder.run(decoding_request(codings_of("gzip"), std::string_view(gzipped(file)).substr(0, 400), 64));
  ASSERT_TRUE(sandboxed) << sandboxed.error().to_string();
  EXPECT_TRUE(*sandboxed == file.substr(0, 64)) << sandboxed->size() << " bytes";
  EXPECT_FALSE(decoder.run("prefix=x gzip,\n"));
}

TEST(ContentCoding, ABombStopsAtTheLimitInEveryCoding) {
  const std::string zeros(64 * kMiB, '\0');
  for (const auto& [coding, body] : std::vector<std::pair<std::string, std::string>>{
           {"gzip", gzipped(zeros)}, {"deflate", deflated(zeros, -15)}, {"br", brotli_compressed(zeros)}, {"zstd", zstd_compressed(zeros)}}) {
    ASSERT_LT(body.size(), kMiB) << coding << ": the bomb is small";
    auto r = decode_content(body, codings_of(coding), kMiB);
    ASSERT_FALSE(r) << coding;
    EXPECT_EQ(r.error().code, "icap.content-limit") << coding << ": " << r.error().to_string();
  }
  // Under the limit, but past 8 MiB a hundred times its compressed size: made to be large.
  auto ratio = decode_content(gzipped(std::string(9 * kMiB, 'x')), codings_of("gzip"), 100 * kMiB);
  ASSERT_FALSE(ratio);
  EXPECT_EQ(ratio.error().code, "icap.content-limit");
  EXPECT_NE(ratio.error().message.find("bomb"), std::string::npos) << ratio.error().message;
  // Exactly at the limit is still a file.
  EXPECT_EQ(decode_content(gzipped(std::string(kMiB, 'a')), codings_of("gzip"), kMiB).value().size(), kMiB);
}

// Through the sandbox as `sanso icap` runs it: the request's framing, and an error that crosses back
// with its code (a bomb is told from a corrupt stream).
// This process's resident memory in KiB: now ("VmRSS:"), or its peak ("VmHWM:").
long resident_kib(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + key.size());
  }
  return -1;
}

// The decoded file is held once while it is decoded: it is not grown by copying itself (a string
// doubling its room, each old buffer beside the new), so a download of the limit does not need
// twice the limit, and a layer's output is written into room the layer before it left.
TEST(ContentCoding, ADecodedFileIsHeldOnceWhileItIsDecoded) {
  // Just past a power of two, where growing by doubling costs the most: 17 MiB of text that
  // compresses about 2:1 (no bomb).
  std::string file(17 * kMiB, '\0');
  std::uint32_t lcg = 7;
  for (char& c : file) {
    lcg = lcg * 1103515245u + 12345u;
    c = static_cast<char>('a' + (lcg >> 16) % 16);
  }
  for (const std::string coding : {"gzip", "deflate, gzip"}) {
    const std::string body = coding == "gzip" ? gzipped(file) : gzipped(deflated(file, 15));
    // The peak counts from here (Linux: "5" resets VmHWM to the present size).
    std::ofstream("/proc/self/clear_refs") << "5";
    const long before = resident_kib("VmRSS:");
    ASSERT_GT(before, 0);
    {
      auto decoded = decode_content(body, codings_of(coding), 20 * kMiB);
      ASSERT_TRUE(decoded) << decoded.error().to_string();
      ASSERT_EQ(decoded->size(), file.size());
    }
    const double grown = static_cast<double>(resident_kib("VmHWM:") - before) * 1024.0;
    // One layer: the file once. Two: the inner layer's output (about half of it) besides.
    const double most = coding == "gzip" ? 1.3 : 1.9;
    EXPECT_LT(grown, most * static_cast<double>(file.size())) << coding << ": the peak grew by " << grown / kMiB << " MiB for a " << file.size() / kMiB << " MiB file";
  }
}

TEST(ContentCoding, TheSandboxedDecoderAnswersWithTheFileOrWhy) {
  sandbox::ForkPerJob decoder(decoding_task(kMiB));
  const std::string file = sample();
  auto decoded = decoder.run(decoding_request(codings_of("gzip, br"), brotli_compressed(gzipped(file))));
  ASSERT_TRUE(decoded) << decoded.error().to_string();
  EXPECT_EQ(*decoded, file);
  auto bomb = decoder.run(decoding_request(codings_of("gzip"), gzipped(std::string(8 * kMiB, 'x'))));
  ASSERT_FALSE(bomb);
  EXPECT_EQ(bomb.error().code, "icap.content-limit") << bomb.error().to_string();
  auto corrupt = decoder.run(decoding_request(codings_of("zstd"), "not zstd"));
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error().code, "icap.content-coding") << corrupt.error().to_string();
  EXPECT_FALSE(decoder.run("no framing line"));
}

}  // namespace
}  // namespace sanso::icap
