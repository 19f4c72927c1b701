"""postfix_instance - a private, throwaway Postfix for the benchmark.

Debian's postfix package is installed but never configured or started as
the system service; this module runs a second, private Postfix next to it:
its own config_directory, queue_directory and data_directory under a
temporary directory, started with `postfix -c DIR start` and stopped with
`postfix -c DIR stop`. It listens on 127.0.0.1:PORT only and delivers
mail for one virtual mailbox domain through virtual(8) into a Maildir
under the temporary directory (virtual_mailbox_base), as uid/gid 5000.
Nothing is chrooted (the queue directory holds no copy of /etc).

    with PostfixInstance() as pf:
        pf.start()                       # waits for the 220 greeting
        ... smtp-source -t pf.recipient 127.0.0.1:pf.port ...
        pf.maildir_new                   # the Maildir's new/ directory
        pf.stop()

Postfix needs root to start (master binds, and its workers setuid to
mail_owner and to the mailbox owner), so this module does too. Python 3
standard library only (and test/lib/proc_util.py).
"""
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from proc_util import free_port  # test/lib: the benchmarks put it on sys.path

POSTFIX = "/usr/sbin/postfix"
DAEMON_DIRECTORY = "/usr/lib/postfix/sbin"

# Debian's stock master.cf services, every one unchrooted, without the
# pipe(8) examples; PORT is smtpd's listener on inet_interfaces.
MASTER_CF = """\
{port}    inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def greeting(port, host="127.0.0.1", timeout=2.0):
    """The first line the server at host:port sends, or None."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(512)
                if not chunk:
                    break
                data += chunk
            return data.decode(errors="replace").strip() or None
    except OSError:
        return None


def environ_has(pid, entry):
    """True when /proc/PID/environ holds the NAME=VALUE string entry."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return entry.encode() in f.read().split(b"\0")
    except OSError:
        return False


class PostfixInstance:
    """A private Postfix; use it as a context manager (kills what is left)."""

    def __init__(self, domain="bench.example", user="bench", uid=5000, gid=5000,
                 port=None, base=None, settings=None):
        if os.geteuid() != 0:
            raise PermissionError("a private Postfix instance needs root to start")
        if not os.access(POSTFIX, os.X_OK):
            raise FileNotFoundError(f"{POSTFIX} not found (Debian package postfix)")
        self.dir = tempfile.mkdtemp(prefix="pf-bench-", dir=base)
        os.chmod(self.dir, 0o755)  # mail_owner and uid 5000 traverse it
        self.config_dir = os.path.join(self.dir, "etc")
        self.queue_dir = os.path.join(self.dir, "spool")
        self.data_dir = os.path.join(self.dir, "data")
        self.vmail = os.path.join(self.dir, "vmail")
        self.maillog = os.path.join(self.dir, "maillog")
        self.port = port or free_port()
        self.recipient = f"{user}@{domain}"
        self.maildir = os.path.join(self.vmail, user)
        self.maildir_new = os.path.join(self.maildir, "new")
        self.started = False
        for d in (self.config_dir, self.queue_dir):
            os.makedirs(d, mode=0o755)
        os.makedirs(self.data_dir, mode=0o700)
        shutil.chown(self.data_dir, "postfix", "postfix")
        # The Maildir exists before the first message (as for posthorn), so
        # a watcher can sit on new/ from the start.
        os.makedirs(self.vmail, mode=0o755)
        os.makedirs(self.maildir, mode=0o700)
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(self.maildir, sub), mode=0o700)
            os.chown(os.path.join(self.maildir, sub), uid, gid)
        os.chown(self.maildir, uid, gid)
        main = {
            "compatibility_level": "3.6",
            "config_directory": self.config_dir,
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "daemon_directory": DAEMON_DIRECTORY,
            "maillog_file": self.maillog,
            "maillog_file_prefixes": self.dir,
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "myhostname": "postfix-bench.localdomain",
            "mydomain": "localdomain",
            "myorigin": "$myhostname",
            "mydestination": "localhost",
            "mynetworks": "127.0.0.0/8",
            "relayhost": "",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "biff": "no",
            "append_dot_mydomain": "no",
            "smtpd_peername_lookup": "no",
            "smtpd_banner": "$myhostname ESMTP",
            "virtual_mailbox_domains": domain,
            "virtual_mailbox_base": self.vmail,
            # A trailing slash makes the mailbox a Maildir.
            "virtual_mailbox_maps": f"inline:{{ {self.recipient}={user}/ }}",
            "virtual_uid_maps": f"static:{uid}",
            "virtual_gid_maps": f"static:{gid}",
        }
        main.update(settings or {})
        self._write("main.cf", "".join(f"{k} = {v}\n" for k, v in main.items()))
        self._write("master.cf", MASTER_CF.format(port=self.port))

    def _write(self, name, text):
        with open(os.path.join(self.config_dir, name), "w") as f:
            f.write(text)

    def postfix(self, *args, timeout=60):
        """Runs `postfix -c CONFIG_DIR ARGS`; returns the CompletedProcess."""
        return subprocess.run([POSTFIX, "-c", self.config_dir, *args], capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def start(self, timeout=30):
        """`postfix -c DIR start`, then waits for smtpd's 220 greeting."""
        r = self.postfix("start", timeout=timeout)
        self.started = True
        if r.returncode != 0:
            raise RuntimeError(f"postfix -c {self.config_dir} start failed ({r.returncode}):\n"
                               f"{r.stdout}{r.stderr}{self.log_tail()}")
        deadline = time.monotonic() + timeout
        while True:
            line = greeting(self.port)
            if line and line.startswith("220"):
                return line
            if time.monotonic() > deadline:
                raise RuntimeError(f"Postfix smtpd on 127.0.0.1:{self.port} did not greet "
                                   f"(last: {line!r}){self.log_tail()}")
            time.sleep(0.1)

    def master_pid(self):
        try:
            with open(os.path.join(self.queue_dir, "pid", "master.pid")) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def processes(self):
        """Every live process of this instance: master and its workers all
        carry MAIL_CONFIG=CONFIG_DIR in their environment."""
        entry = f"MAIL_CONFIG={self.config_dir}"
        return sorted(int(p) for p in os.listdir("/proc")
                      if p.isdigit() and int(p) != os.getpid() and environ_has(int(p), entry))

    def stop(self, timeout=20):
        """`postfix -c DIR stop`; waits for master and every worker to exit,
        SIGKILLs whatever is still there after timeout seconds."""
        if not self.started:
            return
        self.started = False
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.postfix("stop", timeout=timeout)
        deadline = time.monotonic() + timeout
        while self.processes() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.kill_all()

    def kill_all(self):
        for _ in range(3):
            pids = self.processes()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)

    def log_tail(self, lines=30):
        try:
            with open(self.maillog, errors="replace") as f:
                tail = f.read().splitlines()[-lines:]
        except OSError:
            return ""
        return f"\n--- {self.maillog} (last {len(tail)} lines):\n" + "\n".join(tail)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.stop()
        finally:
            self.kill_all()
            if exc_type is not None:
                print(self.log_tail(), file=sys.stderr)
            if os.environ.get("POSTHORN_KEEP_TMP"):
                print(f"kept {self.dir}", file=sys.stderr)
            else:
                shutil.rmtree(self.dir, ignore_errors=True)
        return False
