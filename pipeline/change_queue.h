// Changes of the baseline on their way to the publisher thread: pushed by
// whichever thread changed the baseline (a zone transfer, a reload, the
// feed: SharedBaseline's change listener), taken by the publisher, which
// numbers, stores and sends them with the alerts. Not the packet path: a
// mutex is fine. Unbounded on purpose: a change the registry made is never
// dropped; a TLD reload that changes every delegation holds them all for
// the moment the publisher needs to write them (depth and peak counted).
#pragma once

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <vector>

#include "baseline/baseline_change.h"

namespace dnswatch {

class ChangeQueue {
public:
    void push(std::vector<BaselineChange> changes) {
        std::lock_guard lock(mutex_);
        if (queued_.empty()) {
            queued_ = std::move(changes);
        } else {
            queued_.insert(queued_.end(), std::make_move_iterator(changes.begin()),
                           std::make_move_iterator(changes.end()));
        }
        peak_ = std::max(peak_, queued_.size());
    }
    // Everything queued, in the order it came.
    std::vector<BaselineChange> take() {
        std::lock_guard lock(mutex_);
        return std::exchange(queued_, {});
    }
    std::size_t peak() const {
        std::lock_guard lock(mutex_);
        return peak_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<BaselineChange> queued_;
    std::size_t peak_ = 0;
};

}  // namespace dnswatch
