#!/usr/bin/env python3
"""mailauth - the inbound benchmark with sender authentication on both sides:
posthorn with its own checks against Postfix with the companions Debian
administrators add for the same job.

Not a test (CTest never runs it). Same measurements, cells and table as
bench/inbound.py (accepted/s, delivered/s into a Maildir, CPU per message,
smtp-source over loopback, 1 and 10 sessions), but every system gets the
same DKIM-signed message (smtp-source -F), from a sender whose domain
publishes SPF (127.0.0.1 passes), a DKIM key and DMARC p=reject, and every
message is checked:

  posthorn   smtpd_mailauth_checks = yes for every client (iprev, SPF,
             DKIM, DMARC, the Authentication-Results field, the DMARC
             history), resolving through libunbound
  postfix    Debian's Postfix with opendkim (verifying) and opendmarc as
             milters, postfix-policyd-spf-python as policy service (spawned
             by master) and smtpd_peername_lookup = yes
  ph-plain   posthorn without the checks (for the cost of the checks)
  pf-plain   Postfix without companions

The companions only ask the DNS through /etc/resolv.conf on port 53. So the
whole benchmark runs in its own network and mount namespaces (unshare): a
private loopback, NSD serving the test zones on 127.0.0.1:53, and a
resolv.conf naming it bind-mounted over /etc/resolv.conf for this process
tree only. posthorn asks the same NSD the same way (no dns_servers).
Before the timed runs one message goes through each system and the
result fields it arrives with are printed and checked (all pass).

Needs root, unshare(1), NSD, python3-dkim, and Debian's opendkim,
opendmarc and postfix-policyd-spf-python packages (their system services
are not used):

    sudo bench/mailauth.py --builddir /path/to/build [-n 1000] [--repeat 3]
"""
import argparse
import contextlib
import glob
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_bench  # noqa: E402
from milters import MilterHost  # noqa: E402

NETNS_FLAG = "POSTHORN_BENCH_NETNS"
AUTHSERV_ID = "bench.localdomain"
SELECTOR = "s1"
COMPANIONS = {"opendkim": "/usr/sbin/opendkim", "opendmarc": "/usr/sbin/opendmarc",
              "policyd-spf": "/usr/bin/policyd-spf"}


# --- the private network and DNS ------------------------------------------------

def enter_namespaces():
    """Re-executes this script under unshare --mount --net once."""
    if os.environ.get(NETNS_FLAG) == "1":
        return
    if os.geteuid() != 0:
        sys.exit("bench/mailauth.py needs root (namespaces, Postfix's master, uid 5000). Run it with sudo.")
    env = dict(os.environ, **{NETNS_FLAG: "1"})
    # Debian's python3: python3-dkim is installed for it.
    python = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
    os.execvpe("unshare", ["unshare", "--mount", "--net", "--", python,
                           os.path.abspath(__file__)] + sys.argv[1:], env)


