"""bounce_util - shared by the bounce_*, qmgr_* and queue_* integration
tests (not a test).

An inbound instance (inbound_util.Inbound: smtpd, cleanup, qmgr, local,
mapd, authd) plus the bounce service, as conf/master.conf has it:

    bounce unix - - y - 0 bounce

Test senders are local: SENDER (the system user's address at localhost),
whose mbox in the instance's spool receives the DSNs.
"""
import email
import email.policy
import mailbox
import re
import smtplib

from posthorn_test import expect, wait_for
from inbound_util import Inbound, VIRTUAL_USER, system_user

BOUNCE_SERVICE = "bounce unix - - y - 0 bounce\n"


def sender_address():
    return f"{system_user()[0]}@localhost"


class BounceBox(Inbound):
    """Inbound with the bounce service; DSNs to sender_address() land in
    the system user's mbox."""

    def __init__(self, name, conf=None, aliases="", extra_services="", **kw):
        super().__init__(name, conf=conf, aliases=aliases,
                         extra_services=BOUNCE_SERVICE + extra_services, **kw)

    def send(self, sender, rcpts, body, mail_options=(), rcpt_options=()):
        """One SMTP transaction; returns the queue ID from the 250 reply."""
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as s:
            s.ehlo("test.example")
            code, reply = s.mail(sender, list(mail_options))
            expect(code == 250, f"MAIL FROM:<{sender}> {mail_options}: {code} {reply!r}")
            for r in rcpts:
                code, reply = s.rcpt(r, list(rcpt_options))
                expect(code == 250, f"RCPT TO:<{r}> {rcpt_options}: {code} {reply!r}")
            code, reply = s.data(body)
            expect(code == 250, f"DATA: {code} {reply!r}")
        m = re.search(rb"queued as ([0-9A-Za-z]+)", reply)
        expect(m is not None, f"a queue ID in {reply!r}")
        return m.group(1).decode()

    def mbox_messages(self):
        """The messages in the system user's mbox, parsed (email.message)."""
        try:
            box = mailbox.mbox(self.mbox_path(), create=False)
        except (FileNotFoundError, mailbox.NoSuchMailboxError):
            return []
        msgs = []
        for key in box.keys():
            raw = box.get_bytes(key)
            msgs.append(email.message_from_bytes(raw, policy=email.policy.compat32))
        box.close()
        return msgs

    def dsns_about(self, queue_id, postmaster_copies=False):
        """The DSNs in the mbox whose delivery report names queue_id: those
        for the sender, or (postmaster_copies) the postmaster's copies."""
        out = []
        for m in self.mbox_messages():
            if m.get_content_type() != "multipart/report":
                continue
            if m.get("Subject", "").startswith("Postmaster Copy:") != postmaster_copies:
                continue
            report = delivery_status(m)
            if report and report[0].get("X-Posthorn-Queue-ID") == queue_id:
                out.append(m)
        return out

    def wait_dsn(self, queue_id, count=1, timeout=20):
        wait_for(lambda: len(self.dsns_about(queue_id)) >= count, timeout,
                 what=f"{count} DSN(s) about {queue_id}")
        return self.dsns_about(queue_id)

    def wait_removed(self, queue_id, timeout=20):
        self.inst.wait_for_log(re.escape(queue_id) + r": removed", timeout)


def delivery_status(msg):
    """The message/delivery-status part's blocks (per-message first, then
    one per recipient), or None."""
    for part in msg.get_payload():
        if part.get_content_type() == "message/delivery-status":
            return part.get_payload()
    return None


def parts(msg):
    return [p.get_content_type() for p in msg.get_payload()]


def check_report(msg, action, status, recipient, original_part):
    """Asserts a well-formed multipart/report DSN (RFC 3464, RFC 6522)."""
    expect(msg.get_content_type() == "multipart/report"
           and msg.get_param("report-type") == "delivery-status",
           f"multipart/report; report-type=delivery-status: {msg.get('Content-Type')}")
    expect(parts(msg) == ["text/plain", "message/delivery-status", original_part],
           f"parts text/plain, message/delivery-status, {original_part}: {parts(msg)}")
    blocks = delivery_status(msg)
    per_msg, per_rcpt = blocks[0], blocks[1:]
    expect(per_msg.get("Reporting-MTA") == "dns; localhost.localdomain",
           f"Reporting-MTA: {per_msg.get('Reporting-MTA')}")
    expect(per_msg.get("Arrival-Date") is not None, "Arrival-Date present")
    mine = [b for b in per_rcpt if b.get("Final-Recipient") == f"rfc822; {recipient}"]
    expect(len(mine) == 1, f"one Final-Recipient: rfc822; {recipient} in "
           f"{[b.get('Final-Recipient') for b in per_rcpt]}")
    b = mine[0]
    expect(b.get("Action") == action and b.get("Status") == status,
           f"Action: {action}, Status: {status} (got {b.get('Action')}, {b.get('Status')})")
    expect(msg.get("From", "").startswith("MAILER-DAEMON@"), f"From: {msg.get('From')}")
    return per_msg, b
