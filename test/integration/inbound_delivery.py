"""inbound_delivery - mail sent over SMTP arrives in the right mailbox.

swaks and python3 smtplib send to a virtual user (Maildir) and to a system
user (mbox), and through an alias to both; each copy is byte-exact after
the Return-Path: and Delivered-To: lines local adds, the Maildir file name
carries the right S= and W= sizes, qmgr logs status=sent, and the queue is
empty afterwards. As root the delivery runs as the mailbox owners (uid
5000 for the virtual user, nobody for the system user): checked on the
files.
"""
import os
import re
import shutil
import subprocess
import sys

from posthorn_test import expect, is_root, wait_for
from inbound_util import Inbound, VIRTUAL_USER, system_user, virtual_ids


def maildir_sizes(path):
    m = re.search(r",S=(\d+),W=(\d+)", os.path.basename(path))
    expect(m is not None, f"Maildir name has S= and W=: {os.path.basename(path)}")
    return int(m.group(1)), int(m.group(2))


def main():
    sysname, sysuid, _ = system_user()
    with Inbound("inbound_delivery") as box:
        box.start()
        inst = box.inst

        # 1. swaks to the virtual user: Maildir, byte-exact body.
        body = "first line\n.leading dot\n..two dots\nFrom the start\nlast line"
        swaks = shutil.which("swaks")
        expect(swaks is not None, "swaks is installed (Debian package swaks)")
        r = subprocess.run([swaks, "--server", f"127.0.0.1:{box.port}", "--from", "alice@example.org",
                            "--to", VIRTUAL_USER, "--header", "Subject: swaks test",
                            "--body", body, "--silent", "2"],
                           capture_output=True, text=True, timeout=60)
        expect(r.returncode == 0, f"swaks exit 0: {r.stdout}{r.stderr}")
        wait_for(lambda: box.maildir_new(), 20, what="a file in the virtual user's Maildir/new")
        path = box.maildir_new()[0]
        with open(path, "rb") as f:
            data = f.read()
        expect(data.startswith(b"Return-Path: <alice@example.org>\nDelivered-To: " +
                               VIRTUAL_USER.encode() + b"\n"),
               f"Return-Path and Delivered-To come first: {data[:120]!r}")
        # swaks ends every body with two empty lines of its own (seen on
        # the wire: "last line\r\n\r\n\r\n.\r\n").
        expect(data.endswith(b"\n\n" + body.encode() + b"\n\n\n"),
               f"body byte-exact (dots unstuffed, LF line ends): {data[-120:]!r}")
        size, vsize = maildir_sizes(path)
        expect(size == len(data), f"S={size} is the file size {len(data)}")
        expect(vsize == len(data) + data.count(b"\n"), f"W={vsize} counts CRLF line ends")
        if is_root():
            st = os.stat(path)
            expect((st.st_uid, st.st_gid) == virtual_ids(),
                   f"Maildir file owned by the virtual user's uid/gid: {st.st_uid}/{st.st_gid}")

        # 2. smtplib to the system user: mbox in the spool directory.
        msg = (b"From: bob@example.org\r\nTo: " + sysname.encode() + b"@localhost\r\n"
               b"Subject: smtplib test\r\n\r\nhello mbox\r\nFrom here on, quoted\r\n")
        refused = box.smtp("bob@example.org", [f"{sysname}@localhost"], msg)
        expect(refused == {}, f"smtplib: every recipient accepted: {refused}")
        wait_for(lambda: b"hello mbox" in box.mbox_text(), 20, what="the system user's mbox")
        text = box.mbox_text()
        expect(text.startswith(b"From bob@example.org "), f"mbox From_ line: {text[:60]!r}")
        expect(b"\nReturn-Path: <bob@example.org>\nDelivered-To: " + sysname.encode() +
               b"@localhost\n" in text, "mbox copy has Return-Path and Delivered-To")
        expect(b"\n\nhello mbox\n>From here on, quoted\n\n" in text,
               f"mbox body with From_ quoting and a blank line after: {text[-80:]!r}")
        if is_root():
            st = os.stat(box.mbox_path())
            expect(st.st_uid == sysuid, f"mbox owned by {sysname} ({st.st_uid})")

        # 3. An alias with two targets: one copy each.
        box.smtp("carol@example.org", ["sales@localhost"],
                 b"Subject: to sales\r\n\r\nalias body\r\n")
        wait_for(lambda: len(box.maildir_new()) == 2, 20, what="the alias copy in the Maildir")
        wait_for(lambda: box.mbox_text().count(b"alias body") == 1, 20,
                 what="the alias copy in the mbox")
        with open([p for p in box.maildir_new() if p != path][0], "rb") as f:
            copy = f.read()
        expect(b"Delivered-To: " + VIRTUAL_USER.encode() in copy and b"alias body" in copy,
               "alias copy in the Maildir")

        box.wait_queue_empty()
        expect(inst.find_log(r"to=<" + re.escape(VIRTUAL_USER) + r">, relay=local, .*status=sent"),
               "qmgr logged status=sent for the virtual user")
        expect(inst.find_log(r": removed"), "qmgr logged the queue file's removal")
        print("ok: inbound delivery")


if __name__ == "__main__":
    main()
