"""smtp_bench - what the smtp-source benchmarks share (bench/inbound.py,
bench/relay.py); not a benchmark itself.

Each run starts a fresh private instance of one system (posthorn from a
build tree, or Postfix from Debian's package), sends N messages with
Postfix's smtp-source and waits until a counter (files in a Maildir's
new/, or a sink's completed DATA transactions) has grown by N. This module
holds the parts around that: the command line both take, the check that
they can run, the run itself with its CPU accounting, the loop over the
cells (systems alternating), the table with the posthorn/Postfix ratio,
and the JSON file.
"""
import contextlib
import json
import os
import platform
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
# A prepared message for smtp-source -F instead of its generated one
# (bench/mailauth.py: a DKIM-signed message); None: smtp-source's own.
MESSAGE_FILE = None


def use_test_modules():
    """Makes bench/, test/lib and test/integration importable (the
    posthorn harnesses live there), without __pycache__ in the sources."""
    sys.dont_write_bytecode = True
    for path in (os.path.join(SRCDIR, "test", "integration"), os.path.join(SRCDIR, "test", "lib"),
                 HERE):
        if path not in sys.path:
            sys.path.insert(0, path)


# --- CPU accounting -------------------------------------------------------------

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


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def postfix_version():
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        r = subprocess.run(["/usr/sbin/postconf", "-dh", "mail_version"], capture_output=True,
                           text=True, timeout=10)
        return r.stdout.strip()
    return None


# --- the systems under test -------------------------------------------------------

class System:
    """One system's instance for one run; a context manager. A subclass
    sets name, recipient and port, and gives the instance it wraps
    (enter/leave) and what start() does; a failed start leaves it again."""
    name = recipient = port = None

    def instance(self):
        raise NotImplementedError

    def start(self):
        raise NotImplementedError

    def log_tail(self):
        raise NotImplementedError

    def pids(self):
        """Every live process of the instance (master and workers)."""
        raise NotImplementedError

    def __enter__(self):
        self.instance().__enter__()
        try:
            self.start()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, *exc):
        return self.instance().__exit__(*exc)


class PosthornSystem(System):
    """posthorn from the build tree: self.inst is its Instance (test/lib),
    self.harness what the run enters (the Instance or a harness around it)."""
    name = "posthorn"

    def instance(self):
        return self.harness

    def __exit__(self, *exc):
        with contextlib.suppress(Exception):  # gently first; the harness kills the rest
            self.inst.stop(timeout=10)
        return super().__exit__(*exc)

    def log_tail(self):
        return "\n".join(self.inst.log_lines()[-30:])

    def pids(self):
        """master (its cmdline names the config directory too) and workers"""
        return self.inst.processes()


class PostfixSystem(System):
    """A private Postfix (bench/postfix_instance.py) in self.pf."""
    name = "postfix"

    def instance(self):
        return self.pf

    def start(self):
        self.pf.start()

    def log_tail(self):
        return self.pf.log_tail()

    def pids(self):
        return self.pf.processes()


# --- one run --------------------------------------------------------------------------

def smtp_source_args(system, sessions, messages, reuse, size):
    args = [SMTP_SOURCE, "-s", str(sessions), "-m", str(messages), "-f", SENDER,
            "-t", system.recipient, "-M", "bench-client.localdomain"]
    if reuse:
        args.append("-d")
    if MESSAGE_FILE:
        args += ["-F", MESSAGE_FILE]
    elif size:
        args += ["-l", str(size)]
    return args + [f"127.0.0.1:{system.port}"]


