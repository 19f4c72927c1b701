"""Submission on 587 (STARTTLS) and 465 (implicit TLS) with SASL through authd.

The instance of submission_util: two smtpd services in submission mode,
authd's userdb and passdb (`authd passdb`), users from `posthorn passwd`.
Asserted:
- python smtplib, swaks and msmtp submit over 587 and 465 with PLAIN and
  LOGIN; gsasl's client logs in with SCRAM-SHA-256 (alice has a verifier)
  and fails cleanly for bob (no verifier, -S);
- EHLO offers AUTH only inside TLS; AUTH before STARTTLS -> 538 5.7.11;
  MAIL before STARTTLS and MAIL before AUTH -> 530 5.7.0; a wrong password
  -> 535 5.7.8 and the Postfix-style log line fail2ban matches, and authd's
  own line; "*" -> 501 5.0.0; an unknown mechanism -> 504 5.5.4; bad
  base64 -> 501 5.5.2;
- the queue file records the SASL method and user, Received: says
  ESMTPSA, AUTH= of an authenticated client is kept;
- an authenticated client relays; sending as another user's address ->
  553 5.7.1, as an address the login map grants -> accepted;
- TLS: 1.1 is refused on 465 and after STARTTLS on 587 (openssl
  s_client), 1.2 works;
- as root: smtpd is chrooted into the queue directory as mail_owner, has
  no file of /etc open, and the passwd file is root's, 0640, outside the
  jail (read from /proc). As an ordinary user that part is skipped.
"""
import base64
import os
import pwd
import smtplib
import subprocess
import tempfile

from posthorn_test import expect, is_root, passed, proc_status, wait_for, cmdline
from smtpd_util import Client
from submission_util import (ALICE, ALICE_PW, BOB, BOB_PW, HOST, Submission, have, message,
                             queue_id)

RCPT = "root@localhost.localdomain"


def b64(text):
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def check_smtplib(s):
    for port_kind, connect in (("587", s.smtp587), ("465", s.smtp465)):
        for mech in ("PLAIN", "LOGIN"):
            with connect() as c:
                expect(c.has_extn("auth") and "PLAIN" in c.esmtp_features["auth"].split()
                       and "LOGIN" in c.esmtp_features["auth"].split()
                       and "SCRAM-SHA-256" in c.esmtp_features["auth"].split(),
                       f"{port_kind}: EHLO offers AUTH inside TLS: {c.esmtp_features}")
                c.user, c.password = ALICE, ALICE_PW
                code, text = c.auth(mech, getattr(c, "auth_" + mech.lower()),
                                    initial_response_ok=(mech == "PLAIN"))
                expect(code == 235 and text == b"2.7.0 Authentication successful",
                       f"{port_kind} {mech}: {code} {text}")
                c.mail(ALICE, ["AUTH=" + ALICE])
                c.rcpt(RCPT)
                code, text = c.data(message(ALICE, RCPT, f"smtplib {port_kind} {mech}"))
                expect(code == 250, f"{port_kind} {mech}: DATA {code} {text}")
            qid = queue_id(text)
            fields, _, _, content = s.dump(qid)
            expect(fields["client.sasl_method"] == mech.encode()
                   and fields["client.sasl_username"] == ALICE.encode()
                   and fields["client.protocol"] == b"ESMTPSA"
                   and fields["auth"] == ALICE.encode(),
                   f"{port_kind} {mech}: the queue file records the SASL login: "
                   f"{ {k: v for k, v in fields.items() if k.startswith('client') or k == 'auth'} }")
            expect(b"with ESMTPSA id " + qid.encode() in content.split(b"\nFrom:")[0],
                   f"Received: says ESMTPSA: {content[:300]!r}")
    expect(s.inst.find_log(r"client=unknown\[127\.0\.0\.1\], sasl_method=LOGIN, "
                           r"sasl_username=alice@example\.com"),
           "the client= log line names the SASL method and user")
    passed("smtplib submits over 587 and 465 with PLAIN and LOGIN; queue file and Received:")


def check_swaks(s):
    if not have("swaks"):
        print("SKIP swaks part: swaks is not installed (Debian package swaks)")
        return
    for port, tls in ((s.sub, "--tls"), (s.subs, "--tls-on-connect")):
        for mech in ("PLAIN", "LOGIN"):
            r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(port), tls,
                                "--ehlo", "client.example", "--auth", mech,
                                "--auth-user", ALICE, "--auth-password", ALICE_PW,
                                "--from", ALICE, "--to", RCPT, "--header", f"Subject: swaks {mech}",
                                "--timeout", "30"],
                               capture_output=True, text=True, timeout=60)
            out = r.stdout + r.stderr
            if "requires Net::SSLeay" in out:
                print("SKIP swaks part: swaks has no TLS (Debian package libnet-ssleay-perl)")
                return
            expect(r.returncode == 0 and "235 2.7.0 Authentication successful" in out
                   and "250 2.0.0 Ok: queued as" in out,
                   f"swaks {tls} AUTH {mech} on {port}: rc {r.returncode}\n{out[-1500:]}")
    passed("swaks submits over 587 (--tls) and 465 (--tls-on-connect) with PLAIN and LOGIN")


