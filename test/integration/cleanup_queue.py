"""cleanup under a real master writes valid queue files, and nothing else.

master runs cleanup as `cleanup unix n - y - 0 cleanup`; as root it is
chrooted into the queue directory and runs as mail_owner. A client
(test/helpers/cleanup_send, i.e. lib/cleanup_client) hands it messages;
test/helpers/queue_dump reads the queue files back. Asserted:
- 250 2.0.0 "Ok: queued as ID" only with incoming/ID on disk; every
  envelope field round-trips; the content is the message with LF line ends,
  byte for byte, plus Message-ID: and Date: when (and only when) missing;
  the Postfix-style log lines name the queue ID;
- as root: the worker's root directory is the queue directory, its uid is
  mail_owner's, and the queue file belongs to mail_owner;
- each commit pokes public/qmgr with one byte 'W';
- oversized -> 552 5.3.4 and no file at all; no recipients -> 554 5.5.1;
- a client killed in the middle of the content leaves nothing in
  incoming/, not even a temporary file;
- sendmail -t style local submissions: recipients from the headers, Bcc:
  removed, From: added;
- 20 clients at once each get their own queue file; a client chrooted
  into the queue directory as mail_owner (as smtpd is) is served.
"""
import email.utils
import os
import pwd
import re
import select
import signal
import socket
import subprocess
import threading
import time

from posthorn_test import expect, is_root, proc_status, wait_for
from cleanup_util import (CLEANUP_SEND, dump, incoming, instance, send,
                          socket_path)

HOST = "localhost.localdomain"  # the harness's myhostname


def check_basic(inst):
    body = b"Hello,\n\n8-bit: gr\xc3\xbc\xc3\x9fe\n.leading dot kept\nbye\n"
    message = b"From: Sender <s@example.com>\nTo: a@example.org\nSubject: first\n\n" + body
    options = ["-e", "env-1", "-R", "hdrs", "-B", "8bitmime", "-U", "-A", "<>",
               "-a", "192.0.2.7", "-n", "client.example.net", "-h", "helo.example.net",
               "-p", "ESMTPSA", "-T", "TLSv1.3,TLS_AES_256_GCM_SHA384", "-S", "PLAIN,jane",
               "-x", "note=one"]
    rcpts = ["a@example.org|rfc822;A@example.org|success,failure|A@example.org",
             "b@example.org||never"]
    before = time.time()
    rc, qid, reply, err = send(inst, message, "s@example.com", rcpts, options)
    expect(rc == 0 and reply == f"250 2.0.0 Ok: queued as {qid}",
           f"a message is queued: {reply!r} {err}")
    path = os.path.join(inst.queue_dir, "incoming", qid)
    expect(incoming(inst) == [qid], f"incoming/ holds exactly {qid}: {incoming(inst)}")
    fields, rcpt, attributes, content = dump(path)
    expect(fields["sender"] == b"s@example.com", "sender stored")
    expect(fields["envid"] == b"env-1" and fields["ret"] == b"2" and fields["body"] == b"2"
           and fields["smtputf8"] == b"1" and fields["auth"] == b"<>",
           "ENVID, RET, BODY, SMTPUTF8 and AUTH stored")
    expect(fields["client.address"] == b"192.0.2.7"
           and fields["client.name"] == b"client.example.net"
           and fields["client.helo"] == b"helo.example.net"
           and fields["client.protocol"] == b"ESMTPSA"
           and fields["client.tls_protocol"] == b"TLSv1.3"
           and fields["client.tls_cipher"] == b"TLS_AES_256_GCM_SHA384"
           and fields["client.sasl_method"] == b"PLAIN"
           and fields["client.sasl_username"] == b"jane",
           "client, HELO, protocol, TLS and SASL stored")
    arrival = int(fields["arrival"]) / 1e6
    expect(before - 1 <= arrival <= time.time() + 1, "arrival time is when cleanup got it")
    expect(attributes == [b"note=one"], "attribute stored")
    expect(len(rcpt) == 2 and rcpt[0]["address"] == b"a@example.org"
           and rcpt[0]["orcpt"] == b"rfc822;A@example.org" and rcpt[0]["notify"] == b"6"
           and rcpt[0]["original"] == b"A@example.org" and rcpt[0]["state"] == b"todo"
           and rcpt[1]["notify"] == b"1" and rcpt[1]["original"] == b"b@example.org",
           "recipients with ORCPT, NOTIFY and original address stored")

    m = re.fullmatch(
        rb"From: Sender <s@example.com>\nTo: a@example.org\nSubject: first\n"
        rb"Message-ID: <(\d{14})\." + qid.encode() + rb"@" + HOST.encode() + rb">\n"
        rb"Date: ([^\n]+)\n\n" + re.escape(body), content)
    expect(m is not None, f"content is the message plus Message-ID and Date: {content[:300]!r}")
    date = email.utils.parsedate_to_datetime(m.group(2).decode())
    expect(abs(date.timestamp() - time.time()) < 120 and date.tzinfo is not None,
           f"Date: is RFC 5322 with a zone and about now: {m.group(2)!r}")
    inst.wait_for_log(rf"cleanup\[\d+\]: {qid}: message-id=<\d{{14}}\.{qid}@{re.escape(HOST)}>")
    inst.wait_for_log(rf"cleanup\[\d+\]: {qid}: from=<s@example.com>, size={len(content)}, "
                      rf"nrcpt=2 \(queue active\)")
    print("ok: message-id= and from=, size=, nrcpt= log lines")

    workers = inst.workers_named("cleanup")
    expect(len(workers) >= 1, f"a cleanup worker runs: {workers}")
    if is_root():
        owner = pwd.getpwnam(inst.mail_owner)
        pid = workers[0]
        expect(os.readlink(f"/proc/{pid}/root") == os.path.realpath(inst.queue_dir),
               "as root, cleanup is chrooted into the queue directory")
        uids = proc_status(pid)["Uid"].split()
        expect(all(int(u) == owner.pw_uid for u in uids), f"cleanup runs as {inst.mail_owner}")
        expect(os.stat(path).st_uid == owner.pw_uid and (os.stat(path).st_mode & 0o777) == 0o600,
               "the queue file belongs to mail_owner, mode 0600")
    return qid


