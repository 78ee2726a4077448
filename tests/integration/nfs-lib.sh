# SPDX-License-Identifier: MIT
#
# nfs-lib.sh - NFSv4 over TLS on one machine (the VM): nfsd exports a
# tmpfs folder, the kernel's NFS client mounts it over 127.0.0.1, and a
# handshake agent (tlshd or handshaked) serves both ends' upcalls.  Shared
# by tests/integration/nfs-tls and bench/kernel-handshake; source it after
# lib.sh.  Needs root and a kernel with the handshake family (6.5+).
#
# The NFS programs come from tests/peers/nfs-utils (trixie's nfs-utils:
# bookworm's exportfs has no xprtsec=), tlshd from tests/peers/ktls-utils;
# both are built on the host before the VM starts (the guest sees the host
# read-only).  NFS versions 2 and 3 stay off, so neither rpcbind nor lockd
# is needed; the v4 grace period is ended at once (v4_end_grace) and the
# lease is the shortest nfsd takes (10 s), so nothing waits 90 s.
#
# Certificates: build/pki (tests/pki/mkpki).  The server's, server-ec,
# names localhost and 127.0.0.1, the name the client mounts; the client's
# is client.  Linux 6.12 has no mount options for a client certificate
# (cert_serial= and privkey_serial= came later), so with xprtsec=mtls the
# client's certificate is the agent's own: tlshd.conf's
# [authenticate.client] x509.certificate, handshaked's [kernel] client
# profile's identity.

NFS_PKI=$TOP/build/pki
NFS_PEERS=$("$TOP"/tests/peers/nfs-utils --prefix)/sbin
TLSHD=$("$TOP"/tests/peers/ktls-utils --prefix)/sbin/tlshd
NFS_HSD=$TOP/build/bin/handshaked
NFS_W=""
NFS_EXPORT=""
NFS_MNT=""
NFS_AGENT_PID=""
NFS_MOUNTD_PID=""

# nfs_require: why NFS over TLS cannot run here, or nothing.
nfs_require() {
	# (nfsd, exports and /var/lib/nfs are the machine's own: only the
	# throw-away VM may have them rewritten)
	[ "${KTLS_VM:-0}" = 1 ] || [ "${NFS_TLS_NATIVE:-0}" = 1 ] ||
		{ echo "runs only in the VM (it starts nfsd and rewrites" \
			"/var/lib/nfs/etab; NFS_TLS_NATIVE=1 runs it here)"
		  return; }
	[ "$(id -u)" = 0 ] || { echo "needs root"; return; }
	[ -x "$NFS_PEERS/rpc.nfsd" ] ||
		{ echo "no $NFS_PEERS (run tests/peers/nfs-utils)"; return; }
	modprobe -q nfsd 2> /dev/null
	modprobe -q nfsv4 2> /dev/null
	modprobe -q tls 2> /dev/null
	[ -e /proc/net/tls_stat ] || { echo "no kTLS in this kernel"; return; }
	[ -d /sys/module/nfsd ] || { echo "no nfsd module"; return; }
	grep -qw nfs4 /proc/filesystems || { echo "no NFSv4 client"; return; }
	# (the family is built in; its netlink socket shows only when used)
	grep -qw tls_server_hello_x509 /proc/kallsyms ||
		{ echo "no handshake upcall in this kernel (Linux 6.5+)"; return; }
}

# tls_stat NAME: one counter of /proc/net/tls_stat.
tls_stat() { awk -v n="$1" '$1 == n { print $2 }' /proc/net/tls_stat; }

# nfs_setup: the work folder, the export (a tmpfs) and the mount point.
nfs_setup() {
	NFS_W=$(mktemp -d /tmp/nfs-tls.XXXXXX)
	NFS_EXPORT=$NFS_W/export
	NFS_MNT=$NFS_W/mnt
	mkdir -p "$NFS_EXPORT" "$NFS_MNT"
	mount -t tmpfs -o size=64m nfs-export "$NFS_EXPORT"
	chmod 1777 "$NFS_EXPORT"
	install -m 644 "$NFS_PKI/ca.pem" "$NFS_W/ca.pem"
	install -m 644 "$NFS_PKI/server-ec-chain.pem" "$NFS_W/server.pem"
	install -m 600 "$NFS_PKI/server-ec.key" "$NFS_W/server.key"
	install -m 644 "$NFS_PKI/client-chain.pem" "$NFS_W/client.pem"
	install -m 600 "$NFS_PKI/client.key" "$NFS_W/client.key"
	cat > "$NFS_W/tlshd.conf" <<-CONF
	[debug]
	loglevel=1
	tls=0
	nl=0

	[authenticate.client]
	x509.truststore= $NFS_W/ca.pem
	x509.certificate= $NFS_W/client.pem
	x509.private_key= $NFS_W/client.key

	[authenticate.server]
	x509.truststore= $NFS_W/ca.pem
	x509.certificate= $NFS_W/server.pem
	x509.private_key= $NFS_W/server.key
	CONF
	cat > "$NFS_W/handshaked.conf" <<-CONF
	[global]
	socket = $NFS_W/hsd.sock
	handshake_timeout = 60
	log_level = info
	workers = 2

	[trust]
	ca_file = $NFS_W/ca.pem

	[identity server]
	cert = $NFS_W/server.pem
	key = $NFS_W/server.key

	[identity client]
	cert = $NFS_W/client.pem
	key = $NFS_W/client.key

	[profile kclient]
	role = client
	identity = client

	[profile kserver]
	role = server
	identity = server
	verify = peer

	[access root]
	uid = 0
	profiles = *
	roles = client, server

	[kernel]
	enable = yes
	client = kclient
	server = kserver
	CONF
}

