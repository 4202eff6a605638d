// PPAP unlock: encrypted zip (traditional PKWARE, WinZip AES), PDF and OOXML (Agile, Standard)
// decrypted with the right password and rebuilt in the sandbox; a wrong password, a bomb or an
// encrypted archive inside, truncated packages and hostile passwords never pass anything on.
#include "cdr/unlock.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cdr/fixtures.h"
#include "cdr/internal/office_crypto.h"
#include "support/ppap.h"

namespace sanso::cdr {
namespace {

namespace fs = std::filesystem;
using sanso::testing::encrypted_zip;
using fixtures::kinds;
using fixtures::macro_docm;
using fixtures::unzip;

const fs::path kEncryptedOffice = fs::path(SANSO_SHARED_DIR) / "corpora/files/oletools/encrypted";
// The password the oletools samples named encrypted.* were saved with; the *-standardpassword
// ones use Excel's built-in "VelvetSweatshop" (a workbook protected only against writing).
constexpr const char* kCorpusPassword = "encrypted";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string plain_pdf() {
  return "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>\nendobj\n"
         "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
         "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n"
         "4 0 obj\n<< /S /JavaScript /JS (app.alert\\('ppap'\\)) >>\nendobj\n"
         "trailer\n<< /Root 1 0 R /Size 5 >>\n%%EOF\n";
}

TEST(CdrUnlock, TraditionalZipWithTheRightPasswordIsRebuiltAndAWrongOneRefused) {
  const std::string ppap = encrypted_zip({{"見積/見積書.docm", macro_docm()}, {"メモ.txt", "来週の打合せ"}}, ZIP_EM_TRAD_PKWARE, "Kyoto-2026");
  ASSERT_EQ(sanitize(ppap, "見積.zip", {}).reason, "encrypted");

  UnlockOutcome wrong = unlock_sandboxed(ppap, "見積.zip", "kyoto-2026", {});
  EXPECT_TRUE(wrong.wrong_password);
  EXPECT_EQ(wrong.result.verdict, Verdict::blocked);
  EXPECT_EQ(wrong.result.reason, "encrypted");
  EXPECT_TRUE(wrong.result.output.empty());

  UnlockOutcome right = unlock_sandboxed(ppap, "見積.zip", "Kyoto-2026", {});
  ASSERT_FALSE(right.wrong_password);
  ASSERT_EQ(right.result.verdict, Verdict::sanitized) << right.result.message;
  EXPECT_TRUE(kinds(right.result).count("vba_macro"));
  const auto members = unzip(right.result.output);
  ASSERT_TRUE(members.count("見積/見積書.docx")) << "the macro document is rebuilt macro-free";
  EXPECT_EQ(members.at("メモ.txt"), "来週の打合せ");
  for (const auto& [name, data] : unzip(members.at("見積/見積書.docx"))) EXPECT_EQ(name.find("vbaProject"), std::string::npos) << name;
  EXPECT_EQ(right.result.message.find("Kyoto"), std::string::npos);
}

// Traditional PKWARE encryption checks a password against one byte: about 1 wrong password in 256
// passes that check and decrypts to noise that the inflater or the CRC refuses. Each of those is a
// wrong password too — never a "damaged" file, which would end the sender's attempts for good.
TEST(CdrUnlock, EveryWrongPkwarePasswordIsWrongEvenWhenItPassesTheOneByteCheck) {
  const std::string ppap = encrypted_zip({{"a.txt", std::string(5000, 'x') + "end"}}, ZIP_EM_TRAD_PKWARE, "right");
  const CdrPolicy policy;
  for (int i = 0; i < 600; ++i) {
    std::vector<Finding> findings;
    std::uint64_t expanded = 0;
    internal::Context ctx{policy, findings, expanded, 0, ""};
    auto zip = internal::ZipReader::open(ppap, ctx);
    ASSERT_TRUE(zip);
    const std::string guess = "guess-" + std::to_string(i);
    auto read = (*zip)->read((*zip)->entries().front(), ctx, guess.c_str());
    ASSERT_FALSE(read) << guess;
    EXPECT_EQ(read.error().code, "unlock.password") << guess << ": " << read.error().to_string();
  }
}

TEST(CdrUnlock, WinZipAesZipIsUnlocked) {
  const std::string ppap = encrypted_zip({{"名簿.csv", "氏名,所属\n山田,総務課\n=cmd|' /C calc'!A0,x\n"}}, ZIP_EM_AES_256, "長いパスワード 2026!");
  UnlockOutcome wrong = unlock_sandboxed(ppap, "名簿.zip", "長いパスワード 2025!", {});
  EXPECT_TRUE(wrong.wrong_password);
  UnlockOutcome right = unlock_sandboxed(ppap, "名簿.zip", "長いパスワード 2026!", {});
  ASSERT_EQ(right.result.verdict, Verdict::sanitized) << right.result.message;
  EXPECT_TRUE(kinds(right.result).count("formula_injection"));
  EXPECT_NE(unzip(right.result.output).at("名簿.csv").find("'=cmd"), std::string::npos);
  EXPECT_TRUE(right.decrypted.empty()) << "the decrypted file leaves the sandbox only when asked for (clamd)";
  UnlockOutcome for_clamd = unlock_sandboxed(ppap, "名簿.zip", "長いパスワード 2026!", {}, true);
  ASSERT_EQ(for_clamd.result.verdict, Verdict::sanitized) << for_clamd.result.message;
  EXPECT_EQ(unzip(for_clamd.decrypted).at("名簿.csv").substr(0, 6), "氏名") << "the plain zip, as clamd must see it";
}

TEST(CdrUnlock, ABombInsideAnEncryptedZipStaysABomb) {
  const std::string zeros(std::size_t{64} << 20, '\0');
  const std::string ppap = encrypted_zip({{"zeros.txt", zeros}}, ZIP_EM_AES_128, "bomb");
  UnlockOutcome r = unlock_sandboxed(ppap, "bomb.zip", "bomb", {});
  EXPECT_FALSE(r.wrong_password);
  EXPECT_EQ(r.result.verdict, Verdict::blocked);
  EXPECT_EQ(r.result.reason, "limit") << r.result.message;
}

TEST(CdrUnlock, AnEncryptedZipInsideStaysBlockedAsEncrypted) {
  const std::string inner = encrypted_zip({{"secret.txt", "個人情報"}}, ZIP_EM_TRAD_PKWARE, "same");
  const std::string outer = encrypted_zip({{"inner.zip", inner}}, ZIP_EM_TRAD_PKWARE, "same");
  UnlockOutcome r = unlock_sandboxed(outer, "outer.zip", "same", {});
  EXPECT_FALSE(r.wrong_password);
  EXPECT_EQ(r.result.verdict, Verdict::blocked);
  EXPECT_EQ(r.result.reason, "encrypted") << "the password opens one level only: " << r.result.message;
  EXPECT_TRUE(r.result.output.empty());
}

TEST(CdrUnlock, ATruncatedEncryptedZipIsBlockedNotPassed) {
  const std::string ppap = encrypted_zip({{"a.txt", std::string(200000, 'a') + "end"}}, ZIP_EM_AES_256, "pw");
  UnlockOutcome r = unlock_sandboxed(ppap.substr(0, ppap.size() / 2), "cut.zip", "pw", {});
  EXPECT_EQ(r.result.verdict, Verdict::blocked);
  EXPECT_TRUE(r.result.output.empty());
}

TEST(CdrUnlock, HostilePasswordsAreRefusedBeforeAnyAttempt) {
  EXPECT_FALSE(check_password(""));
  EXPECT_FALSE(check_password(std::string("right\0wrong", 11))) << "a NUL would cut the password short for libzip and qpdf";
  EXPECT_FALSE(check_password("tab\there"));
  EXPECT_FALSE(check_password(std::string(kMaxPasswordBytes + 1, 'a')));
  EXPECT_FALSE(check_password("\xff\xfe"));
  EXPECT_TRUE(check_password(std::string(kMaxPasswordBytes, 'a')));
  EXPECT_TRUE(check_password("パスワード 2026"));
  // "right" followed by a NUL and more is not "right".
  const std::string ppap = encrypted_zip({{"a.txt", "a"}}, ZIP_EM_TRAD_PKWARE, "right");
  UnlockOutcome r = unlock_sandboxed(ppap, "a.zip", std::string("right\0more", 10), {});
  EXPECT_EQ(r.result.verdict, Verdict::blocked);
  EXPECT_TRUE(r.result.output.empty());
  UnlockOutcome very_long = unlock_sandboxed(ppap, "a.zip", std::string(1 << 20, 'x'), {});
  EXPECT_EQ(very_long.result.verdict, Verdict::blocked);
}

TEST(CdrUnlock, PdfWithAUserPasswordIsUnlockedAndDisarmed) {
  const std::string locked = sanso::testing::encrypted_pdf(plain_pdf(), "ppap-pdf");
  ASSERT_EQ(sanitize(locked, "請求書.pdf", {}).reason, "encrypted");
  UnlockOutcome wrong = unlock_sandboxed(locked, "請求書.pdf", "ppap-PDF", {});
  EXPECT_TRUE(wrong.wrong_password);
  UnlockOutcome right = unlock_sandboxed(locked, "請求書.pdf", "ppap-pdf", {});
  ASSERT_EQ(right.result.verdict, Verdict::sanitized) << right.result.message;
  EXPECT_TRUE(kinds(right.result).count("pdf_javascript"));
  EXPECT_EQ(right.result.output.find("/Encrypt"), std::string::npos);
  EXPECT_TRUE(internal::pdf_active_content(right.result.output).empty());
}

TEST(CdrUnlock, FormatsThatCannotBeUnlockedSayWhy) {
  UnlockOutcome text = unlock_sandboxed("just text", "a.txt", "pw", {});
  EXPECT_EQ(text.result.verdict, Verdict::blocked);
  EXPECT_EQ(text.result.reason, "unsupported");
  if (!fs::exists(kEncryptedOffice)) GTEST_SKIP() << "no encrypted Office samples at " << kEncryptedOffice << " (../shared/corpora absent)";
  UnlockOutcome doc = unlock_sandboxed(read_file(kEncryptedOffice / "encrypted.doc"), "encrypted.doc", kCorpusPassword, {});
  EXPECT_EQ(doc.result.verdict, Verdict::blocked);
  EXPECT_EQ(doc.result.reason, "unsupported") << doc.result.message;
  EXPECT_NE(doc.result.message.find("RC4"), std::string::npos);
}

TEST(CdrUnlock, EncryptedOoxmlFromOfficeIsDecryptedAndRebuilt) {
  if (!fs::exists(kEncryptedOffice)) GTEST_SKIP() << "no encrypted Office samples at " << kEncryptedOffice << " (../shared/corpora absent)";
  for (const char* name : {"encrypted.docx", "encrypted.xlsx", "encrypted.pptx", "encrypted.docm", "encrypted.xlsm", "encrypted.pptm"}) {
    SCOPED_TRACE(name);
    const std::string bytes = read_file(kEncryptedOffice / name);
    ASSERT_EQ(sanitize(bytes, name, {}).reason, "encrypted");
    UnlockOutcome wrong = unlock_sandboxed(bytes, name, "not-the-password", {});
    EXPECT_TRUE(wrong.wrong_password);
    UnlockOutcome right = unlock_sandboxed(bytes, name, kCorpusPassword, {});
    EXPECT_FALSE(right.wrong_password);
    EXPECT_NE(right.result.verdict, Verdict::blocked) << right.result.message;
    EXPECT_TRUE(internal::package_active_content(right.result.output).empty());
  }
  const std::string dde = read_file(kEncryptedOffice / "dde-test-encrypt-standardpassword.xlsx");
  UnlockOutcome velvet = unlock_sandboxed(dde, "dde.xlsx", "VelvetSweatshop", {});
  ASSERT_NE(velvet.result.verdict, Verdict::blocked) << velvet.result.message;
  EXPECT_TRUE(internal::package_active_content(velvet.result.output).empty());
}

// A document with ECMA-376 Standard encryption (Office 2007: SHA-1 spun 50,000 times, AES-128-ECB),
// written as [MS-OFFCRYPTO] 2.3.4.5–2.3.4.9 says; no Standard-encrypted sample is in the corpus.
std::string standard_encrypted(const std::string& package, const std::string& password) {
  auto sha1 = [](const std::string& a, const std::string& b = "") {
    std::string out(20, '\0');
    EVP_MD_CTX* c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha1(), nullptr);
    EVP_DigestUpdate(c, a.data(), a.size());
    EVP_DigestUpdate(c, b.data(), b.size());
    EVP_DigestFinal_ex(c, reinterpret_cast<unsigned char*>(out.data()), nullptr);
    EVP_MD_CTX_free(c);
    return out;
  };
  auto le32 = [](std::uint32_t v) { return std::string{static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16), static_cast<char>(v >> 24)}; };
  std::string utf16;
  for (char c : password) utf16 += std::string{c, '\0'};  // ASCII passwords only here
  const std::string salt = "0123456789abcdef";
  std::string h = sha1(salt, utf16);
  for (std::uint32_t i = 0; i < 50000; ++i) h = sha1(le32(i), h);
  const std::string final_hash = sha1(h, le32(0));
  std::string b1(64, '\x36'), b2(64, '\x5c');
  for (std::size_t i = 0; i < 20; ++i) {
    b1[i] = static_cast<char>(b1[i] ^ final_hash[i]);
    b2[i] = static_cast<char>(b2[i] ^ final_hash[i]);
  }
  const std::string key = (sha1(b1) + sha1(b2)).substr(0, 16);
  auto ecb = [&](std::string data) {
    data.resize((data.size() + 15) / 16 * 16, '\0');
    std::string out(data.size() + 16, '\0');
    int n = 0, tail = 0;
    EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
    EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), nullptr, reinterpret_cast<const unsigned char*>(key.data()), nullptr);
    EVP_CIPHER_CTX_set_padding(c, 0);
    EVP_EncryptUpdate(c, reinterpret_cast<unsigned char*>(out.data()), &n, reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
    EVP_EncryptFinal_ex(c, reinterpret_cast<unsigned char*>(out.data()) + n, &tail);
    EVP_CIPHER_CTX_free(c);
    out.resize(static_cast<std::size_t>(n + tail));
    return out;
  };
  const std::string verifier = "verifier-16bytes";
  std::string header = le32(0x24) + le32(0) + le32(0x660E) + le32(0x8004) + le32(128) + le32(0x18) + le32(0) + le32(0);
  for (char c : std::string("Microsoft Enhanced RSA and AES Cryptographic Provider")) header += std::string{c, '\0'};
  header += std::string(2, '\0');
  const std::string info = std::string("\x03\x00\x02\x00", 4) + le32(0x24) + le32(static_cast<std::uint32_t>(header.size())) + header + le32(16) + salt +
                           ecb(verifier) + le32(20) + ecb(sha1(verifier));
  std::string size(8, '\0');
  for (int i = 0; i < 8; ++i) size[static_cast<std::size_t>(i)] = static_cast<char>((package.size() >> (8 * i)) & 0xFF);
  return fixtures::compound_file({{"EncryptionInfo", info}, {"EncryptedPackage", size + ecb(package)}});
}

