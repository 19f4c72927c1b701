"""smtp_mta_sts - MTA-STS (RFC 8461) in the smtp client (smtp_mta_sts).

A local CA issues the certificates of an HTTPS server on 127.0.0.70 (the
policy host mta-sts.DOMAIN of every test domain, on smtp_mta_sts_port) and
of instance B on 127.0.0.64 (mx.sts.test only); relay A trusts the CA
(smtp_tls_CAfile) and delivers with the default smtp_tls_security_level
(may). NSD names B as every domain's MX:
  - sts.test, mode enforce, MX mx.sts.test listed, valid certificate:
    delivered, "Verified TLS connection established ... (MTA-STS)", and
    the policy cached in the queue directory's mta-sts/;
  - unlisted.test, enforce, its MX host not in the policy: deferred 4.7.5
    "does not list MX host";
  - badcert.test, enforce, listed MX host whose certificate names
    mx.sts.test: deferred 4.7.5 "not verified";
  - testing.test, mode testing, same certificate problem: delivered, and
    the log says it would have been refused;
  - nosts.test, no TXT record: delivered as before, no policy;
  - the HTTPS server gone: sts.test is still enforced, from the cache (the
    TXT id is unchanged, so nothing is fetched);
  - a policy served without text/plain, or a 404, is not used: delivered as
    without a policy, and the log says why.
"""
import http.server
import os
import shutil
import ssl
import subprocess
import tempfile
import threading

from dns_util import Nsd
from inbound_util import SERVICES, Inbound
from posthorn_test import expect, passed, wait_for
from smtp_mx import port_free_everywhere
from smtp_util import Relay, message

DOMAINS = ["sts.test", "unlisted.test", "badcert.test", "testing.test", "notext.test", "missing.test"]
POLICIES = {
    "sts.test": "version: STSv1\nmode: enforce\nmx: mx.sts.test\nmax_age: 86400\n",
    "unlisted.test": "version: STSv1\nmode: enforce\nmx: mx.other.test\nmax_age: 86400\n",
    "badcert.test": "version: STSv1\nmode: enforce\nmx: *.badcert.test\nmax_age: 86400\n",
    "testing.test": "version: STSv1\nmode: testing\nmx: mx.testing.test\nmax_age: 86400\n",
    "notext.test": "version: STSv1\nmode: enforce\nmx: mx.other.test\nmax_age: 86400\n",
}


def openssl(*args):
    subprocess.run(["openssl", *args], capture_output=True, check=True)


def issue(d, ca_key, ca_crt, name, sans):
    key, csr, crt = (os.path.join(d, f"{name}.{x}") for x in ("key", "csr", "crt"))
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
            "-subj", f"/CN={sans[0]}")
    ext = os.path.join(d, f"{name}.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=" + ",".join("DNS:" + s for s in sans) + "\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
            "-days", "2", "-extfile", ext)
    chain = os.path.join(d, f"{name}.chain")
    with open(chain, "wb") as out, open(crt, "rb") as a, open(ca_crt, "rb") as b:
        out.write(a.read() + b.read())
    for p in (key, chain):
        os.chmod(p, 0o644)
    return chain, key


