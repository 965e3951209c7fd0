// Receive validation and demultiplexing for one socket (one interface, one family): RFC 5798
// §7.1 checks that need the IP header or the instance's configuration, then the codec, then
// the instance it is for, by VRID. Pure: RxPacket in, a delivery or a counted drop out.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "base/ip.hpp"
#include "vrrpd/io/rx.hpp"
#include "vrrpd/proto/advert.hpp"
#include "vrrpd/proto/events.hpp"

namespace vigil::vrrp::io {

struct UnicastPeer {
  IpAddress address;
  std::optional<int> min_ttl, max_ttl;  // keepalived's unicast_peer { addr min_ttl N max_ttl M }
};

// What the demultiplexer needs of one instance.
struct Listener {
  std::uint8_t vrid{};
  IpAddress primary;                // our source address: our own adverts are dropped
  std::vector<IpAddress> addresses;  // the address list adverts must carry
  bool skip_check_adv_addr{false};
  std::vector<UnicastPeer> peers;   // empty: multicast
  bool check_unicast_src{false};
  DecodeOptions decode;
};

using Drop = std::variant<RxDrop, DecodeError>;

class Demux {
 public:
  using Id = std::size_t;  // the caller's handle for an instance

  struct Delivery {
    Id id{};
    AdvertReceived input;
  };

  explicit Demux(int ifindex) : ifindex_(ifindex) {}

  void add(Id id, Listener l);
  void remove(Id id);
  bool empty() const { return entries_.empty(); }

  // Validates, decodes and finds the instance. Every outcome is counted.
  std::variant<Delivery, Drop> classify(const RxPacket& p);
  // The same, decoding into `out` (its address vector reused: no allocation per advert);
  // the instance's id, or the drop. The receive path's form.
  std::variant<Id, Drop> classify(const RxPacket& p, AdvertReceived& out);

  // Drops the socket layer decided before the message reached classify().
  void count(RxDrop d) { counters_.add(d); }
  const RxCounters& counters() const { return counters_; }

 private:
  struct Entry {
    Id id;
    Listener listener;
  };
  // What the usual advert needs of its instance, packed: one cache line per VRID, no
  // pointer to follow (a thousand instances' adverts come in one burst, their data cold).
  struct Hot {
    std::uint32_t entry{kNone};  // the only entry of this VRID, or kNone (none, or several)
    bool multicast_only{false};  // no unicast peers, no check_unicast_src
    bool one_address{false};     // exactly one address to check, `address`
    Id id{};
    IpAddress primary;
    IpAddress address;
    DecodeOptions decode;
  };
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  Drop drop(Drop d);
  const Entry* find(std::uint8_t vrid, const IpAddress& src) const;
  void reindex();

  int ifindex_;
  std::vector<Entry> entries_;
  // Indexes rebuilt on add/remove (hundreds of instances may share an interface): the
  // entries of each VRID, and the distinct primary addresses (our own adverts).
  std::array<std::vector<std::uint32_t>, 256> by_vrid_{};
  std::array<Hot, 256> hot_{};
  std::vector<IpAddress> primaries_;
  RxCounters counters_;
};

// The advert's address list equals ours, as sets (keepalived does not require the order).
bool same_addresses(const std::vector<IpAddress>& got, const std::vector<IpAddress>& want);

}  // namespace vigil::vrrp::io
