"""authd's failure throttle and outage handling, seen from a submission client.

The instance of submission_util with a test throttle: auth_failure_delay =
auth_failure_delay_limit = 300ms, auth_client_lockout_threshold = 10.
Clients come from distinct loopback addresses (127.0.0.x), so the per-
address counts do not mix. Asserted:
- a wrong password -> 535 5.7.8, and the next attempt from that address
  (even with the right password) takes at least the configured delay,
  while an address without failures gets its answer at once;
- ten wrong passwords in a row from one address -> that address is refused
  (454 4.7.0, even with the right password) and authd logs the lockout,
  while the right password from another address still works;
- authd killed in the middle of an AUTH LOGIN -> the client gets 454 4.7.0
  promptly (not a hang), and master restarts authd: the next AUTH works;
- a malformed frame on the passdb socket drops that client only.
"""
import base64
import os
import signal
import time

from posthorn_test import cmdline, expect, passed, wait_for
from smtpd_util import Client
from submission_util import ALICE, ALICE_PW, BOB, BOB_PW, Submission

DELAY = 0.3


def b64(text):
    return base64.b64encode(text.encode()).decode()


def client(s, source):
    c = Client(s.sub, source=source, timeout=20)
    c.cmd("EHLO client.example")
    expect(c.cmd("STARTTLS").startswith("220"), "STARTTLS")
    c.starttls(s.cert)
    c.cmd("EHLO client.example")
    return c


def timed_auth(c, user, password):
    start = time.monotonic()
    reply = c.cmd("AUTH PLAIN " + b64(f"\0{user}\0{password}"))
    return reply, time.monotonic() - start


def check_delay(s):
    with client(s, "127.0.0.3") as c:
        reply, took = timed_auth(c, BOB, "wrong")
        expect(reply.startswith("535 5.7.8"), f"a wrong password -> 535 5.7.8: {reply}")
        reply, took = timed_auth(c, BOB, BOB_PW)
        expect(reply.startswith("235") and took >= DELAY,
               f"the next attempt from that address takes >= {DELAY}s: {reply} in {took:.3f}s")
    with client(s, "127.0.0.6") as c:
        reply, took = timed_auth(c, ALICE, ALICE_PW)
        expect(reply.startswith("235") and took < DELAY,
               f"an address without failures is answered at once: {reply} in {took:.3f}s")
    passed("failures slow down the next attempt from the same address")


def check_lockout(s):
    offset = s.inst.log_size()
    with client(s, "127.0.0.4") as c:
        for i in range(10):
            reply, _ = timed_auth(c, ALICE, f"guess-{i}")
            expect(reply.startswith("535 5.7.8"), f"wrong password {i + 1} -> 535: {reply}")
    s.inst.wait_for_log(r"SASL client locked out: rip=127\.0\.0\.4 failures=10", offset=offset)
    with client(s, "127.0.0.4") as c:
        reply, took = timed_auth(c, ALICE, ALICE_PW)
        expect(reply.startswith("454 4.7.0"),
               f"after ten failures the address is refused, right password or not: {reply}")
    with client(s, "127.0.0.5") as c:
        reply, _ = timed_auth(c, ALICE, ALICE_PW)
        expect(reply == "235 2.7.0 Authentication successful",
               f"the right password from another address still works: {reply}")
    passed("ten wrong passwords lock one address out, not the account's owner elsewhere")


def passdb_pids(s):
    return [pid for pid in s.inst.workers_named("authd") if "passdb" in cmdline(pid)]


def check_authd_killed(s):
    with client(s, "127.0.0.7") as c:
        expect(c.cmd("AUTH LOGIN").startswith("334 "), "AUTH LOGIN starts")
        expect(c.cmd(b64(ALICE)).startswith("334 "), "the user name is taken")
        pids = passdb_pids(s)
        expect(len(pids) == 1, f"one authd passdb process: {pids}")
        os.kill(pids[0], signal.SIGKILL)
        wait_for(lambda: pids[0] not in s.inst.workers(), 10, what="authd to die")
        start = time.monotonic()
        reply = c.cmd(b64(ALICE_PW))
        took = time.monotonic() - start
        expect(reply == "454 4.7.0 Temporary authentication failure" and took < 5,
               f"authd gone mid-AUTH -> 454 4.7.0 at once: {reply} in {took:.2f}s")
        reply = c.cmd("AUTH PLAIN " + b64(f"\0{ALICE}\0{ALICE_PW}"))
        expect(reply == "235 2.7.0 Authentication successful",
               f"master restarts authd; the next AUTH works: {reply}")
    new = passdb_pids(s)
    expect(new and new[0] != pids[0], f"a new authd passdb runs: {new}")
    passed("authd killed mid-AUTH: 454 4.7.0, not a hang; master restarts it")


def check_garbage(s):
    """A client that sends garbage to the passdb socket is dropped; authd goes on."""
    import socket
    path = os.path.join(s.inst.queue_dir, "private", "authd-passdb")
    offset = s.inst.log_size()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
        raw.settimeout(10)
        raw.connect(path)
        raw.sendall(b"\x00\x00\x00\x08\x00\x00\x00\x3c\x00\x00\x00\x01garbage!")
        expect(raw.recv(100) == b"", "authd drops a client that sends a malformed frame")
    s.inst.wait_for_log(r"authd\[\d+\]: warning: malformed request from", offset=offset)
    with client(s, "127.0.0.8") as c:
        reply, _ = timed_auth(c, ALICE, ALICE_PW)
        expect(reply.startswith("235"), f"authd goes on serving others: {reply}")
    passed("garbage on the passdb socket: that client dropped, authd goes on")


def main():
    conf = {"auth_failure_delay": "300ms", "auth_failure_delay_limit": "300ms",
            "auth_client_lockout_threshold": "10", "auth_lockout_time": "10m"}
    with Submission("submission-throttle", conf) as s:
        s.start()
        check_delay(s)
        check_lockout(s)
        check_authd_killed(s)
        check_garbage(s)


if __name__ == "__main__":
    main()
