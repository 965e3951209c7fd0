#include "conf/source.hpp"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace vigil::conf {
namespace {

class StringReader final : public Reader {
 public:
  explicit StringReader(std::string text) : text_(std::move(text)) {}
  Result<std::size_t, std::string> read(char* buf, std::size_t n) override {
    const std::size_t k = std::min(n, text_.size() - pos_);
    std::memcpy(buf, text_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string text_;
  std::size_t pos_{0};
};

class FdReader final : public Reader {
 public:
  explicit FdReader(int fd) : fd_(fd) {}
  ~FdReader() override { ::close(fd_); }
  FdReader(const FdReader&) = delete;
  FdReader& operator=(const FdReader&) = delete;
  Result<std::size_t, std::string> read(char* buf, std::size_t n) override {
    for (;;) {
      const ssize_t k = ::read(fd_, buf, n);
      if (k >= 0) return static_cast<std::size_t>(k);
      if (errno != EINTR) return unexpected(std::string(std::strerror(errno)));
    }
  }

 private:
  int fd_;
};

}  // namespace

Result<std::unique_ptr<Reader>, std::string> FileSource::open(const std::string& path) {
  auto text = read(path);
  if (!text) return unexpected(text.error());
  return std::unique_ptr<Reader>(std::make_unique<StringReader>(std::move(*text)));
}

Result<std::unique_ptr<Reader>, std::string> DiskSource::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return unexpected(std::string(std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return unexpected(std::string("is a directory"));
  }
  return std::unique_ptr<Reader>(std::make_unique<FdReader>(fd));
}

Result<std::string, std::string> DiskSource::read(const std::string& path) {
  auto reader = open(path);
  if (!reader) return unexpected(reader.error());
  std::string out;
  char buf[65536];
  for (;;) {
    auto n = (*reader)->read(buf, sizeof buf);
    if (!n) return unexpected(n.error());
    if (*n == 0) return out;
    out.append(buf, *n);
  }
}

std::vector<std::string> DiskSource::glob(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (::glob(pattern.c_str(), GLOB_BRACE | GLOB_NOSORT, nullptr, &g) == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string DiskSource::identity(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) != nullptr) return buf;
  return path;
}

bool has_glob_magic(const std::string& p) {
  return p.find_first_of("*?[{") != std::string::npos;
}

std::vector<std::string> expand_braces(const std::string& p) {
  // Find the first top-level {...} that contains a comma; expand it and recurse.
  int depth = 0;
  std::size_t open = std::string::npos;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '{') {
      if (depth++ == 0) open = i;
    } else if (p[i] == '}' && depth > 0 && --depth == 0) {
      std::vector<std::string> alts;
      std::string cur;
      int d = 0;
      for (std::size_t j = open + 1; j < i; ++j) {
        const char c = p[j];
        if (c == '{') ++d;
        if (c == '}') --d;
        if (c == ',' && d == 0) {
          alts.push_back(cur);
          cur.clear();
        } else {
          cur += c;
        }
      }
      alts.push_back(cur);
      std::vector<std::string> out;
      for (const auto& a : alts)
        for (auto& e : expand_braces(p.substr(0, open) + a + p.substr(i + 1)))
          out.push_back(std::move(e));
      return out;
    }
  }
  return {p};
}

bool glob_match(std::string_view pat, std::string_view s) {
  std::size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < pat.size() && (pat[pi] == s[si] || (pat[pi] == '?' && s[si] != '/'))) {
      ++pi;
      ++si;
    } else if (pi < pat.size() && pat[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (star != std::string_view::npos && s[mark] != '/') {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < pat.size() && pat[pi] == '*') ++pi;
  return pi == pat.size();
}

std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> parts;
  const bool absolute = !path.empty() && path.front() == '/';
  std::size_t i = 0;
  while (i <= path.size()) {
    const std::size_t j = std::min(path.find('/', i), path.size());
    const std::string_view part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..")
        parts.pop_back();
      else if (!absolute)
        parts.push_back(part);
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out = absolute ? "/" : "";
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += '/';
    out += parts[k];
  }
  return out.empty() ? "." : out;
}

Result<std::string, std::string> MemorySource::read(const std::string& path) {
  auto it = files_.find(path);
  if (it == files_.end()) return unexpected(std::string("No such file or directory"));
  return it->second;
}

std::vector<std::string> MemorySource::glob(const std::string& pattern) {
  std::vector<std::string> out;
  for (const auto& alt : expand_braces(pattern))
    for (const auto& [path, text] : files_)
      if (glob_match(alt, path)) out.push_back(path);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace vigil::conf
