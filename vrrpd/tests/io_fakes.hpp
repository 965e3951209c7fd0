// In-memory fakes of the vrrpd/io ports, and a manual timer service that fires due timers
// as a test advances its clock. Everything runs on the test's thread, deterministically.
#pragma once
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "vrrpd/io/notify_fifo.hpp"
#include "vrrpd/io/arp_sender.hpp"
#include "vrrpd/io/log.hpp"
#include "vrrpd/io/route_installer.hpp"
#include "vrrpd/io/scripts.hpp"
#include "vrrpd/io/timer.hpp"
#include "vrrpd/io/vip_installer.hpp"
#include "vrrpd/io/vrrp_socket.hpp"

namespace vigil::vrrp::test {

class ManualTimers final : public io::TimerService {
 public:
  explicit ManualTimers(TimePoint start = TimePoint{} + std::chrono::hours{1}) : clock_(start) {}

  TimePoint now() const override { return clock_.now(); }
  std::unique_ptr<io::Timer> make_timer() override {
    auto slot = std::make_shared<Slot>();
    slots_.push_back(slot);
    return std::make_unique<ManualTimer>(slot);
  }

  // Fires every timer due up to now + d, each at its deadline, in deadline order.
  void advance(Duration d) { run_until(now() + d); }
  void run_until(TimePoint end) {
    for (;;) {
      std::shared_ptr<Slot> next;
      for (auto& w : slots_)
        if (auto s = w.lock(); s && s->at && *s->at <= end && (!next || *s->at < *next->at)) next = s;
      if (!next) break;
      clock_.set(std::max(clock_.now(), *next->at));
      next->at.reset();
      auto fire = std::move(next->fire);
      fire();
    }
    clock_.set(std::max(clock_.now(), end));
  }
  const ManualClock& clock() const { return clock_; }

  // Precise tables: the lead they wake early by (zero: no spinning, the default). A spin
  // moves the clock to its end, unless `stop` says input is waiting; each is recorded.
  Duration lead{};
  struct SpinRecord {
    TimePoint from, to;
    bool reached;
  };
  std::vector<SpinRecord> spins;
  Duration spin_lead() const override { return lead; }
  Spin spin_until(TimePoint at, const std::function<bool()>& stop) override {
    const TimePoint from = now();
    const bool stopped = stop && stop();
    if (!stopped) clock_.set(std::max(from, at));
    spins.push_back({from, now(), !stopped});
    return {now(), !stopped};
  }

  // Timer::arm calls so far, all timers together.
  std::uint64_t arms() const {
    std::uint64_t n = 0;
    for (auto& w : slots_)
      if (auto s = w.lock()) n += s->arms;
    return n;
  }

 private:
  struct Slot {
    std::optional<TimePoint> at;
    std::function<void()> fire;
    std::uint64_t arms{0};
  };
  class ManualTimer final : public io::Timer {
   public:
    explicit ManualTimer(std::shared_ptr<Slot> s) : slot_(std::move(s)) {}
    void arm(TimePoint at, std::function<void()> fire) override {
      ++slot_->arms;
      slot_->at = at;
      slot_->fire = std::move(fire);
    }
    void cancel() override {
      slot_->at.reset();
      slot_->fire = nullptr;
    }

   private:
    std::shared_ptr<Slot> slot_;
  };

  ManualClock clock_;
  std::vector<std::weak_ptr<Slot>> slots_;
};

class FakeVips final : public io::VipInstaller {
 public:
  Result<void, std::string> add(const io::Vip& v) override {
    flush();
    return apply(v);
  }
  // With `queue` set, add_queued() waits for flush() as the netlink installer's does.
  void add_queued(const io::Vip& v, Done done) override {
    if (!queue) return done(apply(v));
    queued.push_back({v, std::move(done)});
  }
  void flush() override {
    auto batch = std::move(queued);
    queued.clear();
    for (auto& [v, done] : batch) done(apply(v));
  }
  bool queue{false};
  std::string fail;  // when set, adds fail with this message
  std::vector<std::pair<io::Vip, Done>> queued;

 private:
  Result<void, std::string> apply(const io::Vip& v) {
    if (!fail.empty()) return unexpected(fail);
    ops.push_back("add " + io::to_string(v));
    if (std::find(installed.begin(), installed.end(), v) == installed.end()) installed.push_back(v);
    return {};
  }

