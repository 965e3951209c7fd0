// SSL_GET against an in-test TLS server (Boost.Asio SSL) with certificates made by the test:
// no verification by default (keepalived), verification against the SSL block's CA, the
// name checked when SNI names the server, SNI sent as sni_name / the virtualhost, and the
// url regex over HTTPS.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <filesystem>
#include <gtest/gtest.h>

#include "checkers/io/http_probe.hpp"
#include "checkers/tests/io_util.hpp"

namespace vigil::checkers::io {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using namespace std::chrono_literals;
using testing::now;
using testing::run_until;

// A self-signed P-256 certificate for `name`, written as PEM files.
struct Cert {
  std::string cert_file, key_file;
};

Cert make_cert(const std::string& dir, const std::string& stem, const std::string& name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), static_cast<long>(std::hash<std::string>{}(stem) & 0x7fffffff));
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600 * 24);
  X509_set_pubkey(x, key);
  X509_NAME* n = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, n);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (const auto& [nid, value] : std::vector<std::pair<int, std::string>>{
           {NID_subject_alt_name, "DNS:" + name}, {NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  Cert c{dir + "/" + stem + ".crt", dir + "/" + stem + ".key"};
  FILE* f = std::fopen(c.cert_file.c_str(), "w");
  PEM_write_X509(f, x);
  std::fclose(f);
  f = std::fopen(c.key_file.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(key);
  return c;
}

class TinyTlsServer {
 public:
  TinyTlsServer(asio::io_context& io, const Cert& cert, std::string body)
      : io_(io), ctx_(ssl::context::tls_server), acceptor_(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
        body_(std::move(body)) {
    ctx_.use_certificate_chain_file(cert.cert_file);
    ctx_.use_private_key_file(cert.key_file, ssl::context::pem);
    SSL_CTX_set_tlsext_servername_callback(ctx_.native_handle(), &TinyTlsServer::on_sni);
    SSL_CTX_set_tlsext_servername_arg(ctx_.native_handle(), this);
    accept();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<std::string> sni;       // per handshake: the name, or "" for none
  std::vector<std::string> requests;  // the request heads

 private:
  using Stream = ssl::stream<tcp::socket>;
  struct Conn {
    Conn(asio::io_context& io, ssl::context& ctx) : stream(io, ctx) {}
    Stream stream;
    asio::streambuf in;
    std::string out;
  };
  static int on_sni(SSL* s, int*, void* self) {
    const char* name = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
    static_cast<TinyTlsServer*>(self)->sni.push_back(name ? name : "");
    return SSL_TLSEXT_ERR_OK;
  }
  void accept() {
    auto c = std::make_shared<Conn>(io_, ctx_);
    acceptor_.async_accept(c->stream.lowest_layer(), [this, c](const boost::system::error_code& ec) {
      if (ec) return;
      accept();
      c->stream.async_handshake(ssl::stream_base::server, [this, c](const boost::system::error_code& ec) {
        if (ec) return;
        asio::async_read_until(c->stream, c->in, "\r\n\r\n", [this, c](const boost::system::error_code& ec, std::size_t n) {
          if (ec) return;
          requests.emplace_back(asio::buffers_begin(c->in.data()), asio::buffers_begin(c->in.data()) + static_cast<long>(n));
          c->out = "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(body_.size()) + "\r\n\r\n" + body_;
          asio::async_write(c->stream, asio::buffer(c->out), [c](const boost::system::error_code&, std::size_t) {
            c->stream.async_shutdown([c](const boost::system::error_code&) {});
          });
        });
      });
    });
  }
  asio::io_context& io_;
  ssl::context ctx_;
  tcp::acceptor acceptor_;
  std::string body_;
};

struct Tls : ::testing::Test {
  Tls() {
    char tmpl[] = "/tmp/vigil-tls-XXXXXX";
    dir = ::mkdtemp(tmpl);
    good = make_cert(dir, "good", "www.example.com");
    other = make_cert(dir, "other", "www.example.com");
  }
  ~Tls() override { std::filesystem::remove_all(dir); }
  HttpTarget target(std::uint16_t port) {
    HttpTarget t;
    t.tls = true;
    t.address = IpAddress::v4(0x7f000001);
    t.port = port;
    t.urls = {HttpUrl{}};
    return t;
  }
  ProbeOutcome probe(const HttpTarget& t) {
    std::optional<ProbeOutcome> out;
    prober.start(t, now() + 3s, [&](ProbeOutcome o) { out = std::move(o); });
    EXPECT_TRUE(run_until(io, [&] { return out.has_value(); }));
    return out.value_or(ProbeOutcome{false, std::nullopt, "no result"});
  }
  std::string dir;
  Cert good, other;
  asio::io_context io;
  HttpProber prober{io};
};

TEST_F(Tls, UnverifiedByDefaultAndNoSniWithoutAName) {
  TinyTlsServer server(io, good, "<h1>Welcome</h1>");
  auto t = target(server.port());
  t.urls[0].digest = md5_hex("<h1>Welcome</h1>");
  const auto o = probe(t);
  EXPECT_TRUE(o.ok) << o.reason;
  ASSERT_EQ(server.sni.size(), 1u);
  EXPECT_EQ(server.sni[0], "");
}

TEST_F(Tls, SniNameIsSentAndTheHostHeaderStillNamesTheAddress) {
  TinyTlsServer server(io, good, "ok");
  auto t = target(server.port());
  t.sni_name = "www.example.com";
  EXPECT_TRUE(probe(t).ok);
  ASSERT_EQ(server.sni.size(), 1u);
  EXPECT_EQ(server.sni[0], "www.example.com");
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_NE(server.requests[0].find("Host: 127.0.0.1:" + std::to_string(server.port())), std::string::npos)
      << server.requests[0];
  // Per url (enable_sni with a virtualhost): that url's name.
  t.sni_name.clear();
  t.urls[0].sni = "api.example.com";
  t.urls[0].virtualhost = "api.example.com";
  EXPECT_TRUE(probe(t).ok);
  ASSERT_EQ(server.sni.size(), 2u);
  EXPECT_EQ(server.sni[1], "api.example.com");
  EXPECT_NE(server.requests[1].find("Host: api.example.com\r\n"), std::string::npos) << server.requests[1];
}

TEST_F(Tls, CaVerifiesTheChainAndTheSniName) {
  TinyTlsServer server(io, good, "ok");
  auto t = target(server.port());
  t.tls_settings.ca = good.cert_file;
  t.sni_name = "www.example.com";
  auto o = probe(t);
  EXPECT_TRUE(o.ok) << o.reason;
  t.sni_name = "wrong.example.com";  // chain fine, name not
  o = probe(t);
  EXPECT_FALSE(o.ok);
  t.sni_name.clear();  // no name: only the chain is checked
  o = probe(t);
  EXPECT_TRUE(o.ok) << o.reason;
  t.tls_settings.ca = other.cert_file;  // another CA: the chain fails
  o = probe(t);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.reason.find("certificate"), std::string::npos) << o.reason;
}

TEST_F(Tls, RegexOverHttps) {
  TinyTlsServer server(io, good, "<html><title>Welcome to nginx!</title></html>");
  auto t = target(server.port());
  t.urls[0].regex = "Welcome to (nginx|apache)";
  EXPECT_TRUE(probe(t).ok);
  t.urls[0].regex = "Maintenance";
  const auto o = probe(t);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.reason.find("did not match"), std::string::npos) << o.reason;
}

TEST(TlsSettingsFromConfig, TheGlobalSslBlockReachesSslGetOnly) {
  HttpTarget h;
  conf::HttpCheck plain(false), tls(true);
  plain.connect_ip.assign_default(IpAddress::v4(1));
  tls.connect_ip.assign_default(IpAddress::v4(1));
  TlsSettings s{"/ca.pem", "/c.pem", "/k.pem", "pw"};
  EXPECT_EQ(http_target(tls, s).tls_settings, s);
  EXPECT_EQ(http_target(plain, s).tls_settings, TlsSettings{});
}

}  // namespace
}  // namespace vigil::checkers::io
