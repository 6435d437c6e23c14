#include "publish/nats_forwarder.h"

#include <nats/nats.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "publish/alert_store.h"
#include "publish/change_json.h"
#include "publish/topic.h"

namespace dnswatch {
namespace {

template <typename T, void (*Free)(T*)>
struct Freer {
    void operator()(T* p) const {
        if (p != nullptr) Free(p);
    }
};
using OptionsPtr = std::unique_ptr<natsOptions, Freer<natsOptions, natsOptions_Destroy>>;
using ConnectionPtr = std::unique_ptr<natsConnection, Freer<natsConnection, natsConnection_Destroy>>;
using JetStreamPtr = std::unique_ptr<jsCtx, Freer<jsCtx, jsCtx_Destroy>>;
using SubscriptionPtr = std::unique_ptr<natsSubscription, Freer<natsSubscription, natsSubscription_Destroy>>;

std::string status_text(natsStatus s) { return natsStatus_GetText(s); }

// The options every connection of ours has: the servers, credentials, TLS,
// and no reconnect of the library's own (the forwarder reconnects, from the
// last acknowledged record).
OptionsPtr make_options(const NatsForwarderOptions& o, std::string& why) {
    natsOptions* raw = nullptr;
    if (natsOptions_Create(&raw) != NATS_OK) {
        why = "natsOptions_Create";
        return nullptr;
    }
    OptionsPtr options(raw);
    std::vector<const char*> servers;
    for (const std::string& s : o.servers) servers.push_back(s.c_str());
    natsStatus s = natsOptions_SetServers(raw, servers.data(), static_cast<int>(servers.size()));
    if (s == NATS_OK) s = natsOptions_SetTimeout(raw, 2000);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(raw, 60);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(raw, 250);
    if (s == NATS_OK && !o.creds_file.empty()) s = natsOptions_SetUserCredentialsFromFiles(raw, o.creds_file.c_str(), nullptr);
    if (s == NATS_OK && !o.nkey_seed_file.empty()) {
        s = natsOptions_SetNKeyFromSeed(raw, o.nkey.c_str(), o.nkey_seed_file.c_str());
    }
    if (s == NATS_OK && (o.tls || !o.ca_file.empty())) s = natsOptions_SetSecure(raw, true);
    if (s == NATS_OK && !o.ca_file.empty()) s = natsOptions_LoadCATrustedCertificates(raw, o.ca_file.c_str());
    if (s == NATS_OK && !o.cert_file.empty()) {
        s = natsOptions_LoadCertificatesChain(raw, o.cert_file.c_str(), o.key_file.c_str());
    }
    if (s != NATS_OK) {
        why = status_text(s) + std::string(": ") + nats_GetLastError(nullptr);
        return nullptr;
    }
    return options;
}

}  // namespace

struct NatsForwarder::Connection {
    ConnectionPtr connection;
    JetStreamPtr js;
};

std::string NatsForwarder::subject_of(const std::string& prefix, std::string topic) {
    if (!topic.empty() && topic.back() == '.') topic.pop_back();
    return prefix.empty() ? topic : prefix + "." + topic;
}


NatsForwarder::NatsForwarder(NatsForwarderOptions options, std::string sensor_id, std::string store_path,
                             std::string delivered_path)
    : options_(std::move(options)),
      sensor_id_(std::move(sensor_id)),
      store_path_(std::move(store_path)),
      delivered_path_(std::move(delivered_path)) {
    if (options_.servers.empty()) throw std::runtime_error("publish.nats.servers: no server");
    std::string why;
    if (!make_options(options_, why)) throw std::runtime_error("publish.nats: " + why);
    std::uint64_t delivered = 0;
    if (std::ifstream in(delivered_path_); in) in >> delivered;
    delivered_ = delivered;
    stored_ = index_.last_seq();
    thread_ = std::thread([this] { run(); });
}

NatsForwarder::~NatsForwarder() {
    stop_ = true;
    wake_.notify_all();
    thread_.join();
}

void NatsForwarder::notify(std::uint64_t seq) {
    {
        std::lock_guard lock(mutex_);
        if (seq > stored_) stored_ = seq;
    }
    wake_.notify_all();
}

void NatsForwarder::publish_stats(std::string payload) {
    {
        std::lock_guard lock(mutex_);
        stats_ = std::move(payload);
    }
    wake_.notify_all();
}

// The latest stats message, once; a subject token cannot hold '.', '*', '>'
// or white space, so a sensor id with them is spelt with '_' there.
void NatsForwarder::send_stats(Connection& c) {
    std::string payload;
    {
        std::lock_guard lock(mutex_);
        payload.swap(stats_);
    }
    if (payload.empty()) return;
    std::string token = sensor_id_;
    for (char& ch : token) {
        if (ch == '.' || ch == '*' || ch == '>' || std::isspace(static_cast<unsigned char>(ch))) ch = '_';
    }
    const std::string subject = subject_of(options_.subject_prefix, "stats." + token);
    jsPubOptions publish;
    jsPubOptions_Init(&publish);
    publish.MaxWait = options_.ack_timeout_ms;
    jsPubAck* ack = nullptr;
    jsErrCode code{};
    if (js_Publish(&ack, c.js.get(), subject.c_str(), payload.data(), static_cast<int>(payload.size()), &publish,
                   &code) != NATS_OK) {
        ++failures_;  // dropped: the next interval's message says the same, newer
        return;
    }
    jsPubAck_Destroy(ack);
    ++stats_sent_;
}

bool NatsForwarder::drain(std::int64_t timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (pending() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pending() == 0;
}

void NatsForwarder::write_delivered(std::uint64_t seq) {
    // Replaced whole (rename), so that a crash leaves the old seq or the new.
    const std::string temporary = delivered_path_ + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << seq << "\n";
    }
    std::error_code error;
    std::filesystem::rename(temporary, delivered_path_, error);
    delivered_ = seq;
}

// Publishes the records after `delivered`, each acknowledged before the
// next; false at the first that is not (the cluster is away).
bool NatsForwarder::forward_pending(Connection& c) {
    bool ok = true;
    index_.scan_after(delivered_.load(), [&](const StoredRecord& stored) {
        const std::uint64_t seq = stored.seq;
        const std::string_view line = stored.line;
        if (stop_) return ok = false;
        // Records the retention pruned before the stream had them are gone:
        // counted, so that a cluster away longer than the retention is seen.
        if (const std::uint64_t next = delivered_.load() + 1; seq > next) {
            expired_ += seq - next;
            write_delivered(seq - 1);
        }
        // Each kind of record on its own subject, as on the ZeroMQ socket:
        // "alert.test.victim.www." becomes "<prefix>.alert.test.victim.www".
        std::string topic = "alert.";
        std::string sensor = sensor_id_;
        try {
            const nlohmann::json record = nlohmann::json::parse(line);
            topic = record_topic(record);
            sensor = record.value("sensor", sensor_id_);
        } catch (const nlohmann::json::exception&) {
        }
        const std::string subject = subject_of(options_.subject_prefix, topic);
        // The same record always gets the same id: JetStream drops a re-send.
        const std::string id = sensor + "-" + std::to_string(seq);
        jsPubOptions publish;
        jsPubOptions_Init(&publish);
        publish.MsgId = id.c_str();
        publish.MaxWait = options_.ack_timeout_ms;
        jsPubAck* ack = nullptr;
        jsErrCode code{};
        const natsStatus s = js_Publish(&ack, c.js.get(), subject.c_str(), line.data(), static_cast<int>(line.size()),
                                        &publish, &code);
        if (s != NATS_OK) {
            ++failures_;
            return ok = false;
        }
        ++(ack->Duplicate ? duplicates_ : published_);
        jsPubAck_Destroy(ack);
        write_delivered(seq);
        return true;
    });
    return ok;
}

void NatsForwarder::run() {
    Connection c;
    bool stream_ready = false;
    while (!stop_) {
        if (!c.connection) {
            std::string why;
            OptionsPtr options = make_options(options_, why);
            natsConnection* raw = nullptr;
            if (options && natsConnection_Connect(&raw, options.get()) == NATS_OK) {
                c.connection.reset(raw);
                jsCtx* js = nullptr;
                jsOptions js_options;
                jsOptions_Init(&js_options);
                js_options.Wait = options_.ack_timeout_ms;
                if (natsConnection_JetStream(&js, raw, &js_options) == NATS_OK) c.js.reset(js);
                stream_ready = false;
            }
        }
        if (c.js && !stream_ready) {
            // The stream, when the operator has not made it: every subject
            // under the prefix, replicated as configured.
            jsStreamInfo* info = nullptr;
            jsErrCode code{};
            if (js_GetStreamInfo(&info, c.js.get(), options_.stream.c_str(), nullptr, &code) == NATS_OK) {
                stream_ready = true;
            } else if (code == JSStreamNotFoundErr) {
                const std::string subjects = options_.subject_prefix + ".>";
                const char* subject_list[] = {subjects.c_str()};
                jsStreamConfig config;
                jsStreamConfig_Init(&config);
                config.Name = options_.stream.c_str();
                config.Subjects = subject_list;
                config.SubjectsLen = 1;
                config.Storage = js_FileStorage;
                config.Replicas = options_.replicas;
                stream_ready = js_AddStream(&info, c.js.get(), &config, nullptr, &code) == NATS_OK;
            }
            if (info != nullptr) jsStreamInfo_Destroy(info);
        }
        connected_ = c.connection && natsConnection_Status(c.connection.get()) == NATS_CONN_STATUS_CONNECTED;
        // The store is read only when it holds something not yet acknowledged.
        if (stream_ready && (delivered_.load() >= stored_.load() || forward_pending(c))) {
            send_stats(c);
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, std::chrono::milliseconds(200),
                           [&] { return stop_ || stored_ > delivered_ || !stats_.empty(); });
            continue;
        }
        // Away: the library reconnects in the background; a connection
        // that gave up is made afresh.
        if (c.connection && natsConnection_IsClosed(c.connection.get())) {
            c.js.reset();
            c.connection.reset();
        }
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, std::chrono::milliseconds(options_.retry_ms), [&] { return stop_.load(); });
    }
    c.js.reset();
    c.connection.reset();
}