TEST(CdrUnlock, StandardEncryptionFromOffice2007IsDecryptedToo) {
  const std::string locked = standard_encrypted(macro_docm(), "Office2007");
  ASSERT_EQ(sanitize(locked, "議事録.docm", {}).reason, "encrypted");
  EXPECT_TRUE(unlock_sandboxed(locked, "議事録.docm", "office2007", {}).wrong_password);
  UnlockOutcome right = unlock_sandboxed(locked, "議事録.docm", "Office2007", {});
  ASSERT_EQ(right.result.verdict, Verdict::sanitized) << right.result.message;
  EXPECT_TRUE(kinds(right.result).count("vba_macro"));
  EXPECT_EQ(right.result.output_name, "議事録.docx");
}

TEST(CdrUnlock, TruncatedOrDamagedEncryptedPackagesAreBlocked) {
  if (!fs::exists(kEncryptedOffice)) GTEST_SKIP() << "no encrypted Office samples at " << kEncryptedOffice << " (../shared/corpora absent)";
  auto streams = fixtures::compound_file_streams(read_file(kEncryptedOffice / "encrypted.docx"));
  for (auto& [path, data] : streams) {
    if (path == "EncryptedPackage") data.resize(data.size() / 3);
  }
  UnlockOutcome cut = unlock_sandboxed(fixtures::compound_file(streams), "cut.docx", kCorpusPassword, {});
  EXPECT_FALSE(cut.wrong_password);
  EXPECT_EQ(cut.result.verdict, Verdict::blocked);
  EXPECT_EQ(cut.result.reason, "malformed") << cut.result.message;
}

