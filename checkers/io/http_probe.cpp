#include "checkers/io/http_probe.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <curl/curl.h>
#include <openssl/evp.h>
#include <pcre2.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <cctype>
#include <map>
#include <unordered_map>

#include "checkers/io/asio_time.hpp"
#include "checkers/io/curl_multi.hpp"

namespace vigil::checkers::io {
namespace asio = boost::asio;

TlsSettings tls_settings(const conf::Config& config) {
  TlsSettings t;
  if (!config.ssl.is_set()) return t;
  const conf::SslBlock& b = *config.ssl;
  if (b.ca.is_set()) t.ca = *b.ca;
  if (b.certificate.is_set()) t.certificate = *b.certificate;
  if (b.key.is_set()) t.key = *b.key;
  if (b.password.is_set()) t.password = *b.password;
  return t;
}

HttpTarget http_target(const conf::HttpCheck& c, const TlsSettings& tls) {
  HttpTarget t;
  if (c.kind == conf::CheckerKind::ssl) t.tls_settings = tls;
  t.tls = c.kind == conf::CheckerKind::ssl;
  t.address = *c.connect_ip;
  t.port = static_cast<std::uint16_t>(c.connect_port.is_set() ? *c.connect_port : (t.tls ? 443 : 80));
  if (c.src().bindto.is_set()) t.bindto = *c.src().bindto;
  if (c.src().bind_port.is_set()) t.bind_port = static_cast<std::uint16_t>(*c.src().bind_port);
  if (c.src().fwmark.is_set()) t.fwmark = static_cast<std::uint32_t>(*c.src().fwmark);
  if (c.src().bind_if.is_set()) t.bind_if = *c.src().bind_if;
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
    if (u.regex.is_set()) {
      h.regex = *u.regex;
      h.regex_no_match = *u.regex_no_match;
      if (u.regex_options.is_set()) {
        const std::string& words = *u.regex_options;
        std::size_t i = 0;
        while (i < words.size()) {
          const auto b = words.find_first_not_of(" \t", i);
          if (b == std::string::npos) break;
          const auto e = words.find_first_of(" \t", b);
          h.regex_options.push_back(words.substr(b, e == std::string::npos ? std::string::npos : e - b));
          i = e == std::string::npos ? words.size() : e;
        }
      }
      if (u.regex_min_offset.is_set()) h.regex_min_offset = static_cast<std::size_t>(*u.regex_min_offset);
      if (u.regex_max_offset.is_set()) h.regex_max_offset = static_cast<std::size_t>(*u.regex_max_offset);
    }
    // keepalived: sni_name, else (enable_sni) the url's virtualhost, else the checker's.
    if (t.tls && t.sni_name.empty() && *c.enable_sni && !h.virtualhost.empty()) h.sni = h.virtualhost;
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

// A compiled PCRE2 pattern, shared by every probe that uses it.
struct Regex {
  ~Regex() { pcre2_code_free(code); }
  pcre2_code* code{nullptr};
  std::string error;  // compile error, when code is null
};

namespace {

// keepalived's regex_options words (pcre2api names in lower case).
std::optional<std::uint32_t> regex_option(std::string_view w) {
  static const std::pair<std::string_view, std::uint32_t> kOptions[] = {
      {"allow_empty_class", PCRE2_ALLOW_EMPTY_CLASS}, {"alt_bsux", PCRE2_ALT_BSUX},
      {"auto_callout", PCRE2_AUTO_CALLOUT},           {"caseless", PCRE2_CASELESS},
      {"dollar_endonly", PCRE2_DOLLAR_ENDONLY},       {"dotall", PCRE2_DOTALL},
      {"dupnames", PCRE2_DUPNAMES},                   {"extended", PCRE2_EXTENDED},
      {"firstline", PCRE2_FIRSTLINE},                 {"match_unset_backref", PCRE2_MATCH_UNSET_BACKREF},
      {"multiline", PCRE2_MULTILINE},                 {"never_ucp", PCRE2_NEVER_UCP},
      {"never_utf", PCRE2_NEVER_UTF},                 {"no_auto_capture", PCRE2_NO_AUTO_CAPTURE},
      {"no_auto_possess", PCRE2_NO_AUTO_POSSESS},     {"no_dotstar_anchor", PCRE2_NO_DOTSTAR_ANCHOR},
      {"no_start_optimize", PCRE2_NO_START_OPTIMIZE}, {"ucp", PCRE2_UCP},
      {"ungreedy", PCRE2_UNGREEDY},                   {"utf", PCRE2_UTF},
      {"never_backslash_c", PCRE2_NEVER_BACKSLASH_C}, {"alt_circumflex", PCRE2_ALT_CIRCUMFLEX},
      {"alt_verbnames", PCRE2_ALT_VERBNAMES},         {"use_offset_limit", PCRE2_USE_OFFSET_LIMIT},
  };
  for (const auto& [name, bit] : kOptions)
    if (name == w) return bit;
  return std::nullopt;
}

std::shared_ptr<Regex> compile_regex(const std::string& pattern, const std::vector<std::string>& options) {
  auto r = std::make_shared<Regex>();
  std::uint32_t flags = 0;
  for (const auto& w : options) {
    const auto bit = regex_option(w);
    if (!bit) {
      r->error = "unknown regex option '" + w + "'";
      return r;
    }
    flags |= *bit;
  }
  int err = 0;
  PCRE2_SIZE at = 0;
  r->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), flags, &err, &at, nullptr);
  if (!r->code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    r->error = std::string(reinterpret_cast<const char*>(msg)) + " at offset " + std::to_string(at);
  }
  return r;
}

// "" when the body is as the url wants it; else why not.
std::string regex_verdict(const Regex& re, const HttpUrl& u, std::string_view body) {
  if (!re.code) return "regex: " + re.error;
  const std::size_t end = std::min(body.size(), u.regex_max_offset.value_or(body.size()));
  if (u.regex_min_offset > end) return u.regex_no_match ? "" : "regex: body shorter than regex_min_offset";
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(re.code, nullptr);
  pcre2_match_context* mc = pcre2_match_context_create(nullptr);
  // Bounded work: a catastrophic pattern fails the url instead of stalling the loop.
  pcre2_set_match_limit(mc, 1'000'000);
  pcre2_set_heap_limit(mc, 16 * 1024);  // KiB
  const int rc = pcre2_match(re.code, reinterpret_cast<PCRE2_SPTR>(body.data()), end, u.regex_min_offset, 0, md, mc);
  pcre2_match_context_free(mc);
  pcre2_match_data_free(md);
  if (rc == PCRE2_ERROR_NOMATCH) return u.regex_no_match ? "" : "regex '" + u.regex + "' did not match";
  if (rc < 0) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(rc, msg, sizeof msg);
    return "regex: " + std::string(reinterpret_cast<const char*>(msg));
  }
  return u.regex_no_match ? "regex '" + u.regex + "' matched (regex_no_match)" : "";
}

}  // namespace

