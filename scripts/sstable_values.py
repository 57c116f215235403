#!/usr/bin/env python3
"""tfmodel helper: dump (key, value) pairs of a LevelDB-format table (raw or snappy blocks)
(TensorFlow checkpoint .index / V1 checkpoint files) so values can be fed to protoc.
Usage: sstable_values.py FILE OUTDIR  -> writes OUTDIR/<n>.key and OUTDIR/<n>.val"""
import os, sys

def varint(b, p):
    r = s = 0
    while True:
        c = b[p]; p += 1
        r |= (c & 0x7f) << s; s += 7
        if c < 0x80:
            return r, p

def snappy(b):
    n, p = varint(b, 0)
    out = bytearray()
    while p < len(b):
        t = b[p]; p += 1
        if t & 3 == 0:                      # literal
            ln = t >> 2
            if ln >= 60:
                k = ln - 59; ln = int.from_bytes(b[p:p + k], "little"); p += k
            ln += 1; out += b[p:p + ln]; p += ln
            continue
        if t & 3 == 1:
            ln = ((t >> 2) & 7) + 4; off = ((t >> 5) << 8) | b[p]; p += 1
        elif t & 3 == 2:
            ln = (t >> 2) + 1; off = int.from_bytes(b[p:p + 2], "little"); p += 2
        else:
            ln = (t >> 2) + 1; off = int.from_bytes(b[p:p + 4], "little"); p += 4
        for _ in range(ln):
            out.append(out[-off])
    assert len(out) == n
    return bytes(out)

def block(data, off, size):
    kind = data[off + size]
    b = data[off:off + size]
    if kind == 1:
        b = snappy(b)
    elif kind != 0:
        raise SystemExit("unknown block compression %d" % kind)
    nrest = int.from_bytes(b[-4:], "little")
    end = len(b) - 4 - 4 * nrest
    p, key = 0, b""
    while p < end:
        shared, p = varint(b, p); nons, p = varint(b, p); vlen, p = varint(b, p)
        key = key[:shared] + b[p:p + nons]; p += nons
        yield key, b[p:p + vlen]; p += vlen

def main(path, out):
    data = open(path, "rb").read()
    foot = data[-48:]
    p = 0
    _, p = varint(foot, p); _, p = varint(foot, p)          # metaindex handle
    ioff, p = varint(foot, p); isize, p = varint(foot, p)   # index handle
    os.makedirs(out, exist_ok=True)
    n = 0
    for _, h in block(data, ioff, isize):
        off, q = varint(h, 0); size, q = varint(h, q)
        for k, v in block(data, off, size):
            open(f"{out}/{n}.key", "wb").write(k)
            open(f"{out}/{n}.val", "wb").write(v)
            n += 1
    print(n)

main(sys.argv[1], sys.argv[2])
