#include "baseline/zone_transfer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <unordered_map>

#include <ldns/ldns.h>

#include "common/atomic_file.h"
#include "decode/dns_message.h"
#include "baseline/tsig.h"

namespace dnswatch {
namespace {

struct RdfFree {
    void operator()(ldns_rdf* r) const { ldns_rdf_deep_free(r); }
};
struct RrFree {
    void operator()(ldns_rr* r) const { ldns_rr_free(r); }
};
struct PktFree {
    void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
struct BufferFree {
    void operator()(ldns_buffer* b) const { ldns_buffer_free(b); }
};

std::uint32_t read_u32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

// SOA rdata ends with serial, refresh, retry, expire, minimum.
std::uint32_t soa_field(const ZoneRecord& soa, int index) {
    if (soa.rdata.size() < 20) return 0;
    return read_u32(soa.rdata.data() + soa.rdata.size() - 20 + 4 * index);
}

ZoneRecord to_record(const ldns_rr* rr, ldns_buffer* buffer) {
    ZoneRecord record;
    const ldns_rdf* owner = ldns_rr_owner(rr);
    std::size_t next = 0;
    if (read_name({ldns_rdf_data(owner), ldns_rdf_size(owner)}, 0, &record.owner, &next) != MalformedKind::none) {
        throw TransferError("an owner name that does not decode");
    }
    record.type = static_cast<std::uint16_t>(ldns_rr_get_type(rr));
    record.ttl = ldns_rr_ttl(rr);
    ldns_buffer_clear(buffer);
    if (ldns_rr_rdata2buffer_wire(buffer, rr) != LDNS_STATUS_OK) throw TransferError("rdata ldns cannot write");
    record.rdata.assign(ldns_buffer_begin(buffer), ldns_buffer_begin(buffer) + ldns_buffer_position(buffer));
    return record;
}

// A record's identity (owner, type, rdata) as one byte string.
std::string record_key(const ZoneRecord& r) {
    std::string key(r.owner.key());
    key.push_back(static_cast<char>(r.type >> 8));
    key.push_back(static_cast<char>(r.type & 0xFF));
    key.append(reinterpret_cast<const char*>(r.rdata.data()), r.rdata.size());
    return key;
}

std::string record_text(const ZoneRecord& r) {
    std::string owner = r.owner.to_text();
    if (owner != ".") owner += ".";
    return owner + " " + std::to_string(r.ttl) + " IN " + rrtype_to_text(r.type) + " " + rdata_to_text(r.type, r.rdata);
}

// A TCP connection whose reads and writes give up after the timeout.
class TcpConnection {
public:
    TcpConnection(const Primary& primary, int timeout_ms) {
        socklen_t length = 0;
        sockaddr_storage storage = primary.sockaddr(&length);
        fd_ = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw TransferError(std::string("socket: ") + std::strerror(errno));
        const timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
            const int saved = errno;
            ::close(fd_);
            throw TransferError("connect to " + primary.text() + ": " + std::strerror(saved));
        }
    }
    ~TcpConnection() { ::close(fd_); }
    TcpConnection(const TcpConnection&) = delete;
    TcpConnection& operator=(const TcpConnection&) = delete;

