#!/bin/bash
# tests/fresh/run.sh — the README's first run, on a fresh Debian 12 machine.
#
# A machine that already holds the project's packages cannot see a build that
# only works the second time (issue 14: LDLIBS was computed before the deps
# step installed pkg-config and the -dev packages). This script makes the
# machine fresh again, every run:
#
#   1. base root: debootstrap --variant=minbase bookworm, plus build-essential
#      and git, nothing else (the issue's "minbase + build-essential + git").
#      Kept as build/fresh/base.tar.gz to save the ~2 minutes of debootstrap
#      on reruns (--no-cache rebuilds it); the tarball never holds a package
#      the project installs itself, so every run starts from the same state.
#   2. root: the tarball unpacked in build/fresh/root, /proc, /sys and a
#      tmpfs /dev/shm mounted (no host /dev bind: debootstrap made the device
#      nodes, so nothing in the root reaches the host's /dev), the host's
#      resolv.conf copied for apt, and a policy-rc.d that keeps apt from
#      starting services (the postgresql package would start a server on 5432
#      in the host's network; the tests start their own).
#   3. checkout: `git bundle` of the committed HEAD (or --rev), cloned inside
#      with the root's git; the working tree's uncommitted changes are not
#      seen, as on a machine that clones the repository.
#   4. the README's two commands, in order, as root in the clone:
#      `make demo </dev/null` (no terminal: loads, prints the URL, exits and
#      leaves the cluster up), a count(*) through psql, `murphy local stop`,
#      then `make test`. The first failing step ends the run (exit 1).
#
# On exit (any exit: trap) the demo cluster is stopped, every process whose
# root is the fresh root is ended by its pid, the mounts are undone in
# reverse order, and the root is removed (--keep leaves it for a look; the
# mounts are undone either way). Logs stay in build/fresh/log/.
set -euo pipefail

