"""imap_measure - the five measurements of bench/imap_bench.py, one server at a time.

A server here is an object with name, port, user, password, maildir,
master_pid, reset_index() (imap_dovecot.DovecotImap,
imap_posthorn.PosthornImap). Each function opens its own sessions and
returns a dict of figures; it raises on a protocol error or a wrong count.
"""
import select
import time

import imap_memory
from imap_client import ImapConnection, ImapError, search_hits


def _session(srv):
    c = ImapConnection(srv.port)
    c.login(srv.user, srv.password)
    return c


def _exists(resp):
    for r in resp.untagged:
        parts = r.split()
        if len(parts) == 3 and parts[2] == b"EXISTS":
            return int(parts[1])
    return None


def envelopes(srv, count):
    """LOGIN, SELECT INBOX, FETCH 1:* (FLAGS ENVELOPE), LOGOUT."""
    c = _session(srv)
    try:
        t_sel, _, resp = c.timed("SELECT INBOX")
        if _exists(resp) != count:
            raise RuntimeError(f"SELECT INBOX: {_exists(resp)} EXISTS, expected {count}")
        t_fetch, cpu, resp = c.timed("FETCH 1:* (FLAGS ENVELOPE)", keep=False)
        got = resp.count(b"FETCH")
        if got != count or not all(b"ENVELOPE (" in r for r in resp.untagged):
            raise RuntimeError(f"FETCH 1:* (FLAGS ENVELOPE): {got} responses, expected {count}")
        return {"select_s": t_sel, "fetch_s": t_fetch, "total_s": t_sel + t_fetch,
                "client_cpu_s": cpu, "octets": resp.octets}
    finally:
        c.logout()


def bodies(srv, folder, count):
    """LOGIN, SELECT folder, UID FETCH 1:* BODY.PEEK[], LOGOUT."""
    c = _session(srv)
    try:
        resp = c.command(f"SELECT {folder}")
        if _exists(resp) != count:
            raise RuntimeError(f"SELECT {folder}: {_exists(resp)} EXISTS, expected {count}")
        t, cpu, resp = c.timed("UID FETCH 1:* BODY.PEEK[]", keep=False)
        got = resp.count(b"FETCH")
        if got != count:
            raise RuntimeError(f"UID FETCH 1:* BODY.PEEK[]: {got} responses, expected {count}")
        return {"fetch_s": t, "client_cpu_s": cpu, "body_octets": resp.literal_octets,
                "octets": resp.octets, "mb_per_s": resp.literal_octets / t / 1e6}
    finally:
        c.logout()


def searches(srv, keys):
    """LOGIN, SELECT INBOX, each SEARCH key timed: {key: (seconds, hits)}."""
    c = _session(srv)
    try:
        c.command("SELECT INBOX")
        out = {}
        for key in keys:
            t, _, resp = c.timed("SEARCH " + key)
            out[key] = {"s": t, "hits": len(search_hits(resp))}
        return out
    finally:
        c.logout()


def memory(srv, connections, select_inbox=False, settle=2.0):
    """PSS of the server's processes with `connections` idle logged-in
    sessions, minus the baseline (after one session came and went)."""
    _session(srv).logout()
    time.sleep(settle)
    base = imap_memory.usage(srv.master_pid)
    conns = []
    retries = []
    t0 = time.perf_counter()
    try:
        while len(conns) < connections:
            try:
                c = _session(srv)
                if select_inbox:
                    c.command("SELECT INBOX")
            except (OSError, ImapError) as e:
                # A client would reconnect; counted and reported, at most 10.
                retries.append(f"session {len(conns) + 1}: {e}")
                if len(retries) > 10:
                    raise
                continue
            conns.append(c)
        opened = time.perf_counter() - t0
        time.sleep(settle)
        loaded = imap_memory.usage(srv.master_pid)
    finally:
        for c in conns:
            try:
                c.send(b"z LOGOUT\r\n")
            except OSError:
                pass
        for c in conns:
            c.close()
    deadline = time.time() + 30
    while imap_memory.usage(srv.master_pid)["processes"] > base["processes"] and time.time() < deadline:
        time.sleep(0.2)
    n = connections
    return {"baseline": base, "loaded": loaded, "connections": n, "open_s": opened, "retries": retries,
            "pss_kb_per_conn": (loaded["pss_kb"] - base["pss_kb"]) / n,
            "rss_kb_per_conn": (loaded["rss_kb"] - base["rss_kb"]) / n,
            "processes_per_conn": (loaded["processes"] - base["processes"]) / n}


def idle(srv, rounds, deliver, watch_factory, timeout=30.0):
    """IDLE on INBOX; `rounds` times: deliver() (returns a Popen) stores a
    message; latency = EXISTS read by the client - file seen in new/
    (inotify, watch_factory() gives inbound.NewFileWatch-like object)."""
    c = _session(srv)
    watch = watch_factory()
    out = []
    try:
        c.command("SELECT INBOX")
        for r in range(rounds):
            c.send(f"i{r} IDLE\r\n")
            line = c.read_line()
            while not line.startswith(b"+"):
                if line.startswith(b"i"):
                    raise RuntimeError(f"IDLE: {line!r}")
                line = c.read_line()
            seen = watch.count
            t_start = time.perf_counter()
            proc = deliver()
            t_file = t_exists = None
            deadline = t_start + timeout
            while t_file is None or t_exists is None:
                while t_exists is None and c.has_line():
                    if c.read_line().endswith(b" EXISTS"):
                        t_exists = time.perf_counter()
                if t_file is None and watch.wait(0) > seen:
                    t_file = time.perf_counter()
                if t_file is not None and t_exists is not None:
                    break
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise RuntimeError(f"IDLE: no EXISTS within {timeout:g} s of a delivery "
                                       f"(file seen: {t_file is not None})")
                fds = [c.sock] + ([watch.fd] if t_file is None and watch.fd >= 0 else [])
                ready, _, _ = select.select(fds, [], [], min(left, 0.01 if watch.fd < 0 else left))
                now = time.perf_counter()
                if c.sock in ready:
                    c.recv_more()
                    while t_exists is None and c.has_line():
                        if c.read_line().endswith(b" EXISTS"):
                            t_exists = now
            if proc.wait(30) != 0:
                raise RuntimeError(f"delivery failed: {proc.stderr.read().decode(errors='replace')}")
            c.send(b"DONE\r\n")
            while not c.read_line().startswith(f"i{r} ".encode()):
                pass
            out.append({"latency_s": t_exists - t_file, "from_start_s": t_exists - t_start})
        return out
    finally:
        watch.close()
        c.logout()
