#include "conf/preprocess.hpp"

#include <gtest/gtest.h>

#include "conf_test_util.hpp"

namespace vigil::conf {
namespace {

// The lines the preprocessor yields, words joined by single spaces.
std::vector<std::string> lines(MemorySource& src, const std::string& id, Diagnostics& d,
                               std::function<const char*(const char*)> env = {}) {
  PreprocessOptions o;
  o.config_id = id;
  o.getenv = std::move(env);
  Preprocessor pp(src, d, o);
  std::vector<std::string> out;
  if (!pp.open("/etc/k/main.conf")) return out;
  Line line;
  while (pp.next(line)) {
    std::string s;
    for (const auto& t : line.tokens) s += (s.empty() ? "" : " ") + std::string(t.text);
    out.push_back(s);
  }
  return out;
}

std::vector<std::string> lines(const std::string& text, const std::string& id = "main") {
  MemorySource src;
  src.add("/etc/k/main.conf", text);
  Diagnostics d;
  auto v = lines(src, id, d);
  EXPECT_EQ(d.error_count(), 0u) << d.format_all();
  return v;
}

using V = std::vector<std::string>;

TEST(Preprocess, ConditionalLines) {
  const std::string text = "@main router_id a\n@backup router_id b\n@^main x 1\n@^backup y 2\n";
  EXPECT_EQ(lines(text, "main"), (V{"router_id a", "y 2"}));
  EXPECT_EQ(lines(text, "backup"), (V{"router_id b", "x 1"}));
  EXPECT_EQ(lines(text, "other"), (V{"x 1", "y 2"}));
}

TEST(Preprocess, ParametersAreExpandedAtUseTime) {
  // keepalived.conf(5) "Parameter substitution".
  const std::string text =
      "$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}\n$ADDRESS_BASE_SUB=0\n${ADDRESS_BASE}.100/32\n"
      "$ADDRESS_BASE_SUB=10\n${ADDRESS_BASE}.100/32\n";
  EXPECT_EQ(lines(text), (V{"10.2.0.100/32", "10.2.10.100/32"}));
}

TEST(Preprocess, DollarNameNeedsWhitespaceAfterIt) {
  EXPECT_EQ(lines("$P=7\npriority $P\nx $Pz ${P}z\n"), (V{"priority 7", "x $Pz 7z"}));
}

TEST(Preprocess, UndefinedParametersStayAsWritten) {
  EXPECT_EQ(lines("notify \"/bin/x $1 ${UNDEF}\"\n"), (V{"notify /bin/x $1 ${UNDEF}"}));
}

TEST(Preprocess, ConditionalParameterDefinitions) {
  const std::string text = "@main $PRIORITY=240\n@backup $PRIORITY=200\npriority $PRIORITY\n";
  EXPECT_EQ(lines(text, "main"), (V{"priority 240"}));
  EXPECT_EQ(lines(text, "backup"), (V{"priority 200"}));
}

TEST(Preprocess, ParameterExpandingToAConditional) {
  EXPECT_EQ(lines("$IF_MAIN=@main\n$IF_MAIN priority 240\n", "main"), (V{"priority 240"}));
  EXPECT_TRUE(lines("$IF_MAIN=@main\n$IF_MAIN priority 240\n", "other").empty());
}

TEST(Preprocess, MultiLineParametersWithDefinitionsInside) {
  const std::string text =
      "$RS= \\\n  real_server 10.0.0.${N} 80 { \\\n    weight ${N} \\\n  }\n"
      "$VS= \\\nvirtual_server 1.1.1.1 80 { \\\n  $N=1 \\\n  $RS \\\n  $N=2 \\\n  $RS \\\n}\n$VS\n";
  EXPECT_EQ(lines(text), (V{"virtual_server 1.1.1.1 80 {", "real_server 10.0.0.1 80 {", "weight 1",
                            "}", "real_server 10.0.0.2 80 {", "weight 2", "}", "}"}));
}

TEST(Preprocess, ByteOrderMarkIsIgnored) {
  EXPECT_EQ(lines("\xEF\xBB\xBFglobal_defs {\n}\n"), (V{"global_defs {", "}"}));
}

TEST(Preprocess, LineContinuation) {
  EXPECT_EQ(lines("notify_master \\\n  /bin/script\n"), (V{"notify_master /bin/script"}));
}

TEST(Preprocess, Sequences) {
  EXPECT_EQ(lines("~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1\n"),
            (V{"ip_address 10.0.0.1", "ip_address 10.0.1.1", "ip_address 10.0.2.1", "ip_address 10.0.3.1"}));
  EXPECT_EQ(lines("~SEQx(S, 0x90, 0x10, 0xc0) fe80::20:${S}:1\n"),
            (V{"fe80::20:90:1", "fe80::20:a0:1", "fe80::20:b0:1", "fe80::20:c0:1"}));
  EXPECT_EQ(lines("~SEQ(I, 3) a${I}\n"), (V{"a1", "a2", "a3"}));
  EXPECT_EQ(lines("~SEQ(I, 3, 1) a${I}\n"), (V{"a3", "a2", "a1"}));
}

TEST(Preprocess, NestedListsAndSequences) {
  EXPECT_EQ(lines("~LST({IP, IP1}, {10,1},{20,4}) ~SEQ(IP2,168,2,170) 192.${IP2}.${IP}.${IP1}\n"),
            (V{"192.168.10.1", "192.170.10.1", "192.168.20.4", "192.170.20.4"}));
  EXPECT_EQ(lines("~LST(A, 1, 2) ~LST(B, 5,6) ${A}.${B}\n"), (V{"1.5", "1.6", "2.5", "2.6"}));
}

TEST(Preprocess, Builtins) {
  MemorySource src;
  src.add("/etc/k/main.conf", "a ${_PWD} ${_INSTANCE} x${_HASH}y ${_BANG} ${_ENV HOME_X}\n");
  Diagnostics d;
  auto v = lines(src, "node1", d, [](const char* n) -> const char* {
    return std::string(n) == "HOME_X" ? "/home/x" : nullptr;
  });
  EXPECT_EQ(v, (V{"a /etc/k node1 x#y ! /home/x"}));
}

TEST(Preprocess, RandomStaysInRange) {
  for (int i = 0; i < 20; ++i) {
    auto v = lines("${_RANDOM 5 7}\n");
    ASSERT_EQ(v.size(), 1u);
    const int n = std::stoi(v[0]);
    EXPECT_GE(n, 5);
    EXPECT_LE(n, 7);
  }
}

TEST(Preprocess, IncludeIsRelativeToTheIncludingFile) {
  MemorySource src;
  src.add("/etc/k/main.conf", "a 1\ninclude conf.d/*.conf\nb 2\n");
  src.add("/etc/k/conf.d/x.conf", "x 1\ninclude ../more/{p,q}.conf\n");
  src.add("/etc/k/conf.d/y.conf", "y 1\n");
  src.add("/etc/k/more/p.conf", "p ${_PWD}\n");
  src.add("/etc/k/more/q.conf", "q 1\n");
  Diagnostics d;
  EXPECT_EQ(lines(src, "main", d), (V{"a 1", "x 1", "p /etc/k/more", "q 1", "y 1", "b 2"}));
  EXPECT_EQ(d.error_count(), 0u) << d.format_all();
}

TEST(Preprocess, IncludeCycleIsAnErrorAtTheIncludeLine) {
  MemorySource src;
  src.add("/etc/k/main.conf", "a 1\ninclude b.conf\n");
  src.add("/etc/k/b.conf", "b 1\n\ninclude main.conf\n");
  Diagnostics d;
  lines(src, "main", d);
  ASSERT_EQ(d.error_count(), 1u);
  EXPECT_EQ(d.format(d.all()[0]).substr(0, 16), "/etc/k/b.conf:3:");
  EXPECT_NE(d.all()[0].message.find("cycle"), std::string::npos);
}

TEST(Preprocess, MissingIncludeIsAnErrorButAnEmptyGlobIsNot) {
  MemorySource src;
  src.add("/etc/k/main.conf", "include nothere.conf\ninclude none/*.conf\n");
  Diagnostics d;
  lines(src, "main", d);
  ASSERT_EQ(d.error_count(), 1u);
  EXPECT_EQ(d.all()[0].loc.line, 1u);
  EXPECT_EQ(d.warning_count(), 1u);
}

TEST(Preprocess, RecursiveParameterIsBounded) {
  MemorySource src;
  src.add("/etc/k/main.conf", "$A=${A}x\nvalue ${A}\n");
  Diagnostics d;
  lines(src, "main", d);
  EXPECT_EQ(d.error_count(), 1u);
  EXPECT_EQ(d.all()[0].loc.line, 2u);
}

TEST(Preprocess, RunawaySequenceIsBounded) {
  MemorySource src;
  src.add("/etc/k/main.conf", "~SEQ(A, 0, 100000000) x\n");
  Diagnostics d;
  lines(src, "main", d);
  EXPECT_EQ(d.error_count(), 1u);
}

}  // namespace
}  // namespace vigil::conf
