// LVS blocks: virtual_server, real_server, the checkers and their url / host blocks.
#include <algorithm>

#include "conf/bind_lists.hpp"

namespace vigil::conf {
using namespace bind;
namespace {

using VS = VirtualServer;
using RS = RealServer;


// NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]
struct MethodP {
  using T = LvsMethod;
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    // TUN type gue port N csum: six words at most.
    if (!p.want_args(st, 1, 6)) return std::nullopt;
    static constexpr std::string_view kKinds[] = {"NAT", "DR", "TUN"};
    auto c = p.choice(st, 0, kKinds);
    if (!c) return std::nullopt;
    LvsMethod m{static_cast<LbKind>(*c)};
    for (std::size_t i = 1; i < st.argc(); ++i) {
      const auto w = st.arg(i);
      if (m.kind != LbKind::tun) {
        p.error(st.args[i].loc, "tunnel options are only for TUN");
        return std::nullopt;
      }
      if (w == "type" && i + 1 < st.argc()) {
        static constexpr std::string_view kTypes[] = {"ipip", "gue", "gre"};
        auto t = p.choice(st, ++i, kTypes);
        if (!t) return std::nullopt;
        m.tun_type = static_cast<TunType>(*t);
      } else if (w == "port" && i + 1 < st.argc()) {
        auto port = p.port(st, ++i);
        if (!port) return std::nullopt;
        m.tun_port = *port;
      } else if (w == "nocsum" || w == "csum" || w == "remcsum") {
        m.tun_csum = w == "nocsum" ? TunCsum::nocsum : w == "csum" ? TunCsum::csum : TunCsum::remcsum;
      } else {
        p.error(st.args[i].loc, "unknown lvs_method option " + quoted(w));
        return std::nullopt;
      }
    }
    if (m.kind == LbKind::tun && m.tun_type == TunType::gue && m.tun_port == 0) {
      p.error(st.loc(), "TUN type gue needs 'port N'");
      return std::nullopt;
    }
    return m;
  }
  static void dump(JsonWriter& j, const T& v) {
    static constexpr std::string_view kKinds[] = {"NAT", "DR", "TUN"};
    if (v.kind != LbKind::tun) {
      j.value(kKinds[static_cast<int>(v.kind)]);
      return;
    }
    static constexpr std::string_view kTypes[] = {"ipip", "gue", "gre"};
    std::string s = "TUN type " + std::string(kTypes[static_cast<int>(v.tun_type)]);
    if (v.tun_port) s += " port " + std::to_string(v.tun_port);
    static constexpr std::string_view kCsum[] = {"", " nocsum", " csum", " remcsum"};
    s += kCsum[static_cast<int>(v.tun_csum)];
    j.value(s);
  }
};

struct ProtoP {
  using T = Proto;
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 1, 1)) return std::nullopt;
    static constexpr std::string_view kNames[] = {"TCP", "UDP", "SCTP"};
    auto c = p.choice(st, 0, kNames);
    if (!c) return std::nullopt;
    return static_cast<Proto>(*c);
  }
  static void dump(JsonWriter& j, const T& v) {
    static constexpr std::string_view kNames[] = {"TCP", "UDP", "SCTP"};
    j.value(kNames[static_cast<int>(v)]);
  }
};

void h_sorry(Parser& p, void* t, const Stmt& st) {
  if (!p.want_args(st, 1, 2)) return;
  auto a = p.ip(st, 0);
  if (!a) return;
  SorryServer s{*a, std::nullopt, st.loc()};
  if (st.argc() == 2) {
    auto port = p.port(st, 1);
    if (!port) return;
    s.port = *port;
  }
  as<VS>(t).sorry_server.assign(s, st.loc());
}
void d_sorry(JsonWriter& j, std::string_view k, const void* t) {
  const auto& s = as<VS>(t).sorry_server;
  if (!s.is_set()) return;
  j.key(k);
  j.begin_object();
  j.key("address").value(s->address.to_string());
  if (s->port) j.key("port").value(static_cast<long long>(*s->port));
  j.end_object();
}

