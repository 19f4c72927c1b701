"""smtpd looks up each client's forward-confirmed reverse name (FCrDNS)
through libunbound before the greeting (smtpd_peername_lookup = yes).

NSD on loopback serves 127.in-addr.arpa and fcrdns.test; clients connect
from distinct source addresses:
- 127.0.0.2: PTR good.fcrdns.test, whose A is 127.0.0.2: the name is
  verified: "connect from good.fcrdns.test[127.0.0.2]", the Received:
  header names it, as does the "client=" line;
- 127.0.0.3: PTR forged.fcrdns.test, whose A is another address:
  "unknown", and Postfix's "warning: hostname forged.fcrdns.test does not
  resolve to address 127.0.0.3" (what fail2ban's postfix filter reads);
- 127.0.0.4: no PTR: "unknown";
- 127.0.0.5: PTR into a zone that fails (SERVFAIL): "unknown", the
  session goes on;
- dns_servers pointing at a port that never answers: the greeting still
  comes, within dns_timeout x dns_attempts, and the client is "unknown".
As root, smtpd is chrooted: the lookups work inside the jail (the
resolver is set up before it).
"""
import os
import time

from dns_util import Nsd, SilentDns
from posthorn_test import expect, is_root, passed
from smtpd_util import VIRTUAL_USER, Client, dump, incoming, make_instance, wait_ready

ZONES = {
    "fcrdns.test": "good A 127.0.0.2\nforged A 127.0.0.99\n",
    "127.in-addr.arpa": ("2.0.0 PTR good.fcrdns.test.\n3.0.0 PTR forged.fcrdns.test.\n"
                         "5.0.0 PTR host.broken.test.\n"),
}


def send_from(port, source):
    """One message from `source`; returns the greeting's time in seconds."""
    start = time.monotonic()
    with Client(port, source=source) as c:
        waited = time.monotonic() - start
        expect(c.greeting[0] == 220, f"greeting to {source}: {c.greeting}")
        for command, code in ((f"EHLO client-{source}", "250"), ("MAIL FROM:<s@example.net>", "250"),
                              (f"RCPT TO:<{VIRTUAL_USER}>", "250"), ("DATA", "354")):
            reply = c.cmd(command)
            expect(reply.startswith(code), f"{command} from {source}: {reply}")
        reply = c.cmd(f"Subject: from {source}\r\n\r\nbody\r\n.")
        expect(reply.startswith("250"), f"end of DATA from {source}: {reply}")
        c.cmd("QUIT")
    return waited


def received_header(inst, source):
    for qid in incoming(inst):
        content = dump(inst, qid)[3].decode(errors="replace")
        if f"[{source}]" in content.split("\n\n", 1)[0]:
            return content.split("\n", 2)[0:2]
    raise AssertionError(f"no queue file from {source}")


def check_names(dns):
    inst, port = make_instance("smtpd_fcrdns", smtpd_peername_lookup="yes",
                               mynetworks="127.0.0.0/8", dns_servers=dns.server,
                               dns_trust_anchor_file="", dns_timeout="2s", dns_attempts="1")
    with inst:
        offset = inst.log_size()
        inst.start()
        wait_ready(inst, port)
        for source in ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"):
            send_from(port, source)
        log = inst.log_text(offset)
        expect("]: connect from good.fcrdns.test[127.0.0.2]" in log, "127.0.0.2 is good.fcrdns.test")
        expect("client=good.fcrdns.test[127.0.0.2]" in log, "client=good.fcrdns.test[127.0.0.2] is logged")
        expect("(good.fcrdns.test [127.0.0.2])" in "\n".join(received_header(inst, "127.0.0.2")),
               f"Received: names the verified name: {received_header(inst, '127.0.0.2')}")
        expect("warning: hostname forged.fcrdns.test does not resolve to address 127.0.0.3" in log,
               "the forged name draws Postfix's warning")
        for source in ("127.0.0.3", "127.0.0.4", "127.0.0.5"):
            expect(f"]: connect from unknown[{source}]" in log, f"{source} is unknown")
        expect("(unknown [127.0.0.4])" in "\n".join(received_header(inst, "127.0.0.4")),
               "Received: says unknown for a client without a name")
        if is_root():
            # The smtpd that named good.fcrdns.test is the chrooted one:
            # its resolver was set up before the jail and works inside it.
            found = inst.find_log(r"smtpd\[(\d+)\]: connect from good\.fcrdns\.test", offset)
            pid = found.group(1)
            root = os.readlink(f"/proc/{pid}/root")
            expect(root == os.path.realpath(inst.queue_dir),
                   f"smtpd[{pid}], which resolved the name, runs in the jail {root}")
        else:
            print("note: the chroot check is skipped because it needs root")
        inst.stop()


def check_silent_dns():
    # Every lookup times out.
    silent = SilentDns()
    inst, port = make_instance("smtpd_fcrdns_silent", smtpd_peername_lookup="yes",
                               mynetworks="127.0.0.0/8", dns_servers=silent.server,
                               dns_trust_anchor_file="", dns_timeout="1s", dns_attempts="1")
    with silent, inst:
        offset = inst.log_size()
        inst.start()
        wait_ready(inst, port)  # its probe connection waits for the lookup too
        waited = send_from(port, "127.0.0.2")
        expect(0.8 <= waited < 10, f"the greeting waited for the lookup's deadline (1 s): {waited:.1f} s")
        log = inst.log_text(offset)
        expect("]: connect from unknown[127.0.0.2]" in log, "the client is unknown when the DNS is silent")
        expect("client name lookup: name service error for name=2.0.0.127.in-addr.arpa type=PTR: "
               "timeout after 1000ms" in log, "the timeout is logged")
        inst.stop()


def main():
    with Nsd(ZONES, broken=["broken.test"]) as dns:
        check_names(dns)
    check_silent_dns()
    passed("FCrDNS: verified, forged, absent, failing and silent")


if __name__ == "__main__":
    main()
