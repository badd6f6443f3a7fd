#!/usr/bin/python3
"""Independent GIF decoder used as the tests' oracle: only struct and json from the standard library.

Usage: gif_decode.py FILE [--pixels]
Prints JSON: width, height, loop count (NETSCAPE2.0), and every frame with its offset, size, delay (hundredths of a
second), the number of distinct colours it uses and, for the whole canvas after the frame is drawn, the minimum and
maximum grey level, whether every pixel is the same, and with --pixels the canvas as RGB hex. Raises (non-zero exit) on any structural error: bad signature,
a truncated block, a bad LZW code, or a frame whose decoded length is not width x height.
"""
import json
import struct
import sys


def lzw_decode(data, min_code_size, expected):
    clear = 1 << min_code_size
    end = clear + 1
    size = min_code_size + 1
    table = [bytes([i]) for i in range(clear)] + [b"", b""]
    out = bytearray()
    bits = 0
    nbits = 0
    prev = None
    pos = 0
    while True:
        while nbits < size:
            if pos >= len(data):
                raise ValueError("LZW data ended without an end code")
            bits |= data[pos] << nbits
            nbits += 8
            pos += 1
        code = bits & ((1 << size) - 1)
        bits >>= size
        nbits -= size
        if code == clear:
            size = min_code_size + 1
            table = table[:clear + 2]
            prev = None
            continue
        if code == end:
            break
        if code < len(table):
            entry = table[code]
            if prev is not None:
                table.append(prev + entry[:1])
        elif code == len(table) and prev is not None:
            entry = prev + prev[:1]
            table.append(entry)
        else:
            raise ValueError(f"bad LZW code {code} (table has {len(table)})")
        out += entry
        prev = entry
        if len(table) == (1 << size) and size < 12:
            size += 1
    if len(out) != expected:
        raise ValueError(f"decoded {len(out)} indices, expected {expected}")
    return bytes(out)


def read_sub_blocks(buf, pos):
    data = bytearray()
    while True:
        n = buf[pos]
        pos += 1
        if n == 0:
            return bytes(data), pos
        data += buf[pos:pos + n]
        pos += n


def read_table(buf, pos, flags):
    size = 3 * (1 << ((flags & 7) + 1))
    table = buf[pos:pos + size]
    return [tuple(table[i:i + 3]) for i in range(0, size, 3)], pos + size


def decode(path, with_pixels=False):
    buf = open(path, "rb").read()
    if buf[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("not a GIF signature")
    width, height, flags, _bg, _aspect = struct.unpack("<HHBBB", buf[6:13])
    pos = 13
    global_table = None
    if flags & 0x80:
        global_table, pos = read_table(buf, pos, flags)
    canvas = [(0, 0, 0)] * (width * height)
    frames = []
    loop = None
    delay = None
    transparent = None
    while True:
        block = buf[pos]
        pos += 1
        if block == 0x3B:
            break
        if block == 0x21:
            label = buf[pos]
            pos += 1
            data, pos = read_sub_blocks(buf, pos)
            if label == 0xF9:
                packed, delay, index = struct.unpack("<BHB", data[:4])
                transparent = index if packed & 1 else None
            elif label == 0xFF and data[:11] == b"NETSCAPE2.0":
                loop = struct.unpack("<H", data[12:14])[0]
            continue
        if block != 0x2C:
            raise ValueError(f"unexpected block 0x{block:02x} at {pos - 1}")
        x, y, w, h, fflags = struct.unpack("<HHHHB", buf[pos:pos + 9])
        pos += 9
        table = global_table
        if fflags & 0x80:
            table, pos = read_table(buf, pos, fflags)
        if table is None:
            raise ValueError("a frame without a colour table")
        if fflags & 0x40:
            raise ValueError("interlaced frames are not expected")
        min_code = buf[pos]
        pos += 1
        data, pos = read_sub_blocks(buf, pos)
        indices = lzw_decode(data, min_code, w * h)
        for j in range(h):
            for i in range(w):
                index = indices[j * w + i]
                if index != transparent:
                    canvas[(y + j) * width + x + i] = table[index]
        greys = [(r + g + b) // 3 for (r, g, b) in canvas]
        frames.append({"x": x, "y": y, "width": w, "height": h, "delay": delay, "colours": len(set(indices)),
                       "min": min(greys), "max": max(greys), "uniform": len(set(canvas)) == 1})
        if with_pixels:
            frames[-1]["pixels"] = bytes(c for rgb in canvas for c in rgb).hex()
        delay = None
        transparent = None
    return {"width": width, "height": height, "loop": loop, "frames": frames}


if __name__ == "__main__":
    print(json.dumps(decode(sys.argv[1], "--pixels" in sys.argv[2:])))
