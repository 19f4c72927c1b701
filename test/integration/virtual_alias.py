"""virtual_alias: forwarders, lists and catch-alls of virtual alias domains.

An instance whose virtual_alias_maps serve two virtual alias domains
(alias.test, catch.test), with recipient_delimiter = + and a
sender_canonical_maps entry; NSD serves dest.test, whose MX is an
smtp-sink:
  - fwd+tag@alias.test is relayed to user+tag@dest.test through the
    loopback DNS, with the canonical sender in MAIL FROM;
  - list@alias.test reaches three local users (two virtual mailboxes and
    a system user's mbox), each copy logged with orig_to=<list@alias.test>;
  - anyone@catch.test reaches the catch-all's user;
  - unknown@alias.test is refused at RCPT with 550 5.1.1 "User unknown in
    virtual alias table", alone and next to a valid recipient, and nothing
    is accepted and then bounced;
  - sendmail(1) to the list gets the same expansion;
  - a virtual_alias_maps table that cannot be read is 451 4.3.0 at RCPT.
"""
import os
import smtplib
import subprocess

from dns_util import Nsd
from inbound_util import VIRTUAL_USER, Inbound, system_user, virtual_ids
from posthorn_test import expect, is_root, passed, wait_for
from smtp_mx import port_free_everywhere
from smtp_util import Sink
from submit_util import SENDMAIL

ZONE = "dest MX 10 mx-dest\nmx-dest A 127.0.0.86\n"
SECOND_USER = "vuser2@virtual.example"


def rcpt_reply(port, address):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo("client.test")
        s.mail("someone@sender.test")
        return s.rcpt(address)


