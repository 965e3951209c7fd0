// Setting<T>: a configured value, whether it was given, and where.
#pragma once
#include <string>
#include <vector>

#include "conf/diagnostics.hpp"

namespace vigil::conf {

// Whether a value was given is kept in its location (line 0 = not given), so a Setting<bool>
// costs 12 bytes and a Setting<long long> 16: a 40,000-server file holds many of them.
template <class T>
struct Setting {
  T value{};
  SourceLoc loc{};

  Setting() = default;
  Setting(T v) : value(std::move(v)) {}  // NOLINT: a default value reads naturally
  bool is_set() const { return loc.line != 0; }
  void assign(T v, SourceLoc at) {
    value = std::move(v);
    loc = at;
    if (loc.line == 0) loc.line = kBuiltinLine;
  }
  // A value vigil filled in (a default or an inherited value) that has no location.
  void assign_default(T v) { assign(std::move(v), SourceLoc{kBuiltinLine, 0, 0}); }
  const T& operator*() const { return value; }
  const T* operator->() const { return &value; }
  // Inheritance: take `from` when this was not given here.
  void inherit(const Setting& from) {
    if (!is_set() && from.is_set()) *this = from;
  }
  static constexpr std::uint32_t kBuiltinLine = 0xffffffffu;
};

// A value with its location (list items, names).
template <class T>
struct Located {
  T value{};
  SourceLoc loc{};
  friend bool operator==(const Located&, const Located&) = default;
};

}  // namespace vigil::conf
