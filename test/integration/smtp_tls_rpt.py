"""smtp_tls_rpt - SMTP TLS reporting (RFC 8460): smtp records each TLS
session with a recipient domain's MX hosts, `posthorn tlsrpt send`
(posthorn-tlsrpt(1)) reports them.

The setup of smtp_mta_sts (its local CA, HTTPS policy server on
127.0.0.70 and policies): relay A delivers with the default
smtp_tls_security_level (may) to instance B on 127.0.0.64, whose
certificate names mx.sts.test only, NSD names B as every domain's MX.
  - sts.test (enforce, valid certificate): delivered, one "success" line
    with the policy's lines and mx patterns, and "TLS policy sts of
    sts.test" in the log;
  - badcert.test (enforce, the certificate names another host): deferred,
    certificate-host-mismatch; unlisted.test (enforce, MX host not in the
    policy): deferred without connecting, validation-failure;
  - testing.test (testing, same certificate): delivered, and still
    recorded as certificate-host-mismatch;
  - missing.test (TXT, but the policy is a 404): sts-policy-fetch-error;
  - nosts.test: no-policy-found, success.
Then the day is over (the lines become yesterday's file):
  - `tlsrpt send` without -d leaves today alone, -d TODAY is refused;
  - `tlsrpt send -d DAY -o DIR` writes one .json.gz per domain with a
    TLS-RPT record (nosts.test has none: not reported), named as RFC 8460
    5.1 says, each checked field by field against section 4.4 (a checker
    that refuses a broken copy), with the counts and result types of the
    lines; the https: rua is said to be skipped;
  - each report arrives in the rua mailbox (vuser@virtual.example on B) as
    multipart/report; report-type="tlsrpt" with the RFC's Subject,
    TLS-Report-Domain and TLS-Report-Submitter, the JSON equal to the -o
    file as application/tlsrpt+gzip, and a DKIM signature for send.test
    that dkimpy verifies (skipped without python3-dkim);
  - the day is renamed DAY.reported; a second run reports nothing.
"""
import calendar
import email
import email.policy
import glob
import gzip
import ipaddress
import json
import os
import re
import time
from collections import Counter

from dns_util import Nsd
from inbound_util import VIRTUAL_USER, Inbound
from posthorn_test import expect, passed, wait_for
from smtp_mta_sts import POLICIES, PolicyServer, certificates, in_scratch, start_mx
from smtp_mx import port_free_everywhere
from smtp_util import Relay, message

try:
    import dkim  # noqa: F401 (python3-dkim)
    import dns.resolver  # noqa: F401 (python3-dnspython, for dkimpy_results)
    from dkim_keys import dkimpy_results
except ImportError as e:
    dkimpy_results = None
    DKIM_MISSING = str(e)

STS_DOMAINS = ["sts.test", "unlisted.test", "badcert.test", "testing.test", "missing.test"]
RUA = VIRTUAL_USER
RECORD = f'"v=TLSRPTv1; rua=mailto:{RUA},https://tlsrpt.example/report"'
SUBMITTER, HOSTNAME, REPORTER = "send.test", "mx.send.test", "reports@send.test"
RESULT_TYPES = {"starttls-not-supported", "certificate-host-mismatch", "certificate-expired",
                "certificate-not-trusted", "validation-failure", "tlsa-invalid", "dnssec-invalid",
                "dane-required", "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid"}


