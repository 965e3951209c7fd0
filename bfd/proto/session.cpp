#include "bfd/proto/session.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace vigil::bfd {
namespace {

std::uint32_t wire_us(Micros d) {
  return static_cast<std::uint32_t>(std::clamp<Micros::rep>(d.count(), 0, std::numeric_limits<std::uint32_t>::max()));
}

void check(const SessionConfig& c) {
  if (c.local_discriminator == 0) throw std::invalid_argument("BFD: zero local discriminator");
  if (c.detect_mult == 0) throw std::invalid_argument("BFD: zero detect multiplier");
  if (c.min_tx <= Micros{0} || c.idle_tx <= Micros{0} || c.min_rx < Micros{0})
    throw std::invalid_argument("BFD: intervals must be positive");
}

}  // namespace

Session::Session(const SessionConfig& config) : config_(config), rng_(config.seed ? config.seed : 1) {
  check(config_);
  tx_in_force_ = config_.idle_tx;
  rx_in_force_ = config_.min_rx;
}

Actions Session::step(const Input& in, TimePoint now) {
  Actions out;
  std::visit([&](const auto& i) { on(i, now, out); }, in);
  timing(out);
  return out;
}

Micros Session::desired_min_tx() const { return state_ == State::up ? config_.min_tx : config_.idle_tx; }

Micros Session::tx_interval() const { return std::max(tx_in_force_, remote_min_rx_); }

Micros Session::detection_time() const {
  return remote_detect_mult_ * std::max(rx_in_force_, remote_min_tx_);
}

// §6.8.7: nothing periodic while AdminDown, from a passive system that has not heard its
// peer (bfd.RemoteDiscr zero), or to a peer that asks for no packets (RemoteMinRxInterval 0).
bool Session::may_transmit() const {
  if (state_ == State::admin_down) return false;
  if (config_.passive && remote_discr_ == 0) return false;
  return remote_min_rx_ > Micros{0};
}

ControlPacket Session::packet(bool final) const {
  ControlPacket p;
  p.diag = local_diag_;
  p.state = state_;
  p.poll = poll_ && !final;  // §6.5: never both
  p.final = final;
  p.detect_mult = config_.detect_mult;
  p.my_discriminator = config_.local_discriminator;
  p.your_discriminator = remote_discr_;
  p.desired_min_tx_us = wire_us(desired_min_tx());
  p.required_min_rx_us = wire_us(config_.min_rx);
  p.required_min_echo_rx_us = 0;  // no Echo function
  return p;
}

// §6.8.7: the interval less a random 0..25% (at most 90% of it when Detect Mult is 1), so
// that sessions do not synchronise. xorshift64*: deterministic from the seed, for tests.
Micros Session::jittered(Micros interval) {
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  const double f = static_cast<double>((rng_ * 2685821657736338717ULL) >> 11) * 0x1.0p-53;  // [0, 1)
  const double hi = config_.detect_mult == 1 ? 0.90 : 1.0;
  const auto us = static_cast<Micros::rep>(static_cast<double>(interval.count()) * (0.75 + (hi - 0.75) * f));
  return Micros{std::max<Micros::rep>(us, 1)};
}

void Session::arm_tx(TimePoint now, Actions& out) {
  if (!may_transmit()) return out.push_back(CancelTx{});
  out.push_back(ArmTx{now + jittered(tx_interval())});
}

void Session::transmit(bool final, TimePoint now, Actions& out) {
  if (!may_transmit()) return out.push_back(CancelTx{});
  out.push_back(Send{packet(final)});
  arm_tx(now, out);
}

void Session::timing(Actions& out) {
  const Micros tx = tx_interval(), detect = detection_time();
  if (tx == last_tx_interval_ && detect == last_detection_) return;
  last_tx_interval_ = tx;
  last_detection_ = detect;
  out.push_back(TimingChanged{tx, detect});
}

void Session::set_state(State to, Diag diag, Actions& out) {
  const State from = state_;
  if (from == to) return;
  state_ = to;
  local_diag_ = diag;
  if (to == State::up) {
    // §6.8.3: Desired Min TX goes from idle_tx to min_tx, announced by a Poll Sequence; a
    // decrease is used at once, an increase only after the peer's Final.
    poll_ = true;
    if (config_.min_tx < tx_in_force_) tx_in_force_ = config_.min_tx;
  } else if (from == State::up) {
    poll_ = false;
    tx_in_force_ = desired_min_tx();
    rx_in_force_ = config_.min_rx;
  }
  out.push_back(StateChanged{from, to, diag});
}

