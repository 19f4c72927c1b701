"""authd answers userdb lookups from the passwd file, the virtual maps and
the system users, and sees a changed passwd file at once.

master runs authd as `authd-userdb unix - n n - - authd`. A client
(test/helpers/userdb_lookup, which uses lib/userdb_client) looks addresses
up through it; as root the client first chroots to the queue directory and
drops to mail_owner, like smtpd, and reaches authd at /private/authd-userdb.
Asserted:
- a user added with `posthorn passwd` (password on stdin) is found with its
  uid, gid, home, mail location and quota; in any case; with an extension;
- a virtual_mailbox_maps user (hash: table, static: uid) is found;
- a system user of a local domain (root, nobody) is found with its uid and
  home; the same name in another domain is not; an unknown user is NOTFOUND;
- over one connection, after `posthorn passwd` adds a user, the next lookup
  finds it, served by the same authd process;
- the reply's raw bytes never contain the password hash;
- a passwd file that cannot be read is a temporary failure, not NOTFOUND; a
  malformed line is logged with FILE:LINE;
- a malformed request drops that connection only (logged);
- when authd exits under a connected client, the client reconnects once;
- no authd listening: the client reports "unavailable", not NOTFOUND;
- authd is not chrooted and (as root) keeps root, as master.conf says.
"""
import os
import pwd
import shutil
import signal
import struct

from posthorn_test import (passed, Instance, expect, is_root, pid_alive, proc_status,
                           wait_for)
from lookup_util import HelperClient, ask, frame, raw_exchange, require_helper, start_service


class Client(HelperClient):
    """userdb_lookup as smtpd asks: reaches authd-userdb like a worker."""

    def __init__(self, inst):
        super().__init__(inst, "userdb_lookup", "authd-userdb")

    def lookup(self, *addresses, socket_path=None):
        return self.run("-s", "smtpd", socket_path or self.socket, *addresses)

    def session(self):
        return self.popen("-s", "smtpd", self.socket)


def fields(line):
    """'FOUND a=1 b=2' -> {'a': '1', 'b': '2'}."""
    expect(line.startswith("FOUND "), f"found: {line!r}")
    return dict(item.split("=", 1) for item in line.split()[1:])


def posthorn_passwd(inst, password, *args):
    r = inst.posthorn("passwd", *args, input=password + "\n")
    if r.returncode != 0:
        raise AssertionError(f"posthorn passwd {' '.join(args)} failed ({r.returncode}):\n"
                             f"{r.stdout}{r.stderr}")
    return r.stdout


def lookup_frame(address, service=b"raw"):
    """A UserdbLookup v1 frame (type 40)."""
    return frame(40, {"address": address.encode(), "service": service})


