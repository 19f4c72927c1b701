"""posthorn dmarc (posthorn-dmarc(1)): DMARC aggregate reports (RFC 7489
section 7.2), from the evaluations smtpd keeps to the rua= mailbox, end to
end on one instance: smtpd checks the senders against NSD, local delivers
to virtual mailboxes (the checked mail, and the reports to dmarc@rua.test),
pickup takes the reports from sendmail(1), cleanup DKIM-signs them for
recv.test (dmarc_report_address = reports@recv.test, a key made by
`posthorn dkim keygen`).

- a known mix from loopback sources lands in the history of the UTC day:
  sender.test (p=none, rua= dmarc@rua.test and other@elsewhere.test):
  3 signed from its SPF address, 1 signed from elsewhere, 2 unsigned and 1
  with a broken signature from elsewhere; noauth.test (p=quarantine):
  1 quarantined, 1 from an allowlisted client; sub.rua.test; norua.test
  (no rua=);
- `dmarc send` without -d leaves today alone; `dmarc send -d TODAY -o DIR`
  writes one .xml.gz per domain with rua=, each valid against the RFC 7489
  Appendix C schema (xmllint; a broken copy is refused, so it checks), with
  the rows, counts, policy_published, DKIM/SPF results and dispositions
  (local_policy for the allowlisted client) the messages make;
- the organizational domain comes from the Public Suffix List, where .test
  is not: rua.test is another organization than sender.test (it gets the
  report because it publishes sender.test._report._dmarc.rua.test), and
  than noauth.test (no such record: not sent), the same as sub.rua.test
  (sent without one); elsewhere.test publishes nothing: not sent, nothing
  queued for it;
- the reports arrive in dmarc@rua.test's Maildir with the RFC's subject,
  an application/gzip attachment equal to the -o file, and a DKIM
  signature (d=recv.test) that dkimpy verifies against NSD;
- the day is renamed DAY.reported: `dmarc send` reports nothing more,
  `-n -d DAY` would send it again and changes nothing; an earlier
  unreported day is found without -d and renamed;
- `dmarc report` summarises the delivered message, the .xml.gz, the XML
  and a message whose only part is the report alike, with the totals and
  the failing source;
- a report not sent keeps its day unreported (exit 1) for the next run:
  when the 7.1 record cannot be looked up (SERVFAIL), and when sendmail
  fails without reading a report bigger than a pipe holds (the command
  is not killed by SIGPIPE); the next run sends it, and it arrives whole;
- usage errors exit 2, a file that is no report 1.
"""
import base64
import calendar
import email
import email.policy
import glob
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter

from dkim_keys import dkimpy_results, key_record, rsa_key
from dns_util import Nsd
from inbound_util import VIRTUAL_USER, Inbound
from posthorn_test import SKIP, expect, is_root, passed, virtual_ids, wait_for
from smtpd_util import send_message

try:
    import dkim  # python3-dkim
    import dns.resolver  # noqa: F401 (python3-dnspython, for dkimpy_results)
except ImportError as e:
    print(f"SKIP: {e} (apt-get install python3-dkim python3-dnspython)")
    sys.exit(SKIP)

XMLLINT = shutil.which("xmllint")
# RFC 7489 Appendix C, as Debian's libmail-dmarc-perl ships it.
SCHEMA = "/usr/share/perl5/auto/share/dist/Mail-DMARC/rua-schema.xsd"
if not XMLLINT:
    print("SKIP: xmllint is not installed (apt-get install libxml2-utils)")
    sys.exit(SKIP)
if not os.path.exists(SCHEMA):
    print(f"SKIP: {SCHEMA} is missing (apt-get install libmail-dmarc-perl)")
    sys.exit(SKIP)

RUA = "dmarc@rua.test"
REPORTER = "reports@recv.test"
HOSTNAME = "mx.recv.test"
SENDER_RECORD = "v=DMARC1; p=none; rua=mailto:dmarc@rua.test,mailto:other@elsewhere.test"


