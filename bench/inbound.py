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
import json
import os
import platform
import select
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(HERE)
SMTP_SOURCE = "/usr/sbin/smtp-source"
SENDER = "bench-sender@example.org"
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


def cpu_by_program(pids):
    """CPU seconds (user + system) of pids by program name; the time of
    workers that have exited and been reaped is under "(exited workers)"."""
    ticks = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                name = os.path.basename(f.read().split(b"\0")[0].decode(errors="replace"))
            own = int(fields[11]) + int(fields[12])              # utime stime
            reaped = int(fields[13]) + int(fields[14])           # cutime cstime
            ticks[name] = ticks.get(name, 0) + own
            ticks["(exited workers)"] = ticks.get("(exited workers)", 0) + reaped
    hz = os.sysconf("SC_CLK_TCK")
    return {name: t / hz for name, t in ticks.items()}


def cpu_difference(after, before):
    """after - before per program (a worker alive before and gone after
    moves its time from its own name to "(exited workers)")."""
    names = set(after) | set(before)
    return {n: round(after.get(n, 0) - before.get(n, 0), 3) for n in sorted(names)}


# --- the two systems ----------------------------------------------------------

class Posthorn:
    """A posthorn instance from the build tree with the whole inbound path
    (test/integration/inbound_util.py), delivering to a virtual user's
    Maildir through local."""
    name = "posthorn"

    def __enter__(self):
        from inbound_util import Inbound, VIRTUAL_USER
        with contextlib.redirect_stdout(io.StringIO()):  # the harness's "ok:" lines
            self.box = Inbound("bench")
        self.box.__enter__()
        self.recipient = VIRTUAL_USER
        self.port = self.box.port
        try:
            self.maildir_new = make_maildir(os.path.join(self.box.vhome, "Maildir"),
                                            MAILBOX_UID, MAILBOX_GID)
            self.box.start()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, *exc):
        with contextlib.suppress(Exception):
            self.box.inst.stop(timeout=10)
        return self.box.__exit__(*exc)

    def log_tail(self):
        return "\n".join(self.box.inst.log_lines()[-30:])

    def pids(self):
        """master (its cmdline names the config directory too) and workers"""
        return self.box.inst.processes()


class Postfix:
    """A private Postfix (bench/postfix_instance.py) delivering through
    virtual(8) to a Maildir."""
    name = "postfix"

    def __enter__(self):
        from postfix_instance import PostfixInstance
        self.pf = PostfixInstance(uid=MAILBOX_UID, gid=MAILBOX_GID)
        self.pf.__enter__()
        self.recipient = self.pf.recipient
        self.port = self.pf.port
        self.maildir_new = self.pf.maildir_new
        try:
            self.pf.start()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, *exc):
        return self.pf.__exit__(*exc)

    def log_tail(self):
        return self.pf.log_tail()

    def pids(self):
        return self.pf.processes()


SYSTEMS = {"posthorn": Posthorn, "postfix": Postfix}


# --- one run --------------------------------------------------------------------

def smtp_source_args(system, sessions, messages, reuse, size):
    args = [SMTP_SOURCE, "-s", str(sessions), "-m", str(messages), "-f", SENDER,
            "-t", system.recipient, "-M", "bench-client.localdomain"]
    if reuse:
        args.append("-d")
    if size:
        args += ["-l", str(size)]
    return args + [f"127.0.0.1:{system.port}"]


def send(system, sessions, messages, reuse, size, timeout):
    """Sends messages with smtp-source and waits until as many new files are
    in the Maildir. Returns (accepted_seconds, delivered_seconds, files,
    cpu): cpu is what the system's processes used meanwhile, in seconds by
    program."""
    watch = NewFileWatch(system.maildir_new)
    target = watch.count + messages
    done = {}
    proc = None
    try:
        cpu_before = cpu_by_program(system.pids())
        start = time.monotonic()
        proc = subprocess.Popen(smtp_source_args(system, sessions, messages, reuse, size),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)

        def reap():
            out = proc.communicate()[0]
            done["accepted"] = time.monotonic()
            done["output"] = out.decode(errors="replace")
        waiter = threading.Thread(target=reap, daemon=True)
        waiter.start()
        deadline = start + timeout
        delivered = None
        while True:
            count = watch.wait(0.25)
            now = time.monotonic()
            if delivered is None and count >= target:
                delivered = now
            if "accepted" in done and proc.returncode != 0:
                raise RuntimeError(f"smtp-source exited with {proc.returncode}: "
                                   f"{done['output'].strip()[-500:]}")
            if delivered is not None and "accepted" in done:
                break
            if now > deadline:
                raise RuntimeError(f"timed out after {timeout:g} s: smtp-source "
                                   f"{'done' if 'accepted' in done else 'still running'}, "
                                   f"{count - watch.base} of {messages} files in "
                                   f"{system.maildir_new}")
        # A moment more: every message should be there exactly once.
        time.sleep(0.2)
        files = len(os.listdir(system.maildir_new)) - watch.base
        cpu = cpu_difference(cpu_by_program(system.pids()), cpu_before)
        return done["accepted"] - start, delivered - start, files, cpu
    finally:
        watch.close()
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()


