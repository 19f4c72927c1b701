"""scripts/check-layers passes on the tree and catches each kind of breach.

First the real source tree must pass. Then a scratch copy of its code and
Makefile fragments gets one breach of every kind the check knows, each at
a known line, and the check must fail naming exactly those files and lines.
"""
import os
import shutil
import subprocess
import sys
import tempfile

SRCDIR = os.environ["POSTHORN_SRCDIR"]
CHECK = os.path.join(SRCDIR, "scripts", "check-layers")
SKIP = {".git", "_build", "_run", "autom4te.cache", "build-aux"}


def run_check(root):
    proc = subprocess.run([sys.executable, CHECK, "--root", root], capture_output=True,
                          text=True, timeout=120)
    return proc.returncode, proc.stdout.splitlines()


def copy_code(dst):
    """The folders' .cc/.h files and Makefile fragments, nothing built."""
    for top in os.listdir(SRCDIR):
        if top in SKIP or top.startswith(".") or not os.path.isdir(os.path.join(SRCDIR, top)):
            continue
        for dirpath, dirnames, filenames in os.walk(os.path.join(SRCDIR, top)):
            dirnames[:] = [d for d in dirnames if d not in SKIP and not d.startswith(".")]
            for f in filenames:
                if f.endswith((".cc", ".h", ".am")) or f == "Makefile.inc":
                    src = os.path.join(dirpath, f)
                    out = os.path.join(dst, os.path.relpath(src, SRCDIR))
                    os.makedirs(os.path.dirname(out), exist_ok=True)
                    shutil.copyfile(src, out)


def append_line(root, rel, text):
    """Appends `text` as a new last line of root/rel; returns its line number."""
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    body = open(path).read() if os.path.exists(path) else ""
    if body and not body.endswith("\n"):
        body += "\n"
    body += text + "\n"
    with open(path, "w") as f:
        f.write(body)
    return body.count("\n")


def main():
    failures = []
    rc, out = run_check(SRCDIR)
    if rc != 0:
        failures.append("the source tree fails the check:\n" + "\n".join(out))
    else:
        print("ok: the source tree passes:", out[-1] if out else "")

    with tempfile.TemporaryDirectory(prefix="ph-layers-") as root:
        copy_code(root)
        rc, out = run_check(root)
        if rc != 0:
            failures.append("the untouched copy fails the check:\n" + "\n".join(out))
        # (file, line to append, what the report must say about it)
        breaches = [
            ("lib/util/crc32c.h", '#include "lib/queue/queue_id.h"',
             "lib/util/ (floor 0) must not include lib/queue/ (floor 4)"),
            ("lib/ipc/ipc.cc", '#include "lib/config/config.h"',
             "lib/ipc/ (floor 1) must not include lib/config/ (floor 2)"),
            ("lib/proto/map_client.cc", '#include "mapd/map_server.h"',
             "lib/ must not include a program's header"),
            ("smtpd/smtpd_session.cc", '#include "imapd/imap_parser.h"',
             "smtpd/ must not include another program's header (imapd/)"),
            ("lib/newfloor/thing.h", '#include "lib/util/crc32c.h"',
             "lib/newfloor/ has no floor"),
            ("tools/Makefile.inc", "tools_libcommands_a_SOURCES += auth/passdb.cc",
             "lists auth/passdb.cc: a tools/ fragment lists only tools/ sources"),
            ("smtpd/Makefile.inc", "lib_libposthorn_a_SOURCES += smtpd/smtpd_session.cc",
             "only lib/ fragments add to lib/libposthorn.a"),
        ]
        expected = []
        for rel, text, says in breaches:
            line = append_line(root, rel, text)
            expected.append((f"{rel}:{line}:", says))
        rc, out = run_check(root)
        if rc != 1:
            failures.append(f"the check exited {rc} on a tree with breaches")
        for where, says in expected:
            hits = [l for l in out if l.startswith(where) and says in l]
            if not hits:
                failures.append(f"no report '{where} ... {says}'; got:\n" + "\n".join(out))
            else:
                print("ok: caught", hits[0])
        unexpected = [l for l in out if not any(l.startswith(w) for w, _ in expected)]
        if unexpected:
            failures.append("reports for lines nobody broke:\n" + "\n".join(unexpected))

    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
