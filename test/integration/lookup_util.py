"""lookup_util - what authd_userdb and mapd_lookup share (not a test).

Both run a client from test/helpers (userdb_lookup, map_lookup) against one
private service of a started instance, the way a worker reaches it: as root
the client chroots to the queue directory, drops to mail_owner and opens
/private/SERVICE; otherwise the chroot part is skipped and it opens the
socket's full path. Both also send the service hand-made frames, encoded as
lib/ipc/ipc_codec.h describes, and look at the raw reply.
"""
import os
import select
import socket
import struct
import subprocess

from posthorn_test import BUILDDIR, is_root, wait_for


class HelperClient:
    """Where and how the helper `program` (in BUILDDIR/test/helpers)
    reaches the private service `service` of inst: chrooted as root, else
    not. Subclasses put their arguments after the chroot options."""

    def __init__(self, inst, program, service):
        self.program = os.path.join(BUILDDIR, "test", "helpers", program)
        if is_root():
            self.prefix = ["-r", inst.queue_dir, "-u", inst.mail_owner]
            self.socket = f"/private/{service}"
        else:
            self.prefix = []
            self.socket = os.path.join(inst.queue_dir, "private", service)

    def command(self, *args):
        return [self.program, *self.prefix, *args]

    def run(self, *args):
        """Runs the helper once; returns (exit status, stdout lines, stderr)."""
        r = subprocess.run(self.command(*args), capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout.splitlines(), r.stderr

    def popen(self, *args):
        """The helper reading questions from stdin: one connection for all."""
        return subprocess.Popen(self.command(*args), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                bufsize=1)


def require_helper(program):
    """Raises when `make check` has not built test/helpers/PROGRAM yet."""
    path = os.path.join(BUILDDIR, "test", "helpers", program)
    if not os.path.exists(path):
        raise AssertionError(f"{path} is missing: run `make check` (or make "
                             f"test/helpers/{program}) first")


def start_service(inst, client):
    """Starts master (master.conf already names the service) and waits for
    the service's socket; says where the client runs. Returns the socket's
    path outside the chroot."""
    inst.start()
    name = os.path.basename(client.socket)
    path = os.path.join(inst.queue_dir, "private", name)
    wait_for(lambda: os.path.exists(path), 5, what=path)
    if is_root():
        print(f"client: chrooted to {inst.queue_dir} as {inst.mail_owner}, "
              f"socket {client.socket}")
    else:
        print("note: the chroot part is skipped because it needs root; the client "
              f"runs unchrooted as uid {os.geteuid()} at {client.socket}")
    return path


def ask(proc, question, timeout=15):
    """Writes one line to a helper started with popen(); returns its one-line answer."""
    proc.stdin.write(question + "\n")
    proc.stdin.flush()
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        name = os.path.basename(proc.args[0])
        raise AssertionError(f"{name} gave no answer for {question!r} in {timeout} s")
    return proc.stdout.readline().rstrip("\n")


# --- raw frames -------------------------------------------------------------------

def varint(n):
    out = b""
    while n >= 0x80:
        out += bytes([n & 0x7f | 0x80])
        n >>= 7
    return out + bytes([n])


def frame(msg_type, strings, version=1):
    """A frame of type msg_type whose body holds the string fields
    {name: bytes}, in that order."""
    body = b"".join(varint(len(name)) + name.encode() + b"\x05" + varint(len(value)) + value
                    for name, value in strings.items())
    return struct.pack("!III", len(body), msg_type, version) + body


def frames_in(data):
    """The whole frames at the start of data, as (type, body), and the rest."""
    out = []
    while len(data) >= 12:
        length, msg_type, _ = struct.unpack("!III", data[:12])
        if len(data) < 12 + length:
            break
        out.append((msg_type, data[12:12 + length]))
        data = data[12 + length:]
    return out, data


def raw_exchange(path, data, want_frames=None):
    """Sends raw bytes to the service at path; returns what comes back
    (until EOF, or until want_frames whole frames arrived)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(path)
        s.sendall(data)
        got = b""
        while True:
            if want_frames is not None and len(frames_in(got)[0]) >= want_frames:
                return got
            chunk = s.recv(4096)
            if not chunk:
                return got
            got += chunk