def send(system, counter, sessions, messages, reuse, size, timeout):
    """Sends messages with smtp-source and waits until counter.wait(seconds)
    (which blocks up to that long and returns its count) has grown by as
    many; counter.where() names what it counts, counter.check() raises when
    the counter's own process died. Returns (accepted_seconds,
    counted_seconds, cpu): cpu is what the system's processes used
    meanwhile, in seconds by program. The caller counts again afterwards:
    every message should be there exactly once."""
    first = counter.wait(0)
    target = first + messages
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
        counted = None
        while True:
            count = counter.wait(0.25)
            now = time.monotonic()
            if counted is None and count >= target:
                counted = now
            if "accepted" in done and proc.returncode != 0:
                raise RuntimeError(f"smtp-source exited with {proc.returncode}: "
                                   f"{done['output'].strip()[-500:]}")
            if counted is not None and "accepted" in done:
                break
            if now > deadline:
                raise RuntimeError(f"timed out after {timeout:g} s: smtp-source "
                                   f"{'done' if 'accepted' in done else 'still running'}, "
                                   f"{count - first} of {messages} {counter.where()}")
            counter.check()
        time.sleep(0.2)  # a moment more: every message should be counted exactly once
        cpu = cpu_difference(cpu_by_program(system.pids()), cpu_before)
        return done["accepted"] - start, counted - start, cpu
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()


def timed_result(system, messages, accepted, counted, rate_key, cpu):
    """The figures of one run, as the JSON file holds them."""
    seconds_key = rate_key.replace("_per_second", "_seconds")
    return {"system": system.name, "messages": messages,
            "accepted_seconds": round(accepted, 4), seconds_key: round(counted, 4),
            "accepted_per_second": round(messages / accepted, 1),
            rate_key: round(messages / counted, 1),
            "cpu_seconds": round(sum(cpu.values()), 3),
            "cpu_ms_per_message": round(1000 * sum(cpu.values()) / messages, 3),
            "cpu_seconds_by_program": cpu}


# --- command line and environment ----------------------------------------------------

def add_arguments(p, counted):
    """The options both benchmarks take; `counted` says what the warm-up's
    messages go through ("delivered", "relayed")."""
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
                   help=f"messages sent and {counted} before each timed run (default 20)")
    p.add_argument("--timeout", type=float, default=300,
                   help="seconds one run may take before it counts as failed (default 300)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print each run's CPU seconds by program")
    p.add_argument("--json", metavar="FILE", help="write every run and the summary here")


def check_arguments(p, args, systems):
    """Turns --connections and --systems into lists; refuses nonsense."""
    try:
        args.connections = [int(c) for c in args.connections.split(",")]
    except ValueError:
        p.error(f"--connections wants numbers separated by commas: {args.connections!r}")
    args.systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    for s in args.systems:
        if s not in systems:
            p.error(f"--systems: unknown system {s!r} ({', '.join(systems)})")
    if args.messages < 1 or args.repeat < 1 or args.warmup < 0 or any(
            c < 1 for c in args.connections):
        p.error("--messages, --repeat and --connections must be positive, --warmup >= 0")
    return args


def check_environment(args, script, why_root, programs):
    """Exits with a message unless root, the given Postfix programs and
    (when posthorn runs) a build tree are there."""
    if os.geteuid() != 0:
        sys.exit(f"{script} needs root: {why_root}. Run it with sudo.")
    for program in programs:
        if not os.access(program, os.X_OK):
            sys.exit(f"{program} not found: install Debian's postfix package")
    if "posthorn" in args.systems:
        posthorn = os.path.join(args.builddir, "bin", "posthorn")
        if not os.access(posthorn, os.X_OK):
            sys.exit(f"no posthorn build in {args.builddir} ({posthorn} missing); "
                     "give --builddir")


