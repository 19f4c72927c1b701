"""queue_commands - `posthorn queue list|show|flush|hold|release|delete`
against a real instance whose qmgr runs the deferred queue only once an
hour (so nothing moves unless a command makes it).

A "flaky" alias runs a command that defers (exit 75) until a flag file
exists. Checks:
  - list prints the message like mailq, with the deferral reason;
  - show prints the envelope, each recipient's status and the headers;
  - hold moves it to hold/ (list marks it '!'); release puts it back in
    deferred/, due now, and wakes qmgr: it is delivered in seconds;
  - flush makes every deferred message due and wakes qmgr: delivered;
  - delete removes a message, and no DSN is sent for it;
  - unknown and malformed IDs, and a user who is neither root nor
    mail_owner, are refused with a clear message.
"""
import os
import pwd
import subprocess
import time

from posthorn_test import POSTHORN, expect, is_root, scratch_dir, wait_for
from bounce_util import BounceBox, sender_address


def queue(box, *args):
    r = box.inst.posthorn("queue", *args)
    return r.returncode, r.stdout, r.stderr


def where(box, qid):
    for d in ("incoming", "active", "deferred", "hold"):
        if os.path.exists(os.path.join(box.inst.queue_dir, d, qid)):
            return d
    return None


def main():
    with scratch_dir("queue_commands", 0o755) as side:
        run(side)


def run(side):
    flag = os.path.join(side, "ok")
    aliases = (f'flaky: "|/bin/sh -c \'test -e {flag} || exit 75; cat >/dev/null\'"\n'
               'tempfail: "|exit 75"\n')
    conf = {"queue_run_delay": "3600s", "minimal_backoff_time": "3600s",
            "maximal_backoff_time": "3600s"}
    with BounceBox("queue_commands", conf=conf, aliases=aliases) as box:
        inst = box.inst
        box.start()
        me = sender_address()

        q1 = box.send(me, ["flaky@localhost"], b"Subject: first flaky\r\n\r\nx\r\n")
        wait_for(lambda: where(box, q1) == "deferred", 15, what=f"{q1} in deferred/")

        rc, out, err = queue(box, "list")
        expect(rc == 0 and q1 in out and "flaky@localhost" in out and me in out
               and "(" in out and "Request" in out, f"list shows the message:\n{out}{err}")

        rc, out, err = queue(box, "show", q1)
        expect(rc == 0, f"show exits 0: {err}")
        for want in (f"Queue-ID: {q1}", "Queue: deferred", f"Sender: <{me}>",
                     "Recipient 0: <flaky@localhost>", "Status: todo, attempts 1",
                     "Last: 4.3.0", "Subject: first flaky"):
            expect(want in out, f"show prints {want!r}")

        rc, out, err = queue(box, "hold", q1)
        expect(rc == 0 and where(box, q1) == "hold", f"hold moves it to hold/: {out}{err}")
        rc, out, _ = queue(box, "list")
        expect(f"{q1}!" in out, "list marks a held message with '!'")
        # Released: due now and qmgr woken, so it is tried at once (not in
        # an hour); still failing, so deferred again.
        offset = inst.log_size()
        rc, out, err = queue(box, "release", q1)
        expect(rc == 0 and "released" in out, f"release: {out}{err}")
        inst.wait_for_log(r"to=<flaky@localhost>.*status=deferred", 10, offset=offset)
        wait_for(lambda: where(box, q1) == "deferred" and
                 "attempts 2" in queue(box, "show", q1)[1], 10, what="the second attempt recorded")
        rc, out, err = queue(box, "release", q1)
        expect(rc == 1 and "not on hold" in err, f"release of a message not on hold: {err}")
        rc, out, err = queue(box, "hold", q1)
        expect(rc == 0, f"hold again: {err}")
        open(flag, "w").close()
        offset = inst.log_size()
        rc, out, err = queue(box, "release", q1)
        box.wait_removed(q1, timeout=10)
        expect(inst.find_log(r"to=<flaky@localhost>.*status=sent", offset),
               "released and delivered at once")

        # flush.
        os.unlink(flag)
        q2 = box.send(me, ["flaky@localhost"], b"Subject: second flaky\r\n\r\nx\r\n")
        wait_for(lambda: where(box, q2) == "deferred", 15, what=f"{q2} in deferred/")
        time.sleep(1)
        expect(where(box, q2) == "deferred", "nothing retries it for an hour")
        open(flag, "w").close()
        rc, out, err = queue(box, "flush")
        expect(rc == 0, f"flush exits 0: {out}{err}")
        box.wait_removed(q2, timeout=10)

        # delete: no DSN.
        q3 = box.send(me, ["tempfail@localhost"], b"Subject: doomed\r\n\r\nx\r\n")
        wait_for(lambda: where(box, q3) == "deferred", 15, what=f"{q3} in deferred/")
        rc, out, err = queue(box, "delete", q3)
        expect(rc == 0 and where(box, q3) is None and f"{q3}: removed" in out,
               f"delete removes it: {out}{err}")
        rc, out, _ = queue(box, "list")
        expect("Mail queue is empty" in out, f"the queue is empty:\n{out}")
        time.sleep(1)
        expect(not box.dsns_about(q3), "no DSN for a deleted message")

        # Errors.
        rc, out, err = queue(box, "show", "1BvWq3ZkT0004")
        expect(rc == 1 and "no such message" in err, f"unknown ID: {rc} {err}")
        rc, out, err = queue(box, "delete", "../etc/passwd")
        expect(rc == 2 and "not a queue ID" in err, f"malformed ID: {rc} {err}")
        rc, out, err = queue(box, "frobnicate")
        expect(rc == 2 and "usage:" in err, f"unknown subcommand: {rc} {err}")
        if is_root():
            other = pwd.getpwnam("daemon")
            r = subprocess.run([POSTHORN, "-c", inst.config_dir, "queue", "list"],
                               capture_output=True, text=True, user=other.pw_uid,
                               group=other.pw_gid, extra_groups=[], timeout=30)
            expect(r.returncode == 2 and "only root and" in r.stderr,
                   f"a user who is neither root nor mail_owner is refused: {r.stderr}")
        print("ok: posthorn queue")


if __name__ == "__main__":
    main()
