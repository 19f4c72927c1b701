#!/usr/bin/env python3
"""posthorn's own greylisting (greylist(8)) as smtpd's policy service.

Against the real master, smtpd, cleanup, mapd, authd and greylist
(smtpd_util, mynetworks = 127.0.0.1/32), with
  smtpd_recipient_restrictions = check_policy_service unix:private/greylist
  greylist unix - - n - 1 greylist        (master.conf)
  greylist_delay = 2s, greylist_auto_allowlist_clients = 2,
  greylist_allowlist = allowed.example:
- the first attempt from 127.0.0.5 gets 450 4.7.1 Greylisted at RCPT;
- a retry before the delay is still deferred; after it, accepted, and the
  queue file has "X-Greylist: delayed N seconds by posthorn-greylist";
- 127.0.0.9 (the same /24) with the same sender and recipient is accepted
  at once, without the header; a different sender is greylisted anew;
- after stop and start the passed triplet still passes (the state in
  data_directory survived), and a sender deferred before the restart is
  accepted after its delay (the client's second pass);
- with two passes the client network is auto-allowlisted: a new sender is
  accepted at once; a client of another /24 (127.0.1.5) is still greylisted;
- a sender of an allowlisted domain is never greylisted;
- greylist logs each decision.
smtpd reaches the service at unix:private/greylist, a path inside its
chroot (the queue directory): this needs root.
"""
import os
import time

from posthorn_test import expect, passed, skip_unless_root, wait_for
from smtpd_util import deliver, dump, make_instance, services, wait_ready

RCPT = "root@localhost"


def attempt(port, source, sender, subject="greylisted"):
    return deliver(port, sender, RCPT, subject, source=source)


def accepted(inst, r, header, what):
    expect(r.startswith("250 2.0.0 Ok: queued as "), f"{what}: accepted: {r}")
    q = str(dump(inst, r.split()[-1]))
    if header:
        expect("X-Greylist: delayed " in q and "seconds by posthorn-greylist" in q,
               f"{what}: the queue file has the X-Greylist header")
    else:
        expect("X-Greylist:" not in q, f"{what}: no X-Greylist header")


def deferred(r, what):
    expect(r.startswith("450 4.7.1 ") and "Greylisted, retry in" in r, f"{what}: deferred: {r}")


def main():
    skip_unless_root("smtpd reaches unix:private/greylist inside its chroot")
    inst, port = make_instance(
        "smtpd_greylist", mynetworks="127.0.0.1/32",
        smtpd_recipient_restrictions="check_policy_service unix:private/greylist",
        greylist_delay="2s", greylist_auto_allowlist_clients="2",
        greylist_allowlist="allowed.example")
    with inst:
        data_dir = os.path.join(inst.dir, "data")
        inst.write_conf(data_directory=data_dir)
        inst.write_master_conf(services(port, "greylist unix - - n - 1 greylist\n"))
        inst.start()
        wait_ready(inst, port)

        deferred(attempt(port, "127.0.0.5", "one@example.net"), "the first attempt")
        deferred(attempt(port, "127.0.0.5", "one@example.net"), "a retry before the delay")
        time.sleep(2.5)
        accepted(inst, attempt(port, "127.0.0.5", "one@example.net"), True, "the retry after the delay")
        accepted(inst, attempt(port, "127.0.0.9", "one@example.net"), False, "the same triplet from the same /24")
        deferred(attempt(port, "127.0.0.5", "two@example.net"), "a different sender")
        passed("greylisting: deferred, then accepted after greylist_delay with X-Greylist; per /24")

        expect(os.path.exists(os.path.join(data_dir, "greylist_state")), "the state is in data_directory")
        expect(inst.stop() == 0, "master stops")
        inst.start()
        wait_ready(inst, port)
        accepted(inst, attempt(port, "127.0.0.5", "one@example.net"), False, "the passed triplet after a restart")
        time.sleep(2.5)
        accepted(inst, attempt(port, "127.0.0.5", "two@example.net"), True,
                 "the sender deferred before the restart, after its delay")
        passed("greylisting: the state survives a restart")

        accepted(inst, attempt(port, "127.0.0.7", "three@example.net"), False,
                 "a new sender from an auto-allowlisted client network")
        deferred(attempt(port, "127.0.1.5", "three@example.net"), "a client of another /24")
        passed("greylisting: a client network is auto-allowlisted after greylist_auto_allowlist_clients passes")

        accepted(inst, attempt(port, "127.0.1.5", "news@allowed.example"), False,
                 "a sender of an allowlisted domain")
        passed("greylisting: greylist_allowlist")

        wait_for(lambda: inst.find_log(r"greylist\[\d+\]: .*client=127\.0\.0\.5 from=<one@example\.net> "
                                       r"to=<root@localhost>: defer_if_permit Greylisted"),
                 5, what="greylist's log line")
    passed("smtpd_greylist")


if __name__ == "__main__":
    main()
