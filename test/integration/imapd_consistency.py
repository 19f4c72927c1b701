#!/usr/bin/env python3
"""imapd_consistency: what a session sees when others change its mailboxes,
and the answers real clients rely on (found by reviewing imapd against
Dovecot and RFC 3501 with Thunderbird's, MailKit's and mbsync's commands).

- The selected folder deleted or renamed by another session: the next
  command gets its answer and then "* BYE" (as Dovecot), never a string of
  NO [SERVERBUG]; an APPEND elsewhere in that state is answered OK once.
- UID FETCH over a message another session expunged: OK (RFC 3501 6.4.8).
- "No mailbox selected" counts once towards imapd_max_bad_commands.
- inbox.sub is INBOX.sub; LIST (SPECIAL-USE) and RETURN (SPECIAL-USE
  SUBSCRIBED); RENAME of the selected folder keeps it selected; DELETE of a
  folder with children: NO [HASCHILDREN]; \\Recent cannot be stored; "$"
  (SEARCHRES, not offered) is BAD.
"""
import re
import sys

import imapd_util
from posthorn_test import expect, passed


def message(i):
    return (f"From: sender{i}@example.net\nTo: alice@example.com\nSubject: note {i}\n"
            f"Message-ID: <c{i}@example.net>\n\nbody {i}\n").encode()


def ok(responses, tag):
    return responses and responses[-1].startswith(tag.encode() + b" OK")


