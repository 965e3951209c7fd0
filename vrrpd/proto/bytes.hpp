// The wire readers/writers live in base/ (BFD uses them too).
#pragma once
#include "base/bytes.hpp"

namespace vigil::vrrp {
using vigil::ByteReader;
using vigil::ByteWriter;
}  // namespace vigil::vrrp
