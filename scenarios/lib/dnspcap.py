#!/usr/bin/env python3
"""Read the DNS messages of a classic pcap file (stdlib only).

Helper of scenarios/make-scenarios. Subcommands:

  list PCAP                      one line per packet: frame, time, flow, DNS summary
  settle PCAP --client IP --queries N [--responses N] [--timeout S]
                                 wait (bounded) until the capture that tcpdump
                                 is still writing holds N queries from IP and
                                 at least N responses to it, and has stopped
                                 growing; print its packet count
  finalize PCAP SPEC OUT [--meta JSON]
                                 turn the alert specs of SPEC (JSON lines, each
                                 locating its first divergent packet by server
                                 and DNS id) into OUT = expected.json
  summary PCAP                   packets, first and last time, duration (JSON)

Frames are 1-based, as in tcpdump and in the sensor's evidence.frame. Link
types: Ethernet (what tcpdump writes on lo), Linux cooked v1/v2, raw IP, BSD
loopback. DNS over TCP is read when a segment carries whole length-prefixed
messages (always so for these loopback captures); reassembly is the sensor's
job, not this helper's.
"""

import argparse
import datetime
import json
import socket
import struct
import subprocess
import sys
import time

MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1_000_000),
    b"\xa1\xb2\xc3\xd4": (">", 1_000_000),
    b"\x4d\x3c\xb2\xa1": ("<", 1_000_000_000),
    b"\xa1\xb2\x3c\x4d": (">", 1_000_000_000),
}
TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 15: "MX", 16: "TXT", 28: "AAAA",
         41: "OPT", 43: "DS", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY"}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}


