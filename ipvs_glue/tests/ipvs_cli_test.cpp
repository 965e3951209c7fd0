// `vigil ipvs apply|show` over FakeIpvs and an in-memory configuration.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "conf/source.hpp"
#include "daemon/ipvs_cli.hpp"
#include "ipvs_glue/io/fake_ipvs.hpp"
#include "test_util.hpp"

namespace vigil::daemon {
namespace {
using ::testing::HasSubstr;

constexpr const char* kConfig = R"(
global_defs {
  lvs_timeouts tcp 900 tcpfin 30 udp 300
}
virtual_server 192.0.2.1 80 {
  lvs_sched rr
  real_server 10.0.0.2 80 { weight 2 }
  real_server 10.0.0.3 80 {}
}
virtual_server fwmark 7 {
  real_server 10.0.0.4 {}
}
)";

// The fake outlives each open_port() call: the CLI owns a forwarding wrapper.
class Forward final : public ipvs::IpvsPort {
 public:
  explicit Forward(ipvs::FakeIpvs& k) : k_(k) {}
  Result<ipvs::IpvsTable, ipvs::IpvsError> dump() override { return k_.dump(); }
  Result<ipvs::ApplyReport, ipvs::IpvsError> apply(std::span<const ipvs::IpvsOp> o) override {
    return k_.apply(o);
  }
  Result<std::vector<ipvs::SyncDaemon>, ipvs::IpvsError> sync_daemons() override {
    return k_.sync_daemons();
  }
  Result<void, ipvs::IpvsError> start_sync_daemon(const ipvs::SyncDaemon& d) override {
    return k_.start_sync_daemon(d);
  }
  Result<void, ipvs::IpvsError> stop_sync_daemon(ipvs::SyncState s) override {
    return k_.stop_sync_daemon(s);
  }
  Result<ipvs::Timeouts, ipvs::IpvsError> timeouts() override { return k_.timeouts(); }
  Result<void, ipvs::IpvsError> set_timeouts(const ipvs::Timeouts& t) override {
    return k_.set_timeouts(t);
  }
  Result<ipvs::Info, ipvs::IpvsError> info() override { return k_.info(); }
  Result<void, ipvs::IpvsError> zero(const std::optional<ipvs::ServiceKey>& s) override {
    return k_.zero(s);
  }
  Result<void, ipvs::IpvsError> flush() override { return k_.flush(); }
  std::uint64_t writes() const override { return k_.writes(); }

