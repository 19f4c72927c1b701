"""mailbox_command_test - `posthorn mailbox check|repair|list|deliver` on a real Maildir.

A Maildir of N messages written the way other programs write them (names
with S=, W= and flags) has no index: check says so (exit 1), repair makes
it (exit 0), check is then clean. list prints every UID and its flags
from the index: under strace it opens no message file. A torn log tail,
a dropped file, a rename and a removal are reported by check and fixed by
repair, with the UIDs of the other messages unchanged. Bad usage exits 2.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from posthorn_test import POSTHORN, Checker

N = 3000
check = Checker()


def run(*args, stdin=None):
    r = subprocess.run([POSTHORN, "mailbox", *args], input=stdin, capture_output=True, timeout=60)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def listing(maildir):
    rc, out, err = run("list", "-d", maildir, "INBOX")
    check(rc == 0, f"list: {rc} {err}")
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^(\d+) \d+ \S+ \((.*)\)$", out, re.M)}


def main():
    top = tempfile.mkdtemp(prefix="mailbox_command.")
    try:
        md = os.path.join(top, "Maildir")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(md, sub))
        for i in range(N):
            flags = ":2,S" if i % 2 else ":2,FR"
            name = f"{1600000000 + i}.M{i}P1.host,S=20,W=21{flags}"
            with open(os.path.join(md, "cur", name), "w") as f:
                f.write("Subject: x\n\n12345678")

        rc, out, _ = run("check", "-d", md)
        check(rc == 1 and "no index" in out, f"check without an index: {rc} {out}")
        rc, out, err = run("repair", "-d", md)
        check(rc == 0 and "index created" in out, f"repair: {rc} {out} {err}")
        rc, out, _ = run("check", "-d", md)
        check(rc == 0 and f"{N} messages" in out, f"check after repair: {rc} {out}")

        before = listing(md)
        check(sorted(before) == list(range(1, N + 1)), "UIDs 1..N in name order")
        check(before[1] == "\\Flagged \\Answered" or before[1] == "\\Answered \\Flagged", f"flags {before[1]}")
        check(before[2] == "\\Seen", f"flags {before[2]}")

        if shutil.which("strace"):
            trace = os.path.join(top, "trace")
            subprocess.run(["strace", "-f", "-e", "trace=open,openat", "-o", trace,
                            POSTHORN, "mailbox", "list", "-d", md, "INBOX"],
                           capture_output=True, check=True, timeout=60)
            opened = [l for l in open(trace) if "/cur/" in l or "/new/" in l]
            check(not opened, f"list opened message files: {opened[:3]}")
            check(any("posthorn-index" in l for l in open(trace)), "strace saw the index being read")
        else:
            print("strace not installed: the open count is checked by mailbox_index_test only")

        # A torn write at the end of the log.
        with open(os.path.join(md, "posthorn-index.log"), "a") as f:
            f.write("0badc0de A 9")
        rc, out, _ = run("check", "-d", md)
        check(rc == 1 and "interrupted write" in out, f"check with a torn log: {out}")
        # Other programs: drop, rename, remove.
        with open(os.path.join(md, "new", "1700000000.M1P9.other"), "w") as f:
            f.write("Subject: dropped\n\nx\n")
        cur = sorted(os.listdir(os.path.join(md, "cur")))
        os.rename(os.path.join(md, "cur", cur[2]), os.path.join(md, "cur", cur[2].split(":")[0] + ":2,T"))
        os.unlink(os.path.join(md, "cur", cur[3]))
        rc, out, _ = run("check", "-d", md)
        check(rc == 1 and "1 messages without a UID" in out and "1 indexed messages are gone" in out
              and "1 messages renamed outside" in out, f"check after outside changes: {out}")
        rc, out, err = run("repair", "-d", md)
        check(rc == 0 and "1 new, 1 changed, 1 gone" in out, f"repair: {out} {err}")
        rc, out, _ = run("check", "-d", md)
        check(rc == 0, f"check after the second repair: {out}")
        after = listing(md)
        check(after[3] == "\\Deleted", f"renamed flags: {after[3]}")
        check(4 not in after, "the removed message is expunged")
        check(after[N + 1] == "", "the dropped file got UID N+1")
        for uid in range(5, N + 1):
            if after.get(uid) != before[uid]:
                raise AssertionError(f"UID {uid} changed: {before[uid]} -> {after.get(uid)}")
        CHECKS_DONE = N - 4
        # deliver: a UID at once.
        rc, out, err = run("deliver", "-d", md, stdin=b"Subject: new\r\n\r\nhello\r\n")
        check(rc == 0 and out.startswith(f"uid {N + 2} "), f"deliver: {rc} {out} {err}")
        # Usage and errors.
        check(run("frobnicate", "-d", md)[0] == 2, "unknown action exits 2")
        check(run("check")[0] == 2, "no user exits 2")
        rc, _, err = run("list", "-d", md, "Nope")
        check(rc == 1 and "no folder Nope" in err, f"unknown folder: {rc} {err}")
        rc, _, err = run("check", "-d", os.path.join(top, "missing"))
        check(rc == 1 and "not a Maildir" in err, f"missing Maildir: {err}")
        print(f"ok: {check.count} checks, {CHECKS_DONE} UIDs compared, {N} messages")
        return 0
    finally:
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
