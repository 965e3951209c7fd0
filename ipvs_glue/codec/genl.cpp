#include "ipvs_glue/codec/genl.hpp"

namespace vigil::ipvs::genl {
namespace {

inline constexpr std::uint16_t kErrAttrMsg = 1;  // NLMSGERR_ATTR_MSG

Result<NlHeader, DecodeError> read_header(nl::Reader& r) {
  auto len = r.native<std::uint32_t>();
  auto type = r.native<std::uint16_t>();
  auto flags = r.native<std::uint16_t>();
  auto seq = r.native<std::uint32_t>();
  auto pid = r.native<std::uint32_t>();
  if (!len || !type || !flags || !seq || !pid) return unexpected(DecodeError::truncated);
  return NlHeader{*len, *type, *flags, *seq, *pid};
}

std::string ext_ack_message(std::span<const std::byte> tlvs) {
  auto t = parse_table<3>(tlvs);
  if (!t) return {};
  auto s = get_string((*t)[kErrAttrMsg], 1024);
  return s ? *s : std::string{};
}

}  // namespace

std::string_view to_string(DecodeError e) {
  switch (e) {
    case DecodeError::truncated: return "truncated";
    case DecodeError::bad_length: return "bad length";
    case DecodeError::bad_attribute: return "bad attribute";
    case DecodeError::missing_attribute: return "missing attribute";
    case DecodeError::bad_value: return "bad value";
    case DecodeError::unexpected: return "unexpected message";
  }
  return "?";
}

Result<std::vector<Message>, DecodeError> split_messages(std::span<const std::byte> datagram) {
  std::vector<Message> out;
  nl::Reader r(datagram);
  while (r.remaining() > 0) {
    auto h = read_header(r);
    if (!h) return unexpected(h.error());
    if (h->len < kNlmsgHdrLen) return unexpected(DecodeError::bad_length);
    auto payload = r.bytes(h->len - kNlmsgHdrLen);
    if (!payload) return unexpected(DecodeError::truncated);
    out.push_back(Message{*h, *payload});
    r.skip_upto(nl::align4(h->len) - h->len);
  }
  return out;
}

Result<GenlMessage, DecodeError> parse_genl(const Message& m) {
  nl::Reader r(m.payload);
  auto cmd = r.native<std::uint8_t>();
  auto version = r.native<std::uint8_t>();
  if (!cmd || !version || !r.bytes(2)) return unexpected(DecodeError::truncated);
  return GenlMessage{*cmd, *version, m.payload.subspan(kGenlHdrLen)};
}

Result<Status, DecodeError> parse_status(const Message& m) {
  if (m.header.type != kNlmsgError && m.header.type != kNlmsgDone)
    return unexpected(DecodeError::unexpected);
  nl::Reader r(m.payload);
  auto err = r.native<std::int32_t>();
  if (!err) {
    // An old kernel may send DONE with no payload.
    if (m.header.type == kNlmsgDone && m.payload.empty()) return Status{};
    return unexpected(DecodeError::truncated);
  }
  Status s{*err, {}};
  if (m.header.type != kNlmsgError || !(m.header.flags & kFlagAckTlvs)) return s;
  // The request's header (and, unless capped, its payload) comes before the TLVs.
  nl::Reader orig(m.payload.subspan(4));
  auto oh = read_header(orig);
  if (!oh) return unexpected(oh.error());
  std::size_t skip = kNlmsgHdrLen;
  if (!(m.header.flags & kFlagCapped)) {
    if (oh->len < kNlmsgHdrLen) return unexpected(DecodeError::bad_length);
    skip = nl::align4(oh->len);
  }
  if (4 + skip > m.payload.size()) return unexpected(DecodeError::truncated);
  s.ext_message = ext_ack_message(m.payload.subspan(4 + skip));
  return s;
}

Result<std::vector<std::pair<std::uint16_t, std::span<const std::byte>>>, DecodeError> parse_attrs(
    std::span<const std::byte> data) {
  std::vector<std::pair<std::uint16_t, std::span<const std::byte>>> out;
  nl::Reader r(data);
  while (r.remaining() >= kAttrHdrLen) {
    const auto len = *r.native<std::uint16_t>();
    const auto type = *r.native<std::uint16_t>();
    if (len < kAttrHdrLen) return unexpected(DecodeError::bad_length);
    auto payload = r.bytes(len - kAttrHdrLen);
    if (!payload) return unexpected(DecodeError::truncated);
    out.emplace_back(static_cast<std::uint16_t>(type & nl::kAttrTypeMask), *payload);
    r.skip_upto(nl::align4(len) - len);
  }
  if (r.remaining() != 0) return unexpected(DecodeError::truncated);
  return out;
}

Result<std::uint64_t, DecodeError> get_counter(const std::optional<std::span<const std::byte>>& a) {
  if (a && a->size() == 4) return *get<std::uint32_t>(a);
  return get<std::uint64_t>(a);
}

Result<std::uint16_t, DecodeError> get_be16(const std::optional<std::span<const std::byte>>& a) {
  if (!a) return unexpected(DecodeError::missing_attribute);
  if (a->size() != 2) return unexpected(DecodeError::bad_attribute);
  return static_cast<std::uint16_t>(std::to_integer<unsigned>((*a)[0]) << 8 |
                                    std::to_integer<unsigned>((*a)[1]));
}

Result<std::string, DecodeError> get_string(const std::optional<std::span<const std::byte>>& a,
                                            std::size_t max_len) {
  if (!a) return unexpected(DecodeError::missing_attribute);
  std::string s;
  for (std::byte b : *a) {
    if (b == std::byte{0}) break;
    s.push_back(static_cast<char>(b));
  }
  if (s.size() > max_len) return unexpected(DecodeError::bad_value);
  return s;
}

MessageBuilder::MessageBuilder(nl::Writer& w, std::uint16_t type, std::uint16_t flags,
                               std::uint32_t seq, std::uint8_t cmd, std::uint8_t version)
    : w_(w), start_(w.size()) {
  w_.native<std::uint32_t>(0);  // nlmsg_len, patched by finish()
  w_.native<std::uint16_t>(type);
  w_.native<std::uint16_t>(flags);
  w_.native<std::uint32_t>(seq);
  w_.native<std::uint32_t>(0);  // nlmsg_pid: the kernel fills in ours
  w_.native<std::uint8_t>(cmd);
  w_.native<std::uint8_t>(version);
  w_.native<std::uint16_t>(0);  // reserved
}

void MessageBuilder::finish() {
  w_.pad4();
  w_.patch<std::uint32_t>(start_, static_cast<std::uint32_t>(w_.size() - start_));
}

std::vector<std::byte> encode_get_family(std::uint32_t seq, std::string_view name) {
  nl::Writer w;
  MessageBuilder m(w, kGenlIdCtrl, kFlagRequest | kFlagAck, seq, kCtrlCmdGetFamily, 1);
  w.attr_string(kCtrlAttrFamilyName, name);
  m.finish();
  return std::move(w).take();
}

Result<std::uint16_t, DecodeError> decode_family_id(const GenlMessage& m) {
  auto t = parse_table<3>(m.attrs);
  if (!t) return unexpected(t.error());
  return get<std::uint16_t>((*t)[kCtrlAttrFamilyId]);
}

}  // namespace vigil::ipvs::genl
