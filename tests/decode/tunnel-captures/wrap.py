"""Shared by the *.pcap.py generators here: reads the real DNS packets of a
capture taken on lo and writes them back wrapped in tunnel headers, with
their own timestamps. Deterministic: fixed MAC addresses, IP ids and
fragment ids, so that rerunning a generator rewrites identical bytes.

Needs Debian's python3-scapy (run with /usr/bin/python3)."""

import logging
import os

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.all import Dot1Q, Ether, IP, IPv6, PcapReader, PcapWriter, Raw  # noqa: E402
from scapy.contrib.gtp import GTP_UDPPort_ExtensionHeader, GTP_U_Header, GTPPDUSessionContainer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

# The tunnel endpoints (documentation ranges).
MAC_A = "02:00:00:00:0a:01"
MAC_B = "02:00:00:00:0b:01"
GTPU_PORT = 2152


def read_ip_packets(path):
    """(time, IP or IPv6 packet) of every frame of a capture taken on lo."""
    packets = []
    with PcapReader(path) as reader:
        for frame in reader:
            ip = frame[IP] if IP in frame else frame[IPv6]
            packets.append((frame.time, ip.copy()))
    return packets


def is_uplink(ip, subscribers):
    """True for packets from a subscriber (the client side of the exchange)."""
    return ip.src in subscribers


def ether(vlan=None):
    frame = Ether(src=MAC_A, dst=MAC_B)
    return frame / Dot1Q(vlan=vlan) if vlan is not None else frame


def outer_ip(family, src, dst, ident=0):
    if family == 4:
        return IP(src=src, dst=dst, id=ident, flags="DF" if ident == 0 else 0)
    return IPv6(src=src, dst=dst)


def write(path, frames):
    """frames: (time, packet) in capture order; classic pcap, Ethernet, us."""
    with PcapWriter(path, linktype=1, sync=True) as writer:
        for time, packet in frames:
            packet.time = time
            writer.write(packet)
    print(f"{os.path.relpath(path, REPO)}: {len(frames)} frames")


def raw(data):
    return Raw(load=bytes(data))


# GTP-U extension headers (3GPP TS 29.281 5.2): the type that announces each.
EXTENSION_TYPES = {"session": 0x85, "udp_port": 0x40, "long": 0xC0}


def gtpu_extension(kind, next_type):
    if kind == "session":  # PDU session container (5G N3), length 1 (4 bytes)
        return GTPPDUSessionContainer(type=1, QFI=9, NextExtHdr=next_type)
    if kind == "udp_port":  # UDP port, length 1
        return GTP_UDPPort_ExtensionHeader(udp_port=GTPU_PORT, next_ex=next_type)
    # A PDCP PDU number extension header written out with length 2 (8
    # bytes) instead of 1: the length, not the type, says where it ends.
    return raw([2, 0x12, 0x34, 0, 0, 0, 0, next_type])


def gtpu(teid, seq=None, npdu=None, extensions=()):
    """A GTPv1-U T-PDU header with the optional fields asked for."""
    header = GTP_U_Header(teid=teid, gtp_type=255)
    if seq is not None:
        header.S, header.seq = 1, seq
    if npdu is not None:
        header.PN, header.npdu = 1, npdu
    if extensions:
        header.E, header.next_ex = 1, EXTENSION_TYPES[extensions[0]]
    for i, kind in enumerate(extensions):
        following = EXTENSION_TYPES[extensions[i + 1]] if i + 1 < len(extensions) else 0
        header = header / gtpu_extension(kind, following)
    return header
