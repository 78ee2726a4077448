# SPDX-License-Identifier: MIT
#
# lib.sh - what the peer builders share: a private apt configuration for
# Debian 13 (trixie), binary and source, under the peers' cache; the
# system's own apt setup is left alone.  Its mirror is the one the system
# already uses for Debian; apt checks every file it fetches against the
# suite's signed Release file, and each builder pins the SHA-256 of its
# files on top.

CACHE=${KTLS_PEERS_CACHE:-/var/cache/ktls-peers}
TRIXIE=$CACHE/apt-trixie

die() { echo "${0##*/}: $*" >&2; exit 1; }

trixie_opts() {
	echo -o Dir::Etc::SourceList=/dev/null \
		-o Dir::Etc::SourceParts="$TRIXIE/sources" \
		-o Dir::State::Lists="$TRIXIE/lists" \
		-o Dir::Cache="$TRIXIE/cache" \
		-o Dir::State::Status=/dev/null \
		-o APT::Architecture=amd64 -o APT::Sandbox::User=root
}
# shellcheck disable=SC2046 # the options are words without blanks
trixie_apt() { apt-get -q $(trixie_opts) "$@"; }

# Refresh the private trixie lists at most once a day.
trixie_update() {
	local mirror stamp=$TRIXIE/lists/.updated
	if [ -e "$stamp" ] && [ -n "$(find "$stamp" -mmin -1440)" ]; then
		return 0
	fi
	mirror=$(apt-cache policy 2>/dev/null |
		awk '$3 ~ /^bookworm(-updates)?\/main$/ { print $2; exit }')
	if [ -z "$mirror" ]; then
		apt-get -q update >&2 || die "apt-get update failed"
		mirror=$(apt-cache policy 2>/dev/null |
			awk '$3 ~ /^bookworm(-updates)?\/main$/ { print $2; exit }')
	fi
	[ -n "$mirror" ] || die "no Debian mirror in the system's apt sources"
	mkdir -p "$TRIXIE/sources" "$TRIXIE/lists/partial" \
		"$TRIXIE/cache/archives/partial"
	cat > "$TRIXIE/sources/trixie.sources" <<-SRC
	Types: deb deb-src
	URIs: $mirror
	Suites: trixie trixie-updates
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	SRC
	trixie_apt update >&2 || die "apt-get update for trixie failed"
	touch "$stamp"
}

# peer_lock: one build at a time; a run that waited finds the work done.
peer_lock() {
	mkdir -p "$CACHE" || die "cannot create $CACHE (set KTLS_PEERS_CACHE)"
	exec 9> "$CACHE/.lock"
	flock 9
}
