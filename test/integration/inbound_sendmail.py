"""inbound_sendmail - mail from a local program reaches the mailbox.

`printf 'To: user@...\\n\\nbody\\n' | sendmail -t` with the daemons stopped
leaves the message in maildrop/; when master starts, pickup (woken at
start) hands it to cleanup and local delivers it into the Maildir, without
another sendmail call. With the daemons running, the same command delivers
at once, and `sendmail user` (recipients on the command line, -f, -F)
arrives with the envelope sender as Return-Path and the From: header
cleanup made from -F.
"""
import os
import subprocess

from posthorn_test import expect, wait_for
from inbound_util import Inbound, VIRTUAL_USER
from submit_util import SENDMAIL


def sendmail(box, args, text):
    return subprocess.run([SENDMAIL, "-C", box.inst.config_dir, *args], input=text,
                          capture_output=True, timeout=60)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    with Inbound("inbound_sendmail") as box:
        maildrop = os.path.join(box.inst.queue_dir, "maildrop")
        # master creates the queue directories; with it stopped, create them
        # the way `posthorn start` would by starting and stopping it once.
        box.start()
        box.inst.stop()

        r = sendmail(box, ["-t"], f"To: {VIRTUAL_USER}\nSubject: offline\n\nwritten while down\n".encode())
        expect(r.returncode == 0, f"sendmail -t exits 0 with the daemons stopped: {r.stderr!r}")
        expect(len([n for n in os.listdir(maildrop) if not n.startswith(".")]) == 1,
               "the message waits in maildrop/")
        expect(not box.maildir_new(), "nothing delivered while the daemons are down")

        box.start()
        wait_for(lambda: box.maildir_new(), 20, what="delivery once master has started")
        data = read(box.maildir_new()[0])
        expect(b"Subject: offline\n" in data and data.endswith(b"\n\nwritten while down\n"),
               f"the offline message, byte-exact body: {data[-60:]!r}")
        expect(b"Delivered-To: " + VIRTUAL_USER.encode() + b"\n" in data, "Delivered-To added")
        wait_for(lambda: not [n for n in os.listdir(maildrop) if not n.startswith(".")], 10,
                 what="maildrop/ to be empty")

        r = sendmail(box, ["-f", "robot@example.org", "-F", "Build Robot", VIRTUAL_USER],
                     b"Subject: online\n\nbuild passed\n")
        expect(r.returncode == 0, f"sendmail with a recipient argument exits 0: {r.stderr!r}")
        wait_for(lambda: len(box.maildir_new()) == 2, 20, what="the second message")
        second = [read(p) for p in box.maildir_new() if b"build passed" in read(p)]
        expect(len(second) == 1, "the second message arrived once")
        msg = second[0]
        expect(msg.startswith(b"Return-Path: <robot@example.org>\n"), f"-f is the envelope sender: {msg[:60]!r}")
        expect(b"From: Build Robot <robot@example.org>\n" in msg, "-F made the From: header")
        box.wait_queue_empty()
        print("ok: inbound sendmail")


if __name__ == "__main__":
    main()