void h_real_server(Parser& p, void* t, const Stmt& st) {
  if (!p.want_args(st, 1, 2)) return;
  auto a = p.ip(st, 0);
  if (!a) {
    if (st.has_block) p.skip_block(st);
    return;
  }
  auto& vs = as<VS>(t);
  RS rs;
  rs.address = *a;
  rs.loc = st.loc();
  if (st.argc() == 2) {
    auto port = p.port(st, 1);
    if (!port) {
      if (st.has_block) p.skip_block(st);
      return;
    }
    rs.port.assign(*port, st.args[1].loc);
  }
  if (st.has_block) p.parse_block(st, real_server_schema(), &rs);
  vs.real_servers.push_back(std::move(rs));
}

template <auto Ext, auto M, class P>
void set_extra(Parser& p, void* t, const Stmt& st) {
  auto& owner = as<ClassOf<Ext>>(t);
  auto& ext = owner.*Ext;
  if (!ext) ext = std::make_unique<typename std::remove_reference_t<decltype(*ext)>>();
  set_field<M, P>(p, ext.get(), st);
}
template <auto Ext, auto M, class P>
void dump_extra(JsonWriter& j, std::string_view key, const void* t) {
  const auto& ext = as<ClassOf<Ext>>(t).*Ext;
  if (ext) dump_field<M, P>(j, key, ext.get());
}
template <auto M, class P>
KeywordDef rs_extra(std::string_view name, std::string_view summary) {
  return custom(name, &set_extra<&RS::extra, M, P>, &dump_extra<&RS::extra, M, P>, summary);
}

// ---- checkers ---------------------------------------------------------------------------
template <class C>
C& add_checker(RS& rs, SourceLoc loc, std::unique_ptr<C> c) {
  c->loc = loc;
  C& ref = *c;
  rs.checkers.push_back(std::move(c));
  return ref;
}

template <CheckerKind K>
void h_checker(Parser& p, void* t, const Stmt& st) {
  if (!p.want_args(st, 0, 0)) {
    if (st.has_block) p.skip_block(st);
    return;
  }
  auto& rs = as<RS>(t);
  const auto& schema = checker_schema(static_cast<std::size_t>(K));
  CheckBase* c = nullptr;
  switch (K) {
    case CheckerKind::tcp: c = &add_checker(rs, st.loc(), std::make_unique<TcpCheck>()); break;
    case CheckerKind::http: c = &add_checker(rs, st.loc(), std::make_unique<HttpCheck>(false)); break;
    case CheckerKind::ssl: c = &add_checker(rs, st.loc(), std::make_unique<HttpCheck>(true)); break;
    case CheckerKind::misc: c = &add_checker(rs, st.loc(), std::make_unique<MiscCheck>()); break;
    case CheckerKind::smtp: c = &add_checker(rs, st.loc(), std::make_unique<SmtpCheck>()); break;
    case CheckerKind::dns: c = &add_checker(rs, st.loc(), std::make_unique<DnsCheck>()); break;
    case CheckerKind::udp: c = &add_checker(rs, st.loc(), std::make_unique<UdpCheck>()); break;
    case CheckerKind::ping: c = &add_checker(rs, st.loc(), std::make_unique<PingCheck>()); break;
    case CheckerKind::file: c = &add_checker(rs, st.loc(), std::make_unique<FileCheck>()); break;
    case CheckerKind::bfd: c = &add_checker(rs, st.loc(), std::make_unique<BfdCheck>()); break;
  }
  if (st.has_block) p.parse_block(st, schema, c);
}

using CC = CheckCommon;
using Src = CheckSource;

template <auto M, class P>
KeywordDef src_kw(std::string_view name, std::string_view summary) {
  return custom(name, &set_extra<&CC::source, M, P>, &dump_extra<&CC::source, M, P>, summary);
}