def check_exact(inst):
    # Complete headers: nothing added; CRLF becomes LF; LF stays.
    crlf = (b"Message-ID: <exact@example.com>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
            b"Subject: crlf\r\n\r\nline 1\r\n\r\nbare\rcr\r\nlast\r\n")
    rc, qid, reply, err = send(inst, crlf, "s@example.com", ["a@example.org"])
    expect(rc == 0, f"CRLF message queued: {reply} {err}")
    content = dump(os.path.join(inst.queue_dir, "incoming", qid))[3]
    expect(content == crlf.replace(b"\r\n", b"\n"),
           "CRLF lines are stored with LF, nothing added, a bare CR kept")
    lf = (b"message-id: <lf@example.com>\ndate: Mon, 1 Jan 2024 00:00:00 +0000\n"
          b"Subject: =?UTF-8?Q?x?=\n folded\n\n" + bytes(range(1, 256)).replace(b"\r", b"")
          + b"\n")
    rc, qid, reply, err = send(inst, lf, "", ["a@example.org"])
    expect(rc == 0, f"LF message with the null sender queued: {reply} {err}")
    fields, _, _, content = dump(os.path.join(inst.queue_dir, "incoming", qid))
    expect(content == lf, "an LF message is stored byte for byte (8-bit, control bytes)")
    expect(fields["sender"] == b"", "the null sender is stored as empty")
    inst.wait_for_log(rf"{qid}: message-id=<lf@example.com>")
    inst.wait_for_log(rf"{qid}: from=<>, size={len(lf)}, nrcpt=1")


def check_trigger(inst):
    path = os.path.join(inst.queue_dir, "public", "qmgr")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o666)
    listener.listen(8)
    listener.settimeout(10)
    try:
        rc, qid, reply, _ = send(inst, b"Subject: wake\n\nb\n", "s@example.com", ["a@example.org"])
        expect(rc == 0, "queued with a qmgr listening")
        conn, _ = listener.accept()
        conn.settimeout(5)
        expect(conn.recv(16) == b"W", "cleanup sent one 'W' to public/qmgr")
        conn.close()
    finally:
        listener.close()
        os.unlink(path)


def check_rejections(inst):
    before = incoming(inst)
    rc, qid, reply, _ = send(inst, b"Subject: big\n\n" + b"x" * 300000, "s@example.com",
                             ["a@example.org"])
    expect(rc == 1 and reply == "552 5.3.4 Error: message file too big",
           f"over message_size_limit: {reply!r}")
    expect(incoming(inst) == before, "no file left by the oversized message")
    inst.wait_for_log(rf"{qid}: reject: message size exceeds 200000 bytes")
    rc, qid, reply, _ = send(inst, b"Subject: nobody\n\nb\n", "s@example.com", [])
    expect(reply == "554 5.5.1 Error: no recipients specified", f"no recipients: {reply!r}")
    expect(incoming(inst) == before, "no file left by the message without recipients")


