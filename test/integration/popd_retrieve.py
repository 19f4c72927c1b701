"""popd_retrieve - python3's poplib against a real popd (both stages), authd and a Maildir.

RETR byte-correct with CRLF whatever is on disk (LF files from `posthorn
mailbox deliver`, a CRLF file put in cur/ by another program, a 20 MB
message), LIST sizes equal to what is retrieved, TOP n 0, '.'-lines,
UIDL stable across sessions, STLS on the plain port and implicit TLS,
AUTH PLAIN and SCRAM-SHA-256, plain-text login refused without TLS, a
second concurrent session refused with [IN-USE], a dropped connection
deleting nothing, DELE + QUIT deleting for good. As root: the login stage
is chrooted and runs as mail_owner, the mailbox stage runs as the user
(checked in /proc).
"""
import base64
import hashlib
import hmac
import os
import poplib
import socket
import sys
import time

from posthorn_test import expect, is_root, passed, wait_for, mail_owner
import popd_util
from popd_util import ALICE, ALICE_PW, retrieved


def scram_login(c, user, password):
    """AUTH SCRAM-SHA-256 (RFC 5802/7677) by hand; returns the final response."""
    cnonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n={user},r={cnonce}"
    resp = c._shortcmd("AUTH SCRAM-SHA-256 " + base64.b64encode(("n,," + first_bare).encode()).decode())
    expect(resp.startswith(b"+ "), f"SCRAM server-first: {resp!r}")
    server_first = base64.b64decode(resp[2:]).decode()
    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
    expect(attrs["r"].startswith(cnonce), "server nonce extends ours")
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]),
                                 int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored = hashlib.sha256(client_key).digest()
    without_proof = f"c=biws,r={attrs['r']}"
    auth_message = f"{first_bare},{server_first},{without_proof}".encode()
    signature = hmac.new(stored, auth_message, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    final = f"{without_proof},p={base64.b64encode(proof).decode()}"
    resp = c._shortcmd(base64.b64encode(final.encode()).decode())
    if resp.startswith(b"+ "):
        server_final = base64.b64decode(resp[2:]).decode()
        server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
        want = base64.b64encode(hmac.new(server_key, auth_message, hashlib.sha256).digest()).decode()
        expect(server_final == "v=" + want, f"server signature: {server_final}")
        resp = c._shortcmd("")
    return resp


def message(i, body):
    return (f"From: sender@example.org\nTo: {ALICE}\nSubject: message {i}\n\n" + body).encode()


def worker_named(p, arg):
    """popd processes of the instance: arg "mailbox" for the mailbox stage, else the login stage."""
    for pid in p.inst.workers():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except FileNotFoundError:
            continue
        if not args[0].endswith(b"popd"):
            continue
        if (b"mailbox" in args) == (arg == "mailbox"):
            yield pid


def proc_ids(pid):
    uid = gid = None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Uid:"):
                uid = [int(x) for x in line.split()[1:]]
            if line.startswith("Gid:"):
                gid = [int(x) for x in line.split()[1:]]
    return uid, gid


def main():
    with popd_util.Pop("popd-retrieve") as p:
        bodies = [
            "hello\n",
            ".starts with a dot\n..two dots\n.\nend\n",
            "no final newline",
            "x" * 70 + "\n" + ("line\n" * 2000),
        ]
        for i, b in enumerate(bodies):
            p.deliver(message(i, b))
        big = (("0123456789" * 7 + "\n") * 300000).encode()  # ~21 MB
        p.deliver(b"Subject: big\n\n" + big)
        # A file another program stored with CRLF line ends and no S=/W=.
        os.makedirs(os.path.join(p.maildir, "cur"), exist_ok=True)
        crlf_path = os.path.join(p.maildir, "cur", "1700000000.M1P1.otherhost:2,S")
        crlf = b"Subject: crlf\r\n\r\n.dot\r\nbody\r\n"
        with open(crlf_path, "wb") as f:
            f.write(crlf)
        if is_root():
            uid, gid = popd_util.ids()
            os.chown(crlf_path, uid, gid)
        expected = [message(i, b).replace(b"\n", b"\r\n") for i, b in enumerate(bodies)]
        expected[2] += b"\r\n"  # the unterminated last line ends on the wire
        expected.append(b"Subject: big\r\n\r\n" + big.replace(b"\n", b"\r\n"))
        expected.append(crlf)
        p.start()

        # Plain text before TLS is refused; STLS then works; CAPA says so.
        c = poplib.POP3("127.0.0.1", p.pop, timeout=30)
        caps = c.capa()
        expect("STLS" in caps and "UIDL" in caps and "TOP" in caps and "USER" not in caps,
               f"CAPA before STLS: {caps}")
        expect("PLAIN" not in caps.get("SASL", []) and "SCRAM-SHA-256" in caps.get("SASL", []),
               f"SASL before STLS: {caps}")
        try:
            c.user(ALICE)
            expect(False, "USER accepted without TLS")
        except poplib.error_proto as e:
            expect(b"[AUTH]" in e.args[0], f"USER without TLS: {e}")
        c.stls(context=p.context())
        caps = c.capa()
        expect("USER" in caps and "PLAIN" in caps.get("SASL", []) and "STLS" not in caps,
               f"CAPA after STLS: {caps}")
        c.user(ALICE)
        try:
            c.pass_("wrong")
            expect(False, "a wrong password was accepted")
        except poplib.error_proto as e:
            expect(e.args[0].startswith(b"-ERR [AUTH]"), f"wrong password: {e}")
        c.user(ALICE)
        expect(c.pass_(ALICE_PW).startswith(b"+OK"), "login after STLS")
        count, total = c.stat()
        expect(count == len(expected), f"STAT counts {count}, want {len(expected)}")
        sizes = {}
        for entry in c.list()[1]:
            n, size = entry.split()
            sizes[int(n)] = int(size)
        expect(total == sum(sizes.values()), "STAT total is the sum of LIST")
        # Messages are numbered in UID order; the CRLF file came last.
        for n in range(1, count + 1):
            resp, lines, octets = c.retr(n)
            got = retrieved(lines)
            want = expected[n - 1]
            expect(got == want, f"RETR {n}: {len(got)} bytes differ from the stored message")
            if n != 3:
                expect(sizes[n] == len(got), f"LIST {n} says {sizes[n]}, RETR gave {len(got)}")
                expect(resp.startswith(f"+OK {sizes[n]} octets".encode()), f"RETR {n}: {resp}")
        passed(f"{count} messages retrieved byte-correct, a 21 MB one included; LIST sizes exact")
        resp, lines, _ = c.top(2, 0)
        expect(retrieved(lines) == expected[1].split(b"\r\n\r\n")[0] + b"\r\n\r\n", "TOP 2 0")
        resp, lines, _ = c.top(2, 2)
        expect(retrieved(lines).endswith(b"\r\n\r\n.starts with a dot\r\n..two dots\r\n"), "TOP 2 2")
        uidls = c.uidl()[1]
        expect(len(uidls) == count and all(len(u.split()[1]) == 16 for u in uidls), f"UIDL {uidls}")
        c.quit()
        passed("STLS, CAPA, TOP, UIDL")

        # UIDL is stable across sessions; AUTH PLAIN over implicit TLS.
        c = p.pop3s(login=False)
        ir = base64.b64encode(f"\0{ALICE}\0{ALICE_PW}".encode()).decode()
        expect(c._shortcmd("AUTH PLAIN " + ir).startswith(b"+OK"), "AUTH PLAIN")
        expect(c.uidl()[1] == uidls, "UIDL the same in a second session")
        c.quit()

        # SCRAM-SHA-256 on the plain-text port: no password crosses the wire.
        c = poplib.POP3("127.0.0.1", p.pop, timeout=30)
        resp = scram_login(c, ALICE, ALICE_PW)
        expect(resp.startswith(b"+OK"), f"SCRAM login: {resp}")
        expect(c.uidl()[1] == uidls, "UIDL over SCRAM session")

        # A second session while one is open: [IN-USE].
        d = p.pop3s(login=False)
        d.user(ALICE)
        try:
            d.pass_(ALICE_PW)
            expect(False, "a second concurrent session was let in")
        except poplib.error_proto as e:
            expect(b"[IN-USE]" in e.args[0], f"second session: {e}")
        passed("AUTH PLAIN, SCRAM-SHA-256, UIDL stable, second session refused with [IN-USE]")

        if is_root():
            # While c's session is open: the mailbox stage is alice, unchrooted;
            # the login stages are mail_owner in the jail.
            stage = list(worker_named(p, "mailbox"))
            expect(stage, "no mailbox stage process")
            uid, gid = popd_util.ids()
            examined = 0
            for pid in stage:
                # The refused second session's stage may be exiting now: a
                # process that is gone is skipped, c's own stays.
                try:
                    u, g = proc_ids(pid)
                    with open(f"/proc/{pid}/status") as f:
                        groups = [l for l in f if l.startswith("Groups:")][0].split()[1:]
                except (FileNotFoundError, ProcessLookupError):
                    continue
                examined += 1
                expect(set(u) == {uid} and set(g) == {gid}, f"mailbox stage {pid} runs as {u} {g}")
                expect(groups in ([], [str(gid)]), f"mailbox stage groups {groups}")
            expect(examined >= 1, "the open session's mailbox stage was examined")
            import pwd
            owner = pwd.getpwnam(mail_owner()).pw_uid
            logins = list(worker_named(p, "login"))
            expect(logins, "no login stage process")
            for pid in logins:
                u, _ = proc_ids(pid)
                expect(set(u) == {owner}, f"login stage {pid} runs as {u}")
                expect(os.readlink(f"/proc/{pid}/root") == os.path.realpath(p.inst.queue_dir),
                       f"login stage {pid} root is {os.readlink(f'/proc/{pid}/root')}")
            passed("mailbox stage runs as the user (uid/gid/groups), login stage chrooted as mail_owner")
        c.quit()

        # A dropped connection deletes nothing.
        before = p.files()
        c = p.pop3s()
        c.dele(1)
        c.dele(2)
        c.sock.shutdown(socket.SHUT_RDWR)
        c.sock.close()

        def relogin():
            try:
                x = p.pop3s()
            except poplib.error_proto:
                return None
            return x
        c = wait_for(relogin, 10, what="the dropped session's lock to go")
        expect(p.files() == before, "a dropped connection left every file in place")
        expect(c.stat()[0] == count, "STAT after a dropped session")
        # DELE + QUIT deletes, for good.
        c.dele(1)
        c.dele(3)
        expect(c.quit().startswith(b"+OK"), "QUIT")
        expect(len(p.files()) == len(before) - 2, f"files after DELE+QUIT: {p.files()}")
        c = p.pop3s()
        expect(c.stat()[0] == count - 2, "STAT after DELE+QUIT")
        left = [u.split()[1] for u in c.uidl()[1]]
        expect(left == [u.split()[1] for u in uidls][1:2] + [u.split()[1] for u in uidls][3:],
               "UIDLs after deletion")
        c.quit()
        passed("a dropped connection deletes nothing; DELE+QUIT deletes")
        # Both stages log through master's log service, the mailbox stage
        # after it became the user.
        p.inst.wait_for_log(r"popd\[\d+\]: login: client=127\.0\.0\.1, user=alice@example\.com, TLS")
        p.inst.wait_for_log(r"popd\[\d+\]: user=alice@example\.com: logout: retr=0/0, del=2/")
        p.inst.wait_for_log(r"user=alice@example\.com: connection closed before QUIT, nothing deleted")
        p.inst.wait_for_log(r"user=alice@example\.com: mailbox in use by another POP3 session")
        passed("login and mailbox stage log lines")


if __name__ == "__main__":
    main()
