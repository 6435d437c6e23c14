// Saves what learning mode has learned (baseline/learner.h) so that a
// restarted sensor keeps it, and keeps the clocks of the RRsets still in
// learning: DIR/learned.jsonl, replaced atomically (temporary file, fsync,
// rename), one RRset a line:
//
//   {"name":"www.victim.test","rrtype":"A","rdata":["192.0.2.80"],"learned":true,
//    "first_seen":"...Z","changed":"...Z","ttl":300,"key":"<hex>","forms":["<hex>"]}
//
// name, rrtype and rdata are for people; key and forms are what is compared.
#pragma once

#include <string>
#include <vector>

#include "baseline/learner.h"

namespace dnswatch {

void save_learned(const std::string& path, const std::vector<LearnedRRsetState>& rrsets);
// An absent file is an empty list; a malformed one throws std::runtime_error
// naming the file and line.
std::vector<LearnedRRsetState> load_learned(const std::string& path);

}  // namespace dnswatch
