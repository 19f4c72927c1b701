"""inbound_load - 2,000 messages from Postfix's smtp-source over 10 connections.

smtp-source (Debian package postfix; only the client runs, never Postfix)
sends 2,000 messages to the virtual user over 10 parallel sessions that each
stay connected (-d). Its messages carry no Message-ID, so cleanup adds one.
When the queue is empty: exactly 2,000 files in the user's Maildir/new, no
two with the same Message-ID, nothing left in Maildir/tmp, and qmgr logged
2,000 status=sent lines for the user. The rates are printed.
"""
import os
import re
import shutil
import subprocess
import sys
import time

from posthorn_test import expect, SKIP
from inbound_util import Inbound, VIRTUAL_USER

MESSAGES = 2000
SESSIONS = 10


def header_value(path, name):
    """The (unfolded) value of the first header `name` in a message file, or None."""
    prefix = name.lower().encode() + b":"
    value = None
    with open(path, "rb") as f:
        for line in f:
            if line in (b"\n", b"\r\n"):
                break
            if value is not None:
                if line[:1] in (b" ", b"\t"):
                    value += b" " + line.strip()
                    continue
                break
            if line.lower().startswith(prefix):
                value = line[len(prefix):].strip()
    return value.decode(errors="replace") if value is not None else None


def main():
    source = shutil.which("smtp-source") or (
        "/usr/sbin/smtp-source" if os.path.exists("/usr/sbin/smtp-source") else None)
    if source is None:
        print("SKIP: smtp-source is not installed (Debian package postfix)")
        sys.exit(SKIP)
    with Inbound("inbound_load") as box:
        box.start()
        inst = box.inst
        started = time.monotonic()
        r = subprocess.run([source, "-4", "-d", "-s", str(SESSIONS), "-m", str(MESSAGES),
                            "-M", "localhost.localdomain", "-l", "1000",
                            "-S", "load test", "-f", "sender@example.org", "-t", VIRTUAL_USER,
                            f"127.0.0.1:{box.port}"],
                           capture_output=True, text=True, timeout=300)
        accepted = time.monotonic() - started
        expect(r.returncode == 0 and not r.stderr.strip(),
               f"smtp-source sent {MESSAGES} messages over {SESSIONS} connections "
               f"(exit {r.returncode}) {r.stderr.strip()[-500:]}")
        box.wait_queue_empty(timeout=180)
        delivered = time.monotonic() - started
        print(f"accepted {MESSAGES} in {accepted:.1f} s ({MESSAGES / accepted:.0f}/s), "
              f"delivered in {delivered:.1f} s ({MESSAGES / delivered:.0f}/s)")

        files = box.maildir_new()
        expect(len(files) == MESSAGES, f"{len(files)} files in Maildir/new (want {MESSAGES})")
        ids = {}
        missing = []
        for path in files:
            mid = header_value(path, "Message-ID")
            if mid is None:
                missing.append(os.path.basename(path))
            else:
                ids.setdefault(mid, []).append(os.path.basename(path))
        dups = {m: p for m, p in ids.items() if len(p) > 1}
        expect(not missing, f"every message has a Message-ID (missing in {missing[:3]})")
        expect(not dups, f"no two messages share a Message-ID ({len(ids)} distinct; "
                         f"duplicates: {list(dups.items())[:3]})")
        sample = files[0]
        with open(sample, "rb") as f:
            data = f.read()
        expect(b"Subject: load test\n" in data and data.count(b"\n") > 10,
               "the Maildir copy has smtp-source's subject and body")
        tmp = os.path.join(box.vhome, "Maildir", "tmp")
        leftover = os.listdir(tmp) if os.path.isdir(tmp) else []
        expect(not leftover, f"nothing left in Maildir/tmp: {leftover[:3]}")
        sent = re.compile(r"posthorn/qmgr\[\d+\]: \w+: to=<" + re.escape(VIRTUAL_USER) +
                          r">, relay=local, .*status=sent")
        # Sessions that sent mail (start()'s probe connection sent none).
        sessions = [int(m.group(1)) for m in
                    (re.search(r"posthorn/smtpd\[\d+\]: disconnect from .* data=(\d+)", line)
                     for line in inst.log_lines()) if m]
        expect(len(sessions) == SESSIONS and sum(sessions) == MESSAGES,
               f"smtpd logged {len(sessions)} sessions with DATA (want {SESSIONS}), "
               f"{sum(sessions)} DATA commands in all (want {MESSAGES})")
        nsent = sum(1 for line in inst.log_lines() if sent.search(line))
        expect(nsent == MESSAGES, f"qmgr logged {nsent} status=sent lines (want {MESSAGES})")
        print("ok: inbound load")


if __name__ == "__main__":
    main()
