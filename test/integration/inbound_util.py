"""inbound_util - shared by the inbound_* integration tests (not a test).

An instance that runs the whole inbound path as a real installation does:

    PORT          inet n - y - - smtpd        (chrooted, as mail_owner)
    cleanup       unix n - y - 0 cleanup
    qmgr          unix n - y 60 1 qmgr        (chrooted, as mail_owner)
    pickup        unix n - y 60 1 pickup      (maildrop/ to cleanup)
    local         unix - n n - - local        (root, not chrooted)
    mapd          unix - - n - - mapd
    authd-userdb  unix - n n - - authd

Domains: localhost.localdomain and localhost are mydestination (system
users, mbox files in a private mail_spool_directory), virtual.example is a
virtual mailbox domain whose user vuser has a Maildir under the instance.
As root the virtual user gets uid 5000 and the system user is "nobody";
as an ordinary user both are the current user (no ID changes possible).
"""
import glob
import os
import pwd
import smtplib

from posthorn_test import Harness, Instance, is_root, virtual_ids  # noqa: F401 (virtual_ids)

VIRTUAL_USER = "vuser@virtual.example"

SERVICES = """{port} inet n - y - - smtpd
cleanup unix n - y - 0 cleanup
qmgr unix n - y 60 1 qmgr
pickup unix n - y 60 1 pickup
local unix - n n - - local
mapd unix - - n - - mapd
authd-userdb unix - n n - - authd
"""


def system_user():
    """The system user that receives mail in the tests: (name, uid, gid)."""
    if is_root():
        pw = pwd.getpwnam("nobody")
    else:
        pw = pwd.getpwuid(os.getuid())
    return pw.pw_name, pw.pw_uid, pw.pw_gid


class Inbound(Harness):
    """An instance with the inbound services; .port is smtpd's port."""

    def __init__(self, name, conf=None, aliases="", extra_services="", passwd_extra="",
                 postmaster_alias=True):
        settings = {
            "mydestination": "localhost.localdomain, localhost",
            "virtual_mailbox_domains": "virtual.example",
            "mynetworks": "127.0.0.0/8",
            "smtpd_peername_lookup": "no",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "queue_run_delay": "1s",
        }
        settings.update(conf or {})
        self.inst = Instance(name, conf=settings)
        inst = self.inst
        self.spool = os.path.join(inst.dir, "mail")
        os.makedirs(self.spool)
        os.chmod(self.spool, 0o1777)
        self.vhome = os.path.join(inst.dir, "vhome")
        os.makedirs(self.vhome)
        uid, gid = virtual_ids()
        if is_root():
            os.chown(self.vhome, uid, gid)
        passwd = os.path.join(inst.config_dir, "passwd")
        with open(passwd, "w") as f:
            f.write(f"{VIRTUAL_USER}:{{PLAIN}}secret:{uid}:{gid}::{self.vhome}::\n" + passwd_extra)
        alias_file = os.path.join(inst.config_dir, "aliases")
        sysname = system_user()[0]
        with open(alias_file, "w") as f:
            if postmaster_alias:
                f.write(f"postmaster: {sysname}\n")
            f.write(f"sales: {sysname}, {VIRTUAL_USER}\n" + aliases)
        inst.write_conf(auth_passwd_file=passwd, mail_spool_directory=self.spool,
                        alias_maps="hash:" + alias_file, alias_database="hash:" + alias_file)
        inst.posthorn_ok("map", "-a", "hash:" + alias_file)
        self.port = inst.free_port()
        inst.write_master_conf(SERVICES.format(port=self.port) + extra_services)

    def maildir_new(self):
        """Files in the virtual user's Maildir new/ (full paths)."""
        return sorted(glob.glob(os.path.join(self.vhome, "Maildir", "new", "*")))

    def mbox_path(self):
        return os.path.join(self.spool, system_user()[0])

    def mbox_text(self):
        try:
            with open(self.mbox_path(), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def smtp(self, sender, rcpts, message, host="127.0.0.1"):
        with smtplib.SMTP(host, self.port, timeout=30) as s:
            return s.sendmail(sender, rcpts, message)