void Session::on(const Start&, TimePoint now, Actions& out) {
  if (state_ != State::admin_down) return;
  remote_discr_ = 0;
  remote_state_ = State::down;
  remote_min_rx_ = Micros{1};
  remote_min_tx_ = Micros{0};
  remote_detect_mult_ = 0;
  poll_ = false;
  tx_in_force_ = config_.idle_tx;
  rx_in_force_ = config_.min_rx;
  set_state(State::down, Diag::none, out);
  transmit(false, now, out);
}

// §6.8.16: AdminDown with diagnostic 7, sent once at once: the peer goes Down on it.
void Session::on(const Stop&, TimePoint, Actions& out) {
  if (state_ == State::admin_down) return;
  set_state(State::admin_down, Diag::administratively_down, out);
  poll_ = false;
  if (remote_min_rx_ > Micros{0} && !(config_.passive && remote_discr_ == 0)) out.push_back(Send{packet(false)});
  out.push_back(CancelTx{});
  out.push_back(CancelDetect{});
}

// §6.8.6, after the checks that need no session (decode) and the demultiplexing.
void Session::on(const PacketReceived& in, TimePoint now, Actions& out) {
  const ControlPacket& p = in.packet;
  if (p.your_discriminator != 0 && p.your_discriminator != config_.local_discriminator)
    return out.push_back(Discarded{Discard::your_discriminator_mismatch});
  if (state_ == State::admin_down) return out.push_back(Discarded{Discard::admin_down});
  const Micros tx_before = tx_interval();
  const bool could_transmit = may_transmit();
  remote_discr_ = p.my_discriminator;
  remote_state_ = p.state;
  remote_min_rx_ = Micros{p.required_min_rx_us};
  remote_min_tx_ = Micros{p.desired_min_tx_us};
  remote_detect_mult_ = p.detect_mult;
  if (p.final && poll_) {  // §6.5: the Poll Sequence ends; what it announced is now in force
    poll_ = false;
    tx_in_force_ = desired_min_tx();
    rx_in_force_ = config_.min_rx;
  }

  const State before = state_;
  if (p.state == State::admin_down) {
    if (state_ != State::down) set_state(State::down, Diag::neighbor_signaled_session_down, out);
  } else if (state_ == State::down) {
    if (p.state == State::down) set_state(State::init, local_diag_, out);
    else if (p.state == State::init) set_state(State::up, Diag::none, out);
  } else if (state_ == State::init) {
    if (p.state == State::init || p.state == State::up) set_state(State::up, Diag::none, out);
  } else if (state_ == State::up && p.state == State::down) {
    set_state(State::down, Diag::neighbor_signaled_session_down, out);
  }

  // §6.8.4: a valid packet restarts the Detection Time.
  out.push_back(ArmDetect{now + detection_time()});
  if (p.poll) out.push_back(Send{packet(true)});  // §6.8.6: the Final, without waiting
  // A new state goes out at once (the three-way handshake does not wait for the timer); a
  // new interval, or the first packet a passive system may send, re-arms the timer.
  if (state_ != before) transmit(false, now, out);
  else if (tx_interval() != tx_before || may_transmit() != could_transmit) arm_tx(now, out);
}

void Session::on(const TxTimerExpired&, TimePoint now, Actions& out) { transmit(false, now, out); }

// §6.8.4: no packet for a Detection Time: Init/Up go Down (diag 1); bfd.RemoteDiscr is
// forgotten (§6.8.1), so a passive system falls silent until its peer speaks again.
void Session::on(const DetectTimerExpired&, TimePoint now, Actions& out) {
  if (state_ == State::admin_down) return;
  remote_discr_ = 0;
  remote_state_ = State::down;
  if (state_ == State::init || state_ == State::up) {
    set_state(State::down, Diag::control_detection_time_expired, out);
    transmit(false, now, out);
  } else {
    arm_tx(now, out);
  }
}

Actions Session::reconfigure(const SessionConfig& next, TimePoint now) {
  SessionConfig c = next;
  c.local_discriminator = config_.local_discriminator;
  c.seed = config_.seed;
  check(c);
  Actions out;
  const bool timing_changed = c.min_tx != config_.min_tx || c.min_rx != config_.min_rx;
  const bool could_transmit = may_transmit();
  config_ = c;
  if (state_ == State::up && timing_changed) {
    // §6.8.3: announced by a Poll Sequence; decreases of our TX and increases of our RX
    // count at once, the others once the peer's Final confirms them.
    poll_ = true;
    tx_in_force_ = std::min(tx_in_force_, config_.min_tx);
    rx_in_force_ = std::max(rx_in_force_, config_.min_rx);
  } else if (state_ != State::up) {
    tx_in_force_ = desired_min_tx();
    rx_in_force_ = config_.min_rx;
  }
  if (state_ != State::admin_down && (timing_changed || may_transmit() != could_transmit)) transmit(false, now, out);
  timing(out);
  return out;
}

}  // namespace vigil::bfd
