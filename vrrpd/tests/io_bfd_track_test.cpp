// track_bfd: a bfd_instance's session folded into an instance's priority or FAULT.
#include <gtest/gtest.h>

#include "conf/load.hpp"
#include "conf/source.hpp"
#include "vrrpd/io/instance_config.hpp"
#include "vrrpd/io/tracking.hpp"
#include "vrrpd/tests/io_conf_util.hpp"

namespace vigil::vrrp::io {
namespace {

const char* kConf = R"(
bfd_instance PLAIN {
    neighbor_ip 192.0.2.2
}
bfd_instance WEIGHTED {
    neighbor_ip 192.0.2.3
    weight -20
}
bfd_instance CHECKER_ONLY {
    neighbor_ip 192.0.2.4
    checker
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    track_bfd {
        PLAIN
        WEIGHTED
        CHECKER_ONLY
    }
    virtual_ipaddress {
        192.0.2.100/24
    }
}
)";

TEST(TrackBfd, WeightsFromTheBfdInstanceAndCheckerOnlySessionsSkipped) {
  auto r = test::load_conf(kConf);
  const auto items = track_items(*r.config, r.config->vrrp_instances.at(0));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0], (TrackItem{TrackKind::bfd, "PLAIN", 0, false}));
  EXPECT_EQ(items[1], (TrackItem{TrackKind::bfd, "WEIGHTED", -20, false}));
}

TEST(TrackBfd, ADownSessionFaultsOrWeighs) {
  auto r = test::load_conf(kConf);
  const auto items = track_items(*r.config, r.config->vrrp_instances.at(0));
  TrackedObjects objects;
  // Never heard of: down. PLAIN (weight 0) faults, WEIGHTED takes -20.
  auto st = evaluate(items, objects);
  EXPECT_TRUE(st.fault);
  EXPECT_EQ(st.fault_reason, "track_bfd PLAIN");
  EXPECT_EQ(st.delta, -20);
  EXPECT_FALSE(objects.set_bfd("PLAIN", false));  // down already: never heard of
  EXPECT_TRUE(objects.set_bfd("PLAIN", true));
  EXPECT_FALSE(objects.set_bfd("PLAIN", true));  // no change
  st = evaluate(items, objects);
  EXPECT_FALSE(st.fault);
  EXPECT_EQ(st.delta, -20);
  objects.set_bfd("WEIGHTED", true);
  EXPECT_EQ(evaluate(items, objects), TrackStatus{});
}

}  // namespace
}  // namespace vigil::vrrp::io
