#!/bin/bash
# A one-node Slurm cluster on localhost, for the farm tests (Debian's slurm-wlm and munge):
#
#   slurm-cluster.sh start DIR   munged, slurmctld and slurmd with every file under DIR
#                                (key, socket, slurm.conf, state, spool, pid and log files);
#                                waits until the node is idle; prints SLURM_CONF=DIR/slurm.conf
#   slurm-cluster.sh stop DIR    stops slurmd, slurmctld, then munged, by their pid files
#                                (each checked to be the daemon of DIR first)
#
# Nothing under /etc or /var is used and no systemd or cgroup is needed: process tracking
# is proctrack/linuxproc, so --mem is not enforced (ih-vm's own rlimits bound each task).
# The two ports are free ones picked at start (SLURM_PORT_BASE=N forces N and N+1), so two
# clusters can run at once. Exit status: 0 ok, 1 failure (the daemons' logs are printed).
set -u

die() {
	echo "slurm-cluster: $*" >&2
	exit 1
}

port_free() {
	! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

pick_ports() {
	local p
	if [ -n "${SLURM_PORT_BASE:-}" ]; then
		echo "$SLURM_PORT_BASE"
		return
	fi
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 20000))
		if port_free "$p" && port_free $((p + 1)); then
			echo "$p"
			return
		fi
	done
	die "no two free ports found"
}

# The node's CPUs and memory may not exceed the machine's, else it stays INVAL.
write_conf() {
	local dir=$1 port=$2 cpus mem
	cpus=$(nproc)
	mem=$(($(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo) * 9 / 10))
	cat >"$dir/slurm.conf" <<EOF
ClusterName=ihfarm
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.sock
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerParameters=batch_sched_delay=0
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
KillWait=5
NodeName=$(hostname -s) NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=farm Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
	local dir=$1
	install -d -m 0700 "$dir/munge"
	dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none || return 1
	chmod 0400 "$dir/munge/munge.key"
	munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge.sock" \
		--pid-file="$dir/munged.pid" --log-file="$dir/munged.log" \
		--seed-file="$dir/munge/seed"
}

wait_idle() {
	local state
	for _ in $(seq 1 150); do
		state=$(sinfo -h -o %t 2>/dev/null)
		[ "$state" = idle ] && return 0
		sleep 0.2
	done
	echo "slurm-cluster: the node is '$state', not idle, after 30 s" >&2
	return 1
}

show_logs() {
	local f
	for f in "$1"/munged.log "$1"/slurmctld.log "$1"/slurmd.log; do
		[ -r "$f" ] && tail -n 15 "$f" | sed "s|^|# $(basename "$f"): |" >&2
	done
}

start() {
	local dir=$1 port
	for p in munged slurmctld slurmd sinfo; do
		command -v "$p" >/dev/null || [ -x "/usr/sbin/$p" ] ||
			die "$p is missing (Debian: slurm-wlm munge; make deps)"
	done
	export PATH=$PATH:/usr/sbin
	mkdir -p "$dir/state" "$dir/spool" || die "cannot create $dir"
	chmod 0755 "$dir"
	port=$(pick_ports) || exit 1
	write_conf "$dir" "$port"
	export SLURM_CONF=$dir/slurm.conf
	start_munge "$dir" || { show_logs "$dir"; die "munged did not start"; }
	slurmctld -f "$SLURM_CONF" || { show_logs "$dir"; die "slurmctld did not start"; }
	slurmd -f "$SLURM_CONF" -N "$(hostname -s)" || { show_logs "$dir"; die "slurmd did not start"; }
	wait_idle || { show_logs "$dir"; exit 1; }
	echo "SLURM_CONF=$SLURM_CONF"
}

# Sends TERM to the pid in file, waits up to 10 s, then KILL; removes the file. Only a
# process whose command line names DIR is signalled: a stale file never hits another.
stop_pid() {
	local file=$1 dir=$2 pid
	[ -r "$file" ] || return 0
	pid=$(cat "$file")
	rm -f "$file"
	case $pid in '' | *[!0-9]*) return 0 ;; esac
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	echo "slurm-cluster: $(basename "$file" .pid) ($pid) needed SIGKILL" >&2
}

stop() {
	local dir=$1
	stop_pid "$dir/slurmd.pid" "$dir"
	stop_pid "$dir/slurmctld.pid" "$dir"
	stop_pid "$dir/munged.pid" "$dir"
}

case ${1:-} in
start) [ $# -eq 2 ] || die "usage: $0 start DIR"; start "$2" ;;
stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
*) die "usage: $0 start|stop DIR" ;;
esac
