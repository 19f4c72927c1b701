"""proc_util - processes and ports of this host, for tests and benchmarks.

What /proc says about processes (alive, parent, status, command line), a
free TCP port, and stopping a helper started in its own session. Needs no
build tree, so the benchmarks import it before they know theirs. Python 3
standard library only.
"""
import contextlib
import os
import signal
import socket
import subprocess


def free_port(host="127.0.0.1"):
    """A TCP port that is free right now on host (bind to port 0, read it back)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def parent_pids():
    """{pid: parent pid} of every live process (zombies excluded)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(entry)] = int(fields[1])
    return parents


def children_of(ppid):
    """Pids whose parent is ppid (zombies excluded)."""
    return sorted(pid for pid, parent in parent_pids().items() if parent == ppid)


def descendants(root):
    """root and every live process below it."""
    parents = parent_pids()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in parents:
            found.append(pid)
            todo += [p for p, pp in parents.items() if pp == pid]
    return found


def proc_status(pid):
    """/proc/PID/status as a dict of strings."""
    result = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            result[key] = value.strip()
    return result


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def named(pids, program):
    """Those of pids whose program (argv[0], without its directory) is `program`."""
    return [pid for pid in pids if cmdline(pid) and os.path.basename(cmdline(pid)[0]) == program]


def stop_group(proc, timeout=5):
    """SIGTERM to the process group of proc (started with
    start_new_session=True), SIGKILL when it has not exited after timeout
    seconds; reaps proc."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)
