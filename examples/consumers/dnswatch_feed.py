"""What the example consumers share: following a dnswatch sensor's ZeroMQ
PUB socket (two frames: topic, JSON: dnswatch.incident/1 or dnswatch.alert/1),
deciding what is worth telling a person, and logging in the sensor's logfmt
style. Needs Debian's python3-zmq (/usr/bin/python3)."""
import json
import sys
import time

import zmq


def log(level, event, **fields):
    """One logfmt line on stderr, like dnswatch's own logs."""
    def value(v):
        text = str(v)
        if text == "" or any(c in text for c in ' ="\\') or any(ord(c) < 0x21 for c in text):
            return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        return text
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".%03dZ" % (int(time.time() * 1000) % 1000)
    parts = [f"ts={stamp}", f"level={level}", f"event={event}"] + [f"{k}={value(v)}" for k, v in fields.items()]
    print(" ".join(parts), file=sys.stderr, flush=True)


def add_feed_arguments(parser):
    parser.add_argument("--endpoint", required=True,
                        help="the sensor's (or relay's) PUB endpoint, e.g. tcp://127.0.0.1:5556")
    parser.add_argument("--topic", default="incident.",
                        help="subscription prefix: incident. (the default: one notice per incident, again only "
                             "when its state or severity changes), incident.test.victim. (one zone and below), "
                             "alert. (every alert record)")
    parser.add_argument("--curve-server-key", metavar="KEY",
                        help="the sensor's public CURVE key (Z85), when it encrypts")
    parser.add_argument("--curve-secret-file", metavar="FILE",
                        help="this consumer's key pair as written by `dnswatch keygen` (public-key, secret-key)")
    parser.add_argument("--group-wait", type=float, default=30.0, metavar="SECONDS",
                        help="how long an incident's notice waits for the rest of its alerts (other vantages, "
                             "a rising severity) before it is told, and each later change for the ones after it "
                             "(default 30: one hijack seen at the authority and through resolvers is one notice; "
                             "0: tell every change at once)")
    parser.add_argument("--count", type=int, default=0,
                        help="stop after this many notices (0: run until interrupted)")


def read_curve_pair(path):
    """The public and secret keys of a `dnswatch keygen` file (CZMQ zcert layout)."""
    keys = {}
    with open(path, encoding="ascii") as f:
        for line in f:
            line = line.strip()
            if "=" in line and not line.startswith("#"):
                name, _, value = line.partition("=")
                keys[name.strip()] = value.strip().strip('"')
    return keys["public-key"].encode(), keys["secret-key"].encode()


INCIDENT_SCHEMA = "dnswatch.incident/1"


def is_incident(record):
    return record.get("schema") == INCIDENT_SCHEMA


def alerts(args):
    """Yields (topic, record, raw_json) for each record worth a notice, for
    ever or until args.count have been yielded: every alert record at once,
    and an incident record once its incident has settled.

    Settling (Alertmanager's group_wait): the alerts of one hijack arrive
    seconds apart, the authority first, then each resolver as it fetches
    the change, and each raises the incident's severity or adds a vantage.
    Told at once, one hijack would page three times. So an incident's
    record waits args.group_wait seconds; the records that come meanwhile
    replace it (logged as incident_coalesced); then the newest is told if
    its state or severity differs from what was last told of that incident
    (else logged as incident_unchanged). A later change waits the same way.
    A message that is not topic + JSON object is logged and skipped."""
    told = {}     # incident id -> (state, severity) last told
    waiting = {}  # incident id -> [deadline, topic, record, raw]: the newest record, not yet told
    received = 0
    for message in records(args, wake=lambda: min((w[0] for w in waiting.values()), default=None)):
        now = time.monotonic()
        if message is not None:
            topic, record, raw = message
            if not is_incident(record):
                received += 1
                yield topic, record, raw
                if args.count and received >= args.count:
                    return
                continue
            incident_id = record.get("id")
            if incident_id in waiting:
                superseded = waiting[incident_id][2]
                log("info", "incident_coalesced", id=incident_id, seq=superseded.get("seq"), by=record.get("seq"))
                waiting[incident_id][1:] = [topic, record, raw]
            else:
                waiting[incident_id] = [now + args.group_wait, topic, record, raw]
        for incident_id, (deadline, topic, record, raw) in sorted(waiting.items(), key=lambda item: item[1][0]):
            if deadline > now:
                break
            del waiting[incident_id]
            state = (record.get("state"), record.get("severity"))
            if told.get(incident_id) == state:
                log("info", "incident_unchanged", id=incident_id, seq=record.get("seq"),
                    members=len(record.get("members", [])))
                continue
            told[incident_id] = state
            received += 1
            yield topic, record, raw
            if args.count and received >= args.count:
                return


def records(args, wake=lambda: None):
    """Yields (topic, record, raw_json) for each record published, for ever;
    and None when the monotonic time wake() returns has come with nothing
    received (wake() None: no time to wake at)."""
    context = zmq.Context.instance()
    socket = context.socket(zmq.SUB)
    socket.setsockopt(zmq.RECONNECT_IVL, 50)  # find a restarted sensor quickly
    if args.curve_server_key:
        public, secret = read_curve_pair(args.curve_secret_file)
        socket.curve_serverkey = args.curve_server_key.encode()
        socket.curve_publickey = public
        socket.curve_secretkey = secret
    socket.setsockopt(zmq.SUBSCRIBE, args.topic.encode())
    socket.connect(args.endpoint)
    log("info", "subscribed", endpoint=args.endpoint, topic=args.topic)
    try:
        while True:
            deadline = wake()
            timeout = None if deadline is None else max(0, int((deadline - time.monotonic()) * 1000) + 1)
            if not socket.poll(timeout):
                yield None
                continue
            frames = socket.recv_multipart()
            if len(frames) != 2:
                log("warn", "message_skipped", reason=f"{len(frames)} frames, expected topic + JSON")
                continue
            try:
                record = json.loads(frames[1])
                if not isinstance(record, dict):
                    raise ValueError("not a JSON object")
            except ValueError as e:
                log("warn", "message_skipped", reason=str(e))
                continue
            yield frames[0].decode("utf-8", "replace"), record, frames[1]
    finally:
        socket.close(linger=0)


def backoff_delays(retries, first=0.5, cap=30.0):
    """Seconds to wait before each retry: 0.5, 1, 2, 4, ... at most cap."""
    return [min(cap, first * 2 ** i) for i in range(retries)]
