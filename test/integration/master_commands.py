"""posthorn start | status | reload | stop | start-fg, and the dispatcher.

`start` returns once master has bound its listeners (so the service answers
at once) and master runs detached; `status` names its pid (exit 0) or says
it is not running (exit 1); `reload` makes master log its reload; `stop`
returns once master is gone. A broken master.conf makes `start` fail with
the file:line on stderr. An unknown command prints the usage, exit 2.
"""
import os
import re

from posthorn_test import ECHO_WORKER, POSTHORN, Instance, expect, pid_alive, wait_for, passed
import subprocess


def main():
    with Instance("master_commands", daemons={"echo": ECHO_WORKER}) as inst:
        port = inst.free_port()
        inst.write_master_conf(f"{port} inet n - n - - echo")

        r = inst.posthorn("status")
        expect(r.returncode == 1 and "the mail system is not running" in r.stdout,
               f"status before start: exit 1, {r.stdout.strip()!r}")
        r = inst.posthorn("stop")
        expect(r.returncode == 1 and "not running" in r.stderr, "stop when not running: exit 1")

        r = inst.posthorn("start")
        expect(r.returncode == 0, f"posthorn start exits 0 ({r.stdout.strip()} {r.stderr.strip()})")
        with inst.connect(port) as s:
            expect(inst.read_line(s).startswith("hello "),
                   "the service answers as soon as start returns")
        r = inst.posthorn("status")
        m = re.search(r"posthorn/posthorn: the mail system is running: PID: (\d+)", r.stdout)
        expect(r.returncode == 0 and m is not None, f"status: {r.stdout.strip()!r}")
        pid = int(m.group(1))
        expect(pid_alive(pid), f"master {pid} runs")
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        expect(int(fields[3]) == pid, "master runs in a session of its own (setsid)")

        r = inst.posthorn("start")
        expect(r.returncode == 1 and "already running" in r.stderr,
               f"a second start refuses: {r.stderr.strip()!r}")

        offset = inst.log_size()
        r = inst.posthorn("reload")
        expect(r.returncode == 0, "posthorn reload exits 0")
        inst.wait_for_log(rf"posthorn/master\[{pid}\]: reload -- version", 5, offset)
        passed("master logged the reload")

        r = inst.posthorn("stop")
        expect(r.returncode == 0, f"posthorn stop exits 0 ({r.stdout.strip()})")
        expect(not pid_alive(pid), "master is gone when stop returns")
        expect(inst.processes() == [], "and so is every worker")
        r = inst.posthorn("status")
        expect(r.returncode == 1, "status after stop: exit 1")

        # start with a broken master.conf: the error reaches the terminal.
        inst.write_master_conf(f"{port} inet n - n - - echo\nbroken unix - -\n")
        r = inst.posthorn("start")
        expect(r.returncode != 0 and re.search(r"master\.conf:\d+", r.stderr),
               f"start with a broken master.conf fails naming file:line: {r.stderr.strip()!r}")
        expect(inst.posthorn("status").returncode == 1, "and nothing runs")

        # A port that is taken: start fails with the bind error.
        inst.write_master_conf(f"{port} inet n - n - - echo")
        import socket
        with socket.socket() as blocker:
            blocker.bind(("127.0.0.1", port))
            blocker.listen()
            r = inst.posthorn("start")
        expect(r.returncode != 0 and "Address already in use" in r.stderr,
               f"start on a taken port fails: {r.stderr.strip()!r}")

        # start-fg runs in the foreground until SIGTERM.
        inst.start()
        expect(inst.posthorn("status").returncode == 0, "status sees the start-fg master")
        expect(inst.stop() == 0, "start-fg master exits 0 on SIGTERM")

        # The dispatcher.
        r = subprocess.run([POSTHORN, "-c", inst.config_dir, "frobnicate"], capture_output=True,
                           text=True, timeout=10)
        expect(r.returncode == 2 and "usage: posthorn" in r.stderr,
               "an unknown command prints the usage, exit 2")
        r = subprocess.run([POSTHORN], capture_output=True, text=True, timeout=10)
        expect(r.returncode == 2 and "usage: posthorn" in r.stderr, "no command: usage, exit 2")
        r = inst.posthorn("conf", "-h", "queue_directory")
        expect(r.returncode == 0 and r.stdout.strip() == inst.queue_dir,
               "-c DIR is passed down to `posthorn conf`")
        r = inst.posthorn("check")
        expect(r.returncode == 0, f"posthorn check passes on this instance ({r.stderr.strip()!r})")
        inst.write_conf(dns_trust_anchor_file="/nonexistent/root.key")
        r = inst.posthorn("check")
        expect(r.returncode == 1 and "posthorn.conf:" in r.stderr
               and "dns_trust_anchor_file = /nonexistent/root.key: cannot read" in r.stderr,
               f"posthorn check names an unreadable trust anchor file ({r.stderr.strip()!r})")
        garbled = os.path.join(inst.config_dir, "garbled.key")
        with open(garbled, "w") as f:
            f.write("; a key someone mistyped\n. IN DNSKEY two five seven\n")
        inst.write_conf(dns_trust_anchor_file=garbled)
        r = inst.posthorn("check")
        expect(r.returncode == 1 and f"{garbled}:2: trust anchor" in r.stderr,
               f"posthorn check names the trust anchor libunbound cannot use, by line ({r.stderr.strip()[-200:]!r})")
        inst.write_conf(dns_trust_anchor_file="/usr/share/dns/root.key",
                        dmarc_public_suffix_list="/nonexistent/list.dat")
        r = inst.posthorn("check")
        expect(r.returncode == 1 and "dmarc_public_suffix_list = /nonexistent/list.dat" in r.stderr,
               f"posthorn check names an unreadable public suffix list ({r.stderr.strip()!r})")
        del inst.conf["dns_trust_anchor_file"], inst.conf["dmarc_public_suffix_list"]
        inst.write_conf()
        table = os.path.join(inst.config_dir, "table")
        with open(table, "w") as f:
            f.write("key value\n")
        r = inst.posthorn("map", table)
        q = inst.posthorn("map", "-q", "key", table)
        expect(r.returncode == 0 and q.stdout.strip() == "value",
               "posthorn map builds and queries a table")


if __name__ == "__main__":
    main()
