"""posthorn's log, read by the tools administrators point at Postfix's:
pflogsumm (its report) and fail2ban (fail2ban-regex with the filters in
conf/fail2ban, posthorn-fail2ban(5)).

One instance takes a known mix of traffic and logs it to maillog_file:
  - 3 messages from mynetworks to a local user, 2 relayed to a sink that
    takes them, 1 to a sink that refuses the recipient (550: bounced, and
    the bounce delivered to the local sender), 1 to a sink that answers
    450 (deferred), 1 through sendmail(1): 7 received over SMTP, 1 picked up,
    7 delivered (the bounce counts as delivered, not received, as in Postfix);
  - 2 refused at RCPT from outside mynetworks: a relay attempt and an
    unknown local user.
pflogsumm --syslog-name=posthorn reports exactly those counts in its Grand
Totals (received, delivered, deferred, bounced, rejected) and the senders
and recipients tables.

fail2ban-regex: filter.d/posthorn.conf (fail2ban's postfix filter with our
program names) matches the two rejects from 127.0.0.5 and, in mode=auth,
the SASL failures of a submission instance from 127.0.0.6; filter.d/
posthorn-login.conf matches IMAP and POP3 login failures from 127.0.0.7 and
nothing else (successful logins are not matched).
"""
import imaplib
import os
import poplib
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

from dns_util import Nsd
from imapd_util import Imap
from inbound_util import Inbound, system_user
from mail_user_util import ALICE, ALICE_PW
from popd_util import Pop
from posthorn_test import SKIP, SRCDIR, expect, passed, wait_for
from smtp_mx import port_free_everywhere
from smtp_util import Sink
from submission_util import Submission, message
from submit_util import sendmail

for tool in ("/usr/sbin/pflogsumm", "/usr/bin/fail2ban-regex"):
    if not os.path.exists(tool):
        print(f"SKIP: {tool} is missing (apt-get install pflogsumm fail2ban)")
        sys.exit(SKIP)

FILTERS = os.path.join(SRCDIR, "conf", "fail2ban", "filter.d")
ZONE = """
ok      MX 10 mx-ok
bad     MX 10 mx-bad
later   MX 10 mx-later
mx-ok    A 127.0.0.91
mx-bad   A 127.0.0.92
mx-later A 127.0.0.93
"""


def pflogsumm(log):
    r = subprocess.run(["pflogsumm", "--syslog-name=posthorn", "--smtpd-warning-detail=0", log],
                       capture_output=True, text=True, timeout=60)
    expect(r.returncode == 0, f"pflogsumm runs: {r.stderr}")
    return r.stdout


def total(report, what):
    m = re.search(rf"^\s*(\d+)\s+{what}\b", report, re.M)
    return int(m.group(1)) if m else None


def table(report, title):
    """The 'count  name' rows of a pflogsumm table: {name: count}."""
    m = re.search(rf"^{re.escape(title)}[ \t]*\n-+[ \t]*\n(.*?)(?:\n[ \t]*\n|\Z)", report, re.M | re.S)
    rows = {}
    for line in (m.group(1).splitlines() if m else []):
        parts = line.split()
        if len(parts) >= 2 and parts[0].isdigit():
            rows[parts[-1]] = int(parts[0])
    return rows


def fail2ban(log, filter_spec):
    """fail2ban-regex's count of matches of a filter over a log, and its output.
    The filters run beside fail2ban's own (they include postfix.conf and
    common.conf), as they do once copied into /etc/fail2ban/filter.d."""
    name, _, mode = filter_spec.partition("[")
    with tempfile.TemporaryDirectory(prefix="ph-f2b-") as d:
        filters = os.path.join(d, "filter.d")
        shutil.copytree("/etc/fail2ban/filter.d", filters)
        for f in os.listdir(FILTERS):
            shutil.copy(os.path.join(FILTERS, f), filters)
        return _fail2ban_regex(log, os.path.join(filters, name + ".conf") + ("[" + mode if mode else ""), filter_spec)