def prepare(args):
    """Points the posthorn harness at the build tree, makes SIGTERM and
    SIGHUP unwind like Ctrl-C (so every instance is stopped), and returns
    what the report says about the machine."""
    os.environ["POSTHORN_BUILDDIR"] = os.path.abspath(args.builddir)
    os.environ.setdefault("POSTHORN_SRCDIR", SRCDIR)
    use_test_modules()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.default_int_handler)
    return {"cpus": os.cpu_count(), "kernel": platform.release(),
            "postfix_version": postfix_version(),
            "posthorn_builddir": os.environ["POSTHORN_BUILDDIR"],
            "loadavg_start": loadavg(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


# --- the runs -------------------------------------------------------------------------

def run_cells(args, cells, run_one, describe, verify, rate_key):
    """Runs every cell (a dict of its parameters, e.g. connections) for
    every system, --repeat times, the systems alternating. run_one(name,
    cell) returns a run's figures; verify(run) says what is wrong with a
    run that finished, or None. A failed run is recorded and the rest go
    on. Returns (runs, whether any failed)."""
    runs = []
    failed = False
    for _ in range(args.repeat):
        for cell in cells:
            for name in args.systems:
                print(f"  {name}, {describe(cell)} ...", end="", flush=True)
                try:
                    r = run_one(name, cell)
                except KeyboardInterrupt:
                    print(" interrupted")
                    raise
                except Exception as e:  # one failed run must not stop the rest
                    failed = True
                    print(f" FAILED: {e}")
                    runs.append({"system": name, **cell, "messages": args.messages,
                                 "error": str(e)})
                    continue
                r.update(cell)
                problem = verify(r)
                if problem:
                    failed = True
                    r["error"] = problem
                counted = rate_key.split("_")[0]
                print(f" accepted {r['accepted_per_second']}/s, {counted} "
                      f"{r[rate_key]}/s, CPU {r['cpu_ms_per_message']} ms/msg"
                      + (f" ({r['error']})" if "error" in r else ""))
                if args.verbose:
                    print("      CPU s: " + ", ".join(
                        f"{k} {v:g}" for k, v in r["cpu_seconds_by_program"].items() if v))
                runs.append(r)
    return runs, failed


def summarize(runs, systems, cells, figures):
    """Per cell: each system's median of every figure ({key: digits}), its
    number of runs, and the posthorn/Postfix ratio of each figure."""
    rows = []
    for cell in cells:
        row = dict(cell)
        for name in systems:
            mine = [r for r in runs if r["system"] == name and "error" not in r
                    and all(r.get(k) == v for k, v in cell.items())]
            if mine:
                row[name] = {k: round(statistics.median(r[k] for r in mine), digits)
                             for k, digits in figures.items()}
                row[name]["runs"] = len(mine)
        if "posthorn" in row and "postfix" in row:
            row["ratio"] = {k: round(row["posthorn"][k] / row["postfix"][k], 2)
                            for k in figures if row["postfix"][k]}
        rows.append(row)
    return rows


def print_table(rows, systems, label, width, columns):
    """label(row) names a cell in a column `width` wide (label(None) is
    that column's title); columns are (title, figure key, decimals) after
    the system's name."""
    head = f"{label(None):<{width}} {'system':<9} " + " ".join(f"{t:>15}" for t, _, _ in columns)
    print(head)
    print("-" * len(head))
    for row in rows:
        name_cell = label(row)
        for name in systems:
            if name in row:
                cells = [f"{row[name][k]:>15.{d}f}" for _, k, d in columns]
            else:
                cells = [f"{'failed':>15}" for _ in columns]
            print(f"{name_cell:<{width}} {name:<9} " + " ".join(cells))
            name_cell = ""
        if "ratio" in row:
            r = row["ratio"]
            cells = [f"{r[k]:.2f}x" if k in r else "-" for _, k, _ in columns]
            print(f"{'':<{width}} {'ratio':<9} " + " ".join(f"{c:>15}" for c in cells))
        print()


def report(args, info, runs, rows, parameters):
    """The lines under the table, and the JSON file when asked for."""
    info["loadavg_end"] = loadavg()
    print("ratio = posthorn / Postfix (above 1 is faster for msg/s, costlier for CPU ms/msg).")
    print(f"Load average at start {info['loadavg_start']}, "
          f"at end {info['loadavg_end']} ({info['cpus']} CPUs).")
    if args.json:
        params = {k: getattr(args, k) for k in parameters}
        with open(args.json, "w") as f:
            json.dump({"machine": info, "parameters": params, "runs": runs, "summary": rows},
                      f, indent=2)
            f.write("\n")
        print(f"results written to {args.json}")


def run_main(main):
    """Runs main() as a script: its return value is the exit status, Ctrl-C 130."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
