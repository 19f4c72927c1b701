"""smtpd checks each message's sender (smtpd_mailauth_checks) and enforces
DMARC at the end of DATA (smtpd_dmarc_enforce), over SMTP from distinct
loopback addresses, with NSD serving the test zones and dkimpy signing.

- p=reject, SPF fails, no signature: 550 5.7.1 after the final dot, and
  nothing is queued (incoming/ holds no new file);
- the same domain with aligned SPF (the client its SPF record names), or
  with an aligned DKIM signature from another client: 250, queued;
- p=quarantine failing: accepted (the evaluation logs dis=quarantine);
- an allowlisted author domain, and an allowlisted client: accepted,
  though DMARC fails (the log says so);
- a client in smtpd_mailauth_ignore_hosts: not checked at all;
- the author domain's DNS fails: 451 4.7.1, nothing queued;
- the refused message's evaluation is in the DMARC history (applied=reject);
- every checked message's evaluation is logged on one line with the
  queue ID: iprev, spf, dkim, dmarc.
"""
import glob
import json
import os
import re
import sys

from dkim_keys import key_record, rsa_key
from dns_util import Nsd
from posthorn_test import SKIP, expect, passed
from smtpd_util import VIRTUAL_USER, incoming, make_instance, wait_ready
from smtpd_util import send_message as send

try:
    import dkim  # python3-dkim
except ImportError as e:
    print(f"SKIP: {e} (apt-get install python3-dkim)")
    sys.exit(SKIP)


def zones(pub):
    key = key_record("s1", pub)
    spf = '@ TXT "v=spf1 ip4:127.0.0.2 -all"\n'
    return {
        "dmarc.test": '_dmarc TXT "v=DMARC1; p=reject"\nhost A 127.0.0.2\n' + spf + key,
        "127.in-addr.arpa": "2.0.0 PTR host.dmarc.test.\n",
        "quar.test": '_dmarc TXT "v=DMARC1; p=quarantine"\n' + spf,
        "allow.test": '_dmarc TXT "v=DMARC1; p=reject"\n' + spf,
    }


def message(author, subject):
    return (f"From: <{author}>\r\nTo: <{VIRTUAL_USER}>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@x>\r\n\r\nbody of {subject}\r\n").encode()


def main():
    key, pub = rsa_key()
    with Nsd(zones(pub), broken=["broken.test"]) as ns:
        inst, port = make_instance("smtpd_dmarc", smtpd_mailauth_checks="yes", mynetworks="127.0.0.1/32",
                                   smtpd_peername_lookup="yes", dns_servers=ns.server,
                                   dns_trust_anchor_file="", dns_timeout="2s", dns_attempts="1",
                                   smtpd_dmarc_allowlist="allow.test, 127.0.0.9",
                                   myhostname="mx.smtpd.test", authserv_id="mx.smtpd.test")
        with inst:
            offset = inst.log_size()
            inst.start()
            wait_ready(inst, port)

            before = set(incoming(inst))
            r = send(port, "127.0.0.3", "u@dmarc.test", message("a@dmarc.test", "spoofed"))
            expect(r.startswith("550 5.7.1") and "DMARC policy of dmarc.test" in r,
                   f"p=reject failing: refused after the dot ({r})")
            expect(set(incoming(inst)) == before, "and nothing is queued")
            expect(inst.wait_for_log(r"reject: END-OF-MESSAGE from unknown\[127\.0\.0\.3\]: 550 5\.7\.1", offset=offset),
                   "the refusal is logged as Postfix logs one")
            history = [json.loads(line) for path in glob.glob(os.path.join(inst.queue_dir, "dmarc", "*"))
                       for line in open(path)]
            expect(len(history) == 1 and history[0]["applied"] == "reject" and history[0]["dmarc"] == "fail"
                   and history[0]["disposition"] == "reject" and history[0]["source_ip"] == "127.0.0.3",
                   f"the refused message's evaluation is kept for the reports, applied=reject: {history}")

            r = send(port, "127.0.0.2", "u@dmarc.test", message("a@dmarc.test", "aligned spf"))
            expect(r.startswith("250"), f"aligned SPF passes: {r}")
            qid = r.split()[-1]
            line = inst.wait_for_log(rf"{qid}: mx\.smtpd\.test; .*dmarc=pass", offset=offset).string
            expect("spf=pass" in line and "dkim=none" in line
                   and "iprev=pass (host.dmarc.test) policy.iprev=127.0.0.2" in line,
                   f"the evaluation is logged with the queue ID: {line.strip()}")

            signed = dkim.sign(message("a@dmarc.test", "aligned dkim"), b"s1", b"dmarc.test", key,
                               include_headers=[b"from", b"subject"]) + message("a@dmarc.test", "aligned dkim")
            r = send(port, "127.0.0.3", "u@elsewhere.example", signed)
            expect(r.startswith("250"), f"an aligned DKIM signature passes though SPF does not: {r}")
            qid = r.split()[-1]
            line = inst.wait_for_log(rf"{qid}: .*dkim=pass header\.d=dmarc\.test", offset=offset).string
            expect("dmarc=pass" in line, f"DMARC passes through DKIM: {line.strip()}")

            r = send(port, "127.0.0.3", "u@quar.test", message("a@quar.test", "quarantined"))
            expect(r.startswith("250"), f"p=quarantine failing is accepted: {r}")
            expect(inst.wait_for_log(rf"{r.split()[-1]}: .*dmarc=fail \(p=quarantine dis=quarantine", offset=offset),
                   "its evaluation says dis=quarantine")

            r = send(port, "127.0.0.3", "u@allow.test", message("a@allow.test", "allowed domain"))
            expect(r.startswith("250"), f"an allowlisted author domain is not enforced: {r}")
            expect(inst.wait_for_log(rf"{r.split()[-1]}: .*dmarc=fail \(p=reject dis=reject", offset=offset),
                   "though it fails DMARC, as logged")
            r = send(port, "127.0.0.9", "u@dmarc.test", message("a@dmarc.test", "allowed client"))
            expect(r.startswith("250"), f"an allowlisted client is not enforced: {r}")

            r = send(port, "127.0.0.1", "u@dmarc.test", message("a@dmarc.test", "from mynetworks"))
            expect(r.startswith("250"), f"a client in smtpd_mailauth_ignore_hosts is not checked: {r}")
            expect(not inst.find_log(rf"{re.escape(r.split()[-1])}: mx\.smtpd\.test;", offset),
                   "and no evaluation is logged for it")

            before = set(incoming(inst))
            r = send(port, "127.0.0.3", "u@x.broken.test", message("a@x.broken.test", "dns failure"))
            expect(r.startswith("451 4.7.1"), f"a DNS failure while deciding DMARC: try again ({r})")
            expect(set(incoming(inst)) == before, "and nothing is queued")
            inst.stop()
    passed("DMARC enforced over SMTP: reject, pass by SPF and by DKIM, quarantine, allowlists, ignored hosts, 451")


if __name__ == "__main__":
    main()
