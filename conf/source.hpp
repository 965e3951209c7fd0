// Where configuration text comes from. The pipeline reads files only through this
// interface, so tests run on in-memory files and need no disk.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace vigil::conf {

// Sequential reads of one file, so a large configuration is never held whole.
class Reader {
 public:
  virtual ~Reader() = default;
  // Up to n bytes into buf; 0 at the end; an error text on failure.
  virtual Result<std::size_t, std::string> read(char* buf, std::size_t n) = 0;
};

class FileSource {
 public:
  virtual ~FileSource() = default;
  // Opens a file for sequential reading. The default reads it whole through read().
  virtual Result<std::unique_ptr<Reader>, std::string> open(const std::string& path);
  // The whole file, or an error text (e.g. strerror).
  virtual Result<std::string, std::string> read(const std::string& path) = 0;
  // Paths matching a glob pattern with csh brace expansion, sorted. Empty when none match.
  virtual std::vector<std::string> glob(const std::string& pattern) = 0;
  // A stable identity for cycle detection (the canonical path where there is one).
  virtual std::string identity(const std::string& path) { return path; }
};

class DiskSource final : public FileSource {
 public:
  Result<std::unique_ptr<Reader>, std::string> open(const std::string& path) override;
  Result<std::string, std::string> read(const std::string& path) override;
  std::vector<std::string> glob(const std::string& pattern) override;
  std::string identity(const std::string& path) override;
};

// In-memory files, keyed by absolute path. glob supports '*', '?' and '{a,b}'.
class MemorySource final : public FileSource {
 public:
  MemorySource() = default;
  explicit MemorySource(std::map<std::string, std::string> files) : files_(std::move(files)) {}
  void add(std::string path, std::string text) { files_[std::move(path)] = std::move(text); }
  Result<std::string, std::string> read(const std::string& path) override;
  std::vector<std::string> glob(const std::string& pattern) override;

 private:
  std::map<std::string, std::string> files_;
};

// Helpers shared by both sources and the preprocessor.
bool has_glob_magic(const std::string& pattern);
std::vector<std::string> expand_braces(const std::string& pattern);
bool glob_match(std::string_view pattern, std::string_view text);  // '*' and '?' only, no '/'
// Lexically removes "." and ".." components and repeated slashes ("/a/b/../c" -> "/a/c").
std::string normalize_path(std::string_view path);

}  // namespace vigil::conf
