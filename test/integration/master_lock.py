"""A second master on the same queue directory refuses to start.

It exits non-zero at once with a message that names the lock file and the
pid of the master that holds it, whether it is started with the same
configuration directory or with another one that points at the same
queue_directory; the first master keeps running and serving.
"""
import os
import shutil
import subprocess

from posthorn_test import ECHO_WORKER, POSTHORN, Instance, expect


def main():
    with Instance("master_lock", daemons={"echo": ECHO_WORKER}) as inst:
        port = inst.free_port()
        inst.write_master_conf(f"{port} inet n - n - - echo")
        inst.start()
        lock = os.path.join(inst.queue_dir, "pid", "master.pid")

        second = subprocess.run([POSTHORN, "-c", inst.config_dir, "start-fg"],
                                capture_output=True, text=True, timeout=10)
        expect(second.returncode != 0, f"a second master exits non-zero ({second.returncode})")
        expect(lock in second.stderr and "lock" in second.stderr,
               f"its message names the lock: {second.stderr.strip()!r}")
        expect(str(inst.master_pid) in second.stderr, "and the pid that holds it")

        # Another configuration directory, same queue_directory (and another
        # port, so only the lock can stop it).
        other = os.path.join(inst.dir, "etc2")
        shutil.copytree(inst.config_dir, other)
        with open(os.path.join(other, "posthorn.conf"), "a") as f:
            f.write(f"config_directory = {other}\n")
        with open(os.path.join(other, "master.conf"), "w") as f:
            f.write(f"{inst.free_port()} inet n - n - - echo\n")
        third = subprocess.run([POSTHORN, "-c", other, "start"],
                               capture_output=True, text=True, timeout=10)
        expect(third.returncode != 0 and "already running" in third.stdout + third.stderr,
               f"`posthorn start` with another config dir on the same queue refuses: "
               f"{third.stderr.strip()!r}")
        third = subprocess.run([os.path.join(inst.daemon_dir, "master"), "-c", other],
                               capture_output=True, text=True, timeout=10)
        expect(third.returncode != 0 and lock in third.stderr,
               f"so does master itself: {third.stderr.strip()!r}")

        expect(inst.proc.poll() is None, "the first master is still running")
        with inst.connect(port) as s:
            expect(inst.read_line(s).startswith("hello "), "and still serving")
        with open(lock) as f:
            expect(f.read().strip() == str(inst.master_pid), "the pid file names the first master")
        expect(inst.stop() == 0, "master exits 0 on SIGTERM")


if __name__ == "__main__":
    main()
