#!/usr/bin/env bash
# Runs a charrnn command as 2 MPI ranks on two hosts made on this machine: two network namespaces (each with its
# own hostname, through a UTS namespace) joined by a veth pair, with Open MPI's TCP transport between their
# addresses in a private /24 and an rsh agent that enters a namespace instead of ssh. Real separate network
# stacks, for testing what crosses a network; the namespaces are removed when it ends. Needs root, iproute2,
# util-linux's unshare and Open MPI.
#
# usage: scripts/mpi-two-hosts.sh CHARRNN ARGUMENTS…   (e.g. .build/debug/charrnn train corpus.txt -o runs/x)
set -euo pipefail
[ $# -ge 1 ] || { sed -n 8p "$0" >&2; exit 2; }
id=$$
subnet=10.199.$((id % 200 + 20))
h1=crnn-h1-$id h2=crnn-h2-$id
work=$(mktemp -d)
cleanup() {
    ip netns del "$h1" 2>/dev/null || true
    ip netns del "$h2" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$h1"
ip netns add "$h2"
ip link add "cv1-$id" type veth peer name "cv2-$id"
ip link set "cv1-$id" netns "$h1"
ip link set "cv2-$id" netns "$h2"
ip -n "$h1" addr add "$subnet.1/24" dev "cv1-$id"
ip -n "$h2" addr add "$subnet.2/24" dev "cv2-$id"
for ns in "$h1" "$h2"; do
    ip -n "$ns" link set lo up
done
ip -n "$h1" link set "cv1-$id" up
ip -n "$h2" link set "cv2-$id" up
# The agent mpirun calls as `AGENT HOST COMMAND…` to start its daemon on the second host.
cat > "$work/agent" <<AGENT
#!/bin/sh
host=\$1; shift
case "\$host" in
    $subnet.1) ns=$h1 ;;
    $subnet.2) ns=$h2 ;;
    *) echo "mpi-two-hosts: unknown host \$host" >&2; exit 1 ;;
esac
exec ip netns exec "\$ns" unshare --uts sh -c "hostname \$ns; \$*"
AGENT
chmod +x "$work/agent"
printf '%s slots=1\n%s slots=1\n' "$subnet.1" "$subnet.2" > "$work/hosts"
# mpirun runs on the first host; quoting each argument for the shell that sets its hostname.
command=$(printf ' %q' "$@")
ip netns exec "$h1" unshare --uts sh -c "hostname $h1; exec mpirun --allow-run-as-root --hostfile $work/hosts -np 2 \
    --mca plm_rsh_agent $work/agent --mca btl self,tcp --mca btl_tcp_if_include $subnet.0/24 \
    --mca oob_tcp_if_include $subnet.0/24 -q $command"