def rfc8460_problems(doc):
    """What in doc breaks RFC 8460 section 4.4's format; [] when nothing."""
    bad = []

    def need(cond, what):
        if not cond:
            bad.append(what)

    def is_ip(s):
        try:
            ipaddress.ip_address(s)
            return True
        except (ValueError, TypeError):
            return False

    def is_time(s):
        return isinstance(s, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s) is not None

    def strings(v):
        return isinstance(v, list) and all(isinstance(s, str) and s for s in v)

    need(isinstance(doc, dict) and set(doc) == {"organization-name", "date-range", "contact-info", "report-id",
                                                 "policies"}, f"top-level fields: {list(doc)}")
    if bad:
        return bad
    for k in ("organization-name", "contact-info", "report-id"):
        need(isinstance(doc[k], str) and doc[k], f"{k} is a string")
    dr = doc["date-range"]
    need(isinstance(dr, dict) and set(dr) == {"start-datetime", "end-datetime"}
         and is_time(dr.get("start-datetime")) and is_time(dr.get("end-datetime")), f"date-range: {dr}")
    need(isinstance(doc["policies"], list) and doc["policies"], "policies is a non-empty list")
    for p in doc["policies"] if isinstance(doc["policies"], list) else []:
        need(set(p) <= {"policy", "summary", "failure-details"} and "policy" in p and "summary" in p,
             f"a policies entry: {list(p)}")
        pol, summ = p.get("policy", {}), p.get("summary", {})
        need(set(pol) <= {"policy-type", "policy-string", "policy-domain", "mx-host"}, f"policy fields: {list(pol)}")
        need(pol.get("policy-type") in ("tlsa", "sts", "no-policy-found"), f"policy-type {pol.get('policy-type')}")
        need(isinstance(pol.get("policy-domain"), str) and pol.get("policy-domain"), "policy-domain")
        need("policy-string" not in pol or strings(pol["policy-string"]), "policy-string: strings")
        need("mx-host" not in pol or strings(pol["mx-host"]), "mx-host: strings")
        if pol.get("policy-type") in ("tlsa", "sts") and "policy-string" in pol:
            need("mx-host" in pol, "an sts/tlsa policy names its mx-host")
        need(set(summ) == {"total-successful-session-count", "total-failure-session-count"}
             and all(isinstance(v, int) and v >= 0 for v in summ.values()), f"summary: {summ}")
        details = p.get("failure-details", [])
        need(isinstance(details, list), "failure-details is a list")
        for d in details:
            need(set(d) <= {"result-type", "sending-mta-ip", "receiving-mx-hostname", "receiving-mx-helo",
                            "receiving-ip", "failed-session-count", "additional-information",
                            "failure-reason-code"}, f"failure-details fields: {list(d)}")
            need(d.get("result-type") in RESULT_TYPES, f"result-type {d.get('result-type')}")
            need(isinstance(d.get("failed-session-count"), int) and d["failed-session-count"] > 0,
                 "failed-session-count")
            for k in ("sending-mta-ip", "receiving-ip"):
                need(k not in d or is_ip(d[k]), f"{k} {d.get(k)}")
        need(sum(d.get("failed-session-count", 0) for d in details) == summ.get("total-failure-session-count"),
             "the failure details add up to the failure count")
    return bad


def main():
    in_scratch(run, "ph-tlsrpt-")


def run(scratch):
    ca_crt, (web_chain, web_key), (mx_chain, mx_key) = certificates(scratch, STS_DOMAINS)
    smtp_port = port_free_everywhere()
    https_port = port_free_everywhere()

    table = os.path.join(scratch, "dkim_signing")
    with open(table, "w") as f:
        f.write(f"{SUBMITTER}  rep\n")
    with Inbound("smtp_tls_rpt_b", conf={"mydestination": "localhost, " + ", ".join(STS_DOMAINS + ["nosts.test"])}) as b, \
            Relay("smtp_tls_rpt_a", "127.0.0.1:1", smtp_port,
                  conf={"smtp_tls_CAfile": ca_crt, "smtp_mta_sts_port": str(https_port), "myhostname": HOSTNAME,
                        "mydomain": SUBMITTER, "dmarc_report_address": REPORTER, "dkim_signing_maps": table},
                  extra_services="pickup unix n - y 60 1 pickup\n") as a:
        # The key that signs the reports; its record goes into NSD's zones.
        r = a.inst.posthorn("dkim", "keygen", SUBMITTER, "rep", timeout=60)
        expect(r.returncode == 0, f"posthorn dkim keygen {SUBMITTER} rep: {r.stderr}")
        key_record = [l for l in r.stdout.splitlines() if "._domainkey." in l][0]
        zones = {}
        for d in STS_DOMAINS + ["nosts.test"]:
            z = "@ MX 10 mx\nmx A 127.0.0.64\nmta-sts A 127.0.0.70\n"
            if d != "nosts.test":
                z += f'_mta-sts TXT "v=STSv1; id=20261207"\n_smtp._tls TXT {RECORD}\n'
            zones[d] = z
        zones["virtual.example"] = "@ MX 10 mx\nmx A 127.0.0.64\n"
        zones[SUBMITTER] = key_record + "\n"
        recipients = {d: f"postmaster@{d}" for d in STS_DOMAINS + ["nosts.test"]}

        start_mx(b, mx_chain, mx_key, smtp_port)
        web = PolicyServer(https_port, web_chain, web_key)
        try:
            with Nsd(zones) as ns:
                a.inst.write_conf(dns_servers=ns.server)
                a.start()
                run_with(a, b, ns, recipients, scratch)
        finally:
            web.stop()


