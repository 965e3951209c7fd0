// Bounds-checked reading and writing of netlink bytes. Netlink headers and integer
// attributes are in host byte order; ports and addresses are in network order and written
// as such (be16, raw address bytes). Nothing here casts structs onto buffers.
#pragma once
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace vigil::ipvs::nl {

inline constexpr std::size_t align4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }
inline constexpr std::uint16_t kAttrTypeMask = 0x3fff;  // ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER)
inline constexpr std::uint16_t kAttrNested = 0x8000;    // NLA_F_NESTED

class Writer {
 public:
  std::size_t size() const { return out_.size(); }
  std::span<const std::byte> view() const { return out_; }
  std::vector<std::byte> take() && { return std::move(out_); }

  template <class T>
  void native(T v) {  // host byte order, as netlink wants
    std::array<std::byte, sizeof(T)> b;
    std::memcpy(b.data(), &v, sizeof(T));
    out_.insert(out_.end(), b.begin(), b.end());
  }
  void be16(std::uint16_t v) {
    out_.push_back(std::byte{static_cast<std::uint8_t>(v >> 8)});
    out_.push_back(std::byte{static_cast<std::uint8_t>(v)});
  }
  void bytes(std::span<const std::byte> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void pad4() { out_.resize(align4(out_.size()), std::byte{0}); }

  // struct nlattr {u16 nla_len; u16 nla_type;} then the payload, padded to 4.
  std::size_t begin_attr(std::uint16_t type) {
    const std::size_t at = out_.size();
    native<std::uint16_t>(0);
    native<std::uint16_t>(type);
    return at;
  }
  void end_attr(std::size_t at) {
    patch<std::uint16_t>(at, static_cast<std::uint16_t>(out_.size() - at));
    pad4();
  }
  std::size_t begin_nested(std::uint16_t type) { return begin_attr(type | kAttrNested); }

  template <class T>
  void attr(std::uint16_t type, T v) {
    const auto at = begin_attr(type);
    native<T>(v);
    end_attr(at);
  }
  void attr_be16(std::uint16_t type, std::uint16_t v) {
    const auto at = begin_attr(type);
    be16(v);
    end_attr(at);
  }
  void attr_bytes(std::uint16_t type, std::span<const std::byte> b) {
    const auto at = begin_attr(type);
    bytes(b);
    end_attr(at);
  }
  void attr_string(std::uint16_t type, std::string_view s) {  // NUL-terminated
    const auto at = begin_attr(type);
    bytes(std::as_bytes(std::span(s.data(), s.size())));
    out_.push_back(std::byte{0});
    end_attr(at);
  }

  template <class T>
  void patch(std::size_t at, T v) {
    std::memcpy(out_.data() + at, &v, sizeof(T));
  }

 private:
  std::vector<std::byte> out_;
};

class Reader {
 public:
  explicit Reader(std::span<const std::byte> data) : data_(data) {}
  std::size_t offset() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }

  template <class T>
  std::optional<T> native() {
    auto b = bytes(sizeof(T));
    if (!b) return std::nullopt;
    T v;
    std::memcpy(&v, b->data(), sizeof(T));
    return v;
  }
  std::optional<std::span<const std::byte>> bytes(std::size_t n) {
    if (n > remaining()) return std::nullopt;
    auto out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  // Skips up to n bytes (the padding after the last item may be missing).
  void skip_upto(std::size_t n) { pos_ += n < remaining() ? n : remaining(); }

 private:
  std::span<const std::byte> data_;
  std::size_t pos_{0};
};

}  // namespace vigil::ipvs::nl
