#!/usr/bin/env python3
"""relay - the outbound (relaying) benchmark: posthorn side by side with Postfix.

Not a test (CTest never runs it). For each system, posthorn from a build
tree and Postfix from Debian's package, it starts a fresh private instance
on 127.0.0.1 whose relayhost is Postfix's smtp-sink on 127.0.0.2, sends N
messages with smtp-source over 1 and over 10 parallel SMTP sessions (one
connection each) for a recipient in a domain that is not local, and
measures

  accepted/s  N / (time from smtp-source's start until it exits: every
              message has had its 250 reply after the final dot)
  relayed/s   N / (time from the same start until the sink has counted N
              completed DATA transactions: smtp-sink -c, read from its
              output as it happens)
  CPU ms/msg  user + system CPU time of the system's processes during the
              run, per message (smtp-source and smtp-sink not counted)

and prints a table with the posthorn/Postfix ratio of each figure, plus,
with --json FILE, every run and the summary as JSON. It reuses
bench/inbound.py's helpers (CPU accounting, smtp-source arguments, load
average) and bench/postfix_instance.py's private Postfix.

Needs root: Postfix's master must start as root, smtp-sink drops to the
postfix user, and posthorn's smtpd and smtp run chrooted. See bench/README.md.

    sudo bench/relay.py --builddir /path/to/build [-n 2000] [--json out.json]
"""
import argparse
import contextlib
import json
import os
import platform
import re
import select
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path[:0] = [HERE, os.path.join(SRCDIR, "test", "lib"),
                os.path.join(SRCDIR, "test", "integration")]

import inbound  # noqa: E402  (bench/inbound.py: CPU accounting, smtp-source, load)
from postfix_instance import free_port, greeting  # noqa: E402

SMTP_SINK = "/usr/sbin/smtp-sink"
SINK_HOST = "127.0.0.2"
RECIPIENT = "rcpt@remote.example"


# --- the destination: smtp-sink counting DATA completions -------------------------

class Sink:
    """smtp-sink -c on SINK_HOST:port as the postfix user. -c writes
    "sess=S quit=Q mesg=M" followed by a carriage return each time a
    session ends, a QUIT is executed or a "." is received; mesg counts the
    completed DATA transactions."""

    def __init__(self):
        self.port = free_port(SINK_HOST)
        self.count = 0
        self.sessions = 0
        self.buffer = b""
        self.proc = subprocess.Popen(
            [SMTP_SINK, "-c", "-u", "postfix", f"{SINK_HOST}:{self.port}", "1000"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)
        os.set_blocking(self.proc.stdout.fileno(), False)
        deadline = time.monotonic() + 10
        while not (greeting(self.port, SINK_HOST) or "").startswith("220"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"smtp-sink on {SINK_HOST}:{self.port} did not start: "
                                   f"{self.buffer.decode(errors='replace')[-300:]}")
            time.sleep(0.05)
        self.wait(0)  # the greeting probe's session end
        self.base = self.count

    def wait(self, timeout):
        """Waits up to timeout seconds for the sink's counters to change;
        returns the number of completed DATA transactions."""
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if ready:
            with contextlib.suppress(BlockingIOError):
                while True:
                    chunk = os.read(fd, 1 << 16)
                    if not chunk:
                        break
                    self.buffer += chunk
            records = self.buffer.split(b"\r")
            self.buffer = records[-1]
            for record in reversed(records[:-1]):
                m = re.search(rb"sess=(\d+) quit=\d+ mesg=(\d+)", record)
                if m:
                    self.sessions, self.count = int(m.group(1)), int(m.group(2))
                    break
        return self.count

    def stop(self):
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


# --- the two systems ----------------------------------------------------------------

class Posthorn:
    """A posthorn instance from the build tree with the relay services of
    the smtp integration tests (test/integration/smtp_util.py): smtpd and
    smtp chrooted as mail_owner, cleanup, qmgr, mapd; relayhost is the sink."""
    name = "posthorn"

    def __init__(self, sink_port):
        from posthorn_test import Instance, wait_for
        from smtp_util import RELAY_SERVICES
        self.recipient = RECIPIENT
        self.inst = Instance("bench-relay", conf={
            "mydestination": "localhost",
            "mynetworks": "127.0.0.0/8",
            "smtpd_peername_lookup": "no",
            "relayhost": f"[{SINK_HOST}]:{sink_port}",
            "smtp_tls_security_level": "none",
        })
        self.port = self.inst.free_port()
        self.inst.write_master_conf(RELAY_SERVICES.format(port=self.port))
        self.wait_for = wait_for

    def __enter__(self):
        self.inst.__enter__()
        try:
            self.inst.start()
            self.wait_for(lambda: self.inst.first_line(self.port), 10, what="smtpd's greeting")
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, *exc):
        with contextlib.suppress(Exception):
            self.inst.stop(timeout=10)
        return self.inst.__exit__(*exc)

    def log_tail(self):
        return "\n".join(self.inst.log_lines()[-30:])

    def pids(self):
        return self.inst.processes()


