// MISC_CHECK: how a script's end maps to a verdict, as keepalived's check_misc.c does.
//   exit 0                      -> up (weight unchanged)
//   exit 1                      -> down
//   exit 2..255 with misc_dynamic -> up, weight = status - 2 (0..253)
//   exit 2..255 without it       -> down
//   killed (timeout, signal)     -> down
#pragma once
#include <optional>

namespace vigil::checkers {

struct MiscVerdict {
  bool ok{};
  std::optional<long long> weight;
  friend bool operator==(const MiscVerdict&, const MiscVerdict&) = default;
};

// exit_status: the exit code, or nullopt when the script died of a signal.
inline MiscVerdict misc_verdict(std::optional<int> exit_status, bool misc_dynamic) {
  if (!exit_status) return {false, std::nullopt};
  const int s = *exit_status;
  if (s == 0) return {true, std::nullopt};
  if (misc_dynamic && s >= 2 && s <= 255) return {true, static_cast<long long>(s - 2)};
  return {false, std::nullopt};
}

}  // namespace vigil::checkers
