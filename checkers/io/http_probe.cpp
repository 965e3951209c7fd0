#include "checkers/io/http_probe.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "checkers/io/asio_time.hpp"
#include "checkers/io/curl_multi.hpp"

namespace vigil::checkers::io {
namespace asio = boost::asio;

HttpTarget http_target(const conf::HttpCheck& c) {
  HttpTarget t;
  t.tls = c.kind == conf::CheckerKind::ssl;
  t.address = *c.connect_ip;
  t.port = static_cast<std::uint16_t>(c.connect_port.is_set() ? *c.connect_port : (t.tls ? 443 : 80));
  if (c.bindto.is_set()) t.bindto = *c.bindto;
  if (c.bind_port.is_set()) t.bind_port = static_cast<std::uint16_t>(*c.bind_port);
  if (c.fwmark.is_set()) t.fwmark = static_cast<std::uint32_t>(*c.fwmark);
  if (c.bind_if.is_set()) t.bind_if = *c.bind_if;
  t.http_1_1 = c.http_protocol.is_set() && c.http_protocol->starts_with("1.1");
  // keepalived: sni_name, else the virtualhost when enable_sni is set.
  if (t.tls && c.sni_name.is_set()) t.sni_name = *c.sni_name;
  else if (t.tls && *c.enable_sni && c.virtualhost.is_set()) t.sni_name = *c.virtualhost;
  for (const auto& u : c.url) {
    HttpUrl h;
    if (u.path.is_set()) h.path = u.path->starts_with('/') ? *u.path : "/" + *u.path;
    if (u.digest.is_set()) {
      h.digest = *u.digest;
      std::transform(h.digest.begin(), h.digest.end(), h.digest.begin(), [](unsigned char ch) { return std::tolower(ch); });
    }
    if (u.virtualhost.is_set()) h.virtualhost = *u.virtualhost;  // inherits the checker's (conf/)
    h.status_code = u.status_code;
    t.urls.push_back(std::move(h));
  }
  return t;
}

namespace {

std::string hex(const unsigned char* p, unsigned n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

struct Md5 {
  Md5() : ctx(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx, EVP_md5(), nullptr); }
  ~Md5() { EVP_MD_CTX_free(ctx); }
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx, p, n); }
  std::string hex_final() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(ctx, out, &n);
    return hex(out, n);
  }
  EVP_MD_CTX* ctx;
};

bool status_ok(long status, const std::vector<std::pair<int, int>>& ranges) {
  if (ranges.empty()) return status >= 200 && status <= 299;  // keepalived's default
  return std::any_of(ranges.begin(), ranges.end(), [&](const auto& r) { return status >= r.first && status <= r.second; });
}

std::string host_for_url(const IpAddress& a) { return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string(); }

}  // namespace

std::string md5_hex(std::string_view data) {
  Md5 m;
  m.update(data.data(), data.size());
  return m.hex_final();
}

// One url of one probe: an easy handle and what its body is checked against.
struct Request {
  explicit Request(HttpUrl u) : url(std::move(u)), easy(curl_easy_init()) {}
  ~Request() {
    curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
    curl_slist_free_all(resolve);
  }
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  HttpUrl url;
  CURL* easy;
  curl_slist* headers{nullptr};
  curl_slist* resolve{nullptr};
  Md5 md5;
  std::size_t body{0}, max_body{0};
  bool enough{false};   // the body is not needed: stopped reading it on purpose
  bool too_big{false};
  std::uint32_t fwmark{0};
  std::string bind_if;
  char error[CURL_ERROR_SIZE]{};
};

struct HttpProber::Impl : std::enable_shared_from_this<Impl> {
  explicit Impl(asio::io_context& i) : io(i), multi(CurlMulti::create(i)) {}
  struct Probe {
    explicit Probe(asio::io_context& io) : deadline(io) {}
    std::vector<std::unique_ptr<Request>> requests;
    std::size_t pending{0};
    asio::steady_timer deadline;
    ProbeDone done;
  };
  asio::io_context& io;
  std::shared_ptr<CurlMulti> multi;
  std::unordered_map<std::uint64_t, std::unique_ptr<Probe>> probes;
  std::uint64_t next{1};

  void finish(std::uint64_t token, ProbeOutcome o) {
    auto it = probes.find(token);
    if (it == probes.end()) return;
    auto p = std::move(it->second);
    probes.erase(it);
    p->deadline.cancel();
    for (auto& r : p->requests) multi->remove(r->easy);  // those still running
    if (p->done) p->done(std::move(o));
  }

  void ended(std::uint64_t token, Request& r, CURLcode code) {
    auto it = probes.find(token);
    if (it == probes.end()) return;
    std::string why;
    long status = 0;
    curl_easy_getinfo(r.easy, CURLINFO_RESPONSE_CODE, &status);
    if (r.too_big) why = "body larger than " + std::to_string(r.max_body) + " bytes";
    else if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && r.enough))
      why = std::string(r.error[0] ? r.error : curl_easy_strerror(code));
    else if (!status_ok(status, r.url.status_code)) why = "status " + std::to_string(status);
    else if (!r.url.digest.empty()) {
      const std::string got = r.md5.hex_final();
      if (got != r.url.digest) why = "digest " + got + " instead of " + r.url.digest;
    }
    if (!why.empty()) return finish(token, {false, std::nullopt, r.url.path + ": " + why});
    if (--it->second->pending == 0) finish(token, {true, std::nullopt, {}});
  }
};

