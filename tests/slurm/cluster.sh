#!/bin/bash
# A real single-node Slurm cluster on localhost for the Slurm tests (issue 10): installs the Debian
# packages if missing, writes slurm.conf into a state folder, starts munged, slurmctld and slurmd, and
# waits for the node to be idle; `stop` shuts it down and waits until the daemons are gone.
# Facts it relies on: slurm-wlm 22.05.8 and munge 0.5.15 from Debian 12, started without systemd.
# Reference: https://slurm.schedmd.com/slurm.conf.html
#
# The node offers CPUs=$(nproc) and two stand-in GPUs (gres.conf points them at /dev/null and /dev/zero).
# Usage: cluster.sh start [STATE_FOLDER]   prints SLURM_CONF=<path> on its last line (phase times go to stderr)
#        cluster.sh stop  [STATE_FOLDER]
# STATE_FOLDER defaults to /tmp/trajectorylab-slurm. Needs root. Ports 16817/16818 avoid a system Slurm.
set -euo pipefail

action=${1:-}
state=${2:-/tmp/trajectorylab-slurm}
conf="$state/slurm.conf"
ctld_port=16817
slurmd_port=16818
host=$(hostname -s)

now() { date +%s.%N; }
phase_start=$(now)
phase() { # phase NAME: prints the time since the previous phase ended
    local t; t=$(now)
    awk -v n="$1" -v a="$phase_start" -v b="$t" 'BEGIN { printf "cluster.sh: phase %s: %.2f s\n", n, b - a }' >&2
    phase_start=$t
}
die() { echo "cluster.sh: $*" >&2; exit 1; }

# wait_for SECONDS COMMAND...: retries COMMAND every 0.1 s until it succeeds or SECONDS pass
wait_for() {
    local limit=$1; shift
    local deadline; deadline=$(awk -v t="$(now)" -v l="$limit" 'BEGIN { printf "%.3f", t + l }')
    until "$@" >/dev/null 2>&1; do
        awk -v t="$(now)" -v d="$deadline" 'BEGIN { exit !(t > d) }' && return 1
        sleep 0.1
    done
}

# pid_alive PIDFILE: the process named in PIDFILE exists and is not a zombie waiting to be reaped
pid_alive() { [ -f "$1" ] && [ -r "/proc/$(cat "$1")/stat" ] && ! awk '{ exit $3 != "Z" }' "/proc/$(cat "$1")/stat"; }
daemons_gone() { ! pid_alive "$state/slurmctld.pid" && ! pid_alive "$state/slurmd.pid"; }
node_idle() { SLURM_CONF=$conf sinfo -h -n "$host" -o %T 2>/dev/null | grep -qx idle; }
munge_works() { munge -n | unmunge; }

stop_cluster() {
    if [ -f "$conf" ] && ! daemons_gone; then
        SLURM_CONF=$conf scontrol shutdown >/dev/null 2>&1 || true
        if ! wait_for 15 daemons_gone; then # scontrol could not reach slurmctld: stop our own pids
            for f in "$state/slurmctld.pid" "$state/slurmd.pid"; do pid_alive "$f" && kill "$(cat "$f")" || true; done
            wait_for 10 daemons_gone || die "slurmctld/slurmd still running after SIGTERM (pid files in $state)"
        fi
    fi
    if [ -f "$state/munged.started" ]; then # only the munged this script started
        runuser -u munge -- munged -s >/dev/null 2>&1 || true
        wait_for 10 sh -c '! pgrep -x -r R,S,D munged' || die "munged still running after munged -s"
        rm -f "$state/munged.started"
    fi
}

install_packages() {
    local packages="slurmctld slurmd slurm-client munge"
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null; then
        return
    fi
    command -v apt-get >/dev/null || die "Slurm is not installed and there is no apt-get to install it"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends $packages >"$state/apt.log" 2>&1; then
        apt-get update >>"$state/apt.log" 2>&1 || die "apt-get update failed (see $state/apt.log)"
        apt-get install -y --no-install-recommends $packages >>"$state/apt.log" 2>&1 \
            || die "apt-get install $packages failed (see $state/apt.log)"
    fi
}

write_conf() {
    # a fresh start forgets old jobs and node states (a node left drained would never become idle)
    rm -rf "$state/ctld" "$state/spool"
    mkdir -p "$state/ctld" "$state/spool" "$state/log"
    cat >"$conf.tmp" <<CONF
# Written by tests/slurm/cluster.sh: a one-node test cluster on localhost.
ClusterName=trajectorylab
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=sched_interval=1
MinJobAge=600
GresTypes=gpu
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
    # Two stand-in GPUs (no device behind them) so that --gpus-per-task is scheduled for real:
    # each task gets CUDA_VISIBLE_DEVICES and at most two GPU tasks run at once.
    cat >"$state/gres.conf" <<GRES
AutoDetect=off
NodeName=$host Name=gpu File=/dev/null
NodeName=$host Name=gpu File=/dev/zero
GRES
    mv "$conf.tmp" "$conf"
}

start_cluster() {
    [ "$(id -u)" = 0 ] || die "needs root (to install Slurm and run slurmctld/slurmd)"
    mkdir -p "$state"
    if [ -f "$conf" ] && ! daemons_gone; then
        if pid_alive "$state/slurmctld.pid" && pid_alive "$state/slurmd.pid" && node_idle; then
            echo "cluster.sh: reusing the running cluster in $state" >&2
            echo "SLURM_CONF=$conf"
            return
        fi
        echo "cluster.sh: restarting a half-running cluster in $state" >&2
        stop_cluster
    fi
    install_packages
    phase install
    write_conf
    if ! munge_works >/dev/null 2>&1; then
        install -d -o munge -g munge -m 0755 /run/munge
        runuser -u munge -- munged </dev/null >"$state/log/munged.out" 2>&1 || die "munged did not start (see $state/log/munged.out)"
        touch "$state/munged.started"
        wait_for 10 munge_works || die "munge -n | unmunge does not succeed"
    fi
    # the daemons fork to the background; their stdio must not hold a caller's pipes open
    SLURM_CONF=$conf slurmctld </dev/null >"$state/log/slurmctld.out" 2>&1 || die "slurmctld did not start (see $state/log)"
    SLURM_CONF=$conf slurmd -N "$host" </dev/null >"$state/log/slurmd.out" 2>&1 || die "slurmd did not start (see $state/log)"
    phase start
    wait_for 30 node_idle || die "the node did not become idle within 30 s (see $state/log)"
    phase idle
    echo "SLURM_CONF=$conf"
}

case "$action" in
    start) start_cluster ;;
    stop) stop_cluster; phase stop ;;
    *) echo "usage: $0 start|stop [STATE_FOLDER]" >&2; exit 2 ;;
esac