class Postfix:
    """A private Postfix (bench/postfix_instance.py) whose stock smtp(8)
    relays everything to the sink (relayhost)."""
    name = "postfix"

    def __init__(self, sink_port):
        from postfix_instance import PostfixInstance
        self.recipient = RECIPIENT
        self.pf = PostfixInstance(settings={
            "relayhost": f"[{SINK_HOST}]:{sink_port}",
            "smtp_tls_security_level": "none",
        })
        self.port = self.pf.port

    def __enter__(self):
        self.pf.__enter__()
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


# --- one run ----------------------------------------------------------------------------

def send(system, sink, sessions, messages, size, timeout):
    """Sends messages with smtp-source (one connection per session) and
    waits until the sink has counted as many more. Returns
    (accepted_seconds, relayed_seconds, received, cpu)."""
    target = sink.wait(0) + messages
    first = sink.count
    done = {}
    proc = None
    try:
        cpu_before = inbound.cpu_by_program(system.pids())
        start = time.monotonic()
        proc = subprocess.Popen(inbound.smtp_source_args(system, sessions, messages, True, size),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)

        def reap():
            out = proc.communicate()[0]
            done["accepted"] = time.monotonic()
            done["output"] = out.decode(errors="replace")
        waiter = threading.Thread(target=reap, daemon=True)
        waiter.start()
        deadline = start + timeout
        relayed = None
        while True:
            count = sink.wait(0.25)
            now = time.monotonic()
            if relayed is None and count >= target:
                relayed = now
            if "accepted" in done and proc.returncode != 0:
                raise RuntimeError(f"smtp-source exited with {proc.returncode}: "
                                   f"{done['output'].strip()[-500:]}")
            if relayed is not None and "accepted" in done:
                break
            if now > deadline:
                raise RuntimeError(f"timed out after {timeout:g} s: smtp-source "
                                   f"{'done' if 'accepted' in done else 'still running'}, "
                                   f"the sink has {count - first} of {messages}")
            if sink.proc.poll() is not None:
                raise RuntimeError(f"smtp-sink exited with {sink.proc.returncode}")
        # A moment more: every message should arrive exactly once.
        time.sleep(0.2)
        received = sink.wait(0) - first
        cpu = inbound.cpu_difference(inbound.cpu_by_program(system.pids()), cpu_before)
        return done["accepted"] - start, relayed - start, received, cpu
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()


def run_once(cls, sessions, messages, size, warmup, timeout):
    with Sink() as sink, cls(sink.port) as system:
        try:
            if warmup:
                send(system, sink, 1, warmup, size, timeout)
            accepted, relayed, received, cpu = send(system, sink, sessions, messages, size,
                                                    timeout)
        except Exception:
            print(f"--- {system.name}: last log lines:\n{system.log_tail()}", file=sys.stderr)
            raise
    return {"system": cls.name, "connections": sessions, "messages": messages,
            "accepted_seconds": round(accepted, 4), "relayed_seconds": round(relayed, 4),
            "accepted_per_second": round(messages / accepted, 1),
            "relayed_per_second": round(messages / relayed, 1),
            "sink_messages": received,
            "cpu_seconds": round(sum(cpu.values()), 3),
            "cpu_ms_per_message": round(1000 * sum(cpu.values()) / messages, 3),
            "cpu_seconds_by_program": cpu}


# --- report -------------------------------------------------------------------------------

FIGURES = ("accepted_per_second", "relayed_per_second", "cpu_ms_per_message")


def summarize(runs, systems, connections):
    rows = []
    for sessions in connections:
        row = {"connections": sessions}
        for name in systems:
            mine = [r for r in runs if r["system"] == name and r["connections"] == sessions
                    and "error" not in r]
            if mine:
                row[name] = {k: round(statistics.median(r[k] for r in mine), 3) for k in FIGURES}
                row[name]["runs"] = len(mine)
        if "posthorn" in row and "postfix" in row:
            row["ratio"] = {k: round(row["posthorn"][k] / row["postfix"][k], 2)
                            for k in FIGURES if row["postfix"][k]}
        rows.append(row)
    return rows


def print_table(rows, systems):
    head = (f"{'sessions':<10} {'system':<9} {'accepted msg/s':>15} {'relayed msg/s':>14}"
            f" {'CPU ms/msg':>11}")
    print(head)
    print("-" * len(head))
    for row in rows:
        label = str(row["connections"])
        for name in systems:
            if name in row:
                v = row[name]
                print(f"{label:<10} {name:<9} {v['accepted_per_second']:>15.1f} "
                      f"{v['relayed_per_second']:>14.1f} {v['cpu_ms_per_message']:>11.2f}")
            else:
                print(f"{label:<10} {name:<9} {'failed':>15} {'failed':>14} {'':>11}")
            label = ""
        if "ratio" in row:
            r = row["ratio"]
            cells = [f"{r[k]:.2f}x" if k in r else "-" for k in FIGURES]
            print(f"{'':<10} {'ratio':<9} {cells[0]:>15} {cells[1]:>14} {cells[2]:>11}")
        print()