 public:
  Result<bool, std::string> remove(const io::Vip& v) override {
    flush();
    ops.push_back("remove " + io::to_string(v));
    const auto before = installed.size();
    std::erase(installed, v);
    return installed.size() != before;
  }
  bool has(const std::string& prefix) const {
    return std::any_of(installed.begin(), installed.end(),
                       [&](const io::Vip& v) { return v.address.to_string() == prefix; });
  }
  std::vector<io::Vip> installed;
  std::vector<std::string> ops;
};

// Records route and rule operations in order, with the VIP installer's when given one.
class FakeRoutes final : public io::RouteInstaller {
 public:
  explicit FakeRoutes(std::vector<std::string>* shared = nullptr) : ops(shared ? *shared : own_) {}
  Result<void, std::string> add(const io::RouteSpec& r) override { return put("add route " + r.text); }
  Result<bool, std::string> remove(const io::RouteSpec& r) override { return drop("remove route " + r.text, r.text); }
  Result<void, std::string> add(const io::RuleSpec& r) override { return put("add rule " + r.text); }
  Result<bool, std::string> remove(const io::RuleSpec& r) override { return drop("remove rule " + r.text, r.text); }
  bool has(const std::string& text) const { return std::find(installed.begin(), installed.end(), text) != installed.end(); }
  std::vector<std::string> installed;
  std::vector<std::string>& ops;

 private:
  Result<void, std::string> put(std::string op) {
    const auto text = op.substr(op.find(' ', 4) + 1);
    if (!has(text)) installed.push_back(text);
    ops.push_back(std::move(op));
    return {};
  }
  Result<bool, std::string> drop(std::string op, const std::string& text) {
    ops.push_back(std::move(op));
    const auto before = installed.size();
    std::erase(installed, text);
    return installed.size() != before;
  }
  std::vector<std::string> own_;
};

class FakeArp final : public io::ArpSender {
 public:
  explicit FakeArp(const io::TimerService& t) : timers_(t) {}
  Result<void, std::string> announce(int ifindex, const IpAddress& vip) override {
    sent.push_back({ifindex, vip, timers_.now()});
    return {};
  }
  struct Sent {
    int ifindex;
    IpAddress vip;
    TimePoint at;
  };
  std::vector<Sent> sent;

 private:
  const io::TimerService& timers_;
};

class FakeScripts final : public io::ScriptRunner {
 public:
  using io::ScriptRunner::run;
  void run(std::vector<std::string> argv, Duration, OnExit on_exit, const io::RunAs& as) override {
    users.push_back(as ? as->user : std::string());
    runs.push_back(std::move(argv));
    if (on_exit) pending.push_back(std::move(on_exit));
  }
  // Ends the oldest script still running that wanted to know (a tracking script).
  bool finish(int code) {
    if (pending.empty()) return false;
    auto done = std::move(pending.front());
    pending.erase(pending.begin());
    done(io::ScriptExit{io::ScriptExit::How::exited, code});
    return true;
  }
  std::vector<std::vector<std::string>> runs;
  std::vector<std::string> users;  // per run: who ran it ("" = vigil's own user)
  std::vector<OnExit> pending;
};

class RecordingFifo final : public io::NotifyFifo {
 public:
  void write(std::string line) override { lines.push_back(std::move(line)); }
  std::vector<std::string> lines;
};

class RecordingLog final : public io::Log {
 public:
  bool enabled(io::Severity) const override { return true; }
  void write(io::Severity s, std::string m) override { lines.push_back({s, std::move(m)}); }
  bool contains(const std::string& part) const {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const auto& l) { return l.second.find(part) != std::string::npos; });
  }
  std::vector<std::pair<io::Severity, std::string>> lines;
};

struct SentPacket {
  IpAddress src, dst;
  std::vector<std::byte> bytes;
  TimePoint at;
};

class FakeTransport final : public io::PacketEndpoint {
 public:
  explicit FakeTransport(const io::TimerService& t) : timers_(t) {}
  Result<void, int> send(const IpAddress& src, const IpAddress& dst,
                         std::span<const std::byte> m) override {
    sent.push_back({src, dst, {m.begin(), m.end()}, timers_.now()});
    if (on_send) on_send(sent.back());
    return {};
  }
  void start(OnPacket p, OnDrop d) override {
    on_packet = std::move(p);
    on_drop = std::move(d);
  }
  std::vector<SentPacket> sent;
  std::function<void(const SentPacket&)> on_send;
  OnPacket on_packet;
  OnDrop on_drop;

 private:
  const io::TimerService& timers_;
};

}  // namespace vigil::vrrp::test
