// AsyncIpvsPort: the IPVS table read and written without blocking the caller's event loop.
// Handlers run on the loop, one operation at a time per port, in the order asked.
// Implementations: AsyncNetlinkIpvs (the kernel, a non-blocking netlink socket on Asio) and
// PostedIpvs (any IpvsPort, e.g. FakeIpvs, its results posted to the loop).
#pragma once
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "ipvs_glue/io/port.hpp"

namespace vigil::ipvs {

class AsyncIpvsPort {
 public:
  using DumpHandler = std::function<void(Result<IpvsTable, IpvsError>)>;
  using ApplyHandler = std::function<void(Result<ApplyReport, IpvsError>)>;
  virtual ~AsyncIpvsPort() = default;
  virtual void async_dump(DumpHandler handler) = 0;
  virtual void async_apply(std::vector<IpvsOp> ops, ApplyHandler handler) = 0;
  // Netlink requests sent (reads and writes), and the write requests among them.
  virtual std::uint64_t requests() const = 0;
  virtual std::uint64_t writes() const = 0;
};

// A synchronous port behind the asynchronous interface (the fake, in tests and when the
// kernel has no IPVS): each call runs at once, its handler is posted to the loop.
class PostedIpvs final : public AsyncIpvsPort {
 public:
  PostedIpvs(boost::asio::io_context& io, std::unique_ptr<IpvsPort> port);
  ~PostedIpvs() override;
  void async_dump(DumpHandler handler) override;
  void async_apply(std::vector<IpvsOp> ops, ApplyHandler handler) override;
  std::uint64_t requests() const override { return port_->requests(); }
  std::uint64_t writes() const override { return port_->writes(); }
  IpvsPort& port() { return *port_; }

 private:
  boost::asio::io_context& io_;
  std::unique_ptr<IpvsPort> port_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vigil::ipvs
