#!/usr/bin/env python3
"""imap_bench - posthorn's imapd next to Dovecot's IMAP server, in the same run.

Not a test. Writes two identical Maildirs (N realistic messages in INBOX,
default 20,000, and a folder "Bulk" of --body-messages of --body-size
bytes), one served by a private posthorn instance (imapd, authd), one by
a private Dovecot (dovecot-imapd), both on loopback with plain LOGIN, and
measures, alternating the servers (see bench/README.md):

  1. SELECT INBOX + FETCH 1:* (FLAGS ENVELOPE): cold (index files removed
     before the session) and warm (the next session), median of --runs;
  2. UID FETCH 1:* BODY.PEEK[] of the Bulk folder: MB/s of message data;
  3. SEARCH FROM / BODY / UNSEEN over INBOX: seconds each (hit counts checked);
  4. PSS per idle logged-in connection with --connections sessions open;
  5. IDLE latency: `posthorn mailbox deliver` into the Maildir until
     "* N EXISTS" reaches the idling client, median of --idle-rounds.

Prints a table with the posthorn/Dovecot ratio of each figure. Needs root
(both servers run the mail side as the mailbox owner, uid 5000).

    sudo bench/imap_bench.py --builddir /path/to/build
    sudo bench/imap_bench.py --builddir BUILD --only dovecot -n 2000 --runs 1
"""
import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(HERE)
SERVERS = ("posthorn", "dovecot")
MEASURES = ("envelope", "body", "search", "memory", "idle")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", required=True, help="posthorn build tree (bin/posthorn, libexec/imapd)")
    ap.add_argument("-n", "--messages", type=int, default=20000, help="messages in INBOX (default 20000)")
    ap.add_argument("--body-messages", type=int, default=2000, help="messages in Bulk (default 2000)")
    ap.add_argument("--body-size", type=int, default=20000, help="bytes per Bulk message (default 20000)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each timed figure (default 3; median)")
    ap.add_argument("--connections", type=int, default=500, help="idle sessions for memory (default 500)")
    ap.add_argument("--memory-select", action="store_true", help="the idle sessions also SELECT INBOX")
    ap.add_argument("--idle-rounds", type=int, default=20, help="deliveries during IDLE (default 20)")
    ap.add_argument("--only", choices=SERVERS, help="measure one server (no ratios)")
    ap.add_argument("--measure", default=",".join(MEASURES),
                    help="comma-separated subset of " + ",".join(MEASURES))
    ap.add_argument("--posthorn-conf", action="append", default=[], metavar="KEY=VALUE",
                    help="extra posthorn.conf parameter (repeatable)")
    ap.add_argument("--dovecot-client-limit", type=int, default=1,
                    help="connections per Dovecot imap process (default 1: process per connection)")
    ap.add_argument("--json", help="write every figure to this file")
    a = ap.parse_args()
    a.measure = [m for m in a.measure.split(",") if m]
    bad = set(a.measure) - set(MEASURES)
    if bad:
        ap.error(f"--measure: unknown {', '.join(sorted(bad))}")
    for kv in a.posthorn_conf:
        if "=" not in kv:
            ap.error(f"--posthorn-conf {kv!r}: expected KEY=VALUE")
    return a


def expected_hits(n, unseen):
    import imap_messages as m
    return {f'FROM "{m.SENDER}"': sum(1 for i in range(n) if i % 100 == 7),
            f'BODY "{m.NEEDLE}"': sum(1 for i in range(n) if i % 200 == 3),
            "UNSEEN": unseen}


def run_alternating(servers, runs, fn, label, failures):
    """fn(srv) for each server, runs times, the order swapped every run;
    returns {name: [result, ...]}; a failure is recorded and that server skipped."""
    out = {s.name: [] for s in servers}
    for r in range(runs):
        order = servers if r % 2 == 0 else list(reversed(servers))
        for srv in order:
            if (srv.name, label) in failures:
                continue
            try:
                out[srv.name].append(fn(srv))
            except Exception as e:  # noqa: BLE001 - a benchmark reports and goes on
                failures[(srv.name, label)] = f"{type(e).__name__}: {e}\n{srv.log()[-1500:]}"
                print(f"{srv.name}: {label} failed: {e}", file=sys.stderr)
    return out


def median(results, key):
    vals = [r[key] for r in results]
    return statistics.median(vals) if vals else None


