// The vigil binary end to end, as an operator runs it. No root needed.
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "daemon/pidfile.hpp"

namespace vigil::daemon {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class VigilProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vigil-process-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    config_ = (dir_ / "keepalived.conf").string();
    std::ofstream(config_) << "! empty: nothing to run, nothing wrong\n";
  }
  void TearDown() override {
    for (const pid_t pid : children_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    fs::remove_all(dir_);
  }

  // Starts vigil with args; stdout and stderr go to files named after `name`.
  pid_t start(const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), VIGIL_BINARY);
    const std::string out = (dir_ / (name + ".out")).string();
    const std::string err = (dir_ / (name + ".err")).string();
    const pid_t pid = ::fork();
    if (pid == 0) {
      std::freopen(out.c_str(), "w", stdout);
      std::freopen(err.c_str(), "w", stderr);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    children_.push_back(pid);
    return pid;
  }

  // The exit status, or nullopt after the timeout (generous: a loaded CI machine).
  std::optional<int> wait_exit(pid_t pid, std::chrono::seconds timeout = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        std::erase(children_, pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(10ms);
    }
    return std::nullopt;
  }

  int run(const std::string& name, std::vector<std::string> args) {
    return wait_exit(start(name, std::move(args))).value_or(-1);
  }

  std::string read(const std::string& file) {
    std::ifstream in(dir_ / file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // The pid written into `file`, once it appears.
  std::optional<pid_t> wait_pid_file(const std::string& file) {
    for (int i = 0; i < 2000; ++i) {
      if (auto pid = parse_pid(read(file))) return pid;
      std::this_thread::sleep_for(10ms);
    }
    return std::nullopt;
  }

  std::string pid(const std::string& name) { return (dir_ / name).string(); }

  fs::path dir_;
  std::string config_;
  std::vector<pid_t> children_;
};

TEST_F(VigilProcess, Version) {
  EXPECT_EQ(run("v", {"-v"}), 0);
  EXPECT_EQ(read("v.out").rfind("vigil ", 0), 0u) << read("v.out");
}

TEST_F(VigilProcess, Help) {
  EXPECT_EQ(run("h", {"--help"}), 0);
  EXPECT_NE(read("h.out").find("--config-test"), std::string::npos);
}

TEST_F(VigilProcess, UnknownOptionExitsOne) {
  EXPECT_EQ(run("bad", {"--no-such-flag"}), 1);
  EXPECT_NE(read("bad.err").find("no-such-flag"), std::string::npos) << read("bad.err");
}

TEST_F(VigilProcess, ConfigTestMissingFileFails) {
  EXPECT_EQ(run("t", {"-t", "-f", (dir_ / "absent.conf").string()}), 1);
  EXPECT_NE(read("t.err").find("absent.conf"), std::string::npos) << read("t.err");
}

TEST_F(VigilProcess, ConfigTestOk) {
  EXPECT_EQ(run("t", {"-t", "-f", config_}), 0) << read("t.err");
  EXPECT_NE(read("t.out").find("Configuration file " + config_ + ": OK"), std::string::npos)
      << read("t.out");
}

TEST_F(VigilProcess, TwoInstancesWithDifferentPidFilesRunSideBySide) {
  const pid_t a = start("a", {"-n", "-l", "-f", config_, "-p", pid("a.pid")});
  ASSERT_EQ(wait_pid_file("a.pid"), a) << read("a.err");

  // Same pid file: refused, and the running one's file is untouched.
  EXPECT_EQ(run("a2", {"-n", "-l", "-f", config_, "-p", pid("a.pid")}), 1);
  EXPECT_NE(read("a2.err").find("a.pid"), std::string::npos) << read("a2.err");
  EXPECT_EQ(parse_pid(read("a.pid")), a);

  const pid_t b = start("b", {"-n", "-l", "-f", config_, "-p", pid("b.pid")});
  ASSERT_EQ(wait_pid_file("b.pid"), b) << read("b.err");

  // HUP and USR1 are handled, not fatal.
  ::kill(a, SIGHUP);
  ::kill(a, SIGUSR1);
  EXPECT_EQ(wait_exit(a, 1s), std::nullopt);

  ::kill(a, SIGTERM);
  ::kill(b, SIGINT);
  EXPECT_EQ(wait_exit(a), 0);
  EXPECT_EQ(wait_exit(b), 0);
  EXPECT_FALSE(fs::exists(dir_ / "a.pid"));
  EXPECT_FALSE(fs::exists(dir_ / "b.pid"));
  EXPECT_NE(read("a.err").find("reload"), std::string::npos) << read("a.err");
  EXPECT_NE(read("a.err").find("state:"), std::string::npos) << read("a.err");
}

TEST_F(VigilProcess, DaemonizesAndReportsStartup) {
  // The detached daemon is re-parented to us rather than to init, so we can reap it.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  // Without -n the command returns once the daemon runs, with status 0.
  EXPECT_EQ(run("d", {"-l", "-f", config_, "-p", pid("d.pid")}), 0) << read("d.err");
  const auto daemon = parse_pid(read("d.pid"));
  ASSERT_TRUE(daemon) << read("d.err");
  children_.push_back(*daemon);
  EXPECT_NE(::getsid(*daemon), ::getsid(0));  // a session of its own
  ::kill(*daemon, SIGTERM);
  EXPECT_EQ(wait_exit(*daemon), 0);
  EXPECT_FALSE(fs::exists(dir_ / "d.pid"));
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST_F(VigilProcess, DaemonStartFailureIsTheExitStatus) {
  const pid_t a = start("a", {"-n", "-l", "-f", config_, "-p", pid("a.pid")});
  ASSERT_EQ(wait_pid_file("a.pid"), a) << read("a.err");
  EXPECT_EQ(run("d", {"-l", "-f", config_, "-p", pid("a.pid")}), 1);
  EXPECT_NE(read("d.err").find("a.pid"), std::string::npos) << read("d.err");
  ::kill(a, SIGTERM);
  EXPECT_EQ(wait_exit(a), 0);
}

}  // namespace
}  // namespace vigil::daemon