// One url of one probe: an easy handle and what its body is checked against.
struct Request {
  explicit Request(HttpUrl u) : url(std::move(u)), easy(curl_easy_init()) {}
  ~Request() {
    curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
    curl_slist_free_all(connect_to);
  }
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  HttpUrl url;
  CURL* easy;
  curl_slist* headers{nullptr};
  curl_slist* connect_to{nullptr};
  Md5 md5;
  bool want_md5{false};   // a digest to compare, or an observer
  bool keep_body{false};  // a regex to match: the body is kept (up to max_body)
  std::string body_text;
  std::shared_ptr<Regex> regex;
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
    std::function<void(const HttpUrl&, long, const std::string&, std::size_t)> observer;
  };
  asio::io_context& io;
  std::shared_ptr<CurlMulti> multi;
  std::unordered_map<std::uint64_t, std::unique_ptr<Probe>> probes;
  std::map<std::pair<std::string, std::vector<std::string>>, std::shared_ptr<Regex>> regexes;
  std::uint64_t next{1};

  std::shared_ptr<Regex> regex(const HttpUrl& u) {
    auto& slot = regexes[{u.regex, u.regex_options}];
    if (!slot) slot = compile_regex(u.regex, u.regex_options);
    return slot;
  }

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
    const bool transferred = code == CURLE_OK || (code == CURLE_WRITE_ERROR && r.enough);
    std::string md5;
    if (r.want_md5 && transferred && !r.too_big) md5 = r.md5.hex_final();
    if (it->second->observer && transferred) it->second->observer(r.url, status, md5, r.body);
    if (r.too_big) why = "body larger than " + std::to_string(r.max_body) + " bytes";
    else if (!transferred) why = std::string(r.error[0] ? r.error : curl_easy_strerror(code));
    else if (!status_ok(status, r.url.status_code)) why = "status " + std::to_string(status);
    else if (!r.url.digest.empty() && md5 != r.url.digest) why = "digest " + md5 + " instead of " + r.url.digest;
    else if (r.regex) why = regex_verdict(*r.regex, r.url, r.body_text);
    if (!why.empty()) return finish(token, {false, std::nullopt, r.url.path + ": " + why});
    if (--it->second->pending == 0) finish(token, {true, std::nullopt, {}});
  }
};

