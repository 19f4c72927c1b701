"""SMTP access restrictions against real peers (issue 16, part 3).

One instance, the loopback DNS server (nsd) serving two DNS lists, and
Debian's postgrey as a policy service:
- reject_rbl_client dnsbl.test: a client from 127.0.0.2 (listed, A
  127.0.0.2 and a TXT reason) gets 554 5.7.1 Service unavailable; Client
  host [127.0.0.2] blocked using dnsbl.test; <reason>, logged as NOQUEUE:
  reject: RCPT; 127.0.0.1 (not listed) is served;
- reject_rhsbl_sender rhsbl.test: a sender in a listed domain gets 554 5.7.1;
- check_sender_access / check_recipient_access (hash: tables built by
  posthorn map -a): REJECT, DEFER, 5NN text, OK, DISCARD (250, nothing
  queued), PREPEND (the header in the queue file), REDIRECT (the queue file
  has the new recipient only);
- the open-relay cases from a client outside mynetworks: the % hack, !
  paths, quoted local parts with @, source routes, an encoded @, and a
  relay attempt after a valid local recipient: none is accepted, nothing
  is queued for them;
- postgrey as check_policy_service: the first attempt 450 4.x Greylisted,
  the retry after its delay accepted, with postgrey's X-Greylist header;
- posthorn check refuses an open-relay configuration, naming file and line.
"""
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from dns_util import Nsd
from posthorn_test import SKIP, expect, passed, wait_for
from smtpd_util import Client, deliver, dump, incoming, make_instance, services, wait_ready

