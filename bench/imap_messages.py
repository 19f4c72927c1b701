"""imap_messages - writes the IMAP benchmark's Maildirs directly (no per-message process).

Used by bench/imap_bench.py. Messages are realistic enough for ENVELOPE and
SEARCH to have work to do: Received lines, From/To/Cc with display names,
Subject (some RFC 2047 encoded), Date, Message-ID, In-Reply-To/References
on replies, MIME headers; every 20th is multipart/alternative (text and
HTML), every 50th multipart/mixed with a base64 attachment. A fixed seed
makes every run and every copy identical. Files get Dovecot-style names
(`T.MiPp.bench,S=size,W=vsize`), LF line ends, mtime = the Date header;
about 70% are in cur/ with the Seen flag, the rest unseen (cur/ without
flags, or new/). The same bytes go to every target Maildir, so each
server gets an identical copy.
"""
import base64
import email.utils
import os
import random

FIRST = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
         "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Zoe"]
LAST = ["Jones", "Smith", "Miller", "Novak", "Weber", "Rossi", "Dubois", "Berg", "Kowalski", "Silva"]
DOMAINS = ["example.org", "example.net", "lists.example.com", "corp.example", "mail.example.de"]
WORDS = ("meeting report quarterly budget server release patch review schedule invoice travel "
         "customer project deadline draft proposal network backup migration update notes agenda "
         "lunch office holiday contract support ticket build failure results summary plan").split()
NEEDLE = "quasarneedle"          # in the body of every 200th message (SEARCH BODY)
SENDER = "carol.jones@example.org"  # From of every 100th message (SEARCH FROM)
T0 = 1700000000


def _person(rng):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return f"{first} {last}", f"{first.lower()}.{last.lower()}@{rng.choice(DOMAINS)}"


def _text(rng, size):
    lines, total = [], 0
    while total < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 12))).capitalize() + "."
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines) + "\n"


def message(i, rng, body_size=None):
    """Message number i (bytes, LF line ends) and its Date as a timestamp."""
    when = T0 + i * 37
    name, addr = _person(rng)
    if i % 100 == 7:
        name, addr = "Carol Jones", SENDER
    elif addr == SENDER:
        addr = "carol.jones@example.net"
    to_name, to_addr = "Alice Example", "alice@example.com"
    subject = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 7))).capitalize()
    if i % 9 == 0:
        subject = "=?UTF-8?B?" + base64.b64encode(("Grüße: " + subject).encode()).decode() + "?="
    if i % 4 == 1:
        subject = "Re: " + subject
    head = [f"Return-Path: <{addr}>",
            f"Received: from mx{i % 7}.{addr.split('@')[1]} (mx{i % 7}.{addr.split('@')[1]} [192.0.2.{i % 250 + 1}])",
            f"\tby mail.example.com (posthorn) with ESMTPS id {i:08X}",
            f"\tfor <{to_addr}>; {email.utils.formatdate(when + 3)}",
            f"From: {name} <{addr}>",
            f"To: {to_name} <{to_addr}>"]
    if i % 3 == 0:
        cc_name, cc_addr = _person(rng)
        head.append(f"Cc: {cc_name} <{cc_addr}>, team@lists.example.com")
    head += [f"Subject: {subject}", f"Date: {email.utils.formatdate(when)}",
             f"Message-ID: <{when}.{i}@{addr.split('@')[1]}>"]
    if i % 4 == 1 and i > 10:
        ref = f"<{T0 + (i - 5) * 37}.{i - 5}@{DOMAINS[i % len(DOMAINS)]}>"
        head += [f"In-Reply-To: {ref}", f"References: {ref}"]
    head.append("MIME-Version: 1.0")
    text = _text(rng, body_size if body_size else rng.choice([400, 900, 1500, 2500, 4000, 8000]))
    if i % 200 == 3:
        text += f"The word {NEEDLE} is what SEARCH BODY looks for.\n"
    if i % 50 == 0:
        blob = base64.encodebytes(rng.randbytes(15000)).decode()
        head.append('Content-Type: multipart/mixed; boundary="mix-%d"' % i)
        body = (f"This is a multi-part message in MIME format.\n\n--mix-{i}\n"
                "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                f"{text}\n--mix-{i}\nContent-Type: application/pdf; name=\"report-{i}.pdf\"\n"
                f"Content-Disposition: attachment; filename=\"report-{i}.pdf\"\n"
                f"Content-Transfer-Encoding: base64\n\n{blob}\n--mix-{i}--\n")
    elif i % 20 == 0:
        html = "<html><body>" + "".join(f"<p>{p}</p>" for p in text.splitlines()) + "</body></html>\n"
        head.append('Content-Type: multipart/alternative; boundary="alt-%d"' % i)
        body = (f"--alt-{i}\nContent-Type: text/plain; charset=utf-8\n\n{text}\n"
                f"--alt-{i}\nContent-Type: text/html; charset=utf-8\n\n{html}\n--alt-{i}--\n")
    else:
        head += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
        body = text
    return ("\n".join(head) + "\n\n" + body).encode(), when


def make_dirs(maildir, uid, gid, folder=False):
    for sub in ("", "cur", "new", "tmp"):
        path = os.path.join(maildir, sub)
        os.makedirs(path, mode=0o700, exist_ok=True)
        os.chown(path, uid, gid)
    if folder:
        marker = os.path.join(maildir, "maildirfolder")
        open(marker, "w").close()
        os.chown(marker, uid, gid)


def fill(maildirs, count, uid, gid, body_size=None, seed=1, all_seen=False):
    """Writes `count` messages into every Maildir in `maildirs` (created,
    owned by uid:gid); returns (total bytes of one copy, number unseen)."""
    rng = random.Random(seed)
    total = unseen = 0
    for i in range(count):
        data, when = message(i, rng, body_size)
        vsize = len(data) + data.count(b"\n")
        base = f"{when}.M{i}P{1000 + i % 30000}.bench,S={len(data)},W={vsize}"
        roll = rng.random()
        if all_seen or roll < 0.7:
            sub, name = "cur", base + (":2,FS" if i % 11 == 0 else ":2,S")
        elif roll < 0.85:
            sub, name = "cur", base + ":2,"
            unseen += 1
        else:
            sub, name = "new", base
            unseen += 1
        for md in maildirs:
            path = os.path.join(md, sub, name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.write(fd, data)
            os.fchown(fd, uid, gid)
            os.close(fd)
            os.utime(path, (when, when))
        total += len(data)
    return total, unseen
