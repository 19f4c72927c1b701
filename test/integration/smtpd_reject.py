"""Bad input gets a clear reply from smtpd and leaves nothing half-done.

The issue's acceptance list, against the real master, smtpd, cleanup, mapd
and authd (smtpd_util), mynetworks = 127.0.0.1/32:
- SMTP smuggling: "\\r\\n.\\n" and "\\n.\\n" inside DATA never end the
  message: one 250, one queue file, which holds the smuggled text;
- smtpd_forbid_bare_newline = reject (a second smtpd service): a bare LF
  gets 550 5.5.2 after the content and no queue file;
- a connection dropped before the final "." leaves no queue file, not even
  a temporary one;
- oversized: SIZE= over message_size_limit -> 552 5.3.4 at MAIL; content
  over it -> 552 5.3.4 after the content, and no queue file;
- recipients beyond smtpd_recipient_limit (5) -> 452 4.5.3 for the 6th;
- a non-ASCII address without SMTPUTF8 -> 553 5.6.7;
- commands out of order -> 503 5.5.1;
- relay: from 127.0.0.2 (not in mynetworks) RCPT to a remote domain ->
  554 5.7.1 Relay access denied, logged as NOQUEUE: reject; from 127.0.0.1
  the same recipient is accepted;
- unknown local and virtual users -> 550 5.1.1;
- a table lookup that fails (a third service whose alias_maps names a table
  mapd refuses) -> 451 4.3.0, never 550.
"""
import os
import socket
import time

from posthorn_test import expect, wait_for, passed
from smtpd_util import Client, dump, incoming, incoming_all, make_instance, services, wait_ready


def data_exchange(port, body, source=None):
    """EHLO, MAIL, RCPT root, DATA, then body; returns the reply lines that
    follow the 354 (read until the server has nothing more for 2 s)."""
    with Client(port, source=source) as c:
        c.send("EHLO smuggler.example\r\n")
        c.reply()
        for cmd in ("MAIL FROM:<s@example.net>", "RCPT TO:<root@localhost>", "DATA"):
            c.cmd(cmd)
        c.send(body)
        out = []
        c.sock.settimeout(2)
        try:
            while True:
                out.append(c.line())
        except (socket.timeout, EOFError):
            pass
        return out


def check_smuggling(inst, port):
    for sequence in (b"\r\n.\n", b"\n.\n", b"\n.\r\n"):
        before = set(incoming(inst))
        body = (b"Subject: real\r\n\r\nreal body" + sequence
                + b"MAIL FROM:<forged@example.net>\r\nRCPT TO:<root@localhost>\r\nDATA\r\n"
                + b"Subject: smuggled\r\n\r\nsmuggled body\r\n.\r\n")
        replies = data_exchange(port, body)
        new = sorted(set(incoming(inst)) - before)
        expect(len(replies) == 1 and replies[0].startswith("250 2.0.0 Ok: queued as ")
               and len(new) == 1,
               f"{sequence!r} does not end DATA: one reply {replies}, one queue file {new}")
        _, rcpts, _, content = dump(inst, new[0])
        expect(b"MAIL FROM:<forged@example.net>" in content and b"Subject: smuggled" in content
               and len(rcpts) == 1,
               f"the smuggled commands are content of the one message ({sequence!r})")


def check_bare_lf_reject(inst, port):
    before = incoming_all(inst)
    replies = data_exchange(port, b"Subject: x\r\n\r\nline\nsmuggled\r\n.\r\n")
    expect(replies == ["550 5.5.2 Error: bare <LF> received"],
           f"smtpd_forbid_bare_newline = reject: {replies}")
    wait_for(lambda: incoming_all(inst) == before, 10, what="incoming/ to be as before")
    passed("no queue file (nor a temporary one) for the refused message")


def check_drop_before_dot(inst, port):
    before = incoming_all(inst)
    offset = inst.log_size()
    with Client(port) as c:
        c.send("EHLO dropper.example\r\n")
        c.reply()
        c.cmd("MAIL FROM:<d@example.net>")
        c.cmd("RCPT TO:<root@localhost>")
        c.cmd("DATA")
        c.send(b"Subject: never\r\n\r\n" + b"x" * 70000 + b"\r\nno end\r\n")
        time.sleep(0.3)
    inst.wait_for_log(r"lost connection after DATA from unknown\[127\.0\.0\.1\]", 10, offset)
    wait_for(lambda: incoming_all(inst) == before, 10, what="incoming/ to be as before")
    passed("a connection lost before the '.' leaves nothing in incoming/")


def check_size(inst, port):
    before = incoming_all(inst)
    with Client(port) as c:
        c.send("EHLO big.example\r\n")
        c.reply()
        expect(c.cmd("MAIL FROM:<b@example.net> SIZE=200001")
               == "552 5.3.4 Message size exceeds fixed limit", "SIZE= over the limit: 552 5.3.4")
        c.cmd("MAIL FROM:<b@example.net> SIZE=1000")
        c.cmd("RCPT TO:<root@localhost>")
        c.cmd("DATA")
        line = b"y" * 998 + b"\r\n"
        c.send(b"Subject: big\r\n\r\n" + line * 300 + b".\r\n")  # 300 kB > 200 kB
        reply = c.line()
        expect(reply == "552 5.3.4 Error: message file too big",
               f"content over message_size_limit: {reply}")
        expect(c.cmd("NOOP") == "250 2.0.0 Ok", "the session goes on")
    # cleanup removes its temporary file when smtpd drops the session.
    wait_for(lambda: incoming_all(inst) == before, 10, what="incoming/ to be as before")
    passed("no queue file (nor a temporary one) for the oversized message")


