"""mailbox_dovecot_test - lib/mailbox and Dovecot read each other's Maildirs.

A private Dovecot (Debian's dovecot-imapd, used only as a test peer) runs
on a loopback port with its own configuration in a temporary directory.

1. Dovecot writes: over IMAP it creates a folder, appends messages with
   flags and keywords, expunges one (so UIDs have a gap), subscribes.
   `posthorn mailbox list` (lib/mailbox, importing dovecot-uidlist) must
   show the same UIDs, UIDVALIDITY and flags, and read the subscription.
2. posthorn writes: `posthorn mailbox deliver` (the Maildir writer local
   uses) stores messages, with flags and a keyword, into INBOX and a
   folder; Dovecot must see the right flags, RFC822.SIZE and bodies.

Needs root (Dovecot's privilege separation) and Dovecot; exits 77 without.
"""
import imaplib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from dovecot_instance import DOVECOT, NAMESPACE_INBOX, Dovecot
from posthorn_test import POSTHORN, Checker

check = Checker()


def connect(port):
    deadline = time.time() + 10
    while True:
        try:
            return imaplib.IMAP4("127.0.0.1", port)
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)


def posthorn(*args, stdin=None, user=None):
    r = subprocess.run([POSTHORN, "mailbox", *args], input=stdin, capture_output=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"posthorn mailbox {' '.join(args)}: rc {r.returncode}: {r.stderr.decode()}")
    return r.stdout.decode()


def parse_list(text):
    """{folder: (uidvalidity, {uid: set(flags)})} from `posthorn mailbox list`."""
    out = {}
    current = None
    for line in text.splitlines():
        if line.startswith("* "):
            m = re.match(r"\* UIDVALIDITY (\d+) UIDNEXT (\d+) HIGHESTMODSEQ (\d+) MESSAGES (\d+) FOLDER (.*)", line)
            current = m.group(5)
            out[current] = (int(m.group(1)), {})
            continue
        m = re.match(r"(\d+) (\d+) (\S+) \((.*)\)", line)
        out[current][1][int(m.group(1))] = set(m.group(4).split())
    return out


def dovecot_view(imap, folder):
    """(uidvalidity, {uid: (flags, size)}) as Dovecot reports them."""
    typ, data = imap.select(folder)
    check(typ == "OK", f"select {folder}: {data}")
    validity = int(imap.response("UIDVALIDITY")[1][0])
    typ, data = imap.uid("FETCH", "1:*", "(FLAGS RFC822.SIZE)")
    out = {}
    for item in data:
        if item is None:
            continue
        text = item.decode() if isinstance(item, bytes) else item[0].decode()
        m = re.search(r"UID (\d+)", text)
        if not m:
            continue
        flags = set(re.search(r"FLAGS \(([^)]*)\)", text).group(1).split()) - {"\\Recent"}
        size = int(re.search(r"RFC822\.SIZE (\d+)", text).group(1))
        out[int(m.group(1))] = (flags, size)
    return validity, out


def message(n, extra=""):
    return f"From: a@example.org\r\nSubject: message {n}\r\n\r\nbody {n}\r\n{extra}".encode()


