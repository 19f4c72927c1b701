"""inbound_durability - kill -9 of smtpd, cleanup, qmgr and local under load
loses no accepted message.

A python3 client sends 2,000 numbered messages (X-Seq: header) to the
virtual user over 4 concurrent connections (at most 200 a second, so the
load lasts 10 s or more), records which got 250 for the
final dot, and reconnects after a dropped connection; no number is sent
twice. Meanwhile a killer thread kill -9s a live smtpd, cleanup, qmgr or
local worker at progress points drawn from a random seed, several times
each; master restarts them (its throttle after an abnormal exit is capped
at 1 s here). One more message after the load wakes qmgr
(and qmgr's wakeup is 5 s here instead of 60). When the queue is empty:
every message that got 250 is in the Maildir, copies delivered twice are
at most kills(local) + kills(qmgr), nothing is left in the queue (apart from
temporary files of killed cleanups, at most one per cleanup kill), nothing
in corrupt/, and at most one file per local kill in Maildir/tmp.

The seed is printed; POSTHORN_DURABILITY_SEED=N reproduces a kill plan
(timing still varies). POSTHORN_DURABILITY_KILLS sets the kills per program
(default 4); POSTHORN_DURABILITY_PROGRAMS=smtpd,local (say) kills only those.
Runs as root (chroot, privilege drop) and as an ordinary user.
"""
import collections
import os
import random
import re
import time

from posthorn_test import expect, wait_for
from inbound_util import Inbound, SERVICES, VIRTUAL_USER
from durability_util import Killer, LoadClient, maildir_seqs

MESSAGES = 2000
CONNECTIONS = 4
LOAD_SECONDS = 10
ALL_PROGRAMS = ("smtpd", "cleanup", "qmgr", "local")
SENDER = "durability@example.org"


def queue_listing(queue_dir):
    """(queue files, cleanup temporary files) in incoming, active, deferred, hold."""
    files, temps = [], []
    for d in ("incoming", "active", "deferred", "hold"):
        try:
            names = os.listdir(os.path.join(queue_dir, d))
        except FileNotFoundError:
            continue
        for n in names:
            (temps if n.startswith(".") and n.endswith(".tmp") else files).append(f"{d}/{n}")
    return files, temps


