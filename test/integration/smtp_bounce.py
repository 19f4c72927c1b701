"""smtp_bounce - what the sender gets back for an undeliverable domain.

A posthorn instance with the whole path (smtpd, cleanup, qmgr, local,
smtp, bounce): its virtual user vuser@virtual.example sends to a domain
with a null MX (RFC 7505) and to one that does not exist. The bounces
arrive in vuser's Maildir and parse with python3's email package as
multipart/report (report-type=delivery-status) with Status 5.1.10 and
5.4.4, the Final-Recipient, and the diagnostic from the smtp agent. A
destination that answers RCPT with 550 gives a bounce whose
Diagnostic-Code is the remote's own reply ("smtp; 550 5.1.1 ...") and
whose Remote-MTA names that host (RFC 3464 2.3.5, 2.3.6).
"""
import email
import email.policy

from dns_util import Nsd
from inbound_util import VIRTUAL_USER, Inbound
from posthorn_test import expect, wait_for
from smtp_mx import port_free_everywhere
from smtp_util import Sink, message

ZONE = """
nullmx     MX 0 .
refusing   MX 10 mx.refusing
mx.refusing A 127.0.0.91
"""


def delivery_status(raw):
    """(the parsed message, its message/delivery-status part's per-recipient fields)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    expect(msg.get_content_type() == "multipart/report" and
           msg.get_param("report-type") == "delivery-status",
           f"the bounce is multipart/report; report-type=delivery-status ({msg.get_content_type()})")
    parts = [p for p in msg.walk() if p.get_content_type() == "message/delivery-status"]
    expect(len(parts) == 1, "it has one message/delivery-status part")
    # The part's payload is a list of header blocks: per-message, then per-recipient.
    blocks = parts[0].get_payload()
    fields = {}
    for block in blocks[1:]:
        for k, v in block.items():
            fields[k.lower()] = str(v)
    return msg, fields


def main():
    port = port_free_everywhere()
    with Nsd({"bounce.test": ZONE}) as dns, \
            Inbound("smtp_bounce",
                    conf={"dns_servers": dns.server, "dns_trust_anchor_file": "",
                          "dns_timeout": "2s", "dns_attempts": "1",
                          "smtp_tcp_port": str(port)},
                    extra_services="smtp unix - - y - - smtp\nbounce unix - - y - 0 bounce\n") as inst:
        inst.start()
        inst.smtp(VIRTUAL_USER, ["someone@nullmx.bounce.test"], message("to a null MX"))
        files = wait_for(lambda: inst.maildir_new(), 20, what="the null MX bounce in the sender's Maildir")
        with open(files[0], "rb") as f:
            msg, fields = delivery_status(f.read())
        expect(fields.get("status") == "5.1.10", f"Status: 5.1.10 ({fields.get('status')})")
        expect("someone@nullmx.bounce.test" in fields.get("final-recipient", ""),
               f"Final-Recipient names the recipient ({fields.get('final-recipient')})")
        expect(fields.get("action") == "failed", "Action: failed")
        expect("nullMX" in fields.get("diagnostic-code", ""),
               f"the diagnostic says why ({fields.get('diagnostic-code')})")

        inst.smtp(VIRTUAL_USER, ["someone@nosuch.bounce.test"], message("to nowhere"))
        files = wait_for(lambda: len(inst.maildir_new()) >= 2 and inst.maildir_new(), 20,
                         what="the NXDOMAIN bounce")
        texts = []
        for path in files:
            with open(path, "rb") as f:
                texts.append(f.read())
        nx = [t for t in texts if b"nosuch.bounce.test" in t]
        expect(len(nx) == 1, "one bounce for the domain that does not exist")
        _, fields = delivery_status(nx[0])
        expect(fields.get("status") == "5.4.4", f"Status: 5.4.4 ({fields.get('status')})")

        with Sink("127.0.0.91", port, ["-f", "rcpt", "-B", "550 5.1.1 No such mailbox here"],
                  name="refusing"):
            inst.smtp(VIRTUAL_USER, ["gone@refusing.bounce.test"], message("to a 550"))
            files = wait_for(lambda: len(inst.maildir_new()) >= 3 and inst.maildir_new(), 20,
                             what="the bounce for the 550")
            refused = []
            for path in files:
                with open(path, "rb") as f:
                    text = f.read()
                if b"gone@refusing.bounce.test" in text:
                    refused.append(text)
            expect(len(refused) == 1, "one bounce for the refused recipient")
            _, fields = delivery_status(refused[0])
            expect(fields.get("status") == "5.1.1", f"Status: 5.1.1 ({fields.get('status')})")
            expect(fields.get("diagnostic-code", "").startswith("smtp; 550 5.1.1 No such mailbox here"),
                   f"Diagnostic-Code is the remote's reply ({fields.get('diagnostic-code')})")
            expect(fields.get("remote-mta") == "dns; mx.refusing.bounce.test",
                   f"Remote-MTA names the host ({fields.get('remote-mta')})")
        inst.wait_queue_empty(20)


if __name__ == "__main__":
    main()
