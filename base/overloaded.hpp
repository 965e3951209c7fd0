// The visitor of lambdas for std::visit: Overloaded{[](const A&) {...}, [](const B&) {...}}.
#pragma once

namespace vigil {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
// clang 16 (the fuzz build) does not deduce aggregate template arguments by itself.
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace vigil
