"""posthorn_test - a throwaway posthorn instance for integration tests.

Every integration test runs real daemons from the build tree. This module
gives it a private instance: a temporary directory with its own config
directory, queue directory, maillog file and daemon directory, a master
started in the foreground, and a cleanup that kills every process of the
instance whatever happens.

    from posthorn_test import Instance, skip_unless_root, ECHO_WORKER

    with Instance("master_example", daemons={"echo": ECHO_WORKER}) as inst:
        port = inst.free_port()
        inst.write_master_conf(f"{port} inet - - n - - echo")
        inst.start()                        # waits for "daemon started"
        with inst.connect(port) as s:
            print(inst.read_line(s))        # "hello 12345 pid=... uid=..."
        inst.stop()                         # SIGTERM, waits for master's exit

Layout of an instance (Instance.dir):
    etc/posthorn.conf, etc/master.conf   config_directory (-c DIR)
    spool/                               queue_directory (master creates it)
    log/maillog                          maillog_file
    libexec/                             daemon_directory: a symlink to each
                                         program in BUILDDIR/libexec, plus
                                         the `daemons` given (name -> path)
    master.stderr                        master's stderr (start-fg)

Environment (set by CTest, see test/CTestTestfile.cmake.in):
    POSTHORN_BUILDDIR, POSTHORN_SRCDIR   where the build and the sources are
    POSTHORN_KEEP_TMP=1                  keep the temporary directory

Python 3 standard library only.
"""
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

# Re-exported: the tests take these from here.
from proc_util import (children_of, cmdline, free_port, named, pid_alive,  # noqa: F401
                       proc_status, stop_group)

BUILDDIR = os.environ.get("POSTHORN_BUILDDIR") or os.getcwd()
SRCDIR = os.environ.get("POSTHORN_SRCDIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POSTHORN = os.path.join(BUILDDIR, "bin", "posthorn")
LIBEXEC = os.path.join(BUILDDIR, "libexec")
# The runtime's test fixture: greets "hello SERVICE pid=PID uid=UID", echoes lines.
ECHO_WORKER = os.path.join(BUILDDIR, "test", "helpers", "echo_worker")

SKIP = 77  # CTest's SKIP_RETURN_CODE


def skip_unless_root(reason):
    """Exit 77 (skipped) with a message when not running as root."""
    if os.geteuid() != 0:
        print(f"SKIP: {reason}: needs root (running as uid {os.geteuid()})")
        sys.exit(SKIP)


def is_root():
    return os.geteuid() == 0


def mail_owner():
    """The mail_owner tests use: `posthorn` as root (created when missing),
    else the current user."""
    if not is_root():
        return pwd.getpwuid(os.geteuid()).pw_name
    try:
        pwd.getpwnam("posthorn")
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home",
                        "--shell", "/usr/sbin/nologin", "posthorn"],
                       check=False, capture_output=True)
        pwd.getpwnam("posthorn")  # raises when useradd failed
    return "posthorn"


def wait_for(predicate, timeout=10.0, interval=0.05, what="condition"):
    """Calls predicate() until it returns something true; returns that value.
    Raises AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def passed(message):
    """Reports a check that the line before made (a wait_for or
    wait_for_log that raises when it fails)."""
    print(f"ok: {message}")


def expect(condition, message):
    """assert that survives python -O, with a message; prints 'ok: message'."""
    if not condition:
        raise AssertionError(message)
    print(f"ok: {message}")


class Checker:
    """check(condition, what) for tests that make thousands of checks:
    silent while they pass (expect prints a line each), counted in .count."""

    def __init__(self):
        self.count = 0

    def __call__(self, condition, what):
        self.count += 1
        if not condition:
            raise AssertionError(what)


def virtual_ids():
    """The uid and gid of the tests' virtual mail users: 5000 as root (who
    can change to them), the current user's otherwise."""
    return (5000, 5000) if is_root() else (os.getuid(), os.getgid())


