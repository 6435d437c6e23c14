# shellcheck shell=bash
# common.sh -- sourced by scenarios/make-scenarios: the name servers, the
# resolver, the capture, the queries and the bookkeeping every scenario shares.
# Bash only; see scenarios/README.md for the address plan.

PARENT=127.0.0.10     # the parent zone "test" (registry): ns1.nic.test
VICTIM=127.0.0.11     # victim.test's legitimate name server: ns1.victim.test
VICTIM2=127.0.0.12    # ... and its second address: ns2.victim.test (same NSD)
NEWDNS=127.0.0.13     # a legitimate new DNS provider (announced-change only)
RESOLVER=127.0.0.53   # Unbound, the client's recursive resolver
RESOLVER2=127.0.0.54  # a second Unbound (change-seen-by-resolvers)
ATTACKER=127.0.0.66   # the attacker's name server
PROBE=127.0.0.99      # readiness probes: never in a capture
CLIENT=127.0.0.100    # the client whose traffic is captured
ALL_ADDRS="$PARENT $VICTIM $VICTIM2 $NEWDNS $RESOLVER $RESOLVER2 $ATTACKER"

# RRSIG validity of the signed zones: it covers every scenario's timeline
# (March 2026), so that a validating sensor judges the signatures at packet
# time, not at the time the scenarios were made.
# shellcheck disable=SC2034  # used by zones.sh
SIG_INCEPTION=20260301000000
# shellcheck disable=SC2034

SIG_EXPIRATION=20260601000000

die() { echo "make-scenarios: ${SCENARIO:+$SCENARIO: }$*" >&2; exit 1; }
note() { echo "  $*"; }

declare -A nsd_pid=() nsd_addr=() unbound_pid=()
tcpdump_pid=

# wait_gone PID: bounded wait for PID to exit (SIGKILL after 5 s).
wait_gone() {
    local pid=$1
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# wait_children_gone "PID...": bounded wait for (non-child) processes.
wait_children_gone() {
    local k
    for k in $1; do
        for _ in $(seq 50); do
            case $(ps -o stat= -p "$k" 2>/dev/null || true) in
                ''|Z*) break ;;
            esac
            sleep 0.1
        done
        case $(ps -o stat= -p "$k" 2>/dev/null || true) in
            ''|Z*) ;;
            *) kill -KILL "$k" 2>/dev/null || true ;;
        esac
    done
}

# stop_everything: tcpdump, every NSD and Unbound this script started.
stop_everything() {
    local name
    capture_abort
    for name in "${!nsd_pid[@]}"; do nsd_stop "$name"; done
    for name in "${!unbound_pid[@]}"; do unbound_stop "$name"; done
}

# ports_free: port 53 (UDP and TCP) must be free on every address we use.
ports_free() {
    local re busy
    re="^(0\\.0\\.0\\.0|\\*|\\[::\\]|($(echo "$ALL_ADDRS" | sed 's/\./\\./g; s/ /|/g'))):53$"
    busy=$( { ss -Hlnu "sport = :53"; ss -Hlnt "sport = :53"; } | awk '{print $4}' | grep -E "$re" || true)
    [ -z "$busy" ] || die "port 53 already in use: $busy"
}

# --- NSD --------------------------------------------------------------------

# nsd_conf NAME "ADDR..." "ZONE:FILE..." [EXTRA-SERVER-LINES] -- an NSD
# instance in $W/nsd-NAME, zone files relative to that folder.
nsd_conf() {
    local name=$1 addrs=$2 zones=$3 extra=${4:-} dir=$W/nsd-$1 a z
    mkdir -p "$dir/xfr"
    nsd_addr[$name]=${addrs%% *}
    {
        echo "server:"
        for a in $addrs; do echo "    ip-address: $a"; done
        cat <<EOF
    port: 53
    do-ip6: no
    server-count: 1
    zonesdir: "$dir"
    database: ""
    zonelistfile: "$dir/zone.list"
    xfrdfile: "$dir/xfrd.state"
    xfrdir: "$dir/xfr"
    pidfile: "$dir/nsd.pid"
    logfile: "$dir/nsd.log"
    username: ""
    chroot: ""
    verbosity: 1
    hide-version: yes
    hide-identity: yes
EOF
        [ -z "$extra" ] || printf '    %s\n' "$extra"
        echo "remote-control:"
        echo "    control-enable: no"
        for z in $zones; do
            printf 'zone:\n    name: "%s"\n    zonefile: "%s/%s"\n' "${z%%:*}" "$dir" "${z#*:}"
        done
    } > "$dir/nsd.conf"
}

