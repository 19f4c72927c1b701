"""authd checks system users' passwords through PAM (auth_pam_service).

Root only: the PAM service is a file in /etc/pam.d, and authd's passdb
runs as root. The service written here hands the password to a script
(pam_exec expose_authtok) that accepts one user and password, so the test
needs no system account. Asserted, over 587 with smtplib:
- a login the passwd file does not hold is checked by PAM: the right
  password -> 235, a wrong one -> 535 5.7.8 with authd's failure line
  naming a PAM reason;
- passwd-file users are still checked against the file (PAM is not asked);
- with the sender login check on, a system user may send as
  LOGIN@(a domain of mydestination), not as another local user.
"""
import os
import smtplib
import sys

from posthorn_test import expect, is_root, passed
from submission_util import ALICE, ALICE_PW, Submission

SCRIPT = """#!/bin/sh
pw=$(tr -d '\\000')
[ "$PAM_USER" = "sysuser" ] && [ "$pw" = "sys pass" ]
"""


def main():
    if not is_root():
        print("SKIP: needs root (a PAM service file in /etc/pam.d; authd as root)")
        sys.exit(77)
    service = f"posthorn-test-{os.getpid()}"
    pam_file = os.path.join("/etc/pam.d", service)
    with Submission("submission-pam", {"auth_pam_service": service}) as s:
        script = os.path.join(s.inst.dir, "pam-check.sh")
        with open(script, "w") as f:
            f.write(SCRIPT)
        os.chmod(script, 0o755)
        try:
            with open(pam_file, "w") as f:
                # As Debian's common-auth: the check skips pam_deny when it
                # passes, so a wrong password is PAM_AUTH_ERR.
                f.write(f"auth [success=1 default=ignore] pam_exec.so expose_authtok quiet "
                        f"{script}\nauth requisite pam_deny.so\nauth required pam_permit.so\n"
                        "account required pam_permit.so\n")
            s.start()
            with s.smtp587() as c:
                code, text = c.login("sysuser", "sys pass")
                expect(code == 235, f"a system user logs in through PAM: {code} {text}")
                code, text = c.mail("sysuser@localhost.localdomain")
                expect(code == 250, f"a system user sends as LOGIN@mydestination: {code} {text}")
                c.rset()
                code, text = c.mail("other@localhost.localdomain")
                expect(code == 553, f"...and not as another local user: {code} {text}")
            offset = s.inst.log_size()
            with s.smtp587() as c:
                try:
                    c.login("sysuser", "wrong")
                    expect(False, "a wrong PAM password is refused")
                except smtplib.SMTPAuthenticationError as e:
                    expect(e.smtp_code == 535, f"wrong PAM password -> 535: {e}")
            s.inst.wait_for_log(r"SASL authentication failed: service=smtpd mech=PLAIN "
                                r"user=<sysuser> .*reason=\"PAM: ", offset=offset)
            with s.smtp587() as c:
                code, _ = c.login(ALICE, ALICE_PW)
                expect(code == 235, "a passwd-file user still logs in")
            passed("PAM checks system users; the passwd file its own")
        finally:
            os.unlink(pam_file)


if __name__ == "__main__":
    main()
