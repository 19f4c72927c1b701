#!/usr/bin/env python3
"""inbound - the inbound-mail benchmark: posthorn side by side with Postfix.

Not a test (CTest never runs it). For each system, posthorn from a build
tree and Postfix from Debian's package, it starts a fresh private instance
on loopback, sends N messages with Postfix's smtp-source over 1 and over 10
parallel SMTP sessions to one user whose mailbox is a Maildir, and measures

  accepted/s   N / (time from smtp-source's start until it exits: every
               message has had its 250 reply after the final dot)
  delivered/s  N / (time from the same start until the N-th file appears in
               the Maildir's new/ directory; an inotify watch on new/, so
               nothing polls the directory while the mail flows)

and prints a table with the posthorn/Postfix ratio of each figure, plus,
with --json FILE, every run and the summary as JSON. Both instances run on
the same machine in the same run; the runs of the two systems alternate so
a change in background load hits both.

Connection modes (--reuse): "yes" sends all of a session's messages over
one connection (smtp-source -d: 1 or 10 TCP connections in all), "no" opens
a connection per message (smtp-source's default: 1 or 10 connections at a
time, N in all). Default: both.

Needs root: Postfix's master must start as root, and both systems deliver
as the mailbox owner (uid 5000). See bench/README.md.

    sudo bench/inbound.py --builddir /path/to/build [-n 2000] [--json out.json]
"""
import argparse
import contextlib
import ctypes
import io
import os
import select
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_bench  # noqa: E402

MAILBOX_UID = MAILBOX_GID = 5000


# --- watching a Maildir's new/ ------------------------------------------------

class NewFileWatch:
    """Counts files that appear in one directory (created there or renamed
    into it) through inotify; falls back to listing it when inotify is
    unavailable or its queue overflows."""

    IN_CREATE, IN_MOVED_TO, IN_Q_OVERFLOW, IN_ISDIR = 0x100, 0x80, 0x4000, 0x40000000
    IN_NONBLOCK, IN_CLOEXEC = 0o4000, 0o2000000

    def __init__(self, path):
        self.path = path
        self.base = len(os.listdir(path))
        self.count = self.base
        self.fd = -1
        self.overflow = False
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(self.IN_NONBLOCK | self.IN_CLOEXEC)
            if fd >= 0 and libc.inotify_add_watch(fd, path.encode(),
                                                  self.IN_CREATE | self.IN_MOVED_TO) >= 0:
                self.fd = fd
                # Files that came between listdir and the watch are counted
                # again by the next listing; none are expected (idle system).
                self.count = self.base = len(os.listdir(path))
            elif fd >= 0:
                os.close(fd)

    def wait(self, timeout):
        """Waits up to timeout seconds for new files; returns the count."""
        if self.fd < 0 or self.overflow:
            time.sleep(min(timeout, 0.02))
            self.count = len(os.listdir(self.path))
            return self.count
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return self.count
        try:
            data = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return self.count
        offset = 0
        while offset + 16 <= len(data):
            mask = int.from_bytes(data[offset + 4:offset + 8], sys.byteorder)
            length = int.from_bytes(data[offset + 12:offset + 16], sys.byteorder)
            offset += 16 + length
            if mask & self.IN_Q_OVERFLOW:
                self.overflow = True
                self.count = len(os.listdir(self.path))
            elif mask & (self.IN_CREATE | self.IN_MOVED_TO) and not mask & self.IN_ISDIR:
                self.count += 1
        return self.count

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def make_maildir(path, uid, gid):
    """PATH/{tmp,new,cur}, mode 0700, owned by uid:gid; returns PATH/new."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(path, sub), mode=0o700, exist_ok=True)
        os.chown(os.path.join(path, sub), uid, gid)
    os.chown(path, uid, gid)
    return os.path.join(path, "new")


# --- the two systems ----------------------------------------------------------

class Posthorn(smtp_bench.PosthornSystem):
    """A posthorn instance from the build tree with the whole inbound path
    (test/integration/inbound_util.py), delivering to a virtual user's
    Maildir through local."""

    def __init__(self, conf=None):
        from inbound_util import Inbound, VIRTUAL_USER
        with contextlib.redirect_stdout(io.StringIO()):  # the harness's "ok:" lines
            self.harness = Inbound("bench", conf=conf or {"smtpd_mailauth_checks": "no"})
        self.inst = self.harness.inst
        self.recipient = VIRTUAL_USER
        self.port = self.harness.port

    def start(self):
        self.maildir_new = make_maildir(os.path.join(self.harness.vhome, "Maildir"),
                                        MAILBOX_UID, MAILBOX_GID)
        self.harness.start()


class PosthornChecks(Posthorn):
    """The same with smtpd_mailauth_checks on for every message (smtp-source's
    client 127.0.0.1 included): iprev, SPF, DKIM and DMARC, asking NSD on
    loopback, which serves the sender's domain (SPF passes for 127.0.0.1,
    DMARC p=none) and 127.in-addr.arpa. libunbound caches the answers, as
    it would for a real sender that sends a lot."""
    name = "checks"

    def __init__(self):
        from dns_util import Nsd
        domain = smtp_bench.SENDER.split("@")[1]
        with contextlib.redirect_stdout(io.StringIO()):
            self.nsd = Nsd({domain: '@ TXT "v=spf1 ip4:127.0.0.1 -all"\n_dmarc TXT "v=DMARC1; p=none"\n'
                                    "client A 127.0.0.1\n",
                            "127.in-addr.arpa": f"1.0.0 PTR client.{domain}.\n"}).start()
        super().__init__(conf={"smtpd_mailauth_checks": "yes", "smtpd_mailauth_ignore_hosts": "",
                               "smtpd_peername_lookup": "yes", "dns_servers": self.nsd.server,
                               "dns_trust_anchor_file": ""})

    def __exit__(self, *exc):
        try:
            return super().__exit__(*exc)
        finally:
            self.nsd.__exit__(None, None, None)


class Postfix(smtp_bench.PostfixSystem):
    """A private Postfix delivering through virtual(8) to a Maildir."""

    def __init__(self):
        from postfix_instance import PostfixInstance
        self.pf = PostfixInstance(uid=MAILBOX_UID, gid=MAILBOX_GID)
        self.recipient = self.pf.recipient
        self.port = self.pf.port
        self.maildir_new = self.pf.maildir_new


SYSTEMS = {"posthorn": Posthorn, "checks": PosthornChecks, "postfix": Postfix}


# --- one run --------------------------------------------------------------------

class MaildirCounter(NewFileWatch):
    """What smtp_bench.send waits for: files in the Maildir's new/."""

    def where(self):
        return f"files in {self.path}"

    def check(self):
        pass


