#!/usr/bin/env python3
"""Rewrite the packet timestamps of a classic pcap file, phase by phase.

    stretch-times.py IN OUT --start 2026-03-14T09:00:00Z \
        --boundaries N1,N2,... --offsets O0,O1,O2,...

The packets are cut into phases at the given packet indices (0-based: phase 0
is packets [0, N1), phase 1 is [N1, N2), ... the last phase runs to the end).
Phase i is moved so that its first packet is at START + Oi seconds; inside a
phase every packet keeps its original distance to the phase's first packet:

    new_ts(p) = START + O[i] + (ts(p) - ts(first packet of phase i))

Packet order and contents are not changed. Offsets must be increasing and each
phase must end before the next one starts, so the file stays in time order.
Both microsecond (a1b2c3d4) and nanosecond (a1b23c4d) pcap files of either
byte order are accepted; the output keeps the input's format. Stdlib only.
"""

import argparse
import datetime
import struct
import sys

MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1_000_000),
    b"\xa1\xb2\xc3\xd4": (">", 1_000_000),
    b"\x4d\x3c\xb2\xa1": ("<", 1_000_000_000),
    b"\xa1\xb2\x3c\x4d": (">", 1_000_000_000),
}


def parse_start(text):
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    t = datetime.datetime.fromisoformat(text)
    if t.tzinfo is None:
        raise ValueError("start time needs a time zone (e.g. a trailing Z)")
    return t


def int_list(text):
    return [int(x) for x in text.split(",") if x.strip() != ""]


def float_list(text):
    return [float(x) for x in text.split(",") if x.strip() != ""]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--start", required=True,
                    help="time of the first packet, RFC 3339, e.g. 2026-03-14T09:00:00Z")
    ap.add_argument("--boundaries", type=int_list, default=[],
                    help="comma-separated 0-based index of the first packet of phases 1, 2, ...")
    ap.add_argument("--offsets", type=float_list, required=True,
                    help="comma-separated start of each phase, seconds after --start")
    args = ap.parse_args()

    if len(args.offsets) != len(args.boundaries) + 1:
        sys.exit("need exactly one offset per phase (len(boundaries) + 1)")
    if args.boundaries != sorted(set(args.boundaries)) or any(b <= 0 for b in args.boundaries):
        sys.exit("boundaries must be strictly increasing and > 0")

    with open(args.input, "rb") as f:
        data = f.read()
    if len(data) < 24 or data[:4] not in MAGICS:
        sys.exit("%s: not a classic pcap file" % args.input)
    endian, units = MAGICS[data[:4]]
    rec = struct.Struct(endian + "IIII")

    # Read all records: (ts in integer sub-second units, header rest, payload)
    packets = []
    pos = 24
    while pos < len(data):
        if pos + 16 > len(data):
            sys.exit("%s: truncated record header at byte %d" % (args.input, pos))
        sec, frac, incl, orig = rec.unpack_from(data, pos)
        end = pos + 16 + incl
        if end > len(data):
            sys.exit("%s: truncated packet at byte %d" % (args.input, pos))
        packets.append((sec * units + frac, incl, orig, data[pos + 16:end]))
        pos = end

    if args.boundaries and args.boundaries[-1] >= len(packets):
        sys.exit("boundary %d is past the last packet (%d packets)"
                 % (args.boundaries[-1], len(packets)))

    start = parse_start(args.start)
    start_units = int(start.timestamp()) * units + start.microsecond * (units // 1_000_000)
    offsets_units = [round(o * units) for o in args.offsets]
    cuts = [0] + args.boundaries + [len(packets)]

    out = bytearray(data[:24])
    last = None
    for i in range(len(cuts) - 1):
        phase = packets[cuts[i]:cuts[i + 1]]
        base = phase[0][0]
        for ts, incl, orig, payload in phase:
            new = start_units + offsets_units[i] + (ts - base)
            if last is not None and new < last:
                sys.exit("phase %d would start before phase %d ends; use larger offsets"
                         % (i, i - 1))
            last = new
            out += rec.pack(new // units, new % units, incl, orig)
            out += payload

    with open(args.output, "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
