#include "ipvs_glue/codec/exchange.hpp"

namespace vigil::ipvs::genl {

void Exchange::expect(std::uint32_t seq, Kind kind) {
  pending_[seq] = Pending{kind, Outcome{seq, 0, {}, false, {}}};
}

Result<std::vector<Exchange::Outcome>, DecodeError> Exchange::feed(
    std::span<const std::byte> datagram) {
  auto messages = split_messages(datagram);
  if (!messages) return unexpected(messages.error());
  std::vector<Outcome> done;
  for (const auto& m : *messages) {
    auto it = pending_.find(m.header.seq);
    if (it == pending_.end()) {
      ++stray_;
      continue;
    }
    Pending& p = it->second;
    if (m.header.flags & kFlagDumpIntr) p.outcome.interrupted = true;
    const auto type = m.header.type;
    if (type == kNlmsgError || type == kNlmsgDone) {
      auto status = parse_status(m);
      if (!status) return unexpected(status.error());
      const bool quiet = p.kind == Kind::quiet;
      p.outcome.error = status->error;
      p.outcome.ext_message = std::move(status->ext_message);
      if (!quiet) {
        // Every quiet write sent before this request has been handled, without an error.
        for (auto q = pending_.begin(); q != it;) {
          if (q->second.kind != Kind::quiet) {
            ++q;
            continue;
          }
          done.push_back(std::move(q->second.outcome));
          q = pending_.erase(q);
        }
      }
      done.push_back(std::move(p.outcome));
      pending_.erase(it);
    } else if (type == kNlmsgOverrun) {
      p.outcome.error = -105;  // ENOBUFS: the reply did not fit
      done.push_back(std::move(p.outcome));
      pending_.erase(it);
    } else if (type >= 0x10) {  // NLMSG_MIN_TYPE: a data message
      p.outcome.replies.emplace_back(m.payload.begin(), m.payload.end());
    }
  }
  return done;
}

Result<GenlMessage, DecodeError> parse_genl(std::span<const std::byte> payload) {
  return parse_genl(Message{NlHeader{}, payload});
}

}  // namespace vigil::ipvs::genl
