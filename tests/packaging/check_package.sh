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
for dep in adduser libc6 libpcap0.8 libldns3 libzmq5 libyaml-cpp0.7 libsodium23 libstdc++6 libsystemd0 \
    libfstrm0 libprotobuf-c1 libnats3.4; do
  grep -q "\\b$dep\\b" <<<"$depends" || fail "Depends lacks $dep: $depends"
done
for script in postinst prerm postrm conffiles; do
  grep -q " $script" <<<"$info" || fail "control archive lacks $script"
done
dpkg-deb -e "$deb" "$work/control"
grep -q 'adduser --system --group' "$work/control/postinst" || fail "postinst does not create the user"
[ -x "$work/control/postinst" ] || fail "postinst is not executable"
grep -qx '/etc/dnswatch/dnswatch.yaml' "$work/control/conffiles" || fail "the config is not a conffile"
# What dh_installsystemd would do: a running service stopped on removal,
# the enable links of an administrator removed on purge (none dangling).
grep -q "deb-systemd-invoke stop 'dnswatch.service'" "$work/control/prerm" || fail "prerm does not stop the service"
grep -q "deb-systemd-helper purge 'dnswatch.service'" "$work/control/postrm" || fail "postrm does not purge the links"
grep -q "deb-systemd-helper update-state 'dnswatch.service'" "$work/control/postinst" || fail "postinst does not record the unit"

contents="$(dpkg-deb -c "$deb" | awk '{print $1, $6}')"
for entry in "-rwxr-xr-x ./usr/bin/dnswatch" \
             "-rw-r--r-- ./usr/lib/systemd/system/dnswatch.service" \
             "-rw-r--r-- ./etc/dnswatch/dnswatch.yaml" \
             "-rw-r--r-- ./etc/dnswatch/zones/example.test.zone" \
             "-rw-r--r-- ./usr/share/doc/dnswatch/docs/config.md" \
             "-rw-r--r-- ./usr/share/doc/dnswatch/docs/schema/dnswatch.alert-1.schema.json" \
             "-rw-r--r-- ./usr/share/doc/dnswatch/copyright" \
             "-rw-r--r-- ./usr/share/doc/dnswatch/changelog.Debian.gz" \
             "-rw-r--r-- ./usr/share/man/man1/dnswatch.1.gz" \
             "-rw-r--r-- ./usr/share/bash-completion/completions/dnswatch" \
             "-rw-r--r-- ./etc/logrotate.d/dnswatch"; do
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

# Type=notify, and the exit statuses that restarting cannot mend are the
# ones the binary documents for them (dnswatch --help, dnswatch(1)).
unit="$root/usr/lib/systemd/system/dnswatch.service"
grep -qx 'Type=notify' "$unit" || fail "the unit is not Type=notify"
prevent="$(sed -n 's/^RestartPreventExitStatus=//p' "$unit")"
help="$("$root/usr/bin/dnswatch" --help)"
for code in $prevent; do
  grep -qE "^  $code  " <<<"$help" || fail "exit status $code of RestartPreventExitStatus is not documented by --help"
done
[ "$prevent" = "2 3 4" ] || fail "RestartPreventExitStatus=$prevent, expected 2 3 4"
zcat "$root/usr/share/man/man1/dnswatch.1.gz" | grep -q '^\.SH EXIT STATUS' || fail "the man page has no EXIT STATUS"
echo "unit: Type=notify, RestartPreventExitStatus=$prevent documented"

# lintian, as Debian's archive would run it (when installed).
if command -v lintian >/dev/null; then
  lintian --fail-on error,warning --display-info "$deb" >"$work/lintian.log" 2>&1 \
    || { cat "$work/lintian.log"; fail "lintian"; }
  echo "lintian: clean ($(grep -c . "$work/lintian.log" || true) info lines)"
fi

# Hardening as systemd scores it (informative; lower is better).
systemd-analyze security --offline=true --root="$root" dnswatch.service 2>/dev/null | tail -1 || true

# The shipped binary accepts the shipped config.
"$root/usr/bin/dnswatch" check-config --config "$root/etc/dnswatch/dnswatch.yaml" >"$work/effective.yaml" 2>"$work/check.err" \
  || fail "check-config on the shipped config: $(cat "$work/check.err")"
grep -q 'listen: 127.0.0.1:9153' "$work/effective.yaml" || fail "effective config lacks metrics.listen"
echo "check-config: the shipped config is valid"
echo "PASS"
