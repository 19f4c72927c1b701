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
import poplib

from mail_user_util import ALICE, ALICE_PW, MailUserInstance, ids  # noqa: F401 (ids: for the tests)
from posthorn_test import wait_for

SERVICES = """{pop} inet n - y - - popd
{pops} inet n - y - - popd -o popd_tls_wrappermode=yes
pop3-mailbox unix - n n - - popd mailbox
authd-userdb unix - n n - - authd
authd-passdb unix - n n - 1 authd passdb
"""


class Pop(MailUserInstance):
    def __init__(self, name, conf=None):
        settings = {"auth_failure_delay": "0", "popd_timeout": "20s"}
        settings.update(conf or {})
        super().__init__(name, settings, "popd")
        self.pop, self.pops = self.two_ports()
        self.inst.write_master_conf(SERVICES.format(pop=self.pop, pops=self.pops))

    def start(self):
        self.inst.start()
        wait_for(lambda: self.inst.first_line(self.pop), 10, what="popd's greeting")

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
