"""Writes the objects of every gpu.binary in an MLIR file to a directory.

usage: gpu-objects.py INPUT.mlir OUTDIR

Each `#gpu.object<..., "...">` string (PTX for format=isa, a cubin for
format=bin) is unescaped as MLIR prints it (\\XX hex escapes) and written to
OUTDIR/<binary>.<n>.ptx or .cubin; the file names are printed, one a line.
"""
import os
import re
import sys

text = open(sys.argv[1], encoding="latin-1").read()
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
binary = re.compile(r'gpu\.binary @(\w+)[^\[]*\[(.*?)\]\s*$', re.M | re.S)
string = re.compile(r'(?:assembly|bin|offload) = "((?:[^"\\]|\\.)*)"', re.S)


def unescape(s):
    data = bytearray()
    i = 0
    while i < len(s):
        if s[i] == "\\":
            nxt = s[i + 1]
            if nxt in "\\\"":
                data.append(ord(nxt))
                i += 2
                continue
            if nxt == "n":
                data.append(10)
                i += 2
                continue
            data.append(int(s[i + 1:i + 3], 16))
            i += 3
        else:
            data.append(ord(s[i]))
            i += 1
    return bytes(data)


count = 0
for m in binary.finditer(text):
    name, objects = m.group(1), m.group(2)
    for n, s in enumerate(string.findall(objects)):
        data = unescape(s)
        ext = "cubin" if data[:4] == b"\x7fELF" else "ptx"
        path = os.path.join(out, "%s.%d.%s" % (name, n, ext))
        with open(path, "wb") as f:
            f.write(data)
        count += 1
        print(path, flush=True)
if count == 0:
    sys.exit("no gpu.binary objects in " + sys.argv[1])
