// Binding keywords to typed fields. A keyword table entry such as
//     kw<&VrrpInstance::priority, Int<1, 255>>("priority", "VRRP priority")
// generates both the parser (range-checked, located) and the JSON dumper for that field, so
// the table is the single place a keyword is described.
#pragma once
#include <optional>
#include <string>

#include "conf/json_writer.hpp"
#include "conf/model.hpp"
#include "conf/parser.hpp"

namespace vigil::conf::bind {

template <class>
struct MemberTraits;
template <class C, class F>
struct MemberTraits<F C::*> {
  using Class = C;
  using Field = F;
};
template <auto M>
using ClassOf = typename MemberTraits<decltype(M)>::Class;

template <long long Lo, long long Hi>
struct Int {
  using T = long long;
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 1, 1)) return std::nullopt;
    return p.integer(st, 0, Lo, Hi);
  }
  static void dump(JsonWriter& j, const T& v) { j.value(v); }
};

// keepalived <TIMER>: seconds, fractions allowed; stored in microseconds, bounds in ms.
template <long long LoMs, long long HiMs>
struct Timer {
  using T = long long;
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 1, 1)) return std::nullopt;
    return p.timer_us(st, 0, static_cast<double>(LoMs) / 1000.0, static_cast<double>(HiMs) / 1000.0);
  }
  static void dump(JsonWriter& j, const T& v) { j.value(static_cast<double>(v) / 1e6); }
};

// keepalived's BFD intervals: milliseconds, fractions allowed (microsecond resolution);
// stored in microseconds, bounds in ms.
template <long long LoMs, long long HiMs>
struct MsTimer {
  using T = long long;
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 1, 1)) return std::nullopt;
    // timer_us reads a decimal number of seconds as microseconds; the same digits read as
    // milliseconds are a thousandth of that.
    auto v = p.timer_us(st, 0, static_cast<double>(LoMs), static_cast<double>(HiMs));
    if (!v) return std::nullopt;
    return *v / 1000;
  }
  static void dump(JsonWriter& j, const T& v) { j.value(static_cast<double>(v) / 1e3); }
};

struct Flag {
  using T = bool;
  static std::optional<T> parse(Parser& p, const Stmt& st) { return p.flag(st); }
  static void dump(JsonWriter& j, const T& v) { j.value(v); }
};

struct Str {
  using T = std::string;
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 1, 1)) return std::nullopt;
    return std::string(st.arg(0));
  }
  static void dump(JsonWriter& j, const T& v) { j.value(v); }
};

// Zero or one word ("use_vmac" alone means the default name).
struct OptStr : Str {
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 0, 1)) return std::nullopt;
    return st.argc() == 0 ? std::string() : std::string(st.arg(0));
  }
};

// All words joined (a command line given without quotes).
struct Words : Str {
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 1, SIZE_MAX)) return std::nullopt;
    return p.rest(st);
  }
};

struct ScriptP {
  using T = Script;
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 1, 3)) return std::nullopt;
    Script s{std::string(st.arg(0)), {}, {}};
    if (s.command.empty()) {
      p.error(st.args[0].loc, "'" + std::string(st.name()) + "' needs a command");
      return std::nullopt;
    }
    if (st.argc() > 1) s.user = st.arg(1);
    if (st.argc() > 2) s.group = st.arg(2);
    return s;
  }
  static void dump(JsonWriter& j, const T& v) {
    j.begin_object();
    j.key("command").value(v.command);
    if (!v.user.empty()) j.key("user").value(v.user);
    if (!v.group.empty()) j.key("group").value(v.group);
    j.end_object();
  }
};

struct Ip {
  using T = IpAddress;
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 1, 1)) return std::nullopt;
    return p.ip(st, 0);
  }
  static void dump(JsonWriter& j, const T& v) { j.value(v.to_string()); }
};

template <auto M, class P>
void set_field(Parser& p, void* target, const Stmt& st) {
  auto& field = static_cast<ClassOf<M>*>(target)->*M;
  if (auto v = P::parse(p, st)) field.assign(std::move(*v), st.loc());
}

template <auto M, class P>
void dump_field(JsonWriter& j, std::string_view key, const void* target) {
  const auto& field = static_cast<const ClassOf<M>*>(target)->*M;
  if (!field.is_set()) return;
  j.key(key);
  P::dump(j, field.value);
}

template <auto M, class P>
KeywordDef kw(std::string_view name, std::string_view summary = {}) {
  return KeywordDef{name, Support::modelled, &set_field<M, P>, summary, &dump_field<M, P>};
}

// An older spelling that sets the same field (not dumped: the new name is).
template <auto M, class P>
KeywordDef alias(std::string_view name, std::string_view new_name) {
  return KeywordDef{name, Support::deprecated, &set_field<M, P>, new_name, nullptr};
}

inline KeywordDef custom(std::string_view name, Handler h, Dumper d, std::string_view summary = {}) {
  return KeywordDef{name, Support::modelled, h, summary, d};
}

inline KeywordDef accepted(std::string_view name, std::string_view summary = {}) {
  return KeywordDef{name, Support::accepted, nullptr, summary, nullptr};
}

// `weight N [reverse]`, into C::weight and C::weight_reverse (tracking blocks, FILE_CHECK,
// BFD_CHECK, bfd_instance).
template <class C, long long Lo, long long Hi>
void set_weight(Parser& p, void* target, const Stmt& st) {
  if (!p.want_args(st, 1, 2)) return;
  auto w = p.integer(st, 0, Lo, Hi);
  if (!w) return;
  auto& obj = *static_cast<C*>(target);
  obj.weight.assign(*w, st.loc());
  if (st.argc() == 2) {
    if (st.arg(1) == "reverse")
      obj.weight_reverse.assign(true, st.args[1].loc);
    else
      p.error(st.args[1].loc, "'weight' takes a number and optionally 'reverse'");
  }
}
template <class C>
void dump_weight(JsonWriter& j, std::string_view key, const void* target) {
  const auto& obj = *static_cast<const C*>(target);
  if (!obj.weight.is_set()) return;
  j.key(key).value(obj.weight.value);
  if (obj.weight_reverse.is_set()) j.key("reverse").value(obj.weight_reverse.value);
}
template <class C, long long Lo = -254, long long Hi = 254>
KeywordDef weight(std::string_view summary = "priority change: weight N [reverse]") {
  return KeywordDef{"weight", Support::modelled, &set_weight<C, Lo, Hi>, summary, &dump_weight<C>};
}

// Helpers for custom handlers.
template <class T>
T& as(void* p) {
  return *static_cast<T*>(p);
}
template <class T>
const T& as(const void* p) {
  return *static_cast<const T*>(p);
}

}  // namespace vigil::conf::bind
