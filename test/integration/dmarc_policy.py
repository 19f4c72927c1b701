"""DMARC (RFC 7489) outcomes through `posthorn auth check FILE`, on zones
served by NSD on loopback, with messages signed by dkimpy.

- pass through aligned SPF only, through aligned DKIM only;
- fail when neither aligns, with the policy asked (p=reject) and applied;
- relaxed alignment (a subdomain's From, DKIM d= the parent) passes,
  strict (adkim=s, aspf=s) fails;
- a subdomain gets sp= from the organizational domain's record;
- the organizational domain comes from the Public Suffix List: a From
  under example.co.uk (co.uk is a public suffix) finds _dmarc.example.co.uk;
- pct=0: the failing message gets the next less strict disposition;
- no record: none; a DNS failure: temperror; no From field: permerror;
- a DKIM pass for an unaligned domain does not count;
- dmarc_public_suffix_list that cannot be read: status 1, file:line named.
"""
import os
import re
import sys
import tempfile

from dkim_keys import key_record, rsa_key
from dns_util import Nsd
from posthorn_test import SKIP, Instance, expect, passed

try:
    import dkim  # python3-dkim
except ImportError as e:
    print(f"SKIP: {e} (apt-get install python3-dkim)")
    sys.exit(SKIP)


def message(from_addr):
    return (f"From: Sender <{from_addr}>\r\nTo: bob@example.net\r\nSubject: report\r\n"
            f"Message-ID: <{abs(hash(from_addr))}@x>\r\n\r\nbody\r\n").encode()


def signed(msg, domain, key):
    return dkim.sign(msg, b"s1", domain.encode(), key, include_headers=[b"from", b"subject"]) + msg


def zones(pub):
    key = key_record("s1", pub)
    spf = 'TXT "v=spf1 ip4:127.0.0.2 -all"\n'
    return {
        "dmarc.test": f'_dmarc TXT "v=DMARC1; p=reject"\n@ {spf}{key}',
        "relaxed.test": f'_dmarc TXT "v=DMARC1; p=reject"\n@ {spf}{key}',
        "strict.test": f'_dmarc TXT "v=DMARC1; p=reject; adkim=s; aspf=s"\n@ {spf}{key}',
        "sp.test": f'_dmarc TXT "v=DMARC1; p=reject; sp=none"\n@ {spf}{key}',
        "pct.test": f'_dmarc TXT "v=DMARC1; p=quarantine; pct=0"\n@ {spf}{key}',
        "nodmarc.test": f"@ {spf}{key}",
        "other.test": key,
        "example.co.uk": f'_dmarc TXT "v=DMARC1; p=reject"\n{key}',
    }


def check(inst, sender, msg, client="127.0.0.2"):
    with tempfile.NamedTemporaryFile(suffix=".eml", delete=False) as f:
        f.write(msg)
        path = f.name
    try:
        r = inst.posthorn("auth", "check", "-a", client, "-H", "h.example", "-s", sender, path, timeout=60)
    finally:
        os.unlink(path)
    expect(r.returncode == 0, f"posthorn auth check: {r.stderr.strip()}")
    found = re.search(r"\bdmarc=(\w+)(?: \(([^)]*)\))?( header\.from=\S+)?", r.stdout)
    expect(found is not None, f"a dmarc= result in {r.stdout!r}")
    return found.group(1), found.group(2) or "", (found.group(3) or "").strip(), r.stdout


def main():
    key, pub = rsa_key()
    with Nsd(zones(pub), broken=["broken.test"]) as ns, \
            Instance("dmarc_policy", conf={"dns_servers": ns.server, "dns_trust_anchor_file": "",
                                           "dns_timeout": "2s", "dns_attempts": "1",
                                           "myhostname": "mx.dmarc.test"}) as inst:
        cases = [
            ("aligned SPF only", "u@dmarc.test", message("a@dmarc.test"), "127.0.0.2", "pass", "aligned SPF"),
            ("aligned DKIM only", "u@elsewhere.example", signed(message("a@dmarc.test"), "dmarc.test", key),
             "127.0.0.3", "pass", "aligned DKIM"),
            ("neither aligned", "u@dmarc.test", message("a@dmarc.test"), "127.0.0.3", "fail", "p=reject dis=reject"),
            ("unaligned DKIM pass", "u@other.test", signed(message("a@dmarc.test"), "other.test", key),
             "127.0.0.3", "fail", "p=reject dis=reject"),
            ("relaxed: DKIM of the parent", "u@elsewhere.example",
             signed(message("a@mail.relaxed.test"), "relaxed.test", key), "127.0.0.3", "pass", "aligned DKIM"),
            ("relaxed: SPF of the parent", "u@relaxed.test", message("a@mail.relaxed.test"), "127.0.0.2",
             "pass", "aligned SPF"),
            ("strict: DKIM of the parent", "u@elsewhere.example",
             signed(message("a@mail.strict.test"), "strict.test", key), "127.0.0.3", "fail", "p=reject dis=reject"),
            ("strict: SPF of the parent", "u@strict.test", message("a@mail.strict.test"), "127.0.0.2",
             "fail", "p=reject dis=reject"),
            ("sp= for a subdomain", "u@sp.test", message("a@sub.sp.test"), "127.0.0.3", "fail", "p=none dis=none"),
            ("p= for the domain itself", "u@sp.test", message("a@sp.test"), "127.0.0.3", "fail",
             "p=reject dis=reject"),
            ("organizational domain under co.uk", "u@elsewhere.example", message("a@mail.example.co.uk"),
             "127.0.0.3", "fail", "p=reject dis=reject"),
            ("pct=0", "u@pct.test", message("a@pct.test"), "127.0.0.3", "fail", "p=quarantine dis=none"),
            ("no DMARC record", "u@nodmarc.test", message("a@nodmarc.test"), "127.0.0.3", "none", ""),
            ("DNS failure", "u@broken.test", message("a@x.broken.test"), "127.0.0.3", "temperror", ""),
            ("no From field", "u@dmarc.test", b"Subject: no author\r\n\r\nbody\r\n", "127.0.0.3", "permerror",
             "no From field"),
            ("From in two domains", "u@dmarc.test",
             b"From: a@dmarc.test, b@other.test\r\nSubject: x\r\n\r\nbody\r\n", "127.0.0.3", "permerror",
             "different domains"),
        ]
        for what, sender, msg, client, result, comment in cases:
            got, got_comment, header_from, text = check(inst, sender, msg, client)
            expect(got == result and comment in got_comment,
                   f"{what}: dmarc={got} ({got_comment}), expected {result} ({comment})")
        _, _, header_from, _ = check(inst, "u@dmarc.test", message("A@Mail.Example.CO.UK"), "127.0.0.3")
        expect(header_from == "header.from=mail.example.co.uk", f"header.from names the author domain: {header_from}")
        inst.write_conf(dmarc_public_suffix_list="/nonexistent/psl.dat")
        r = inst.posthorn("auth", "check", "-a", "127.0.0.2", "-s", "u@dmarc.test", "-")
        expect(r.returncode == 1 and "posthorn.conf:" in r.stderr and "dmarc_public_suffix_list = /nonexistent"
               in r.stderr, f"an unreadable public suffix list: {r.stderr.strip()}")
    passed(f"{len(cases)} DMARC cases")


if __name__ == "__main__":
    main()
