// HTTP_GET / SSL_GET: every url block fetched (in parallel, on fresh connections) from
// connect_ip:connect_port through libcurl's multi interface, which the Asio loop drives
// (CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION): no thread, nothing blocking. A url
// passes when its status is in its status_code ranges (keepalived's default 200-299), when
// a digest is given the MD5 of its body (at most max_body bytes) matches, and when a regex
// is given the body matches it (or, with regex_no_match, does not). The probe passes when
// every url does.
//
// Regular expressions are PCRE2 (keepalived's engine and option names), compiled once per
// pattern, matched with bounded match and heap limits: a pathological pattern fails the
// url ("regex: match limit exceeded") instead of stalling the loop. (std::regex was
// measured: it recurses per character and overflows the stack on 16 KiB bodies.)
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "base/ip.hpp"
#include "base/urgent.hpp"
#include "checkers/io/prober.hpp"
#include "conf/model.hpp"

namespace vigil::checkers::io {

struct HttpUrl {
  std::string path{"/"};
  std::string digest;       // lowercase hex MD5 of the body; empty: not checked
  std::string virtualhost;  // the Host header; empty: the address
  std::vector<std::pair<int, int>> status_code;  // inclusive; empty: 200-299
  std::string regex;        // PCRE2 pattern the body must match; empty: not checked
  bool regex_no_match{false};               // the body must NOT match
  std::vector<std::string> regex_options;   // keepalived's names: caseless, multiline, dotall ...
  std::size_t regex_min_offset{0};          // where a match may start in the body
  std::optional<std::size_t> regex_max_offset;  // where a match must end
  std::string sni;          // SSL_GET: the SNI name for this url; empty: the target's sni_name
};

// The global SSL block: keepalived loads these into SSL_GET's context. vigil verifies the
// server's certificate chain against `ca` when one is given (keepalived loads the CA but
// never enables verification), and the host name too when an SNI name is sent.
struct TlsSettings {
  std::string ca, certificate, key, password;
  bool operator==(const TlsSettings&) const = default;
};

struct HttpTarget {
  bool tls{false};
  IpAddress address;
  std::uint16_t port{};
  std::optional<IpAddress> bindto;
  std::uint16_t bind_port{};
  std::uint32_t fwmark{};
  std::string bind_if;
  bool http_1_1{false};   // http_protocol 1.1; otherwise HTTP/1.0 as keepalived sends
  std::string sni_name;   // SSL_GET: the name sent in SNI; empty: none
  TlsSettings tls_settings;
  std::size_t max_body{1u << 20};
  std::vector<HttpUrl> urls;
  // Sees every url that completed a transfer: its status and the MD5 of its body (read
  // whole, up to max_body). For `vigil --genhash`; the checks themselves do not need it.
  std::function<void(const HttpUrl& url, long status, const std::string& md5, std::size_t bytes)> observer;
};

HttpTarget http_target(const conf::HttpCheck& check, const TlsSettings& tls = {});
// The global SSL block, or nothing.
TlsSettings tls_settings(const conf::Config& config);

// Lowercase hex MD5 (OpenSSL EVP) of `data`: what a digest line holds (keepalived's genhash).
std::string md5_hex(std::string_view data);

class HttpProber {
 public:
  explicit HttpProber(boost::asio::io_context& io);
  ~HttpProber();
  HttpProber(const HttpProber&) = delete;
  HttpProber& operator=(const HttpProber&) = delete;

  // `done` runs once, on the loop, by `deadline` at the latest (then with "timeout").
  std::uint64_t start(const HttpTarget& target, TimePoint deadline, ProbeDone done);
  void cancel(std::uint64_t token);
  std::size_t in_flight() const;
  void set_urgent(Urgent* urgent);  // see curl_multi.hpp

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::checkers::io
