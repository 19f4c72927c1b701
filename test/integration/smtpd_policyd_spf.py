"""Debian's postfix-policyd-spf-python as check_policy_service (issue 16).

policyd-spf speaks the policy protocol on stdin/stdout (Postfix runs it
from spawn(8)); a small socket server here execs it per connection on a
loopback port, as spawn would. Its DNS is the test's: the loopback nsd
serves spf.test with "v=spf1 ip4:127.0.0.1 -all", and a shim makes
dnspython's default resolver ask that server (resolv.conf cannot name a
port). Its configuration is the test's own: Debian's default skips
127.0.0.0/8, which every test client comes from.
- a client from 127.0.0.3 with a spf.test sender: the policy's 550 reject
  (SPF fail), logged as NOQUEUE: reject: RCPT;
- a client from 127.0.0.1: accepted, the queue file holds policyd-spf's
  Received-SPF: Pass header.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import threading

from dns_util import Nsd
from posthorn_test import expect, passed
from smtpd_util import Client, dump, make_instance, services, wait_ready

POLICYD = "/usr/bin/policyd-spf"
ZONES = {"spf.test": 'spf.test. IN TXT "v=spf1 ip4:127.0.0.1 -all"\n'}
CONFIG = ("debugLevel = 1\nTestOnly = 1\nHELO_reject = Fail\nMail_From_reject = Fail\n"
          "PermError_reject = False\nTempError_Defer = False\nskip_addresses = 192.0.2.255/32\n")
# dnspython's module-level resolve() asks default_resolver: point it at nsd.
SHIM = ("import sys, dns.resolver\n"
        "r = dns.resolver.Resolver(configure=False)\n"
        "r.nameservers = ['127.0.0.1']; r.port = int(sys.argv.pop(1)); r.lifetime = 5\n"
        "dns.resolver.default_resolver = r\n"
        "sys.argv[0] = 'policyd-spf'\n"
        "from spf_engine.policyd_spf import main\n"
        "sys.exit(main())\n")


class Spawner:
    """A loopback listener that runs policyd-spf on each connection."""

    def __init__(self, dns_port, config):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.cmd = ["/usr/bin/python3", "-c", SHIM, str(dns_port), config]
        self.procs = []
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.procs.append(subprocess.Popen(self.cmd, stdin=conn.fileno(), stdout=conn.fileno(),
                                               stderr=subprocess.DEVNULL))
            conn.close()

    def close(self):
        self.sock.close()
        for p in self.procs:
            p.kill()
            p.wait(10)


def transaction(port, source, sender):
    with Client(port, source=source) as c:
        c.send("EHLO client.example\r\n")
        c.reply()
        c.cmd(f"MAIL FROM:<{sender}>")
        r = c.cmd("RCPT TO:<root@localhost>")
        if not r.startswith("250"):
            return r
        c.cmd("DATA")
        return c.cmd("Subject: spf\r\n\r\nbody\r\n.")


def main():
    if not os.path.exists(POLICYD):
        print("postfix-policyd-spf-python is not installed: skipped")
        return
    tmp = tempfile.mkdtemp(prefix="ph-spf-")
    config = os.path.join(tmp, "policyd-spf.conf")
    with open(config, "w") as f:
        f.write(CONFIG)
    try:
        with Nsd(ZONES) as dns:
            spawner = Spawner(dns.port, config)
            try:
                inst, port = make_instance(
                    "smtpd_policyd_spf", mynetworks="192.0.2.0/24",
                    smtpd_relay_restrictions="permit_mynetworks, reject_unauth_destination",
                    smtpd_recipient_restrictions=f"check_policy_service inet:127.0.0.1:{spawner.port}",
                    smtpd_policy_service_timeout="20s")
                with inst:
                    inst.write_master_conf(services(port, ""))
                    inst.start()
                    wait_ready(inst, port)
                    offset = inst.log_size()
                    r = transaction(port, "127.0.0.3", "someone@spf.test")
                    expect(r.startswith("550 5.7.") and "SPF" in r,
                           f"a client the SPF record forbids gets policyd-spf's reject: {r}")
                    inst.wait_for_log(r"NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.3\]: 550 5\.7\.", 10, offset)
                    r = transaction(port, "127.0.0.1", "someone@spf.test")
                    expect(r.startswith("250 2.0.0 Ok: queued as "), f"a client the SPF record allows: {r}")
                    q = str(dump(inst, r.split()[-1]))
                    expect("Received-SPF: Pass" in q, f"policyd-spf's Received-SPF header is queued: {q[:400]}")
            finally:
                spawner.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    passed("smtpd_policyd_spf: SPF fail refused with policyd-spf's 550, pass accepted with Received-SPF")


if __name__ == "__main__":
    main()
