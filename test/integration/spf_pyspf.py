"""SPF (RFC 7208): posthorn (libspf2 over libunbound) and pyspf, an
independent implementation (Debian's python3-spf), agree case by case on
the same DNS.

NSD on loopback serves spf.test (one subdomain per case), 127.in-addr.arpa
(for ptr) and a zone that answers SERVFAIL. For each case `posthorn auth
check` prints the Authentication-Results field; its spf= result must be
pyspf's result for the same client address, HELO and sender, and the one
RFC 7208 prescribes (written next to each case). Covered: ip4/ip6 with
CIDR, a, mx, include, redirect, exists, ptr, macros (%{i} %{d} %{l}
%{ir} %{d2}), exp=, the four qualifiers, the 10-lookup limit, the
void-lookup limit, syntax errors, no record, two records, NXDOMAIN,
SERVFAIL and a DNS that drops every query (temperror), the HELO identity
for the null sender, and the Authentication-Results property
(smtp.mailfrom or smtp.helo).
"""
import re
import sys

from dns_util import Nsd, SilentDns
from posthorn_test import SKIP, Instance, expect, passed

try:
    import spf  # python3-spf
    import dns.resolver  # python3-dnspython, what pyspf asks through here
    import dns.exception
except ImportError as e:
    print(f"SKIP: {e} (apt-get install python3-spf python3-dnspython)")
    sys.exit(SKIP)

A11 = " ".join(f"a:a{i}.spf.test" for i in range(1, 12))
ZONE = f"""
c1 TXT "v=spf1 ip4:127.0.0.2 -all"
c2 TXT "v=spf1 ip4:127.0.1.0/24 -all"
c3 TXT "v=spf1 ip4:127.0.0.0/29 -all"
c4 TXT "v=spf1 ip6:2001:db8::/32 -all"
c5 TXT "v=spf1 a -all"
c5 A 127.0.0.3
c6 TXT "v=spf1 a:host.spf.test/24 -all"
host A 127.0.0.200
c7 TXT "v=spf1 mx -all"
c7 MX 10 mx.c7
mx.c7 A 127.0.0.7
c9 TXT "v=spf1 include:c1.spf.test -all"
c10 TXT "v=spf1 include:norecord.spf.test -all"
norecord A 127.0.0.10
c11 TXT "v=spf1 redirect=c1.spf.test"
c13 TXT "v=spf1 exists:%{{i}}.ex.spf.test -all"
127.0.0.13.ex A 127.0.0.2
c14 TXT "v=spf1 ptr -all"
c14 A 127.0.0.14
c15 TXT "v=spf1 exists:%{{l}}.%{{d}}.lx.spf.test -all"
alice.c15.spf.test.lx A 127.0.0.2
c16 TXT "v=spf1 exists:%{{ir}}.rv.spf.test -all"
16.0.0.127.rv A 127.0.0.2
c17 TXT "v=spf1 ~all"
c18 TXT "v=spf1 ?all"
c19 TXT "v=spf1 +all"
c20 TXT "v=spf1 -all exp=explain.spf.test"
explain TXT "%{{i}} is not one of %{{d}}'s senders"
c21 TXT "v=spf1 {A11} -all"
c22 TXT "v=spf1 a:nx1.spf.test a:nx2.spf.test a:nx3.spf.test ip4:127.0.0.22 -all"
c23 TXT "v=spf1 ip4:bad -all"
c24 TXT "v=spf1 foo -all"
c26 A 127.0.0.26
c27 TXT "v=spf1 -all"
c27 TXT "v=spf1 +all"
c31 TXT "v=spf1 include:c17.spf.test -all"
@ A 127.0.0.32
c32 TXT "v=spf1 a:%{{d2}} -all"
c33 TXT "v=spf1 mx/24 -all"
c33 MX 10 mx.c7
c34 TXT "v=spf1 ip6:2001:db8::/32 -all"
c35 TXT "v=spf1 include:x.broken.test -all"
c36 TXT "v=spf1 a:x.broken.test -all"
c37 TXT "v=spf1 a:nx1.spf.test a:nx2.spf.test -all exp=nx3.spf.test"
""" + "".join(f"a{i} A 127.0.0.250\n" for i in range(1, 12))

REVERSE = "14.0.0 PTR c14.spf.test.\n"

