// A map from IpAddress to a small value, for lookups on every probe: open addressing with
// linear probing in one array, so that a lookup is a hash and, mostly, one cache line.
// (10,000 targets probed every second look one up 10,000 times a second; a node-based map
// spent ~1 % of a core there, in cache misses on its buckets and nodes.)
// Entries are never erased one by one: when the array is half full it is rebuilt, twice the
// size of what the caller's `keep` says is still worth keeping (at least 1,024 slots).
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

#include "base/ip.hpp"

namespace vigil::checkers::io {

// An address's 16 bytes mixed with `seed` (murmur3's finalizer): for the half-open probe's
// maps, keyed by address and more.
inline std::uint64_t hash_address(const IpAddress& a, std::uint64_t seed) {
  const auto mix = [](std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
  };
  std::uint64_t w[2];
  std::memcpy(w, a.bytes().data(), sizeof w);
  return mix(mix(seed ^ w[0]) ^ w[1]);
}

template <class V>
class AddressMap {
 public:
  V* find(const IpAddress& key) {
    if (slots_.empty()) return nullptr;
    for (std::size_t i = home(key);; i = (i + 1) & mask()) {
      Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (s.key == key) return &s.value;
    }
  }
  // Adds or replaces. `keep(const V&)`: whether an entry survives a rebuild.
  template <class Keep>
  void put(const IpAddress& key, const V& value, const Keep& keep) {
    if (V* there = find(key)) {
      *there = value;
      return;
    }
    if (2 * (used_ + 1) > slots_.size()) rebuild(keep);
    insert(key, value);
  }
  std::size_t size() const { return used_; }
  std::size_t capacity() const { return slots_.size(); }

 private:
  struct Slot {
    IpAddress key;
    V value{};
    bool used{false};
  };
  std::size_t mask() const { return slots_.size() - 1; }
  std::size_t home(const IpAddress& a) const {
    return hash_address(a, static_cast<std::uint64_t>(a.family())) & mask();
  }
  void insert(const IpAddress& key, const V& value) {
    std::size_t i = home(key);
    while (slots_[i].used) i = (i + 1) & mask();
    slots_[i] = Slot{key, value, true};
    ++used_;
  }
  template <class Keep>
  void rebuild(const Keep& keep) {
    std::vector<Slot> old = std::move(slots_);
    std::size_t live = 0;
    for (const Slot& s : old) live += s.used && keep(s.value);
    std::size_t n = 1024;
    while (n < 4 * (live + 1)) n *= 2;
    slots_.assign(n, Slot{});
    used_ = 0;
    for (const Slot& s : old)
      if (s.used && keep(s.value)) insert(s.key, s.value);
  }
  std::vector<Slot> slots_;  // empty or a power of two
  std::size_t used_{0};
};

}  // namespace vigil::checkers::io