@contextlib.contextmanager
def scratch_dir(name, mode=0o755):
    """A temporary directory ph-NAME-* with `mode` (mail_owner or a
    delivery's user may need to reach in), removed at the end."""
    path = tempfile.mkdtemp(prefix=f"ph-{name}-")
    os.chmod(path, mode)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class Instance:
    """A private posthorn instance; use it as a context manager."""

    def __init__(self, name, conf=None, master_conf="", daemons=None, base=None):
        """name: used in the directory name. conf: extra posthorn.conf
        parameters (dict). master_conf: master.conf text. daemons: extra
        programs for daemon_directory, {command name: path}. base: where the
        temporary directory goes (default: the system's temp dir)."""
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"ph-{name}-", dir=base)
        os.chmod(self.dir, 0o755)  # mail_owner may need to traverse it
        self.config_dir = os.path.join(self.dir, "etc")
        self.queue_dir = os.path.join(self.dir, "spool")
        self.log_dir = os.path.join(self.dir, "log")
        self.maillog = os.path.join(self.log_dir, "maillog")
        self.daemon_dir = os.path.join(self.dir, "libexec")
        self.stderr_path = os.path.join(self.dir, "master.stderr")
        self.mail_owner = mail_owner()
        self.proc = None
        for d in (self.config_dir, self.log_dir, self.daemon_dir):
            os.makedirs(d, mode=0o755)
        self.add_daemons(daemons or {})
        self.conf = {
            "config_directory": self.config_dir,
            "queue_directory": self.queue_dir,
            "daemon_directory": self.daemon_dir,
            "command_directory": os.path.join(BUILDDIR, "bin"),
            "mail_owner": self.mail_owner,
            "inet_interfaces": "127.0.0.1",
            "myhostname": "localhost.localdomain",
            "maillog_file": self.maillog,
            "max_idle": "30s",
            # The sender checks ask the DNS about every client outside
            # mynetworks; a test that is not about them must not depend on
            # the machine's resolver. The ones that are set it to yes and
            # point dns_servers at their own NSD.
            "smtpd_mailauth_checks": "no",
        }
        self.conf.update(conf or {})
        self.write_conf()
        self.write_master_conf(master_conf)

    # --- files ---------------------------------------------------------------

    def add_daemons(self, daemons):
        """Links BUILDDIR/libexec/* and the given {name: path} into daemon_directory."""
        programs = {}
        if os.path.isdir(LIBEXEC):
            for entry in os.listdir(LIBEXEC):
                programs[entry] = os.path.join(LIBEXEC, entry)
        programs.update(daemons)
        for command, path in programs.items():
            link = os.path.join(self.daemon_dir, command)
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink(path, link)

    def write_conf(self, **changes):
        """(Re)writes posthorn.conf from self.conf updated with changes."""
        self.conf.update(changes)
        text = "".join(f"{k} = {v}\n" for k, v in self.conf.items())
        self._write(os.path.join(self.config_dir, "posthorn.conf"), text)

    def write_master_conf(self, text):
        """Writes master.conf; lines are 'service type private unpriv chroot
        wakeup maxproc command args' (see master.conf(5))."""
        header = "# service type private unpriv chroot wakeup maxproc command + args\n"
        self._write(os.path.join(self.config_dir, "master.conf"),
                    header + "\n".join(l.strip() for l in text.strip().splitlines()) + "\n")

    @staticmethod
    def _write(path, text):
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, path)

    # --- commands ------------------------------------------------------------

    def posthorn(self, *args, timeout=30, check=False, input=None):
        """Runs BUILDDIR/bin/posthorn -c CONFIG_DIR ARGS (with text `input`
        on stdin); returns the CompletedProcess (text stdout/stderr)."""
        return subprocess.run([POSTHORN, "-c", self.config_dir, *args], capture_output=True,
                              text=True, timeout=timeout, check=check, input=input)

    def posthorn_ok(self, *args, input=None):
        """posthorn(ARGS), which must succeed (reported as an "ok:" line)."""
        r = self.posthorn(*args, input=input)
        expect(r.returncode == 0, f"posthorn {' '.join(args)}: {r.stdout}{r.stderr}")
        return r

    def selfsigned(self):
        """Runs `posthorn tls selfsigned`; returns (certificate path, key path)."""
        self.posthorn_ok("tls", "selfsigned")
        tls = os.path.join(self.config_dir, "tls")
        return os.path.join(tls, "posthorn.crt"), os.path.join(tls, "posthorn.key")

    def start(self, timeout=10, wait=True):
        """Runs `posthorn -c DIR start-fg` in a new session and waits until
        master has logged "daemon started" (its listeners are bound). Raises
        AssertionError with master's stderr when it exits instead."""
        offset = self.log_size()
        self._stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen([POSTHORN, "-c", self.config_dir, "start-fg"],
                                     stdin=subprocess.DEVNULL, stdout=self._stderr,
                                     stderr=self._stderr, start_new_session=True)
        if wait:
            def ready():
                if self.proc.poll() is not None:
                    raise AssertionError(f"master exited with {self.proc.returncode}:\n"
                                         + self.stderr_text())
                return self.find_log(r"daemon started", offset)
            wait_for(ready, timeout, what="master to start")
        return self.proc

    def start_and_greet(self, port, timeout=10):
        """start(), then waits until the service on port sends its greeting."""
        self.start()
        wait_for(lambda: self.first_line(port), timeout, what=f"the greeting on port {port}")

    @property
    def master_pid(self):
        """The pid of the master started by start() (start-fg execs master)."""
        return self.proc.pid if self.proc else None

    def stop(self, timeout=10):
        """SIGTERM to master; waits for it to exit; returns its exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def signal_master(self, sig):
        os.kill(self.master_pid, sig)

    def reload(self, timeout=10):
        """SIGHUP to master; waits for its "reload" log line."""
        offset = self.log_size()
        self.signal_master(signal.SIGHUP)
        return self.wait_for_log(r"reload -- version", timeout, offset)

    def workers(self):
        """The master's live child processes."""
        return children_of(self.master_pid) if self.master_pid else []

    def workers_named(self, program):
        """The master's live children that run `program`."""
        return named(self.workers(), program)

    def processes(self):
        """Every live process of this instance: those whose command line
        names its config directory (master and every worker get -c DIR)."""
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != os.getpid():
                args = cmdline(int(entry))
                if self.config_dir in args and pid_alive(int(entry)):
                    found.append(int(entry))
        return sorted(found)

    # --- queue ---------------------------------------------------------------

    def queue_files(self, queues=("incoming", "active", "deferred")):
        """"queue/name" of every file in those queue directories."""
        names = []
        for d in queues:
            with contextlib.suppress(FileNotFoundError):
                names += [f"{d}/{n}" for n in os.listdir(os.path.join(self.queue_dir, d))]
        return names

    def wait_queue_empty(self, timeout=20, what="the queue to empty"):
        wait_for(lambda: not self.queue_files(), timeout, what=what)

    # --- network -------------------------------------------------------------

    free_port = staticmethod(free_port)

    @staticmethod
    def free_ports(count, host="127.0.0.1"):
        """count different free ports (for services that listen side by side)."""
        ports = []
        while len(ports) < count:
            port = free_port(host)
            if port not in ports:
                ports.append(port)
        return ports

    @staticmethod
    def connect(port, host="127.0.0.1", timeout=10.0):
        """A connected TCP socket (or a unix socket when port is a path)."""
        if isinstance(port, str):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            s.connect(port)
            return s
        s = socket.create_connection((host, port), timeout=timeout)
        return s

    @staticmethod
    def read_line(sock, timeout=10.0):
        """One line from sock, without its line end ('' at EOF)."""
        sock.settimeout(timeout)
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(1)
            if not chunk:
                break
            data += chunk
        return data.decode(errors="replace").rstrip("\r\n")

    @classmethod
    def first_line(cls, port, host="127.0.0.1", timeout=5.0):
        """Connects, returns the first line the server sends, closes; None
        when the connection is refused or nothing comes (for wait_for)."""
        try:
            with cls.connect(port, host, timeout) as s:
                return cls.read_line(s, timeout) or None
        except OSError:
            return None

    @staticmethod
    def refused(port, host="127.0.0.1"):
        """True when a TCP connection to host:port is refused."""
        try:
            with socket.create_connection((host, port), timeout=2):
                return False
        except ConnectionRefusedError:
            return True

    # --- log -----------------------------------------------------------------

    def log_size(self):
        try:
            return os.path.getsize(self.maillog)
        except FileNotFoundError:
            return 0

    def log_text(self, offset=0):
        try:
            with open(self.maillog, "rb") as f:
                f.seek(offset)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def log_lines(self, offset=0):
        """The maillog lines (from byte offset on)."""
        return self.log_text(offset).splitlines()

    def find_log(self, pattern, offset=0):
        """The first re.search match of pattern in the log lines, or None."""
        for line in self.log_lines(offset):
            m = re.search(pattern, line)
            if m:
                return m
        return None

    def wait_for_log(self, pattern, timeout=10.0, offset=0):
        return wait_for(lambda: self.find_log(pattern, offset), timeout,
                        what=f"log line /{pattern}/")

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    # --- cleanup -------------------------------------------------------------

    def kill_all(self):
        """SIGKILL to every process of the instance; reaps the master."""
        for _ in range(3):
            pids = self.processes()
            if self.proc is not None and self.proc.poll() is None:
                pids.append(self.proc.pid)
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            if self.proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(2)
            time.sleep(0.05)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.kill_all()
        if getattr(self, "_stderr", None):
            self._stderr.close()
        if exc_type is not None:
            tail = self.log_lines()[-40:]
            print(f"--- {self.name}: last maillog lines ({self.maillog}):", file=sys.stderr)
            print("\n".join(tail), file=sys.stderr)
            err = self.stderr_text()
            if err:
                print(f"--- {self.name}: master stderr:\n{err}", file=sys.stderr)
        if os.environ.get("POSTHORN_KEEP_TMP"):
            print(f"kept {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return False


class Harness:
    """Base of the harnesses that wrap an Instance (self.inst) whose
    service under test listens on self.port: a context manager with the
    instance's, and start() returns once that port greets."""

    def __enter__(self):
        self.inst.__enter__()
        return self

    def __exit__(self, *exc):
        return self.inst.__exit__(*exc)

    def start(self):
        self.inst.start_and_greet(self.port)

    def queue_files(self):
        return self.inst.queue_files()

    def wait_queue_empty(self, timeout=20):
        self.inst.wait_queue_empty(timeout)