    void send_message(const std::uint8_t* wire, std::size_t size) {
        std::vector<std::uint8_t> framed{static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)};
        framed.insert(framed.end(), wire, wire + size);
        exact(framed.data(), framed.size(), true);
    }
    std::vector<std::uint8_t> receive_message() {
        std::uint8_t prefix[2];
        exact(prefix, 2, false);
        std::vector<std::uint8_t> message((std::size_t{prefix[0]} << 8) | prefix[1]);
        exact(message.data(), message.size(), false);
        return message;
    }

private:
    void exact(std::uint8_t* data, std::size_t size, bool writing) {
        std::size_t done = 0;
        while (done < size) {
            const ssize_t n = writing ? ::send(fd_, data + done, size - done, MSG_NOSIGNAL)
                                      : ::recv(fd_, data + done, size - done, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                throw TransferError(n == 0 ? "the primary closed the connection"
                                           : std::string(errno == EAGAIN ? "timed out" : std::strerror(errno)));
            }
            done += static_cast<std::size_t>(n);
        }
    }
    int fd_ = -1;
};

// The records of a transfer as they come, in blocks: a growing vector of a
// TLD's millions of records would stop reading for the second or more it
// takes to move them all, and a primary drops a connection that does not
// read for that long (Knot: 500 ms, tcp-io-timeout). One vector is made at
// the end, when the connection no longer matters.
class ArrivingRecords {
public:
    void push_back(ZoneRecord record) {
        if (blocks_.empty() || blocks_.back().size() == kBlock) {
            blocks_.emplace_back();
            blocks_.back().reserve(kBlock);
        }
        blocks_.back().push_back(std::move(record));
        ++size_;
    }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    const ZoneRecord& operator[](std::size_t i) const { return blocks_[i / kBlock][i % kBlock]; }
    const ZoneRecord& back() const { return blocks_.back().back(); }
    // All of them, in order; each block is freed once moved.
    std::vector<ZoneRecord> take() {
        std::vector<ZoneRecord> all;
        all.reserve(size_);
        for (std::vector<ZoneRecord>& block : blocks_) {
            std::move(block.begin(), block.end(), std::back_inserter(all));
            std::vector<ZoneRecord>().swap(block);
        }
        blocks_.clear();
        size_ = 0;
        return all;
    }

private:
    static constexpr std::size_t kBlock = 4096;
    std::vector<std::vector<ZoneRecord>> blocks_;
    std::size_t size_ = 0;
};

// Sends `query` (signed when there is a key) over TCP and gathers the
// answer records of each response message until the transfer is whole
// (RFC 5936 for AXFR, RFC 1995 for IXFR), every message checked against the
// key. nullopt when the primary refuses an IXFR (NOTIMP, REFUSED, FORMERR):
// the caller falls back to AXFR.
std::optional<std::vector<ZoneRecord>> exchange(const Primary& primary, ldns_pkt* query, bool ixfr,
                                                std::uint32_t current_serial, int timeout_ms, const TsigKey* key) {
    const char* what = ixfr ? "IXFR" : "AXFR";
    const auto id = static_cast<std::uint16_t>(std::random_device{}());
    ldns_pkt_set_id(query, id);
    if (key != nullptr) tsig_sign(query, *key);
    std::uint8_t* wire = nullptr;
    std::size_t size = 0;
    if (ldns_pkt2wire(&wire, query, &size) != LDNS_STATUS_OK) throw TransferError(std::string("cannot write the ") + what + " request");
    std::unique_ptr<std::uint8_t, decltype(&std::free)> owned(wire, &std::free);
    std::optional<TsigVerifier> tsig;
    if (key != nullptr) tsig.emplace(*key, tsig_mac(query));

    TcpConnection connection(primary, timeout_ms);
    connection.send_message(wire, size);
    std::unique_ptr<ldns_buffer, BufferFree> buffer(ldns_buffer_new(65535));
    ArrivingRecords answer;
    std::uint32_t new_serial = 0;
    int new_soas = 0;  // the new SOA opens the answer and closes it (and heads the last diff's additions)
    for (;;) {
        const std::vector<std::uint8_t> message = connection.receive_message();
        ldns_pkt* raw = nullptr;
        if (ldns_wire2pkt(&raw, message.data(), message.size()) != LDNS_STATUS_OK) {
            throw TransferError(std::string("an ") + what + " response that does not parse");
        }
        std::unique_ptr<ldns_pkt, PktFree> response(raw);
        if (ldns_pkt_id(response.get()) != id) throw TransferError(std::string("an ") + what + " response to another query");
        if (tsig) {
            if (const std::string problem = tsig->check(message); !problem.empty()) {
                throw TransferError(std::string(what) + " from " + primary.text() + " refused: " + problem);
            }
        }
        const ldns_pkt_rcode rcode = ldns_pkt_get_rcode(response.get());
        if (ixfr && (rcode == LDNS_RCODE_NOTIMPL || rcode == LDNS_RCODE_REFUSED || rcode == LDNS_RCODE_FORMERR)) {
            return std::nullopt;
        }
        if (rcode != LDNS_RCODE_NOERROR) {
            throw TransferError(std::string(what) + ": rcode " + std::to_string(rcode) +
                                (rcode == LDNS_RCODE_NOTAUTH ? " (NOTAUTH: the primary wants a TSIG key, or another)"
                                 : rcode == LDNS_RCODE_REFUSED ? " (REFUSED: not allowed by the primary)"
                                                               : ""));
        }
        const ldns_rr_list* rrs = ldns_pkt_answer(response.get());
        for (std::size_t i = 0; i < ldns_rr_list_rr_count(rrs); ++i) {
            answer.push_back(to_record(ldns_rr_list_rr(rrs, i), buffer.get()));
            const ZoneRecord& r = answer.back();
            if (answer.size() == 1) {
                if (r.type != rrtype::SOA) throw TransferError(std::string("an ") + what + " answer that does not start with the SOA");
                new_serial = soa_field(r, 0);
            }
            if (r.type == rrtype::SOA && soa_field(r, 0) == new_serial) ++new_soas;
        }
        if (answer.empty()) throw TransferError(std::string("an empty ") + what + " answer");
        const bool up_to_date = ixfr && answer.size() == 1 && new_serial == current_serial;
        const bool whole_zone = answer.size() > 1 && answer[1].type != rrtype::SOA;
        const bool complete = up_to_date || (whole_zone && new_soas >= 2) || (!whole_zone && new_soas >= 3) ||
                              (!ixfr && answer.size() > 1 && new_soas >= 2);
        if (complete) {
            if (tsig) {
                if (const std::string problem = tsig->finish(); !problem.empty()) {
                    throw TransferError(std::string(what) + " from " + primary.text() + " refused: " + problem);
                }
            }
            return answer.take();
        }
    }
}

TransferOutcome axfr(const std::string& zone, const Primary& primary, int timeout_ms, const TsigKey* key) {
    std::unique_ptr<ldns_rdf, RdfFree> name(ldns_dname_new_frm_str((zone + ".").c_str()));
    std::unique_ptr<ldns_pkt, PktFree> query(
        ldns_pkt_query_new(ldns_rdf_clone(name.get()), LDNS_RR_TYPE_AXFR, LDNS_RR_CLASS_IN, 0));
    if (!query) throw TransferError("cannot build the AXFR request");
    std::vector<ZoneRecord> records = *exchange(primary, query.get(), false, 0, timeout_ms, key);
    // The stream ends with the SOA it started with.
    if (records.size() > 1 && records.back().type == rrtype::SOA) records.pop_back();
    auto version = ZoneVersion::from_records(std::move(records));
    if (!version) throw TransferError("AXFR without an SOA");
    return {TransferKind::axfr, std::move(*version), {}, {}};
}

// Sends an IXFR query with `current`'s SOA; the answer records of the whole
// response, or nullopt when the primary refuses IXFR (NOTIMP, REFUSED, FORMERR).
std::optional<std::vector<ZoneRecord>> ixfr_answer(const std::string& zone, const Primary& primary,
                                                   const ZoneVersion& current, int timeout_ms, const TsigKey* key) {
    ldns_rr* soa_raw = nullptr;
    if (ldns_rr_new_frm_str(&soa_raw, record_text(current.soa).c_str(), 0, nullptr, nullptr) !=
        LDNS_STATUS_OK) {
        throw TransferError("our own SOA does not parse");
    }
    std::unique_ptr<ldns_rdf, RdfFree> name(ldns_dname_new_frm_str((zone + ".").c_str()));
    // The request takes the SOA over.
    std::unique_ptr<ldns_pkt, PktFree> query(ldns_pkt_ixfr_request_new(ldns_rdf_clone(name.get()), LDNS_RR_CLASS_IN, 0, soa_raw));
    if (!query) throw TransferError("cannot build the IXFR request");
    return exchange(primary, query.get(), true, current.serial, timeout_ms, key);
}

}  // namespace

