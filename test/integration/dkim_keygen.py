"""posthorn dkim keygen (posthorn-dkim(1)): keys that really sign.

- an RSA key (default selector YYYYMM-rsa, 2048 bits) and an ed25519 key
  are written under $config_directory/dkim/DOMAIN/ with mode 0600 (the
  directory 0700), root's alone when run as root; the .txt file
  holds the record the command prints;
- the printed records, pasted as they are into a zone that NSD serves,
  publish the keys: a message signed with each key file (dkimpy, Debian's
  python3-dkim) passes in dkimpy and in `posthorn auth check`, one result
  per signature;
- a key whose record was not published fails (the wrong key): the files
  belong together;
- an existing key, or record, is kept (exit 1, nothing made) unless -f; bad
  domains, selectors, -b values and -b with ed25519 are usage errors (2);
- `posthorn dkim rotate` makes a new key like each one the domain's
  dkim_signing_maps line names (YYYYMM-ALG, or YYYYMMDD-ALG when this
  month's name is taken), prints their records, the line to put in the
  table and how long the old records must stay (maximal_queue_lifetime + 2
  days); a rotation that finds no free name makes nothing (exit 1); a domain
  without a line is an error, -a/-b/-f with rotate a usage error.
"""
import base64
import os
import re
import subprocess
import sys
import tempfile
import time

from dkim_keys import dkimpy_verifies
from dns_util import Nsd
from posthorn_test import SKIP, Instance, expect, passed

try:
    import dkim  # python3-dkim
    import dns.resolver  # noqa: F401 (python3-dnspython, for dkimpy_verifies)
except ImportError as e:
    print(f"SKIP: {e} (apt-get install python3-dkim python3-dnspython)")
    sys.exit(SKIP)

MESSAGE = (b"From: Alice <alice@keys.test>\r\nTo: bob@example.net\r\nSubject: signed with new keys\r\n"
           b"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <k1@keys.test>\r\n\r\n"
           b"The key was made by posthorn dkim keygen.\r\n")


def keygen(inst, *args):
    return inst.posthorn("dkim", "keygen", *args, timeout=60)


def record_of(output):
    """The zone-file line the command printed."""
    lines = [l for l in output.splitlines() if "._domainkey." in l]
    expect(len(lines) == 1, f"one record printed: {output}")
    return lines[0]


def ed25519_seed(path):
    """dkimpy takes an ed25519 key as its base64 32-byte seed: the end of
    the PKCS#8 DER."""
    der = subprocess.run(["openssl", "pkey", "-in", path, "-outform", "DER"], capture_output=True,
                         check=True).stdout
    return base64.b64encode(der[-32:])


def sign(message, selector, key, algorithm):
    return dkim.sign(message, selector.encode(), b"keys.test", key, signature_algorithm=algorithm,
                     include_headers=[b"from", b"to", b"subject", b"date", b"message-id"]) + message