std::uint64_t tail_nats(const NatsForwarderOptions& o, const std::string& durable, const std::string& subject,
                        std::int64_t idle_exit_ms, const std::atomic<bool>& stop,
                        const std::function<void(std::string_view)>& print) {
    std::string why;
    OptionsPtr options = make_options(o, why);
    if (!options) throw std::runtime_error("nats: " + why);
    natsConnection* raw = nullptr;
    natsStatus s = natsConnection_Connect(&raw, options.get());
    if (s != NATS_OK) throw std::runtime_error("nats: cannot connect: " + status_text(s));
    ConnectionPtr connection(raw);
    jsCtx* js_raw = nullptr;
    if ((s = natsConnection_JetStream(&js_raw, raw, nullptr)) != NATS_OK) {
        throw std::runtime_error("nats: JetStream: " + status_text(s));
    }
    JetStreamPtr js(js_raw);
    jsSubOptions sub_options;
    jsSubOptions_Init(&sub_options);
    sub_options.Stream = o.stream.c_str();
    sub_options.Config.AckPolicy = js_AckExplicit;
    sub_options.Config.DeliverPolicy = js_DeliverAll;
    natsSubscription* sub_raw = nullptr;
    jsErrCode code{};
    s = js_PullSubscribe(&sub_raw, js.get(), subject.c_str(), durable.c_str(), nullptr, &sub_options, &code);
    if (s != NATS_OK) {
        throw std::runtime_error("nats: consumer " + durable + " on " + o.stream + ": " + status_text(s) + " " +
                                 nats_GetLastError(nullptr));
    }
    SubscriptionPtr sub(sub_raw);
    std::uint64_t count = 0;
    auto last = std::chrono::steady_clock::now();
    while (!stop) {
        natsMsgList list{};
        s = natsSubscription_Fetch(&list, sub.get(), 64, 500, &code);
        if (s == NATS_OK) {
            for (int i = 0; i < list.Count; ++i) {
                natsMsg* m = list.Msgs[i];
                print(std::string_view(natsMsg_GetData(m), static_cast<std::size_t>(natsMsg_GetDataLength(m))));
                natsMsg_AckSync(m, nullptr, nullptr);
                ++count;
            }
            natsMsgList_Destroy(&list);
            last = std::chrono::steady_clock::now();
            continue;
        }
        if (idle_exit_ms > 0 &&
            std::chrono::steady_clock::now() - last > std::chrono::milliseconds(idle_exit_ms)) {
            break;
        }
    }
    return count;
}

}  // namespace dnswatch
