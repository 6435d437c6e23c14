#!/usr/bin/python3
"""Posts dnswatch incidents (or alerts) to a webhook, as they happen.

Subscribes to a sensor's ZeroMQ PUB socket and POSTs, unchanged, as
application/json to --url: by default each dnswatch.incident/1 record that
tells something new (the incident opened, or its state or severity
changed), once it has settled for --group-wait seconds: one hijack seen by
many servers and resolvers is one post, not one per alert; with --topic
alert. every dnswatch.alert/1 record. The record's
id and seq go in headers too (X-Dnswatch-Incident-Id or X-Dnswatch-Alert-Id,
X-Dnswatch-Seq), so the receiver can group or deduplicate them. A failed POST
(no connection, timeout, 5xx, 429) is retried with exponential backoff; a
4xx other than 429 is not (the receiver refuses it, retrying will not help).

    webhook.py --endpoint tcp://127.0.0.1:5556 --url https://chat.example/hooks/T0K3N

Needs Debian's python3-zmq. Example only: see docs/deploy-soc.md.
"""
import argparse
import sys
import time
import urllib.error
import urllib.request

import dnswatch_feed
from dnswatch_feed import log


def post(url, body, headers, timeout):
    """(status, error): status 0 when no HTTP answer came."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, None
    except urllib.error.HTTPError as e:
        return e.code, str(e)
    except (urllib.error.URLError, OSError) as e:
        return 0, str(getattr(e, "reason", e))


def deliver(args, record, body):
    what = "incident" if dnswatch_feed.is_incident(record) else "alert"
    headers = {"Content-Type": "application/json", "User-Agent": "dnswatch-webhook/1",
               f"X-Dnswatch-{what.capitalize()}-Id": str(record.get("id", "")),
               "X-Dnswatch-Seq": str(record.get("seq", ""))}
    for extra in args.header:
        name, _, value = extra.partition(":")
        headers[name.strip()] = value.strip()
    delays = dnswatch_feed.backoff_delays(args.retries)
    for attempt in range(len(delays) + 1):
        status, error = post(args.url, body, headers, args.timeout)
        if 200 <= status < 300:
            log("info", f"{what}_posted", id=record.get("id"), seq=record.get("seq"), status=status, attempt=attempt + 1)
            return True
        retryable = status == 0 or status == 429 or status >= 500
        if not retryable or attempt == len(delays):
            break
        log("warn", "post_retry", id=record.get("id"), seq=record.get("seq"), status=status, error=error,
            wait_s=delays[attempt])
        time.sleep(delays[attempt])
    log("error", f"{what}_not_posted", id=record.get("id"), seq=record.get("seq"), status=status, error=error)
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    dnswatch_feed.add_feed_arguments(parser)
    parser.add_argument("--url", required=True, help="where to POST each notice")
    parser.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'",
                        help="an extra request header, e.g. 'Authorization: Bearer ...' (repeat)")
    parser.add_argument("--retries", type=int, default=6, help="retries of a failed POST (default 6: ~30 s)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per POST")
    args = parser.parse_args()
    failures = 0
    try:
        for _topic, record, body in dnswatch_feed.alerts(args):
            failures += 0 if deliver(args, record, body) else 1
    except KeyboardInterrupt:
        pass
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
