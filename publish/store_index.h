// Finding a seq in the durable alert store's file without reading it from
// the start: for every reader that follows the store (catch-up, the NATS
// forwarder, the public feed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "publish/alert_store.h"

namespace dnswatch {

// Where the records of a store file start, every kStride-th one, so that a
// request for the records after a seq reads from just before them instead
// of from the start of the file (a full catch-up page by page was
// quadratic: 100,000 records took 31 s; the NATS forwarder and the public
// feed, following the store as it grows, read it whole at every wake-up).
// Built at the first request and extended from where it stopped as the
// store grows; a store file replaced
// by a prune (another inode) or cut shorter is indexed anew. Keyed by seq,
// found by the store's own reader (scan_alert_store_from), so it knows no
// more of the record format than the store does.
// Not thread-safe: one per reading thread.
class StoreIndex {
public:
    explicit StoreIndex(std::string path) : path_(std::move(path)) {}
    // An offset in the file from which a scan finds every record after
    // `after_seq` (the start of the last marked record at or before it).
    std::uint64_t seek(std::uint64_t after_seq);
    // The records after `after_seq`, in order, read from seek(after_seq):
    // scan_alert_store_from() without reading the file from its start.
    // Returns the last seq visited (after_seq when none).
    std::uint64_t scan_after(std::uint64_t after_seq, const std::function<bool(const StoredRecord& record)>& visit);
    // The last seq in the file (0 when it holds none).
    std::uint64_t last_seq();
    std::size_t marks() const { return marks_.size(); }
    std::uint64_t records_indexed() const { return records_; }

    static constexpr std::uint64_t kStride = 64;

private:
    void refresh();

    std::string path_;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> marks_;  // (seq, offset), seq ascending
    std::uint64_t indexed_bytes_ = 0;  // the records before this offset are indexed
    std::uint64_t records_ = 0;
    std::uint64_t inode_ = 0;
};

}  // namespace dnswatch
