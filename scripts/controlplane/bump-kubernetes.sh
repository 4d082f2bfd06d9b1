#!/usr/bin/env bash
# Re-pin the Kubernetes control plane to another k8s.io/kubernetes release:
#
#   scripts/controlplane/bump-kubernetes.sh v1.34.5
#
# Rewrites gomod/kubernetes/go.mod (require + one `replace` per staging module,
# taken from that release's own go.mod, pointed at the published v0.X.Y) and
# runs `go mod tidy`. Commit go.mod and go.sum; the next scripts/test.sh builds
# into a new cache directory.
set -euo pipefail

ver=${1:?usage: $0 v1.MINOR.PATCH}
[[ $ver =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || { echo "expected v1.MINOR.PATCH, got $ver" >&2; exit 2; }
staging_ver="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/gomod/kubernetes" && pwd)

# The release's go.mod (its replace block lists every staging module).
modfile=$(cd / && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$ver" |
	sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
[[ -f $modfile ]] || { echo "cannot download k8s.io/kubernetes@$ver" >&2; exit 1; }
mapfile -t staging < <(sed -n '/^replace (/,/^)/p' "$modfile" | awk '$2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }')
((${#staging[@]})) || { echo "no staging replaces found in $modfile" >&2; exit 1; }

{
	cat <<EOF
// Wrapper module that builds the Kubernetes control-plane binaries used by
// scripts/test.sh (kube-apiserver, kube-controller-manager, kube-scheduler,
// kubectl) from the published k8s.io/kubernetes module. The kubernetes go.mod
// points every k8s.io staging module at ./staging, which does not exist in the
// module zip, so each one is replaced by its published ${staging_ver} release here.
// Regenerate with scripts/controlplane/bump-kubernetes.sh.
module nim-operator.invalid/controlplane/kubernetes

go $(awk '$1 == "go" { print $2; exit }' "$modfile")

require k8s.io/kubernetes $ver

tool (
	k8s.io/kubernetes/cmd/kube-apiserver
	k8s.io/kubernetes/cmd/kube-controller-manager
	k8s.io/kubernetes/cmd/kube-scheduler
	k8s.io/kubernetes/cmd/kubectl
)

replace (
EOF
	for m in "${staging[@]}"; do
		printf '\t%s => %s %s\n' "$m" "$m" "$staging_ver"
	done
	echo ")"
} >"$dir/go.mod"
rm -f "$dir/go.sum"
(cd "$dir" && go mod tidy)
echo "pinned k8s.io/kubernetes $ver (staging modules $staging_ver) in $dir/go.mod"
