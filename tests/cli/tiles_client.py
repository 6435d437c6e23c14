#!/usr/bin/env python3
"""An independent C2SP tlog-tiles client, for the tests: it shares no code
with dnswatch (standard library only: urllib, hashlib, base64).

    tiles_client.py URL INDEX

fetches URL/checkpoint, takes its tree size and root (the signature is
dnswatch tlog verify --url's job: Ed25519 is not in the standard library),
builds the RFC 6962 inclusion proof of entry INDEX from hash tiles (using
level-1+ tiles for whole aligned subtrees, level 0 for the rest), fetches
the entry from its bundle when the log still serves it (a pruned bundle is
404: then the leaf hash comes from the level-0 tile), verifies the proof
against the checkpoint root and prints one JSON object. Exit 0 when the
proof verifies, 1 otherwise.
"""
import base64
import hashlib
import json
import sys
import urllib.error
import urllib.request

WIDTH = 256


def sha256(data):
    return hashlib.sha256(data).digest()


def leaf_hash(entry):
    return sha256(b"\x00" + entry)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def encode_index(n):
    groups = [n % 1000]
    n //= 1000
    while n > 0:
        groups.insert(0, n % 1000)
        n //= 1000
    return "/".join(["x%03d" % g for g in groups[:-1]] + ["%03d" % groups[-1]])


class Log:
    def __init__(self, url):
        self.url = url.rstrip("/")
        self.fetched = []
        self.tiles = {}
        note = self.get("checkpoint").decode("utf-8")
        text = note[: note.rindex("\n\n") + 1]
        lines = text.split("\n")
        self.origin, self.size, self.root = lines[0], int(lines[1]), base64.b64decode(lines[2])

    def get(self, path):
        self.fetched.append(path)
        with urllib.request.urlopen(self.url + "/" + path, timeout=10) as answer:
            return answer.read()

    def level_width(self, level):
        return self.size // (WIDTH ** level)

    def tile(self, level, n):
        """The hashes of tile n at `level`, full or as partial as the tree has it."""
        key = (level, n)
        if key not in self.tiles:
            width = min(WIDTH, self.level_width(level) - n * WIDTH)
            assert width > 0, (level, n)
            path = "tile/%d/%s" % (level, encode_index(n)) + ("" if width == WIDTH else ".p/%d" % width)
            data = self.get(path)
            assert len(data) == 32 * width, (path, len(data))
            self.tiles[key] = [data[i * 32 : (i + 1) * 32] for i in range(width)]
        return self.tiles[key]

    def hash_at(self, level, i):
        """MTH(D[i * 256^level : (i + 1) * 256^level]), read from a tile."""
        return self.tile(level, i // WIDTH)[i % WIDTH]

    def subtree(self, lo, hi):
        """MTH(D[lo:hi]) (RFC 6962 2.1), from the highest tiles that cover it."""
        for level in range(8, 0, -1):
            unit = WIDTH ** level
            if lo % unit == 0 and hi % unit == 0 and hi <= self.level_width(level) * unit:
                return mth([self.hash_at(level, i) for i in range(lo // unit, hi // unit)])
        if hi - lo == 1:
            return self.hash_at(0, lo)
        k = largest_power_of_two_below(hi - lo)
        return node_hash(self.subtree(lo, lo + k), self.subtree(lo + k, hi))

    def inclusion_path(self, m, lo, hi):
        """PATH(m, D[lo:hi]) of RFC 6962 2.1.1, leaf first."""
        if hi - lo <= 1:
            return []
        k = largest_power_of_two_below(hi - lo)
        if m < k:
            return self.inclusion_path(m, lo, lo + k) + [self.subtree(lo + k, hi)]
        return self.inclusion_path(m - k, lo + k, hi) + [self.subtree(lo, lo + k)]

    def entry(self, index):
        """The entry's bytes from its bundle, or None when the bundle is pruned (404)."""
        n = index // WIDTH
        width = min(WIDTH, self.size - n * WIDTH)
        path = "tile/entries/%s" % encode_index(n) + ("" if width == WIDTH else ".p/%d" % width)
        try:
            data = self.get(path)
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise
        entries, at = [], 0
        while at < len(data):
            length = int.from_bytes(data[at : at + 2], "big")
            entries.append(data[at + 2 : at + 2 + length])
            at += 2 + length
        assert len(entries) == width, (path, len(entries), width)
        return entries[index % WIDTH]


def largest_power_of_two_below(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(hashes):
    if len(hashes) == 1:
        return hashes[0]
    k = largest_power_of_two_below(len(hashes))
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def main():
    log = Log(sys.argv[1])
    index = int(sys.argv[2])
    entry = log.entry(index)
    tile_leaf = log.hash_at(0, index)
    leaf = leaf_hash(entry) if entry is not None else tile_leaf
    proof = log.inclusion_path(index, 0, log.size)
    ok = leaf == tile_leaf and verify_inclusion(index, log.size, leaf, proof, log.root)
    print(json.dumps({
        "ok": ok,
        "origin": log.origin,
        "tree_size": log.size,
        "root": log.root.hex(),
        "leaf_index": index,
        "leaf_hash": leaf.hex(),
        "entry": entry.decode("utf-8", "replace") if entry is not None else None,
        "inclusion_path": [h.hex() for h in proof],
        "fetched": log.fetched,
    }))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
