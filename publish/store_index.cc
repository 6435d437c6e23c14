#include "publish/store_index.h"

#include <sys/stat.h>

#include <algorithm>
#include <exception>
#include <iterator>

namespace dnswatch {

std::uint64_t StoreIndex::seek(std::uint64_t after_seq) {
    refresh();
    // The last mark at or before after_seq: the records after it follow.
    const auto next = std::upper_bound(marks_.begin(), marks_.end(), std::pair{after_seq, ~std::uint64_t{0}});
    return next == marks_.begin() ? 0 : std::prev(next)->second;
}

void StoreIndex::refresh() {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) {
        marks_.clear();
        indexed_bytes_ = records_ = inode_ = 0;
        return;
    }
    // Two prunes between two requests may hand the newest file the inode
    // number of an older one: the last mark must still be where it was.
    const auto mark_moved = [&] {
        if (marks_.empty()) return false;
        std::uint64_t seq = 0;
        try {
            scan_alert_store_from(path_, marks_.back().second, 0, [&](const StoredRecord& record) {
                seq = record.seq;
                return false;
            });
        } catch (const std::exception&) {
            return true;  // not the start of a record any more
        }
        return seq != marks_.back().first;
    };
    if (static_cast<std::uint64_t>(st.st_ino) != inode_ || static_cast<std::uint64_t>(st.st_size) < indexed_bytes_ ||
        mark_moved()) {
        marks_.clear();  // pruned (a new file) or cut back: start again
        indexed_bytes_ = records_ = 0;
        inode_ = static_cast<std::uint64_t>(st.st_ino);
    }
    if (static_cast<std::uint64_t>(st.st_size) == indexed_bytes_) return;
    scan_alert_store_from(path_, indexed_bytes_, 0, [&](const StoredRecord& record) {
        if (records_++ % kStride == 0) marks_.emplace_back(record.seq, record.offset);
        indexed_bytes_ = record.end;
        return true;
    });
}

std::uint64_t StoreIndex::scan_after(std::uint64_t after_seq,
                                     const std::function<bool(const StoredRecord& record)>& visit) {
    return scan_alert_store_from(path_, seek(after_seq), after_seq, visit);
}

std::uint64_t StoreIndex::last_seq() {
    refresh();
    return scan_after(marks_.empty() ? 0 : marks_.back().first - 1, [](const StoredRecord&) { return true; });
}

}  // namespace dnswatch
