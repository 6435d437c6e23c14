#!/usr/bin/python3
"""Mails dnswatch incidents (or alerts) through an SMTP server.

Subscribes to a sensor's ZeroMQ PUB socket and, by default, sends one mail
when an incident (dnswatch.incident/1: the alerts of one hijack) opens and
one more each time its state or severity changes, each once it has settled
for --group-wait seconds (the other vantages' alerts join it), at or above
--min-severity: the subject is its title ("[dnswatch] critical open
victim.test delegated to ns1.victim-dns.example ..."), the body where and
when it was seen, its alerts, then the record itself. With --topic alert.
it mails every alert record instead ("[dnswatch] critical rrset_divergence
victim.test NS open"). All mails of one incident (or alert) share a thread
(References: <ID@dnswatch>). Sending is retried with exponential backoff.

    mailer.py --endpoint tcp://127.0.0.1:5556 --smtp mail.example.net:587 --starttls \\
              --user dnswatch --password-file /etc/dnswatch/smtp.pass \\
              --from dnswatch@example.net --to noc@example.net --min-severity high

Needs Debian's python3-zmq. Example only: see docs/deploy-soc.md.
"""
import argparse
import email.message
import email.utils
import json
import smtplib
import sys
import time

import dnswatch_feed
from dnswatch_feed import log

SEVERITIES = ["low", "medium", "high", "critical"]


def new_message(args, subject, record):
    """Headers shared by every mail: the thread is the record's id (an
    incident's or an alert's), each mail its own Message-ID."""
    message = email.message.EmailMessage()
    message["Subject"] = f"[dnswatch] {subject}"
    message["From"] = args.sender
    message["To"] = ", ".join(args.to)
    message["Date"] = email.utils.formatdate(usegmt=True)
    record_id = record.get("id", "unknown")
    message["Message-ID"] = f"<{record_id}.{record.get('seq', 0)}@dnswatch>"
    message["References"] = f"<{record_id}@dnswatch>"
    return message


def compose_incident(args, record):
    message = new_message(args, f"{record.get('severity')} {record.get('state')} {record.get('title')}", record)
    incident_id = record.get("id", "unknown")
    vantages = ", ".join(f"{v.get('server')} ({v.get('role')})" for v in record.get("vantages", []))
    lines = [
        record.get("title", ""),
        "",
        f"zone:       {record.get('zone')}",
        f"state:      {record.get('state')}, severity {record.get('severity')}",
        f"first seen: {record.get('first_seen')}",
        f"last seen:  {record.get('last_seen')}",
        f"seen at:    {vantages or '(none)'}",
        f"signals:    {', '.join(record.get('signals', []))}",
        f"alerts:     {' '.join(record.get('members', []))} (dnswatch tail --since 0 shows them)",
        f"sensor:     {record.get('sensor')}, incident {incident_id}, record {record.get('seq')}",
        "",
        "The record (dnswatch.incident/1):",
        json.dumps(record, indent=2, sort_keys=True),
    ]
    message.set_content("\n".join(lines) + "\n")
    return message


def compose(args, record):
    if dnswatch_feed.is_incident(record):
        return compose_incident(args, record)
    summary = " ".join(str(record.get(k, "?")) for k in ("severity", "kind", "name", "rrtype", "state"))
    message = new_message(args, summary, record)
    alert_id = record.get("id", "unknown")
    vantage = record.get("vantage", {})
    lines = [
        f"{record.get('kind')} for {record.get('name')} {record.get('rrtype')} (zone {record.get('zone')}): "
        f"{record.get('state')}, severity {record.get('severity')}",
        "",
        f"baseline:   {' '.join(record.get('baseline', [])) or '(none)'}",
        f"observed:   {' '.join(record.get('observed', [])) or '(none)'}",
        f"server:     {vantage.get('server')} ({vantage.get('role')}), client {vantage.get('client')}",
        f"first seen: {record.get('first_seen')}",
        f"last seen:  {record.get('last_seen')} ({record.get('duration_s')} s)",
        f"signals:    {', '.join(record.get('signals', []))}",
        f"sensor:     {record.get('sensor')}, alert {alert_id}, record {record.get('seq')}",
        "",
        "The record (dnswatch.alert/1):",
        json.dumps(record, indent=2, sort_keys=True),
    ]
    message.set_content("\n".join(lines) + "\n")
    return message


def send(args, message, password):
    host, _, port = args.smtp.rpartition(":")
    with smtplib.SMTP(host or args.smtp, int(port) if host else 25, timeout=args.timeout) as smtp:
        if args.starttls:
            smtp.starttls()
        if args.user:
            smtp.login(args.user, password)
        smtp.send_message(message)


def deliver(args, record, password):
    message = compose(args, record)
    delays = dnswatch_feed.backoff_delays(args.retries)
    for attempt in range(len(delays) + 1):
        try:
            send(args, message, password)
            log("info", "incident_mailed" if dnswatch_feed.is_incident(record) else "alert_mailed", id=record.get("id"), seq=record.get("seq"), to=",".join(args.to),
                attempt=attempt + 1)
            return True
        except (smtplib.SMTPException, OSError) as e:
            error = str(e)
            # A permanent refusal (5xx) will not change on retry.
            if isinstance(e, smtplib.SMTPResponseException) and 500 <= e.smtp_code < 600:
                break
            if attempt == len(delays):
                break
            log("warn", "mail_retry", id=record.get("id"), error=error, wait_s=delays[attempt])
            time.sleep(delays[attempt])
    log("error", "alert_not_mailed", id=record.get("id"), seq=record.get("seq"), error=error)
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    dnswatch_feed.add_feed_arguments(parser)
    parser.add_argument("--smtp", required=True, metavar="HOST[:PORT]", help="the SMTP server (port 25 by default)")
    parser.add_argument("--starttls", action="store_true", help="upgrade the connection with STARTTLS")
    parser.add_argument("--user", help="SMTP login")
    parser.add_argument("--password-file", help="file holding the SMTP password")
    parser.add_argument("--from", dest="sender", required=True, help="sender address")
    parser.add_argument("--to", action="append", required=True, help="recipient (repeat)")
    parser.add_argument("--min-severity", choices=SEVERITIES, default="low",
                        help="mail only records at or above this severity")
    parser.add_argument("--retries", type=int, default=6, help="retries of a failed send")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per SMTP conversation")
    args = parser.parse_args()
    password = None
    if args.password_file:
        with open(args.password_file, encoding="utf-8") as f:
            password = f.read().strip()
    floor = SEVERITIES.index(args.min_severity)
    failures = 0
    try:
        for _topic, record, _raw in dnswatch_feed.alerts(args):
            severity = record.get("severity")
            if severity in SEVERITIES and SEVERITIES.index(severity) < floor:
                log("info", "alert_below_min_severity", id=record.get("id"), severity=severity)
                continue
            failures += 0 if deliver(args, record, password) else 1
    except KeyboardInterrupt:
        pass
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
