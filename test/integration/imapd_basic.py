"""imapd_basic - python3's imaplib (and a raw socket where bytes matter) against real imapd.

Login: STARTTLS on the plain port and implicit TLS, LOGIN refused before
TLS ([PRIVACYREQUIRED], LOGINDISABLED advertised), a wrong password
([AUTHENTICATIONFAILED]), AUTHENTICATE PLAIN with and without SASL-IR,
the capabilities. SELECT's untagged data; FETCH of FLAGS, RFC822.SIZE,
INTERNALDATE, ENVELOPE, BODYSTRUCTURE, BODY[] (byte-equal to the stored
message with CRLF), HEADER.FIELDS and partials; \\Seen set by BODY[] and
not by BODY.PEEK; STORE in every form, keywords, UID STORE (and the flags in
the Maildir file names); SEARCH keys with CHARSET UTF-8; COPY and MOVE
(COPYUID), APPEND with flags and date (APPENDUID), EXPUNGE, CLOSE,
UNSELECT, EXAMINE read-only; folders: CREATE/RENAME/DELETE/LIST/LSUB/
SUBSCRIBE/UNSUBSCRIBE/STATUS, a modified UTF-7 name and its directory,
RENAME INBOX; NAMESPACE, ID, the special-use folders made at first login.
"""
import base64
import imaplib
import os
import re
import sys
import time

from posthorn_test import expect, passed
import imapd_util
from imapd_util import ALICE, ALICE_PW, crlf, quote, untagged

M1 = (b"From: Bob Sender <bob@example.org>\nTo: alice@example.com\nSubject: hello world\n"
      b"Date: Mon, 20 Nov 2023 10:00:00 +0000\nMessage-ID: <m1@example.org>\n\n"
      b"first body line\nsecond line\n")
M2 = ("From: carol@example.net\nTo: alice@example.com\n"
      "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\nX-Tracker: abc123\n"
      "Date: Tue, 21 Nov 2023 11:00:00 +0100\nMIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"sep\"\n\n"
      "preamble\n--sep\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
      "Sch\u00f6ne Gr\u00fc\u00dfe\n--sep\nContent-Type: application/octet-stream\n"
      "Content-Transfer-Encoding: base64\n\naGVsbG8=\n--sep--\n").encode()
