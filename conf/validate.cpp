#include "conf/validate.hpp"

namespace vigil::conf {

void validate_vrrp(Config& c, Diagnostics& d, const LoadOptions& opt);
void validate_lvs(Config& c, Diagnostics& d, const LoadOptions& opt);

void validate(Config& config, Diagnostics& diags, const LoadOptions& options) {
  validate_vrrp(config, diags, options);
  validate_lvs(config, diags, options);
}

}  // namespace vigil::conf
