// Archives: members sanitized recursively and rebuilt as zip; bombs (ratio, overlapping entries,
// depth, member count), encryption (PPAP), unsafe paths and Japanese member names.
#include <gtest/gtest.h>

#include <archive.h>
#include <archive_entry.h>
#include <zip.h>
#include <zlib.h>

#include "cdr/fixtures.h"
#include "support/ppap.h"

namespace sanso::cdr {
namespace {

using fixtures::kinds;
using fixtures::make_zip;
using fixtures::raw_zip;
using fixtures::unzip;

using fixtures::libarchive_pack;

TEST(CdrArchive, MembersAreSanitizedAndBlockedOnesLeftOut) {
  std::string csv = "氏名,金額\n山田,=1+2\n";
  std::string zip = make_zip({{"資料/一覧.csv", csv}, {"資料/setup.exe", "MZ\x90\x00 program"}, {"readme.txt", "hello"}});
  CdrResult r = sanitize(zip, "資料.zip", {});
  ASSERT_EQ(r.verdict, Verdict::sanitized) << r.message;
  auto k = kinds(r);
  EXPECT_TRUE(k.count("formula_injection"));
  EXPECT_TRUE(k.count("executable"));
  auto members = unzip(r.output);
  EXPECT_EQ(members.size(), 2u);
  EXPECT_FALSE(members.count("資料/setup.exe"));
  EXPECT_EQ(members["資料/一覧.csv"], "氏名,金額\n山田,'=1+2\n");
  bool located = false;
  for (const auto& f : r.findings) located = located || (f.kind == FindingKind::kFormulaInjection && f.location.rfind("資料/一覧.csv!", 0) == 0);
  EXPECT_TRUE(located) << "findings inside members name the member";
}

// A gzip of zeros: libarchive reads the zeros as an empty tar (a zero block ends a tar), so
// nothing came out, and an empty zip was delivered as "sanitized".
std::string gzip_of_zeros(std::size_t megabytes) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  std::string zeros(std::size_t{1} << 20, '\0'), out, buf(std::size_t{1} << 16, '\0');
  for (std::size_t i = 0; i <= megabytes; ++i) {
    z.next_in = reinterpret_cast<Bytef*>(zeros.data());
    z.avail_in = i < megabytes ? static_cast<uInt>(zeros.size()) : 0;
    const int flush = i < megabytes ? Z_NO_FLUSH : Z_FINISH;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf.data());
      z.avail_out = static_cast<uInt>(buf.size());
      deflate(&z, flush);
      out.append(buf.data(), buf.size() - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return out;
}

TEST(CdrArchive, NothingOutOfSomethingIsAnErrorNotAnEmptyZip) {
  for (std::size_t mb : {std::size_t{1}, std::size_t{300}}) {
    const std::string gz = gzip_of_zeros(mb);
    CdrResult r = sanitize(gz, "zeros.gz", {});
    EXPECT_EQ(r.verdict, Verdict::blocked) << mb << " MiB";
    EXPECT_TRUE(r.reason == "malformed" || r.reason == "limit") << r.reason;
    EXPECT_TRUE(r.output.empty());
  }
  // An archive of no files, or of nothing but links, delivers nothing either.
  EXPECT_EQ(sanitize(std::string("PK\x05\x06", 4) + std::string(18, '\0'), "empty.zip", {}).verdict, Verdict::blocked);
  EXPECT_EQ(sanitize(libarchive_pack("gnutar", nullptr, {}), "empty.tar", {}).verdict, Verdict::blocked);
  // HTML that is all markup: converted to text, nothing is left.
  CdrResult markup = sanitize("<html><head><title></title></head><body><!-- nothing --></body></html>", "a.html", {});
  EXPECT_EQ(markup.verdict, Verdict::blocked);
  EXPECT_EQ(markup.reason, "malformed");
}

TEST(CdrArchive, CompressionRatioBombIsBlocked) {
  std::string zip = raw_zip({{"zeros.txt", std::string(std::size_t{50} << 20, '0'), true}});
  CdrResult r = sanitize(zip, "bomb.zip", {});
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "limit");
}

TEST(CdrArchive, OverlappingEntriesBombIsBlocked) {
  // 200 directory entries share one 1 MiB deflated member: 200 MiB from a few kilobytes.
  std::string zip = raw_zip({{"kernel.txt", std::string(std::size_t{1} << 20, 'A'), true}}, 200);
  CdrResult r = sanitize(zip, "overlap.zip", {});
  EXPECT_EQ(r.verdict, Verdict::blocked) << "verdict " << to_string(r.verdict);
  EXPECT_TRUE(r.reason == "limit" || r.reason == "malformed") << r.reason;
}

TEST(CdrArchive, NestingFiftyDeepIsBlocked) {
  std::string inner = "deep";
  for (int i = 0; i < 50; ++i) inner = make_zip({{"level" + std::to_string(i) + (i == 0 ? ".txt" : ".zip"), inner}});
  CdrResult r = sanitize(inner, "deep.zip", {});
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "limit");
}

