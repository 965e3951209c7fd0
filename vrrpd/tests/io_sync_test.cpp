// Services on the fake LAN with what keepalived layers over plain instances: vrrp_sync_groups
// moving together, a failing track_script handing over the VIP, the address monitor undoing
// a deletion, an interface that appears after start.
#include <gtest/gtest.h>

#include "vrrpd/io/service.hpp"
#include "vrrpd/tests/io_fakes.hpp"
#include "vrrpd/tests/io_lan.hpp"
#include "vrrpd/tests/test_util.hpp"

namespace vigil::vrrp::io {
namespace {

using namespace std::chrono_literals;
using namespace lan;
using test::ip;

InstanceConfig instance(std::string name, std::uint8_t vrid, std::string addr, std::uint8_t prio,
                        std::string vip, int ifindex = 2) {
  InstanceConfig c;
  c.name = std::move(name);
  c.interface = ifindex == 2 ? "eth0" : "eth" + std::to_string(ifindex - 2);
  c.ifindex = ifindex;
  c.router.vrid = vrid;
  c.router.priority = prio;
  c.router.advertisement_interval = Centiseconds{10};
  c.router.primary_address = ip(addr);
  c.router.addresses = {ip(vip)};
  c.destinations = {ip("224.0.0.18")};
  Vip v;
  v.address = *Prefix::parse(vip + "/24");
  v.ifindex = ifindex;
  v.dev = c.interface;
  c.vips = {v};
  c.garp = {.delay = 1s, .repeat = 1, .interval = 10ms};
  return c;
}

struct Node {
  Node(Lan& lan, test::ManualTimers& timers, std::string addr, std::vector<InstanceConfig> configs,
       Service::Options options = {})
      : sockets(lan, ip(addr)), arp(timers) {
    service = std::make_unique<Service>(std::move(configs),
                                        Service::Ports{sockets, vips, arp, scripts, timers, log, nullptr, &fifo},
                                        std::move(options));
  }
  State state(const std::string& name) const { return service->find(name)->state(); }
  bool owns(const std::string& vip) const { return vips.has(vip + "/24"); }
  void crash() {
    for (auto* e : sockets.opened) e->up = false;
  }
  bool ran(const std::vector<std::string>& argv) const {
    return std::find(scripts.runs.begin(), scripts.runs.end(), argv) != scripts.runs.end();
  }

  LanSockets sockets;
  test::FakeVips vips;
  test::FakeArp arp;
  test::FakeScripts scripts;
  test::RecordingLog log;
  test::RecordingFifo fifo;
  std::unique_ptr<Service> service;
};

bool up(int) { return true; }

// Two instances in one group on each node, VI_2 on a second interface.
std::vector<InstanceConfig> grouped(std::string addr, std::uint8_t p1, std::uint8_t p2) {
  auto a = instance("VI_1", 51, addr, p1, "192.0.2.100");
  auto b = instance("VI_2", 52, addr, p2, "192.0.2.101", 3);
  a.sync_group = b.sync_group = "G";
  a.router.sync_group = b.router.sync_group = true;
  return {a, b};
}

Service::Options group_options() {
  Service::Options o;
  SyncGroupConfig g{"G", {"VI_1", "VI_2"}, {}};
  g.notify.master = {"/bin/group-master"};
  g.notify.notify = {"/bin/group-notify"};
  o.groups = {g};
  return o;
}

class SyncTest : public ::testing::Test {
 protected:
  test::ManualTimers timers;
  Lan lan{timers};
  Node a{lan, timers, "192.0.2.11", grouped("192.0.2.11", 150, 150), group_options()};
  Node b{lan, timers, "192.0.2.12", grouped("192.0.2.12", 100, 100), group_options()};