def read_pcap(path, tolerate_partial=False):
    """Yield (frame, ts_us, linktype, bytes) for every record."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        if tolerate_partial:
            return
        raise SystemExit("%s: not a pcap file" % path)
    if data[:4] not in MAGICS:
        raise SystemExit("%s: not a classic pcap file" % path)
    endian, units = MAGICS[data[:4]]
    linktype = struct.unpack_from(endian + "I", data, 20)[0] & 0x0FFFFFFF
    pos, frame = 24, 0
    while pos + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack_from(endian + "IIII", data, pos)
        if pos + 16 + incl > len(data):
            if tolerate_partial:
                return
            raise SystemExit("%s: truncated packet at byte %d" % (path, pos))
        frame += 1
        ts_us = sec * 1_000_000 + (frac if units == 1_000_000 else frac // 1000)
        yield frame, ts_us, linktype, data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
    if pos != len(data) and not tolerate_partial:
        raise SystemExit("%s: trailing bytes at %d" % (path, pos))


def ip_payload(linktype, pkt):
    """(ip packet bytes) or None."""
    if linktype == 1:  # Ethernet, maybe VLAN tagged
        off, ethertype = 14, struct.unpack_from("!H", pkt, 12)[0]
        while ethertype in (0x8100, 0x88A8):
            ethertype = struct.unpack_from("!H", pkt, off + 2)[0]
            off += 4
        return pkt[off:] if ethertype in (0x0800, 0x86DD) else None
    if linktype == 113:  # Linux cooked v1
        return pkt[16:]
    if linktype == 276:  # Linux cooked v2
        return pkt[20:]
    if linktype in (101, 12, 14):  # raw IP
        return pkt
    if linktype in (0, 108):  # BSD loopback
        return pkt[4:]
    return None


def transport(ip):
    """(proto, src, sport, dst, dport, payload, tcp_flags) or None (IPv4 only)."""
    if not ip or ip[0] >> 4 != 4:
        return None
    ihl = (ip[0] & 0x0F) * 4
    total = struct.unpack_from("!H", ip, 2)[0]
    proto = ip[9]
    src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
    seg = ip[ihl:total]
    if proto == 17 and len(seg) >= 8:
        sport, dport = struct.unpack_from("!HH", seg, 0)
        return "udp", src, sport, dst, dport, seg[8:], ""
    if proto == 6 and len(seg) >= 20:
        sport, dport = struct.unpack_from("!HH", seg, 0)
        doff = (seg[12] >> 4) * 4
        flags = seg[13]
        names = "".join(c for bit, c in ((2, "S"), (16, "."), (1, "F"), (8, "P"), (4, "R")) if flags & bit)
        return "tcp", src, sport, dst, dport, seg[doff:], names
    return None


def read_name(msg, off):
    labels, jumps, end = [], 0, None
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            jumps += 1
            if jumps > 64:
                raise ValueError("compression loop")
            continue
        if n == 0:
            return (".".join(labels) + ".") if labels else ".", (end if end is not None else off + 1)
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n


def rdata_text(msg, rtype, off, length):
    rd = msg[off:off + length]
    if rtype == 1 and length == 4:
        return socket.inet_ntoa(rd)
    if rtype == 28 and length == 16:
        return socket.inet_ntop(socket.AF_INET6, rd)
    if rtype in (2, 5):
        return read_name(msg, off)[0]
    if rtype == 15:
        return "%d %s" % (struct.unpack_from("!H", rd)[0], read_name(msg, off + 2)[0])
    if rtype == 6:
        mname, p = read_name(msg, off)
        rname, p = read_name(msg, p)
        return "%s %s %d %d %d %d %d" % ((mname, rname) + struct.unpack_from("!IIIII", msg, p))
    if rtype == 43:
        tag, alg, dig = struct.unpack_from("!HBB", rd)
        return "%d %d %d %s" % (tag, alg, dig, rd[4:].hex().upper())
    if rtype == 48:
        flags, proto, alg = struct.unpack_from("!HBB", rd)
        return "%d %d %d ..." % (flags, proto, alg)
    return "\\# %d" % length


def parse_dns(msg):
    """A dict describing the message, or None when it does not parse."""
    try:
        if len(msg) < 12:
            return None
        mid, flags, qd, an, ns, ar = struct.unpack_from("!HHHHHH", msg)
        off = 12
        d = {"id": mid, "qr": bool(flags & 0x8000), "aa": bool(flags & 0x0400),
             "ra": bool(flags & 0x0080), "rcode": flags & 0x000F, "qname": None, "qtype": None,
             "sections": {"answer": [], "authority": [], "additional": []}, "do": False}
        if qd:
            d["qname"], off = read_name(msg, off)
            qtype, _qclass = struct.unpack_from("!HH", msg, off)
            d["qtype"] = TYPES.get(qtype, str(qtype))
            off += 4
            for _ in range(qd - 1):
                _, off = read_name(msg, off)
                off += 4
        for section, count in (("answer", an), ("authority", ns), ("additional", ar)):
            for _ in range(count):
                owner, off = read_name(msg, off)
                rtype, rclass, ttl, length = struct.unpack_from("!HHIH", msg, off)
                off += 10
                if rtype == 41:
                    d["do"] = bool(ttl & 0x8000)
                else:
                    d["sections"][section].append(
                        {"owner": owner, "type": TYPES.get(rtype, str(rtype)), "ttl": ttl,
                         "rdata": rdata_text(msg, rtype, off, length)})
                off += length
        return d
    except (IndexError, struct.error, ValueError):
        return None


def packets(path, tolerate_partial=False):
    """One dict per frame: frame, ts_us, proto, src, sport, dst, dport, flags, dns (list)."""
    for frame, ts_us, linktype, pkt in read_pcap(path, tolerate_partial):
        p = {"frame": frame, "ts_us": ts_us, "proto": None, "dns": []}
        t = transport(ip_payload(linktype, pkt))
        if t is not None:
            proto, src, sport, dst, dport, payload, flags = t
            p.update(proto=proto, src=src, sport=sport, dst=dst, dport=dport, flags=flags)
            if proto == "udp" and payload:
                m = parse_dns(payload)
                if m:
                    p["dns"].append(m)
            elif proto == "tcp":
                pos = 0
                while pos + 2 <= len(payload):
                    n = struct.unpack_from("!H", payload, pos)[0]
                    if pos + 2 + n > len(payload):
                        break
                    m = parse_dns(payload[pos + 2:pos + 2 + n])
                    if m:
                        p["dns"].append(m)
                    pos += 2 + n
        yield p


def rfc3339(ts_us):
    t = datetime.datetime.fromtimestamp(ts_us // 1_000_000, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (ts_us % 1_000_000)


def describe(p):
    if p["proto"] is None:
        return "%5d %s (not IPv4 UDP/TCP)" % (p["frame"], rfc3339(p["ts_us"]))
    head = "%5d %s %s %s:%d > %s:%d" % (p["frame"], rfc3339(p["ts_us"]), p["proto"], p["src"],
                                        p["sport"], p["dst"], p["dport"])
    if p["proto"] == "tcp":
        head += " [%s]" % p["flags"]
    parts = []
    for m in p["dns"]:
        if not m["qr"]:
            parts.append("q id %d %s %s%s" % (m["id"], m["qname"], m["qtype"], " DO" if m["do"] else ""))
            continue
        s = "r id %d %s %s %s%s" % (m["id"], m["qname"], m["qtype"], RCODES.get(m["rcode"], m["rcode"]),
                                    " aa" if m["aa"] else "")
        for section in ("answer", "authority", "additional"):
            rrs = m["sections"][section]
            if rrs:
                s += " | %s: %s" % (section[:4], "; ".join(
                    "%s %d %s %s" % (r["owner"], r["ttl"], r["type"], r["rdata"]) for r in rrs if r["type"] != "RRSIG"))
                nsig = sum(1 for r in rrs if r["type"] == "RRSIG")
                if nsig:
                    s += " (+%d RRSIG)" % nsig
        parts.append(s)
    return head + ("  " + " || ".join(parts) if parts else "")


def cmd_list(args):
    for p in packets(args.pcap):
        print(describe(p))


def count_client(path, client):
    n = queries = responses = 0
    for p in packets(path, tolerate_partial=True):
        n += 1
        for m in p["dns"]:
            if not m["qr"] and p.get("src") == client:
                queries += 1
            elif m["qr"] and p.get("dst") == client:
                responses += 1
    return n, queries, responses


def cmd_settle(args):
    want_r = args.responses if args.responses is not None else args.queries
    deadline = time.monotonic() + args.timeout
    last, stable = None, 0
    while time.monotonic() < deadline:
        n, q, r = count_client(args.pcap, args.client)
        if q == args.queries and r >= want_r:
            stable = stable + 1 if n == last else 0
            if stable >= 3:
                print(n)
                return
        elif q > args.queries:
            break
        last = n
        time.sleep(0.2)
    n, q, r = count_client(args.pcap, args.client)
    sys.exit("settle: capture holds %d packets, %d queries from %s (expected %d) and %d responses "
             "to it (expected >= %d)" % (n, q, args.client, args.queries, r, want_r))


def tcpdump_time(pcap, frame):
    """The time tcpdump -tt prints for FRAME, as integer microseconds (a cross-check)."""
    out = subprocess.run(["tcpdump", "-tt", "-nn", "-r", pcap], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    sec, frac = out[frame - 1].split()[0].split(".")
    return int(sec) * 1_000_000 + int(frac.ljust(6, "0")[:6])


def cmd_finalize(args):
    all_packets = list(packets(args.pcap))
    specs = []
    with open(args.spec) as f:
        for line in f:
            if line.strip():
                specs.append(json.loads(line))
    alerts = []
    for spec in specs:
        loc = spec.pop("locate")
        if loc.get("baseline"):
            # An alert on the baseline's own change: no packet shows it; its
            # time is the zone version's, given by the scenario.
            alert = {"kind": spec.pop("kind"), "zone": spec.pop("zone"), "name": spec.pop("name"),
                     "rrtype": spec.pop("rrtype"), "server": "", "first_seen": spec.pop("first_seen"),
                     "evidence": {"source": spec.pop("source")}}
            alert.update(spec)
            alerts.append(alert)
            continue
        hits = [(p, m) for p in all_packets if p.get("src") == loc["server"]
                for m in p["dns"] if m["qr"] and m["id"] == loc["dns_id"]
                and (loc.get("client") is None or p.get("dst") == loc["client"])]
        nth = loc.get("nth", 1)
        if "nth" not in loc and len({p["frame"] for p, _ in hits}) > 1:
            sys.exit("finalize: DNS id %d answered more than once by %s (frames %s); regenerate"
                     % (loc["dns_id"], loc["server"], [p["frame"] for p, _ in hits]))
        if len(hits) < nth:
            sys.exit("finalize: no response #%d with DNS id %d from %s" % (nth, loc["dns_id"], loc["server"]))
        p, m = hits[nth - 1]
        if tcpdump_time(args.pcap, p["frame"]) != p["ts_us"]:
            sys.exit("finalize: frame %d: tcpdump -tt disagrees on the time" % p["frame"])
        alert = {"kind": spec.pop("kind"), "name": spec.pop("name"), "rrtype": spec.pop("rrtype"),
                 "server": loc["server"]}
        alert["first_seen"] = rfc3339(p["ts_us"])
        alert["evidence"] = {"frame": p["frame"], "dns_id": m["id"], "qname": m["qname"].rstrip(".").lower(),
                             "qtype": m["qtype"]}
        section = spec.pop("section", None)
        if section:
            alert["evidence"]["section"] = section
        alert.update(spec)
        alerts.append(alert)
    doc = json.loads(args.meta) if args.meta else {}
    doc.update(summary(all_packets))
    doc["alerts"] = alerts
    if args.changes:
        with open(args.changes) as f:
            changes = [json.loads(line) for line in f if line.strip()]
        if changes:
            doc["changes"] = changes
    # A stable key order that reads well.
    order = ["scenario", "summary", "capture", "config", "packets", "start", "end", "duration_s",
             "pending", "allowed_final_states", "alerts", "changes", "incidents"]
    doc = {k: doc[k] for k in order if k in doc} | {k: v for k, v in doc.items() if k not in order}
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def summary(all_packets):
    first, last = all_packets[0]["ts_us"], all_packets[-1]["ts_us"]
    return {"packets": len(all_packets), "start": rfc3339(first), "end": rfc3339(last),
            "duration_s": round((last - first) / 1e6, 6)}


def cmd_summary(args):
    print(json.dumps(summary(list(packets(args.pcap)))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("list")
    p.add_argument("pcap")
    p.set_defaults(fn=cmd_list)
    p = sub.add_parser("settle")
    p.add_argument("pcap")
    p.add_argument("--client", required=True)
    p.add_argument("--queries", type=int, required=True)
    p.add_argument("--responses", type=int)
    p.add_argument("--timeout", type=float, default=10.0)
    p.set_defaults(fn=cmd_settle)
    p = sub.add_parser("finalize")
    p.add_argument("pcap")
    p.add_argument("spec")
    p.add_argument("out")
    p.add_argument("--meta")
    p.add_argument("--changes", help="change records (JSON lines) the replay must emit, in order")
    p.set_defaults(fn=cmd_finalize)
    p = sub.add_parser("summary")
    p.add_argument("pcap")
    p.set_defaults(fn=cmd_summary)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
