"""bounce_dsn - delivery status notifications through a real instance.

smtpd, cleanup, qmgr, local and the bounce service; the sender is a local
user, so every DSN is delivered into its mbox, where python's email
package parses it:
  - a recipient that fails (alias to "|exit 1") -> a failure DSN to the
    sender: multipart/report with the text part, message/delivery-status
    (Reporting-MTA, Original-Envelope-Id from ENVID, Arrival-Date;
    Final-Recipient, Original-Recipient from ORCPT, Action: failed,
    Status, Diagnostic-Code, Last-Attempt-Date) and the original headers;
    from the null sender;
  - RET=FULL returns the whole message (message/rfc822), an unknown
    virtual user behind an alias as the failing recipient;
  - NOTIFY=NEVER and the null sender: no DSN;
  - notify_classes = bounce, 2bounce: the postmaster (aliased to the same
    local user here) gets a headers-only copy of each failure DSN, and a
    report about the null-sender message that failed;
  - NOTIFY=SUCCESS: Action: delivered;
  - delay_warning_time: one "delayed" DSN (Status 4.x), then, when
    maximal_queue_lifetime has passed, the failure DSN.
"""
import time

from posthorn_test import expect, passed
from bounce_util import BounceBox, check_report, sender_address
from inbound_util import VIRTUAL_USER


def main():
    aliases = ('permfail: "|exit 1"\n'
               'tempfail: "|exit 75"\n'
               "ghost: ghost@virtual.example\n")
    conf = {"delay_warning_time": "2s", "maximal_queue_lifetime": "7s",
            "notify_classes": "resource, software, bounce, 2bounce"}
    with BounceBox("bounce_dsn", conf=conf, aliases=aliases) as box:
        box.start()
        me = sender_address()

        # A failure, RET not given: the headers come back.
        q_headers = qid = box.send(me, ["permfail@localhost"],
                       b"Subject: doomed\r\nX-Marker: one\r\n\r\nsecret body one\r\n",
                       mail_options=["ENVID=env-1"],
                       rcpt_options=["ORCPT=rfc822;PermFail@localhost"])
        [dsn] = box.wait_dsn(qid)
        per_msg, rcpt = check_report(dsn, "failed", "5.3.0", "permfail@localhost",
                                     "text/rfc822-headers")
        expect(per_msg.get("Original-Envelope-Id") == "env-1",
               f"Original-Envelope-Id: {per_msg.get('Original-Envelope-Id')}")
        expect(rcpt.get("Original-Recipient") == "rfc822; PermFail@localhost",
               f"Original-Recipient from ORCPT: {rcpt.get('Original-Recipient')}")
        expect(rcpt.get("Diagnostic-Code", "").strip() != "", "Diagnostic-Code present")
        expect(rcpt.get("Last-Attempt-Date") is not None, "Last-Attempt-Date present")
        headers = dsn.get_payload()[2].get_payload()
        expect("X-Marker: one" in headers and "secret body one" not in headers,
               "the original's headers, without its body")
        expect(dsn.get("Return-Path") == "<>", f"from the null sender: {dsn.get('Return-Path')}")
        expect(dsn.get("To") == me, f"to the sender: {dsn.get('To')}")
        box.wait_removed(qid)
        passed("failure DSN with headers")

        # RET=FULL, an unknown user behind an alias.
        q_full = qid = box.send(me, ["ghost@localhost"], b"Subject: full\r\n\r\nsecret body two\r\n",
                       mail_options=["RET=FULL"])
        [dsn] = box.wait_dsn(qid)
        check_report(dsn, "failed", "5.1.1", "ghost@localhost", "message/rfc822")
        inner = dsn.get_payload()[2].get_payload()[0]
        expect(inner.get("Subject") == "full" and "secret body two" in inner.get_payload(),
               "RET=FULL: the whole original message")
        passed("failure DSN with the full message")

        # NOTIFY=NEVER, and the null sender: nothing.
        q_never = box.send(me, ["permfail@localhost"], b"Subject: never\r\n\r\nx\r\n",
                           rcpt_options=["NOTIFY=NEVER"])
        q_null = box.send("", ["permfail@localhost"], b"Subject: null\r\n\r\nx\r\n")
        box.wait_removed(q_never)
        box.wait_removed(q_null)
        time.sleep(1.5)
        expect(not box.dsns_about(q_never), "NOTIFY=NEVER: no DSN")
        expect(not box.dsns_about(q_null), "the null sender: no DSN")
        expect(not box.dsns_about(q_never, postmaster_copies=True),
               "NOTIFY=NEVER: no postmaster copy either")
        [report] = box.dsns_about(q_null, postmaster_copies=True)
        check_report(report, "failed", "5.3.0", "permfail@localhost", "text/rfc822-headers")
        expect(report.get("To") == "postmaster", f"2bounce: to the postmaster: {report.get('To')}")
        passed("NOTIFY=NEVER and the null sender")

        # The postmaster's copies of the failure DSNs: headers only.
        for q in (q_headers, q_full):
            [copy] = box.dsns_about(q, postmaster_copies=True)
            check_report(copy, "failed", "5.3.0" if q == q_headers else "5.1.1",
                         "permfail@localhost" if q == q_headers else "ghost@localhost",
                         "text/rfc822-headers")
        passed("postmaster copies")

        # NOTIFY=SUCCESS: a "delivered" DSN.
        qid = box.send(me, [VIRTUAL_USER], b"Subject: success\r\n\r\nx\r\n",
                       rcpt_options=["NOTIFY=SUCCESS"])
        [dsn] = box.wait_dsn(qid)
        check_report(dsn, "delivered", "2.0.0", VIRTUAL_USER, "text/rfc822-headers")
        expect(dsn.get("Subject") == "Successful Mail Delivery Report", dsn.get("Subject"))
        passed("success DSN")

        # A delay warning once, then the failure at the end of the queue lifetime.
        qid = box.send(me, ["tempfail@localhost"], b"Subject: slow\r\n\r\nx\r\n")
        dsns = box.wait_dsn(qid, 1, timeout=15)
        check_report(dsns[0], "delayed", "4.3.0", "tempfail@localhost", "text/rfc822-headers")
        dsns = box.wait_dsn(qid, 2, timeout=25)
        actions = sorted(m.get_payload()[1].get_payload()[1].get("Action") for m in dsns)
        expect(actions == ["delayed", "failed"], f"one delayed then one failed DSN: {actions}")
        box.wait_removed(qid)
        failed = [m for m in dsns if m.get_payload()[1].get_payload()[1].get("Action") == "failed"]
        check_report(failed[0], "failed", "5.3.0", "tempfail@localhost", "text/rfc822-headers")
        time.sleep(1)
        expect(len(box.dsns_about(qid)) == 2, "no more DSNs about it")
        box.wait_queue_empty()
        print("ok: bounce DSNs")


if __name__ == "__main__":
    main()