def run_once(cls, cell, messages, size, warmup, timeout):
    sessions, reuse = cell["connections"], cell["reuse"]
    with cls() as system:
        try:
            if warmup:
                deliver(system, 1, warmup, True, size, timeout)
            accepted, delivered, files, cpu = deliver(system, sessions, messages, reuse, size,
                                                      timeout)
        except Exception:
            print(f"--- {system.name}: last log lines:\n{system.log_tail()}", file=sys.stderr)
            raise
    result = smtp_bench.timed_result(system, messages, accepted, delivered,
                                     "delivered_per_second", cpu)
    result["maildir_files"] = files
    return result


def deliver(system, sessions, messages, reuse, size, timeout):
    """smtp_bench.send into the Maildir; returns (accepted_seconds,
    delivered_seconds, files that came, cpu)."""
    watch = MaildirCounter(system.maildir_new)
    try:
        accepted, delivered, cpu = smtp_bench.send(system, watch, sessions, messages, reuse,
                                                   size, timeout)
        return accepted, delivered, len(os.listdir(system.maildir_new)) - watch.base, cpu
    finally:
        watch.close()


# --- report -----------------------------------------------------------------------

FIGURES = {"accepted_per_second": 1, "delivered_per_second": 1, "cpu_ms_per_message": 3}
COLUMNS = [("accepted msg/s", "accepted_per_second", 1),
           ("delivered msg/s", "delivered_per_second", 1),
           ("CPU ms/msg", "cpu_ms_per_message", 2)]


def cell_label(row):
    if row is None:
        return "connections"
    return f"{row['connections']} ({'1 conn/session' if row['reuse'] else '1 conn/message'})"


# --- main -------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Inbound-mail benchmark: posthorn vs Postfix over loopback (needs root).")
    smtp_bench.add_arguments(p, "delivered")
    p.add_argument("--reuse", choices=("yes", "no", "both"), default="both",
                   help="one connection per session (yes, smtp-source -d), one per "
                        "message (no), or both (default)")
    args = smtp_bench.check_arguments(p, p.parse_args(argv), SYSTEMS)
    args.modes = {"yes": [True], "no": [False], "both": [True, False]}[args.reuse]
    return args


def run_and_report(args, info, systems):
    """Every cell for every system in args.systems (classes from
    `systems`), the table and the report; True when a run failed."""
    cells = [{"connections": sessions, "reuse": reuse}
             for reuse in args.modes for sessions in args.connections]
    runs, failed = smtp_bench.run_cells(
        args, cells,
        lambda name, cell: run_once(systems[name], cell, args.messages, args.size,
                                    args.warmup, args.timeout),
        lambda cell: (f"{cell['connections']} session(s), " + (
            "one connection each" if cell["reuse"] else "a connection per message")),
        lambda r: (None if r["maildir_files"] == args.messages else
                   f"{r['maildir_files']} files in the Maildir, expected {args.messages}"),
        "delivered_per_second")
    rows = smtp_bench.summarize(runs, args.systems, cells, FIGURES)
    print()
    smtp_bench.print_table(rows, args.systems, cell_label, 22, COLUMNS)
    smtp_bench.report(args, info, runs, rows, ("messages", "connections", "reuse", "size",
                                               "repeat", "warmup", "timeout", "systems"))
    return failed


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    smtp_bench.check_environment(
        args, "bench/inbound.py", "Postfix's master only starts as root, and both systems "
        "deliver as the mailbox owner (uid 5000)", [smtp_bench.SMTP_SOURCE])
    info = smtp_bench.prepare(args)
    print(f"inbound benchmark: {args.messages} messages per run, smtp-source over "
          f"127.0.0.1, {info['cpus']} CPUs, load average {info['loadavg_start']}, "
          f"Postfix {info['postfix_version']}")
    return 1 if run_and_report(args, info, SYSTEMS) else 0


if __name__ == "__main__":
    smtp_bench.run_main(main)
