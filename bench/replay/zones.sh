# Zone files for scripts/bench-replay (sourced): the watched zones
# victim.test and bank.test, their forged copies (the attacker's), and three
# unwatched zones with a few hundred names each, plus the question lists the
# query client draws from. make_zones DIR writes them all into DIR.

make_zones() {
    local dir=$1 here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    mkdir -p "$dir/true" "$dir/forged"
    cp "$here/../../samples/victim.test.zone" "$dir/true/victim.test.zone"
    sed -e 's/^www     IN A    192.0.2.10$/www     IN A    203.0.113.66/' \
        -e '/^www     IN A    192.0.2.11$/d' \
        -e 's/^mail    IN A    192.0.2.25$/mail    IN A    203.0.113.25/' \
        "$dir/true/victim.test.zone" > "$dir/forged/victim.test.zone"

    local soa='@ IN SOA ns1 hostmaster 2026031001 7200 3600 1209600 300'
    {
        echo '$ORIGIN bank.test.'; echo '$TTL 3600'; echo "$soa"
        echo '@ IN NS ns1'; echo '@ IN NS ns2'; echo '@ IN MX 10 mx'
        echo 'ns1 IN A 127.0.0.11'; echo 'ns2 IN A 127.0.0.12'
        echo 'www IN A 198.51.100.80'; echo 'login IN A 198.51.100.81'; echo 'api IN A 198.51.100.82'
        echo 'vpn IN A 198.51.100.83'; echo 'mx IN A 198.51.100.25'; echo 'www IN AAAA 2001:db8:b::80'
    } > "$dir/true/bank.test.zone"
    sed -e 's/^login IN A 198.51.100.81$/login IN A 203.0.113.81/' \
        -e 's/^vpn IN A 198.51.100.83$/vpn IN A 203.0.113.83/' \
        "$dir/true/bank.test.zone" > "$dir/forged/bank.test.zone"

    local zone i
    for zone in corp.example shop.example cdn.example; do
        {
            echo "\$ORIGIN $zone."; echo '$TTL 300'; echo "$soa"
            echo '@ IN NS ns1'; echo '@ IN NS ns2'; echo 'ns1 IN A 127.0.0.11'; echo 'ns2 IN A 127.0.0.12'
            echo '@ IN MX 10 mail'; echo 'mail IN A 192.0.2.200'; echo '@ IN TXT "v=spf1 mx -all"'
            for i in $(seq 1 300); do
                echo "host$i IN A 10.$((i % 200)).$((i / 200)).$((i % 250 + 1))"
                if [ "$zone" = cdn.example ]; then
                    echo "host$i IN A 10.1.$((i % 200)).1"; echo "host$i IN A 10.2.$((i % 200)).1"
                fi
                [ $((i % 3)) = 0 ] && echo "host$i IN AAAA 2001:db8:$i::1"
                [ $((i % 10)) = 0 ] && echo "host$i IN TXT \"id=$i\""
            done
        } > "$dir/true/$zone.zone"
    done

    # Questions: the unwatched zones (with misses, for NXDOMAIN), then the watched ones.
    {
        for zone in corp.example shop.example cdn.example; do
            for i in $(seq 1 300); do
                echo "host$i.$zone A"; [ $((i % 3)) = 0 ] && echo "host$i.$zone AAAA"
                [ $((i % 10)) = 0 ] && echo "host$i.$zone TXT"
                [ $((i % 7)) = 0 ] && echo "nohost$i.$zone A"
            done
            echo "$zone MX"; echo "$zone NS"; echo "$zone SOA"; echo "mail.$zone A"
        done
    } > "$dir/questions-unwatched.txt"
    {
        for q in "www.victim.test A" "www.victim.test AAAA" "mail.victim.test A" "victim.test MX" \
                 "victim.test NS" "victim.test TXT" "victim.test SOA" "ns1.victim.test A" \
                 "www.bank.test A" "login.bank.test A" "api.bank.test A" "vpn.bank.test A" \
                 "bank.test NS" "bank.test MX" "www.bank.test AAAA" "nothere.bank.test A"; do
            echo "$q"
        done
    } > "$dir/questions-watched.txt"
}
