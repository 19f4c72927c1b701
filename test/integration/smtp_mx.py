"""smtp_mx - MX routing of the smtp delivery agent against a real DNS server.

NSD serves the zone mx.test (and a broken zone whose queries SERVFAIL);
smtp-sink instances on 127.0.0.x (and ::1) are the MX hosts; a posthorn
relay takes the mail on smtpd and its smtp agent delivers it:

  - MX 10 refuses connections, MX 20 is up: delivered to MX 20;
  - two MX of equal preference, connection reuse off, a fixed
    smtp_mx_random_seed: both get part of 100 messages;
  - no MX but an A record: delivered to that address (implicit MX);
  - an MX whose name is a CNAME: followed;
  - an MX host with only an AAAA record (::1): delivered over IPv6;
  - null MX: bounced at once with 5.1.10, the sink never contacted;
  - NXDOMAIN: bounced (5.4.4); SERVFAIL: deferred (4.4.3) and kept.
"""
import socket

from dns_util import Nsd
from posthorn_test import expect, passed, wait_for
from smtp_util import Relay, Sink, message


def port_free_everywhere():
    """A TCP port free on 127.0.0.1 and ::1 (the sinks' common port)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
                    s6.bind(("::1", port))
                return port
            except OSError:
                continue
    raise AssertionError("no common free port")


ZONE = """
fallback   MX 10 down
fallback   MX 20 up
down       A  127.0.0.41
up         A  127.0.0.42
equal      MX 10 eq1
equal      MX 10 eq2
eq1        A  127.0.0.43
eq2        A  127.0.0.44
plain      A  127.0.0.45
viacname   MX 10 alias
alias      CNAME up
ipv6       MX 10 v6host
v6host     AAAA ::1
nullmx     MX 0 .
"""


def main():
    port = port_free_everywhere()
    with Nsd({"mx.test": ZONE}, broken=["broken.test"]) as dns, \
            Sink("127.0.0.42", port, name="up") as up, \
            Sink("127.0.0.43", port, name="eq1") as eq1, \
            Sink("127.0.0.44", port, name="eq2") as eq2, \
            Sink("127.0.0.45", port, name="plain") as plain, \
            Sink("::1", port, name="v6") as v6, \
            Relay("smtp_mx", dns.server, port,
                  conf={"smtp_connection_cache_on_demand": "no",
                        "smtp_mx_random_seed": "12345"}) as relay:
        expect(dns.query("nullmx.mx.test", "MX") == (0, 1), "nsd serves the test zone")
        expect(dns.query("x.broken.test", "MX")[0] == 2, "nsd answers SERVFAIL for the broken zone")
        relay.start()
        log = relay.inst

        # MX 10 refuses, MX 20 takes it.
        relay.submit("sender@client.test", ["user@fallback.mx.test"], message("fallback"))
        line = relay.wait_status("user@fallback.mx.test", "sent")
        expect("relay=up.mx.test[127.0.0.42]:" in line, f"delivered through MX 20: {line}")
        expect(log.find_log(r"connect to down\.mx\.test\[127\.0\.0\.41\]:\d+: Connection refused"),
               "the refused MX 10 connection is logged")
        wait_for(lambda: len(up.messages()) == 1, 5, what="the message at MX 20")
        passed("MX 20's sink has the message")

        # Equal preferences: 100 messages, no reuse, seeded shuffle.
        rcpts = [f"u{i}@equal.mx.test" for i in range(100)]
        for r in rcpts:
            relay.submit("sender@client.test", [r], message("equal " + r))
        wait_for(lambda: len(eq1.messages()) + len(eq2.messages()) >= 100, 60,
                 what="100 messages at the two equal-preference MX hosts")
        n1, n2 = len(eq1.messages()), len(eq2.messages())
        expect(n1 + n2 == 100, f"exactly 100 delivered ({n1} + {n2})")
        expect(n1 > 0 and n2 > 0, f"both equal-preference MX hosts got part ({n1} and {n2})")
        expect(eq1.connections() + eq2.connections() >= 100,
               "with smtp_connection_cache_on_demand = no every message has its own connection")

        # No MX: the A record is the implicit MX.
        relay.submit("sender@client.test", ["user@plain.mx.test"], message("implicit"))
        line = relay.wait_status("user@plain.mx.test", "sent")
        expect("relay=plain.mx.test[127.0.0.45]:" in line, f"implicit MX used: {line}")

        # The MX name is a CNAME.
        relay.submit("sender@client.test", ["user@viacname.mx.test"], message("cname"))
        line = relay.wait_status("user@viacname.mx.test", "sent")
        expect("[127.0.0.42]" in line, f"CNAME of the MX host followed: {line}")

        # IPv6 only MX host.
        relay.submit("sender@client.test", ["user@ipv6.mx.test"], message("v6"))
        line = relay.wait_status("user@ipv6.mx.test", "sent")
        expect("relay=v6host.mx.test[::1]:" in line, f"delivered over IPv6: {line}")
        wait_for(lambda: len(v6.messages()) == 1, 5, what="the message at the IPv6 sink")
        passed("the IPv6 sink has the message")

        # Null MX: bounced at once.
        relay.submit("sender@client.test", ["user@nullmx.mx.test"], message("null"))
        line = relay.wait_status("user@nullmx.mx.test", "bounced")
        expect("dsn=5.1.10" in line and "nullMX" in line, f"null MX bounces with 5.1.10: {line}")

        # NXDOMAIN: bounced.
        relay.submit("sender@client.test", ["user@nosuch.mx.test"], message("nx"))
        line = relay.wait_status("user@nosuch.mx.test", "bounced")
        expect("dsn=5.4.4" in line and "not found" in line, f"NXDOMAIN bounces: {line}")

        # SERVFAIL: deferred, still queued.
        relay.submit("sender@client.test", ["user@x.broken.test"], message("servfail"))
        line = relay.wait_status("user@x.broken.test", "deferred")
        expect("dsn=4.4.3" in line, f"SERVFAIL defers with 4.4.3: {line}")
        expect(not log.find_log(r"to=<user@x\.broken\.test>.*status=bounced"), "and is not bounced")
        expect(any(f.startswith(("deferred/", "active/")) for f in relay.queue_files()),
               "the deferred message stays in the queue")
        expect(len(up.messages()) == 2 and len(plain.messages()) == 1,
               "no sink got anything it should not have")


if __name__ == "__main__":
    main()
