"""SIGTERM stops master and every worker within 5 seconds.

One worker is idle, one holds a client that never leaves: master sends
SIGTERM to both, SIGKILL to what is left after about 4 s, and exits 0 with
the pid file emptied. Checked through /proc.
"""
import os
import signal
import time

from posthorn_test import ECHO_WORKER, Instance, expect, pid_alive, wait_for


def main():
    with Instance("master_stop", daemons={"echo": ECHO_WORKER}) as inst:
        idle_port, busy_port = inst.free_port(), inst.free_port()
        inst.write_master_conf(f"""
            {idle_port} inet n - n - - echo
            {busy_port} inet n - n - - echo
            local       unix - - n - - echo
        """)
        inst.start()
        with inst.connect(idle_port) as s:
            inst.read_line(s)
        busy = inst.connect(busy_port)
        inst.read_line(busy)
        unix_client = inst.connect(inst.queue_dir + "/private/local")
        inst.read_line(unix_client)
        wait_for(lambda: len(inst.workers()) == 3, 5, what="three workers")
        everyone = [inst.master_pid] + inst.workers()
        expect(len(everyone) == 4, f"master and three workers run: {everyone}")

        start = time.monotonic()
        inst.signal_master(signal.SIGTERM)
        wait_for(lambda: not any(pid_alive(p) for p in everyone), 5.0, interval=0.02,
                 what="master and every worker to be gone")
        elapsed = time.monotonic() - start
        expect(elapsed < 5.0, f"master and every child gone within 5 s ({elapsed:.2f} s)")
        expect(inst.processes() == [], "no process of the instance is left in /proc")
        expect(inst.proc.wait(2) == 0, "master exits 0")
        with open(os.path.join(inst.queue_dir, "pid", "master.pid")) as f:
            expect(f.read() == "", "the pid file is emptied")
        expect(inst.find_log(r"posthorn/master\[\d+\]: terminating on signal 15") is not None,
               "master logs 'terminating on signal 15'")
        busy.close()
        unix_client.close()

        # Without busy clients the stop is quick; SIGINT works like SIGTERM.
        inst.start()
        with inst.connect(idle_port) as s:
            inst.read_line(s)
        start = time.monotonic()
        inst.signal_master(signal.SIGINT)
        expect(inst.proc.wait(5) == 0, "SIGINT stops master with status 0")
        expect(time.monotonic() - start < 2.0, "idle workers stop at once (< 2 s)")
        expect(inst.processes() == [], "nothing left after SIGINT")


if __name__ == "__main__":
    main()
