"""smtpd_tls_startcheck - a missing TLS key is an error at start, not at
the first client.

master starts smtpd only when a client connects, so `posthorn check` and
`posthorn start` load every smtpd service's certificate and key first: a
missing key file makes both fail with the file named, and nothing starts;
with the pair `posthorn tls selfsigned` makes, both succeed.
"""
import os

from posthorn_test import Instance, expect, passed, wait_for


def main():
    with Instance("smtpd_tls_startcheck") as inst:
        port = inst.free_port()
        missing = os.path.join(inst.config_dir, "tls", "missing.key")
        inst.write_conf(smtpd_tls_security_level="may",
                        smtpd_tls_cert_file=os.path.join(inst.config_dir, "tls", "posthorn.crt"),
                        smtpd_tls_key_file=missing, smtpd_peername_lookup="no")
        inst.write_master_conf(f"{port} inet n - y - - smtpd\nmapd unix - - n - - mapd\n")
        inst.selfsigned()

        r = inst.posthorn("check")
        expect(r.returncode == 1 and missing in r.stderr,
               f"posthorn check fails naming the missing key: {r.stderr.strip()}")
        r = inst.posthorn("start")
        expect(r.returncode == 1 and missing in r.stderr,
               f"posthorn start fails naming the missing key: {r.stderr.strip()}")
        expect(inst.refused(port), "nothing listens after the refused start")

        inst.write_conf(smtpd_tls_key_file=os.path.join(inst.config_dir, "tls", "posthorn.key"))
        r = inst.posthorn("check")
        expect(r.returncode == 0, f"posthorn check passes with the key: {r.stderr.strip()}")
        inst.start()
        wait_for(lambda: inst.first_line(port), 10, what="smtpd's greeting")
        passed("posthorn starts with the key in place")


if __name__ == "__main__":
    main()