ZONES = {
    "dnsbl.test": ('2.0.0.127 IN A 127.0.0.2\n'
                   '2.0.0.127 IN TXT "Listed for testing, see http://dnsbl.test/127.0.0.2"\n'),
    "rhsbl.test": ('bad.example IN A 127.0.0.2\n'
                   'bad.example IN TXT "bad.example sends spam"\n'),
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rcpt(port, sender, recipients, source=None, helo="client.example"):
    with Client(port, source=source) as c:
        c.send(f"EHLO {helo}\r\n")
        c.reply()
        c.cmd(f"MAIL FROM:<{sender}>")
        return [c.cmd(f"RCPT TO:{r}" if r.startswith("<") else f"RCPT TO:<{r}>") for r in recipients]


def check_dnsbl(inst, port):
    offset = inst.log_size()
    r = rcpt(port, "s@example.net", ["root@localhost"], source="127.0.0.2")[0]
    expect(r == "554 5.7.1 Service unavailable; Client host [127.0.0.2] blocked using dnsbl.test; "
                "Listed for testing, see http://dnsbl.test/127.0.0.2", f"a listed client: {r}")
    inst.wait_for_log(r"NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.2\]: 554 5\.7\.1 Service unavailable; "
                      r"Client host \[127\.0\.0\.2\] blocked using dnsbl\.test; .*; from=<s@example\.net> "
                      r"to=<root@localhost> proto=ESMTP helo=<client\.example>", 10, offset)
    r = rcpt(port, "s@example.net", ["root@localhost"])[0]
    expect(r == "250 2.1.5 Ok", f"an unlisted client is served: {r}")
    r = rcpt(port, "s@bad.example", ["root@localhost"])[0]
    expect(r == "554 5.7.1 Service unavailable; Sender address [bad.example] blocked using rhsbl.test; "
                "bad.example sends spam", f"a listed sender domain: {r}")


def check_access(inst, port):
    rs = rcpt(port, "x@spam.example", ["root@localhost"])
    expect(rs == ["554 5.7.1 <x@spam.example>: Sender address rejected: no spam please"], f"REJECT: {rs}")
    rs = rcpt(port, "later@example.net", ["root@localhost"])
    expect(rs == ["450 4.7.1 <later@example.net>: Sender address rejected: try later"], f"DEFER: {rs}")
    rs = rcpt(port, "s@example.net", ["blocked@localhost"])
    expect(rs == ["550 5.7.0 <blocked@localhost>: Recipient address rejected: not here"], f"5NN text: {rs}")
    before = set(incoming(inst))
    r = deliver(port, "discard@example.net", "root@localhost", "discard me")
    expect(r.startswith("250"), f"DISCARD: the client is told 250: {r}")
    time.sleep(0.5)
    expect(set(incoming(inst)) == before, "DISCARD: nothing queued")
    r = deliver(port, "tagged@example.net", "root@localhost", "tag me")
    expect(r.startswith("250 2.0.0 Ok: queued as "), f"PREPEND: {r}")
    q = str(dump(inst, r.split()[-1]))
    expect("X-Access: tagged" in q, f"PREPEND: the header is in the queue file: {q}")
    r = deliver(port, "s@example.net", "sales@localhost", "redirect me")
    expect(r.startswith("250 2.0.0 Ok: queued as "), f"REDIRECT: {r}")
    rcpts = [x["address"] for x in dump(inst, r.split()[-1])[1]]
    expect(rcpts == [b"root@localhost"], f"REDIRECT: the queue file names only the new recipient: {rcpts}")
    passed("access tables: REJECT, DEFER, 5NN, DISCARD, PREPEND, REDIRECT")


def check_open_relay(inst, port):
    before = set(incoming(inst))
    cases = ["<user%remote.example@localhost>", '<"user@remote.example"@localhost>',
             "<remote.example!user@localhost>", "<@localhost:user@remote.example>",
             "<user%40remote.example@localhost>", "<user@remote.example@localhost>",
             "<user@remote.example>"]
    for case in cases:
        r = rcpt(port, "o@example.net", [case], source="127.0.0.3")[0]
        expect(not r.startswith("2"), f"relay attempt {case} refused: {r}")
    rs = rcpt(port, "o@example.net", ["root@localhost", "victim@remote.example"], source="127.0.0.3")
    expect(rs[0] == "250 2.1.5 Ok" and rs[1].startswith("554 5.7.1"),
           f"a relay attempt after a valid local recipient is refused: {rs}")
    expect(set(incoming(inst)) == before, "nothing queued by the relay attempts")
    passed("open-relay attempts refused")


def postgrey_start(tmp):
    exe = shutil.which("postgrey") or "/usr/sbin/postgrey"
    if not os.path.exists(exe):
        return None, None
    dbdir = os.path.join(tmp, "postgrey")
    os.makedirs(dbdir)
    user = "postgrey"
    try:
        pw = pwd.getpwnam(user)
        os.chown(dbdir, pw.pw_uid, pw.pw_gid)
    except KeyError:
        user = pwd.getpwuid(os.getuid()).pw_name
    os.chmod(tmp, 0o755)
    port = free_port()
    proc = subprocess.Popen([exe, f"--inet=127.0.0.1:{port}", f"--dbdir={dbdir}", "--delay=2",
                             f"--user={user}", "--max-age=1", f"--pidfile={tmp}/postgrey.pid"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            return False
    wait_for(up, 15, what="postgrey listening")
    return proc, port


def check_postgrey(inst, port):
    r = rcpt(port, "grey@example.net", ["root@localhost"])[0]
    expect(r.startswith("450 4.") and "Greylisted" in r, f"postgrey: the first attempt is deferred: {r}")
    time.sleep(3)
    r = deliver(port, "grey@example.net", "root@localhost", "after the delay")
    expect(r.startswith("250 2.0.0 Ok: queued as "), f"postgrey: the retry after the delay is accepted: {r}")
    q = str(dump(inst, r.split()[-1]))
    expect("X-Greylist:" in q, "postgrey's X-Greylist header is in the queue file")
    passed("postgrey as check_policy_service: 450, then accepted after --delay")


def check_posthorn_check(inst):
    with open(os.path.join(inst.config_dir, "posthorn.conf")) as f:
        original = f.read()
    with open(os.path.join(inst.config_dir, "posthorn.conf"), "a") as f:
        f.write("smtpd_relay_restrictions = permit_mynetworks, permit\nsmtpd_recipient_restrictions =\n")
    lines = original.count("\n")
    r = inst.posthorn("check")
    expect(r.returncode != 0 and f"posthorn.conf:{lines + 1}: smtpd_relay_restrictions = "
           "\"permit_mynetworks, permit\"" in r.stderr and "specify at least one working instance of: "
           "reject_unauth_destination" in r.stderr, f"posthorn check refuses an open relay: {r.stderr}")
    with open(os.path.join(inst.config_dir, "posthorn.conf"), "w") as f:
        f.write(original)
    r = inst.posthorn("check")
    expect(r.returncode == 0, f"posthorn check accepts the test's own configuration: {r.stderr}")


def main():
    tmp = tempfile.mkdtemp(prefix="ph-restr-")
    grey, grey_port = postgrey_start(tmp)
    try:
        with Nsd(ZONES) as dns:
            inst, port = make_instance(
                "smtpd_restrictions", mynetworks="127.0.0.1/32", dns_servers=dns.server,
                dns_trust_anchor_file="", dns_timeout="2s", dns_attempts="1",
                proxy_read_maps="$alias_maps $virtual_mailbox_maps $smtpd_sender_restrictions $smtpd_recipient_restrictions",
                smtpd_client_restrictions="reject_rbl_client dnsbl.test",
                smtpd_sender_restrictions="reject_rhsbl_sender rhsbl.test, check_sender_access hash:$config_directory/sender_access",
                smtpd_recipient_restrictions="check_recipient_access hash:$config_directory/recipient_access")
            with inst:
                grey_smtpd = inst.free_port()
                inst.write_master_conf(services(port, (
                    f"{grey_smtpd} inet n - y - - smtpd -o smtpd_recipient_restrictions="
                    f"check_policy_service,inet:127.0.0.1:{grey_port}\n") if grey else ""))
                for name, text in (("sender_access", "spam.example REJECT no spam please\n"
                                    "later@example.net DEFER try later\n"
                                    "discard@example.net DISCARD\ntagged@example.net PREPEND X-Access: tagged\n"),
                                   ("recipient_access", "blocked@localhost 550 5.7.0 not here\n"
                                    "sales@localhost REDIRECT root@localhost\n")):
                    path = os.path.join(inst.config_dir, name)
                    with open(path, "w") as f:
                        f.write(text)
                    inst.posthorn_ok("map", "hash:" + path)
                inst.start()
                wait_ready(inst, port)
                if grey:
                    wait_ready(inst, grey_smtpd)
                check_dnsbl(inst, port)
                check_access(inst, port)
                check_open_relay(inst, port)
                if grey:
                    check_postgrey(inst, grey_smtpd)
                else:
                    print("postgrey is not installed: its part is not run")
                check_posthorn_check(inst)
    finally:
        if grey:
            grey.terminate()
            grey.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    passed("smtpd_restrictions")


if __name__ == "__main__":
    main()
