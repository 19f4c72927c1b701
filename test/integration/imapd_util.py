"""imapd_util - shared by the imapd_* integration tests (not a test).

An instance that serves IMAP as an installation would:

    IMAP  inet n - y - - imapd                                  (143: STARTTLS)
    IMAPS inet n - y - - imapd -o imapd_tls_wrappermode=yes     (993)
    imap-mailbox unix - n n - - imapd-mailbox                   (root until it is the user)
    authd-userdb unix - n n - - authd
    authd-passdb unix - n n - 1 authd passdb

with a self-signed certificate (`posthorn tls selfsigned`) and alice made
by `posthorn passwd` (uid 5000 as root, the current user otherwise), whose
Maildir is HOME/Maildir (Maildir++: folder "A.B" is HOME/Maildir/.A.B).
Mail goes in with `posthorn mailbox deliver`, run as alice, as local(8)
would store it.

Imap.starttls() and Imap.imaps() give python's imaplib clients; Imap.raw()
a socket client (Raw) for byte-exact exchanges that imaplib cannot make.
"""
import contextlib
from concurrent.futures import ThreadPoolExecutor
import imaplib
import os
import re
import socket
import ssl
import subprocess
import sys

from mail_user_util import ALICE, ALICE_PW, POSTHORN, MailUserInstance, as_alice, ids  # noqa: F401
from posthorn_test import cmdline, expect, is_root, wait_for

SERVICES = """{imap} inet n - y - - imapd
{imaps} inet n - y - - imapd -o imapd_tls_wrappermode=yes
imap-mailbox unix - n n - - imapd-mailbox
authd-userdb unix - n n - - authd
authd-passdb unix - n n - 1 authd passdb
"""

# imaplib knows neither of these; registered for xatom/_simple_command.
for _name, _states in (("ID", ("NONAUTH", "AUTH", "SELECTED")),
                       ("IDLE", ("AUTH", "SELECTED"))):
    imaplib.Commands.setdefault(_name, _states)


class Imap(MailUserInstance):
    """A posthorn instance with imapd, authd and alice; a context manager."""

    def __init__(self, name, conf=None):
        settings = {"auth_failure_delay": "0"}
        settings.update(conf or {})
        super().__init__(name, settings, "imapd")
        self.host = "127.0.0.1"
        self.imap_port, self.imaps_port = self.two_ports()
        self.inst.write_master_conf(SERVICES.format(imap=self.imap_port, imaps=self.imaps_port))

    def start(self):
        self.inst.start()
        wait_for(lambda: self.inst.first_line(self.imap_port, self.host), 10, what="imapd's greeting")

    # --- the mailbox on disk ---------------------------------------------------

    def deliver_many(self, messages, workers=4):
        """deliver() of each message, a few at a time (order not kept)."""
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(self.deliver, messages))

    def read_file(self, folder, name):
        """The bytes of a message file (found in cur/ or new/) of a folder."""
        for sub in ("cur", "new"):
            with contextlib.suppress(FileNotFoundError):
                with open(os.path.join(self.folder_dir(folder), sub, name), "rb") as f:
                    return f.read()
        raise FileNotFoundError(name)

    # --- clients ----------------------------------------------------------------

    def certificate_for_host(self):
        """Remakes the self-signed certificate for self.host (its name in
        the subjectAltName), for clients that check it: mbsync, mutt.
        Call before start()."""
        r = self.inst.posthorn("tls", "selfsigned", "-f", self.host)
        _check(r.returncode == 0, f"posthorn tls selfsigned -f {self.host}: {r.stdout}{r.stderr}")

    def starttls(self, login=True, timeout=30):
        """imaplib on the plain port, after STARTTLS; logged in as alice."""
        c = imaplib.IMAP4(self.host, self.imap_port, timeout=timeout)
        c.starttls(ssl_context=self.context())
        if login:
            c.login(ALICE, ALICE_PW)
        return c

    def imaps(self, login=True, timeout=30):
        """imaplib over implicit TLS (the 993 service); logged in as alice."""
        c = imaplib.IMAP4_SSL(self.host, self.imaps_port, ssl_context=self.context(),
                              timeout=timeout)
        if login:
            c.login(ALICE, ALICE_PW)
        return c

    def raw(self, tls=True, login=False, timeout=30):
        """A Raw client on the 993 service (tls) or the plain port; the
        greeting is read (Raw.greeting)."""
        if tls:
            s = socket.create_connection((self.host, self.imaps_port), timeout=timeout)
            s = self.context().wrap_socket(s)
        else:
            s = socket.create_connection((self.host, self.imap_port), timeout=timeout)
        r = Raw(s)
        r.greeting = r.line()
        if login:
            tagged = r.command("L1 LOGIN " + quote(ALICE) + " " + quote(ALICE_PW))[-1]
            _check(tagged.startswith(b"L1 OK"), f"LOGIN on a raw connection: {tagged!r}")
        return r

    # --- processes ----------------------------------------------------------------

    def imapd_pids(self):
        """The instance's imapd worker processes (login and mailbox stages)."""
        return [pid for pid in self.inst.workers()
                if cmdline(pid) and cmdline(pid)[0].endswith(("imapd", "imapd-mailbox"))]

    def mailbox_stage_pids(self):
        """The processes running the mailbox stage (imapd-mailbox)."""
        return [pid for pid in self.imapd_pids() if cmdline(pid)[0].endswith("imapd-mailbox")]

    def rss_kib(self, pids):
        """The resident set size of each pid in KiB ({pid: kib}); gone pids left out."""
        result = {}
        for pid in pids:
            with contextlib.suppress(OSError):
                with open(f"/proc/{pid}/status") as f:
                    for l in f:
                        if l.startswith("VmRSS:"):
                            result[pid] = int(l.split()[1])
        return result


