#!/usr/bin/python3
"""Validates alert lines against docs/schema/dnswatch.alert-1.schema.json.

    validate_alerts.py SCHEMA FILE...      every line of every FILE must validate
    validate_alerts.py SCHEMA --broken FILE
        takes the first alert of FILE, breaks it in each way a consumer must
        be able to rely on, and checks that every broken copy fails

Prints one line per problem and a summary; exit status 0 when all is as
expected, 1 otherwise. Needs Debian's python3-jsonschema (/usr/bin/python3).
"""
import copy
import json
import sys

import jsonschema


def validator_for(schema_path):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def validate_files(validator, paths):
    checked = failed = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                checked += 1
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    failed += 1
                    print(f"{path}:{number}: not JSON: {e}")
                    continue
                for error in validator.iter_errors(record):
                    failed += 1
                    where = "/".join(str(p) for p in error.absolute_path) or "(record)"
                    print(f"{path}:{number}: {where}: {error.message}")
    print(f"validate_alerts: {checked} alert(s) checked, {failed} problem(s)")
    return failed == 0 and checked > 0


def breakages(alert):
    """(what, broken copy) pairs: each must fail validation."""
    def changed(what, change):
        broken = copy.deepcopy(alert)
        change(broken)
        return what, broken

    cases = [changed(f"without {field}", lambda a, f=field: a.pop(f))
             for field in ("id", "seq", "kind", "state", "first_seen", "signals", "vantage", "evidence")]
    cases += [
        changed("another schema", lambda a: a.update(schema="dnswatch.alert/2")),
        changed("unknown state", lambda a: a.update(state="closed")),
        changed("unknown severity", lambda a: a.update(severity="urgent")),
        changed("unknown kind", lambda a: a.update(kind="something_else")),
        changed("unknown signal", lambda a: a.update(signals=a["signals"] + ["made_up"])),
        changed("seq as text", lambda a: a.update(seq=str(a["seq"]))),
        changed("seq zero", lambda a: a.update(seq=0)),
        changed("id not hex", lambda a: a.update(id="XYZ")),
        changed("timestamp without microseconds", lambda a: a.update(first_seen=a["first_seen"][:19] + "Z")),
        changed("timestamp not UTC", lambda a: a.update(last_seen=a["last_seen"][:-1] + "+02:00")),
        changed("name with trailing dot", lambda a: a.update(name=a["name"] + ".")),
        changed("name in upper case", lambda a: a.update(name=a["name"].upper())),
        changed("negative duration", lambda a: a.update(duration_s=-1)),
        changed("observed not a list", lambda a: a.update(observed="1.2.3.4")),
        changed("vantage role unknown", lambda a: a["vantage"].update(role="middlebox")),
        changed("vantage server not an address", lambda a: a["vantage"].update(server="ns1.example")),
        changed("dns_id above 65535", lambda a: a["evidence"].update(dns_id=70000)),
        changed("evidence section unknown", lambda a: a["evidence"].update(section="question")),
        changed("negative tlog_index", lambda a: a.update(tlog_index=-1)),
        changed("an undeclared field", lambda a: a.update(extra=True)),
    ]
    return cases


def check_broken(validator, path):
    with open(path, encoding="utf-8") as f:
        alert = json.loads(next(line for line in f if line.strip()))
    if not validator.is_valid(alert):
        print(f"{path}: the alert to break is not valid to begin with")
        return False
    ok = True
    cases = breakages(alert)
    for what, broken in cases:
        if validator.is_valid(broken):
            ok = False
            print(f"{path}: {what}: validates, but must not")
    print(f"validate_alerts: {len(cases)} broken alert(s) checked")
    return ok


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    validator = validator_for(argv[1])
    if argv[2] == "--broken":
        return 0 if check_broken(validator, argv[3]) else 1
    return 0 if validate_files(validator, argv[2:]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
