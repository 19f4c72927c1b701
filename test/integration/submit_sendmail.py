"""sendmail -> postdrop -> maildrop/ -> pickup -> cleanup -> incoming/.

One instance with cleanup, pickup and showq under a real master (as root:
chrooted, as mail_owner). Asserted, each on the queue file that cleanup
wrote (read back with test/helpers/queue_dump):
- `printf 'To: user@example.com\\n\\nbody\\n' | sendmail -t` is queued with
  that recipient, the login name @myorigin as sender, and From:, Date: and
  Message-ID: added; pickup logs "ID: uid=UID from=<login>";
- -f and -F set the sender and the added From:; -N/-R/-V/-B reach the
  envelope; recipients on the command line (a comma list too) are used;
- without -i a lone "." ends the message; with -i and -oi it is content;
  a leading mbox "From " line is dropped;
- no recipients and no -t: exit 64 (EX_USAGE) with a message, nothing
  stored; an unknown option: exit 64; -t and no recipient headers: stored,
  then refused by cleanup (554 5.5.1), logged and removed by pickup;
- message_size_limit: exit 73 and nothing left in maildrop/, not even a
  temporary file;
- -bs: an SMTP dialog with two messages (dot-unstuffing, RSET, errors);
- mailq (sendmail run as "mailq" through a symlink) and -bp: "Mail queue
  is empty", then the queued messages with sender and recipients, served
  by showq;
- -q: a message whose pickup trigger was lost waits in maildrop/ until
  `sendmail -q` wakes pickup;
- -bi and the name "newaliases" rebuild alias_database.
"""
import os
import re
import subprocess
import sys
import time

from posthorn_test import expect, wait_for
from submit_util import (HOST, instance, names, queue_file, sendmail, wait_incoming)

LOGIN = __import__("pwd").getpwuid(os.getuid()).pw_name


def submit(inst, args, message, what):
    """Runs sendmail, waits for the queue file, returns (id, fields, rcpts, content)."""
    before = names(inst, "incoming")
    r = sendmail(inst, args, message)
    expect(r.returncode == 0, f"{what}: sendmail exits 0 ({r.stderr!r})")
    qid = wait_incoming(inst, before)[0]
    fields, rcpts, _, content = queue_file(inst, qid)
    return qid, fields, rcpts, content


def check_t(inst):
    qid, fields, rcpts, content = submit(inst, ["-t"], b"To: user@example.com\n\nbody\n", "-t")
    expect([r["address"] for r in rcpts] == [b"user@example.com"],
           f"-t: the recipient comes from To: ({rcpts})")
    expect(fields["sender"] == f"{LOGIN}@{HOST}".encode(),
           f"the sender is the login name @myorigin: {fields['sender']!r}")
    expect(fields["client.protocol"] == b"LOCAL", "protocol LOCAL")
    expect(re.search(rb"^Message-ID: <\d{14}\." + qid.encode() + rb"@", content, re.M) is not None,
           "Message-ID: added")
    expect(re.search(rb"^Date: ", content, re.M) is not None, "Date: added")
    expect(re.search(rb"^From: " + f"{LOGIN}@{HOST}".encode(), content, re.M) is not None,
           f"From: added: {content!r}")
    expect(content.endswith(b"\n\nbody\n"), "body kept")
    inst.wait_for_log(rf"pickup\[\d+\]: {qid}: uid={os.getuid()} from=<{re.escape(LOGIN)}>")
    expect(names(inst, "maildrop") == [], "maildrop/ is empty again")


def check_sender_options(inst):
    qid, fields, rcpts, content = submit(
        inst, ["-f", "jane@example.com", "-F", "Jane Doe", "-N", "success,failure", "-R", "hdrs",
               "-V", "env-42", "-B", "8bitmime", "bob@example.org, carol", "<dave@example.net>"],
        b"Subject: options\n\nhello\n", "-f -F -N -R -V -B")
    expect(fields["sender"] == b"jane@example.com", "-f sets the envelope sender")
    expect(b"\nFrom: Jane Doe <jane@example.com>\n" in b"\n" + content,
           f"-F names the added From: {content!r}")
    expect([r["address"] for r in rcpts] == [b"bob@example.org", f"carol@{HOST}".encode(),
                                             b"dave@example.net"],
           f"recipients from the command line, a list split, unqualified ones qualified: {rcpts}")
    expect(all(r["notify"] == b"6" for r in rcpts), "-N success,failure on every recipient")
    expect(fields["ret"] == b"2" and fields["envid"] == b"env-42" and fields["body"] == b"2",
           "-R hdrs, -V and -B 8bitmime stored")
    _, fields, _, _ = submit(inst, ["-r", "<>", "x@example.org"], b"\nbounce-like\n", "-r <>")
    expect(fields["sender"] == b"", "-r <> gives the null sender")


