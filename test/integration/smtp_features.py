"""smtp_features - what the smtp delivery agent says to the server.

NSD serves feat.test; smtp-sink instances with different capabilities are
the MX hosts of its subdomains; a posthorn relay delivers:

  - 8-bit mail to a sink without 8BITMIME (-8) arrives converted to
    quoted-printable, with no 8-bit byte left and no BODY= parameter;
    to a sink with 8BITMIME it goes as is with BODY=8BITMIME;
  - an SMTPUTF8 message with a UTF-8 address, to a sink without SMTPUTF8:
    bounced with 5.6.7;
  - DSN parameters (RET, ENVID, NOTIFY, ORCPT) reach the sink;
  - a server without ESMTP (smtp-sink -e) gets HELO, a bare MAIL FROM and
    the converted message;
  - RCPT refused with 5xx: bounced with the server's text; with 4xx: deferred;
  - 1,000 messages to one destination with connection reuse: far fewer
    connections than messages, and every message arrives.
"""
from dns_util import Nsd
from posthorn_test import expect, passed, wait_for
from smtp_mx import port_free_everywhere
from smtp_util import Relay, Sink, message

ZONE = """
plain      MX 10 h51
no8bit     MX 10 h52
hard       MX 10 h53
soft       MX 10 h54
bulk       MX 10 h55
oldstyle   MX 10 h56
h51        A  127.0.0.51
h52        A  127.0.0.52
h53        A  127.0.0.53
h54        A  127.0.0.54
h55        A  127.0.0.55
h56        A  127.0.0.56
"""

EIGHT_BIT = ("From: sender@client.test\nTo: x\nSubject: accents\nMIME-Version: 1.0\n"
             "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
             "Gr\u00fc\u00dfe aus K\u00f6ln\n.leading dot\n").encode("utf-8")