std::optional<ZoneVersion> ZoneVersion::from_records(std::vector<ZoneRecord> records) {
    const auto soa = std::find_if(records.begin(), records.end(), [](const ZoneRecord& r) { return r.type == rrtype::SOA; });
    if (soa == records.end()) return std::nullopt;
    std::iter_swap(records.begin(), soa);
    ZoneVersion version;
    version.serial = soa_field(records.front(), 0);
    version.refresh_s = soa_field(records.front(), 1);
    version.retry_s = soa_field(records.front(), 2);
    version.soa = records.front();
    version.records = std::move(records);
    return version;
}

std::optional<ZoneVersion> ZoneVersion::from_soa(ZoneRecord soa) {
    if (soa.type != rrtype::SOA || soa.rdata.size() < 20) return std::nullopt;
    ZoneVersion version;
    version.serial = soa_field(soa, 0);
    version.refresh_s = soa_field(soa, 1);
    version.retry_s = soa_field(soa, 2);
    version.soa = std::move(soa);
    return version;
}

const char* to_string(TransferKind kind) {
    switch (kind) {
        case TransferKind::axfr: return "AXFR";
        case TransferKind::ixfr: return "IXFR";
        case TransferKind::ixfr_full_zone: return "IXFR, whole zone";
        case TransferKind::up_to_date: return "up to date";
    }
    return "?";
}

