#include "daemon/run.hpp"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <optional>

#include "conf/source.hpp"
#include "daemon/config.hpp"
#include "daemon/daemonize.hpp"
#include "daemon/log.hpp"
#include "daemon/loop.hpp"
#include "daemon/pidfile.hpp"
#include "daemon/bfd_service.hpp"
#include "daemon/checker_service.hpp"  // checkers (-C)
#include "daemon/vrrp_service.hpp"

namespace vigil::daemon {
namespace {

std::string absolute(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::absolute(path, ec);
  return ec ? path : p.lexically_normal().string();
}

std::string seconds_text(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
}

// What the loop's signal handlers work on. VRRP runs (-P, or neither -P nor -C); the checker
// and IPVS subsystems plug in here later. A reload is not applied yet.
class Daemon {
 public:
  Daemon(const Options& options, conf::LoadResult config, Logger& log)
      : options_(options), config_(std::move(config)), log_(log) {}

  void attach(Loop& loop) { loop_ = &loop; }

  // After the pid file is ours: a refused second daemon must not touch the addresses.
  void start_subsystems() {
    // BFD first: the subsystems that track its sessions subscribe to a running service.
    if (!options_.no_bfd && loop_ && !config_.config->bfd_instances.empty()) {
      bfd_ = std::make_unique<BfdService>(*loop_);
      bfd_->start(*config_.config);
    }
    // checkers (-C, or neither -P nor -C): they read config_ for as long as they run.
    // Without -C, a configuration with no virtual_server does not start them (nor IPVS).
    const bool checkers_wanted = options_.check_only || !config_.config->virtual_servers.empty();
    if (options_.run_check() && checkers_wanted && loop_) {
      checker_ = std::make_unique<CheckerService>(*loop_, options_.tcp_check_syn);
      checker_->start(*config_.config);
      if (bfd_) bfd_->subscribe([c = checker_.get()](const std::string& name, bool up) { c->on_bfd(name, up); });
    }
    if (!options_.run_vrrp() || !loop_) return;
    vrrp_ = std::make_unique<VrrpService>(*loop_);
    vrrp_->start(*config_.config);
    // One loop: the checkers' bursts let a Master's adverts through between their probes.
    if (checker_) checker_->set_urgent(&vrrp_->urgent());
    if (bfd_) bfd_->subscribe([v = vrrp_.get()](const std::string& name, bool up) { v->on_bfd(name, up); });
  }

  // SIGTERM, on the loop, before it stops: priority-0 adverts go out, VIPs are removed.
  void shutdown() {
    if (checker_) checker_->set_urgent(nullptr);  // the instances are about to stop
    if (vrrp_) vrrp_->stop();
    if (checker_) checker_->stop();  // checkers
    if (bfd_) bfd_->stop();  // AdminDown: the peers go Down at once
  }

  // Before the Loop goes: the subsystems own Asio objects on its io_context.
  void stop_subsystems() {
    if (checker_) checker_->set_urgent(nullptr);
    vrrp_.reset();
    checker_.reset();  // checkers
    bfd_.reset();
  }

  // SIGHUP. Reading the file on the loop thread blocks it briefly, as keepalived's reload
  // does; it moves off the loop together with the real reload.
  void reload() {
    conf::DiskSource disk;
    auto next = conf::load(options_.config_file, disk, load_options(options_, true));
    log_diagnostics(log_, next.diagnostics);
    if (!next.ok()) {
      log_.error("reload: " + options_.config_file + " has " +
                 std::to_string(next.diagnostics.error_count()) +
                 " error(s); keeping the running configuration");
      return;
    }
    if (checker_ && !running_config_) running_config_ = std::move(config_.config);  // checkers: in use
    config_ = std::move(next);
    ++generation_;
    log_.notice("reload: configuration " + options_.config_file + " OK (generation " +
                std::to_string(generation_) + "; not applied yet)");
  }

  // SIGUSR1. One line for now; the subsystems' dumps are added as they arrive.
  void dump() {
    const auto uptime = loop_ ? loop_->clock().now() - loop_->started() : Duration{};
    log_.notice("state: pid " + std::to_string(::getpid()) + ", uptime " + seconds_text(uptime) +
                ", config " + options_.config_file + " generation " + std::to_string(generation_) +
                ", vrrp " + (options_.run_vrrp() ? "on" : "off") + ", check " +
                (options_.run_check() ? "on" : "off") + ", log messages dropped " +
                std::to_string(log_.dropped()));
    if (vrrp_) vrrp_->dump();
    if (checker_) checker_->dump();  // checkers
    if (bfd_) bfd_->dump();
  }

 private:
  const Options& options_;
  conf::LoadResult config_;
  Logger& log_;
  Loop* loop_{nullptr};
  unsigned generation_{1};
  std::unique_ptr<BfdService> bfd_;
  std::unique_ptr<VrrpService> vrrp_;
  std::unique_ptr<conf::Config> running_config_;   // checkers: theirs, after a reload
  std::unique_ptr<CheckerService> checker_;         // checkers
};

std::unique_ptr<LogSink> make_sink(const Options& options) {
  if (options.log_console) return std::make_unique<ConsoleSink>();
  return std::make_unique<SyslogSink>();
}

}  // namespace

int run_daemon(const Options& given) {
  Options options = given;
  // The daemon runs in "/": a relative -f or -p would point elsewhere after detaching.
  options.config_file = absolute(options.config_file);
  options.pid_file = absolute(options.pid_file);

  conf::DiskSource disk;
  auto config = conf::load(options.config_file, disk, load_options(options, true));
  if (!config.ok()) {
    print_diagnostics(std::cerr, config.diagnostics);
    std::cerr << "vigil: " << options.config_file << ": " << config.diagnostics.error_count()
              << " error(s); not starting\n";
    return 1;
  }

  std::signal(SIGPIPE, SIG_IGN);  // a closed socket is an error value, not a death
  StartupReport report;
  if (!options.dont_fork) {
    auto detached = daemonize();
    if (!detached) {
      std::cerr << "vigil: cannot detach: " << detached.error() << '\n';
      return 1;
    }
    report = std::move(*detached);
  }

  // Threads only from here on: fork() is behind us.
  Logger log(make_sink(options),
             {.max_level = options.log_detail ? LogLevel::debug : LogLevel::info});
  log_diagnostics(log, config.diagnostics);

  // Signals are caught from here on (queued until run()), so a SIGTERM that arrives after the
  // pid file exists still removes it.
  Daemon daemon(options, std::move(config), log);
  SteadyClock clock;
  Loop loop(
      clock, log,
      {.reload = [&] { daemon.reload(); },
       .dump = [&] { daemon.dump(); },
       .shutdown = [&] { daemon.shutdown(); }});
  daemon.attach(loop);

  auto pid_file = PidFile::acquire(options.pid_file);
  if (!pid_file) {
    log.error(pid_file.error());
    if (!options.log_console) std::cerr << "vigil: " << pid_file.error() << '\n';
    log.flush();  // the message before the shell prompt
    report.failed();
    return 1;
  }
  log.notice(version_text() + " started: pid " + std::to_string(::getpid()) + ", config " +
             options.config_file + ", pid file " + options.pid_file);
  report.ready();
  daemon.start_subsystems();

  const int signo = loop.run();
  daemon.stop_subsystems();
  log.notice(std::string("stopped") +
             (signo ? std::string(" by SIG") + ::sigabbrev_np(signo) : std::string()));
  pid_file->release();
  return 0;
}

}  // namespace vigil::daemon
