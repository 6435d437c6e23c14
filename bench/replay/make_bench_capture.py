#!/usr/bin/env python3
"""Builds the benchmark capture of scripts/bench-replay from a small capture
of real NSD traffic: every packet written is a real query or a real NSD
answer, replayed with other clients, ports, DNS ids and times.

    make_bench_capture.py --seed-capture real.pcap --out bench.pcap --packets 2000000
        --server 127.0.0.11 --attacker 127.0.0.66 --watched victim.test,bank.test
        --hijack victim.test:0.20:0.02 --hijack bank.test:0.55:0.01 --hijack victim.test:0.80:0.03

The seed capture (tcpdump on lo) holds exchanges with the real server
(--server) and with an attacker's server (--attacker) serving forged copies
of the watched zones. The output mixes exchanges as a busy server sees them:
10% about watched zones, the rest about other zones; inside each hijack
window (zone:start:length, fractions of the output) every exchange about
that zone is one of the attacker's, its addresses rewritten to the real
server's, as a server whose zone was altered would answer. Each window
opens alerts at its first forged answer, and the first true answer after it
reverts them.

UDP exchanges are a query and its response; TCP exchanges a whole
connection. IPv4 header checksums are recomputed, UDP checksums zeroed
(allowed for IPv4), TCP checksums recomputed. Standard library only."""

import argparse
import random
import struct
import sys

ETH = 14


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic == 0xA1B2C3D4:
        endian, nano = "<", False
    elif magic == 0xD4C3B2A1:
        endian, nano = ">", False
    elif magic == 0xA1B23C4D:
        endian, nano = "<", True
    else:
        sys.exit(f"{path}: not a classic pcap file")
    link = struct.unpack(endian + "I", data[20:24])[0]
    if link != 1:
        sys.exit(f"{path}: link type {link}, expected Ethernet (tcpdump -i lo)")
    packets, offset = [], 24
    while offset + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[offset:offset + 16])
        offset += 16
        usec = frac // 1000 if nano else frac
        packets.append((sec * 1_000_000 + usec, bytearray(data[offset:offset + incl])))
        offset += incl
    return packets


def ipv4_fields(frame):
    if len(frame) < ETH + 20 or frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[ETH] & 0x0F) * 4
    proto = frame[ETH + 9]
    src = bytes(frame[ETH + 12:ETH + 16])
    dst = bytes(frame[ETH + 16:ETH + 20])
    l4 = ETH + ihl
    sport, dport = struct.unpack("!HH", frame[l4:l4 + 4])
    return proto, src, dst, sport, dport, l4


def qname_of(message):
    labels, i = [], 12
    while i < len(message) and message[i] != 0:
        n = message[i]
        labels.append(message[i + 1:i + 1 + n].decode("ascii", "replace").lower())
        i += 1 + n
    return ".".join(labels)


def zone_of(name, zones):
    for zone in zones:
        if name == zone or name.endswith("." + zone):
            return zone
    return None


