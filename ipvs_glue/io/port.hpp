// IpvsPort: the narrow interface through which vigil changes the kernel's IPVS tables.
// Implementations: FakeIpvs (in memory, for tests) and NetlinkIpvs (generic netlink).
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "ipvs_glue/model/plan.hpp"
#include "ipvs_glue/model/types.hpp"

namespace vigil::ipvs {

struct IpvsError {
  enum class Kind : std::uint8_t {
    unavailable,  // no IPVS in this kernel / network namespace (ip_vs not loadable)
    kernel,       // the kernel refused (errno in err)
    timeout,      // no complete answer within the bound
    io,           // the socket failed (errno in err), e.g. ENOBUFS: state unknown
    protocol,     // a reply we could not parse
  };
  Kind kind{Kind::kernel};
  int err{};  // positive errno, where there is one
  std::string message;
};

// One operation the kernel refused; the others of the batch were still applied.
struct OpFailure {
  std::size_t index{};  // into the ops given to apply()
  int err{};            // positive errno
  std::string message;  // names the operation, the service and the reason
};

struct ApplyReport {
  std::size_t writes{};  // netlink write requests sent
  std::vector<OpFailure> failures;
  bool ok() const { return failures.empty(); }
};

class IpvsPort {
 public:
  virtual ~IpvsPort() = default;
  // Every service with its destinations, counters included.
  virtual Result<IpvsTable, IpvsError> dump() = 0;
  // All ops, in order, one write each (pipelined where the port can).
  virtual Result<ApplyReport, IpvsError> apply(std::span<const IpvsOp> ops) = 0;
  virtual Result<std::vector<SyncDaemon>, IpvsError> sync_daemons() = 0;
  virtual Result<void, IpvsError> start_sync_daemon(const SyncDaemon& d) = 0;
  virtual Result<void, IpvsError> stop_sync_daemon(SyncState state) = 0;
  virtual Result<Timeouts, IpvsError> timeouts() = 0;
  virtual Result<void, IpvsError> set_timeouts(const Timeouts& t) = 0;
  virtual Result<Info, IpvsError> info() = 0;
  // Counters to zero, for one service or all. Never used implicitly.
  virtual Result<void, IpvsError> zero(const std::optional<ServiceKey>& service) = 0;
  // Every service and destination, including ones vigil does not own. Never used implicitly.
  virtual Result<void, IpvsError> flush() = 0;
  // Write requests sent since the port was made (a no-op reconcile adds none).
  virtual std::uint64_t writes() const = 0;
  // All requests sent (writes, dumps and gets) and the send calls that carried them.
  virtual std::uint64_t requests() const { return writes(); }
  virtual std::uint64_t sends() const { return writes(); }
};

// "No such file or directory" etc. (strerror, thread-safe).
std::string errno_text(int err);

// What to tell the operator when the kernel refuses `op` with `err` (positive errno) and,
// where it gave one, an extended-ACK text. A missing scheduler names scheduler and service.
std::string failure_message(const IpvsOp& op, int err, std::string_view ext_message);

}  // namespace vigil::ipvs
