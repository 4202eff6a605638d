#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace sanso::sandbox {
namespace {

TEST(Sandbox, ValuesAndErrorsCrossBack) {
  auto upper = run([](std::string_view in) -> Result<std::string> {
    std::string out(in);
    for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    return out;
  }, std::string("hello\0world", 11));
  ASSERT_TRUE(upper) << upper.error().to_string();
  EXPECT_EQ(*upper, std::string("HELLO\0WORLD", 11));
  auto err = run([](std::string_view) -> Result<std::string> { return make_error("mail.bad-mime", "1.2", "boundary missing"); }, "x");
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error().code, "mail.bad-mime");
  EXPECT_EQ(err.error().where, "1.2");
  EXPECT_EQ(err.error().message, "boundary missing");
  std::string big(3 << 20, 'q');
  auto echo = run([](std::string_view in) -> Result<std::string> { return std::string(in); }, big);
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->size(), big.size());
}

TEST(Sandbox, ACrashIsAnErrorNotAnOutage) {
  auto r = run([](std::string_view) -> Result<std::string> {
    std::raise(SIGSEGV);
    return std::string();
  }, "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "sandbox.crash");
}

TEST(Sandbox, OpeningFilesOrSocketsIsForbidden) {
  auto r = run([](std::string_view) -> Result<std::string> {
    int fd = ::open("/etc/passwd", O_RDONLY);
    return std::string(fd >= 0 ? "opened" : "refused");
  }, "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "sandbox.crash");
  EXPECT_NE(r.error().message.find("forbidden system call"), std::string::npos);
}

TEST(Sandbox, AHangIsStoppedAtTheTimeout) {
  auto start = std::chrono::steady_clock::now();
  auto r = run([](std::string_view) -> Result<std::string> {
    volatile unsigned long n = 0;
    while (true) n = n + 1;
  }, "x", Limits{std::chrono::milliseconds(300)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "sandbox.timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Sandbox, MemoryIsLimited) {
  Limits limits;
  limits.memory_bytes = std::size_t{1} << 30;
  auto r = run([](std::string_view) -> Result<std::string> {
    std::vector<std::string> hog;
    for (int i = 0; i < 64; ++i) hog.emplace_back(std::size_t{64} << 20, 'x');  // 4 GiB
    return std::to_string(hog.size());
  }, "x", limits);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().code == "sandbox.memory" || r.error().code == "sandbox.crash") << r.error().to_string();
}

TEST(Sandbox, OutputIsLimited) {
  Limits limits;
  limits.output_bytes = 1024;
  auto r = run([](std::string_view) -> Result<std::string> { return std::string(1 << 20, 'y'); }, "x", limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "sandbox.output-too-large");
}

}  // namespace
}  // namespace sanso::sandbox