def check_killed_client(inst):
    before = incoming(inst)
    proc = subprocess.Popen([CLEANUP_SEND, socket_path(inst), "s@example.com", "a@example.org"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        line = proc.stdout.readline().decode().strip() if ready else ""
        expect(line.startswith("queue_id="), f"the client got a queue ID: {line!r}")
        qid = line[len("queue_id="):]
        temp = f".{qid}.tmp"
        expect(temp in incoming(inst), f"the temporary file {temp} exists while the message streams")
        proc.stdin.write(b"Subject: half\n\n" + b"y" * 200000)
        proc.stdin.flush()
        time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    wait_for(lambda: incoming(inst) == before, 10, what="the temporary file to go")
    print("ok: a client killed mid-stream leaves nothing in incoming/")
    inst.wait_for_log(rf"{qid}: .* went away in the middle of a message; discarded")


def check_local_submission(inst):
    message = (b"To: Bob <bob@example.net>, carol\nCc: undisclosed:;\nBcc: dave@example.net\n"
               b"Subject: local\n\nbody\n")
    rc, qid, reply, err = send(inst, message, "jane@example.com", [],
                               ["-l", "-t", "-F", "Jane Doe", "-p", "LOCAL"])
    expect(rc == 0, f"local submission with -t queued: {reply} {err}")
    _, rcpt, _, content = dump(os.path.join(inst.queue_dir, "incoming", qid))
    addresses = [r["address"] for r in rcpt]
    expect(addresses == [b"bob@example.net", b"carol@" + HOST.encode(), b"dave@example.net"],
           f"recipients taken from To/Cc/Bcc, unqualified ones get @myorigin: {addresses}")
    expect(b"Bcc" not in content and b"dave" not in content, "the Bcc: header is removed")
    expect(b"\nFrom: Jane Doe <jane@example.com>\n" in content, "a missing From: is added")


def check_parallel(inst):
    """20 clients at once: master starts cleanup processes as needed, and
    every message is queued exactly once."""
    before = set(incoming(inst))
    results = [None] * 20

    def one(i):
        results[i] = send(inst, b"Subject: parallel %d\n\nbody %d\n" % (i, i), "s@example.com",
                          [f"r{i}@example.org"])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = [r[1] for r in results if r and r[0] == 0 and r[2] == f"250 2.0.0 Ok: queued as {r[1]}"]
    expect(len(set(ids)) == len(results), f"20 parallel messages queued: {len(set(ids))} distinct IDs")
    expect(set(incoming(inst)) - before == set(ids), "exactly their 20 files are in incoming/")
    for i, r in enumerate(results):
        _, rcpt, _, content = dump(os.path.join(inst.queue_dir, "incoming", r[1]))
        if rcpt[0]["address"] != f"r{i}@example.org".encode() or b"body %d\n" % i not in content:
            raise AssertionError(f"message {i} has the wrong file {r[1]}")
    print("ok: each parallel message is in its own file")


def check_jailed_client(inst):
    """A client chrooted into the queue directory as mail_owner (as smtpd
    runs) reaches cleanup at /public/cleanup."""
    if not is_root():
        print("skip: the jailed client needs root")
        return
    rc, qid, reply, err = send(inst, b"Subject: jailed\n\nb\n", "s@example.com",
                               ["a@example.org"], ["-r", inst.queue_dir, "-u", inst.mail_owner],
                               socket="/public/cleanup")
    expect(rc == 0 and qid in incoming(inst),
           f"a chrooted, unprivileged client queues through /public/cleanup: {reply} {err}")


def main():
    with instance("cleanup_queue", message_size_limit="200000") as inst:
        inst.start()
        check_basic(inst)
        for name in list(incoming(inst)):
            os.unlink(os.path.join(inst.queue_dir, "incoming", name))
        check_exact(inst)
        check_trigger(inst)
        check_rejections(inst)
        check_killed_client(inst)
        check_local_submission(inst)
        check_parallel(inst)
        check_jailed_client(inst)
        expect(inst.stop() == 0, "master stops cleanly")
    print("PASS")


if __name__ == "__main__":
    main()
