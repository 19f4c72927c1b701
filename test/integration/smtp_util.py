"""smtp_util - shared by the smtp_* integration tests (not a test).

A relay: a posthorn instance that takes mail on smtpd (127.0.0.1, from
mynetworks 127.0.0.0/8), queues it with cleanup, and qmgr hands every
non-local recipient to the smtp delivery agent:

    PORT     inet n - y - - smtpd
    cleanup  unix n - y - 0 cleanup
    qmgr     unix n - y 60 1 qmgr
    smtp     unix - - y - - smtp        (chrooted, as mail_owner)
    mapd     unix - - n - - mapd

Its dns_servers point at a private NSD (dns_util.Nsd) serving the test
zones, and smtp_tcp_port is one free port on which every MX host listens,
each on its own 127.0.0.x address (Linux routes all of 127/8 to lo), so
nothing needs port 25 and parallel tests do not collide.

Destinations are Postfix's smtp-sink (Sink: -v output counts connections
and shows the commands; -d dumps each message) or posthorn instances.
"""
import glob
import os
import re
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time

from posthorn_test import SKIP, Harness, Instance, expect, is_root, stop_group, wait_for

SMTP_SINK = "/usr/sbin/smtp-sink"

RELAY_SERVICES = """{port} inet n - y - - smtpd
cleanup unix n - y - 0 cleanup
qmgr unix n - y 60 1 qmgr
smtp unix - - y - - smtp
mapd unix - - n - - mapd
"""


def require_sink():
    if not os.path.exists(SMTP_SINK):
        print("SKIP: /usr/sbin/smtp-sink is not installed (Debian package postfix)")
        sys.exit(SKIP)


class Sink:
    """smtp-sink on host:port; options as a list (e.g. ["-8"] for no
    8BITMIME, ["-e"] for no ESMTP)."""

    def __init__(self, host, port, options=(), name="sink"):
        require_sink()
        self.host, self.port = host, port
        self.dir = tempfile.mkdtemp(prefix=f"ph-{name}-")
        os.chmod(self.dir, 0o1777)
        self.out_path = os.path.join(self.dir, "sink.out")
        listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        argv = [SMTP_SINK, "-v", "-d", os.path.join(self.dir, "msg", "%M.")]
        if is_root():
            argv += ["-u", "nobody"]
        argv += list(options) + [listen, "64"]
        self.out = open(self.out_path, "w")
        self.proc = subprocess.Popen(argv, stdout=self.out, stderr=self.out, start_new_session=True)
        os.makedirs(os.path.join(self.dir, "msg"), exist_ok=True)
        os.chmod(os.path.join(self.dir, "msg"), 0o1777)
        wait_for(lambda: "trying..." in self.output() or self.proc.poll() is not None, 5,
                 what="smtp-sink to start")
        time.sleep(0.1)
        if self.proc.poll() is not None:
            raise AssertionError("smtp-sink exited: " + self.output())

    def output(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def connections(self):
        return len(re.findall(r": connect \(", self.output()))

    def commands(self, verb):
        """The arguments of every logged command `verb` ("mail", "rcpt", "ehlo")."""
        return re.findall(rf": {verb} (.*)$", self.output(), re.M | re.I)

    def messages(self):
        """The dumped messages (bytes), oldest first."""
        files = sorted(glob.glob(os.path.join(self.dir, "msg", "*")), key=os.path.getmtime)
        out = []
        for path in files:
            with open(path, "rb") as f:
                out.append(f.read())
        return out

    def stop(self):
        stop_group(self.proc)
        self.out.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        if not os.environ.get("POSTHORN_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)
        return False


class Relay(Harness):
    """A posthorn instance that relays everything non-local through smtp."""

    def __init__(self, name, dns_server, mx_port, conf=None, extra_services=""):
        settings = {
            "mydestination": "localhost",
            "mynetworks": "127.0.0.0/8",
            "smtpd_peername_lookup": "no",
            "dns_servers": dns_server,
            # The test zones are unsigned and NSD serves no root: with the
            # root key every answer would be bogus (dns_nsd_test covers DNSSEC).
            "dns_trust_anchor_file": "",
            "dns_timeout": "2s",
            "dns_attempts": "1",
            "smtp_tcp_port": str(mx_port),
            "smtp_connect_timeout": "3s",
            "smtp_helo_timeout": "10s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "queue_run_delay": "1s",
        }
        settings.update(conf or {})
        self.inst = Instance(name, conf=settings)
        self.port = self.inst.free_port()
        self.inst.write_master_conf(RELAY_SERVICES.format(port=self.port) + extra_services)

    def submit(self, sender, rcpts, message, mail_options=(), rcpt_options=()):
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as s:
            return s.sendmail(sender, rcpts, message, mail_options=list(mail_options),
                              rcpt_options=list(rcpt_options))

    def status_lines(self, rcpt, offset=0):
        """maillog lines with to=<rcpt> and a status=."""
        return [l for l in self.inst.log_lines(offset) if f"to=<{rcpt}>" in l and "status=" in l]

    def wait_status(self, rcpt, status, timeout=20, offset=0):
        """Waits for a to=<rcpt> ... status=STATUS line; returns it."""
        def found():
            for l in self.status_lines(rcpt, offset):
                if f"status={status}" in l:
                    return l
            return None
        return wait_for(found, timeout, what=f"status={status} for {rcpt}")


def message(subject, body="hello\n", headers=""):
    return f"From: sender@client.test\nTo: someone\nSubject: {subject}\n{headers}\n{body}"
