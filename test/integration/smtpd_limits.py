"""Per-client limits counted by anvil, and the pre-greeting test.

Against the real master, smtpd, cleanup, mapd, authd and anvil
(smtpd_util, mynetworks = 127.0.0.1/32, anvil_rate_time_unit = 2s), each
limit on its own smtpd service (anvil counts per service and address):
- smtpd_client_connection_count_limit = 2: the 3rd concurrent connection
  from 127.0.0.5 gets 421 4.7.0 ... too many connections (logged as
  Postfix's "Connection concurrency limit exceeded"), while 127.0.0.6 is
  served; once one of the two leaves, 127.0.0.5 is served again; 127.0.0.7
  (smtpd_client_event_limit_exceptions) is never limited;
- smtpd_client_connection_rate_limit = 3: the 4th connection within the
  window gets 421 ("Connection rate limit exceeded: 4 from ..."), and after
  the window a new one is served;
- smtpd_client_message_rate_limit = 2: the 3rd MAIL gets 450 4.7.1 Error:
  too much mail; smtpd_client_recipient_rate_limit = 3: the 4th RCPT gets
  450 4.7.1 Error: too many recipients; both served again after the window;
- postscreen_greet_wait = 1s: a client that sends EHLO after the greeting's
  first line ("220-") gets 521 5.5.1 and is logged as PREGREET; a patient
  one is served; a client in mynetworks is not made to wait;
- smtpd processes killed while they hold a client's connections: anvil
  takes those counts back, the client is served again;
- anvil logs its statistics when it stops;
- without anvil in master.conf: a warning, and every client is served.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager

from posthorn_test import cmdline, expect, named, passed, wait_for
from smtpd_util import Client, make_instance, services, wait_ready

UNIT = 2  # anvil_rate_time_unit, seconds


def greeting(port, source):
    with Client(port, source=source) as c:
        return c.greeting


@contextmanager
def connections(port, source, n):
    """n connections from `source` held open; their greetings are c.greeting."""
    held = [Client(port, source=source) for _ in range(n)]
    try:
        yield held
    finally:
        for c in held:
            c.close()


def refused_connection(inst, port, warning, n):
    """Connection number `n` from 127.0.0.5 gets 421 4.7.0 and is logged as
    "`warning` limit exceeded"; meanwhile 127.0.0.6 is served."""
    offset = inst.log_size()
    code, lines = greeting(port, "127.0.0.5")
    expect(code == 421 and lines[-1] == "4.7.0 localhost.localdomain Error: too many connections from 127.0.0.5",
           f"connection {n} from 127.0.0.5 gets 421 4.7.0: {code} {lines}")
    inst.wait_for_log(rf"warning: {warning} limit exceeded: {n} from unknown\[127\.0\.0\.5\]"
                      rf" for service {port}$", offset=offset)
    passed(f"connection {n} from 127.0.0.5: 421 4.7.0 too many connections, logged as {warning} limit exceeded")
    other = greeting(port, "127.0.0.6")
    expect(other[0] == 220, f"127.0.0.6 is served meanwhile: {other}")
    passed("a client from 127.0.0.6 is served while 127.0.0.5 is limited")


def check_count(inst, port):
    first = Client(port, source="127.0.0.5")
    second = Client(port, source="127.0.0.5")
    try:
        expect(first.greeting[0] == 220 and second.greeting[0] == 220,
               f"two connections from 127.0.0.5 served: {first.greeting} {second.greeting}")
        refused_connection(inst, port, "Connection concurrency", 3)
        with connections(port, "127.0.0.7", 4) as excepted:
            expect(all(c.greeting[0] == 220 for c in excepted),
                   f"127.0.0.7 (smtpd_client_event_limit_exceptions) never limited: {[c.greeting for c in excepted]}")
        passed("4 concurrent connections from an excepted client are all served")
    finally:
        first.close()
    try:
        wait_for(lambda: greeting(port, "127.0.0.5")[0] == 220, 10,
                 what="127.0.0.5 served again once one of its connections closed")
        passed("the count goes down at disconnect: 127.0.0.5 is served again")
    finally:
        second.close()


def check_crashed_smtpd(inst, port):
    """Two connections from 127.0.0.5 (the limit), then both smtpd
    processes killed: anvil takes their counts back when their connections
    to it close, so 127.0.0.5 gets two connections again, and a third is
    still refused."""
    held = []

    def two_served():
        # The clients of the last check may not be counted out yet.
        pair = [Client(port, source="127.0.0.5") for _ in range(2)]
        if all(c.greeting[0] == 220 for c in pair):
            held.extend(pair)
            return True
        for c in pair:
            c.close()
        return False

    try:
        wait_for(two_served, 10, what="two connections from 127.0.0.5")
        victims = [pid for pid in named(inst.processes(), "smtpd") if str(port) in cmdline(pid)]
        expect(len(victims) >= 2, f"the smtpd processes of service {port}: {victims}")
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        expect(all(c.closed_by_peer() for c in held), "the killed smtpd processes' clients are cut off")
    finally:
        for c in held:
            c.close()
    fresh = []

    def served_again():
        c = Client(port, source="127.0.0.5")
        if c.greeting[0] != 220:
            c.close()
            return False
        fresh.append(c)
        return len(fresh) == 2

    try:
        wait_for(served_again, 20, what="127.0.0.5 served twice after its smtpd processes were killed")
        code, lines = greeting(port, "127.0.0.5")
        expect(code == 421, f"and a third connection is refused again: {code} {lines}")
    finally:
        for c in fresh:
            c.close()
    passed("counts of killed smtpd processes are taken back by anvil; the limit still holds")


def check_rate(inst, port):
    for i in range(3):
        code, lines = greeting(port, "127.0.0.5")
        expect(code == 220, f"connection {i + 1} of 3 within the rate: {code} {lines}")
    refused_connection(inst, port, "Connection rate", 4)
    time.sleep(UNIT + 0.3)
    code, lines = greeting(port, "127.0.0.5")
    expect(code == 220, f"after the window 127.0.0.5 is served again: {code} {lines}")
    passed("after anvil_rate_time_unit a new connection is served")


def check_event_rate(inst, c, port, command, limit, refusal, warning, between=None):
    """`limit` commands accepted (each followed by `between`), the next one
    refused with `refusal` and logged as "`warning` limit exceeded", then
    accepted again after the window (and left so)."""
    for i in range(limit):
        reply = c.cmd(command)
        expect(reply.startswith("250"), f"{command} {i + 1} of {limit}: {reply}")
        if between:
            c.cmd(between)
    offset = inst.log_size()
    reply = c.cmd(command)
    expect(reply == refusal, f"{command} number {limit + 1}: {reply}")
    inst.wait_for_log(rf"warning: {warning} limit exceeded: {limit + 1} from "
                      rf"unknown\[127\.0\.0\.5\] for service {port}$", offset=offset)
    passed(f"{command} number {limit + 1} within the window: {refusal}, logged")
    time.sleep(UNIT + 0.3)
    reply = c.cmd(command)
    expect(reply.startswith("250"), f"{command} after the window: {reply}")
    passed(f"after the window {command} is accepted again")


def check_message_and_recipient_rates(inst, port):
    with Client(port, source="127.0.0.5") as c:
        expect(c.cmd("EHLO rate.example").startswith("250"), "EHLO")
        check_event_rate(inst, c, port, "MAIL FROM:<a@example.net>", 2,
                         "450 4.7.1 Error: too much mail from 127.0.0.5",
                         "Message delivery request rate", between="RSET")
        check_event_rate(inst, c, port, "RCPT TO:<root@localhost>", 3,
                         "450 4.7.1 Error: too many recipients from 127.0.0.5",
                         "Recipient address rate")
    with Client(port, source="127.0.0.7") as c:
        c.cmd("EHLO excepted.example")
        replies = []
        for _ in range(4):
            replies.append(c.cmd("MAIL FROM:<a@example.net>"))
            c.cmd("RSET")
        expect(all(r.startswith("250") for r in replies), f"an excepted client is never limited: {replies}")
        passed("an excepted client's MAILs are never limited")


def check_pregreet(inst, port):
    offset = inst.log_size()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=("127.0.0.5", 0))
    try:
        first = b""
        while b"\n" not in first:
            chunk = sock.recv(4096)
            expect(chunk, "the greeting's first line")
            first += chunk
        expect(first.startswith(b"220-"), f"a multi-line greeting starts: {first!r}")
        sock.sendall(b"EHLO hurry.example\r\n")
        rest = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            rest += chunk
        expect(rest == b"521 5.5.1 Protocol error\r\n", f"an early talker is dropped: {rest!r}")
    finally:
        sock.close()
    inst.wait_for_log(r"PREGREET 20 after \d+\.\d\d from \[127\.0\.0\.5\]:\d+: EHLO hurry\.example\\r\\n$",
                      offset=offset)
    passed("EHLO before the greeting's end: 521 5.5.1 Protocol error, logged as PREGREET")
    start = time.monotonic()
    with Client(port, source="127.0.0.5") as c:
        waited = time.monotonic() - start
        expect(c.greeting[0] == 220 and waited >= 0.9, f"a patient client waits and is greeted: {c.greeting} after {waited:.2f}s")
        expect(c.cmd("EHLO patient.example").startswith("250"), "the patient client's EHLO")
    passed(f"a patient client is served (greeting after {waited:.2f}s)")
    start = time.monotonic()
    with Client(port, source="127.0.0.1") as c:
        waited = time.monotonic() - start
        expect(c.greeting[0] == 220 and waited < 0.9, f"mynetworks is not tested: {waited:.2f}s")
    passed("a client in mynetworks is greeted at once")


# The failregex doc/client-limits.md gives for a jail on the limits' warnings.
LIMITS_FAILREGEX = (r"^%(__prefix_line)swarning: (?:Connection (?:rate|concurrency)|Message delivery request rate"
                    r"|Recipient address rate|AUTH command rate) limit exceeded: \d+ from [^[]*\[<HOST>\]")


def fail2ban_matches(log, spec):
    """Lines of `log` that fail2ban-regex matches with `spec` (a filter of
    conf/fail2ban, with its mode, or a failregex used with the posthorn
    filter's prefix), as printed by --print-all-matched."""
    with tempfile.TemporaryDirectory(prefix="ph-f2b-") as d:
        filters = os.path.join(d, "filter.d")
        shutil.copytree("/etc/fail2ban/filter.d", filters)
        src = os.path.join(os.environ.get("POSTHORN_SRCDIR", "."), "conf", "fail2ban", "filter.d")
        for f in os.listdir(src):
            shutil.copy(os.path.join(src, f), filters)
        args = ["fail2ban-regex", "--print-all-matched", log]
        if spec.startswith("^"):
            with open(os.path.join(filters, "limits.conf"), "w") as f:
                f.write(f"[INCLUDES]\nbefore = posthorn.conf\n[Definition]\nfailregex = {spec}\n"
                        "prefregex =\n")
            args.append(os.path.join(filters, "limits.conf"))
        else:
            args.append(os.path.join(filters, spec))
        r = subprocess.run(args, capture_output=True, text=True, timeout=120)
        expect(r.returncode == 0, f"fail2ban-regex {spec}: {r.stderr[-800:]}")
        m = re.search(r"^\|- Matched line\(s\):\n(.*?)^`-", r.stdout, re.M | re.S)
        return m.group(1).splitlines() if m else []


def check_fail2ban(log):
    if not os.path.exists("/usr/bin/fail2ban-regex"):
        print("note: fail2ban-regex missing, fail2ban checks skipped")
        return
    ddos = fail2ban_matches(log, "posthorn.conf[mode=ddos]")
    expect(any("PREGREET" in line and "[127.0.0.5]" in line for line in ddos),
           f"fail2ban's postfix filter (mode ddos) matches the PREGREET line: {ddos[:5]}")
    passed("fail2ban's postfix filter (posthorn names, mode ddos) matches the PREGREET line")
    limits = fail2ban_matches(log, LIMITS_FAILREGEX)
    kinds = {w for w in ("Connection concurrency", "Connection rate", "Message delivery request rate",
                         "Recipient address rate") if any(w in line for line in limits)}
    expect(len(kinds) == 4, f"the limits' failregex matches each warning: {sorted(kinds)} in {limits[:6]}")
    passed("the failregex of doc/client-limits.md matches each limit's warning")


def check_without_anvil():
    """No anvil in master.conf: limits are off, with a warning, and every
    client is served (Postfix's behaviour when anvil cannot be reached)."""
    inst, port = make_instance("smtpd_limits_noanvil")
    with inst:
        inst.write_master_conf(services(port, "")
                               .replace(" smtpd\n", " smtpd -o smtpd_client_connection_count_limit=1\n", 1))
        inst.start()
        wait_ready(inst, port)
        with connections(port, "127.0.0.5", 3) as held:
            expect(all(c.greeting[0] == 220 for c in held),
                   f"without anvil every connection is served: {[c.greeting for c in held]}")
        inst.wait_for_log(r"smtpd\[\d+\]: warning: anvil unavailable at .*: client limits not applied")
        inst.stop()
    passed("without an anvil service smtpd warns and serves every client")


def main():
    inst, port = make_instance("smtpd_limits", anvil_rate_time_unit=f"{UNIT}s")
    with inst:
        count = inst.free_port()
        rate = inst.free_port()
        events = inst.free_port()
        greet = inst.free_port()
        inst.write_master_conf(services(port, (
            "anvil unix - - y - 1 anvil\n"
            f"{count} inet n - y - - smtpd -o smtpd_client_connection_count_limit=2"
            " -o smtpd_client_event_limit_exceptions=127.0.0.7\n"
            f"{rate} inet n - y - - smtpd -o smtpd_client_connection_rate_limit=3\n"
            f"{events} inet n - y - - smtpd -o smtpd_client_message_rate_limit=2"
            " -o smtpd_client_recipient_rate_limit=3"
            " -o smtpd_client_event_limit_exceptions=127.0.0.7\n"
            f"{greet} inet n - y - - smtpd -o postscreen_greet_wait=1s\n")))
        inst.start()
        for p in (port, count, rate, events, greet):
            wait_ready(inst, p)
        check_count(inst, count)
        check_crashed_smtpd(inst, count)
        check_rate(inst, rate)
        check_message_and_recipient_rates(inst, events)
        check_pregreet(inst, greet)
        offset = inst.log_size()
        inst.stop()
        expect(inst.find_log(r"anvil\[\d+\]: statistics: max connection count \d+ for \(\d+:127\.0\.0\.\d\)",
                             offset) is not None,
               "anvil logs its statistics when it stops")
        passed("anvil logs its statistics when it stops")
        check_fail2ban(inst.maillog)
    check_without_anvil()


if __name__ == "__main__":
    main()