std::vector<KeywordDef> common_check_keywords() {
  return {
      kw<&CC::connect_ip, Ip>("connect_ip", "address to check (default: the real server's)"),
      kw<&CC::connect_port, Int<0, 65535>>("connect_port", "port to check"),
      src_kw<&Src::bindto, Ip>("bindto", "source address of checks"),
      src_kw<&Src::bind_port, Int<0, 65535>>("bind_port", "source port of checks"),
      src_kw<&Src::bind_if, Str>("bind_if", "interface of a link-local bindto"),
      kw<&CC::connect_timeout_us, Timer<1, 86400000>>("connect_timeout", "seconds to connect"),
      src_kw<&Src::fwmark, Int<0, 4294967295LL>>("fwmark", "SO_MARK of check sockets"),
      kw<&CC::retry, Int<0, 1000000>>("retry", "failures before the server is down"),
      alias<&CC::retry, Int<0, 1000000>>("nb_get_retry", "retry"),
      kw<&CC::delay_before_retry_us, Timer<0, 86400000>>("delay_before_retry", "seconds between retries"),
      kw<&CC::warmup_us, Timer<0, 86400000>>("warmup", "random delay before the first check"),
      kw<&CC::delay_loop_us, Timer<1, 86400000>>("delay_loop", "seconds between checks"),
      kw<&CC::log_all_failures, Flag>("log_all_failures", "log every failed check"),
  };
}

std::vector<KeywordDef> with_common(std::vector<KeywordDef> specific) {
  auto all = common_check_keywords();
  all.insert(all.end(), specific.begin(), specific.end());
  return all;
}

// status_code 200 | 200-299 | several of them
void h_status(Parser& p, void* t, const Stmt& st) {
  if (!p.want_args(st, 1, SIZE_MAX)) return;
  auto& u = as<Url>(t);
  for (std::size_t i = 0; i < st.argc(); ++i) {
    const auto w = st.arg(i);
    const auto dash = w.find('-');
    int lo = 0, hi = 0;
    auto num = [&](std::string_view s, int& out) {
      out = 0;
      if (s.empty() || s.size() > 3) return false;
      for (char c : s) {
        if (c < '0' || c > '9') return false;
        out = out * 10 + (c - '0');
      }
      return out >= 100 && out <= 599;
    };
    if (!num(w.substr(0, dash), lo) ||
        !num(dash == std::string_view::npos ? w : w.substr(dash + 1), hi) || hi < lo) {
      p.error(st.args[i].loc, "status_code " + quoted(w) + " is not a status (100-599) or range");
      continue;
    }
    u.status_code.emplace_back(lo, hi);
  }
}
void d_status(JsonWriter& j, std::string_view k, const void* t) {
  const auto& u = as<Url>(t);
  if (u.status_code.empty()) return;
  j.key(k);
  j.begin_array();
  for (auto [lo, hi] : u.status_code)
    j.value(lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi));
  j.end_array();
}

struct DigestP : Str {
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 1, 1)) return std::nullopt;
    const auto d = st.arg(0);
    const bool hex = std::all_of(d.begin(), d.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    });
    if (d.size() != 32 || !hex) {
      p.error(st.args[0].loc, "digest " + quoted(d) + " is not an MD5 digest (32 hex digits)");
      return std::nullopt;
    }
    return std::string(d);
  }
};

struct PathP : Str {
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 1, 1)) return std::nullopt;
    const auto v = st.arg(0);
    if (v.empty() || v.find_first_of(" \t\r\n") != std::string_view::npos) {
      p.error(st.args[0].loc, "url path " + quoted(v) + " is not a valid request path");
      return std::nullopt;
    }
    return std::string(v);
  }
};

void h_url(Parser& p, void* t, const Stmt& st) {
  if (!p.want_args(st, 0, 0) || !p.want_block(st)) {
    if (st.has_block) p.skip_block(st);
    return;
  }
  auto& h = as<HttpCheck>(t);
  Url u;
  u.loc = st.loc();
  p.parse_block(st, url_schema(), &u);
  h.url.push_back(std::move(u));
}
void d_url(JsonWriter& j, std::string_view k, const void* t) {
  const auto& h = as<HttpCheck>(t);
  if (h.url.empty()) return;
  j.key(k);
  j.begin_array();
  for (const auto& u : h.url) {
    j.begin_object();
    dump_members(j, url_schema(), &u);
    j.end_object();
  }
  j.end_array();
}

