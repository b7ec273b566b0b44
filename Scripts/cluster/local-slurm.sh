#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for tests and trying the templates:
#   Scripts/cluster/local-slurm.sh install         apt-get slurm-wlm + munge if missing (root/sudo)
#   Scripts/cluster/local-slurm.sh start|stop|status
#   eval "$(Scripts/cluster/local-slurm.sh env)"   point sbatch/squeue/... at this cluster
# Everything (slurm.conf, munge key and socket, spool dirs, logs, pid files) lives in one state
# folder, $LRP_SLURM_DIR (default /tmp/lrp-slurm-$UID), so nothing under /etc is touched and
# `stop` + `rm -rf` leaves the machine as it was. The daemons (munged, slurmctld, slurmd) are
# started directly: containers have no systemd. The configuration avoids cgroups
# (proctrack/linuxproc, task/none, jobacct_gather/none) so it runs in unprivileged containers.
set -euo pipefail
state="${LRP_SLURM_DIR:-/tmp/lrp-slurm-$(id -u)}"
conf="$state/slurm.conf"
sbin=/usr/sbin
sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
# The node is named after this host but addressed as 127.0.0.1, so an unresolvable hostname works.
node="$(hostname -s)"

log() { echo "local-slurm: $*" >&2; }

install() {
  if [ ! -x $sbin/slurmctld ] || [ ! -x $sbin/slurmd ] || [ ! -x $sbin/munged ]; then
    log "installing slurm-wlm munge"
    # The packages' scripts would start the system's munge/slurm services with /etc configs;
    # a temporary policy-rc.d (as in Docker images) keeps them from starting.
    local policy=/usr/sbin/policy-rc.d added=0
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee "$policy" >/dev/null && $sudo_cmd chmod 755 "$policy" && added=1
    fi
    local status=0
    { $sudo_cmd apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
        slurm-wlm munge </dev/null >/dev/null; } || status=$?
    [ "$added" -eq 1 ] && $sudo_cmd rm -f "$policy"
    return $status
  fi
}

write_conf() {
  # CPUs and RealMemory as slurmd detects them (the node is rejected if the config claims more).
  local cpus mem
  cpus="$($sbin/slurmd -C | sed -n 's/.* CPUs=\([0-9]*\).*/\1/p')"
  mem="$($sbin/slurmd -C | sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p')"
  cat > "$conf" <<CONF
# Written by Scripts/cluster/local-slurm.sh: one node, root daemons, no cgroups, no accounting.
ClusterName=lrp-local
SlurmctldHost=$node(127.0.0.1)
SlurmUser=$(id -un)
SlurmdUser=root
SlurmctldPort=${LRP_SLURM_PORT:-6817}
SlurmdPort=$(( ${LRP_SLURM_PORT:-6817} + 1 ))
AuthType=auth/munge
AuthInfo=socket=$state/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups: processes are tracked by parent pid, tasks are not pinned.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
# Cores are the consumable resource: a 1-CPU array task leaves the other core to the next task.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MaxArraySize=10001
# Fast turnaround for tests.
SchedulerParameters=sched_interval=1
MessageTimeout=30
KillWait=5
InactiveLimit=0
MinJobAge=600
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  if [ ! -x $sbin/slurmctld ] || [ ! -x $sbin/munged ]; then
    log "error: slurm-wlm/munge not installed (run: $0 install)"; return 1
  fi
  mkdir -p "$state/ctld" "$state/d" "$state/munge" "$state/munge-key"
  # munged refuses keys that others can read and sockets that others cannot reach: a private
  # folder for its own key and seed, a world-searchable one for socket, pid and log, both owned by
  # the munge user when it exists (munged will not run as root without --force).
  local muser=munge; id munge >/dev/null 2>&1 || muser="$(id -un)"
  chmod 700 "$state/munge-key"; chmod 755 "$state" "$state/munge"
  if [ ! -f "$state/munge-key/munge.key" ]; then
    dd if=/dev/urandom of="$state/munge-key/munge.key" bs=1024 count=1 status=none
  fi
  chmod 400 "$state/munge-key/munge.key"
  chown -R "$muser:" "$state/munge" "$state/munge-key" 2>/dev/null || true
  write_conf
  if ! running "$state/munge/munged.pid"; then
    local as=(); [ "$muser" != "$(id -un)" ] && as=(runuser -u "$muser" --)
    "${as[@]}" $sbin/munged --key-file="$state/munge-key/munge.key" --socket="$state/munge/munge.socket" \
      --pid-file="$state/munge/munged.pid" --log-file="$state/munge/munged.log" \
      --seed-file="$state/munge-key/munged.seed" || { log "error: munged failed to start"; tail -n 5 "$state/munge/munged.log" >&2 || true; return 1; }
  fi
  export SLURM_CONF="$conf"
  running "$state/slurmctld.pid" || $sbin/slurmctld -f "$conf" -i || { log "error: slurmctld failed"; tail -n 20 "$state/slurmctld.log" >&2; return 1; }
  running "$state/slurmd.pid" || $sbin/slurmd -f "$conf" -N "$node" || { log "error: slurmd failed"; tail -n 20 "$state/slurmd.log" >&2; return 1; }
  # Wait (up to 30 s) until the node accepts work.
  local i
  for i in $(seq 60); do
    if sinfo -h -N -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      log "running: $(sinfo -h -N -o '%N %T cpus=%c mem=%m')"; return 0
    fi
    sleep 0.5
  done
  log "error: node did not become idle: $(sinfo -h -N -o '%N %T %E' 2>&1)"
  tail -n 20 "$state/slurmctld.log" "$state/slurmd.log" >&2
  return 1
}

stop() {
  # Stop by pid file, only the daemons this script started; slurmd first (it kills its jobs).
  local f
  for f in "$state/slurmd.pid" "$state/slurmctld.pid" "$state/munge/munged.pid"; do
    if running "$f"; then
      local pid; pid="$(cat "$f")"; kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" || true
    fi
    rm -f "$f"
  done
  log "stopped"
}

status() {
  export SLURM_CONF="$conf"
  local ok=0
  running "$state/munge/munged.pid" && echo "munged: running" || { echo "munged: stopped"; ok=1; }
  running "$state/slurmctld.pid" && echo "slurmctld: running" || { echo "slurmctld: stopped"; ok=1; }
  running "$state/slurmd.pid" && echo "slurmd: running" || { echo "slurmd: stopped"; ok=1; }
  [ $ok -eq 0 ] && sinfo -N
  return $ok
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) echo "export SLURM_CONF='$conf'" ;;
  *) echo "usage: $0 install|start|stop|status|env" >&2; exit 2 ;;
esac
