#!/bin/bash
# netns-hosts.sh - simulate N "hosts" on one Linux machine with network
# namespaces and run Open MPI jobs across them over TCP, without ssh. The
# multi-host tests use it; docs/mpi.md gives the same job on a real cluster.
#
# Topology (nothing is added to the root network namespace):
#
#   netns ${P}sw : bridge "br0" + veth ends "h0".."h{N-1}"  (the "switch")
#   netns ${P}K  : veth "eth0" = ${SUBNET}.(K+1)/24, plus "lo" up
#
# Every process started on host K runs in netns ${P}K *and* in a private
# UTS namespace whose hostname is "${P}K", so Open MPI sees N distinct
# hosts (distinct node names, distinct session dirs under /tmp).
# The mount namespace (/tmp, /dev/shm) and PID namespace stay shared.
#
# Usage (as root):
#   netns-hosts.sh up N                      create N hosts (replaces any old set)
#   netns-hosts.sh down                      remove everything (idempotent)
#   netns-hosts.sh status                    show hosts, addresses, processes
#   netns-hosts.sh exec K -- cmd args...     run cmd on host K
#   netns-hosts.sh job N NP [opts] -- cmd args...
#                                            up N, run-mpi NP ..., down, in one
#                                            go (down also when the job fails)
#   netns-hosts.sh run-mpi NP [opts] -- cmd args...
#        opts: --slots K   slots per host in the hostfile (default 2)
#              --hosts H   use only the first H hosts (default: all)
#              any other option up to "--" is passed to mpirun verbatim
#   netns-hosts.sh rsh-agent HOST cmd...     (internal: the plm_rsh_agent)
#
# Environment knobs:
#   NETNS_PREFIX   namespace/host-name prefix (default tpns)
#   NETNS_SUBNET   first three octets of the /24 (default 10.201.0)
#   NETNS_MAP_BY   mpirun --map-by value (default node: round-robin over
#                  hosts, so even np=2 spans two hosts)
#   NETNS_BTL      btl list (default tcp,self; "tcp,vader,self" is also safe:
#                  vader is only ever selected between ranks on the same host)
#   NETNS_WORKDIR  where the hostfile goes (default /tmp/netns-mpi-$PREFIX)
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
P=${NETNS_PREFIX:-tpns}
SUBNET=${NETNS_SUBNET:-10.201.0}
SW="${P}sw"
WORKDIR=${NETNS_WORKDIR:-/tmp/netns-mpi-$P}

die() { echo "netns-hosts: $*" >&2; exit 1; }

need_ip() {
    command -v ip >/dev/null 2>&1 && return 0
    echo "netns-hosts: installing iproute2" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q iproute2 >&2 \
        || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q iproute2 >&2; }
}

# host namespaces that currently exist, in numeric order
list_hosts() {
    ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${P}[0-9]+\$" | sort -V || true
}

ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$1"; }

kill_ns_procs() {   # SIGKILL everything still living in netns $1
    local ns=$1 pids
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -n "$pids" ] || return 0
    kill -9 $pids 2>/dev/null || true
    for _ in $(seq 50); do
        [ -z "$(ip netns pids "$ns" 2>/dev/null || true)" ] && return 0
        sleep 0.1
    done
    echo "netns-hosts: warning: processes still alive in $ns: $(ip netns pids "$ns" | tr '\n' ' ')" >&2
}

cmd_down() {
    need_ip
    local ns
    for ns in $(list_hosts) $(ns_exists "$SW" && echo "$SW"); do
        kill_ns_procs "$ns"
        ip netns del "$ns" 2>/dev/null || true
    done
    # session dirs of the fake hosts (their hostnames are ${P}K)
    # (left behind only if mpirun itself was SIGKILLed)
    rm -rf /tmp/ompi."${P}"[0-9]*.* 2>/dev/null || true
    rm -f "$WORKDIR/hostfile"; rmdir "$WORKDIR" 2>/dev/null || true
}

cmd_up() {
    local n=${1:-}
    [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 250 ] || die "up: need N in 1..250"
    need_ip
    cmd_down
    ip netns add "$SW"
    ip -n "$SW" link set lo up
    ip -n "$SW" link add br0 type bridge
    ip -n "$SW" link set br0 up
    local k ns
    for ((k = 0; k < n; k++)); do
        ns="${P}${k}"
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        # create the pair inside the host ns, then move the peer to the switch
        ip -n "$ns" link add eth0 type veth peer name "h$k"
        ip -n "$ns" link set "h$k" netns "$SW"
        ip -n "$SW" link set "h$k" master br0
        ip -n "$SW" link set "h$k" up
        ip -n "$ns" addr add "${SUBNET}.$((k + 1))/24" dev eth0
        ip -n "$ns" link set eth0 up
    done
    mkdir -p "$WORKDIR"
    # check L2/L3 reachability from host 0 to every host without needing
    # ping: a TCP connect to the discard port gets "Connection refused" (RST)
    # from a reachable peer, and hangs or "No route to host" otherwise.
    for ((k = 1; k < n; k++)); do
        reachable "${P}0" "${SUBNET}.$((k + 1))" || die "up: ${P}0 cannot reach ${SUBNET}.$((k + 1))"
    done
    echo "netns-hosts: $n hosts up: $(list_hosts | tr '\n' ' ')(subnet ${SUBNET}.0/24)"
}

