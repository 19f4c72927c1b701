"""submission_util - shared by the submission_* integration tests (not a test).

An instance whose master runs submission as an MSA would:

    SUB    inet n - y - - smtpd -o smtpd_tls_security_level=encrypt   (587)
               -o smtpd_sasl_auth_enable=yes -o smtpd_sasl_auth_required=yes
               -o smtpd_reject_sender_login_mismatch=yes
    SUBS   inet n - y - - smtpd -o smtpd_tls_wrappermode=yes ...       (465)
    cleanup, mapd, authd-userdb                                        (as smtpd_util)
    authd-passdb unix - n n - 1 authd passdb

with a self-signed certificate (`posthorn tls selfsigned`), users made by
`posthorn passwd` (alice with a SCRAM verifier, bob without: -S), a sender
login map (hash:, through mapd) that lets alice and bob both send as
shared@example.com, and mynetworks that does not hold loopback (so only
authentication lets a client relay).
"""
import os
import smtplib
import ssl
import subprocess

from posthorn_test import Harness, Instance, virtual_ids
import cleanup_util

HOST = "localhost.localdomain"
ALICE = "alice@example.com"
ALICE_PW = "Alice's pass: 1"
BOB = "bob@example.com"
BOB_PW = "bob-secret"

SERVICES = """{sub} inet n - y - - smtpd -o smtpd_tls_security_level=encrypt {opts}
{subs} inet n - y - - smtpd -o smtpd_tls_wrappermode=yes {opts}
cleanup unix n - y - 0 cleanup
mapd unix - - n - - mapd
authd-userdb unix - n n - - authd
authd-passdb unix - n n - 1 authd passdb
"""
SUBMISSION_OPTS = ("-o smtpd_sasl_auth_enable=yes -o smtpd_sasl_auth_required=yes "
                   "-o smtpd_reject_sender_login_mismatch=yes")


class Submission(Harness):
    def __init__(self, name, conf=None):
        settings = {
            "mydestination": "localhost.localdomain, localhost",
            "virtual_mailbox_domains": "example.com",
            "mynetworks": "192.0.2.0/24",
            "smtpd_peername_lookup": "no",
            "auth_failure_delay": "0",
            "smtpd_sender_login_maps": "",
        }
        settings.update(conf or {})
        self.inst = Instance(name, conf=settings)
        inst = self.inst
        self.passwd = os.path.join(inst.config_dir, "passwd")
        aliases = os.path.join(inst.config_dir, "aliases")
        with open(aliases, "w") as f:
            f.write("postmaster: root\n")
        logins = os.path.join(inst.config_dir, "sender_logins")
        with open(logins, "w") as f:
            f.write(f"shared@example.com {ALICE}, {BOB}\n")
        inst.write_conf(auth_passwd_file=self.passwd, alias_maps="hash:" + aliases,
                        alias_database="hash:" + aliases,
                        smtpd_sender_login_maps="hash:" + logins,
                        proxy_read_maps="$alias_maps $smtpd_sender_login_maps")
        for args in (("map", "-a", "hash:" + aliases), ("map", "hash:" + logins)):
            inst.posthorn_ok(*args)
        self.add_user(ALICE, ALICE_PW)
        self.add_user(BOB, BOB_PW, "-S")
        self.cert, self.key = inst.selfsigned()
        inst.write_conf(smtpd_tls_cert_file=self.cert, smtpd_tls_key_file=self.key)
        self.sub, self.subs = inst.free_ports(2)
        self.port = self.sub  # start() waits for its greeting
        inst.write_master_conf(SERVICES.format(sub=self.sub, subs=self.subs, opts=SUBMISSION_OPTS))

    def add_user(self, user, password, *flags):
        uid, gid = virtual_ids()
        self.inst.posthorn_ok("passwd", *flags, "-u", str(uid), "-g", str(gid),
                              "-d", os.path.join(self.inst.dir, "home"), user,
                              input=password + "\n")

    def context(self):
        ctx = ssl.create_default_context(cafile=self.cert)
        ctx.check_hostname = False
        return ctx

    def smtp587(self, source=None):
        s = smtplib.SMTP("127.0.0.1", self.sub, local_hostname="client.example", timeout=30,
                         source_address=(source, 0) if source else None)
        s.starttls(context=self.context())
        s.ehlo("client.example")
        return s

    def smtp465(self, source=None):
        s = smtplib.SMTP_SSL("127.0.0.1", self.subs, local_hostname="client.example", timeout=30,
                             context=self.context(),
                             source_address=(source, 0) if source else None)
        s.ehlo("client.example")
        return s

    def incoming(self):
        return [n for n in cleanup_util.incoming(self.inst) if not n.startswith(".")]

    def dump(self, qid):
        return cleanup_util.dump(os.path.join(self.inst.queue_dir, "incoming", qid))


def message(sender, rcpt, subject="test"):
    return (f"From: {sender}\r\nTo: {rcpt}\r\nSubject: {subject}\r\n\r\nhello\r\n").encode()


def queue_id(text):
    if isinstance(text, bytes):
        text = text.decode()
    return text.rsplit(" ", 1)[1]


def have(program):
    return subprocess.run(["sh", "-c", f"command -v {program}"],
                          capture_output=True).returncode == 0