  void start_both() {
    a.service->start(up);
    b.service->start(up);
    timers.advance(2s);
  }
};

TEST_F(SyncTest, TheGroupIsElectedTogetherAndNotified) {
  start_both();
  EXPECT_EQ(a.state("VI_1"), State::master);
  EXPECT_EQ(a.state("VI_2"), State::master);
  EXPECT_EQ(b.state("VI_1"), State::backup);
  EXPECT_EQ(b.state("VI_2"), State::backup);
  EXPECT_EQ(a.service->group("G")->state(), State::master);
  EXPECT_EQ(b.service->group("G")->state(), State::backup);
  EXPECT_TRUE(a.ran({"/bin/group-master"}));
  EXPECT_TRUE(a.ran({"/bin/group-notify", "GROUP", "G", "MASTER", "0"}));
  EXPECT_TRUE(b.ran({"/bin/group-notify", "GROUP", "G", "BACKUP", "0"}));
  EXPECT_FALSE(b.ran({"/bin/group-master"}));
}

TEST_F(SyncTest, ACrashMovesBothInstancesTogether) {
  start_both();
  a.crash();
  timers.advance(400ms);
  EXPECT_EQ(b.state("VI_1"), State::master);
  EXPECT_EQ(b.state("VI_2"), State::master);
  EXPECT_TRUE(b.owns("192.0.2.100"));
  EXPECT_TRUE(b.owns("192.0.2.101"));
  EXPECT_TRUE(b.log.contains("VRRP_Group(G) syncing instances to MASTER state"));
}

// notify_fifo: keepalived's lines, in the order of the changes, the group's after its members'.
TEST_F(SyncTest, TheFifoGetsEveryChangeInOrder) {
  start_both();
  b.fifo.lines.clear();
  a.crash();
  timers.advance(400ms);
  b.service->stop();
  EXPECT_EQ(b.fifo.lines, (std::vector<std::string>{
                              "INSTANCE \"VI_1\" MASTER 100\n",
                              "INSTANCE \"VI_2\" MASTER 100\n",
                              "GROUP \"G\" MASTER 0\n",
                              "INSTANCE \"VI_1\" STOP 100\n",
                              "INSTANCE \"VI_2\" STOP 100\n",
                              "GROUP \"G\" STOP 0\n",
                          }));
}

TEST_F(SyncTest, OneMembersFaultTakesTheWholeGroupToFaultAndBack) {
  start_both();
  a.service->on_link({.ifindex = 3, .name = "eth1", .up = false});  // VI_2's interface
  EXPECT_EQ(a.state("VI_2"), State::fault);
  EXPECT_EQ(a.state("VI_1"), State::fault);  // its own link is fine: the group's fault
  EXPECT_FALSE(a.owns("192.0.2.100"));
  EXPECT_EQ(a.service->group("G")->state(), State::fault);
  timers.advance(500ms);
  EXPECT_EQ(b.state("VI_1"), State::master);
  EXPECT_EQ(b.state("VI_2"), State::master);
  a.service->on_link({.ifindex = 3, .name = "eth1", .up = true});
  timers.advance(1s);
  EXPECT_EQ(a.state("VI_1"), State::master);
  EXPECT_EQ(a.state("VI_2"), State::master);
  EXPECT_EQ(b.state("VI_1"), State::backup);
  EXPECT_EQ(b.state("VI_2"), State::backup);
}

TEST_F(SyncTest, AGroupPrefersBackupToThrashing) {
  // a outranks b for VI_1 only: it never takes VI_1 alone, and never both.
  Node c{lan, timers, "192.0.2.13", grouped("192.0.2.13", 150, 50), group_options()};
  b.service->start(up);
  timers.advance(1s);
  c.service->start(up);
  for (int i = 0; i < 50; ++i) {
    timers.advance(100ms);
    ASSERT_EQ(b.state("VI_1"), State::master);
    ASSERT_EQ(b.state("VI_2"), State::master);
    ASSERT_EQ(c.state("VI_1"), State::backup);
    ASSERT_EQ(c.state("VI_2"), State::backup);
  }
}

TEST_F(SyncTest, AMemberLosingMasterTakesTheOthersToBackup) {
  // b starts alone and holds both; c outranks it on both: c's members want Master one after
  // the other (their skews differ) and go together; b's group goes back to Backup.
  Node c{lan, timers, "192.0.2.13", grouped("192.0.2.13", 150, 120), group_options()};
  b.service->start(up);
  timers.advance(1s);
  c.service->start(up);
  timers.advance(2s);
  EXPECT_EQ(c.state("VI_1"), State::master);
  EXPECT_EQ(c.state("VI_2"), State::master);
  EXPECT_EQ(b.state("VI_1"), State::backup);
  EXPECT_EQ(b.state("VI_2"), State::backup);
}

// ---- tracking across the LAN ----

TEST(TrackingLan, AFailingTrackScriptHandsTheVipOver) {
  test::ManualTimers timers;
  Lan lan{timers};
  auto ca = instance("VI_1", 51, "192.0.2.11", 150, "192.0.2.100");
  ca.track = {{TrackKind::script, "chk", -60, false}};
  Service::Options oa;
  oa.scripts = {ScriptSpec{"chk", {"/bin/chk"}, 1s, 500ms, 1, 1, false}};
  Node a{lan, timers, "192.0.2.11", {ca}, oa};
  Node b{lan, timers, "192.0.2.12", {instance("VI_1", 51, "192.0.2.12", 100, "192.0.2.100")}};
  a.service->start(up);
  b.service->start(up);
  a.scripts.finish(0);
  timers.advance(1s);
  a.scripts.finish(0);
  timers.advance(1s);
  ASSERT_EQ(a.state("VI_1"), State::master);
  a.scripts.finish(1);  // the check fails: 150 - 60 = 90 < 100
  EXPECT_EQ(a.service->find("VI_1")->router().priority(), 90);
  timers.advance(500ms);
  EXPECT_EQ(b.state("VI_1"), State::master);
  EXPECT_EQ(a.state("VI_1"), State::backup);
  EXPECT_FALSE(a.owns("192.0.2.100"));
  EXPECT_TRUE(b.owns("192.0.2.100"));
  for (int i = 0; i < 3; ++i) {  // and back once it succeeds again
    timers.advance(1s);
    a.scripts.finish(0);
  }
  timers.advance(1s);
  EXPECT_EQ(a.state("VI_1"), State::master);
  EXPECT_EQ(b.state("VI_1"), State::backup);
}

TEST(TrackingLan, TrackedInterfacesAndFilesComeFromTheServiceEntryPoints) {
  test::ManualTimers timers;
  Lan lan{timers};
  auto c = instance("VI_1", 51, "192.0.2.11", 100, "192.0.2.100");
  c.track = {{TrackKind::interface, "eth9", 0, false}, {TrackKind::file, "f", 10, false}};
  Service::Options o;
  o.interface_up = [](const std::string& n) { return n == "eth9"; };
  Node a{lan, timers, "192.0.2.11", {c}, o};
  a.service->set_file_value("f", -2);
  a.service->start(up);
  timers.advance(1s);
  EXPECT_EQ(a.state("VI_1"), State::master);
  EXPECT_EQ(a.service->find("VI_1")->router().priority(), 80);
  a.service->set_file_value("f", 3);
  EXPECT_EQ(a.service->find("VI_1")->router().priority(), 130);
  a.service->on_link({.ifindex = 9, .name = "eth9", .up = false});
  EXPECT_EQ(a.state("VI_1"), State::fault);
  a.service->on_link({.ifindex = 9, .name = "eth9", .up = true});
  EXPECT_EQ(a.state("VI_1"), State::backup);
}

TEST(AddressMonitor, AVipDeletedFromAMasterComesBack) {
  test::ManualTimers timers;
  Lan lan{timers};
  Node a{lan, timers, "192.0.2.11", {instance("VI_1", 51, "192.0.2.11", 100, "192.0.2.100")}};
  a.service->start(up);
  timers.advance(1s);
  ASSERT_TRUE(a.owns("192.0.2.100"));
  a.vips.installed.clear();
  a.service->on_addr({.ifindex = 2, .address = *Prefix::parse("192.0.2.100/24"), .removed = true});
  EXPECT_TRUE(a.owns("192.0.2.100"));
  a.service->on_addr({.ifindex = 2, .address = *Prefix::parse("192.0.2.77/24"), .removed = true});
  EXPECT_TRUE(a.log.contains("restored address 192.0.2.100/24"));
}

TEST(AddressMonitor, StaticAddressesLiveFromStartToStopAndComeBack) {
  test::ManualTimers timers;
  Lan lan{timers};
  Service::Options o;
  Vip s;
  s.address = *Prefix::parse("198.51.100.1/24");
  s.ifindex = 2;
  s.dev = "eth0";
  o.static_addresses = {s};
  Node a{lan, timers, "192.0.2.11", {instance("VI_1", 51, "192.0.2.11", 100, "192.0.2.100")}, o};
  a.service->start(up);
  EXPECT_TRUE(a.vips.has("198.51.100.1/24"));
  a.vips.installed.clear();
  a.service->on_addr({.ifindex = 2, .address = *Prefix::parse("198.51.100.1/24"), .removed = true});
  EXPECT_TRUE(a.vips.has("198.51.100.1/24"));
  a.service->stop();
  EXPECT_FALSE(a.vips.has("198.51.100.1/24"));
}

TEST(LateInterface, AnInstanceLeavesFaultWhenItsInterfaceAppears) {
  test::ManualTimers timers;
  Lan lan{timers};
  auto missing = instance("VI_1", 51, "0.0.0.0", 100, "192.0.2.100", 5);
  missing.ifindex = 0;
  missing.vips.front().ifindex = 0;
  Service::Options o;
  bool present = false;
  o.resolve = [&](const std::string&) -> std::optional<InstanceConfig> {
    if (!present) return std::nullopt;
    return instance("VI_1", 51, "192.0.2.11", 100, "192.0.2.100", 5);
  };
  o.interface_up = [&](const std::string&) { return present; };
  Node a{lan, timers, "192.0.2.11", {missing}, o};
  a.service->start(up);
  timers.advance(1s);
  EXPECT_EQ(a.state("VI_1"), State::fault);
  present = true;
  a.service->on_link({.ifindex = 5, .name = "eth3", .up = true});
  EXPECT_EQ(a.state("VI_1"), State::backup);
  timers.advance(1s);
  EXPECT_EQ(a.state("VI_1"), State::master);
  EXPECT_TRUE(a.owns("192.0.2.100"));
  EXPECT_NE(a.service->counters(5, Family::v4), nullptr);
}

}  // namespace
}  // namespace vigil::vrrp::io
