#include "detect/query_frames.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "detect/fast_hash.h"

namespace dnswatch {

void QueryFrames::enable() {
    if (enabled()) return;
    slots_.assign(kSlots, Slot{});
    bytes_.assign(kSlots * kMaxFrame, 0);
}

std::uint64_t QueryFrames::key_of(const IpAddress& client, std::uint16_t client_port, const IpAddress& server,
                                  std::uint16_t server_port, std::uint16_t id) {
    std::array<std::uint8_t, 2 * sizeof(IpAddress) + 6> buffer{};
    std::size_t n = 0;
    auto put = [&](const void* data, std::size_t size) {
        std::memcpy(buffer.data() + n, data, size);
        n += size;
    };
    put(&client, sizeof client);
    put(&server, sizeof server);
    put(&client_port, 2);
    put(&server_port, 2);
    put(&id, 2);
    return fast_hash({buffer.data(), n}, 0x9e3779b97f4a7c15ULL) | 1;  // never 0
}

void QueryFrames::remember(const DnsDatagram& query, const DnsMessageView& message, const PacketView& packet,
                           std::span<const std::uint8_t> query_carriers) {
    if (!enabled()) return;
    const std::uint64_t key = key_of(query.src, query.src_port, query.dst, query.dst_port, message.header.id);
    const std::size_t index = key % kSlots;
    Slot& slot = slots_[index];
    const std::size_t length = std::min(packet.bytes.size(), kMaxFrame);
    std::uint8_t* const at = bytes_.data() + index * kMaxFrame;
    std::memcpy(at, packet.bytes.data(), length);
    std::size_t carriers = query_carriers.size();
    if (carriers > kMaxFrame - length) {
        ++counters_.carriers_omitted;
        carriers = 0;
    }
    if (carriers > 0) std::memcpy(at + length, query_carriers.data(), carriers);
    slot = {key,
            packet.time_us,
            packet.frame_number,
            packet.wire_length,
            static_cast<std::uint32_t>(length),
            static_cast<std::uint32_t>(carriers),
            packet.time_ns,
            packet.link_type,
            true};
    ++counters_.remembered;
    if (length < packet.bytes.size()) ++counters_.truncated;
}

bool QueryFrames::find(const DnsDatagram& response, const DnsMessageView& message, PacketView& out,
                       std::span<const std::uint8_t>& carriers) {
    if (!enabled()) return false;
    const std::uint64_t key =
        key_of(response.dst, response.dst_port, response.src, response.src_port, message.header.id);
    const std::size_t index = key % kSlots;
    const Slot& slot = slots_[index];
    if (!slot.used || slot.key != key) {
        ++counters_.missing;
        return false;
    }
    out.bytes = {bytes_.data() + index * kMaxFrame, slot.length};
    carriers = {bytes_.data() + index * kMaxFrame + slot.length, slot.carriers_length};
    out.wire_length = slot.wire_length;
    out.time_us = slot.time_us;
    out.time_ns = slot.time_ns;
    out.link_type = slot.link_type;
    out.frame_number = slot.frame_number;
    ++counters_.found;
    return true;
}

}  // namespace dnswatch
