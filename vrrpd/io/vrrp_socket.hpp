// A raw IP protocol 112 socket for one interface and family, shared by the instances on that
// interface. Non-blocking; the loop wakes it through Asio (posix::stream_descriptor::async_wait)
// and it reads until the kernel queue is empty (bounded per wake-up so timers keep running).
// After a wake-up that found two messages or more (a burst), the rest is read 250-500 us
// later on a timer instead of on readiness: a burst costs two wake-ups, not one every few
// messages; an advert that comes alone is read at once (a priority 0, a Master at 10 ms).
//
// Sending: TTL / hop limit 255 (RFC 5798 §5.1.1.3, §5.1.2.3), multicast loop off (an instance
// never hears itself), the source chosen per message with IP_PKTINFO / IPV6_PKTINFO (instances
// on one interface may use different unicast_src_ip). Receiving: IP_PKTINFO / IPV6_RECVPKTINFO
// for the arrival interface and destination, the TTL from the IPv4 header or IPV6_HOPLIMIT.
//
// Batching: send() queues the message and the queue goes out in one sendmmsg once the loop has
// run the handlers ready now (all the instances whose Adver_Timer fired together); reads use
// recvmmsg. A failure of a queued message is reported through OnSendError.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <optional>
#include <utility>
#include <vector>

#include "base/ip.hpp"
#include "base/result.hpp"
#include "vrrpd/io/rx.hpp"

namespace vigil::vrrp::io {

// Sends one encoded advert. The port the driver talks to (tests use a fake).
class AdvertTransport {
 public:
  virtual ~AdvertTransport() = default;
  // Returns errno on failure.
  virtual Result<void, int> send(const IpAddress& src, const IpAddress& dst,
                                 std::span<const std::byte> message) = 0;
};

// A socket of one interface and family as the service sees it: sends, and reports what it
// reads. Called for every message read, with the IP fields filled in; or with a drop the
// socket layer decided (IP header, ancillary data).
class PacketEndpoint : public AdvertTransport {
 public:
  using OnPacket = std::function<void(const RxPacket&)>;
  using OnDrop = std::function<void(RxDrop)>;
  // A send that failed after send() had queued it: the destination and errno.
  using OnSendError = std::function<void(const IpAddress& dst, int err)>;
  virtual void start(OnPacket on_packet, OnDrop on_drop) = 0;
  virtual void set_on_send_error(OnSendError) {}
  // Sends what is queued now (before the loop stops).
  virtual void flush() {}
  // A message is waiting to be read (a poll(); for a precise timer's spin).
  virtual bool input_waiting() { return false; }
};

struct SocketConfig {
  Family family{Family::v4};
  std::string ifname;
  int ifindex{};
  std::vector<IpAddress> groups;  // multicast groups to join on the interface
};

// Opens endpoints: VrrpSocket on the loop, a fake in tests.
class SocketFactory {
 public:
  virtual ~SocketFactory() = default;
  // The error is a message for the log.
  virtual Result<std::unique_ptr<PacketEndpoint>, std::string> open(const SocketConfig& c) = 0;
};

class VrrpSocket final : public PacketEndpoint {
 public:
  using Config = SocketConfig;

  // Opens, sets the options, binds to the interface and joins the groups. The error is a
  // message for the log ("socket: Operation not permitted").
  static Result<std::unique_ptr<VrrpSocket>, std::string> open(boost::asio::io_context& io,
                                                                Config config);
  ~VrrpSocket() override;
  VrrpSocket(const VrrpSocket&) = delete;
  VrrpSocket& operator=(const VrrpSocket&) = delete;

  void start(OnPacket on_packet, OnDrop on_drop) override;
  Result<void, int> send(const IpAddress& src, const IpAddress& dst,
                         std::span<const std::byte> message) override;
  void set_on_send_error(OnSendError f) override { on_send_error_ = std::move(f); }
  void flush() override;
  bool input_waiting() override;

  const Config& config() const { return config_; }

  // The two clocks as read for a batch of reads, and whether its arrival stamps are trusted.
  struct RxClock {
    TimePoint steady{};
    Duration real{};                 // CLOCK_REALTIME since the epoch
    std::optional<Duration> offset;  // real - steady
    bool trusted{false};
  };

 private:
  struct Outgoing;
  struct RxSlots;  // recvmmsg's headers, set up once
  VrrpSocket(boost::asio::io_context& io, int fd, Config config);
  void wait();
  void linger();
  std::size_t read_all();  // the messages read
  void deliver(std::span<const std::byte> datagram, const void* name, const void* control,
               std::size_t control_length);

  RxClock rx_clock_{};
  Config config_;
  boost::asio::io_context& io_;
  boost::asio::posix::stream_descriptor fd_;
  boost::asio::steady_timer linger_;  // the rest of a burst is read on it
  OnPacket on_packet_;
  OnDrop on_drop_;
  OnSendError on_send_error_;
  std::vector<std::byte> buffer_;  // kBatch receive buffers
  std::unique_ptr<RxSlots> rx_;
  std::vector<Outgoing> queue_;
  bool flush_posted_{false};
  std::shared_ptr<bool> alive_;  // handlers check it: the socket may be gone when they run
};

class AsioSocketFactory final : public SocketFactory {
 public:
  explicit AsioSocketFactory(boost::asio::io_context& io) : io_(io) {}
  Result<std::unique_ptr<PacketEndpoint>, std::string> open(const SocketConfig& c) override;

 private:
  boost::asio::io_context& io_;
};

}  // namespace vigil::vrrp::io
