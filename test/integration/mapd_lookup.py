"""mapd serves tables to chrooted workers, and sees rebuilt tables.

master runs mapd as `mapd unix - - n - - mapd`. A client (test/helpers/
map_lookup, which uses lib/map_client) looks keys up through it; as root the
client first chroots to the queue directory and drops to mail_owner, like a
real worker, and reaches mapd at /private/mapd. Asserted:
- a key is found (case-insensitively), a missing key is NOTFOUND;
- over one connection, after `posthorn map` rebuilds the table, the next
  lookup returns the new value, served by the same mapd process;
- a table not in proxy_read_maps is refused and the refusal logged;
- a listed table whose .db is missing is a temporary failure, not a miss;
- a malformed request drops that connection only; mapd keeps serving;
- when mapd exits under a connected client, the client reconnects once;
- master stops with a client still connected to mapd.
"""
import os
import pwd
import signal
import socket
import struct
import subprocess
import threading
import time

from posthorn_test import passed, Instance, expect, is_root, pid_alive, proc_status, wait_for
from lookup_util import (HelperClient, ask, frame, frames_in, raw_exchange, require_helper,
                         start_service)


class Client(HelperClient):
    """map_lookup: reaches mapd like a worker."""

    def __init__(self, inst):
        super().__init__(inst, "map_lookup", "mapd")

    def argv(self, table, *keys):
        return self.command(self.socket, table, *keys)

    def lookup(self, table, *keys):
        """Runs map_lookup once; returns (exit status, stdout lines, stderr)."""
        return self.run(self.socket, table, *keys)

    def session(self, table):
        """A map_lookup that reads keys from stdin: one connection for all."""
        return Session(self.popen(self.socket, table))


class Session:
    def __init__(self, proc):
        self.proc = proc

    def ask(self, key, timeout=15):
        return ask(self.proc, key, timeout)

    def close(self):
        """Ends the session; returns (exit status, connections opened)."""
        self.proc.stdin.close()
        err = self.proc.stderr.read()
        status = self.proc.wait(15)
        self.proc.stdout.close()
        self.proc.stderr.close()
        connections = None
        for line in err.splitlines():
            if line.startswith("connections="):
                connections = int(line.split("=", 1)[1])
        return status, connections, err


def write_table(path, entries, separator=" "):
    """The text source: "key value" lines (postmap format), or "key: value"
    (aliases format) with separator=": "."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("# test table\n")
        for key, value in entries.items():
            f.write(f"{key}{separator}{value}\n")
    os.rename(tmp, path)


def build_table(inst, path, *flags):
    r = inst.posthorn("map", *flags, "hash:" + path)
    if r.returncode != 0:
        raise AssertionError(f"posthorn map hash:{path} failed ({r.returncode}):\n"
                             f"{r.stdout}{r.stderr}")


def request_frame(table, key):
    """A MapLookupRequest v1 frame (type 10)."""
    return frame(10, {"table": table.encode(), "key": key.encode()})


def pipelined(path, table, keys):
    """Sends every request before reading any reply (a client that does not
    keep up); returns the reply frames' (type, body) in order."""
    data = b"".join(request_frame(table, key) for key in keys)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(path)
        sender = threading.Thread(target=s.sendall, args=(data,))
        sender.start()
        time.sleep(0.3)  # let mapd fill its output and pause this client
        replies, buf = [], b""
        while len(replies) < len(keys):
            chunk = s.recv(65536)
            if not chunk:
                break
            got, buf = frames_in(buf + chunk)
            replies += got
        sender.join(30)
        return replies


