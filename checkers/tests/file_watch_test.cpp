// FILE_CHECK: keepalived's track_file arithmetic, and the inotify watcher following a file
// that is rewritten, replaced by rename, and removed.
#include "checkers/io/file_watch.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "checkers/io/driver.hpp"
#include "checkers/tests/io_util.hpp"
#include "conf/load.hpp"
#include "conf/source.hpp"

namespace vigil::checkers::io {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::run_until;

TEST(FileLevel, KeepalivedsTrackFileRules) {
  // weight 0: non-zero is a failure; reversed, zero is.
  EXPECT_EQ(file_level(0, 0, false, 5), (FileLevel{true, std::nullopt}));
  EXPECT_EQ(file_level(3, 0, false, 5), (FileLevel{false, std::nullopt}));
  EXPECT_EQ(file_level(0, 0, true, 5), (FileLevel{false, std::nullopt}));
  EXPECT_EQ(file_level(7, 0, true, 5), (FileLevel{true, std::nullopt}));
  // Otherwise value x weight is added to the real server's weight.
  EXPECT_EQ(file_level(0, 1, false, 5), (FileLevel{true, 5}));
  EXPECT_EQ(file_level(3, 2, false, 5), (FileLevel{true, 11}));
  EXPECT_EQ(file_level(3, 2, true, 5), (FileLevel{true, -1}));  // the core clamps to 0
  // ... and a product at or below INT_MIN is a failure.
  EXPECT_EQ(file_level(INT_MIN, 1, false, 5), (FileLevel{false, std::nullopt}));
  EXPECT_EQ(file_level(-2, INT_MAX, false, 5), (FileLevel{false, std::nullopt}));
}

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/vigil-file-check-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

std::unique_ptr<conf::Config> load(const std::string& text) {
  conf::MemorySource src;
  src.add("/k.conf", text);
  conf::LoadOptions o;
  o.config_id = "h";
  auto r = conf::load("/k.conf", src, o);
  EXPECT_TRUE(r.ok()) << r.diagnostics.format_all();
  return std::move(r.config);
}

TEST(FileWatcher, FollowsWritesRenamesAndRemoval) {
  TempDir dir;
  const std::string file = dir.path + "/level";
  write_file(file, "0\n");
  const auto config = load(R"(
track_file tf {
  file ")" + file + R"("
}
track_file init {
  file ")" + dir.path + R"(/created"
  init_file 4
}
virtual_server 10.0.0.1 80 {
  real_server 10.0.0.2 80 {
    weight 10
    FILE_CHECK {
      track_file tf
    }
    FILE_CHECK {
      track_file tf
      weight 0
    }
  }
  real_server 10.0.0.3 80 {
    FILE_CHECK {
      track_file init
      weight 2
    }
  }
})");
  asio::io_context io;
  NullLog log;
  std::map<CheckerKey, FileLevel> levels;
  int reports = 0;
  FileWatcher w(io, log, [&](CheckerKey k, FileLevel l, const std::string&) {
    levels[k] = l;
    ++reports;
  });
  w.start(*config);
  EXPECT_EQ(w.watched_files(), 2u);
  // Reported at once, from inside start(); init_file wrote the missing file.
  ASSERT_EQ(reports, 3);
  EXPECT_EQ(levels[(CheckerKey{0, 0, 0})], (FileLevel{true, 10}));
  EXPECT_EQ(levels[(CheckerKey{0, 0, 1})], (FileLevel{true, std::nullopt}));
  EXPECT_EQ(levels[(CheckerKey{0, 1, 0})], (FileLevel{true, 1 + 4 * 2}));

  write_file(file, "5\n");
  ASSERT_TRUE(run_until(io, [&] { return levels[(CheckerKey{0, 0, 0})].weight == 15; }));
  EXPECT_FALSE(levels[(CheckerKey{0, 0, 1})].ok);  // weight 0: non-zero fails

  // Replaced by rename, as editors and `mv` do.
  write_file(dir.path + "/tmp", "-10\n");
  std::filesystem::rename(dir.path + "/tmp", file);
  ASSERT_TRUE(run_until(io, [&] { return levels[(CheckerKey{0, 0, 0})].weight == 0; }));

  // Removed: reads as 0.
  std::filesystem::remove(file);
  ASSERT_TRUE(run_until(io, [&] { return levels[(CheckerKey{0, 0, 1})].ok; }));
  EXPECT_EQ(levels[(CheckerKey{0, 0, 0})], (FileLevel{true, 10}));

  // A number out of range is ignored: the last level stands. (Text that is no number at all
  // reads as 0, as keepalived's strtol.)
  write_file(file, "3\n");
  ASSERT_TRUE(run_until(io, [&] { return levels[(CheckerKey{0, 0, 0})].weight == 13; }));
  const int before = reports;
  write_file(file, "99999999999999\n");
  io.run_for(100ms);
  EXPECT_EQ(reports, before);
  EXPECT_EQ(levels[(CheckerKey{0, 0, 0})].weight, 13);
}

TEST(FileWatcher, DriverTakesTheServerOutAndBack) {
  TempDir dir;
  const std::string file = dir.path + "/up";
  write_file(file, "0\n");
  const auto config = load(R"(
track_file up {
  file ")" + file + R"("
  weight 0 reverse
}
virtual_server 10.0.0.1 80 {
  real_server 10.0.0.2 80 {
    FILE_CHECK {
      track_file up
    }
  }
})");
  asio::io_context io;
  NullLog log;
  SteadyClock clock;
  AsioProber prober(io, log);
  std::vector<Action> effects;
  CheckerDriver driver(io, *config, clock, prober, log, [&](const Action& a) { effects.push_back(a); },
                       [] { return std::uint64_t{0}; });
  driver.start();  // "weight 0 reverse": 0 in the file is down
  EXPECT_FALSE(driver.core().alive({0, 0}));
  write_file(file, "1\n");
  ASSERT_TRUE(run_until(io, [&] { return driver.core().alive({0, 0}); }));
  write_file(file, "0\n");
  ASSERT_TRUE(run_until(io, [&] { return !driver.core().alive({0, 0}); }));
  driver.stop();
}

}  // namespace
}  // namespace vigil::checkers::io
