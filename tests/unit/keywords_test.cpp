// The keyword tables against the manual and against keepalived's keywords.
//
// (a) Every modelled or deprecated keyword is documented in man/vigil.conf.5, in its block's
//     section (regenerate with tools/gen_man_keywords.py).
// (b) Every keyword of keepalived (tests/data/keepalived-keywords.tsv: keyword, number of
//     ~930 real configs using it) is known to vigil's tables.
// (c) The 150 most used are modelled (or deprecated aliases of modelled ones), not merely
//     accepted.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "conf/parser.hpp"

namespace vigil::conf {
namespace {

// Words of keepalived's keyword list that vigil parses as list items or argument words rather
// than as keywords of a block, with where each is parsed. (`weight`, `group` and `fwmark` need
// no entry: besides being words inside tracking lists, sync groups and virtual server lines,
// they are keywords of vigil's tables.) An entry here must not be a keyword of any table;
// ListItemWordsAreNotKeywords checks that.
const std::map<std::string_view, std::string_view> kListItemWords = {
    {"min_ttl", "unicast_peer item option: IP [min_ttl N] (h_unicast_peer, schema_vrrp.cpp)"},
    {"max_ttl", "unicast_peer item option: IP [max_ttl N] (h_unicast_peer, schema_vrrp.cpp)"},
    {"inst", "lvs_sync_daemon argument: IF [inst NAME] (SyncDaemonP, schema_global.cpp)"},
    {"maxlen", "lvs_sync_daemon argument: [maxlen N] (SyncDaemonP, schema_global.cpp)"},
    {"tcpfin", "lvs_timeouts argument: [tcpfin N] (TimeoutsP, schema_global.cpp)"},
    {"reverse", "tracking list items and weight lines: NAME weight N reverse (parse_track_list)"},
    {"noreverse", "tracking list items: NAME noreverse (parse_track_list, schema_lists.cpp)"},
    {"no_track", "address list item option (parse_address_list, schema_lists.cpp)"},
    {"nodad", "address list item option (parse_address_list, schema_lists.cpp)"},
    {"noprefixroute", "address list item option (parse_address_list, schema_lists.cpp)"},
};

constexpr std::size_t kMostUsed = 150;

std::string source_path(std::string_view rel) {
  return std::string(VIGIL_SOURCE_DIR) + "/" + std::string(rel);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view support_name(Support s) {
  switch (s) {
    case Support::modelled: return "modelled";
    case Support::accepted: return "accepted";
    case Support::deprecated: return "deprecated";
  }
  return "?";
}

struct Usage {
  std::string keyword;
  long count{};
};

std::vector<Usage> keepalived_keywords() {
  std::vector<Usage> out;
  std::istringstream in(read_file(source_path("tests/data/keepalived-keywords.tsv")));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    out.push_back({line.substr(0, tab), std::stol(line.substr(tab + 1))});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Usage& a, const Usage& b) { return a.count > b.count; });
  return out;
}

// How vigil's tables know a keyword: "modelled in vrrp_instance, accepted in global_defs",
// or empty when no table has it.
std::string where_known(std::string_view keyword, bool* supported = nullptr) {
  std::string out;
  if (supported != nullptr) *supported = false;
  for (const BlockSchema* s : all_schemas()) {
    const KeywordDef* k = s->find(keyword);
    if (k == nullptr) continue;
    if (k->support != Support::accepted && supported != nullptr) *supported = true;
    if (!out.empty()) out += ", ";
    out += std::string(support_name(k->support)) + " in " + std::string(s->name());
  }
  return out;
}

// The keyword part of the manual: section title (lower case) -> its text.
std::map<std::string, std::string> manual_sections(const std::string& page) {
  std::map<std::string, std::string> out;
  const auto begin = page.find(".\\\" BEGIN KEYWORDS");
  const auto end = page.find(".\\\" END KEYWORDS");
  if (begin == std::string::npos || end == std::string::npos || end < begin) return out;
  std::istringstream in(page.substr(begin, end - begin));
  std::string line, title;
  while (std::getline(in, line)) {
    if (line.starts_with(".SS ")) {
      title = line.substr(4);
      if (title.size() >= 2 && title.front() == '"' && title.back() == '"')
        title = title.substr(1, title.size() - 2);
      title = lower(title);
      out[title];
      continue;
    }
    if (line.starts_with(".SH ")) {
      title.clear();
      continue;
    }
    if (!title.empty()) out[title] += line + "\n";
  }
  return out;
}

// troff writes a minus sign as "\-"; either spelling counts.
bool documents(const std::string& text, std::string_view keyword) {
  std::string escaped;
  for (char c : keyword) escaped += c == '-' ? std::string("\\-") : std::string(1, c);
  return text.find("\\fB" + std::string(keyword) + "\\fR") != std::string::npos ||
         text.find("\\fB" + escaped + "\\fR") != std::string::npos;
}

TEST(Keywords, ReferenceDataIsThere) {
  const auto usage = keepalived_keywords();
  EXPECT_GE(usage.size(), kMostUsed) << "tests/data/keepalived-keywords.tsv is missing or short";
  const std::string page = read_file(source_path("man/vigil.conf.5"));
  EXPECT_NE(page.find(".\\\" BEGIN KEYWORDS"), std::string::npos) << "man/vigil.conf.5 lacks its markers";
  EXPECT_NE(page.find(".\\\" END KEYWORDS"), std::string::npos) << "man/vigil.conf.5 lacks its markers";
}

// (a)
TEST(Keywords, SupportedKeywordsAreDocumented) {
  const std::string page = read_file(source_path("man/vigil.conf.5"));
  ASSERT_FALSE(page.empty()) << "cannot read man/vigil.conf.5";
  const auto sections = manual_sections(page);
  std::string missing;
  for (const BlockSchema* s : all_schemas()) {
    const auto it = sections.find(lower(s->name()));
    for (const KeywordDef& k : s->keywords()) {
      if (k.support == Support::accepted) continue;
      if (it == sections.end() || !documents(it->second, k.name))
        missing += "  " + std::string(k.name) + " (" + std::string(support_name(k.support)) +
                   ") in " + std::string(s->name()) +
                   (it == sections.end() ? " - the page has no section for this block" : "") + "\n";
    }
  }
  EXPECT_TRUE(missing.empty())
      << "keywords missing from man/vigil.conf.5 (run tools/gen_man_keywords.py):\n"
      << missing;
}

// (b)
TEST(Keywords, EveryKeepalivedKeywordIsKnown) {
  std::string unknown;
  for (const Usage& u : keepalived_keywords()) {
    if (kListItemWords.contains(u.keyword)) continue;
    if (where_known(u.keyword).empty())
      unknown += "  " + u.keyword + " (used by " + std::to_string(u.count) + " configs)\n";
  }
  EXPECT_TRUE(unknown.empty()) << "keepalived keywords that no keyword table knows:\n" << unknown;
}

// (c)
TEST(Keywords, MostUsedKeywordsAreModelled) {
  const auto usage = keepalived_keywords();
  ASSERT_GE(usage.size(), kMostUsed);
  // Keywords tied with the 150th are in too, so the answer does not depend on the file's order.
  const long threshold = usage[kMostUsed - 1].count;
  std::string weak;
  for (const Usage& u : usage) {
    if (u.count < threshold) break;
    if (kListItemWords.contains(u.keyword)) continue;
    bool supported = false;
    const std::string known = where_known(u.keyword, &supported);
    if (!supported)
      weak += "  " + u.keyword + " (used by " + std::to_string(u.count) + " configs): " +
              (known.empty() ? std::string("unknown") : known) + "\n";
  }
  EXPECT_TRUE(weak.empty()) << "among the " << kMostUsed
                            << " most used keepalived keywords, not modelled:\n"
                            << weak;
}

TEST(Keywords, ListItemWordsAreNotKeywords) {
  for (const auto& [word, where] : kListItemWords) {
    const std::string known = where_known(word);
    EXPECT_TRUE(known.empty()) << "'" << word << "' is allow-listed as a list-item word (" << where
                               << ") but is a keyword: " << known
                               << "; remove it from kListItemWords";
  }
}

}  // namespace
}  // namespace vigil::conf
