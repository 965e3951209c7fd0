// A fake LAN for Services: real encoding, demultiplexing and drivers; fake sockets that
// deliver each advert to the other hosts' endpoints 100 us later, on one manual clock.
#pragma once
#include <gtest/gtest.h>

#include "vrrpd/io/service.hpp"
#include "vrrpd/tests/io_fakes.hpp"
#include "vrrpd/tests/test_util.hpp"

namespace vigil::vrrp::io::lan {

using namespace std::chrono_literals;

inline constexpr auto kLatency = std::chrono::microseconds{100};

using test::ip;

class Lan;

class LanEndpoint final : public PacketEndpoint {
 public:
  LanEndpoint(Lan& lan, SocketConfig c) : lan_(lan), config_(std::move(c)) {}
  ~LanEndpoint() override;
  Result<void, int> send(const IpAddress& src, const IpAddress& dst,
                         std::span<const std::byte> m) override;
  void start(OnPacket p, OnDrop d) override {
    on_packet = std::move(p);
    on_drop = std::move(d);
  }
  const SocketConfig& config() const { return config_; }
  OnPacket on_packet;
  OnDrop on_drop;
  bool up{true};  // false: a crashed host's socket, deaf and mute
  IpAddress local;  // the host's address, for unicast delivery

 private:
  Lan& lan_;
  SocketConfig config_;
};

class Lan {
 public:
  explicit Lan(test::ManualTimers& t) : timers_(t), flush_(t.make_timer()) {}
  void attach(LanEndpoint* e) { endpoints_.push_back(e); }
  void detach(LanEndpoint* e) { std::erase(endpoints_, e); }
  // Queued: delivering inside send() would re-enter the sending driver.
  void send(LanEndpoint* from, RxPacket p, std::vector<std::byte> bytes) {
    queue_.push_back({from, std::move(p), std::move(bytes)});
    flush_->arm(timers_.now() + kLatency, [this] { flush(); });
  }
  std::uint64_t delivered{0};

 private:
  struct Frame {
    LanEndpoint* from;
    RxPacket packet;
    std::vector<std::byte> bytes;
  };
  void flush() {
    auto frames = std::move(queue_);
    queue_.clear();
    for (auto& f : frames)
      for (auto* e : endpoints_) {
        if (e == f.from || !e->up || !e->on_packet || e->config().family != f.packet.src.family())
          continue;
        if (!f.packet.dst.is_multicast() && f.packet.dst != e->local) continue;
        RxPacket p = f.packet;
        p.ifindex = e->config().ifindex;
        p.payload = f.bytes;
        ++delivered;
        e->on_packet(p);
      }
  }
  test::ManualTimers& timers_;
  std::unique_ptr<Timer> flush_;
  std::vector<LanEndpoint*> endpoints_;
  std::vector<Frame> queue_;
};

inline LanEndpoint::~LanEndpoint() { lan_.detach(this); }

inline Result<void, int> LanEndpoint::send(const IpAddress& src, const IpAddress& dst,
                                    std::span<const std::byte> m) {
  if (!up) return unexpected(ENETDOWN);
  lan_.send(this, RxPacket{src, dst, 0, 255, {}}, {m.begin(), m.end()});
  return {};
}

class LanSockets final : public SocketFactory {
 public:
  LanSockets(Lan& lan, IpAddress local) : lan_(lan), local_(local) {}
  Result<std::unique_ptr<PacketEndpoint>, std::string> open(const SocketConfig& c) override {
    if (fail) return unexpected(std::string("socket: Operation not permitted"));
    auto e = std::make_unique<LanEndpoint>(lan_, c);
    e->local = local_;
    last = e.get();
    opened.push_back(e.get());
    lan_.attach(e.get());
    return std::unique_ptr<PacketEndpoint>(std::move(e));
  }
  LanEndpoint* last{nullptr};
  std::vector<LanEndpoint*> opened;  // every endpoint opened (a crash silences them all)
  bool fail{false};

 private:
  Lan& lan_;
  IpAddress local_;
};


}  // namespace vigil::vrrp::io::lan
