// Builders shared by the ipvs_glue tests.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include "ipvs_glue/model/types.hpp"

namespace vigil::ipvs::test {

inline IpAddress ip(const std::string& text) {
  auto a = IpAddress::parse(text);
  if (!a) throw std::invalid_argument("bad address in test: " + text);
  return *a;
}

inline Dest dest(const std::string& addr, std::uint16_t port, std::int32_t weight = 1,
                 ForwardMethod m = ForwardMethod::masq) {
  Dest d;
  d.address = ip(addr);
  d.port = port;
  d.weight = weight;
  d.method = m;
  return d;
}

inline Service tcp(const std::string& addr, std::uint16_t port, std::string sched = "rr",
                   std::vector<Dest> dests = {}) {
  Service s;
  s.key = ServiceKey::inet(Protocol::tcp, ip(addr), port);
  s.scheduler = std::move(sched);
  s.dests = std::move(dests);
  return s;
}

inline Service fwm(std::uint32_t mark, Family f = Family::v4, std::string sched = "wlc",
                   std::vector<Dest> dests = {}) {
  Service s;
  s.key = ServiceKey::mark(f, mark);
  s.scheduler = std::move(sched);
  s.dests = std::move(dests);
  return s;
}

}  // namespace vigil::ipvs::test