def main():
    require_helper("map_lookup")
    with Instance("mapd_lookup") as inst:
        etc = inst.config_dir
        aliases = os.path.join(etc, "aliases")
        access = os.path.join(etc, "access")
        missing = os.path.join(etc, "missing")
        # proxy_read_maps keeps its default, which names $alias_maps; the
        # missing table is listed too, but never built.
        inst.write_conf(alias_maps=f"hash:{aliases}",
                        transport_maps=f"hash:{missing}")
        write_table(aliases, {"postmaster": "root", "Alice": "alice@old.example"}, ": ")
        write_table(access, {"192.0.2.1": "REJECT"})
        build_table(inst, aliases, "-a")
        build_table(inst, access)
        inst.write_master_conf("mapd unix - - n - - mapd")
        client = Client(inst)
        socket_path = start_service(inst, client)

        table = f"hash:{aliases}"
        status, lines, err = client.lookup(table, "postmaster", "ALICE", "nobody-here")
        expect(status == 0, f"map_lookup exits 0 ({err.strip()})")
        expect(lines[0] == "root", f"postmaster -> {lines[0]!r}")
        expect(lines[1] == "alice@old.example", f"ALICE (any case) -> {lines[1]!r}")
        expect(lines[2] == "NOTFOUND", f"a key that is not there -> {lines[2]!r}")

        # One connection across a rebuild: the same mapd process answers.
        session = client.session(table)
        expect(session.ask("alice") == "alice@old.example", "the session sees the old value")
        before = inst.workers_named("mapd")
        expect(len(before) == 1, f"one mapd process serves it: {before}")
        if is_root():
            owner = pwd.getpwnam(inst.mail_owner)
            uids = proc_status(before[0])["Uid"].split()
            expect(os.readlink(f"/proc/{before[0]}/root") == "/"
                   and uids == [str(owner.pw_uid)] * 4,
                   f"mapd is not chrooted and runs as mail_owner (uids {uids})")
        write_table(aliases, {"postmaster": "root", "alice": "alice@new.example",
                              "bob": "bob@example.com"}, ": ")
        build_table(inst, aliases, "-a")
        answer = session.ask("alice")
        expect(answer == "alice@new.example", f"after `posthorn map`, alice -> {answer!r}")
        expect(session.ask("Bob") == "bob@example.com", "a key added by the rebuild is found")
        expect(inst.workers_named("mapd") == before, f"by the same mapd process {before}")

        # Many clients at once, each over its own connection.
        procs = [subprocess.Popen(client.argv(table, "alice", "postmaster", "nobody-here"),
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                 for _ in range(20)]
        outputs = [p.communicate(timeout=30)[0].splitlines() for p in procs]
        expect(all(o == ["alice@new.example", "root", "NOTFOUND"] for o in outputs)
               and all(p.returncode == 0 for p in procs),
               "20 concurrent clients all get the right answers")

        # A client that sends 20,000 requests (about 1 MB of replies) before
        # reading: paused, not dropped, and every reply arrives in order.
        keys = ["alice" if i % 2 else "postmaster" for i in range(20000)]
        replies = pipelined(socket_path, table, keys)
        found = b"\x06status\x04\x00"  # status: Found (enum 0)
        expect(len(replies) == len(keys) and all(t == 11 and body.startswith(found)
                                            for t, body in replies)
               and replies[1][1].endswith(b"alice@new.example")
               and replies[-2][1].endswith(b"root"),
               f"20,000 pipelined requests get 20,000 replies in order ({len(replies)})")

        # Refused: a real table that proxy_read_maps does not list.
        offset = inst.log_size()
        status, lines, _ = client.lookup(f"hash:{access}", "192.0.2.1")
        expect(status == 1 and lines and lines[0].startswith("ERROR refused:")
               and "not listed in proxy_read_maps" in lines[0],
               f"a table not in proxy_read_maps is refused: {lines}")
        inst.wait_for_log(rf"mapd\[\d+\]: warning: table hash:{access} is not listed in "
                          r"proxy_read_maps", 5, offset)
        passed("and the refusal is logged")

        # Listed but not built: a temporary failure, never a miss.
        status, lines, _ = client.lookup(f"hash:{missing}", "x")
        expect(status == 1 and lines and lines[0].startswith("ERROR tempfail:"),
               f"a listed table that cannot be opened is a temporary failure: {lines}")

        # Malformed requests drop that connection only.
        offset = inst.log_size()
        garbage = struct.pack("!III", 5, 99, 1) + b"hello"
        expect(raw_exchange(socket_path, garbage) == b"",
               "a frame of an unknown type: mapd closes the connection")
        bad_body = struct.pack("!III", 3, 10, 1) + b"\xff\xff\xff"
        expect(raw_exchange(socket_path, bad_body) == b"",
               "a lookup request with an undecodable body: closed too")
        inst.wait_for_log(r"mapd\[\d+\]: warning: malformed request", 5, offset)
        passed("the malformed requests are logged")
        expect(session.ask("postmaster") == "root", "the open session still works")
        expect(inst.workers_named("mapd") == before, "mapd did not crash or restart")

        # mapd goes away under a connected client: the client reconnects once.
        os.kill(before[0], signal.SIGTERM)
        wait_for(lambda: not pid_alive(before[0]), 5, what="mapd to exit on SIGTERM")
        answer = session.ask("alice")
        expect(answer == "alice@new.example",
               f"after mapd exited, the next lookup reconnects: {answer!r}")
        after = inst.workers_named("mapd")
        expect(len(after) == 1 and after != before, f"served by a new mapd {after}")
        status, connections, err = session.close()
        expect(status == 0 and connections == 2,
               f"the session used 2 connections in all ({err.strip()})")

        # master stops promptly although a client is still connected to mapd.
        idle = client.session(table)
        expect(idle.ask("postmaster") == "root", "a client holds a connection to mapd")
        started = time.monotonic()
        expect(inst.stop() == 0, "master exits 0 on SIGTERM")
        wait_for(lambda: not inst.processes(), 5, what="every process of the instance to exit")
        expect(time.monotonic() - started < 5, "within 5 s, mapd included")
        idle.close()


if __name__ == "__main__":
    main()