def run_with(a, b, ns, recipients, scratch):
    for d, rcpt in recipients.items():
        a.submit("sender@client.test", [rcpt], message(f"to {d}"))
    for d in ("sts.test", "testing.test", "missing.test", "nosts.test"):
        a.wait_status(recipients[d], "sent")
    for d in ("badcert.test", "unlisted.test"):
        a.wait_status(recipients[d], "deferred")
    a.inst.wait_for_log(r"TLS policy sts of sts\.test at mx\.sts\.test\[127\.0\.0\.64\]:\d+: success")
    a.inst.wait_for_log(r"TLS policy no-policy-found of nosts\.test at mx\.nosts\.test\[127\.0\.0\.64\]:\d+: success")
    passed("the log names the TLS policy of each session")

    # --- the day file -----------------------------------------------------
    rpt_dir = os.path.join(a.inst.queue_dir, "tls-rpt")
    today = time.strftime("%Y%m%d", time.gmtime())
    expect(os.listdir(rpt_dir) == [today], f"one file, today's: {os.listdir(rpt_dir)}")
    mode = os.stat(rpt_dir).st_mode & 0o777
    expect(mode == 0o700, f"tls-rpt/ is 0700: {oct(mode)}")
    # badcert.test and unlisted.test are retried meanwhile: what counts is
    # this copy of the lines, which becomes yesterday's file.
    with open(os.path.join(rpt_dir, today)) as f:
        text = f.read()
    lines = [json.loads(l) for l in text.splitlines()]
    for l in lines:
        expect(set(l) == {"time", "policy_domain", "policy_type", "policy_string", "policy_mx", "mx_host",
                          "receiving_ip", "sending_mta_ip", "result", "failure_reason_code"}, f"a line's fields: {l}")
    by_domain = {}
    for l in lines:
        by_domain.setdefault(l["policy_domain"], []).append(l)
    expect(sorted(by_domain) == sorted(recipients), f"a line for every domain: {sorted(by_domain)}")

    def only(domain):
        ls = by_domain[domain]
        expect(len({(l["policy_type"], l["result"]) for l in ls}) == 1, f"{domain}: one kind of line: {ls}")
        return ls[0]
    sts = only("sts.test")
    expect(len(by_domain["sts.test"]) == 1 and sts["policy_type"] == "sts" and sts["result"] == "success"
           and sts["policy_string"] == POLICIES["sts.test"].splitlines() and sts["policy_mx"] == ["mx.sts.test"]
           and sts["mx_host"] == "mx.sts.test" and sts["receiving_ip"] == "127.0.0.64"
           and ipaddress.ip_address(sts["sending_mta_ip"]).is_loopback, f"sts.test: success under its policy: {sts}")
    l = only("badcert.test")
    expect(l["policy_type"] == "sts" and l["result"] == "certificate-host-mismatch"
           and l["policy_mx"] == ["*.badcert.test"], f"badcert.test: certificate-host-mismatch: {l}")
    l = only("unlisted.test")
    expect(l["result"] == "validation-failure" and "not listed" in l["failure_reason_code"]
           and l["mx_host"] == "mx.unlisted.test", f"unlisted.test: the skipped host is a failure: {l}")
    l = only("testing.test")
    expect(len(by_domain["testing.test"]) == 1 and l["result"] == "certificate-host-mismatch"
           and "mode: testing" in l["policy_string"], f"testing.test: delivered, and the failure recorded: {l}")
    l = only("missing.test")
    expect(len(by_domain["missing.test"]) == 1 and l["policy_type"] == "sts"
           and l["result"] == "sts-policy-fetch-error" and "404" in l["failure_reason_code"]
           and l["policy_string"] == [], f"missing.test: sts-policy-fetch-error: {l}")
    l = only("nosts.test")
    expect(len(by_domain["nosts.test"]) == 1 and l["policy_type"] == "no-policy-found" and l["result"] == "success",
           f"nosts.test: no-policy-found, success: {l}")
    passed("smtp recorded each TLS session with its policy and result")

    # --- the reports --------------------------------------------------------
    r = a.inst.posthorn("tlsrpt", "send", timeout=60)
    expect(r.returncode == 0 and "no TLS sessions to report" in r.stdout,
           f"tlsrpt send without -d leaves today alone: {r.returncode} {r.stdout}{r.stderr}")
    r = a.inst.posthorn("tlsrpt", "send", "-d", today, timeout=60)
    expect(r.returncode == 2 and "the day is not over yet" in r.stderr, f"-d TODAY is refused: {r.stderr}")
    day = time.strftime("%Y%m%d", time.gmtime(time.time() - 86400))
    with open(os.path.join(rpt_dir, day), "w") as f:
        f.write(text)
    out_dir = os.path.join(scratch, "out")
    os.makedirs(out_dir)
    offset = a.inst.log_size()
    r = a.inst.posthorn("tlsrpt", "send", "-d", day, "-o", out_dir, timeout=120)
    print(r.stdout + r.stderr)
    expect(r.returncode == 0 and r.stderr == "", f"tlsrpt send -d {day} -o DIR: {r.returncode} {r.stderr}")
    out = r.stdout.splitlines()
    counts = {d: (sum(l["result"] == "success" for l in ls), sum(l["result"] != "success" for l in ls))
              for d, ls in by_domain.items()}
    for d, (ok, failed) in counts.items():
        head = f"{day} {d}: {ok} successful, {failed} failed sessions"
        if d == "nosts.test":
            head += ", no TLS-RPT record (_smtp._tls.nosts.test): not reported"
        expect(head in out, f"the output says: {head}")
    expect(out.count(f"  {RUA}: sent") == 5, "five reports sent to the rua address")
    expect(out.count("  https://tlsrpt.example/report: not sent, only mailto: is supported") == 5,
           "the https: rua is said to be skipped")

    begin = calendar.timegm(time.strptime(day, "%Y%m%d"))
    end = begin + 86399
    files = sorted(os.listdir(out_dir))
    expect(files == sorted(f"{SUBMITTER}!{d}!{begin}!{end}!{day}.json.gz" for d in STS_DOMAINS),
           f"-o: one submitter!domain!begin!end!id.json.gz per domain with a record (RFC 8460 5.1): {files}")
    reports = {}
    for name in files:
        with open(os.path.join(out_dir, name), "rb") as f:
            raw = gzip.decompress(f.read())
        doc = json.loads(raw)
        domain = name.split("!")[1]
        reports[domain] = raw
        problems = rfc8460_problems(doc)
        expect(problems == [], f"{domain}: the report has RFC 8460 4.4's form: {problems}")
        expect((doc["organization-name"], doc["contact-info"], doc["report-id"], doc["date-range"]) ==
               (SUBMITTER, REPORTER, f"{day}.{domain}@{HOSTNAME}",
                {"start-datetime": time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime(begin)),
                 "end-datetime": time.strftime("%Y-%m-%dT23:59:59Z", time.gmtime(begin))}),
               f"{domain}: organization, contact, report ID and the day: {doc}")
        expect(len(doc["policies"]) == 1, f"{domain}: one policy: {doc['policies']}")
        p = doc["policies"][0]
        pol = p["policy"]
        expect(pol["policy-type"] == "sts" and pol["policy-domain"] == domain, f"{domain}: an sts policy: {pol}")
        if domain != "missing.test":
            expect(pol["policy-string"] == POLICIES[domain].splitlines()
                   and pol["mx-host"] == [m.split(": ")[1] for m in POLICIES[domain].splitlines() if m.startswith("mx:")],
                   f"{domain}: the policy's lines and mx patterns: {pol}")
        else:
            expect("policy-string" not in pol, f"missing.test: no policy to show: {pol}")
        ok, failed = counts[domain]
        expect(p["summary"] == {"total-successful-session-count": ok, "total-failure-session-count": failed},
               f"{domain}: the counts of the lines: {p['summary']}")
        want = Counter((l["result"], l["mx_host"], l["receiving_ip"]) for l in by_domain[domain]
                       if l["result"] != "success")
        got = Counter()
        for d in p.get("failure-details", []):
            got[(d["result-type"], d["receiving-mx-hostname"], d["receiving-ip"])] += d["failed-session-count"]
        expect(got == want, f"{domain}: the failure details are the lines' failures: {got} vs {want}")
    # The checker does check: broken copies are refused.
    doc = json.loads(reports["badcert.test"])
    doc["policies"][0]["failure-details"][0]["result-type"] = "certificate-bad"
    expect(rfc8460_problems(doc), "a result type RFC 8460 does not have is refused")
    doc = json.loads(reports["sts.test"])
    doc["policies"][0]["summary"]["total-failure-session-count"] = 3
    expect(rfc8460_problems(doc), "a failure count the details do not add up to is refused")
    del doc["report-id"]
    expect(rfc8460_problems(doc), "a missing report-id is refused")
    passed("tlsrpt send -o: RFC 8460 reports with the counts and result types of the sessions")

    # --- mailed -------------------------------------------------------------
    def arrived():
        return sorted(glob.glob(os.path.join(b.vhome, "Maildir", "new", "*")))
    wait_for(lambda: len(arrived()) == 5, 30, what="five reports in the rua mailbox")
    delivered = {}
    for path in arrived():
        with open(path, "rb") as f:
            raw = f.read()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        m = re.fullmatch(rf"Report Domain: (\S+) Submitter: {re.escape(SUBMITTER)} Report-ID: <(\S+)>",
                         str(msg["Subject"]))
        expect(m is not None, f"the RFC 8460 5.3 subject: {msg['Subject']}")
        domain = m.group(1)
        delivered[domain] = raw
        expect(m.group(2) == f"{day}.{domain}@{HOSTNAME}", f"the subject's Report-ID: {m.group(2)}")
        expect(msg["TLS-Report-Domain"] == domain and msg["TLS-Report-Submitter"] == SUBMITTER,
               f"TLS-Report-Domain and TLS-Report-Submitter: {msg['TLS-Report-Domain']} {msg['TLS-Report-Submitter']}")
        expect(msg.get_content_type() == "multipart/report" and msg.get_param("report-type") == "tlsrpt",
               f"multipart/report; report-type=tlsrpt: {msg['Content-Type']}")
        expect(msg["Return-Path"] == f"<{REPORTER}>" and REPORTER in str(msg["From"]) and msg["To"] == RUA,
               f"from dmarc_report_address to the rua address: {msg['Return-Path']} {msg['From']} {msg['To']}")
        parts = [p for p in msg.walk() if p.get_content_type() == "application/tlsrpt+gzip"]
        name = f"{SUBMITTER}!{domain}!{begin}!{end}!{day}.json.gz"
        expect(len(parts) == 1 and parts[0].get_filename() == name,
               f"one application/tlsrpt+gzip attachment named as the file: {[p.get_filename() for p in parts]}")
        expect(gzip.decompress(parts[0].get_payload(decode=True)) == reports[domain], "its JSON is the -o file's")
        expect(b"\nDKIM-Signature:" in raw, "the report carries a DKIM-Signature")
        if dkimpy_results:
            wire = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            results = dkimpy_results(wire, ns.port)
            expect(results == [("rsa-sha256", SUBMITTER, "rep", True)],
                   f"DKIM-signed for {SUBMITTER}, and dkimpy verifies it: {results}")
    expect(sorted(delivered) == sorted(STS_DOMAINS), f"a report for each domain: {sorted(delivered)}")
    if not dkimpy_results:
        print(f"SKIP (part): the DKIM signature is not verified: {DKIM_MISSING} (apt-get install python3-dkim)")
    log = a.inst.log_text(offset)
    expect(len(re.findall(r"pickup\[\d+\]: \w+: uid=\d+ from=<reports@send\.test>", log)) == 5,
           "pickup took the five reports from sendmail")
    passed("the reports arrive as RFC 8460 5.3 asks, DKIM-signed")

    # --- reported -----------------------------------------------------------
    expect(sorted(os.listdir(rpt_dir)) == sorted([day + ".reported", today]),
           f"the day is renamed {day}.reported: {os.listdir(rpt_dir)}")
    r = a.inst.posthorn("tlsrpt", "send", timeout=60)
    expect(r.returncode == 0 and "no TLS sessions to report" in r.stdout, f"nothing more to report: {r.stdout}")
    r = a.inst.posthorn("tlsrpt", "mail", timeout=60)
    expect(r.returncode == 2 and "unknown subcommand" in r.stderr, f"a usage error exits 2: {r.stderr}")
    passed("TLS-RPT: sessions recorded by smtp, reported, mailed and signed")


if __name__ == "__main__":
    main()
