#!/usr/bin/python3
"""The example consumers (examples/consumers/) against a real sensor.

`dnswatch run` replays a scenario capture through the live pipeline (at 300x
its recorded pace, so that the consumers are subscribed before the first
alert) and publishes on a ZeroMQ PUB socket at a loopback port chosen now;
the webhook poster delivers to an HTTP server here, the mailer to an SMTP
server here (aiosmtpd). What arrives must be what `dnswatch replay` of the
same capture reports. By default the consumers notify per incident, once
it has settled (--group-wait): the capture of one change seen at the
authoritative server and through two resolvers
(scenarios/change-seen-by-resolvers, real NSD and Unbound) must give one
post and one mail; with --topic alert. they notify every alert.

Run by ctest with DNSWATCH_BINARY and DNSWATCH_SOURCE_DIR set.
"""
import email
import email.policy
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from aiosmtpd.controller import Controller

BINARY = os.environ["DNSWATCH_BINARY"]
SOURCE = os.environ["DNSWATCH_SOURCE_DIR"]
SCENARIOS = os.path.join(SOURCE, "scenarios")
CONSUMERS = os.path.join(SOURCE, "examples", "consumers")


_claimed_ports = []  # open, locked files: the claims last as long as this process


def free_port():
    """A loopback port free over TCP, below the kernel's ephemeral range
    (where other tests' outgoing connections take their local ports) and
    claimed with an flock that the C++ tests honour too
    (tests/support/ports.h)."""
    import fcntl
    import random
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        ceiling = int(f.read().split()[0])
    folder = os.path.join(tempfile.gettempdir(), "dnswatch-test-ports")
    os.makedirs(folder, exist_ok=True)
    for _ in range(1000):
        port = random.randrange(10000, ceiling)
        claim = open(os.path.join(folder, str(port)), "a")
        try:
            fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            claim.close()
            continue
        _claimed_ports.append(claim)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free loopback port after 1000 tries")


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class SensorFixture(unittest.TestCase):
    SCENARIO = "single-response-change"

    def setUp(self):
        self.scenario = os.path.join(SCENARIOS, self.SCENARIO)
        self.dir = tempfile.mkdtemp(prefix="dnswatch-consumers-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        for name in ("victim.test.zone", "test.zone"):
            shutil.copy(os.path.join(self.scenario, name), self.dir)
        self.port = free_port()
        self.endpoint = f"tcp://127.0.0.1:{self.port}"
        with open(os.path.join(self.scenario, "dnswatch.yaml"), encoding="utf-8") as f:
            base = f.read()
        self.config = os.path.join(self.dir, "dnswatch.yaml")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(base + f"""capture:
  source: pcap_file
  speed: 300x
  files: [{os.path.join(self.scenario, "capture.pcap")}]
pipeline:
  workers: 1
  shards: 1
publish:
  zmq:
    endpoint: {self.endpoint}
    linger_ms: 3000
stats:
  interval: 0
""")
        # What the sensor reports for this capture, offline.
        replay = subprocess.run([BINARY, "replay", "--incidents", "--config", self.config,
                                 os.path.join(self.scenario, "capture.pcap")],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(replay.returncode, 0, replay.stderr)
        records = [json.loads(line) for line in replay.stdout.splitlines() if line.strip()]
        self.expected = [r for r in records if r["schema"] == "dnswatch.alert/1"]
        self.incidents = [r for r in records if r["schema"] == "dnswatch.incident/1"]
        self.assertGreaterEqual(len(self.expected), 2)

    def start_consumer(self, script, *args, count=None):
        log_path = os.path.join(self.dir, script + ".log")
        log = open(log_path, "w+", encoding="utf-8")
        self.addCleanup(log.close)
        count = len(self.expected) if count is None else count
        process = subprocess.Popen(["/usr/bin/python3", os.path.join(CONSUMERS, script), "--endpoint", self.endpoint,
                                    "--count", str(count), *args],
                                   stdout=subprocess.DEVNULL, stderr=log)
        self.addCleanup(lambda: process.poll() is None and process.kill())

        def read_log():
            with open(log_path, encoding="utf-8") as f:
                return f.read()
        wait_for(lambda: "event=subscribed" in read_log(), 10, f"{script} to subscribe")
        return process, read_log

    def start_receiver(self, refuse_first=False):
        """A webhook receiver on a loopback port: its URL, the (headers, JSON)
        it took, and the bodies it refused (the first, with 503, when asked)."""
        received, refused = [], []

        class Hook(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if refuse_first and not refused:  # the receiver is briefly down
                    refused.append(body)
                    self.send_response(503)
                    self.end_headers()
                    return
                received.append((dict(self.headers), json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        return f"http://127.0.0.1:{server.server_address[1]}/hooks/dnswatch", received, refused

    def run_sensor(self):
        run = subprocess.run([BINARY, "run", "--config", self.config], capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)

    def key(self, record):
        return (record["id"], record["state"], record["name"], record["rrtype"])


class WebhookTest(SensorFixture):
    def test_every_alert_is_posted_and_a_failed_post_is_retried(self):
        url, received, refused = self.start_receiver(refuse_first=True)
        consumer, read_log = self.start_consumer("webhook.py", "--topic", "alert.", "--url", url,
                                                 "--header", "Authorization: Bearer t0k3n")
        self.run_sensor()
        self.assertEqual(consumer.wait(timeout=60), 0, read_log())

        self.assertEqual([self.key(r) for _, r in received], [self.key(r) for r in self.expected], read_log())
        self.assertEqual(len(refused), 1)
        self.assertEqual(json.loads(refused[0])["id"], received[0][1]["id"])  # the same alert, retried
        headers, first = received[0]
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(headers["Authorization"], "Bearer t0k3n")
        self.assertEqual(headers["X-Dnswatch-Alert-Id"], first["id"])
        self.assertEqual(headers["X-Dnswatch-Seq"], str(first["seq"]))
        self.assertEqual(first["schema"], "dnswatch.alert/1")
        self.assertIn("event=post_retry", read_log())
        self.assertIn("status=503", read_log())

    def test_a_receiver_that_never_answers_is_given_up_on(self):
        dead = f"http://127.0.0.1:{free_port()}/nobody"
        consumer, read_log = self.start_consumer("webhook.py", "--topic", "alert.", "--url", dead, "--retries", "1",
                                                 "--timeout", "1")
        self.run_sensor()
        self.assertEqual(consumer.wait(timeout=60), 1, read_log())
        self.assertEqual(read_log().count("event=alert_not_posted"), len(self.expected), read_log())


class MailerTest(SensorFixture):
    def test_every_alert_is_mailed_threaded_by_alert(self):
        mails = []

        class Inbox:
            async def handle_DATA(self, server, session, envelope):
                mails.append((envelope.mail_from, list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=email.policy.default)))
                return "250 OK"

        smtp_port = free_port()
        controller = Controller(Inbox(), hostname="127.0.0.1", port=smtp_port)
        controller.start()
        self.addCleanup(controller.stop)

        consumer, read_log = self.start_consumer("mailer.py", "--topic", "alert.", "--smtp", f"127.0.0.1:{smtp_port}",
                                                 "--from", "dnswatch@sensor.test", "--to", "noc@registry.test",
                                                 "--to", "soc@registry.test")
        self.run_sensor()
        self.assertEqual(consumer.wait(timeout=60), 0, read_log())

        self.assertEqual(len(mails), len(self.expected), read_log())
        for (sender, recipients, message), record in zip(mails, self.expected):
            self.assertEqual(sender, "dnswatch@sensor.test")
            self.assertEqual(recipients, ["noc@registry.test", "soc@registry.test"])
            self.assertEqual(message["Subject"], f"[dnswatch] {record['severity']} {record['kind']} "
                                                 f"{record['name']} {record['rrtype']} {record['state']}")
            self.assertEqual(message["References"], f"<{record['id']}@dnswatch>")
            body = message.get_content()
            self.assertIn(f"observed:   {' '.join(record['observed'])}", body)
            self.assertIn(f"\"id\": \"{record['id']}\"", body)
        states = [m["Subject"].split()[-1] for _, _, m in mails]
        self.assertEqual(states, ["open", "reverted"])


class MinSeverityTest(SensorFixture):
    # Alerts of several severities: the zone's two servers re-point mail.
    SCENARIO = "mail-only-repointed"

    def test_min_severity_filters(self):
        smtp_port = free_port()
        mails = []

        class Inbox:
            async def handle_DATA(self, server, session, envelope):
                mails.append(envelope)
                return "250 OK"

        controller = Controller(Inbox(), hostname="127.0.0.1", port=smtp_port)
        controller.start()
        self.addCleanup(controller.stop)
        above = [r for r in self.expected if r["severity"] == "critical"]
        # medium and high as the two servers open, critical for the first revert (docs/alerts.md)
        self.assertTrue(0 < len(above) < len(self.expected))
        consumer, read_log = self.start_consumer("mailer.py", "--topic", "alert.", "--smtp", f"127.0.0.1:{smtp_port}",
                                                 "--from", "d@s.test", "--to", "n@r.test", "--min-severity", "critical")
        self.run_sensor()
        self.assertEqual(consumer.wait(timeout=60), 0, read_log())
        self.assertEqual(len(mails), len(above), read_log())
        self.assertEqual(read_log().count("event=alert_below_min_severity"), len(self.expected) - len(above))


class IncidentChangesTest(SensorFixture):
    """An incident is told again when its state or severity changes: the
    single response that changed, then its revert a minute later (a fifth
    of a second at 300x)."""

    def test_told_when_opened_and_when_reverted(self):
        url, received, _ = self.start_receiver()
        told = {(r["state"], r["severity"]) for r in self.incidents}
        consumer, read_log = self.start_consumer("webhook.py", "--url", url, "--group-wait", "0", count=len(told))
        self.run_sensor()
        self.assertEqual(consumer.wait(timeout=60), 0, read_log())
        self.assertEqual([r["state"] for _, r in received], ["open", "reverted"], read_log())
        self.assertEqual(len({r["id"] for _, r in received}), 1)

    def test_a_change_reverted_within_the_wait_is_told_once_as_it_ended(self):
        url, received, _ = self.start_receiver()
        consumer, read_log = self.start_consumer("webhook.py", "--url", url, "--group-wait", "3", count=1)
        self.run_sensor()
        self.assertEqual(consumer.wait(timeout=60), 0, read_log())
        self.assertEqual([r["state"] for _, r in received], ["reverted"], read_log())
        self.assertEqual(received[0][1]["seq"], self.incidents[-1]["seq"])
        self.assertEqual(read_log().count("event=incident_coalesced"), len(self.incidents) - 1, read_log())


class PerIncidentTest(SensorFixture):
    """One change at the authoritative server, seen there and through two
    resolvers: three alerts within seconds, one incident whose severity
    rises (medium to high, docs/alerts.md) as the first resolver
    corroborates it. The consumers wait for it to settle (--group-wait)
    and tell it once, as it stands then."""
    SCENARIO = "change-seen-by-resolvers"
    GROUP_WAIT = "3"  # seconds; the three alerts come within 20 ms at 300x

    def setUp(self):
        super().setUp()
        self.assertEqual(len(self.expected), 3, [r["vantage"] for r in self.expected])
        self.assertEqual(len({r["id"] for r in self.incidents}), 1)
        self.assertEqual(len(self.incidents), 3)  # opened, then each alert that joined

    def wait_for_every_incident_record(self, read_log, done_event):
        # Every incident record was told, superseded while it waited, or
        # skipped as unchanged; then a second notice, were there one, would
        # come within a second.
        wait_for(lambda: sum(read_log().count(f"event={e}")
                             for e in (done_event, "incident_coalesced", "incident_unchanged"))
                 >= len(self.incidents), 30, "every incident record to reach the consumer")
        time.sleep(1)

    def test_one_webhook_post(self):
        url, received, _ = self.start_receiver()
        consumer, read_log = self.start_consumer("webhook.py", "--url", url, "--group-wait", self.GROUP_WAIT,
                                                 count=0)
        self.run_sensor()
        self.wait_for_every_incident_record(read_log, "incident_posted")
        consumer.kill()
        consumer.wait(timeout=10)
        self.assertEqual(len(received), 1, read_log())
        headers, incident = received[0]
        self.assertEqual(headers["X-Dnswatch-Incident-Id"], incident["id"])
        self.assertEqual(incident, self.incidents[-1])  # as it settled
        self.assertEqual(incident["schema"], "dnswatch.incident/1")
        self.assertEqual((incident["state"], incident["severity"]), ("open", "high"))
        self.assertEqual(incident["title"], "victim.test: www pointed at 203.0.113.66")
        self.assertEqual(len(incident["vantages"]), 3)
        self.assertEqual(read_log().count("event=incident_coalesced"), 2, read_log())

    def test_one_mail(self):
        mails = []

        class Inbox:
            async def handle_DATA(self, server, session, envelope):
                mails.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
                return "250 OK"

        smtp_port = free_port()
        controller = Controller(Inbox(), hostname="127.0.0.1", port=smtp_port)
        controller.start()
        self.addCleanup(controller.stop)
        consumer, read_log = self.start_consumer("mailer.py", "--smtp", f"127.0.0.1:{smtp_port}",
                                                 "--from", "dnswatch@sensor.test", "--to", "soc@registry.test",
                                                 "--group-wait", self.GROUP_WAIT, count=0)
        self.run_sensor()
        self.wait_for_every_incident_record(read_log, "incident_mailed")
        consumer.kill()
        consumer.wait(timeout=10)
        self.assertEqual(len(mails), 1, read_log())
        last = self.incidents[-1]
        self.assertEqual(mails[0]["Subject"], "[dnswatch] high open victim.test: www pointed at 203.0.113.66")
        self.assertEqual(mails[0]["References"], f"<{last['id']}@dnswatch>")
        # As it settled: seen at the authority first, then the two resolvers.
        self.assertIn("seen at:    127.0.0.11 (authoritative), 127.0.0.53 (resolver), 127.0.0.54 (resolver)",
                      mails[0].get_content())


if __name__ == "__main__":
    unittest.main(verbosity=2)
