// Result<T, E>: the project's error channel for anything the network, the kernel or the
// operator can get wrong. Exceptions are kept for wiring bugs at start-up.
#pragma once
#include <expected>

namespace vigil {
template <class T, class E>
using Result = std::expected<T, E>;
using std::unexpected;
}  // namespace vigil
