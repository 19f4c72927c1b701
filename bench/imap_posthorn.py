"""imap_posthorn - a private posthorn instance serving IMAP, for bench/imap_bench.py.

The user setup is mail_user_util's (test/integration), as the POP3 and IMAP tests':
alice@example.com made by `posthorn passwd` (uid 5000 as root), Maildir at
HOME/Maildir, a self-signed certificate. Its master.conf has imapd as an
installation would, plus authd:

    IMAP  inet n - y - - imapd
    IMAPS inet n - y - - imapd -o imapd_tls_wrappermode=yes
    imap-mailbox unix - n n - - imapd-mailbox
    authd-userdb unix - n n - - authd
    authd-passdb unix - n n - 1 authd passdb

imapd_disable_plaintext_auth = no (plain LOGIN on loopback, as Dovecot
gets), default_process_limit raised for 500 connections (master.conf's
"-" maxproc), extra parameters from the caller (--posthorn-conf). The
daemons run from copies of BUILDDIR/libexec taken at the start, so a
rebuild during the run changes nothing.
"""
import os
import shutil
import time

import imap_memory
import mail_user_util
from posthorn_test import LIBEXEC, POSTHORN, cmdline, wait_for

SERVICES = """{imap} inet n - y - - imapd
{imaps} inet n - y - - imapd -o imapd_tls_wrappermode=yes
imap-mailbox unix - n n - - imapd-mailbox
authd-userdb unix - n n - - authd
authd-passdb unix - n n - 1 authd passdb
"""


def available():
    return os.path.exists(os.path.join(LIBEXEC, "imapd"))


class PosthornImap(mail_user_util.MailUserInstance):
    name = "posthorn"
    user = mail_user_util.ALICE
    password = mail_user_util.ALICE_PW

    def __init__(self, process_limit=1100, conf=None):
        settings = {"auth_failure_delay": "0", "imapd_disable_plaintext_auth": "no",
                    "default_process_limit": str(process_limit)}
        settings.update(conf or {})
        super().__init__("imap-bench", settings, "imapd")
        inst = self.inst
        self.port, self.imaps = self.two_ports()
        inst.write_master_conf(SERVICES.format(imap=self.port, imaps=self.imaps))
        self.started = False
        self._snapshot_daemons()

    def _snapshot_daemons(self):
        """Copies of the build's daemons, so that a rebuild during the run
        does not mix old and new imapd processes (imapd-mailbox checks
        that the login stage runs the imapd file next to it)."""
        snap = os.path.join(self.inst.dir, "daemons")
        os.makedirs(snap)
        copies = {}
        for entry in os.listdir(LIBEXEC):
            src = os.path.join(LIBEXEC, entry)
            if os.path.isfile(src) and os.access(src, os.X_OK):
                copies[entry] = os.path.join(snap, entry)
                shutil.copy2(src, copies[entry])
        self.inst.add_daemons(copies)

    def start(self):
        self.inst.start()
        wait_for(lambda: self.inst.first_line(self.port), 10, what="imapd's greeting")
        self.started = True

    @property
    def master_pid(self):
        return self.inst.master_pid

    def log(self):
        return "\n".join(self.inst.log_lines()[-30:])

    def reset_index(self):
        """Removes posthorn's index files (posthorn-*) of INBOX, once no
        imapd-mailbox process is left from the last session (up to 5 s)."""
        def mailbox_stages():
            found = []
            for pid in imap_memory.descendants(self.master_pid):
                args = cmdline(pid)
                if args and os.path.basename(args[0]) == "imapd-mailbox":
                    found.append(pid)
            return found
        deadline = time.time() + 5
        while self.started and mailbox_stages() and time.time() < deadline:
            time.sleep(0.05)
        for entry in os.listdir(self.maildir):
            if entry.startswith("posthorn-"):
                os.unlink(os.path.join(self.maildir, entry))

    def deliver_command(self, maildir):
        """The command (and Popen keywords) that stores a message as alice, as local(8) would."""
        uid, gid = mail_user_util.ids()
        return ([POSTHORN, "-c", self.inst.config_dir, "mailbox", "deliver", "-d", maildir],
                {"user": uid, "group": gid, "extra_groups": []})

