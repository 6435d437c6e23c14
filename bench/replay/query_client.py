#!/usr/bin/env python3
"""Asks a name server real questions, one at a time, over UDP and now and then
TCP, so that a capture taken meanwhile holds real query/response pairs.

    query_client.py --server 127.0.0.11 --names NAMES --count 4000 [--tcp-every 40] [--seed 1]

NAMES has one "name type" per line (type: A, AAAA, MX, TXT, NS, SOA). Bounded:
exactly --count questions, each waiting at most one second for its answer.
Prints how many were answered."""

import argparse
import random
import socket
import struct

TYPES = {"A": 1, "NS": 2, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28}


def query(name, qtype, ident):
    header = struct.pack("!HHHHHH", ident, 0x0000, 1, 0, 0, 1)  # no recursion: we play a resolver
    qname = b"".join(bytes([len(label)]) + label.encode() for label in name.rstrip(".").split(".")) + b"\0"
    opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)  # EDNS0, as resolvers send
    return header + qname + struct.pack("!HH", TYPES[qtype], 1) + opt


def ask_udp(server, port, message):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        s.sendto(message, (server, port))
        try:
            s.recvfrom(65535)
            return True
        except socket.timeout:
            return False


def ask_tcp(server, port, message):
    with socket.create_connection((server, port), timeout=1.0) as s:
        s.sendall(struct.pack("!H", len(message)) + message)
        try:
            length = struct.unpack("!H", s.recv(2))[0]
            got = b""
            while len(got) < length:
                chunk = s.recv(length - len(got))
                if not chunk:
                    break
                got += chunk
            return len(got) == length
        except (socket.timeout, struct.error):
            return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--names", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--tcp-every", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    names = [line.split() for line in open(args.names) if line.strip()]
    answered = 0
    for i in range(args.count):
        name, qtype = rng.choice(names)
        message = query(name, qtype, rng.randrange(65536))
        tcp = args.tcp_every > 0 and i % args.tcp_every == args.tcp_every - 1
        answered += ask_tcp(args.server, args.port, message) if tcp else ask_udp(args.server, args.port, message)
    print(f"{answered}/{args.count} answered by {args.server}")


if __name__ == "__main__":
    main()
