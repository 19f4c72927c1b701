#!/usr/bin/env python3
"""pop3_bench - RETR throughput: posthorn's popd next to Dovecot's pop3 on one Maildir.

Not a test. Writes N messages (Dovecot-style names, LF line ends) into a
Maildir, lets Dovecot (Debian's dovecot-pop3d, a private instance on
loopback) serve it first (it writes dovecot-uidlist; popd imports it),
then, --runs times, alternating the servers: one session logs in with
USER/PASS (plain text, loopback), sends RETR 1 .. RETR N at once
(PIPELINING) and reads until the N-th terminating ".": the clock covers
the RETRs only. Reports messages/s and MB/s (of the octets the server
sent) per server, medians, and the ratio popd/Dovecot. The UIDL lists of
both are compared too. Needs root (Dovecot runs the mail process as the
mailbox owner).

    sudo bench/pop3_bench.py --builddir /path/to/build [-n 2000] [--size 20000] [--runs 5]
"""
import argparse
import json
import os
import socket
import statistics
import sys
import time

SRCDIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def retr_all(port, user, password, count):
    """Returns (seconds, octets) for RETR 1..count pipelined in one session."""
    s = socket.create_connection(("127.0.0.1", port), timeout=120)
    f = s.makefile("rb")
    f.readline()
    for line in (f"USER {user}\r\n", f"PASS {password}\r\n"):
        s.sendall(line.encode())
        reply = f.readline()
        if not reply.startswith(b"+OK"):
            raise RuntimeError(f"login to {port}: {reply!r}")
    commands = "".join(f"RETR {n}\r\n" for n in range(1, count + 1)).encode()
    start = time.perf_counter()
    s.sendall(commands)
    seen = 0
    octets = 0
    tail = b""
    while seen < count:
        chunk = f.read1(1 << 20)
        if not chunk:
            raise RuntimeError("connection closed during the RETRs")
        octets += len(chunk)
        data = tail + chunk
        seen += data.count(b"\r\n.\r\n")
        tail = data[-4:]
    elapsed = time.perf_counter() - start
    s.sendall(b"QUIT\r\n")
    f.readline()
    s.close()
    return elapsed, octets


def uidls(port, user, password):
    import poplib
    c = poplib.POP3("127.0.0.1", port, timeout=60)
    c.user(user)
    c.pass_(password)
    ids = [u.split()[1] for u in c.uidl()[1]]
    c.quit()
    return ids


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", required=True)
    ap.add_argument("-n", type=int, default=2000, help="messages (default 2000)")
    ap.add_argument("--size", type=int, default=20000, help="bytes per message (default 20000)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("pop3_bench: needs root (Dovecot runs its mail process as the mailbox owner)")
    os.environ["POSTHORN_BUILDDIR"] = os.path.abspath(args.builddir)
    os.environ["POSTHORN_SRCDIR"] = SRCDIR
    sys.path[:0] = [os.path.join(SRCDIR, "test", "lib"), os.path.join(SRCDIR, "test", "integration")]
    import popd_util
    import popd_dovecot_util as dc
    if not dc.available():
        sys.exit("pop3_bench: Dovecot's POP3 server is not installed (dovecot-pop3d)")

    line = "The quick brown fox jumps over the lazy dog, again and again and again.\n"
    with popd_util.Pop("pop3-bench", conf={"popd_disable_plaintext_auth": "no"}) as p:
        uid, gid = popd_util.ids()
        messages = []
        for i in range(args.n):
            head = f"From: bench@example.org\nTo: alice@example.com\nSubject: bench {i}\n\n"
            body = line * max(1, (args.size - len(head)) // len(line))
            messages.append((head + body).encode())
        dc.write_maildir(p.maildir, messages, uid, gid)
        with dc.Dovecot(p.maildir, uid, gid, p.home) as d:
            theirs = uidls(d.port, "alice", dc.PASSWORD)  # Dovecot builds its index first
            p.start()
            ours = uidls(p.pop, popd_util.ALICE, popd_util.ALICE_PW)
            if ours != theirs:
                sys.exit("pop3_bench: the UIDL lists of popd and Dovecot differ")
            figures = {"popd": [], "dovecot": []}
            for run in range(args.runs):
                for name, port, user, pw in (("popd", p.pop, popd_util.ALICE, popd_util.ALICE_PW),
                                             ("dovecot", d.port, "alice", dc.PASSWORD)):
                    secs, octets = retr_all(port, user, pw, args.n)
                    figures[name].append({"seconds": secs, "octets": octets})
    result = {}
    print(f"RETR of {args.n} messages of ~{args.size} bytes, one pipelined session, "
          f"median of {args.runs} runs")
    print(f"{'server':<10} {'msg/s':>10} {'MB/s':>8}")
    for name, runs in figures.items():
        secs = statistics.median(r["seconds"] for r in runs)
        octets = runs[0]["octets"]
        result[name] = {"msg_per_s": args.n / secs, "mb_per_s": octets / secs / 1e6, "seconds": secs}
        print(f"{name:<10} {result[name]['msg_per_s']:>10.0f} {result[name]['mb_per_s']:>8.1f}")
    ratio = result["popd"]["msg_per_s"] / result["dovecot"]["msg_per_s"]
    result["ratio_popd_to_dovecot"] = ratio
    print(f"ratio popd/Dovecot: {ratio:.2f}  (UIDL lists identical: {len(ours)} entries)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
