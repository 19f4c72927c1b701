"""A 50 MB message goes through cleanup with its memory bounded.

master runs cleanup (chrooted as root); test/helpers/cleanup_send streams a
50 MB message to it. Asserted: 250 and a queue file whose content is the
message byte for byte (SHA-256), and the cleanup worker's peak resident
memory (VmHWM in /proc/PID/status) stays below 30 MB.
"""
import hashlib
import os
import time

from posthorn_test import expect, proc_status
from cleanup_util import dump, incoming, instance, send

SIZE = 50 * 1024 * 1024
LIMIT_KB = 30 * 1024


def message():
    head = (b"Message-ID: <big@example.com>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
            b"Subject: fifty megabytes\n\n")
    line = b"".join(bytes([33 + (i * 7) % 90]) for i in range(76)) + b"\n"
    body = bytearray()
    n = 0
    while len(head) + len(body) < SIZE:
        body += b"%08d " % n + line
        n += 1
    return head + bytes(body)


def main():
    data = message()
    with instance("cleanup_big", message_size_limit=str(SIZE + 1024 * 1024)) as inst:
        inst.start()
        start = time.monotonic()
        rc, qid, reply, err = send(inst, data, "s@example.com", ["a@example.org"], timeout=120)
        elapsed = time.monotonic() - start
        expect(rc == 0 and reply == f"250 2.0.0 Ok: queued as {qid}",
               f"a {len(data)}-byte message is queued in {elapsed:.1f} s: {reply} {err}")
        workers = inst.workers_named("cleanup")
        expect(len(workers) == 1, f"one cleanup worker served it: {workers}")
        hwm = proc_status(workers[0])["VmHWM"]
        kb = int(hwm.split()[0])
        expect(kb < LIMIT_KB, f"cleanup's peak memory is {kb} kB (< {LIMIT_KB} kB)")
        expect(incoming(inst) == [qid], "one queue file, no temporary file")
        content = dump(os.path.join(inst.queue_dir, "incoming", qid))[3]
        expect(hashlib.sha256(content).digest() == hashlib.sha256(data).digest(),
               "the queued content is the message byte for byte")
        inst.stop()
    print("PASS")


if __name__ == "__main__":
    main()
