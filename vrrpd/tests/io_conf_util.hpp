// Shared by the io tests that start from configuration text: loading it (config-id "test"),
// and a host with eth0 (ifindex 2, 192.0.2.11) and eth1 (ifindex 3, 198.51.100.11).
#pragma once
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "conf/load.hpp"
#include "conf/source.hpp"
#include "vrrpd/io/net.hpp"
#include "vrrpd/tests/test_util.hpp"

namespace vigil::vrrp::test {

inline conf::LoadResult load_conf(const std::string& text) {
  conf::MemorySource src;
  src.add("/k.conf", text);
  conf::LoadOptions o;
  o.config_id = "test";
  auto r = conf::load("/k.conf", src, o);
  EXPECT_TRUE(r.ok()) << r.diagnostics.format_all();
  return r;
}

inline std::optional<io::InterfaceInfo> test_host(const std::string& name) {
  if (name != "eth0" && name != "eth1") return std::nullopt;
  io::InterfaceInfo i;
  i.name = name;
  i.ifindex = name == "eth0" ? 2 : 3;
  i.up = i.running = true;
  i.ipv4 = ip(name == "eth0" ? "192.0.2.11" : "198.51.100.11");
  i.ipv6_link_local = ip("fe80::11");
  return i;
}

}  // namespace vigil::vrrp::test