void h_smtp_host(Parser& p, void* t, const Stmt& st) {
  if (!p.want_args(st, 0, 0) || !p.want_block(st)) {
    if (st.has_block) p.skip_block(st);
    return;
  }
  auto host = std::make_unique<SmtpHost>();
  host->loc = st.loc();
  p.parse_block(st, smtp_host_schema(), static_cast<CheckCommon*>(host.get()));
  as<SmtpCheck>(t).host.push_back(std::move(host));
}
void d_smtp_host(JsonWriter& j, std::string_view k, const void* t) {
  const auto& s = as<SmtpCheck>(t);
  if (s.host.empty()) return;
  j.key(k);
  j.begin_array();
  for (const auto& h : s.host) {
    j.begin_object();
    dump_members(j, smtp_host_schema(), static_cast<const CheckCommon*>(h.get()));
    j.end_object();
  }
  j.end_array();
}

struct DnsTypeP : Str {
  static std::optional<T> parse(Parser& p, const Stmt& st) {
    if (!p.want_args(st, 1, 1)) return std::nullopt;
    static constexpr std::string_view kTypes[] = {"A",   "NS",  "CNAME", "SOA", "MX",
                                                  "TXT", "AAAA", "PTR", "SRV", "ANY"};
    auto c = p.choice(st, 0, kTypes);
    if (!c) return std::nullopt;
    return std::string(kTypes[*c]);
  }
};



}  // namespace

const BlockSchema& url_schema() {
  static const BlockSchema s("url", {
      kw<&Url::path, PathP>("path", "request path"),
      kw<&Url::digest, DigestP>("digest", "expected MD5 of the body (vigil --genhash)"),
      custom("status_code", &h_status, &d_status, "expected status codes or ranges"),
      kw<&Url::virtualhost, Str>("virtualhost", "Host: header for this url"),
      kw<&Url::regex, Str>("regex", "the body must match this regular expression"),
      kw<&Url::regex_no_match, Flag>("regex_no_match", "the body must not match the regex"),
      kw<&Url::regex_options, Words>("regex_options", "PCRE2 options"),
      kw<&Url::regex_stack, Int<0, 1LL << 30>>("regex_stack", "PCRE2 stack size"),
      kw<&Url::regex_min_offset, Int<0, 1LL << 30>>("regex_min_offset", "where a match may start"),
      kw<&Url::regex_max_offset, Int<0, 1LL << 30>>("regex_max_offset", "where a match must end"),
  });
  return s;
}

const BlockSchema& smtp_host_schema() {
  static const BlockSchema s("host", common_check_keywords());
  return s;
}

const BlockSchema& checker_schema(std::size_t index) {
  using H = HttpCheck;
  static const std::vector<KeywordDef> kHttp = {
      custom("url", &h_url, &d_url, "a url block: path, digest, status_code, regex ..."),
      kw<&H::virtualhost, Str>("virtualhost", "Host: header"),
      kw<&H::http_protocol, Str>("http_protocol", "HTTP version, e.g. 1.1 or 1.0C"),
      kw<&H::enable_sni, Flag>("enable_sni", "send SNI (SSL_GET)"),
      kw<&H::sni_name, Str>("sni_name", "SNI name"),
      kw<&H::fast_recovery, Flag>("fast_recovery", "retry at once after a failure"),
      kw<&H::tls_compliant, Flag>("tls_compliant", "close TLS with close_notify"),
  };
  static const BlockSchema schemas[] = {
      BlockSchema("TCP_CHECK", common_check_keywords()),
      BlockSchema("HTTP_GET", with_common(kHttp)),
      BlockSchema("SSL_GET", with_common(kHttp)),
      BlockSchema("MISC_CHECK", with_common({
          kw<&MiscCheck::misc_path, ScriptP>("misc_path", "the check command"),
          kw<&MiscCheck::misc_timeout_us, Timer<1, 86400000>>("misc_timeout", "seconds before the check is killed"),
          kw<&MiscCheck::misc_dynamic, Flag>("misc_dynamic", "exit code 2-255 sets weight-2"),
          kw<&MiscCheck::user, ScriptP>("user", "user [group] to run as"),
      })),
      BlockSchema("SMTP_CHECK", with_common({
          kw<&SmtpCheck::helo_name, Str>("helo_name", "name sent in HELO"),
          custom("host", &h_smtp_host, &d_smtp_host, "further servers to check"),
      })),
      BlockSchema("DNS_CHECK", with_common({
          kw<&DnsCheck::type, DnsTypeP>("type", "query type (default SOA)"),
          kw<&DnsCheck::name, Str>("name", "query name (default .)"),
      })),
      BlockSchema("UDP_CHECK", with_common({
          kw<&UdpCheck::payload, Str>("payload", "hex payload to send"),
          kw<&UdpCheck::require_reply, Flag>("require_reply", "a reply is needed"),
          kw<&UdpCheck::min_reply_length, Int<0, 65535>>("min_reply_length", "shortest good reply"),
          kw<&UdpCheck::max_reply_length, Int<0, 65535>>("max_reply_length", "longest good reply"),
      })),
      BlockSchema("PING_CHECK", common_check_keywords()),
      BlockSchema("FILE_CHECK", {
          kw<&FileCheck::track_file, Str>("track_file", "the track_file to follow"),
          weight<FileCheck>("weight N [reverse]"),
      }),
      BlockSchema("BFD_CHECK", {
          kw<&BfdCheck::name, Str>("name", "the bfd_instance to follow"),
          weight<BfdCheck>("weight N [reverse]"),
      }),
  };
  return schemas[index];
}

