"""DKIM verification (RFC 6376, RFC 8463): dkimpy (Debian's python3-dkim,
an independent implementation) signs, posthorn (libopendkim over
libunbound) verifies through `posthorn auth check FILE`, and dkimpy
verifies the same bytes against the same DNS: both must agree.

NSD on loopback serves the keys under dkim.test: RSA 2048 and ed25519
keys made here (openssl, PyNaCl), a 512-bit RSA key, a selector whose key
was replaced after signing, and a zone that answers SERVFAIL. Cases:
rsa-sha256 relaxed/relaxed and simple/simple, ed25519-sha256, l= with
content added after signing (pass, "body partly signed"), two signatures
(one result each, with header.d and header.s), a changed body byte, a
changed signed header, a changed DNS key (fail), no key (permerror), a
failing DNS (temperror), rsa-sha1 and a 512-bit key (policy), and an
unsigned message (none).
"""
import base64
import os
import re
import sys
import tempfile

from dkim_keys import dkimpy_verifies, key_record, rsa_key
from dns_util import Nsd
from posthorn_test import SKIP, Instance, expect, passed

try:
    import dkim  # python3-dkim
    import nacl.signing  # python3-nacl, for ed25519
    import dns.resolver  # noqa: F401 (python3-dnspython, for dkim_keys.dkimpy_verifies)
except ImportError as e:
    print(f"SKIP: {e} (apt-get install python3-dkim python3-nacl python3-dnspython)")
    sys.exit(SKIP)

MESSAGE = (b"From: Alice <alice@dkim.test>\r\nTo: bob@example.net\r\n"
           b"Subject: Quarterly figures\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n"
           b"Message-ID: <q4@dkim.test>\r\n\r\n"
           b"Hello Bob,\r\n\r\nthe figures are attached.   Trailing  spaces  \r\n\r\nAlice\r\n")


def ed25519_key():
    """(base64 private seed as dkimpy takes it, base64 public key)."""
    key = nacl.signing.SigningKey.generate()
    return base64.b64encode(bytes(key)), base64.b64encode(bytes(key.verify_key)).decode()


def sign(message, selector, key, algorithm=b"rsa-sha256", canon=(b"relaxed", b"relaxed"), length=False):
    header = dkim.sign(message, selector, b"dkim.test", key, signature_algorithm=algorithm,
                       canonicalize=canon, length=length,
                       include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    return header + message


def ours(inst, message):
    with tempfile.NamedTemporaryFile(suffix=".eml", delete=False) as f:
        f.write(message)
        path = f.name
    try:
        r = inst.posthorn("auth", "check", "-a", "127.0.0.2", "-s", "alice@dkim.test", path, timeout=60)
    finally:
        os.unlink(path)
    expect(r.returncode == 0, f"posthorn auth check FILE: {r.stderr.strip()}")
    return re.findall(r"\bdkim=(\w+)(?: \(([^)]*)\))?((?: header\.\w=\S+)*)", r.stdout), r.stdout


def main():
    rsa_pem, rsa_pub = rsa_key(2048)
    other_pem, other_pub = rsa_key(2048)
    small_pem, small_pub = rsa_key(512)
    ed_priv, ed_pub = ed25519_key()
    zone = (key_record("rsa", rsa_pub) + key_record("ed", ed_pub, "ed25519") + key_record("small", small_pub)
            # Signed with rsa_pem, but the published key is another one.
            + key_record("changed", other_pub))
    with Nsd({"dkim.test": zone}, broken=["broken.test"]) as ns, \
            Instance("dkim_dkimpy", conf={"dns_servers": ns.server, "dns_trust_anchor_file": "",
                                          "dns_timeout": "2s", "dns_attempts": "1",
                                          "myhostname": "mx.dkim.test"}) as inst:
        relaxed = sign(MESSAGE, b"rsa", rsa_pem)
        simple = sign(MESSAGE, b"rsa", rsa_pem, canon=(b"simple", b"simple"))
        ed = sign(MESSAGE, b"ed", ed_priv, algorithm=b"ed25519-sha256")
        partial = sign(MESSAGE, b"rsa", rsa_pem, length=True) + b"\r\nP.S. added on the way\r\n"
        both = sign(sign(MESSAGE, b"rsa", rsa_pem), b"ed", ed_priv, algorithm=b"ed25519-sha256")
        body_changed = relaxed.replace(b"figures are attached", b"figures are attacked")
        header_changed = relaxed.replace(b"Subject: Quarterly figures", b"Subject: Quarterly figurez")
        key_changed = sign(MESSAGE, b"changed", rsa_pem)
        no_key = sign(MESSAGE, b"nokey", rsa_pem)
        sha1 = sign(MESSAGE, b"rsa", rsa_pem, algorithm=b"rsa-sha1")
        small = sign(MESSAGE, b"small", small_pem)
        # A signature that does not parse: reported, not ignored.
        garbled = b"DKIM-Signature: v=1; a=rsa-sha256; d=dkim.test; s=rsa; h=from; bh=; b=\r\n" + MESSAGE
        # The signing domain's zone answers SERVFAIL.
        servfail = dkim.sign(MESSAGE, b"x", b"broken.test", rsa_pem,
                             include_headers=[b"from", b"subject"]) + MESSAGE

        cases = [
            ("rsa-sha256 relaxed/relaxed", relaxed, ["pass"], True),
            ("rsa-sha256 simple/simple", simple, ["pass"], True),
            ("ed25519-sha256", ed, ["pass"], True),
            ("l= with content added after signing", partial, ["pass"], True),
            ("two signatures", both, ["pass", "pass"], True),
            ("a changed body byte", body_changed, ["fail"], False),
            ("a changed signed header", header_changed, ["fail"], False),
            ("a changed DNS key", key_changed, ["fail"], False),
            ("no key in the DNS", no_key, ["permerror"], False),
            ("a failing DNS", servfail, ["temperror"], False),
            ("rsa-sha1 (RFC 8301)", sha1, ["policy"], None),
            ("a 512-bit key", small, ["policy"], False),
            ("no signature", MESSAGE, ["none"], False),
            ("a signature that does not parse", garbled, ["neutral"], False),
        ]
        for what, message, expected, dkimpy_expected in cases:
            found, text = ours(inst, message)
            results = [r[0] for r in found]
            expect(results == expected, f"{what}: posthorn says {results}, expected {expected}")
            theirs = dkimpy_verifies(message, ns.port)
            if dkimpy_expected is not None:
                expect(theirs == dkimpy_expected, f"{what}: dkimpy says {'pass' if theirs else 'not pass'} too")
            if expected[0] != "none":
                expect(all("header.d=" in r[2] and "header.s=" in r[2] for r in found),
                       f"{what}: each result names header.d and header.s")
            if what.startswith("l="):
                expect("body partly signed" in found[0][1], f"{what}: the comment says so ({found[0][1]})")
            else:
                expect(all("partly" not in r[1] for r in found), f"{what}: the whole body counts as signed")
        many = MESSAGE
        for _ in range(12):
            many = sign(many, b"nokey", rsa_pem)
        found, _ = ours(inst, many)
        expect(len(found) == 8, f"12 signatures: only the first 8 are verified ({len(found)} results)")
        found, _ = ours(inst, both)
        expect({r[2].split()[1] for r in found} == {"header.s=rsa", "header.s=ed"},
               "two signatures: one result per selector")
    passed(f"{len(cases)} DKIM cases: posthorn and dkimpy agree")


if __name__ == "__main__":
    main()
