"""inbound_local - what local(8) does besides plain mailbox delivery.

Through a real instance (smtpd, cleanup, qmgr, local, authd, mapd):
  - an alias to |command runs the command as default_privs (never root),
    with the message on stdin and SENDER/RECIPIENT in its environment;
  - an alias to a /file appends in mbox format; :include: lists targets;
  - a command that exits 75 is deferred (4.3.0), one that exits 1 bounces
    with 5.3.0;
  - an alias to an unknown virtual user bounces with 5.1.1;
  - a message that already has our Delivered-To: is a loop: 5.4.6, no copy;
  - user+extension reaches the user's mailbox;
  - a system user's forward file (forward_path) sends a copy elsewhere and
    keeps one with "\\user";
  - postmaster without an alias reaches root;
  - over quota: deferred with 4.2.2 while the message is young, bounced
    with 5.2.2 when maximal_queue_lifetime has passed.
"""
import os
import pwd
import re

from posthorn_test import expect, is_root, scratch_dir, wait_for
from inbound_util import Inbound, VIRTUAL_USER, system_user, virtual_ids


def log_status(inst, rcpt, dsn, status, timeout=20):
    pattern = (r"to=<" + re.escape(rcpt) + r">.*dsn=" + re.escape(dsn) + r", status=" + status)
    inst.wait_for_log(pattern, timeout)
    print(f"ok: {rcpt}: dsn={dsn} status={status}")


def main():
    sysname, sysuid, sysgid = system_user()
    with scratch_dir("inbound_local-files", 0o755) as side:
        run(side, sysname, sysuid, sysgid)


