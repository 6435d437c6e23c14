// `dnswatch run`: the live sensor.
#pragma once

#include <string>
#include <vector>

#include "cli/cli.h"

namespace dnswatch {

int run_command(const std::vector<std::string>& args, const CliStreams& streams);

}  // namespace dnswatch