namespace {

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto& r = *static_cast<Request*>(user);
  const std::size_t len = size * n;
  if (r.url.digest.empty()) {  // status only: no need to read on
    r.enough = true;
    return 0;
  }
  r.body += len;
  if (r.body > r.max_body) {
    r.too_big = true;
    return 0;
  }
  r.md5.update(data, len);
  return len;
}

int on_sockopt(void* user, curl_socket_t fd, curlsocktype) {
  auto& r = *static_cast<Request*>(user);
  if (r.fwmark != 0 && ::setsockopt(fd, SOL_SOCKET, SO_MARK, &r.fwmark, sizeof r.fwmark) != 0)
    return CURL_SOCKOPT_ERROR;
  if (!r.bind_if.empty() &&
      ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, r.bind_if.data(), static_cast<socklen_t>(r.bind_if.size())) != 0)
    return CURL_SOCKOPT_ERROR;
  return CURL_SOCKOPT_OK;
}

void configure(Request& r, const HttpTarget& t, Duration timeout) {
  CURL* e = r.easy;
  const std::string scheme = t.tls ? "https://" : "http://";
  std::string host = host_for_url(t.address);
  if (!t.sni_name.empty()) {
    // Name the server in the URL (so SNI carries it) and pin the name to the address.
    host = t.sni_name;
    r.resolve = curl_slist_append(nullptr, (t.sni_name + ":" + std::to_string(t.port) + ":" + t.address.to_string()).c_str());
    curl_easy_setopt(e, CURLOPT_RESOLVE, r.resolve);
  }
  const std::string url = scheme + host + ":" + std::to_string(t.port) + r.url.path;
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  if (!r.url.virtualhost.empty()) r.headers = curl_slist_append(r.headers, ("Host: " + r.url.virtualhost).c_str());
  r.headers = curl_slist_append(r.headers, "Connection: close");
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, r.headers);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, t.http_1_1 ? CURL_HTTP_VERSION_1_1 : CURL_HTTP_VERSION_1_0);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);  // a health check is a fresh connection
  curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, std::max<long>(1, static_cast<long>(timeout / std::chrono::milliseconds(1))));
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r.error);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &r);
  // keepalived's SSL_GET does not verify the server's certificate.
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  r.max_body = t.max_body;
  r.fwmark = t.fwmark;
  r.bind_if = t.bind_if;
  if (r.fwmark != 0 || !r.bind_if.empty()) {
    curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, &on_sockopt);
    curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, &r);
  }
  if (t.bindto) curl_easy_setopt(e, CURLOPT_INTERFACE, ("host!" + t.bindto->to_string()).c_str());
  if (t.bind_port != 0) curl_easy_setopt(e, CURLOPT_LOCALPORT, static_cast<long>(t.bind_port));
}

}  // namespace

HttpProber::HttpProber(asio::io_context& io) : impl_(std::make_shared<Impl>(io)) {}

HttpProber::~HttpProber() {
  for (auto& [token, p] : impl_->probes)
    for (auto& r : p->requests) impl_->multi->remove(r->easy);
}

std::size_t HttpProber::in_flight() const { return impl_->probes.size(); }

std::uint64_t HttpProber::start(const HttpTarget& target, TimePoint deadline, ProbeDone done) {
  Impl& m = *impl_;
  const std::uint64_t token = m.next++;
  auto p = std::make_unique<Impl::Probe>(m.io);
  p->done = std::move(done);
  const Duration left = deadline - SteadyClock().now();
  for (const auto& u : target.urls) {
    auto r = std::make_unique<Request>(u);
    configure(*r, target, left);
    p->requests.push_back(std::move(r));
  }
  p->pending = p->requests.size();
  p->deadline.expires_at(to_steady(deadline));
  p->deadline.async_wait([weak = impl_->weak_from_this(), token](const boost::system::error_code& ec) {
    if (auto me = weak.lock(); me && !ec) me->finish(token, {false, std::nullopt, "timeout"});
  });
  Impl::Probe& probe = *p;
  m.probes.emplace(token, std::move(p));
  if (probe.requests.empty()) {  // conf/ refuses this; pass, as there is nothing to check
    asio::post(m.io, [weak = impl_->weak_from_this(), token] {
      if (auto me = weak.lock()) me->finish(token, {true, std::nullopt, {}});
    });
  }
  for (auto& r : probe.requests) {
    Request* req = r.get();
    m.multi->add(req->easy, [weak = impl_->weak_from_this(), token, req](CURLcode code) {
      if (auto me = weak.lock()) me->ended(token, *req, code);
    });
  }
  return token;
}

void HttpProber::cancel(std::uint64_t token) {
  auto it = impl_->probes.find(token);
  if (it == impl_->probes.end()) return;
  auto p = std::move(it->second);
  impl_->probes.erase(it);
  for (auto& r : p->requests) impl_->multi->remove(r->easy);
}

}  // namespace vigil::checkers::io
