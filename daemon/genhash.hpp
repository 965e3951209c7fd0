// `vigil --genhash URL`: keepalived's genhash. Fetches URL exactly as HTTP_GET / SSL_GET
// would (the same libcurl settings: HTTP/1.0, Connection: close, no redirects, at most
// 1 MiB of body) and prints the MD5 of the body, the value a url block's `digest` wants:
//   MD5SUM = 9b3a0c85a887a256d6939da88aabd8cd
// https:// (or --ssl) fetches over TLS without verification (as SSL_GET without an SSL
// block's ca); --virtualhost NAME sends "Host: NAME" (and SNI over TLS).
#pragma once
#include <iosfwd>
#include <string>

namespace vigil::daemon {

struct GenhashOptions {
  std::string url;          // http://ADDRESS[:PORT]/PATH, https://..., or ADDRESS[:PORT]/PATH
  std::string virtualhost;  // the Host header (and SNI over TLS)
  bool ssl{false};          // TLS even for a URL without https://
  int timeout_seconds{5};
};

// 0 when the body was fetched (its digest printed on `out`), 1 otherwise (why, on `err`).
int genhash(const GenhashOptions& options, std::ostream& out, std::ostream& err);

}  // namespace vigil::daemon
