// Sans-IO conversations with the kernel's IPVS family over one netlink socket. Each
// Transaction produces the bytes to send (take_output) and consumes every datagram received
// (feed) until it is done; the socket's failures and the clock's deadlines come in as fail().
// No sockets, no clock: the blocking driver (io/netlink_ipvs: poll) and the Asio driver
// (io/async_netlink_ipvs: async_wait) run the same objects, and tests feed them canned
// replies.
//
// A Session is the per-socket state the transactions of that socket share: the IPVS family
// id, the sequence numbers (unique per socket, so a late reply to a transaction that timed
// out is a stray for the next one, never mistaken for its answer), limits and counters.
// A socket runs one transaction at a time (the kernel runs one dump per socket at a time).
#pragma once
#include <cstdint>
#include <cerrno>
#include <climits>
#include <functional>
#include <map>
#include <string>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "ipvs_glue/codec/exchange.hpp"
#include "ipvs_glue/codec/ipvs.hpp"
#include "ipvs_glue/io/port.hpp"

namespace vigil::ipvs::codec {

struct Limits {
  std::size_t max_requests{256};      // requests per send: the window in flight
  std::size_t max_bytes{96 * 1024};   // bytes per send (below the socket's sndbuf)
  bool quiet_writes{true};            // NLM_F_ACK only on the last write of a window
  bool stage_schedulers{true};        // see ApplyTxn
  int dump_retries{3};                // NLM_F_DUMP_INTR redone at most this many times
};

struct Counters {
  std::uint64_t requests{};  // netlink requests sent (writes, dumps, gets)
  std::uint64_t writes{};    // write requests among them
  std::uint64_t sends{};     // send calls that carried them
  std::uint64_t datagrams{};  // datagrams received
  std::uint64_t stray{};     // messages that matched no pending request
  std::uint64_t interrupted{};  // dumps redone after NLM_F_DUMP_INTR
};

struct Session {
  std::uint16_t family{};  // the IPVS generic netlink family id
  Limits limits;
  std::uint32_t seq{1};
  Counters counters;
  std::uint32_t next_seq() { return ++seq == 0 ? ++seq : seq; }
};

class Transaction {
 public:
  using Kind = genl::Exchange::Kind;
  using Outcome = genl::Exchange::Outcome;
  // Writes one request with the given sequence number into w and says how it ends.
  using Build = std::function<Kind(nl::Writer&, const Request&)>;

  explicit Transaction(Session& s) : session_(s) {}
  virtual ~Transaction() = default;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // The next bytes to send; empty while replies are awaited (or when done).
  std::vector<std::byte> take_output();
  // One datagram received from the socket.
  void feed(std::span<const std::byte> datagram);
  // The socket failed, or the deadline passed: the transaction ends with `e`. The requests
  // it was waiting for are forgotten (their late replies are strays).
  void fail(IpvsError e);
  bool done() const { return done_; }
  bool waiting() const { return !done_ && exchange_.pending() > 0; }
  // The error that ended it, if one did.
  const std::optional<IpvsError>& error() const { return error_; }

 protected:
  // Subclasses: queue the next window (send()), or finish(); called when nothing is pending.
  virtual void next() = 0;
  // A request of the window completed.
  virtual void on_outcome(std::size_t tag, Outcome&& o) = 0;

  // Adds a request to the window being built; `tag` comes back with its outcome.
  void add(const Build& build, std::size_t tag, bool write);
  std::size_t window_requests() const { return window_.size(); }
  std::size_t window_bytes() const { return out_.size(); }
  void finish() { done_ = true; }
  void finish(IpvsError e);
  Session& session() { return session_; }

 private:
  void pump();