def main():
    require_helper("userdb_lookup")
    with Instance("authd_userdb") as inst:
        etc = inst.config_dir
        passwd_file = os.path.join(etc, "passwd")
        vmailbox = os.path.join(etc, "vmailbox")
        vgid = os.path.join(etc, "vgid")
        vbase = os.path.join(inst.dir, "vmail")
        inst.write_conf(auth_passwd_file="$config_directory/passwd",
                        mydestination="$myhostname, localhost",
                        virtual_mailbox_maps=f"hash:{vmailbox}",
                        virtual_uid_maps="static:5000",
                        virtual_gid_maps=f"hash:{vgid}",
                        virtual_mailbox_base=vbase,
                        recipient_delimiter="+")
        with open(vmailbox, "w") as f:
            f.write("vera@virt.example virt.example/vera/\n")
        with open(vgid, "w") as f:
            f.write("vera@virt.example 5005\n")
        for table in (vmailbox, vgid):
            r = inst.posthorn("map", "hash:" + table)
            expect(r.returncode == 0, f"posthorn map {table} ({r.stderr.strip()})")

        out = posthorn_passwd(inst, "alice secret", "-u", "5000", "-g", "5001", "-d",
                              "/var/vmail/example.com/alice", "-q", "2G",
                              "alice@example.com")
        expect("added alice@example.com" in out, f"posthorn passwd: {out.strip()}")
        with open(passwd_file) as f:
            alice_hash = f.read().split(":")[1]
        expect(alice_hash.startswith("{CRYPT}$y$"), f"the stored hash is yescrypt: "
               f"{alice_hash[:12]}...")
        expect(os.stat(passwd_file).st_mode & 0o777 == 0o640, "the passwd file is 0640")
        with open(passwd_file, "a") as f:
            f.write("# a comment\nbroken@example.com:x:notanumber!:1::/h\n")

        inst.write_master_conf("authd-userdb unix - n n - - authd")
        offset = inst.log_size()
        client = Client(inst)
        socket_path = start_service(inst, client)

        nobody = pwd.getpwnam("nobody")
        status, lines, err = client.lookup(
            "alice@example.com", "ALICE@Example.COM", "alice+lists@example.com",
            "vera@virt.example", "root@localhost", "nobody@localhost.localdomain",
            "root@example.com", "nosuchuser@example.com", "broken@example.com")
        expect(status == 1 and len(lines) == 9, f"userdb_lookup answers 9 lookups ({err.strip()})")
        alice = fields(lines[0])
        expect(alice == {"name": "alice@example.com", "source": "passwd-file", "uid": "5000",
                         "gid": "5001", "home": "/var/vmail/example.com/alice", "mail": "",
                         "quota_bytes": str(2 << 30), "quota_messages": "-"},
               f"the passwd-file user: {alice}")
        expect(fields(lines[1])["name"] == "alice@example.com", "found in any case")
        expect(fields(lines[2])["uid"] == "5000", "found with an extension (recipient_delimiter)")
        vera = fields(lines[3])
        expect(vera["source"] == "virtual" and vera["uid"] == "5000" and vera["gid"] == "5005"
               and vera["mail"] == f"maildir:{vbase}/virt.example/vera/"
               and vera["home"] == f"{vbase}/virt.example/vera",
               f"the virtual_mailbox_maps user: {vera}")
        root = fields(lines[4])
        expect(root["source"] == "system" and root["uid"] == "0" and root["name"] == "root"
               and root["home"] == pwd.getpwnam("root").pw_dir,
               f"a system user of a local domain: {root}")
        nob = fields(lines[5])
        expect(nob["uid"] == str(nobody.pw_uid) and nob["gid"] == str(nobody.pw_gid),
               f"nobody at $myhostname: {nob}")
        expect(lines[6] == "NOTFOUND", f"root in a domain that is not local: {lines[6]}")
        expect(lines[7] == "NOTFOUND", f"an unknown user: {lines[7]}")
        expect(lines[8].startswith("ERROR tempfail:") and f"{passwd_file}:3: " in lines[8],
               f"a user whose line is malformed fails temporarily: {lines[8]}")
        inst.wait_for_log(rf"authd\[\d+\]: warning: {passwd_file}:3: uid \"notanumber!\"",
                          5, offset)
        passed("the malformed line is logged with FILE:LINE")

        # The raw reply bytes never carry the hash.
        raw = raw_exchange(socket_path, lookup_frame("alice@example.com"), want_frames=1)
        expect(raw[4:8] == struct.pack("!I", 41) and b"alice@example.com" in raw,
               f"a raw lookup gets a UserdbReply frame ({len(raw)} bytes)")
        secret = alice_hash[len("{CRYPT}"):].encode()
        expect(secret not in raw and b"$y$" not in raw and b"CRYPT" not in raw
               and secret.split(b"$")[-1] not in raw,
               "the reply holds no part of the password hash")

        # One connection across a change of the passwd file.
        session = client.session()
        expect(ask(session, "bob@example.com") == "NOTFOUND", "bob is not there yet")
        before = inst.workers_named("authd")
        expect(len(before) == 1, f"one authd process serves it: {before}")
        if is_root():
            uids = proc_status(before[0])["Uid"].split()
            expect(os.readlink(f"/proc/{before[0]}/root") == "/" and uids == ["0"] * 4,
                   f"authd is not chrooted and keeps root (unpriv=n; uids {uids})")
        posthorn_passwd(inst, "bob secret", "-u", "5002", "-g", "5002", "-d", "/var/vmail/bob",
                        "bob@example.com")
        bob = fields(ask(session, "bob@example.com"))
        expect(bob["uid"] == "5002" and bob["home"] == "/var/vmail/bob",
               f"after `posthorn passwd`, the next lookup finds bob: {bob}")
        posthorn_passwd(inst, "", "-k", "-q", "100M", "bob@example.com")
        bob = fields(ask(session, "bob@example.com"))
        expect(bob["quota_bytes"] == str(100 << 20), f"and sees his new quota: {bob}")
        expect(inst.workers_named("authd") == before, f"served by the same authd process {before}")

        # A passwd file that cannot be read: a temporary failure for everyone.
        moved = passwd_file + ".saved"
        os.rename(passwd_file, moved)
        os.mkdir(passwd_file)
        answer = ask(session, "alice@example.com")
        expect(answer.startswith("ERROR tempfail:"),
               f"an unreadable passwd file is a temporary failure, not NOTFOUND: {answer}")
        answer = ask(session, "root@localhost")
        expect(answer.startswith("ERROR tempfail:"),
               f"for system users too (root might be in the file): {answer}")
        os.rmdir(passwd_file)
        os.rename(moved, passwd_file)
        expect(fields(ask(session, "alice@example.com"))["uid"] == "5000",
               "once the file is back, lookups work again")

        # Malformed requests drop that connection only.
        offset = inst.log_size()
        expect(raw_exchange(socket_path, struct.pack("!III", 5, 99, 1) + b"hello") == b"",
               "a frame of an unknown type: authd closes the connection")
        expect(raw_exchange(socket_path, struct.pack("!III", 3, 40, 1) + b"\xff\xff\xff") == b"",
               "a lookup with an undecodable body: closed too")
        expect(raw_exchange(socket_path, struct.pack("!III", 2, 10, 1) + b"\x00\x00") == b"",
               "a mapd request sent to authd: closed too")
        inst.wait_for_log(r"authd\[\d+\]: warning: malformed request", 5, offset)
        passed("the malformed requests are logged")
        expect(fields(ask(session, "alice@example.com"))["uid"] == "5000",
               "the open session still works")
        expect(inst.workers_named("authd") == before, "authd did not crash or restart")

        # authd goes away under a connected client: the client reconnects once.
        os.kill(before[0], signal.SIGTERM)
        wait_for(lambda: not pid_alive(before[0]), 5, what="authd to exit on SIGTERM")
        expect(fields(ask(session, "alice@example.com"))["uid"] == "5000",
               "after authd exited, the next lookup reconnects")
        after = inst.workers_named("authd")
        expect(len(after) == 1 and after != before, f"served by a new authd {after}")
        session.stdin.close()
        session.wait(15)  # status 1: it saw the temporary failures above
        err = session.stderr.read()
        session.stdout.close()
        session.stderr.close()
        expect("connections=2" in err, f"the session used 2 connections in all ({err.strip()})")

        # Nobody listening: "unavailable", never NOTFOUND.
        elsewhere = "/private/no-such-socket" if is_root() else os.path.join(
            inst.queue_dir, "private", "no-such-socket")
        status, lines, _ = client.lookup("alice@example.com", socket_path=elsewhere)
        expect(status == 1 and lines and lines[0].startswith("ERROR unavailable:"),
               f"no authd: the client says unavailable: {lines}")

        expect(inst.stop() == 0, "master exits 0 on SIGTERM")
        wait_for(lambda: not inst.processes(), 5, what="every process of the instance to exit")
        shutil.rmtree(vbase, ignore_errors=True)


if __name__ == "__main__":
    main()
