#!/usr/bin/env python3
"""The size of each async function's frame in a binary, from its async function pointer.

Each async Swift function has an "async function pointer" (a symbol ending in `Tu`): a relative
offset to its code and the size of the context (frame) its caller allocates from the task's
allocator for the whole call. Frames of the functions suspended in a job stay allocated while it
waits on the network, so their sizes add to the memory of every job in flight.

    scripts/async_frames.py .build/release/ragserve 'RAGPipeline|OpenAIChat|CurlHTTPClient'
"""
import re
import struct
import subprocess
import sys


def main():
    binary, pattern = sys.argv[1], re.compile(sys.argv[2] if len(sys.argv) > 2 else ".")
    sections = []
    for line in subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True).stdout.splitlines():
        match = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if match:
            sections.append((int(match.group(2), 16), int(match.group(3), 16), int(match.group(4), 16)))
    data = open(binary, "rb").read()
    rows = []
    for line in subprocess.run(["nm", binary], capture_output=True, text=True).stdout.splitlines():
        parts = line.split()
        if len(parts) != 3 or not parts[2].endswith("Tu") or not pattern.search(parts[2]):
            continue
        address = int(parts[0], 16)
        for start, offset, size in sections:
            if offset and start <= address < start + size:
                _, context = struct.unpack("<iI", data[offset + address - start : offset + address - start + 8])
                rows.append((context, parts[2]))
                break
    names = subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(n for _, n in rows), capture_output=True, text=True).stdout.splitlines()
    for (context, _), name in sorted(zip(rows, names), reverse=True):
        print(f"{context:>7}  {name.replace('async function pointer to ', '')[:150]}")


if __name__ == "__main__":
    main()
