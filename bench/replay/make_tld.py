#!/usr/bin/env python3
"""Writes the registry shape of scripts/bench-replay: a TLD `bench.` of N
delegations, as a registry's zone holds them, and the questions a resolver
population sends it, spread over every delegation.

    make_tld.py --delegations 1000000 --out DIR [--hijacked 100] [--questions N] [--seed 1]

Each delegation dN.bench has 2 NS (ns1.dN.bench, in bailiwick, with glue A
and AAAA; ns.dns-hosting.example, out of bailiwick) and every fifth a DS:
3.2 RRsets a delegation. DIR gets:
  bench.zone           the registry's zone: dnswatch's baseline
  bench-served.zone    what the name server serves: the same, except that
                       --hijacked delegations (spread evenly) point at an
                       attacker's name servers, whose glue differs too
  questions.txt        dnsperf input: "www.dN.bench A" for every delegation
                       in a random order (each delegation once, so that no
                       cache of the sensor sees a name twice), and every
                       tenth also "dN.bench DS"
Standard library only."""

import argparse
import os
import random


def write_zone(path, delegations, hijacked):
    with open(path, "w", buffering=1 << 20) as out:
        out.write("$ORIGIN bench.\n$TTL 86400\n")
        out.write("@ IN SOA a.nic.bench. hostmaster.nic.bench. 2026120701 1800 900 604800 3600\n")
        out.write("@ IN NS a.nic.bench.\na.nic IN A 127.0.0.10\n")
        lines = []
        for n in range(delegations):
            d = f"d{n}"
            if n in hijacked:
                lines.append(f"{d} IN NS ns1.{d}\n{d} IN NS ns2.evil-dns.example.\n"
                             f"ns1.{d} IN A 203.0.113.{n % 250 + 1}\nns1.{d} IN AAAA 2001:db8:bad::{n % 65535:x}\n")
            else:
                lines.append(f"{d} IN NS ns1.{d}\n{d} IN NS ns.dns-hosting.example.\n"
                             f"ns1.{d} IN A 10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}\n"
                             f"ns1.{d} IN AAAA 2001:db8:{n >> 16:x}::{n & 0xffff:x}\n")
            if n % 5 == 0 and n not in hijacked:  # a hijack drops the DS, as in 2018-2019
                digest = f"{(n * 2654435761) & 0xffffffff:08X}" * 8
                lines.append(f"{d} IN DS {n % 65536} 13 2 {digest}\n")
            if len(lines) >= 10000:
                out.write("".join(lines))
                lines.clear()
        out.write("".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delegations", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--hijacked", type=int, default=100)
    parser.add_argument("--questions", action="store_true", default=True)
    parser.add_argument("--no-questions", dest="questions", action="store_false")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    n = args.delegations
    step = max(1, n // max(1, args.hijacked))
    hijacked = set(range(step // 2, n, step)) if args.hijacked else set()
    write_zone(os.path.join(args.out, "bench.zone"), n, set())
    write_zone(os.path.join(args.out, "bench-served.zone"), n, hijacked)
    if args.questions:
        order = list(range(n))
        random.Random(args.seed).shuffle(order)
        with open(os.path.join(args.out, "questions.txt"), "w", buffering=1 << 20) as out:
            out.write("".join(f"www.d{i}.bench A\n" + (f"d{i}.bench DS\n" if i % 10 == 0 else "") for i in order))


if __name__ == "__main__":
    main()
