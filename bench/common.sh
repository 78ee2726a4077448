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
# whitespace-separated, and how many runs failed (a 0): "- - - N" when
# every run failed.  A failed run is left out of the figures, and counted.
stats() {
	tr -s ' \t' '\n\n' | grep . | sort -g | awk -v d="$1" '
		$1 <= 0 { bad++; next }
		{ v[++n] = $1 }
		END { if (!n) { print "- - - " bad + 0; exit }
		m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		f = "%." d "f %." d "f %." d "f %d\n"
		printf f, m, v[1], v[n], bad }'
}

# cell MEDIAN LOW HIGH FAILED: "median (low-high)", with "[N failed]".
cell() {
	local c="$1 ($2-$3)"
	[ "$1" = - ] && c=-
	[ "${4:-0}" -gt 0 ] && c="$c [$4 failed]"
	echo "$c"
}

# ratio A B: A / B with two decimals, "-" when either is missing.
ratio() {
	awk -v a="$1" -v b="$2" \
		'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "-" }'
}
