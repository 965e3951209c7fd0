#include "checkers/io/smtp_probe.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cctype>

#include "checkers/io/sockets.hpp"

namespace vigil::checkers::io {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// The host's settings, the checker's where the host block gives none (keepalived copies
// the checker's connection options into each host block).
TcpTarget host_target(const conf::CheckCommon& h, const conf::SmtpCheck& c) {
  TcpTarget t;
  t.address = h.connect_ip.is_set() ? *h.connect_ip : *c.connect_ip;
  const auto& port = h.connect_port.is_set() ? h.connect_port : c.connect_port;
  t.port = static_cast<std::uint16_t>(port.is_set() ? *port : 25);
  const auto& bindto = h.src().bindto.is_set() ? h.src().bindto : c.src().bindto;
  if (bindto.is_set()) t.bindto = *bindto;
  const auto& bind_port = h.src().bind_port.is_set() ? h.src().bind_port : c.src().bind_port;
  if (bind_port.is_set()) t.bind_port = static_cast<std::uint16_t>(*bind_port);
  const auto& fwmark = h.src().fwmark.is_set() ? h.src().fwmark : c.src().fwmark;
  if (fwmark.is_set()) t.fwmark = static_cast<std::uint32_t>(*fwmark);
  const auto& bind_if = h.src().bind_if.is_set() ? h.src().bind_if : c.src().bind_if;
  if (bind_if.is_set()) t.bind_if = *bind_if;
  return t;
}

constexpr std::size_t kMaxReply = 16 * 1024;  // one SMTP reply, all its lines

}  // namespace

SmtpTarget smtp_target(const conf::SmtpCheck& c) {
  SmtpTarget t;
  if (c.helo_name.is_set() && !c.helo_name->empty()) t.helo_name = *c.helo_name;
  if (c.host.empty()) t.hosts.push_back(host_target(c, c));
  for (const auto& h : c.host) t.hosts.push_back(host_target(*h, c));
  return t;
}

// One host's conversation.
struct SmtpProber::Session : std::enable_shared_from_this<Session> {
  Session(asio::io_context& io, TcpTarget t) : socket(io), in(kMaxReply), target(std::move(t)) {}
  tcp::socket socket;
  asio::streambuf in;
  std::string out;
  std::string reply;  // the last line of the reply being read
  TcpTarget target;
};

