#include "proc/spawn.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace vigil::proc {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

std::optional<unsigned long> number(const std::string& s) {
  unsigned long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// PATH lookup as execvp does it, in the parent (the child of fork() may not allocate).
std::optional<std::string> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* env = std::getenv("PATH");
  std::string path = env ? env : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

Result<pid_t, std::string> spawn_posix(const std::vector<std::string>& argv, char* const* args,
                                       const SpawnOptions& o) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (o.null_stdio)
    for (int fd = 0; fd <= 2; ++fd)
      posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  // The loop's sockets, pidfds and epoll must not leak into scripts.
  if (o.close_fds) posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Default dispositions and nothing blocked: the daemon's signal handling is not the script's.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (o.new_session) {
    flags |= POSIX_SPAWN_SETSID;
  } else {
    posix_spawnattr_setpgroup(&attr, 0);
    flags |= POSIX_SPAWN_SETPGROUP;
  }
  posix_spawnattr_setflags(&attr, flags);
  pid_t pid = 0;
  const int err = o.search_path ? ::posix_spawnp(&pid, args[0], &fa, &attr, args, environ)
                                : ::posix_spawn(&pid, args[0], &fa, &attr, args, environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  if (err != 0) return unexpected(argv[0] + ": " + errno_text(err));
  return pid;
}

// With credentials: posix_spawn cannot change them, so fork. Everything the child needs is
// prepared here; the child makes only system calls (async-signal-safe) before execve. All
// signals are blocked across fork so that no handler of the daemon runs in the child.
Result<pid_t, std::string> spawn_as(const std::vector<std::string>& argv, char* const* args,
                                    const SpawnOptions& o) {
  const Credentials& c = *o.as;
  std::string program = argv[0];
  if (o.search_path) {
    auto found = find_program(argv[0]);
    if (!found) return unexpected(argv[0] + ": " + errno_text(ENOENT));
    program = std::move(*found);
  }
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t pid = ::fork();
  if (pid == 0) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; ++s) ::sigaction(s, &dfl, nullptr);  // EINVAL for some: fine
    if (o.new_session) ::setsid();
    else ::setpgid(0, 0);
    if (o.null_stdio) {
      const int null = ::open("/dev/null", O_RDWR);
      if (null >= 0) {
        for (int fd = 0; fd <= 2; ++fd) ::dup2(null, fd);
        if (null > 2) ::close(null);
      }
    }
    if (o.close_fds) ::syscall(SYS_close_range, 3U, ~0U, 0U);
    // Raw system calls: the child has one thread, glibc's set*id broadcast is not wanted.
    if (::syscall(SYS_setgroups, c.groups.size(), c.groups.data()) != 0 ||
        ::syscall(SYS_setresgid, c.gid, c.gid, c.gid) != 0 ||
        ::syscall(SYS_setresuid, c.uid, c.uid, c.uid) != 0)
      ::_exit(126);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(program.c_str(), args, environ);
    ::_exit(127);
  }
  const int err = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return unexpected(argv[0] + ": fork: " + errno_text(err));
  return pid;
}

}  // namespace

Result<Credentials, std::string> resolve_user(const std::string& user, const std::string& group) {
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(static_cast<std::size_t>(size > 0 ? size : 16384));
  Credentials c;
  struct passwd pw {};
  struct passwd* pwp = nullptr;
  int err = ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &pwp);
  if (!pwp) {
    if (auto id = number(user)) {
      err = ::getpwuid_r(static_cast<uid_t>(*id), &pw, buf.data(), buf.size(), &pwp);
      if (!pwp) {  // a bare uid: its own gid, no supplementary groups
        c.user = user;
        c.uid = c.gid = static_cast<uid_t>(*id);
      }
    } else {
      return unexpected("unknown user " + user + (err ? ": " + errno_text(err) : std::string()));
    }
  }
  if (pwp) {
    c.user = pwp->pw_name;
    c.uid = pwp->pw_uid;
    c.gid = pwp->pw_gid;
    int n = 32;
    std::vector<gid_t> groups(static_cast<std::size_t>(n));
    while (::getgrouplist(pwp->pw_name, pwp->pw_gid, groups.data(), &n) < 0)
      groups.resize(static_cast<std::size_t>(n));
    groups.resize(static_cast<std::size_t>(n));
    c.groups = std::move(groups);
  }
  if (!group.empty()) {
    long gsize = ::sysconf(_SC_GETGR_R_SIZE_MAX);
    std::vector<char> gbuf(static_cast<std::size_t>(gsize > 0 ? gsize : 16384));
    struct group gr {};
    struct group* grp = nullptr;
    ::getgrnam_r(group.c_str(), &gr, gbuf.data(), gbuf.size(), &grp);
    if (grp) c.gid = grp->gr_gid;
    else if (auto id = number(group)) c.gid = static_cast<gid_t>(*id);
    else return unexpected("unknown group " + group);
  }
  if (c.groups.empty()) c.groups.push_back(c.gid);
  return c;
}

Result<pid_t, std::string> spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty() || argv[0].empty()) return unexpected(std::string("no program"));
  std::vector<std::string> copy = argv;
  std::vector<char*> args;
  for (auto& a : copy) args.push_back(a.data());
  args.push_back(nullptr);
  if (options.as) return spawn_as(argv, args.data(), options);
  return spawn_posix(argv, args.data(), options);
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

std::optional<std::string> insecure_script(const std::string& program) {
  auto found = find_program(program);
  if (!found) return program + " not found";
  char real[PATH_MAX];
  if (!::realpath(found->c_str(), real)) return *found + ": " + errno_text(errno);
  std::string path = real;
  bool file = true;
  while (true) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return path + ": " + errno_text(errno);
    if (st.st_uid != 0) return path + " is owned by uid " + std::to_string(st.st_uid);
    if ((st.st_mode & S_IWGRP) && st.st_gid != 0) return path + " is writable by gid " + std::to_string(st.st_gid);
    // Others may write a directory with the sticky bit (/tmp) without replacing our file.
    if ((st.st_mode & S_IWOTH) && (file || !(st.st_mode & S_ISVTX))) return path + " is writable by anyone";
    if (path == "/") break;
    const auto slash = path.rfind('/');
    path = slash == 0 ? "/" : path.substr(0, slash);
    file = false;
  }
  return std::nullopt;
}

}  // namespace vigil::proc
