"""maxproc is honoured: with maxproc 2 and five clients held at once (each
echo_worker serves one client at a time), at most two worker processes
exist and only two clients are greeted; the rest wait in the listen queue
and are served, by the same two pids, as earlier clients leave. maxproc 0
means no limit.
"""
import socket
import time

from posthorn_test import ECHO_WORKER, Instance, expect


def try_greeting(inst, sock, timeout):
    try:
        return inst.read_line(sock, timeout=timeout)
    except socket.timeout:
        return None


def main():
    with Instance("master_maxproc", daemons={"echo": ECHO_WORKER}) as inst:
        limited, unlimited = inst.free_port(), inst.free_port()
        inst.write_master_conf(f"""
            {limited}   inet n - n - 2 echo
            {unlimited} inet n - n - 0 echo
        """)
        inst.start()

        clients = [inst.connect(limited) for _ in range(5)]
        greeted = {}
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and len(greeted) < 5:
            for i, c in enumerate(clients):
                if i not in greeted:
                    line = try_greeting(inst, c, 0.1)
                    if line:
                        greeted[i] = line
            running = len(inst.workers())
            assert running <= 2, f"{running} workers for maxproc 2"
        expect(len(greeted) == 2, f"two of five held clients are served: {sorted(greeted)}")
        pids = {g.split("pid=")[1].split()[0] for g in greeted.values()}
        expect(len(pids) == 2, f"by two worker processes {sorted(pids)}")
        expect(len(inst.workers()) == 2, "master runs exactly two workers")

        # Clients leave one by one; the waiting ones are served by the same pids.
        seen = set(pids)
        for i in sorted(greeted):
            clients[i].close()
        waiting = [i for i in range(5) if i not in greeted]
        deadline = time.monotonic() + 10
        while waiting and time.monotonic() < deadline:
            for i in list(waiting):
                line = try_greeting(inst, clients[i], 0.1)
                if line:
                    seen.add(line.split("pid=")[1].split()[0])
                    clients[i].close()
                    waiting.remove(i)
            assert len(inst.workers()) <= 2, "more than two workers"
        expect(not waiting, "every waiting client is served once others leave")
        expect(len(seen) <= 2, f"all five clients were served by at most two pids {sorted(seen)}")

        # maxproc 0: no limit, one worker per held client.
        clients = [inst.connect(unlimited) for _ in range(5)]
        lines = [inst.read_line(c, timeout=10) for c in clients]
        pids = {l.split("pid=")[1].split()[0] for l in lines}
        expect(len(pids) == 5, f"maxproc 0: five held clients, five workers {sorted(pids)}")
        for c in clients:
            c.close()
        expect(inst.stop() == 0, "master exits 0 on SIGTERM")


if __name__ == "__main__":
    main()
