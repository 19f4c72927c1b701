"""imap_dovecot - a private Dovecot IMAP server for bench/imap_bench.py (not a test).

Debian's dovecot-imapd run as a second, private Dovecot
(test/lib/dovecot_instance.py: `dovecot -F -c CONF`, its own base_dir in a
temporary directory, a free loopback port, no TLS; here LOGIN as well as
PLAIN). Every user name logs in with PASSWORD and gets `maildir` as INBOX (Maildir++ folders, separator "."), as uid:gid.
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
import subprocess
import tempfile

from dovecot_instance import DOVECOT, NAMESPACE_INBOX, Dovecot
import dovecot_instance

PASSWORD = "bench-secret"
USER = "alice"


def available():
    return dovecot_instance.available("imap")


def version():
    try:
        return subprocess.run([DOVECOT, "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


class DovecotImap(Dovecot):
    name = "dovecot"
    user = USER
    password = PASSWORD

    def __init__(self, top, maildir, uid, gid, process_limit=1100, client_limit=1):
        self.maildir = maildir
        self.uid, self.gid = uid, gid
        self.index = os.path.join(top, "index")
        self.control = os.path.join(top, "control")
        for d in (self.index, self.control):
            os.makedirs(d, mode=0o700, exist_ok=True)
            os.chown(d, uid, gid)
        mode = ("" if client_limit <= 1 else
                f"  client_limit = {client_limit}\n  service_count = 0\n")
        self.mode = ("process per connection (imap client_limit 1, Dovecot's default)" if client_limit <= 1
                     else f"up to {client_limit} connections per imap process")
        super().__init__(
            top, "imap", f"maildir:{maildir}:INDEX={self.index}:CONTROL={self.control}",
            uid, gid, os.path.dirname(maildir), PASSWORD,
            settings=(f"auth_mechanisms = plain login\n"
                      f"mail_max_userip_connections = {process_limit}\n"
                      f"default_client_limit = {4 * process_limit}\n"
                      f"default_process_limit = {process_limit}\n" + NAMESPACE_INBOX),
            login_settings=f"  process_limit = {process_limit}\n",
            services=f"service imap {{\n  process_limit = {process_limit}\n{mode}}}\n")

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
