"""smtpd_util - shared by the smtpd_* integration tests (not a test).

An instance whose master runs the inbound services as Postfix runs them:

    PORT          inet n - y - - smtpd          (chrooted, as mail_owner)
    cleanup       unix n - y - 0 cleanup        (public/cleanup)
    mapd          unix - - n - - mapd
    authd-userdb  unix - n n - - authd

with mydestination = localhost.localdomain, localhost (system users, e.g.
root), virtual.example (a user in the passwd file), aliases (postmaster,
sales), mynetworks = 127.0.0.1/32, and a raw SMTP client that reads whole
replies. Queue files are read back with cleanup_util.dump (queue_dump).
"""
import os
import socket
import ssl
import subprocess

from posthorn_test import Instance, wait_for
import cleanup_util

HOST = "localhost.localdomain"  # the harness's myhostname
VIRTUAL_USER = "vuser@virtual.example"

BASE_CONF = {
    "mydestination": "localhost.localdomain, localhost",
    "virtual_mailbox_domains": "virtual.example",
    "mynetworks": "127.0.0.1/32",
    "smtpd_peername_lookup": "no",
    "message_size_limit": "200000",
    "smtpd_recipient_limit": "5",
}


def services(port, extra=""):
    return (f"{port} inet n - y - - smtpd\n"
            "cleanup unix n - y - 0 cleanup\n"
            "mapd unix - - n - - mapd\n"
            "authd-userdb unix - n n - - authd\n" + extra)


def make_instance(name, **conf):
    """An Instance with the inbound services on a free port; returns
    (instance, port). Call inst.start() yourself (after more config)."""
    settings = dict(BASE_CONF)
    settings.update(conf)
    inst = Instance(name, conf=settings)
    settings_dir = inst.config_dir
    settings_update = {"auth_passwd_file": os.path.join(settings_dir, "passwd")}
    inst.write_conf(**settings_update)
    with open(os.path.join(settings_dir, "passwd"), "w") as f:
        f.write(f"{VIRTUAL_USER}:{{PLAIN}}secret:5000:5000::/nonexistent/vuser::\n")
    aliases = os.path.join(settings_dir, "aliases")
    with open(aliases, "w") as f:
        f.write("postmaster: root\nsales: root\n")
    inst.posthorn_ok("map", "-a", "hash:" + aliases)
    port = inst.free_port()
    inst.write_master_conf(services(port))
    return inst, port


def wait_ready(inst, port):
    wait_for(lambda: inst.first_line(port), 10, what=f"smtpd's greeting on port {port}")


def deliver(port, sender, recipient, subject, source=None):
    """MAIL, RCPT and, when RCPT is accepted, a short message; returns the
    last reply ("250 2.0.0 Ok: queued as ID" or RCPT's refusal)."""
    with Client(port, source=source) as c:
        c.send("EHLO client.example\r\n")
        c.reply()
        c.cmd(f"MAIL FROM:<{sender}>")
        r = c.cmd(f"RCPT TO:<{recipient}>")
        if not r.startswith("250"):
            return r
        c.cmd("DATA")
        return c.cmd(f"Subject: {subject}\r\n\r\nbody\r\n.")

def incoming(inst):
    return [n for n in cleanup_util.incoming(inst) if not n.startswith(".")]


def incoming_all(inst):
    """Everything in incoming/, temporary files included."""
    return cleanup_util.incoming(inst)


def dump(inst, queue_id):
    return cleanup_util.dump(os.path.join(inst.queue_dir, "incoming", queue_id))


class Client:
    """A raw SMTP client: send bytes, read whole replies."""

    def __init__(self, port, host="127.0.0.1", source=None, timeout=15):
        self.sock = socket.create_connection(
            (host, port), timeout=timeout,
            source_address=(source, 0) if source else None)
        self.buf = b""
        self.greeting = self.reply()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f"connection closed; pending {self.buf!r}")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r").decode(errors="replace")

    def reply(self):
        """One reply: (code, [text lines]); the last line's text last."""
        lines = []
        while True:
            line = self._line()
            lines.append(line[4:])
            if len(line) < 4 or line[3] != "-":
                return int(line[:3]), lines

    def line(self):
        """The last line of one reply, as sent: "250 2.1.0 Ok"."""
        code, lines = self.reply()
        return f"{code} {lines[-1]}"

    def cmd(self, command):
        self.send(command + "\r\n")
        return self.line()

    def closed_by_peer(self, timeout=10):
        """True when the server closes the connection (nothing more to read)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
                self.buf += data
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def starttls(self, cafile, server_hostname=HOST):
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.sock = ctx.wrap_socket(self.sock, server_hostname=server_hostname)
        self.buf = b""
        return self.sock


def send_message(port, source, sender, content, recipient=VIRTUAL_USER):
    """One message over a new connection from the loopback address
    `source` (EHLO client-SOURCE); every step before the content must
    succeed. Returns the reply to the final dot."""
    from posthorn_test import expect
    with Client(port, source=source) as c:
        for command in (f"EHLO client-{source}", f"MAIL FROM:<{sender}>", f"RCPT TO:<{recipient}>", "DATA"):
            reply = c.cmd(command)
            expect(reply[0] in "23", f"{command} from {source}: {reply}")
        c.send(content.replace(b"\r\n.", b"\r\n..") + b".\r\n")
        return c.line()


def swaks_available():
    return subprocess.run(["sh", "-c", "command -v swaks"], capture_output=True).returncode == 0
