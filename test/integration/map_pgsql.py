"""pgsql: tables against a real PostgreSQL, through `posthorn map -q` and mapd.

The test starts Debian's PostgreSQL (initdb into a temporary directory; the
server on a loopback port and a socket directory, as user postgres when the
test runs as root, since postgres refuses to run as root), creates the
tables of a hosted setup (domains, mailboxes, aliases) and asserts, with
Postfix's pgsql_table(5) parameters in the .cf files:
- domains, mailboxes (query with %u and %d, result_format, `domain`
  restriction) and aliases (several rows joined with ", ") are found through
  `posthorn map -q` (over the socket) and through a running mapd (over TCP);
  a key that is not there is a miss (exit 1, NOTFOUND); a quote in the key
  stays inside the SQL string; more values than expansion_limit is an error;
- PostgreSQL stopped mid-run: mapd answers TempFail and `posthorn map -q`
  exits 2 (never a miss), and both answer again once it is back, mapd
  without a restart.
"""
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

from posthorn_test import passed, Instance, expect, is_root, wait_for
from lookup_util import HelperClient, require_helper, start_service

SKIP = 77

SCHEMA = """
CREATE TABLE domains (domain text PRIMARY KEY, active boolean NOT NULL);
CREATE TABLE mailbox (local_part text, domain text, maildir text);
CREATE TABLE alias (address text, goto text);
INSERT INTO domains VALUES ('example.com', true), ('example.net', true), ('old.example', false);
INSERT INTO mailbox VALUES ('alice', 'example.com', 'example.com/alice/'),
                           ('bob', 'example.net', 'example.net/bob/');
INSERT INTO alias VALUES ('postmaster@example.com', 'alice@example.com'),
                         ('team@example.com', 'alice@example.com'),
                         ('team@example.com', 'bob@example.net'),
                         ('team@example.com', 'carol@example.org'),
                         ('o''brien@example.com', 'alice@example.com');
"""


