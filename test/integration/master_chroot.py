"""As root: a chrooted service's worker runs in the queue directory as
mail_owner; an unchrooted one keeps / but still drops to mail_owner; unix
service sockets get their modes and owners (private 0600 mail_owner,
public 0666). Read from /proc/PID/root and /proc/PID/status.
"""
import os
import pwd
import re
import stat

from posthorn_test import ECHO_WORKER, Instance, expect, skip_unless_root


def worker_pid(inst, address):
    with inst.connect(address) as s:
        greeting = inst.read_line(s)
        m = re.match(r"hello \S+ pid=(\d+) uid=(\d+)$", greeting)
        assert m, f"unexpected greeting {greeting!r}"
        return int(m.group(1)), int(m.group(2))


def ids(pid):
    status = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            status[key] = [int(x) for x in value.split()] if key in ("Uid", "Gid") else value
    return status["Uid"], status["Gid"]


def main():
    skip_unless_root("chroot and the change to mail_owner")
    with Instance("master_chroot", daemons={"echo": ECHO_WORKER}) as inst:
        owner = pwd.getpwnam(inst.mail_owner)
        jailed, free = inst.free_port(), inst.free_port()
        inst.write_master_conf(f"""
            {jailed} inet n - y - - echo
            {free}   inet n - n - - echo
            priv     unix - - y - - echo
            pub      unix n - y - - echo
        """)
        inst.start()

        pid, uid = worker_pid(inst, jailed)
        root = os.readlink(f"/proc/{pid}/root")
        expect(root == os.path.realpath(inst.queue_dir),
               f"the chrooted worker's root is the queue directory ({root})")
        u, g = ids(pid)
        expect(u == [owner.pw_uid] * 4, f"its Uid (real, effective, saved, fs) is mail_owner {u}")
        expect(g == [owner.pw_gid] * 4, f"its Gid is mail_owner's group {g}")
        expect(uid == owner.pw_uid, "it says so itself")

        pid, _ = worker_pid(inst, free)
        expect(os.readlink(f"/proc/{pid}/root") == "/", "a chroot=n worker keeps /")
        u, g = ids(pid)
        expect(u == [owner.pw_uid] * 4 and g == [owner.pw_gid] * 4,
               "and still runs as mail_owner")

        priv = os.path.join(inst.queue_dir, "private", "priv")
        st = os.stat(priv)
        expect(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
               and st.st_uid == owner.pw_uid,
               f"a private unix socket is mode 0600, owned by mail_owner")
        pid, _ = worker_pid(inst, priv)
        expect(os.readlink(f"/proc/{pid}/root") == os.path.realpath(inst.queue_dir),
               "the private unix service's worker is chrooted too")
        pub = os.path.join(inst.queue_dir, "public", "pub")
        expect(stat.S_IMODE(os.stat(pub).st_mode) == 0o666, "a public unix socket is mode 0666")

        st = os.stat(os.path.join(inst.queue_dir, "private"))
        expect(st.st_uid == owner.pw_uid and stat.S_IMODE(st.st_mode) == 0o700,
               "private/ belongs to mail_owner, mode 0700")
        st = os.stat(os.path.join(inst.queue_dir, "pid", "master.pid"))
        expect(st.st_uid == 0, "the pid file belongs to root")
        expect(inst.stop() == 0, "master exits 0 on SIGTERM")


if __name__ == "__main__":
    main()
