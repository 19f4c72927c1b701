"""posthorn dns (posthorn-dns(1)): the records a mail domain needs, printed
and checked.

- print mode, with a DKIM key made by `posthorn dkim keygen` named in
  dkim_signing_maps and -a for an IPv4 and an IPv6 address: A, AAAA, MX,
  SPF (ip4: and ip6:), the DKIM record of the key (the one keygen printed),
  DMARC and TLS-RPT reporting to dmarc_report_address, a PTR for each
  address, MTA-STS and the four RFC 6186 SRV records, each after a comment;
- those lines pasted as they are into zones that NSD serves (the domain,
  2.0.192.in-addr.arpa and the ip6.arpa zone of 2001:db8::/32): --check
  says OK for each, exit 0; an address given in another spelling
  (2001:DB8:0::25) is the same address;
- each record in turn missing, then wrong (another address, another MX, a
  null MX, an SPF record that fails one of our addresses, two SPF records,
  another DKIM key, a revoked one, DMARC without rua= or p=, another PTR
  name, an SRV record with another port or host, ...): exit 1, exactly that
  record's line MISSING or WRONG with the record to publish on it, WRONG
  with what was found, every other line OK; a record that says the same in
  other words (an SPF record that passes our addresses, a DKIM record
  without v=) is OK; a reverse zone that fails is UNKNOWN;
- -a with something that is not an address, two domains and a bad domain
  name are usage errors (exit 2).
"""
import ipaddress
import os
import re
import time

from dns_util import Nsd
from posthorn_test import Instance, expect, passed

DOMAIN = "dnstest.test"
HOST = "mx.dnstest.test"
V4, V6 = "192.0.2.25", "2001:db8::25"
REV4, REV6 = "2.0.192.in-addr.arpa", "8.b.d.0.1.0.0.2.ip6.arpa"
REPORTS = "dmarc-reports@dnstest.test"
PTR4 = ipaddress.ip_address(V4).reverse_pointer + "."
PTR6 = ipaddress.ip_address(V6).reverse_pointer + "."
VERDICTS = ("OK", "MISSING", "WRONG", "UNKNOWN")


def txt_value(line):
    """The data of a TXT zone-file line: its quoted strings joined."""
    return "".join(re.findall(r'"([^"]*)"', line))


def p_of(line):
    return re.search(r"(?:^|;)\s*p=([^;]*)", txt_value(line)).group(1).replace(" ", "")


def both(one, other):
    """A pattern for "found: 2 records ..." naming both, in either order."""
    return (r"2 records \(only one may exist\): " +
            f"(?:{re.escape(one)}, {re.escape(other)}|{re.escape(other)}, {re.escape(one)})")


def printed_records(output):
    """{key: zone-file line} of what print mode wrote, in order, each
    after its comment; raises when a line is not one expected."""
    expected = [
        ("A", re.escape(f"{HOST}. IN A {V4}")),
        ("AAAA", re.escape(f"{HOST}. IN AAAA {V6}")),
        ("MX", re.escape(f"{DOMAIN}. IN MX 10 {HOST}.")),
        ("SPF", re.escape(f'{DOMAIN}. IN TXT "v=spf1 ip4:{V4} ip6:{V6} -all"')),
        ("DKIM", re.escape(f'sel1._domainkey.{DOMAIN}. IN TXT ( "v=DKIM1; k=rsa; p=') + r'[A-Za-z0-9+/="\s]+\)'),
        ("DMARC", re.escape(f'_dmarc.{DOMAIN}. IN TXT "v=DMARC1; p=quarantine; rua=mailto:{REPORTS}; '
                            f'adkim=r; aspf=r"')),
        ("PTR4", re.escape(f"{PTR4} IN PTR {HOST}.")),
        ("PTR6", re.escape(f"{PTR6} IN PTR {HOST}.")),
        ("MTA-STS", re.escape(f'_mta-sts.{DOMAIN}. IN TXT "v=STSv1; id=') + r'[A-Za-z0-9]{1,32}"'),
        ("TLS-RPT", re.escape(f'_smtp._tls.{DOMAIN}. IN TXT "v=TLSRPTv1; rua=mailto:{REPORTS}"')),
        ("SRV587", re.escape(f"_submission._tcp.{DOMAIN}. IN SRV 0 1 587 {HOST}.")),
        ("SRV465", re.escape(f"_submissions._tcp.{DOMAIN}. IN SRV 0 1 465 {HOST}.")),
        ("SRV993", re.escape(f"_imaps._tcp.{DOMAIN}. IN SRV 0 1 993 {HOST}.")),
        ("SRV995", re.escape(f"_pop3s._tcp.{DOMAIN}. IN SRV 0 1 995 {HOST}.")),
    ]
    lines = output.splitlines()
    records = [(i, l) for i, l in enumerate(lines) if l.strip() and not l.startswith(";")]
    expect(len(records) == len(expected),
           f"{len(expected)} records printed, no more: {[l for _, l in records]}")
    out = {}
    for (i, line), (key, pattern) in zip(records, expected):
        expect(re.fullmatch(pattern, line) is not None, f"{key}: {line[:100]}")
        expect(i > 0 and lines[i - 1].startswith("; ") and len(lines[i - 1]) > 10,
               f"{key} has a comment before it: {lines[i - 1]!r}")
        out[key] = line
    return out