class Postgres:
    """A PostgreSQL server of our own in a temporary directory."""

    def __init__(self, port):
        bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        self.bin = bindirs[-1]
        self.dir = tempfile.mkdtemp(prefix="ph-pgsql-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.sockets = os.path.join(self.dir, "run")
        self.port = port
        os.makedirs(self.sockets)
        self.user = "postgres" if is_root() else pwd.getpwuid(os.geteuid()).pw_name
        if is_root():
            shutil.chown(self.sockets, "postgres", "postgres")
            shutil.chown(self.dir, "postgres", "postgres")
        self.proc = None
        self._run("initdb", "-D", self.data, "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--no-sync")

    def _argv(self, program, *args):
        argv = [os.path.join(self.bin, program), *args]
        # setpriv execs the program itself: the pid we hold is the server's.
        return (["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *argv]
                if is_root() else argv)

    def _run(self, program, *args, input=None):
        r = subprocess.run(self._argv(program, *args), capture_output=True, text=True,
                           input=input, timeout=120)
        if r.returncode != 0:
            raise AssertionError(f"{program} failed ({r.returncode}): {r.stdout}{r.stderr}")
        return r

    def start(self):
        self.log = open(os.path.join(self.dir, "postgres.log"), "a")
        self.proc = subprocess.Popen(
            self._argv("postgres", "-D", self.data, "-k", self.sockets, "-p", str(self.port),
                       "-h", "127.0.0.1", "-c", "fsync=off"),
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(lambda: subprocess.run(self._argv("pg_isready", "-h", self.sockets, "-p",
                                                   str(self.port)),
                                        capture_output=True).returncode == 0,
                 30, what="PostgreSQL to accept connections")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(2)  # SIGINT: fast shutdown, clients are cut off
            self.proc.wait(30)
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None

    def sql(self, text):
        return self._run("psql", "-h", self.sockets, "-p", str(self.port), "-U", self.user,
                         "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", input=text)

    def close(self):
        self.stop()
        log = os.path.join(self.dir, "postgres.log")
        if os.path.exists(log):
            with open(log) as f:
                print("--- postgres.log (last lines):\n" + "".join(f.readlines()[-15:]))
        shutil.rmtree(self.dir, ignore_errors=True)


class Client(HelperClient):
    def __init__(self, inst):
        super().__init__(inst, "map_lookup", "mapd")

    def lookup(self, table, *keys):
        return self.run(self.socket, table, *keys)


def write_cf(path, **params):
    with open(path, "w") as f:
        f.write("# pgsql_table(5)\n")
        for name, value in params.items():
            f.write(f"{name} = {value}\n")
    os.chmod(path, 0o644)


def main():
    if not glob.glob("/usr/lib/postgresql/*/bin/postgres"):
        print("SKIP: PostgreSQL is not installed (Debian package postgresql; "
              "scripts/quickstart.sh installs it)")
        sys.exit(SKIP)
    require_helper("map_lookup")
    port = Instance.free_ports(1)[0]
    pg = Postgres(port)
    try:
        pg.start()
        pg.sql(SCHEMA)
        with Instance("map_pgsql") as inst:
            etc = inst.config_dir
            common = {"user": pg.user, "dbname": "postgres"}
            tcp = f"inet:127.0.0.1:{port}"
            sock = f"unix:{pg.sockets}/.s.PGSQL.{port}"  # the socket file: directory and port
            domains = os.path.join(etc, "domains.cf")
            mailboxes = os.path.join(etc, "mailboxes.cf")
            aliases = os.path.join(etc, "aliases.cf")
            limited = os.path.join(etc, "limited.cf")
            # The first host is a port nobody listens on: the next one is tried.
            dead = f"inet:127.0.0.1:{Instance.free_ports(1)[0]}"
            write_cf(domains, hosts=f"{dead}, {tcp} {sock}", **common,
                     query="SELECT domain FROM domains WHERE domain = '%s' AND active")
            write_cf(mailboxes, hosts=tcp, **common,
                     query="SELECT maildir FROM mailbox WHERE local_part = '%u' AND domain = '%d'",
                     result_format="/var/mail/vhosts/%s", domain="example.com example.net")
            write_cf(aliases, hosts=tcp, **common,
                     query="SELECT goto FROM alias WHERE address = '%s' ORDER BY goto")
            write_cf(limited, hosts=sock, **common, expansion_limit="2",
                     query="SELECT goto FROM alias WHERE address = '%s'")
            tables = {name: f"pgsql:{path}" for name, path in
                      (("domains", domains), ("mailboxes", mailboxes), ("aliases", aliases))}
            inst.write_conf(proxy_read_maps=" ".join(tables.values()))
            inst.write_master_conf("mapd unix - - n - - mapd")

            def query(key, table):
                r = inst.posthorn("map", "-q", key, table)
                return r.returncode, r.stdout.strip(), r.stderr.strip()

            cases = [
                ("domains", "example.com", "example.com"),
                ("domains", "EXAMPLE.NET", "example.net"),   # keys are folded, as in Postfix
                ("domains", "old.example", None),             # inactive
                ("mailboxes", "alice@example.com", "/var/mail/vhosts/example.com/alice/"),
                ("mailboxes", "Bob@Example.NET", "/var/mail/vhosts/example.net/bob/"),
                ("mailboxes", "alice@example.org", None),     # not in `domain`: no query
                ("mailboxes", "alice", None),
                ("aliases", "postmaster@example.com", "alice@example.com"),
                ("aliases", "team@example.com",
                 "alice@example.com, bob@example.net, carol@example.org"),
                ("aliases", "o'brien@example.com", "alice@example.com"),
                ("aliases", "x' OR '1'='1", None),            # quoted: stays a string
                ("aliases", "nobody@example.com", None),
            ]
            for table, key, want in cases:
                status, out, err = query(key, tables[table])
                if want is None:
                    expect(status == 1 and out == "",
                           f"posthorn map -q {key!r} {table}: a miss (exit 1) ({status} {out} {err})")
                else:
                    expect(status == 0 and out == want,
                           f"posthorn map -q {key!r} {table} -> {out!r} ({status} {err})")
            status, out, err = query("team@example.com", f"pgsql:{limited}")
            expect(status == 2 and "expansion_limit" in err,
                   f"3 values with expansion_limit = 2: an error, exit 2 ({status} {err})")

            client = Client(inst)
            start_service(inst, client)
            status, lines, err = client.lookup(tables["aliases"], "team@example.com",
                                               "postmaster@example.com", "nobody@example.com")
            expect(status == 0 and lines == ["alice@example.com, bob@example.net, carol@example.org",
                                             "alice@example.com", "NOTFOUND"],
                   f"through mapd: aliases ({status} {lines} {err.strip()})")
            status, lines, err = client.lookup(tables["mailboxes"], "Alice@Example.com")
            expect(status == 0 and lines == ["/var/mail/vhosts/example.com/alice/"],
                   f"through mapd: a mailbox, the key's case kept to mapd ({lines} {err.strip()})")
            status, lines, err = client.lookup(tables["domains"], "example.net", "example.org")
            expect(status == 0 and lines == ["example.net", "NOTFOUND"],
                   f"through mapd: domains ({lines} {err.strip()})")
            before = inst.workers_named("mapd")

            # PostgreSQL goes away: temporary failures, never misses.
            pg.stop()
            offset = inst.log_size()
            status, lines, err = client.lookup(tables["aliases"], "team@example.com")
            expect(status == 1 and lines and lines[0].startswith("ERROR tempfail:"),
                   f"PostgreSQL stopped: mapd answers tempfail ({status} {lines})")
            status, lines, err = client.lookup(tables["domains"], "example.com")
            expect(status == 1 and lines and lines[0].startswith("ERROR tempfail:"),
                   f"and again for another table ({status} {lines})")
            inst.wait_for_log(r"mapd\[\d+\]: warning: table pgsql:.*(cannot connect|query failed)",
                              5, offset)
            passed("mapd logs why")
            status, out, err = query("team@example.com", tables["aliases"])
            expect(status == 2 and "cannot connect" in err,
                   f"posthorn map -q exits 2 with the reason ({status} {out} {err})")

            # And it comes back: the next lookups connect again.
            pg.start()
            status, lines, err = client.lookup(tables["aliases"], "team@example.com",
                                               "nobody@example.com")
            expect(status == 0 and lines == ["alice@example.com, bob@example.net, carol@example.org",
                                             "NOTFOUND"],
                   f"PostgreSQL back: mapd answers again ({lines} {err.strip()})")
            expect(inst.workers_named("mapd") == before,
                   f"served by the same mapd process {before}")
            status, out, err = query("example.com", tables["domains"])
            expect(status == 0 and out == "example.com",
                   f"posthorn map -q answers again ({status} {out} {err})")
    finally:
        pg.close()


if __name__ == "__main__":
    main()
