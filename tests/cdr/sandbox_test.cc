// The engine in its sandbox: the same verdicts as in-process, and a worker that misbehaves —
// connects, executes a program, opens a file, loops, crashes — ends `blocked`, never passed.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

#include "cdr/fixtures.h"

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
  // ImageMagick's BMP coder is loaded before the filter applies. The boxed run goes first: libvips
  // keeps its worker threads, so a process that has decoded images itself cannot fork workers that
  // decode (services never do; each test runs in its own process under ctest).
  fixtures::Bytes bmp;
  bmp.raw("BM").u32(54 + 16).u32(0).u32(54).u32(40).u32(2).u32(2).u16(1).u16(24).u32(0).u32(16).u32(2835).u32(2835).u32(0).u32(0);
  bmp.raw(std::string(16, '\x40'));
  CdrResult boxed_bmp = sanitize_sandboxed(bmp.s, "scan.bmp", {});
  ASSERT_EQ(boxed_bmp.verdict, Verdict::sanitized) << boxed_bmp.message;
  EXPECT_EQ(boxed_bmp.output, sanitize(bmp.s, "scan.bmp", {}).output);
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
