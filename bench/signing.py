#!/usr/bin/python3
"""signing - the DKIM signing benchmark: relaying with signing on and off,
posthorn beside Postfix with OpenDKIM as its signing milter.

Not a test (CTest never runs it). bench/relay.py's run (smtp-source ->
127.0.0.1 -> the system -> smtp-sink on 127.0.0.2, 1 and 10 sessions)
for these systems, each a fresh private instance:

  posthorn   dkim_signing_maps signs every message with one RSA 2048 key
  postfix    Debian's Postfix 3.7 with Debian's opendkim (Mode s, the same
             key, relaxed/relaxed, From over-signed) as smtpd milter; its
             CPU is counted with Postfix's
  ph-dual    posthorn signing with the RSA key and an ed25519 key (what
             posthorn-dkim(1) recommends)
  ph-plain   posthorn, no signing
  pf-plain   Postfix, no milter

smtp-source's message is From: bench-sender@example.org, the signing
domain. Before the timed runs one message of each system goes to a
recording smtp-sink and dkimpy (python3-dkim) verifies its signatures
against the published keys: a system that does not sign what it should is
not measured.

Needs root (see bench/relay.py) and Debian's opendkim and python3-dkim.

    sudo bench/signing.py --builddir BUILD [-n 2000] [--repeat 3] \\
        [--systems posthorn,postfix,ph-dual,ph-plain,pf-plain] [--json out.json]
"""
import base64
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import relay  # noqa: E402
from milters import MilterHost  # noqa: E402
import smtp_bench  # noqa: E402

smtp_bench.use_test_modules()

OPENDKIM = "/usr/sbin/opendkim"
DOMAIN = smtp_bench.SENDER.split("@")[1]