reachable() {   # reachable NS ADDR
    local out
    for _ in 1 2 3 4 5; do
        out=$(ip netns exec "$1" timeout 2 bash -c "exec 3<>/dev/tcp/$2/9" 2>&1) && return 0
        case $out in *refused*) return 0 ;; esac
        sleep 0.2
    done
    return 1
}

cmd_status() {
    need_ip
    local ns
    for ns in $(list_hosts) $(ns_exists "$SW" && echo "$SW"); do
        echo "== $ns: $(ip -n "$ns" -4 -o addr show | awk '$2!="lo"{print $2, $4}' | tr '\n' ' ')"
        echo "   pids: $(ip netns pids "$ns" | tr '\n' ' ')"
    done
}

# host name ("tpnsK" or its address) -> namespace name
host_to_ns() {
    local h=$1
    if [[ "$h" =~ ^${P}[0-9]+$ ]]; then echo "$h"; return; fi
    if [[ "$h" =~ ^[0-9]+$ ]]; then echo "${P}$h"; return; fi
    if [[ "$h" == "${SUBNET}."* ]]; then echo "${P}$(( ${h##*.} - 1 ))"; return; fi
    die "rsh-agent: unknown host '$h'"
}

# run argv on host K: netns + private UTS ns with hostname set
exec_on() {
    local ns=$1; shift
    ns_exists "$ns" || die "no such host namespace: $ns"
    exec ip netns exec "$ns" unshare --uts -- \
        /bin/sh -c 'if command -v hostname >/dev/null 2>&1; then hostname "$0"
                    else printf %s "$0" > /proc/sys/kernel/hostname; fi && exec "$@"' "$ns" "$@"
}

# plm_rsh_agent: called by mpirun/orted as  AGENT HOST word word ...
# The words are meant for a remote shell (ssh semantics: joined with spaces
# and parsed by sh, e.g. -mca orte_hnp_uri "id;tcp://...").
cmd_rsh_agent() {
    # Open MPI only adds ssh options (-x) when the agent is called "ssh";
    # skip any leading options anyway
    while [[ "${1:-}" == -* ]]; do shift; done
    local host=${1:?rsh-agent: no host}; shift
    exec_on "$(host_to_ns "$host")" /bin/sh -c "$*"
}

cmd_exec() {
    local k=${1:-}; shift || true
    [ "${1:-}" = "--" ] && shift
    [ $# -gt 0 ] || die "exec: need a command"
    exec_on "$(host_to_ns "$k")" "$@"
}

cmd_run_mpi() {
    local np=${1:-}; shift || true
    [[ "$np" =~ ^[0-9]+$ ]] || die "run-mpi: need NP"
    local slots=2 nhosts="" extra=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        case $1 in
            --slots) slots=$2; shift 2 ;;
            --hosts) nhosts=$2; shift 2 ;;
            *) extra+=("$1"); shift ;;
        esac
    done
    [ "${1:-}" = "--" ] && shift
    [ $# -gt 0 ] || die "run-mpi: need -- cmd args"
    need_ip
    local hosts
    hosts=$(list_hosts)
    [ -n "$hosts" ] || die "run-mpi: no hosts; run '$0 up N' first"
    [ -n "$nhosts" ] && hosts=$(echo "$hosts" | head -n "$nhosts")
    mkdir -p "$WORKDIR"
    local hf="$WORKDIR/hostfile" h
    : > "$hf"
    for h in $hosts; do echo "$h slots=$slots" >> "$hf"; done

    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    # Defaults go in as OMPI_MCA_* environment variables, not --mca options:
    # mpirun refuses an MCA parameter given twice on its command line, and a
    # --mca in the caller's options overrides the environment.  mpirun also
    # copies OMPI_MCA_* from its environment onto the orted command line.
    export OMPI_MCA_plm=rsh
    export OMPI_MCA_plm_rsh_agent="$SELF rsh-agent"
    export OMPI_MCA_plm_rsh_no_tree_spawn=1
    export OMPI_MCA_oob_tcp_if_include="${SUBNET}.0/24"
    export OMPI_MCA_btl="${NETNS_BTL:-tcp,self}"
    export OMPI_MCA_btl_tcp_if_include="${SUBNET}.0/24"
    export OMPI_MCA_pml=ob1
    # all "hosts" share the same cores: don't let each orted pin its ranks
    export OMPI_MCA_hwloc_base_binding_policy=none
    # the rsh agent (a child of mpirun) must see the same prefix/subnet
    export NETNS_PREFIX="$P" NETNS_SUBNET="$SUBNET"
    # mpirun runs on the first host (netns ${P}0, hostname ${P}0)
    exec_on "$(echo "$hosts" | head -n1)" mpirun \
        --hostfile "$hf" -np "$np" \
        --map-by "${NETNS_MAP_BY:-node}" \
        -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM \
        "${extra[@]}" "$@"
}

cmd_job() {
    local n=${1:-}; shift || true
    cmd_up "$n" >/dev/null
    trap cmd_down EXIT
    # Not exec'd: the trap must run when mpirun returns.
    local rc=0
    ( cmd_run_mpi "$@" ) || rc=$?
    return $rc
}

[ "$(id -u)" = 0 ] || die "must run as root"
sub=${1:-}; shift || true
case $sub in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    exec) cmd_exec "$@" ;;
    run-mpi) cmd_run_mpi "$@" ;;
    job) cmd_job "$@" ;;
    rsh-agent) cmd_rsh_agent "$@" ;;
    *) sed -n '2,/^set -euo/p' "$SELF" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
esac