# (what, client address, HELO, sender, the result RFC 7208 prescribes)
CASES = [
    ("ip4", "127.0.0.2", "h.example", "u@c1.spf.test", "pass"),
    ("ip4 outside the /24", "127.0.0.2", "h.example", "u@c2.spf.test", "fail"),
    ("ip4 inside the /29", "127.0.0.5", "h.example", "u@c3.spf.test", "pass"),
    ("ip6 /32", "2001:db8::5", "h.example", "u@c4.spf.test", "pass"),
    ("ip6 against an IPv4 client", "127.0.0.2", "h.example", "u@c34.spf.test", "fail"),
    ("a", "127.0.0.3", "h.example", "u@c5.spf.test", "pass"),
    ("a:domain/24", "127.0.0.9", "h.example", "u@c6.spf.test", "pass"),
    ("mx", "127.0.0.7", "h.example", "u@c7.spf.test", "pass"),
    ("mx, another address", "127.0.0.8", "h.example", "u@c7.spf.test", "fail"),
    ("mx/24", "127.0.0.99", "h.example", "u@c33.spf.test", "pass"),
    ("include that passes", "127.0.0.2", "h.example", "u@c9.spf.test", "pass"),
    ("include of a domain without SPF", "127.0.0.2", "h.example", "u@c10.spf.test", "permerror"),
    ("include whose result is softfail", "127.0.0.2", "h.example", "u@c31.spf.test", "fail"),
    ("redirect, pass", "127.0.0.2", "h.example", "u@c11.spf.test", "pass"),
    ("redirect, fail", "127.0.0.3", "h.example", "u@c11.spf.test", "fail"),
    ("exists with %{i}", "127.0.0.13", "h.example", "u@c13.spf.test", "pass"),
    ("ptr", "127.0.0.14", "h.example", "u@c14.spf.test", "pass"),
    ("exists with %{l} and %{d}", "127.0.0.2", "h.example", "alice@c15.spf.test", "pass"),
    ("exists with %{l}, another user", "127.0.0.2", "h.example", "bob@c15.spf.test", "fail"),
    ("exists with %{ir} (reversed)", "127.0.0.16", "h.example", "u@c16.spf.test", "pass"),
    ("a:%{d2}", "127.0.0.32", "h.example", "u@c32.spf.test", "pass"),
    ("~all", "127.0.0.2", "h.example", "u@c17.spf.test", "softfail"),
    ("?all", "127.0.0.2", "h.example", "u@c18.spf.test", "neutral"),
    ("+all", "127.0.0.2", "h.example", "u@c19.spf.test", "pass"),
    ("-all with exp=", "127.0.0.2", "h.example", "u@c20.spf.test", "fail"),
    ("11 a terms: the 10-lookup limit", "127.0.0.21", "h.example", "u@c21.spf.test", "permerror"),
    ("3 void lookups: the void limit", "127.0.0.22", "h.example", "u@c22.spf.test", "permerror"),
    ("2 void lookups and a void exp=", "127.0.0.37", "h.example", "u@c37.spf.test", "fail"),
    ("syntax error in ip4", "127.0.0.2", "h.example", "u@c23.spf.test", "permerror"),
    ("unknown mechanism", "127.0.0.2", "h.example", "u@c24.spf.test", "permerror"),
    ("SERVFAIL", "127.0.0.2", "h.example", "u@x.broken.test", "temperror"),
    ("SERVFAIL inside an include", "127.0.0.2", "h.example", "u@c35.spf.test", "temperror"),
    ("SERVFAIL for an a term", "127.0.0.2", "h.example", "u@c36.spf.test", "temperror"),
    ("no SPF record", "127.0.0.2", "h.example", "u@c26.spf.test", "none"),
    ("two SPF records", "127.0.0.2", "h.example", "u@c27.spf.test", "permerror"),
    ("NXDOMAIN", "127.0.0.2", "h.example", "u@nx.spf.test", "none"),
    ("null sender: the HELO identity", "127.0.0.2", "c1.spf.test", "", "pass"),
    ("null sender, HELO fails", "127.0.0.3", "c1.spf.test", "", "fail"),
]


