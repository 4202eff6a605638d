// The upload form's body reader against hostile bodies: every limit holds at the byte that breaks
// it, a body cut anywhere is refused, header lines cannot be smuggled through a file name, and no
// temporary file outlives the reader.
#include "web/multipart.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/test_store.h"

namespace sanso::web {
namespace {

namespace fs = std::filesystem;

const std::string kBoundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
const std::string kType = "multipart/form-data; boundary=" + kBoundary;

std::string part(const std::string& disposition, const std::string& content, const std::string& extra = "") {
  return "--" + kBoundary + "\r\nContent-Disposition: " + disposition + "\r\n" + extra + "\r\n" + content + "\r\n";
}
std::string closing() { return "--" + kBoundary + "--\r\n"; }

class MultipartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sanso-multipart-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    limits_.max_file_bytes = 1000;
    limits_.max_total_bytes = 1500;
    limits_.max_files = 3;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Fed in pieces of `step` bytes (0: all at once); the error of the first refusal, if any.
  Result<MultipartForm> read(const std::string& body, std::size_t step = 0, const std::string& type = kType) {
    auto reader = SANSO_TRY(MultipartReader::open(type, limits_, dir_.string()));
    if (step == 0) step = body.size() + 1;
    for (std::size_t at = 0; at < body.size(); at += step) SANSO_TRY(reader->feed(std::string_view(body).substr(at, step)));
    return reader->finish();
  }