def check_limits_and_order(inst, port):
    with Client(port) as c:
        expect(c.cmd("RCPT TO:<root@localhost>") == "503 5.5.1 Error: need MAIL command",
               "RCPT before MAIL: 503 5.5.1")
        expect(c.cmd("DATA") == "503 5.5.1 Error: need RCPT command", "DATA before MAIL: 503 5.5.1")
        c.send("EHLO order.example\r\n")
        c.reply()
        expect(c.cmd("MAIL FROM:<j\u00f6rg@example.net>")
               == "553 5.6.7 Must declare SMTPUTF8 to send unicode address",
               "a non-ASCII sender without SMTPUTF8: 553 5.6.7")
        c.cmd("MAIL FROM:<o@example.net>")
        expect(c.cmd("MAIL FROM:<o@example.net>") == "503 5.5.1 Error: nested MAIL command",
               "nested MAIL: 503 5.5.1")
        expect(c.cmd("RCPT TO:<\u00e9t\u00e9@localhost>")
               == "553 5.6.7 Must declare SMTPUTF8 to send unicode address",
               "a non-ASCII recipient without SMTPUTF8: 553 5.6.7")
        expect(c.cmd("DATA") == "554 5.5.1 Error: no valid recipients",
               "DATA without a valid recipient: 554 5.5.1")
        answers = [c.cmd("RCPT TO:<root@localhost>") for _ in range(6)]
        expect(answers[:5] == ["250 2.1.5 Ok"] * 5
               and answers[5] == "452 4.5.3 Error: too many recipients",
               f"smtpd_recipient_limit = 5: the 6th gets 452 4.5.3 ({answers[-1]})")
        c.cmd("RSET")
        c.cmd("MAIL FROM:<o@example.net>")
        expect(c.cmd("RCPT TO:<nosuchuser@localhost>")
               == "550 5.1.1 <nosuchuser@localhost>: Recipient address rejected: "
                  "User unknown in local recipient table",
               "an unknown local user: 550 5.1.1")
        expect(c.cmd("RCPT TO:<nobody-here@virtual.example>")
               == "550 5.1.1 <nobody-here@virtual.example>: Recipient address rejected: "
                  "User unknown in virtual mailbox table",
               "an unknown virtual user: 550 5.1.1")


def check_relay(inst, port):
    offset = inst.log_size()
    with Client(port, source="127.0.0.2") as c:
        c.send("EHLO outsider.example\r\n")
        c.reply()
        c.cmd("MAIL FROM:<o@example.net>")
        reply = c.cmd("RCPT TO:<someone@remote.example>")
        expect(reply == "554 5.7.1 <someone@remote.example>: Relay access denied",
               f"relay from 127.0.0.2 (outside mynetworks): {reply}")
        expect(c.cmd("RCPT TO:<root@localhost>") == "250 2.1.5 Ok",
               "a local recipient is fine from outside")
    inst.wait_for_log(r"NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.2\]: 554 5\.7\.1 "
                      r"<someone@remote\.example>: Relay access denied; from=<o@example\.net> "
                      r"to=<someone@remote\.example> proto=ESMTP helo=<outsider\.example>",
                      10, offset)
    passed("the relay refusal is logged as NOQUEUE: reject: RCPT from unknown[127.0.0.2]")
    with Client(port) as c:
        c.send("EHLO insider.example\r\n")
        c.reply()
        c.cmd("MAIL FROM:<i@example.net>")
        expect(c.cmd("RCPT TO:<someone@remote.example>") == "250 2.1.5 Ok",
               "the same recipient from 127.0.0.1 (in mynetworks) is accepted")


def check_tempfail(inst, port):
    with Client(port) as c:
        c.send("EHLO t.example\r\n")
        c.reply()
        c.cmd("MAIL FROM:<t@example.net>")
        reply = c.cmd("RCPT TO:<nosuchuser@localhost>")
        expect(reply == "451 4.3.0 <nosuchuser@localhost>: Temporary lookup failure",
               f"an unreadable alias table is a temporary failure: {reply}")
        expect(c.cmd("RCPT TO:<root@localhost>") == "250 2.1.5 Ok",
               "a user the user database knows is still accepted")


def main():
    inst, port = make_instance("smtpd_reject")
    with inst:
        strict = inst.free_port()
        broken = inst.free_port()
        inst.write_master_conf(services(port, (
            f"{strict} inet n - y - - smtpd -o smtpd_forbid_bare_newline=reject"
            " -o smtpd_forbid_bare_newline_exclusions=\n"
            f"{broken} inet n - y - - smtpd -o alias_maps=hash:/nonexistent/aliases\n")))
        inst.start()
        for p in (port, strict, broken):
            wait_ready(inst, p)
        check_smuggling(inst, port)
        check_bare_lf_reject(inst, strict)
        check_drop_before_dot(inst, port)
        check_size(inst, port)
        check_limits_and_order(inst, port)
        check_relay(inst, port)
        check_tempfail(inst, broken)
        inst.stop()


if __name__ == "__main__":
    main()
