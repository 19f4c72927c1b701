"""smtp_retry - temporary and permanent refusals over time, with short
backoff settings (1-2 s) in the relay:

  - the destination answers 451 at RCPT for a while, then accepts: the
    deferrals are logged, and the message is delivered exactly once;
  - the destination answers 550: bounced, never tried again;
  - every MX dead and maximal_queue_lifetime = 6s: deferred, then failed
    ("message expired") once the lifetime is over, and the queue is empty.
"""
import time

from dns_util import Nsd
from posthorn_test import expect, passed, wait_for
from smtp_mx import port_free_everywhere
from smtp_util import Relay, Sink, message

ZONE = """
later      MX 10 h81
never      MX 10 h82
dead       MX 10 h83
dead       MX 20 h84
h81        A  127.0.0.81
h82        A  127.0.0.82
h83        A  127.0.0.83
h84        A  127.0.0.84
"""


def main():
    port = port_free_everywhere()
    with Nsd({"retry.test": ZONE}) as dns, \
            Sink("127.0.0.82", port, ["-f", "rcpt", "-B", "550 5.1.1 Gone away"], name="never") as never, \
            Relay("smtp_retry", dns.server, port,
                  conf={"maximal_queue_lifetime": "6s", "bounce_queue_lifetime": "6s"}) as relay:
        relay.start()
        log = relay.inst

        # 451 for a while, then accepted.
        soft = Sink("127.0.0.81", port, ["-r", "rcpt", "-b", "451 4.3.0 Try again later"], name="later")
        try:
            relay.submit("sender@client.test", ["u@later.retry.test"], message("later"))
            wait_for(lambda: len(relay.status_lines("u@later.retry.test")) >= 2, 15,
                     what="two deferrals of u@later.retry.test")
            lines = relay.status_lines("u@later.retry.test")
            expect(all("status=deferred" in l and "451 4.3.0 Try again later" in l for l in lines),
                   f"the 451s are logged as deferrals ({len(lines)})")
        finally:
            soft.__exit__(None, None, None)  # stops it and removes its directory
        with Sink("127.0.0.81", port, name="later-ok") as ok:
            line = relay.wait_status("u@later.retry.test", "sent", timeout=20)
            expect("relay=h81.retry.test[127.0.0.81]" in line, f"then delivered: {line}")
            time.sleep(3)  # longer than the backoff: a second copy would be here by now
            expect(len(ok.messages()) == 1, "exactly one copy arrived")
            expect(len(relay.status_lines("u@later.retry.test")) == len(lines) + 1, "and one sent line")

        # 550: bounced, never retried.
        relay.submit("sender@client.test", ["u@never.retry.test"], message("never"))
        line = relay.wait_status("u@never.retry.test", "bounced")
        expect("550 5.1.1 Gone away" in line, f"550 bounces: {line}")
        time.sleep(3)
        expect(len(never.commands("rcpt")) == 1, "the 550 destination was asked only once")

        # Every MX dead: deferred until the queue lifetime is over.
        relay.submit("sender@client.test", ["u@dead.retry.test"], message("dead"))
        relay.wait_status("u@dead.retry.test", "deferred")
        expect(log.find_log(r"connect to h83\.retry\.test\[127\.0\.0\.83\]:\d+: Connection refused") and
               log.find_log(r"connect to h84\.retry\.test\[127\.0\.0\.84\]:\d+: Connection refused"),
               "both dead MX hosts were tried")
        line = relay.wait_status("u@dead.retry.test", "bounced", timeout=20)
        expect("expired" in line and "dsn=5." in line, f"bounced after the queue lifetime: {line}")
        relay.wait_queue_empty(10)
        passed("the queue is empty")


if __name__ == "__main__":
    main()
