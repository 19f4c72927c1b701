"""imap_client - a small raw-socket IMAP client for bench/imap_bench.py.

Reads in chunks of up to 1 MiB and splits what came into lines at once, skipping
literals by their announced size without copying them, so the client is
not what limits a FETCH of 20,000 envelopes or of hundreds of MB of
bodies. A response is kept as its lines joined with the literals left
out (`{N}` stays in the text); only their octets are counted.
"""
import socket
import time


class ImapError(Exception):
    pass


class Response:
    def __init__(self):
        self.untagged = []       # each untagged response, literals left out
        self.status = b""        # the tagged line
        self.literal_octets = 0  # sum of the literals' sizes
        self.octets = 0          # everything received for the command
        self.fetches = 0         # FETCH responses counted without keeping them (keep=False)

    def ok(self):
        return self.status.split(b" ", 2)[1:2] == [b"OK"]

    def count(self, word):
        """Untagged responses `* N WORD ...` (FETCH, EXISTS, ...)."""
        if word == b"FETCH" and self.fetches:
            return self.fetches
        return sum(1 for r in self.untagged if r.split(b" ", 3)[2:3] == [word])


class ImapConnection:
    def __init__(self, port, host="127.0.0.1", timeout=300):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.pos = 0
        self.serial = 0
        self.greeting = self.read_line()

    # --- reading ---------------------------------------------------------------

    def _more(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ImapError("connection closed by the server")
        self.buf = self.buf[self.pos:] + chunk if self.pos < len(self.buf) else chunk
        self.pos = 0
        return len(chunk)

    def has_line(self):
        return self.buf.find(b"\r\n", self.pos) >= 0

    def recv_more(self):
        """Reads what the socket has (blocks until something comes)."""
        return self._more()

    def read_line(self):
        """One line without its CRLF (literals not handled: greeting, IDLE)."""
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                line = self.buf[self.pos:end]
                self.pos = end + 2
                return line
            self._more()

    @staticmethod
    def _literal(line):
        """N when the line ends in a literal announcement {N} (or {N+}), else None."""
        if not line.endswith(b"}"):
            return None
        digits = line[line.rfind(b"{") + 1:-1].rstrip(b"+")
        return int(digits) if digits.isdigit() else None

    def _skip(self, size, resp):
        while len(self.buf) - self.pos < size:
            size -= len(self.buf) - self.pos
            self.buf, self.pos = b"", 0
            resp.octets += self._more()
        self.pos += size

    def read_until(self, prefix, resp, keep=True):
        """Reads responses until a line starting with prefix (the tagged
        line); returns that line. Complete lines are taken in batches that
        end at the first literal announcement ("}" CRLF): with keep, split
        into lines at once (C speed); without, only counted (`* N FETCH (`
        with bytes.count, no line objects made; a few kept as samples)."""
        cont = False
        while True:
            last = self.buf.rfind(b"\r\n", self.pos)
            if last < 0:
                resp.octets += self._more()
                continue
            brace = self.buf.find(b"}\r\n", self.pos, last + 2)
            stop = brace + 1 if brace >= 0 else last  # a CRLF ends the batch
            start = self.pos
            if cont:  # the rest of a line after a literal
                eol = self.buf.find(b"\r\n", start)
                if keep:
                    resp.untagged[-1] += self.buf[start:eol]
                start = eol + 2
                cont = False
            if start <= stop:
                tagged = self._find_line(prefix, start, stop)
                upto = tagged if tagged >= 0 else stop
                if keep:
                    if upto > start:
                        end = upto - 2 if tagged >= 0 else upto
                        resp.untagged += self.buf[start:end].split(b"\r\n")
                else:
                    resp.fetches += self.buf.count(b" FETCH (", start, upto)
                    while len(resp.untagged) < 3 and start < upto:
                        eol = self.buf.find(b"\r\n", start)
                        resp.untagged.append(self.buf[start:eol])
                        start = eol + 2
                if tagged >= 0:
                    eol = self.buf.find(b"\r\n", tagged)
                    self.pos = eol + 2
                    return self.buf[tagged:eol]
            self.pos = stop + 2
            if brace >= 0:
                begin = self.buf.rfind(b"\r\n", 0, stop)
                literal = self._literal(self.buf[0 if begin < 0 else begin + 2:stop])
                if literal is not None:
                    cont = True
                    resp.literal_octets += literal
                    self._skip(literal, resp)

    def _find_line(self, prefix, start, stop):
        """Where a line starting with prefix begins in buf[start:stop], or -1."""
        if self.buf.startswith(prefix, start) and start <= stop:
            return start
        at = self.buf.find(b"\r\n" + prefix, start, stop)
        return at + 2 if at >= 0 else -1

    # --- commands --------------------------------------------------------------

    def send(self, text):
        self.sock.sendall(text.encode() if isinstance(text, str) else text)

    def command(self, text, check=True, keep=True):
        """Sends `TAG text`, reads to the tagged line; returns a Response
        (keep=False: FETCH responses counted, not kept, see read_until)."""
        self.serial += 1
        tag = b"b%d" % self.serial
        self.send(tag + b" " + text.encode() + b"\r\n")
        resp = Response()
        resp.status = self.read_until(tag + b" ", resp, keep)
        if check and not resp.ok():
            raise ImapError(f"{text.split()[0]}: {resp.status.decode(errors='replace')}")
        return resp

    def login(self, user, password):
        quote = lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return self.command(f"LOGIN {quote(user)} {quote(password)}")

    def timed(self, text, keep=True):
        """(seconds, client CPU seconds, Response) of one command."""
        c0, t0 = time.process_time(), time.perf_counter()
        resp = self.command(text, keep=keep)
        return time.perf_counter() - t0, time.process_time() - c0, resp

    def logout(self):
        """LOGOUT, then waits for the server to close the connection."""
        try:
            self.command("LOGOUT", check=False)
            self.sock.settimeout(10)
            while self.sock.recv(65536):
                pass
        except (OSError, ImapError):
            pass
        self.sock.close()

    def close(self):
        self.sock.close()


def search_hits(resp):
    """The numbers of the `* SEARCH` responses."""
    hits = []
    for r in resp.untagged:
        if r.startswith(b"* SEARCH"):
            hits += [int(x) for x in r[8:].split()]
    return hits