# nsd_start NAME ZONE SERIAL -- start it, wait until it serves ZONE's SOA with
# SERIAL (probes come from $PROBE, outside every capture).
nsd_start() {
    local name=$1 zone=$2 serial=$3 addr=${nsd_addr[$1]} got=
    nsd -d -c "$W/nsd-$name/nsd.conf" >>"$W/nsd-$name/stdout" 2>&1 &
    nsd_pid[$name]=$!
    for _ in $(seq 50); do
        got=$(dig -b "$PROBE" @"$addr" +norec +short +tries=1 +time=1 "$zone" SOA 2>/dev/null |
              awk '{print $3}') || true
        [ "$got" = "$serial" ] && return 0
        kill -0 "${nsd_pid[$name]}" 2>/dev/null || break
        sleep 0.2
    done
    cat "$W/nsd-$name/stdout" "$W/nsd-$name/nsd.log" >&2 2>/dev/null || true
    die "NSD $name on $addr did not serve $zone SOA serial $serial (got '$got')"
}

# descendants PID: every process below PID (NSD forks twice: main, then its
# server and xfrd processes one and two levels down).
descendants() {
    local kid
    for kid in $(pgrep -P "$1" || true); do
        echo "$kid"
        descendants "$kid"
    done
}

# nsd_stop NAME: TERM the instance, bounded wait for it and its descendants.
nsd_stop() {
    local name=$1 pid=${nsd_pid[$1]:-} kids
    [ -n "$pid" ] || return 0
    kids=$(descendants "$pid")
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone "$pid"
    wait_children_gone "$kids"
    unset "nsd_pid[$name]"
}

# nsd_restart NAME ZONE SERIAL: load changed zone files (a zone reload as the
# operator or the attacker would do it; not captured).
nsd_restart() { nsd_stop "$1"; nsd_start "$1" "$2" "$3"; }

# nsd_pids NAME: the instance's main pid and its descendants, comma-separated.
nsd_pids() {
    local pid=${nsd_pid[$1]}
    echo "$pid $(descendants "$pid")" | xargs | tr ' ' ,
}

# --- Unbound ----------------------------------------------------------------

# unbound_start NAME [EXTRA-SERVER-LINE...] -- Unbound on $RESOLVER for the
# client, iterating from a stub zone "test." at $PARENT; nothing else resolves
# (local-zone "." refuse), so it never sends a packet off loopback.
# UNBOUND_MODULES (default "iterator": no validation) sets module-config.
unbound_start() {
    local name=$1 dir=$W/unbound-$1 line got=
    shift
    mkdir -p "$dir"
    {
        cat <<EOF
server:
    interface: $RESOLVER
    port: 53
    outgoing-interface: $RESOLVER
    do-ip4: yes
    do-ip6: no
    do-udp: yes
    do-tcp: yes
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    username: ""
    chroot: ""
    directory: "$dir"
    pidfile: "$dir/unbound.pid"
    logfile: ""
    use-syslog: no
    verbosity: 1
    num-threads: 1
    module-config: "${UNBOUND_MODULES:-iterator}"
    qname-minimisation: no
    target-fetch-policy: "0 0 0 0 0"
    prefetch: no
    minimal-responses: yes
    hide-identity: yes
    hide-version: yes
    local-zone: "." refuse
    local-zone: "test." transparent
    local-data: "ready.probe. 0 IN TXT ready"
EOF
        for line in "$@"; do printf '    %s\n' "$line"; done
        cat <<EOF
remote-control:
    control-enable: no
stub-zone:
    name: "test."
    stub-addr: $PARENT
EOF
    } > "$dir/unbound.conf"
    unbound-checkconf "$dir/unbound.conf" >/dev/null || die "bad unbound.conf for $name"
    unbound -d -c "$dir/unbound.conf" >>"$dir/stdout" 2>&1 &
    unbound_pid[$name]=$!
    for _ in $(seq 50); do
        got=$(dig -b "$PROBE" @"$RESOLVER" +short +tries=1 +time=1 ready.probe TXT 2>/dev/null) || true
        [ "$got" = '"ready"' ] && return 0
        kill -0 "${unbound_pid[$name]}" 2>/dev/null || break
        sleep 0.2
    done
    cat "$dir/stdout" >&2 2>/dev/null || true
    die "Unbound $name on $RESOLVER did not start"
}

