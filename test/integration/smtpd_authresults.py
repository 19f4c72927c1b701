"""What the sender checks leave in the message and on disk, end to end
(smtpd, cleanup, qmgr, local; NSD serving the test zones):

- a message from outside carrying a forged "Authentication-Results:
  <our authserv-id>; dmarc=pass" arrives with only our own field, on top
  (under Return-Path and Delivered-To), saying dmarc=fail; another
  server's field stays;
- p=quarantine failing: delivered into the virtual user's Maildir folder
  .Junk (local_junk_folder), not INBOX, and local logs where it went;
- a passing message lands in INBOX with our field saying dmarc=pass;
- every evaluation with a DMARC record is kept in
  $queue_directory/dmarc/YYYYMMDD as one JSON line (applied=quarantine for
  the junked one);
- from mynetworks (not checked) the forged field is still removed and no
  field of ours is added.
"""
import glob
import json
import os
import time

from dns_util import Nsd
from inbound_util import VIRTUAL_USER, Inbound
from posthorn_test import expect, passed, wait_for
from smtpd_util import send_message

OUR_ID = "mx.authres.test"


def zones():
    spf = '@ TXT "v=spf1 ip4:127.0.0.2 -all"\n'
    return {
        "bank.test": '_dmarc TXT "v=DMARC1; p=none; rua=mailto:d@bank.test"\n' + spf,
        "quar.test": '_dmarc TXT "v=DMARC1; p=quarantine"\n' + spf,
    }


def message(author, subject, extra=""):
    return (f"{extra}From: <{author}>\r\nTo: <{VIRTUAL_USER}>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@x>\r\n\r\nbody of {subject}\r\n").encode()


def send(port, source, sender, content):
    """The queue ID of the accepted message."""
    reply = send_message(port, source, sender, content)
    expect(reply.startswith("250"), f"accepted from {source}: {reply}")
    return reply.split()[-1]


def delivered(folder_dir, subject):
    """The delivered file whose Subject is `subject`, once it is there."""
    def find():
        for path in glob.glob(os.path.join(folder_dir, "new", "*")):
            with open(path, "rb") as f:
                data = f.read()
            if f"Subject: {subject}\n".encode() in data:
                return data
        return None
    wait_for(find, 20, what=f"'{subject}' in {folder_dir}")
    return find()


def header_lines(data):
    return data.split(b"\n\n", 1)[0].decode().split("\n")


def main():
    forged = (f"Authentication-Results: {OUR_ID}; dmarc=pass header.from=bank.test\r\n"
              "Authentication-Results: relay.example; spf=pass smtp.mailfrom=bank.test\r\n")
    with Nsd(zones()) as ns:
        conf = {"smtpd_mailauth_checks": "yes", "mynetworks": "127.0.0.1/32",
                "dns_servers": ns.server, "dns_trust_anchor_file": "", "dns_timeout": "2s",
                "dns_attempts": "1", "myhostname": OUR_ID}
        with Inbound("smtpd_authresults", conf=conf) as box:
            inst = box.inst
            offset = inst.log_size()
            box.start()
            maildir = os.path.join(box.vhome, "Maildir")

            # A forged pass from outside (its domain asks for p=none, so it
            # is delivered): what it says about itself is gone.
            qid = send(box.port, "127.0.0.3", "u@bank.test", message("a@bank.test", "forged", forged))
            data = delivered(maildir, "forged")
            lines = header_lines(data)
            ours = [i for i, l in enumerate(lines) if l.startswith(f"Authentication-Results: {OUR_ID}")]
            expect(len(ours) == 1, f"exactly one Authentication-Results of ours: {lines}")
            expect(ours[0] == 2 and lines[0].startswith("Return-Path:") and lines[1].startswith("Delivered-To:"),
                   f"ours is on top, under Return-Path and Delivered-To: {lines[:4]}")
            field = lines[ours[0]] + "\n" + "\n".join(l for l in lines[ours[0] + 1:ours[0] + 5] if l[:1] == "\t")
            expect("dmarc=fail" in field and "spf=fail" in field and "dmarc=pass" not in field,
                   f"ours says what was found: {field}")
            expect("Authentication-Results: relay.example; spf=pass smtp.mailfrom=bank.test" in lines,
                   "another server's field stays")
            expect(inst.wait_for_log(rf"{qid}: removed 1 Authentication-Results field\(s\) claiming authserv-id {OUR_ID}",
                                     offset=offset), "cleanup logs the removal")

            # p=quarantine failing: into Junk.
            qid = send(box.port, "127.0.0.3", "u@quar.test", message("a@quar.test", "quarantined"))
            data = delivered(os.path.join(maildir, ".Junk"), "quarantined")
            expect(b"dmarc=fail (p=quarantine dis=quarantine" in data, "the junked message says why")
            expect(not any(b"Subject: quarantined\n" in open(p, "rb").read()
                           for p in glob.glob(os.path.join(maildir, "new", "*"))), "and it is not in INBOX")
            expect(inst.wait_for_log(rf"{qid}: to=<{VIRTUAL_USER}>.*status=sent \(delivered to maildir folder Junk "
                                     r"\(dmarc: p=quarantine of quar\.test\)\)", offset=offset),
                   "local logs the folder and the reason")

            qid = send(box.port, "127.0.0.2", "u@quar.test", message("a@quar.test", "passing"))
            data = delivered(maildir, "passing")
            expect(f"Authentication-Results: {OUR_ID};".encode() in data and b"dmarc=pass" in data,
                   "a passing message lands in INBOX with dmarc=pass")

            # Not checked (mynetworks): no field of ours, the forged one gone.
            send(box.port, "127.0.0.1", "u@bank.test", message("a@bank.test", "from mynetworks", forged))
            lines = header_lines(delivered(maildir, "from mynetworks"))
            expect(not any(l.startswith(f"Authentication-Results: {OUR_ID}") for l in lines),
                   f"from mynetworks: no field claims our id: {lines}")
            expect("Authentication-Results: relay.example; spf=pass smtp.mailfrom=bank.test" in lines,
                   "and the other server's stays")

            # The stored evaluations.
            history = glob.glob(os.path.join(inst.queue_dir, "dmarc", "*"))
            expect(len(history) == 1 and os.path.basename(history[0]) == time.strftime("%Y%m%d", time.gmtime()),
                   f"one history file, today's (UTC): {history}")
            with open(history[0]) as f:
                records = [json.loads(line) for line in f]
            expect(len(records) == 3, f"three evaluations with a DMARC record: {records}")
            junked = [r for r in records if r["header_from"] == "quar.test" and r["dmarc"] == "fail"]
            expect(len(junked) == 1 and junked[0]["applied"] == "quarantine"
                   and junked[0]["disposition"] == "quarantine" and junked[0]["source_ip"] == "127.0.0.3"
                   and junked[0]["spf"] == {"domain": "quar.test", "scope": "mfrom", "result": "fail", "aligned": False}
                   and junked[0]["record"] == "v=DMARC1; p=quarantine",
                   f"the junked one: {junked}")
            forged_rec = [r for r in records if r["header_from"] == "bank.test"]
            expect(len(forged_rec) == 1 and forged_rec[0]["applied"] == "none" and forged_rec[0]["dmarc"] == "fail"
                   and forged_rec[0]["policy"] == "none" and forged_rec[0]["source_ip"] == "127.0.0.3",
                   f"the forged one, p=none: {forged_rec}")
            inst.stop()
    passed("Authentication-Results on top and forged ones removed, p=quarantine into Junk, evaluations stored")


if __name__ == "__main__":
    main()
