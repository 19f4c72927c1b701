#!/usr/bin/env python3
"""imapd_handover: every login reaches the mailbox stage, even when the
login process exits right after it (max_use = 1).

The mailbox stage (imapd-mailbox, `popd mailbox`) checks that a login
stage of the same master handed the client over (lib/login/mail_user.h); the
login process waits for its acknowledgement before it exits. Without that wait, a login process at its
max_use was sometimes gone before the check and the client was dropped
(found by bench/imap_bench.py: about one login in a hundred). POP3 shares
the handover code; both are exercised, over plain text (the socket itself
travels) and over TLS (the login stage stays on as the proxy).
"""
import imaplib
import poplib
import sys

import imapd_util
import popd_util
from posthorn_test import expect, passed

LOGINS = 40


def main():
    conf = {"max_use": "1", "imapd_disable_plaintext_auth": "no", "popd_disable_plaintext_auth": "no"}
    with imapd_util.Imap("imapd-handover", conf=conf) as p:
        pop_port = p.inst.free_port()
        while pop_port in (p.imap_port, p.imaps_port):
            pop_port = p.inst.free_port()
        p.inst.write_master_conf(imapd_util.SERVICES.format(imap=p.imap_port, imaps=p.imaps_port) +
                                 "pop3-mailbox unix - n n - - popd mailbox\n"
                                 f"{pop_port} inet n - y - - popd\n")
        p.start()
        failures = []
        for i in range(LOGINS):
            try:
                c = imaplib.IMAP4(p.host, p.imap_port, timeout=20)
                c.login(imapd_util.ALICE, imapd_util.ALICE_PW)
                typ, _ = c.select("INBOX")
                expect(typ == "OK", f"SELECT after login {i}: {typ}")
                c.logout()
            except Exception as e:  # noqa: BLE001 - any failure is the finding
                failures.append(f"imap plain {i}: {e!r}")
        expect(not failures, f"plain-text IMAP logins with max_use 1: {failures}")
        passed(f"{LOGINS} plain-text IMAP logins, each by a fresh login process")
        for i in range(LOGINS // 4):
            c = p.imaps(login=True)
            expect(c.select("INBOX")[0] == "OK", f"SELECT over TLS {i}")
            c.logout()
        passed(f"{LOGINS // 4} IMAP logins over TLS")
        for i in range(LOGINS):
            try:
                c = poplib.POP3(p.host, pop_port, timeout=20)
                c.user(popd_util.ALICE)
                c.pass_(popd_util.ALICE_PW)
                c.stat()
                c.quit()
            except Exception as e:  # noqa: BLE001
                failures.append(f"pop3 {i}: {e!r}")
        expect(not failures, f"plain-text POP3 logins with max_use 1: {failures}")
        passed(f"{LOGINS} plain-text POP3 logins, each by a fresh login process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
