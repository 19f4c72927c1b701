"""The listeners master binds: a bare port on every inet_interfaces
address (loopback-only = 127.0.0.1 and ::1, each served by its own
workers), host:port on that address only, [::1]:port, unix services in
private/ and public/, and a unix service's wakeup trigger.
"""
import re
import socket

from posthorn_test import ECHO_WORKER, Instance, expect, passed


def have_ipv6():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def greet(inst, port, host="127.0.0.1"):
    with inst.connect(port, host=host) as s:
        return inst.read_line(s)


def main():
    v6 = have_ipv6()
    with Instance("master_listen", daemons={"echo": ECHO_WORKER, "ticker": ECHO_WORKER},
                  conf={"inet_interfaces": "loopback-only"}) as inst:
        both, v4only, v6only = inst.free_port(), inst.free_port(), inst.free_port()
        lines = [f"{both} inet n - n - - echo",
                 f"127.0.0.1:{v4only} inet n - n - - echo",
                 "tick unix - - n 1 1 ticker",
                 "pub unix n - n - - echo"]
        if v6:
            lines.append(f"[::1]:{v6only} inet n - n - - echo")
        inst.write_master_conf("\n".join(lines))
        inst.start()

        expect(greet(inst, both).startswith(f"hello {both} "), "a bare port answers on 127.0.0.1")
        if v6:
            expect(greet(inst, both, "::1").startswith(f"hello {both} "),
                   "and on ::1 (loopback-only)")
            expect(greet(inst, v6only, "::1").startswith("hello "), "[::1]:port answers on ::1")
            expect(inst.refused(v6only, "127.0.0.1"), "[::1]:port is not bound on 127.0.0.1")
            expect(inst.refused(v4only, "::1"), "127.0.0.1:port is not bound on ::1")
        else:
            print("note: no IPv6 on this host, the ::1 checks are left out")
        expect(greet(inst, v4only).startswith("hello "), "127.0.0.1:port answers")
        expect(not inst.refused(both), "the bare port stays open")

        pub = inst.queue_dir + "/public/pub"
        expect(greet(inst, pub).startswith("hello pub "), "a public unix service answers")

        # wakeup 1: master connects to private/tick every second and sends
        # "W"; each trigger starts (or reaches) a worker, which logs it.
        offset = inst.log_size()
        inst.wait_for_log(r"posthorn/ticker\[\d+\]: connect from local", 5, offset)
        first = inst.log_size()
        inst.wait_for_log(r"posthorn/ticker\[\d+\]: connect from local", 5, first)
        passed("the wakeup trigger reaches the unix service every second")

        text = inst.log_text()
        expect(not re.search(r"(warning|error|fatal):", text),
               "no warning or error in the log")
        expect(inst.stop() == 0, "master exits 0 on SIGTERM")


if __name__ == "__main__":
    main()