def private_resolver(workdir):
    """Loopback up; /etc/resolv.conf -> 127.0.0.1 for this namespace."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    path = os.path.join(workdir, "resolv.conf")
    with open(path, "w") as f:
        f.write("nameserver 127.0.0.1\noptions timeout:2 attempts:1\n")
    os.chmod(path, 0o644)
    subprocess.run(["mount", "--bind", path, "/etc/resolv.conf"], check=True)


def sender_domain():
    return smtp_bench.SENDER.split("@")[1]


def zones(public_key):
    from dkim_keys import key_record
    domain = sender_domain()
    return {
        domain: ('@ TXT "v=spf1 ip4:127.0.0.1 -all"\n'
                 '_dmarc TXT "v=DMARC1; p=reject"\n'
                 "client A 127.0.0.1\n" + key_record(SELECTOR, public_key)),
        "127.in-addr.arpa": f"1.0.0 PTR client.{domain}.\n",
    }


def signed_message(workdir, key, size):
    """A DKIM-signed message file for smtp-source -F (LF line ends: it
    sends each line with CRLF)."""
    import dkim
    domain = sender_domain()
    line = "The quick brown fox jumps over the lazy dog, and checks the sender. 0123456789\r\n"
    body = line * max(1, size // len(line))
    text = (f"From: Bench Sender <{smtp_bench.SENDER}>\r\nTo: <bench@bench.example>\r\n"
            f"Subject: sender authentication benchmark\r\n"
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n"
            f"Message-ID: <mailauth-bench@{domain}>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=us-ascii\r\n\r\n{body}").encode()
    signature = dkim.sign(text, SELECTOR.encode(), domain.encode(), key,
                          include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    path = os.path.join(workdir, "message.eml")
    with open(path, "wb") as f:
        f.write((signature + text).replace(b"\r\n", b"\n"))
    os.chmod(path, 0o644)
    return path


# --- the systems -------------------------------------------------------------------

def posthorn_system(conf, name):
    import inbound

    class System(inbound.Posthorn):
        pass
    System.name = name

    def make():
        return System(conf=conf)
    return make


CHECKS_CONF = {"smtpd_mailauth_checks": "yes", "smtpd_mailauth_ignore_hosts": "",
               "smtpd_peername_lookup": "yes", "dns_trust_anchor_file": "", "dns_timeout": "2s",
               "myhostname": AUTHSERV_ID}


class PostfixCompanions(MilterHost, smtp_bench.PostfixSystem):
    """inbound.Postfix plus opendkim and opendmarc (milters, unix sockets,
    started with MAIL_CONFIG in their environment so that their CPU time is
    counted with Postfix's) and policyd-spf (spawn(8))."""
    name = "postfix"

    def __init__(self):
        from postfix_instance import MASTER_CF
        self.dir = tempfile.mkdtemp(prefix="pf-companions-")
        os.chmod(self.dir, 0o755)
        sock = os.path.join(self.dir, "sockets")
        os.makedirs(sock, mode=0o777)
        os.chmod(sock, 0o777)
        self.sockets = {"opendkim": os.path.join(sock, "opendkim.sock"),
                        "opendmarc": os.path.join(sock, "opendmarc.sock")}
        settings = {
            "myhostname": AUTHSERV_ID,
            "mynetworks": "192.0.2.0/24",  # 127.0.0.1 is an outside client here
            "smtpd_peername_lookup": "yes",
            "smtpd_recipient_restrictions":
                "reject_unauth_destination, check_policy_service unix:private/policyd-spf",
            "policyd-spf_time_limit": "3600",
            "smtpd_milters": f"unix:{self.sockets['opendkim']}, unix:{self.sockets['opendmarc']}",
            "milter_default_action": "tempfail",
        }
        from postfix_instance import PostfixInstance
        import inbound as ib
        self.pf = PostfixInstance(uid=ib.MAILBOX_UID, gid=ib.MAILBOX_GID, settings=settings)
        spf_conf = os.path.join(self.dir, "policyd-spf.conf")
        with open(spf_conf, "w") as f:
            f.write("debugLevel = 0\nTestOnly = 1\nHELO_reject = Fail\nMail_From_reject = Fail\n"
                    "PermError_reject = False\nTempError_Defer = False\n"
                    "skip_addresses = 192.0.2.0/24\n")
        os.chmod(spf_conf, 0o644)
        self.pf._write("master.cf", MASTER_CF.format(port=self.pf.port) +
                       "policyd-spf unix - n n - 0 spawn\n"
                       f"  user=nobody argv={COMPANIONS['policyd-spf']} {spf_conf}\n")
        self.recipient = self.pf.recipient
        self.port = self.pf.port
        self.maildir_new = self.pf.maildir_new
        hosts = os.path.join(self.dir, "internal.hosts")
        with open(hosts, "w") as f:
            f.write("192.0.2.1\n")  # nobody: every client is verified
        self.confs = {
            "opendkim": ("Mode v\nSyslog no\nUMask 000\nUserID opendkim\n"
                         f"Socket local:{self.sockets['opendkim']}\nPidFile {self.dir}/opendkim.pid\n"
                         f"AuthservID {AUTHSERV_ID}\nInternalHosts {hosts}\nNameservers 127.0.0.1\n"
                         "MinimumKeyBits 1024\n"),
            "opendmarc": ("Syslog false\nUMask 000\nUserID opendmarc\n"
                          f"Socket local:{self.sockets['opendmarc']}\nPidFile {self.dir}/opendmarc.pid\n"
                          f"AuthservID {AUTHSERV_ID}\nTrustedAuthservIDs {AUTHSERV_ID}\n"
                          f"IgnoreHosts {hosts}\nRejectFailures true\n"
                          "PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat\n"
                          "HistoryFile " + os.path.join(self.dir, "opendmarc.history") + "\n"),
        }

    def start(self):
        history = os.path.join(self.dir, "opendmarc.history")
        open(history, "w").close()
        shutil.chown(history, "opendmarc")
        specs = []
        for name in ("opendkim", "opendmarc"):
            conf = os.path.join(self.dir, name + ".conf")
            with open(conf, "w") as f:
                f.write(self.confs[name])
            os.chmod(conf, 0o644)
            flag = "-x" if name == "opendkim" else "-c"  # each one's configuration-file option
            specs.append((name, [COMPANIONS[name], "-f", flag, conf], self.sockets[name]))
        self.start_milters(specs)
        self.pf.start()


def systems():
    import inbound

    class PostfixPlain(inbound.Postfix):
        name = "pf-plain"  # runs are recorded under the class's name
    return {"posthorn": posthorn_system(CHECKS_CONF, "posthorn"),
            "postfix": PostfixCompanions,
            "ph-plain": posthorn_system({"smtpd_mailauth_checks": "no"}, "ph-plain"),
            "pf-plain": PostfixPlain}


# --- the check before the runs -----------------------------------------------------

def results_of(message):
    """The result fields a delivered message starts with, unfolded."""
    header = message.split(b"\n\n", 1)[0].decode(errors="replace")
    fields = []
    for line in header.split("\n"):
        if line[:1] in (" ", "\t") and fields:
            fields[-1] += " " + line.strip()
        else:
            fields.append(line)
    return [f for f in fields if f.split(":")[0].lower() in ("authentication-results", "received-spf")]


def preflight(name, make, timeout):
    """One message through the system; its result fields must say pass."""
    import inbound
    with make() as system:
        inbound.deliver(system, 1, 1, True, 0, timeout)
        files = sorted(glob.glob(os.path.join(system.maildir_new, "*")), key=os.path.getmtime)
        with open(files[-1], "rb") as f:
            fields = results_of(f.read())
    text = " | ".join(fields)
    print(f"  {name}: {text or '(no result fields)'}")
    if name in ("posthorn", "postfix"):
        for method in ("dkim=pass", "dmarc=pass"):
            if method not in text:
                raise RuntimeError(f"{name}: {method} missing from the delivered message: {text}")
        if "spf=pass" not in text and "Received-SPF: Pass" not in text:
            raise RuntimeError(f"{name}: SPF did not pass: {text}")


# --- main -----------------------------------------------------------------------------

def main(argv=None):
    enter_namespaces()
    import inbound
    p = argparse.ArgumentParser(description="Inbound benchmark with sender authentication: "
                                            "posthorn's checks vs Postfix with opendkim, "
                                            "opendmarc and policyd-spf (needs root).")
    smtp_bench.add_arguments(p, "delivered")
    p.add_argument("--reuse", choices=("yes", "no", "both"), default="both")
    p.set_defaults(size=2000)
    argv = argv if argv is not None else sys.argv[1:]
    smtp_bench.use_test_modules()
    table = systems()
    args = smtp_bench.check_arguments(p, p.parse_args(argv), table)
    args.modes = {"yes": [True], "no": [False], "both": [True, False]}[args.reuse]
    smtp_bench.check_environment(args, "bench/mailauth.py", "namespaces and Postfix's master",
                                 [smtp_bench.SMTP_SOURCE] + [COMPANIONS[c] for c in COMPANIONS])
    info = smtp_bench.prepare(args)
    from dkim_keys import rsa_key
    from dns_util import Nsd
    workdir = tempfile.mkdtemp(prefix="mailauth-bench-")
    os.chmod(workdir, 0o755)
    try:
        private_resolver(workdir)
        key, public = rsa_key()
        smtp_bench.MESSAGE_FILE = signed_message(workdir, key, args.size)
        with contextlib.redirect_stdout(io.StringIO()):
            nsd = Nsd(zones(public), port=53).start()
        try:
            print(f"mailauth benchmark: {args.messages} signed messages of {args.size} bytes per run, "
                  f"{info['cpus']} CPUs, load average {info['loadavg_start']}, "
                  f"Postfix {info['postfix_version']}; result fields of one message each:")
            for name in args.systems:
                preflight(name, table[name], args.timeout)
            failed = inbound.run_and_report(args, info, table)
            print("posthorn and postfix both check every message; ph-plain and pf-plain check none.")
            return 1 if failed else 0
        finally:
            nsd.__exit__(None, None, None)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    smtp_bench.run_main(main)
