// The malformed-configuration corpus (tests/conf/malformed/*.conf): every file states, in its
// leading comment lines, the diagnostics the pipeline must report:
//
//   # expect: LINE: SEVERITY: SUBSTRING        LINE in this file
//   # expect: FILE:LINE: SEVERITY: SUBSTRING   LINE in an included FILE (a path suffix)
//   # known-bad: REASON                        a pipeline bug: the case is skipped with REASON
//
// Each file is its own test case; loading one must not crash, must report every expected
// diagnostic (with that severity, file line and message substring), and must fail when an
// error is expected (or succeed when only warnings are).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "conf/load.hpp"
#include "conf/model.hpp"

namespace vigil::conf {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpusDir = fs::path(VIGIL_SOURCE_DIR) / "tests" / "conf" / "malformed";

struct Expectation {
  std::string file;  // path suffix of the file the diagnostic is located in
  unsigned line{};
  Severity severity{};
  std::string substring;
  std::string text;  // as written, for messages
};

struct Case {
  std::vector<Expectation> expectations;
  std::string known_bad;           // non-empty: skip with this reason
  std::vector<std::string> faults;  // malformed header lines
};

std::string trim(std::string s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// The *.conf files directly in the corpus folder (inc/ holds helpers), sorted by name.
std::vector<std::string> corpus_files() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kCorpusDir, ec))
    if (e.is_regular_file() && e.path().extension() == ".conf") names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Parses the leading '#' lines of a case. Stops at the first line that is not a comment.
Case parse_case(const std::string& file_name, const std::string& text) {
  Case c;
  std::istringstream in(text);
  std::string line;
  static const std::string kExpect = "# expect:", kKnownBad = "# known-bad:";
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '#') break;
    if (line.starts_with(kKnownBad)) {
      c.known_bad = trim(line.substr(kKnownBad.size()));
      continue;
    }
    if (!line.starts_with(kExpect)) continue;
    const std::string rest = trim(line.substr(kExpect.size()));
    // LOC: SEVERITY: SUBSTRING, where LOC is LINE or FILE:LINE.
    const auto a = rest.find(": ");
    const auto b = a == std::string::npos ? a : rest.find(": ", a + 2);
    if (b == std::string::npos) {
      c.faults.push_back(line);
      continue;
    }
    Expectation e;
    e.text = rest;
    const std::string loc = rest.substr(0, a);
    const std::string sev = rest.substr(a + 2, b - a - 2);
    e.substring = rest.substr(b + 2);
    const auto colon = loc.rfind(':');
    e.file = colon == std::string::npos ? file_name : loc.substr(0, colon);
    const std::string num = colon == std::string::npos ? loc : loc.substr(colon + 1);
    if (num.empty() || !std::all_of(num.begin(), num.end(), [](unsigned char ch) { return std::isdigit(ch); }) ||
        e.substring.empty()) {
      c.faults.push_back(line);
      continue;
    }
    e.line = static_cast<unsigned>(std::stoul(num));
    if (sev == "error")
      e.severity = Severity::error;
    else if (sev == "warning")
      e.severity = Severity::warning;
    else if (sev == "note")
      e.severity = Severity::note;
    else {
      c.faults.push_back(line);
      continue;
    }
    c.expectations.push_back(std::move(e));
  }
  return c;
}

bool path_matches(const std::string& name, const std::string& suffix) {
  return name == suffix || (name.size() > suffix.size() && name.ends_with(suffix) &&
                            name[name.size() - suffix.size() - 1] == '/');
}

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::note:
      return "note";
    case Severity::warning:
      return "warning";
    case Severity::error:
      return "error";
  }
  return "?";
}

LoadResult load_case(const fs::path& path) {
  DiskSource source;
  LoadOptions options;
  options.config_id = "testhost";
  return load(path.string(), source, options);
}

class ConfCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(ConfCorpus, ReportsExpectedDiagnostics) {
  const fs::path path = kCorpusDir / GetParam();
  const Case c = parse_case(GetParam(), read_file(path));
  for (const auto& f : c.faults) ADD_FAILURE() << "malformed header line: " << f;
  if (!c.known_bad.empty()) GTEST_SKIP() << "known pipeline bug: " << c.known_bad;
  ASSERT_FALSE(c.expectations.empty()) << path << " has no '# expect:' line";

  const LoadResult r = load_case(path);
  const Diagnostics& d = r.diagnostics;
  const std::string all = d.format_all();
  bool wants_error = false;
  for (const auto& e : c.expectations) {
    wants_error |= e.severity == Severity::error;
    const bool found = std::any_of(d.all().begin(), d.all().end(), [&](const Diagnostic& g) {
      return g.severity == e.severity && g.loc.line == e.line && path_matches(d.file_name(g.loc.file), e.file) &&
             g.message.find(e.substring) != std::string::npos;
    });
    EXPECT_TRUE(found) << "expected " << e.file << ":" << e.line << ": " << severity_name(e.severity) << ": "
                       << e.substring << "\nthe pipeline reported:\n"
                       << all;
  }
  if (wants_error)
    EXPECT_FALSE(r.ok()) << "an error was expected, but the configuration was accepted:\n" << all;
  else
    EXPECT_TRUE(r.ok()) << "only warnings were expected:\n" << all;

  // The partial configuration of a failed load can still be dumped.
  ASSERT_NE(r.config, nullptr);
  const std::string json = to_json(*r.config);
  EXPECT_TRUE(json.starts_with("{")) << json.substr(0, 200);
}

std::string case_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  if (name.ends_with(".conf")) name.resize(name.size() - 5);
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return "c" + name;
}

INSTANTIATE_TEST_SUITE_P(Malformed, ConfCorpus, ::testing::ValuesIn(corpus_files()), case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ConfCorpus);

TEST(ConfCorpusInventory, HasAtLeastFiftyCases) {
  std::size_t active = 0;
  for (const auto& f : corpus_files()) {
    const Case c = parse_case(f, read_file(kCorpusDir / f));
    if (c.known_bad.empty() && !c.expectations.empty()) ++active;
  }
  EXPECT_GE(active, 50u) << "cases in " << kCorpusDir << " (excluding known-bad)";
}

TEST(ConfCorpusInventory, HeaderParser) {
  const Case c = parse_case("x.conf",
                            "# expect: 7: error: a: b\n# expect: inc/y.conf:3: warning: z\n# known-bad: r\n"
                            "# expect: 9: error: after\nbody\n# expect: 1: error: not header\n");
  ASSERT_EQ(c.expectations.size(), 3u);
  EXPECT_EQ(c.expectations[0].file, "x.conf");
  EXPECT_EQ(c.expectations[0].line, 7u);
  EXPECT_EQ(c.expectations[0].substring, "a: b");
  EXPECT_EQ(c.expectations[1].file, "inc/y.conf");
  EXPECT_EQ(c.expectations[1].line, 3u);
  EXPECT_EQ(c.expectations[1].severity, Severity::warning);
  EXPECT_EQ(c.known_bad, "r");
  EXPECT_TRUE(c.faults.empty());
  EXPECT_TRUE(path_matches("/a/b/inc/y.conf", "inc/y.conf"));
  EXPECT_FALSE(path_matches("/a/b/xinc/y.conf", "inc/y.conf"));
}

}  // namespace
}  // namespace vigil::conf
