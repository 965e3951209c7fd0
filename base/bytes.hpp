// Bounds-checked, big-endian (network order) reading and writing of wire formats.
// Decoders never cast packed structs onto received buffers: every read goes through a
// ByteReader, which refuses to step past the end and reports it as an empty optional.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <utility>
#include <vector>

namespace vigil {

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> data) : data_(data) {}

  std::size_t offset() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }

  std::optional<std::uint8_t> u8() {
    auto b = take(1);
    if (!b) return std::nullopt;
    return std::to_integer<std::uint8_t>((*b)[0]);
  }
  std::optional<std::uint16_t> u16() {
    auto b = take(2);
    if (!b) return std::nullopt;
    return static_cast<std::uint16_t>((byte_at(*b, 0) << 8) | byte_at(*b, 1));
  }
  std::optional<std::uint32_t> u32() {
    auto b = take(4);
    if (!b) return std::nullopt;
    return (byte_at(*b, 0) << 24) | (byte_at(*b, 1) << 16) | (byte_at(*b, 2) << 8) |
           byte_at(*b, 3);
  }
  // The next n bytes, as a view into the underlying buffer.
  std::optional<std::span<const std::byte>> bytes(std::size_t n) { return take(n); }
  bool skip(std::size_t n) { return take(n).has_value(); }

 private:
  static std::uint32_t byte_at(std::span<const std::byte> b, std::size_t i) {
    return std::to_integer<std::uint32_t>(b[i]);
  }
  std::optional<std::span<const std::byte>> take(std::size_t n) {
    if (n > remaining()) return std::nullopt;
    auto out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

  std::span<const std::byte> data_;
  std::size_t pos_{0};
};

class ByteWriter {
 public:
  ByteWriter() = default;
  explicit ByteWriter(std::size_t reserve) { out_.reserve(reserve); }

  std::size_t size() const { return out_.size(); }
  std::span<const std::byte> view() const { return out_; }

  void u8(std::uint8_t v) { out_.push_back(std::byte{v}); }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  void bytes(std::span<const std::byte> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void zeros(std::size_t n) { out_.insert(out_.end(), n, std::byte{0}); }
  // Overwrites two bytes already written (a checksum filled in after the body).
  void patch_u16(std::size_t offset, std::uint16_t v) {
    if (offset + 2 > out_.size()) throw std::out_of_range("ByteWriter::patch_u16");
    out_[offset] = std::byte{static_cast<std::uint8_t>(v >> 8)};
    out_[offset + 1] = std::byte{static_cast<std::uint8_t>(v)};
  }
  std::vector<std::byte> take() && { return std::move(out_); }

 private:
  std::vector<std::byte> out_;
};

}  // namespace vigil