def zones_of(lines):
    """NSD zones holding these zone-file lines (absolute names)."""
    zones = {DOMAIN: "", REV4: "", REV6: ""}
    for line in lines:
        name = line.split()[0]
        zone = next((z for z in (REV4, REV6) if name.endswith("." + z + ".")), DOMAIN)
        zones[zone] += line + "\n"
    return zones


def parse_check(output):
    """[(verdict, record line, [the lines under it, stripped])] and the
    summary line of --check's output."""
    entries, summary = [], None
    for line in output.splitlines():
        if line.startswith(";"):
            continue
        head = line[:8].rstrip()
        if head in VERDICTS and len(line) > 8 and line[:8] == head.ljust(8):
            entries.append((head, line[8:], []))
        elif line.startswith(" " * 8) and entries:
            entries[-1][2].append(line.strip())
        elif summary is None:
            summary = line
        else:
            raise AssertionError(f"an unexpected line in --check's output: {line!r}\n{output}")
    return entries, summary


def main():
    start = time.monotonic()
    with Instance("dns_command", conf={"myhostname": HOST, "mydomain": DOMAIN,
                                       "dmarc_report_address": REPORTS}) as inst:
        def dns(*args):
            return inst.posthorn("dns", *args, timeout=60)

        r = inst.posthorn("dkim", "keygen", DOMAIN, "sel1", timeout=60)
        expect(r.returncode == 0, f"dkim keygen {DOMAIN} sel1: {r.stderr}")
        keygen_line = [l for l in r.stdout.splitlines() if "._domainkey." in l][0]
        r = inst.posthorn("dkim", "keygen", DOMAIN, "other", timeout=60)
        expect(r.returncode == 0, f"a second key, not in the table: {r.stderr}")
        other_line = [l for l in r.stdout.splitlines() if "._domainkey." in l][0]
        expect(p_of(other_line)[-24:] != p_of(keygen_line)[-24:], "the two keys differ, in their last 24 bytes too")

        # Keys the table does not name (there is no table yet) are printed,
        # marked as not signing yet (a rotation's new keys), and a note says
        # that nothing signs.
        r = dns("-a", V4, DOMAIN)
        expect(r.returncode == 0 and keygen_line in r.stdout and other_line in r.stdout and
               r.stdout.count("not in dkim_signing_maps yet (publish it before it signs)") == 2 and
               f"; note: no DKIM key signs mail from {DOMAIN}: run `posthorn dkim keygen {DOMAIN}`" in r.stdout,
               f"without a signing table, both keys as not signing yet and a note: {r.returncode} {r.stdout} {r.stderr}")
        # "other" only gives the wrong-key variant below its record: its files go.
        for ext in (".key", ".txt"):
            os.unlink(os.path.join(inst.config_dir, "dkim", DOMAIN, "other" + ext))

        table = os.path.join(inst.config_dir, "dkim_signing")
        with open(table, "w") as f:
            f.write(f"# From domain  selectors\n{DOMAIN}  sel1\n")
        inst.write_conf(dkim_signing_maps=table)

        # 1. Print mode.
        r = dns("-a", V4, "-a", V6, DOMAIN)
        expect(r.returncode == 0, f"posthorn dns: {r.returncode} {r.stderr}")
        expect(r.stdout.startswith(f"; the DNS records of {DOMAIN} for mail through {HOST}\n"),
               f"the heading names the domain and host: {r.stdout.splitlines()[0]}")
        expect("; note:" not in r.stdout, "no notes: the addresses and the key are known")
        records = printed_records(r.stdout)
        expect(records["DKIM"] == keygen_line, "the DKIM record is the one keygen printed")
        expect(p_of(records["DKIM"]) == p_of(keygen_line) and len(p_of(keygen_line)) > 300,
               "its p= is the key's")
        r2 = dns("-a", V4, "-a", V6)
        expect(r2.returncode == 0 and r2.stdout == r.stdout, "the domain defaults to mydomain, the same output")

        # 2. The printed records, published: all OK.
        lines = list(records.values())

        def check(zones, broken=(), addresses=(V4, V6)):
            with Nsd(zones, broken=broken) as ns:
                inst.write_conf(dns_servers=ns.server, dns_trust_anchor_file="", dns_timeout="2s",
                                dns_attempts="1")
                r = dns("--check", *[x for a in addresses for x in ("-a", a)], DOMAIN)
            entries, summary = parse_check(r.stdout)
            expect([e[1] for e in entries] == lines,
                   f"one line per record, each naming the record to publish:\n{r.stdout}")
            return r, entries, summary

        r, entries, summary = check(zones_of(lines))
        expect(r.returncode == 0 and all(v == "OK" and not under for v, _, under in entries),
               f"every record published: all OK, exit 0: {r.returncode}\n{r.stdout}{r.stderr}")
        expect(summary == f"all {len(lines)} records are in place", f"the summary: {summary}")
        r, entries, summary = check(zones_of(lines), addresses=(V4, "2001:DB8:0::25", V4, V6))
        expect(r.returncode == 0 and all(v == "OK" for v, _, _ in entries),
               f"2001:DB8:0::25 is 2001:db8::25, and an address given twice is one: all OK: {r.returncode}\n"
               f"{r.stdout}")

        # 3. Each record missing, then wrong, in turn.
        def rec(key, text):
            """A record at the name of records[key] with other data."""
            name = records[key].split()[0]
            return f"{name} IN {text}"

        variants = []  # (what, key, replacement lines or None, verdict, found pattern)
        for key in records:
            variants.append((f"{key} missing", key, None, "MISSING", None))
        other_dkim = other_line.replace("other._domainkey.", "sel1._domainkey.")
        bad_p, p_none = f"v=DMARC1; p=maybe; rua=mailto:{REPORTS}", f"v=DMARC1; p=none; rua=mailto:{REPORTS}"
        variants += [
            ("A with another address", "A", [rec("A", "A 192.0.2.99")], "WRONG",
             re.escape(f"{HOST} has {V6}, 192.0.2.99")),
            ("AAAA with another address", "AAAA", [rec("AAAA", "AAAA 2001:db8::99")], "WRONG",
             re.escape(f"{HOST} has 2001:db8::99, {V4}")),
            ("MX to another host", "MX", [rec("MX", "MX 10 other.dnstest.test.")], "WRONG",
             re.escape("MX other.dnstest.test")),
            ("MX to another host and ours", "MX",
             [rec("MX", "MX 10 other.dnstest.test."), rec("MX", f"MX 20 {HOST}.")], "OK", None),
            ("a null MX", "MX", [rec("MX", "MX 0 .")], "WRONG", re.escape("a null MX (RFC 7505): no mail accepted")),
            ("no MX, the domain has an address (implicit MX)", "MX", [rec("MX", f"A {V4}")], "MISSING", None),
            ("SPF -all only", "SPF", [rec("SPF", 'TXT "v=spf1 -all"')], "WRONG", re.escape(f"SPF says fail for {V4}")),
            ("SPF without our IPv6 address", "SPF", [rec("SPF", f'TXT "v=spf1 ip4:{V4} ~all"')], "WRONG",
             re.escape(f"SPF says softfail for {V6}")),
            ("two SPF records", "SPF", [records["SPF"], rec("SPF", 'TXT "v=spf1 mx -all"')], "WRONG",
             both(txt_value(records["SPF"]), "v=spf1 mx -all")),
            ("SPF in other words that pass", "SPF",
             [rec("SPF", 'TXT "v=spf1 ip4:192.0.2.0/24" " ip6:2001:db8::/32 ~all"'), rec("SPF", 'TXT "google-site=x"')],
             "OK", None),
            ("DKIM with another key", "DKIM", [other_dkim], "WRONG",
             re.escape("another key: p=..." + p_of(other_line)[-24:])),
            ("DKIM revoked", "DKIM", [rec("DKIM", 'TXT "v=DKIM1; k=rsa; p="')], "WRONG",
             re.escape("no key (an empty p= revokes it, none is an error): v=DKIM1; k=rsa; p=")),
            ("DKIM without v=DKIM1", "DKIM", [records["DKIM"].replace('"v=DKIM1; ', '"')], "OK", None),
            ("DMARC without rua=", "DMARC", [rec("DMARC", 'TXT "v=DMARC1; p=quarantine"')], "WRONG",
             re.escape("no rua= (no reports reach you): v=DMARC1; p=quarantine")),
            ("DMARC without a valid p=", "DMARC", [rec("DMARC", f'TXT "{bad_p}"')], "WRONG",
             re.escape(f"no valid p= tag: {bad_p}")),
            ("two DMARC records", "DMARC", [records["DMARC"], rec("DMARC", f'TXT "{p_none}"')], "WRONG",
             both(txt_value(records["DMARC"]), p_none)),
            ("PTR of the IPv4 address to another name", "PTR4", [rec("PTR4", "PTR other.dnstest.test.")], "WRONG",
             re.escape("PTR other.dnstest.test")),
            ("PTR of the IPv6 address to another name", "PTR6", [rec("PTR6", "PTR other.dnstest.test.")], "WRONG",
             re.escape("PTR other.dnstest.test")),
            ("MTA-STS without id=", "MTA-STS", [rec("MTA-STS", 'TXT "v=STSv1;"')], "WRONG",
             re.escape("no id=: v=STSv1;")),
            ("TLS-RPT without rua=", "TLS-RPT", [rec("TLS-RPT", 'TXT "v=TLSRPTv1;"')], "WRONG",
             re.escape("no rua=: v=TLSRPTv1;")),
            ("SRV submission to another host", "SRV587", [rec("SRV587", "SRV 0 1 587 other.dnstest.test.")], "WRONG",
             re.escape("SRV 587 other.dnstest.test")),
        ]
        for key, port in (("SRV587", 25), ("SRV465", 4650), ("SRV993", 143), ("SRV995", 110)):
            variants.append((f"{key} with another port", key, [rec(key, f"SRV 0 1 {port} {HOST}.")], "WRONG",
                             re.escape(f"SRV {port} {HOST}")))

        for what, key, replacement, verdict, found in variants:
            zone_lines = [l for k, l in records.items() if k != key] + (replacement or [])
            r, entries, summary = check(zones_of(zone_lines))
            got = dict(zip(records, entries))
            others = {k: e for k, e in got.items() if k != key}
            bad = {k: e for k, e in others.items() if e[0] != "OK" or e[2]}
            expect(not bad, f"{what}: every other record OK: {bad}\n{r.stdout}")
            v, line, under = got[key]
            if verdict == "OK":
                expect(r.returncode == 0 and v == "OK" and not under, f"{what}: OK, exit 0: {r.returncode}\n{r.stdout}")
                continue
            expect(r.returncode == 1, f"{what}: exit 1: {r.returncode} {r.stderr}")
            expect(v == verdict, f"{what}: {key} {verdict}: {v} {line[:80]}")
            expect(summary == f"1 of {len(lines)} records need attention", f"{what}: the summary: {summary}")
            publish = [u for u in under if u.startswith("publish the record above (")]
            expect(len(publish) == 1 and under[-1] == publish[0], f"{what}: the fix is named last: {under}")
            if found is None:
                expect(len(under) == 1, f"{what}: nothing found, nothing more said: {under}")
            else:
                expect(len(under) == 2 and under[0].startswith("found: ") and
                       re.fullmatch(found, under[0][len("found: "):]) is not None,
                       f"{what}: what was found: {under[0] if under else None!r} ~ {found}")

        # A reverse zone whose server fails: UNKNOWN, with why, and no fix.
        zones = zones_of(lines)
        del zones[REV4]
        r, entries, summary = check(zones, broken=[REV4])
        got = dict(zip(records, entries))
        expect(r.returncode == 1 and got["PTR4"][0] == "UNKNOWN" and
               len(got["PTR4"][2]) == 1 and got["PTR4"][2][0].startswith("found: lookup failed: "),
               f"a failing reverse zone: UNKNOWN with why, exit 1: {r.returncode} {got['PTR4']}")
        expect(all(e[0] == "OK" for k, e in got.items() if k != "PTR4"), "the others OK")

        # 4. Usage errors.
        for argv, why, says in ((["-a", "notanaddress", DOMAIN], "-a with something not an address",
                                 '-a takes an IPv4 or IPv6 address, not "notanaddress"'),
                                (["-a", "192.0.2.256", DOMAIN], "-a 192.0.2.256", "-a takes"),
                                ([DOMAIN, "other.test"], "two domains", "too many arguments"),
                                (["--check", DOMAIN, "other.test"], "two domains with --check", "too many arguments"),
                                (["exa_mple.test"], "a bad domain name", '"exa_mple.test" is not a domain name'),
                                (["-a"], "-a without a value", "-a needs an address"),
                                (["-x", DOMAIN], "an unknown option", "unknown option -x")):
            r = dns(*argv)
            expect(r.returncode == 2 and says in r.stderr and "usage: posthorn dns" in r.stderr
                   and r.stdout == "", f"{why}: a usage error (2): {r.returncode} {r.stderr!r}")
    passed(f"posthorn dns: print, check all OK, {len(variants)} variants each reported alone, usage errors "
           f"({time.monotonic() - start:.1f} s)")


if __name__ == "__main__":
    main()
