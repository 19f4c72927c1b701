#!/usr/bin/env python3
"""ceiling - what this machine can do at most, so that a benchmark figure
reads as a fraction of the limit.

Two ceilings, measured in the same run as the benchmarks they qualify:

- SMTP over loopback: Postfix's smtp-source into smtp-sink (which accepts
  and discards, writing nothing), over 1 and 10 parallel sessions, one
  connection per session (-d) and one per message. No mail system
  delivers faster than this on the machine.
- Durable file creates per second: write a ~400-byte file, fsync it,
  rename it into another directory and fsync that directory -- the steps
  a queue file takes before the 250 to DATA -- with 1 and 10 writers, in
  the directory benchmarks put their instances in (tempfile's default).

    python3 bench/ceiling.py [--messages N] [--seconds S] [--json FILE]
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "lib"))
from posthorn_test import wait_for  # noqa: E402
from proc_util import free_port  # noqa: E402

SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
SMTP_SOURCE = shutil.which("smtp-source") or "/usr/sbin/smtp-source"


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def smtp_ceiling(messages, sessions, reuse):
    port = free_port()
    user = ["-u", "postfix"] if os.geteuid() == 0 else []  # smtp-sink refuses root
    sink = subprocess.Popen([SMTP_SINK, *user, f"127.0.0.1:{port}", "1000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: port_open(port), 10, what="smtp-sink to listen")
        cmd = [SMTP_SOURCE, "-s", str(sessions), "-m", str(messages),
               "-f", "bench@example.test", "-t", "sink@example.test"]
        if reuse:
            cmd.append("-d")
        cmd.append(f"127.0.0.1:{port}")
        start = time.monotonic()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, timeout=600)
        return messages / (time.monotonic() - start)
    finally:
        sink.kill()
        sink.wait()


def durable_creates(directory, writers, seconds):
    """Creates per second over `writers` threads for about `seconds`."""
    body = b"x" * 400
    counts = [0] * writers
    stop = time.monotonic() + seconds

    def writer(index):
        incoming = os.path.join(directory, f"incoming{index}")
        active = os.path.join(directory, f"active{index}")
        os.mkdir(incoming)
        os.mkdir(active)
        active_fd = os.open(active, os.O_RDONLY | os.O_DIRECTORY)
        n = 0
        while time.monotonic() < stop:
            name = f"f{n}"
            path = os.path.join(incoming, name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, body)
            os.fsync(fd)
            os.close(fd)
            os.rename(path, os.path.join(active, name))
            os.fsync(active_fd)
            n += 1
        os.close(active_fd)
        counts[index] = n

    start = time.monotonic()
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000, help="messages per smtp-sink run")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per durable-create run")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()

    results = {"cpus": os.cpu_count(), "load_start": os.getloadavg()[0]}
    print("SMTP ceiling: smtp-source into smtp-sink on 127.0.0.1")
    for reuse in (True, False):
        for sessions in (1, 10):
            rate = smtp_ceiling(args.messages, sessions, reuse)
            key = f"smtp_{'reuse' if reuse else 'conn_per_msg'}_{sessions}"
            results[key] = rate
            mode = "1 conn/session" if reuse else "1 conn/message"
            print(f"  {mode:15} {sessions:2} sessions: {rate:9.0f} msg/s")

    with tempfile.TemporaryDirectory(prefix="posthorn-ceiling-") as directory:
        print(f"Durable creates (write, fsync, rename, fsync dir) in {tempfile.gettempdir()}")
        for writers in (1, 10):
            run_directory = os.path.join(directory, f"w{writers}")
            os.mkdir(run_directory)
            rate = durable_creates(run_directory, writers, args.seconds)
            results[f"creates_{writers}"] = rate
            print(f"  {writers:2} writers: {rate:9.0f} files/s")
    results["load_end"] = os.getloadavg()[0]
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
