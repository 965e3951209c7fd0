// proc::spawn both ways (posix_spawn; fork to become another user), the user lookups and
// enable_script_security's check. Running as another user needs root: skipped otherwise.
#include "proc/spawn.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vigil::proc {
namespace {

int wait_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SpawnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-proc-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir = tmpl;
    ::chmod(dir.c_str(), 0777);  // writable by the user a script becomes
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::string dir;
};

TEST_F(SpawnTest, RunsAndReportsTheExitStatus) {
  auto pid = spawn({"/bin/sh", "-c", "exit 3"}, {});
  ASSERT_TRUE(pid) << pid.error();
  EXPECT_EQ(wait_status(*pid), 3);
  SpawnOptions o;
  o.search_path = true;
  pid = spawn({"sh", "-c", "exit 4"}, o);
  ASSERT_TRUE(pid) << pid.error();
  EXPECT_EQ(wait_status(*pid), 4);
  EXPECT_FALSE(spawn({"/nonexistent/program"}, {}));
  EXPECT_FALSE(spawn({}, {}));
}

// Default dispositions, nothing blocked, no descriptor of ours, /dev/null, its own group.
void expect_clean_child(const std::string& dir, const std::optional<Credentials>& as) {
  const int leak = ::open("/dev/null", O_RDONLY);  // not CLOEXEC: close_fds must close it
  ASSERT_GE(leak, 3);
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  ::pthread_sigmask(SIG_BLOCK, &block, &old);
  SpawnOptions o;
  o.null_stdio = true;
  o.close_fds = true;
  o.as = as;
  const std::string out = dir + "/child";
  const std::string script = "{ grep -E '^Sig(Ign|Blk)' /proc/self/status;"
                             " echo PGRP=$(cut -d' ' -f5 /proc/$$/stat) SELF=$$;"
                             " test -e /proc/self/fd/" + std::to_string(leak) + " && echo leaked;"
                             " echo STDIN=$(readlink /proc/self/fd/0); } >" + out;
  auto pid = spawn({"/bin/sh", "-c", script}, o);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  ::close(leak);
  ASSERT_TRUE(pid) << pid.error();
  EXPECT_EQ(wait_status(*pid), 0);
  const auto text = slurp(out);
  // Signals 1 to 31 (glibc keeps 32 and 33 for itself).
  auto mask = [&](const std::string& key) {
    const auto at = text.find(key + ":\t");
    return at == std::string::npos ? ~0ULL : std::stoull(text.substr(at + key.size() + 2, 16), nullptr, 16);
  };
  EXPECT_EQ(mask("SigIgn") & 0x7fffffffULL, 0U) << text;
  EXPECT_EQ(mask("SigBlk") & 0x7fffffffULL, 0U) << text;
  EXPECT_EQ(text.find("leaked"), std::string::npos) << text;
  EXPECT_NE(text.find("STDIN=/dev/null"), std::string::npos) << text;
  // Its own process group: the group id is its pid.
  const auto p = std::to_string(*pid);
  EXPECT_NE(text.find("PGRP=" + p + " SELF=" + p), std::string::npos) << text;
}

TEST_F(SpawnTest, TheChildStartsCleanWithPosixSpawn) { expect_clean_child(dir, std::nullopt); }

TEST_F(SpawnTest, TheChildStartsCleanWhenForkedAsAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to change user";
  auto nobody = resolve_user("nobody");
  ASSERT_TRUE(nobody) << nobody.error();
  expect_clean_child(dir, *nobody);
}

// keepalived's script_user: the script runs as nobody (uid, gid and groups).
TEST_F(SpawnTest, AScriptRunsAsTheGivenUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to change user";
  auto nobody = resolve_user("nobody");
  ASSERT_TRUE(nobody) << nobody.error();
  SpawnOptions o;
  o.search_path = true;
  o.as = *nobody;
  const std::string out = dir + "/id";
  auto pid = spawn({"sh", "-c", "echo $(id -u) $(id -g) $(id -G) >" + out}, o);
  ASSERT_TRUE(pid) << pid.error();
  EXPECT_EQ(wait_status(*pid), 0);
  const std::string want = std::to_string(nobody->uid) + " " + std::to_string(nobody->gid) + " " +
                           std::to_string(nobody->gid) + "\n";
  EXPECT_EQ(slurp(out), want);
  EXPECT_NE(nobody->uid, 0U);
}

TEST(ResolveUser, NamesNumbersAndUnknowns) {
  auto root = resolve_user("root");
  ASSERT_TRUE(root) << root.error();
  EXPECT_EQ(root->uid, 0U);
  EXPECT_EQ(root->gid, 0U);
  EXPECT_EQ(root->user, "root");
  auto by_id = resolve_user("0");
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->user, "root");
  auto with_group = resolve_user("root", "nogroup");
  if (with_group) {
    EXPECT_NE(with_group->gid, 0U);
  }
  auto numeric_group = resolve_user("root", "4242");
  ASSERT_TRUE(numeric_group);
  EXPECT_EQ(numeric_group->gid, 4242U);
  EXPECT_FALSE(resolve_user("no-such-user-vigil"));
  EXPECT_FALSE(resolve_user("root", "no-such-group-vigil"));
}

TEST_F(SpawnTest, ScriptSecurityRefusesWhatOthersCouldReplace) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to own the files";
  EXPECT_EQ(insecure_script("/bin/sh"), std::nullopt);
  EXPECT_EQ(insecure_script("sh"), std::nullopt);  // through PATH
  EXPECT_TRUE(insecure_script("/nonexistent/script"));
  // dir is 0777 without the sticky bit: anyone may replace what is in it.
  const std::string s = dir + "/script.sh";
  std::ofstream(s) << "#!/bin/sh\n";
  ::chmod(s.c_str(), 0755);
  EXPECT_TRUE(insecure_script(s));
  ::chmod(dir.c_str(), 01777);  // sticky, like /tmp: only the owner (root) may
  EXPECT_EQ(insecure_script(s), std::nullopt);
  ::chmod(s.c_str(), 0757);  // the script itself writable by anyone
  EXPECT_TRUE(insecure_script(s));
  ::chmod(s.c_str(), 0755);
  ASSERT_EQ(::chown(s.c_str(), 65534, 0), 0);  // owned by someone else
  EXPECT_TRUE(insecure_script(s));
}

}  // namespace
}  // namespace vigil::proc