def run(side, sysname, sysuid, sysgid):
    out = os.path.join(side, "out")
    os.makedirs(out)
    os.chmod(out, 0o1777)
    fwd_dir = os.path.join(side, "forward")
    os.makedirs(fwd_dir)
    include = os.path.join(side, "staff.list")
    with open(include, "w") as f:
        f.write("# the staff list\n" + VIRTUAL_USER + "\n" + os.path.join(out, "staff.mbox") + "\n")
    qhome = os.path.join(side, "qhome")
    os.makedirs(qhome)
    uid, gid = virtual_ids()
    if is_root():
        os.chown(qhome, uid, gid)
    aliases = (
        f'runner: "|/bin/sh -c \'id -u > {out}/runner.uid; env > {out}/runner.env; cat > {out}/runner.msg\'"\n'
        f"filer: {out}/filer.mbox\n"
        f"staff: :include:{include}\n"
        f'tempfail: "|exit 75"\n'
        f'permfail: "|exit 1"\n'
        f"ghost: ghost@virtual.example\n")
    conf = {"recipient_delimiter": "+", "maximal_queue_lifetime": "4s",
            "forward_path": fwd_dir + "/$user"}
    quser = (f"quser@virtual.example:{{PLAIN}}x:{uid}:{gid}::{qhome}::"
             "userdb_quota_rule=*:storage=1K\n")
    with Inbound("inbound_local", conf=conf, aliases=aliases, passwd_extra=quser,
                 postmaster_alias=False) as box:
        inst = box.inst
        with open(os.path.join(fwd_dir, sysname), "w") as f:
            f.write(f"\\{sysname}, {VIRTUAL_USER}\n")
        if is_root():
            os.chown(os.path.join(fwd_dir, sysname), sysuid, sysgid)
        box.start()

        # |command as default_privs, message on stdin.
        box.smtp("s1@example.org", ["runner@localhost"], b"Subject: run\r\n\r\ncommand body\r\n")
        log_status(inst, "runner@localhost", "2.0.0", "sent")
        with open(os.path.join(out, "runner.msg"), "rb") as f:
            msg = f.read()
        expect(msg.startswith(b"Return-Path: <s1@example.org>\nDelivered-To: runner@localhost\n")
               and msg.endswith(b"\n\ncommand body\n"), f"the command got the message: {msg!r}")
        with open(os.path.join(out, "runner.env")) as f:
            env = f.read()
        expect("SENDER=s1@example.org" in env and "RECIPIENT=runner@localhost" in env,
               "SENDER and RECIPIENT in the command's environment")
        if is_root():
            with open(os.path.join(out, "runner.uid")) as f:
                ran_as = int(f.read())
            expect(ran_as == pwd.getpwnam("nobody").pw_uid,
                   f"a root-owned alias runs its command as default_privs (nobody), not root: {ran_as}")

        # /file and :include:.
        box.smtp("s2@example.org", ["filer@localhost"], b"Subject: file\r\n\r\nfile body\r\n")
        log_status(inst, "filer@localhost", "2.0.0", "sent")
        with open(os.path.join(out, "filer.mbox"), "rb") as f:
            text = f.read()
        expect(text.startswith(b"From s2@example.org ") and b"\n\nfile body\n" in text,
               "the /file target got an mbox copy")
        n_before = len(box.maildir_new())
        box.smtp("s3@example.org", ["staff@localhost"], b"Subject: staff\r\n\r\nstaff body\r\n")
        log_status(inst, "staff@localhost", "2.0.0", "sent")
        wait_for(lambda: len(box.maildir_new()) == n_before + 1, 10, what="the :include: copy")
        with open(os.path.join(out, "staff.mbox"), "rb") as f:
            expect(b"staff body" in f.read(), "the file listed in :include: got a copy")

        # Command exit codes.
        box.smtp("s4@example.org", ["tempfail@localhost"], b"Subject: t\r\n\r\nx\r\n")
        log_status(inst, "tempfail@localhost", "4.3.0", "deferred")
        box.smtp("s5@example.org", ["permfail@localhost"], b"Subject: p\r\n\r\nx\r\n")
        log_status(inst, "permfail@localhost", "5.3.0", "bounced")

        # Unknown virtual user behind an alias.
        box.smtp("s6@example.org", ["ghost@localhost"], b"Subject: g\r\n\r\nx\r\n")
        log_status(inst, "ghost@localhost", "5.1.1", "bounced")

        # Delivered-To loop.
        n_before = len(box.maildir_new())
        box.smtp("s7@example.org", [VIRTUAL_USER],
                 b"Delivered-To: " + VIRTUAL_USER.encode() + b"\r\nSubject: loop\r\n\r\nx\r\n")
        log_status(inst, VIRTUAL_USER, "5.4.6", "bounced")
        expect(len(box.maildir_new()) == n_before, "no copy of the looping message")

        # user+extension.
        box.smtp("s8@example.org", ["vuser+tag@virtual.example"], b"Subject: ext\r\n\r\next body\r\n")
        log_status(inst, "vuser+tag@virtual.example", "2.0.0", "sent")

        # forward file: a copy to the virtual user, one kept by "\user".
        n_before = len(box.maildir_new())
        box.smtp("s9@example.org", [f"{sysname}@localhost"], b"Subject: fwd\r\n\r\nforwarded body\r\n")
        log_status(inst, f"{sysname}@localhost", "2.0.0", "sent")
        wait_for(lambda: len(box.maildir_new()) == n_before + 1, 10, what="the forwarded copy")
        wait_for(lambda: b"forwarded body" in box.mbox_text(), 10, what="the kept copy (\\user)")

        # postmaster without an alias: root's mailbox.
        box.smtp("s11@example.org", ["postmaster@localhost"], b"Subject: pm\r\n\r\nto the postmaster\r\n")
        log_status(inst, "postmaster@localhost", "2.0.0", "sent")
        with open(os.path.join(box.spool, "root"), "rb") as f:
            text = f.read()
        expect(b"Delivered-To: root@localhost\n" in text and b"to the postmaster" in text,
               "postmaster's mail reached root's mailbox")

        # Quota: 1K storage, a 3K message.
        big = b"Subject: big\r\n\r\n" + (b"q" * 70 + b"\r\n") * 40
        box.smtp("s10@example.org", ["quser@virtual.example"], big)
        log_status(inst, "quser@virtual.example", "4.2.2", "deferred")
        log_status(inst, "quser@virtual.example", "5.2.2", "bounced", timeout=30)
        new = os.path.join(qhome, "Maildir", "new")
        expect(not os.path.isdir(new) or not os.listdir(new), "nothing delivered over quota")

        box.wait_queue_empty(30)
        print("ok: inbound local features")


if __name__ == "__main__":
    main()
