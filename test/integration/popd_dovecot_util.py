"""popd_dovecot_util - a private Dovecot POP3 server on one Maildir (not a test).

Used by popd_dovecot (UIDLs, sizes and contents must match after a
migration) and bench/pop3_bench.py (RETR throughput side by side). Needs
root: Dovecot runs its mail process under the mailbox owner's uid.
Debian's dovecot-pop3d; Dovecot's own default UIDL format is spelled out.
"""
import os
import poplib
import shutil
import socket
import subprocess
import tempfile
import time

DOVECOT = "/usr/sbin/dovecot"
PASSWORD = "secret"


def available():
    return os.path.exists(DOVECOT) and os.path.exists("/usr/lib/dovecot/pop3")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Dovecot:
    """Dovecot serving `maildir` as the INBOX of every user, as uid/gid."""

    def __init__(self, maildir, uid, gid, home):
        self.top = tempfile.mkdtemp(prefix="phdcpop.", dir="/tmp")
        os.chmod(self.top, 0o755)
        self.port = free_port()
        self.conf = os.path.join(self.top, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(f"""
base_dir = {self.top}/run
state_dir = {self.top}/state
log_path = {self.top}/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{maildir}
first_valid_uid = 1
mail_plugins =
pop3_uidl_format = %08Xu%08Xv
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""")
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("Dovecot did not start:\n" + self.log())
                time.sleep(0.1)

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.top, ignore_errors=True)
        return False

    def log(self):
        try:
            with open(os.path.join(self.top, "dovecot.log")) as f:
                return f.read()[-3000:]
        except FileNotFoundError:
            return ""

    def connect(self, user="alice"):
        c = poplib.POP3("127.0.0.1", self.port, timeout=60)
        c.user(user)
        c.pass_(PASSWORD)
        return c


def dovecot_name(i, data, t=1700000000, with_sizes=True):
    """A Dovecot-style Maildir file name for message i."""
    base = f"{t + i}.M{i}P{1000 + i}.mailhost"
    if with_sizes:
        vsize = len(data) + data.count(b"\n") - data.count(b"\r\n")
        base += f",S={len(data)},W={vsize}"
    return base


def write_maildir(maildir, messages, uid, gid):
    """Stores each bytes message in new/ or cur/ (alternating), Dovecot-style names."""
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    for i, data in enumerate(messages):
        name = dovecot_name(i, data, with_sizes=i % 3 != 0)
        path = os.path.join(maildir, "new", name) if i % 2 else os.path.join(maildir, "cur", name + ":2,S")
        with open(path, "wb") as f:
            f.write(data)
    for root, dirs, files in os.walk(os.path.dirname(maildir)):
        for n in dirs + files:
            os.chown(os.path.join(root, n), uid, gid)
    os.chown(os.path.dirname(maildir), uid, gid)
