// FILE_CHECK: the value in a track_file's file, watched with inotify on its directory
// (IN_CLOSE_WRITE, IN_MOVED_TO, IN_DELETE, IN_MOVED_FROM, as keepalived), the inotify fd
// waited on by the loop (posix::stream_descriptor). Each FILE_CHECK's level is reported at
// start and again whenever the file is rewritten, replaced or removed (a removed file reads
// as 0). The meaning of the value is keepalived's track_file for real servers:
//   - weight 0: a non-zero value is a failure, 0 is OK ("weight 0 reverse": the opposite);
//   - otherwise value x weight (x -1 with reverse) is added to the real server's weight,
//     and a product <= -2147483648 is a failure.
// The FILE_CHECK's weight, else the track_file's, else 1.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checkers/core/events.hpp"
#include "checkers/io/log.hpp"
#include "conf/model.hpp"

namespace boost::asio {
class io_context;
}

namespace vigil::checkers::io {

struct FileLevel {
  bool ok{};
  std::optional<long long> weight;  // the real server's new weight, when the value sets one
  friend bool operator==(const FileLevel&, const FileLevel&) = default;
};

// The level for `value` read from the file (pure).
FileLevel file_level(long long value, long long weight, bool reverse, long long rs_weight);

// The number a file holds as keepalived reads it (strtol base 0 of its first 127 bytes):
// 0 when the file is missing, empty or holds no number; nullopt when the number is out of
// range (ignored: the last level stands).
std::optional<long long> read_track_value(const std::string& path);

class FileWatcher {
 public:
  using Report = std::function<void(CheckerKey, FileLevel, const std::string& why)>;
  FileWatcher(boost::asio::io_context& io, Log& log, Report report);
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // Every FILE_CHECK of the configuration: writes init_file values, reports each level
  // once (synchronously, from inside the call), then watches.
  void start(const conf::Config& config);
  std::size_t watched_files() const { return files_.size(); }

 private:
  struct Check {
    CheckerKey key;
    long long weight{1};
    bool reverse{false};
    long long rs_weight{1};
  };
  struct File {
    std::string path, dir, base;
    int wd{-1};
    std::vector<Check> checks;
  };
  void wait();
  void drain();
  void update(File& f, const std::string& why);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  Log& log_;
  Report report_;
  std::map<std::string, File> files_;  // by path
};

}  // namespace vigil::checkers::io