def check_dots(inst):
    message = b"Subject: dots\n\nline1\n.\nline2\n"
    _, _, _, content = submit(inst, ["x@example.org"], message, "lone dot")
    expect(content.endswith(b"\nline1\n") and b"line2" not in content,
           f"without -i a lone '.' ends the message: {content!r}")
    _, _, _, content = submit(inst, ["x@example.org"], b"Subject: crlf\r\n\r\na\r\n.\r\nb\r\n",
                              "lone dot with CRLF")
    expect(content.endswith(b"\na\n") and b"\nb\n" not in content,
           f"'.' CRLF ends it too: {content!r}")
    for flag in ("-i", "-oi"):
        _, _, _, content = submit(inst, [flag, "x@example.org"], message, flag)
        expect(content.endswith(b"\nline1\n.\nline2\n"), f"with {flag} the '.' line is content")
    _, _, _, content = submit(inst, ["x@example.org"], b"Subject: d\n\n..two dots\n.x\n",
                              "dots inside lines")
    expect(content.endswith(b"\n..two dots\n.x\n"), f"other dot lines are kept as they are: {content!r}")
    _, _, _, content = submit(inst, ["x@example.org"],
                              b"From someone@example.org Mon Nov 23 10:00:00 2026\nSubject: mbox\n\nb\n",
                              "From_ line")
    expect(content.startswith(b"Subject: mbox\n") and b"From someone" not in content,
           f"a leading mbox 'From ' line is dropped: {content[:80]!r}")
    _, _, _, content = submit(inst, ["x@example.org"], b"From: Me <me@example.com>\nSubject: h\n\nb\n",
                              "a From: header first")
    expect(content.startswith(b"From: Me <me@example.com>\nSubject: h\n"),
           f"a first line 'From:' (a header, not an mbox line) is kept: {content[:80]!r}")


def check_errors(inst):
    r = sendmail(inst, [], b"Subject: nobody\n\nx\n")
    expect(r.returncode == 64 and b"Recipient addresses must be specified" in r.stderr,
           f"no recipients without -t: exit 64 and a message ({r.returncode}, {r.stderr!r})")
    r = sendmail(inst, ["-bz", "x@example.org"], b"x\n")
    expect(r.returncode == 64 and b"-bz" in r.stderr, f"an unsupported -b mode is named: {r.stderr!r}")
    r = sendmail(inst, ["-N", "sometimes", "x@example.org"], b"x\n")
    expect(r.returncode == 64 and b"-N sometimes" in r.stderr, f"a bad -N value is named: {r.stderr!r}")
    expect(names(inst, "maildrop") == [], "nothing was stored for refused commands")

    offset = inst.log_size()
    r = sendmail(inst, ["-t"], b"Subject: no To\n\nnobody to send it to\n")
    expect(r.returncode == 0, "-t without recipient headers is accepted into maildrop/ (as Postfix)")
    m = inst.wait_for_log(r"pickup\[\d+\]: warning: maildrop/(\w+): uid=\d+: refused by cleanup: "
                          r"554 5\.5\.1 .*; removed", offset=offset)
    expect(m is not None and names(inst, "maildrop") == [],
           "cleanup's 554 5.5.1 (no recipients) is logged by pickup and the file removed")

    inst.write_conf(message_size_limit="2000")
    r = sendmail(inst, ["x@example.org"], b"Subject: big\n\n" + b"x" * 70 + b"\n" * 100 + b"y" * 3000)
    expect(r.returncode == 73 and b"too big" in r.stderr,
           f"over message_size_limit: exit 73 and a message ({r.returncode}, {r.stderr!r})")
    expect(names(inst, "maildrop") == [], "nothing left in maildrop/, not even a temporary file")
    inst.write_conf(message_size_limit="10240000")


def check_bs(inst):
    before = names(inst, "incoming")
    dialog = (b"EHLO client.example\r\n"
              b"MAIL FROM:<first@example.com>\r\n"
              b"RCPT TO:<one@example.org>\r\n"
              b"RCPT TO:<two@example.org>\r\n"
              b"DATA\r\n"
              b"Subject: first\r\n\r\n..dot-stuffed\r\nline\r\n.\r\n"
              b"DATA\r\n"
              b"MAIL FROM:<second@example.com> BODY=8BITMIME\r\n"
              b"RCPT TO:<three@example.org>\r\n"
              b"DATA\r\n"
              b"Subject: second\r\n\r\nbody two\r\n.\r\n"
              b"MAIL FROM:<x@example.com>\r\nRSET\r\nDATA\r\nNOOP\r\nBOGUS\r\nQUIT\r\n")
    r = sendmail(inst, ["-bs"], dialog)
    replies = r.stdout.decode().split("\r\n")
    codes = [line[:3] for line in replies if line and line[3:4] == " "]
    expect(r.returncode == 0, f"-bs exits 0 ({r.stderr!r})")
    expect(codes == ["220", "250", "250", "250", "250", "354", "250", "503", "250", "250", "354",
                     "250", "250", "250", "503", "250", "502", "221"],
           f"-bs replies in order: {codes}")
    queued = [line.split()[-1] for line in replies if "Ok: queued as" in line]
    expect(len(queued) == 2, f"two messages queued: {queued}")
    ids = wait_incoming(inst, before, count=2)
    by_sender = {}
    for qid in ids:
        fields, rcpts, _, content = queue_file(inst, qid)
        by_sender[fields["sender"]] = ([r["address"] for r in rcpts], content, fields)
    first = by_sender.get(b"first@example.com")
    second = by_sender.get(b"second@example.com")
    expect(first is not None and first[0] == [b"one@example.org", b"two@example.org"],
           f"first message: its two recipients ({by_sender.keys()})")
    expect(first[1].endswith(b"\n\n.dot-stuffed\nline\n"), f"dot-unstuffed body: {first[1]!r}")
    expect(first[2]["client.helo"] == b"client.example" and first[2]["client.protocol"] == b"ESMTP",
           "HELO and protocol ESMTP recorded")
    expect(second is not None and second[0] == [b"three@example.org"]
           and second[2]["body"] == b"2", "second message: its recipient and BODY=8BITMIME")


