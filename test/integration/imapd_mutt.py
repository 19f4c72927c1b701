"""imapd_mutt - mutt reads INBOX over imaps and its flag and delete land on the server.

mutt runs under a pseudo-terminal (it needs one) with a private muttrc that
trusts the instance's certificate (ssl_ca_certificates_file; the host is
an IP address, which GnuTLS does not match against the certificate's DNS
name, so ssl_verify_host is off), and a pushed
key sequence: pipe the message "readme" to a file, flag "flagme", delete
"deleteme", sync the mailbox, quit. Then the piped text is the message's
body, the server's Maildir file of "flagme" carries F, "deleteme" is gone,
the others are still there. mutt is killed after 60 s (the test fails).
Skipped (77) when mutt is not installed (apt-get install mutt).
"""
import fcntl
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time

from posthorn_test import expect, passed
import imapd_util
from imapd_util import ALICE, ALICE_PW

SUBJECTS = ("readme", "flagme", "deleteme", "other")


def message(subject):
    return (f"From: bob@example.org\nTo: {ALICE}\nSubject: {subject}\n"
            f"Message-ID: <{subject}@example.org>\n\nthe body of {subject}, marker {subject.upper()}-42\n").encode()


def subject_of(data):
    m = re.search(rb"^Subject: (\w+)$", data, re.M)
    return m.group(1).decode() if m else None


def run_under_pty(args, env, timeout):
    """Runs args on a fresh pseudo-terminal (24x80); returns (exit status,
    what it wrote). Kills it after timeout seconds (status None)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True, close_fds=True)
    os.close(slave)
    output = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the terminal's other side is closed
                    chunk = b""
                if not chunk and proc.poll() is not None:
                    break
                output += chunk
            elif proc.poll() is not None:
                break
        status = proc.poll()
        if status is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        return status, output
    finally:
        os.close(master)


def main():
    mutt = shutil.which("mutt") or shutil.which("neomutt")
    if mutt is None:
        print("SKIP: mutt is not installed (apt-get install mutt)")
        return 77
    with imapd_util.Imap("imapd-mutt") as p:
        for s in SUBJECTS:
            p.deliver(message(s))
        p.certificate_for_host()
        p.start()
        work = os.path.join(p.inst.dir, "mutt")
        os.makedirs(work)
        piped = os.path.join(work, "piped.txt")
        rc = os.path.join(work, "muttrc")
        password = ALICE_PW.replace("\\", "\\\\").replace('"', '\\"')
        with open(rc, "w") as f:
            f.write(f"""set imap_user = "{ALICE}"
set imap_pass = "{password}"
set ssl_ca_certificates_file = "{p.cert}"
set ssl_verify_host = no
set ssl_force_tls = yes
set ssl_starttls = yes
set folder = "imaps://{p.host}:{p.imaps_port}/"
set spoolfile = "+INBOX"
set record = ""
set postponed = ""
set header_cache = ""
set message_cachedir = ""
set move = no
set delete = yes
set quit = yes
set confirmappend = no
set wait_key = no
set beep = no
set mark_old = no
set imap_passive = yes
set sort = date
set timeout = 5
""")
        keys = ("<tag-pattern>~s readme<enter><tag-prefix><pipe-message>cat > " + piped + "<enter>"
                "<untag-pattern>~A<enter>"
                "<tag-pattern>~s flagme<enter><tag-prefix><flag-message><untag-pattern>~A<enter>"
                "<delete-pattern>~s deleteme<enter>"
                "<sync-mailbox><quit>")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work, "TERM": "vt100",
               "LANG": "C.UTF-8"}
        args = [mutt, "-n", "-F", rc, "-f", f"imaps://{p.host}:{p.imaps_port}/INBOX", "-e", f"push '{keys}'"]
        status, output = run_under_pty(args, env, 60)
        screen = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b.", b"", output)[-1500:]
        expect(status == 0, f"mutt ran and quit (exit {status}); its screen's end:\n{screen.decode(errors='replace')}")
        with open(piped, "rb") as f:
            text = f.read()
        expect(b"marker README-42" in text, f"mutt piped the message it read over imaps: {text[-200:]!r}")
        server = {subject_of(p.read_file("INBOX", n)): n for n in p.files()}
        expect(set(server) == {"readme", "flagme", "other"}, f"deleteme expunged, the rest kept: {server}")
        fl = server["flagme"].split(":2,", 1)[1] if ":2," in server["flagme"] else ""
        expect("F" in fl, f"flagme carries F on the server: {server['flagme']}")
        other = server["other"].split(":2,", 1)[1] if ":2," in server["other"] else ""
        expect("F" not in other and "T" not in other, f"other is neither flagged nor deleted: {server['other']}")
        c = p.imaps()
        c.select("INBOX")
        typ, data = c.search(None, "FLAGGED")
        expect(typ == "OK" and len(data[0].split()) == 1, f"one message \\Flagged over IMAP: {data}")
        c.logout()
        passed("mutt over imaps: read, flagged and deleted on the server")
    return 0


if __name__ == "__main__":
    sys.exit(main())
