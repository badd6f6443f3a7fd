#!/usr/bin/python3
"""Independent PNG / APNG decoder used as the tests' oracle: only zlib, struct and json from the standard library.

Usage: png_decode.py FILE [--no-pixels]
Prints JSON: width, height, bit_depth, colour_type, channels, chunk types in order, whether every CRC matched,
the acTL frame count and plays (APNG), and every frame (the default image is frame 0 of a still PNG) with its
size, offset, delay and pixels as hex (row-major, channels interleaved), unless --no-pixels.
Raises (non-zero exit) on any structural error: bad signature, bad CRC, wrong sequence numbers, bad filter type,
wrong decompressed length.
"""
import json
import struct
import sys
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(data, width, height, bpp):
    stride = width * bpp
    if len(data) != height * (stride + 1):
        raise ValueError(f"decompressed {len(data)} bytes, expected {height * (stride + 1)}")
    out = bytearray(height * stride)
    prev = bytearray(stride)
    used = set()
    for y in range(height):
        ftype = data[y * (stride + 1)]
        used.add(ftype)
        line = data[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        cur = bytearray(stride)
        for i in range(stride):
            a = cur[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 0:
                p = 0
            elif ftype == 1:
                p = a
            elif ftype == 2:
                p = b
            elif ftype == 3:
                p = (a + b) // 2
            elif ftype == 4:
                p = paeth(a, b, c)
            else:
                raise ValueError(f"bad filter type {ftype} on row {y}")
            cur[i] = (line[i] + p) & 0xFF
        out[y * stride:(y + 1) * stride] = cur
        prev = cur
    return bytes(out), sorted(used)


def decode(path, with_pixels=True):
    blob = open(path, "rb").read()
    if blob[:8] != SIGNATURE:
        raise ValueError("not a PNG signature")
    pos = 8
    chunks = []
    while pos < len(blob):
        (length,) = struct.unpack(">I", blob[pos:pos + 4])
        ctype = blob[pos + 4:pos + 8]
        data = blob[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", blob[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(ctype + data) & 0xFFFFFFFF != crc:
            raise ValueError(f"CRC mismatch in chunk {ctype!r}")
        chunks.append((ctype.decode("ascii"), data))
        pos += 12 + length
    if chunks[0][0] != "IHDR" or chunks[-1][0] != "IEND":
        raise ValueError("IHDR must come first and IEND last")
    width, height, depth, ctype, comp, filt, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if depth != 8 or ctype not in (2, 6) or comp != 0 or filt != 0 or interlace != 0:
        raise ValueError("only 8-bit non-interlaced RGB/RGBA is expected")
    channels = 3 if ctype == 2 else 4

    actl = None
    frames = []
    expected_sequence = 0
    current = None  # the frame whose data chunks are being gathered
    idat = bytearray()
    seen_idat = False
    for name, data in chunks:
        if name == "acTL":
            actl = struct.unpack(">II", data)
        elif name == "fcTL":
            seq, w, h, x, y, dn, dd, dispose, blend = struct.unpack(">IIIIIHHBB", data)
            if seq != expected_sequence:
                raise ValueError(f"fcTL sequence {seq}, expected {expected_sequence}")
            expected_sequence += 1
            current = {"width": w, "height": h, "x": x, "y": y, "delay_num": dn, "delay_den": dd,
                       "dispose": dispose, "blend": blend, "data": bytearray(), "from_idat": not seen_idat}
            frames.append(current)
        elif name == "IDAT":
            seen_idat = True
            idat += data
            if current is not None and current["from_idat"]:
                current["data"] += data
        elif name == "fdAT":
            (seq,) = struct.unpack(">I", data[:4])
            if seq != expected_sequence:
                raise ValueError(f"fdAT sequence {seq}, expected {expected_sequence}")
            expected_sequence += 1
            current["data"] += data[4:]

    default_pixels, default_filters = unfilter(zlib.decompress(bytes(idat)), width, height, channels)
    if actl is None:
        frames = [{"width": width, "height": height, "x": 0, "y": 0, "pixels": default_pixels, "filters": default_filters}]
    else:
        if actl[0] != len(frames):
            raise ValueError(f"acTL says {actl[0]} frames, found {len(frames)}")
        for f in frames:
            f["pixels"], f["filters"] = unfilter(zlib.decompress(bytes(f.pop("data"))), f["width"], f["height"], channels)
            f.pop("from_idat")
    for f in frames:
        px = f.pop("pixels")
        f["min"] = min(px) if px else 0
        f["max"] = max(px) if px else 0
        if with_pixels:
            f["pixels"] = px.hex()
    return {
        "width": width, "height": height, "bit_depth": depth, "colour_type": ctype, "channels": channels,
        "chunks": [c[0] for c in chunks], "crc_ok": True,
        "num_frames": actl[0] if actl else None, "num_plays": actl[1] if actl else None,
        "frames": frames,
    }


if __name__ == "__main__":
    print(json.dumps(decode(sys.argv[1], "--no-pixels" not in sys.argv[2:])))
