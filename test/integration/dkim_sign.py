"""DKIM signing of outbound mail (dkim_signing_maps, cleanup(8)).

A relay with keys made by `posthorn dkim keygen` (RSA and ed25519 for
sign.test) and a dkim_signing_maps table sends mail from mynetworks and
from sendmail(1) to smtp-sink; dkimpy (python3-dkim, an independent
implementation) verifies what arrives, with the keys from NSD:
  - plain, 8-bit, multipart and long-line messages each carry two
    signatures, rsa-sha256 and ed25519-sha256, relaxed/relaxed, that pass;
    From and Subject are over-signed, List-Id is signed but not over-signed;
  - a message from a subdomain is signed by the ".sign.test" line with the
    parent's key (d=sign.test), and mail through sendmail(1) is signed too;
  - a changed body, a changed Subject, or a second From added after
    signing fails in dkimpy;
  - a From domain without a table entry is sent unsigned and the log says
    why; `posthorn check` reports a table line that names a missing key,
    with FILE:LINE.
"""
import os
import re
import subprocess
import sys

from dkim_keys import dkimpy_results
from dns_util import Nsd
from posthorn_test import SKIP, expect, passed, wait_for
from smtp_mx import port_free_everywhere
from smtp_util import Relay, Sink
from submit_util import SENDMAIL

try:
    import dkim  # noqa: F401 (python3-dkim)
    import dns.resolver  # noqa: F401 (python3-dnspython, for dkimpy_results)
except ImportError as e:
    print(f"SKIP: {e} (apt-get install python3-dkim python3-dnspython)")
    sys.exit(SKIP)

ZONE = """
@          MX 10 mx
mx         A  127.0.0.61
"""

HEADER = ("From: Alice <alice@{domain}>\nTo: bob@dest.test\nSubject: {subject}\n"
          "Date: Mon, 07 Dec 2026 10:00:00 +0000\nMessage-ID: <{subject}@{domain}>\n")

# (more header fields, body)
PLAIN = ("", "Hello Bob,\n\nthe report is attached.\n\n\n")
EIGHT_BIT = ("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\nMIME-Version: 1.0\n",
             "Gr\u00fc\u00dfe aus K\u00f6ln,  mit   Leerzeichen \t\n.dot line\n")
MULTIPART = ("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\nList-Id: <team.sign.test>\n",
             "preamble\n--b1\nContent-Type: text/plain\n\ntext part\n--b1\n"
             "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
             "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n--b1--\nepilogue\n")
LONG_LINES = ("X-Long: " + "\n ".join(["folded header field"] * 40) + "\n",
              "x" * 990 + "\n" + ("word " * 190) + "\n")


def message(subject, case, domain="sign.test"):
    extra, body = case
    return HEADER.format(domain=domain, subject=subject) + extra + "\n" + body


def received(sink, subject):
    for m in sink.messages():
        if f"Subject: {subject}".encode() in m:
            return m
    return None


def signatures_of(msg):
    """The DKIM-Signature fields' tags, top first: [{tag: value}]."""
    fields = re.findall(rb"^DKIM-Signature:(.*(?:\r?\n[ \t].*)*)", msg, re.M | re.I)
    out = []
    for f in fields:
        value = re.sub(rb"\s+", b"", f).decode()
        out.append(dict(t.split("=", 1) for t in value.split(";") if "=" in t))
    return out


def keygen(relay, *args):
    r = relay.inst.posthorn("dkim", "keygen", *args, timeout=60)
    expect(r.returncode == 0, f"posthorn dkim keygen {' '.join(args)}: {r.stderr}")
    return [l for l in r.stdout.splitlines() if "._domainkey." in l][0]


