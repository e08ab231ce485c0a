#!/bin/sh
# Installs Bollard under DESTDIR in the layout of the Debian packages.
#   packaging/install.sh BINDIR DESTDIR [edge|central|all]
# BINDIR holds the built bollard-edge, bollardctl and bollard-central
# (`make install` passes .build/release; the packaging test passes the debug build).
set -eu
bindir=$1
destdir=$2
which=${3:-all}
here=$(cd "$(dirname "$0")/.." && pwd)

put() { # mode source target
	install -D -m "$1" "$2" "$destdir$3"
}

# Debug sections go (a release bollardctl: 102 MB → 82 MB); symbols stay, for backtraces.
program() { # source target
	put 0755 "$1" "$2"
	strip --strip-debug "$destdir$2"
}

if [ "$which" = edge ] || [ "$which" = all ]; then
	program "$bindir/bollard-edge" /usr/bin/bollard-edge
	program "$bindir/bollardctl" /usr/bin/bollardctl
	# RecognitionModel.installedPath: where the gate finds its model when recognition_model is empty.
	put 0644 "$here/Edge/PlateRecognition/Resources/plates.bmodel" /usr/share/bollard-edge/plates.bmodel
	put 0644 "$here/systemd/bollard-edge.service" /usr/lib/systemd/system/bollard-edge.service
	put 0644 "$here/systemd/bollard-edge.sysusers" /usr/lib/sysusers.d/bollard-edge.conf
	put 0644 "$here/systemd/bollard-edge.tmpfiles" /usr/lib/tmpfiles.d/bollard-edge.conf
	put 0644 "$here/systemd/edge.conf.example" /etc/bollard-edge/edge.conf
	put 0644 "$here/systemd/edge.conf.example" /usr/share/doc/bollard-edge/edge.conf.example
	for doc in operations.md protocol.md capture.md; do
		[ -f "$here/docs/$doc" ] && put 0644 "$here/docs/$doc" "/usr/share/doc/bollard-edge/$doc"
	done
fi
if [ "$which" = central ] || [ "$which" = all ]; then
	program "$bindir/bollard-central" /usr/bin/bollard-central
	put 0644 "$here/systemd/bollard-central.service" /usr/lib/systemd/system/bollard-central.service
	put 0644 "$here/systemd/bollard-central.sysusers" /usr/lib/sysusers.d/bollard-central.conf
	put 0644 "$here/systemd/bollard-central.tmpfiles" /usr/lib/tmpfiles.d/bollard-central.conf
	put 0644 "$here/systemd/central.conf.example" /etc/bollard-central/central.conf
	put 0644 "$here/systemd/central.conf.example" /usr/share/doc/bollard-central/central.conf.example
	for doc in operations.md control-centre.md evidence.md webhooks.md; do
		[ -f "$here/docs/$doc" ] && put 0644 "$here/docs/$doc" "/usr/share/doc/bollard-central/$doc"
	done
fi
exit 0
