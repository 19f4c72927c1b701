"""dns_util - a private authoritative DNS server (NSD) for integration tests.

    from dns_util import Nsd
    zones = {"example.test": "@ MX 10 mx1\\nmx1 A 127.0.0.2\\n"}
    with Nsd(zones, broken=["servfail.test"]) as dns:
        conf["dns_servers"] = dns.server        # "127.0.0.1:PORT"
        dns.query("example.test", "MX")         # (rcode, answer count)

Each zone's text gets an SOA and NS record and $ORIGIN/$TTL lines; names
in it are relative to the zone. A zone listed in `signed` is signed with
ldnsutils (a key-signing key made by ldns-keygen, NSEC by ldns-signzone);
dns.anchors holds its DNSKEY record (write it to a file for
dns_trust_anchor_file). `tamper` maps a signed zone to (old, new): the
text is replaced after signing, so its signature no longer matches (a
bogus answer). A zone listed in `broken` has no zone file,
so NSD answers SERVFAIL for it (a failing authoritative server). Names
outside every zone draw REFUSED. NSD runs in the foreground on 127.0.0.1
on a free port, as the current user, and is killed on exit.

Debian package: nsd (`apt-get install nsd`; with /usr/sbin/policy-rc.d
exiting 101 its system service does not start). Without it the tests that
need it exit 77 (skipped) and say why.
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

from posthorn_test import SKIP, stop_group, wait_for

NSD = shutil.which("nsd") or "/usr/sbin/nsd"


def require_nsd():
    if not os.path.exists(NSD):
        print("SKIP: nsd is not installed (apt-get install nsd)")
        sys.exit(SKIP)


def free_udp_tcp_port(host="127.0.0.1"):
    """A port free for both TCP and UDP on host."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind((host, 0))
            port = t.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    u.bind((host, port))
                return port
            except OSError:
                continue
    raise AssertionError("no free port for the DNS server")


class SilentDns:
    """A DNS server that never answers: a UDP port on 127.0.0.1 that reads
    nothing (and no TCP listener). .server is its "127.0.0.1:PORT"."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = f"127.0.0.1:{self.port}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()
        return False


class Nsd:
    def __init__(self, zones, broken=(), signed=(), tamper=None, port=None):
        require_nsd()
        if signed and not shutil.which("ldns-signzone"):
            print("SKIP: ldnsutils is not installed (apt-get install ldnsutils)")
            sys.exit(SKIP)
        self.anchors = []
        self.dir = tempfile.mkdtemp(prefix="ph-nsd-")
        self.port = port or free_udp_tcp_port()
        self.server = f"127.0.0.1:{self.port}"
        self.proc = None
        conf = [
            "server:",
            f"  ip-address: 127.0.0.1@{self.port}",
            '  username: ""',
            '  chroot: ""',
            f'  zonesdir: "{self.dir}"',
            f'  pidfile: "{self.dir}/nsd.pid"',
            '  database: ""',
            f'  xfrdfile: "{self.dir}/xfrd.state"',
            f'  zonelistfile: "{self.dir}/zone.list"',
            f'  logfile: "{self.dir}/nsd.log"',
            "  server-count: 1",
            "  verbosity: 1",
            "remote-control:",
            "  control-enable: no",
        ]
        for name, text in zones.items():
            with open(os.path.join(self.dir, name + ".zone"), "w") as f:
                f.write(f"$ORIGIN {name}.\n$TTL 60\n"
                        f"@ IN SOA ns.{name}. hostmaster.{name}. 1 3600 600 86400 60\n"
                        f"@ IN NS ns.{name}.\nns IN A 127.0.0.1\n" + text + "\n")
            zonefile = f"{name}.zone"
            if name in signed:
                zonefile = self._sign(name, (tamper or {}).get(name))
            conf += ["zone:", f'  name: "{name}"', f'  zonefile: "{zonefile}"']
        for name in broken:
            conf += ["zone:", f'  name: "{name}"', f'  zonefile: "{name}.missing"']
        self.conf_path = os.path.join(self.dir, "nsd.conf")
        with open(self.conf_path, "w") as f:
            f.write("\n".join(conf) + "\n")
        self.first_zone = next(iter(zones))

    def _sign(self, name, tamper):
        """Signs NAME.zone into NAME.zone.signed; keeps its DNSKEY as an anchor."""
        key = subprocess.run(["ldns-keygen", "-k", "-a", "ECDSAP256SHA256", name], cwd=self.dir,
                             capture_output=True, text=True, check=True).stdout.strip()
        subprocess.run(["ldns-signzone", f"{name}.zone", key], cwd=self.dir, capture_output=True, check=True)
        with open(os.path.join(self.dir, key + ".key")) as f:
            self.anchors.append(f.readline().split(";")[0].strip())
        path = os.path.join(self.dir, f"{name}.zone.signed")
        if tamper:
            with open(path) as f:
                text = f.read()
            if tamper[0] not in text:
                raise AssertionError(f"{tamper[0]!r} is not in the signed zone {name}")
            with open(path, "w") as f:
                f.write(text.replace(tamper[0], tamper[1]))
        return f"{name}.zone.signed"

    def write_anchors(self, path):
        """Writes the signed zones' keys as a trust anchor file."""
        with open(path, "w") as f:
            f.write("".join(a + "\n" for a in self.anchors))
        return path

    def start(self):
        check = subprocess.run([NSD_CHECKCONF(), self.conf_path], capture_output=True, text=True)
        if check.returncode != 0:
            raise AssertionError(f"nsd-checkconf: {check.stdout}{check.stderr}")
        self.proc = subprocess.Popen([NSD, "-d", "-c", self.conf_path], stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "nsd.stderr"), "w"),
                                     start_new_session=True)

        def answering():
            if self.proc.poll() is not None:
                raise AssertionError("nsd exited: " + self.log())
            try:
                return self.query(self.first_zone, "SOA", timeout=0.3)[0] == 0
            except OSError:
                return False
        wait_for(answering, 15, what="nsd to answer")
        return self

    def log(self):
        text = ""
        for name in ("nsd.log", "nsd.stderr"):
            try:
                with open(os.path.join(self.dir, name)) as f:
                    text += f.read()
            except FileNotFoundError:
                pass
        return text

    def stop(self):
        if self.proc:
            stop_group(self.proc)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if not os.environ.get("POSTHORN_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)
        return False

    TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28}

    def query(self, name, rrtype, timeout=2.0):
        """(rcode, number of answer records) for one UDP query."""
        qid = int(time.monotonic() * 1000) & 0xFFFF
        labels = b"".join(bytes([len(l)]) + l.encode() for l in name.strip(".").split(".") if l)
        packet = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + labels + b"\0" + \
            struct.pack(">HH", self.TYPES[rrtype], 1)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(packet, ("127.0.0.1", self.port))
            data = s.recv(4096)
        return data[3] & 0x0F, struct.unpack(">H", data[6:8])[0]


def NSD_CHECKCONF():
    return shutil.which("nsd-checkconf") or "/usr/sbin/nsd-checkconf"