def main():
    port = port_free_everywhere()
    with Sink("127.0.0.61", port, name="dkimsink") as sink:
        # The DNS server is set below, once the keys are made and published.
        relay = Relay("dkim_sign", "127.0.0.1:1", port, extra_services="pickup unix n - y 60 1 pickup\n")
        with relay:
            inst = relay.inst
            records = keygen(relay, "sign.test", "s-rsa") + "\n" + keygen(relay, "-a", "ed25519", "sign.test", "s-ed")
            table = os.path.join(inst.config_dir, "dkim_signing")
            with open(table, "w") as f:
                f.write("# From domain   selectors\nsign.test   s-rsa, s-ed\n.sign.test  sign.test/s-rsa\n")
            with Nsd({"sign.test": records + "\n" + ZONE, "dest.test": ZONE}) as ns:
                inst.write_conf(dns_servers=ns.server, dkim_signing_maps=table)
                expect(inst.posthorn("check").returncode == 0, "posthorn check accepts the table")
                relay.start()

                cases = {"plain": PLAIN, "eightbit": EIGHT_BIT, "multipart": MULTIPART, "longlines": LONG_LINES}
                for subject, rest in cases.items():
                    text = message(subject, rest)
                    relay.submit("alice@sign.test", ["bob@dest.test"], text.encode("utf-8"),
                                 mail_options=["BODY=8BITMIME"] if subject == "eightbit" else [])
                relay.submit("carol@lists.sign.test", ["bob@dest.test"],
                             message("subdomain", PLAIN, domain="lists.sign.test").encode())
                relay.submit("dave@unsigned.test", ["bob@dest.test"],
                             message("nokey", PLAIN, domain="unsigned.test").encode())
                r = subprocess.run([SENDMAIL, "-C", inst.config_dir, "-f", "alice@sign.test", "bob@dest.test"],
                                   input=message("sendmail", PLAIN).encode(), capture_output=True, timeout=60)
                expect(r.returncode == 0, f"sendmail: {r.stderr!r}")
                subjects = list(cases) + ["subdomain", "nokey", "sendmail"]
                wait_for(lambda: all(received(sink, s) for s in subjects), 30, what="every message at the sink")

                for subject in list(cases) + ["sendmail"]:
                    msg = received(sink, subject)
                    results = dkimpy_results(msg, ns.port)
                    expect(sorted((a, d, s) for a, d, s, _ in results) ==
                           [("ed25519-sha256", "sign.test", "s-ed"), ("rsa-sha256", "sign.test", "s-rsa")],
                           f"{subject}: signed with both keys: {results}")
                    expect(all(ok for *_, ok in results), f"{subject}: dkimpy verifies both signatures: {results}")
                    for tags in signatures_of(msg):
                        expect(tags.get("c") == "relaxed/relaxed" and "l" not in tags,
                               f"{subject}: relaxed/relaxed, the whole body: {tags}")
                        names = tags["h"].lower().split(":")
                        expect(names.count("from") == 2 and names.count("subject") == 2,
                               f"{subject}: From and Subject over-signed: {tags['h']}")
                multipart_h = signatures_of(received(sink, "multipart"))[0]["h"].lower().split(":")
                expect(multipart_h.count("list-id") == 1 and multipart_h.count("content-type") == 2,
                       f"List-Id signed once, Content-Type over-signed: {multipart_h}")
                eight = received(sink, "eightbit")
                expect("Gr\u00fc\u00dfe".encode() in eight, "the 8-bit body arrived as it was signed")

                sub = dkimpy_results(received(sink, "subdomain"), ns.port)
                expect(sub == [("rsa-sha256", "sign.test", "s-rsa", True)],
                       f"a subdomain is signed by the .sign.test line with the parent's key: {sub}")
                expect(not signatures_of(received(sink, "nokey")), "a domain without a key is not signed")
                inst.wait_for_log(r"not DKIM-signed: no key in dkim_signing_maps for unsigned\.test")
                expect(inst.find_log(r"DKIM-Signature field added \(s=s-ed, d=sign\.test, a=ed25519-sha256\)"),
                       "the log names each signature added")

                # Changed after signing: dkimpy fails.
                plain = received(sink, "plain")
                for change, why in ((plain.replace(b"the report is attached", b"the report is attachEd"), "a changed body"),
                                    (plain.replace(b"Subject: plain", b"Subject: p1ain"), "a changed Subject"),
                                    (plain.replace(b"To: bob@dest.test", b"From: mallory@evil.test\r\nTo: bob@dest.test"),
                                     "a second From")):
                    expect(change != plain, f"{why}: the change was made")
                    results = dkimpy_results(change, ns.port)
                    expect(results and not any(ok for *_, ok in results), f"{why} fails both signatures: {results}")

            # A table naming a key that does not exist: FILE:LINE in posthorn check.
            with open(table, "a") as f:
                f.write("broken.test  nosuchkey\n")
            r = inst.posthorn("check")
            expect(r.returncode != 0 and f"{table}:4" in r.stderr and "nosuchkey.key" in r.stderr,
                   f"posthorn check names the line and the missing key: {r.returncode} {r.stderr}")
    passed("dkim signing: rsa+ed25519 on plain, 8-bit, multipart, long lines, sendmail; changes fail")


if __name__ == "__main__":
    main()