def check_mailq(inst):
    for n in names(inst, "incoming"):
        os.unlink(os.path.join(inst.queue_dir, "incoming", n))
    r = sendmail(inst, [], argv0="mailq")
    expect(r.returncode == 0 and r.stdout == b"Mail queue is empty\n",
           f"mailq on an empty queue: {r.stdout!r} {r.stderr!r}")
    expect(inst.workers_named("showq"), "showq served it")
    qid, _, _, content = submit(inst, ["-f", "jane@example.com", "bob@example.org", "carol@example.org"],
                                b"Subject: q\n\nqueued\n", "a message for mailq")
    for args, argv0 in (([], "mailq"), (["-bp"], None)):
        r = sendmail(inst, args, argv0=argv0)
        out = r.stdout.decode()
        lines = out.splitlines()
        expect(r.returncode == 0 and lines[0].startswith("-Queue ID-"),
               f"{argv0 or '-bp'}: a header line: {out!r}")
        entry = [l for l in lines if l.startswith(qid)]
        expect(len(entry) == 1 and re.match(rf"{qid}  +{len(content)} \w\w\w \w\w\w [ \d]\d "
                                            r"\d\d:\d\d:\d\d +jane@example.com$", entry[0]),
               f"{argv0 or '-bp'}: ID, size, arrival time and sender: {entry}")
        rcpt_lines = [l.strip() for l in lines if l.startswith(" ")]
        expect(rcpt_lines == ["bob@example.org", "carol@example.org"],
               f"{argv0 or '-bp'}: the recipients: {rcpt_lines}")
        expect(lines[-1] == "-- 1 Kbytes in 1 Request.", f"the summary line: {lines[-1]!r}")


def check_flush(inst):
    """Hides public/pickup so postdrop's trigger is lost; -q wakes pickup."""
    sock = os.path.join(inst.queue_dir, "public", "pickup")
    os.rename(sock, sock + ".hidden")
    try:
        r = sendmail(inst, ["late@example.org"], b"Subject: late\n\nwoken by -q\n")
        expect(r.returncode == 0, f"stored while pickup cannot be reached ({r.stderr!r})")
        dropped = names(inst, "maildrop")
        expect(len(dropped) == 1, f"the message waits in maildrop/: {dropped}")
        time.sleep(1)
        expect(names(inst, "maildrop") == dropped, "still waiting a second later")
    finally:
        os.rename(sock + ".hidden", sock)
    before = names(inst, "incoming")
    r = sendmail(inst, ["-q"])
    expect(r.returncode == 0, f"sendmail -q exits 0 ({r.stderr!r})")
    qid = wait_incoming(inst, before)[0]
    _, rcpts, _, _ = queue_file(inst, qid)
    expect([x["address"] for x in rcpts] == [b"late@example.org"] and names(inst, "maildrop") == [],
           "-q woke pickup, which queued the waiting message")


def check_newaliases(inst):
    aliases = os.path.join(inst.config_dir, "aliases")
    for args, argv0 in ((["-bi"], None), ([], "newaliases")):
        with open(aliases, "w") as f:
            f.write(f"postmaster: root\nteam: {argv0 or 'bi'}@example.org\n")
        if os.path.exists(aliases + ".db"):
            os.unlink(aliases + ".db")
        r = sendmail(inst, args, argv0=argv0)
        expect(r.returncode == 0 and os.path.exists(aliases + ".db"),
               f"{argv0 or '-bi'} builds aliases.db ({r.returncode}, {r.stderr!r})")
        q = inst.posthorn("map", "-q", "team", "hash:" + aliases)
        expect(q.stdout.strip() == f"{argv0 or 'bi'}@example.org",
               f"{argv0 or '-bi'}: the table has the new value: {q.stdout!r} {q.stderr!r}")


def main():
    with instance("submit") as inst:
        inst.start()
        check_t(inst)
        check_sender_options(inst)
        check_dots(inst)
        check_errors(inst)
        check_bs(inst)
        check_mailq(inst)
        check_flush(inst)
        check_newaliases(inst)
        expect(not inst.find_log(r"(fatal|panic)"), "no fatal errors in the log")
        inst.stop()
    print("submit_sendmail: all checks passed")


if __name__ == "__main__":
    sys.exit(main())