def run_once(cls, sessions, messages, reuse, size, warmup, timeout):
    with cls() as system:
        try:
            if warmup:
                send(system, 1, warmup, True, size, timeout)
            accepted, delivered, files, cpu = send(system, sessions, messages, reuse, size, timeout)
        except Exception:
            print(f"--- {system.name}: last log lines:\n{system.log_tail()}", file=sys.stderr)
            raise
    return {"system": cls.name, "connections": sessions, "reuse": reuse,
            "messages": messages, "accepted_seconds": round(accepted, 4),
            "delivered_seconds": round(delivered, 4),
            "accepted_per_second": round(messages / accepted, 1),
            "delivered_per_second": round(messages / delivered, 1),
            "maildir_files": files, "cpu_seconds": round(sum(cpu.values()), 3),
            "cpu_ms_per_message": round(1000 * sum(cpu.values()) / messages, 3),
            "cpu_seconds_by_program": cpu}


# --- report -----------------------------------------------------------------------

def summarize(runs, systems, connections, modes):
    rows = []
    for reuse in modes:
        for sessions in connections:
            row = {"connections": sessions, "reuse": reuse}
            for name in systems:
                mine = [r for r in runs if r["system"] == name and r["connections"] == sessions
                        and r["reuse"] == reuse and "error" not in r]
                if mine:
                    row[name] = {
                        "accepted_per_second": round(statistics.median(
                            r["accepted_per_second"] for r in mine), 1),
                        "delivered_per_second": round(statistics.median(
                            r["delivered_per_second"] for r in mine), 1),
                        "cpu_ms_per_message": round(statistics.median(
                            r["cpu_ms_per_message"] for r in mine), 3),
                        "runs": len(mine)}
            if "posthorn" in row and "postfix" in row:
                row["ratio"] = {k: round(row["posthorn"][k] / row["postfix"][k], 2)
                                for k in ("accepted_per_second", "delivered_per_second",
                                          "cpu_ms_per_message")}
            rows.append(row)
    return rows


def print_table(rows, systems):
    head = (f"{'connections':<22} {'system':<9} {'accepted msg/s':>15} {'delivered msg/s':>16}"
            f" {'CPU ms/msg':>11}")
    print(head)
    print("-" * len(head))
    for row in rows:
        label = f"{row['connections']} ({'1 conn/session' if row['reuse'] else '1 conn/message'})"
        for name in systems:
            if name in row:
                v = row[name]
                print(f"{label:<22} {name:<9} {v['accepted_per_second']:>15.1f} "
                      f"{v['delivered_per_second']:>16.1f} {v['cpu_ms_per_message']:>11.2f}")
            else:
                print(f"{label:<22} {name:<9} {'failed':>15} {'failed':>16} {'':>11}")
            label = ""
        if "ratio" in row:
            r = row["ratio"]
            print(f"{'':<22} {'ratio':<9} {r['accepted_per_second']:>14.2f}x "
                  f"{r['delivered_per_second']:>15.2f}x {r['cpu_ms_per_message']:>10.2f}x")
        print()


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def postfix_version():
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        r = subprocess.run(["/usr/sbin/postconf", "-dh", "mail_version"], capture_output=True,
                           text=True, timeout=10)
        return r.stdout.strip()
    return None


# --- main -------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Inbound-mail benchmark: posthorn vs Postfix over loopback (needs root).")
    p.add_argument("--builddir", default=os.environ.get("POSTHORN_BUILDDIR") or os.getcwd(),
                   help="posthorn build tree (default: $POSTHORN_BUILDDIR or the current "
                        "directory)")
    p.add_argument("-n", "--messages", type=int, default=2000,
                   help="messages per run (default 2000)")
    p.add_argument("--connections", default="1,10",
                   help="comma-separated parallel session counts (default 1,10)")
    p.add_argument("--reuse", choices=("yes", "no", "both"), default="both",
                   help="one connection per session (yes, smtp-source -d), one per "
                        "message (no), or both (default)")
    p.add_argument("--systems", default="posthorn,postfix",
                   help="which systems to run (default posthorn,postfix)")
    p.add_argument("--size", type=int, default=0,
                   help="message size in bytes for smtp-source -l (default: its "
                        "built-in ~400-byte message)")
    p.add_argument("--repeat", type=int, default=1,
                   help="runs per cell; the table shows the median (default 1)")
    p.add_argument("--warmup", type=int, default=20,
                   help="messages sent and delivered before each timed run (default 20)")
    p.add_argument("--timeout", type=float, default=300,
                   help="seconds one run may take before it counts as failed (default 300)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print each run's CPU seconds by program")
    p.add_argument("--json", metavar="FILE", help="write every run and the summary here")
    args = p.parse_args(argv)
    try:
        args.connections = [int(c) for c in args.connections.split(",")]
    except ValueError:
        p.error(f"--connections wants numbers separated by commas: {args.connections!r}")
    args.systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    for s in args.systems:
        if s not in SYSTEMS:
            p.error(f"--systems: unknown system {s!r} (posthorn, postfix)")
    if args.messages < 1 or args.repeat < 1 or args.warmup < 0 or any(
            c < 1 for c in args.connections):
        p.error("--messages, --repeat and --connections must be positive, --warmup >= 0")
    args.modes = {"yes": [True], "no": [False], "both": [True, False]}[args.reuse]
    return args