def _check(condition, message):
    if not condition:
        raise AssertionError(message)


def quote(s):
    """An IMAP quoted string."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Raw:
    """An IMAP connection on a plain (or TLS-wrapped) socket, byte-exact.

    Responses are bytes without CRLF; a response line with literals comes
    back as one bytes value with each literal's bytes in place after its
    "{N}\\r\\n" header (so b'* 1 FETCH (BODY[] {5}\\r\\nhello)')."""

    def __init__(self, sock):
        self.s = sock
        self.buf = bytearray()
        self.greeting = b""

    def send(self, data):
        self.s.sendall(data if isinstance(data, bytes) else data.encode())

    def _fill(self):
        chunk = self.s.recv(1 << 20)
        if not chunk:
            raise EOFError(f"connection closed; unread {bytes(self.buf[:200])!r}")
        self.buf += chunk

    def line(self):
        """One raw line without CRLF (literals not followed)."""
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                l = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return l
            self._fill()

    def read(self, n):
        while len(self.buf) < n:
            self._fill()
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def response(self):
        """One whole response: a line plus any literals it announces."""
        out = self.line()
        while True:
            m = re.search(rb"\{(\d+)\}$", out)
            if not m:
                return out
            out += b"\r\n" + self.read(int(m.group(1))) + self.line()

    def until_tagged(self, tag):
        """Responses up to and including the one tagged `tag` (the last)."""
        got = []
        prefix = tag.encode() + b" "
        while True:
            r = self.response()
            got.append(r)
            if r.startswith(prefix):
                return got

    def command(self, text):
        """Sends 'TAG COMMAND...' and returns its responses, the tagged one last."""
        self.send(text.encode() + b"\r\n" if isinstance(text, str) else text + b"\r\n")
        tag = (text if isinstance(text, str) else text.decode()).split(" ", 1)[0]
        return self.until_tagged(tag)

    def closed(self, timeout=10):
        """True when the server has closed the connection (after any unread data)."""
        self.s.settimeout(timeout)
        try:
            while True:
                chunk = self.s.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (socket.timeout, TimeoutError):
            return False
        except OSError:
            return True

    def close(self):
        with contextlib.suppress(OSError):
            self.s.close()


def crlf(message):
    """A message stored with LF line ends as IMAP serves it (CRLF)."""
    return message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def untagged(responses, word):
    """The untagged responses whose second or third token is word
    (b'EXISTS' matches b'* 3 EXISTS', b'FLAGS' matches b'* FLAGS (...)')."""
    out = []
    for r in responses:
        parts = r.split(b" ", 3)
        if parts[0] == b"*" and (parts[1:2] == [word] or parts[2:3] == [word]):
            out.append(r)
    return out