SUITE=bookworm
MIRROR=${FRESH_MIRROR:-http://deb.debian.org/debian}
BASE_PKGS="build-essential git"
# one step's ceiling; `make test` on a busy 2-core machine takes ~15 minutes
STEP_TIMEOUT_S=${FRESH_STEP_TIMEOUT_S:-5400}
# rows the demo loads (murphy demo's default); psql must count them back
DEMO_EVENTS=1000000

usage() {
	cat <<EOF
usage: tests/fresh/run.sh [--rev REV] [--no-cache] [--keep] [--skip-demo] [--make-flags FLAGS]

Builds a Debian 12 minbase root (debootstrap; + build-essential + git), clones
the committed REV (default HEAD) into it and runs the README's \`make demo\`
(non-interactively) and \`make test\` there. Needs root and network to
$MIRROR. Several minutes; logs in build/fresh/log/.

  --rev REV          commit to test (a ref, or a commit reachable from HEAD)
  --no-cache         debootstrap anew instead of unpacking build/fresh/base.tar.gz
  --keep             leave build/fresh/root in place (mounts are undone anyway)
  --skip-demo        only \`make test\` (the README's second command, run first)
  --make-flags FLAGS extra make flags for both commands, e.g. -j2
EOF
}

REPO=$(cd "$(dirname "$0")/../.." && pwd)
REV=HEAD
CACHE=1
KEEP=0
SKIP_DEMO=0
MAKE_FLAGS=""
parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--rev) REV=$2; shift ;;
		--no-cache) CACHE=0 ;;
		--keep) KEEP=1 ;;
		--skip-demo) SKIP_DEMO=1 ;;
		--make-flags) MAKE_FLAGS=$2; shift ;;
		-h|--help) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
	done
}

WORK=$REPO/build/fresh
ROOT=$WORK/root
BASE_TAR=$WORK/base.tar.gz
LOG=$WORK/log
CLONE=/root/murphy
T_START=$(date +%s)
SUMMARY=""
MOUNTS=()

say() { printf '== fresh: %s\n' "$*"; }
die() { printf '== fresh: FAIL: %s\n' "$*" >&2; exit 1; }

# A command inside the root, with a fresh machine's environment (no MAKEFLAGS
# or PATH of the caller leaks in).
in_root() {
	env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		chroot "$ROOT" /bin/bash -c "$1"
}

mount_in_root() { # TYPE SOURCE DIR [OPTIONS]
	mkdir -p "$ROOT/$3"
	mount -t "$1" ${4:+-o "$4"} "$2" "$ROOT/$3"
	MOUNTS+=("$ROOT/$3")
}

# A port P with P .. P+COUNT-1 bound by no TCP socket now, below the
# ephemeral range (as tests/cluster/pgserver.py's free_port; no python here:
# the host may be as bare as the root).
free_ports() { # COUNT
	local used base p
	used=" $(tail -q -n +2 /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		while read -r _ local _; do printf '%d ' $((16#${local##*:})); done)"
	for _ in $(seq 200); do
		base=$((20000 + RANDOM % 12000))
		for ((p = base; p < base + $1; p++)); do
			[[ $used == *" $p "* ]] && continue 2
		done
		echo "$base"
		return 0
	done
	die "no $1 free ports"
}

mounted_under_root() { grep -F " $ROOT/" /proc/self/mountinfo | awk '{print $5}' || true; }

# Every process whose root directory is the fresh root, by pid (the demo
# cluster if `murphy local stop` failed, a PostgreSQL a test left behind).
root_pids() {
	local p r
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		[ "$r" = "$ROOT" ] && echo "${p#/proc/}"
	done
	return 0
}

stop_root_processes() {
	local pids sig
	for sig in TERM KILL; do
		mapfile -t pids < <(root_pids)
		[ ${#pids[@]} -gt 0 ] || return 0
		say "ending processes left in the root ($sig): ${pids[*]}"
		kill -"$sig" "${pids[@]}" 2>/dev/null || true
		sleep 3
	done
}

cleanup() {
	local rc=$? i
	set +e
	if [ -x "$ROOT$CLONE/build/murphy" ] && [ -d "$ROOT$CLONE/murphy-demo" ]; then
		in_root "cd $CLONE && build/murphy local stop --dir murphy-demo" >>"$LOG/cleanup.log" 2>&1
	fi
	stop_root_processes
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${MOUNTS[i]}" || umount -l "${MOUNTS[i]}"
	done
	if [ -n "$(mounted_under_root)" ]; then
		echo "== fresh: still mounted under $ROOT, not removing it:" >&2
		mounted_under_root >&2
	elif [ "$KEEP" = 0 ]; then
		rm -rf --one-file-system "$ROOT"
	fi
	printf '\n== fresh: summary (%s, %s)\n%b' "$(git -C "$REPO" log --oneline -1 "$SHA" | cut -c1-70)" \
		"$([ "$rc" = 0 ] && echo PASS || echo FAIL)" "$SUMMARY"
	printf '   total %ds; logs in %s\n' "$(($(date +%s) - T_START))" "$LOG"
	exit "$rc"
}

# STEP NAME COMMAND-IN-ROOT: run, log to $LOG/NAME.log (and the terminal),
# record the time; a failure ends the run.
step() {
	local name=$1 cmd=$2 t0 rc
	t0=$(date +%s)
	say "$name: $cmd"
	set +e
	in_root "timeout $STEP_TIMEOUT_S bash -c '$cmd'" </dev/null 2>&1 | tee "$LOG/$name.log"
	rc=${PIPESTATUS[0]}
	set -e
	SUMMARY+=$(printf '   %-6s %-4s %5ds  %s' "$name" "$([ "$rc" = 0 ] && echo ok || echo FAIL)" \
		"$(($(date +%s) - t0))" "$cmd")"\n"
	if [ "$rc" != 0 ]; then
		SUMMARY+=$(grep -m 5 -E "undefined reference|error:|Error [0-9]|FAILED|failed" \
			"$LOG/$name.log" | cut -c1-150 | sed 's/^/   > /; s/$/\\n/' | tr -d '\n' || true)
		die "$name failed (exit $rc); see $LOG/$name.log"
	fi
}

build_base() {
	local t0
	t0=$(date +%s)
	command -v debootstrap >/dev/null || {
		say "installing debootstrap"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap
	}
	say "debootstrap --variant=minbase $SUITE (log: $LOG/base.log)"
	debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$LOG/base.log" 2>&1 ||
		die "debootstrap failed; see $LOG/base.log"
	cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
EOF
	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
	mount_in_root proc proc proc
	say "adding $BASE_PKGS"
	in_root "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $BASE_PKGS \
		&& apt-get clean" >>"$LOG/base.log" 2>&1 || die "installing $BASE_PKGS failed; see $LOG/base.log"
	umount "$ROOT/proc"
	MOUNTS=()
	tar -C "$ROOT" --numeric-owner -czf "$BASE_TAR.tmp" . && mv "$BASE_TAR.tmp" "$BASE_TAR"
	SUMMARY+=$(printf '   %-6s %-4s %5ds  %s' base ok "$(($(date +%s) - t0))" \
		"debootstrap minbase + $BASE_PKGS")"\n"
}

# The whole run is one function, called on the last line: bash has read the
# file to the end before it starts, so editing the script while a run goes on
# cannot change that run.
main() {
	parse_args "$@"
	[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot and mount need it)"
	SHA=$(git -C "$REPO" rev-parse --verify "$REV^{commit}") || die "no commit $REV"
	mkdir -p "$WORK" "$LOG"
	rm -f "$LOG"/*.log
	[ -z "$(mounted_under_root)" ] || die "mounts left under $ROOT from an earlier run; umount them first"
	rm -rf --one-file-system "$ROOT"
	trap cleanup EXIT
	trap 'exit 130' INT TERM

	if [ "$CACHE" = 1 ] && [ -f "$BASE_TAR" ]; then
		say "base root from $BASE_TAR (minbase + $BASE_PKGS; --no-cache rebuilds it)"
		mkdir -p "$ROOT"
		local t0=$SECONDS
		tar -C "$ROOT" --numeric-owner -xzf "$BASE_TAR"
		SUMMARY+=$(printf '   %-6s %-4s %5ds  %s' base ok $((SECONDS - t0)) "unpack $BASE_TAR")"\n"
	else
		build_base
	fi

	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
	printf '#!/bin/sh\n# tests/fresh: apt must not start services in this root\nexit 101\n' \
		>"$ROOT/usr/sbin/policy-rc.d"
	chmod 755 "$ROOT/usr/sbin/policy-rc.d"
	mount_in_root proc proc proc
	mount_in_root sysfs sysfs sys
	mount_in_root tmpfs shm dev/shm mode=1777

	# The committed tree only: a bundle of HEAD and REV, cloned by the root's git.
	git -C "$REPO" bundle create "$ROOT/tmp/murphy.bundle" HEAD "$REV" 2>"$LOG/bundle.log" ||
		die "git bundle failed; see $LOG/bundle.log"
	step clone "git clone -q /tmp/murphy.bundle $CLONE && cd $CLONE && git -c advice.detachedHead=false checkout -q $SHA && git log --oneline -1"

	# the demo's default port may be taken on a shared host: pick free ones
	# (the demo takes P .. P+followers+1)
	DEMO_PORT=$(free_ports 5)
	if [ "$SKIP_DEMO" = 0 ]; then
		step demo "cd $CLONE && make $MAKE_FLAGS demo DEMO_ARGS=\"--pg-port $DEMO_PORT\""
		step query "cd $CLONE && n=\$(PGPASSWORD=\$(cat murphy-demo/password) psql -h 127.0.0.1 -p $DEMO_PORT -U murphy -Atc \"SELECT count(*) FROM events\" murphy) && echo events: \$n && [ \"\$n\" = $DEMO_EVENTS ]"
		step stop "cd $CLONE && build/murphy local stop --dir murphy-demo"
	fi
	step test "cd $CLONE && make $MAKE_FLAGS test"
	say "PASS"
}

main "$@"
