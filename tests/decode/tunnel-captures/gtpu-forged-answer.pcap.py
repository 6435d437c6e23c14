#!/usr/bin/python3
"""Writes gtpu-forged-answer.pcap: scenarios/single-response-change/
capture.pcap (real dig <-> NSD traffic in which one answer for
www.victim.test A is forged, frame 14) as an S1-U link carries it: every
packet in a GTPv1-U T-PDU with a sequence number, between an eNodeB
(172.16.1.10) and an SGW-U (172.16.2.20). The subscriber is the scenario's
client, 127.0.0.100; its bearer's TEIDs are 0x1a2b uplink (the SGW-U's) and
0xb3c4 downlink (the eNodeB's). Replayed with that scenario's dnswatch.yaml,
the forged answer must raise the scenario's alert, and its vantage must name
the tunnel.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wrap  # noqa: E402

from scapy.all import UDP  # noqa: E402

SUBSCRIBER = "127.0.0.100"
ENODEB, SGW = "172.16.1.10", "172.16.2.20"
TEID_UPLINK, TEID_DOWNLINK = 0x1A2B, 0xB3C4


def main():
    scenario = os.path.join(wrap.REPO, "scenarios", "single-response-change", "capture.pcap")
    frames = []
    for number, (time, inner) in enumerate(wrap.read_ip_packets(scenario)):
        uplink = inner.src == SUBSCRIBER
        src, dst = (ENODEB, SGW) if uplink else (SGW, ENODEB)
        header = wrap.gtpu(TEID_UPLINK if uplink else TEID_DOWNLINK, seq=number)
        frames.append((time, wrap.ether() / wrap.outer_ip(4, src, dst) /
                       UDP(sport=wrap.GTPU_PORT, dport=wrap.GTPU_PORT) / header / inner))
    wrap.write(os.path.join(wrap.HERE, "gtpu-forged-answer.pcap"), frames)


if __name__ == "__main__":
    main()
