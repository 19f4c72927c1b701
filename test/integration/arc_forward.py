"""ARC (RFC 8617): forwarding through an alias keeps the author's DMARC
pass (arc_sealing_domain, arc_trusted_sealers; cleanup(8), smtpd(8)).

Two instances and NSD. A (mx.fwd.test) forwards list@fwd.test to
user@dest.test with SRS; B (mx.dest.test) receives for dest.test and
trusts fwd.test as a sealer. origin.test publishes SPF for 127.0.0.2 only
and DMARC p=reject, and does not sign: at A the message passes DMARC
through SPF; at B the envelope is A's SRS address, so DMARC fails there.
  - A adds ARC set i=1 (cv=none, d=fwd.test) whose
    ARC-Authentication-Results is A's own field (dmarc=pass);
  - B verifies the chain (arc=pass in its field), does not reject the
    DMARC failure because the trusted sealer saw a pass, and keeps the
    override in its DMARC history (trusted_forwarder);
  - dkimpy (python3-dkim, an independent implementation) validates the
    chain of the message as B delivered it;
  - sets sealed by dkimpy: by fwd.test's key, accepted by B; by
    other.test (a valid chain, but not trusted), refused 550 5.7.1 by the
    DMARC policy; by fwd.test but the body changed after sealing, arc=fail
    and refused.
"""
import email
import json
import os
import smtplib
import sys
import time

from dkim_keys import key_record, rsa_key, txt_lookup
from dns_util import Nsd
from inbound_util import Inbound, system_user
from posthorn_test import SKIP, expect, passed, wait_for

try:
    import dkim  # python3-dkim
    import dns.resolver  # noqa: F401 (python3-dnspython, for dkim_keys.txt_lookup)
except ImportError as e:
    print(f"SKIP: {e} (apt-get install python3-dkim python3-dnspython)")
    sys.exit(SKIP)

DNS = {"dns_trust_anchor_file": "", "dns_timeout": "2s", "dns_attempts": "1"}
CHECKED = {"smtpd_mailauth_checks": "yes", "smtpd_mailauth_ignore_hosts": "", "smtpd_peername_lookup": "no"}


def zones(fwd_record, other_pub):
    return {
        "origin.test": '@ TXT "v=spf1 ip4:127.0.0.2 -all"\n_dmarc TXT "v=DMARC1; p=reject"\n',
        "fwd.test": '@ TXT "v=spf1 ip4:127.0.0.0/8 -all"\n' + fwd_record + "\n",
        "other.test": '@ TXT "v=spf1 ip4:127.0.0.0/8 -all"\n' + key_record("arc", other_pub),
        "dest.test": "@ MX 10 mx\nmx A 127.0.0.1\n",
    }


def message(subject):
    return (f"From: Alice <alice@origin.test>\r\nTo: list@fwd.test\r\nSubject: {subject}\r\n"
            f"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{subject}@origin.test>\r\n\r\n"
            f"Hello from origin, {subject}.\r\n").encode()


def sealed_by(msg, domain, key, srv_id):
    """msg with srv_id's Authentication-Results (dmarc=pass) and an ARC set by dkimpy."""
    ar = f"Authentication-Results: {srv_id}; spf=pass smtp.mailfrom=alice@origin.test; dmarc=pass header.from=origin.test\r\n"
    m = ar.encode() + msg
    return b"".join(dkim.arc_sign(m, b"arc", domain.encode(), key, srv_id.encode(),
                                  include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])) + m


def delivered(box, subject):
    """The message with that Subject in B's mbox, CRLF line ends, without the mbox From_ line."""
    text = box.mbox_text()
    for part in text.split(b"\nFrom ")[::-1]:
        if f"Subject: {subject}".encode() in part:
            body = part.split(b"\n", 1)[1]  # the From_ line
            return body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return None


def send_to_b(b, sender, msg):
    try:
        with smtplib.SMTP("127.0.0.1", b.port, timeout=30) as s:
            s.sendmail(sender, ["user@dest.test"], msg)
        return 250, ""
    except smtplib.SMTPDataError as e:
        return e.smtp_code, e.smtp_error.decode()


