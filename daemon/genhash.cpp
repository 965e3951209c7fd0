#include "daemon/genhash.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>
#include <ostream>

#include "base/clock.hpp"
#include "checkers/io/http_probe.hpp"

namespace vigil::daemon {
namespace {

struct ParsedUrl {
  bool tls{false};
  std::string host;
  std::uint16_t port{};
  std::string path{"/"};
};

std::optional<ParsedUrl> parse_url(std::string url, bool ssl, std::string& why) {
  ParsedUrl u;
  u.tls = ssl;
  if (url.starts_with("https://")) {
    u.tls = true;
    url.erase(0, 8);
  } else if (url.starts_with("http://")) {
    url.erase(0, 7);
  } else if (url.find("://") != std::string::npos) {
    why = "only http:// and https:// URLs";
    return std::nullopt;
  }
  const auto slash = url.find('/');
  std::string authority = url.substr(0, slash);
  if (slash != std::string::npos) u.path = url.substr(slash);
  std::string port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string::npos) {
      why = "unbalanced [ in '" + authority + "'";
      return std::nullopt;
    }
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else {
    const auto colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) {
    why = "no host in the URL";
    return std::nullopt;
  }
  u.port = u.tls ? 443 : 80;
  if (!port.empty()) {
    char* end = nullptr;
    const long p = std::strtol(port.c_str(), &end, 10);
    if (*end != '\0' || p < 1 || p > 65535) {
      why = "bad port '" + port + "'";
      return std::nullopt;
    }
    u.port = static_cast<std::uint16_t>(p);
  }
  return u;
}

// An address literal, or the first address the name resolves to.
std::optional<IpAddress> resolve(const std::string& host, std::string& why) {
  if (auto a = IpAddress::parse(host)) return a;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0) {
    why = host + ": " + ::gai_strerror(rc);
    return std::nullopt;
  }
  std::optional<IpAddress> out;
  for (auto* r = res; r && !out; r = r->ai_next) {
    char buf[INET6_ADDRSTRLEN];
    if (::getnameinfo(r->ai_addr, r->ai_addrlen, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) == 0)
      out = IpAddress::parse(buf);
  }
  ::freeaddrinfo(res);
  if (!out) why = host + ": no address";
  return out;
}

}  // namespace

int genhash(const GenhashOptions& o, std::ostream& out, std::ostream& err) {
  std::string why;
  const auto url = parse_url(o.url, o.ssl, why);
  if (!url) {
    err << "vigil --genhash: " << why << '\n';
    return 1;
  }
  const auto address = resolve(url->host, why);
  if (!address) {
    err << "vigil --genhash: " << why << '\n';
    return 1;
  }
  namespace cio = checkers::io;
  cio::HttpTarget t;
  t.tls = url->tls;
  t.address = *address;
  t.port = url->port;
  cio::HttpUrl u;
  u.path = url->path;
  u.virtualhost = o.virtualhost;
  if (u.virtualhost.empty() && !IpAddress::parse(url->host)) u.virtualhost = url->host;  // a name: as a browser
  if (t.tls) u.sni = u.virtualhost;
  u.status_code = {{0, 999}};  // any status: the digest is what is asked for
  t.urls.push_back(u);
  std::optional<long> status;
  std::string md5;
  std::size_t bytes = 0;
  t.observer = [&](const cio::HttpUrl&, long s, const std::string& m, std::size_t n) {
    status = s;
    md5 = m;
    bytes = n;
  };
  boost::asio::io_context io;
  cio::HttpProber prober(io);
  std::optional<cio::ProbeOutcome> outcome;
  prober.start(t, SteadyClock().now() + std::chrono::seconds(o.timeout_seconds),
               [&](cio::ProbeOutcome r) { outcome = std::move(r); });
  while (!outcome && io.run_one() > 0) {
  }
  if (!outcome || !status || (!outcome->ok && md5.empty())) {
    err << "vigil --genhash: " << (outcome ? outcome->reason : std::string("no answer")) << '\n';
    return 1;
  }
  if (*status < 200 || *status > 299)
    err << "vigil --genhash: note: HTTP status " << *status
        << " (HTTP_GET's default status_code 200-299 would fail this url)\n";
  out << "MD5SUM = " << md5 << '\n';
  if (bytes == 0) err << "vigil --genhash: note: the body is empty\n";
  return 0;
}

}  // namespace vigil::daemon