TEST(CdrArchive, TenThousandMembersAreHandledAndOneMoreThanTheLimitIsBlocked) {
  fixtures::Parts parts;
  for (int i = 0; i < 10000; ++i) parts.push_back({"f" + std::to_string(i) + ".txt", "x"});
  std::string zip = make_zip(parts);
  CdrResult ok = sanitize(zip, "many.zip", {});
  EXPECT_EQ(ok.verdict, Verdict::clean) << ok.message;
  CdrPolicy tight;
  tight.max_members = 9999;
  CdrResult over = sanitize(zip, "many.zip", tight);
  EXPECT_EQ(over.verdict, Verdict::blocked);
  EXPECT_EQ(over.reason, "limit");
}

TEST(CdrArchive, EncryptedZipIsBlockedAsEncrypted) {
  const std::string bytes = sanso::testing::encrypted_zip({{"secret.txt", "個人情報"}}, ZIP_EM_AES_256, "password");
  CdrResult r = sanitize(bytes, "PPAP.zip", {});
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "encrypted");
}

TEST(CdrArchive, Cp932NamesBecomeUtf8AndUnsafePathsAreCorrected) {
  // "報告書.txt" in CP932, stored without the UTF-8 flag as Japanese Windows writes it.
  std::string cp932_name = "\x95\xF1\x8D\x90\x8F\x91.txt";
  std::string zip = raw_zip({{cp932_name, "内容"}, {"../../etc/evil.txt", "x"}, {"C:\\Windows\\a.txt", "y"}, {"名簿.txt", "z", false, true}});
  CdrResult r = sanitize(zip, "報告.zip", {});
  ASSERT_NE(r.verdict, Verdict::blocked) << r.message;
  auto members = unzip(r.output);
  EXPECT_TRUE(members.count("報告書.txt"));
  EXPECT_TRUE(members.count("etc/evil.txt"));
  EXPECT_TRUE(members.count("Windows/a.txt"));
  EXPECT_TRUE(members.count("名簿.txt"));
  EXPECT_TRUE(kinds(r).count("unsafe_path"));
}

TEST(CdrArchive, SevenZipTarGzAndLzhAreRebuiltAsZip) {
  std::string seven = libarchive_pack("7zip", nullptr, {{"a.txt", "alpha"}, {"b.csv", "=cmd"}});
  CdrResult r7 = sanitize(seven, "files.7z", {});
  ASSERT_EQ(r7.verdict, Verdict::sanitized) << r7.message;
  EXPECT_EQ(r7.output_name, "files.zip");
  EXPECT_EQ(unzip(r7.output)["b.csv"], "'=cmd");

  std::string tgz = libarchive_pack("gnutar", "gzip", {{"dir/a.txt", "alpha"}});
  CdrResult rt = sanitize(tgz, "files.tar.gz", {});
  ASSERT_EQ(rt.verdict, Verdict::sanitized) << rt.message;
  EXPECT_EQ(rt.output_name, "files.zip");
  EXPECT_EQ(unzip(rt.output)["dir/a.txt"], "alpha");

  // LZH level 0, method -lh0- (stored): the format Japanese users still send.
  std::string data = "LZH の中身";
  std::string lzh = fixtures::lzh_stored("memo.txt", data);
  CdrResult rl = sanitize(lzh, "memo.lzh", {});
  ASSERT_EQ(rl.verdict, Verdict::sanitized) << rl.message;
  EXPECT_EQ(unzip(rl.output)["memo.txt"], data);
}

TEST(CdrArchive, ArchiveOfOnlyBlockedMembersIsBlocked) {
  CdrResult r = sanitize(make_zip({{"invoice.pdf.exe", "MZ"}}), "invoice.zip", {});
  EXPECT_EQ(r.verdict, Verdict::blocked);
  EXPECT_EQ(r.reason, "executable");
}

}  // namespace
}  // namespace sanso::cdr