def check_msmtp(s):
    if not have("msmtp"):
        print("SKIP msmtp part: msmtp is not installed (Debian package msmtp)")
        return
    for port, starttls in ((s.sub, "on"), (s.subs, "off")):
        for mech in ("plain", "login"):
            with tempfile.TemporaryDirectory() as d:
                rc = os.path.join(d, "msmtprc")
                with open(rc, "w") as f:
                    f.write(f"account default\nhost 127.0.0.1\nport {port}\ntls on\n"
                            f"tls_starttls {starttls}\ntls_trust_file {s.cert}\n"
                            f"tls_certcheck off\nauth {mech}\nuser {ALICE}\n"
                            f"password {ALICE_PW}\nfrom {ALICE}\ndomain client.example\n"
                            f"logfile {os.path.join(d, 'log')}\n")
                os.chmod(rc, 0o600)
                r = subprocess.run(["msmtp", "-C", rc, "-v", RCPT],
                                   input=message(ALICE, RCPT, f"msmtp {mech}"),
                                   capture_output=True, timeout=60)
                out = (r.stdout + r.stderr).decode(errors="replace")
                expect(r.returncode == 0 and "235 2.7.0" in out and "queued as" in out,
                       f"msmtp port {port} starttls {starttls} auth {mech}: rc {r.returncode}\n"
                       f"{out[-1500:]}")
    passed("msmtp submits over 587 (STARTTLS) and 465 (TLS) with PLAIN and LOGIN")


