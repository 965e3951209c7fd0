// reconcile() over FakeIpvs: adopt, repair drift, races, persistent errors, ownership, and a
// property test: from any kernel table to any desired one, then a second run writes nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <random>

#include "ipvs_glue/io/fake_ipvs.hpp"
#include "ipvs_glue/io/reconcile.hpp"
#include "test_util.hpp"

namespace vigil::ipvs {
namespace {
using test::dest;
using test::fwm;
using test::tcp;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const IpvsTable kDesired{{tcp("192.0.2.1", 80, "rr", {dest("10.0.0.2", 80), dest("10.0.0.3", 80, 2)}),
                          fwm(5, Family::v4, "wlc", {dest("10.0.0.4", 0)})}};

std::set<ServiceKey> owned() { return {kDesired.services[0].key, kDesired.services[1].key}; }

// The kernel's table equals `want` for the services of `want` (settings and dests).
void expect_converged(FakeIpvs& k, const IpvsTable& want) {
  auto t = k.dump();
  ASSERT_TRUE(t);
  for (const auto& s : want.services) {
    const Service* got = t->find(s.key);
    ASSERT_NE(got, nullptr) << s.key.to_string();
    EXPECT_TRUE(same_settings(*got, s)) << s.key.to_string();
    ASSERT_EQ(got->dests.size(), s.dests.size()) << s.key.to_string();
    for (const auto& d : s.dests) {
      const Dest* gd = got->find(d.key());
      ASSERT_NE(gd, nullptr);
      EXPECT_TRUE(same_settings(*gd, d));
    }
  }
}

TEST(Reconcile, FromEmptyThenIdempotent) {
  FakeIpvs k;
  auto r = reconcile(k, kDesired, owned());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ops, 5u);
  EXPECT_EQ(r->writes, 5u);
  EXPECT_TRUE(r->ok());
  expect_converged(k, kDesired);
  const auto before = k.writes();
  auto again = reconcile(k, kDesired, owned());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->writes, 0u);
  EXPECT_EQ(k.writes(), before);
  EXPECT_EQ(again->summary, "no changes");
}

TEST(Reconcile, RepairsDriftWithOneLineSummary) {
  FakeIpvs k;
  ASSERT_TRUE(reconcile(k, kDesired, owned()));
  k.table().services[0].dests[1].weight = 0;  // ipvsadm -e ... -w 0
  auto r = reconcile(k, kDesired, owned());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->writes, 1u);
  EXPECT_EQ(r->summary, "1 change: edit dest 10.0.0.3:80 in TCP 192.0.2.1:80 (weight 0 -> 2)");
  k.table().services.clear();  // ipvsadm -C
  r = reconcile(k, kDesired, owned());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->writes, 5u);
  expect_converged(k, kDesired);
}

TEST(Reconcile, LeavesForeignServicesAndReportsThem) {
  FakeIpvs k;
  k.table().services.push_back(tcp("198.51.100.1", 25, "rr", {dest("10.9.9.9", 25)}));
  auto r = reconcile(k, kDesired, owned());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->foreign.size(), 1u);
  EXPECT_EQ(r->foreign[0].to_string(), "TCP 198.51.100.1:25");
  EXPECT_NE(k.table().find(r->foreign[0]), nullptr);
}

TEST(Reconcile, RacesAreReplanned) {
  FakeIpvs k;
  k.fail_op(0, EEXIST);  // someone added the first service between dump and write
  auto r = reconcile(k, kDesired, owned());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rounds, 2u);
  EXPECT_TRUE(r->ok());
  expect_converged(k, kDesired);
}

TEST(Reconcile, MissingSchedulerNamesSchedulerAndServiceAndOthersStillApply) {
  FakeIpvs k;
  k.schedulers().erase("rr");
  auto r = reconcile(k, kDesired, owned());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rounds, 1u);  // the re-plan would repeat the failure: not retried
  ASSERT_FALSE(r->ok());
  EXPECT_THAT(r->failures[0].message,
              HasSubstr("add service TCP 192.0.2.1:80 rr: scheduler 'rr' (module ip_vs_rr) "
                        "not available"));
  EXPECT_NE(k.table().find(kDesired.services[1].key), nullptr);  // the fwmark service is there
}