def check_environment(args):
    if os.geteuid() != 0:
        sys.exit("bench/inbound.py needs root: Postfix's master only starts as root, and "
                 "both systems deliver as the mailbox owner (uid 5000). Run it with sudo.")
    if not os.access(SMTP_SOURCE, os.X_OK):
        sys.exit(f"{SMTP_SOURCE} not found: install Debian's postfix package")
    if "posthorn" in args.systems:
        posthorn = os.path.join(args.builddir, "bin", "posthorn")
        if not os.access(posthorn, os.X_OK):
            sys.exit(f"no posthorn build in {args.builddir} ({posthorn} missing); "
                     "give --builddir")


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    check_environment(args)
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    os.environ["POSTHORN_BUILDDIR"] = os.path.abspath(args.builddir)
    os.environ.setdefault("POSTHORN_SRCDIR", SRCDIR)
    sys.path[:0] = [HERE, os.path.join(SRCDIR, "test", "lib"),
                    os.path.join(SRCDIR, "test", "integration")]
    # SIGTERM and SIGHUP unwind like Ctrl-C, so every instance is stopped.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.default_int_handler)

    info = {"cpus": os.cpu_count(), "kernel": platform.release(),
            "postfix_version": postfix_version(), "posthorn_builddir": os.environ[
                "POSTHORN_BUILDDIR"], "loadavg_start": loadavg(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    print(f"inbound benchmark: {args.messages} messages per run, smtp-source over "
          f"127.0.0.1, {info['cpus']} CPUs, load average {info['loadavg_start']}, "
          f"Postfix {info['postfix_version']}")
    runs = []
    failed = False
    for _ in range(args.repeat):
        for reuse in args.modes:
            for sessions in args.connections:
                for name in args.systems:
                    label = (f"{name}, {sessions} session(s), "
                             f"{'one connection each' if reuse else 'a connection per message'}")
                    print(f"  {label} ...", end="", flush=True)
                    try:
                        r = run_once(SYSTEMS[name], sessions, args.messages, reuse, args.size,
                                     args.warmup, args.timeout)
                    except KeyboardInterrupt:
                        print(" interrupted")
                        raise
                    except Exception as e:  # one failed run must not stop the rest
                        failed = True
                        print(f" FAILED: {e}")
                        runs.append({"system": name, "connections": sessions, "reuse": reuse,
                                     "messages": args.messages, "error": str(e)})
                        continue
                    if r["maildir_files"] != args.messages:
                        failed = True
                        r["error"] = (f"{r['maildir_files']} files in the Maildir, "
                                      f"expected {args.messages}")
                    print(f" accepted {r['accepted_per_second']}/s, delivered "
                          f"{r['delivered_per_second']}/s, CPU {r['cpu_ms_per_message']} ms/msg"
                          + (f" ({r['error']})" if "error" in r else ""))
                    if args.verbose:
                        print("      CPU s: " + ", ".join(
                            f"{k} {v:g}" for k, v in r["cpu_seconds_by_program"].items() if v))
                    runs.append(r)
    info["loadavg_end"] = loadavg()
    rows = summarize(runs, args.systems, args.connections, args.modes)
    print()
    print_table(rows, args.systems)
    print("ratio = posthorn / Postfix (above 1 is faster for msg/s, costlier for CPU ms/msg).")
    print(f"Load average at start {info['loadavg_start']}, "
          f"at end {info['loadavg_end']} ({info['cpus']} CPUs).")
    if args.json:
        params = {k: getattr(args, k) for k in ("messages", "connections", "reuse", "size",
                                                "repeat", "warmup", "timeout", "systems")}
        with open(args.json, "w") as f:
            json.dump({"machine": info, "parameters": params, "runs": runs, "summary": rows},
                      f, indent=2)
            f.write("\n")
        print(f"results written to {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
