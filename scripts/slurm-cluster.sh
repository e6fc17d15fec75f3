#!/usr/bin/env bash
# A one-node Slurm cluster on 127.0.0.1 for the tests (Debian's slurm-wlm and munge), kept
# entirely in one folder: its own munge key and socket, slurm.conf, state, spool and logs.
#   scripts/slurm-cluster.sh start DIR   starts munged, slurmctld and slurmd; prints the
#                                        SLURM_CONF to export; waits until the node is idle
#   scripts/slurm-cluster.sh stop DIR    stops them
# Needs root (slurmd launches the jobs) and the packages (scripts/setup.sh slurm).
set -euo pipefail
cmd="${1:?start or stop}"; dir="${2:?a folder}"
mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
# munged (user munge) must reach its key and socket inside; mktemp -d makes folders 0700.
chmod 755 "$dir"
say() { printf '[slurm-cluster] %s\n' "$*" >&2; }

stop() {
  for p in slurmd slurmctld munged; do
    [ -f "$dir/$p.pid" ] && kill "$(cat "$dir/$p.pid")" 2>/dev/null || true
  done
  sleep 1
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { say "needs root (slurmd launches the jobs)"; exit 3; }
# The daemons live in sbin, which a PATH may lack (a fresh login's often does).
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
for b in munged slurmctld slurmd sbatch squeue; do
  command -v "$b" >/dev/null || { say "$b is missing: run scripts/setup.sh slurm"; exit 1; }
done
stop
host="$(hostname)"
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chown munge:munge "$dir/munge"; chmod 755 "$dir/munge"
if [ ! -s "$dir/munge/munge.key" ]; then
  dd if=/dev/urandom bs=1 count=1024 of="$dir/munge/munge.key" status=none
  chown munge:munge "$dir/munge/munge.key"; chmod 400 "$dir/munge/munge.key"
fi
# munged refuses a socket directory that others can write; the folder's own one is fine.
runuser -u munge -- munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.sock" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
cp "$dir/munge/munged.pid" "$dir/munged.pid"
# Ports that are free now.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo "$1"; }
cat > "$dir/slurm.conf" <<CONF
ClusterName=collapselab
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldPort=$(port 16817)
SlurmdPort=$(port 16818)
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -i
slurmd
for _ in $(seq 1 60); do
  if sinfo -h -o '%t' 2>/dev/null | grep -qx idle; then
    say "one-node cluster up ($host, $(nproc) CPUs): export SLURM_CONF=$dir/slurm.conf"
    echo "$dir/slurm.conf"
    exit 0
  fi
  sleep 1
done
say "the node did not become idle in 60 s; logs: $dir/slurmctld.log $dir/slurmd.log"
tail -n 5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
exit 1
