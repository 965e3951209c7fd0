#include "vrrpd/io/scripts.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <csignal>

#include "vrrpd/io/net.hpp"

namespace vigil::vrrp::io {

std::vector<std::string> split_command(const std::string& line) {
  std::vector<std::string> out;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : line) {
    if (quote) {
      if (c == quote) quote = 0; else word += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) out.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) out.push_back(std::move(word));
  return out;
}

std::string to_string(const ScriptExit& e) {
  switch (e.how) {
    case ScriptExit::How::exited: return "exited with status " + std::to_string(e.code);
    case ScriptExit::How::signaled: return "killed by signal " + std::to_string(e.code);
    case ScriptExit::How::timed_out: return "timed out, killed by signal " + std::to_string(e.code);
    case ScriptExit::How::not_started: return "could not be started";
  }
  return "ended";
}

struct SpawnScriptRunner::Child {
  Child(boost::asio::io_context& io, int pidfd) : fd(io, pidfd) {}
  std::uint64_t id{};
  pid_t pid{};
  std::string name;
  boost::asio::posix::stream_descriptor fd;  // the pidfd: readable once the child exits
  std::unique_ptr<Timer> timeout;
  bool timed_out{false};
  ScriptRunner::OnExit on_exit;
};

SpawnScriptRunner::SpawnScriptRunner(boost::asio::io_context& io, TimerService& timers, Log& log)
    : io_(io), timers_(timers), log_(log) {}

SpawnScriptRunner::~SpawnScriptRunner() = default;

void SpawnScriptRunner::run(std::vector<std::string> argv, Duration timeout, OnExit on_exit, const RunAs& as) {
  start(std::move(argv), timeout, std::move(on_exit), as);
}

bool SpawnScriptRunner::signal(std::uint64_t id, int sig) {
  auto it = std::find_if(children_.begin(), children_.end(),
                         [&](const auto& c) { return c->id == id; });
  if (it == children_.end()) return false;
  proc::pidfd_send_signal((*it)->fd.native_handle(), sig);
  ::kill(-(*it)->pid, sig);
  return true;
}

std::uint64_t SpawnScriptRunner::start(std::vector<std::string> argv, Duration timeout, OnExit on_exit,
                                       const RunAs& as) {
  auto not_started = [&]() -> std::uint64_t {
    if (on_exit) on_exit(ScriptExit{ScriptExit::How::not_started, 0});
    return 0;
  };
  if (argv.empty()) return not_started();
  // Default signals, nothing blocked (the daemon ignores SIGPIPE, Asio's signal_set has
  // handlers), a session of its own, none of the loop's descriptors.
  proc::SpawnOptions options;
  options.search_path = true;
  options.new_session = true;
  options.close_fds = true;
  options.as = as;
  auto spawned = proc::spawn(argv, options);
  if (!spawned) {
    log_.write(Severity::warning, "script " + argv[0] + ": cannot start: " + spawned.error());
    return not_started();
  }
  const pid_t pid = *spawned;
  const int pidfd = proc::pidfd_open(pid);
  if (pidfd < 0) {  // cannot watch it: reaped by whoever waits next (SIGCHLD stays default)
    log_.write(Severity::warning, "script " + argv[0] + ": pidfd_open: " + errno_text(errno));
    return not_started();
  }
  auto child = std::make_unique<Child>(io_, pidfd);
  child->id = next_id_++;
  child->pid = pid;
  child->name = argv[0];
  child->on_exit = std::move(on_exit);
  child->timeout = timers_.make_timer();
  const auto id = child->id;
  child->timeout->arm(timers_.now() + timeout, [this, id] { expire(id); });
  child->fd.async_wait(boost::asio::posix::descriptor_base::wait_read,
                       [this, id](const boost::system::error_code& ec) {
                         if (!ec) reap(id);
                       });
  log_.write(Severity::debug, "script " + child->name + " started, pid " + std::to_string(pid));
  children_.push_back(std::move(child));
  return id;
}

void SpawnScriptRunner::reap(std::uint64_t id) {
  auto it = std::find_if(children_.begin(), children_.end(),
                         [&](const auto& c) { return c->id == id; });
  if (it == children_.end()) return;
  int status = 0;
  const pid_t got = ::waitpid((*it)->pid, &status, WNOHANG);
  if (got == 0) {  // readable but not yet reapable: wait again
    (*it)->fd.async_wait(boost::asio::posix::descriptor_base::wait_read,
                         [this, id](const boost::system::error_code& ec) {
                           if (!ec) reap(id);
                         });
    return;
  }
  ScriptExit result{ScriptExit::How::exited, 0};
  if (got > 0 && WIFEXITED(status)) result.code = WEXITSTATUS(status);
  else if (got > 0 && WIFSIGNALED(status)) result = {ScriptExit::How::signaled, WTERMSIG(status)};
  else result = {ScriptExit::How::signaled, 0};  // reaped by someone else: unknown
  if ((*it)->timed_out) result = {ScriptExit::How::timed_out, result.code};
  const auto& c = **it;
  // A tracking script's failures are its normal news: its tracker logs the state changes.
  if (!result.ok() && !c.on_exit)
    log_.write(Severity::info, "script " + c.name + " " + to_string(result));
  auto on_exit = std::move((*it)->on_exit);
  children_.erase(it);
  if (on_exit) on_exit(result);
}

void SpawnScriptRunner::expire(std::uint64_t id) {
  auto it = std::find_if(children_.begin(), children_.end(),
                         [&](const auto& c) { return c->id == id; });
  if (it == children_.end()) return;
  log_.write(Severity::warning, "script " + (*it)->name + " (pid " + std::to_string((*it)->pid) +
                                    ") timed out, killing it");
  (*it)->timed_out = true;
  // Through the pidfd: the pid cannot have been reused while we hold it.
  proc::pidfd_send_signal((*it)->fd.native_handle(), SIGKILL);
  // And what it started (a shell's children): it leads its own session and process group,
  // whose id cannot be reused while the leader is unreaped.
  ::kill(-(*it)->pid, SIGKILL);
  // The pidfd turns readable when it dies and reap() collects it.
}

}  // namespace vigil::vrrp::io
