"""popd_dovecot - a Maildir that Dovecot's POP3 server has served, then popd.

Dovecot (Debian's dovecot-pop3d, a private instance) serves a Maildir
first: it writes dovecot-uidlist. popd then serves the same Maildir (its
index imports dovecot-uidlist): every UIDL, every LIST size and every
retrieved message must be what Dovecot gave, so POP3 clients do not
download anything again after a migration. Files in new/ and cur/, with
and without S=/W= in their names, with LF and with CRLF line ends, and one whose last line has no line end.
Needs root (Dovecot runs the mail process as the mailbox owner).
"""
import os
import sys

from posthorn_test import expect, is_root, passed
import popd_util
import popd_dovecot_util as dc


def session_view(c):
    uidl = [u.split()[1] for u in c.uidl()[1]]
    sizes = [int(e.split()[1]) for e in c.list()[1]]
    bodies = [b"".join(l + b"\r\n" for l in c.retr(n + 1)[1]) for n in range(len(uidl))]
    c.quit()
    return uidl, sizes, bodies


def main():
    if not is_root():
        print("needs root: Dovecot runs its mail process under another uid")
        return 77
    if not dc.available():
        print("Dovecot's POP3 server is not installed (apt-get install dovecot-pop3d): skipped")
        return 77
    with popd_util.Pop("popd-dovecot") as p:
        uid, gid = popd_util.ids()
        messages = []
        for i in range(40):
            body = f"From: a@example.org\nSubject: m{i}\n\n.dot line {i}\nx\n" * (1 + i % 4)
            data = body.encode()
            if i % 5 == 0:
                data = data.replace(b"\n", b"\r\n")
            messages.append(data)
        messages.append(b"Subject: no final line end\n\nlast line")
        dc.write_maildir(p.maildir, messages, uid, gid)
        with dc.Dovecot(p.maildir, uid, gid, p.home) as d:
            dovecot = session_view(d.connect())
        expect(os.path.exists(os.path.join(p.maildir, "dovecot-uidlist")), "Dovecot wrote dovecot-uidlist")
        p.start()
        ours = session_view(p.pop3s())
        expect(ours[0] == dovecot[0], f"UIDLs differ from Dovecot's:\n{ours[0][:5]}\n{dovecot[0][:5]}")
        expect(ours[1] == dovecot[1], f"LIST sizes differ from Dovecot's:\n{ours[1][:8]}\n{dovecot[1][:8]}")
        expect(ours[2] == dovecot[2], "retrieved messages differ from Dovecot's")
        passed(f"{len(messages)} messages: popd's UIDL, LIST and RETR equal Dovecot's after a migration")
    return 0


if __name__ == "__main__":
    sys.exit(main())
