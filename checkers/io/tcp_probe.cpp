#include "checkers/io/tcp_probe.hpp"

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>

#include "checkers/io/asio_time.hpp"
#include "checkers/io/sockets.hpp"

namespace vigil::checkers::io {
namespace asio = boost::asio;
using asio::ip::tcp;

asio::ip::address to_asio(const IpAddress& a) {
  if (a.is_v4()) return asio::ip::address_v4(a.v4_host_order());
  asio::ip::address_v6::bytes_type b;
  std::copy(a.bytes().begin(), a.bytes().end(), b.begin());
  return asio::ip::address_v6(b);
}

TcpTarget tcp_target(const conf::CheckCommon& c) {
  TcpTarget t;
  t.address = *c.connect_ip;
  t.port = static_cast<std::uint16_t>(*c.connect_port);
  if (c.src().bindto.is_set()) t.bindto = *c.src().bindto;
  if (c.src().bind_port.is_set()) t.bind_port = static_cast<std::uint16_t>(*c.src().bind_port);
  if (c.src().fwmark.is_set()) t.fwmark = static_cast<std::uint32_t>(*c.src().fwmark);
  if (c.src().bind_if.is_set()) t.bind_if = *c.src().bind_if;
  return t;
}

struct TcpProber::Probe {
  explicit Probe(asio::io_context& io) : socket(io), timer(io) {}
  tcp::socket socket;
  asio::steady_timer timer;
  ProbeDone done;
  bool timed_out{false};
};

TcpProber::~TcpProber() {
  for (auto& [token, p] : probes_) {
    p->done = nullptr;
    boost::system::error_code ec;
    p->socket.close(ec);
    p->timer.cancel();
  }
}

std::uint64_t TcpProber::start(const TcpTarget& target, TimePoint deadline, ProbeDone done) {
  const std::uint64_t token = next_token_++;
  auto p = std::make_shared<Probe>(io_);
  p->done = std::move(done);
  probes_.emplace(token, p);
  if (auto err = prepare_socket<tcp>(p->socket, target); !err.empty()) {
    asio::post(io_, [this, token, weak = std::weak_ptr<Probe>(p), err = std::move(err)] {
      if (weak.lock()) finish(token, {false, std::nullopt, err});  // else cancelled, or we are gone
    });
    return token;
  }
  p->timer.expires_at(to_steady(deadline));
  p->timer.async_wait([this, token, weak = std::weak_ptr<Probe>(p)](const boost::system::error_code& ec) {
    auto pr = weak.lock();
    if (ec || !pr || !pr->done) return;
    pr->timed_out = true;
    boost::system::error_code ignored;
    pr->socket.close(ignored);  // the connect completes with operation_aborted
    finish(token, {false, std::nullopt, "timeout"});
  });
  p->socket.async_connect(tcp::endpoint(to_asio(target.address), target.port),
                          [this, token, weak = std::weak_ptr<Probe>(p)](const boost::system::error_code& ec) {
                            auto pr = weak.lock();
                            if (!pr || !pr->done || pr->timed_out) return;
                            pr->timer.cancel();
                            boost::system::error_code ignored;
                            pr->socket.close(ignored);
                            if (ec)
                              finish(token, {false, std::nullopt, "connect: " + ec.message()});
                            else
                              finish(token, {true, std::nullopt, {}});
                          });
  return token;
}

void TcpProber::finish(std::uint64_t token, ProbeOutcome outcome) {
  auto it = probes_.find(token);
  if (it == probes_.end()) return;  // cancelled
  auto p = std::move(it->second);
  probes_.erase(it);
  auto done = std::move(p->done);
  p->done = nullptr;
  if (done) done(std::move(outcome));
}

void TcpProber::cancel(std::uint64_t token) {
  auto it = probes_.find(token);
  if (it == probes_.end()) return;
  auto p = std::move(it->second);
  probes_.erase(it);
  p->done = nullptr;
  boost::system::error_code ec;
  p->socket.close(ec);
  p->timer.cancel();
}

}  // namespace vigil::checkers::io
