"""popd_util - shared by the popd_* integration tests (not a test).

An instance that serves POP3 as an installation would:

    POP   inet n - y - - popd                                  (110: STLS)
    POPS  inet n - y - - popd -o popd_tls_wrappermode=yes      (995)
    pop3-mailbox unix - n n - - popd mailbox                   (root until it is the user)
    authd-userdb unix - n n - - authd
    authd-passdb unix - n n - 1 authd passdb

with a self-signed certificate (`posthorn tls selfsigned`) and alice made
by `posthorn passwd` (uid 5000 as root, the current user otherwise), whose
Maildir is HOME/Maildir. Mail goes in with `posthorn mailbox deliver`,
run as alice, as local(8) would store it.
"""
import os
import poplib
import ssl
import subprocess

from posthorn_test import Instance, expect, is_root, wait_for

ALICE = "alice@example.com"
ALICE_PW = "Alice's pass 1"

SERVICES = """{pop} inet n - y - - popd
{pops} inet n - y - - popd -o popd_tls_wrappermode=yes
pop3-mailbox unix - n n - - popd mailbox
authd-userdb unix - n n - - authd
authd-passdb unix - n n - 1 authd passdb
"""


def ids():
    return (5000, 5000) if is_root() else (os.getuid(), os.getgid())


class Pop:
    def __init__(self, name, conf=None):
        settings = {"auth_failure_delay": "0", "popd_timeout": "20s"}
        settings.update(conf or {})
        self.inst = Instance(name, conf=settings)
        inst = self.inst
        self.passwd = os.path.join(inst.config_dir, "passwd")
        self.home = os.path.join(inst.dir, "home", "alice")
        os.makedirs(self.home)
        uid, gid = ids()
        if is_root():
            os.chown(self.home, uid, gid)
        self.maildir = os.path.join(self.home, "Maildir")
        r = subprocess.run([os.path.join(os.environ["POSTHORN_BUILDDIR"], "bin", "posthorn"),
                            "-c", inst.config_dir, "passwd", "-f", self.passwd, "-u", str(uid),
                            "-g", str(gid), "-d", self.home, ALICE],
                           input=ALICE_PW + "\n", capture_output=True, text=True, timeout=30)
        expect(r.returncode == 0, f"posthorn passwd: {r.stdout}{r.stderr}")
        r = inst.posthorn("tls", "selfsigned")
        expect(r.returncode == 0, f"posthorn tls selfsigned: {r.stdout}{r.stderr}")
        tls = os.path.join(inst.config_dir, "tls")
        self.cert = os.path.join(tls, "posthorn.crt")
        inst.write_conf(auth_passwd_file=self.passwd, popd_tls_cert_file=self.cert,
                        popd_tls_key_file=os.path.join(tls, "posthorn.key"))
        self.pop = inst.free_port()
        self.pops = inst.free_port()
        while self.pops == self.pop:
            self.pops = inst.free_port()
        inst.write_master_conf(SERVICES.format(pop=self.pop, pops=self.pops))

    def __enter__(self):
        self.inst.__enter__()
        return self

    def __exit__(self, *exc):
        return self.inst.__exit__(*exc)

    def start(self):
        self.inst.start()
        wait_for(lambda: self.inst.first_line(self.pop), 10, what="popd's greeting")

    def deliver(self, message):
        """Stores message (bytes) in alice's INBOX as alice; returns its path."""
        uid, gid = ids()
        kw = {"user": uid, "group": gid, "extra_groups": []} if is_root() else {}
        r = subprocess.run([os.path.join(os.environ["POSTHORN_BUILDDIR"], "bin", "posthorn"),
                            "-c", self.inst.config_dir, "mailbox", "deliver", "-d", self.maildir],
                           input=message, capture_output=True, timeout=30, **kw)
        expect(r.returncode == 0, f"posthorn mailbox deliver: {r.stdout}{r.stderr}")
        return r.stdout.decode().split()[-1]

    def files(self):
        names = []
        for sub in ("new", "cur"):
            try:
                names += os.listdir(os.path.join(self.maildir, sub))
            except FileNotFoundError:
                pass
        return sorted(names)

    def context(self):
        ctx = ssl.create_default_context(cafile=self.cert)
        ctx.check_hostname = False
        return ctx

    def pop3s(self, login=True):
        c = poplib.POP3_SSL("127.0.0.1", self.pops, context=self.context(), timeout=30)
        if login:
            c.user(ALICE)
            c.pass_(ALICE_PW)
        return c

    def pop3_stls(self, login=True):
        c = poplib.POP3("127.0.0.1", self.pop, timeout=30)
        c.stls(context=self.context())
        if login:
            c.user(ALICE)
            c.pass_(ALICE_PW)
        return c


def retrieved(lines):
    """poplib's RETR lines (dot-stuffing removed) as the message bytes with CRLF."""
    return b"".join(l + b"\r\n" for l in lines)