TEST(CdrUnlock, EncryptionInfoParserRefusesWhatItCannotVouchFor) {
  EXPECT_EQ(internal::parse_encryption_info("").error().code, "cdr.malformed");
  // RC4 CryptoAPI (version 3.2 with RC4) and Office binary RC4 (1.1).
  EXPECT_EQ(internal::parse_encryption_info(std::string("\x01\x00\x01\x00\x00\x00\x00\x00", 8)).error().code, "cdr.unsupported");
  const std::string agile_header("\x04\x00\x04\x00\x40\x00\x00\x00", 8);
  EXPECT_EQ(internal::parse_encryption_info(agile_header + "<not xml").error().code, "cdr.malformed");
  const std::string dtd = agile_header + "<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY a \"aaaa\">]><encryption/>";
  EXPECT_FALSE(internal::parse_encryption_info(dtd));
  const std::string cfb_spin = agile_header +
                               R"(<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption" xmlns:p="http://schemas.microsoft.com/office/2006/keyEncryptor/password">)"
                               R"(<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" cipherChaining="ChainingModeCFB" hashAlgorithm="SHA512" saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/></encryption>)";
  EXPECT_EQ(internal::parse_encryption_info(cfb_spin).error().code, "cdr.unsupported");
}

}  // namespace
}  // namespace sanso::cdr