# --- main -------------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Relay benchmark: posthorn vs Postfix relaying to smtp-sink over "
                    "loopback (needs root).")
    p.add_argument("--builddir", default=os.environ.get("POSTHORN_BUILDDIR") or os.getcwd(),
                   help="posthorn build tree (default: $POSTHORN_BUILDDIR or the current "
                        "directory)")
    p.add_argument("-n", "--messages", type=int, default=2000,
                   help="messages per run (default 2000)")
    p.add_argument("--connections", default="1,10",
                   help="comma-separated parallel smtp-source session counts (default 1,10)")
    p.add_argument("--systems", default="posthorn,postfix",
                   help="which systems to run (default posthorn,postfix)")
    p.add_argument("--size", type=int, default=0,
                   help="message size in bytes for smtp-source -l (default: its "
                        "built-in ~400-byte message)")
    p.add_argument("--repeat", type=int, default=1,
                   help="runs per cell; the table shows the median (default 1)")
    p.add_argument("--warmup", type=int, default=20,
                   help="messages sent and relayed before each timed run (default 20)")
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
    return args


def check_environment(args):
    if os.geteuid() != 0:
        print("bench/relay.py needs root: Postfix's master only starts as root, smtp-sink "
              "switches to the postfix user, and posthorn's smtpd and smtp run chrooted. "
              "Run it with sudo.", file=sys.stderr)
        sys.exit(1)
    for program in (inbound.SMTP_SOURCE, SMTP_SINK):
        if not os.access(program, os.X_OK):
            sys.exit(f"{program} not found: install Debian's postfix package")
    if "posthorn" in args.systems:
        posthorn = os.path.join(args.builddir, "bin", "posthorn")
        if not os.access(posthorn, os.X_OK):
            sys.exit(f"no posthorn build in {args.builddir} ({posthorn} missing); "
                     "give --builddir")
    try:
        with socket.socket() as s:
            s.bind((SINK_HOST, 0))
    except OSError as e:
        sys.exit(f"cannot bind {SINK_HOST} for the sink: {e}")


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    check_environment(args)
    # posthorn_test reads these when it is first imported (in Posthorn()).
    os.environ["POSTHORN_BUILDDIR"] = os.path.abspath(args.builddir)
    os.environ.setdefault("POSTHORN_SRCDIR", SRCDIR)
    # SIGTERM and SIGHUP unwind like Ctrl-C, so every instance is stopped.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.default_int_handler)

    info = {"cpus": os.cpu_count(), "kernel": platform.release(),
            "postfix_version": inbound.postfix_version(),
            "posthorn_builddir": os.environ["POSTHORN_BUILDDIR"],
            "loadavg_start": inbound.loadavg(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    print(f"relay benchmark: {args.messages} messages per run, smtp-source -> 127.0.0.1 -> "
          f"smtp-sink on {SINK_HOST}, {info['cpus']} CPUs, load average "
          f"{info['loadavg_start']}, Postfix {info['postfix_version']}")
    runs = []
    failed = False
    for _ in range(args.repeat):
        for sessions in args.connections:
            for name in args.systems:
                print(f"  {name}, {sessions} session(s) ...", end="", flush=True)
                try:
                    r = run_once(SYSTEMS[name], sessions, args.messages, args.size,
                                 args.warmup, args.timeout)
                except KeyboardInterrupt:
                    print(" interrupted")
                    raise
                except Exception as e:  # one failed run must not stop the rest
                    failed = True
                    print(f" FAILED: {e}")
                    runs.append({"system": name, "connections": sessions,
                                 "messages": args.messages, "error": str(e)})
                    continue
                if r["sink_messages"] != args.messages:
                    failed = True
                    r["error"] = (f"the sink received {r['sink_messages']} messages, "
                                  f"expected {args.messages}")
                print(f" accepted {r['accepted_per_second']}/s, relayed "
                      f"{r['relayed_per_second']}/s, CPU {r['cpu_ms_per_message']} ms/msg"
                      + (f" ({r['error']})" if "error" in r else ""))
                if args.verbose:
                    print("      CPU s: " + ", ".join(
                        f"{k} {v:g}" for k, v in r["cpu_seconds_by_program"].items() if v))
                runs.append(r)
    info["loadavg_end"] = inbound.loadavg()
    rows = summarize(runs, args.systems, args.connections)
    print()
    print_table(rows, args.systems)
    print("ratio = posthorn / Postfix (above 1 is faster for msg/s, costlier for CPU ms/msg).")
    print(f"Load average at start {info['loadavg_start']}, "
          f"at end {info['loadavg_end']} ({info['cpus']} CPUs).")
    if args.json:
        params = {k: getattr(args, k) for k in ("messages", "connections", "size", "repeat",
                                                "warmup", "timeout", "systems")}
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
