"""smtp_dnssec - MX routing over DNSSEC: the smtp delivery agent's resolver
validates (libunbound) against the test zones' own keys.

NSD serves two zones signed here with ldnsutils (ldns-keygen,
ldns-signzone) and an unsigned one; dns_trust_anchor_file holds the two
signed zones' keys:
  - secure.test (signed, intact): delivered to its MX host;
  - bogus.test (signed, its MX host's address changed after signing):
    deferred (4.4.3) with "DNSSEC validation failed", and the forged
    address never contacted;
  - plain.test (unsigned, outside the anchors): delivered, as before.
"""
import os

from dns_util import Nsd
from posthorn_test import expect, passed
from smtp_mx import port_free_everywhere
from smtp_util import Relay, Sink, message

ZONES = {
    "secure.test": "@ MX 10 mx\nmx A 127.0.0.60\n",
    "bogus.test": "@ MX 10 mx\nmx A 127.0.0.61\n",
    "plain.test": "@ MX 10 mx\nmx A 127.0.0.63\n",
}


def main():
    port = port_free_everywhere()
    with Nsd(ZONES, signed=["secure.test", "bogus.test"],
             tamper={"bogus.test": ("127.0.0.61", "127.0.0.62")}) as dns, \
            Sink("127.0.0.60", port, name="secure") as secure, \
            Sink("127.0.0.62", port, name="forged") as forged, \
            Sink("127.0.0.63", port, name="plain") as plain:
        anchors = dns.write_anchors(os.path.join(dns.dir, "anchors.key"))
        with Relay("smtp_dnssec", dns.server, port, conf={"dns_trust_anchor_file": anchors}) as relay:
            relay.start()
            relay.submit("sender@client.test", ["user@secure.test"], message("secure"))
            line = relay.wait_status("user@secure.test", "sent")
            expect("relay=mx.secure.test[127.0.0.60]:" in line, f"the validated MX host got it: {line}")

            relay.submit("sender@client.test", ["user@bogus.test"], message("bogus"))
            line = relay.wait_status("user@bogus.test", "deferred")
            expect("dsn=4.4.3" in line and "DNSSEC validation failed" in line,
                   f"a bogus answer defers the message: {line}")

            relay.submit("sender@client.test", ["user@plain.test"], message("plain"))
            line = relay.wait_status("user@plain.test", "sent")
            expect("relay=mx.plain.test[127.0.0.63]:" in line, f"an unsigned zone is used as before: {line}")

            expect(len(secure.messages()) == 1 and len(plain.messages()) == 1,
                   "the secure and the unsigned MX hosts have one message each")
            expect(forged.connections() == 0, "the forged address was never contacted")
    passed("DNSSEC: secure delivered, bogus deferred, insecure delivered")


if __name__ == "__main__":
    main()
