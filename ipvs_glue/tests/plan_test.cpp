// plan(): adopt, drift repair, edit versus add/delete, ownership, ordering.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipvs_glue/model/plan.hpp"
#include "test_util.hpp"

namespace vigil::ipvs {
namespace {
using test::dest;
using test::fwm;
using test::ip;
using test::tcp;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::VariantWith;

IpvsTable table(std::vector<Service> s) { return IpvsTable{std::move(s)}; }

const Service web = tcp("192.0.2.1", 80, "rr", {dest("10.0.0.2", 80), dest("10.0.0.3", 80)});
const Service dns = tcp("192.0.2.1", 53, "wlc", {dest("10.0.0.4", 53, 3)});

// What the kernel reports for `s`: HASHED set, counters running.
Service as_read_back(Service s) {
  s.flags.hashed = true;
  s.stats.conns = 1000;
  for (auto& d : s.dests) {
    d.active_conns = 7;
    d.stats.inpkts = 123;
  }
  return s;
}

Plan plan_owned(const IpvsTable& cur, const IpvsTable& want) { return plan(cur, want, {}); }

std::vector<std::string> described(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& op : p.ops) out.push_back(describe(op));
  return out;
}

TEST(Plan, AdoptsMatchingKernelStateWithZeroOps) {
  const auto desired = table({web, dns});
  const auto current = table({as_read_back(dns), as_read_back(web)});  // other order
  const auto p = plan_owned(current, desired);
  EXPECT_THAT(p.ops, IsEmpty());
  EXPECT_THAT(p.foreign, IsEmpty());
}

TEST(Plan, FromEmptyAddsEachServiceBeforeItsDests) {
  const auto p = plan_owned({}, table({web, dns}));
  EXPECT_THAT(described(p),
              ElementsAre("add service TCP 192.0.2.1:80 rr",
                          "add dest 10.0.0.2:80 to TCP 192.0.2.1:80 Masq weight 1",
                          "add dest 10.0.0.3:80 to TCP 192.0.2.1:80 Masq weight 1",
                          "add service TCP 192.0.2.1:53 wlc",
                          "add dest 10.0.0.4:53 to TCP 192.0.2.1:53 Masq weight 3"));
  // The service op carries no destinations: they are separate writes.
  EXPECT_THAT(std::get<AddService>(p.ops[0]).service.dests, IsEmpty());
}

TEST(Plan, RepairsIpvsadmClear) {  // ipvsadm -C
  const auto desired = table({web});
  const auto p = plan_owned({}, desired);
  EXPECT_EQ(p.ops.size(), 3u);
}

TEST(Plan, RepairsIpvsadmDeleteDest) {  // ipvsadm -d -t 192.0.2.1:80 -r 10.0.0.3:80
  Service drifted = as_read_back(web);
  drifted.dests.pop_back();
  const auto p = plan_owned(table({drifted}), table({web}));
  ASSERT_THAT(p.ops, ElementsAre(VariantWith<AddDest>(AddDest{web.key, web.dests[1]})));
}

TEST(Plan, RepairsIpvsadmEditDestWithOneEdit) {  // ipvsadm -e ... -w 0
  Service drifted = as_read_back(web);
  drifted.dests[0].weight = 0;
  const auto current = table({drifted});
  const auto p = plan_owned(current, table({web}));
  ASSERT_THAT(p.ops, ElementsAre(VariantWith<EditDest>(EditDest{web.key, web.dests[0]})));
  EXPECT_EQ(describe(p.ops[0], &current),
            "edit dest 10.0.0.2:80 in TCP 192.0.2.1:80 (weight 0 -> 1)");
}

TEST(Plan, RepairsIpvsadmEditServiceInPlace) {  // ipvsadm -E -t ... -s wlc -p 60
  Service drifted = as_read_back(web);
  drifted.scheduler = "wlc";
  drifted.flags.persistent = true;
  drifted.timeout = 60;
  const auto current = table({drifted});
  const auto p = plan_owned(current, table({web}));
  ASSERT_EQ(p.ops.size(), 1u);
  const auto* e = std::get_if<EditService>(&p.ops[0]);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->service.scheduler, "rr");
  EXPECT_FALSE(e->service.flags.persistent);
  EXPECT_THAT(e->service.dests, IsEmpty());
  EXPECT_EQ(describe(p.ops[0], &current),
            "edit service TCP 192.0.2.1:80 (scheduler wlc -> rr, flags 1 -> 0, timeout 60 -> 0)");
}

TEST(Plan, ForwardingMethodChangeIsAnEditNotDeleteAdd) {
  Service want = web;
  want.dests[1].method = ForwardMethod::route;
  const auto p = plan_owned(table({as_read_back(web)}), table({want}));
  ASSERT_THAT(p.ops, ElementsAre(VariantWith<EditDest>(EditDest{web.key, want.dests[1]})));
}

