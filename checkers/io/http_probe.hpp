// HTTP_GET / SSL_GET: every url block fetched (in parallel, on fresh connections) from
// connect_ip:connect_port through libcurl's multi interface, which the Asio loop drives
// (CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION): no thread, nothing blocking. A url
// passes when its status is in its status_code ranges (keepalived's default 200-299) and,
// when a digest is given, the MD5 of its body (at most max_body bytes) matches. The probe
// passes when every url does.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "base/ip.hpp"
#include "checkers/io/prober.hpp"
#include "conf/model.hpp"

namespace vigil::checkers::io {

struct HttpUrl {
  std::string path{"/"};
  std::string digest;       // lowercase hex MD5 of the body; empty: not checked
  std::string virtualhost;  // the Host header; empty: the address
  std::vector<std::pair<int, int>> status_code;  // inclusive; empty: 200-299
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
  std::size_t max_body{1u << 20};
  std::vector<HttpUrl> urls;
};

HttpTarget http_target(const conf::HttpCheck& check);

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

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::checkers::io