def pyspf_lookup(port, timeout=2.0):
    """pyspf's DNSLookup, asking the given server on 127.0.0.1 (as pyspf's
    own dnspython driver does, with the server set)."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    resolver.lifetime = timeout

    def lookup(name, qtype, strict=True, timeout=None):
        out = []
        try:
            for rdata in resolver.resolve(name, qtype, raise_on_no_answer=False, search=False):
                if qtype in ("A", "AAAA"):
                    out.append(((name, qtype), rdata.address))
                elif qtype == "MX":
                    out.append(((name, qtype), (rdata.preference, rdata.exchange)))
                elif qtype == "PTR":
                    out.append(((name, qtype), rdata.target.to_text(True)))
                elif qtype in ("TXT", "SPF"):
                    out.append(((name, qtype), list(rdata.strings)))
        except dns.resolver.NXDOMAIN:
            pass
        except (dns.exception.Timeout, dns.resolver.NoNameservers) as x:
            raise spf.TempError("DNS " + str(x))
        return out
    return lookup


def ours(inst, address, helo, sender):
    r = inst.posthorn("auth", "check", "-a", address, "-H", helo, "-s", sender, timeout=60)
    expect(r.returncode == 0, f"posthorn auth check -a {address} -s '{sender}': {r.stderr}")
    found = re.search(r"\bspf=(\w+)", r.stdout)
    expect(found is not None, f"an spf= result in {r.stdout!r}")
    return found.group(1), r.stdout


def theirs(address, helo, sender):
    return spf.check2(i=address, s=sender, h=helo, receiver="mx.spf.test")[0]


def run_cases(inst, cases):
    for what, address, helo, sender, expected in cases:
        mine, header = ours(inst, address, helo, sender)
        pyspf_result = theirs(address, helo, sender)
        expect(mine == pyspf_result == expected,
               f"{what}: posthorn {mine}, pyspf {pyspf_result}, RFC 7208 {expected}")
        prop = "smtp.helo=" + helo if not sender else "smtp.mailfrom=" + sender
        expect(prop in header, f"{what}: {prop} in the field")


def main():
    with Nsd({"spf.test": ZONE, "127.in-addr.arpa": REVERSE}, broken=["broken.test"]) as ns:
        spf.DNSLookup = pyspf_lookup(ns.port)
        with Instance("spf_pyspf", conf={"dns_servers": ns.server, "dns_trust_anchor_file": "",
                                         "dns_timeout": "2s", "dns_attempts": "1",
                                         "myhostname": "mx.spf.test"}) as inst:
            run_cases(inst, CASES)
            for args, why in ((["auth", "check", "-s", "u@c1.spf.test"], "-a ADDRESS is required"),
                              (["auth", "check", "-a", "127.0.0.2"], "give -s SENDER, -H HELO or both"),
                              (["auth", "verify", "-a", "127.0.0.2", "-s", "x@y"], 'unknown subcommand "verify"')):
                r = inst.posthorn(*args)
                expect(r.returncode == 2 and why in r.stderr and "usage: posthorn auth check" in r.stderr,
                       f"posthorn {' '.join(args)}: status 2, {why}")
            r = inst.posthorn("auth", "check", "-a", "127.0.0.14", "-s", "u@c14.spf.test")
            expect("iprev=pass (c14.spf.test) policy.iprev=127.0.0.14" in r.stdout,
                   f"the client's verified name: iprev=pass ({r.stdout.strip()!r})")
            r = inst.posthorn("auth", "check", "-a", "127.0.0.2", "-s", "u@c1.spf.test")
            expect("iprev=permerror policy.iprev=127.0.0.2" in r.stdout,
                   f"no PTR record: iprev=permerror ({r.stdout.strip()!r})")
            r = inst.posthorn("auth", "check", "-a", "not-an-address", "-s", "u@c1.spf.test")
            expect(r.returncode == 0 and "spf=permerror" in r.stdout,
                   f"a client address that is not one: permerror ({r.stdout.strip()!r})")
    # A DNS that drops every query: temperror for both.
    with SilentDns() as silent:
        spf.DNSLookup = pyspf_lookup(silent.port, timeout=1.0)
        with Instance("spf_pyspf_silent", conf={"dns_servers": silent.server,
                                                "dns_trust_anchor_file": "", "dns_timeout": "1s",
                                                "dns_attempts": "1"}) as inst:
            run_cases(inst, [("a dropped query", "127.0.0.2", "h.example", "u@c1.spf.test", "temperror")])
    passed(f"{len(CASES) + 1} SPF cases: posthorn and pyspf agree with RFC 7208")


if __name__ == "__main__":
    main()
