"""imapd_sessions - two sessions on one INBOX see each other's changes, and IDLE.

A STORE in one session comes to the other as an untagged FETCH at its
next NOOP, an EXPUNGE as "* N EXPUNGE" (and the numbers shift); a message
delivered by `posthorn mailbox deliver` comes as "* N EXISTS" at the next
NOOP (and "* N RECENT" never counts more messages than EXISTS). While the
other session IDLEs, a delivery brings "* N EXISTS", a STORE an untagged
FETCH and an EXPUNGE "* N EXPUNGE", each within 30 s (the test fails
after that); DONE ends the IDLE with a tagged OK.
"""
import re
import socket
import sys
import time

from posthorn_test import expect, passed
import imapd_util

WAIT = 30.0


def message(i):
    return f"From: bob@example.org\nTo: alice@example.com\nSubject: m{i}\n\nbody {i}\n".encode()


def wait_response(r, pattern, what, timeout=WAIT):
    """Reads responses until one matches pattern (bytes regex); fails after
    timeout seconds. Returns (the match, seconds waited, responses seen)."""
    start = time.monotonic()
    seen = []
    while True:
        left = start + timeout - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {what} within {timeout:g} s; got {seen}")
        r.s.settimeout(left)
        try:
            resp = r.response()
        except (socket.timeout, TimeoutError):
            raise AssertionError(f"no {what} within {timeout:g} s; got {seen}")
        seen.append(resp)
        m = re.match(pattern, resp)
        if m:
            return m, time.monotonic() - start, seen


def uid_of(r, tag, n):
    got = r.command(f"{tag} FETCH {n} (UID)")
    m = re.search(rb"\* %d FETCH \(UID (\d+)\)" % n, b"\n".join(got))
    expect(m is not None and got[-1].startswith(tag.encode() + b" OK"), f"FETCH {n} (UID): {got}")
    return int(m.group(1))


def main():
    with imapd_util.Imap("imapd-sessions") as p:
        for i in range(3):
            p.deliver(message(i))
        p.start()
        a = p.raw(login=True)
        b = p.raw(login=True)
        for r, tag in ((a, "a0"), (b, "b0")):
            sel = r.command(f"{tag} SELECT INBOX")
            expect(b"* 3 EXISTS" in sel and sel[-1].startswith(tag.encode() + b" OK"), f"SELECT: {sel}")
        uid3 = uid_of(b, "b00", 3)

        # STORE in a: an untagged FETCH in b at its next command.
        got = a.command("a1 STORE 1 +FLAGS (\\Flagged)")
        expect(got[-1].startswith(b"a1 OK"), f"STORE in a: {got}")
        got = b.command("b1 NOOP")
        fetch = [l for l in got if re.match(rb"\* 1 FETCH \(.*FLAGS \([^)]*\\Flagged", l)]
        expect(fetch and got[-1].startswith(b"b1 OK"), f"b's NOOP after a's STORE: {got}")
        # EXPUNGE in a: "* 2 EXPUNGE" in b at its next command.
        got = a.command("a2 STORE 2 +FLAGS.SILENT (\\Deleted)")
        expect(got[-1].startswith(b"a2 OK"), f"STORE \\Deleted in a: {got}")
        got = a.command("a3 EXPUNGE")
        expect(b"* 2 EXPUNGE" in got and got[-1].startswith(b"a3 OK"), f"EXPUNGE in a: {got}")
        got = b.command("b2 NOOP")
        expect(b"* 2 EXPUNGE" in got and got[-1].startswith(b"b2 OK"), f"b's NOOP after a's EXPUNGE: {got}")
        expect(uid_of(b, "b3", 2) == uid3, "in b, message 2 is now the one that was 3")
        # A delivery: "* 3 EXISTS" in both at their next command.
        p.deliver(message(3))
        for r, tag in ((a, "a4"), (b, "b4")):
            got = r.command(f"{tag} NOOP")
            expect(b"* 3 EXISTS" in got and got[-1].startswith(tag.encode() + b" OK"),
                   f"NOOP after a delivery: {got}")
            recent = [int(l.split()[1]) for l in got if re.match(rb"\* \d+ RECENT$", l)]
            expect(all(n <= 3 for n in recent), f"RECENT never counts more than EXISTS: {got}")
        # \Recent belongs to one session only (RFC 3501 2.3.2): a, which
        # saw the delivery first.
        flags = {}
        for r, tag in ((a, "a4r"), (b, "b4r")):
            got = r.command(f"{tag} FETCH 3 (FLAGS)")
            expect(got[-1].startswith(tag.encode() + b" OK"), f"FETCH 3 (FLAGS): {got}")
            flags[tag] = b"\n".join(got)
        expect(b"\\Recent" in flags["a4r"] and b"\\Recent" not in flags["b4r"],
               f"only the first session sees the new message as \\Recent: {flags}")
        passed("STORE, EXPUNGE and a delivery reach the other session at its next command")

        # IDLE in b.
        b.send(b"b5 IDLE\r\n")
        cont = b.line()
        expect(cont.startswith(b"+"), f"IDLE continuation: {cont!r}")
        p.deliver(message(4))
        m, waited, _ = wait_response(b, rb"\* (\d+) EXISTS$", "* N EXISTS during IDLE")
        expect(int(m.group(1)) == 4, f"EXISTS during IDLE: {m.group(0)!r}")
        print(f"delivery to IDLE notification: {waited * 1000:.0f} ms")
        got = a.command("a6 STORE 3 +FLAGS (\\Answered)")
        expect(got[-1].startswith(b"a6 OK"), f"STORE in a while b idles: {got}")
        wait_response(b, rb"\* 3 FETCH \(.*FLAGS \(.*\\Answered", "untagged FETCH during IDLE")
        passed("a STORE in a reaches b during IDLE")
        got = a.command("a7 STORE 1 +FLAGS.SILENT (\\Deleted)")
        got += a.command("a8 EXPUNGE")
        expect(b"* 1 EXPUNGE" in got and got[-1].startswith(b"a8 OK"), f"EXPUNGE in a: {got}")
        wait_response(b, rb"\* 1 EXPUNGE$", "* 1 EXPUNGE during IDLE")
        passed("an EXPUNGE in a reaches b during IDLE")
        b.send(b"DONE\r\n")
        m, _, seen = wait_response(b, rb"b5 (OK|NO|BAD)", "IDLE's tagged response", timeout=10)
        expect(m.group(1) == b"OK", f"DONE ends IDLE with a tagged OK: {seen}")
        got = b.command("b6 NOOP")
        expect(got[-1].startswith(b"b6 OK"), f"NOOP after IDLE: {got}")
        got = b.command("b7 FETCH 1:* (UID)")
        expect(len([l for l in got if l.startswith(b"* ")]) == 3, f"b sees 3 messages: {got}")
        passed("IDLE: a delivery brings * N EXISTS, DONE ends it with a tagged OK")
        for r, tag in ((a, "a9"), (b, "b9")):
            got = r.command(f"{tag} LOGOUT")
            expect(got[-1].startswith(tag.encode() + b" OK"), f"LOGOUT: {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
