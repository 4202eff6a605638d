#!/usr/bin/env python3
# A PPAP zip for the demo and the browser tests: one file in a zip encrypted with traditional
# PKWARE encryption (what e-mail clients write), made with the cipher of APPNOTE 6.1 since
# Python's zipfile only reads it. The password is an argument of this test tool only; Sanso itself
# takes passwords on stdin or a form, never on a command line.
#   scripts/ppap_zip.py FILE OUT.zip PASSWORD [MEMBER-NAME]
import os, struct, sys, zlib
data, out, password = open(sys.argv[1], 'rb').read(), sys.argv[2], sys.argv[3].encode()
def crc_byte(crc, b): return zlib.crc32(bytes([b]), crc ^ 0xffffffff) ^ 0xffffffff
keys = [0x12345678, 0x23456789, 0x34567890]
def update(c):
    keys[0] = crc_byte(keys[0], c)
    keys[1] = ((keys[1] + (keys[0] & 0xff)) * 134775813 + 1) & 0xffffffff
    keys[2] = crc_byte(keys[2], keys[1] >> 24)
def encrypt(plain):
    out = bytearray()
    for p in plain:
        t = (keys[2] | 2) & 0xffff
        out.append(p ^ (((t * (t ^ 1)) >> 8) & 0xff))
        update(p)
    return bytes(out)
for c in password: update(c)
crc = zlib.crc32(data)
body = encrypt(os.urandom(11) + bytes([crc >> 24]) + data)
name = (sys.argv[4] if len(sys.argv) > 4 else os.path.basename(sys.argv[1])).encode()
local = struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0x0801, 0, 0, 0x21, crc, len(body), len(data), len(name), 0) + name + body
central = struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 20, 20, 0x0801, 0, 0, 0x21, crc, len(body), len(data), len(name), 0, 0, 0, 0, 0, 0) + name
end = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 1, 1, len(central), len(local), 0)
open(out, 'wb').write(local + central + end)