def main():
    port = port_free_everywhere()
    with Nsd({"feat.test": ZONE}) as dns, \
            Sink("127.0.0.51", port, name="plain") as plain, \
            Sink("127.0.0.52", port, ["-8"], name="no8bit") as no8bit, \
            Sink("127.0.0.53", port, ["-f", "rcpt", "-B", "550 5.1.1 No such user here"], name="hard") as hard, \
            Sink("127.0.0.54", port, ["-r", "rcpt", "-b", "452 4.2.2 Mailbox full"], name="soft") as soft, \
            Sink("127.0.0.55", port, name="bulk") as bulk, \
            Sink("127.0.0.56", port, ["-e"], name="oldstyle") as oldstyle, \
            Relay("smtp_features", dns.server, port) as relay:
        relay.start()

        # 8-bit to a server without 8BITMIME: converted.
        relay.submit("sender@client.test", ["u@no8bit.feat.test"], EIGHT_BIT, mail_options=["BODY=8BITMIME"])
        relay.wait_status("u@no8bit.feat.test", "sent")
        wait_for(lambda: no8bit.messages(), 5, what="the converted message")
        got = no8bit.messages()[0]
        expect(all(b < 0x80 for b in got), "no 8-bit byte reached the server without 8BITMIME")
        expect(b"Content-Transfer-Encoding: quoted-printable" in got, "the body was converted to quoted-printable")
        expect(b"Gr=C3=BC=C3=9Fe aus K=C3=B6ln" in got, "the text is encoded correctly")
        expect(b"Content-Transfer-Encoding: 8bit" not in got, "the old 8bit header is gone")
        expect(b"\n.leading dot" in got, "dot-stuffing was undone by the server: the line is intact")
        expect(not any("BODY=" in a for a in no8bit.commands("mail")), "no BODY= to a server without 8BITMIME")

        # 8-bit to a server with 8BITMIME: as is, DSN parameters passed, SIZE sent.
        relay.submit("sender@client.test", ["u@plain.feat.test"], EIGHT_BIT,
                     mail_options=["BODY=8BITMIME", "RET=HDRS", "ENVID=env+2B42"],
                     rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;orig@plain.feat.test"])
        relay.wait_status("u@plain.feat.test", "sent")
        wait_for(lambda: plain.messages(), 5, what="the 8-bit message")
        expect("Gr\u00fc\u00dfe".encode() in plain.messages()[0], "8-bit content passed unchanged")
        mail = plain.commands("mail")[-1]
        expect("BODY=8BITMIME" in mail and "RET=HDRS" in mail and "ENVID=env+2B42" in mail,
               f"MAIL FROM carries BODY and the DSN parameters: {mail}")
        rcpt = plain.commands("rcpt")[-1]
        expect("NOTIFY=SUCCESS,FAILURE" in rcpt and "ORCPT=rfc822;orig@plain.feat.test" in rcpt,
               f"RCPT TO carries NOTIFY and ORCPT: {rcpt}")

        # SMTPUTF8 needed, not offered (smtp-sink has no SMTPUTF8).
        utf8_rcpt = "j\u00f6rg@plain.feat.test"
        with __import__("smtplib").SMTP("127.0.0.1", relay.port, timeout=30) as s:
            s.ehlo()
            code, _ = s.mail("sender@client.test", ["SMTPUTF8"])
            expect(code == 250, "the relay takes MAIL FROM with SMTPUTF8")
            s.putcmd("RCPT TO:<" + utf8_rcpt + ">")
            code, _ = s.getreply()
            expect(code == 250, "and the UTF-8 recipient")
            code, _ = s.data(message("utf8").encode())
            expect(code == 250, "and the message")
        line = relay.wait_status(utf8_rcpt, "bounced")
        expect("dsn=5.6.7" in line and "SMTPUTF8" in line, f"SMTPUTF8 to a server without it: 5.6.7: {line}")

        # RCPT refused for good, and for now.
        relay.submit("sender@client.test", ["gone@hard.feat.test"], message("hard"))
        line = relay.wait_status("gone@hard.feat.test", "bounced")
        expect("dsn=5.1.1" in line and "550 5.1.1 No such user here" in line and "in reply to RCPT TO" in line,
               f"5xx at RCPT bounces with the server's text: {line}")
        relay.submit("sender@client.test", ["full@soft.feat.test"], message("soft"))
        line = relay.wait_status("full@soft.feat.test", "deferred")
        expect("dsn=4.2.2" in line and "452 4.2.2 Mailbox full" in line,
               f"4xx at RCPT defers with the server's text: {line}")
        expect(not hard.messages() and not soft.messages(), "neither refusing server got a message")

        # A server without ESMTP: HELO, and the 8-bit message converted.
        relay.submit("sender@client.test", ["u@oldstyle.feat.test"], EIGHT_BIT, mail_options=["BODY=8BITMIME"])
        relay.wait_status("u@oldstyle.feat.test", "sent")
        expect(len(oldstyle.commands("helo")) >= 1, f"HELO after the refused EHLO: {oldstyle.commands('helo')}")
        wait_for(lambda: oldstyle.messages(), 5, what="the message at the HELO-only server")
        expect(all(b < 0x80 for b in oldstyle.messages()[0]), "converted to 7 bit for it too")
        mail = oldstyle.commands("mail")[-1]
        expect(mail.strip() == "FROM:<sender@client.test>", f"a bare MAIL FROM, no ESMTP parameters: {mail}")

        # Connection reuse.
        before = bulk.connections()
        count = 1000
        for i in range(count):
            relay.submit("sender@client.test", [f"b{i}@bulk.feat.test"], message(f"bulk {i}"))
        wait_for(lambda: len(bulk.messages()) >= count, 120, what=f"{count} messages at the bulk sink")
        expect(len(bulk.messages()) == count, f"all {count} messages arrived once")
        used = bulk.connections() - before
        expect(used <= count // 10, f"{count} messages used {used} connections (reuse)")
        passed("connection reuse works")


if __name__ == "__main__":
    main()