TEST(Plan, KeyChangeIsDeleteAndAdd) {
  Service moved = web;
  moved.key.port = 8080;
  const auto p = plan({}, {}, {});
  EXPECT_THAT(p.ops, IsEmpty());
  const auto q = plan(table({web}), table({moved}), {web.key});
  EXPECT_THAT(described(q), ElementsAre("delete service TCP 192.0.2.1:80",
                                        "add service TCP 192.0.2.1:8080 rr",
                                        "add dest 10.0.0.2:80 to TCP 192.0.2.1:8080 Masq weight 1",
                                        "add dest 10.0.0.3:80 to TCP 192.0.2.1:8080 Masq weight 1"));
}

TEST(Plan, DeletedServiceTakesItsDestsWithIt) {
  const auto p = plan(table({web, dns}), table({web}), {web.key, dns.key});
  EXPECT_THAT(p.ops, ElementsAre(VariantWith<DelService>(DelService{dns.key})));
}

TEST(Plan, ForeignServicesAreLeftAloneAndReported) {
  const Service other = tcp("198.51.100.1", 25, "rr", {dest("10.9.9.9", 25)});
  const Service mark = fwm(9);
  const auto p = plan_owned(table({other, mark, web}), table({web}));
  EXPECT_THAT(p.ops, IsEmpty());
  EXPECT_THAT(p.foreign, ElementsAre(other.key, mark.key));
}

TEST(Plan, OwnedButNoLongerDesiredIsDeleted) {
  const auto p = plan(table({web, dns}), table({web}), {dns.key});
  EXPECT_THAT(p.ops, ElementsAre(VariantWith<DelService>(DelService{dns.key})));
  EXPECT_THAT(p.foreign, IsEmpty());
}

TEST(Plan, OrdersDestDeletesThenServiceDeletesThenAddsAndEdits) {
  Service web_now = as_read_back(web);
  web_now.dests.push_back(dest("10.0.0.99", 80));  // stale dest
  web_now.scheduler = "wlc";                       // needs an edit
  const Service gone = tcp("192.0.2.1", 22, "rr", {dest("10.0.0.5", 22)});
  Service web_want = web;
  web_want.dests.push_back(dest("10.0.0.6", 80));  // new dest
  const auto p = plan(table({gone, web_now}), table({dns, web_want}), {gone.key});
  EXPECT_THAT(described(p),
              ElementsAre("delete dest 10.0.0.99:80 from TCP 192.0.2.1:80",
                          "delete service TCP 192.0.2.1:22",
                          "add service TCP 192.0.2.1:53 wlc",
                          "add dest 10.0.0.4:53 to TCP 192.0.2.1:53 Masq weight 3",
                          "edit service TCP 192.0.2.1:80",
                          "add dest 10.0.0.6:80 to TCP 192.0.2.1:80 Masq weight 1"));
}

TEST(Plan, TunnelFieldsOnlyMatterForTunnels) {
  Service cur = as_read_back(web);
  cur.dests[0].tun_type = TunnelType::gue;  // junk the kernel keeps for a masq dest
  EXPECT_THAT(plan_owned(table({cur}), table({web})).ops, IsEmpty());
  Service want = web;
  want.dests[0].method = ForwardMethod::tunnel;
  want.dests[0].tun_type = TunnelType::gre;
  cur.dests[0].method = ForwardMethod::tunnel;
  EXPECT_EQ(plan_owned(table({cur}), table({want})).ops.size(), 1u);
}

TEST(Plan, DuplicateDesiredKeysFirstWins) {
  Service second = web;
  second.scheduler = "sh";
  const auto p = plan_owned({}, table({web, second}));
  EXPECT_EQ(p.ops.size(), 3u);
  EXPECT_EQ(std::get<AddService>(p.ops[0]).service.scheduler, "rr");
}

TEST(Plan, OpsCarrySettingsNotCounters) {
  Service want = web;
  want.dests[0].active_conns = 5;  // nonsense in a desired table; must not leak into ops
  const auto p = plan_owned({}, table({want}));
  EXPECT_EQ(std::get<AddDest>(p.ops[1]).dest.active_conns, 0u);
}

TEST(Plan, Summarize) {
  EXPECT_EQ(summarize(Plan{}), "no changes");
  const auto p = plan(table({web, dns}), table({web}), {dns.key});
  EXPECT_EQ(summarize(p), "1 change: delete service TCP 192.0.2.1:53");
  Plan many;
  for (std::uint32_t m = 1; m <= kSummaryOps + 5; ++m) many.ops.push_back(DelService{ServiceKey::mark(Family::v4, m)});
  const auto line = summarize(many);
  EXPECT_TRUE(line.starts_with("37 changes: delete service FWM 1; delete service FWM 2;"));
  EXPECT_TRUE(line.ends_with("; delete service FWM 32; ... and 5 more"));
}

}  // namespace
}  // namespace vigil::ipvs
