"""qmgr_concurrency - the per-destination concurrency limit.

local_destination_concurrency_limit = 2: eight messages for an alias
whose command takes 0.6 s are delivered two at a time, never more (and
not one at a time either), though qmgr has more delivery threads and
master would start more local processes. Each run of the command
records its start and end times; the test computes the largest overlap.
"""
import os

from posthorn_test import expect, scratch_dir, wait_for
from bounce_util import BounceBox, sender_address


def max_overlap(intervals):
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals],
                    key=lambda x: (x[0], x[1]))
    best = cur = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


def main():
    with scratch_dir("qmgr_concurrency", 0o1777) as side:
        run(side)


def run(side):
    cmd = (f"s=$(date +%s.%N); cat >/dev/null; sleep 0.6; "
           f"echo $s $(date +%s.%N) > {side}/iv.$$")
    aliases = f'slow: "|/bin/sh -c \'{cmd}\'"\n'
    conf = {"local_destination_concurrency_limit": "2", "qmgr_delivery_threads": "10"}
    with BounceBox("qmgr_concurrency", conf=conf, aliases=aliases) as box:
        box.start()
        me = sender_address()
        ids = [box.send(me, ["slow@localhost"], f"Subject: {i}\r\n\r\nx\r\n".encode())
               for i in range(8)]
        for q in ids:
            box.wait_removed(q, timeout=30)
        files = [f for f in os.listdir(side) if f.startswith("iv.")]
        expect(len(files) == 8, f"eight deliveries: {files}")
        intervals = []
        for name in files:
            with open(os.path.join(side, name)) as f:
                start, end = (float(x) for x in f.read().split())
            intervals.append((start, end))
        peak = max_overlap(intervals)
        expect(peak == 2, f"at most 2 deliveries at once to local, and 2 reached: {peak}")
        print("ok: per-destination concurrency")


if __name__ == "__main__":
    main()
