"""SRS: mail an alias forwards to another domain keeps working (srs_domain).

An instance with srs_domain fwd.test, aliases that forward to two other
domains, NSD and three smtp-sinks (the original sender's server, a next
hop that takes the mail, one that refuses the recipient):
  - the forwarded message leaves with MAIL FROM SRS0=...=sender.test=alice@fwd.test,
    which python3-srs (pysrs, an independent implementation) decodes with
    the same secret back to alice@sender.test;
  - a bounce to that address, sent to our smtpd from outside, is accepted
    and reaches alice@sender.test at her server, with the null sender;
  - when the next hop refuses the forwarded message, our own bounce goes
    to the SRS address and from there to alice@sender.test too;
  - a forged SRS address (bad hash), an expired one and one of another
    secret are refused at RCPT with 550 5.1.1 and the reason;
  - posthorn check names a missing srs_secret_file.
"""
import os
import smtplib
import sys
import time

from dns_util import Nsd
from inbound_util import Inbound
from posthorn_test import SKIP, expect, passed, wait_for
from smtp_mx import port_free_everywhere
from smtp_util import Sink

try:
    import SRS  # python3-srs
except ImportError as e:
    print(f"SKIP: {e} (apt-get install python3-srs)")
    sys.exit(SKIP)

SECRET = "s3cret-for-the-test"
ZONE = """
sender     MX 10 mx-orig
dest       MX 10 mx-next
refuse     MX 10 mx-refuse
mx-orig    A  127.0.0.81
mx-next    A  127.0.0.82
mx-refuse  A  127.0.0.83
"""
MESSAGE = "From: Alice <alice@sender.test>\nTo: fwd@fwd.test\nSubject: {subject}\n\nforward me\n"


def pysrs(now=None):
    srs = SRS.new(secret=SECRET, maxage=21, hashlength=4)
    if now is not None:
        srs.timestamp_create = lambda ts=None, f=srs.timestamp_create: f(now)
    return srs


def rcpt_reply(port, address):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo("bounce.sender.test")
        s.mail("")
        return s.rcpt(address)


def main():
    port = port_free_everywhere()
    with Nsd({"test": ZONE}) as ns, \
            Sink("127.0.0.81", port, name="orig") as orig, \
            Sink("127.0.0.82", port, name="next") as nexthop, \
            Sink("127.0.0.83", port, ["-f", "rcpt", "-B", "550 5.1.1 No such user here"], name="refuse") as refuse:
        box = Inbound("srs_forward",
                      conf={"mydestination": "localhost.localdomain, localhost, fwd.test",
                            "dns_servers": ns.server, "dns_trust_anchor_file": "", "dns_timeout": "2s",
                            "dns_attempts": "1", "smtp_tcp_port": str(port), "srs_domain": "fwd.test"},
                      aliases="fwd: user@dest.test\nfwdbad: user@refuse.test\n",
                      extra_services="smtp unix - - y - - smtp\nbounce unix - - y - 0 bounce\n")
        with box:
            inst = box.inst
            secret_file = os.path.join(inst.config_dir, "srs.secret")
            r = inst.posthorn("check")
            expect(r.returncode != 0 and "srs_secret_file" in r.stderr and secret_file in r.stderr,
                   f"posthorn check names the missing secret file: {r.stderr}")
            with open(secret_file, "w") as f:
                f.write("# the first line signs\n" + SECRET + "\n")
            os.chmod(secret_file, 0o600)
            expect(inst.posthorn("check").returncode == 0, "and accepts it once it is there")
            box.start()

            # Forwarded: the next hop sees an SRS0 sender that pysrs decodes.
            with smtplib.SMTP("127.0.0.1", box.port, timeout=30) as s:
                s.sendmail("alice@sender.test", ["fwd@fwd.test"], MESSAGE.format(subject="forwarded"))
            wait_for(lambda: nexthop.messages(), 20, what="the forwarded message at the next hop")
            sender = nexthop.commands("mail")[-1].split("<", 1)[1].split(">", 1)[0]
            expect(sender.startswith("SRS0=") and sender.endswith("=sender.test=alice@fwd.test"),
                   f"the forwarded message's sender is an SRS0 address of fwd.test: {sender}")
            expect(pysrs().reverse(sender) == "alice@sender.test", f"pysrs decodes {sender} to alice@sender.test")
            expect(b"Subject: forwarded" in nexthop.messages()[-1], "the message itself arrived")

            # A bounce to it from outside goes back to alice.
            code, text = rcpt_reply(box.port, sender)
            expect(code == 250, f"a bounce to the SRS address is accepted: {code} {text}")
            with smtplib.SMTP("127.0.0.1", box.port, timeout=30) as s:
                s.sendmail("", [sender], "From: MAILER-DAEMON@dest.test\nSubject: bounce-from-outside\n\nno\n")
            wait_for(lambda: any(b"bounce-from-outside" in m for m in orig.messages()), 20,
                     what="the bounce at alice's server")
            expect(any("alice@sender.test" in r for r in orig.commands("rcpt")),
                   f"addressed to alice@sender.test: {orig.commands('rcpt')}")
            inst.wait_for_log(r"SRS address SRS0=\S+@fwd\.test is alice@sender\.test")

            # Refused by the next hop: our own bounce takes the same way.
            before = len(orig.messages())
            with smtplib.SMTP("127.0.0.1", box.port, timeout=30) as s:
                s.sendmail("alice@sender.test", ["fwdbad@fwd.test"], MESSAGE.format(subject="will-bounce"))
            wait_for(lambda: len(orig.messages()) > before and
                     any(b"will-bounce" in m for m in orig.messages()[before:]), 30,
                     what="our bounce of the refused forward at alice's server")
            expect(refuse.commands("rcpt"), "the refusing hop was asked")
            expect("<>" in orig.commands("mail")[-1],
                   f"the bounce has the null sender: {orig.commands('mail')[-1]}")

            # Forged, expired, and another secret's addresses stop at RCPT.
            forged = "SRS0=AAAA=" + sender.split("=", 2)[2]
            old = pysrs(time.time() - 30 * 86400).forward("alice@sender.test", "fwd.test")
            other = SRS.new(secret="another", maxage=21, hashlength=4).forward("alice@sender.test", "fwd.test")
            for address, why in ((forged, "bad SRS hash"), (old, "expired SRS address"), (other, "bad SRS hash")):
                code, text = rcpt_reply(box.port, address)
                expect(code == 550 and b"5.1.1" in text and why.encode() in text,
                       f"{address} is refused ({why}): {code} {text}")
    passed("srs: forwarded with SRS0, bounces return to the sender, forged and expired refused")


if __name__ == "__main__":
    main()
