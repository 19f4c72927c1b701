"""imapd_durability - kill -9 of imapd during an APPEND and during an EXPUNGE.

300 messages are delivered; a session records every UID, its Subject and
UIDVALIDITY. Then the mailbox stage serving a session (the "imapd mailbox"
process; every imapd worker if there is none such) is killed with SIGKILL:
halfway through a 30 MB APPEND literal, right after the last byte of
another APPEND, and while it expunges 200 messages. After each kill a new
session must see every message either there exactly once, with its UID and
Subject unchanged, or expunged (and only the ones marked \\Deleted), the
same UIDVALIDITY, a UIDNEXT that never goes back, and exactly one file on
disk per message.
"""
import os
import re
import signal
import sys
import time

from posthorn_test import cmdline, expect, passed, pid_alive, wait_for
import imapd_util

COUNT = 300


def message(i):
    return f"From: bob@example.org\nTo: alice@example.com\nSubject: m{i}\n\nbody {i}\n".encode()


def snapshot(p):
    """(UIDVALIDITY, UIDNEXT, [(uid, subject, flags)]) as a new session sees INBOX."""
    r = p.raw(login=True)
    sel = r.command("s1 SELECT INBOX")
    expect(sel[-1].startswith(b"s1 OK"), f"SELECT after a kill: {sel[-1]!r}")
    text = b"\n".join(sel)
    validity = int(re.search(rb"\[UIDVALIDITY (\d+)\]", text).group(1))
    uidnext = int(re.search(rb"\[UIDNEXT (\d+)\]", text).group(1))
    exists = int(re.search(rb"\* (\d+) EXISTS", text).group(1))
    got = r.command("s2 FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])") if exists else [b"s2 OK"]
    expect(got[-1].startswith(b"s2 OK"), f"FETCH 1:* after a kill: {got[-1]!r}")
    messages = []
    for line in got[:-1]:
        uid = re.search(rb"UID (\d+)", line)
        flags = re.search(rb"FLAGS \(([^)]*)\)", line)
        subject = re.search(rb"Subject: ([^\r\n]*)", line)
        if uid and subject:
            flags = set(flags.group(1).decode().split()) - {"\\Recent"} if flags else set()
            messages.append((int(uid.group(1)), subject.group(1).decode(), flags))
    expect(len(messages) == exists, f"FETCH 1:* gave {len(messages)} messages, EXISTS {exists}")
    r.command("s3 LOGOUT")
    r.close()
    return validity, uidnext, messages


def kill_mailbox_stage(p):
    """SIGKILL to the mailbox stage(s) (or every imapd worker); waits until they are gone."""
    pids = p.mailbox_stage_pids() or p.imapd_pids()
    expect(pids, "an imapd process to kill: " + ", ".join(f"{pid} {' '.join(cmdline(pid))}" for pid in pids))
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not any(pid_alive(pid) for pid in pids), 10, what="the killed imapd to go")
    return pids


def check_after(p, validity, uidnext, before, what, expunged_ok=frozenset(), appended=None):
    """Every message of `before` (uid -> subject) is there once unchanged,
    or was in expunged_ok and is gone; `appended` (data) may have been added."""
    v, n, now = snapshot(p)
    expect(v == validity, f"{what}: UIDVALIDITY {v}, was {validity}")
    expect(n >= uidnext, f"{what}: UIDNEXT {n} did not go back from {uidnext}")
    uids = [u for u, _, _ in now]
    expect(len(uids) == len(set(uids)), f"{what}: no UID shows twice")
    subjects = [s for _, s, _ in now]
    expect(len(subjects) == len(set(subjects)), f"{what}: no message shows twice")
    seen = {u: s for u, s, _ in now}
    changed = [(u, s, seen[u]) for u, s in before.items() if u in seen and seen[u] != s]
    lost = [(u, s) for u, s in before.items() if u not in seen and u not in expunged_ok]
    expect(not changed, f"{what}: every UID keeps its message (changed: {changed[:5]})")
    expect(not lost, f"{what}: no message lost (lost: {lost[:5]})")
    extra = [(u, s) for u, s, _ in now if u not in before]
    expect(len(extra) <= (1 if appended else 0) and all(u >= uidnext for u, _ in extra),
           f"{what}: no unexpected messages {extra}")
    files = p.files()
    expect(len(files) == len(now), f"{what}: {len(files)} files on disk for {len(now)} messages")
    return v, n, now, extra