def zones(sender_key, report_key_record):
    return {
        "sender.test": f'_dmarc TXT "{SENDER_RECORD}"\n@ TXT "v=spf1 ip4:127.0.0.2 -all"\n'
                       + key_record("s1", sender_key),
        "noauth.test": '_dmarc TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@rua.test"\n',
        "norua.test": '_dmarc TXT "v=DMARC1; p=none"\n',
        # rua.test takes sender.test's reports (RFC 7489 7.1), not noauth.test's;
        # sub.rua.test is its own organization's.
        "rua.test": 'sender.test._report._dmarc TXT "v=DMARC1"\n'
                    '_dmarc.sub TXT "v=DMARC1; p=none; rua=mailto:dmarc@rua.test"\n',
        # A zone, so that its names are NXDOMAIN, not a DNS failure.
        "elsewhere.test": "www A 127.0.0.1\n",
        "recv.test": report_key_record + "\n",
    }


def message(author, subject):
    return (f"From: <{author}>\r\nTo: <{VIRTUAL_USER}>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@x>\r\n\r\nbody of {subject}\r\n").encode()


def signed(author, subject, key):
    msg = message(author, subject)
    return dkim.sign(msg, b"s1", b"sender.test", key, include_headers=[b"from", b"subject"]) + msg


def maildir_files(home):
    return sorted(glob.glob(os.path.join(home, "Maildir", "new", "*")))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def crlf(data):
    """A delivered file (LF line ends) as it goes over the wire, for dkimpy."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def rows_of(root):
    """Each <record> as a comparable tuple."""
    out = []
    for rec in root.findall("record"):
        row = rec.find("row")
        pe = row.find("policy_evaluated")
        out.append((
            row.findtext("source_ip"), int(row.findtext("count")), pe.findtext("disposition"),
            pe.findtext("dkim"), pe.findtext("spf"), pe.findtext("reason/type"),
            rec.findtext("identifiers/envelope_from"), rec.findtext("identifiers/header_from"),
            tuple((d.findtext("domain"), d.findtext("selector"), d.findtext("result"))
                  for d in rec.findall("auth_results/dkim")),
            tuple((s.findtext("domain"), s.findtext("scope"), s.findtext("result"))
                  for s in rec.findall("auth_results/spf")),
        ))
    return sorted(out)


def validate(schema, path):
    return subprocess.run([XMLLINT, "--noout", "--schema", schema, path], capture_output=True, text=True)


def main():
    sender_key, sender_pub = rsa_key()
    uid, gid = virtual_ids()
    conf = {"smtpd_mailauth_checks": "yes", "mynetworks": "127.0.0.1/32",
            "dns_trust_anchor_file": "", "dns_timeout": "2s", "dns_attempts": "1",
            "myhostname": HOSTNAME, "mydomain": "recv.test", "dmarc_report_address": REPORTER,
            "virtual_mailbox_domains": "virtual.example, rua.test",
            "smtpd_dmarc_allowlist": "127.0.0.5"}
    with Inbound("dmarc_reports", conf=conf) as box, tempfile.TemporaryDirectory(prefix="ph-dmarc-") as work:
        inst = box.inst
        # The rua mailbox: a second virtual user.
        rua_home = os.path.join(inst.dir, "ruahome")
        os.makedirs(rua_home)
        if is_root():
            os.chown(rua_home, uid, gid)
        with open(os.path.join(inst.config_dir, "passwd"), "a") as f:
            f.write(f"{RUA}:{{PLAIN}}secret:{uid}:{gid}::{rua_home}::\n")
        # The key that signs the reports (From: reports@recv.test).
        r = inst.posthorn("dkim", "keygen", "recv.test", "rep", timeout=60)
        expect(r.returncode == 0, f"posthorn dkim keygen recv.test rep: {r.stderr}")
        report_record = [l for l in r.stdout.splitlines() if "._domainkey." in l][0]
        table = os.path.join(inst.config_dir, "dkim_signing")
        with open(table, "w") as f:
            f.write("recv.test  rep\n")

        with Nsd(zones(sender_pub, report_record), broken=["broken.test"]) as ns:
            inst.write_conf(dns_servers=ns.server, dkim_signing_maps=table)
            box.start()

            # --- the mail the reports are about ----------------------------
            mix = [  # (source, envelope sender, content)
                *[("127.0.0.2", "u@sender.test", signed("a@sender.test", f"pass {i}", sender_key)) for i in range(3)],
                ("127.0.0.3", "u@sender.test", signed("a@sender.test", "dkim only", sender_key)),
                *[("127.0.0.3", "u@sender.test", message("a@sender.test", f"spoof {i}")) for i in range(2)],
                ("127.0.0.3", "u@sender.test",
                 signed("a@sender.test", "broken", sender_key).replace(b"body of broken", b"body of changed")),
                ("127.0.0.3", "u@noauth.test", message("a@noauth.test", "quarantined")),
                ("127.0.0.5", "u@noauth.test", message("a@noauth.test", "allowlisted")),
                ("127.0.0.4", "u@sub.rua.test", message("a@sub.rua.test", "same org")),
                ("127.0.0.4", "u@norua.test", message("a@norua.test", "no rua")),
            ]
            for source, sender, content in mix:
                reply = send_message(box.port, source, sender, content)
                expect(reply.startswith("250"), f"accepted from {source} for {sender}: {reply}")
            wait_for(lambda: len(maildir_files(box.vhome)) == len(mix) - 1
                     and len(glob.glob(os.path.join(box.vhome, "Maildir", ".Junk", "new", "*"))) == 1,
                     30, what="the checked mail delivered (one into Junk)")
            box.wait_queue_empty()

            dmarc_dir = os.path.join(inst.queue_dir, "dmarc")
            day = time.strftime("%Y%m%d", time.gmtime())
            expect(sorted(os.listdir(dmarc_dir)) == [day], f"one history file, today's: {os.listdir(dmarc_dir)}")
            history_path = os.path.join(dmarc_dir, day)
            history_text = read(history_path)
            history = [json.loads(l) for l in history_text.decode().splitlines()]
            seen = Counter((h["policy_domain"], h["source_ip"], h["dmarc"], h["applied"], h["spf"]["result"],
                            tuple(d["result"] for d in h["dkim"])) for h in history)
            expect(seen == Counter({
                ("sender.test", "127.0.0.2", "pass", "none", "pass", ("pass",)): 3,
                ("sender.test", "127.0.0.3", "pass", "none", "fail", ("pass",)): 1,
                ("sender.test", "127.0.0.3", "fail", "none", "fail", ()): 2,
                ("sender.test", "127.0.0.3", "fail", "none", "fail", ("fail",)): 1,
                ("noauth.test", "127.0.0.3", "fail", "quarantine", "none", ()): 1,
                ("noauth.test", "127.0.0.5", "fail", "none", "none", ()): 1,
                ("sub.rua.test", "127.0.0.4", "fail", "none", "none", ()): 1,
                ("norua.test", "127.0.0.4", "fail", "none", "none", ()): 1,
            }), f"the history holds the mix: {seen}")

            # --- without -d: only days before today --------------------------
            r = inst.posthorn("dmarc", "send", timeout=60)
            expect(r.returncode == 0 and "no evaluations to report" in r.stdout and os.path.exists(history_path),
                   f"dmarc send without -d leaves today alone: {r.returncode} {r.stdout}{r.stderr}")
            r = inst.posthorn("dmarc", "send", "-d", day, timeout=60)
            expect(r.returncode == 2 and "the day is not over yet" in r.stderr and os.path.exists(history_path),
                   f"-d with today is refused, the file stays: {r.returncode} {r.stderr}")
            # From here on the day is over: the history becomes yesterday's.
            yesterday = time.strftime("%Y%m%d", time.gmtime(time.time() - 86400))
            os.rename(history_path, os.path.join(dmarc_dir, yesterday))
            day, history_path = yesterday, os.path.join(dmarc_dir, yesterday)

            # --- the reports --------------------------------------------------
            out_dir = os.path.join(work, "out")
            os.makedirs(out_dir)
            offset = inst.log_size()
            r = inst.posthorn("dmarc", "send", "-d", day, "-o", out_dir, timeout=120)
            print(r.stdout + r.stderr)
            expect(r.returncode == 0 and r.stderr == "", f"dmarc send -d {day} -o DIR: {r.returncode} {r.stderr}")
            out = r.stdout
            for line in (f"{day} sender.test: 7 messages in 4 rows",
                         f"  {RUA}: sent",
                         "  other@elsewhere.test: not sent, elsewhere.test does not accept reports for sender.test "
                         "(no sender.test._report._dmarc.elsewhere.test record)",
                         f"{day} noauth.test: 2 messages in 2 rows",
                         f"  {RUA}: not sent, rua.test does not accept reports for noauth.test "
                         "(no noauth.test._report._dmarc.rua.test record)",
                         f"{day} sub.rua.test: 1 messages in 1 rows",
                         f"{day} norua.test: 1 messages in 1 rows, no rua= address: not reported"):
                expect(line in out.splitlines(), f"the output says: {line}")
            expect(out.count(f"  {RUA}: sent") == 2, "sent twice to the rua mailbox: sender.test, sub.rua.test")

            begin = calendar.timegm(time.strptime(day, "%Y%m%d"))
            end = begin + 86399
            files = sorted(os.listdir(out_dir))
            expect(files == sorted(f"{HOSTNAME}!{d}!{begin}!{end}.xml.gz"
                                   for d in ("sender.test", "noauth.test", "sub.rua.test")),
                   f"-o: one receiver!domain!begin!end.xml.gz per domain with rua= (RFC 7489 7.2.1.1): {files}")

            # The RFC's schema declares targetNamespace but refers to its own
            # types unqualified ("DateRangeType", not "tns:DateRangeType"),
            # which xmllint refuses to compile; reports in the wild (and ours)
            # carry no namespace. Without the attribute it is the same schema
            # for documents without a namespace.
            with open(SCHEMA) as f:
                schema_text = f.read()
            expect('targetNamespace="http://dmarc.org/dmarc-xml/0.1"' in schema_text, "the schema as expected")
            schema = os.path.join(work, "rua-schema.xsd")
            with open(schema, "w") as f:
                f.write(schema_text.replace('targetNamespace="http://dmarc.org/dmarc-xml/0.1"', ""))
            xml = {}
            for name in files:
                domain = name.split("!")[1]
                xml[domain] = gzip.decompress(read(os.path.join(out_dir, name)))
                path = os.path.join(work, domain + ".xml")
                with open(path, "wb") as f:
                    f.write(xml[domain])
                v = validate(schema, path)
                expect(v.returncode == 0, f"{domain}: the report validates against RFC 7489 Appendix C: {v.stderr}")
            # The validation does check: a broken copy is refused.
            broken = os.path.join(work, "broken.xml")
            with open(broken, "wb") as f:
                f.write(xml["sender.test"].replace(b"<disposition>none</disposition>",
                                                   b"<disposition>ignored</disposition>", 1))
            v = validate(schema, broken)
            expect(v.returncode != 0 and "disposition" in v.stderr, f"a wrong disposition fails the schema: {v.stderr}")

            root = ET.fromstring(xml["sender.test"])
            meta = root.find("report_metadata")
            expect((meta.findtext("org_name"), meta.findtext("email"), meta.findtext("report_id"),
                    meta.findtext("date_range/begin"), meta.findtext("date_range/end")) ==
                   ("recv.test", REPORTER, f"{begin}.sender.test@{HOSTNAME}", str(begin), str(end)),
                   f"report_metadata: {ET.tostring(meta)}")
            policy = {e.tag: e.text for e in root.find("policy_published")}
            expect(policy == {"domain": "sender.test", "adkim": "r", "aspf": "r", "p": "none", "sp": "none",
                              "pct": "100", "fo": "0"}, f"policy_published is the record's: {policy}")
            dkim_pass = (("sender.test", "s1", "pass"),)
            spf_pass, spf_fail = (("sender.test", "mfrom", "pass"),), (("sender.test", "mfrom", "fail"),)
            ident = ("sender.test", "sender.test")
            rows = rows_of(root)
            expect(rows == sorted([
                ("127.0.0.2", 3, "none", "pass", "pass", None, *ident, dkim_pass, spf_pass),
                ("127.0.0.3", 1, "none", "pass", "fail", None, *ident, dkim_pass, spf_fail),
                ("127.0.0.3", 2, "none", "fail", "fail", None, *ident, (), spf_fail),
                ("127.0.0.3", 1, "none", "fail", "fail", None, *ident, (("sender.test", "s1", "fail"),), spf_fail),
            ]), f"sender.test: a row per source and outcome, with the counts sent: {rows}")

            root = ET.fromstring(xml["noauth.test"])
            policy = {e.tag: e.text for e in root.find("policy_published")}
            expect(policy["p"] == "quarantine" and policy["sp"] == "quarantine",
                   f"noauth.test: p=quarantine published: {policy}")
            spf_none = (("noauth.test", "mfrom", "none"),)
            rows = rows_of(root)
            expect(rows == [
                ("127.0.0.3", 1, "quarantine", "fail", "fail", None, "noauth.test", "noauth.test", (), spf_none),
                ("127.0.0.5", 1, "none", "fail", "fail", "local_policy", "noauth.test", "noauth.test", (), spf_none),
            ], f"noauth.test: quarantined, and the allowlisted client's none with reason local_policy: {rows}")
            rows = rows_of(ET.fromstring(xml["sub.rua.test"]))
            expect(len(rows) == 1 and rows[0][:3] == ("127.0.0.4", 1, "none") and rows[0][7] == "sub.rua.test",
                   f"sub.rua.test: its one message: {rows}")

            # --- delivered, signed ------------------------------------------
            wait_for(lambda: len(maildir_files(rua_home)) == 2, 30, what=f"two reports in {RUA}'s Maildir")
            box.wait_queue_empty()
            delivered = {}
            for path in maildir_files(rua_home):
                msg = email.message_from_bytes(read(path), policy=email.policy.default)
                m = re.fullmatch(r"Report Domain: (\S+) Submitter: recv\.test Report-ID: <(\S+)>", str(msg["Subject"]))
                expect(m is not None, f"the RFC 7489 7.2.1.1 subject: {msg['Subject']}")
                delivered[m.group(1)] = (path, msg, m.group(2))
            expect(sorted(delivered) == ["sender.test", "sub.rua.test"], f"reports for: {sorted(delivered)}")
            path, msg, report_id = delivered["sender.test"]
            expect(report_id == f"{begin}.sender.test@{HOSTNAME}", f"the subject's Report-ID: {report_id}")
            expect(msg["Return-Path"] == f"<{REPORTER}>" and REPORTER in str(msg["From"]) and msg["To"] == RUA,
                   f"from dmarc_report_address to the rua address: {msg['Return-Path']} {msg['From']} {msg['To']}")
            parts = [p for p in msg.walk() if p.get_content_type() == "application/gzip"]
            expect(len(parts) == 1 and parts[0].get_filename() == f"{HOSTNAME}!sender.test!{begin}!{end}.xml.gz",
                   f"one application/gzip attachment named as the file: {[p.get_filename() for p in parts]}")
            expect(gzip.decompress(parts[0].get_payload(decode=True)) == xml["sender.test"],
                   "its XML is the report written with -o")
            raw = read(path)
            expect(b"\nDKIM-Signature:" in raw, "the report carries a DKIM-Signature")
            results = dkimpy_results(crlf(raw), ns.port)
            expect(results == [("rsa-sha256", "recv.test", "rep", True)],
                   f"DKIM-signed for recv.test, and dkimpy verifies it: {results}")
            results = dkimpy_results(crlf(read(delivered["sub.rua.test"][0])), ns.port)
            expect(results == [("rsa-sha256", "recv.test", "rep", True)], f"the other report too: {results}")
            log = inst.log_text(offset)
            expect(len(re.findall(rf"to=<{re.escape(RUA)}>.*status=sent", log)) == 2,
                   "local logs the two deliveries")
            picked = re.findall(r"pickup\[\d+\]: \w+: uid=\d+ from=<reports@recv\.test>", log)
            expect(len(picked) == 2, f"sendmail was run twice, pickup took two reports: {picked}")
            expect("elsewhere.test" not in log and not inst.queue_files(("incoming", "active", "deferred", "hold")),
                   "nothing was queued for other@elsewhere.test, nothing is left in the queue")

            # --- reported --------------------------------------------------------
            expect(sorted(os.listdir(dmarc_dir)) == [day + ".reported"]
                   and read(os.path.join(dmarc_dir, day + ".reported")) == history_text,
                   f"the day is renamed {day}.reported, unchanged: {os.listdir(dmarc_dir)}")
            r = inst.posthorn("dmarc", "send", timeout=60)
            expect(r.returncode == 0 and "no evaluations to report" in r.stdout and "sent" not in r.stdout,
                   f"dmarc send: nothing more to report: {r.stdout}{r.stderr}")
            r = inst.posthorn("dmarc", "send", "-n", "-d", day, timeout=60)
            expect(r.returncode == 0 and f"  {RUA}: would be sent (-n)" in r.stdout.splitlines()
                   and f"{day} sender.test: 7 messages in 4 rows" in r.stdout
                   and sorted(os.listdir(dmarc_dir)) == [day + ".reported"],
                   f"-n -d {day}: the reported day again, nothing sent or renamed: {r.stdout}{r.stderr}")
            # An earlier day nobody reported: found without -d.
            past = "20200102"
            norua = [l for l in history_text.decode().splitlines() if '"policy_domain":"norua.test"' in l]
            with open(os.path.join(dmarc_dir, past), "w") as f:
                f.write("\n".join(norua) + "\nnot json\n")
            r = inst.posthorn("dmarc", "send", timeout=60)
            expect(r.returncode == 0 and f"{past} norua.test: 1 messages in 1 rows, no rua= address: not reported"
                   in r.stdout and "1 lines skipped" in r.stderr
                   and sorted(os.listdir(dmarc_dir)) == [past + ".reported", day + ".reported"],
                   f"an earlier day is reported without -d and renamed: {r.stdout}{r.stderr} {os.listdir(dmarc_dir)}")
            time.sleep(1)
            expect(len(maildir_files(rua_home)) == 2 and not inst.queue_files(), "and no more mail was sent")

            # --- dmarc report ---------------------------------------------------
            summary_lines = [
                f"report from recv.test <{REPORTER}> id {begin}.sender.test@{HOSTNAME}",
                f"  domain sender.test, {time.strftime('%Y-%m-%d', time.gmtime(begin))} 00:00 to "
                f"{time.strftime('%Y-%m-%d', time.gmtime(begin))} 23:59 UTC, published p=none sp=none pct=100",
                "  7 messages: 4 passed DMARC, 3 failed (from 127.0.0.3 x3)",
            ]
            r = inst.posthorn("dmarc", "report", path)
            expect(r.returncode == 0 and all(l in r.stdout.splitlines() for l in summary_lines),
                   f"dmarc report on the delivered message: {r.returncode} {r.stdout}{r.stderr}")
            row = [l.split() for l in r.stdout.splitlines() if l.split()[:2] == ["127.0.0.2", "3"]]
            expect(row == [["127.0.0.2", "3", "none", "pass", "pass", "sender.test"]],
                   f"with a line per row: {row}")
            summary = r.stdout
            gz = os.path.join(out_dir, f"{HOSTNAME}!sender.test!{begin}!{end}.xml.gz")
            for what, f in (("the .xml.gz", gz), ("the XML", os.path.join(work, "sender.test.xml"))):
                r = inst.posthorn("dmarc", "report", f)
                expect(r.returncode == 0 and r.stdout == summary, f"dmarc report on {what}: the same: {r.stdout}")
            r = inst.posthorn("dmarc", "report", path, delivered["sub.rua.test"][0])
            expect(r.returncode == 0 and r.stdout.count("report from ") == 2
                   and "  1 messages: 0 passed DMARC, 1 failed (from 127.0.0.4 x1)" in r.stdout.splitlines(),
                   f"two files, two summaries: {r.stdout}{r.stderr}")

            # A report message whose only part is the report (as some
            # receivers send them), not an attachment of a multipart.
            single = os.path.join(work, "single.eml")
            with open(single, "wb") as f:
                f.write((f"From: {REPORTER}\nTo: {RUA}\nSubject: {msg['Subject']}\nMIME-Version: 1.0\n"
                         f"Content-Type: application/gzip; name=\"{os.path.basename(gz)}\"\n"
                         "Content-Transfer-Encoding: base64\n\n").encode()
                        + base64.encodebytes(read(gz)))
            r = inst.posthorn("dmarc", "report", single)
            expect(r.returncode == 0 and r.stdout == summary,
                   f"dmarc report on a single-part report message: the same: {r.returncode} {r.stdout}{r.stderr}")

            # --- a report not sent stays to be sent ------------------------------
            rnd = random.Random(20200105)

            def past_day(name, domain, record, lines):
                """A history file for an earlier day with `lines` evaluations for domain,
                each its own row (source address, envelope domain)."""
                template = json.loads(norua[0])
                with open(os.path.join(dmarc_dir, name), "w") as f:
                    for i in range(lines):
                        h = dict(template, policy_domain=domain, header_from=domain, record=record,
                                 source_ip=f"10.{i >> 8}.{i & 255}.1",
                                 envelope_from="%012x.example" % rnd.getrandbits(48))
                        f.write(json.dumps(h, separators=(",", ":")) + "\n")

            # The authorization cannot be looked up (SERVFAIL): not refused,
            # not sent yet; the day stays.
            past_day("20200104", "tempfail.test", "v=DMARC1; p=none; rua=mailto:d@broken.test", 1)
            r = inst.posthorn("dmarc", "send", timeout=60)
            expect(r.returncode == 1 and "d@broken.test: cannot look up tempfail.test._report._dmarc.broken.test"
                   in r.stderr and "20200104" in os.listdir(dmarc_dir),
                   f"a DNS failure in the 7.1 check: exit 1, the day stays: {r.returncode} {r.stdout}{r.stderr} "
                   f"{os.listdir(dmarc_dir)}")
            os.unlink(os.path.join(dmarc_dir, "20200104"))

            # sendmail fails, without reading a report bigger than a pipe
            # holds: exit 1 naming it (not killed by SIGPIPE), the day stays;
            # the next run sends it.
            fake = os.path.join(work, "bin")
            os.makedirs(fake)
            with open(os.path.join(fake, "sendmail"), "w") as f:
                f.write("#!/bin/sh\nexit 75\n")
            os.chmod(os.path.join(fake, "sendmail"), 0o755)
            big = 5000
            past_day("20200105", "big.rua.test", "v=DMARC1; p=none; rua=mailto:dmarc@rua.test", big)
            real_bin = inst.conf["command_directory"]
            inst.write_conf(command_directory=fake)
            r = inst.posthorn("dmarc", "send", "-o", out_dir, timeout=120)
            inst.write_conf(command_directory=real_bin)
            big_gz = [os.path.join(out_dir, n) for n in os.listdir(out_dir) if "!big.rua.test!" in n]
            expect(len(big_gz) == 1 and len(base64.encodebytes(read(big_gz[0]))) > 65536,
                   f"a report bigger than a pipe holds (64 KiB) in base64: "
                   f"{[(p, os.path.getsize(p)) for p in big_gz]}")
            expect(r.returncode == 1 and f"{RUA}: {fake}/sendmail failed (exit 75)" in r.stderr
                   and "20200105" in os.listdir(dmarc_dir),
                   f"sendmail failing: exit 1, the day stays: {r.returncode} {r.stdout}{r.stderr}")
            r = inst.posthorn("dmarc", "send", timeout=120)
            expect(r.returncode == 0 and f"20200105 big.rua.test: {big} messages in {big} rows" in r.stdout
                   and f"  {RUA}: sent" in r.stdout.splitlines() and "20200105.reported" in os.listdir(dmarc_dir),
                   f"the next run sends it: {r.returncode} {r.stdout}{r.stderr}")
            wait_for(lambda: len(maildir_files(rua_home)) == 3, 30, what="the big report delivered")
            newest = [p for p in maildir_files(rua_home) if p not in (path, delivered["sub.rua.test"][0])]
            r = inst.posthorn("dmarc", "report", newest[0])
            expect(r.returncode == 0 and f"  {big} messages: 0 passed DMARC, {big} failed" in r.stdout,
                   f"and it arrives whole: {r.returncode} {r.stdout[-200:]}{r.stderr}")

            # Half a day went out before a failure: the next run sends only
            # the rest. The fake sendmail records who it was asked for.
            asked = os.path.join(work, "asked")
            with open(os.path.join(fake, "sendmail"), "w") as f:
                f.write(f'#!/bin/sh\nfor a; do to=$a; done\necho "$to" >> {asked}\ncat > /dev/null\n'
                        f'[ "$to" = second@rua.test ] && [ ! -e {work}/second-ok ] && exit 75\nexit 0\n')
            past_day("20200106", "two.rua.test",
                     "v=DMARC1; p=none; rua=mailto:dmarc@rua.test,mailto:second@rua.test", 1)
            inst.write_conf(command_directory=fake)
            r = inst.posthorn("dmarc", "send", timeout=60)
            expect(r.returncode == 1 and "  dmarc@rua.test: sent" in r.stdout.splitlines()
                   and "second@rua.test" in r.stderr and "20200106" in os.listdir(dmarc_dir),
                   f"one address sent, one failed: exit 1, the day stays: {r.stdout}{r.stderr}")
            open(os.path.join(work, "second-ok"), "w").close()
            r = inst.posthorn("dmarc", "send", timeout=60)
            inst.write_conf(command_directory=real_bin)
            expect(r.returncode == 0 and "  dmarc@rua.test: sent before" in r.stdout.splitlines()
                   and "  second@rua.test: sent" in r.stdout.splitlines()
                   and "20200106.reported" in os.listdir(dmarc_dir) and "20200106.sent" not in os.listdir(dmarc_dir),
                   f"the next run sends only the rest: {r.stdout}{r.stderr} {os.listdir(dmarc_dir)}")
            expect(read(asked).decode().split() == ["dmarc@rua.test", "second@rua.test", "second@rua.test"],
                   f"dmarc@rua.test was asked for once: {read(asked)}")

            # --- errors ------------------------------------------------------------
            checked = maildir_files(box.vhome)[0]
            r = inst.posthorn("dmarc", "report", checked)
            expect(r.returncode == 1 and "neither XML, gzip nor a message with a report attached" in r.stderr,
                   f"a message that is no report: exit 1: {r.returncode} {r.stderr}")
            for args in (["dmarc"], ["dmarc", "send", "-d", "2026"], ["dmarc", "report"],
                         ["dmarc", "send", "extra"], ["dmarc", "report", "-d", day, path], ["dmarc", "mail"]):
                r = inst.posthorn(*args)
                expect(r.returncode == 2 and "usage: posthorn dmarc send" in r.stderr and r.stdout == "",
                       f"posthorn {' '.join(args)}: usage error, exit 2: {r.returncode} {r.stderr.strip()}")
            inst.stop()
    passed("DMARC aggregate reports: schema-valid, counts of the mail sent, 7.1 check, delivered signed, summarised")


if __name__ == "__main__":
    main()
