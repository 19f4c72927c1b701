"""Local submission by an ordinary user, against a root-owned instance.

Needs root (exits 77 otherwise). The queue is laid out as installed:
maildrop/ 1730 and public/ 0710, owner mail_owner, group setgid_group
(postdrop). The installed postdrop is setgid postdrop; here the test user
(nobody) runs sendmail with postdrop as a supplementary group instead,
which gives postdrop the same rights (the build tree's postdrop cannot be
made setgid, and a setgid postdrop rightly refuses a private -c DIR).
- Without the group, sendmail fails with exit 75 and a message naming
  maildrop/, and leaves nothing behind.
- With it, the message is stored (the file belongs to the user), pickup
  (as mail_owner, chrooted) queues it and logs "uid=65534 from=<nobody>",
  and the user's mailq reaches showq through public/.
- A postdrop that really runs setgid postdrop for that user clears MAIL_CONFIG
  and refuses a -c DIR of the user's choosing (exit 64), so a user cannot
  point it at a configuration of their own.
"""
import grp
import os
import pwd
import re
import shutil
import subprocess
import sys

from posthorn_test import expect, skip_unless_root, wait_for
from submit_util import HOST, POSTDROP, SENDMAIL, instance, names, queue_file, wait_incoming

skip_unless_root("submission by an ordinary user against a root-owned queue")

USER = pwd.getpwnam("nobody")


def postdrop_group():
    try:
        return grp.getgrnam("postdrop").gr_gid
    except KeyError:
        subprocess.run(["groupadd", "--system", "postdrop"], check=False, capture_output=True)
        return grp.getgrnam("postdrop").gr_gid


def as_user(inst, args, stdin=b"", groups=(), argv0=None):
    program = SENDMAIL
    if argv0:
        program = os.path.join(inst.dir, argv0)
        if not os.path.lexists(program):
            os.symlink(SENDMAIL, program)

    def drop():
        os.setgroups(list(groups))
        os.setgid(USER.pw_gid)
        os.setuid(USER.pw_uid)
    return subprocess.run([program, "-C", inst.config_dir, *args], input=stdin,
                          capture_output=True, timeout=60, preexec_fn=drop, cwd="/")


def main():
    gid = postdrop_group()
    with instance("submit-user", setgid_group="postdrop") as inst:
        inst.start()
        maildrop = os.path.join(inst.queue_dir, "maildrop")
        st = os.stat(maildrop)
        expect(st.st_mode & 0o7777 == 0o1730 and st.st_gid == gid,
               f"maildrop/ is 1730, group postdrop ({oct(st.st_mode)}, gid {st.st_gid})")

        r = as_user(inst, ["-t"], b"To: user@example.com\n\nno group\n")
        expect(r.returncode == 75 and b"maildrop" in r.stderr and b"Permission denied" in r.stderr,
               f"without the postdrop group: exit 75 naming maildrop/ ({r.returncode}, {r.stderr!r})")
        expect(names(inst, "maildrop") == [], "nothing left behind")

        before = names(inst, "incoming")
        r = as_user(inst, ["-t"], b"To: user@example.com\nSubject: from nobody\n\nhello\n",
                    groups=[gid])
        expect(r.returncode == 0, f"with the postdrop group: stored ({r.stderr!r})")
        qid = wait_incoming(inst, before, timeout=20)[0]
        fields, rcpts, _, content = queue_file(inst, qid)
        expect(fields["sender"] == f"nobody@{HOST}".encode()
               and [x["address"] for x in rcpts] == [b"user@example.com"],
               "queued with the user's login name as sender")
        inst.wait_for_log(rf"pickup\[\d+\]: {qid}: uid={USER.pw_uid} from=<nobody>")

        r = as_user(inst, [], groups=[gid], argv0="mailq")
        expect(r.returncode == 0 and re.search(rb"^" + qid.encode() + rb" .* nobody@", r.stdout, re.M),
               f"the user's mailq lists it through showq: {r.stdout!r} {r.stderr!r}")
        r = as_user(inst, [], argv0="mailq")
        expect(r.returncode == 69 and b"showq" in r.stderr,
               f"without the group mailq cannot reach showq: exit 69 ({r.returncode}, {r.stderr!r})")

        setgid_copy = os.path.join(inst.dir, "postdrop-setgid")
        shutil.copy(POSTDROP, setgid_copy)
        os.chown(setgid_copy, 0, gid)
        os.chmod(setgid_copy, 0o2755)

        def drop():
            os.setgroups([])
            os.setgid(USER.pw_gid)
            os.setuid(USER.pw_uid)
        r = subprocess.run([setgid_copy, "-c", inst.config_dir], input=b"", capture_output=True,
                           timeout=30, preexec_fn=drop, cwd="/")
        if b"allowed only for root" not in r.stderr and r.returncode == 75:
            print("note: the file system ignores set-group-ID bits (nosuid); check skipped")
        else:
            expect(r.returncode == 64 and b"allowed only for root" in r.stderr,
                   f"a setgid postdrop refuses -c from a user ({r.returncode}, {r.stderr!r})")
        expect(names(inst, "maildrop") == [], "and stores nothing")
        inst.stop()
    print("submit_user: all checks passed")


if __name__ == "__main__":
    sys.exit(main())
