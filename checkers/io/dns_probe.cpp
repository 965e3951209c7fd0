#include "checkers/io/dns_probe.hpp"

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <array>
#include <cctype>
#include <random>

#include "checkers/io/sockets.hpp"

namespace vigil::checkers::io {
namespace asio = boost::asio;
using asio::ip::udp;

namespace dns {
namespace {

constexpr std::pair<std::string_view, std::uint16_t> kTypes[] = {
    {"A", 1},    {"NS", 2},    {"CNAME", 5}, {"SOA", 6},  {"PTR", 12},
    {"MX", 15},  {"TXT", 16},  {"AAAA", 28}, {"SRV", 33}, {"ANY", 255}};

std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}

// The end of the (uncompressed or compressed) name at `at`; nullopt when malformed.
std::optional<std::size_t> skip_name(std::span<const std::uint8_t> b, std::size_t at) {
  while (at < b.size()) {
    const std::uint8_t len = b[at];
    if (len == 0) return at + 1;
    if ((len & 0xc0) == 0xc0) return at + 2 <= b.size() ? std::optional(at + 2) : std::nullopt;
    if (len & 0xc0) return std::nullopt;
    at += 1 + len;
  }
  return std::nullopt;
}

bool same_name(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](std::uint8_t x, std::uint8_t y) { return std::tolower(x) == std::tolower(y); });
}

}  // namespace

std::optional<std::uint16_t> type_code(std::string_view name) {
  for (const auto& [n, code] : kTypes)
    if (std::equal(n.begin(), n.end(), name.begin(), name.end(),
                   [](char x, char y) { return std::toupper(static_cast<unsigned char>(y)) == x; }))
      return code;
  return std::nullopt;
}

std::vector<std::uint8_t> query(std::uint16_t id, std::string_view name, std::uint16_t type) {
  std::vector<std::uint8_t> q = {static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id), 0x01, 0x00,
                                 0, 1, 0, 0, 0, 0, 0, 0};  // RD; QDCOUNT 1
  if (name.ends_with('.')) name.remove_suffix(1);  // "example.com." and "." (the root)
  std::size_t name_len = 0;
  std::size_t i = 0;
  while (i < name.size()) {
    std::size_t dot = name.find('.', i);
    if (dot == std::string_view::npos) dot = name.size();
    const std::size_t len = dot - i;
    if (len == 0 || len > 63) return {};  // "a..b", or a label too long
    q.push_back(static_cast<std::uint8_t>(len));
    q.insert(q.end(), name.begin() + static_cast<long>(i), name.begin() + static_cast<long>(dot));
    name_len += len + 1;
    i = dot + 1;
  }
  if (name_len + 1 > 255) return {};
  q.push_back(0);
  q.push_back(static_cast<std::uint8_t>(type >> 8));
  q.push_back(static_cast<std::uint8_t>(type));
  q.push_back(0);
  q.push_back(1);  // IN
  return q;
}

Verdict check_reply(std::span<const std::uint8_t> r, std::span<const std::uint8_t> q, int* rcode) {
  if (r.size() < 12) return Verdict::malformed;
  if (be16(r, 0) != be16(q, 0)) return Verdict::other_id;
  const std::uint16_t flags = be16(r, 2);
  if (!(flags & 0x8000)) return Verdict::not_response;
  if ((flags & 0x000f) != 0) {
    if (rcode) *rcode = flags & 0x000f;
    return Verdict::rcode;
  }
  if (be16(r, 4) != 1) return Verdict::question;
  // The question as asked: name (case-insensitively), type and class.
  const auto q_end = skip_name(q, 12);
  const auto r_end = skip_name(r, 12);
  if (!q_end || !r_end) return Verdict::malformed;
  if (*r_end + 4 > r.size()) return Verdict::malformed;
  if (!same_name(r.subspan(12, *r_end - 12), q.subspan(12, *q_end - 12))) return Verdict::question;
  if (!std::equal(r.begin() + static_cast<long>(*r_end), r.begin() + static_cast<long>(*r_end + 4),
                  q.begin() + static_cast<long>(*q_end)))
    return Verdict::question;
  return Verdict::ok;
}

