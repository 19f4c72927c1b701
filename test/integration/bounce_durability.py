"""bounce_durability - kill -9 of qmgr around bounce time loses no DSN.

1. Pinned: the bounce service is stopped (SIGSTOP) so that qmgr, having
   recorded a recipient as failed, waits for its DSN; then qmgr and the
   bounce process are killed (-9). The new qmgr finds the failed recipient
   without a record of its DSN and has it sent: exactly one DSN arrives,
   and the queue empties.
2. Under load: 40 messages that each fail, while qmgr is killed every
   0.3 s (it comes back after master's 1 s throttle). Every message gets its DSN (at least one: none lost), duplicates
   are at most one per kill (a kill between "cleanup queued the DSN" and
   "qmgr recorded it"), and the queue and bounce/ are empty at the end.
"""
import os
import signal
import threading
import time

from posthorn_test import expect, passed, wait_for
from bounce_util import BounceBox, sender_address
from inbound_util import VIRTUAL_USER


def pids_of(inst, program):
    out = []
    for pid in inst.workers():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv0 = f.read().split(b"\0")[0].decode()
        except OSError:
            continue
        if os.path.basename(argv0) == program:
            out.append(pid)
    return out


def kill(pids, sig=signal.SIGKILL):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def main():
    conf = {"service_throttle_time": "1s"}
    with BounceBox("bounce_durability", conf=conf, aliases='permfail: "|exit 1"\n') as box:
        inst = box.inst
        # master starts qmgr on demand (a trigger or its wakeup): a 5 s
        # wakeup instead of 60 brings a killed qmgr back soon anyway.
        path = os.path.join(inst.config_dir, "master.conf")
        with open(path) as f:
            services = f.read()
        expect(" 60 1 qmgr" in services, "qmgr's wakeup is in the master.conf")
        with open(path, "w") as f:
            f.write(services.replace(" 60 1 qmgr", " 5 1 qmgr"))
        box.start()
        me = sender_address()

        # 1. Pinned: qmgr dies while the DSN is owed.
        q0 = box.send(me, ["permfail@localhost"], b"Subject: warm up\r\n\r\nx\r\n")
        box.wait_dsn(q0)
        bounces = pids_of(inst, "bounce")
        expect(bounces, "a bounce process is running")
        kill(bounces, signal.SIGSTOP)
        offset = inst.log_size()
        q1 = box.send(me, ["permfail@localhost"], b"Subject: pinned\r\n\r\nx\r\n")
        inst.wait_for_log(q1 + r": to=<permfail@localhost>.*status=bounced", 15, offset)
        time.sleep(0.3)  # qmgr records the failure, asks for the DSN, waits
        expect(os.path.exists(os.path.join(inst.queue_dir, "active", q1)),
               "the message waits in active/ for its DSN")
        qmgrs = pids_of(inst, "qmgr")
        expect(len(qmgrs) == 1, f"one qmgr: {qmgrs}")
        kill(qmgrs)
        kill(bounces)
        kill(bounces, signal.SIGCONT)
        # The new qmgr resumes active/ at start; a new message wakes it.
        time.sleep(1.2)  # master's throttle after the kill
        box.send(me, [VIRTUAL_USER], b"Subject: nudge\r\n\r\nx\r\n")
        wait_for(lambda: pids_of(inst, "qmgr") and pids_of(inst, "qmgr") != qmgrs, 15,
                 what="a new qmgr")
        box.wait_dsn(q1, timeout=20)
        box.wait_removed(q1)
        time.sleep(1)
        expect(len(box.dsns_about(q1)) == 1, "exactly one DSN after the kill")
        passed("pinned kill: the owed DSN was sent once")

        # 2. Under load.
        stop = threading.Event()
        kills = []

        def killer():
            while not stop.is_set():
                time.sleep(0.3)
                p = pids_of(inst, "qmgr")
                if p:
                    kill(p)
                    kills.append(p[0])

        ids = []
        t = threading.Thread(target=killer)
        t.start()
        try:
            for i in range(40):
                ids.append(box.send(me, ["permfail@localhost"],
                                    f"Subject: load {i}\r\n\r\nx\r\n".encode()))
                time.sleep(0.1)
        finally:
            stop.set()
            t.join()
        print(f"{len(kills)} kills of qmgr")
        expect(len(kills) >= 2, f"qmgr was killed {len(kills)} times")

        box.send(me, [VIRTUAL_USER], b"Subject: nudge\r\n\r\nx\r\n")

        def all_notified():
            return all(box.dsns_about(q) for q in ids)
        # A new qmgr resumes active/; deferred/ waits for queue_run_delay (1 s).
        wait_for(all_notified, 60, what="a DSN about every message")
        box.wait_queue_empty(30)
        counts = [len(box.dsns_about(q)) for q in ids]
        dups = sum(c - 1 for c in counts)
        expect(dups <= len(kills), f"{dups} duplicate DSNs <= {len(kills)} kills")
        left = os.listdir(os.path.join(inst.queue_dir, "bounce"))
        expect(not left, f"no DSN records left in bounce/: {left}")
        print("ok: bounce durability")


if __name__ == "__main__":
    main()