def dovecot_writes(port, top):
    imap = connect(port)
    imap.login("alice", "secret")
    check(imap.create("Work")[0] == "OK", "create Work")
    imap.subscribe("Work")
    imap.append("INBOX", r"(\Seen)", None, message(1))
    imap.append("INBOX", r"(\Flagged $Label1)", None, message(2))
    imap.append("INBOX", None, None, message(3, "more\r\n"))
    imap.append("INBOX", r"(\Answered \Seen Junk)", None, message(4))
    imap.append("Work", r"(\Draft $Label1 Important)", None, message(5))
    imap.append("Work", r"(\Deleted)", None, message(6))
    imap.select("INBOX")
    imap.uid("STORE", "2", "+FLAGS", r"(\Deleted)")
    imap.expunge()
    imap.uid("STORE", "3", "+FLAGS", r"(\Seen NonJunk)")
    want = {f: dovecot_view(imap, f) for f in ("INBOX", "Work")}
    imap.logout()

    maildir = os.path.join(top, "users", "alice", "Maildir")
    check(os.path.exists(os.path.join(maildir, "dovecot-uidlist")), "Dovecot wrote dovecot-uidlist")
    got = parse_list(posthorn("list", "-d", maildir))
    check(set(got) == {"INBOX", "Work"}, f"folders {set(got)}")
    for folder, (validity, messages) in want.items():
        gv, gm = got[folder]
        check(gv == validity, f"{folder}: UIDVALIDITY {gv} != Dovecot's {validity}")
        check(set(gm) == set(messages), f"{folder}: UIDs {sorted(gm)} != Dovecot's {sorted(messages)}")
        for uid, (flags, _size) in messages.items():
            check(gm[uid] == flags, f"{folder} UID {uid}: flags {gm[uid]} != Dovecot's {flags}")
    check(2 not in got["INBOX"][1], "the expunged UID 2 stays unused")
    subs = open(os.path.join(maildir, "subscriptions")).read()
    check("Work" in subs, f"subscriptions: {subs!r}")
    check(posthorn("check", "-d", maildir).count(": ok") == 2, "check is clean after the import")
    return sum(len(m) for _, m in want.values())


def posthorn_writes(port, top, uid, gid):
    maildir = os.path.join(top, "users", "bob", "Maildir")
    os.makedirs(maildir)
    os.chown(maildir, uid, gid)
    os.chown(os.path.dirname(maildir), uid, gid)
    bodies = {
        "INBOX": [(message(1), ""), (message(2, "line\r\n" * 50), r"\Seen"),
                  (message(3), r"\Flagged \Answered")],
        "Archive": [(message(4), r"\Seen Important $Label1")],
    }
    for folder, items in bodies.items():
        for data, flags in items:
            args = ["deliver", "-d", maildir] + (["-f", flags] if flags else []) + [folder]
            posthorn(*args, stdin=data)
    imap = connect(port)
    imap.login("bob", "secret")
    for folder, items in bodies.items():
        _, seen = dovecot_view(imap, folder)
        check(len(seen) == len(items), f"{folder}: Dovecot sees {len(seen)} messages, wrote {len(items)}")
        got = sorted(seen.values(), key=lambda v: v[1])
        want = sorted(((set(f.split()) if f else set(), len(d)) for d, f in items), key=lambda v: v[1])
        check(got == want, f"{folder}: Dovecot sees {got}, wrote {want}")
        typ, data = imap.uid("FETCH", "1:*", "(BODY.PEEK[])")
        fetched = sorted(item[1] for item in data if isinstance(item, tuple))
        check(fetched == sorted(d for d, _ in items), f"{folder}: bodies differ")
    imap.logout()
    return sum(len(v) for v in bodies.values())


def main():
    if os.geteuid() != 0:
        print("needs root: Dovecot runs its mail processes under another uid")
        return 77
    if not os.path.exists(DOVECOT):
        print("Dovecot is not installed (apt-get install dovecot-imapd): skipped")
        return 77
    top = tempfile.mkdtemp(prefix="phdc.", dir="/tmp")
    os.chmod(top, 0o755)
    os.makedirs(os.path.join(top, "users"))
    nobody = 65534
    os.chown(os.path.join(top, "users"), nobody, nobody)
    dovecot = Dovecot(top, "imap", f"maildir:{top}/users/%u/Maildir", nobody, nobody,
                      f"{top}/users/%u", "secret",
                      settings="auth_mechanisms = plain\n" + NAMESPACE_INBOX)
    try:
        with dovecot:
            try:
                n1 = dovecot_writes(dovecot.port, top)
                n2 = posthorn_writes(dovecot.port, top, nobody, nobody)
            except Exception:
                sys.stderr.write(dovecot.log())
                raise
        print(f"ok: {n1} messages written by Dovecot read by lib/mailbox, "
              f"{n2} written by posthorn read by Dovecot; {check.count} checks")
        return 0
    finally:
        shutil.rmtree(top, ignore_errors=True)

if __name__ == "__main__":
    sys.exit(main())
