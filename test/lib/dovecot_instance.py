"""dovecot_instance - a private Dovecot as a test peer or benchmark rival.

Debian's dovecot-imapd or dovecot-pop3d run as a second, private Dovecot:
`dovecot -F -c TOP/dovecot.conf` with base_dir, state_dir and log in the
directory TOP, one plaintext listener on a free loopback port (the TLS one
off), static passdb and userdb (every user name logs in with the password
and is uid:gid with that home). Needs root: Dovecot's privilege separation
and its mail processes under the mailbox owner's uid.

    with Dovecot(top, "imap", "maildir:/path/Maildir", uid, gid, home, "secret",
                 settings="auth_mechanisms = plain\n") as d:
        imaplib.IMAP4("127.0.0.1", d.port)

Python 3 standard library only.
"""
import os
import socket
import subprocess
import time

from proc_util import free_port

DOVECOT = "/usr/sbin/dovecot"
# Maildir++ folders as INBOX's children, separator "." (settings= text).
NAMESPACE_INBOX = """namespace inbox {
  inbox = yes
  separator = .
}
"""


def available(protocol):
    """True when Dovecot and its `protocol` ("imap", "pop3") are installed."""
    return os.path.exists(DOVECOT) and os.path.exists(f"/usr/lib/dovecot/{protocol}")


class Dovecot:
    """Dovecot serving `protocol` on 127.0.0.1:self.port; a context manager
    (start on enter, stop on exit; TOP stays: it is the caller's).
    settings: more top-level lines of dovecot.conf; login_settings: lines
    inside the PROTOCOL-login service; services: more service blocks."""

    def __init__(self, top, protocol, mail_location, uid, gid, home, password,
                 settings="", login_settings="", services=""):
        self.top = top
        self.port = free_port()
        self.conf = os.path.join(top, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(f"""
base_dir = {top}/run
state_dir = {top}/state
log_path = {top}/dovecot.log
protocols = {protocol}
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
mail_location = {mail_location}
first_valid_uid = 1
mail_plugins =
{settings}passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}
}}
service {protocol}-login {{
  inet_listener {protocol} {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener {protocol}s {{
    port = 0
  }}
{login_settings}}}
{services}service anvil {{
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

    def start(self, timeout=15):
        """Starts Dovecot; returns once its listener greets."""
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    if s.recv(100).startswith((b"* OK", b"+OK")):
                        return self
            except OSError:
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("Dovecot did not start:\n" + self.log())
            time.sleep(0.1)

    def stop(self, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def master_pid(self):
        return self.proc.pid

    def log(self):
        """The end of Dovecot's log."""
        try:
            with open(os.path.join(self.top, "dovecot.log"), errors="replace") as f:
                return f.read()[-3000:]
        except FileNotFoundError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
