// The `dnswatch` command line, declared once with CLI11 (Debian's
// libcli11-dev): every command, its options and their help. `--help`, the
// man page dnswatch(1) (`dnswatch man`) and bash completion (`dnswatch
// completion bash`) are all written from these declarations, so they cannot
// disagree. Each command's options land in its struct of cli/commands.h.
#pragma once

#include <string>

namespace dnswatch {

// dnswatch(1) in roff, as `dnswatch man` prints it.
std::string manual_page();

// A bash completion script for dnswatch, as `dnswatch completion bash` prints it.
std::string bash_completion();

}  // namespace dnswatch
