"""imapd_mbsync - isync (mbsync) against imapd over implicit TLS, two-way.

1,000 delivered messages are pulled into a local Maildir (contents equal);
five are flagged and five deleted locally (Maildir flags F and T in their
file names) and a second run pushes that: on the server the five carry F
in their Maildir file names and the five are gone; a third run changes
nothing on either side (mbsync's sync state and every file name stay).
Skipped (77) when mbsync is not installed (apt-get install isync).
"""
import os
import re
import shutil
import subprocess
import sys
import time

from posthorn_test import expect, passed
import imapd_util
from imapd_util import ALICE, ALICE_PW

COUNT = 1000


def message(i):
    return (f"From: bob@example.org\nTo: {ALICE}\nSubject: m{i}\nMessage-ID: <m{i}@example.org>\n\n"
            f"body of message {i}\n").encode()


def subject(data):
    m = re.search(rb"^Subject: (m\d+)\r?$", data, re.M)
    return m.group(1).decode() if m else None


def local_files(maildir):
    """{subject: path} of a local Maildir's messages."""
    out = {}
    for sub in ("new", "cur"):
        d = os.path.join(maildir, sub)
        for name in os.listdir(d) if os.path.isdir(d) else []:
            path = os.path.join(d, name)
            with open(path, "rb") as f:
                out[subject(f.read())] = path
    return out


def server_files(p):
    """{subject: file name} of the server's INBOX."""
    return {subject(p.read_file("INBOX", name)): name for name in p.files()}


def flags(name):
    return name.split(":2,", 1)[1] if ":2," in name else ""


def set_local_flag(path, letter):
    """Adds a Maildir flag letter to a local file (moving it to cur/)."""
    d, name = os.path.split(path)
    base, _, old = name.partition(":2,")
    new = "".join(sorted(set(old) | {letter}))
    os.rename(path, os.path.join(os.path.dirname(d), "cur", f"{base}:2,{new}"))


def run_mbsync(rc, what):
    start = time.monotonic()
    r = subprocess.run(["mbsync", "-c", rc, "-a"], capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    expect(r.returncode == 0, f"mbsync {what} ({time.monotonic() - start:.1f} s): exit {r.returncode}\n{out}")
    return out


def state(inbox):
    """mbsync's sync state of the local INBOX (SyncState *): its bytes."""
    with open(os.path.join(inbox, ".mbsyncstate"), "rb") as f:
        return f.read()


def main():
    if shutil.which("mbsync") is None:
        print("SKIP: mbsync is not installed (apt-get install isync)")
        return 77
    with imapd_util.Imap("imapd-mbsync") as p:
        start = time.monotonic()
        p.deliver_many([message(i) for i in range(COUNT)])
        print(f"delivered {COUNT} messages in {time.monotonic() - start:.1f} s")
        p.certificate_for_host()
        p.start()
        work = os.path.join(p.inst.dir, "mbsync")
        local = os.path.join(work, "mail")
        os.makedirs(local)
        pwfile = os.path.join(work, "pw")
        with open(pwfile, "w") as f:
            f.write(ALICE_PW + "\n")
        rc = os.path.join(work, "mbsyncrc")
        with open(rc, "w") as f:
            f.write(f"""FSync no

IMAPAccount posthorn
Host {p.host}
Port {p.imaps_port}
User {ALICE}
PassCmd "cat {pwfile}"
SSLType IMAPS
CertificateFile {p.cert}
SystemCertificates no
Timeout 60

IMAPStore remote
Account posthorn

MaildirStore local
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel posthorn
Far :remote:
Near :local:
Patterns INBOX
Create Near
Expunge Both
Sync All
SyncState *
""")
        # 1: pull everything.
        start = time.monotonic()
        out = run_mbsync(rc, "first run")
        first = time.monotonic() - start
        inbox = os.path.join(local, "INBOX")
        pulled = local_files(inbox)
        expect(len(pulled) == COUNT and set(pulled) == {f"m{i}" for i in range(COUNT)},
               f"mbsync pulled {len(pulled)} messages in {first:.1f} s")
        for i in (0, 1, 500, 999):
            with open(pulled[f"m{i}"], "rb") as f:
                # mbsync adds an X-TUID header to track its copies.
                got = re.sub(rb"^X-TUID: [^\n]*\n", b"", f.read().replace(b"\r\n", b"\n"), flags=re.M)
            expect(got == message(i), f"local copy of m{i} equals the delivered message: {got[:60]!r}...")
        expect(all(flags(n) == "" for n in p.files()), "pulling set no flags on the server")

        # Locally: flag five, delete five (T), then push.
        flagged = [f"m{i}" for i in (3, 10, 200, 640, 998)]
        deleted = [f"m{i}" for i in (4, 11, 201, 641, 997)]
        for s in flagged:
            set_local_flag(pulled[s], "F")
        for s in deleted:
            set_local_flag(pulled[s], "T")
        out = run_mbsync(rc, "second run")
        server = server_files(p)
        expect(len(server) == COUNT - len(deleted) and not set(deleted) & set(server),
               f"the five deleted locally are expunged on the server ({len(server)} left)")
        expect(all("F" in flags(server[s]) for s in flagged),
               f"flagged ones carry F on the server: {[server[s] for s in flagged]}")
        others = [n for s, n in server.items() if s not in flagged]
        expect(all("F" not in flags(n) for n in others), "no other server file is flagged")
        c = p.imaps()
        c.select("INBOX")
        typ, data = c.search(None, "FLAGGED")
        expect(typ == "OK" and len(data[0].split()) == len(flagged), f"SEARCH FLAGGED: {data}")
        typ, data = c.search(None, "ALL")
        expect(len(data[0].split()) == COUNT - len(deleted), "the server counts 995 messages")
        c.logout()
        passed("mbsync pushed local flags and deletions; the server's file names carry F")

        # 3: nothing left to do.
        before_server = sorted(p.files())
        before_local = sorted(local_files(inbox).values())
        before_state = state(inbox)
        out = run_mbsync(rc, "third run")
        expect(state(inbox) == before_state, f"third run left mbsync's sync state as it was\n{out}")
        expect(sorted(p.files()) == before_server, "third run changed no server file")
        expect(sorted(local_files(inbox).values()) == before_local, "third run changed no local file")
        passed("a third mbsync run changes nothing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
