"""submit_util - shared by the submit_* integration tests (not a test).

Sets up an instance whose master runs cleanup, pickup and showq as a
Postfix administrator would (public sockets, chrooted, as mail_owner), and
runs BUILDDIR/bin/sendmail (which runs BUILDDIR/bin/postdrop through the
harness's command_directory) against it.
"""
import os
import subprocess

from posthorn_test import BUILDDIR, Instance, wait_for
from cleanup_util import dump  # noqa: F401  (re-exported for the tests)

SENDMAIL = os.path.join(BUILDDIR, "bin", "sendmail")
POSTDROP = os.path.join(BUILDDIR, "bin", "postdrop")
HOST = "localhost.localdomain"  # the harness's myhostname


def master_conf(pickup_wakeup=60):
    return "\n".join([
        "cleanup unix n - y - 0 cleanup",
        f"pickup unix n - y {pickup_wakeup} 1 pickup",
        "showq unix n - y - - showq",
    ])


def instance(name, pickup_wakeup=60, **conf):
    return Instance(name, conf=conf, master_conf=master_conf(pickup_wakeup))


def sendmail(inst, args, stdin=b"", argv0=None, timeout=60):
    """Runs sendmail -C CONFIG_DIR ARGS with stdin; returns the
    CompletedProcess (bytes)."""
    program = SENDMAIL
    if argv0:  # run it under another name (mailq, newaliases) through a symlink
        program = os.path.join(inst.dir, argv0)
        if not os.path.lexists(program):
            os.symlink(SENDMAIL, program)
    return subprocess.run([program, "-C", inst.config_dir, *args], input=stdin,
                          capture_output=True, timeout=timeout)


def names(inst, queue):
    try:
        return sorted(os.listdir(os.path.join(inst.queue_dir, queue)))
    except FileNotFoundError:
        return []


def wait_incoming(inst, before, count=1, timeout=15):
    """Waits until incoming/ holds `count` queue files not in `before`;
    returns their names (sorted)."""
    def new():
        found = [n for n in names(inst, "incoming")
                 if n not in before and not n.startswith(".")]
        return found if len(found) >= count else None
    return wait_for(new, timeout, what=f"{count} new queue file(s) in incoming/")


def queue_file(inst, qid):
    return dump(os.path.join(inst.queue_dir, "incoming", qid))

