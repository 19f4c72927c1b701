"""cleanup_util - shared by the cleanup_* integration tests (not a test).

Runs test/helpers/cleanup_send (a cleanup client over lib/cleanup_client)
and test/helpers/queue_dump (prints a queue file), and sets up an instance
whose master runs cleanup as Postfix runs it: `cleanup unix n - y - 0
cleanup` (public socket, chrooted into the queue directory, as mail_owner).
"""
import codecs
import os
import subprocess

from posthorn_test import BUILDDIR, Instance

CLEANUP_SEND = os.path.join(BUILDDIR, "test", "helpers", "cleanup_send")
QUEUE_DUMP = os.path.join(BUILDDIR, "test", "helpers", "queue_dump")
MASTER_CONF = "cleanup unix n - y - 0 cleanup"


def instance(name, **conf):
    return Instance(name, conf=conf, master_conf=MASTER_CONF)


def socket_path(inst):
    return os.path.join(inst.queue_dir, "public", "cleanup")


def incoming(inst):
    """Names in incoming/ (queue files and temporary files alike)."""
    try:
        return sorted(os.listdir(os.path.join(inst.queue_dir, "incoming")))
    except FileNotFoundError:
        return []


def send(inst, message, sender, rcpts, options=(), timeout=60, socket=None):
    """Sends one message through cleanup; returns (exit status, queue id
    or None, reply line, stderr)."""
    r = subprocess.run([CLEANUP_SEND, *options, socket or socket_path(inst), sender, *rcpts],
                       input=message, capture_output=True, timeout=timeout)
    out = r.stdout.decode(errors="replace").splitlines()
    queue_id = None
    reply = ""
    for line in out:
        if line.startswith("queue_id="):
            queue_id = line[len("queue_id="):]
        else:
            reply = line
    return r.returncode, queue_id, reply, r.stderr.decode(errors="replace")


def unescape(value):
    return codecs.escape_decode(value.encode("latin-1"))[0]


def dump(path):
    """Reads a queue file with queue_dump: (fields {name: bytes},
    recipients [{field: bytes}], attributes [bytes], content bytes)."""
    r = subprocess.run([QUEUE_DUMP, path], capture_output=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError(f"queue_dump {path}: {r.stderr.decode(errors='replace')}")
    head, sep, content = r.stdout.partition(b"\n\n")
    if not sep:
        raise AssertionError(f"queue_dump {path}: no content separator")
    fields, rcpts, attributes = {}, [], []
    for line in head.decode("ascii").split("\n"):
        name, _, value = line.partition("=")
        value = unescape(value)
        if name == "attribute":
            attributes.append(value)
        elif name.startswith("rcpt.") and name != "rcpt.count":
            _, index, field = name.split(".", 2)
            while len(rcpts) <= int(index):
                rcpts.append({})
            rcpts[int(index)][field] = value
        else:
            fields[name] = value
    if int(fields["content.length"]) != len(content):
        raise AssertionError(f"queue_dump {path}: content.length {fields['content.length']!r}"
                             f" but {len(content)} bytes")
    return fields, rcpts, attributes, content

