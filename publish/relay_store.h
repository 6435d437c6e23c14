// The relay's own store (dnswatch relay): every record that passes through,
// renumbered with the relay's seq (the sensor's kept as sensor_seq), in a
// JSON-lines file that a CatchUpServer serves, so that `dnswatch tail
// --since` through a relay catches up on every sensor behind it. Bounded: it
// keeps at least the last `keep` records and at most twice that, rewriting
// the file (atomically: a catch-up reading it meanwhile still reads whole
// records) when it holds more. Not on any sensor's packet path.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace dnswatch {

class RelayStore {
public:
    // Opens (or creates) `dir`/relay.jsonl; the seq continues from what it
    // holds. Throws std::runtime_error naming the path.
    RelayStore(const std::string& dir, std::uint64_t keep);
    ~RelayStore();
    RelayStore(const RelayStore&) = delete;
    RelayStore& operator=(const RelayStore&) = delete;

    // `json` renumbered: its seq becomes sensor_seq and the relay's next seq
    // its seq; stored, and returned as the line to publish. A message that
    // is not a JSON object comes back unchanged and is not stored.
    std::string add(const std::string& json);

    const std::string& path() const { return path_; }
    std::uint64_t last_seq() const { return last_seq_; }

private:
    void compact();

    std::string path_;
    std::uint64_t keep_;
    std::FILE* file_ = nullptr;
    std::uint64_t last_seq_ = 0;
    std::uint64_t lines_ = 0;
};

}  // namespace dnswatch
