#include "checkers/io/udp_probe.hpp"

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <random>

#include "checkers/io/sockets.hpp"

namespace vigil::checkers::io {
namespace asio = boost::asio;
using asio::ip::udp;

std::optional<std::vector<std::uint8_t>> parse_hex(std::string_view text) {
  std::vector<std::uint8_t> out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    for (std::size_t k = i; k < j; k += 2) {
      auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
      };
      const int hi = digit(text[k]);
      const int lo = k + 1 < j ? digit(text[k + 1]) : 0;
      if (hi < 0 || lo < 0) return std::nullopt;
      // A lone last digit is the low nibble: "3" is 03, "456" is 45 06.
      out.push_back(static_cast<std::uint8_t>(k + 1 < j ? hi << 4 | lo : hi));
    }
    i = j;
  }
  return out;
}

UdpTarget udp_target(const conf::UdpCheck& c) {
  UdpTarget t;
  t.server = tcp_target(c);
  if (c.payload.is_set())
    if (auto bytes = parse_hex(*c.payload)) t.payload = std::move(*bytes);
  t.require_reply = *c.require_reply;
  if (c.min_reply_length.is_set()) t.min_reply_length = static_cast<std::size_t>(*c.min_reply_length);
  if (c.max_reply_length.is_set()) t.max_reply_length = static_cast<std::size_t>(*c.max_reply_length);
  return t;
}

struct UdpProber::Probe {
  explicit Probe(asio::io_context& io) : socket(io), timer(io) {}
  udp::socket socket;
  asio::steady_timer timer;
  std::vector<std::uint8_t> payload;
  std::vector<std::uint8_t> reply = std::vector<std::uint8_t>(65536);
  std::string name;
  bool require_reply{false};
  std::size_t min_len{0}, max_len{255};
  ProbeDone done;
};

UdpProber::UdpProber(asio::io_context& io) : io_(io), seed_(std::random_device{}()) {}

UdpProber::~UdpProber() {
  for (auto& [token, p] : probes_) {
    p->done = nullptr;
    boost::system::error_code ec;
    p->socket.close(ec);
    p->timer.cancel();
  }
}

std::uint64_t UdpProber::start(const UdpTarget& target, TimePoint deadline, ProbeDone done) {
  const std::uint64_t token = next_token_++;
  auto p = std::make_shared<Probe>(io_);
  p->done = std::move(done);
  p->name = endpoint_name(target.server.address, target.server.port);
  p->require_reply = target.require_reply;
  p->min_len = target.min_reply_length;
  p->max_len = target.max_reply_length;
  p->payload = target.payload;
  if (p->payload.empty()) {  // keepalived: a random payload
    p->payload.resize(16);
    for (auto& b : p->payload) {
      seed_ = seed_ * 6364136223846793005ULL + 1442695040888963407ULL;
      b = static_cast<std::uint8_t>(seed_ >> 56);
    }
  }
  probes_.emplace(token, p);
  std::string err = prepare_socket<udp>(p->socket, target.server);
  boost::system::error_code ec;
  if (err.empty()) {
    p->socket.connect(udp::endpoint(to_asio(target.server.address), target.server.port), ec);
    if (ec) err = "connect: " + ec.message();
  }
  if (err.empty()) {
    p->socket.send(asio::buffer(p->payload), 0, ec);
    if (ec) err = "send: " + ec.message();
  }
  if (!err.empty()) {
    asio::post(io_, [this, token, weak = std::weak_ptr<Probe>(p), err = p->name + ": " + err] {
      if (weak.lock()) finish(token, {false, std::nullopt, err});
    });
    return token;
  }
  p->timer.expires_at(to_steady(deadline));
  p->timer.async_wait([this, token, weak = std::weak_ptr<Probe>(p)](const boost::system::error_code& e) {
    auto pr = weak.lock();
    if (e || !pr) return;
    if (pr->require_reply) return finish(token, {false, std::nullopt, pr->name + ": no reply (timeout)"});
    finish(token, {true, std::nullopt, {}});  // no ICMP error in time: keepalived's success
  });
  p->socket.async_receive(asio::buffer(p->reply), [this, token, weak = std::weak_ptr<Probe>(p)](
                                                      const boost::system::error_code& e, std::size_t n) {
    auto pr = weak.lock();
    if (!pr || !probes_.count(token) || e == asio::error::operation_aborted) return;
    if (e == asio::error::connection_refused)
      return finish(token, {false, std::nullopt, pr->name + ": port unreachable (ICMP)"});
    if (e) return finish(token, {false, std::nullopt, pr->name + ": " + e.message()});
    if (pr->require_reply && (n < pr->min_len || n > pr->max_len))
      return finish(token, {false, std::nullopt,
                            pr->name + ": reply of " + std::to_string(n) + " bytes, not " +
                                std::to_string(pr->min_len) + ".." + std::to_string(pr->max_len)});
    finish(token, {true, std::nullopt, {}});
  });
  return token;
}

void UdpProber::finish(std::uint64_t token, ProbeOutcome outcome) {
  auto it = probes_.find(token);
  if (it == probes_.end()) return;
  auto p = std::move(it->second);
  probes_.erase(it);
  p->timer.cancel();
  boost::system::error_code ec;
  p->socket.close(ec);
  auto done = std::move(p->done);
  if (done) done(std::move(outcome));
}

void UdpProber::cancel(std::uint64_t token) {
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
