#!/usr/bin/env bash
# Builds the Debian package: packaging/deb/build.sh BIN [OUTDIR] → OUTDIR/chuishao_VERSION_ARCH.deb
#   BIN     the chuishao binary (cargo build --release → target/release/chuishao)
# Contents: /usr/bin/chuishao, the hardened unit /lib/systemd/system/chuishao.service,
# /etc/chuishao/chuishao.toml (a conffile: kept on upgrade), documentation. The maintainer
# scripts create the `chuishao` system user and /var/lib/chuishao.
set -euo pipefail
BIN="$(readlink -f "$1")"
OUT="$(readlink -f "${2:-.}")"
cd "$(dirname "$0")/../.."
ROOT="$PWD"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
ARCH="$(dpkg --print-architecture)"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT

install -D -m 0755 "$BIN" "$STAGE/usr/bin/chuishao"
install -D -m 0644 packaging/deb/chuishao.service "$STAGE/lib/systemd/system/chuishao.service"
install -d "$STAGE/etc/chuishao"
# The shipped example with the package's paths.
sed -e 's#^url = "sqlite://chuishao.db"#url = "sqlite:///var/lib/chuishao/chuishao.db"#' \
    -e 's#^photo_dir = "chuishao-photos"#photo_dir = "/var/lib/chuishao/photos"#' \
    chuishao.example.toml >"$STAGE/etc/chuishao/chuishao.toml"
grep -q '^url = "sqlite:///var/lib/chuishao/chuishao.db"' "$STAGE/etc/chuishao/chuishao.toml"
"$BIN" config check "$STAGE/etc/chuishao/chuishao.toml" >/dev/null
install -D -m 0644 chuishao.example.toml "$STAGE/usr/share/doc/chuishao/chuishao.example.toml"
install -D -m 0644 docs/operations.md "$STAGE/usr/share/doc/chuishao/operations.md"
install -D -m 0644 deploy/haproxy.cfg "$STAGE/usr/share/doc/chuishao/haproxy.cfg"
install -d "$STAGE/DEBIAN"
for s in postinst prerm postrm; do install -m 0755 "packaging/deb/$s" "$STAGE/DEBIAN/$s"; done
echo /etc/chuishao/chuishao.toml >"$STAGE/DEBIAN/conffiles"
SIZE="$(du -sk "$STAGE" | cut -f1)"
cat >"$STAGE/DEBIAN/control" <<CONTROL
Package: chuishao
Version: $VERSION
Architecture: $ARCH
Maintainer: Chuishao developers <chuishao@localhost>
Installed-Size: $SIZE
Depends: adduser, libc6
Recommends: postgresql-client
Section: web
Priority: optional
Homepage: https://chuishao.invalid
Description: Chuishao 吹哨 — urban grassroots governance
 Residents report problems; the platform locates each report in its grid,
 dispatches it, keeps working-day deadlines, lets a subdistrict blow the
 whistle to summon departments, and shows the process live. One binary,
 SQLite for a subdistrict or PostgreSQL for a district or city.
CONTROL
mkdir -p "$OUT"
DEB="$OUT/chuishao_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group --build "$STAGE" "$DEB" >/dev/null
echo "$DEB"
