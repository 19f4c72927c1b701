"""SIGHUP reloads master.conf: new listeners open, removed ones close,
unchanged services keep their workers, changed ones are restarted after
their workers finish, and a broken file keeps the running table.
"""
import os
import re

from posthorn_test import ECHO_WORKER, Instance, expect, pid_alive, wait_for, passed


def greet(inst, port):
    with inst.connect(port) as s:
        return inst.read_line(s)


def pid_of(greeting):
    m = re.match(r"hello \S+ pid=(\d+) uid=\d+$", greeting)
    assert m, f"unexpected greeting {greeting!r}"
    return int(m.group(1))


def echo(inst, sock, text):
    sock.sendall(text.encode() + b"\r\n")
    return inst.read_line(sock)


def main():
    with Instance("master_reload", daemons={"echo": ECHO_WORKER}) as inst:
        old_port, new_port = inst.free_port(), inst.free_port()
        keep_sock = inst.queue_dir + "/private/keep"
        inst.write_master_conf(f"""
            {old_port} inet n - n - - echo
            keep       unix - - n - - echo
            gone       unix - - n - - echo
        """)
        inst.start()
        gone_sock = inst.queue_dir + "/private/gone"
        expect(os.path.exists(gone_sock), "a unix service's socket exists")
        expect(greet(inst, old_port).startswith("hello "), f"port {old_port} answers")
        held = inst.connect(keep_sock)
        keep_pid = pid_of(inst.read_line(held))

        # The port changes; "keep" is untouched. `posthorn reload` sends SIGHUP.
        inst.write_master_conf(f"""
            {new_port} inet n - n - - echo
            keep       unix - - n - - echo
        """)
        offset = inst.log_size()
        r = inst.posthorn("reload")
        expect(r.returncode == 0, f"posthorn reload exits 0 ({r.stdout.strip()})")
        inst.wait_for_log(r"reload -- version \S+, configuration " + re.escape(inst.config_dir),
                          5, offset)
        passed("master logs the reload")
        # "reload" is logged when master begins; the new port follows.
        wait_for(lambda: inst.first_line(new_port), 5, what=f"new port {new_port} to answer")
        passed(f"the new port {new_port} answers")
        # The old port's idle worker got SIGTERM; once it has closed its copy
        # of the listener, nothing holds the port.
        wait_for(lambda: inst.refused(old_port), 5, what=f"old port {old_port} to close")
        passed(f"the old port {old_port} refuses connections")
        expect(not os.path.exists(gone_sock), "a removed unix service's socket is removed")
        expect(echo(inst, held, "still here") == "still here",
               "the unchanged service's client is still served")
        expect(pid_alive(keep_pid) and keep_pid in inst.workers(),
               f"the unchanged service's worker {keep_pid} keeps running")

        # A changed service (maxproc) is restarted: its worker gets SIGTERM,
        # finishes its client, then exits; new clients get a new worker.
        inst.write_master_conf(f"""
            {new_port} inet n - n - - echo
            keep       unix - - n - 3 echo
        """)
        inst.reload()
        inst.wait_for_log(r"service keep/unix: changed", 5)
        expect(echo(inst, held, "finishing") == "finishing",
               "the changed service's worker finishes its current client")
        held.close()
        wait_for(lambda: not pid_alive(keep_pid), 5, what=f"old worker {keep_pid} to exit")
        passed("the old worker exits once its client is done")
        with inst.connect(keep_sock) as s:
            fresh = pid_of(inst.read_line(s))
        expect(fresh != keep_pid, f"the changed service is served by a new worker ({fresh})")

        # A broken master.conf: the reload is refused, the old table stays.
        inst.write_master_conf(f"""
            {new_port} inet n - n - - echo
            broken unix - - n
        """)
        offset = inst.log_size()
        inst.reload()
        inst.wait_for_log(r"error: reload failed, keeping the running configuration: .*master\.conf:\d+",
                          5, offset)
        passed("a broken master.conf is reported with file:line and not applied")
        expect(greet(inst, new_port).startswith("hello "), "the running services stay up")
        expect(inst.stop() == 0, "master exits 0 on SIGTERM")


if __name__ == "__main__":
    main()