struct SmtpProber::Probe {
  explicit Probe(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
  std::vector<std::shared_ptr<Session>> sessions;
  std::size_t pending{0};
  ProbeDone done;
  std::string helo;
};

SmtpProber::~SmtpProber() {
  for (auto& [token, p] : probes_) {
    p->done = nullptr;
    p->timer.cancel();
    for (auto& s : p->sessions) {
      boost::system::error_code ec;
      s->socket.close(ec);
    }
  }
}

namespace {

// Reads one reply (every line of a multi-line one) and calls `next(code, error)`.
template <class Next>
void read_reply(std::shared_ptr<SmtpProber::Session> s, Next next);

}  // namespace

std::uint64_t SmtpProber::start(const SmtpTarget& target, TimePoint deadline, ProbeDone done) {
  const std::uint64_t token = next_token_++;
  auto p = std::make_shared<Probe>(io_);
  p->done = std::move(done);
  p->helo = target.helo_name;
  probes_.emplace(token, p);
  p->timer.expires_at(to_steady(deadline));
  p->timer.async_wait([this, token, weak = std::weak_ptr<Probe>(p)](const boost::system::error_code& ec) {
    if (ec || !weak.lock()) return;
    finish(token, {false, std::nullopt, "timeout"});
  });
  p->pending = target.hosts.size();
  if (target.hosts.empty()) {
    asio::post(io_, [this, token, weak = std::weak_ptr<Probe>(p)] {
      if (weak.lock()) finish(token, {true, std::nullopt, {}});
    });
    return token;
  }
  for (const auto& h : target.hosts) {
    auto s = std::make_shared<Session>(io_, h);
    p->sessions.push_back(s);
    const std::string name = endpoint_name(h.address, h.port);
    if (auto err = prepare_socket<tcp>(s->socket, h); !err.empty()) {
      asio::post(io_, [this, token, weak = std::weak_ptr<Probe>(p), err = name + ": " + err] {
        if (weak.lock()) host_done(token, err);
      });
      continue;
    }
    // The conversation, step by step; every step checks that the probe still exists.
    auto alive = [this, token, weak = std::weak_ptr<Probe>(p)] { return weak.lock() && probes_.count(token); };
    auto fail = [this, token, name](const std::string& why) { host_done(token, name + ": " + why); };
    auto send = [s](std::string line, auto then) {
      s->out = std::move(line);
      asio::async_write(s->socket, asio::buffer(s->out), [then](const boost::system::error_code& ec, std::size_t) { then(ec); });
    };
    s->socket.async_connect(
        tcp::endpoint(to_asio(h.address), h.port),
        [this, s, p = std::weak_ptr<Probe>(p), token, alive, fail, send](const boost::system::error_code& ec) {
          if (!alive()) return;
          if (ec) return fail("connect: " + ec.message());
          read_reply(s, [this, s, p, token, alive, fail, send](int code, const std::string& err) {
            if (!alive()) return;
            if (!err.empty()) return fail("greeting: " + err);
            if (code != 220) return fail("bad greeting banner: " + s->reply);
            const auto probe = p.lock();
            send("HELO " + probe->helo + "\r\n", [this, s, token, alive, fail](const boost::system::error_code& ec) {
              if (!alive()) return;
              if (ec) return fail("HELO: " + ec.message());
              read_reply(s, [this, s, token, alive, fail](int code, const std::string& err) {
                if (!alive()) return;
                if (!err.empty()) return fail("HELO: " + err);
                if (code != 250) return fail("bad HELO response: " + s->reply);
                s->out = "QUIT\r\n";
                asio::async_write(s->socket, asio::buffer(s->out), [this, s, token, alive](const boost::system::error_code& ec, std::size_t) {
                  if (!alive()) return;
                  if (ec) return host_done(token, {});  // the check passed at 250; QUIT is courtesy
                  read_reply(s, [this, token, alive](int, const std::string&) {
                    if (alive()) host_done(token, {});
                  });
                });
              });
            });
          });
        });
  }
  return token;
}

namespace {

template <class Next>
void read_reply(std::shared_ptr<SmtpProber::Session> s, Next next) {
  asio::async_read_until(s->socket, s->in, '\n', [s, next](const boost::system::error_code& ec, std::size_t n) {
    if (ec) return next(0, ec == asio::error::eof ? std::string("connection closed") : ec.message());
    std::string line(asio::buffers_begin(s->in.data()), asio::buffers_begin(s->in.data()) + static_cast<long>(n));
    s->in.consume(n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    s->reply = line;
    const bool coded = line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0])) &&
                       std::isdigit(static_cast<unsigned char>(line[1])) && std::isdigit(static_cast<unsigned char>(line[2]));
    if (!coded) return next(-1, {});
    if (line.size() > 3 && line[3] == '-') return read_reply(s, next);  // more lines follow
    next(std::stoi(line.substr(0, 3)), {});
  });
}

}  // namespace

void SmtpProber::host_done(std::uint64_t token, const std::string& error) {
  auto it = probes_.find(token);
  if (it == probes_.end()) return;
  if (!error.empty()) return finish(token, {false, std::nullopt, error});
  if (--it->second->pending == 0) finish(token, {true, std::nullopt, {}});
}

void SmtpProber::finish(std::uint64_t token, ProbeOutcome outcome) {
  auto it = probes_.find(token);
  if (it == probes_.end()) return;
  auto p = std::move(it->second);
  probes_.erase(it);
  p->timer.cancel();
  for (auto& s : p->sessions) {
    boost::system::error_code ec;
    s->socket.close(ec);
  }
  auto done = std::move(p->done);
  if (done) done(std::move(outcome));
}

void SmtpProber::cancel(std::uint64_t token) {
  auto it = probes_.find(token);
  if (it == probes_.end()) return;
  auto p = std::move(it->second);
  probes_.erase(it);
  p->done = nullptr;
  p->timer.cancel();
  for (auto& s : p->sessions) {
    boost::system::error_code ec;
    s->socket.close(ec);
  }
}

}  // namespace vigil::checkers::io
