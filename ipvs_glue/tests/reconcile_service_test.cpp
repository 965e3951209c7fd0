// ReconcileService on an io_context over FakeIpvs (through PostedIpvs), no root: the first
// run adopts/programs, a weight change with the cache is exactly one request (no dump), drift
// made behind its back (ipvsadm -C / -d / -e) is repaired on demand and periodically with one
// log line, foreign services are left alone and reported, a failure drops the cache.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <cerrno>

#include "ipvs_glue/io/fake_ipvs.hpp"
#include "ipvs_glue/io/reconcile_service.hpp"
#include "test_util.hpp"

namespace vigil::ipvs {
namespace {
using namespace std::chrono_literals;
using test::dest;
using test::tcp;
using ::testing::HasSubstr;

// FakeIpvs counting requests as the netlink port does: a dump is one GET_SERVICE plus one
// GET_DEST per service; each operation one write.
class CountingFake final : public IpvsPort {
 public:
  FakeIpvs kernel;
  std::uint64_t reqs{0};
  Result<IpvsTable, IpvsError> dump() override {
    auto t = kernel.dump();
    if (t) reqs += 1 + t->services.size();
    return t;
  }
  Result<ApplyReport, IpvsError> apply(std::span<const IpvsOp> ops) override {
    reqs += ops.size();
    return kernel.apply(ops);
  }
  Result<std::vector<SyncDaemon>, IpvsError> sync_daemons() override { return kernel.sync_daemons(); }
  Result<void, IpvsError> start_sync_daemon(const SyncDaemon& d) override { return kernel.start_sync_daemon(d); }
  Result<void, IpvsError> stop_sync_daemon(SyncState s) override { return kernel.stop_sync_daemon(s); }
  Result<Timeouts, IpvsError> timeouts() override { return kernel.timeouts(); }
  Result<void, IpvsError> set_timeouts(const Timeouts& t) override { return kernel.set_timeouts(t); }
  Result<Info, IpvsError> info() override { return kernel.info(); }
  Result<void, IpvsError> zero(const std::optional<ServiceKey>& k) override { return kernel.zero(k); }
  Result<void, IpvsError> flush() override { return kernel.flush(); }
  std::uint64_t writes() const override { return kernel.writes(); }
  std::uint64_t requests() const override { return reqs; }
};

IpvsTable desired() {
  IpvsTable t;
  t.services.push_back(tcp("192.0.2.1", 80, "rr", {dest("10.0.0.2", 80), dest("10.0.0.3", 80, 2)}));
  t.services.push_back(tcp("192.0.2.1", 443, "wlc", {dest("10.0.0.2", 443)}));
  return t;
}

class Service_ : public ::testing::Test {
 protected:
  Service_() {
    auto p = std::make_unique<CountingFake>();
    fake_ = p.get();
    port_ = std::make_unique<PostedIpvs>(io_, std::move(p));
    svc_ = std::make_unique<ReconcileService>(
        io_, *port_, [this](Severity, std::string line) { log_.push_back(std::move(line)); },
        ReconcileServiceOptions{.interval = interval_});
    svc_->on_run([this](const RunReport& r) { reports_.push_back(r); });
  }
  // Runs the loop until `n` runs have ended (or a second passed).
  void until_runs(std::size_t n) {
    io_.restart();
    const auto end = std::chrono::steady_clock::now() + 2s;
    while (reports_.size() < n && std::chrono::steady_clock::now() < end) io_.run_one_for(50ms);
  }
  std::chrono::milliseconds interval_{0};
  boost::asio::io_context io_;
  CountingFake* fake_{};
  std::unique_ptr<PostedIpvs> port_;
  std::unique_ptr<ReconcileService> svc_;
  std::vector<std::string> log_;
  std::vector<RunReport> reports_;
};

TEST_F(Service_, ProgramsThenAWeightChangeIsExactlyOneRequest) {
  svc_->start(desired(), {});
  until_runs(1);
  ASSERT_EQ(reports_.size(), 1u);
  EXPECT_EQ(reports_[0].ops, 5u);
  EXPECT_TRUE(svc_->has_cache());
  auto want = desired();
  want.services[0].dests[1].weight = 0;  // a checker drained 10.0.0.3
  const auto before = fake_->requests();
  svc_->set_desired(want);
  until_runs(2);
  ASSERT_EQ(reports_.size(), 2u);
  EXPECT_FALSE(reports_[1].dumped);
  EXPECT_EQ(reports_[1].ops, 1u);
  EXPECT_EQ(reports_[1].requests, 1u);
  EXPECT_EQ(fake_->requests() - before, 1u);  // no dump: one SET_DEST
  EXPECT_EQ(fake_->kernel.table().find(want.services[0].key)->dests[1].weight, 0);
  EXPECT_THAT(log_.back(), HasSubstr("edit dest 10.0.0.3:80 in TCP 192.0.2.1:80 (weight 2 -> 0)"));
  // The same table again: nothing at all reaches the kernel.
  svc_->set_desired(want);
  until_runs(3);
  EXPECT_EQ(reports_[2].requests, 0u);
}

TEST_F(Service_, RepairsDriftOnDemandWithOneLogLineAndLeavesForeignServicesAlone) {
  svc_->start(desired(), {});
  until_runs(1);
  auto& k = fake_->kernel.table();
  // ipvsadm -d, ipvsadm -e, and a service of someone else.
  auto* s = k.find(desired().services[0].key);
  std::erase_if(s->dests, [](const Dest& d) { return d.port == 80 && d.weight == 2; });
  k.find(desired().services[1].key)->dests[0].weight = 9;
  k.services.push_back(tcp("198.51.100.1", 25, "rr", {dest("10.9.9.9", 25)}));
  log_.clear();
  svc_->repair_now();
  until_runs(2);
  ASSERT_EQ(reports_.size(), 2u);
  EXPECT_TRUE(reports_[1].dumped);
  EXPECT_EQ(reports_[1].ops, 2u);
  ASSERT_EQ(log_.size(), 2u);
  EXPECT_THAT(log_[0], HasSubstr("ipvs drift repaired: 2 changes: "));
  EXPECT_THAT(log_[0], HasSubstr("10.0.0.3:80"));
  EXPECT_THAT(log_[0], HasSubstr("weight 9 -> 1"));
  EXPECT_EQ(log_[1], "ipvs: left alone (not vigil's): TCP 198.51.100.1:25");
  EXPECT_NE(k.find(ServiceKey::inet(Protocol::tcp, test::ip("198.51.100.1"), 25)), nullptr);
}

class Periodic : public Service_ {
 protected:
  Periodic() {
    interval_ = 30ms;
    svc_ = std::make_unique<ReconcileService>(
        io_, *port_, [this](Severity, std::string line) { log_.push_back(std::move(line)); },
        ReconcileServiceOptions{.interval = interval_});
    svc_->on_run([this](const RunReport& r) { reports_.push_back(r); });
  }
};

TEST_F(Periodic, RestoresTheTableAfterIpvsadmC) {
  svc_->start(desired(), {});
  until_runs(1);
  fake_->kernel.table().services.clear();  // ipvsadm -C
  until_runs(2);
  ASSERT_GE(reports_.size(), 2u);
  EXPECT_EQ(reports_[1].ops, 5u);
  EXPECT_THAT(log_.back(), HasSubstr("ipvs drift repaired: 5 changes: add service TCP 192.0.2.1:80"));
  until_runs(3);
  EXPECT_EQ(reports_[2].ops, 0u);  // converged: the next tick dumps and writes nothing
}

TEST_F(Service_, AFailureDropsTheCacheSoTheNextRunDumps) {
  svc_->start(desired(), {});
  until_runs(1);
  fake_->kernel.fail_op(0, EIO);
  auto want = desired();
  want.services[0].dests[0].weight = 5;
  svc_->set_desired(want);
  until_runs(2);
  ASSERT_EQ(reports_[1].failures.size(), 1u);
  EXPECT_FALSE(svc_->has_cache());
  svc_->set_desired(want);
  until_runs(3);
  EXPECT_TRUE(reports_[2].dumped);
  EXPECT_EQ(reports_[2].ops, 1u);
  EXPECT_TRUE(reports_[2].failures.empty());
}

TEST_F(Service_, AnIoFailureIsRetriedWithADumpSoon) {
  svc_ = std::make_unique<ReconcileService>(
      io_, *port_, [this](Severity, std::string line) { log_.push_back(std::move(line)); },
      ReconcileServiceOptions{.interval = 0ms, .retry_after = 20ms});
  svc_->on_run([this](const RunReport& r) { reports_.push_back(r); });
  fake_->kernel.set_available(false);  // as after ENOBUFS or a timeout: the run fails
  svc_->start(desired(), {});
  until_runs(1);
  ASSERT_TRUE(reports_[0].error);
  EXPECT_THAT(log_.back(), HasSubstr("the next run re-reads the kernel's table"));
  fake_->kernel.set_available(true);
  until_runs(2);  // nobody asked: the retry timer did
  ASSERT_EQ(reports_.size(), 2u);
  EXPECT_TRUE(reports_[1].dumped);
  EXPECT_FALSE(reports_[1].error);
  EXPECT_EQ(reports_[1].ops, 5u);
}

TEST(ApplyTo, FollowsABatchAsTheKernelWould) {
  IpvsTable t;
  t.services.push_back(tcp("192.0.2.1", 80, "rr", {dest("10.0.0.1", 80)}));
  t.services.push_back(tcp("192.0.2.2", 80, "rr", {dest("10.0.0.1", 80)}));
  t.services.push_back(tcp("192.0.2.3", 80, "rr"));
  Service edited = tcp("192.0.2.1", 80, "wlc");
  const std::vector<IpvsOp> ops{DelService{t.services[1].key}, EditService{edited},
                                AddDest{t.services[2].key, dest("10.0.0.9", 80, 3)},
                                AddService{tcp("192.0.2.4", 80, "sh")},
                                DelDest{t.services[0].key, dest("10.0.0.1", 80).key()}};
  apply_to(t, ops);
  ASSERT_EQ(t.services.size(), 3u);
  EXPECT_EQ(t.services[0].scheduler, "wlc");
  EXPECT_TRUE(t.services[0].dests.empty());
  EXPECT_EQ(t.services[1].key.address, test::ip("192.0.2.3"));
  ASSERT_EQ(t.services[1].dests.size(), 1u);
  EXPECT_EQ(t.services[1].dests[0].weight, 3);
  EXPECT_EQ(t.services[2].scheduler, "sh");
  // and planning against it finds nothing left to do
  IpvsTable want = t;
  EXPECT_TRUE(plan(t, want, {}).ops.empty());
}

}  // namespace
}  // namespace vigil::ipvs
