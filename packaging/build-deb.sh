#!/bin/sh
# Builds bollard-edge_VERSION_ARCH.deb and bollard-central_VERSION_ARCH.deb with dpkg-deb.
#   packaging/build-deb.sh BINDIR VERSION OUTDIR
# `make deb` passes the release build; the packaging test passes the debug build
# (same layout and scripts, only the binaries differ) with DEB_COMPRESSION=none,
# since xz takes minutes over debug binaries.
set -eu
compression=${DEB_COMPRESSION:-xz}
bindir=$1
version=$2
outdir=$3
here=$(cd "$(dirname "$0")/.." && pwd)
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$outdir"

package() { # name description depends
	name=$1
	root="$work/$name"
	"$here/packaging/install.sh" "$bindir" "$root" "${name#bollard-}"
	mkdir -p "$root/DEBIAN"
	size=$(du -sk "$root" | cut -f1)
	cat > "$root/DEBIAN/control" <<CONTROL
Package: $name
Version: $version
Architecture: $arch
Maintainer: Bollard <bollard@localhost>
Installed-Size: $size
Depends: $3
Recommends: systemd
Section: misc
Priority: optional
Description: $2
CONTROL
	find "$root/etc" -type f | sed "s|^$root||" > "$root/DEBIAN/conffiles"
	for script in postinst prerm postrm; do
		sed "s/@NAME@/$name/g; s/@CONF@/$(basename "$(cat "$root/DEBIAN/conffiles" | head -1)")/g" "$here/packaging/$script" > "$root/DEBIAN/$script"
		chmod 0755 "$root/DEBIAN/$script"
	done
	dpkg-deb --root-owner-group -Z"$compression" --build "$root" "$outdir/${name}_${version}_${arch}.deb" >/dev/null
	echo "$outdir/${name}_${version}_${arch}.deb"
}

common="libc6, libgcc-s1, libstdc++6, libzmq5, libsqlite3-0, zlib1g"
package bollard-edge "Bollard gate unit: reads plates, decides locally, buffers and uploads events
 bollard-edge (the gate daemon, a systemd notify service), bollardctl (the
 technicians' tool) and the plate recogniser's model." "$common, libturbojpeg0, libv4l-0"
package bollard-central "Bollard central: permit sync, event collection and the control centre
 bollard-central (a systemd notify service) and its administration commands." "$common, libcurl4"