  fs::path dir_;
  MultipartLimits limits_;
};

TEST_F(MultipartTest, ABrowsersFormReadsTheSameWhateverPiecesItArrivesIn) {
  // Content that looks like the start of a boundary must stay content.
  const std::string tricky = "a\r\n--" + kBoundary.substr(0, 10) + "\r\n--x\r\n";
  const std::string body = part(R"(form-data; name="csrf")", "token123") + part(R"(form-data; name="recipient")", "加藤") +
                           part(R"(form-data; name="files"; filename="見積書.docm")", tricky, "Content-Type: application/octet-stream\r\n") +
                           part(R"(form-data; name="files"; filename="b.txt")", "") + closing();
  for (std::size_t step : {0, 1, 2, 3, 7, 64}) {
    auto form = read(body, step);
    ASSERT_TRUE(form) << step << ": " << form.error().to_string();
    EXPECT_EQ(form->fields.at("csrf"), "token123");
    EXPECT_EQ(form->fields.at("recipient"), "加藤");
    ASSERT_EQ(form->files.size(), 2u);
    EXPECT_EQ(form->files[0]->filename(), "見積書.docm");
    EXPECT_EQ(*form->files[0]->read_all(), tricky);
    EXPECT_EQ(form->files[1]->filename(), "b.txt");
    EXPECT_EQ(form->files[1]->size(), 0u);
  }
  // The files were unlinked at once: nothing is left in the directory, even while they are open.
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(MultipartTest, AnEmptyFileInputAddsNothingButContentWithoutANameIsRefused) {
  auto form = read(part(R"(form-data; name="csrf")", "t") + part(R"(form-data; name="files"; filename="")", "") + closing());
  ASSERT_TRUE(form) << form.error().to_string();
  EXPECT_TRUE(form->files.empty());
  auto smuggled = read(part(R"(form-data; name="files"; filename="")", "MZ") + closing());
  ASSERT_FALSE(smuggled);
  EXPECT_EQ(smuggled.error().code, "upload.malformed");
}

TEST_F(MultipartTest, ABodyCutAnywhereIsRefused) {
  const std::string body = part(R"(form-data; name="csrf")", "token") + part(R"(form-data; name="files"; filename="a.txt")", "内容") + closing();
  // Everything but the final CRLF of the epilogue is needed.
  for (std::size_t n = 0; n + 2 < body.size(); ++n) {
    auto form = read(body.substr(0, n));
    ASSERT_FALSE(form) << "accepted a body cut at byte " << n;
    EXPECT_EQ(form.error().code, "upload.malformed") << n;
  }
  EXPECT_TRUE(read(body));
}

TEST_F(MultipartTest, TheContentTypeMustNameAUsableBoundary) {
  for (const std::string& type : std::vector<std::string>{"multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"abc",
                                 "application/x-www-form-urlencoded", "multipart/mixed; boundary=abc",
                                 "multipart/form-data; boundary=" + std::string(71, 'a'), "multipart/form-data; boundary=a\x01" "b",
                                 "multipart/form-data; boundary=a; boundary=b"}) {
    auto reader = MultipartReader::open(type, limits_, dir_.string());
    ASSERT_FALSE(reader) << type;
    EXPECT_EQ(reader.error().code, "upload.malformed") << type;
  }
  EXPECT_TRUE(MultipartReader::open("Multipart/Form-Data; BOUNDARY=\"a b'c\"", limits_, dir_.string()));
}

TEST_F(MultipartTest, LimitsHoldAtTheByteThatBreaksThem) {
  // One file a byte too large: refused while it is being read, before its end arrives.
  auto reader = MultipartReader::open(kType, limits_, dir_.string());
  ASSERT_TRUE(reader);
  const std::string head = "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.bin\"\r\n\r\n";
  ASSERT_TRUE((*reader)->feed(head));
  auto fed = (*reader)->feed(std::string(1000 + 100, 'x'));  // the delimiter's length is kept back, no more
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().code, "upload.too-large");
  EXPECT_NE(fed.error().message.find("max_file_mb"), std::string::npos);

  auto file = [](int i, std::size_t n) { return part(R"(form-data; name="files"; filename="f)" + std::to_string(i) + R"(.txt")", std::string(n, 'y')); };
  auto total = read(file(1, 800) + file(2, 800) + closing());
  ASSERT_FALSE(total);
  EXPECT_EQ(total.error().code, "upload.too-large");
  EXPECT_NE(total.error().message.find("max_total_mb"), std::string::npos);
  auto count = read(file(1, 1) + file(2, 1) + file(3, 1) + file(4, 1) + closing());
  ASSERT_FALSE(count);
  EXPECT_EQ(count.error().code, "upload.too-large");
  EXPECT_TRUE(read(file(1, 1000) + file(2, 500) + closing()));  // exactly at the limits

  auto field = read(part(R"(form-data; name="reason")", std::string(4001, 'r')) + closing());
  ASSERT_FALSE(field);
  EXPECT_EQ(field.error().code, "upload.too-large");
  std::string many;
  for (int i = 0; i < 17; ++i) many += part("form-data; name=\"f" + std::to_string(i) + "\"", "v");
  auto fields = read(many + closing());
  ASSERT_FALSE(fields);
  EXPECT_EQ(fields.error().code, "upload.too-large");
  // Parts that add nothing (empty file inputs) are bounded too: a body of nothing else ends.
  std::string empties;
  for (int i = 0; i < 40; ++i) empties += part(R"(form-data; name="files"; filename="")", "");
  auto empty_parts = read(empties + closing());
  ASSERT_FALSE(empty_parts);
  EXPECT_EQ(empty_parts.error().code, "upload.too-large");
  EXPECT_NE(empty_parts.error().message.find("parts"), std::string::npos);
  std::string few;
  for (int i = 0; i < 3; ++i) few += part(R"(form-data; name="files"; filename="")", "");
  EXPECT_TRUE(read(few + file(1, 1) + closing())) << "a few unused file inputs are a normal form";
  auto headers = read("--" + kBoundary + "\r\nX-Filler: " + std::string(9000, 'h'));
  ASSERT_FALSE(headers);
  EXPECT_EQ(headers.error().code, "upload.too-large");
}

TEST_F(MultipartTest, HeaderLinesCannotBeSmuggledThroughAPartsHeaders) {
  const std::vector<std::string> hostile = {
      // A file name carrying a line break and a header of its own.
      "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\r\nContent-Type: text/html\"\r\n\r\nx\r\n" + closing(),
      // Bare LF and CR inside a header line.
      "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a\nb.txt\"\r\n\r\nx\r\n" + closing(),
      "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a\rb.txt\"\r\n\r\nx\r\n" + closing(),
      // NUL in a name.
      "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a" + std::string(1, '\0') + ".exe\"\r\n\r\nx\r\n" + closing(),
      // Two dispositions, folded lines, a second filename, filename*, no name, not form-data.
      "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\nx\r\n" + closing(),
      "--" + kBoundary + "\r\nContent-Disposition: form-data;\r\n name=\"a\"\r\n\r\nx\r\n" + closing(),
      part(R"(form-data; name="files"; filename="a.txt"; filename="b.exe")", "x") + closing(),
      part(R"(form-data; name="files"; filename*=UTF-8''a.exe)", "x") + closing(),
      part(R"(form-data; filename="a.txt")", "x") + closing(),
      part(R"(attachment; name="files"; filename="a.txt")", "x") + closing(),
      part(R"(form-data; name="files"; filename="a.txt)", "x") + closing(),
      part(R"(form-data; name="files"; filename="a.txt")", "eA==", "Content-Transfer-Encoding: base64\r\n") + closing(),
      // A field given twice, a preamble, no parts at all, junk after a boundary.
      part(R"(form-data; name="csrf")", "a") + part(R"(form-data; name="csrf")", "b") + closing(),
      "preamble\r\n" + part(R"(form-data; name="csrf")", "a") + closing(),
      closing(),
      "--" + kBoundary + "junk\r\n" + closing(),
  };
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    auto form = read(hostile[i]);
    ASSERT_FALSE(form) << "case " << i << " accepted";
    EXPECT_EQ(form.error().code, "upload.malformed") << "case " << i << ": " << form.error().to_string();
    EXPECT_FALSE(form.error().where.empty()) << i;
  }
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(MultipartTest, FileNamesAreKeptAsSentForTheServiceToJudge) {
  // Path parts and a quoted quote reach transfer::safe_name as sent; it strips or refuses them.
  auto form = read(part(R"(form-data; name="files"; filename="..\\..\\x\"y.txt")", "x") + closing());
  ASSERT_TRUE(form) << form.error().to_string();
  EXPECT_EQ(form->files.at(0)->filename(), "..\\..\\x\"y.txt");
}

}  // namespace
}  // namespace sanso::web
