"""imap_memory - memory of a server's whole process tree, for bench/imap_bench.py.

A server is its master process and every descendant (found through the
parent pids in /proc/PID/stat, test/lib/proc_util.py). PSS comes from
/proc/PID/smaps_rollup (shared pages divided among the processes that map
them, so 500 copies of one binary are not counted 500 times); RSS from
/proc/PID/status, for reference. Needs root to read other users' smaps_rollup.
"""
from proc_util import descendants


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