TransferOutcome apply_ixfr_answer(const std::vector<ZoneRecord>& answer, const ZoneVersion& current) {
    if (answer.empty() || answer.front().type != rrtype::SOA) throw TransferError("an IXFR answer without its SOA");
    const std::uint32_t new_serial = soa_field(answer.front(), 0);
    if (answer.size() == 1) {
        if (new_serial != current.serial) throw TransferError("a lone SOA with serial " + std::to_string(new_serial));
        return {TransferKind::up_to_date, current, {}, {}};
    }
    if (answer[1].type != rrtype::SOA) {
        std::vector<ZoneRecord> records(answer.begin(), answer.end());
        if (records.back().type == rrtype::SOA) records.pop_back();
        return {TransferKind::ixfr_full_zone, *ZoneVersion::from_records(std::move(records)), {}, {}};
    }
    if (soa_field(answer[1], 0) != current.serial) {
        throw TransferError("an IXFR from serial " + std::to_string(soa_field(answer[1], 0)) + ", ours is " +
                            std::to_string(current.serial));
    }
    if (answer.back().type != rrtype::SOA || soa_field(answer.back(), 0) != new_serial) {
        throw TransferError("an IXFR answer that does not end with the new SOA");
    }
    // The net changes, record by record: deleted then added back is a
    // replacement (its TTL may have changed), added then deleted is nothing.
    struct Net {
        std::optional<ZoneRecord> removed;  // the record as the old version held it
        std::optional<ZoneRecord> added;    // the record as the new version holds it
    };
    std::unordered_map<std::string, Net> net;
    std::vector<std::string> order;  // keys as they first came: changes are given in answer order
    bool adding = true;  // the first SOA (answer[1], the old one) turns to deletions
    for (std::size_t i = 1; i + 1 < answer.size(); ++i) {
        const ZoneRecord& r = answer[i];
        if (r.type == rrtype::SOA) {
            adding = !adding;  // old SOA opens deletions, the next SOA opens additions
            continue;
        }
        std::string key = record_key(r);
        auto [it, fresh] = net.try_emplace(key);
        if (fresh) order.push_back(std::move(key));
        Net& change = it->second;
        if (adding) {
            change.added = r;
        } else if (change.added) {
            change.added.reset();  // added by an earlier sequence: gone again
        } else {
            change.removed = r;
        }
    }
    TransferOutcome outcome;
    outcome.kind = TransferKind::ixfr;
    outcome.zone = *ZoneVersion::from_soa(answer.front());
    for (const std::string& key : order) {
        Net& change = net[key];
        if (change.removed) outcome.removed.push_back(std::move(*change.removed));
        if (change.added) outcome.added.push_back(std::move(*change.added));
    }
    if (!current.records.empty()) {
        // The version held its records: check the deletions against them and
        // give the new records too (hash lookups: O(zone + changes)).
        std::unordered_map<std::string, std::size_t> held;
        for (std::size_t i = 1; i < current.records.size(); ++i) held.emplace(record_key(current.records[i]), i);
        std::unordered_map<std::string, bool> dropped;
        for (const ZoneRecord& r : outcome.removed) {
            if (!held.contains(record_key(r))) {
                throw TransferError("IXFR deletes " + record_text(r) + ", which we do not hold");
            }
            dropped.emplace(record_key(r), true);
        }
        outcome.zone.records.push_back(answer.front());
        for (std::size_t i = 1; i < current.records.size(); ++i) {
            if (!dropped.contains(record_key(current.records[i]))) outcome.zone.records.push_back(current.records[i]);
        }
        for (const ZoneRecord& r : outcome.added) {
            const std::string key = record_key(r);
            if (!held.contains(key) || dropped.contains(key)) outcome.zone.records.push_back(r);
        }
    }
    // The SOA changes too (its serial above all): the old one out, the new
    // one in, so that the baseline says which version it holds (a change
    // record's serial_after, the copy kept on disk, the next IXFR's start).
    if (answer.size() > 2 && answer[1].type == rrtype::SOA) {
        outcome.removed.push_back(answer[1]);
        outcome.added.push_back(answer.front());
    }
    return outcome;
}

TransferOutcome transfer_zone(const std::string& zone, const Primary& primary, const ZoneVersion* current,
                              int timeout_ms, const TsigKey* key) {
    if (current == nullptr || current->soa.type != rrtype::SOA) return axfr(zone, primary, timeout_ms, key);
    const auto answer = ixfr_answer(zone, primary, *current, timeout_ms, key);
    if (!answer) return axfr(zone, primary, timeout_ms, key);
    return apply_ixfr_answer(*answer, *current);
}

void save_zone_file(const std::string& path, const std::vector<ZoneRecord>& records) {
    std::string text;
    for (const ZoneRecord& r : records) text += record_text(r) + "\n";
    write_file_atomically(path, text);
}

}  // namespace dnswatch
