#!/usr/bin/python3
"""Writes gtpu-dns.pcap: the real dig <-> NSD exchanges of dns-exchange.pcap
(UDP and TCP, a subscriber's IPv4 and IPv6) as a mobile core's user plane
carries them: GTPv1-U T-PDUs (3GPP TS 29.281) between an eNodeB and an
SGW-U over IPv4, and a gNodeB and a UPF over IPv6, with every form of the
header a sensor meets. Each exchange (a query and its response, or a TCP
connection) takes the next form of FORMS:

- the mandatory header only; with the sequence number (S); with the N-PDU
  number (PN); with one extension header (E: a PDU session container, as on
  5G N3); with two chained ones (PDU session container, then UDP port);
  with a long one (length 2: 8 bytes);
- outer IPv4 or IPv6, on a VLAN or not;
- the large TXT answers with their outer IP header fragmented (IPv4 and IPv6).

Then GTP-U messages that carry no user packet (echo request and response,
error indication, end marker) and a T-PDU carrying ICMP: none is DNS.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wrap  # noqa: E402

from scapy.all import ICMP, IP, IPv6, IPv6ExtHdrFragment, UDP, fragment, fragment6  # noqa: E402
from scapy.contrib.gtp import GTP_U_Header  # noqa: E402

SUBSCRIBERS = {"10.45.0.7", "2001:db8:45::7"}
# (eNodeB, SGW-U) over IPv4 and (gNodeB, UPF) over IPv6.
ENDPOINTS = {4: ("172.16.1.10", "172.16.2.20"), 6: ("2001:db8:a::10", "2001:db8:b::20")}
TEID_UPLINK = 0x00001A2B    # the SGW-U's / UPF's TEID for this bearer
TEID_DOWNLINK = 0x0000B3C4  # the eNodeB's / gNodeB's

FORMS = [
    dict(family=4),
    dict(family=4, seq=True),
    dict(family=6),
    dict(family=6, npdu=True),
    dict(family=6, extensions=["session"]),
    dict(family=6, extensions=["session", "udp_port"], seq=True),
    dict(family=4, vlan=100, extensions=["long"]),
    dict(family=4, vlan=100, seq=True, npdu=True),
]


def tunnelled(form, inner, sequence):
    family = form["family"]
    enb, gateway = ENDPOINTS[family]
    uplink = wrap.is_uplink(inner, SUBSCRIBERS)
    src, dst = (enb, gateway) if uplink else (gateway, enb)
    teid = TEID_UPLINK if uplink else TEID_DOWNLINK
    header = wrap.gtpu(teid, seq=sequence if form.get("seq") else None,
                       npdu=sequence & 0xFF if form.get("npdu") else None, extensions=form.get("extensions", ()))
    udp = UDP(sport=wrap.GTPU_PORT, dport=wrap.GTPU_PORT) / header / inner
    if family == 6:
        return wrap.outer_ip(6, src, dst) / udp
    return wrap.outer_ip(4, src, dst) / udp


def exchange_key(ip):
    """Which exchange a packet belongs to: the subscriber's port."""
    l4 = ip.payload
    return l4.sport if wrap.is_uplink(ip, SUBSCRIBERS) else l4.dport


def main():
    packets = wrap.read_ip_packets(os.path.join(wrap.HERE, "dns-exchange.pcap"))
    exchanges = {}
    frames = []
    for number, (time, inner) in enumerate(packets):
        key = exchange_key(inner)
        form = FORMS[exchanges.setdefault(key, len(exchanges)) % len(FORMS)]
        outer = tunnelled(form, inner, number)
        big = len(bytes(inner)) > 600
        if big and form["family"] == 4:
            outer.id, outer.flags = 0x4A00 + number, 0
            pieces = fragment(outer, fragsize=400)
        elif big:
            ip6 = outer
            outer = IPv6(src=ip6.src, dst=ip6.dst) / IPv6ExtHdrFragment(id=0x6A00 + number) / ip6.payload
            pieces = fragment6(outer, 512)
        else:
            pieces = [outer]
        for piece in pieces:
            frames.append((time, wrap.ether(form.get("vlan")) / piece))

    # GTP-U messages without a user packet, and a T-PDU that is not DNS.
    time = packets[-1][0]
    enb, gateway = ENDPOINTS[4]

    def signalling(offset, src, dst, header, body=b""):
        frames.append((time + offset, wrap.ether() / wrap.outer_ip(4, src, dst) /
                       UDP(sport=wrap.GTPU_PORT, dport=wrap.GTPU_PORT) / header / wrap.raw(body)))

    signalling(1, enb, gateway, GTP_U_Header(gtp_type=1, S=1, seq=1, teid=0))  # echo request
    signalling(1.001, gateway, enb, GTP_U_Header(gtp_type=2, S=1, seq=1, teid=0), b"\x0e\x00")  # + recovery IE
    # error indication: TEID data I and the GSN address IEs
    signalling(2, gateway, enb, GTP_U_Header(gtp_type=26, S=1, seq=2, teid=0),
               b"\x10\x00\x00\xde\xad\x85\x00\x04\xac\x10\x02\x14")
    signalling(3, gateway, enb, GTP_U_Header(gtp_type=254, teid=TEID_DOWNLINK))  # end marker
    ping = IP(src="10.45.0.7", dst="192.0.2.53", id=7) / ICMP(id=1, seq=1)
    signalling(4, enb, gateway, GTP_U_Header(gtp_type=255, teid=TEID_UPLINK), bytes(ping))
    wrap.write(os.path.join(wrap.HERE, "gtpu-dns.pcap"), frames)


if __name__ == "__main__":
    main()
