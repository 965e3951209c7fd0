#include "daemon/options.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

namespace vigil::daemon {
namespace {

Result<Options, std::string> parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"vigil"};
  argv.insert(argv.end(), args);
  return parse_options(static_cast<int>(argv.size()), argv.data());
}

TEST(Options, Defaults) {
  const auto o = parse({});
  ASSERT_TRUE(o) << o.error();
  EXPECT_EQ(o->config_file, "/etc/keepalived/keepalived.conf");
  EXPECT_EQ(o->pid_file, "/run/vigil.pid");
  EXPECT_EQ(o->config_id, "");
  EXPECT_FALSE(o->config_test || o->dump_config || o->vrrp_only || o->check_only || o->dont_fork ||
               o->log_console || o->log_detail || o->version || o->help);
  EXPECT_TRUE(o->run_vrrp());
  EXPECT_TRUE(o->run_check());
}

TEST(Options, UseFile) {
  EXPECT_EQ(parse({"-f", "/tmp/a.conf"})->config_file, "/tmp/a.conf");
  EXPECT_EQ(parse({"--use-file", "b.conf"})->config_file, "b.conf");
  EXPECT_EQ(parse({"--use-file=c.conf"})->config_file, "c.conf");
  EXPECT_EQ(parse({"-fd.conf"})->config_file, "d.conf");
}

TEST(Options, PidFile) {
  EXPECT_EQ(parse({"-p", "/tmp/v1.pid"})->pid_file, "/tmp/v1.pid");
  EXPECT_EQ(parse({"--pid", "/tmp/v2.pid"})->pid_file, "/tmp/v2.pid");
}

TEST(Options, ConfigId) {
  EXPECT_EQ(parse({"-i", "lb1"})->config_id, "lb1");
  EXPECT_EQ(parse({"--config-id", "lb2"})->config_id, "lb2");
}

TEST(Options, Switches) {
  struct Case {
    const char* flag;
    bool Options::*field;
  };
  const Case cases[] = {
      {"-t", &Options::config_test},
      {"--config-test", &Options::config_test},
      {"--dump-config", &Options::dump_config},
      {"-P", &Options::vrrp_only},
      {"--vrrp", &Options::vrrp_only},
      {"-C", &Options::check_only},
      {"--check", &Options::check_only},
      {"-n", &Options::dont_fork},
      {"--dont-fork", &Options::dont_fork},
      {"-l", &Options::log_console},
      {"--log-console", &Options::log_console},
      {"-D", &Options::log_detail},
      {"--log-detail", &Options::log_detail},
      {"-v", &Options::version},
      {"--version", &Options::version},
      {"-h", &Options::help},
      {"--help", &Options::help},
  };
  for (const auto& c : cases) {
    const auto o = parse({c.flag});
    ASSERT_TRUE(o) << c.flag << ": " << o.error();
    EXPECT_TRUE((*o).*c.field) << c.flag;
  }
}

TEST(Options, GroupedShortFlags) {
  const auto o = parse({"-nlD", "-f", "x.conf"});
  ASSERT_TRUE(o) << o.error();
  EXPECT_TRUE(o->dont_fork);
  EXPECT_TRUE(o->log_console);
  EXPECT_TRUE(o->log_detail);
  EXPECT_EQ(o->config_file, "x.conf");
}

TEST(Options, SubsystemSelection) {
  EXPECT_TRUE(parse({"-P"})->run_vrrp());
  EXPECT_FALSE(parse({"-P"})->run_check());
  EXPECT_FALSE(parse({"-C"})->run_vrrp());
  EXPECT_TRUE(parse({"-C"})->run_check());
  EXPECT_TRUE(parse({"-P", "-C"})->run_vrrp());
  EXPECT_TRUE(parse({"-P", "-C"})->run_check());
}

TEST(Options, TcpCheckMechanism) {
  EXPECT_TRUE(parse({})->tcp_check_syn);  // half-open by default
  EXPECT_TRUE(parse({"--tcp-check=syn"})->tcp_check_syn);
  EXPECT_FALSE(parse({"--tcp-check=connect"})->tcp_check_syn);
  EXPECT_FALSE(parse({"--tcp-check", "connect"})->tcp_check_syn);
  const auto bad = parse({"--tcp-check=rst"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("syn or connect"), std::string::npos) << bad.error();
  EXPECT_FALSE(parse({"--tcp-check"}));
}

TEST(Options, UnknownOptionIsAnError) {
  const auto o = parse({"--frobnicate"});
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().find("frobnicate"), std::string::npos) << o.error();
  EXPECT_FALSE(parse({"-Z"}));
}

TEST(Options, MissingArgumentIsAnError) {
  EXPECT_FALSE(parse({"-f"}));
  EXPECT_FALSE(parse({"--pid"}));
  EXPECT_FALSE(parse({"-i"}));
}

TEST(Options, StrayWordIsAnError) { EXPECT_FALSE(parse({"keepalived.conf"})); }

TEST(Options, EmptyFileNamesAreErrors) {
  EXPECT_FALSE(parse({"-f", ""}));
  EXPECT_FALSE(parse({"-p", ""}));
}

TEST(Options, UsageListsEveryFlag) {
  const std::string usage = usage_text();
  for (const char* flag :
       {"--use-file", "--config-test", "--dump-config", "--vrrp", "--check", "--dont-fork",
        "--log-console", "--log-detail", "--config-id", "--pid", "--tcp-check", "--version", "--help"}) {
    EXPECT_NE(usage.find(flag), std::string::npos) << flag;
  }
}

TEST(Options, VersionText) { EXPECT_EQ(version_text().rfind("vigil ", 0), 0u); }

}  // namespace
}  // namespace vigil::daemon
