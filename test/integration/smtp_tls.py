"""smtp_tls - end to end between two posthorn instances, over STARTTLS.

Instance B receives mail for virtual.example (its smtpd on 127.0.0.61
offers STARTTLS with a self-signed certificate; local delivers into the
virtual user's Maildir). NSD says virtual.example's MX is B. Instance A
(a relay) takes a message for B's user and its smtp agent delivers it:

  - the message arrives in B's Maildir, once;
  - A's log shows the TLS session ("Untrusted TLS connection established
    ... TLSv1.3 ...") and B's Received: header says ESMTPS;
  - smtp_tls_security_level = encrypt towards a server without STARTTLS
    (smtp-sink) defers with 4.7.4 and delivers nothing;
  - an unknown user of B: bounced with B's 550 5.1.1 text;
  - a message larger than B's SIZE: bounced with 5.3.4 before MAIL FROM.
"""
import os

from dns_util import Nsd
from inbound_util import SERVICES, VIRTUAL_USER, Inbound
from posthorn_test import expect, passed, wait_for
from smtp_util import Relay, Sink, message

ZONE = """
@     MX 10 mx
mx    A  127.0.0.61
"""
PLAIN_ZONE = """
@     MX 10 mx
mx    A  127.0.0.62
"""


def main():
    with Inbound("smtp_tls_b") as b:
        cert, key = b.inst.selfsigned()
        b.inst.write_conf(smtpd_tls_security_level="may", smtpd_tls_cert_file=cert, smtpd_tls_key_file=key,
                          inet_interfaces="127.0.0.61", message_size_limit="20000")
        b.inst.write_master_conf(SERVICES.format(port=f"127.0.0.61:{b.port}"))
        b.inst.start()
        wait_for(lambda: b.inst.first_line(b.port, host="127.0.0.61"), 10, what="B's smtpd on 127.0.0.61")

        with Nsd({"virtual.example": ZONE, "plain.example": PLAIN_ZONE}) as dns, \
                Sink("127.0.0.62", b.port, name="notls") as notls, \
                Relay("smtp_tls_a", dns.server, b.port, conf={}) as a:
            a.start()
            a.submit("sender@client.test", [VIRTUAL_USER], message("over tls", body="secret body\n"))
            line = a.wait_status(VIRTUAL_USER, "sent")
            expect("relay=mx.virtual.example[127.0.0.61]:" in line, f"A delivered to B: {line}")
            tls = a.inst.wait_for_log(r"Untrusted TLS connection established to mx\.virtual\.example"
                                      r"\[127\.0\.0\.61\]:\d+: (TLSv1\.[23]) with cipher")
            passed(f"A's log shows the TLS session ({tls.group(1)})")
            files = wait_for(lambda: b.maildir_new(), 15, what="the message in B's Maildir")
            expect(len(files) == 1, "exactly one copy in B's Maildir")
            with open(files[0], "rb") as f:
                text = f.read()
            expect(b"secret body" in text and b"Subject: over tls" in text, "the message is intact in B's Maildir")
            expect(b"ESMTPS" in text, "B's Received: header says the session was encrypted (ESMTPS)")

            # Unknown user at B: B's 550 comes back as the bounce reason.
            a.submit("sender@client.test", ["nobody-here@virtual.example"], message("unknown"))
            line = a.wait_status("nobody-here@virtual.example", "bounced")
            expect("dsn=5.1.1" in line and "said: 550" in line, f"B's 550 for an unknown user: {line}")

            # Over B's SIZE limit: refused by the client before MAIL FROM.
            big = message("big", body=("x" * 70 + "\n") * 600)
            a.submit("sender@client.test", [VIRTUAL_USER], big)
            line = a.wait_status(VIRTUAL_USER, "bounced")
            expect("dsn=5.3.4" in line and "exceeds size limit 20000" in line,
                   f"a message over the server's SIZE bounces with 5.3.4: {line}")

            # encrypt towards a server without STARTTLS: deferred, nothing sent.
            a.inst.write_conf(smtp_tls_security_level="encrypt")
            a.inst.reload()
            offset = a.inst.log_size()
            a.submit("sender@client.test", ["u@plain.example"], message("must be encrypted"))
            line = a.wait_status("u@plain.example", "deferred", offset=offset)
            expect("dsn=4.7.4" in line and "TLS is required" in line, f"encrypt without STARTTLS defers: {line}")
            expect(not notls.messages(), "nothing was sent in plaintext")
            expect(len(b.maildir_new()) == 1, "B still has its one copy")


if __name__ == "__main__":
    main()
