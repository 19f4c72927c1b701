#!/usr/bin/env python3
"""mailbox_bench - 100,000 messages in one folder: posthorn's index against Dovecot's.

Not a test (CTest runs the small case: mailbox_index_test and
mailbox_command_test). It writes a Maildir of N messages into cur/
(Dovecot-style names with S= and W=, random flags), then:

  1. Dovecot (a private instance on loopback, Debian's dovecot-imapd, as in
     test/integration/mailbox_dovecot_test.py) opens the folder first and
     builds its index and dovecot-uidlist: time of the first SELECT.
  2. posthorn builds its index, importing dovecot-uidlist
     (`posthorn mailbox repair`): time.
  3. The listing of every UID and its flags, alternating the systems,
     --runs times each, median wall and CPU time (the clock covers the command and its
     output; parsing it for the comparison comes after):
       posthorn   `posthorn mailbox list -d MAILDIR INBOX` (a process that
                  loads the index and prints every line)
       doveadm    `doveadm fetch -u alice "uid flags" mailbox INBOX all`
       imap       LOGIN, SELECT, UID FETCH 1:* (FLAGS), LOGOUT over IMAP
  4. strace counts the files under cur/ and new/ that `posthorn mailbox
     list` opens (must be 0), and the UIDs and flags of both are compared.

Needs root (Dovecot). Prints a table; --json FILE writes the figures.

    sudo bench/mailbox_bench.py --builddir /path/to/build [-n 100000] [--runs 5]
"""
import argparse
import imaplib
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "integration"))
import mailbox_dovecot_test as peer  # noqa: E402  (the private Dovecot's config)

NOBODY = 65534
FLAGS = ["", "S", "S", "S", "FS", "RS", "T", "Sa"]


def make_maildir(md, n):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub))
    with open(os.path.join(md, "dovecot-keywords"), "w") as f:
        f.write("0 $Label1\n")
    rng = random.Random(1)
    body = "From: a@example.org\nSubject: benchmark\n\n" + "x" * 200 + "\n"
    size = len(body)
    vsize = size + body.count("\n")
    cur = os.path.join(md, "cur")
    for i in range(n):
        name = f"{1600000000 + i}.M{i}P1.bench,S={size},W={vsize}:2,{rng.choice(FLAGS)}"
        fd = os.open(os.path.join(cur, name), os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, body.encode())
        os.close(fd)
    for root, dirs, files in os.walk(os.path.dirname(md)):
        os.chown(root, NOBODY, NOBODY)
        for name in files:
            os.chown(os.path.join(root, name), NOBODY, NOBODY)


CPU = {}


def timed(fn, key=None):
    """Wall seconds (and, under key, the CPU seconds of the child processes)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if key:
        CPU.setdefault(key, []).append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    return wall, out


def imap_list(port):
    """The raw FETCH response (parsed by imap_flags after the clock stops)."""
    imap = peer.connect(port)
    imap.login("alice", "secret")
    imap.select("INBOX", readonly=True)
    typ, data = imap.uid("FETCH", "1:*", "(FLAGS)")
    imap.logout()
    return data


def imap_flags(data):
    out = {}
    for item in data:
        text = item.decode() if isinstance(item, bytes) else item[0].decode()
        m = re.search(r"UID (\d+)", text)
        f = re.search(r"FLAGS \(([^)]*)\)", text)
        if m and f:
            out[int(m.group(1))] = set(f.group(1).split()) - {"\\Recent"}
    return out


def posthorn_list(posthorn, md):
    """The raw output (parsed by posthorn_flags after the clock stops)."""
    return subprocess.run([posthorn, "mailbox", "list", "-d", md, "INBOX"], capture_output=True,
                          check=True).stdout


def posthorn_flags(stdout):
    out = {}
    for line in stdout.decode().splitlines():
        m = re.match(r"(\d+) \d+ \S+ \((.*)\)$", line)
        if m:
            out[int(m.group(1))] = set(m.group(2).split())
    return out


def doveadm_list(conf):
    return subprocess.run(["doveadm", "-c", conf, "fetch", "-u", "alice", "uid flags", "mailbox", "INBOX", "all"],
                          capture_output=True, check=True).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", required=True)
    ap.add_argument("-n", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (Dovecot)")
    posthorn = os.path.join(a.builddir, "bin", "posthorn")
    top = tempfile.mkdtemp(prefix="mbxbench.", dir="/tmp")
    os.chmod(top, 0o755)
    users = os.path.join(top, "users")
    md = os.path.join(users, "alice", "Maildir")
    port = peer.free_port()
    conf = peer.write_config(top, port, NOBODY, NOBODY)
    proc = None
    try:
        t_make, _ = timed(lambda: make_maildir(md, a.n))
        print(f"{a.n} messages written in {t_make:.1f} s")
        proc = subprocess.Popen(["/usr/sbin/dovecot", "-F", "-c", conf],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["sync"])
        t_dc_first, dv = timed(lambda: imap_list(port))
        t_ph_first, _ = timed(lambda: subprocess.run([posthorn, "mailbox", "repair", "-d", md, "INBOX"],
                                                     capture_output=True, check=True))
        runs = {"posthorn list": [], "doveadm fetch": [], "imap fetch": []}
        ph = None
        for _ in range(a.runs):
            t, ph = timed(lambda: posthorn_list(posthorn, md), "posthorn list")
            runs["posthorn list"].append(t)
            t, raw = timed(lambda: doveadm_list(conf), "doveadm fetch")
            count = raw.count(b"uid: ")
            runs["doveadm fetch"].append(t)
            t, dv = timed(lambda: imap_list(port))
            runs["imap fetch"].append(t)
        trace = os.path.join(top, "trace")
        subprocess.run(["strace", "-f", "-e", "trace=open,openat", "-o", trace,
                        posthorn, "mailbox", "list", "-d", md, "INBOX"], capture_output=True, check=True)
        opened = sum(1 for line in open(trace) if "/cur/" in line or "/new/" in line)
        ph, dv = posthorn_flags(ph), imap_flags(dv)
        same = ph == dv
        print(f"\nfolder of {a.n} messages; median of {a.runs} runs")
        print(f"{'':28}{'wall s':>10}{'cpu s':>10}")
        print(f"{'Dovecot first SELECT+FETCH':28}{t_dc_first:10.3f}   (builds dovecot.index, dovecot-uidlist)")
        print(f"{'posthorn first index':28}{t_ph_first:10.3f}   (scan + import of dovecot-uidlist)")
        med = {k: statistics.median(v) for k, v in runs.items()}
        cpu = {k: statistics.median(v) for k, v in CPU.items()}
        for k, v in med.items():
            c = f"{cpu[k]:10.3f}" if k in cpu else f"{'(server)':>10}"
            print(f"{k:28}{v:10.3f}{c}")
        print(f"\nCPU posthorn/doveadm {cpu['posthorn list'] / cpu['doveadm fetch']:.2f}; wall "
              f"posthorn/doveadm {med['posthorn list'] / med['doveadm fetch']:.2f}, "
              f"posthorn/imap {med['posthorn list'] / med['imap fetch']:.2f}")
        print(f"message files opened by posthorn mailbox list: {opened}")
        print(f"UIDs and flags identical to Dovecot's: {same} ({len(ph)} vs {len(dv)} messages; doveadm {count})")
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"n": a.n, "runs": runs, "median": med, "cpu": CPU, "dovecot_first": t_dc_first,
                           "posthorn_first": t_ph_first, "opened": opened, "identical": same}, f, indent=1)
        return 0 if opened == 0 and same else 1
    finally:
        if proc:
            proc.terminate()
            proc.wait(10)
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