def main():
    a = parse_args()
    if os.geteuid() != 0:
        sys.exit("imap_bench: needs root (both servers run the mail side as the mailbox owner)")
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree (bench/ is in EXTRA_DIST)
    os.environ["POSTHORN_BUILDDIR"] = os.path.abspath(a.builddir)
    os.environ["POSTHORN_SRCDIR"] = SRCDIR
    sys.path[:0] = [HERE, os.path.join(SRCDIR, "test", "lib"), os.path.join(SRCDIR, "test", "integration")]
    import imap_dovecot
    import imap_measure
    import imap_messages
    import imap_posthorn
    import mail_user_util
    from inbound import NewFileWatch

    names = [a.only] if a.only else list(SERVERS)
    if "dovecot" in names and not imap_dovecot.available():
        sys.exit("imap_bench: Dovecot's IMAP server is not installed (dovecot-imapd)")
    if "posthorn" in names and not imap_posthorn.available():
        sys.exit(f"imap_bench: no libexec/imapd in {a.builddir} (use --only dovecot until it is built)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    conf = dict(kv.split("=", 1) for kv in a.posthorn_conf)
    uid, gid = mail_user_util.ids()
    failures = {}
    dtop = imap_dovecot.make_top()
    load0 = os.getloadavg()
    try:
        with contextlib.redirect_stdout(sys.stderr):  # mail_user_util's "ok: ..." lines
            ph = imap_posthorn.PosthornImap(process_limit=a.connections + 100, conf=conf)
        with ph:
            dmaildir = os.path.join(dtop, "home", "alice", "Maildir")
            os.makedirs(os.path.dirname(dmaildir))
            os.chown(os.path.dirname(dmaildir), uid, gid)
            maildirs = [md for name, md in (("posthorn", ph.maildir), ("dovecot", dmaildir))
                        if name in names]
            for md in maildirs:
                imap_messages.make_dirs(md, uid, gid)
                imap_messages.make_dirs(os.path.join(md, ".Bulk"), uid, gid, folder=True)
            t0 = time.perf_counter()
            inbox_bytes, unseen = imap_messages.fill(maildirs, a.messages, uid, gid)
            bulk_bytes, _ = imap_messages.fill([os.path.join(md, ".Bulk") for md in maildirs],
                                               a.body_messages, uid, gid, body_size=a.body_size,
                                               seed=2, all_seen=True)
            subprocess.run(["sync"])
            print(f"wrote {a.messages} messages ({inbox_bytes / 1e6:.1f} MB) to INBOX and "
                  f"{a.body_messages} ({bulk_bytes / 1e6:.1f} MB) to Bulk, {len(maildirs)} "
                  f"cop{'ies' if len(maildirs) > 1 else 'y'}, in {time.perf_counter() - t0:.1f} s",
                  file=sys.stderr)
            dc = imap_dovecot.DovecotImap(dtop, dmaildir, uid, gid, process_limit=a.connections + 100,
                                          client_limit=a.dovecot_client_limit)
            with contextlib.ExitStack() as stack:
                servers = []
                if "posthorn" in names:
                    try:
                        ph.start()
                    except AssertionError as e:
                        sys.exit(f"imap_bench: posthorn's imapd did not start: {e}\n{ph.log()}")
                    servers.append(ph)
                if "dovecot" in names:
                    servers.append(stack.enter_context(dc))
                results = measure(a, servers, ph, imap_measure, imap_messages, NewFileWatch,
                                  expected_hits(a.messages, unseen), failures)
    finally:
        if os.environ.get("POSTHORN_KEEP_TMP"):
            print(f"kept {dtop}", file=sys.stderr)
        else:
            shutil.rmtree(dtop, ignore_errors=True)
    results["load_average"] = {"start": load0, "end": os.getloadavg()}
    results["cpus"] = os.cpu_count()
    results["dovecot_version"] = imap_dovecot.version()
    results["dovecot_mode"] = dc.mode
    results["failures"] = {f"{s} {m}": text for (s, m), text in failures.items()}
    report(a, results, names, dc.mode, imap_dovecot.version())
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1, default=str)
    return 1 if failures else 0