def _fail2ban_regex(log, spec, filter_spec):
    r = subprocess.run(["fail2ban-regex", "-v", "--print-all-matched", log, spec],
                       capture_output=True, text=True, timeout=120)
    expect(r.returncode == 0, f"fail2ban-regex {filter_spec}: {r.stderr[-800:]}")
    m = re.search(r"^Lines: \d+ lines, \d+ ignored, (\d+) matched", r.stdout, re.M)
    expect(m is not None, f"fail2ban-regex's summary: {r.stdout[-800:]}")
    return int(m.group(1)), r.stdout


def from_source(base, context_attribute):
    """base (imaplib.IMAP4_SSL, poplib.POP3_SSL) connecting from a chosen
    loopback source address; its TLS context is in context_attribute."""
    class FromSource(base):
        def __init__(self, source, *args, **kw):
            self.source = source
            super().__init__(*args, **kw)

        def _create_socket(self, timeout):
            sock = socket.create_connection((self.host, self.port), timeout, source_address=(self.source, 0))
            return getattr(self, context_attribute).wrap_socket(sock, server_hostname=self.host)
    return FromSource


ImapFrom = from_source(imaplib.IMAP4_SSL, "ssl_context")
PopFrom = from_source(poplib.POP3_SSL, "context")


def imap_login(h, source, password):
    c = ImapFrom(source, "127.0.0.1", h.imaps_port, ssl_context=h.context(), timeout=30)
    try:
        c.login(ALICE, password)
        c.logout()
        return True
    except imaplib.IMAP4.error:
        return False


def pop_login(h, source, password):
    c = PopFrom(source, "127.0.0.1", h.pops, context=h.context(), timeout=30)
    try:
        c.user(ALICE)
        c.pass_(password)
        c.quit()
        return True
    except poplib.error_proto:
        return False


def traffic(ns, port):
    user = system_user()[0]
    with Sink("127.0.0.91", port, name="ok") as ok, \
            Sink("127.0.0.92", port, ["-f", "rcpt", "-B", "550 5.1.1 No such user"], name="bad") as bad, \
            Sink("127.0.0.93", port, ["-r", "rcpt", "-b", "450 4.2.0 Try later"], name="later") as later:
        box = Inbound("logs_readers", conf={
            "mynetworks": "127.0.0.1/32", "dns_servers": ns.server, "dns_trust_anchor_file": "",
            "dns_timeout": "2s", "dns_attempts": "1", "smtp_tcp_port": str(port)},
            extra_services="smtp unix - - y - - smtp\nbounce unix - - y - 0 bounce\n")
        with box:
            inst = box.inst
            box.start()
            local = f"{user}@localhost"
            for i in range(3):
                box.smtp(local, [local], f"From: {local}\nSubject: local {i}\n\nhi\n")
            for i in range(2):
                box.smtp("alice@sender.test", ["bob@ok.test"], f"Subject: relayed {i}\n\nhi\n")
            box.smtp(local, ["nobody@bad.test"], "Subject: will bounce\n\nhi\n")
            box.smtp("carol@sender.test", ["dave@later.test"], "Subject: deferred\n\nhi\n")
            r = sendmail(inst, ["-f", local, local], b"Subject: sendmail\n\nhi\n")
            expect(r.returncode == 0, f"sendmail: {r.stderr}")
            with smtplib.SMTP("127.0.0.1", box.port, timeout=30, source_address=("127.0.0.5", 0)) as s:
                s.ehlo("outside.example")
                s.mail("eve@outside.example")
                code, _ = s.rcpt("victim@ok.test")
                expect(code == 554 or code == 550, f"a relay attempt from outside is refused: {code}")
                code, _ = s.rcpt("no-such-user@localhost")
                expect(code == 550, f"an unknown local user is refused: {code}")
            wait_for(lambda: len(ok.messages()) == 2, 30, what="the two relayed messages at the sink")
            inst.wait_for_log(r"status=bounced", 30)
            inst.wait_for_log(r"to=<dave@later\.test>.*status=deferred", 30)
            inst.wait_for_log(rf"to=<{re.escape(local)}>.*status=sent .*\n?", 30)
            wait_for(lambda: len([l for l in inst.log_lines() if "status=sent" in l and
                                  f"to=<{local}>" in l]) == 5, 30,
                     what="3 local, 1 sendmail and the bounce delivered to the local user")
            time.sleep(0.5)
            with open(inst.maillog) as f:
                return f.read(), local