def main():
    other_key, other_pub = rsa_key()
    user = system_user()[0]
    b = Inbound("arc_forward_b", conf={"mydestination": "mx.dest.test, localhost, dest.test",
                                       "myhostname": "mx.dest.test", "arc_trusted_sealers": "fwd.test",
                                       **DNS, **CHECKED},
                aliases=f"user: {user}\n")
    a = Inbound("arc_forward_a", conf={"mydestination": "mx.fwd.test, localhost, fwd.test",
                                       "myhostname": "mx.fwd.test", "srs_domain": "fwd.test",
                                       "smtp_tcp_port": str(b.port), "arc_sealing_domain": "fwd.test",
                                       **DNS, **CHECKED},
                aliases="list: user@dest.test\n",
                extra_services="smtp unix - - y - - smtp\nbounce unix - - y - 0 bounce\n")
    with b, a:
        ia = a.inst
        r = ia.posthorn("dkim", "keygen", "fwd.test", "arc", timeout=60)
        expect(r.returncode == 0, f"posthorn dkim keygen: {r.stderr}")
        fwd_record = [l for l in r.stdout.splitlines() if "._domainkey." in l][0]
        fwd_record = fwd_record.replace("arc._domainkey.fwd.test.", "arc._domainkey", 1)
        with open(os.path.join(ia.config_dir, "dkim", "fwd.test", "arc.key"), "rb") as f:
            fwd_key = f.read()
        table = os.path.join(ia.config_dir, "dkim_signing")
        with open(table, "w") as f:
            f.write("fwd.test  arc\n")
        secret = os.path.join(ia.config_dir, "srs.secret")
        with open(secret, "w") as f:
            f.write("arc-test-secret\n")
        os.chmod(secret, 0o600)
        with Nsd(zones(fwd_record, other_pub)) as ns:
            ia.write_conf(dns_servers=ns.server, dkim_signing_maps=table)
            b.inst.write_conf(dns_servers=ns.server)
            expect(ia.posthorn("check").returncode == 0, "posthorn check accepts A's configuration")
            b.start()
            a.start()

            # --- forwarded by A: sealed, and B lets the DMARC failure through --
            with smtplib.SMTP("127.0.0.1", a.port, timeout=30, source_address=("127.0.0.2", 0)) as s:
                s.sendmail("alice@origin.test", ["list@fwd.test"], message("forwarded"))
            ia.wait_for_log(r"ARC set i=1 added \(cv=none, d=fwd\.test, s=arc\)", 30)
            wait_for(lambda: delivered(b, "forwarded"), 30, what="the forwarded message at B")
            msg = delivered(b, "forwarded")
            head = msg.split(b"\r\n\r\n", 1)[0].decode()
            expect("ARC-Authentication-Results: i=1; mx.fwd.test;" in head and "dmarc=pass" in head,
                   f"the ARC set carries A's results: {head}")
            b_ar = [" ".join(v.split()) for v in email.message_from_bytes(msg).get_all("Authentication-Results")
                    if v.strip().startswith("mx.dest.test")]
            expect(len(b_ar) == 1, f"B's own Authentication-Results field: {head}")
            expect("arc=pass (i=1, sealed by fwd.test) smtp.remote-ip=127.0.0.1" in b_ar[0],
                   f"B reports arc=pass: {b_ar[0]}")
            expect("dmarc=fail (p=reject dis=none;" in b_ar[0] and "trusted forwarder fwd.test" in b_ar[0],
                   f"B's DMARC fails, overridden by the trusted sealer: {b_ar[0]}")
            b.inst.wait_for_log(r"DMARC failure of origin\.test not acted on: ARC sealed by trusted forwarder fwd\.test")
            cv, results, comment = dkim.arc_verify(msg, dnsfunc=txt_lookup(ns.port))
            expect(cv == b"pass", f"dkimpy validates the chain as B delivered it: {cv} {comment} {results}")
            history = os.path.join(b.inst.queue_dir, "dmarc", time.strftime("%Y%m%d", time.gmtime()))
            wait_for(lambda: os.path.exists(history), 10, what="B's DMARC history")
            with open(history) as f:
                lines = [json.loads(l) for l in f if l.strip()]
            expect(any(l.get("override") == "trusted_forwarder" and l.get("dmarc") == "fail" for l in lines),
                   f"B's history keeps the override: {lines}")

            # --- sealed by dkimpy ------------------------------------------------
            code, text = send_to_b(b, "bounce@fwd.test", sealed_by(message("dkimpy-trusted"), "fwd.test",
                                                                     fwd_key, "mx.fwd.test"))
            expect(code == 250, f"a chain dkimpy sealed with fwd.test's key is trusted: {code} {text}")
            wait_for(lambda: delivered(b, "dkimpy-trusted"), 30, what="the dkimpy-sealed message at B")
            expect(b"arc=pass" in delivered(b, "dkimpy-trusted"), "B verified dkimpy's chain: arc=pass")

            code, text = send_to_b(b, "bounce@other.test", sealed_by(message("untrusted"), "other.test",
                                                                       other_key, "mx.other.test"))
            expect(code == 550 and "DMARC" in text,
                   f"a valid chain from a sealer B does not trust does not save the DMARC failure: {code} {text}")
            b.inst.wait_for_log(r"arc=pass \(i=1, sealed by other\.test\)")

            tampered = sealed_by(message("tampered"), "fwd.test", fwd_key, "mx.fwd.test").replace(
                b"Hello from origin", b"Hello from elsewhere")
            code, text = send_to_b(b, "bounce@fwd.test", tampered)
            expect(code == 550, f"a body changed after sealing breaks the chain: {code} {text}")
            b.inst.wait_for_log(r"arc=fail \(ARC-Message-Signature i=1: the body has changed\)")
    passed("ARC sets from forwarding verify at the next hop and with dkimpy; trusted sealers override DMARC")


if __name__ == "__main__":
    main()
