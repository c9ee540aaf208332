#!/usr/bin/env bash
# Two hosts on one machine, for data-parallel runs that cross a network: two network namespaces
# (NAME-a, NAME-b) joined by a veth pair whose ends, both called eng0, carry 10.231.0.1 and
# 10.231.0.2. Those addresses exist only inside the two namespaces, which have no other interface
# but their loopback and no route out: nothing else is ever contacted. MPICH's Hydra runs in NAME-a
# and starts one rank on each address of a hostfile; this script is its launcher (in place of
# ssh), starting the remote proxy with `ip netns exec NAME-b`. Ranks talk over TCP on eng0 (UCX
# would otherwise see one machine and use shared memory). Every rank sees the same file system,
# as a cluster's ranks see a shared one. Needs root and iproute2.
#
# Usage:
#   scripts/two-hosts.sh run -- CMD...     make the two hosts, run CMD in NAME-a as a two-host
#                                          launch (mpiexec there uses the hostfile), remove them
#                                          on exit whatever happens (trap)
#   scripts/two-hosts.sh up NAME           make them (first removing those left by dead owners)
#   scripts/two-hosts.sh exec NAME -- CMD  run CMD in NAME-a with Hydra and UCX set for two hosts
#   scripts/two-hosts.sh down NAME         end the processes left in them and remove them
# NAME ends with the owning process's id (e.g. eng-4242-1): `up` removes namespaces of this
# form whose owner has ended, so a killed owner leaves nothing behind past the next `up`.
#
# Example (a two-rank run across the two hosts; build first, the ranks must not build):
#   scripts/two-hosts.sh run -- mpiexec -n 2 -genv DOTNET_PROCESSOR_COUNT 1 \
#     dotnet src/Cli/bin/Release/net10.0/Engine.Cli.dll train resnet -b 32 -o /tmp/two-hosts-run
set -euo pipefail
SELF=$(readlink -f "$0")
A_ADDRESS=10.231.0.1
B_ADDRESS=10.231.0.2
IFACE=eng0

die() { echo "two-hosts.sh: $*" >&2; exit 1; }

need_tools() {
  command -v ip >/dev/null || die "needs iproute2's ip (Debian: apt-get install iproute2)"
  [ "$(id -u)" = 0 ] || die "needs root to make network namespaces"
}

hostfile() { echo "${TMPDIR:-/tmp}/$1.hosts"; }

down() {
  local name=$1 ns pids
  for ns in "$name-a" "$name-b"; do
    if ip netns list 2>/dev/null | grep -qx "$ns\( .*\)\?"; then
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      # shellcheck disable=SC2086 # one id per word
      [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
  rm -f "$(hostfile "$name")"
}

# Namespaces named PREFIX-PID-N-a|b whose owner PID has ended (a test or script killed before its clean-up).
sweep() {
  local ns owner
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^[a-z]+-[0-9]+-[0-9a-z]+-[ab]$' || true); do
    owner=$(echo "$ns" | awk -F- '{print $2}')
    [ -d "/proc/$owner" ] || down "${ns%-?}"
  done
  # A host file whose owner ended after its namespaces went (killed between the two removals).
  local file
  for file in "${TMPDIR:-/tmp}"/*.hosts; do
    [[ "$(basename "$file")" =~ ^[a-z]+-([0-9]+)-[0-9a-z]+\.hosts$ ]] || continue
    [ -d "/proc/${BASH_REMATCH[1]}" ] || rm -f "$file"
  done
}

up() {
  local name=$1
  [[ "$name" =~ ^[a-z]+-[0-9]+-[0-9a-z]+$ ]] || die "a name is letters-OWNERPID-ID (e.g. eng-$$-1), got '$name'"
  need_tools
  sweep
  down "$name"
  ip netns add "$name-a"
  ip netns add "$name-b"
  # Both ends are made inside the namespaces: nothing is added to the caller's network.
  ip link add "$IFACE" netns "$name-a" type veth peer name "$IFACE" netns "$name-b"
  ip -n "$name-a" addr add "$A_ADDRESS/24" dev "$IFACE"
  ip -n "$name-b" addr add "$B_ADDRESS/24" dev "$IFACE"
  for ns in "$name-a" "$name-b"; do
    # IPv4 alone: an IPv6 link-local address stays unusable for a second or two after the link
    # comes up (duplicate address detection), and a transport that picked it would fail.
    ip -n "$ns" link set "$IFACE" addrgenmode none
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "$IFACE" up
  done
  # A veth's carrier comes up a moment after both ends are set up; a rank connecting before then
  # finds the other host unreachable.
  local tries=0
  until ip -n "$name-a" -br link show "$IFACE" | grep -q ' UP ' && ip -n "$name-b" -br link show "$IFACE" | grep -q ' UP '; do
    tries=$((tries + 1))
    [ "$tries" -le 100 ] || die "the veth between $name-a and $name-b did not come up within 10 s"
    sleep 0.1
  done
  printf '%s:1\n%s:1\n' "$A_ADDRESS" "$B_ADDRESS" > "$(hostfile "$name")"
}

exec_in() {
  local name=$1; shift
  [ "${1:-}" = "--" ] && shift
  [ $# -gt 0 ] || die "exec: no command"
  ip netns list | grep -q "^$name-a\b" || die "no namespace $name-a: run '$0 up $name' first"
  # Hydra reads its host file, launcher and interface from these; UCX is held to TCP on eng0.
  exec ip netns exec "$name-a" env TWO_HOSTS_NAME="$name" \
    HYDRA_HOST_FILE="$(hostfile "$name")" HYDRA_LAUNCHER=ssh HYDRA_LAUNCHER_EXEC="$SELF" HYDRA_IFACE="$IFACE" \
    UCX_TLS=tcp,self UCX_NET_DEVICES="$IFACE" "$@"
}

# Called by Hydra as its ssh: [ssh options] HOST COMMAND... (one string for a remote shell).
launch() {
  local name=${TWO_HOSTS_NAME:?the launcher runs under '$0 exec'} host ns
  while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do shift; done
  host=${1:?no host}; shift
  case "$host" in
    "$A_ADDRESS") ns="$name-a" ;;
    "$B_ADDRESS") ns="$name-b" ;;
    *) die "unknown host '$host' (the hosts are $A_ADDRESS and $B_ADDRESS)" ;;
  esac
  exec ip netns exec "$ns" sh -c "$*"
}

case "${1:-}" in
  up) up "${2:?up NAME}" ;;
  down) down "${2:?down NAME}" ;;
  exec) shift; exec_in "${1:?exec NAME -- CMD}" "${@:2}" ;;
  run)
    shift; [ "${1:-}" = "--" ] && shift
    name="eng-$$-run"
    up "$name"
    trap 'down "$name"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
    # In the background and waited for: bash runs a trap only once a foreground command has ended,
    # but at once during wait. `down` ends whatever still runs in the namespaces.
    exec_in "$name" -- "$@" <&0 &
    set +e
    wait $!
    exit $? ;;
  "") die "usage: $0 run -- CMD | up NAME | exec NAME -- CMD | down NAME" ;;
  *) launch "$@" ;;
esac