def main():
    port = port_free_everywhere()
    sysname = system_user()[0]
    with Nsd({"test": ZONE}) as ns, Sink("127.0.0.86", port, name="dest") as dest:
        uid, gid = virtual_ids()
        box = Inbound("virtual_alias",
                      conf={"dns_servers": ns.server, "dns_trust_anchor_file": "", "dns_timeout": "2s",
                            "dns_attempts": "1", "smtp_tcp_port": str(port),
                            "recipient_delimiter": "+",
                            "virtual_alias_domains": "alias.test, catch.test"},
                      passwd_extra="",
                      extra_services="smtp unix - - y - - smtp\nbounce unix - - y - 0 bounce\n")
        inst = box.inst
        vhome2 = os.path.join(inst.dir, "vhome2")
        os.makedirs(vhome2)
        if is_root():
            os.chown(vhome2, uid, gid)
        with open(os.path.join(inst.config_dir, "passwd"), "a") as f:
            f.write(f"{SECOND_USER}:{{PLAIN}}secret:{uid}:{gid}::{vhome2}::\n")
        virtual = os.path.join(inst.config_dir, "virtual")
        with open(virtual, "w") as f:
            f.write("fwd@alias.test       user@dest.test\n"
                    f"list@alias.test      {VIRTUAL_USER}, {SECOND_USER}, {sysname}@localhost\n"
                    f"@catch.test          {SECOND_USER}\n")
        canonical = os.path.join(inst.config_dir, "sender_canonical")
        with open(canonical, "w") as f:
            f.write("alice@inside.test    alice.smith@sender.test\n")
        inst.posthorn_ok("map", "hash:" + virtual)
        inst.posthorn_ok("map", "hash:" + canonical)
        inst.write_conf(virtual_alias_maps="hash:" + virtual, sender_canonical_maps="hash:" + canonical)
        with box:
            box.start()
            # The forwarder: relayed through the loopback DNS, extension kept,
            # the sender rewritten by sender_canonical_maps.
            box.smtp("alice@inside.test", ["fwd+tag@alias.test"],
                     "From: alice@inside.test\nSubject: forwarded\n\nforward me\n")
            wait_for(lambda: dest.messages(), 20, what="the forwarded message at dest.test's MX")
            expect(any("<user+tag@dest.test>" in c for c in dest.commands("rcpt")),
                   f"relayed to user+tag@dest.test: {dest.commands('rcpt')}")
            expect(any("<alice.smith@sender.test>" in c for c in dest.commands("mail")),
                   f"MAIL FROM is the canonical sender: {dest.commands('mail')}")
            expect(b"From: alice.smith@sender.test\n" in dest.messages()[-1].replace(b"\r\n", b"\n"),
                   "and so is the From: header")

            # The list: three local users, each logged with the list as orig_to.
            box.smtp("bob@sender.test", ["list@alias.test"], "Subject: to-the-list\n\nhello all\n")
            mbox2 = os.path.join(vhome2, "Maildir", "new")
            second = lambda: [os.path.join(mbox2, n) for n in os.listdir(mbox2)] if os.path.isdir(mbox2) else []
            wait_for(lambda: box.maildir_new() and second() and b"to-the-list" in box.mbox_text(), 30,
                     what="the list's message in three mailboxes")
            for path in box.maildir_new() + second():
                with open(path, "rb") as f:
                    expect(b"Subject: to-the-list" in f.read(), f"{path} holds the list's message")
            inst.wait_for_log(r"to=<%s>.*orig_to=<list@alias\.test>" % VIRTUAL_USER.replace(".", r"\."))

            # The catch-all.
            box.smtp("bob@sender.test", ["whoever@catch.test"], "Subject: caught\n\nanyone there?\n")
            wait_for(lambda: any(b"Subject: caught" in open(p, "rb").read() for p in second()), 20,
                     what="the catch-all's message")

            # Unknown: refused at RCPT, alone and next to a valid recipient.
            code, text = rcpt_reply(box.port, "nobody@alias.test")
            expect(code == 550 and text.startswith(b"5.1.1 <nobody@alias.test>: Recipient address rejected: "
                                                   b"User unknown in virtual alias table"),
                   f"unknown alias refused at RCPT: {code} {text}")
            with smtplib.SMTP("127.0.0.1", box.port, timeout=30) as s:
                refused = s.sendmail("bob@sender.test", ["list@alias.test", "nobody@alias.test"],
                                     "Subject: mixed\n\nmixed recipients\n")
            expect(list(refused) == ["nobody@alias.test"] and refused["nobody@alias.test"][0] == 550,
                   f"next to a valid recipient, the unknown one is refused at RCPT: {refused}")
            wait_for(lambda: sum(1 for p in second() if b"Subject: mixed" in open(p, "rb").read()) == 1, 20,
                     what="the mixed message for the valid recipient")

            # sendmail(1): the same expansion.
            r = subprocess.run([SENDMAIL, "-C", inst.config_dir, "-f", "robot@inside.test", "list@alias.test"],
                               input=b"Subject: from-sendmail\n\nbuild passed\n", capture_output=True, timeout=60)
            expect(r.returncode == 0, f"sendmail exits 0: {r.stderr!r}")
            wait_for(lambda: any(b"from-sendmail" in open(p, "rb").read() for p in box.maildir_new())
                     and any(b"from-sendmail" in open(p, "rb").read() for p in second())
                     and b"from-sendmail" in box.mbox_text(), 30, what="sendmail's message in three mailboxes")
            box.wait_queue_empty()
            log = inst.log_text()
            expect("status=bounced" not in log, "nothing was accepted and then bounced")
            expect(not any(b"Undelivered" in m or b"MAILER-DAEMON" in m for m in dest.messages()),
                   "no bounce left for the outside")

            # A table that cannot be read: a temporary failure, never a 5xx.
            os.rename(virtual + ".db", virtual + ".db.away")
            code, text = rcpt_reply(box.port, "fwd@alias.test")
            expect(code == 451 and text.startswith(b"4.3.0"), f"unreadable virtual table: {code} {text}")
            os.rename(virtual + ".db.away", virtual + ".db")
    passed("virtual_alias: forwarder relayed, list to three users, catch-all, unknown refused at RCPT, "
           "canonical sender, sendmail expanded, unreadable table 451")


if __name__ == "__main__":
    main()
