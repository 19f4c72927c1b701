"""popd_dovecot_util - a private Dovecot POP3 server on one Maildir (not a test).

Used by popd_dovecot (UIDLs, sizes and contents must match after a
migration) and bench/pop3_bench.py (RETR throughput side by side). Needs
root: Dovecot runs its mail process under the mailbox owner's uid.
Debian's dovecot-pop3d; Dovecot's own default UIDL format is spelled out.
"""
import os
import poplib
import shutil
import tempfile

import dovecot_instance

PASSWORD = "secret"


def available():
    return dovecot_instance.available("pop3")


class Dovecot(dovecot_instance.Dovecot):
    """Dovecot serving `maildir` as the INBOX of every user, as uid/gid,
    with Dovecot's own default UIDL format spelled out."""

    def __init__(self, maildir, uid, gid, home):
        top = tempfile.mkdtemp(prefix="phdcpop.", dir="/tmp")
        os.chmod(top, 0o755)
        super().__init__(top, "pop3", f"maildir:{maildir}", uid, gid, home, PASSWORD,
                         settings="auth_mechanisms = plain\npop3_uidl_format = %08Xu%08Xv\n")

    def __exit__(self, *exc):
        super().__exit__(*exc)
        shutil.rmtree(self.top, ignore_errors=True)
        return False

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