def check_scram(s):
    if not have("gsasl"):
        print("SKIP SCRAM part: gsasl is not installed (Debian package gsasl)")
        return
    def gsasl(user, password):
        return subprocess.run(["gsasl", "--client", "--smtp", "--connect",
                               f"127.0.0.1:{s.sub}", "--starttls", "--x509-ca-file", "",
                               "--mechanism", "SCRAM-SHA-256", "--no-cb",
                               "--authentication-id", user, "--authorization-id", "",
                               "--password", password, "--quiet"],
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    offset = s.inst.log_size()
    r = gsasl(ALICE, ALICE_PW)
    expect(r.returncode == 0, f"gsasl SCRAM-SHA-256 as alice: rc {r.returncode}\n"
                              f"{r.stdout[-1500:]}{r.stderr[-1500:]}")
    s.inst.wait_for_log(r"SASL authentication succeeded: service=smtpd mech=SCRAM-SHA-256 "
                        r"user=<alice@example\.com>", offset=offset)
    r = gsasl(ALICE, "wrong")
    expect(r.returncode != 0, "gsasl with a wrong password fails")
    offset = s.inst.log_size()
    r = gsasl(BOB, BOB_PW)
    expect(r.returncode != 0, "bob has no SCRAM verifier (-S): SCRAM fails for him")
    s.inst.wait_for_log(r"SASL authentication failed: service=smtpd mech=SCRAM-SHA-256 "
                        r"user=<bob@example\.com> .*reason=\"no SCRAM-SHA-256 verifier\"",
                        offset=offset)
    # ...while PLAIN still works for him.
    with s.smtp587() as c:
        code, _ = c.login(BOB, BOB_PW)
        expect(code == 235, "bob logs in with PLAIN")
    passed("SCRAM-SHA-256 with gsasl's client; a user without a verifier fails cleanly")


def check_refusals(s):
    with Client(s.sub) as c:
        c.send("EHLO client.example\r\n")
        code, lines = c.reply()
        expect(code == 250 and not any(l.startswith("AUTH") for l in lines),
               f"no AUTH offered before STARTTLS: {lines}")
        expect(c.cmd("AUTH PLAIN " + b64(f"\0{ALICE}\0{ALICE_PW}"))
               == "538 5.7.11 Encryption required for requested authentication mechanism",
               "AUTH before STARTTLS -> 538 5.7.11")
        expect(c.cmd(f"MAIL FROM:<{ALICE}>").startswith("530 5.7.0"),
               "MAIL before STARTTLS -> 530 5.7.0")
        expect(c.cmd("STARTTLS").startswith("220"), "STARTTLS")
        c.starttls(s.cert)
        c.cmd("EHLO client.example")
        expect(c.cmd(f"MAIL FROM:<{ALICE}>") == "530 5.7.0 Authentication required",
               "MAIL before AUTH -> 530 5.7.0")
        offset = s.inst.log_size()
        expect(c.cmd("AUTH PLAIN " + b64(f"\0{ALICE}\0not-it")).startswith("535 5.7.8"),
               "a wrong password -> 535 5.7.8")
        s.inst.wait_for_log(r"smtpd\[\d+\]: warning: unknown\[127\.0\.0\.1\]: SASL PLAIN "
                            r"authentication failed: authentication failure$", offset=offset)
        s.inst.wait_for_log(r"authd\[\d+\]: warning: SASL authentication failed: service=smtpd "
                            r"mech=PLAIN user=<alice@example\.com> rip=127\.0\.0\.1 tls=yes "
                            r"reason=\"password mismatch\"", offset=offset)
        expect(c.cmd("AUTH LOGIN") == "334 " + b64("Username:"), "AUTH LOGIN asks the user name")
        expect(c.cmd(b64(ALICE)) == "334 " + b64("Password:"), "... then the password")
        expect(c.cmd("*") == "501 5.0.0 Authentication aborted", "'*' cancels: 501 5.0.0")
        expect(c.cmd("AUTH PLAIN") == "334 ", "AUTH PLAIN without initial response: 334")
        expect(c.cmd("%%%") == "501 5.5.2 Cannot decode response", "bad base64 -> 501 5.5.2")
        expect(c.cmd("AUTH CRAM-MD5").startswith("504 5.5.4"), "unknown mechanism -> 504 5.5.4")
        expect(c.cmd("AUTH PLAIN " + b64(f"\0{ALICE}\0{ALICE_PW}"))
               == "235 2.7.0 Authentication successful", "the right password -> 235")
        expect(c.cmd("AUTH PLAIN " + b64(f"\0{ALICE}\0{ALICE_PW}")).startswith("503 5.5.1"),
               "a second AUTH -> 503")
        reply = c.cmd(f"MAIL FROM:<{BOB}>")
        expect(reply == f"553 5.7.1 <{BOB}>: Sender address rejected: not owned by user {ALICE}",
               f"alice sending as bob -> 553 5.7.1: {reply}")
        expect(c.cmd("MAIL FROM:<shared@example.com>") == "250 2.1.0 Ok",
               "an address the login map grants alice is accepted")
        expect(c.cmd("RCPT TO:<someone@remote.example>") == "250 2.1.5 Ok",
               "an authenticated client may relay")
        c.cmd("RSET")
        expect(c.cmd(f"MAIL FROM:<{ALICE}>") == "250 2.1.0 Ok", "her own address is accepted")
        c.cmd("QUIT")
    # Unauthenticated relay is still refused where AUTH is not required.
    passed("538, 530, 535 (+ fail2ban lines), 501 5.0.0, 504, 501 5.5.2, 553 5.7.1, relay")


def check_tls_versions(s):
    def s_client(*args):
        return subprocess.run(["openssl", "s_client", "-brief", *args],
                              input="QUIT\r\n", capture_output=True, text=True, timeout=30)
    r = s_client("-connect", f"127.0.0.1:{s.subs}", "-tls1_1")
    expect(r.returncode != 0, f"465: TLS 1.1 is refused: {r.stdout[-500:]}{r.stderr[-500:]}")
    r = s_client("-connect", f"127.0.0.1:{s.sub}", "-starttls", "smtp", "-tls1_1")
    expect(r.returncode != 0, "587: TLS 1.1 after STARTTLS is refused")
    r = s_client("-connect", f"127.0.0.1:{s.subs}", "-tls1_2")
    expect(r.returncode == 0 and "TLSv1.2" in r.stdout + r.stderr,
           f"465: TLS 1.2 works: {r.stdout[-500:]}{r.stderr[-500:]}")
    passed("only TLS 1.2 and 1.3: openssl s_client -tls1_1 fails on 465 and 587")


def check_jail(s):
    if not is_root():
        print("SKIP jail part: needs root (smtpd chroots and drops privileges only as root)")
        return
    pids = []
    with s.smtp587() as c:
        c.login(ALICE, ALICE_PW)
        for pid in s.inst.workers():
            args = cmdline(pid)
            if args and os.path.basename(args[0]) == "smtpd":
                pids.append(pid)
        expect(pids, "an smtpd process serves the client")
        owner = pwd.getpwnam(s.inst.mail_owner)
        for pid in pids:
            root = os.readlink(f"/proc/{pid}/root")
            expect(os.path.realpath(root) == os.path.realpath(s.inst.queue_dir),
                   f"smtpd {pid} is chrooted into the queue directory: {root}")
            uids = proc_status(pid)["Uid"].split()
            expect(all(int(u) == owner.pw_uid for u in uids),
                   f"smtpd {pid} runs as mail_owner: {uids}")
            files = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
            expect(not any("passwd" in f or f.startswith(s.inst.config_dir) for f in files),
                   f"smtpd {pid} has no passwd file open: {files}")
    st = os.stat(s.passwd)
    expect(st.st_uid == 0 and (st.st_mode & 0o777) == 0o640 and st.st_gid != owner.pw_gid,
           f"the passwd file is root's, 0640, not mail_owner's group: {oct(st.st_mode)}")
    expect(not os.path.realpath(s.passwd).startswith(os.path.realpath(s.inst.queue_dir) + "/"),
           "the passwd file is outside smtpd's jail")
    passed("smtpd: chrooted, mail_owner, no passwd file open and none reachable (/proc)")


def main():
    with Submission("submission-auth") as s:
        s.start()
        check_refusals(s)
        check_smtplib(s)
        check_swaks(s)
        check_msmtp(s)
        check_scram(s)
        check_tls_versions(s)
        check_jail(s)


if __name__ == "__main__":
    main()
