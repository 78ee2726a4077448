# SPDX-License-Identifier: MIT
#
# lib.sh - what the integration scripts share: result counting in one
# format, "ok - NAME", "FAIL - NAME: why", "skip - NAME: why", closed by
# "NAME: N passed, N failed, N skipped".

T_PASS=0
T_FAIL=0
T_SKIP=0
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$TOP/build/bin

t_ok() { echo "ok - $1"; T_PASS=$((T_PASS + 1)); }
t_fail() { echo "FAIL - $1${2:+: $2}"; T_FAIL=$((T_FAIL + 1)); }
t_skip() { echo "skip - $1: $2"; T_SKIP=$((T_SKIP + 1)); }

# The tier's own output, for notes written from inside $(...) or with the
# output sent elsewhere.
exec {T_OUT}>&1

# Time limits.  The tiers run under TCG emulation on machines with two busy
# cores, where one step can take ten times its usual time: limits are
# generous, and a limit that is reached names the step, not only the check
# that fails after it.
#
# t_timeout SECS COMMAND...: COMMAND under a time limit of SECS seconds.
t_timeout() {
	local secs=$1 rc
	shift
	timeout -k 10 "$secs" "$@"
	rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "# time limit: stopped after $secs s: ${*##*/}" >&"$T_OUT"
	fi
	return "$rc"
}

# t_wait SECS WHAT TEST...: wait up to SECS seconds for TEST to succeed;
# when it does not, say what was awaited.
t_wait() {
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	echo "# time limit: no $what after $secs s" >&"$T_OUT"
	return 1
}

# t_check NAME COMMAND...: one check that passes when COMMAND succeeds.
t_check() {
	local name=$1
	shift
	if "$@"; then
		t_ok "$name"
	else
		t_fail "$name"
	fi
}

# quiet COMMAND...: COMMAND with its output dropped, for t_check: a
# redirection after t_check would drop the check's own ok or FAIL line.
quiet() { "$@" > /dev/null; }

# t_summary TIER: the closing line; the status says whether all passed.
t_summary() {
	echo "$1: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	[ "$T_FAIL" -eq 0 ]
}

# Kernel release as a comparable number: 6.12.117 -> 6012117.
# unit_tests DIR - the unit-test programs in DIR (build/tests or
# build/asan/tests) of the sources tests/unit/test_*.c has now, so that a
# program left over from a renamed or split test file never runs (and is
# never counted) again; a missing one is listed anyway and fails where it
# is run.
unit_tests() {
	local src
	for src in "$TOP"/tests/unit/test_*.c; do
		src=${src##*/}
		echo "$1/${src%.c}"
	done
}

kernel_number() {
	local r=${1:-$(uname -r)}
	r=${r%%[-+]*}
	awk -F. '{ printf "%d\n", $1 * 1000000 + $2 * 1000 + $3 }' <<< "$r"
}

# Sanitizer and valgrind settings: a report makes the run fail.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=97
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98
VG=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99)

REPORT='ERROR: (Address|Leak)Sanitizer|runtime error:|==[0-9]+== '

# run_clean NAME COMMAND...: passes when COMMAND exits 0 (or 1 for
# ktls-probe on a kernel without kTLS, with ALLOW1=1 set) and printed no
# sanitizer or valgrind report.
run_clean() {
	local name=$1 rc log
	shift
	log=$(mktemp)
	"$@" > /dev/null 2> "$log"
	rc=$?
	if [ "$rc" -eq 0 ] || { [ "$rc" -eq 1 ] && [ "${ALLOW1:-0}" = 1 ]; }; then
		if grep -qE "$REPORT" "$log"; then
			t_fail "$name" "$(grep -m 3 -E "$REPORT" "$log")"
		else
			t_ok "$name"
		fi
	else
		t_fail "$name" "exit $rc: $(tail -n 5 "$log")"
	fi
	rm -f "$log"
}

# check_line NAME PATTERN FILE: a check that FILE has a line matching
# PATTERN (extended regex); the failure shows FILE's last lines.
check_line() {
	if grep -qE -- "$2" "$3"; then
		t_ok "$1"
	else
		t_fail "$1" "no '$2' in: $(tail -n 4 "$3" | tr '\n' '|')"
	fi
}

# Servers of the TLS tiers.  start_server ARGS... runs "${SRV[@]}" ARGS
# in the background on a free port, logging to $W/srv.log, and sets SPID
# and PORT once it listens (up to 60 s).  stop_server then waits for a
# --count server to finish by itself (up to 120 s), and gives any other
# server 10 s to log its last connection; then it kills it.
start_server() {
	rm -f "$W/ready"
	"${SRV[@]}" --ready-file "$W/ready" "$@" 0 2> "$W/srv.log" &
	SPID=$!
	SCOUNT=0
	case " $* " in *" --count "*) SCOUNT=1 ;; *) ;; esac
	t_wait 60 "ready file from server ${SRV[0]##*/} $*" \
		test -s "$W/ready"
	PORT=$(cat "$W/ready" 2> /dev/null)
}

stop_server() {
	local secs=10 i
	[ "${SCOUNT:-0}" = 1 ] && secs=120
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$SPID" 2> /dev/null || break
		sleep 0.1
	done
	if [ "${SCOUNT:-0}" = 1 ] && kill -0 "$SPID" 2> /dev/null; then
		echo "# time limit: the --count server had not finished" \
			"after $secs s; killed" >&"$T_OUT"
	fi
	kill "$SPID" 2> /dev/null
	wait "$SPID" 2> /dev/null
	SPID=
}

# port_state PORT [STATE]: whether a TCP socket on local port PORT exists
# (in hex state STATE, 0A = LISTEN, if given), read from /proc/net/tcp{,6}
# rather than ss, whose filters matched nothing inside the VM.
port_state() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v port="$hex" -v st="${2:-}" \
		'FNR > 1 { split($2, a, ":"); if (a[2] == port && (st == "" || $4 == st)) f = 1 }
		END { exit !f }' /proc/net/tcp /proc/net/tcp6 2> /dev/null
}

# A free TCP port on loopback for peer servers (openssl, gnutls): below the
# ephemeral range (32768 and up), so that no outgoing connection of this
# machine holds it, and in no state at all right now.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		port_state "$p" || { echo "$p"; return; }
	done
}

# wait_port PORT: wait up to 60 s for a listener on PORT.
listening() { port_state "$1" 0A; }
wait_port() {
	t_wait 60 "listener on port $1" listening "$1"
}
