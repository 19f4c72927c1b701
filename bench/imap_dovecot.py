"""imap_dovecot - a private Dovecot IMAP server for bench/imap_bench.py (not a test).

Debian's dovecot-imapd run as a second, private Dovecot (`dovecot -F -c
CONF`, its own base_dir in a temporary directory, a free loopback port,
plain LOGIN allowed, no TLS). Every user name logs in with PASSWORD and
gets `maildir` as INBOX (Maildir++ folders, separator "."), as uid:gid.
Index files and dovecot-uidlist are kept outside the Maildir (INDEX= and
CONTROL=) so that `reset_index()` gives the next session a cold start
without touching the messages. Limits are raised for the 500-connection
memory test: imap and imap-login process_limit, mail_max_userip_connections.
Mode: Dovecot's default for imap, one process per connection (imap
client_limit 1) and high-security login processes (imap-login
service_count 1); `client_limit` > 1 makes imap processes serve several
connections each.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time

DOVECOT = "/usr/sbin/dovecot"
PASSWORD = "bench-secret"
USER = "alice"


def available():
    return os.path.exists(DOVECOT) and os.path.exists("/usr/lib/dovecot/imap")


def version():
    try:
        return subprocess.run([DOVECOT, "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DovecotImap:
    name = "dovecot"
    user = USER
    password = PASSWORD

    def __init__(self, top, maildir, uid, gid, process_limit=1100, client_limit=1):
        self.top = top
        self.maildir = maildir
        self.uid, self.gid = uid, gid
        self.port = free_port()
        self.index = os.path.join(top, "index")
        self.control = os.path.join(top, "control")
        for d in (self.index, self.control):
            os.makedirs(d, mode=0o700, exist_ok=True)
            os.chown(d, uid, gid)
        home = os.path.dirname(maildir)
        mode = ("" if client_limit <= 1 else
                f"  client_limit = {client_limit}\n  service_count = 0\n")
        self.mode = ("process per connection (imap client_limit 1, Dovecot's default)" if client_limit <= 1
                     else f"up to {client_limit} connections per imap process")
        self.conf = os.path.join(top, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(f"""
base_dir = {top}/run
state_dir = {top}/state
log_path = {top}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{maildir}:INDEX={self.index}:CONTROL={self.control}
first_valid_uid = 1
mail_plugins =
mail_max_userip_connections = {process_limit}
default_client_limit = {4 * process_limit}
default_process_limit = {process_limit}
namespace inbox {{
  inbox = yes
  separator = .
}}
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  process_limit = {process_limit}
}}
service imap {{
  process_limit = {process_limit}
{mode}}}
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
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("Dovecot did not start:\n" + self.log())
            time.sleep(0.1)

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return False

    @property
    def master_pid(self):
        return self.proc.pid

    def log(self):
        try:
            with open(os.path.join(self.top, "dovecot.log"), errors="replace") as f:
                return f.read()[-3000:]
        except FileNotFoundError:
            return ""

    def reset_index(self):
        """Removes Dovecot's index files and dovecot-uidlist (no session may be open)."""
        for d in (self.index, self.control):
            for entry in os.listdir(d):
                path = os.path.join(d, entry)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)


def make_top(base=None):
    top = tempfile.mkdtemp(prefix="imapbench-dovecot.", dir=base)
    os.chmod(top, 0o755)
    return top