 private:
  ipvs::FakeIpvs& k_;
};

class IpvsCli : public ::testing::Test {
 protected:
  int run(std::vector<std::string> args) {
    out_.str({});
    err_.str({});
    const IpvsOpener open = [this]() -> Result<std::unique_ptr<ipvs::IpvsPort>, ipvs::IpvsError> {
      if (auto i = kernel_.info(); !i) return unexpected(i.error());
      return std::make_unique<Forward>(kernel_);
    };
    return ipvs_command(args, files_, open, out_, err_);
  }
  conf::MemorySource files_{{{"/k.conf", kConfig}}};
  ipvs::FakeIpvs kernel_;
  std::ostringstream out_, err_;
};

TEST_F(IpvsCli, ApplyTwiceSecondRunWritesNothing) {
  ASSERT_EQ(run({"apply", "-f", "/k.conf"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("6 operations (6 netlink writes)"));  // 5 IPVS + timeouts
  EXPECT_THAT(out_.str(), HasSubstr("5 changes: add service TCP 192.0.2.1:80 rr;"));
  ASSERT_EQ(run({"apply", "-f", "/k.conf"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "0 operations (0 netlink writes)\n");
  kernel_.table().services.clear();  // ipvsadm -C
  ASSERT_EQ(run({"apply", "-f", "/k.conf"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("5 operations (5 netlink writes)"));
}

TEST_F(IpvsCli, ApplyReportsForeignServices) {
  kernel_.table().services.push_back(ipvs::test::tcp("198.51.100.1", 25));
  ASSERT_EQ(run({"apply", "-f", "/k.conf"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("left alone (not in /k.conf): TCP 198.51.100.1:25"));
}

TEST_F(IpvsCli, ApplyFailures) {
  kernel_.schedulers().erase("rr");
  EXPECT_EQ(run({"apply", "-f", "/k.conf"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("scheduler 'rr' (module ip_vs_rr) not available"));
  kernel_.set_available(false);
  EXPECT_EQ(run({"apply", "-f", "/k.conf"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("kernel IPVS unavailable"));
  files_.add("/bad.conf", "virtual_server 192.0.2.1 80 {\n lvs_sched nope\n}\n");
  EXPECT_EQ(run({"apply", "-f", "/bad.conf"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("/bad.conf:2:"));
  EXPECT_THAT(err_.str(), HasSubstr("nothing applied"));
}

TEST_F(IpvsCli, Show) {
  ASSERT_EQ(run({"apply", "-f", "/k.conf"}), 0);
  ASSERT_EQ(run({"show"}), 0);
  EXPECT_EQ(out_.str(),
            "IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
            "TCP  192.0.2.1:80 rr\n"
            "  -> 10.0.0.2:80                  Masq    2      0          0         \n"
            "  -> 10.0.0.3:80                  Masq    1      0          0         \n"
            "FWM  7 wlc\n"
            "  -> 10.0.0.4:0                   Masq    1      0          0         \n");
  ASSERT_EQ(run({"show", "--json"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("\"fwmark\":7"));
}

constexpr const char* kSyncConfig = R"(
global_defs {
  lvs_sync_daemon eth1 VI_1 maxlen 1400 port 8850 ttl 3 group 239.0.0.9
}
vrrp_instance VI_1 {
  interface eth1
  virtual_router_id 42
  priority 100
  virtual_ipaddress {
    10.250.0.100
  }
}
virtual_server 192.0.2.1 80 {
  real_server 10.0.0.2 80 {}
}
)";

TEST_F(IpvsCli, ApplySyncDaemonStartsAdoptsAndRestarts) {
  files_.add("/s.conf", kSyncConfig);
  ASSERT_EQ(run({"apply", "-f", "/s.conf", "--sync-daemon", "backup"}), 0) << err_.str();
  // syncid: the VRID of the instance it follows, as keepalived does without "id".
  EXPECT_THAT(out_.str(), HasSubstr("start backup sync daemon (mcast=eth1, syncid=42, maxlen=1400, "
                                    "group=239.0.0.9, port=8850, ttl=3)\n"));
  EXPECT_THAT(out_.str(), HasSubstr("3 operations (3 netlink writes)"));
  ASSERT_EQ(run({"apply", "-f", "/s.conf", "--sync-daemon", "backup"}), 0);
  EXPECT_EQ(out_.str(), "0 operations (0 netlink writes)\n");
  ASSERT_EQ(run({"show", "--daemon"}), 0);
  EXPECT_EQ(out_.str(), "backup sync daemon (mcast=eth1, syncid=42, maxlen=1400, group=239.0.0.9, "
                        "port=8850, ttl=3)\n");
  // Drift: another daemon in that role is replaced.
  ASSERT_TRUE(kernel_.stop_sync_daemon(ipvs::SyncState::backup));
  ipvs::SyncDaemon other;
  other.state = ipvs::SyncState::backup;
  other.interface = "eth9";
  ASSERT_TRUE(kernel_.start_sync_daemon(other));
  ASSERT_EQ(run({"apply", "-f", "/s.conf", "--sync-daemon", "backup", "-v"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("stop backup sync daemon (mcast=eth9, syncid=0, maxlen=1472, "
                                    "group=224.0.0.81, port=8848, ttl=1)\n"));
  EXPECT_THAT(out_.str(), HasSubstr("2 operations (2 netlink writes)"));
  EXPECT_THAT(out_.str(), HasSubstr("netlink: 2 requests (2 writes, 0 reads) in 2 sends; configuration "));
  // No lvs_sync_daemon in the file: an error, the rest still applied.
  EXPECT_EQ(run({"apply", "-f", "/k.conf", "--sync-daemon", "master"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("the configuration has no lvs_sync_daemon"));
}

TEST_F(IpvsCli, SyncStartStop) {
  ASSERT_EQ(run({"sync", "start", "master", "--mcast-interface", "eth0", "--syncid", "9",
                 "--mcast-group", "ff02::82", "--mcast-ttl", "2"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "started master sync daemon (mcast=eth0, syncid=9, maxlen=1452, "
                        "group=ff02::82, port=8848, ttl=2)\n");
  EXPECT_EQ(run({"sync", "start", "master", "--mcast-interface", "eth0"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("start master sync daemon:"));
  ASSERT_EQ(run({"show", "--daemon", "--json"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr(R"("state":"master","interface":"eth0","syncid":9)"));
  ASSERT_EQ(run({"sync", "stop", "master"}), 0);
  EXPECT_EQ(out_.str(), "stopped master sync daemon\n");
  EXPECT_EQ(run({"sync", "stop", "master"}), 1);
  ASSERT_EQ(run({"show", "--daemon"}), 0);
  EXPECT_EQ(out_.str(), "");
}

TEST_F(IpvsCli, ShowListingsTimeoutsAndConnections) {
  ASSERT_EQ(run({"apply", "-f", "/k.conf"}), 0);
  ASSERT_EQ(run({"show", "--stats"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"));
  ASSERT_EQ(run({"show", "--thresholds", "-n", "--exact"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("Uthreshold Lthreshold"));
  ASSERT_EQ(run({"show", "--timeout"}), 0);
  EXPECT_EQ(out_.str(), "Timeout (tcp tcpfin udp): 900 30 300\n");
  files_.add("/proc/net/ip_vs_conn",
             "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"
             "TCP 0A000302 C0DE C0000201 0050 0A000002 0050 TIME_WAIT        61\n");
  ASSERT_EQ(run({"show", "-c"}), 0);
  EXPECT_EQ(out_.str(), "IPVS connection entries\n"
                        "pro expire state       source             virtual            destination\n"
                        "TCP 01:01  TIME_WAIT   10.0.3.2:49374     192.0.2.1:80       10.0.0.2:80\n");
  ASSERT_EQ(run({"show", "--connection", "--json"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr(R"("state":"TIME_WAIT","expires":61)"));
  files_.add("/proc/net/ip_vs_conn", "header\ngarbage\n");
  EXPECT_EQ(run({"show", "-c"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("/proc/net/ip_vs_conn line 2"));
}

TEST_F(IpvsCli, Usage) {
  EXPECT_EQ(run({}), 2);
  EXPECT_EQ(run({"frobnicate"}), 2);
  EXPECT_EQ(run({"show", "-f", "x"}), 2);
  EXPECT_EQ(run({"apply", "-f"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("needs a value"));
  EXPECT_EQ(run({"show", "--stats", "--rate"}), 2);
  EXPECT_EQ(run({"show", "-c", "--stats"}), 2);
  EXPECT_EQ(run({"show", "-c", "--daemon"}), 2);
  EXPECT_EQ(run({"show", "--daemon", "--stats"}), 2);
  EXPECT_EQ(run({"sync", "start", "master"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("needs --mcast-interface"));
  EXPECT_EQ(run({"sync", "start", "both", "--mcast-interface", "x"}), 2);
  EXPECT_EQ(run({"sync", "start", "master", "--mcast-interface", "x", "--syncid", "256"}), 2);
  EXPECT_EQ(run({"sync", "start", "master", "--mcast-interface", "x", "--mcast-group", "10.0.0.1"}), 2);
  EXPECT_EQ(run({"sync", "stop", "master", "--syncid", "1"}), 2);
  EXPECT_EQ(run({"apply", "--sync-daemon", "both"}), 2);
  EXPECT_EQ(run({"watch", "--interval", "soon"}), 2);
  EXPECT_EQ(run({"watch", "--interval", "86401"}), 2);
  EXPECT_EQ(run({"watch", "--sync-daemon", "master"}), 2);
  EXPECT_EQ(run({"apply", "--interval", "5"}), 2);
  EXPECT_EQ(run({"--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("vigil ipvs apply"));
  EXPECT_THAT(out_.str(), HasSubstr("vigil ipvs watch [-f FILE] [-i CONFIG_ID] [--interval SECS]"));
}

}  // namespace
}  // namespace vigil::daemon
