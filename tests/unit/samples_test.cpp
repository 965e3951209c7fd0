// The 25 sample configurations of Debian's keepalived package must load without errors
// (warnings allowed), and their understood configuration must dump as well-formed JSON.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "conf/load.hpp"
#include "conf/model.hpp"

namespace vigil::conf {
namespace {

namespace fs = std::filesystem;

const fs::path kSamplesDir = "/usr/share/doc/keepalived/samples";
constexpr const char* kNotInstalled = "SKIPPED: keepalived samples not installed (run scripts/setup.sh)";

bool samples_installed() {
  std::error_code ec;
  return fs::is_directory(kSamplesDir, ec);
}

std::vector<fs::path> sample_files() {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kSamplesDir, ec))
    if (e.is_regular_file() && e.path().filename().string().starts_with("keepalived.conf."))
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

#define SKIP_UNLESS_SAMPLES()                  \
  do {                                         \
    if (!samples_installed()) {                \
      std::cerr << "\n*** " << kNotInstalled << " ***\n\n"; \
      GTEST_SKIP() << kNotInstalled;           \
    }                                          \
  } while (0)

LoadResult load_sample(const fs::path& p) {
  DiskSource source;
  LoadOptions options;
  options.config_id = "testhost";
  return load(p.string(), source, options);
}

// Braces and brackets balance outside strings; strings are closed; nothing follows the top value.
::testing::AssertionResult balanced_json(const std::string& j) {
  std::size_t i = 0;
  while (i < j.size() && std::isspace(static_cast<unsigned char>(j[i]))) ++i;
  if (i == j.size() || j[i] != '{') return ::testing::AssertionFailure() << "does not start with '{'";
  std::string stack;
  bool in_string = false, escaped = false, closed = false;
  for (; i < j.size(); ++i) {
    const char c = j[i];
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      else if (static_cast<unsigned char>(c) < 0x20)
        return ::testing::AssertionFailure() << "raw control character in a string at offset " << i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (closed) return ::testing::AssertionFailure() << "text after the top-level object at offset " << i;
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      stack.push_back(c);
    } else if (c == '}' || c == ']') {
      if (stack.empty() || stack.back() != (c == '}' ? '{' : '['))
        return ::testing::AssertionFailure() << "unbalanced '" << c << "' at offset " << i;
      stack.pop_back();
      closed = stack.empty();
    }
  }
  if (in_string) return ::testing::AssertionFailure() << "unterminated string";
  if (!stack.empty()) return ::testing::AssertionFailure() << stack.size() << " unclosed '{'/'['";
  return ::testing::AssertionSuccess();
}

TEST(KeepalivedSamples, AllTwentyFivePresent) {
  SKIP_UNLESS_SAMPLES();
  EXPECT_EQ(sample_files().size(), 25u) << "in " << kSamplesDir;
}

TEST(KeepalivedSamples, LoadWithoutErrors) {
  SKIP_UNLESS_SAMPLES();
  for (const auto& p : sample_files()) {
    SCOPED_TRACE(p.string());
    const LoadResult r = load_sample(p);
    EXPECT_EQ(r.diagnostics.error_count(), 0u) << r.diagnostics.format_all();
    EXPECT_TRUE(r.ok());
  }
}

TEST(KeepalivedSamples, DumpAsBalancedJson) {
  SKIP_UNLESS_SAMPLES();
  for (const auto& p : sample_files()) {
    SCOPED_TRACE(p.string());
    const LoadResult r = load_sample(p);
    ASSERT_NE(r.config, nullptr);
    const std::string json = to_json(*r.config);
    ASSERT_FALSE(json.empty());
    EXPECT_EQ(json.front(), '{');
    EXPECT_TRUE(balanced_json(json)) << json.substr(0, 400);
  }
}

TEST(KeepalivedSamples, JsonCheckerCatchesImbalance) {
  EXPECT_TRUE(balanced_json(R"({"a": [1, {"b": "}]{["}], "c": "\"{"})"));
  EXPECT_FALSE(balanced_json(R"({"a": [1, 2})"));
  EXPECT_FALSE(balanced_json(R"({"a": "x)"));
  EXPECT_FALSE(balanced_json(R"([1])"));
  EXPECT_FALSE(balanced_json(R"({} {})"));
  EXPECT_FALSE(balanced_json(R"({"a": 1}})"));
}

}  // namespace
}  // namespace vigil::conf