class PolicyServer:
    """HTTPS on 127.0.0.70:port; the policy by Host header."""

    def __init__(self, port, chain, key):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                host = (self.headers.get("Host") or "").split(":")[0]
                domain = host[len("mta-sts."):] if host.startswith("mta-sts.") else ""
                server.requests.append((host, self.path))
                if self.path != "/.well-known/mta-sts.txt" or domain not in POLICIES:
                    self.send_error(404)
                    return
                body = POLICIES[domain].encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html" if domain == "notext.test" else "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.requests = []
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.70", port), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(chain, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def in_scratch(run, prefix):
    """run(scratch) in a new world-readable directory, removed after."""
    scratch = tempfile.mkdtemp(prefix=prefix)
    os.chmod(scratch, 0o755)
    try:
        run(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def certificates(scratch, domains):
    """A local CA and what it issues: (CA certificate, (chain, key) of
    mta-sts.DOMAIN for each domain, (chain, key) of mx.sts.test)."""
    ca_key, ca_crt = os.path.join(scratch, "ca.key"), os.path.join(scratch, "ca.crt")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key,
            "-out", ca_crt, "-days", "2", "-subj", "/CN=MTA-STS test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    os.chmod(ca_crt, 0o644)
    web = issue(scratch, ca_key, ca_crt, "web", ["mta-sts." + d for d in domains])
    mx = issue(scratch, ca_key, ca_crt, "mx", ["mx.sts.test"])
    return ca_crt, web, mx


def start_mx(b, chain, key, port):
    """Starts instance b as every test domain's MX: 127.0.0.64:port, STARTTLS with chain and key."""
    b.inst.write_conf(smtpd_tls_security_level="may", smtpd_tls_cert_file=chain, smtpd_tls_key_file=key,
                      inet_interfaces="127.0.0.64")
    b.inst.write_master_conf(SERVICES.format(port=f"127.0.0.64:{port}"))
    b.inst.start()
    wait_for(lambda: b.inst.first_line(port, host="127.0.0.64"), 10, what="B's smtpd")


def main():
    in_scratch(run, "ph-mtasts-")


def run(scratch):
    ca_crt, (web_chain, web_key), (mx_chain, mx_key) = certificates(scratch, DOMAINS)

    smtp_port = port_free_everywhere()
    https_port = port_free_everywhere()
    zones = {}
    for d in DOMAINS + ["nosts.test"]:
        z = "@ MX 10 mx\nmx A 127.0.0.64\nmta-sts A 127.0.0.70\n"
        if d != "nosts.test":
            z += '_mta-sts TXT "v=STSv1; id=20261207"\n'
        zones[d] = z
    recipients = {d: f"postmaster@{d}" for d in zones}
    with Inbound("smtp_mta_sts_b", conf={"mydestination": "localhost, " + ", ".join(zones)}) as b:
        start_mx(b, mx_chain, mx_key, smtp_port)
        web = PolicyServer(https_port, web_chain, web_key)
        try:
            with Nsd(zones) as dns, \
                    Relay("smtp_mta_sts_a", dns.server, smtp_port,
                          conf={"smtp_tls_CAfile": ca_crt, "smtp_mta_sts_port": str(https_port)}) as a:
                a.start()
                for d in ["sts.test", "unlisted.test", "badcert.test", "testing.test", "nosts.test", "notext.test",
                          "missing.test"]:
                    a.submit("sender@client.test", [recipients[d]], message(f"to {d}"))

                line = a.wait_status(recipients["sts.test"], "sent")
                a.inst.wait_for_log(r"Verified TLS connection established to mx\.sts\.test\[127\.0\.0\.64\].*\(MTA-STS\)")
                expect(a.inst.find_log(r"MTA-STS policy of sts\.test: enforce"), "the log names the policy applied")
                cache = os.path.join(a.inst.queue_dir, "mta-sts", "sts.test")
                with open(cache) as f:
                    expect(f.read().startswith("id=20261207 fetched="), "the policy is cached under mta-sts/")
                passed("enforce, listed MX host, valid certificate: verified and delivered")

                line = a.wait_status(recipients["unlisted.test"], "deferred")
                expect("dsn=4.7.5" in line and "does not list MX host mx.unlisted.test" in line,
                       f"an MX host the policy does not list is not used: {line}")
                line = a.wait_status(recipients["badcert.test"], "deferred")
                expect("dsn=4.7.5" in line and "not verified" in line and "(TLS policy: mta-sts enforce)" in line,
                       f"a certificate for another name, the policy named: {line}")
                line = a.wait_status(recipients["testing.test"], "sent")
                a.inst.wait_for_log(r"MTA-STS \(testing\): the certificate of mx\.testing\.test\[127\.0\.0\.64\] "
                                    r"would be refused")
                line = a.wait_status(recipients["nosts.test"], "sent")
                expect(not a.inst.find_log(r"MTA-STS policy of nosts\.test"), "no TXT record: no policy")
                # text/html: the policy is not used; mx.other.test would have refused mx.notext.test.
                line = a.wait_status(recipients["notext.test"], "sent")
                a.inst.wait_for_log(r"MTA-STS policy of notext\.test could not be fetched: .*text/plain")
                line = a.wait_status(recipients["missing.test"], "sent")
                a.inst.wait_for_log(r"MTA-STS policy of missing\.test could not be fetched: .*404")

                # The web server goes away: the cached policy still rules.
                web.stop()
                web = None
                offset = a.inst.log_size()
                a.submit("sender@client.test", [recipients["sts.test"]], message("cached"))
                a.wait_status(recipients["sts.test"], "sent", offset=offset)
                expect(a.inst.find_log(r"MTA-STS policy of sts\.test: enforce", offset=offset),
                       "enforced from the cache with the policy server down")
                expect(not a.inst.find_log(r"MTA-STS policy of sts\.test (fetched|could not)", offset=offset),
                       "and not fetched again")
        finally:
            if web:
                web.stop()
        expect(not b.inst.find_log(r"to=<postmaster@(unlisted|badcert)\.test>.*status=sent"),
               "B got nothing the policies refused")
    passed("MTA-STS: enforce, testing, unlisted hosts, bad certificates, fetch failures and the cache")


if __name__ == "__main__":
    main()
