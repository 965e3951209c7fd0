// Property tests: random values through encode -> the request's attributes parsed back ->
// the same value. Fixed seeds, so a failure reproduces.
#include <gtest/gtest.h>

#include <random>

#include "ipvs_glue/codec/genl.hpp"
#include "ipvs_glue/codec/ipvs.hpp"

namespace vigil::ipvs::codec {
namespace {

class Gen {
 public:
  explicit Gen(std::uint32_t seed) : rng_(seed) {}
  template <class T>
  T any() {
    return static_cast<T>(std::uniform_int_distribution<std::uint64_t>(0, UINT64_MAX)(rng_));
  }
  int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool coin() { return below(2) == 0; }
  std::string name(std::size_t max) {
    std::string s(static_cast<std::size_t>(below(static_cast<int>(max)) + 1), 'a');
    for (auto& c : s) c = static_cast<char>('a' + below(26));
    return s;
  }
  IpAddress address(Family f) {
    if (f == Family::v4) return IpAddress::v4(any<std::uint32_t>());
    std::array<std::uint8_t, 16> b;
    for (auto& x : b) x = any<std::uint8_t>();
    return IpAddress::v6(b);
  }
  Family family() { return coin() ? Family::v4 : Family::v6; }

  ServiceKey key() {
    const Family f = family();
    if (below(4) == 0) return ServiceKey::mark(f, any<std::uint32_t>() | 1);
    static constexpr Protocol kProtos[] = {Protocol::tcp, Protocol::udp, Protocol::sctp};
    return ServiceKey::inet(kProtos[below(3)], address(f), any<std::uint16_t>());
  }
  Service service() {
    Service s;
    s.key = key();
    s.scheduler = name(15);
    s.flags = ServiceFlags::from_bits(any<std::uint32_t>() & 0x3d);  // never HASHED (0x2)
    s.timeout = any<std::uint32_t>();
    if (coin()) s.netmask = static_cast<std::uint8_t>(below(max_prefix_length(s.key.family)));
    if (coin()) s.pe_name = name(15);
    return s;
  }
  Dest dest(Family service_family) {
    Dest d;
    d.address = address(below(5) == 0 ? family() : service_family);
    d.port = any<std::uint16_t>();
    d.method = static_cast<ForwardMethod>(below(4));
    if (d.method == ForwardMethod::tunnel) {
      d.tun_type = static_cast<TunnelType>(below(3));
      d.tun_port = any<std::uint16_t>();
      d.tun_flags = static_cast<std::uint16_t>(below(4));
    }
    d.weight = any<std::int32_t>();
    d.u_threshold = any<std::uint32_t>();
    d.l_threshold = any<std::uint32_t>();
    return d;
  }

 private:
  std::mt19937 rng_;
};

genl::GenlMessage one(const std::vector<std::byte>& bytes, std::uint8_t want_cmd) {
  auto msgs = genl::split_messages(bytes);
  EXPECT_TRUE(msgs);
  EXPECT_EQ(msgs->size(), 1u);
  EXPECT_EQ(msgs->at(0).header.len, bytes.size());
  auto g = genl::parse_genl(msgs->at(0));
  EXPECT_TRUE(g);
  EXPECT_EQ(g->cmd, want_cmd);
  return *g;
}

constexpr int kRounds = 2000;
const Request kReq{0x1d, 42};

TEST(RoundTrip, Services) {
  Gen g(1);
  for (int i = 0; i < kRounds; ++i) {
    const Service s = g.service();
    const auto bytes = encode(kReq, (i % 2) ? append_set_service : append_new_service, s);
    auto back = decode_service(one(bytes, (i % 2) ? 2 : 1));
    ASSERT_TRUE(back) << s.key.to_string();
    EXPECT_EQ(*back, s) << s.key.to_string();
  }
}

TEST(RoundTrip, ServiceKeysOfDeletes) {
  Gen g(2);
  for (int i = 0; i < kRounds; ++i) {
    const ServiceKey k = g.key();
    auto back = decode_service(one(encode(kReq, append_del_service, k), 3));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->key, k);
  }
}

TEST(RoundTrip, Dests) {
  Gen g(3);
  for (int i = 0; i < kRounds; ++i) {
    const ServiceKey k = g.key();
    const Dest d = g.dest(k.family);
    const auto bytes = encode(kReq, (i % 2) ? append_set_dest : append_new_dest, k, d);
    const auto m = one(bytes, (i % 2) ? 6 : 5);
    auto svc = decode_service(m);
    auto back = decode_dest(m, k.family);
    ASSERT_TRUE(svc);
    ASSERT_TRUE(back);
    EXPECT_EQ(svc->key, k);
    EXPECT_EQ(*back, d) << d.key().to_string();
    auto del = decode_dest(one(encode(kReq, append_del_dest, k, d.key()), 7), k.family);
    ASSERT_TRUE(del);
    EXPECT_EQ(del->key(), d.key());
  }
}

TEST(RoundTrip, DaemonsAndTimeouts) {
  Gen g(4);
  for (int i = 0; i < kRounds; ++i) {
    SyncDaemon d;
    d.state = g.coin() ? SyncState::master : SyncState::backup;
    d.interface = g.name(15);
    d.syncid = g.any<std::uint32_t>();
    d.maxlen = g.any<std::uint16_t>();
    d.port = g.any<std::uint16_t>();
    d.ttl = g.any<std::uint8_t>();
    if (g.coin()) d.group = g.address(g.family());
    auto back = decode_daemon(one(encode(kReq, append_new_daemon, d), 9));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, d);
    const Timeouts t{g.any<std::uint32_t>(), g.any<std::uint32_t>(), g.any<std::uint32_t>()};
    auto tb = decode_config(one(encode(kReq, append_set_config, t), 12));
    ASSERT_TRUE(tb);
    EXPECT_EQ(*tb, t);
  }
}

TEST(RoundTrip, HashedIsNeverSent) {
  Service s;
  s.key = ServiceKey::mark(Family::v4, 1);
  s.flags.hashed = s.flags.persistent = true;
  auto back = decode_service(one(encode(kReq, append_new_service, s), 1));
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->flags.hashed);
  EXPECT_TRUE(back->flags.persistent);
}

}  // namespace
}  // namespace vigil::ipvs::codec
