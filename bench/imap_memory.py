"""imap_memory - memory of a server's whole process tree, for bench/imap_bench.py.

A server is its master process and every descendant (found through the
parent pids in /proc/PID/stat). PSS comes from /proc/PID/smaps_rollup
(shared pages divided among the processes that map them, so 500 copies of
one binary are not counted 500 times); RSS from /proc/PID/status, for
reference. Needs root to read other users' smaps_rollup.
"""
import os


def descendants(root):
    """root and every live process below it."""
    parent = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parent[int(entry)] = int(fields[1])
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in parent:
            found.append(pid)
            todo += [p for p, pp in parent.items() if pp == pid]
    return found


def _kb(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def usage(root):
    """{"processes", "pss_kb", "rss_kb"} of root's process tree."""
    pids = descendants(root)
    return {"processes": len(pids),
            "pss_kb": sum(_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids),
            "rss_kb": sum(_kb(f"/proc/{p}/status", "VmRSS:") for p in pids)}
