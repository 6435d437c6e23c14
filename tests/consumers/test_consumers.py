#!/usr/bin/python3
"""The example consumers (examples/consumers/) against a real sensor.

`dnswatch run` replays a scenario capture through the live pipeline (at 300x
its recorded pace, so that the consumers are subscribed before the first
alert) and publishes on a ZeroMQ PUB socket at a loopback port chosen now;
the webhook poster delivers to an HTTP server here, the mailer to an SMTP
server here (aiosmtpd). What arrives must be what `dnswatch replay` of the
same capture reports.

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
SCENARIO = os.path.join(SOURCE, "scenarios", "single-response-change")
CONSUMERS = os.path.join(SOURCE, "examples", "consumers")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class SensorFixture(unittest.TestCase):
    scenario = SCENARIO

    def setUp(self):
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
        replay = subprocess.run([BINARY, "replay", "--config", self.config, os.path.join(self.scenario, "capture.pcap")],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(replay.returncode, 0, replay.stderr)
        self.expected = [json.loads(line) for line in replay.stdout.splitlines() if line.strip()]
        self.assertGreaterEqual(len(self.expected), 2)

    def start_consumer(self, script, *args):
        log_path = os.path.join(self.dir, script + ".log")
        log = open(log_path, "w+", encoding="utf-8")
        self.addCleanup(log.close)
        process = subprocess.Popen(["/usr/bin/python3", os.path.join(CONSUMERS, script), "--endpoint", self.endpoint,
                                    "--count", str(len(self.expected)), *args],
                                   stdout=subprocess.DEVNULL, stderr=log)
        self.addCleanup(lambda: process.poll() is None and process.kill())

        def read_log():
            with open(log_path, encoding="utf-8") as f:
                return f.read()
        wait_for(lambda: "event=subscribed" in read_log(), 10, f"{script} to subscribe")
        return process, read_log

    def run_sensor(self):
        run = subprocess.run([BINARY, "run", "--config", self.config], capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)

    def key(self, record):
        return (record["id"], record["state"], record["name"], record["rrtype"])


class WebhookTest(SensorFixture):
    def test_every_alert_is_posted_and_a_failed_post_is_retried(self):
        received = []
        refused = []

        class Hook(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not refused:  # the receiver is briefly down: the first POST gets 503
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
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks/dnswatch"

        consumer, read_log = self.start_consumer("webhook.py", "--url", url, "--header", "Authorization: Bearer t0k3n")
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
        consumer, read_log = self.start_consumer("webhook.py", "--url", dead, "--retries", "1", "--timeout", "1")
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

        consumer, read_log = self.start_consumer("mailer.py", "--smtp", f"127.0.0.1:{smtp_port}",
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
    scenario = os.path.join(SOURCE, "scenarios", "mail-only-repointed")

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
        consumer, read_log = self.start_consumer("mailer.py", "--smtp", f"127.0.0.1:{smtp_port}",
                                                 "--from", "d@s.test", "--to", "n@r.test", "--min-severity", "critical")
        self.run_sensor()
        self.assertEqual(consumer.wait(timeout=60), 0, read_log())
        self.assertEqual(len(mails), len(above), read_log())
        self.assertEqual(read_log().count("event=alert_below_min_severity"), len(self.expected) - len(above))


if __name__ == "__main__":
    unittest.main(verbosity=2)
