"""master restarts a worker that was killed, and backs off a crashing one.

- kill -9 of a worker: master logs "process PATH pid N killed by signal 9",
  and the next connection is served by a new worker pid;
- a service whose worker exits with status 1 at every start is throttled
  with a doubling delay (1 s, 2 s, ...), so it is not restarted in a loop,
  while the other service keeps serving.
"""
import os
import re
import signal
import time

from posthorn_test import ECHO_WORKER, Instance, expect, pid_alive, wait_for, passed


def main():
    with Instance("master_restart", daemons={"echo": ECHO_WORKER}) as inst:
        good, bad = inst.free_port(), inst.free_port()
        # "bogus" is an argument echo_worker refuses: it exits 1 at start.
        inst.write_master_conf(f"""
            {good} inet n - n - 1 echo
            {bad}  inet n - n - 1 echo bogus
        """)
        inst.start()

        with inst.connect(good) as s:
            greeting = inst.read_line(s)
        m = re.match(r"hello \S+ pid=(\d+) uid=\d+$", greeting)
        expect(m is not None, f"the service answers: {greeting!r}")
        first = int(m.group(1))
        expect(first in inst.workers(), f"worker {first} is a child of master")

        offset = inst.log_size()
        os.kill(first, signal.SIGKILL)
        inst.wait_for_log(rf"warning: process \S+/echo pid {first} killed by signal 9", 5, offset)
        passed("master logged the killed worker Postfix-style")
        wait_for(lambda: not pid_alive(first), 5, what="the killed worker to be reaped")

        start = time.monotonic()
        with inst.connect(good) as s:
            greeting = inst.read_line(s, timeout=10)
        m = re.match(r"hello \S+ pid=(\d+) uid=\d+$", greeting)
        expect(m is not None, f"a new connection is served after the kill: {greeting!r}")
        second = int(m.group(1))
        expect(second != first, f"by a new worker (pid {second}, was {first})")
        expect(time.monotonic() - start < 5, "within the 1 s throttle (< 5 s)")

        # The crashing service: a connection waits in the listen queue while
        # master tries, backs off, tries again.
        offset = inst.log_size()
        client = inst.connect(bad)
        inst.wait_for_log(r"service \S+/inet: throttling for 2 s", 8, offset)
        time.sleep(1.0)
        log = inst.log_text(offset)
        exits = len(re.findall(r"process \S+/echo pid \d+ exit status 1", log))
        expect("throttling for 1 s" in log and "throttling for 2 s" in log,
               "the throttle delay doubles after repeated crashes")
        expect(2 <= exits <= 4, f"no restart loop: {exits} crashed starts in about 4 s")
        client.close()

        with inst.connect(good) as s:
            expect(inst.read_line(s).startswith("hello "),
                   "the healthy service is unaffected by the crashing one")
        expect(inst.stop() == 0, "master exits 0 on SIGTERM")


if __name__ == "__main__":
    main()
