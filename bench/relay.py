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
with --json FILE, every run and the summary as JSON. It shares the run,
the options and the report with bench/inbound.py (bench/smtp_bench.py)
and uses bench/postfix_instance.py's private Postfix.

Needs root: Postfix's master must start as root, smtp-sink drops to the
postfix user, and posthorn's smtpd and smtp run chrooted. See bench/README.md.

    sudo bench/relay.py --builddir /path/to/build [-n 2000] [--json out.json]
"""
import argparse
import contextlib
import os
import re
import select
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_bench  # noqa: E402

smtp_bench.use_test_modules()
from postfix_instance import greeting  # noqa: E402
from proc_util import free_port, stop_group  # noqa: E402

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
        stop_group(self.proc)
        self.proc.stdout.close()

    def where(self):
        return "at the sink"

    def check(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"smtp-sink exited with {self.proc.returncode}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


# --- the two systems ----------------------------------------------------------------

class Posthorn(smtp_bench.PosthornSystem):
    """A posthorn instance from the build tree with the relay services of
    the smtp integration tests (test/integration/smtp_util.py): smtpd and
    smtp chrooted as mail_owner, cleanup, qmgr, mapd; relayhost is the sink."""

    def __init__(self, sink_port, conf=None):
        from posthorn_test import Instance
        from smtp_util import RELAY_SERVICES
        self.recipient = RECIPIENT
        self.inst = self.harness = Instance("bench-relay", conf={
            "mydestination": "localhost",
            "mynetworks": "127.0.0.0/8",
            "smtpd_peername_lookup": "no",
            "relayhost": f"[{SINK_HOST}]:{sink_port}",
            "smtp_tls_security_level": "none",
            **(conf or {}),
        })
        self.port = self.inst.free_port()
        self.inst.write_master_conf(RELAY_SERVICES.format(port=self.port))

    def start(self):
        self.inst.start_and_greet(self.port)


class Postfix(smtp_bench.PostfixSystem):
    """A private Postfix whose stock smtp(8) relays everything to the sink
    (relayhost)."""

    def __init__(self, sink_port, settings=None):
        from postfix_instance import PostfixInstance
        self.recipient = RECIPIENT
        self.pf = PostfixInstance(settings={
            "relayhost": f"[{SINK_HOST}]:{sink_port}",
            "smtp_tls_security_level": "none",
            **(settings or {}),
        })
        self.port = self.pf.port


SYSTEMS = {"posthorn": Posthorn, "postfix": Postfix}


# --- one run ----------------------------------------------------------------------------

def relay(system, sink, sessions, messages, size, timeout):
    """smtp_bench.send (one connection per session) to the sink; returns
    (accepted_seconds, relayed_seconds, messages the sink received, cpu)."""
    first = sink.wait(0)
    accepted, relayed, cpu = smtp_bench.send(system, sink, sessions, messages, True, size,
                                             timeout)
    return accepted, relayed, sink.wait(0) - first, cpu


def run_once(cls, cell, messages, size, warmup, timeout):
    with Sink() as sink, cls(sink.port) as system:
        try:
            if warmup:
                relay(system, sink, 1, warmup, size, timeout)
            accepted, relayed, received, cpu = relay(system, sink, cell["connections"],
                                                     messages, size, timeout)
        except Exception:
            print(f"--- {system.name}: last log lines:\n{system.log_tail()}", file=sys.stderr)
            raise
    result = smtp_bench.timed_result(system, messages, accepted, relayed,
                                     "relayed_per_second", cpu)
    result["sink_messages"] = received
    return result


# --- report -------------------------------------------------------------------------------

FIGURES = {"accepted_per_second": 3, "relayed_per_second": 3, "cpu_ms_per_message": 3}
COLUMNS = [("accepted msg/s", "accepted_per_second", 1),
           ("relayed msg/s", "relayed_per_second", 1),
           ("CPU ms/msg", "cpu_ms_per_message", 2)]


def cell_label(row):
    return "sessions" if row is None else str(row["connections"])


# --- main ---------------------------------------------------------------------------------

def parse_args(argv, systems, description, extra_arguments=None):
    p = argparse.ArgumentParser(description=description)
    smtp_bench.add_arguments(p, "relayed")
    if extra_arguments:
        extra_arguments(p)
    return smtp_bench.check_arguments(p, p.parse_args(argv), systems)


def check_environment(args):
    smtp_bench.check_environment(
        args, "bench/relay.py", "Postfix's master only starts as root, smtp-sink switches to "
        "the postfix user, and posthorn's smtpd and smtp run chrooted",
        [smtp_bench.SMTP_SOURCE, SMTP_SINK])
    try:
        with socket.socket() as s:
            s.bind((SINK_HOST, 0))
    except OSError as e:
        sys.exit(f"cannot bind {SINK_HOST} for the sink: {e}")


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:], SYSTEMS,
                      "Relay benchmark: posthorn vs Postfix relaying to smtp-sink over "
                      "loopback (needs root).")
    check_environment(args)
    info = smtp_bench.prepare(args)
    print(f"relay benchmark: {args.messages} messages per run, smtp-source -> 127.0.0.1 -> "
          f"smtp-sink on {SINK_HOST}, {info['cpus']} CPUs, load average "
          f"{info['loadavg_start']}, Postfix {info['postfix_version']}")
    return run_and_report(args, info, SYSTEMS)


def run_and_report(args, info, systems):
    """Every cell for every system, the table and the report; the exit status."""
    cells = [{"connections": sessions} for sessions in args.connections]
    runs, failed = smtp_bench.run_cells(
        args, cells,
        lambda name, cell: run_once(systems[name], cell, args.messages, args.size,
                                    args.warmup, args.timeout),
        lambda cell: f"{cell['connections']} session(s)",
        lambda r: (None if r["sink_messages"] == args.messages else
                   f"the sink received {r['sink_messages']} messages, "
                   f"expected {args.messages}"),
        "relayed_per_second")
    rows = smtp_bench.summarize(runs, args.systems, cells, FIGURES)
    print()
    smtp_bench.print_table(rows, args.systems, cell_label, 10, COLUMNS)
    smtp_bench.report(args, info, runs, rows, ("messages", "connections", "size", "repeat",
                                               "warmup", "timeout", "systems"))
    return 1 if failed else 0


if __name__ == "__main__":
    smtp_bench.run_main(main)
