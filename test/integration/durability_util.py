"""durability_util - a load client and a process killer for the durability
tests (not a test).

LoadClient sends numbered messages (an X-Seq: header) over a few concurrent
SMTP connections with smtplib, records which ones got 250 for the final
dot, and after a dropped connection reconnects and carries on with the next
number (a number is never sent twice, so a copy delivered twice is the
server's doing). Killer kill -9s the instance's worker processes of given
programs when the client's progress reaches points drawn from a seeded
random generator, and counts the kills per program. maildir_seqs() reads
the X-Seq values back from a Maildir.
"""
import collections
import contextlib
import glob
import heapq
import os
import random
import re
import signal
import smtplib
import socket
import threading
import time

from posthorn_test import children_of, cmdline


def message(seq, sender, rcpt, rng):
    """The text of message number seq: headers and a body of varying size."""
    lines = [f"line {i} of message {seq} " + "x" * rng.randrange(0, 60)
             for i in range(rng.randrange(1, 40))]
    return (f"From: <{sender}>\r\nTo: <{rcpt}>\r\nSubject: durability {seq}\r\n"
            f"X-Seq: {seq}\r\n\r\n" + "\r\n".join(lines) + "\r\n").encode()


class LoadClient:
    """Sends messages first..last over `connections` threads to host:port."""

    def __init__(self, port, sender, rcpt, first, last, connections, seed,
                 host="127.0.0.1", timeout=30, duration=0.0):
        """duration: spread the messages' starts evenly over at least this
        many seconds (a load that lasts long enough for its kills)."""
        self.port, self.host, self.timeout = port, host, timeout
        self._first = first
        self._interval = duration / max(1, last - first + 1)
        self._t0 = None
        self.sender, self.rcpt = sender, rcpt
        self.connections = connections
        self._next = first
        self._last = last
        self._lock = threading.Lock()
        self._seed = seed
        self.accepted = set()      # seqs that got 250 for the final dot
        self.refused = {}          # seq -> the reply or error that was not a 250
        self.connects = 0          # successful connections (greeting 220)
        self.drops = 0             # connections lost mid-session
        self.timeouts = 0          # replies that did not come within timeout
        self.done = 0              # messages finished one way or the other
        self.errors = []           # unexpected exceptions in threads

    def _take(self):
        with self._lock:
            if self._next > self._last:
                return None
            seq = self._next
            self._next += 1
            due = self._t0 + (seq - self._first) * self._interval
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return seq

    def _finish(self, seq, ok, why=None):
        with self._lock:
            self.done += 1
            if ok:
                self.accepted.add(seq)
            else:
                self.refused[seq] = why

    def _connect(self, deadline):
        """A connected smtplib.SMTP after EHLO; retries until deadline."""
        while True:
            s = smtplib.SMTP(timeout=self.timeout)
            try:
                s.connect(self.host, self.port)
                s.ehlo("client.example")
                with self._lock:
                    self.connects += 1
                return s
            except (OSError, smtplib.SMTPException) as e:
                with contextlib.suppress(Exception):
                    s.close()
                if time.monotonic() > deadline:
                    raise AssertionError(f"cannot connect to smtpd for 60 s: {e!r}")
                time.sleep(0.05)

    def _run(self, index):
        rng = random.Random(f"{self._seed}-{index}")
        s = None
        try:
            while True:
                seq = self._take()
                if seq is None:
                    break
                if s is None:
                    s = self._connect(time.monotonic() + 60)
                try:
                    ok, why = self._send(s, seq, rng)
                except (OSError, smtplib.SMTPServerDisconnected) as e:
                    with self._lock:
                        if isinstance(e, socket.timeout):
                            self.timeouts += 1
                        else:
                            self.drops += 1
                    ok, why = False, repr(e)
                    with contextlib.suppress(Exception):
                        s.close()
                    s = None
                self._finish(seq, ok, why)
        except Exception as e:  # reported by run()
            self.errors.append(f"connection {index}: {e!r}")
        finally:
            if s is not None:
                with contextlib.suppress(Exception):
                    s.quit()

    def _send(self, s, seq, rng):
        """One transaction; (True, None) on 250 for the final dot. SMTP
        errors end the transaction with RSET; a lost connection raises."""
        try:
            code, reply = s.mail(self.sender)
            if code == 250:
                code, reply = s.rcpt(self.rcpt)
                if code == 250:
                    code, reply = s.data(message(seq, self.sender, self.rcpt, rng))
                    if code == 250:
                        return True, None
        except smtplib.SMTPResponseException as e:  # DATA not answered with 354
            code, reply = e.smtp_code, e.smtp_error
        if code == 421:
            raise smtplib.SMTPServerDisconnected(f"421 {reply!r}")
        s.rset()
        return False, f"{code} {reply!r}"

    def run(self):
        """Sends everything; returns when all threads are done."""
        self._t0 = time.monotonic()
        threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                   for i in range(self.connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if self.errors:
            raise AssertionError("load client: " + "; ".join(self.errors))


class Killer(threading.Thread):
    """kill -9 of workers of the given programs at progress points.

    The plan: for each program, `per_program` points drawn from [low, high)
    of progress() values. At each point, after a random delay of up to
    `jitter` seconds, one live worker of that program (a child of master
    whose argv[0] is the program) chosen at random gets SIGKILL. When none
    is alive (master throttles a service for a while after an abnormal
    exit), the kill moves `step` points later, as long as that is before
    `high`; otherwise it counts as missed."""

    def __init__(self, master_pid, programs, per_program, low, high, progress, seed,
                 jitter=0.03, step=25):
        super().__init__(daemon=True)
        self.master_pid = master_pid
        self.progress = progress
        self.rng = random.Random(seed)
        self.jitter, self.step, self.high = jitter, step, high
        self.plan = [(self.rng.randrange(low, high), p)
                     for p in programs for _ in range(per_program)]
        heapq.heapify(self.plan)
        self.kills = collections.Counter({p: 0 for p in programs})
        self.missed = collections.Counter()
        self.log = []               # (progress, program, pid)
        self._halt = threading.Event()
        self.error = None

    def workers(self, program):
        return [pid for pid in children_of(self.master_pid)
                if (cmdline(pid) or [""])[0] == program]

    def stop(self):
        self._halt.set()
        self.join()

    def _postpone(self, point, program):
        later = max(point, self.progress()) + self.step
        if later < self.high:
            heapq.heappush(self.plan, (later, program))
        else:
            self.missed[program] += 1

    def run(self):
        try:
            while self.plan:
                point, program = heapq.heappop(self.plan)
                while self.progress() < point:
                    if self._halt.wait(0.002):
                        return
                time.sleep(self.rng.uniform(0, self.jitter))
                if self._halt.is_set():
                    return
                pids = self.workers(program)
                if not pids:
                    self._postpone(point, program)
                    continue
                pid = self.rng.choice(pids)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    self._postpone(point, program)
                    continue
                self.kills[program] += 1
                self.log.append((self.progress(), program, pid))
        except Exception as e:  # reported by the test
            self.error = repr(e)


SEQ = re.compile(rb"^X-Seq: (\d+)\r?$", re.M)


def maildir_seqs(maildir):
    """{seq: number of copies} over new/ and cur/ of a Maildir, and the
    files without an X-Seq header."""
    counts = collections.Counter()
    unnumbered = []
    for path in glob.glob(os.path.join(maildir, "new", "*")) + \
            glob.glob(os.path.join(maildir, "cur", "*")):
        with open(path, "rb") as f:
            head = f.read(8192).split(b"\n\n", 1)[0]
        m = SEQ.search(head)
        if m:
            counts[int(m.group(1))] += 1
        else:
            unnumbered.append(os.path.basename(path))
    return counts, unnumbered
