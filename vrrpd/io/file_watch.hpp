// keepalived track_file: the number in a file, watched with inotify on the loop. The watch is
// on the file's directory, so a file created, replaced (rename over it) or deleted later is
// seen too. A file is read when a writer closes it (IN_CLOSE_WRITE), never half-written.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace vigil::vrrp::io {

struct FileSpec {
  std::string name;  // the track_file name
  std::string path;
  std::optional<long long> init_value;  // init_file [VALUE]: create the file with it
  bool init_overwrite{false};           // init_file ... overwrite: even if it exists
};

// Reads a track_file's value now: the first integer in it, 0 if absent or unreadable.
long long read_track_file(const std::string& path);
// init_file: writes the value if the file does not exist (or always, with overwrite).
Result<void, std::string> init_track_file(const FileSpec& spec);

class FileWatch {
 public:
  using OnChange = std::function<void(const std::string& name, long long value)>;
  static Result<std::unique_ptr<FileWatch>, std::string> open(boost::asio::io_context& io,
                                                              OnChange on_change);
  ~FileWatch();
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

  // Watches the file; returns its current value.
  Result<long long, std::string> add(const std::string& name, const std::string& path);

 private:
  FileWatch(boost::asio::io_context& io, int fd, OnChange on_change);
  void wait();
  void drain();

  struct Entry {
    int wd;
    std::string dir, base, name, path;
  };
  boost::asio::posix::stream_descriptor fd_;
  OnChange on_change_;
  std::vector<Entry> entries_;
  std::shared_ptr<bool> alive_;
};

}  // namespace vigil::vrrp::io