namespace {

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto& r = *static_cast<Request*>(user);
  const std::size_t len = size * n;
  if (!r.want_md5 && !r.keep_body) {  // status only: no need to read on
    r.enough = true;
    return 0;
  }
  r.body += len;
  if (r.body > r.max_body) {
    r.too_big = true;
    return 0;
  }
  if (r.want_md5) r.md5.update(data, len);
  if (r.keep_body) r.body_text.append(data, len);
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
  const std::string port = std::to_string(t.port);
  std::string host = host_for_url(t.address);
  const std::string sni = !r.url.sni.empty() ? r.url.sni : t.tls ? t.sni_name : std::string();
  if (!sni.empty()) {
    // Name the server in the URL (so SNI carries it) and connect to the address anyway.
    // CONNECT_TO is per transfer; CURLOPT_RESOLVE would go into the multi handle's shared
    // DNS cache, where servers sharing one SNI name would overwrite each other.
    host = sni;
    r.connect_to = curl_slist_append(nullptr, (sni + ":" + port + ":" + host_for_url(t.address) + ":" + port).c_str());
    curl_easy_setopt(e, CURLOPT_CONNECT_TO, r.connect_to);
  }
  const std::string url = scheme + host + ":" + port + r.url.path;
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  if (!r.url.virtualhost.empty()) r.headers = curl_slist_append(r.headers, ("Host: " + r.url.virtualhost).c_str());
  else if (!sni.empty())  // the Host header names the address, as without SNI
    r.headers = curl_slist_append(r.headers, ("Host: " + host_for_url(t.address) + ":" + port).c_str());
  r.headers = curl_slist_append(r.headers, "Connection: close");
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, r.headers);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, t.http_1_1 ? CURL_HTTP_VERSION_1_1 : CURL_HTTP_VERSION_1_0);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);  // a health check is a fresh connection
  curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  // Only address literals are ever "resolved" (the URL's host, or CONNECT_TO's target), so
  // their cache entries never go stale. With the default 60 s timeout curl walks the whole
  // multi handle's DNS cache (one entry per real server) at every transfer to prune it:
  // 2,000 HTTP_GETs a second spent ~11 % of vigil's CPU there. Never pruned, the cache
  // holds one entry per checked address, hit from the second probe on.
  curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, -1L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, std::max<long>(1, static_cast<long>(timeout / std::chrono::milliseconds(1))));
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r.error);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &r);
  const TlsSettings& tls = t.tls_settings;
  if (t.tls && !tls.ca.empty()) {
    // The operator named the CAs to trust: the chain must verify, and the name too when
    // one is sent (SNI); a bare address is not checked against the certificate.
    curl_easy_setopt(e, CURLOPT_CAINFO, tls.ca.c_str());
    curl_easy_setopt(e, CURLOPT_CAPATH, nullptr);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, sni.empty() ? 0L : 2L);
  } else {
    // keepalived's SSL_GET does not verify the server's certificate.
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (t.tls && !tls.certificate.empty()) curl_easy_setopt(e, CURLOPT_SSLCERT, tls.certificate.c_str());
  if (t.tls && !tls.key.empty()) curl_easy_setopt(e, CURLOPT_SSLKEY, tls.key.c_str());
  if (t.tls && !tls.password.empty()) curl_easy_setopt(e, CURLOPT_KEYPASSWD, tls.password.c_str());
  r.max_body = t.max_body;
  r.want_md5 = !r.url.digest.empty() || static_cast<bool>(t.observer);
  r.keep_body = !r.url.regex.empty();
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
  p->observer = target.observer;
  for (const auto& u : target.urls) {
    auto r = std::make_unique<Request>(u);
    configure(*r, target, left);
    if (!u.regex.empty()) r->regex = m.regex(u);
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

void HttpProber::set_urgent(Urgent* urgent) { impl_->multi->set_urgent(urgent); }

}  // namespace vigil::checkers::io