std::string rcode_name(int rcode) {
  static constexpr const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
  if (rcode >= 0 && rcode < 6) return kNames[rcode];
  return "RCODE " + std::to_string(rcode);
}

}  // namespace dns

DnsTarget dns_target(const conf::DnsCheck& c) {
  DnsTarget t;
  t.server = tcp_target(c);
  if (!c.connect_port.is_set()) t.server.port = 53;
  if (c.name.is_set() && !c.name->empty()) t.name = *c.name;
  if (c.type.is_set())
    if (auto code = dns::type_code(*c.type)) t.type = *code;
  return t;
}

struct DnsProber::Probe {
  explicit Probe(asio::io_context& io) : socket(io), timer(io) {}
  udp::socket socket;
  asio::steady_timer timer;
  std::vector<std::uint8_t> query;
  std::array<std::uint8_t, 4096> reply{};
  std::string name;  // "[10.0.0.1]:53", for reasons
  ProbeDone done;
};

DnsProber::DnsProber(asio::io_context& io) : io_(io), seed_(std::random_device{}()) {}

DnsProber::~DnsProber() {
  for (auto& [token, p] : probes_) {
    p->done = nullptr;
    boost::system::error_code ec;
    p->socket.close(ec);
    p->timer.cancel();
  }
}

std::uint64_t DnsProber::start(const DnsTarget& target, TimePoint deadline, ProbeDone done) {
  const std::uint64_t token = next_token_++;
  auto p = std::make_shared<Probe>(io_);
  p->done = std::move(done);
  p->name = endpoint_name(target.server.address, target.server.port);
  probes_.emplace(token, p);
  // A fresh, unpredictable id per query (splitmix64 over a random seed).
  seed_ += 0x9e3779b97f4a7c15ULL;
  std::uint64_t z = seed_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  p->query = dns::query(static_cast<std::uint16_t>(z ^ (z >> 31)), target.name, target.type);
  std::string err = p->query.empty() ? "invalid query name '" + target.name + "'" : prepare_socket<udp>(p->socket, target.server);
  boost::system::error_code ec;
  if (err.empty()) {
    p->socket.connect(udp::endpoint(to_asio(target.server.address), target.server.port), ec);
    if (ec) err = "connect: " + ec.message();
  }
  if (err.empty()) {
    p->socket.send(asio::buffer(p->query), 0, ec);
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
    finish(token, {false, std::nullopt, pr->name + ": no answer (timeout)"});
  });
  receive(token, p);
  return token;
}

void DnsProber::receive(std::uint64_t token, const std::shared_ptr<Probe>& p) {
  p->socket.async_receive(asio::buffer(p->reply), [this, token, weak = std::weak_ptr<Probe>(p)](
                                                      const boost::system::error_code& ec, std::size_t n) {
    auto pr = weak.lock();
    if (!pr || !probes_.count(token) || ec == asio::error::operation_aborted) return;
    if (ec == asio::error::connection_refused)
      return finish(token, {false, std::nullopt, pr->name + ": port unreachable (ICMP)"});
    if (ec) return finish(token, {false, std::nullopt, pr->name + ": " + ec.message()});
    int rcode = 0;
    switch (dns::check_reply(std::span(pr->reply.data(), n), pr->query, &rcode)) {
      case dns::Verdict::ok: return finish(token, {true, std::nullopt, {}});
      case dns::Verdict::other_id: return receive(token, pr);  // a late answer: wait on
      case dns::Verdict::malformed: return finish(token, {false, std::nullopt, pr->name + ": malformed reply"});
      case dns::Verdict::not_response: return finish(token, {false, std::nullopt, pr->name + ": reply without QR"});
      case dns::Verdict::rcode: return finish(token, {false, std::nullopt, pr->name + ": " + dns::rcode_name(rcode)});
      case dns::Verdict::question:
        return finish(token, {false, std::nullopt, pr->name + ": reply to another question"});
    }
  });
}

void DnsProber::finish(std::uint64_t token, ProbeOutcome outcome) {
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

void DnsProber::cancel(std::uint64_t token) {
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
