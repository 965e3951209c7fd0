#include "daemon/pidfile.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vigil::daemon {
namespace {

namespace fs = std::filesystem;

class PidFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vigil-pidfile-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "vigil.pid").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& text) { std::ofstream(path_) << text; }
  std::string read() {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // A process that exists until we kill it.
  static pid_t spawn_sleeper() {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::pause();
      ::_exit(0);
    }
    return pid;
  }
  static void reap(pid_t pid) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(PidFileTest, WritesOwnPidAndRemovesOnRelease) {
  {
    auto file = PidFile::acquire(path_);
    ASSERT_TRUE(file) << file.error();
    EXPECT_EQ(read(), std::to_string(::getpid()) + "\n");
  }
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(PidFileTest, RefusesWhenThePidIsAlive) {
  const pid_t other = spawn_sleeper();
  ASSERT_GT(other, 0);
  write(std::to_string(other) + "\n");
  const auto file = PidFile::acquire(path_);
  reap(other);
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().find(std::to_string(other)), std::string::npos) << file.error();
  // Refusing leaves the other daemon's file alone.
  EXPECT_EQ(read(), std::to_string(other) + "\n");
}

TEST_F(PidFileTest, TakesOverAStaleFile) {
  const pid_t gone = spawn_sleeper();
  ASSERT_GT(gone, 0);
  reap(gone);  // now a pid nobody has (until reused, which is far off)
  write(std::to_string(gone) + "\n");
  auto file = PidFile::acquire(path_);
  ASSERT_TRUE(file) << file.error();
  EXPECT_EQ(read(), std::to_string(::getpid()) + "\n");
}

TEST_F(PidFileTest, TakesOverGarbage) {
  write("not a pid\n");
  auto file = PidFile::acquire(path_);
  ASSERT_TRUE(file) << file.error();
  EXPECT_EQ(read(), std::to_string(::getpid()) + "\n");
}

TEST_F(PidFileTest, RefusesWhileLocked) {
  auto first = PidFile::acquire(path_);
  ASSERT_TRUE(first) << first.error();
  const auto second = PidFile::acquire(path_);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().find("locked"), std::string::npos) << second.error();
  EXPECT_TRUE(fs::exists(path_));  // the loser did not remove the winner's file
}

TEST_F(PidFileTest, DifferentFilesSideBySide) {
  auto a = PidFile::acquire((dir_ / "a.pid").string());
  auto b = PidFile::acquire((dir_ / "b.pid").string());
  EXPECT_TRUE(a) << a.error();
  EXPECT_TRUE(b) << b.error();
}

TEST_F(PidFileTest, MissingDirectoryIsAnError) {
  const auto file = PidFile::acquire((dir_ / "no" / "such.pid").string());
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().find("cannot open"), std::string::npos) << file.error();
}

TEST(ParsePid, Forms) {
  EXPECT_EQ(parse_pid("123\n"), 123);
  EXPECT_EQ(parse_pid("  77"), 77);
  EXPECT_EQ(parse_pid(""), std::nullopt);
  EXPECT_EQ(parse_pid("12x\n"), std::nullopt);
  EXPECT_EQ(parse_pid("0\n"), std::nullopt);
  EXPECT_EQ(parse_pid("-5\n"), std::nullopt);
  EXPECT_EQ(parse_pid("99999999999999999999\n"), std::nullopt);
}

TEST(ProcessAlive, SelfAndNonsense) {
  EXPECT_TRUE(process_alive(::getpid()));
  EXPECT_FALSE(process_alive(0));
  EXPECT_FALSE(process_alive(-1));
}

}  // namespace
}  // namespace vigil::daemon
