"""smtp_dane - DANE for SMTP (RFC 7672): smtp_tls_security_level = dane.

Instance B receives mail on 127.0.0.64 with STARTTLS and a certificate for
mx.ta.test issued by a local CA (B sends the chain). NSD serves zones
signed with ldnsutils (their keys are A's trust anchors) and one unsigned
zone; each names B as its MX. Relay A delivers with
smtp_tls_security_level = dane:
  - DANE-EE: TLSA 3 1 1 (SHA-256 of B's public key) at mx.dane.test, a name
    B's certificate does not carry: delivered, "Verified TLS connection
    ... (DANE, TLSA)";
  - DANE-TA: TLSA 2 0 1 (SHA-256 of the CA certificate) at mx.ta.test:
    delivered, verified; the same record at mx.taname.test, a name the
    certificate lacks: deferred 4.7.5 (DANE-TA checks the name);
  - a TLSA record that matches nothing: deferred 4.7.5 "not verified",
    nothing delivered;
  - the same mismatching record in the unsigned zone: ignored, delivered
    over TLS without verification;
  - a signed zone with TLSA whose server offers no STARTTLS (smtp-sink):
    deferred 4.7.4, no cleartext;
  - a TLSA answer that fails validation (a signed zone whose TLSA record
    was changed after signing): deferred 4.7.5, the host not contacted.
"""
import hashlib
import os
import shutil
import subprocess
import tempfile

from dns_util import Nsd
from inbound_util import SERVICES, Inbound
from posthorn_test import expect, passed, wait_for
from smtp_mx import port_free_everywhere
from smtp_util import Relay, Sink, message


def openssl(*args, input=None):
    return subprocess.run(["openssl", *args], input=input, capture_output=True, check=True).stdout


def make_chain(d):
    """A CA, and a certificate for mx.ta.test it issued; returns
    (chain file, key file, SHA-256 of the leaf's SPKI, SHA-256 of the CA cert)."""
    ca_key, ca_crt = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key,
            "-out", ca_crt, "-days", "2", "-subj", "/CN=DANE test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    key, csr, crt = (os.path.join(d, n) for n in ("mx.key", "mx.csr", "mx.crt"))
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
            "-subj", "/CN=mx.ta.test")
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:mx.ta.test\nbasicConstraints=CA:FALSE\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
            "-days", "2", "-extfile", ext)
    chain = os.path.join(d, "chain.pem")
    with open(chain, "wb") as f, open(crt, "rb") as leaf, open(ca_crt, "rb") as ca:
        f.write(leaf.read() + ca.read())
    os.chmod(d, 0o755)
    for p in (chain, key):
        os.chmod(p, 0o644)
    spki = openssl("x509", "-in", crt, "-pubkey", "-noout")
    spki_der = openssl("pkey", "-pubin", "-outform", "DER", input=spki)
    ca_der = openssl("x509", "-in", ca_crt, "-outform", "DER")
    return chain, key, hashlib.sha256(spki_der).hexdigest(), hashlib.sha256(ca_der).hexdigest()


def main():
    scratch = tempfile.mkdtemp(prefix="ph-dane-")
    try:
        run(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(scratch):
    port = port_free_everywhere()
    chain, key, ee, ta = make_chain(scratch)
    wrong = "00" * 32

    def zone(tlsa, host="127.0.0.64"):
        return f"@ MX 10 mx\nmx A {host}\n_{port}._tcp.mx TLSA {tlsa}\n"

    zones = {
        "dane.test": zone(f"3 1 1 {ee}"),
        "ta.test": zone(f"2 0 1 {ta}"),
        "taname.test": zone(f"2 0 1 {ta}"),
        "badtlsa.test": zone(f"3 1 1 {wrong}"),
        "insecure.test": zone(f"3 1 1 {wrong}"),
        "notls.test": zone(f"3 1 1 {ee}", host="127.0.0.65"),
        "bogus.test": zone(f"3 1 1 {ee}"),
    }
    domains = [d for d in zones if d != "notls.test"]
    with Inbound("smtp_dane_b", conf={"mydestination": "localhost, " + ", ".join(domains)}) as b:
        b.inst.write_conf(smtpd_tls_security_level="may", smtpd_tls_cert_file=chain, smtpd_tls_key_file=key,
                          inet_interfaces="127.0.0.64")
        b.inst.write_master_conf(SERVICES.format(port=f"127.0.0.64:{port}"))
        b.inst.start()
        wait_for(lambda: b.inst.first_line(port, host="127.0.0.64"), 10, what="B's smtpd on 127.0.0.64")
        signed = [d for d in zones if d != "insecure.test"]
        # bogus.test: its TLSA record changed after signing.
        with Nsd(zones, signed=signed, tamper={"bogus.test": (ee, wrong)}) as dns, \
                Sink("127.0.0.65", port, name="notls") as notls:
            anchors = dns.write_anchors(os.path.join(dns.dir, "anchors.key"))
            with Relay("smtp_dane_a", dns.server, port,
                       conf={"smtp_tls_security_level": "dane", "dns_trust_anchor_file": anchors}) as a:
                a.start()
                for d in zones:
                    a.submit("sender@client.test", [f"postmaster@{d}"], message(f"to {d}"))

                line = a.wait_status("postmaster@dane.test", "sent")
                expect("relay=mx.dane.test[127.0.0.64]" in line, f"DANE-EE: delivered to B: {line}")
                a.inst.wait_for_log(r"Verified TLS connection established to mx\.dane\.test\[127\.0\.0\.64\]:\d+: "
                                    r"TLSv1\.[23] .*\(DANE, TLSA\)")
                line = a.wait_status("postmaster@ta.test", "sent")
                a.inst.wait_for_log(r"Verified TLS connection established to mx\.ta\.test\[127\.0\.0\.64\].*DANE")
                passed("DANE-EE and DANE-TA: verified and delivered")

                for d, dsn, why in (("taname.test", "4.7.5", "not verified"),
                                    ("badtlsa.test", "4.7.5", "matches no TLSA record"),
                                    ("notls.test", "4.7.4", "TLS is required"),
                                    ("bogus.test", "4.7.5", "TLSA lookup")):
                    line = a.wait_status(f"postmaster@{d}", "deferred")
                    expect(f"dsn={dsn}" in line and why in line, f"{d}: deferred with {dsn} ({why}): {line}")
                    if d != "bogus.test":  # not connected: the TLSA lookup itself failed
                        expect("(TLS policy: dane" in line, f"{d}: the reason names the policy: {line}")

                line = a.wait_status("postmaster@insecure.test", "sent")
                expect(not a.inst.find_log(r"Verified TLS connection established to mx\.insecure\.test"),
                       "an unsigned zone's TLSA record is not used")
                a.inst.wait_for_log(r"Untrusted TLS connection established to mx\.insecure\.test")
                expect(not notls.messages(), "nothing went to the server without STARTTLS")
                expect(not a.inst.find_log(r"connection established to mx\.bogus\.test"),
                       "the host whose TLSA answer is bogus was not talked to")
        delivered = b.inst.find_log(r"to=<postmaster@(dane|ta|insecure)\.test>")
        expect(delivered, "B delivered what A verified")
        expect(not b.inst.find_log(r"to=<postmaster@(taname|badtlsa|bogus)\.test>.*status=sent"),
               "and nothing A refused to send")
    passed("DANE: EE and TA verify, mismatches and bogus answers defer, insecure zones are opportunistic")


if __name__ == "__main__":
    main()
