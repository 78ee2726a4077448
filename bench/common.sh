# SPDX-License-Identifier: MIT
#
# common.sh - what the native benchmarks (handshake-rate --native,
# record-throughput) share; sourced, not run.

# wolfssl_of BUILD: the wolfSSL a build tree's libktls runs on: Debian's
# shared library (WOLFSSL=system), or the project's, linked in.
wolfssl_of() {
	local lib=$1/lib/libktls.so own v
	if ldd "$lib" 2> /dev/null | grep -q libwolfssl; then
		v=$(dpkg-query -W -f='${Version}\n' 'libwolfssl[0-9]*' 2> /dev/null |
			grep -m 1 .)
		echo "wolfSSL ${v%%-*} (Debian)"
	else
		# wolfSSL_lib_version()'s string; libktls's own is the other one
		own=$("$1/bin/ktls-server" -V 2> /dev/null | awk '{ print $2 }')
		v=$(strings "$lib" 2> /dev/null |
			grep -xE '[0-9]+\.[0-9]+\.[0-9]+' | grep -vxF "${own:-none}" |
			head -n 1)
		echo "wolfSSL ${v:-?} (project)"
	fi
}

# stats DECIMALS: median, lowest and highest of the numbers on stdin,
# whitespace-separated ("- - -" for none, or when a run failed: 0).
stats() {
	tr -s ' \t' '\n\n' | grep . | sort -g | awk -v d="$1" '
		{ v[NR] = $1; if ($1 <= 0) bad = 1 }
		END { if (!NR || bad) { print "- - -"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		f = "%." d "f %." d "f %." d "f\n"
		printf f, m, v[1], v[NR] }'
}

# ratio A B: A / B with two decimals, "-" when either is missing.
ratio() {
	awk -v a="$1" -v b="$2" \
		'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "-" }'
}
