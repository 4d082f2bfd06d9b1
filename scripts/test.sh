#!/usr/bin/env bash
# The project's test command.
#
#   scripts/test.sh                       all tests, including the cluster tests
#   scripts/test.sh -p nim-types          extra arguments go to `cargo test`
#   scripts/test.sh --test controlplane -- some_test_name
#
# It builds the local control plane on first use (real etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok from Go modules, cached under
# ${XDG_CACHE_HOME:-~/.cache}/nim-operator/controlplane), starts it on
# 127.0.0.1 with state in a fresh temp dir, installs the NIM CRDs and the
# third-party CRDs, creates the kwok GPU nodes from tests/fixtures/kwok-nodes.yaml,
# runs
#     cargo test --workspace --all-targets --no-fail-fast -- --include-ignored
#     cargo test --workspace --doc --no-fail-fast
# with NIM_TEST_KUBECONFIG (and KUBECONFIG) pointing at it and NIM_TEST_AUDIT_LOG
# at the apiserver's audit log of writes (JSON lines), tears everything
# down and exits with cargo's status. Component logs are printed on failure.
set -euo pipefail

# shellcheck source=controlplane/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/controlplane/lib.sh"

# Split "cargo args -- test-binary args".
cargo_args=()
test_args=()
seen_sep=0
for a in "$@"; do
	if ((!seen_sep)) && [[ $a == -- ]]; then
		seen_sep=1
	elif ((seen_sep)); then
		test_args+=("$a")
	else
		cargo_args+=("$a")
	fi
done
# --no-fail-fast: one failing test binary should not hide the others' results.
run_doctests=0
if ((!${#cargo_args[@]})); then
	cargo_args=(--workspace --all-targets --no-fail-fast)
	# --all-targets leaves out doctests; every public item's rustdoc example must run too.
	run_doctests=1
fi

CP_DIR=
status=1
# shellcheck disable=SC2317  # invoked by the EXIT trap
finish() {
	local rc=$?
	trap - EXIT INT TERM
	((rc == 0)) || status=$rc
	if [[ -n $CP_DIR ]]; then
		if ((status != 0)) && [[ -d $CP_DIR/run ]]; then
			cp_report_components
		fi
		cp_down
		if ((status == 0)); then
			rm -rf "$CP_DIR"
		else
			rm -rf "$CP_DIR/etcd" "$CP_DIR/pki"
			cp_log "exit status $status; control-plane logs kept in $CP_DIR/logs"
		fi
	fi
	exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t_build=$(cp_now)
cp_build
build_time=$(cp_elapsed "$t_build")

CP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/nim-operator-test.XXXXXX")
mkdir -p "$CP_DIR/run" "$CP_DIR/logs"
cp_start_reaper $$

t_start=$(cp_now)
cp_operator_crds_start
cp_up "$CP_DIR"
cp_create_nodes
cp_install_crds
cp_log "ready for tests: build/cache check $build_time, start+CRDs+nodes $(cp_elapsed "$t_start")"

export NIM_TEST_KUBECONFIG=$CP_DIR/kubeconfig
export KUBECONFIG=$CP_DIR/kubeconfig
export NIM_TEST_AUDIT_LOG=$CP_DIR/logs/audit.log

set +e
(cd "$CP_REPO_ROOT" && cargo test "${cargo_args[@]}" -- --include-ignored "${test_args[@]}")
status=$?
if ((run_doctests)); then
	(cd "$CP_REPO_ROOT" && cargo test --workspace --doc --no-fail-fast)
	doc_status=$?
	((status != 0)) || status=$doc_status
fi
set -e
exit "$status"
