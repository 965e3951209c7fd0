// The pid file: proof that this daemon owns a name. Held with an flock(2) for the life of
// the process, so two vigils started at once on the same file cannot both win; a file naming
// another live process is refused even without the lock (an older daemon, another tool).
// Different -p files let several vigils run side by side (one per network namespace).
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>

#include "base/result.hpp"

namespace vigil::daemon {

class PidFile {
 public:
  // Creates or takes over `path` and writes getpid() into it. Refuses, with a message for
  // the operator, when the file is locked or names a live process other than this one.
  static Result<PidFile, std::string> acquire(const std::string& path);

  PidFile(PidFile&& other) noexcept;
  PidFile& operator=(PidFile&& other) noexcept;
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;
  ~PidFile();  // release()

  const std::string& path() const { return path_; }
  // Removes the file and drops the lock. Idempotent.
  void release();

 private:
  PidFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_{-1};
};

// The pid written in `text` ("1234\n"), if it is one.
std::optional<pid_t> parse_pid(const std::string& text);

// kill(pid, 0) succeeds or fails only for lack of permission.
bool process_alive(pid_t pid);

}  // namespace vigil::daemon