def main():
    seed = int(os.environ.get("POSTHORN_DURABILITY_SEED") or random.SystemRandom().randrange(10**9))
    per_program = int(os.environ.get("POSTHORN_DURABILITY_KILLS") or 4)
    programs = tuple(os.environ.get("POSTHORN_DURABILITY_PROGRAMS", "").split(",")) \
        if os.environ.get("POSTHORN_DURABILITY_PROGRAMS") else ALL_PROGRAMS
    unknown = set(programs) - set(ALL_PROGRAMS)
    if unknown:
        raise SystemExit(f"POSTHORN_DURABILITY_PROGRAMS: unknown program(s) {sorted(unknown)}; "
                         f"choose from {','.join(ALL_PROGRAMS)}")
    print(f"seed {seed} (reproduce with POSTHORN_DURABILITY_SEED={seed}), "
          f"{per_program} kills per program of {','.join(programs)}", flush=True)
    # master throttles a service after each abnormal exit, doubling up to
    # service_throttle_time: capped at 1 s so that a killed qmgr is back
    # (and can be killed again) within the few seconds of the load.
    with Inbound("inbound_durability", conf={"service_throttle_time": "1s"}) as box:
        inst = box.inst
        services = SERVICES.format(port=box.port)
        expect(" 60 1 qmgr" in services, "qmgr's wakeup is in inbound_util's master.conf")
        inst.write_master_conf(services.replace(" 60 1 qmgr", " 5 1 qmgr"))
        box.start()

        # At most 200 messages a second: the load lasts 10 s or more, time
        # for a killed qmgr to come back (1 s throttle) and be killed again.
        client = LoadClient(box.port, SENDER, VIRTUAL_USER, 1, MESSAGES, CONNECTIONS, seed,
                            duration=LOAD_SECONDS)
        killer = Killer(inst.master_pid, programs, per_program, MESSAGES // 20,
                        MESSAGES - MESSAGES // 20, lambda: client.done, seed)
        started = time.monotonic()
        killer.start()
        try:
            client.run()
        finally:
            killer.stop()
        load_time = time.monotonic() - started
        expect(killer.error is None, f"the killer thread ran without error ({killer.error})")
        print("kills (progress, program, pid):", killer.log)

        # One more message: cleanup triggers qmgr, which resumes active/.
        final = LoadClient(box.port, SENDER, VIRTUAL_USER, MESSAGES + 1, MESSAGES + 1, 1, seed)
        final.run()
        expect(final.accepted == {MESSAGES + 1},
               f"a message after the load is accepted: {final.refused}")

        def drained():
            files, _ = queue_listing(inst.queue_dir)
            return not files
        try:
            wait_for(drained, 180, 0.2, what="the queue to empty")
        finally:
            files, temps = queue_listing(inst.queue_dir)
            print(f"queue after the load: {len(files)} files {files[:5]}, "
                  f"{len(temps)} cleanup temporaries {temps[:5]}")
        drain_time = time.monotonic() - started

        maildir = os.path.join(box.vhome, "Maildir")
        copies, unnumbered = maildir_seqs(maildir)
        accepted = client.accepted | final.accepted
        delivered = set(copies)
        lost = sorted(accepted - delivered)
        duplicates = {seq: n for seq, n in copies.items() if n > 1}
        extra_copies = sum(n - 1 for n in duplicates.values())
        unaccepted_delivered = sorted(delivered - accepted)
        tmp_left = os.listdir(os.path.join(maildir, "tmp"))
        corrupt = os.listdir(os.path.join(inst.queue_dir, "corrupt")) \
            if os.path.isdir(os.path.join(inst.queue_dir, "corrupt")) else []
        refusals = collections.Counter(re.sub(r"[0-9a-fA-F]{6,}|\d+", "N", str(w))[:60]
                                       for w in client.refused.values())
        print(f"figures: seed={seed} sent={MESSAGES + 1} got250={len(accepted)} "
              f"delivered={len(delivered)} duplicates={extra_copies} "
              f"delivered_without_250={len(unaccepted_delivered)} lost={len(lost)} "
              f"kills={dict(killer.kills)} missed={dict(killer.missed)} "
              f"connects={client.connects} drops={client.drops} timeouts={client.timeouts} "
              f"maildir_tmp={len(tmp_left)} cleanup_temps={len(temps)} "
              f"load={load_time:.1f}s drained={drain_time:.1f}s")
        print("not accepted, by reply:", dict(refusals))
        warnings = collections.Counter()
        for line in inst.log_lines():
            m = re.search(r"posthorn/(\w+)\[\d+\]: (warning|error|fatal|panic): (.*)", line)
            if m:
                text = re.sub(r"\b(pid )?\d+\b", "N", m.group(3))
                warnings[f"{m.group(1)}: {m.group(2)}: {text[:90]}"] += 1
        print("log warnings:")
        for text, n in warnings.most_common(20):
            print(f"  {n:5d} {text}")

        for p in programs:
            expect(killer.kills[p] >= min(3, per_program),
                   f"{p} was killed {killer.kills[p]} times (missed {killer.missed[p]})")
        expect(len(accepted) >= MESSAGES // 2,
               f"most messages got 250 ({len(accepted)} of {MESSAGES + 1})")
        expect(not lost, f"every message that got 250 was delivered (lost: {lost[:20]})")
        expect(not unnumbered, f"every Maildir file is one of ours ({unnumbered[:3]})")
        allowed = killer.kills["local"] + killer.kills["qmgr"]
        expect(extra_copies <= allowed,
               f"{extra_copies} duplicate copies <= kills(local) + kills(qmgr) = {allowed} "
               f"({dict(list(duplicates.items())[:10])})")
        expect(not files, f"no queue files left: {files[:5]}")
        expect(len(temps) <= killer.kills["cleanup"],
               f"{len(temps)} cleanup temporary files <= kills(cleanup) = "
               f"{killer.kills['cleanup']}")
        expect(not corrupt, f"nothing in corrupt/: {corrupt[:5]}")
        expect(len(tmp_left) <= killer.kills["local"],
               f"{len(tmp_left)} files in Maildir/tmp <= kills(local) = "
               f"{killer.kills['local']} {tmp_left[:3]}")
        print("ok: inbound durability")


if __name__ == "__main__":
    main()
