#include "vrrpd/io/vip_filter.hpp"

#include <nftables/libnftables.h>

#include <algorithm>

namespace vigil::vrrp::io {

FilterSpec filter_spec(const std::vector<InstanceConfig>& instances, const conf::GlobalDefs& global) {
  FilterSpec spec;
  if (global.nftables.is_set() && !global.nftables->empty()) spec.table = *global.nftables;
  if (global.nftables_priority.is_set()) spec.priority = *global.nftables_priority;
  spec.counters = global.nftables_counters.is_set() && *global.nftables_counters;
  for (const auto& c : instances) {
    if (c.router.accept || c.router.priority == 255) continue;
    for (const auto& v : c.vips) {
      const IpAddress& a = v.address.address;
      (a.family() == Family::v4 ? spec.v4 : spec.v6).push_back(a);
    }
  }
  for (auto* list : {&spec.v4, &spec.v6}) {
    std::sort(list->begin(), list->end());
    list->erase(std::unique(list->begin(), list->end()), list->end());
  }
  return spec;
}

namespace {

void add_set(std::string& out, const char* name, const char* type, const std::vector<IpAddress>& addrs) {
  out += "  set ";
  out += name;
  out += " {\n    type ";
  out += type;
  out += "\n";
  if (!addrs.empty()) {
    out += "    elements = { ";
    for (std::size_t i = 0; i < addrs.size(); ++i) {
      if (i) out += ", ";
      out += addrs[i].to_string();
    }
    out += " }\n";
  }
  out += "  }\n";
}

}  // namespace

std::string nft_install_script(const FilterSpec& spec) {
  const std::string counter = spec.counters ? "counter " : "";
  // "add" then "delete" removes a table left by an earlier run (or this one) whether or not
  // it exists; the new one follows in the same transaction.
  std::string out = nft_remove_script(spec.table);
  out += "table inet " + spec.table + " {\n";
  add_set(out, "vips4", "ipv4_addr", spec.v4);
  add_set(out, "vips6", "ipv6_addr", spec.v6);
  out += "  chain input {\n";
  out += "    type filter hook input priority " + std::to_string(spec.priority) + "; policy accept;\n";
  out += "    ip daddr @vips4 " + counter + "drop\n";
  out += "    ip6 daddr @vips6 icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } " + counter + "accept\n";
  out += "    ip6 daddr @vips6 " + counter + "drop\n";
  out += "  }\n}\n";
  return out;
}

std::string nft_remove_script(const std::string& table) {
  return "add table inet " + table + "\ndelete table inet " + table + "\n";
}

namespace {

class LibNftFilter final : public NftFilter {
 public:
  explicit LibNftFilter(nft_ctx* ctx) : ctx_(ctx) {}
  ~LibNftFilter() override { nft_ctx_free(ctx_); }
  LibNftFilter(const LibNftFilter&) = delete;
  LibNftFilter& operator=(const LibNftFilter&) = delete;

  Result<void, std::string> run(const std::string& script) override {
    const int rc = nft_run_cmd_from_buffer(ctx_, script.c_str());
    std::string err = nft_ctx_get_error_buffer(ctx_) ? nft_ctx_get_error_buffer(ctx_) : "";
    if (rc == 0) return {};
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    if (auto nl = err.find('\n'); nl != std::string::npos) err.resize(nl);  // the first line says it
    return std::unexpected("nftables: " + (err.empty() ? std::string("transaction failed") : err));
  }

 private:
  nft_ctx* ctx_;
};

}  // namespace

Result<std::unique_ptr<NftFilter>, std::string> NftFilter::open() {
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!ctx) return std::unexpected(std::string("nftables: cannot create a context"));
  nft_ctx_buffer_output(ctx);
  nft_ctx_buffer_error(ctx);
  return std::unique_ptr<NftFilter>(std::make_unique<LibNftFilter>(ctx));
}

}  // namespace vigil::vrrp::io
