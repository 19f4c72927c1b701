"""popd_limits - popd's protocol edges on a raw socket, against real daemons.

Pipelined commands across the handover (USER, PASS, STAT, LIST, QUIT in
one write: what follows PASS is passed to the mailbox stage), plain-text
login allowed without TLS by popd_disable_plaintext_auth = no, a -ERR
for each malformed command, the line-length limit, the bad-command limit,
and the idle timeout in both stages (a DELE before it is not applied); a
handover from a process that is not a login stage is refused.
"""
import base64
import os
import socket
import sys
import time

from posthorn_test import expect, passed
import popd_util
from popd_util import ALICE, ALICE_PW


class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=15)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError(f"closed; unread {self.buf!r}")
            self.buf += chunk
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l.decode()

    def multi(self):
        lines = []
        while True:
            l = self.line()
            if l == ".":
                return lines
            lines.append(l)

    def cmd(self, text):
        self.send(text.encode() + b"\r\n")
        return self.line()

    def closed(self):
        try:
            data = self.s.recv(65536)
        except OSError:
            return True
        return data == b""


def main():
    with popd_util.Pop("popd-limits", conf={"popd_timeout": "2s",
                                           "popd_disable_plaintext_auth": "no",
                                           "popd_line_length_limit": "512",
                                           "popd_max_bad_commands": "10"}) as p:
        for i in range(3):
            p.deliver(f"Subject: {i}\n\nbody {i}\n".encode())
        p.start()

        # Pipelining through the handover, plain text allowed by configuration.
        c = Client(p.pop)
        expect(c.line().startswith("+OK"), "greeting")
        c.send(f"CAPA\r\nUSER {ALICE}\r\nPASS {ALICE_PW}\r\nSTAT\r\nLIST\r\nUIDL 2\r\nQUIT\r\n".encode())
        expect(c.line().startswith("+OK"), "CAPA")
        capa = c.multi()
        expect("USER" in capa and "PIPELINING" in capa, f"CAPA {capa}")
        expect(c.line() == "+OK", "USER")
        expect(c.line() == "+OK Logged in.", "PASS")
        stat = c.line()
        expect(stat.startswith("+OK 3 "), f"STAT {stat}")
        expect(c.line().startswith("+OK 3 messages"), "LIST")
        expect(len(c.multi()) == 3, "LIST lines")
        expect(c.line().startswith("+OK 2 "), "UIDL 2")
        expect(c.line() == "+OK Logging out.", "QUIT")
        expect(c.closed(), "closed after QUIT")
        # The same over 995: what follows PASS was decrypted by the login
        # stage and travels in the handover; the rest goes through its proxy.
        c = Client(p.pops)
        c.s = p.context().wrap_socket(c.s)
        expect(c.line().startswith("+OK"), "greeting over TLS")
        c.send(f"USER {ALICE}\r\nPASS {ALICE_PW}\r\nSTAT\r\nUIDL\r\n".encode())
        expect(c.line() == "+OK", "USER over TLS")
        expect(c.line() == "+OK Logged in.", "PASS over TLS")
        expect(c.line().startswith("+OK 3 "), "STAT over TLS")
        expect(c.line() == "+OK", "UIDL over TLS")
        expect(len(c.multi()) == 3, "UIDL lines over TLS")
        expect(c.cmd("QUIT") == "+OK Logging out.", "QUIT over TLS")
        passed("pipelined commands across the handover, plain and TLS")

        # Only a popd login stage of this master may hand over a client:
        # another process that reaches the private socket is refused.
        offset = p.inst.log_size()
        u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        u.connect(os.path.join(p.inst.queue_dir, "private", "pop3-mailbox"))
        u.settimeout(10)
        expect(u.recv(1) == b"", "the mailbox stage closed the impostor's connection")
        u.close()
        p.inst.wait_for_log(rf"refused a handover: pid {os.getpid()} uid \d+ is not a child of master",
                            offset=offset)
        passed("a handover from a process that is not a login stage is refused")

        # AUTH LOGIN (plain text allowed here), with its two challenges.
        c = Client(p.pop)
        c.line()
        expect(c.cmd("AUTH LOGIN").startswith("+ "), "AUTH LOGIN username challenge")
        expect(c.cmd(base64.b64encode(ALICE.encode()).decode()).startswith("+ "), "password challenge")
        expect(c.cmd(base64.b64encode(ALICE_PW.encode()).decode()) == "+OK Logged in.", "AUTH LOGIN")
        expect(c.cmd("QUIT") == "+OK Logging out.", "QUIT")
        passed("AUTH LOGIN")

        # Malformed commands, long lines, in both states.
        c = Client(p.pop)
        c.line()
        expect(c.cmd("NOOP " + "x" * 600) == "-ERR Line too long.", "long line before login")
        expect(c.cmd("") == "-ERR Unknown command.", "empty line")
        expect(c.cmd("STAT") == "-ERR Unknown AUTHORIZATION state command.", "STAT before login")
        expect(c.cmd("USER a b").startswith("-ERR"), "USER with two names")
        expect(c.cmd(f"USER {ALICE}") == "+OK", "USER")
        expect(c.cmd("PASS wrong").startswith("-ERR [AUTH]"), "wrong password")
        expect(c.cmd(f"USER {ALICE}") == "+OK", "USER again")
        expect(c.cmd(f"PASS {ALICE_PW}") == "+OK Logged in.", "login")
        for bad, want in [("RETR abc", "-ERR There's no message abc."),
                          ("RETR 0", "-ERR There's no message 0."),
                          ("RETR 4", "-ERR There's no message 4."),
                          ("LIST 1 2", "-ERR Syntax: LIST [msg]"),
                          ("TOP 1", "-ERR Syntax: TOP msg lines"),
                          ("TOP 1 -1", "-ERR Invalid number of lines: -1"),
                          ("DELE", "-ERR Syntax: DELE msg"),
                          ("RETR " + "9" * 600, "-ERR Line too long.")]:
            got = c.cmd(bad)
            expect(got == want, f"{bad[:20]!r} -> {got!r}")
        expect(c.cmd("NOOP") == "+OK", "the session goes on after bad commands")
        # The bad-command limit (10): 8 so far, two more close the session.
        c.cmd("XXXX")
        expect(c.cmd("YYYY") == "-ERR Unknown command.", "tenth bad command")
        expect(c.line().startswith("-ERR Too many bad commands"), "closing line")
        expect(c.closed(), "closed after too many bad commands")
        passed("a -ERR for each malformed command; line-length and bad-command limits")

        # Idle timeout before login.
        c = Client(p.pop)
        c.line()
        start = time.monotonic()
        expect(c.line() == "-ERR Disconnected for inactivity.", "login stage timeout")
        expect(c.closed(), "closed after the timeout")
        waited = time.monotonic() - start
        expect(1.5 < waited < 6, f"timed out after {waited:.1f}s (popd_timeout 2s)")
        # Idle timeout after login: the DELE is not applied.
        before = p.files()
        c = Client(p.pop)
        c.line()
        c.cmd(f"USER {ALICE}")
        expect(c.cmd(f"PASS {ALICE_PW}") == "+OK Logged in.", "login")
        expect(c.cmd("DELE 1").startswith("+OK"), "DELE 1")
        expect(c.line() == "-ERR Disconnected for inactivity.", "mailbox stage timeout")
        expect(c.closed(), "closed after the timeout")
        c = Client(p.pop)
        c.line()
        c.cmd(f"USER {ALICE}")
        expect(c.cmd(f"PASS {ALICE_PW}") == "+OK Logged in.", "login after the timeout (lock released)")
        expect(c.cmd("STAT").startswith("+OK 3 "), "nothing deleted by a timed-out session")
        c.cmd("QUIT")
        expect(p.files() == before, "files unchanged")
        passed("idle timeout in both stages; a timed-out session deletes nothing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