def measure(a, servers, ph, im, msgs, watch_class, expected, failures):
    res = {"args": vars(a), "expected_hits": expected}
    runs = max(1, a.runs)
    if "envelope" in a.measure:
        def cycle(srv):
            srv.reset_index()
            cold = im.envelopes(srv, a.messages)
            return {"cold": cold, "warm": im.envelopes(srv, a.messages)}
        res["envelope"] = run_alternating(servers, runs, cycle, "envelope", failures)
    if "body" in a.measure:
        run_alternating(servers, 1, lambda s: im.bodies(s, "Bulk", a.body_messages), "body", failures)
        res["body"] = run_alternating(servers, runs, lambda s: im.bodies(s, "Bulk", a.body_messages),
                                      "body", failures)
    if "search" in a.measure:
        res["search"] = run_alternating(servers, runs, lambda s: im.searches(s, list(expected)),
                                        "search", failures)
        for name, rs in res["search"].items():
            for r in rs:
                for key, want in expected.items():
                    if r[key]["hits"] != want and (name, "search") not in failures:
                        failures[(name, "search")] = f"SEARCH {key}: {r[key]['hits']} hits, expected {want}"
    if "memory" in a.measure:
        res["memory"] = run_alternating(servers, 1, lambda s: im.memory(s, a.connections, a.memory_select),
                                        "memory", failures)
    if "idle" in a.measure:
        rng = random.Random(3)

        def deliver_to(srv):
            def deliver():
                data, _ = msgs.message(a.messages + 1, rng)
                cmd, kw = ph.deliver_command(srv.maildir)
                p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, **kw)
                p.stdin.write(data)
                p.stdin.close()
                return p
            return deliver
        res["idle"] = run_alternating(
            servers, 1, lambda s: im.idle(s, a.idle_rounds, deliver_to(s),
                                          lambda: watch_class(os.path.join(s.maildir, "new"))),
            "idle", failures)
    return res


def figures(a, res, name):
    """The table's rows for one server: {label: value}."""
    out = {}
    env = res.get("envelope", {}).get(name, [])
    if env:
        for phase in ("cold", "warm"):
            rs = [r[phase] for r in env]
            out[f"SELECT+FETCH {phase}, s"] = median(rs, "total_s")
            out[f"  FETCH alone {phase}, s"] = median(rs, "fetch_s")
    body = res.get("body", {}).get(name, [])
    if body:
        out["body FETCH, MB/s"] = median(body, "mb_per_s")
    for r in res.get("search", {}).get(name, [])[:1]:
        for key in r:
            out[f"SEARCH {key.split()[0]}, ms"] = 1000 * statistics.median(x[key]["s"] for x in res["search"][name])
    mem = res.get("memory", {}).get(name, [])
    if mem:
        out["PSS per idle conn, KiB"] = mem[0]["pss_kb_per_conn"]
        out["  RSS per idle conn, KiB"] = mem[0]["rss_kb_per_conn"]
    idle = res.get("idle", {}).get(name, [])
    if idle and idle[0]:
        out["IDLE latency median, ms"] = 1000 * statistics.median(x["latency_s"] for x in idle[0])
        out["  from deliver's start, ms"] = 1000 * statistics.median(x["from_start_s"] for x in idle[0])
    return out


def report(a, res, names, mode, version):
    print(f"\nIMAP: {a.messages} messages in INBOX, Bulk {a.body_messages} x {a.body_size} bytes; "
          f"median of {a.runs} runs; Dovecot {version}, {mode}; "
          f"memory with {a.connections} sessions{' (INBOX selected)' if a.memory_select else ''}; "
          f"load {res['load_average']['start'][0]:.2f} -> {res['load_average']['end'][0]:.2f}")
    cols = {n: figures(a, res, n) for n in names}
    rows = []
    for n in names:
        rows += [k for k in cols[n] if k not in rows]
    head = f"{'':34}" + "".join(f"{n:>12}" for n in names)
    if len(names) == 2:
        head += f"{'ratio':>10}"
    print(head)
    ratios = {}
    for row in rows:
        vals = [cols[n].get(row) for n in names]
        line = f"{row:34}" + "".join(f"{v:12.3f}" if v is not None else f"{'-':>12}" for v in vals)
        if len(names) == 2 and None not in vals and vals[1]:
            ratios[row] = vals[0] / vals[1]
            line += f"{ratios[row]:10.2f}"
        print(line)
    res["table"] = cols
    res["ratios_posthorn_to_dovecot"] = ratios
    if len(names) == 2:
        print("ratio = posthorn/Dovecot: above 1 means posthorn takes longer (s, ms), uses more "
              "memory (KiB) or is faster (MB/s)")
    for name in names:
        for mem in res.get("memory", {}).get(name, []):
            if mem["retries"]:
                print(f"NOTE {name} memory: {len(mem['retries'])} of the sessions failed and were "
                      f"opened again, the first: {mem['retries'][0]}")
    for what, text in sorted(res["failures"].items()):
        print(f"FAILED {what}: {text}")


if __name__ == "__main__":
    sys.exit(main())
