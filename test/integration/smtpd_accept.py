"""smtpd accepts mail for local, virtual and alias recipients into the queue.

The real master runs smtpd, cleanup, mapd and authd (smtpd_util); as root
smtpd is chrooted into the queue directory as mail_owner. Asserted:
- python smtplib sends to a system user (root@localhost.localdomain, via
  authd's system userdb): the 250 names the queue ID, incoming/ID exists,
  its envelope and content are what was sent (content with LF line ends,
  cleanup's format) after smtpd's Received: header naming the ID and the
  only recipient;
- a virtual user (passwd file through authd), an alias (hash: aliases
  through mapd) and a bare <postmaster> are accepted; DSN parameters
  (NOTIFY, ORCPT, ENVID, RET) and SMTPUTF8 land in the queue file;
- two pipelined transactions in one connection, each group of commands
  sent in one write, give two queue files and every reply in order;
- BDAT chunks (pipelined, with a chunk holding "\\r\\n.\\r\\n") arrive whole;
- the Postfix-style log lines: connect, QUEUEID: client=, disconnect with
  the command counters;
- as root: the smtpd process's root directory is the queue directory and
  it runs as mail_owner.
"""
import os
import pwd
import smtplib

from posthorn_test import expect, is_root, proc_status, wait_for, passed
from smtpd_util import (HOST, VIRTUAL_USER, Client, dump, incoming, make_instance, wait_ready)


def check_smtplib(inst, port):
    msg = (b"From: Sender <sender@example.net>\r\nTo: root@localhost.localdomain\r\n"
           b"Subject: hello\r\n\r\nfirst line\r\n.leading dot\r\n8-bit: gr\xc3\xbc\xc3\x9fe\r\n")
    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example", timeout=20) as s:
        code, _ = s.ehlo()
        expect(code == 250 and s.has_extn("pipelining") and s.has_extn("chunking")
               and s.has_extn("smtputf8") and s.has_extn("dsn") and s.has_extn("8bitmime")
               and s.has_extn("enhancedstatuscodes") and s.esmtp_features.get("size") == "200000",
               f"EHLO keywords: {sorted(s.esmtp_features)}")
        expect(not s.has_extn("starttls"), "no STARTTLS without a certificate")
        s.mail("sender@example.net", ["BODY=8BITMIME"])
        code, text = s.rcpt("root@localhost.localdomain")
        expect(code == 250, f"a system user is a valid recipient: {code} {text!r}")
        code, text = s.data(msg)
        text = text.decode()
        expect(code == 250 and text.startswith("2.0.0 Ok: queued as "),
               f"DATA is answered with the queue ID: {code} {text}")
    qid = text.rsplit(" ", 1)[1]
    expect(qid in incoming(inst), f"incoming/{qid} exists")
    fields, rcpts, _, content = dump(inst, qid)
    expect(fields["sender"] == b"sender@example.net", "the sender is in the queue file")
    expect([r["address"] for r in rcpts] == [b"root@localhost.localdomain"],
           f"the recipient is in the queue file: {rcpts}")
    expect(fields["client.address"] == b"127.0.0.1" and fields["client.helo"] == b"client.example"
           and fields["client.protocol"] == b"ESMTP" and fields["body"] == b"2",
           f"client address, HELO, protocol and BODY=8BITMIME recorded: "
           f"{ {k: v for k, v in fields.items() if k.startswith('client') or k == 'body'} }")
    head, sep, rest = content.partition(b"\nFrom: ")
    expect(head.startswith(b"Received: from client.example (unknown [127.0.0.1])\n\tby "
                           + HOST.encode() + b" (posthorn) with ESMTP id " + qid.encode()
                           + b"\n\tfor <root@localhost.localdomain>; "),
           f"smtpd's Received: header comes first: {head!r}")
    expect(b"\nSubject: hello\n" in rest
           and rest.endswith(b"\n\nfirst line\n.leading dot\n8-bit: gr\xc3\xbc\xc3\x9fe\n"),
           f"the content is byte-exact (dot removed, LF line ends): {rest[-80:]!r}")
    return qid


def check_recipient_kinds(inst, port):
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as s:
        s.ehlo("kinds.example")
        s.mail("", ["RET=HDRS", "ENVID=id+2B1", "SMTPUTF8"])
        for rcpt, options in ((VIRTUAL_USER, ["NOTIFY=SUCCESS,FAILURE",
                                              "ORCPT=rfc822;VUser+2Bx@virtual.example"]),
                              ("Sales@localhost.localdomain", []),
                              ("postmaster", ["NOTIFY=NEVER"])):
            code, text = s.rcpt(rcpt, options)
            expect(code == 250, f"RCPT TO:<{rcpt}> accepted: {code} {text!r}")
        code, text = s.data(b"Subject: kinds\r\n\r\nbody\r\n")
        expect(code == 250, f"queued: {text!r}")
    qid = text.decode().rsplit(" ", 1)[1]
    fields, rcpts, _, content = dump(inst, qid)
    expect(fields["sender"] == b"" and fields["envid"] == b"id+1" and fields["ret"] == b"2"
           and fields["smtputf8"] == b"1",
           f"null sender, ENVID (decoded), RET=HDRS and SMTPUTF8 stored: "
           f"{fields['sender']!r} {fields['envid']!r} {fields['ret']!r} {fields['smtputf8']!r}")
    addresses = [r["address"] for r in rcpts]
    expect(addresses == [VIRTUAL_USER.encode(), b"Sales@localhost.localdomain",
                         b"postmaster@" + HOST.encode()],
           f"virtual user, alias and postmaster (completed with $myorigin): {addresses}")
    expect(rcpts[0]["orcpt"] == b"rfc822;VUser+x@virtual.example" and rcpts[0]["notify"] == b"6",
           f"ORCPT (decoded) and NOTIFY=SUCCESS,FAILURE stored: {rcpts[0]}")
    expect(rcpts[2]["notify"] == b"1", "NOTIFY=NEVER stored")
    expect(b"\n\tby " + HOST.encode() + b" (posthorn) with UTF8SMTP id " in content
           and b"\tfor <" not in content,
           "three recipients: no 'for' clause; SMTPUTF8 makes the protocol UTF8SMTP")


