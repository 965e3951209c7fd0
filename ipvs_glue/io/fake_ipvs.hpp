// FakeIpvs: an in-memory IpvsPort that answers as the kernel does (ip_vs_ctl.c): EEXIST for
// an existing service or destination, ESRCH for a missing service, ENOENT for a missing
// destination or an unknown scheduler / persistence engine. For tests of everything above
// the port; never the proof that the kernel agrees (that is the VM tests' job).
#pragma once
#include <set>
#include <string>

#include "ipvs_glue/io/port.hpp"

namespace vigil::ipvs {

class FakeIpvs final : public IpvsPort {
 public:
  FakeIpvs();

  Result<IpvsTable, IpvsError> dump() override;
  Result<ApplyReport, IpvsError> apply(std::span<const IpvsOp> ops) override;
  Result<std::vector<SyncDaemon>, IpvsError> sync_daemons() override;
  Result<void, IpvsError> start_sync_daemon(const SyncDaemon& d) override;
  Result<void, IpvsError> stop_sync_daemon(SyncState state) override;
  Result<Timeouts, IpvsError> timeouts() override;
  Result<void, IpvsError> set_timeouts(const Timeouts& t) override;
  Result<Info, IpvsError> info() override;
  Result<void, IpvsError> zero(const std::optional<ServiceKey>& service) override;
  Result<void, IpvsError> flush() override;
  std::uint64_t writes() const override { return writes_; }

  // Direct access, to play the operator (ipvsadm -C / -d / -e) between calls.
  IpvsTable& table() { return table_; }
  // The schedulers "loaded"; others fail with ENOENT as a missing module does.
  std::set<std::string>& schedulers() { return schedulers_; }
  // No IPVS at all: every call fails with Kind::unavailable.
  void set_available(bool a) { available_ = a; }
  // The next apply() of an op at this index fails with err before touching the table.
  void fail_op(std::size_t index, int err) { injected_ = {index, err}; }

 private:
  int apply_one(const IpvsOp& op);
  Result<void, IpvsError> check() const;

  IpvsTable table_;
  std::set<std::string> schedulers_;
  std::vector<SyncDaemon> daemons_;
  Timeouts timeouts_{900, 120, 300};
  bool available_{true};
  std::optional<std::pair<std::size_t, int>> injected_;
  std::uint64_t writes_{0};
};

}  // namespace vigil::ipvs