def main():
    port = port_free_everywhere()
    with Nsd({"test": ZONE}) as ns:
        log_text, local = traffic(ns, port)

    with open(os.path.join(os.environ.get("TMPDIR", "/tmp"), f"ph-logs-{os.getpid()}.log"), "w") as f:
        f.write(log_text)
        log = f.name
    try:
        report = pflogsumm(log)
        counts = {w: total(report, w) for w in ("received", "delivered", "deferred", "bounced", "rejected")}
        expect(counts == {"received": 8, "delivered": 7, "deferred": 1, "bounced": 1, "rejected": 2},
               f"pflogsumm's grand totals: {counts}\n{report}")
        senders = table(report, "Senders by message count")
        expect(senders.get(local) == 5 and senders.get("alice@sender.test") == 2 and
               senders.get("carol@sender.test") == 1,
               f"pflogsumm's senders: {senders}")
        recipients = table(report, "Recipients by message count")
        expect(recipients.get(local) == 5 and recipients.get("bob@ok.test") == 2,
               f"pflogsumm's recipients: {recipients}")
        expect("Relay access denied" in report, "the reject reasons are listed")
        passed("pflogsumm's report counts the traffic exactly")

        matched, out = fail2ban(log, "posthorn")
        expect(matched == 2 and out.count("127.0.0.5") >= 2 and "127.0.0.1 " not in out,
               f"the postfix-derived filter matches the two rejects of 127.0.0.5: {matched}\n{out[-1500:]}")
    finally:
        os.unlink(log)

    # SASL failures at submission.
    with Submission("logs_readers_sasl") as sub:
        sub.add_user("alice@example.test", "right")
        sub.start()
        for _ in range(3):
            with sub.smtp587(source="127.0.0.6") as s:
                s.user, s.password = "alice@example.test", "wrong"
                try:  # one mechanism, one failure (login() would try PLAIN and LOGIN)
                    s.auth("PLAIN", s.auth_plain)
                except smtplib.SMTPAuthenticationError:
                    pass
        with sub.smtp587(source="127.0.0.1") as s:
            s.login("alice@example.test", "right")
        sub.inst.wait_for_log(r"SASL \w+ authentication failed", 10)
        matched, out = fail2ban(sub.inst.maillog, "posthorn[mode=auth]")
        expect(matched == 3 and "127.0.0.6" in out and "127.0.0.1" not in out.split("Lines:")[-1],
               f"mode=auth matches the three SASL failures of 127.0.0.6: {matched}\n{out[-1500:]}")
    passed("fail2ban's postfix filter, with posthorn's program names, matches rejects and SASL failures")

    # IMAP and POP3 login failures.
    for harness, name, login in ((Imap, "imapd", imap_login), (Pop, "popd", pop_login)):
        with harness(f"logs_readers_{name}") as h:
            h.start()
            expect(not login(h, "127.0.0.7", "wrong") and not login(h, "127.0.0.7", "wrong too"),
                   f"{name}: wrong passwords are refused")
            expect(login(h, "127.0.0.1", ALICE_PW), f"{name}: the right one logs in")
            h.inst.wait_for_log(r"login: client=127\.0\.0\.1", 10)
            matched, out = fail2ban(h.inst.maillog, "posthorn-login")
            expect(matched == 2 and "127.0.0.7" in out,
                   f"{name}: posthorn-login matches the two failures, not the login: {matched}\n{out[-1500:]}")
    passed("posthorn-login matches IMAP and POP3 login failures")


if __name__ == "__main__":
    main()