unbound_stop() {
    local name=$1 pid=${unbound_pid[$1]:-}
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone "$pid"
    unset "unbound_pid[$name]"
}

# --- capture ----------------------------------------------------------------

# capture_start FILTER -- tcpdump on lo into $W/raw.pcap, every packet written
# as soon as it is seen (-U --immediate-mode).
capture_start() {
    tcpdump -i lo -nn --immediate-mode -U -s 65535 -Z root -w "$W/raw.pcap" "$1" 2>"$W/tcpdump.err" &
    tcpdump_pid=$!
    for _ in $(seq 50); do
        grep -q 'listening on' "$W/tcpdump.err" 2>/dev/null && break
        kill -0 "$tcpdump_pid" 2>/dev/null || { cat "$W/tcpdump.err" >&2; die "tcpdump failed"; }
        sleep 0.1
    done
    grep -q 'listening on' "$W/tcpdump.err" || die "tcpdump did not start"
    sleep 0.5
}

capture_abort() {
    if [ -n "$tcpdump_pid" ]; then
        kill -INT "$tcpdump_pid" 2>/dev/null || true
        wait_gone "$tcpdump_pid"
        tcpdump_pid=
    fi
}

# Queries sent by the client so far, and responses to it beyond one each
# (the on-path injection's second answer).
NQ=0
EXTRA_RESPONSES=0

# settle: wait until the capture holds every query and its answer and has
# stopped growing (resolver traffic included); print the packet count.
settle() {
    python3 "$LIB/dnspcap.py" settle "$W/raw.pcap" --client "$CLIENT" --queries "$NQ" \
        --responses $((NQ + EXTRA_RESPONSES)) || die "the capture is incomplete"
}

# --- queries ----------------------------------------------------------------

# q SERVER NAME TYPE [DIG-OPTION...] -- one captured query from $CLIENT, no
# recursion unless +rec is given (the client plays a resolver). It must get a
# NOERROR answer; its DNS id is left in QID.
QID=
q() {
    local server=$1 name=$2 type=$3 res
    shift 3
    res=$(dig -b "$CLIENT" @"$server" +norec +tries=1 +time=3 "$@" "$name" "$type") ||
        die "no answer from $server for $name $type"
    grep -q 'status: NOERROR' <<<"$res" || die "$server $name $type: $(grep status: <<<"$res")"
    QID=$(sed -n 's/^;; ->>HEADER<<-.* id: \([0-9]*\)$/\1/p' <<<"$res")
    [ -n "$QID" ] || die "no DNS id in dig's output"
    NQ=$((NQ + 1))
    printf '    %-11s %-24s %-6s %-5s -> %s\n' "$server" "$name" "$type" "id=$QID" \
        "$(awk '/^;; [A-Z]+ SECTION/ {s = ($2 == "ANSWER" || $2 == "AUTHORITY")}
                !/^;/ && NF >= 5 && s && $4 != "RRSIG" && $4 != "NSEC" {
                    printf "%s%s %s %s", sep, $1, $4, $5 (NF > 5 && $4 != "SOA" ? " " $6 : ""); sep = "; "}' <<<"$res")"
}

