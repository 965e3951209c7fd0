#include "checkers/io/address_map.hpp"

#include <gtest/gtest.h>

namespace vigil::checkers::io {
namespace {

IpAddress v4(std::uint32_t n) { return IpAddress::v4(n); }

TEST(AddressMap, FindsWhatWasPutAndNothingElse) {
  AddressMap<int> m;
  const auto all = [](int) { return true; };
  EXPECT_EQ(m.find(v4(1)), nullptr);
  m.put(v4(1), 10, all);
  m.put(*IpAddress::parse("::1"), 20, all);
  ASSERT_NE(m.find(v4(1)), nullptr);
  EXPECT_EQ(*m.find(v4(1)), 10);
  EXPECT_EQ(*m.find(*IpAddress::parse("::1")), 20);
  EXPECT_EQ(m.find(v4(2)), nullptr);
  // 0.0.0.1 and ::1 differ by family only: both found, neither mistaken for the other.
  EXPECT_EQ(m.find(*IpAddress::parse("::")), nullptr);
  m.put(v4(1), 11, all);  // replaced, not added
  EXPECT_EQ(*m.find(v4(1)), 11);
  EXPECT_EQ(m.size(), 2u);
}

// Growth: 10,000 keys through several rebuilds, every one found with its own value.
TEST(AddressMap, GrowsAndKeepsEveryLiveEntry) {
  AddressMap<std::uint32_t> m;
  for (std::uint32_t i = 0; i < 10000; ++i) m.put(v4(0x7f000000 + i), i, [](std::uint32_t) { return true; });
  EXPECT_EQ(m.size(), 10000u);
  EXPECT_LE(2 * m.size(), m.capacity());
  for (std::uint32_t i = 0; i < 10000; ++i) {
    const auto* v = m.find(v4(0x7f000000 + i));
    ASSERT_NE(v, nullptr) << i;
    EXPECT_EQ(*v, i);
  }
  EXPECT_EQ(m.find(v4(0x7f000000 + 10000)), nullptr);
}

// A rebuild leaves out what `keep` refuses (expired routes), so the array stays bounded
// by what is live, however many keys came and went.
TEST(AddressMap, ARebuildDropsWhatIsNotKept) {
  AddressMap<int> m;
  int generation = 0;
  const auto current = [&](int g) { return g == generation; };
  for (generation = 0; generation < 20; ++generation)
    for (std::uint32_t i = 0; i < 1000; ++i) m.put(v4(generation * 1000 + i), generation, current);
  --generation;  // the last one put
  EXPECT_LE(m.capacity(), 8192u);
  for (std::uint32_t i = 0; i < 1000; ++i) ASSERT_NE(m.find(v4(generation * 1000 + i)), nullptr);
}

}  // namespace
}  // namespace vigil::checkers::io