def exchanges(packets, server, attacker, watched):
    """Groups the seed capture into exchanges: (kind, zone, [(dt_us, frame)])."""
    udp_queries, tcp_flows, result = {}, {}, []
    servers = {server, attacker}
    for time_us, frame in packets:
        fields = ipv4_fields(frame)
        if fields is None:
            continue
        proto, src, dst, sport, dport, l4 = fields
        if proto == 17:
            dns = frame[l4 + 8:]
            if len(dns) < 12:
                continue
            ident = struct.unpack("!H", dns[:2])[0]
            if dst in servers and dport == 53:
                udp_queries[(src, sport, ident)] = (time_us, frame, qname_of(dns))
            elif src in servers and sport == 53:
                query = udp_queries.pop((dst, dport, ident), None)
                if query is None:
                    continue
                kind = "attacker" if src == attacker else "server"
                result.append((kind, zone_of(query[2], watched), [(0, query[1]), (time_us - query[0], frame)]))
        elif proto == 6:
            client = (src, sport) if dport == 53 else (dst, dport)
            flow = tcp_flows.setdefault(client, {"start": time_us, "frames": [], "qname": None,
                                                 "server": dst if dport == 53 else src})
            flow["frames"].append((time_us - flow["start"], frame))
            data = l4 + (frame[l4 + 12] >> 4) * 4
            if dport == 53 and flow["qname"] is None and len(frame) > data + 14:
                flow["qname"] = qname_of(frame[data + 2:])
    for flow in tcp_flows.values():
        if flow["qname"] is None:
            continue
        kind = "attacker" if flow["server"] == attacker else "server"
        result.append((kind, zone_of(flow["qname"], watched), flow["frames"]))
    return result


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def rewrite(frame, client_ip, client_port, ident, server_ip, attacker_ip):
    """A copy of `frame` with the client's address and port, the DNS id, and
    the attacker's address replaced by the server's."""
    frame = bytearray(frame)
    proto, src, dst, sport, dport, l4 = ipv4_fields(frame)
    to_server = dport == 53
    if to_server:
        frame[ETH + 12:ETH + 16] = client_ip
        if dst == attacker_ip:
            frame[ETH + 16:ETH + 20] = server_ip
        struct.pack_into("!H", frame, l4, client_port)
    else:
        frame[ETH + 16:ETH + 20] = client_ip
        if src == attacker_ip:
            frame[ETH + 12:ETH + 16] = server_ip
        struct.pack_into("!H", frame, l4 + 2, client_port)
    frame[ETH + 10:ETH + 12] = b"\0\0"
    ihl = (frame[ETH] & 0x0F) * 4
    struct.pack_into("!H", frame, ETH + 10, checksum(bytes(frame[ETH:ETH + ihl])))
    total = struct.unpack("!H", frame[ETH + 2:ETH + 4])[0]
    if proto == 17:
        struct.pack_into("!H", frame, l4 + 8, ident)
        frame[l4 + 6:l4 + 8] = b"\0\0"
    else:
        data = l4 + (frame[l4 + 12] >> 4) * 4
        # The DNS id of a length-prefixed message that starts this segment.
        if ETH + total >= data + 4:
            length = struct.unpack("!H", frame[data:data + 2])[0]
            if length >= 12 and data + 2 + length <= ETH + total:
                struct.pack_into("!H", frame, data + 2, ident)
        frame[l4 + 16:l4 + 18] = b"\0\0"
        segment = bytes(frame[l4:ETH + total])
        pseudo = bytes(frame[ETH + 12:ETH + 20]) + struct.pack("!BBH", 0, 6, len(segment))
        struct.pack_into("!H", frame, l4 + 16, checksum(pseudo + segment))
    return frame


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed-capture", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--packets", type=int, default=2_000_000)
    parser.add_argument("--server", required=True)
    parser.add_argument("--attacker", required=True)
    parser.add_argument("--watched", required=True, help="comma-separated watched zones")
    parser.add_argument("--watched-share", type=float, default=0.10)
    parser.add_argument("--hijack", action="append", default=[], help="zone:start:length")
    parser.add_argument("--start", type=int, default=1_773_478_800, help="first packet time (Unix seconds)")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    watched = [z.strip().lower() for z in args.watched.split(",") if z.strip()]
    server_ip = bytes(int(x) for x in args.server.split("."))
    attacker_ip = bytes(int(x) for x in args.attacker.split("."))
    pool = exchanges(read_pcap(args.seed_capture), server_ip, attacker_ip, watched)
    unwatched = [e for e in pool if e[0] == "server" and e[1] is None]
    true_by_zone = {z: [e for e in pool if e[0] == "server" and e[1] == z] for z in watched}
    forged_by_zone = {z: [e for e in pool if e[0] == "attacker" and e[1] == z] for z in watched}
    windows = []
    for spec in args.hijack:
        zone, start, length = spec.split(":")
        windows.append((zone, float(start), float(start) + float(length)))
    for zone in watched:
        if not true_by_zone[zone]:
            sys.exit(f"the seed capture holds no exchange about {zone}")
    for zone, _, _ in windows:
        if not forged_by_zone.get(zone):
            sys.exit(f"the seed capture holds no forged exchange about {zone}")
    if not unwatched:
        sys.exit("the seed capture holds no exchange about an unwatched zone")
    print(f"seed: {len(unwatched)} unwatched, " +
          ", ".join(f"{z}: {len(true_by_zone[z])} true / {len(forged_by_zone[z])} forged" for z in watched),
          file=sys.stderr)

    clients = [bytes([10, rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)]) for _ in range(4096)]
    out = open(args.out, "wb")
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    written, time_us, chunk = 0, args.start * 1_000_000, []
    counts = {"unwatched": 0, "watched": 0, "forged": 0}
    while written < args.packets:
        position = written / args.packets
        if rng.random() < args.watched_share:
            zone = rng.choice(watched)
            hijacked = any(z == zone and a <= position < b for z, a, b in windows)
            kind, _, frames = rng.choice(forged_by_zone[zone] if hijacked else true_by_zone[zone])
            counts["forged" if hijacked else "watched"] += 1
        else:
            kind, _, frames = rng.choice(unwatched)
            counts["unwatched"] += 1
        client, port, ident = rng.choice(clients), rng.randrange(1024, 65536), rng.randrange(65536)
        for dt, frame in frames:
            copy = rewrite(frame, client, port, ident, server_ip, attacker_ip)
            t = time_us + dt
            chunk.append(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(copy), len(copy)))
            chunk.append(bytes(copy))
            written += 1
        # About 20,000 exchanges per second of capture time, one after the other.
        time_us += frames[-1][0] + 1 + int(rng.expovariate(1 / 50))
        if len(chunk) > 20000:
            out.write(b"".join(chunk))
            chunk = []
    out.write(b"".join(chunk))
    out.close()
    print(f"{args.out}: {written} packets; exchanges: {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
