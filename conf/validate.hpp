// Validation and resolution: the checks that need the whole file (references, duplicates,
// families, per-version ranges), then defaults and inheritance virtual_server -> real_server
// -> checker, as keepalived applies them. Every problem is reported; none stops the others.
#pragma once
#include "conf/diagnostics.hpp"
#include "conf/load.hpp"
#include "conf/model.hpp"

namespace vigil::conf {

void validate(Config& config, Diagnostics& diags, const LoadOptions& options);

}  // namespace vigil::conf
