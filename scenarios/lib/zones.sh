# shellcheck shell=bash
# zones.sh -- sourced by scenarios/make-scenarios: the zone files of every
# scenario, legitimate and forged, and DNSSEC signing with ldns.

zone_serial() { awk '/; serial/ {print $1; exit}' "$1"; }

# victim_zone SERIAL [KEY=VALUE...] -- the zone victim.test on stdout.
#   ns="ns1.victim.test. ns2.victim.test."   apex NS
#   www="192.0.2.10 192.0.2.11"              www A (an address pool)
#   mail=192.0.2.25                          mail A
#   ttl=3600 www_ttl= mx_ttl=                default TTL, per-RRset TTLs
#   comment="..."                            first line
victim_zone() {
    local serial=$1
    shift
    local ns="ns1.victim.test. ns2.victim.test." www="192.0.2.10 192.0.2.11" mail=192.0.2.25
    local ttl=3600 www_ttl='' mx_ttl='' comment="the legitimate zone" kv n a
    for kv in "$@"; do local "$kv"; done
    cat <<EOF
; victim.test -- $comment
\$ORIGIN victim.test.
\$TTL $ttl
@       IN SOA  ns1.victim.test. hostmaster.victim.test. (
                $serial ; serial
                7200       ; refresh
                3600       ; retry
                1209600    ; expire
                300 )      ; negative TTL
EOF
    for n in $ns; do printf '        IN NS   %s\n' "$n"; done
    printf '        %sIN MX   10 mail.victim.test.\n' "${mx_ttl:+$mx_ttl }"
    cat <<EOF
        IN TXT  "v=spf1 mx -all"
ns1     IN A    127.0.0.11
ns2     IN A    127.0.0.12
EOF
    for a in $www; do printf 'www     %sIN A    %s\n' "${www_ttl:+$www_ttl }" "$a"; done
    cat <<EOF
www     IN AAAA 2001:db8::10
mail    IN A    $mail
EOF
}

# parent_zone SERIAL [KEY=VALUE...] -- the parent zone "test" on stdout, with
# the delegation of victim.test.
#   ns="ns1.victim.test. ns2.victim.test."  delegation NS (glue added for the
#                                           in-bailiwick names ns1/ns2.victim.test.)
#   ns_ttl=                                 TTL of the delegation NS
#   ds="TAG ALG DIGTYPE DIGEST"             a DS record (signed scenarios)
#   comment="..."
parent_zone() {
    local serial=$1
    shift
    local ns="ns1.victim.test. ns2.victim.test." ns_ttl='' ds='' comment="the parent zone, legitimate" kv n
    for kv in "$@"; do local "$kv"; done
    cat <<EOF
; test -- $comment
\$ORIGIN test.
\$TTL 86400
@       IN SOA  ns1.nic.test. hostmaster.nic.test. (
                $serial ; serial
                7200       ; refresh
                3600       ; retry
                1209600    ; expire
                3600 )     ; negative TTL
        IN NS   ns1.nic.test.
ns1.nic IN A    127.0.0.10

; delegation of victim.test
EOF
    for n in $ns; do printf 'victim      %sIN NS %s\n' "${ns_ttl:+$ns_ttl }" "$n"; done
    case " $ns " in *" ns1.victim.test. "*) echo "ns1.victim  IN A  127.0.0.11" ;; esac
    case " $ns " in *" ns2.victim.test. "*) echo "ns2.victim  IN A  127.0.0.12" ;; esac
    [ -z "$ds" ] || echo "victim      IN DS $ds"
}

# ns_host_zone ZONE ADDR -- a name server operator's own zone: ns1/ns2.ZONE A ADDR.
ns_host_zone() {
    cat <<EOF
; $1 -- the name server host names of its operator
\$ORIGIN $1.
\$TTL 3600
@       IN SOA  ns1.$1. hostmaster.$1. ( 2026030101 ; serial
                7200 3600 1209600 300 )
        IN NS   ns1.$1.
        IN NS   ns2.$1.
ns1     IN A    $2
ns2     IN A    $2
EOF
}

# make_keys ZONE DIR -- a KSK and a ZSK (ECDSA P-256) in DIR; sets KSK and ZSK
# to their base paths and DS to "TAG ALG DIGTYPE DIGEST" (SHA-256).
make_keys() {
    local zone=$1 dir=$2
    mkdir -p "$dir"
    KSK=$dir/$(cd "$dir" && ldns-keygen -a ECDSAP256SHA256 -k -r /dev/urandom "$zone")
    # shellcheck disable=SC2034  # used by make-scenarios
    ZSK=$dir/$(cd "$dir" && ldns-keygen -a ECDSAP256SHA256 -r /dev/urandom "$zone")
    DS=$(awk '$3 == "DS" && $6 == 2 {print $4, $5, $6, $7}' "$KSK.ds")
    [ -n "$DS" ] || die "no SHA-256 DS for $zone"
}

# sign_zone IN OUT ORIGIN KSK ZSK -- sign with NSEC, signatures valid over the
# scenarios' timeline (common.sh: SIG_INCEPTION, SIG_EXPIRATION).
sign_zone() {
    ldns-signzone -i "$SIG_INCEPTION" -e "$SIG_EXPIRATION" -o "$3" -f "$2" "$1" "$4" "$5" ||
        die "ldns-signzone failed for $1"
}