def main():
    with Instance("dkim_keygen", conf={"myhostname": "mx.keys.test"}) as inst:
        keydir = os.path.join(inst.config_dir, "dkim", "keys.test")
        month = time.strftime("%Y%m", time.gmtime())

        r = keygen(inst, "Keys.Test")
        expect(r.returncode == 0, f"keygen for keys.test: {r.stderr}")
        rsa_record = record_of(r.stdout)
        rsa_key = os.path.join(keydir, f"{month}-rsa.key")
        expect(rsa_record.startswith(f"{month}-rsa._domainkey.keys.test. IN TXT ( \"v=DKIM1; k=rsa; p="),
               f"default selector {month}-rsa, an RSA record: {rsa_record[:80]}")
        expect(all(len(s) <= 255 for s in re.findall(r'"([^"]*)"', rsa_record)) and rsa_record.count('"') >= 4,
               "the 2048-bit key is split into strings of at most 255 bytes")
        r = keygen(inst, "-a", "ed25519", "keys.test", "ed")
        expect(r.returncode == 0, f"keygen -a ed25519: {r.stderr}")
        ed_record = record_of(r.stdout)
        ed_key = os.path.join(keydir, "ed.key")
        expect(re.search(r'"v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=" \)$', ed_record) is not None,
               f"an ed25519 record with the raw 32-byte key: {ed_record}")
        r = keygen(inst, "keys.test", "unpublished")
        expect(r.returncode == 0, f"a third key: {r.stderr}")

        for path, record in ((rsa_key, rsa_record), (ed_key, ed_record)):
            st = os.stat(path)
            expect(st.st_mode & 0o777 == 0o600, f"{os.path.basename(path)} is mode 0600: {oct(st.st_mode)}")
            with open(path[:-4] + ".txt") as f:
                expect(f.read() == record + "\n", f"{os.path.basename(path)[:-4]}.txt holds the printed record")
        expect(os.stat(keydir).st_mode & 0o777 == 0o700, "the domain's directory is 0700")
        # The keys are their maker's: root's, when root makes them (cleanup
        # reads them as root before its jail; no mail_owner process can).
        for path in (keydir, rsa_key, ed_key):
            st = os.stat(path)
            expect((st.st_uid, st.st_gid) == (os.getuid(), os.getgid()),
                   f"{path} belongs to the user who made it ({os.getuid()})")

        # The existing key stays; -f replaces it.
        with open(rsa_key) as f:
            before = f.read()
        r = keygen(inst, "keys.test")
        expect(r.returncode == 1 and "already exists (use -f to replace it)" in r.stderr,
               f"an existing key is kept: {r.returncode} {r.stderr}")
        with open(rsa_key) as f:
            expect(f.read() == before, "and not touched")
        # A record without its key (the key moved away): no new key is
        # made beside the old record.
        unpublished = os.path.join(keydir, "unpublished.key")
        os.rename(unpublished, unpublished + ".moved")
        r = keygen(inst, "keys.test", "unpublished")
        expect(r.returncode == 1 and "unpublished.txt already exists" in r.stderr,
               f"an existing record is kept too: {r.returncode} {r.stderr}")
        expect(not os.path.exists(unpublished), "and no key is made beside it")
        os.rename(unpublished + ".moved", unpublished)
        for args, why in ((["exa_mple.test"], "a bad domain"), (["keys.test", "bad selector"], "a bad selector"),
                          (["-b", "512", "keys.test", "x"], "-b 512"), (["-a", "ed25519", "-b", "2048", "keys.test", "y"],
                                                                         "-b with ed25519"),
                          (["-a", "dsa", "keys.test"], "an unknown algorithm"), ([], "no domain")):
            r = keygen(inst, *args)
            expect(r.returncode == 2 and "usage: posthorn dkim keygen" in r.stderr, f"{why} is a usage error: {r.stderr}")

        # Rotation: the table names the month's RSA key and "ed".
        table = os.path.join(inst.config_dir, "dkim_signing")
        with open(table, "w") as f:
            f.write(f"keys.test  {month}-rsa, ed\n")
        inst.write_conf(dkim_signing_maps=table, maximal_queue_lifetime="3d")
        day = time.strftime("%Y%m%d", time.gmtime())
        r = inst.posthorn("dkim", "rotate", "keys.test", timeout=60)
        expect(r.returncode == 0, f"dkim rotate: {r.stderr}")
        expect(f"keys.test  {day}-rsa, {month}-ed25519\n" in r.stdout,
               f"this month's RSA name is taken, so the day's; the table line to use: {r.stdout}")
        expect("Keep the old records (" + f"{month}-rsa, ed) published for 5 days" in r.stdout,
               f"how long the old records stay (3d + 2): {r.stdout}")
        for selector in (f"{day}-rsa", f"{month}-ed25519"):
            path = os.path.join(keydir, selector + ".key")
            expect(os.stat(path).st_mode & 0o777 == 0o600, f"{selector}.key is mode 0600")
            with open(os.path.join(keydir, selector + ".txt")) as f:
                line = f.read().strip()
            expect(line in r.stdout and line.startswith(f"{selector}._domainkey.keys.test."),
                   f"{selector}.txt holds the printed record")
            pub = subprocess.run(["openssl", "pkey", "-in", path, "-pubout", "-outform", "DER"], capture_output=True,
                                 check=True).stdout
            key = base64.b64encode(pub[-32:] if "ed25519" in selector else pub).decode()
            expect(key == "".join(re.findall(r'"([^"]*)"', line)).split("p=")[1],
                   f"{selector}'s record publishes its key")
        # posthorn dns shows the new records beside the signing ones.
        r = inst.posthorn("dns", "-a", "192.0.2.1", "keys.test", timeout=60)
        for selector in (f"{day}-rsa", f"{month}-ed25519"):
            expect(re.search(rf"; DKIM: the public half of \S+/{selector}\.key, not in dkim_signing_maps yet.*\n"
                             rf"{selector}\._domainkey\.keys\.test\. IN TXT", r.stdout) is not None,
                   f"posthorn dns lists the new key {selector}, not signing yet: {r.stdout}")
        expect(f"; DKIM: the public half of {rsa_key}\n" in r.stdout, "and the signing one as it is")

        # Both RSA names of the day are taken now: the next rotation fails
        # before it makes anything, the ed25519 key it could have made too.
        r = inst.posthorn("dkim", "rotate", "keys.test")
        expect(r.returncode == 1 and "already rotated today" in r.stderr, f"a second rotation: {r.stderr}")
        expect(not os.path.exists(os.path.join(keydir, f"{day}-ed25519.key")), "and makes nothing")
        r = inst.posthorn("dkim", "rotate", "other.test")
        expect(r.returncode == 1 and "no line for other.test" in r.stderr, f"a domain the table lacks: {r.stderr}")
        r = inst.posthorn("dkim", "rotate", "-b", "3072", "keys.test")
        expect(r.returncode == 2 and "rotate takes no -a, -b or -f" in r.stderr, f"rotate -b: {r.stderr}")

        # The printed records published as they are: the keys sign.
        with Nsd({"keys.test": rsa_record + "\n" + ed_record + "\n"}) as ns:
            inst.write_conf(dns_servers=ns.server, dns_trust_anchor_file="", dns_timeout="2s", dns_attempts="1")
            with open(rsa_key, "rb") as f:
                rsa_pem = f.read()
            signed = sign(sign(MESSAGE, f"{month}-rsa", rsa_pem, b"rsa-sha256"), "ed", ed25519_seed(ed_key),
                          b"ed25519-sha256")
            expect(dkimpy_verifies(signed, ns.port), "dkimpy verifies both signatures with the published keys")
            with open(os.path.join(keydir, "unpublished.key"), "rb") as f:
                wrong = sign(MESSAGE, f"{month}-rsa", f.read(), b"rsa-sha256")
            expect(not dkimpy_verifies(wrong, ns.port), "a key other than the published one fails in dkimpy")
            with tempfile.TemporaryDirectory() as tmp:
                results = []
                for name, message in (("signed", signed), ("wrong", wrong)):
                    path = os.path.join(tmp, name + ".eml")
                    with open(path, "wb") as f:
                        f.write(message)
                    r = inst.posthorn("auth", "check", "-a", "127.0.0.2", "-s", "alice@keys.test", path, timeout=60)
                    expect(r.returncode == 0, f"posthorn auth check: {r.stderr}")
                    results.append(re.findall(r"\bdkim=(\w+)[^;]*header\.s=(\S+)", r.stdout))
            expect(sorted(results[0]) == sorted([("pass", f"{month}-rsa"), ("pass", "ed")]),
                   f"posthorn passes both, one result each: {results[0]}")
            expect(results[1] == [("fail", f"{month}-rsa")], f"and fails the wrong key: {results[1]}")
    passed("posthorn dkim keygen: RSA and ed25519 keys with their records, modes, owner, refusals; they sign")


if __name__ == "__main__":
    main()
