// The checker drivers' logging port. io/ does not know the daemon's Logger; the daemon
// adapts it. Implementations must not block the caller.
#pragma once
#include <cstdint>
#include <string>

namespace vigil::checkers::io {

// syslog's order, the same as the daemon's LogLevel.
enum class Severity : std::uint8_t { error, warning, notice, info, debug };

class Log {
 public:
  virtual ~Log() = default;
  virtual bool enabled(Severity s) const = 0;
  virtual void write(Severity s, std::string message) = 0;
};

class NullLog final : public Log {
 public:
  bool enabled(Severity) const override { return false; }
  void write(Severity, std::string) override {}
};

}  // namespace vigil::checkers::io
