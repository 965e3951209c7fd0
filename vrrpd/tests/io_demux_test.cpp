// Receive validation and demultiplexing: encoded adverts in, deliveries or counted drops out.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vrrpd/io/demux.hpp"
#include "vrrpd/io/rx.hpp"
#include "vrrpd/tests/test_util.hpp"

namespace vigil::vrrp::io {
namespace {

using test::hex;
using test::ip;

constexpr int kIf = 7;

Advert advert(std::uint8_t vrid, std::uint8_t prio, std::vector<IpAddress> addrs,
              Version v = Version::v3) {
  Advert a;
  a.version = v;
  a.vrid = vrid;
  a.priority = prio;
  a.max_adver_int = Centiseconds{v == Version::v2 ? 100 : 10};
  a.addresses = std::move(addrs);
  return a;
}

struct Wire {
  std::vector<std::byte> bytes;
  RxPacket packet(std::string_view src, std::string_view dst, int ttl = 255, int ifindex = kIf) {
    return {ip(src), ip(dst), ifindex, ttl, bytes};
  }
};

Wire wire(const Advert& a, std::string_view src, std::string_view dst) {
  return {encode_advert(a, {ip(src), ip(dst)})};
}

Listener listener(std::uint8_t vrid, std::string_view primary, std::vector<IpAddress> addrs) {
  Listener l;
  l.vrid = vrid;
  l.primary = ip(primary);
  l.addresses = std::move(addrs);
  return l;
}

template <class T>
T drop_of(const std::variant<Demux::Delivery, Drop>& r) {
  EXPECT_TRUE(std::holds_alternative<Drop>(r));
  if (!std::holds_alternative<Drop>(r)) return T{};
  const auto& d = std::get<Drop>(r);
  EXPECT_TRUE(std::holds_alternative<T>(d));
  return std::holds_alternative<T>(d) ? std::get<T>(d) : T{};
}

TEST(Ipv4Header, ParsesTheFieldsAndCutsThePayloadToTotalLength) {
  // 20-byte header, TTL 255, protocol 112, 192.0.2.1 -> 224.0.0.18, total 24, + 2 trailing.
  const auto d = hex("4500 0018 0000 0000 ff70 0000 c0000201 e0000012  31330a00 eeee");
  auto h = parse_ipv4(d);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->src, ip("192.0.2.1"));
  EXPECT_EQ(h->dst, ip("224.0.0.18"));
  EXPECT_EQ(h->ttl, 255);
  EXPECT_EQ(h->payload.size(), 4u);
}

TEST(Ipv4Header, RefusesTruncatedBadIhlAndOtherProtocols) {
  EXPECT_EQ(parse_ipv4(hex("4500 0018 0000")).error(), RxDrop::bad_ip_header);
  EXPECT_EQ(parse_ipv4(hex("4f00 0018 0000 0000 ff70 0000 c0000201 e0000012 31330a00")).error(),
            RxDrop::bad_ip_header);  // IHL 60 > datagram
  EXPECT_EQ(parse_ipv4(hex("4500 0018 0000 0000 ff06 0000 c0000201 e0000012 31330a00")).error(),
            RxDrop::bad_ip_header);  // TCP
  EXPECT_EQ(parse_ipv4(hex("6500 0018 0000 0000 ff70 0000 c0000201 e0000012 31330a00")).error(),
            RxDrop::bad_ip_header);  // version 6
}

class DemuxTest : public ::testing::Test {
 protected:
  const std::vector<IpAddress> vips{ip("192.0.2.100")};
  Demux demux{kIf};
  void SetUp() override {
    demux.add(1, listener(51, "192.0.2.11", vips));
    demux.add(2, listener(52, "192.0.2.11", {ip("192.0.2.200")}));
  }
};

TEST_F(DemuxTest, DeliversToTheInstanceOfTheVrid) {
  auto w = wire(advert(52, 100, {ip("192.0.2.200")}), "192.0.2.12", "224.0.0.18");
  auto r = demux.classify(w.packet("192.0.2.12", "224.0.0.18"));
  ASSERT_TRUE(std::holds_alternative<Demux::Delivery>(r));
  const auto& d = std::get<Demux::Delivery>(r);
  EXPECT_EQ(d.id, 2u);
  EXPECT_EQ(d.input.src, ip("192.0.2.12"));
  EXPECT_EQ(d.input.advert.priority, 100);
  EXPECT_EQ(demux.counters().delivered_count(), 1u);
  EXPECT_EQ(demux.counters().dropped(), 0u);
}

TEST_F(DemuxTest, CountsEveryDropByReason) {
  const auto good = wire(advert(51, 100, vips), "192.0.2.12", "224.0.0.18");
  auto w = good;
  EXPECT_EQ(drop_of<RxDrop>(demux.classify(w.packet("192.0.2.12", "224.0.0.18", 255, 3))),
            RxDrop::wrong_interface);
  EXPECT_EQ(drop_of<RxDrop>(demux.classify(w.packet("192.0.2.12", "224.0.0.18", 254))),
            RxDrop::ttl);
  EXPECT_EQ(drop_of<RxDrop>(demux.classify(w.packet("192.0.2.11", "224.0.0.18"))),
            RxDrop::own_advert);
  auto other = wire(advert(99, 100, vips), "192.0.2.12", "224.0.0.18");
  EXPECT_EQ(drop_of<RxDrop>(demux.classify(other.packet("192.0.2.12", "224.0.0.18"))),
            RxDrop::unknown_vrid);
  auto wrong_list = wire(advert(51, 100, {ip("192.0.2.101")}), "192.0.2.12", "224.0.0.18");
  EXPECT_EQ(drop_of<RxDrop>(demux.classify(wrong_list.packet("192.0.2.12", "224.0.0.18"))),
            RxDrop::addr_list_mismatch);
  auto short_list = wire(advert(51, 100, {}), "192.0.2.12", "224.0.0.18");
  EXPECT_EQ(drop_of<RxDrop>(demux.classify(short_list.packet("192.0.2.12", "224.0.0.18"))),
            RxDrop::addr_list_mismatch);
  auto corrupt = good;
  corrupt.bytes[2] = std::byte{99};  // priority changed after the checksum
  EXPECT_EQ(drop_of<DecodeError>(demux.classify(corrupt.packet("192.0.2.12", "224.0.0.18"))),
            DecodeError::bad_checksum);
  Wire tiny{hex("3133")};
  EXPECT_EQ(drop_of<DecodeError>(demux.classify(tiny.packet("192.0.2.12", "224.0.0.18"))),
            DecodeError::truncated);

  const auto& c = demux.counters();
  for (auto r : {RxDrop::wrong_interface, RxDrop::ttl, RxDrop::own_advert, RxDrop::unknown_vrid})
    EXPECT_EQ(c[r], 1u) << to_string(r);
  EXPECT_EQ(c[RxDrop::addr_list_mismatch], 2u);
  EXPECT_EQ(c[DecodeError::bad_checksum], 1u);
  EXPECT_EQ(c[DecodeError::truncated], 1u);
  EXPECT_EQ(c.dropped(), 8u);
  EXPECT_EQ(c.delivered_count(), 0u);
}

TEST_F(DemuxTest, SkipCheckAdvAddrAcceptsAnotherAddressList) {
  auto l = listener(51, "192.0.2.11", vips);
  l.skip_check_adv_addr = true;
  demux.add(1, l);
  auto w = wire(advert(51, 100, {ip("192.0.2.1"), ip("192.0.2.2")}), "192.0.2.12", "224.0.0.18");
  EXPECT_TRUE(std::holds_alternative<Demux::Delivery>(demux.classify(w.packet("192.0.2.12", "224.0.0.18"))));
}

TEST_F(DemuxTest, AddressListOrderDoesNotMatter) {
  demux.add(3, listener(53, "192.0.2.11", {ip("192.0.2.1"), ip("192.0.2.2")}));
  auto w = wire(advert(53, 100, {ip("192.0.2.2"), ip("192.0.2.1")}), "192.0.2.12", "224.0.0.18");
  EXPECT_TRUE(std::holds_alternative<Demux::Delivery>(demux.classify(w.packet("192.0.2.12", "224.0.0.18"))));
}

TEST(Demux, V2PassAuthenticationIsCheckedWithTheInstancesPassword) {
  Demux demux{kIf};
  auto l = listener(51, "192.0.2.11", {ip("192.0.2.100")});
  V2Auth auth{AuthType::pass, {}};
  auth.data[0] = std::byte{'s'};
  l.decode.auth = auth;
  demux.add(1, l);
  auto a = advert(51, 100, {ip("192.0.2.100")}, Version::v2);
  a.auth_type = AuthType::pass;
  a.auth_data = auth.data;
  auto good = wire(a, "192.0.2.12", "224.0.0.18");
  EXPECT_TRUE(std::holds_alternative<Demux::Delivery>(demux.classify(good.packet("192.0.2.12", "224.0.0.18"))));
  a.auth_data[0] = std::byte{'x'};
  auto bad = wire(a, "192.0.2.12", "224.0.0.18");
  EXPECT_EQ(drop_of<DecodeError>(demux.classify(bad.packet("192.0.2.12", "224.0.0.18"))),
            DecodeError::auth_mismatch);
  a.auth_type = AuthType::none;
  a.auth_data = {};
  auto none = wire(a, "192.0.2.12", "224.0.0.18");
  EXPECT_EQ(drop_of<DecodeError>(demux.classify(none.packet("192.0.2.12", "224.0.0.18"))),
            DecodeError::auth_type_mismatch);
}

TEST(Demux, UnicastTtlIsCheckedOnlyAgainstThePeersBounds) {
  Demux demux{kIf};
  auto l = listener(51, "192.0.2.11", {ip("192.0.2.100")});
  l.peers = {{ip("192.0.2.12"), 250, 255}, {ip("192.0.2.13"), {}, {}}};
  demux.add(1, l);
  const auto a = advert(51, 100, {ip("192.0.2.100")});
  auto from12 = wire(a, "192.0.2.12", "192.0.2.11");
  EXPECT_TRUE(std::holds_alternative<Demux::Delivery>(demux.classify(from12.packet("192.0.2.12", "192.0.2.11", 251))));
  EXPECT_EQ(drop_of<RxDrop>(demux.classify(from12.packet("192.0.2.12", "192.0.2.11", 64))), RxDrop::ttl);
  auto from13 = wire(a, "192.0.2.13", "192.0.2.11");
  EXPECT_TRUE(std::holds_alternative<Demux::Delivery>(demux.classify(from13.packet("192.0.2.13", "192.0.2.11", 64))));
}

TEST(Demux, CheckUnicastSrcRefusesStrangers) {
  Demux demux{kIf};
  auto l = listener(51, "192.0.2.11", {ip("192.0.2.100")});
  l.peers = {{ip("192.0.2.12"), {}, {}}};
  l.check_unicast_src = true;
  demux.add(1, l);
  auto w = wire(advert(51, 100, {ip("192.0.2.100")}), "192.0.2.66", "192.0.2.11");
  EXPECT_EQ(drop_of<RxDrop>(demux.classify(w.packet("192.0.2.66", "192.0.2.11"))), RxDrop::unicast_src);
}

TEST(Demux, InstancesSharingAVridAreTellApartByTheirPeers) {
  Demux demux{kIf};
  auto a = listener(51, "192.0.2.11", {ip("192.0.2.100")});
  a.peers = {{ip("192.0.2.12"), {}, {}}};
  auto b = listener(51, "192.0.2.11", {ip("192.0.2.100")});
  b.peers = {{ip("192.0.2.13"), {}, {}}};
  demux.add(1, a);
  demux.add(2, b);
  auto w = wire(advert(51, 100, {ip("192.0.2.100")}), "192.0.2.13", "192.0.2.11");
  auto r = demux.classify(w.packet("192.0.2.13", "192.0.2.11"));
  ASSERT_TRUE(std::holds_alternative<Demux::Delivery>(r));
  EXPECT_EQ(std::get<Demux::Delivery>(r).id, 2u);
}

TEST(Demux, Ipv6AdvertsAreDemultiplexedByVridAndFamily) {
  Demux demux{kIf};
  demux.add(1, listener(51, "192.0.2.11", {ip("192.0.2.100")}));
  demux.add(2, listener(51, "fe80::11", {ip("2001:db8::100")}));
  auto w = wire(advert(51, 100, {ip("2001:db8::100")}), "fe80::12", "ff02::12");
  auto r = demux.classify(w.packet("fe80::12", "ff02::12"));
  ASSERT_TRUE(std::holds_alternative<Demux::Delivery>(r));
  EXPECT_EQ(std::get<Demux::Delivery>(r).id, 2u);
  EXPECT_EQ(drop_of<RxDrop>(demux.classify(w.packet("fe80::12", "ff02::12", 1))), RxDrop::ttl);
}

}  // namespace
}  // namespace vigil::vrrp::io