M3 = (b"From: bob@example.org\nTo: alice@example.com\nSubject: big one\n\n"
      + b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n" * 160)
APPENDED = b"From: alice@example.com\r\nSubject: draft\r\n\r\nappended body\r\n"


def check(condition, message):
    """expect() without the "ok:" line, for the many checks inside helpers."""
    if not condition:
        raise AssertionError(message)


def ok(result, what):
    typ, data = result
    expect(typ == "OK", f"{what}: {typ} {data}")
    return data


def fetch_items(c, seq, items, uid=False):
    """{item name (upper case): value} of one message's FETCH response
    (imaplib's list of tuples and bytes); a literal's value is its bytes."""
    typ, data = c.uid("FETCH", seq, items) if uid else c.fetch(seq, items)
    check(typ == "OK", f"FETCH {seq} {items}: {typ} {data}")
    text = b""
    literals = []
    for part in data:
        if isinstance(part, tuple):
            literals.append(part[1])
            text += re.sub(rb"\{\d+\}$", b"", part[0]) + b"\x00%d\x00" % (len(literals) - 1)
        elif part is not None:
            text += part
    m = re.match(rb"\d+ \((.*)\)$", text, re.S)
    check(m is not None, f"FETCH response shape: {text[:200]!r}")
    return parse_items(m.group(1), literals)


def parse_items(body, literals):
    """Splits 'NAME value NAME value' at the top level."""
    items = {}
    i = 0
    while i < len(body):
        if body[i:i + 1] == b" ":
            i += 1
            continue
        j = i
        depth = 0
        while j < len(body) and (depth or body[j:j + 1] != b" "):
            depth += {b"[": 1, b"]": -1}.get(body[j:j + 1], 0)
            j += 1
        name = body[i:j].upper().decode()
        value, i = value_at(body, j + 1, literals)
        items[name] = value
    return items


def value_at(body, i, literals):
    """The value starting at body[i] and the index after it."""
    if body[i:i + 1] == b"\x00":
        end = body.index(b"\x00", i + 1)
        return literals[int(body[i + 1:end])], end + 1
    if body[i:i + 1] in (b"(", b'"'):
        depth = 0
        in_quote = False
        j = i
        while j < len(body):
            ch = body[j:j + 1]
            if in_quote:
                if ch == b"\\":
                    j += 1
                elif ch == b'"':
                    in_quote = False
                    if depth == 0:
                        return body[i:j + 1], j + 1
            elif ch == b'"':
                in_quote = True
            elif ch == b"(":
                depth += 1
            elif ch == b")":
                depth -= 1
                if depth == 0:
                    return body[i:j + 1], j + 1
            j += 1
        raise AssertionError(f"unbalanced FETCH value: {body[i:i + 200]!r}")
    j = body.find(b" ", i)
    j = len(body) if j < 0 else j
    return body[i:j], j


def search(c, *criteria, uid=False, charset=None):
    typ, data = c.uid("SEARCH", *criteria) if uid else c.search(charset, *criteria)
    check(typ == "OK", f"SEARCH {criteria}: {typ} {data}")
    return [int(x) for x in data[0].split()]


def flags_of(c, seq):
    return flag_set(fetch_items(c, seq, "(FLAGS)")["FLAGS"])


def flag_set(value):
    """The flags of a FLAGS value, \\Recent left out (session state, not stored)."""
    return set(value.strip(b"()").decode().split()) - {"\\Recent"}


def maildir_flags(name):
    return name.split(":2,", 1)[1] if ":2," in name else ""


def login_checks(p):
    # Plain port: STARTTLS and LOGINDISABLED, no LOGIN before TLS.
    r = p.raw(tls=False)
    expect(r.greeting.startswith(b"* OK"), f"greeting {r.greeting!r}")
    caps = untagged(r.command("a CAPABILITY"), b"CAPABILITY")[0].split()[2:]
    expect(b"STARTTLS" in caps and b"LOGINDISABLED" in caps and b"IMAP4rev1" in caps,
           f"capabilities before STARTTLS: {caps}")
    expect(b"AUTH=PLAIN" not in caps, f"AUTH=PLAIN offered before TLS: {caps}")
    tagged = r.command(f"b LOGIN {quote(ALICE)} {quote(ALICE_PW)}")[-1]
    expect(tagged.startswith(b"b NO [PRIVACYREQUIRED]"), f"LOGIN before TLS: {tagged!r}")
    ir = base64.b64encode(f"\0{ALICE}\0{ALICE_PW}".encode()).decode()
    tagged = r.command(f"b2 AUTHENTICATE PLAIN {ir}")[-1]
    expect(tagged.startswith(b"b2 NO") or tagged.startswith(b"b2 BAD"),
           f"AUTHENTICATE PLAIN before TLS: {tagged!r}")
    expect(r.command("c STARTTLS")[-1].startswith(b"c OK"), "STARTTLS")
    r.s = p.context().wrap_socket(r.s)
    caps = untagged(r.command("d CAPABILITY"), b"CAPABILITY")[0].split()[2:]
    expect(b"AUTH=PLAIN" in caps and b"STARTTLS" not in caps and b"LOGINDISABLED" not in caps,
           f"capabilities after STARTTLS: {caps}")
    tagged = r.command(f"e LOGIN {quote(ALICE)} \"wrong\"")[-1]
    expect(tagged.startswith(b"e NO [AUTHENTICATIONFAILED]"), f"wrong password: {tagged!r}")
    tagged = r.command(f"f LOGIN {quote(ALICE)} {quote(ALICE_PW)}")[-1]
    expect(tagged.startswith(b"f OK"), f"LOGIN after STARTTLS: {tagged!r}")
    bye = r.command("g LOGOUT")
    expect(untagged(bye, b"BYE") and bye[-1].startswith(b"g OK"), f"LOGOUT: {bye}")
    r.close()

    # imaplib over STARTTLS and over 993; the capabilities of a logged-in session.
    c = p.starttls()
    caps = set(ok(c.capability(), "CAPABILITY")[0].decode().upper().split())
    want = {"IMAP4REV1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE", "UIDPLUS",
            "MOVE", "UNSELECT", "SPECIAL-USE", "CHILDREN"}
    expect(want <= caps, f"capabilities after login lack {want - caps}")
    c.logout()
    c = p.imaps()
    ok(c.noop(), "NOOP over 993")
    c.logout()
    # AUTHENTICATE PLAIN: imaplib's (empty challenge), and with SASL-IR.
    c = p.imaps(login=False)
    ok(c.authenticate("PLAIN", lambda _: f"\0{ALICE}\0{ALICE_PW}".encode()), "AUTHENTICATE PLAIN")
    c.logout()
    r = p.raw()
    tagged = r.command(f"a AUTHENTICATE PLAIN {ir}")[-1]
    expect(tagged.startswith(b"a OK"), f"AUTHENTICATE PLAIN with SASL-IR: {tagged!r}")
    bad = base64.b64encode(f"\0{ALICE}\0nope".encode()).decode()
    tagged = r.command(f"b AUTHENTICATE PLAIN {bad}")[-1]
    expect(tagged.startswith(b"b BAD") or tagged.startswith(b"b NO"),
           f"AUTHENTICATE when already logged in: {tagged!r}")
    r.close()
    r = p.raw()
    tagged = r.command(f"a AUTHENTICATE PLAIN {bad}")[-1]
    expect(tagged.startswith(b"a NO [AUTHENTICATIONFAILED]"), f"AUTHENTICATE wrong password: {tagged!r}")
    r.close()
    passed("STARTTLS, 993, LOGIN refused before TLS, wrong passwords, AUTHENTICATE PLAIN, capabilities")


def list_entries(c, ref="", pattern="*", lsub=False):
    """{name: set of attributes} from LIST or LSUB."""
    typ, data = c.lsub(quote(ref), quote(pattern)) if lsub else c.list(quote(ref), quote(pattern))
    check(typ == "OK", f"{'LSUB' if lsub else 'LIST'} {pattern}: {typ} {data}")
    out = {}
    for line in data:
        if line is None:
            continue
        if isinstance(line, tuple):
            line = line[0] + b'"' + line[1] + b'"'
        m = re.match(rb'\(([^)]*)\) (?:"(.)"|NIL) (.*)$', line)
        check(m is not None, f"LIST line {line!r}")
        if m.group(2) is not None:
            check(m.group(2) == b".", f"hierarchy separator {m.group(2)!r}")
        name = m.group(3)
        if name.startswith(b'"'):
            name = name[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
        out[name.decode()] = set(m.group(1).decode().split())
    return out


def main():
    with imapd_util.Imap("imapd-basic") as p:
        for m in (M1, M2, M3):
            p.deliver(m)
        p.start()
        login_checks(p)

        c = p.imaps()
        # Special-use folders, created and subscribed at the first login.
        folders = list_entries(c)
        for name, attr in (("Sent", "\\Sent"), ("Drafts", "\\Drafts"), ("Trash", "\\Trash"),
                           ("Junk", "\\Junk"), ("Archive", "\\Archive")):
            expect(name in folders and attr in folders[name], f"{name} listed with {attr}: {folders}")
            expect(os.path.isdir(p.folder_dir(name)), f"{p.folder_dir(name)} made on disk")
        expect("INBOX" in folders, f"INBOX listed: {folders}")
        subscribed = list_entries(c, lsub=True)
        expect({"Sent", "Drafts", "Trash", "Junk", "Archive"} <= set(subscribed),
               f"special-use folders subscribed: {subscribed}")
        passed("special-use folders made and subscribed at first login")

        # SELECT's untagged data on a raw connection.
        r = p.raw(login=True)
        sel = r.command("s SELECT INBOX")
        expect(sel[-1].startswith(b"s OK [READ-WRITE]"), f"SELECT tagged: {sel[-1]!r}")
        expect(b"* 3 EXISTS" in sel, f"SELECT EXISTS: {sel}")
        flags = [l for l in sel if l.startswith(b"* FLAGS (")]
        expect(flags and all(f in flags[0] for f in
                             (b"\\Answered", b"\\Flagged", b"\\Deleted", b"\\Seen", b"\\Draft")),
               f"SELECT FLAGS: {flags}")
        perm = [l for l in sel if l.startswith(b"* OK [PERMANENTFLAGS (")]
        expect(perm and b"\\*" in perm[0] and b"\\Seen" in perm[0], f"PERMANENTFLAGS: {perm}")
        validity = [re.match(rb"\* OK \[UIDVALIDITY (\d+)\]", l) for l in sel]
        validity = [int(v.group(1)) for v in validity if v]
        expect(len(validity) == 1 and validity[0] > 0, f"UIDVALIDITY: {sel}")
        uidnext = [re.match(rb"\* OK \[UIDNEXT (\d+)\]", l) for l in sel]
        uidnext = [int(v.group(1)) for v in uidnext if v]
        expect(len(uidnext) == 1, f"UIDNEXT: {sel}")
        passed("SELECT: EXISTS, FLAGS, PERMANENTFLAGS, UIDVALIDITY, UIDNEXT, READ-WRITE")

        ok(c.select("INBOX"), "SELECT INBOX")
        uids = [int(fetch_items(c, str(n), "(UID)")["UID"]) for n in (1, 2, 3)]
        expect(uids == sorted(uids) and uids[-1] < uidnext[0], f"UIDs {uids}, UIDNEXT {uidnext}")
        # FETCH items.
        for n, m in ((1, M1), (2, M2), (3, M3)):
            items = fetch_items(c, str(n), "(FLAGS RFC822.SIZE INTERNALDATE)")
            expect(int(items["RFC822.SIZE"]) == len(crlf(m)),
                   f"RFC822.SIZE of {n}: {items['RFC822.SIZE']}, want {len(crlf(m))}")
            expect(flag_set(items["FLAGS"]) == set(), f"FLAGS of new message {n}: {items['FLAGS']!r}")
            when = imaplib.Internaldate2tuple(b"INTERNALDATE " + items["INTERNALDATE"])
            expect(when is not None and abs(time.mktime(when) - time.time()) < 3600,
                   f"INTERNALDATE of {n}: {items['INTERNALDATE']!r}")
        env = fetch_items(c, "1", "(ENVELOPE)")["ENVELOPE"]
        want = (b'("Mon, 20 Nov 2023 10:00:00 +0000" "hello world" (("Bob Sender" NIL "bob" "example.org"))'
                b' (("Bob Sender" NIL "bob" "example.org")) (("Bob Sender" NIL "bob" "example.org"))'
                b' ((NIL NIL "alice" "example.com")) NIL NIL NIL "<m1@example.org>")')
        expect(env == want, f"ENVELOPE of 1:\n{env!r}\nwant\n{want!r}")
        env2 = fetch_items(c, "2", "(ENVELOPE)")["ENVELOPE"]
        expect(b'"=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?="' in env2
               and b'((NIL NIL "carol" "example.net"))' in env2, f"ENVELOPE of 2: {env2!r}")
        body1 = M1.split(b"\n\n", 1)[1]
        bs = fetch_items(c, "1", "(BODYSTRUCTURE)")["BODYSTRUCTURE"].upper()
        want = (b'("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" %d %d'
                % (len(crlf(body1)), body1.count(b"\n")))
        expect(bs.startswith(want), f"BODYSTRUCTURE of 1: {bs!r}, want {want!r}...")
        bs = fetch_items(c, "2", "(BODYSTRUCTURE)")["BODYSTRUCTURE"].upper()
        expect(re.match(rb'\(\("TEXT" "PLAIN" \("CHARSET" "UTF-8"\) NIL NIL "8BIT" 15 0[ )].*\)'
                        rb' ?\("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 8[ )].*\) "MIXED"'
                        rb' \("BOUNDARY" "SEP"\)', bs) is not None, f"BODYSTRUCTURE of 2: {bs!r}")
        passed("FETCH FLAGS, RFC822.SIZE (CRLF size), INTERNALDATE, ENVELOPE, BODYSTRUCTURE")

        items = fetch_items(c, "1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        expect(items["BODY[HEADER.FIELDS (SUBJECT)]"] == b"Subject: hello world\r\n\r\n",
               f"HEADER.FIELDS (SUBJECT): {items}")
        items = fetch_items(c, "1", "(BODY.PEEK[]<0.10>)")
        expect(items.get("BODY[]<0>") == crlf(M1)[:10], f"BODY.PEEK[]<0.10>: {items}")
        items = fetch_items(c, "2", "(BODY.PEEK[1])")
        expect(items.get("BODY[1]") == "Sch\u00f6ne Gr\u00fc\u00dfe".encode(), f"BODY.PEEK[1] of 2: {items}")
        expect(flags_of(c, "1") == set(), "BODY.PEEK does not set \\Seen")
        expect(all(maildir_flags(f) == "" for f in p.files()), f"no flags on disk yet: {p.files()}")
        for n, m in ((1, M1), (2, M2), (3, M3)):
            items = fetch_items(c, str(n), "(BODY[])")
            expect(items["BODY[]"] == crlf(m), f"BODY[] of {n} byte-equal to the message with CRLF")
        expect(all(flags_of(c, str(n)) == {"\\Seen"} for n in (1, 2, 3)),
               "BODY[] set \\Seen")
        expect(all(maildir_flags(f) == "S" for f in p.files()), f"\\Seen on disk (:2,S): {p.files()}")
        passed("BODY[] byte-exact, HEADER.FIELDS, partial, section 1; \\Seen by BODY[], not by BODY.PEEK")

        # STORE forms, keywords, UID STORE.
        data = ok(c.store("1", "+FLAGS", "(\\Flagged)"), "STORE +FLAGS")
        expect(any(b"\\Flagged" in d for d in data if d), f"+FLAGS response: {data}")
        ok(c.store("1", "-FLAGS", "(\\Seen)"), "STORE -FLAGS")
        expect(flags_of(c, "1") == {"\\Flagged"}, f"flags of 1: {flags_of(c, '1')}")
        typ, data = c.store("2", "FLAGS.SILENT", "(\\Answered $Label1)")
        expect(typ == "OK", f"FLAGS.SILENT: {typ} {data}")
        expect(data == [None] or not any(d for d in data), f"FLAGS.SILENT answered with FETCH: {data}")
        expect(flags_of(c, "2") == {"\\Answered", "$Label1"}, f"flags of 2: {flags_of(c, '2')}")
        typ, data = c.uid("STORE", str(uids[2]), "+FLAGS", "(\\Draft)")
        expect(typ == "OK" and any(b"UID %d" % uids[2] in d for d in data if d),
               f"UID STORE answers with the UID: {data}")
        names = p.files()
        expect([maildir_flags(f) for f in names].count("F") == 1, f"1 is :2,F on disk: {names}")
        with open(os.path.join(p.maildir, "dovecot-keywords")) as f:
            keywords = f.read()
        m = re.search(r"^(\d+) \$Label1$", keywords, re.M)
        expect(m is not None, f"dovecot-keywords names $Label1: {keywords!r}")
        letter = "abcdefghijklmnopqrstuvwxyz"[int(m.group(1))]
        expect(any(maildir_flags(f) == "R" + letter for f in names), f"2 is :2,R{letter} on disk: {names}")
        expect(any(maildir_flags(f) == "DS" for f in names), f"3 is :2,DS on disk: {names}")
        passed("STORE +FLAGS/-FLAGS/FLAGS.SILENT, keywords, UID STORE; flags in the file names")

        # SEARCH. Now: 1 \Flagged (unseen), 2 \Answered $Label1 (unseen), 3 \Seen \Draft.
        expect(search(c, "UNSEEN") == [1, 2], "SEARCH UNSEEN")
        expect(search(c, "FROM", "bob") == [1, 3], "SEARCH FROM")
        expect(search(c, "SUBJECT", '"hello"') == [1], "SEARCH SUBJECT")
        expect(search(c, "BODY", '"first body"') == [1], "SEARCH BODY")
        expect(search(c, "HEADER", "X-Tracker", "abc123") == [2], "SEARCH HEADER")
        expect(search(c, "LARGER", "5000") == [3], "SEARCH LARGER")
        expect(search(c, "SINCE", "1-Jan-2020") == [1, 2, 3], "SEARCH SINCE past")
        expect(search(c, "SINCE", "1-Jan-2100") == [], "SEARCH SINCE future")
        expect(search(c, "UID", f"{uids[1]}:{uids[2]}") == [2, 3], "SEARCH UID")
        expect(search(c, "OR", "FROM", "carol", "SUBJECT", "hello") == [1, 2], "SEARCH OR")
        expect(search(c, "NOT", "FROM", "bob") == [2], "SEARCH NOT")
        expect(search(c, "KEYWORD", "$Label1") == [2], "SEARCH KEYWORD")
        expect(search(c, "FLAGGED", "UNANSWERED") == [1], "SEARCH FLAGGED UNANSWERED")
        expect(search(c, "ALL", uid=True) == uids, "UID SEARCH ALL")
        c.literal = "K\u00f6ln".encode()
        expect(search(c, "SUBJECT", charset="UTF-8") == [2], "SEARCH CHARSET UTF-8 SUBJECT (encoded word)")
        c.literal = "Gr\u00fc\u00dfe".encode()
        expect(search(c, "BODY", charset="UTF-8") == [2], "SEARCH CHARSET UTF-8 BODY (8bit part)")
        passed("SEARCH keys, UID SEARCH, CHARSET UTF-8 literals")

        # Folders.
        typ, data = c.create("Work")
        expect(typ == "OK", f"CREATE Work: {data}")
        expect(os.path.isdir(p.folder_dir("Work")) and
               os.path.exists(os.path.join(p.folder_dir("Work"), "maildirfolder")), "Work is .Work on disk")
        ok(c.create("Work.Sub"), "CREATE Work.Sub")
        expect(c.create("Work")[0] == "NO", "CREATE of an existing folder is NO")
        folders = list_entries(c)
        expect("\\HasChildren" in folders["Work"] and "\\HasNoChildren" in folders["Work.Sub"],
               f"CHILDREN attributes: {folders}")
        expect(set(list_entries(c, "", "Work.%")) == {"Work.Sub"}, "LIST Work.%")
        expect(set(list_entries(c, "", "%")) >= {"INBOX", "Work", "Sent"}
               and "Work.Sub" not in list_entries(c, "", "%"), "LIST %")
        ok(c.rename("Work.Sub", "Work.Other"), "RENAME Work.Sub Work.Other")
        expect(os.path.isdir(p.folder_dir("Work.Other")) and not os.path.exists(p.folder_dir("Work.Sub")),
               "renamed on disk")
        ok(c.delete("Work.Other"), "DELETE Work.Other")
        expect(not os.path.exists(p.folder_dir("Work.Other")), "deleted on disk")
        expect(c.delete("Nonexistent")[0] == "NO", "DELETE of a missing folder is NO")
        expect(c.delete("INBOX")[0] == "NO", "DELETE INBOX is NO")
        ok(c.subscribe("Work"), "SUBSCRIBE Work")
        expect("Work" in list_entries(c, lsub=True), "LSUB shows Work")
        ok(c.unsubscribe("Work"), "UNSUBSCRIBE Work")
        expect("Work" not in list_entries(c, lsub=True), "LSUB no longer shows Work")
        # A non-ASCII name: modified UTF-7 on the wire and on disk, as Dovecot names it.
        ete = "&AMk-t&AOk-"  # "Été"
        ok(c.create(ete), "CREATE &AMk-t&AOk-")
        expect(os.path.isdir(os.path.join(p.maildir, ".&AMk-t&AOk-")), "directory .&AMk-t&AOk-")
        expect(ete in list_entries(c), "LIST gives the modified UTF-7 name back")
        expect(c.create("&Jjo-bad&")[0] in ("NO", "BAD"), "CREATE with broken modified UTF-7 refused")
        passed("CREATE/RENAME/DELETE/LIST/LSUB/SUBSCRIBE/UNSUBSCRIBE, CHILDREN, modified UTF-7 names")

        # COPY (COPYUID), MOVE (COPYUID in an untagged OK, EXPUNGE).
        data = ok(c.copy("1", "Work"), "COPY 1 Work")
        m = re.search(rb"\[COPYUID (\d+) (\d+) (\d+)\]", data[-1] or b"")
        expect(m is not None and int(m.group(2)) == uids[0], f"COPYUID: {data}")
        expect(len(p.files("Work")) == 1 and maildir_flags(p.files("Work")[0]) == "F",
               f"the copy keeps \\Flagged on disk: {p.files('Work')}")
        ok(c.unselect(), "UNSELECT")
        r.command("n NOOP")
        mv = r.command(f"m UID MOVE {uids[1]} Work")
        expect(mv[-1].startswith(b"m OK"), f"UID MOVE: {mv}")
        cu = [re.match(rb"\* OK \[COPYUID (\d+) (\d+) (\d+)\]", l) for l in mv]
        cu = [x for x in cu if x]
        expect(cu and int(cu[0].group(2)) == uids[1], f"MOVE's COPYUID: {mv}")
        expect(b"* 2 EXPUNGE" in mv, f"MOVE expunges 2: {mv}")
        expect(len(p.files()) == 2 and len(p.files("Work")) == 2, f"moved on disk: {p.files()} {p.files('Work')}")
        st = r.command("t STATUS Work (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)")
        status = untagged(st, b"STATUS")
        expect(status and b"MESSAGES 2" in status[0] and b"UNSEEN 2" in status[0]
               and b"UIDNEXT %d" % (int(cu[0].group(3)) + 1) in status[0], f"STATUS Work: {st}")
        passed("COPY with COPYUID, UID MOVE with COPYUID and EXPUNGE, STATUS")

        # APPEND with flags and a date.
        before = set(p.files())
        data = ok(c.append("INBOX", "(\\Seen \\Flagged $Todo)", '"01-Jan-2020 12:00:00 +0000"', APPENDED),
                  "APPEND")
        m = re.search(rb"\[APPENDUID (\d+) (\d+)\]", data[-1] or b"")
        expect(m is not None and int(m.group(1)) == validity[0], f"APPENDUID: {data}")
        new_uid = int(m.group(2))
        added = sorted(set(p.files()) - before)
        expect(len(added) == 1 and maildir_flags(added[0]).startswith("FS")
               and len(maildir_flags(added[0])) == 3, f"appended file with F, S and a keyword letter: {added}")
        ok(c.select("INBOX"), "SELECT INBOX")
        items = fetch_items(c, str(new_uid), "(FLAGS INTERNALDATE BODY.PEEK[] RFC822.SIZE)", uid=True)
        # date-day-fixed is " 1" or "01" (RFC 3501 section 9).
        expect(items["INTERNALDATE"] in (b'" 1-Jan-2020 12:00:00 +0000"', b'"01-Jan-2020 12:00:00 +0000"'),
               f"INTERNALDATE of APPEND: {items['INTERNALDATE']!r}")
        expect(items["BODY[]"] == APPENDED and int(items["RFC822.SIZE"]) == len(APPENDED),
               "appended message byte-equal")
        expect(flag_set(items["FLAGS"]) == {"\\Seen", "\\Flagged", "$Todo"},
               f"appended flags {items['FLAGS']!r}")
        passed("APPEND with flags and date: APPENDUID, file name flags, INTERNALDATE, content")

        # EXPUNGE, CLOSE, UNSELECT (INBOX has 1, 3, appended).
        ok(c.store("1", "+FLAGS.SILENT", "(\\Deleted)"), "STORE \\Deleted")
        typ, data = c.expunge()
        expect(typ == "OK" and data == [b"1"], f"EXPUNGE: {data}")
        expect(len(p.files()) == 2, f"expunged on disk: {p.files()}")
        ok(c.store("1", "+FLAGS.SILENT", "(\\Deleted)"), "STORE \\Deleted")
        ok(c.unselect(), "UNSELECT")
        expect(len(p.files()) == 2, "UNSELECT expunges nothing")
        ok(c.select("INBOX"), "SELECT")
        ok(c.close(), "CLOSE")
        expect(len(p.files()) == 1, f"CLOSE expunged the \\Deleted message: {p.files()}")
        # EXAMINE is read-only.
        typ, data = c.select("INBOX", readonly=True)
        expect(typ == "OK", f"EXAMINE: {data}")
        ex = r.command("x EXAMINE INBOX")
        expect(ex[-1].startswith(b"x OK [READ-ONLY]"), f"EXAMINE tagged: {ex[-1]!r}")
        st = r.command("y STORE 1 +FLAGS (\\Answered)")
        # Refused: a NO, or (as Dovecot does) an OK that changed nothing.
        expect(st[-1].startswith(b"y NO") or (st[-1].startswith(b"y OK") and len(st) == 1),
               f"STORE refused in EXAMINE: {st}")
        fl = r.command("y2 FETCH 1 (FLAGS)")
        expect(b"\\Answered" not in fl[0] and fl[-1].startswith(b"y2 OK"), f"no flag stored under EXAMINE: {fl}")
        before = p.files()
        fetch_items(c, "1", "(BODY[])")
        expect(p.files() == before, "BODY[] under EXAMINE sets no \\Seen on disk")
        c.close()
        passed("EXPUNGE, UNSELECT keeps, CLOSE expunges, EXAMINE read-only")

        # NAMESPACE, ID.
        ns = r.command("n NAMESPACE")
        expect(b'* NAMESPACE (("" ".")) NIL NIL' in ns, f"NAMESPACE: {ns}")
        idr = r.command('i ID ("name" "imapd_basic")')
        expect(untagged(idr, b"ID") and idr[-1].startswith(b"i OK"), f"ID: {idr}")
        passed("NAMESPACE, ID")

        # RENAME INBOX: its messages move to the new folder, INBOX stays, empty.
        r.command("u UNSELECT")
        inbox_files = p.files()
        ok(c.rename("INBOX", "Old"), "RENAME INBOX Old")
        expect(len(p.files("Old")) == len(inbox_files) and p.files() == [],
               f"INBOX's messages now in Old: {p.files('Old')}, INBOX: {p.files()}")
        st = r.command("v STATUS INBOX (MESSAGES)")
        expect(untagged(st, b"STATUS") and b"MESSAGES 0" in untagged(st, b"STATUS")[0], f"INBOX empty: {st}")
        st = r.command("w STATUS Old (MESSAGES)")
        expect(b"MESSAGES %d" % len(inbox_files) in untagged(st, b"STATUS")[0], f"Old: {st}")
        folders = list_entries(c)
        expect("INBOX" in folders and "Old" in folders, f"LIST after RENAME INBOX: {folders}")
        passed("RENAME INBOX")
        r.command("z LOGOUT")
        c.logout()
    return 0


if __name__ == "__main__":
    sys.exit(main())
