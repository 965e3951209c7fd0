// One BFD session in Asynchronous mode (RFC 5880 §6.8), sans-IO: inputs and the time in,
// actions out. The driver demultiplexes received packets to sessions (§6.8.6: by Your
// Discriminator, or by the peer's address while it is zero), owns the two timers and the
// socket, and carries out the actions in order.
//
// keepalived's timing: while the session is not Up, Desired Min TX is `idle_tx` (RFC 5880
// §6.8.3 asks for at least one second; keepalived's default is 1 s); on reaching Up it
// becomes `min_tx`, announced by a Poll Sequence (§6.5). A Stop sends AdminDown with
// diagnostic 7 so the peer goes Down at once instead of waiting for its Detection Time.
#pragma once
#include <chrono>
#include <cstdint>
#include <variant>
#include <vector>

#include "base/clock.hpp"
#include "bfd/proto/packet.hpp"

namespace vigil::bfd {

using Micros = std::chrono::microseconds;

struct SessionConfig {
  std::uint32_t local_discriminator{1};  // bfd.LocalDiscr: nonzero, unique on the host
  Micros min_tx{10'000};                 // bfd.DesiredMinTxInterval while Up
  Micros min_rx{10'000};                 // bfd.RequiredMinRxInterval
  Micros idle_tx{1'000'000};             // bfd.DesiredMinTxInterval while not Up
  std::uint8_t detect_mult{5};           // bfd.DetectMult
  bool passive{false};                   // §6.1: wait for the peer's first packet
  std::uint64_t seed{1};                 // the transmit jitter's generator (§6.8.7)
  friend bool operator==(const SessionConfig&, const SessionConfig&) = default;
};

// ---- inputs
struct Start {};                                 // AdminDown -> Down: begin
struct Stop {};                                  // -> AdminDown (diag 7), one packet says so
struct PacketReceived { ControlPacket packet; };  // already decoded and demultiplexed
struct TxTimerExpired {};
struct DetectTimerExpired {};
using Input = std::variant<Start, Stop, PacketReceived, TxTimerExpired, DetectTimerExpired>;

// ---- actions
struct Send { ControlPacket packet; };
struct ArmTx { TimePoint at; };
struct CancelTx {};
struct ArmDetect { TimePoint at; };
struct CancelDetect {};
struct StateChanged { State from, to; Diag diag; };
// What a log line reports: the negotiated transmit interval or Detection Time changed.
struct TimingChanged { Micros tx_interval, detection_time; };
enum class Discard : std::uint8_t {
  your_discriminator_mismatch,  // Your Discriminator is not ours (driver bug or stale peer)
  admin_down,                   // we are AdminDown: packets are ignored (§6.8.6)
  count_,
};
struct Discarded { Discard reason; };
using Action = std::variant<Send, ArmTx, CancelTx, ArmDetect, CancelDetect, StateChanged, TimingChanged, Discarded>;
using Actions = std::vector<Action>;

class Session {
 public:
  explicit Session(const SessionConfig& config);  // AdminDown until Start

  Actions step(const Input& in, TimePoint now);
  // New timing or passive mode in place (a reload): an Up session announces the change with
  // a Poll Sequence, the others use it from their next packet. The discriminator stays.
  Actions reconfigure(const SessionConfig& config, TimePoint now);

  State state() const { return state_; }
  State remote_state() const { return remote_state_; }
  Diag local_diag() const { return local_diag_; }
  std::uint32_t local_discriminator() const { return config_.local_discriminator; }
  std::uint32_t remote_discriminator() const { return remote_discr_; }
  const SessionConfig& config() const { return config_; }
  bool polling() const { return poll_; }
  // max(the Desired Min TX in force, the peer's Required Min RX), before jitter (§6.8.7).
  Micros tx_interval() const;
  // The peer's Detect Mult x max(our Required Min RX, its last Desired Min TX) (§6.8.4).
  Micros detection_time() const;

 private:
  void on(const Start&, TimePoint now, Actions& out);
  void on(const Stop&, TimePoint now, Actions& out);
  void on(const PacketReceived&, TimePoint now, Actions& out);
  void on(const TxTimerExpired&, TimePoint now, Actions& out);
  void on(const DetectTimerExpired&, TimePoint now, Actions& out);

  void set_state(State to, Diag diag, Actions& out);
  Micros desired_min_tx() const;  // what packets announce: idle_tx unless Up
  bool may_transmit() const;      // §6.8.7
  ControlPacket packet(bool final) const;
  void transmit(bool final, TimePoint now, Actions& out);  // now, and the next one armed
  void arm_tx(TimePoint now, Actions& out);
  void timing(Actions& out);
  Micros jittered(Micros interval);

  SessionConfig config_;
  State state_{State::admin_down};
  State remote_state_{State::down};
  Diag local_diag_{Diag::none};
  std::uint32_t remote_discr_{0};
  Micros remote_min_rx_{1};      // bfd.RemoteMinRxInterval (initially 1 us, §6.8.1)
  Micros remote_min_tx_{0};      // the peer's last Desired Min TX
  std::uint8_t remote_detect_mult_{0};
  Micros tx_in_force_{0};        // Desired Min TX used for our interval (§6.8.3: an increase waits for the Final)
  Micros rx_in_force_{0};        // Required Min RX used for the Detection Time (a decrease waits for the Final)
  bool poll_{false};             // a Poll Sequence is running
  Micros last_tx_interval_{0}, last_detection_{0};
  std::uint64_t rng_;
};

}  // namespace vigil::bfd
