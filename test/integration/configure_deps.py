"""configure names the Debian package to install when a dependency is missing.

Runs the real configure script in scratch build directories: once with every
dependency present (it must succeed), then with one dependency hidden at a
time through pkg-config's search path or an autoconf cache override.

The source tree may itself be configured (README's by-hand build runs
./configure in it), and autoconf refuses an out-of-tree build of a configured
tree. So configure runs against a scratch view of the sources: a link to each
top-level entry, but none to what an in-tree configure wrote.
"""
import concurrent.futures
import os
import subprocess
import sys
import tempfile

SRCDIR = os.environ["POSTHORN_SRCDIR"]

# What configure writes into the directory it runs in.
CONFIGURE_OUTPUTS = {"config.status", "config.log", "Makefile", "CTestTestfile.cmake"}

CASES = [
    # (what is hidden, extra environment, expected package in the error)
    ("all pkg-config modules", {"PKG_CONFIG_LIBDIR": "/nonexistent"}, "libevent-dev"),
    ("libspf2", {"ac_cv_lib_spf2_SPF_server_new": "no"}, "libspf2-dev"),
    ("Berkeley DB", {"ac_cv_lib_db_db_create": "no"}, "libdb-dev"),
    ("opendkim header", {"ac_cv_header_opendkim_dkim_h": "no"}, "libopendkim-dev"),
    ("nlohmann/json header", {"ac_cv_header_nlohmann_json_hpp": "no"}, "nlohmann-json3-dev"),
    ("ctest", {"ac_cv_path_CTEST": ""}, "cmake"),
]


def unconfigured_view(scratch):
    """A directory that links to every top-level entry of SRCDIR but configure's outputs."""
    view = os.path.join(scratch, "src")
    os.mkdir(view)
    for name in os.listdir(SRCDIR):
        if name not in CONFIGURE_OUTPUTS:
            os.symlink(os.path.join(SRCDIR, name), os.path.join(view, name))
    return view


def configure(srcdir, extra_env):
    with tempfile.TemporaryDirectory(prefix="ph-configure-") as build:
        env = dict(os.environ, **extra_env)
        proc = subprocess.run([os.path.join(srcdir, "configure"), "-q"], cwd=build,
                              env=env, capture_output=True, text=True, timeout=300)
        return proc.returncode, proc.stdout + proc.stderr


def main():
    failures = []
    with tempfile.TemporaryDirectory(prefix="ph-configure-src-") as scratch, \
            concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        srcdir = unconfigured_view(scratch)
        full = pool.submit(configure, srcdir, {})
        hidden = [(name, pool.submit(configure, srcdir, env), pkg) for name, env, pkg in CASES]
        rc, out = full.result()
        if rc != 0:
            failures.append(f"configure with every dependency failed (rc={rc}):\n{out}")
        else:
            print("ok: configure with every dependency succeeds")
        for name, fut, pkg in hidden:
            rc, out = fut.result()
            errors = [l for l in out.splitlines() if "error:" in l]
            if rc == 0:
                failures.append(f"{name} hidden: configure succeeded")
            elif len(errors) != 1 or f"install the Debian package {pkg}" not in errors[0]:
                failures.append(f"{name} hidden: expected one error line naming {pkg}, got:\n{out}")
            else:
                print(f"ok: {name} hidden -> {errors[0].strip()}")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