def main():
    with imapd_util.Imap("imapd-consistency", conf={"imapd_max_bad_commands": "6"}) as p:
        for i in range(3):
            p.deliver(message(i))
        p.start()
        a = p.raw(login=True)
        b = p.raw(login=True)

        # "No mailbox selected" counts once: three of them and a is still there.
        for t in ("n1", "n2", "n3"):
            got = a.command(f"{t} FETCH 1 (FLAGS)")
            expect(got[-1].startswith(t.encode() + b" BAD") and not any(l.startswith(b"* BYE") for l in got),
                   f"FETCH without SELECT: {got}")
        expect(ok(a.command("n4 NOOP"), "n4"), "still connected after 3 bad commands (limit 6: counted twice they would be 6)")
        passed("a command needing a selected mailbox counts once as bad")

        # UID FETCH over a message b expunged: OK, UID 2 left out.
        expect(ok(a.command("u1 SELECT INBOX"), "u1"), "SELECT INBOX in a")
        expect(ok(b.command("v1 SELECT INBOX"), "v1"), "SELECT INBOX in b")
        expect(ok(b.command("v2 STORE 2 +FLAGS.SILENT (\\Deleted)"), "v2"), "STORE \\Deleted in b")
        expect(ok(b.command("v3 EXPUNGE"), "v3"), "EXPUNGE in b")
        got = a.command("u2 UID FETCH 1:* (FLAGS)")
        expect(ok(got, "u2"), f"UID FETCH after another session's EXPUNGE is OK: {got}")
        uids = [int(m.group(1)) for l in got for m in [re.search(rb"UID (\d+)", l)] if m]
        expect(2 not in uids and 1 in uids and 3 in uids, f"UID FETCH leaves out the expunged UID: {got}")
        passed("UID FETCH ignores a UID expunged by another session")

        # A new keyword: "* FLAGS" in both sessions before a FETCH shows it,
        # and in the FLAGS and PERMANENTFLAGS of the next SELECT.
        got = a.command("k1 STORE 1 +FLAGS ($Junk)")
        flags_at = [i for i, l in enumerate(got) if l.startswith(b"* FLAGS") and b"$Junk" in l]
        fetch_at = [i for i, l in enumerate(got) if b"FETCH" in l and b"$Junk" in l]
        expect(ok(got, "k1") and flags_at and fetch_at and flags_at[0] < fetch_at[0],
               f"STORE of a new keyword: * FLAGS first: {got}")
        got = b.command("v4 NOOP")
        expect(any(l.startswith(b"* FLAGS") and b"$Junk" in l for l in got), f"the other session's NOOP: {got}")
        got = b.command("v5 EXAMINE INBOX")
        expect(any(l.startswith(b"* FLAGS") and b"$Junk" in l for l in got), f"EXAMINE's FLAGS: {got}")
        got = a.command("k2 SELECT INBOX")
        expect(any(b"PERMANENTFLAGS" in l and b"$Junk" in l for l in got), f"SELECT's PERMANENTFLAGS: {got}")
        expect(ok(b.command("v6 SELECT INBOX"), "v6"), "SELECT INBOX again in b")
        passed("keywords are announced in FLAGS and PERMANENTFLAGS")

        # \Recent cannot be stored; "$" is not offered.
        got = a.command("r1 STORE 1 +FLAGS (\\Recent)")
        expect(got[-1].startswith(b"r1 BAD"), f"STORE \\Recent: {got}")
        got = a.command("r2 SEARCH $")
        expect(got[-1].startswith(b"r2 BAD"), f"SEARCH $: {got}")
        passed("\\Recent is not storable and SEARCH $ is BAD")

        # inbox.sub is INBOX.sub.
        expect(ok(a.command("i1 CREATE inbox.sub"), "i1"), "CREATE inbox.sub")
        got = a.command('i2 LIST "" "INBOX*"')
        names = [l.rsplit(b" ", 1)[-1] for l in got if l.startswith(b"* LIST")]
        expect(b"INBOX.sub" in names and b"inbox" not in names and b"inbox.sub" not in names,
               f"LIST after CREATE inbox.sub: {got}")
        expect(ok(a.command("i3 STATUS Inbox.sub (MESSAGES)"), "i3"),
               "STATUS INBOX.sub")
        passed("INBOX's children are found whatever the case of INBOX")

        # DELETE of a folder with children.
        expect(ok(a.command("d0 CREATE Work"), "d0"), "CREATE Work")
        expect(ok(a.command("d1 CREATE Work.Old"), "d1"), "CREATE Work.Old")
        got = a.command("d2 DELETE Work")
        expect(got[-1].startswith(b"d2 NO [HASCHILDREN]"), f"DELETE Work (has Work.Old): {got}")
        passed("DELETE of a folder with children: NO [HASCHILDREN]")

        # LIST (SPECIAL-USE) and RETURN (SPECIAL-USE SUBSCRIBED).
        got = a.command('s1 LIST (SPECIAL-USE) "" "*"')
        listed = sorted(l.rsplit(b" ", 1)[-1] for l in got if l.startswith(b"* LIST"))
        expect(ok(got, "s1") and listed == sorted([b"Archive", b"Drafts", b"Junk", b"Sent", b"Trash"]),
               f"LIST (SPECIAL-USE): {got}")
        got = a.command('s2 LIST "" "*" RETURN (SPECIAL-USE SUBSCRIBED)')
        sent = [l for l in got if l.endswith(b" Sent")]
        expect(ok(got, "s2") and sent and b"\\Sent" in sent[0] and b"\\Subscribed" in sent[0],
               f"LIST RETURN (SPECIAL-USE SUBSCRIBED): {got}")
        expect(any(l.endswith(b" INBOX") for l in got), f"LIST RETURN lists every folder: {got}")
        passed("LIST (SPECIAL-USE) and LIST ... RETURN (SPECIAL-USE SUBSCRIBED)")

        # RENAME of the selected folder in the same session keeps it selected.
        expect(ok(a.command("m1 CREATE Project"), "m1"), "CREATE Project")
        expect(ok(a.command("m2 COPY 1 Project"), "m2"), "COPY 1 Project")
        expect(ok(a.command("m3 SELECT Project"), "m3"), "SELECT Project")
        expect(ok(a.command("m4 RENAME Project Done"), "m4"), "RENAME Project Done")
        got = a.command("m5 FETCH 1 (UID FLAGS)")
        expect(ok(got, "m5") and any(l.startswith(b"* 1 FETCH") for l in got),
               f"FETCH after renaming the selected folder: {got}")
        passed("RENAME of the selected folder keeps it selected")

        # b selects a folder that a deletes: b's next command is answered, then BYE.
        expect(ok(a.command("t1 CREATE Temp"), "t1"), "CREATE Temp")
        expect(ok(a.command("t2 COPY 1 Temp"), "t2"), "COPY 1 Temp")  # a is in Done
        expect(ok(b.command("w1 SELECT Temp"), "w1"), "SELECT Temp in b")
        expect(ok(a.command("t3 DELETE Temp"), "t3"), "DELETE Temp in a")
        b.send(b"w2 APPEND Sent {11+}\r\nhello there\r\n")
        got = b.until_tagged("w2")
        expect(got[-1].startswith(b"w2 OK"), f"APPEND to Sent while the selected folder is gone: {got}")
        rest = [b.line()]
        expect(rest[0].startswith(b"* BYE"), f"then BYE: {got + rest}")
        expect(b.closed(), "and the connection is closed")
        got = a.command("t4 STATUS Sent (MESSAGES)")
        expect(any(b"MESSAGES 1" in l for l in got), f"the APPEND was stored once: {got}")
        passed("a session whose folder is deleted gets its answer and then BYE")

        # Same in IDLE, with a rename: BYE during the IDLE.
        c = p.raw(login=True)
        expect(ok(a.command("x1 CREATE Tmp2"), "x1"), "CREATE Tmp2")
        expect(ok(c.command("y1 SELECT Tmp2"), "y1"), "SELECT Tmp2 in c")
        c.send(b"y2 IDLE\r\n")
        expect(c.line().startswith(b"+"), "IDLE continuation")
        expect(ok(a.command("x2 RENAME Tmp2 Tmp3"), "x2"), "RENAME Tmp2 Tmp3 in a")
        expect(ok(a.command("x3 APPEND Tmp3 {4+}\r\nabcd"), "x3"), "APPEND to Tmp3 in a")
        line = c.line()
        while line.startswith(b"* ") and not line.startswith(b"* BYE"):
            line = c.line()
        expect(line.startswith(b"* BYE"), f"BYE during IDLE after the folder was renamed: {line}")
        passed("IDLE on a folder renamed elsewhere ends with BYE")
        for r in (a,):
            r.command("z LOGOUT")
    return 0


if __name__ == "__main__":
    sys.exit(main())
