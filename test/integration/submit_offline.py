"""Local submission while the mail system is down, and bad maildrop files.

- With master stopped, `sendmail -t` succeeds and leaves one complete file
  in maildrop/ (no temporary file); once master starts, pickup (woken by
  master's wakeup timer, nothing else) moves it into incoming/ as a queue
  file with the original recipient and sender, and maildrop/ is empty.
  mailq lists the waiting message meanwhile (read directly: no showq).
- Damaged files in maildrop/ (garbage, a truncated copy of a real maildrop
  file, one with a flipped byte, a symbolic link) are each logged as a
  warning naming the file and removed; pickup does not crash, and a good
  message dropped after them is still queued.
"""
import os
import re
import shutil
import sys
import time

from posthorn_test import expect, wait_for
from submit_util import HOST, instance, names, queue_file, sendmail, wait_incoming

BAD_IDS = ["0000000000Ab1", "0000000000Ab2", "0000000000Ab3", "0000000000Ab4"]


def check_offline(inst):
    inst.start()  # creates the queue directories, as an installed system has them
    inst.stop()
    r = sendmail(inst, ["-t"], b"To: user@example.com\nSubject: offline\n\nwaiting\n")
    expect(r.returncode == 0, f"sendmail succeeds with the daemons down ({r.stderr!r})")
    dropped = names(inst, "maildrop")
    expect(len(dropped) == 1 and not dropped[0].startswith("."),
           f"one complete file waits in maildrop/: {dropped}")
    expect(names(inst, "incoming") == [], "nothing in incoming/ yet")
    time.sleep(1.5)
    expect(names(inst, "maildrop") == dropped, "it stays there while nothing runs")
    login = __import__("pwd").getpwuid(os.getuid()).pw_name
    r = sendmail(inst, [], argv0="mailq")
    expect(r.returncode == 0 and re.search(rb"^" + dropped[0].encode() + rb" .* " + login.encode()
                                           + rb"$", r.stdout, re.M),
           f"mailq without showq (the queue is readable here) lists the waiting message: {r.stdout!r}")

    inst.start()
    qid = wait_incoming(inst, [], timeout=20)[0]
    expect(names(inst, "maildrop") == [], "pickup took it out of maildrop/")
    fields, rcpts, _, content = queue_file(inst, qid)
    expect([r["address"] for r in rcpts] == [b"user@example.com"], "the recipient from To:")
    expect(content.endswith(b"\n\nwaiting\n"), "the body")
    login = __import__("pwd").getpwuid(os.getuid()).pw_name
    expect(fields["sender"] == f"{login}@{HOST}".encode(), "the sender")
    inst.wait_for_log(rf"pickup\[\d+\]: {qid}: uid={os.getuid()} from=<{re.escape(login)}>")


def check_bad_files(inst):
    maildrop = os.path.join(inst.queue_dir, "maildrop")
    # A real maildrop file to damage: drop one while pickup is not looking.
    inst.stop()
    r = sendmail(inst, ["x@example.org"], b"Subject: template\n\n" + b"line\n" * 50)
    expect(r.returncode == 0, "a template message was dropped")
    template = os.path.join(maildrop, names(inst, "maildrop")[0])
    with open(template, "rb") as f:
        good = f.read()
    os.unlink(template)

    def put(name, data):
        path = os.path.join(maildrop, name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o644)

    put(BAD_IDS[0], b"this is not a maildrop file\n" * 10)
    put(BAD_IDS[1], good[:len(good) // 2])
    flipped = bytearray(good)
    flipped[len(good) - 40] ^= 0x01
    put(BAD_IDS[2], bytes(flipped))
    target = os.path.join(inst.dir, "secret")
    with open(target, "wb") as f:
        f.write(good)
    os.symlink(target, os.path.join(maildrop, BAD_IDS[3]))

    offset = inst.log_size()
    inst.start()
    before = names(inst, "incoming")
    r = sendmail(inst, ["-t"], b"To: after@example.org\n\nafter the bad ones\n")
    expect(r.returncode == 0, "a good message after the bad ones")
    qid = wait_incoming(inst, before, timeout=20)[0]
    _, rcpts, _, _ = queue_file(inst, qid)
    expect([r["address"] for r in rcpts] == [b"after@example.org"], "the good message is queued")
    for bad, why in zip(BAD_IDS, ["bad magic", "truncated", "checksum mismatch", "symbolic link"]):
        m = inst.wait_for_log(rf"pickup\[\d+\]: warning: maildrop/{bad}: uid=\d+: .*{why}.*; removed",
                              offset=offset)
        expect(m is not None, f"maildrop/{bad} ({why}) is logged and removed")
    wait_for(lambda: names(inst, "maildrop") == [], 10, what="maildrop/ to be empty")
    expect(os.path.exists(target), "the symbolic link's target was not touched")
    expect(not inst.find_log(r"pickup.*(fatal|abnormal)|throttling", offset),
           "pickup did not crash")
    expect(len(names(inst, "incoming")) == len(before) + 1,
           "no damaged file became a queue file")


def main():
    with instance("submit-offline", pickup_wakeup=1) as inst:
        check_offline(inst)
        check_bad_files(inst)
        inst.stop()
    print("submit_offline: all checks passed")


if __name__ == "__main__":
    sys.exit(main())