# --- phases, expectations, output -------------------------------------------

# phase OFFSET LABEL -- the packets from here on form a phase that starts
# OFFSET seconds after the scenario's start once stretched.
BOUNDARIES=
OFFSETS=
phase() {
    local offset=$1 n
    shift
    echo "  phase at +${offset}s: $*"
    if [ -z "$OFFSETS" ]; then
        OFFSETS=$offset
        return
    fi
    n=$(settle)
    BOUNDARIES=${BOUNDARIES:+$BOUNDARIES,}$n
    OFFSETS=$OFFSETS,$offset
}

# expect SERVER DNS-ID JSON -- an alert the sensor must raise: its first
# divergent packet is the first response from SERVER with DNS-ID (the
# finalizer finds it in the stretched capture: frame, first_seen). JSON holds
# kind, name, rrtype, role, states, signals, observed.
expect() {
    local server=$1 id=$2 json=$3 nth=${4:-}
    python3 - "$server" "$id" "$json" "$nth" >>"$W/spec.jsonl" <<'EOF'
import json, sys
server, qid, spec, nth = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
spec["locate"] = {"server": server, "dns_id": qid}
if nth:
    spec["locate"]["nth"] = int(nth)
print(json.dumps(spec))
EOF
}

# scenario_begin NAME -- a clean work folder and output folder.
scenario_begin() {
    SCENARIO=$1
    W=$WORK/$1
    OUT=$WORK/$1.out
    rm -rf "$W" "$OUT"
    mkdir -p "$W" "$OUT"
    : >"$W/spec.jsonl"
    : >"$W/changes.jsonl"
    NQ=0 EXTRA_RESPONSES=0 BOUNDARIES='' OFFSETS='' QID= INCIDENTS=
    echo "== $1"
}

# write_config [ZONE-FILE [PARENT-FILE [EXTRA-YAML]]] -- $OUT/dnswatch.yaml
write_config() {
    local zone=${1:-victim.test.zone} parent=${2:-test.zone} extra=${3:-}
    cat >"$OUT/dnswatch.yaml" <<EOF
# scenario $SCENARIO (scenarios/README.md); paths relative to this file
sensor:
  id: scenario-$SCENARIO
watch:
  zones:
    - name: victim.test
      zone_file: $zone
baseline:
  zone_files: [$parent]
EOF
    [ -z "$extra" ] || printf '%s\n' "$extra" >>"$OUT/dnswatch.yaml"
}

# scenario_end START META-JSON -- stop the capture and the servers, stretch the
# timestamps, write expected.json, replace scenarios/NAME/.
scenario_end() {
    local start=$1 meta=$2 total n dest=$HERE/$SCENARIO
    total=$(settle)
    capture_abort
    stop_everything
    n=$(tcpdump -nn -r "$W/raw.pcap" 2>/dev/null | wc -l)
    [ "$n" -eq "$total" ] || die "capture changed after the last query ($n packets, not $total)"
    if [ "$total" -lt 20 ] || [ "$total" -gt 80 ]; then
        die "$total packets: a scenario holds 20 to 80"
    fi
    python3 "$HERE/../samples/stretch-times.py" "$W/raw.pcap" "$OUT/capture.pcap" \
        --start "$start" --boundaries "$BOUNDARIES" --offsets "$OFFSETS"
    python3 "$LIB/dnspcap.py" finalize "$OUT/capture.pcap" "$W/spec.jsonl" "$OUT/expected.json" \
        --meta "$meta" --changes "$W/changes.jsonl"
    python3 "$LIB/dnspcap.py" list "$OUT/capture.pcap" >"$W/listing.txt"
    [ "$(stat -c %s "$OUT/capture.pcap")" -lt 51200 ] || die "capture.pcap is 50 KB or more"
    chmod 0644 "$OUT"/*
    rm -rf "$dest"
    mv "$OUT" "$dest"
    echo "  wrote $dest: $total packets, boundaries $BOUNDARIES, offsets $OFFSETS"
}
