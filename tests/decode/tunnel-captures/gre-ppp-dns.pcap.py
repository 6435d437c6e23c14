#!/usr/bin/python3
"""Writes gre-ppp-dns.pcap: the real dig <-> NSD exchanges of
dns-exchange.pcap as a VPN concentrator's link carries them: PPP inside
GRE. Each exchange (a query and its response, or a TCP connection) takes
the next form of FORMS:

- enhanced GRE (version 1, PPTP, RFC 2637): the key field holding the
  payload length and the peer's call id, with the sequence number and with
  or without the acknowledgement number; and GRE version 0 (RFC 2784/2890)
  with protocol 0x880B, keyed or sequenced;
- PPP (RFC 1661/1662) with the address and control bytes (0xff 0x03) or
  without them (address-and-control-field compression), with a 2-byte
  protocol (0x0021, 0x0057) or a 1-byte one (protocol-field compression);
- over IPv4, IPv6, or IPv4 inside IPv6 on a VLAN (the layout of Zeek's
  gre-pptp.pcap).

Then PPP frames that carry no IP (LCP echo request, IPCP configure request)
and an acknowledgement-only GRE packet: none is DNS.
"""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wrap  # noqa: E402

from scapy.all import GRE, IP, IPv6  # noqa: E402
from scapy.layers.l2 import GRE_PPTP  # noqa: E402

SUBSCRIBERS = {"10.45.0.7", "2001:db8:45::7"}
# The access concentrator (PAC) and the network server (PNS), per family.
ENDPOINTS = {4: ("203.0.113.10", "198.51.100.20"), 6: ("2001:db8:c::10", "2001:db8:d::20")}
CALL_ID = {True: 0x4001, False: 0x8002}  # the peer's call id, uplink / downlink
GRE_KEY = 0x00C0FFEE
PPP_IPV4, PPP_IPV6 = 0x0021, 0x0057

FORMS = [
    dict(outer=4, version=1),
    dict(outer=4, version=1, ack=True, acfc=True),
    dict(outer=4, version=1, pfc=True),
    dict(outer=4, version=1, ack=True, acfc=True, pfc=True),
    dict(outer=6, version=1),
    dict(outer="4in6", vlan=200, version=1, ack=True),
    dict(outer=4, version=0, key=True),
    dict(outer=6, version=0, seq=True, acfc=True, pfc=True),
]


def ppp(form, protocol, payload):
    frame = b"" if form.get("acfc") else b"\xff\x03"
    frame += struct.pack("B", protocol) if form.get("pfc") and protocol < 0x100 else struct.pack(">H", protocol)
    return frame + bytes(payload)


def gre(form, uplink, sequence, body):
    if form["version"] == 1:
        header = GRE_PPTP(seqnum_present=1, seqence_number=sequence, call_id=CALL_ID[uplink],
                          payload_len=len(body))
        if form.get("ack"):
            header.acknum_present, header.ack_number = 1, max(sequence - 1, 0)
        return header / wrap.raw(body)
    header = GRE(proto=0x880B)
    if form.get("key"):
        header.key_present, header.key = 1, GRE_KEY
    if form.get("seq"):
        header.seqnum_present, header.seqence_number = 1, sequence
    return header / wrap.raw(body)


def outer(form, uplink, payload):
    family = 6 if form["outer"] == 6 else 4
    pac, pns = ENDPOINTS[family]
    src, dst = (pac, pns) if uplink else (pns, pac)
    packet = wrap.outer_ip(family, src, dst) / payload
    if form["outer"] == "4in6":
        v6_pac, v6_pns = ENDPOINTS[6]
        packet = IPv6(src=v6_pac if uplink else v6_pns, dst=v6_pns if uplink else v6_pac, nh=4) / packet
    return wrap.ether(form.get("vlan")) / packet


def main():
    packets = wrap.read_ip_packets(os.path.join(wrap.HERE, "dns-exchange.pcap"))
    exchanges = {}
    frames = []
    for number, (time, inner) in enumerate(packets):
        uplink = wrap.is_uplink(inner, SUBSCRIBERS)
        l4 = inner.payload
        key = l4.sport if uplink else l4.dport
        form = FORMS[exchanges.setdefault(key, len(exchanges)) % len(FORMS)]
        body = ppp(form, PPP_IPV4 if isinstance(inner, IP) else PPP_IPV6, bytes(inner))
        frames.append((time, outer(form, uplink, gre(form, uplink, number, body))))

    time = packets[-1][0]
    form = FORMS[0]
    lcp_echo = ppp(form, 0xC021, b"\x09\x01\x00\x08\x12\x34\x56\x78")          # echo request
    ipcp = ppp(form, 0x8021, b"\x01\x02\x00\x0a\x03\x06\x0a\x2d\x00\x07")     # configure request
    frames.append((time + 1, outer(form, True, gre(form, True, 100, lcp_echo))))
    frames.append((time + 2, outer(form, False, gre(form, False, 101, ipcp))))
    ack_only = GRE_PPTP(seqnum_present=0, acknum_present=1, ack_number=101, call_id=CALL_ID[True], payload_len=0)
    frames.append((time + 3, outer(form, True, ack_only)))
    wrap.write(os.path.join(wrap.HERE, "gre-ppp-dns.pcap"), frames)


if __name__ == "__main__":
    main()
