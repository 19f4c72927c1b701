"""milters - milter daemons beside a private Postfix in the benchmarks (not a test).

    m = Milters(workdir, [("opendkim", ["/usr/sbin/opendkim", "-f", "-x", conf], socket_path)])
    m.start(mail_config=pf.config_dir)   # returns once every socket exists
    ...
    m.stop()

Each daemon runs in the foreground with MAIL_CONFIG=<Postfix's config
directory> in its environment, so that PostfixInstance.processes() counts
its CPU time with Postfix's; its stderr goes to WORKDIR/NAME.err, which a
failure to start quotes.
"""
import os
import shutil
import subprocess
import time


class Milters:
    def __init__(self, workdir, specs):
        self.workdir = workdir
        self.specs = specs  # [(name, argv, socket path)]
        self.procs = []

    def start(self, mail_config, timeout=15):
        env = dict(os.environ, MAIL_CONFIG=mail_config)
        for name, argv, _ in self.specs:
            err = open(os.path.join(self.workdir, name + ".err"), "w")
            self.procs.append(subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=err))
        deadline = time.monotonic() + timeout
        while not all(os.path.exists(sock) for _, _, sock in self.specs):
            for p, (name, _, _) in zip(self.procs, self.specs):
                if p.poll() is not None:
                    with open(os.path.join(self.workdir, name + ".err")) as f:
                        raise RuntimeError(f"{name} exited: {f.read()}")
            if time.monotonic() > deadline:
                raise RuntimeError("the milters did not create their sockets")
            time.sleep(0.05)

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()


class MilterHost:
    """Mixin for a Postfix system (smtp_bench.PostfixSystem) with milters:
    its private directory self.dir is removed and its milters stopped when
    the run leaves it. start_milters(specs) starts them before Postfix."""
    milters = None
    dir = None

    def start_milters(self, specs):
        self.milters = Milters(self.dir, specs)
        self.milters.start(self.pf.config_dir)

    def __exit__(self, *exc):
        if self.milters:
            self.milters.stop()
        try:
            return super().__exit__(*exc)
        finally:
            if self.dir:
                shutil.rmtree(self.dir, ignore_errors=True)
