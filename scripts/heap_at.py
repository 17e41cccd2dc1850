#!/usr/bin/env python3
"""What a process's heap holds at one moment of a heaptrack trace, by allocation site.

heaptrack_print reports each site's own peak, at whatever moment that site peaked, so its figures
do not add up to what the process held at any one time (bursts of different stages peak at
different moments). This replays the trace's allocations and frees up to one event and sums what
is still live there, grouped by the first frame of this project's code.

    heaptrack_interpret < raw | gzip > trace.gz       # raw: DUMP_HEAPTRACK_OUTPUT of the process
    scripts/heap_at.py trace.gz --series               # live bytes every 25,000 events: find a plateau
    scripts/heap_at.py trace.gz --at 975000            # the sites holding memory at that event

docs/benchmarks.md ("Memory per job in flight") shows how the worker of `ragsim bench-worker` is
traced and what it held.
"""
import argparse
import collections
import gzip


def read(path):
    strings, ips, traces, allocs, events = [None], [None], [(0, 0)], [], []
    with gzip.open(path, "rt", errors="replace") as trace:
        for line in trace:
            kind = line[:1]
            if kind in "+-":
                events.append((kind == "+", int(line[2:], 16)))
            elif kind == "a":
                _, size, site = line.split()
                allocs.append((int(size, 16), int(site, 16)))
            elif kind == "s":
                parts = line.rstrip("\n").split(" ", 2)
                strings.append(parts[2] if len(parts) > 2 else "")
            elif kind == "t":
                _, ip, parent = line.split()
                traces.append((int(ip, 16), int(parent, 16)))
            elif kind == "i":
                parts = line.split()
                ips.append(int(parts[3], 16) if len(parts) > 3 else 0)
    return strings, ips, traces, allocs, events


def frames(trace, strings, ips, traces, limit=40):
    names = []
    while trace and len(names) < limit:
        ip, trace = traces[trace]
        function = ips[ip] if ip < len(ips) else 0
        names.append(strings[function] if 0 < function < len(strings) else "?")
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("trace")
    parser.add_argument("--at", type=int, help="the event to look at (default: the highest live total)")
    parser.add_argument("--series", action="store_true", help="print live bytes every 25,000 events and stop")
    parser.add_argument("--top", type=int, default=30)
    arguments = parser.parse_args()
    strings, ips, traces, allocs, events = read(arguments.trace)

    live, peak, peak_at = 0, 0, 0
    for number, (allocated, index) in enumerate(events):
        live += allocs[index][0] if allocated else -allocs[index][0]
        if arguments.series and number % 25000 == 0:
            print(f"{number:>9} {live / 1e6:8.1f} MB")
        if live > peak:
            peak, peak_at = live, number
    if arguments.series:
        return
    at = peak_at if arguments.at is None else arguments.at

    counts = collections.Counter()
    for allocated, index in events[: at + 1]:
        counts[index] += 1 if allocated else -1
    held, calls = collections.Counter(), collections.Counter()
    for index, count in counts.items():
        if count > 0:
            size, trace = allocs[index]
            names = frames(trace, strings, ips, traces)
            # The allocator's frame, then the first of ours (or of libcurl and hiredis) that led to it.
            ours = next((i for i, name in enumerate(names) if "RAGQueue" in name or "Valkey" in name or name.startswith("rq_")), None)
            if ours is None:
                ours = next((i for i, name in enumerate(names) if i > 0 and name.startswith("curl_")), 1)
            key = " <- ".join(name[:80] for name in names[max(0, ours - 1) : ours + 2])
            held[key] += size * count
            calls[key] += count
    total = sum(held.values())
    print(f"event {at} of {len(events)}: {total / 1e6:.1f} MB live")
    for key, size in held.most_common(arguments.top):
        print(f"{size / 1e6:8.2f} MB {calls[key]:>7} blocks  {key}")


if __name__ == "__main__":
    main()