const BlockSchema& real_server_schema() {
  using E = RealServerExtra;
  static const BlockSchema s("real_server", {
      kw<&RS::weight, Int<0, 65535>>("weight", "IPVS weight (default 1)"),
      kw<&RS::inhibit_on_failure, Flag>("inhibit_on_failure", "set weight 0 instead of removing"),
      kw<&RS::lvs_method, MethodP>("lvs_method", "NAT, DR or TUN for this server"),
      alias<&RS::lvs_method, MethodP>("lb_kind", "lvs_method"),
      kw<&RS::delay_loop_us, Timer<1, 86400000>>("delay_loop", "seconds between checks"),
      kw<&RS::retry, Int<0, 1000000>>("retry", "failures before down"),
      kw<&RS::delay_before_retry_us, Timer<0, 86400000>>("delay_before_retry", "seconds between retries"),
      kw<&RS::warmup_us, Timer<0, 86400000>>("warmup", "random delay before the first check"),
      kw<&RS::connect_timeout_us, Timer<1, 86400000>>("connect_timeout", "seconds to connect"),
      kw<&RS::alpha, Flag>("alpha", "start down until the checks pass"),
      kw<&RS::omega, Flag>("omega", "run notify_down on shutdown"),
      rs_extra<&E::uthreshold, Int<0, 4294967295LL>>("uthreshold", "upper connection threshold"),
      rs_extra<&E::lthreshold, Int<0, 4294967295LL>>("lthreshold", "lower connection threshold"),
      rs_extra<&E::notify_up, ScriptP>("notify_up", "script run when the server comes up"),
      rs_extra<&E::notify_down, ScriptP>("notify_down", "script run when the server goes down"),
      rs_extra<&E::virtualhost, Str>("virtualhost", "Host: header for HTTP checks"),
      rs_extra<&E::smtp_alert, Flag>("smtp_alert", "send email on changes"),
      rs_extra<&E::log_all_failures, Flag>("log_all_failures", "log every failed check"),
      custom("TCP_CHECK", &h_checker<CheckerKind::tcp>, nullptr, "TCP connect check"),
      custom("HTTP_GET", &h_checker<CheckerKind::http>, nullptr, "HTTP check"),
      custom("SSL_GET", &h_checker<CheckerKind::ssl>, nullptr, "HTTPS check"),
      custom("MISC_CHECK", &h_checker<CheckerKind::misc>, nullptr, "script check"),
      custom("SMTP_CHECK", &h_checker<CheckerKind::smtp>, nullptr, "SMTP check"),
      custom("DNS_CHECK", &h_checker<CheckerKind::dns>, nullptr, "DNS check"),
      custom("UDP_CHECK", &h_checker<CheckerKind::udp>, nullptr, "UDP check"),
      custom("PING_CHECK", &h_checker<CheckerKind::ping>, nullptr, "ICMP echo check"),
      custom("FILE_CHECK", &h_checker<CheckerKind::file>, nullptr, "track_file check"),
      custom("BFD_CHECK", &h_checker<CheckerKind::bfd>, nullptr, "BFD check"),
  });
  return s;
}