class Keys:
    """An RSA 2048 and an ed25519 key in a private directory, and their
    DNS records' data as dkimpy's dnsfunc answers them."""

    def __init__(self, workdir):
        self.dir = workdir
        self.files = {}
        self.records = {}
        for selector, algorithm, kind in (("s-rsa", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], "rsa"),
                                          ("s-ed", ["-algorithm", "ED25519"], "ed25519")):
            path = os.path.join(workdir, selector + ".key")
            subprocess.run(["openssl", "genpkey", *algorithm, "-out", path], check=True, capture_output=True)
            os.chmod(path, 0o600)
            der = subprocess.run(["openssl", "pkey", "-in", path, "-pubout", "-outform", "DER"],
                                 capture_output=True, check=True).stdout
            public = der[-32:] if kind == "ed25519" else der  # RFC 8463: the raw key
            self.files[selector] = path
            self.records[f"{selector}._domainkey.{DOMAIN}."] = \
                f"v=DKIM1; k={kind}; p={base64.b64encode(public).decode()}".encode()

    def dnsfunc(self, name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        return self.records.get(name if name.endswith(".") else name + ".")


KEYS = None  # set in main()


def posthorn_signing(selectors, name):
    class System(relay.Posthorn):
        def __init__(self, sink_port):
            super().__init__(sink_port)
            if not selectors:
                return
            keydir = os.path.join(self.inst.config_dir, "dkim", DOMAIN)
            os.makedirs(keydir, mode=0o700)
            for selector in selectors:
                shutil.copy(KEYS.files[selector], os.path.join(keydir, selector + ".key"))
            table = os.path.join(self.inst.config_dir, "dkim_signing")
            with open(table, "w") as f:
                f.write(f"{DOMAIN}  {', '.join(selectors)}\n")
            self.inst.write_conf(dkim_signing_maps=table)
    System.name = name
    return System


class PostfixOpenDkim(MilterHost, relay.Postfix):
    """relay.Postfix with opendkim signing as its smtpd milter."""
    name = "postfix"

    def __init__(self, sink_port):
        self.dir = tempfile.mkdtemp(prefix="pf-opendkim-")
        os.chmod(self.dir, 0o755)
        sockets = os.path.join(self.dir, "sockets")
        os.makedirs(sockets, mode=0o777)
        os.chmod(sockets, 0o777)
        self.socket = os.path.join(sockets, "opendkim.sock")
        super().__init__(sink_port, settings={"smtpd_milters": f"unix:{self.socket}",
                                              "milter_default_action": "tempfail"})
        key = os.path.join(self.dir, "s-rsa.key")
        shutil.copy(KEYS.files["s-rsa"], key)
        shutil.chown(key, "opendkim", "opendkim")
        self.conf = os.path.join(self.dir, "opendkim.conf")
        with open(self.conf, "w") as f:
            f.write(f"Mode s\nSyslog no\nUMask 000\nUserID opendkim\nSocket local:{self.socket}\n"
                    f"PidFile {self.dir}/opendkim.pid\nDomain {DOMAIN}\nSelector s-rsa\nKeyFile {key}\n"
                    "Canonicalization relaxed/relaxed\nOversignHeaders From\nInternalHosts 127.0.0.1\n"
                    # the key lives under /tmp, which anyone may write to
                    "RequireSafeKeys false\n")
        os.chmod(self.conf, 0o644)

    def start(self):
        self.start_milters([("opendkim", [OPENDKIM, "-f", "-x", self.conf], self.socket)])
        self.pf.start()


class PostfixPlain(relay.Postfix):
    name = "pf-plain"


def systems():
    return {"posthorn": posthorn_signing(["s-rsa"], "posthorn"),
            "postfix": PostfixOpenDkim,
            "ph-dual": posthorn_signing(["s-rsa", "s-ed"], "ph-dual"),
            "ph-plain": posthorn_signing([], "ph-plain"),
            "pf-plain": PostfixPlain}


EXPECTED = {"posthorn": ["rsa-sha256"], "postfix": ["rsa-sha256"], "ph-dual": ["rsa-sha256", "ed25519-sha256"],
            "ph-plain": [], "pf-plain": []}


def preflight(name, cls, timeout):
    """One message through the system to a recording smtp-sink; dkimpy
    must verify exactly the expected signatures."""
    from dkim_keys import dkim_signatures
    from smtp_util import Sink
    port = relay.free_port(relay.SINK_HOST)
    with Sink(relay.SINK_HOST, port, name="signing-preflight") as sink, cls(port) as system:
        subprocess.run(smtp_bench.smtp_source_args(system, 1, 1, False, 0), check=True, timeout=timeout,
                       capture_output=True)
        deadline = time.monotonic() + timeout
        while not sink.messages():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name}: the preflight message did not arrive:\n{system.log_tail()}")
            time.sleep(0.1)
        message = sink.messages()[0]
    found = []
    for tags, ok in dkim_signatures(message, KEYS.dnsfunc):
        found.append(tags["a"])
        print(f"  {name}: a={tags['a']} c={tags['c']} h={tags['h']}: {'verified' if ok else 'FAILED'}")
        if not ok:
            raise RuntimeError(f"{name}: dkimpy does not verify its {tags['a']} signature")
    if sorted(found) != sorted(EXPECTED[name]):
        raise RuntimeError(f"{name}: signatures {found}, expected {EXPECTED[name]}")
    if not found:
        print(f"  {name}: not signed, as it should be")


def main(argv=None):
    global KEYS
    table = systems()
    args = relay.parse_args(argv if argv is not None else sys.argv[1:], table,
                            "DKIM signing benchmark: posthorn vs Postfix+OpenDKIM relaying "
                            "to smtp-sink over loopback (needs root).")
    relay.check_environment(args)
    if not os.access(OPENDKIM, os.X_OK) and "postfix" in args.systems:
        sys.exit(f"{OPENDKIM} not found: apt-get install opendkim")
    info = smtp_bench.prepare(args)
    workdir = tempfile.mkdtemp(prefix="bench-signing-")
    try:
        KEYS = Keys(workdir)
        print(f"signing benchmark: {args.messages} messages per run, smtp-source -> 127.0.0.1 -> "
              f"smtp-sink on {relay.SINK_HOST}, {info['cpus']} CPUs, load average "
              f"{info['loadavg_start']}, Postfix {info['postfix_version']}; one message each, verified:")
        for name in args.systems:
            preflight(name, table[name], args.timeout)
        failed = relay.run_and_report(args, info, table)
        print("posthorn and postfix sign with the same RSA 2048 key; ph-dual adds ed25519; "
              "ph-plain and pf-plain do not sign.")
        return 1 if failed else 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    smtp_bench.run_main(main)
