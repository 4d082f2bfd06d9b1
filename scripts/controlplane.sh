#!/usr/bin/env bash
# Local Kubernetes control plane for interactive use (scripts/test.sh runs its
# own, private one). Real etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler and kwok, built from Go modules and cached per version.
#
#   scripts/controlplane.sh build    build (or reuse) the cached binaries
#   scripts/controlplane.sh up       start, install CRDs, create the kwok GPU nodes
#   scripts/controlplane.sh env      print `export ...` lines; use: eval "$(scripts/controlplane.sh env)"
#   scripts/controlplane.sh status   what is running
#   scripts/controlplane.sh kubectl ARGS...   the built kubectl against the cluster
#   scripts/controlplane.sh logs [COMPONENT]  tail the component logs
#   scripts/controlplane.sh down     stop everything and delete the state
#
# State directory (kubeconfig at <dir>/kubeconfig):
#   ${NIM_CONTROLPLANE_DIR:-${TMPDIR:-/tmp}/nim-operator-controlplane-$UID}
set -euo pipefail

# shellcheck source=controlplane/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/controlplane/lib.sh"

CP_DIR=${NIM_CONTROLPLANE_DIR:-${TMPDIR:-/tmp}/nim-operator-controlplane-$(id -u)}

usage() {
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
	exit "${1:-0}"
}

is_up() { [[ -f $CP_DIR/run/kube-apiserver.pgid ]] && cp_component_alive kube-apiserver; }

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
build)
	cp_build
	cp_log "binaries in $(cp_bin_dir)"
	;;
up)
	if is_up; then
		cp_log "already running (state in $CP_DIR); use '$0 down' first"
		cat "$CP_DIR/env"
		exit 0
	fi
	[[ -d $CP_DIR ]] && { cp_down; rm -rf "$CP_DIR"; }
	cp_build
	mkdir -p "$CP_DIR"
	CP_DIR=$(cd "$CP_DIR" && pwd)
	trap 'rc=$?; if ((rc)); then cp_log "start failed; stopping"; cp_down; fi' EXIT
	cp_up "$CP_DIR"
	cp_operator_crds_start
	cp_create_nodes
	cp_install_crds
	trap - EXIT
	cp_log "ready. Kubeconfig: $CP_DIR/kubeconfig"
	cp_log "  eval \"\$($0 env)\"   # sets NIM_TEST_KUBECONFIG and KUBECONFIG"
	cp_log "  cargo test --workspace --all-targets -- --include-ignored"
	;;
env)
	[[ -f $CP_DIR/env ]] || cp_die "not running (no $CP_DIR/env); run '$0 up'"
	cat "$CP_DIR/env"
	;;
status)
	if [[ ! -d $CP_DIR/run ]]; then
		echo "not running"
		exit 1
	fi
	for c in "${CP_COMPONENTS[@]}"; do
		if cp_component_alive "$c"; then s=running; else s=stopped; fi
		printf '%-24s %s\n' "$c" "$s"
	done
	if is_up; then
		CP_BIN=$(cp_bin_dir)
		cp_kubectl get nodes -L nvidia.com/gpu.product,nvidia.com/gpu.count
	fi
	;;
kubectl)
	CP_BIN=$(cp_bin_dir)
	cp_kubectl "$@"
	;;
logs)
	if [[ $# -gt 0 ]]; then
		tail -n 100 "$CP_DIR/logs/$1.log"
	else
		cp_print_logs
	fi
	;;
down)
	cp_down
	rm -rf "$CP_DIR"
	cp_log "stopped; removed $CP_DIR"
	;;
-h | --help | help) usage ;;
*) usage 2 >&2 ;;
esac