def check_pipelining(inst, port):
    before = set(incoming(inst))
    with Client(port) as c:
        c.send("EHLO pipe.example\r\nMAIL FROM:<p@example.net>\r\n"
               "RCPT TO:<root@localhost.localdomain>\r\nRCPT TO:<nosuchuser@localhost>\r\n"
               "DATA\r\n")
        replies = [c.line() for _ in range(5)]
        expect(replies[1:3] == ["250 2.1.0 Ok", "250 2.1.5 Ok"]
               and replies[3].startswith("550 5.1.1 <nosuchuser@localhost>: Recipient address "
                                         "rejected: User unknown in local recipient table")
               and replies[4].startswith("354 "),
               f"first pipelined group answered in order: {replies}")
        c.send("Subject: one\r\n\r\none\r\n.\r\nMAIL FROM:<p@example.net>\r\n"
               "RCPT TO:<sales@localhost>\r\nDATA\r\n")
        replies = [c.line() for _ in range(4)]
        expect(replies[0].startswith("250 2.0.0 Ok: queued as ") and replies[1] == "250 2.1.0 Ok"
               and replies[2] == "250 2.1.5 Ok" and replies[3].startswith("354 "),
               f"second group (end of message + next transaction): {replies}")
        c.send("Subject: two\r\n\r\ntwo\r\n.\r\nQUIT\r\n")
        replies = [c.line() for _ in range(2)]
        expect(replies[0].startswith("250 2.0.0 Ok: queued as ") and replies[1] == "221 2.0.0 Bye",
               f"third group: {replies}")
        expect(c.closed_by_peer(), "the server closes after QUIT")
    new = set(incoming(inst)) - before
    expect(len(new) == 2, f"two queue files from one pipelined connection: {sorted(new)}")


def check_bdat(inst, port):
    part1 = b"Subject: chunks\r\n\r\nline one\r\n.\r\nnot the end\r\n"
    part2 = b"..two dots stay two\r\nlast line\r\n"
    with Client(port) as c:
        c.send(b"EHLO bdat.example\r\nMAIL FROM:<b@example.net>\r\nRCPT TO:<root@localhost>\r\n"
               + b"BDAT %d\r\n" % len(part1) + part1 + b"BDAT %d LAST\r\n" % len(part2) + part2)
        replies = [c.line() for _ in range(5)]
        expect(replies[3] == f"250 2.0.0 Ok: {len(part1)} bytes"
               and replies[4].startswith("250 2.0.0 Ok: queued as "),
               f"BDAT chunks answered: {replies}")
        qid = replies[4].rsplit(" ", 1)[1]
        c.cmd("QUIT")
    _, _, _, content = dump(inst, qid)
    expected_body = b"\n\nline one\n.\nnot the end\n..two dots stay two\nlast line\n"
    expect(b"\nSubject: chunks\n" in content and content.endswith(expected_body)
           and b" with ESMTP id " + qid.encode() in content,
           f"BDAT content arrives unchanged (no dot handling): {content[-90:]!r}")


def check_jail(inst, port):
    with Client(port) as c:
        pids = inst.workers_named("smtpd")
        expect(pids, "an smtpd process serves the client")
        for pid in pids:
            root = os.readlink(f"/proc/{pid}/root")
            uid = int(proc_status(pid)["Uid"].split()[1])
            owner = pwd.getpwnam(inst.mail_owner).pw_uid
            expect(root == os.path.realpath(inst.queue_dir) and uid == owner,
                   f"smtpd[{pid}] runs in {root} as uid {uid}")
        c.cmd("QUIT")


def main():
    inst, port = make_instance("smtpd_accept")
    with inst:
        offset = inst.log_size()
        inst.start()
        wait_ready(inst, port)
        qid = check_smtplib(inst, port)
        check_recipient_kinds(inst, port)
        check_pipelining(inst, port)
        check_bdat(inst, port)
        log = inst.log_text(offset)
        expect("smtpd[" in log and "]: connect from unknown[127.0.0.1]" in log,
               "connect from unknown[127.0.0.1] is logged")
        expect(f"]: {qid}: client=unknown[127.0.0.1]" in log, f"{qid}: client= is logged")
        wait_for(lambda: inst.find_log(r"disconnect from unknown\[127\.0\.0\.1\] ehlo=1 mail=2 "
                                       r"rcpt=2/3 data=2 quit=1 commands=8/9", offset), 10,
                 what="the disconnect line of the pipelined session")
        passed("disconnect from unknown[127.0.0.1] ehlo=1 mail=2 rcpt=2/3 data=2 quit=1 "
               "commands=8/9 is logged")
        if is_root():
            check_jail(inst, port)
        else:
            print("note: the chroot check is skipped because it needs root")
        inst.stop()


if __name__ == "__main__":
    main()