TEST(Reconcile, UnavailableIsAnError) {
  FakeIpvs k;
  k.set_available(false);
  auto r = reconcile(k, kDesired, owned());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, IpvsError::Kind::unavailable);
}

TEST(FakeIpvs, AnswersLikeTheKernel) {
  FakeIpvs k;
  const auto key = kDesired.services[0].key;
  const Service s = tcp("192.0.2.1", 80, "rr");
  std::vector<IpvsOp> ops = {EditService{s}, AddService{s}, AddService{s},
                             AddDest{key, dest("10.0.0.2", 80)}, AddDest{key, dest("10.0.0.2", 80)},
                             EditDest{key, dest("10.0.0.7", 80)}, DelDest{key, DestKey{}},
                             DelService{key}, DelService{key}};
  auto r = k.apply(ops);
  ASSERT_TRUE(r);
  std::vector<std::pair<std::size_t, int>> got;
  for (const auto& f : r->failures) got.emplace_back(f.index, f.err);
  EXPECT_THAT(got, ElementsAre(std::pair<std::size_t, int>{0, ESRCH}, std::pair<std::size_t, int>{2, EEXIST},
                               std::pair<std::size_t, int>{4, EEXIST}, std::pair<std::size_t, int>{5, ENOENT},
                               std::pair<std::size_t, int>{6, ENOENT}, std::pair<std::size_t, int>{8, ESRCH}));
  EXPECT_EQ(k.writes(), ops.size());
}

// Random tables over a small space of keys, so that they overlap.
class TableGen {
 public:
  explicit TableGen(std::uint32_t seed) : rng_(seed) {}
  IpvsTable table() {
    IpvsTable t;
    for (int i = 0; i < 6; ++i) {
      if (coin()) continue;
      Service s = i < 4 ? tcp("192.0.2." + std::to_string(i + 1), 80, sched())
                        : fwm(static_cast<std::uint32_t>(i), Family::v4, sched());
      s.flags.persistent = coin();
      s.timeout = s.flags.persistent ? 60 : 0;
      for (int d = 0; d < 4; ++d)
        if (coin())
          s.dests.push_back(dest("10.0.0." + std::to_string(d + 1), 80, pick(3),
                                 coin() ? ForwardMethod::masq : ForwardMethod::route));
      t.services.push_back(s);
    }
    return t;
  }
  bool coin() { return rng_() % 2 == 0; }
  int pick(int n) { return static_cast<int>(rng_() % static_cast<unsigned>(n)); }
  std::string sched() { return coin() ? "rr" : "wlc"; }

 private:
  std::mt19937 rng_;
};

TEST(Reconcile, PropertyAnyTableToAnyTableThenNoWrites) {
  TableGen g(11);
  for (int round = 0; round < 500; ++round) {
    FakeIpvs k;
    k.table() = g.table();
    const IpvsTable desired = g.table();
    std::set<ServiceKey> own;
    for (const auto& s : desired.services) own.insert(s.key);
    for (const auto& s : k.table().services)
      if (g.coin()) own.insert(s.key);  // some previously owned, some foreign
    const IpvsTable before = k.table();
    auto r = reconcile(k, desired, own);
    ASSERT_TRUE(r);
    ASSERT_TRUE(r->ok()) << r->failures[0].message;
    EXPECT_EQ(r->rounds, r->ops ? 1u : 0u);  // no failures: one round, no retries
    expect_converged(k, desired);
    for (const auto& s : before.services) {  // foreign: untouched; owned, unwanted: gone
      const Service* now = k.table().find(s.key);
      if (!own.contains(s.key)) {
        ASSERT_NE(now, nullptr);
        EXPECT_EQ(now->dests.size(), s.dests.size());
      } else if (!desired.find(s.key)) {
        EXPECT_EQ(now, nullptr);
      }
    }
    auto again = reconcile(k, desired, own);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->writes, 0u);
  }
}

}  // namespace
}  // namespace vigil::ipvs
