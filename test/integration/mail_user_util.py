"""mail_user_util - what the POP3 and IMAP test harnesses share (not a test).

A posthorn instance with alice made by `posthorn passwd` (uid 5000 as
root, the current user otherwise; Maildir HOME/Maildir), a self-signed
certificate for the server under test, and mail stored with `posthorn
mailbox deliver` run as alice, as local(8) would store it. popd_util.Pop
and imapd_util.Imap add their services and clients.
"""
import contextlib
import os
import ssl
import subprocess

from posthorn_test import BUILDDIR, Harness, Instance, is_root, virtual_ids

ALICE = "alice@example.com"
ALICE_PW = "Alice's pass 1"
POSTHORN = os.path.join(BUILDDIR, "bin", "posthorn")


ids = virtual_ids  # popd_util, imapd_util and the benchmarks ask for it here


def as_alice():
    """subprocess.run keywords that run a command as alice (as root)."""
    uid, gid = ids()
    return {"user": uid, "group": gid, "extra_groups": []} if is_root() else {}


class MailUserInstance(Harness):
    """The instance, alice and the certificate; a context manager.

    daemon: "popd" or "imapd", whose *_tls_cert_file/*_tls_key_file get
    the certificate."""

    def __init__(self, name, settings, daemon):
        self.inst = Instance(name, conf=settings)
        inst = self.inst
        self.passwd = os.path.join(inst.config_dir, "passwd")
        self.home = os.path.join(inst.dir, "home", "alice")
        os.makedirs(self.home)
        uid, gid = ids()
        if is_root():
            os.chown(self.home, uid, gid)
        self.maildir = os.path.join(self.home, "Maildir")
        inst.posthorn_ok("passwd", "-f", self.passwd, "-u", str(uid), "-g", str(gid),
                         "-d", self.home, ALICE, input=ALICE_PW + "\n")
        self.cert, key = inst.selfsigned()
        inst.write_conf(auth_passwd_file=self.passwd,
                        **{f"{daemon}_tls_cert_file": self.cert,
                           f"{daemon}_tls_key_file": key})

    def two_ports(self):
        """Two different free ports (the plain and the TLS service)."""
        return self.inst.free_ports(2)

    # --- the mailbox on disk ---------------------------------------------------

    def folder_dir(self, folder="INBOX"):
        """The directory of a folder (a name in modified UTF-7, '.' separated)."""
        return self.maildir if folder.upper() == "INBOX" else os.path.join(self.maildir, "." + folder)

    def deliver(self, message, folder=None, flags=None):
        """Stores message (bytes) in alice's INBOX (or folder) as alice, the
        way local(8) does; returns the file's path."""
        args = [POSTHORN, "-c", self.inst.config_dir, "mailbox", "deliver"]
        if flags:
            args += ["-f", flags]
        args += ["-d", self.maildir]
        if folder:
            args.append(folder)
        r = subprocess.run(args, input=message, capture_output=True, timeout=30, **as_alice())
        if r.returncode != 0:  # quietly when it works: tests deliver thousands
            raise AssertionError(f"posthorn mailbox deliver: {r.stdout}{r.stderr}")
        return r.stdout.decode().split()[-1]

    def files(self, folder="INBOX"):
        """The file names in new/ and cur/ of a folder, sorted."""
        names = []
        for sub in ("new", "cur"):
            with contextlib.suppress(FileNotFoundError):
                names += os.listdir(os.path.join(self.folder_dir(folder), sub))
        return sorted(names)

    def context(self):
        """A client TLS context that trusts the instance's certificate."""
        ctx = ssl.create_default_context(cafile=self.cert)
        ctx.check_hostname = False
        return ctx
