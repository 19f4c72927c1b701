"""popd_fetchmail - fetchmail retrieving 500 messages from popd over 995 (implicit TLS).

Run 1 with --keep gets all 500 (byte-correct: each is compared with what
was stored), run 2 with --keep finds nothing new (UIDL stable), run 3
without --keep (--all) gets all 500 again and empties the mailbox.
Skipped when fetchmail is not installed (Debian package fetchmail).
"""
import os
import shutil
import subprocess
import sys

from posthorn_test import expect, is_root, passed
import popd_util
from popd_util import ALICE, ALICE_PW

COUNT = 500


def main():
    fetchmail = shutil.which("fetchmail")
    if not fetchmail:
        print("fetchmail is not installed (apt-get install fetchmail): skipped")
        return 77
    with popd_util.Pop("popd-fetchmail") as p:
        stored = {}
        for i in range(COUNT):
            body = f"Subject: fm {i}\nMessage-ID: <fm{i}@example.org>\n\n" + (
                f"line {i}\n.dot {i}\n" * (1 + i % 7))
            p.deliver(body.encode())
            stored[i] = body.encode()
        p.start()
        work = os.path.join(p.inst.dir, "fetchmail")
        out = os.path.join(work, "out")
        os.makedirs(out)
        mda = os.path.join(work, "mda.sh")
        with open(mda, "w") as f:
            f.write(f"#!/bin/sh\nexec cat > \"$(mktemp {out}/m.XXXXXXXX)\"\n")
        os.chmod(mda, 0o755)

        def run(keep, fetch_all=False):
            rc = os.path.join(work, "fetchmailrc")
            with open(rc, "w") as f:
                f.write(f'set no bouncemail\n'
                        f'poll 127.0.0.1 service {p.pops} protocol pop3 uidl auth password\n'
                        f'  user "{ALICE}" password "{ALICE_PW}" ssl no sslcertck\n'
                        f'  {"keep" if keep else "nokeep"} {"fetchall" if fetch_all else ""}\n'
                        f'  mda "{mda}"\n')
            os.chmod(rc, 0o600)
            env = dict(os.environ, HOME=work, FETCHMAILHOME=work)
            # Its own lock file: as root fetchmail's default is the one
            # /var/run/fetchmail.pid, shared with any other run on the machine.
            r = subprocess.run([fetchmail, "-f", rc, "-i", os.path.join(work, "ids"), "-N",
                                "--pidfile", os.path.join(work, "fetchmail.pid"),
                                "--nosyslog", "-v"], capture_output=True, text=True,
                               timeout=300, env=env)
            return r

        r = run(keep=True)
        got = sorted(os.listdir(out))
        expect(r.returncode == 0, f"fetchmail run 1 exit {r.returncode}: {r.stderr[-2000:]}")
        expect(len(got) == COUNT, f"run 1 retrieved {len(got)} of {COUNT}")
        seen = set()
        for name in got:
            with open(os.path.join(out, name), "rb") as f:
                data = f.read()
            # fetchmail adds its Received: header on top and hands the MDA
            # LF line ends; the rest must be the stored message exactly.
            i = int(data.split(b"Message-ID: <fm", 1)[1].split(b"@", 1)[0])
            if data.endswith(stored[i]):
                seen.add(i)
        expect(len(seen) == COUNT, f"{len(seen)} of {COUNT} retrieved messages match what was stored")
        expect(len(p.files()) == COUNT, "--keep left the mailbox as it was")
        passed(f"fetchmail --keep retrieved {COUNT} messages over 995")

        r = run(keep=True)
        expect(r.returncode == 1, f"fetchmail run 2 should find no mail (exit 1), got {r.returncode}: "
                                  f"{r.stdout[-1000:]}{r.stderr[-1000:]}")
        expect(len(os.listdir(out)) == COUNT, "run 2 retrieved nothing new")
        passed("a second fetchmail --keep run finds no new messages (UIDL stable)")

        r = run(keep=False, fetch_all=True)
        expect(r.returncode == 0, f"fetchmail run 3 exit {r.returncode}: {r.stderr[-2000:]}")
        expect(len(os.listdir(out)) == 2 * COUNT, f"run 3 retrieved {len(os.listdir(out)) - COUNT}")
        expect(p.files() == [], f"{len(p.files())} messages left after a run without --keep")
        passed("fetchmail without --keep emptied the mailbox")
    return 0


if __name__ == "__main__":
    sys.exit(main())
