"""smtp_relayhost - smarthost, SASL client login, transport map, timeouts,
and moving on from a busy MX.

  - relayhost = [127.0.0.71]:PORT with smtp_sasl_auth_enable and a hash:
    smtp_sasl_password_maps: the smarthost (smtp-sink, which offers AUTH
    PLAIN LOGIN) gets AUTH PLAIN with the table's user and password, and
    the message; no MX lookup is made for the recipient domain;
  - with the default smtp_sasl_security_options (noplaintext) and no TLS,
    no password is sent: deferred;
  - transport_maps routes one domain to smtp:[127.0.0.72]:PORT;
  - an MX that greets with 421 is skipped for the next MX; one that greets
    with 554 stops delivery (bounce), and a 450 at RCPT moves the recipient
    on to the next MX;
  - a server that never greets: deferred after smtp_helo_timeout.
"""
import base64
import os
import socket
import threading

from dns_util import Nsd
from posthorn_test import expect, passed, wait_for
from smtp_mx import port_free_everywhere
from smtp_util import Relay, Sink, message

ZONE = """
busy       MX 10 h73
busy       MX 20 h74
silent     MX 10 h75
rcptsoft   MX 10 h76
rcptsoft   MX 20 h74
refusing   MX 10 h77
refusing   MX 20 h74
h73        A  127.0.0.73
h74        A  127.0.0.74
h75        A  127.0.0.75
h76        A  127.0.0.76
h77        A  127.0.0.77
"""


class FakeServer:
    """Accepts on host:port; greets with `greeting` (None: says nothing)."""

    def __init__(self, host, port, greeting):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.greeting = greeting
        self.accepted = 0
        self.stop = False
        self.conns = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            self.conns.append(c)
            if self.greeting:
                c.sendall(self.greeting.encode())
                c.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()
        for c in self.conns:
            c.close()
        self.sock.close()
        return False


def main():
    port = port_free_everywhere()
    with Nsd({"route.test": ZONE}) as dns, \
            Sink("127.0.0.71", port, name="smarthost") as smarthost, \
            Sink("127.0.0.72", port, name="transport") as routed, \
            Sink("127.0.0.74", port, name="mx20") as mx20, \
            FakeServer("127.0.0.73", port, "421 4.3.2 Service busy, try later\r\n") as busy, \
            FakeServer("127.0.0.75", port, None) as silent, \
            Sink("127.0.0.76", port, ["-r", "rcpt", "-b", "450 4.2.1 Greylisted"], name="grey") as grey, \
            FakeServer("127.0.0.77", port, "554 5.7.1 No mail from you\r\n") as refusing:
        # A: relayhost with SASL over plaintext (allowed explicitly).
        with Relay("smtp_relayhost", dns.server, port,
                   conf={"relayhost": f"[127.0.0.71]:{port}", "smtp_sasl_auth_enable": "yes",
                         "smtp_sasl_security_options": "noanonymous"}) as relay:
            table = os.path.join(relay.inst.config_dir, "sasl_passwd")
            with open(table, "w") as f:
                f.write(f"[127.0.0.71]:{port} relayuser:s3cret pass\n")
            r = relay.inst.posthorn("map", "hash:" + table)
            expect(r.returncode == 0, f"posthorn map hash:sasl_passwd {r.stderr}")
            relay.inst.write_conf(smtp_sasl_password_maps="hash:" + table)
            relay.start()
            relay.submit("sender@client.test", ["far@nowhere.invalid"], message("via smarthost"))
            line = relay.wait_status("far@nowhere.invalid", "sent")
            expect(f"relay=127.0.0.71[127.0.0.71]:{port}" in line, f"delivered through the relayhost: {line}")
            auth = smarthost.commands("auth")
            expect(len(auth) == 1 and auth[0].upper().startswith("PLAIN "), f"AUTH PLAIN was used: {auth}")
            decoded = base64.b64decode(auth[0].split()[1])
            expect(decoded == b"\0relayuser\0s3cret pass", "with the table's user and password")
            wait_for(lambda: smarthost.messages(), 5, what="the message at the smarthost")
            passed("the smarthost has the message")

        # B: the default noplaintext: no password without TLS.
        with Relay("smtp_relayhost_b", dns.server, port,
                   conf={"relayhost": f"[127.0.0.71]:{port}", "smtp_sasl_auth_enable": "yes",
                         "smtp_tls_security_level": "none"}) as relay:
            table = os.path.join(relay.inst.config_dir, "sasl_passwd")
            with open(table, "w") as f:
                f.write(f"127.0.0.71 relayuser:secret\n")
            relay.inst.posthorn("map", "hash:" + table)
            relay.inst.write_conf(smtp_sasl_password_maps="hash:" + table)
            relay.start()
            before = len(smarthost.commands("auth"))
            relay.submit("sender@client.test", ["far@nowhere.invalid"], message("no tls"))
            line = relay.wait_status("far@nowhere.invalid", "deferred")
            expect("dsn=4.7.0" in line and "plaintext" in line, f"no password in plaintext: deferred: {line}")
            expect(len(smarthost.commands("auth")) == before, "no AUTH was sent")

        # C: transport map, busy MX, silent MX.
        with Relay("smtp_relayhost_c", dns.server, port, conf={"smtp_helo_timeout": "2s"}) as relay:
            transport = os.path.join(relay.inst.config_dir, "transport")
            with open(transport, "w") as f:
                f.write(f"routed.test smtp:[127.0.0.72]:{port}\n")
            relay.inst.posthorn("map", "hash:" + transport)
            relay.inst.write_conf(transport_maps="hash:" + transport)
            relay.start()
            relay.submit("sender@client.test", ["u@routed.test"], message("routed"))
            line = relay.wait_status("u@routed.test", "sent")
            expect(f"relay=127.0.0.72[127.0.0.72]:{port}" in line, f"the transport map's next hop: {line}")

            relay.submit("sender@client.test", ["u@busy.route.test"], message("busy"))
            line = relay.wait_status("u@busy.route.test", "sent")
            expect("relay=h74.route.test[127.0.0.74]" in line, f"the 421 MX was skipped for MX 20: {line}")
            expect(busy.accepted >= 1, "the busy MX was tried first")
            expect(relay.inst.find_log(r"h73\.route\.test\[127\.0\.0\.73\] said: 421 4\.3\.2"),
                   "its 421 is logged")

            relay.submit("sender@client.test", ["u@silent.route.test"], message("silent"))
            line = relay.wait_status("u@silent.route.test", "deferred")
            expect("timed out while receiving the initial server greeting" in line,
                   f"a silent server times out: {line}")

            # RCPT 4xx at MX 10: the recipient is offered to MX 20.
            relay.submit("sender@client.test", ["u@rcptsoft.route.test"], message("grey"))
            line = relay.wait_status("u@rcptsoft.route.test", "sent")
            expect("relay=h74.route.test[127.0.0.74]" in line and len(grey.commands("rcpt")) == 1,
                   f"a 450 at RCPT moves on to the next MX: {line}")

            # 5xx greeting at MX 10: stop, do not try MX 20.
            relay.submit("sender@client.test", ["u@refusing.route.test"], message("refused"))
            line = relay.wait_status("u@refusing.route.test", "bounced")
            expect("dsn=5.7.1" in line and "in reply to initial greeting" in line, f"a 554 greeting bounces: {line}")
            expect(refusing.accepted == 1, "the refusing MX was asked once")
            expect(len(mx20.messages()) == 2 and len(routed.messages()) == 1, "each sink got its messages")


if __name__ == "__main__":
    main()