# nfs_agent_start tlshd|handshaked: the handshake agent, in the
# background, its log in $NFS_W/AGENT.log.
nfs_agent_start() {
	local i
	case "$1" in
	tlshd)
		"$TLSHD" -s -c "$NFS_W/tlshd.conf" 2>> "$NFS_W/tlshd.log" &
		NFS_AGENT_PID=$!
		;;
	handshaked)
		rm -f "$NFS_W/hsd.sock"
		"$NFS_HSD" -F -c "$NFS_W/handshaked.conf" \
			2>> "$NFS_W/handshaked.log" &
		NFS_AGENT_PID=$!
		;;
	*) echo "# unknown agent '$1' (tlshd or handshaked)"; return 1 ;;
	esac
	# Up once it has joined the handshake family's group (handshaked:
	# once its socket is there).
	for ((i = 0; i < 300; i++)); do
		kill -0 "$NFS_AGENT_PID" 2> /dev/null || break
		if [ "$1" = tlshd ] || [ -S "$NFS_W/hsd.sock" ]; then
			sleep 1
			kill -0 "$NFS_AGENT_PID" 2> /dev/null && return 0
			break
		fi
		sleep 0.1
	done
	echo "# $1 did not start: $(tail -n 5 "$NFS_W/$1.log")"
	NFS_AGENT_PID=""
	return 1
}

nfs_agent_stop() {
	[ -n "$NFS_AGENT_PID" ] || return 0
	kill "$NFS_AGENT_PID" 2> /dev/null
	wait "$NFS_AGENT_PID" 2> /dev/null
	NFS_AGENT_PID=""
}

# nfs_server_start: nfsd (NFSv4 only, TCP, 127.0.0.1) and mountd (the
# export cache only).
nfs_server_start() {
	mkdir -p /var/lib/nfs/v4recovery /run/rpc_pipefs
	: > /var/lib/nfs/etab
	: > /var/lib/nfs/rmtab
	mountpoint -q /proc/fs/nfsd || mount -t nfsd nfsd /proc/fs/nfsd ||
		return 1
	"$NFS_PEERS/rpc.mountd" -F -N 2 -N 3 > "$NFS_W/mountd.log" 2>&1 &
	NFS_MOUNTD_PID=$!
	"$NFS_PEERS/rpc.nfsd" -N 3 -U -H 127.0.0.1 -G 10 -L 10 2 \
		>> "$NFS_W/nfsd.log" 2>&1 || return 1
	# Nothing to reclaim on a fresh server: end the grace period now.
	echo Y > /proc/fs/nfsd/v4_end_grace 2>> "$NFS_W/nfsd.log"
	return 0
}

nfs_server_stop() {
	"$NFS_PEERS/exportfs" -ua > /dev/null 2>&1
	"$NFS_PEERS/rpc.nfsd" 0 > /dev/null 2>&1
	if [ -n "$NFS_MOUNTD_PID" ]; then
		kill "$NFS_MOUNTD_PID" 2> /dev/null
		wait "$NFS_MOUNTD_PID" 2> /dev/null
	fi
	NFS_MOUNTD_PID=""
}

# nfs_export MODES: export the tmpfs as the v4 root to 127.0.0.1 with
# xprtsec=MODES (tls, mtls, none, joined with ':'), replacing the export
# the kernel has cached.
nfs_export() {
	"$NFS_PEERS/exportfs" -ua > /dev/null 2>&1
	"$NFS_PEERS/exportfs" -i -o "rw,fsid=0,insecure,no_root_squash,$(
		)no_subtree_check,sec=sys,xprtsec=$1" "127.0.0.1:$NFS_EXPORT" \
		>> "$NFS_W/exportfs.log" 2>&1 || return 1
	"$NFS_PEERS/exportfs" -f >> "$NFS_W/exportfs.log" 2>&1
}

# nfs_mount XPRTSEC: mount the export over 127.0.0.1 with xprtsec=XPRTSEC
# (none, tls or mtls); fails rather than retries, within 120 s.
nfs_mount() {
	timeout -k 10 120 "$NFS_PEERS/mount.nfs4" "127.0.0.1:/" "$NFS_MNT" -n \
		-o "vers=4.2,proto=tcp,sec=sys,retry=0,timeo=600,$(
		)xprtsec=$1" >> "$NFS_W/mount.log" 2>&1
}

nfs_umount() {
	timeout -k 10 120 umount "$NFS_MNT" >> "$NFS_W/mount.log" 2>&1
}

# nfs_cleanup: everything nfs_setup and the rest started, in reverse.
nfs_cleanup() {
	[ -n "$NFS_W" ] || return 0
	mountpoint -q "$NFS_MNT" && umount -f "$NFS_MNT" 2> /dev/null
	nfs_server_stop
	nfs_agent_stop
	umount "$NFS_EXPORT" 2> /dev/null
	rm -rf "$NFS_W"
	NFS_W=""
}
