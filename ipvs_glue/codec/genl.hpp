// Generic netlink framing: nlmsghdr + genlmsghdr + attributes, the controller's family
// lookup, and ACK/error parsing. Pure: bytes in, values out. Every malformed input is a
// DecodeError, never a crash or an out-of-bounds read.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "ipvs_glue/codec/nl_bytes.hpp"

namespace vigil::ipvs::genl {

// One value per failure, so each maps to a counter.
enum class DecodeError : std::uint8_t {
  truncated,          // shorter than a header says
  bad_length,         // a length field below its header size
  bad_attribute,      // an attribute of the wrong size
  missing_attribute,  // a required attribute absent
  bad_value,          // a value out of its domain (family, address length, ...)
  unexpected,         // a message of a kind not expected here
};
std::string_view to_string(DecodeError e);

// <linux/netlink.h> / <linux/genetlink.h> constants, spelled out so the codec needs no
// kernel headers in its interface.
inline constexpr std::uint16_t kNlmsgError = 2, kNlmsgDone = 3, kNlmsgOverrun = 4;
inline constexpr std::uint16_t kFlagRequest = 0x01, kFlagMulti = 0x02, kFlagAck = 0x04,
                               kFlagDumpIntr = 0x10, kFlagDump = 0x300, kFlagCapped = 0x100,
                               kFlagAckTlvs = 0x200;
inline constexpr std::uint16_t kGenlIdCtrl = 0x10;
inline constexpr std::uint8_t kCtrlCmdNewFamily = 1, kCtrlCmdGetFamily = 3;
inline constexpr std::uint16_t kCtrlAttrFamilyId = 1, kCtrlAttrFamilyName = 2;
inline constexpr std::size_t kNlmsgHdrLen = 16, kGenlHdrLen = 4, kAttrHdrLen = 4;

struct NlHeader {
  std::uint32_t len{};
  std::uint16_t type{}, flags{};
  std::uint32_t seq{}, pid{};
};

// One netlink message inside a datagram; payload views the datagram.
struct Message {
  NlHeader header;
  std::span<const std::byte> payload;
};

// Splits a received datagram into its messages.
Result<std::vector<Message>, DecodeError> split_messages(std::span<const std::byte> datagram);

// The generic netlink header and the attributes after it.
struct GenlMessage {
  std::uint8_t cmd{}, version{};
  std::span<const std::byte> attrs;
};
Result<GenlMessage, DecodeError> parse_genl(const Message& m);

// NLMSG_ERROR (error 0 is an ACK) and NLMSG_DONE: the errno (negative, as the kernel sends
// it) and the extended-ACK message when the kernel gave one.
struct Status {
  int error{};
  std::string ext_message;
};
Result<Status, DecodeError> parse_status(const Message& m);

// Attributes of one level, by type (types at or above N are ignored; a repeated type: the
// last wins, as in the kernel's nla_parse).
template <std::size_t N>
using AttrTable = std::array<std::optional<std::span<const std::byte>>, N>;

Result<std::vector<std::pair<std::uint16_t, std::span<const std::byte>>>, DecodeError> parse_attrs(
    std::span<const std::byte> data);

template <std::size_t N>
Result<AttrTable<N>, DecodeError> parse_table(std::span<const std::byte> data) {
  auto attrs = parse_attrs(data);
  if (!attrs) return unexpected(attrs.error());
  AttrTable<N> t{};
  for (const auto& [type, payload] : *attrs)
    if (type < N) t[type] = payload;
  return t;
}

// Integer attributes: exactly the size of T.
template <class T>
Result<T, DecodeError> get(const std::optional<std::span<const std::byte>>& a) {
  if (!a) return unexpected(DecodeError::missing_attribute);
  if (a->size() != sizeof(T)) return unexpected(DecodeError::bad_attribute);
  nl::Reader r(*a);
  return *r.native<T>();
}
// A counter sent as u32 or u64.
Result<std::uint64_t, DecodeError> get_counter(const std::optional<std::span<const std::byte>>& a);
Result<std::uint16_t, DecodeError> get_be16(const std::optional<std::span<const std::byte>>& a);
// A string: up to the first NUL (or the whole payload), at most max_len bytes.
Result<std::string, DecodeError> get_string(const std::optional<std::span<const std::byte>>& a,
                                            std::size_t max_len);

// Writes nlmsghdr and genlmsghdr; finish() patches nlmsg_len.
class MessageBuilder {
 public:
  MessageBuilder(nl::Writer& w, std::uint16_t type, std::uint16_t flags, std::uint32_t seq,
                 std::uint8_t cmd, std::uint8_t version);
  nl::Writer& writer() { return w_; }
  void finish();

 private:
  nl::Writer& w_;
  std::size_t start_;
};

// CTRL_CMD_GETFAMILY for a family name, and the family id from the controller's reply.
std::vector<std::byte> encode_get_family(std::uint32_t seq, std::string_view name);
Result<std::uint16_t, DecodeError> decode_family_id(const GenlMessage& m);

}  // namespace vigil::ipvs::genl
