// The port through which routes and rules (virtual_routes / virtual_rules of a Master,
// static_routes / static_rules of the host) reach the kernel. NlRouteInstaller speaks
// rtnetlink through libnl-route-3; tests use an in-memory fake. As for addresses, adding
// what is there and removing what is not succeed.
#pragma once
#include <memory>
#include <string>

#include "base/result.hpp"
#include "vrrpd/io/route_spec.hpp"

struct nl_sock;

namespace vigil::vrrp::io {

class RouteInstaller {
 public:
  virtual ~RouteInstaller() = default;
  virtual Result<void, std::string> add(const RouteSpec& r) = 0;
  virtual Result<bool, std::string> remove(const RouteSpec& r) = 0;
  virtual Result<void, std::string> add(const RuleSpec& r) = 0;
  virtual Result<bool, std::string> remove(const RuleSpec& r) = 0;
};

class NlRouteInstaller final : public RouteInstaller {
 public:
  static Result<std::unique_ptr<NlRouteInstaller>, std::string> open();
  ~NlRouteInstaller() override;
  NlRouteInstaller(const NlRouteInstaller&) = delete;
  NlRouteInstaller& operator=(const NlRouteInstaller&) = delete;

  Result<void, std::string> add(const RouteSpec& r) override;
  Result<bool, std::string> remove(const RouteSpec& r) override;
  Result<void, std::string> add(const RuleSpec& r) override;
  Result<bool, std::string> remove(const RuleSpec& r) override;

 private:
  explicit NlRouteInstaller(nl_sock* sock) : sock_(sock) {}
  nl_sock* sock_;
};

}  // namespace vigil::vrrp::io
