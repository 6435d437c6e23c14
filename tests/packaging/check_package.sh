#!/usr/bin/env bash
# Builds the .deb from a build tree with cpack and inspects it as a clean
# machine would see it: control fields (dpkg-deb -I), contents (dpkg-deb -c),
# the unit as shipped verified by systemd-analyze against the shipped binary,
# and the shipped config accepted by the shipped binary.
# Usage: check_package.sh BUILD_DIR   (exit 77: skipped)
set -euo pipefail
build="$1"
prefix="$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")"
if [ "$prefix" != "/usr" ]; then
  echo "SKIP: the build tree's CMAKE_INSTALL_PREFIX is '$prefix'; the package needs /usr"
  exit 77
fi
work="$(mktemp -d /tmp/dnswatch-package.XXXXXX)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cpack -G DEB -B "$work/out" --config "$build/CPackConfig.cmake" >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; fail "cpack"; }
deb="$(ls "$work"/out/dnswatch_*.deb)"
echo "package: $(basename "$deb") ($(stat -c %s "$deb") bytes)"

info="$(dpkg-deb -I "$deb")"
grep -q '^ Package: dnswatch$' <<<"$info" || fail "Package field"
depends="$(sed -n 's/^ Depends: //p' <<<"$info")"
for dep in adduser libc6 libpcap0.8 libldns3 libzmq5 libyaml-cpp0.7 libsodium23 libstdc++6; do
  grep -q "\\b$dep\\b" <<<"$depends" || fail "Depends lacks $dep: $depends"
done
for script in postinst postrm conffiles; do
  grep -q " $script" <<<"$info" || fail "control archive lacks $script"
done
dpkg-deb -e "$deb" "$work/control"
grep -q 'adduser --system --group' "$work/control/postinst" || fail "postinst does not create the user"
[ -x "$work/control/postinst" ] || fail "postinst is not executable"
grep -qx '/etc/dnswatch/dnswatch.yaml' "$work/control/conffiles" || fail "the config is not a conffile"

contents="$(dpkg-deb -c "$deb" | awk '{print $1, $6}')"
for entry in "-rwxr-xr-x ./usr/bin/dnswatch" \
             "-rw-r--r-- ./usr/lib/systemd/system/dnswatch.service" \
             "-rw-r--r-- ./etc/dnswatch/dnswatch.yaml" \
             "-rw-r--r-- ./etc/dnswatch/zones/example.test.zone" \
             "-rw-r--r-- ./usr/share/doc/dnswatch/docs/config.md" \
             "-rw-r--r-- ./usr/share/doc/dnswatch/docs/schema/dnswatch.alert-1.schema.json"; do
  grep -qxF -- "$entry" <<<"$contents" || fail "missing: $entry"
done
echo "contents: $(wc -l <<<"$contents") entries"

# The unit as shipped, in a root holding the package and systemd's own units
# (targets it orders against) and kill (ExecReload).
root="$work/root"
dpkg-deb -x "$deb" "$root"
mkdir -p "$root/usr/bin" "$root/bin"
cp -r /lib/systemd/system/. "$root/usr/lib/systemd/system/"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/systemd/system/dnswatch.service > "$root/usr/lib/systemd/system/dnswatch.service"
cp /usr/bin/kill "$root/bin/kill"
verify() { systemd-analyze verify --root="$root" dnswatch.service 2>&1; }
out="$(verify)" || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify complains: $out"
echo "systemd-analyze verify: clean"
# The check can fail: a misspelt directive is reported.
sed -i 's/^ProtectSystem=strict/ProtectSystm=strict/' "$root/usr/lib/systemd/system/dnswatch.service"
out="$(verify || true)"
grep -q "Unknown key" <<<"$out" || fail "systemd-analyze verify did not notice a misspelt key: $out"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/systemd/system/dnswatch.service > "$root/usr/lib/systemd/system/dnswatch.service"

# Hardening as systemd scores it (informative; lower is better).
systemd-analyze security --offline=true --root="$root" dnswatch.service 2>/dev/null | tail -1 || true

# The shipped binary accepts the shipped config.
"$root/usr/bin/dnswatch" check-config --config "$root/etc/dnswatch/dnswatch.yaml" >"$work/effective.yaml" 2>"$work/check.err" \
  || fail "check-config on the shipped config: $(cat "$work/check.err")"
grep -q 'listen: 127.0.0.1:9153' "$work/effective.yaml" || fail "effective config lacks metrics.listen"
echo "check-config: the shipped config is valid"
echo "PASS"