def big(i, size):
    head = f"From: alice@example.com\r\nSubject: big {i}\r\n\r\n".encode()
    return head + b"y" * (size - len(head) - 2) + b"\r\n"


def main():
    with imapd_util.Imap("imapd-durability") as p:
        for i in range(COUNT):
            p.deliver(message(i))
        p.start()
        validity, uidnext, msgs = snapshot(p)
        expect(len(msgs) == COUNT, f"{COUNT} messages to start with")
        before = {u: s for u, s, _ in msgs}

        # kill -9 halfway through a 30 MB APPEND literal.
        data = big(1, 30 * 1024 * 1024)
        r = p.raw(login=True)
        r.send(f"a1 APPEND INBOX {{{len(data)}}}\r\n")
        expect(r.line().startswith(b"+"), "continuation for the APPEND")
        r.send(data[:len(data) // 2])
        time.sleep(0.3)
        kill_mailbox_stage(p)
        r.close()
        validity, uidnext, now, extra = check_after(p, validity, uidnext, before, "kill during APPEND")
        expect(not extra, f"nothing of the cut APPEND was stored: {extra}")
        passed("kill -9 in the middle of an APPEND: nothing lost, nothing half-stored, UIDs kept")

        # kill -9 right after the last byte of an APPEND: stored once or not at all.
        data = big(2, 2 * 1024 * 1024)
        r = p.raw(login=True)
        r.send(f"a2 APPEND INBOX {{{len(data)}}}\r\n")
        expect(r.line().startswith(b"+"), "continuation for the APPEND")
        r.send(data + b"\r\n")
        kill_mailbox_stage(p)
        r.close()
        validity, uidnext2, now, extra = check_after(p, validity, uidnext, before, "kill after an APPEND",
                                                     appended=data)
        if extra:
            r = p.raw(login=True)
            r.command("b0 SELECT INBOX")
            got = r.command(f"b1 UID FETCH {extra[0][0]} (BODY.PEEK[])")
            expect(got[0].endswith(data + b")"), "the APPEND that made it is whole")
            r.close()
            before[extra[0][0]] = extra[0][1]
        uidnext = uidnext2
        passed(f"kill -9 just after an APPEND: stored {'once' if extra else 'not at all'}, nothing lost")

        # kill -9 while 200 messages are expunged.
        r = p.raw(login=True)
        got = r.command("c1 SELECT INBOX")
        expect(got[-1].startswith(b"c1 OK"), f"SELECT: {got[-1]!r}")
        got = r.command("c2 STORE 1:200 +FLAGS.SILENT (\\Deleted)")
        expect(got[-1].startswith(b"c2 OK"), f"STORE 1:200 \\Deleted: {got[-1]!r}")
        deleted = {u for u, _, _ in now[:200]}
        r.send(b"c3 EXPUNGE\r\n")
        time.sleep(0.005)  # let it start; the kill may land before, during or after
        kill_mailbox_stage(p)
        r.close()
        validity, uidnext, now, _ = check_after(p, validity, uidnext, before, "kill during EXPUNGE",
                                                expunged_ok=deleted)
        for u, s, flags in now:
            if u in deleted:
                expect("\\Deleted" in flags, f"UID {u} left by the cut EXPUNGE keeps \\Deleted")
        kept = [u for u, _, _ in now if u not in deleted]
        expect(len(kept) == len(before) - 200, f"every message not marked \\Deleted is there ({len(kept)})")
        print(f"{len([u for u, _, _ in now if u in deleted])} of 200 were left when imapd died")
        # Finishing the EXPUNGE leaves exactly the others.
        r = p.raw(login=True)
        r.command("d1 SELECT INBOX")
        got = r.command("d2 EXPUNGE")
        expect(got[-1].startswith(b"d2 OK"), f"EXPUNGE again: {got[-1]!r}")
        r.command("d3 LOGOUT")
        r.close()
        _, _, now, _ = check_after(p, validity, uidnext, before, "after the second EXPUNGE",
                                   expunged_ok=deleted)
        expect(sorted(u for u, _, _ in now) == sorted(kept), "exactly the unmarked messages remain")
        passed("kill -9 during an EXPUNGE of 200: each message there once or expunged, UIDs kept")
    return 0


if __name__ == "__main__":
    sys.exit(main())
