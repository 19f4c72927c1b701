"""imapd_limits - imapd's protocol edges on a raw socket, against real daemons.

A 20 MB APPEND works (the memory of every imapd process stays under
100 MB while it streams, the message comes back byte-equal with the right
literal size); a 2 GB synchronizing literal gets "NO [TOOBIG]" before any
"+" and nothing of it is held; an over-limit {N+} literal is read and
discarded and the connection goes on; mailbox names that would leave the
user's tree ("../../etc", "/etc", "a/b", "~root", "INBOX..") are refused
with NO and nothing appears outside the Maildir; garbage lines get BAD and
the session goes on; too many bad commands end it with BYE; the pre-login
timeout (imapd_login_timeout = 3s) ends a silent client with "* BYE".
"""
import os
import re
import socket
import sys
import time

from posthorn_test import expect, passed
import imapd_util
from imapd_util import untagged

MEMORY_LIMIT_KIB = 100 * 1024


def max_rss(p):
    sizes = p.rss_kib(p.imapd_pids())
    return max(sizes.values()) if sizes else 0


def big_message(size):
    line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstu\r\n"
    head = b"From: alice@example.com\r\nSubject: twenty megabytes\r\n\r\n"
    return head + line * ((size - len(head)) // len(line))


def main():
    with imapd_util.Imap("imapd-limits", conf={"imapd_login_timeout": "3s"}) as p:
        p.deliver(b"Subject: one\n\nbody\n")
        p.start()
        home_before = sorted(os.listdir(os.path.dirname(p.home)))
        top_before = sorted(os.listdir(p.inst.dir))

        # A 20 MB APPEND, its memory sampled while it streams.
        r = p.raw(login=True)
        data = big_message(20 * 1024 * 1024)
        r.send(f"A1 APPEND INBOX (\\Seen) {{{len(data)}}}\r\n")
        cont = r.line()
        expect(cont.startswith(b"+"), f"continuation for a 20 MB literal: {cont!r}")
        peak = 0
        chunk = 1 << 20
        for i in range(0, len(data), chunk):
            r.send(data[i:i + chunk])
            if i % (4 * chunk) == 0:
                peak = max(peak, max_rss(p))
        r.send(b"\r\n")
        got = r.until_tagged("A1")
        peak = max(peak, max_rss(p))
        m = re.match(rb"A1 OK \[APPENDUID (\d+) (\d+)\]", got[-1])
        expect(m is not None, f"20 MB APPEND: {got}")
        uid = int(m.group(2))
        expect(peak < MEMORY_LIMIT_KIB, f"imapd processes stayed under 100 MB during the APPEND ({peak} KiB)")
        got = r.command("A2 SELECT INBOX")
        expect(b"* 2 EXISTS" in got, f"SELECT after the APPEND: {got}")
        r.send(f"A3 UID FETCH {uid} (RFC822.SIZE BODY.PEEK[])\r\n".encode())
        header = r.line()
        m = re.search(rb"BODY\[\] \{(\d+)\}$", header)
        expect(header.startswith(b"* 2 FETCH (") and m is not None and int(m.group(1)) == len(data)
               and b"RFC822.SIZE %d" % len(data) in header,
               f"FETCH header of the 20 MB message: {header[:200]!r}, want {{{len(data)}}}")
        body = r.read(len(data))
        expect(body == data, "the 20 MB message came back byte-equal")
        rest = r.until_tagged("A3")
        expect(rest[-1].startswith(b"A3 OK"), f"FETCH end: {rest}")
        passed("a 20 MB APPEND, fetched back byte-equal")

        # A 2 GB synchronizing literal: NO [TOOBIG] before any '+'.
        r.send(b"B1 APPEND INBOX {2000000000}\r\n")
        answer = r.line()
        expect(answer.startswith(b"B1 NO [TOOBIG]"), f"2 GB literal: {answer!r}")
        rss = max_rss(p)
        expect(rss < MEMORY_LIMIT_KIB, f"imapd processes under 100 MB after the 2 GB offer ({rss} KiB)")
        got = r.command("B2 NOOP")
        expect(got[-1].startswith(b"B2 OK"), f"the connection goes on after TOOBIG: {got}")
        # {N+} over the limit (64 MiB by default): read and discarded.
        over = 70 * 1024 * 1024
        r.send(f"C1 APPEND INBOX {{{over}+}}\r\n".encode())
        piece = b"x" * (1 << 20)
        for _ in range(over // len(piece)):
            r.send(piece)
        r.send(b"\r\n")
        got = r.until_tagged("C1")
        expect(got[-1].startswith(b"C1 NO [TOOBIG]"), f"70 MB LITERAL+: {got}")
        got = r.command("C2 NOOP")
        expect(got[-1].startswith(b"C2 OK"), f"the connection goes on after a discarded {{N+}}: {got}")
        got = r.command("C3 STATUS INBOX (MESSAGES)")
        expect(b"MESSAGES 2" in b" ".join(untagged(got, b"STATUS")), f"nothing was appended: {got}")
        expect(max_rss(p) < MEMORY_LIMIT_KIB, "imapd processes under 100 MB after the discarded literal")
        passed("a 2 GB {N} refused before '+', an over-limit {N+} discarded, memory stays small")

        # Names that would leave the user's tree.
        for cmd in ('SELECT "../../etc"', "SELECT ../../etc", 'SELECT "/etc"', 'EXAMINE "/etc/passwd"',
                    'CREATE "a/b"', 'CREATE "~root"', 'SELECT "~root"', 'SELECT "INBOX.."',
                    'CREATE "INBOX.."', 'CREATE "../escape"', 'CREATE ".."', 'RENAME INBOX "../../x"',
                    'STATUS "../../etc" (MESSAGES)', 'CREATE "&AC8-etc"', 'DELETE "../Maildir"'):
            got = r.command("D " + cmd)
            expect(got[-1].startswith(b"D NO"), f"{cmd}: {got[-1]!r}")
        expect(sorted(os.listdir(os.path.dirname(p.home))) == home_before
               and sorted(os.listdir(p.inst.dir)) == top_before, "nothing made outside the Maildir")
        expect(not any(n.startswith("..") or "/" in n for n in os.listdir(p.maildir)),
               f"no odd names in the Maildir: {os.listdir(p.maildir)}")
        passed("names leaving the user's tree refused with NO")

        # Garbage gets BAD; the session goes on.
        got = r.command("E0 SELECT INBOX")
        expect(got[-1].startswith(b"E0 OK"), f"SELECT INBOX: {got}")
        for line in (b"", b"E", b"E FOOBAR", b"E SELECT", b"E FETCH 1", b"E UID", b"E FETCH x (FLAGS)",
                     b"E STORE 1 +FLAGS (\\Seen", b"E LOGIN a", b"(" * 10000, b'E "unterminated',
                     b"E FETCH 1:* (BODY[" + b"(" * 100, b"\x00\xff\xfe binary", b"E SEARCH CHARSET X-BOGUS ALL"):
            r.send(line + b"\r\n")
            got = r.response()
            while got.startswith(b"* ") and not got.startswith(b"* BAD") and not got.startswith(b"* BYE"):
                got = r.response()
            expect(re.match(rb"(E|\*) (BAD|NO)", got) is not None, f"{line[:30]!r} -> {got[:100]!r}")
        got = r.command("F NOOP")
        expect(got[-1].startswith(b"F OK"), f"the session goes on after garbage: {got}")
        passed("garbage lines get BAD (or NO), never a crash")
        # Too many bad commands: BYE and close.
        bye = None
        for i in range(200):
            try:
                r.send(b"G%d XYZZY\r\n" % i)
                while True:
                    got = r.response()
                    if got.startswith(b"* BYE"):
                        bye = got
                    if got.startswith(b"G%d " % i) or bye:
                        break
            except (EOFError, OSError):
                break
            if bye:
                break
        expect(bye is not None, f"BYE after too many bad commands (sent {i + 1})")
        expect(r.closed(), "closed after too many bad commands")
        r.close()
        passed(f"too many bad commands: BYE after {i + 1}")
        pids = p.imapd_pids()
        expect(pids, "imapd still running")

        # Pre-login timeout.
        r = p.raw()
        start = time.monotonic()
        r.s.settimeout(15)
        try:
            got = r.line()
        except (socket.timeout, TimeoutError):
            got = b"(nothing)"
        waited = time.monotonic() - start
        expect(got.startswith(b"* BYE") and 2 <= waited < 15, f"pre-login timeout: {got!r} after {waited:.1f} s")
        expect(r.closed(), "closed after the pre-login timeout")
        passed(f"pre-login timeout: * BYE after {waited:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
