#!/usr/bin/env bash
# CI for the package: build it from BIN, install it with dpkg, run the unit's ExecStart line
# as the unit's user (no systemd here), check it serves and writes only where it should,
# then purge the package. packaging/deb/ci-install.sh BIN
set -euo pipefail
BIN="$(readlink -f "$1")"
cd "$(dirname "$0")/../.."
OUT="$(mktemp -d)"
trap '[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; rm -rf "$OUT"' EXIT
DEB="$(packaging/deb/build.sh "$BIN" "$OUT")"
info="$(dpkg-deb --info "$DEB")"; grep -q "Package: chuishao" <<<"$info"
dpkg -i "$DEB" >/dev/null
getent passwd chuishao >/dev/null || { echo "no chuishao user" >&2; exit 1; }
[ "$(stat -c %U /var/lib/chuishao)" = chuishao ] || { echo "/var/lib/chuishao not owned by chuishao" >&2; exit 1; }
[ "$(stat -c %a /etc/chuishao/chuishao.toml)" = 640 ] || { echo "config readable by others" >&2; exit 1; }
UNIT=/lib/systemd/system/chuishao.service
EXEC="$(sed -n 's/^ExecStart=//p' "$UNIT")"
USER_="$(sed -n 's/^User=//p' "$UNIT")"
DIR="$(sed -n 's/^WorkingDirectory=//p' "$UNIT")"
PORT=$((30000 + RANDOM % 20000))
# As systemd would: the unit's user, working directory and command line; the port from the
# environment (it overrides the file) so the machine's 8080 stays free.
(cd "$DIR" && exec runuser -u "$USER_" -- env CHUISHAO_LISTEN="127.0.0.1:$PORT" $EXEC) >"$OUT/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fsS "http://127.0.0.1:$PORT/readyz"; echo
[ "$(stat -c %U /var/lib/chuishao/chuishao.db)" = chuishao ] || { echo "database not written by the service user" >&2; exit 1; }
kill "$pid"; wait "$pid" 2>/dev/null || true
pid=""
runuser -u chuishao -- /usr/bin/chuishao --config /etc/chuishao/chuishao.toml audit verify
dpkg --purge chuishao >/dev/null
[ ! -e /usr/bin/chuishao ] && [ ! -e /etc/chuishao ] || { echo "purge left files" >&2; exit 1; }
rm -rf /var/lib/chuishao
echo "package: built $(basename "$DEB"), installed, served as $USER_, purged"
