// notify_fifo: keepalived's line format, the bounded queue, and a real FIFO on the loop (no
// root): lines arrive in order, and with no reader the loop never blocks (lines are dropped,
// counted and logged instead).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>

#include "vrrpd/io/fifo_file.hpp"
#include "vrrpd/io/notify_fifo.hpp"
#include "vrrpd/io/timer.hpp"
#include "vrrpd/tests/io_fakes.hpp"

namespace vigil::vrrp::io {
namespace {

using namespace std::chrono_literals;

TEST(FifoLine, KeepalivedsFormat) {
  EXPECT_EQ(fifo_line(FifoSubject::instance, "VI_1", State::master, 100), "INSTANCE \"VI_1\" MASTER 100\n");
  EXPECT_EQ(fifo_line(FifoSubject::instance, "VI_1", State::backup, 254), "INSTANCE \"VI_1\" BACKUP 254\n");
  EXPECT_EQ(fifo_line(FifoSubject::instance, "web", State::fault, 0), "INSTANCE \"web\" FAULT 0\n");
  EXPECT_EQ(fifo_line(FifoSubject::instance, "VI_1", State::initialize, 255), "INSTANCE \"VI_1\" STOP 255\n");
  EXPECT_EQ(fifo_line(FifoSubject::group, "G1", State::backup, 0), "GROUP \"G1\" BACKUP 0\n");
}

TEST(FifoQueue, BoundedByLinesAndBytesKeepingOrder) {
  FifoQueue q{3, 20};
  EXPECT_TRUE(q.push("aaaaa\n"));
  EXPECT_TRUE(q.push("bbbbb\n"));
  EXPECT_TRUE(q.push("ccccc\n"));
  EXPECT_FALSE(q.push("d\n"));  // 3 lines
  EXPECT_EQ(q.dropped(), 1U);
  q.pop();
  EXPECT_FALSE(q.push("dddddddd\n"));  // 12 + 9 bytes > 20
  EXPECT_TRUE(q.push("dd\n"));
  EXPECT_EQ(q.front(), "bbbbb\n");
  EXPECT_EQ(q.dropped(), 2U);
  EXPECT_EQ(q.size(), 3U);
}

class FifoFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::umask(022);  // the mode checked below is 0644 & ~umask
    char tmpl[] = "/tmp/vigil-fifo-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir = tmpl;
    path = dir + "/notify";
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  void run_for(Duration d) {
    io.restart();
    io.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(d));
  }
  static std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }

  boost::asio::io_context io;
  SteadyClock clock;
  AsioTimerService timers{io, clock};
  test::RecordingLog log;
  std::string dir, path;
};

TEST_F(FifoFileTest, CreatesTheFifoWritesLinesInOrderAndRemovesItAtClose) {
  auto f = FifoFile::open(io, path, timers, log);
  ASSERT_TRUE(f) << f.error();
  struct stat st{};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0644U);
  const int reader = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  (*f)->write(fifo_line(FifoSubject::instance, "VI_1", State::backup, 100));
  (*f)->write(fifo_line(FifoSubject::instance, "VI_1", State::master, 100));
  (*f)->write(fifo_line(FifoSubject::group, "G", State::master, 0));
  EXPECT_EQ(read_all(reader), "INSTANCE \"VI_1\" BACKUP 100\nINSTANCE \"VI_1\" MASTER 100\nGROUP \"G\" MASTER 0\n");
  ::close(reader);
  f->reset();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(FifoFileTest, AnExistingFifoIsKeptAndSomethingElseRefused) {
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  {
    auto f = FifoFile::open(io, path, timers, log);
    ASSERT_TRUE(f) << f.error();
  }
  EXPECT_TRUE(std::filesystem::exists(path));  // not ours to remove
  const std::string file = dir + "/plain";
  ::close(::open(file.c_str(), O_CREAT | O_WRONLY, 0600));
  EXPECT_FALSE(FifoFile::open(io, file, timers, log));
  const std::string link = dir + "/link";
  std::filesystem::create_symlink(path, link);
  EXPECT_FALSE(FifoFile::open(io, link, timers, log));
}

// No reader: the pipe fills, then the queue, then lines are dropped; nothing ever blocks.
// A reader arriving later gets what was kept, in order, and the queue drains on the loop.
TEST_F(FifoFileTest, WithoutAReaderNothingBlocksLinesAreQueuedThenDropped) {
  auto f = FifoFile::open(io, path, timers, log);
  ASSERT_TRUE(f) << f.error();
  const auto t0 = std::chrono::steady_clock::now();
  const int n = 20000;  // 30-byte lines: far more than a 64 KiB pipe and the queue hold
  for (int i = 0; i < n; ++i) (*f)->write(fifo_line(FifoSubject::instance, "VI_" + std::to_string(i), State::master, 100));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_GT((*f)->dropped(), 0U);
  EXPECT_GT((*f)->queued(), 0U);
  EXPECT_EQ((*f)->written() + (*f)->queued() + (*f)->dropped(), static_cast<std::uint64_t>(n));
  EXPECT_TRUE(log.contains("line dropped"));

  const int reader = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  std::string got;
  for (int round = 0; round < 200 && (*f)->queued() > 0; ++round) {
    got += read_all(reader);
    run_for(5ms);
  }
  got += read_all(reader);
  EXPECT_EQ((*f)->queued(), 0U);
  // Every line kept arrived whole and in order: VI_0, VI_1, ... without a gap until drops.
  std::size_t pos = 0;
  int expect = 0;
  while (pos < got.size()) {
    const auto eol = got.find('\n', pos);
    ASSERT_NE(eol, std::string::npos);
    ASSERT_EQ(got.substr(pos, eol + 1 - pos), fifo_line(FifoSubject::instance, "VI_" + std::to_string(expect), State::master, 100));
    ++expect;
    pos = eol + 1;
  }
  EXPECT_EQ(static_cast<std::uint64_t>(expect), (*f)->written());
  ::close(reader);
}

}  // namespace
}  // namespace vigil::vrrp::io