const BlockSchema& virtual_server_schema() {
  static const BlockSchema s("virtual_server", {
      kw<&VS::delay_loop_us, Timer<1, 86400000>>("delay_loop", "seconds between checks (default 60)"),
      kw<&VS::lvs_sched, Str>("lvs_sched", "IPVS scheduler (default wlc)"),
      alias<&VS::lvs_sched, Str>("lb_algo", "lvs_sched"),
      kw<&VS::lvs_method, MethodP>("lvs_method", "NAT, DR or TUN (default NAT)"),
      alias<&VS::lvs_method, MethodP>("lb_kind", "lvs_method"),
      kw<&VS::protocol, ProtoP>("protocol", "TCP, UDP or SCTP (default TCP)"),
      kw<&VS::persistence_timeout, Int<1, 2678400>>("persistence_timeout", "persistence in seconds"),
      kw<&VS::persistence_granularity, Str>("persistence_granularity", "netmask or prefix of persistence"),
      kw<&VS::persistence_engine, Str>("persistence_engine", "IPVS persistence engine (sip)"),
      kw<&VS::quorum, Int<1, 4294967295LL>>("quorum", "weight needed for the service to be up"),
      kw<&VS::hysteresis, Int<0, 4294967295LL>>("hysteresis", "quorum hysteresis"),
      kw<&VS::quorum_up, ScriptP>("quorum_up", "script run when quorum is gained"),
      kw<&VS::quorum_down, ScriptP>("quorum_down", "script run when quorum is lost"),
      custom("sorry_server", &h_sorry, &d_sorry, "server used when no real server is up"),
      kw<&VS::sorry_server_inhibit, Flag>("sorry_server_inhibit", "weight 0 instead of removing the sorry server"),
      kw<&VS::sorry_server_lvs_method, Str>("sorry_server_lvs_method", "forwarding of the sorry server"),
      kw<&VS::inhibit_on_failure, Flag>("inhibit_on_failure", "default for the real servers"),
      kw<&VS::alpha, Flag>("alpha", "real servers start down"),
      kw<&VS::omega, Flag>("omega", "notify on shutdown"),
      kw<&VS::ha_suspend, Flag>("ha_suspend", "suspend checks while the VIP is absent"),
      kw<&VS::ops, Flag>("ops", "one-packet scheduling"),
      kw<&VS::hashed, Flag>("hashed", "hash the persistence by the source port too (IPVS flag)"),
      kw<&VS::virtualhost, Str>("virtualhost", "default Host: for HTTP checks"),
      kw<&VS::smtp_alert, Flag>("smtp_alert", "send email on changes"),
      kw<&VS::retry, Int<0, 1000000>>("retry", "default retries of the checks"),
      kw<&VS::delay_before_retry_us, Timer<0, 86400000>>("delay_before_retry", "default delay between retries"),
      kw<&VS::warmup_us, Timer<0, 86400000>>("warmup", "default warmup"),
      kw<&VS::connect_timeout_us, Timer<1, 86400000>>("connect_timeout", "default connect timeout"),
      kw<&VS::ip_family, Str>("ip_family", "inet or inet6 (fwmark services)"),
      kw<&VS::sh_port, Flag>("sh-port", "sh scheduler: hash the port too"),
      kw<&VS::sh_fallback, Flag>("sh-fallback", "sh scheduler: fall back when unavailable"),
      kw<&VS::mh_port, Flag>("mh-port", "mh scheduler: hash the port too"),
      kw<&VS::mh_fallback, Flag>("mh-fallback", "mh scheduler: fall back when unavailable"),
      kw<&VS::flag_1, Flag>("flag-1", "scheduler flag 1"),
      kw<&VS::flag_2, Flag>("flag-2", "scheduler flag 2"),
      kw<&VS::flag_3, Flag>("flag-3", "scheduler flag 3"),
      custom("real_server", &h_real_server, nullptr, "a real server: real_server IP [PORT] { ... }"),
  });
  return s;
}

}  // namespace vigil::conf
