#include "vrrpd/proto/bytes.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "vrrpd/tests/test_util.hpp"

namespace vigil::vrrp {
namespace {

using test::hex;

TEST(ByteReader, ReadsBigEndian) {
  const auto buf = hex("01 0203 04050607 0809");
  ByteReader r(buf);
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.u16(), 0x0203);
  EXPECT_EQ(r.u32(), 0x04050607u);
  EXPECT_EQ(r.offset(), 7u);
  EXPECT_EQ(r.remaining(), 2u);
  auto rest = r.bytes(2);
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[1], std::byte{0x09});
  EXPECT_TRUE(r.empty());
}

TEST(ByteReader, RefusesToReadPastTheEndAndDoesNotAdvance) {
  const auto buf = hex("aa bb cc");
  ByteReader r(buf);
  EXPECT_FALSE(r.u32());
  EXPECT_EQ(r.offset(), 0u);
  EXPECT_EQ(r.u16(), 0xaabb);
  EXPECT_FALSE(r.u16());
  EXPECT_FALSE(r.bytes(2));
  EXPECT_FALSE(r.skip(2));
  EXPECT_EQ(r.u8(), 0xcc);
  EXPECT_FALSE(r.u8());
  EXPECT_TRUE(r.bytes(0));  // an empty read at the end is fine
}

TEST(ByteReader, EmptyInput) {
  ByteReader r(std::span<const std::byte>{});
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.u8());
}

TEST(ByteWriter, WritesBigEndianAndPatches) {
  ByteWriter w;
  w.u8(0x01);
  w.u16(0x0203);
  w.u32(0x04050607);
  w.zeros(2);
  const auto tail = hex("0a0b");
  w.bytes(tail);
  w.patch_u16(7, 0x0809);
  EXPECT_EQ(std::move(w).take(), hex("01 0203 04050607 0809 0a0b"));
}

TEST(ByteWriter, PatchOutsideWrittenBytesIsAWiringBug) {
  ByteWriter w;
  w.u8(1);
  EXPECT_THROW(w.patch_u16(0, 1), std::out_of_range);
}

}  // namespace
}  // namespace vigil::vrrp
