// The engine in its sandbox: the same verdicts as in-process, and a worker that misbehaves —
// connects, executes a program, opens a file, loops, crashes — ends `blocked`, never passed.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>


#include <algorithm>
#include <csignal>

#include "cdr/fixtures.h"
#include "support/png_pixels.h"

namespace sanso::cdr {
namespace {

using namespace std::chrono_literals;

CdrResult misbehave(const std::function<void()>& act) {
  return run_sandboxed(
      [&](std::string_view) {
        act();
        CdrResult passed;  // what a compromised worker would claim
        passed.verdict = Verdict::clean;
        passed.output = "raw bytes";
        passed.output_name = "a.docx";
        return passed;
      },
      "bytes", "a.docx", 5s, 1 << 20);
}

TEST(CdrSandbox, SameVerdictAsInProcess) {
  std::string csv = "a,=1+2\n";
  CdrResult in = sanitize(csv, "x.csv", {});
  CdrResult boxed = sanitize_sandboxed(csv, "x.csv", {});
  EXPECT_EQ(boxed.verdict, in.verdict);
  EXPECT_EQ(boxed.output, in.output);
  EXPECT_EQ(boxed.findings.size(), in.findings.size());
  std::string zip = fixtures::make_zip({{"a.txt", "hello"}, {"b.csv", "=x"}});
  EXPECT_EQ(sanitize_sandboxed(zip, "z.zip", {}).output, sanitize(zip, "z.zip", {}).output);
}

TEST(CdrSandbox, BmpIsDecodedInTheBoxWithoutOpeningAFile) {
  // gdk-pixbuf's BMP module is loaded before the filter applies. The boxed run goes first: a
  // process that has rendered images itself (librsvg's threads) does not fork workers that decode
  // (services never do; each test runs in its own process under ctest).
  fixtures::Bytes bmp;
  bmp.raw("BM").u32(54 + 16).u32(0).u32(54).u32(40).u32(2).u32(2).u16(1).u16(24).u32(0).u32(16).u32(2835).u32(2835).u32(0).u32(0);
  bmp.raw(std::string(16, '\x40'));
  CdrResult boxed_bmp = sanitize_sandboxed(bmp.s, "scan.bmp", {});
  ASSERT_EQ(boxed_bmp.verdict, Verdict::sanitized) << boxed_bmp.message;
  EXPECT_EQ(boxed_bmp.output, sanitize(bmp.s, "scan.bmp", {}).output);
}

// A library's warning about a hostile file is not a sandbox violation: libpng warns about an ICC
// profile it dislikes, and GLib's default log writer probed stderr with getpeername and ioctl,
// which the filter kills — photos with a camera's odd profile were blocked as violations.
TEST(CdrSandbox, APngWithAnIccProfileLibpngWarnsAboutIsRebuilt) {
  std::string short_profile(200, '\0');  // a header only, declaring 200 bytes: "iCCP: too short"
  short_profile[3] = static_cast<char>(200);
  short_profile.replace(12, 12, "mntrRGB XYZ ");
  short_profile.replace(36, 4, "acsp");
  const std::string png = fixtures::rgb_png(4, 3, 200, 100, 50, short_profile);
  CdrResult boxed = sanitize_sandboxed(png, "photo.png", {});
  // libpng drops the profile it warned about; the pixels pass, re-encoded.
  ASSERT_NE(boxed.verdict, Verdict::blocked) << boxed.reason << ": " << boxed.message;
  ASSERT_FALSE(boxed.output.empty());
  const auto chunks = fixtures::png_chunk_types(boxed.output);
  EXPECT_EQ(std::count(chunks.begin(), chunks.end(), "iCCP"), 0);
  EXPECT_EQ(chunks.front(), "IHDR");
  EXPECT_EQ(chunks.back(), "IEND");
  EXPECT_EQ(boxed.output, sanitize(png, "photo.png", {}).output);
}

// A profile lcms can use: the colours are converted in the box, without a file or a violation.
TEST(CdrSandbox, APngWithAValidIccProfileIsConvertedToSrgbInTheBox) {
  const std::string profile = fixtures::srgb_profile();
  ASSERT_FALSE(profile.empty());
  const std::string png = fixtures::rgb_png(4, 3, 200, 100, 50, profile);
  CdrResult boxed = sanitize_sandboxed(png, "photo.png", {});
  ASSERT_EQ(boxed.verdict, Verdict::sanitized) << boxed.reason << ": " << boxed.message;
  EXPECT_EQ(fixtures::kinds(boxed), std::set<std::string>{"icc_profile"});
  const auto chunks = fixtures::png_chunk_types(boxed.output);
  EXPECT_EQ(std::count(chunks.begin(), chunks.end(), "iCCP"), 0);
  // sRGB to sRGB leaves the colour as it was (within rounding).
  auto out = sanso::testing::read_png(boxed.output);
  ASSERT_TRUE(out.has_value());
  const auto pixel = out->at(1, 1);
  EXPECT_NEAR(pixel[0], 200, 2);
  EXPECT_NEAR(pixel[1], 100, 2);
  EXPECT_NEAR(pixel[2], 50, 2);
}

// What ordinary drawings use, in the box: a blur wide enough to start librsvg's threads, bold,
// serif and monospace text, a GIF embedded as data — rendered, not stopped as a violation.
TEST(CdrSandbox, SvgsWithBlursFontsAndEmbeddedPicturesAreRenderedInTheBox) {
  const std::string gif_base64 = "R0lGODlhAQABAIAAAAAAAP///ywAAAAAAQABAAACAkQBADs=";
  const std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' xmlns:xlink='http://www.w3.org/1999/xlink' width='120' height='60'>"
                          "<filter id='s'><feGaussianBlur stdDeviation='4'/></filter><rect width='100' height='40' fill='grey' filter='url(#s)'/>"
                          "<text x='4' y='20' font-family='serif' font-weight='bold' font-size='14'>水俣市 Bold</text>"
                          "<text x='4' y='40' font-family='monospace' font-size='12'>0123</text>"
                          "<image x='100' y='0' width='8' height='8' xlink:href='data:image/gif;base64," + gif_base64 + "'/></svg>";
  CdrResult boxed = sanitize_sandboxed(svg, "drawing.svg", {});
  ASSERT_NE(boxed.verdict, Verdict::blocked) << boxed.reason << ": " << boxed.message;
  EXPECT_EQ(boxed.output.substr(0, 8), "\x89PNG\r\n\x1A\n");
}

TEST(CdrSandbox, ConnectExecAndOpenAreViolations) {
  CdrResult connect = misbehave([] {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(25);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  });
  EXPECT_EQ(connect.verdict, Verdict::blocked);
  EXPECT_EQ(connect.reason, "sandbox-violation");
  EXPECT_TRUE(connect.output.empty());

  CdrResult exec = misbehave([] {
    char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
    ::execve("/bin/true", argv, nullptr);
  });
  EXPECT_EQ(exec.reason, "sandbox-violation");

  CdrResult open = misbehave([] { ::open("/etc/passwd", O_RDONLY); });
  EXPECT_EQ(open.reason, "sandbox-violation");
}

TEST(CdrSandbox, ALoopIsATimeoutAndACrashIsAViolation) {
  auto start = std::chrono::steady_clock::now();
  CdrResult loop = run_sandboxed(
      [](std::string_view) {
        volatile unsigned long n = 0;
        while (true) n = n + 1;
        return CdrResult{};
      },
      "bytes", "a.pdf", 1s, 1 << 20);
  EXPECT_EQ(loop.verdict, Verdict::blocked);
  EXPECT_EQ(loop.reason, "timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);

  CdrResult crash = misbehave([] { std::raise(SIGSEGV); });
  EXPECT_EQ(crash.verdict, Verdict::blocked);
  EXPECT_EQ(crash.reason, "sandbox-violation");
}

}  // namespace
}  // namespace sanso::cdr

namespace sanso::cdr {
namespace {

// Pooled workers come from a template that loaded gdk-pixbuf's BMP module once; each worker still
// renders its own warm-up (librsvg's threads are its own) and then rebuilds every image kind — an
// SVG with Japanese text through librsvg and fontconfig, a BMP through gdk-pixbuf, a PNG — under
// its filter exactly as a child of its own would, also after a worker was recycled.
TEST(CdrSandbox, PooledWorkersFromTheTemplateRebuildEveryImageKindAsAForkedChildDoes) {
  fixtures::Bytes bmp;
  bmp.raw("BM").u32(54 + 16).u32(0).u32(54).u32(40).u32(2).u32(2).u16(1).u16(24).u32(0).u32(16).u32(2835).u32(2835).u32(0).u32(0);
  bmp.raw(std::string(16, '\x40'));
  const std::vector<std::pair<std::string, std::string>> files = {
      {"scan.bmp", bmp.s},
      {"photo.png", fixtures::rgb_png(4, 3, 200, 10, 10)},
      {"logo.svg", "<svg xmlns='http://www.w3.org/2000/svg' width='16' height='16'><rect width='16' height='16' fill='blue'/>"
                   "<text x='0' y='12' font-family='sans-serif' font-size='10'>水俣</text></svg>"},
      {"list.csv", "a,=1+2\n"}};
  CdrPolicy policy;
  sandbox::Task task = engine_task(policy);
  task.jobs_per_worker = 2;  // recycled within the test: replacements come from the same template
  auto pool = sandbox::WorkerPool::create(task, 2);
  ASSERT_TRUE(pool) << pool.error().to_string();
  for (int round = 0; round < 2; ++round) {
    for (const auto& [name, bytes] : files) {
      CdrResult pooled = sanitize_sandboxed(**pool, bytes, name, policy);
      CdrResult forked = sanitize_sandboxed(bytes, name, policy);
      EXPECT_EQ(pooled.verdict, forked.verdict) << name << ": " << pooled.message;
      EXPECT_NE(pooled.verdict, Verdict::blocked) << name << ": " << pooled.message;
      EXPECT_EQ(pooled.output, forked.output) << name;
    }
  }
}

}  // namespace
}  // namespace sanso::cdr
