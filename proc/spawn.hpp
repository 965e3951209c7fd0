// Starting a script without blocking the loop or copying its memory, shared by the VRRP
// notify/track scripts (vrrpd/io/scripts) and the checkers' MISC_CHECK and notify scripts
// (checkers/io/misc_runner): the child gets default signal dispositions, nothing blocked, a
// session or process group of its own (so a timeout kills what it started too), optionally
// /dev/null for stdio and no inherited descriptor, and optionally another user (keepalived's
// `script_user`, a script's `user [group]`). The caller watches the pid (pidfd_open) and
// reaps it.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace vigil::proc {

// Who a script runs as: the user's uid, the group's gid (the user's primary group unless a
// group was named), and the user's supplementary groups.
struct Credentials {
  std::string user;
  uid_t uid{};
  gid_t gid{};
  std::vector<gid_t> groups;
  friend bool operator==(const Credentials&, const Credentials&) = default;
};

// keepalived's `user [group]`: names (or numeric ids) to Credentials, through NSS. Call at
// configuration time, not on the loop: the lookups may block.
Result<Credentials, std::string> resolve_user(const std::string& user, const std::string& group = {});

struct SpawnOptions {
  bool search_path{false};  // argv[0] without '/' is looked up in PATH
  bool new_session{false};  // setsid(); otherwise a process group of its own
  bool null_stdio{false};   // stdin/stdout/stderr on /dev/null
  bool close_fds{false};    // no descriptor above 2 inherited
  std::optional<Credentials> as;
};

// posix_spawn without credentials; with them, fork + setgroups/setgid/setuid + execve (only
// async-signal-safe calls in the child: names were resolved in the parent). Returns the pid,
// or why it could not start. With credentials, a program that exists but cannot be executed
// by that user ends with status 127 instead.
Result<pid_t, std::string> spawn(const std::vector<std::string>& argv, const SpawnOptions& options);

// The pidfd calls (glibc 2.36's <sys/pidfd.h> lacks C linkage for C++).
int pidfd_open(pid_t pid);
int pidfd_send_signal(int pidfd, int sig);

// keepalived's enable_script_security: a script run as root must not be replaceable by anyone
// else. The reason the program (looked up in PATH when it has no '/') is unsafe (it, or a
// directory above it, is writable by a user other than root, or by a group other than root),
// or nullopt when it is safe. A program that cannot be found is reported too.
std::optional<std::string> insecure_script(const std::string& program);

}  // namespace vigil::proc