  Session& session_;
  genl::Exchange exchange_;
  std::map<std::uint32_t, std::size_t> window_;  // seq -> tag, for the requests in flight
  nl::Writer out_;
  std::size_t last_write_at_{SIZE_MAX};  // offset of the window's last write (quiet mode)
  std::size_t out_writes_{0};
  bool started_{false}, done_{false};
  std::optional<IpvsError> error_;
};

// One request: a write (ACK), a GET (reply + ACK) or a dump (multi-part + DONE, redone on
// NLM_F_DUMP_INTR). The result is its outcome; a kernel error is in outcome().error.
class RequestTxn final : public Transaction {
 public:
  // write: counted as a write request (NEW/SET/DEL_*, ZERO, FLUSH, daemons, timeouts).
  RequestTxn(Session& s, Build build, Kind kind, bool write = false);
  const Outcome& outcome() const { return outcome_; }

 private:
  void next() override;
  void on_outcome(std::size_t tag, Outcome&& o) override;
  Build build_;
  Kind kind_;
  bool write_;
  int attempts_{0};
  bool sent_{false};
  Outcome outcome_;
};

// The whole table: one GET_SERVICE dump, then one GET_DEST dump per service in turn (a
// dump with any entry takes two passes, entries then DONE on the next read; a second dump
// sent along would be refused with EBUSY). A dump flagged NLM_F_DUMP_INTR is redone; a
// destination dump whose service vanished (the table changed under us) restarts it all,
// within the same bound.
class DumpTableTxn final : public Transaction {
 public:
  explicit DumpTableTxn(Session& s) : Transaction(s) {}
  const IpvsTable& table() const { return table_; }
  IpvsTable take_table() { return std::move(table_); }

 private:
  void next() override;
  void on_outcome(std::size_t tag, Outcome&& o) override;
  bool retry(const char* what);
  IpvsTable table_;
  bool have_services_{false};
  std::size_t service_{0};  // whose destinations are dumped next
  bool in_flight_{false};
  int retries_{0};
};

// Writes, many per send: windows of up to max_requests / max_bytes, each request with its
// own sequence number; with quiet_writes only the last of a window asks for an ACK (the
// kernel answers the others only when they fail, and handles a socket's requests in order).
// An error ACK is the failure of its own operation; the rest proceed.
//
// Scheduler staging (stage_schedulers): sh, dh and mh rebuild their whole lookup table on
// every destination added (mh: 65521 slots; measured under TCG, 1,000 mh services x 20
// destinations cost 4.5 s of kernel time against 0.4 s for rr). A new service of those
// schedulers that gets at least two destinations in the same batch is created with the
// kernel's "none" scheduler (no scheduling: new connections are not scheduled, as before the
// service existed), its destinations are added, and one SET_SERVICE then binds the real
// scheduler, which builds its table once. One more write for the service; the operation
// counts stay the plan's. A failure of that SET_SERVICE (the module missing) is the
// failure of the AddService operation, named as such.
class ApplyTxn final : public Transaction {
 public:
  ApplyTxn(Session& s, std::vector<IpvsOp> ops);
  const ApplyReport& report() const { return report_; }
  // Requests sent for the staged services (included in report().writes).
  std::size_t staged() const { return staged_; }

 private:
  struct Step {
    std::size_t op;
    enum class What : std::uint8_t { plain, staged_add, staged_bind } what;
  };
  void next() override;
  void on_outcome(std::size_t tag, Outcome&& o) override;
  std::vector<IpvsOp> ops_;
  std::vector<Step> steps_;
  std::vector<bool> failed_;  // per op: a failure already reported
  std::size_t next_step_{0};
  std::size_t staged_{0};
  ApplyReport report_;
};

inline constexpr std::size_t kStageMinDests = 2;

// The positive errno of a kernel status (-errno); anything else (positive, INT_MIN, beyond
// MAX_ERRNO: a malformed reply) is EPROTO.
inline int errno_of(int status) { return status < 0 && status > -4096 ? -status : EPROTO; }
IpvsError kernel_error(const std::string& what, int neg_errno, const std::string& ext);
IpvsError protocol_error(const char* what, genl::DecodeError e);
// Whether a new service of this scheduler is staged (see ApplyTxn).
bool stages_scheduler(std::string_view scheduler);

}  // namespace vigil::ipvs::codec
