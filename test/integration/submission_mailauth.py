"""Authenticated submission skips the sender checks
(smtpd_mailauth_ignore_authenticated, the default), so that a user's mail
is not refused by the DMARC policy of the user's own domain; with the
parameter off, the same message from the same logged-in user is checked
and refused (550 5.7.1, nothing queued).

NSD serves example.com with SPF "-all" and DMARC p=reject; the submission
harness (submission_util) runs 587 with STARTTLS and AUTH; the clients are
on loopback and smtpd_mailauth_ignore_hosts is empty, so only the login
tells them apart.
"""
from dns_util import Nsd
from posthorn_test import expect, passed
from submission_util import ALICE, ALICE_PW, Submission, message

ZONES = {"example.com": '@ TXT "v=spf1 -all"\n_dmarc TXT "v=DMARC1; p=reject"\n'}


def submit(sub):
    s = sub.smtp587()
    try:
        s.login(ALICE, ALICE_PW)
        s.sendmail(ALICE, [ALICE], message(ALICE, ALICE, "from alice"))
        return "250"
    except Exception as e:  # smtplib raises on the refusal
        return str(e)
    finally:
        try:
            s.quit()
        except Exception:
            pass


def main():
    with Nsd(ZONES) as ns:
        conf = {"smtpd_mailauth_checks": "yes", "smtpd_mailauth_ignore_hosts": "",
                "dns_servers": ns.server, "dns_trust_anchor_file": "", "dns_timeout": "2s",
                "dns_attempts": "1"}
        with Submission("submission_mailauth", conf=conf) as sub:
            offset = sub.inst.log_size()
            sub.start()
            before = len(sub.incoming())
            expect(submit(sub) == "250", "an authenticated user's mail is accepted (not checked)")
            expect(len(sub.incoming()) == before + 1, "and queued")
            expect(not sub.inst.find_log(r": [^;]+; .*dmarc=", offset), "no evaluation is logged for it")
        conf["smtpd_mailauth_ignore_authenticated"] = "no"
        with Submission("submission_mailauth_checked", conf=conf) as sub:
            sub.start()
            before = len(sub.incoming())
            result = submit(sub)
            expect("550" in result and "5.7.1" in result,
                   f"with smtpd_mailauth_ignore_authenticated = no it is checked and refused: {result}")
            expect(len(sub.incoming()) == before, "and nothing is queued")
    passed("authenticated submission skips the sender checks unless told not to")


if __name__ == "__main__":
    main()
