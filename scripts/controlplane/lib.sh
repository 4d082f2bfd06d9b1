# shellcheck shell=bash
# Local Kubernetes control plane for the integration tests.
#
# Sourced by scripts/test.sh and scripts/controlplane.sh; not meant to be run
# directly. Everything here is real upstream code built from Go modules at the
# versions pinned in scripts/controlplane/gomod/*/go.mod:
#
#   etcd  ->  kube-apiserver  ->  kube-controller-manager + kube-scheduler  ->  kwok
#
# All servers listen on 127.0.0.1 only, on ports chosen at run time. Each
# component runs in its own process group (setsid) so teardown can kill the
# whole group. State (PKI, kubeconfigs, etcd data, logs) lives in one run
# directory ($CP_DIR).

CP_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CP_REPO_ROOT=$(cd "$CP_LIB_DIR/../.." && pwd)
CP_GOMOD_DIR=$CP_LIB_DIR/gomod
CP_CRD_LIST=$CP_LIB_DIR/third-party-crds.txt
CP_NODES_FIXTURE=$CP_REPO_ROOT/tests/fixtures/kwok-nodes.yaml

# Bump when the way binaries are built changes (flags, layout), to force a rebuild.
CP_BUILD_REV=1

# Order matters: teardown walks it backwards.
CP_COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

# Address ranges used only as data inside the cluster (nothing ever dials them):
# Service ClusterIPs, and the pod IPs kwok hands out (RFC 2544 benchmark range).
CP_SERVICE_CIDR=10.96.0.0/16
CP_SERVICE_IP=10.96.0.1
CP_POD_CIDR=198.18.0.1/16

cp_log() { printf '[controlplane %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
cp_die() {
	cp_log "ERROR: $*"
	exit 1
}

cp_now() { date +%s.%N; }
cp_elapsed() { awk -v a="$1" -v b="$(cp_now)" 'BEGIN { printf "%.1fs", b - a }'; }

# ---------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------

# cp_ensure_tools: make sure the host tools the scripts use are installed.
# On a fresh Debian machine, missing ones are installed with apt-get.
cp_ensure_tools() {
	local -a missing=()
	command -v openssl >/dev/null || missing+=(openssl)
	command -v curl >/dev/null || missing+=(curl ca-certificates)
	command -v flock >/dev/null || missing+=(util-linux)
	command -v setsid >/dev/null || missing+=(util-linux)
	command -v ps >/dev/null || missing+=(procps)
	# Graphviz: `nim-operator graph --svg` is tested end to end.
	command -v dot >/dev/null || missing+=(graphviz)
	if ((${#missing[@]})); then
		if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
			cp_die "missing tools: ${missing[*]} (install them, or run as root on Debian so this script can apt-get them)"
		fi
		cp_log "installing ${missing[*]} with apt-get"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	command -v go >/dev/null || [[ -x "$(cp_bin_dir)/kube-apiserver" ]] ||
		cp_die "the Go toolchain is needed to build the control plane (go 1.26 or newer on PATH)"
}

# ---------------------------------------------------------------------------
# Versions and the binary cache
# ---------------------------------------------------------------------------

# cp_mod_version DIR MODULE: the version of MODULE required by DIR/go.mod.
cp_mod_version() {
	awk -v m="$2" '
		$1 == "require" && $2 == m { print $3; exit }
		$1 == m && $2 ~ /^v/ { print $2; exit }
	' "$1/go.mod"
}

cp_versions() {
	CP_K8S_VERSION=$(cp_mod_version "$CP_GOMOD_DIR/kubernetes" k8s.io/kubernetes)
	CP_ETCD_VERSION=$(cp_mod_version "$CP_GOMOD_DIR/etcd" go.etcd.io/etcd/server/v3)
	CP_KWOK_VERSION=$(cp_mod_version "$CP_GOMOD_DIR/kwok" sigs.k8s.io/kwok)
	[[ -n $CP_K8S_VERSION && -n $CP_ETCD_VERSION && -n $CP_KWOK_VERSION ]] ||
		cp_die "cannot read pinned versions from $CP_GOMOD_DIR/*/go.mod"
}

# The cache key: pinned versions plus a hash of the wrapper modules (go.mod and
# go.sum) and of the build recipe, so any change builds into a fresh directory.
cp_cache_key() {
	local h
	h=$(
		{
			echo "rev=$CP_BUILD_REV"
			cat "$CP_GOMOD_DIR"/kubernetes/go.{mod,sum} "$CP_GOMOD_DIR"/etcd/go.{mod,sum} "$CP_GOMOD_DIR"/kwok/go.{mod,sum}
		} | sha256sum | cut -c1-12
	)
	echo "k8s-${CP_K8S_VERSION}_etcd-${CP_ETCD_VERSION}_kwok-${CP_KWOK_VERSION}_${h}"
}

cp_cache_dir() {
	[[ -n ${CP_K8S_VERSION:-} ]] || cp_versions
	if [[ -z ${CP_CACHE_DIR_MEMO:-} ]]; then
		CP_CACHE_DIR_MEMO="${XDG_CACHE_HOME:-$HOME/.cache}/nim-operator/controlplane/$(cp_cache_key)"
	fi
	echo "$CP_CACHE_DIR_MEMO"
}
cp_bin_dir() { echo "$(cp_cache_dir)/bin"; }

cp_go_build() { # module-dir out packages...
	local dir=$1 out=$2
	shift 2
	(
		cd "$dir" || exit
		GOWORK=off CGO_ENABLED=0 nice -n 19 go build -mod=readonly -trimpath -buildvcs=false \
			-ldflags "${CP_LDFLAGS:--s -w}" -o "$out" "$@"
	)
}

# cp_build: build every missing binary into the cache. Safe to run concurrently
# (a lock serialises builders); cheap when everything is already there.
cp_build() {
	cp_ensure_tools
	local cache bin
	cp_versions
	cache=$(cp_cache_dir)
	bin=$cache/bin
	local -a want=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)
	local all=1 b
	for b in "${want[@]}"; do [[ -x $bin/$b ]] || all=0; done
	[[ -f $cache/kwok-stages.yaml ]] || all=0
	if ((all)); then
		CP_BUILD_SECONDS=0
		return 0
	fi

	command -v go >/dev/null || cp_die "go is not on PATH; it is needed to build the control plane"
	mkdir -p "$bin"
	exec {lockfd}>"$cache/.build.lock"
	flock "$lockfd"

	local t0 log
	t0=$(cp_now)
	log=$cache/build.log
	cp_log "building control plane into $cache (first run on this machine; later runs reuse it). Log: $log"
	: >"$log"

	local tmp
	tmp=$(mktemp -d "$cache/.build.XXXXXX")
	local k8s_ld ver=$CP_K8S_VERSION minor
	minor=${ver#v1.}
	minor=${minor%%.*}
	k8s_ld="-s -w"
	local pkg
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		k8s_ld+=" -X $pkg.gitVersion=$ver -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
		k8s_ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
	done

	local -a k8s_pkgs=()
	for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
		[[ -x $bin/$b ]] || k8s_pkgs+=("k8s.io/kubernetes/cmd/$b")
	done
	if ((${#k8s_pkgs[@]})); then
		cp_log "  go build ${k8s_pkgs[*]##*/} (k8s.io/kubernetes $CP_K8S_VERSION)"
		CP_LDFLAGS=$k8s_ld cp_go_build "$CP_GOMOD_DIR/kubernetes" "$tmp/" "${k8s_pkgs[@]}" >>"$log" 2>&1 ||
			{ tail -n 40 "$log" >&2; cp_die "building kubernetes failed (see $log)"; }
	fi
	if [[ ! -x $bin/etcd ]]; then
		cp_log "  go build etcd (go.etcd.io/etcd/server/v3 $CP_ETCD_VERSION)"
		cp_go_build "$CP_GOMOD_DIR/etcd" "$tmp/etcd" go.etcd.io/etcd/server/v3 >>"$log" 2>&1 ||
			{ tail -n 40 "$log" >&2; cp_die "building etcd failed (see $log)"; }
	fi
	if [[ ! -x $bin/kwok ]]; then
		cp_log "  go build kwok (sigs.k8s.io/kwok $CP_KWOK_VERSION)"
		cp_go_build "$CP_GOMOD_DIR/kwok" "$tmp/kwok" sigs.k8s.io/kwok/cmd/kwok >>"$log" 2>&1 ||
			{ tail -n 40 "$log" >&2; cp_die "building kwok failed (see $log)"; }
	fi
	if [[ ! -f $cache/kwok-stages.yaml ]]; then
		cp_kwok_stages "$tmp/kwok-stages.yaml"
		mv -f "$tmp/kwok-stages.yaml" "$cache/kwok-stages.yaml"
	fi
	for b in "$tmp"/*; do
		[[ -e $b ]] || continue
		mv -f "$b" "$bin/"
	done
	rmdir "$tmp"
	CP_BUILD_SECONDS=$(cp_elapsed "$t0")
	cp_log "build finished in $CP_BUILD_SECONDS"
	exec {lockfd}>&-
}

# cp_module_dir MODULE VERSION [H1SUM]: download MODULE@VERSION into the Go
# module cache (a no-op when it is there) and print its directory.
cp_module_dir() {
	local mod=$1 ver=$2 pinned=${3:-} json dir sum
	# Run outside any Go module so the repo's wrapper modules play no part.
	json=$(cd / && GOWORK=off GOFLAGS=-mod=mod GO111MODULE=on go mod download -json "$mod@$ver") ||
		cp_die "go mod download $mod@$ver failed: $json"
	dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p' <<<"$json")
	sum=$(sed -n 's/^[[:space:]]*"Sum": "\(.*\)",*$/\1/p' <<<"$json")
	[[ -n $dir && -d $dir ]] || cp_die "go mod download $mod@$ver gave no directory: $json"
	if [[ -n $pinned && $sum != "$pinned" ]]; then
		cp_die "$mod@$ver: module hash $sum does not match the pinned $pinned"
	fi
	echo "$dir"
}

# kwok needs Stage objects to act on nodes and pods. Use kwok's own default
# stages (the ones kwokctl installs), taken unmodified from the kwok module:
# node-initialize + node-heartbeat-with-lease, and pod-ready (Pending ->
# Running), pod-complete (Job pods Running -> Succeeded), pod-delete.
cp_kwok_stages() {
	local out=$1 dir f first=1
	dir=$(cp_module_dir sigs.k8s.io/kwok "$CP_KWOK_VERSION")
	: >"$out"
	for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
		pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
		[[ -f $dir/kustomize/stage/$f ]] || cp_die "kwok stage $f not found in $dir"
		((first)) || echo "---" >>"$out"
		first=0
		echo "# from sigs.k8s.io/kwok@$CP_KWOK_VERSION kustomize/stage/$f" >>"$out"
		cat "$dir/kustomize/stage/$f" >>"$out"
	done
}

# ---------------------------------------------------------------------------
# Ports, processes
# ---------------------------------------------------------------------------

cp_port_in_use() {
	local p=$1
	if command -v ss >/dev/null; then
		[[ -n $(ss -Htan "( sport = :$p )" 2>/dev/null) ]] && return 0
	fi
	timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null
}

# cp_alloc_port VAR: pick a free loopback port and store it in VAR.
CP_USED_PORTS=" "
cp_alloc_port() {
	local p i
	for ((i = 0; i < 500; i++)); do
		p=$((20000 + RANDOM % 30000))
		[[ $CP_USED_PORTS == *" $p "* ]] && continue
		cp_port_in_use "$p" && continue
		CP_USED_PORTS+="$p "
		printf -v "$1" '%s' "$p"
		return 0
	done
	cp_die "could not find a free TCP port on 127.0.0.1"
}

# cp_start NAME CMD...: start CMD in a new session (its own process group),
# output to $CP_DIR/logs/NAME.log, and record the group id.
cp_start() {
	local name=$1
	shift
	local log=$CP_DIR/logs/$name.log
	printf '%q ' "$@" >"$CP_DIR/run/$name.cmd"
	setsid "$@" </dev/null >>"$log" 2>&1 &
	local pid=$!
	echo "$pid" >"$CP_DIR/run/$name.pgid"
}

cp_group_alive() { # pgid
	local pgid=$1 line
	while read -r line; do
		# shellcheck disable=SC2086
		set -- $line
		[[ $1 == "$pgid" && $2 != Z* ]] && return 0
	done < <(ps -e -o pgid=,stat= 2>/dev/null)
	return 1
}

cp_component_alive() {
	local f=$CP_DIR/run/$1.pgid
	[[ -f $f ]] && cp_group_alive "$(cat "$f")"
}

cp_stop_component() {
	local name=$1 f=$CP_DIR/run/$1.pgid pgid i
	[[ -f $f ]] || return 0
	pgid=$(cat "$f")
	if cp_group_alive "$pgid"; then
		kill -TERM -- "-$pgid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			cp_group_alive "$pgid" || break
			sleep 0.1
		done
		if cp_group_alive "$pgid"; then
			cp_log "$name did not stop on SIGTERM; killing it"
			kill -KILL -- "-$pgid" 2>/dev/null || true
			for ((i = 0; i < 50; i++)); do
				cp_group_alive "$pgid" || break
				sleep 0.1
			done
		fi
	fi
	wait "$pgid" 2>/dev/null || true # reap it when it is our child
	rm -f "$f"
}

# cp_down: stop every component (in reverse start order) and the reaper.
cp_down() {
	[[ -n ${CP_DIR:-} && -d $CP_DIR/run ]] || return 0
	local i
	cp_stop_component crds-gen
	for ((i = ${#CP_COMPONENTS[@]} - 1; i >= 0; i--)); do
		cp_stop_component "${CP_COMPONENTS[i]}"
	done
	if [[ -f $CP_DIR/run/reaper.pid ]]; then
		kill -TERM -- "-$(cat "$CP_DIR/run/reaper.pid")" 2>/dev/null || true
		wait "$(cat "$CP_DIR/run/reaper.pid")" 2>/dev/null || true
		rm -f "$CP_DIR/run/reaper.pid"
	fi
}

# cp_start_reaper PID: a watchdog, in its own session, that kills every
# component and removes $CP_DIR if PID dies without tearing down (e.g. SIGKILL
# of scripts/test.sh). Only for throwaway run directories.
cp_start_reaper() {
	local parent=$1
	# shellcheck disable=SC2016
	setsid bash -c '
		parent=$1 dir=$2
		while kill -0 "$parent" 2>/dev/null; do sleep 1; done
		for f in "$dir"/run/*.pgid; do
			[ -f "$f" ] && kill -KILL -- "-$(cat "$f")" 2>/dev/null
		done
		sleep 1
		rm -rf "$dir"
		exit 0
	' reaper "$parent" "$CP_DIR" </dev/null >/dev/null 2>&1 &
	echo "$!" >"$CP_DIR/run/reaper.pid"
}

# cp_wait_for DESC TIMEOUT_SECONDS COMPONENT CMD...: poll CMD until it succeeds;
# fail early if COMPONENT died.
cp_wait_for() {
	local desc=$1 timeout=$2 comp=$3
	shift 3
	local deadline=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		if [[ -n $comp ]] && ! cp_component_alive "$comp"; then
			cp_print_logs "$comp"
			cp_die "$comp exited while waiting for $desc"
		fi
		if ((SECONDS >= deadline)); then
			cp_print_logs
			cp_die "timed out after ${timeout}s waiting for $desc"
		fi
		sleep 0.2
	done
}

# cp_print_logs [COMPONENT...]: the last lines of each component's log.
cp_print_logs() {
	local -a comps=("$@")
	((${#comps[@]})) || comps=("${CP_COMPONENTS[@]}")
	local c f
	for c in "${comps[@]}"; do
		f=$CP_DIR/logs/$c.log
		[[ -s $f ]] || continue
		printf '\n----- last 30 lines of %s -----\n' "$f" >&2
		tail -n 30 "$f" >&2
	done
}

# cp_report_components: after a failure, the log tail of every component that
# is no longer running, and the log path of the ones that are.
cp_report_components() {
	local c f
	for c in "${CP_COMPONENTS[@]}"; do
		f=$CP_DIR/logs/$c.log
		[[ -e $f ]] || continue
		if cp_component_alive "$c"; then
			cp_log "$c was running fine; log: $f"
		else
			cp_log "$c had EXITED; log: $f"
			cp_print_logs "$c"
		fi
	done
}

# ---------------------------------------------------------------------------
# PKI and kubeconfigs
# ---------------------------------------------------------------------------

cp_openssl() { openssl "$@" 2>>"$CP_DIR/logs/openssl.log"; }

# cp_cert NAME CN O EXT [CA]: an ECDSA P-256 key and a certificate signed by
# the CA (default: the cluster CA "ca").
cp_cert() {
	local name=$1 cn=$2 org=$3 ext=$4 ca=${5:-ca} pki=$CP_DIR/pki subj
	subj="/CN=$cn"
	[[ -n $org ]] && subj="/O=$org$subj"
	printf '%s\n' "$ext" >"$pki/$name.ext"
	cp_openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/$name.key"
	cp_openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr"
	cp_openssl x509 -req -in "$pki/$name.csr" -CA "$pki/$ca.crt" -CAkey "$pki/$ca.key" \
		-CAcreateserial -days 30 -sha256 -extfile "$pki/$name.ext" -out "$pki/$name.crt"
}

cp_gen_pki() {
	local pki=$CP_DIR/pki
	mkdir -p "$pki"
	chmod 700 "$pki"
	cp_openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/ca.key"
	cp_openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=nim-operator-test-ca" -days 30 -sha256 \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
		-out "$pki/ca.crt"
	local client="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
	cp_cert apiserver kube-apiserver "" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$CP_SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
	cp_cert admin nim-test-admin system:masters "$client"
	cp_cert kube-controller-manager system:kube-controller-manager "" "$client"
	cp_cert kube-scheduler system:kube-scheduler "" "$client"
	cp_cert kwok kwok-controller system:masters "$client"
	# Front-proxy (aggregation layer) CA and the apiserver's proxy client cert,
	# as in a kubeadm cluster; kcm and the scheduler read this CA too.
	cp_openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/front-proxy-ca.key"
	cp_openssl req -x509 -new -key "$pki/front-proxy-ca.key" -subj "/CN=nim-operator-test-front-proxy-ca" \
		-days 30 -sha256 -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" -out "$pki/front-proxy-ca.crt"
	cp_cert front-proxy-client front-proxy-client "" "$client" front-proxy-ca
	# Service-account token signing key pair.
	cp_openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key"
	cp_openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
	rm -f "$pki"/*.csr "$pki"/*.ext
}

cp_b64() { base64 -w0 <"$1"; }

# cp_kubeconfig FILE USER CERT-NAME
cp_kubeconfig() {
	local file=$1 user=$2 name=$3 pki=$CP_DIR/pki
	umask 077
	cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: nim-test
  cluster:
    server: https://127.0.0.1:$CP_API_PORT
    certificate-authority-data: $(cp_b64 "$pki/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(cp_b64 "$pki/$name.crt")
    client-key-data: $(cp_b64 "$pki/$name.key")
contexts:
- name: nim-test
  context:
    cluster: nim-test
    user: $user
current-context: nim-test
EOF
	umask 022
}

# ---------------------------------------------------------------------------
# Start / stop
# ---------------------------------------------------------------------------

cp_kubectl() { "$CP_BIN/kubectl" --kubeconfig "$CP_DIR/kubeconfig" "$@"; }

cp_https_ok() { # url: any HTTP 200 over TLS signed by our CA
	curl -fsS --max-time 2 --cacert "$CP_DIR/pki/ca.crt" "$1"
}
cp_https_ok_insecure() { # self-signed serving certs of kcm/scheduler
	curl -fsSk --max-time 2 "$1"
}

# cp_up DIR: start the whole control plane with state in DIR (created if
# missing). Sets CP_DIR, CP_BIN, CP_API_PORT and writes DIR/env. The apiserver
# audit log of writes is DIR/logs/audit.log (JSON lines).
cp_up() {
	CP_DIR=$1
	CP_BIN=$(cp_bin_dir)
	local t0
	t0=$(cp_now)
	mkdir -p "$CP_DIR"/{logs,run,etcd,kwok-home,cert-dir}
	chmod 700 "$CP_DIR/etcd"

	cp_gen_pki
	cp_alloc_port CP_ETCD_PORT
	cp_alloc_port CP_ETCD_PEER_PORT
	cp_alloc_port CP_API_PORT
	cp_alloc_port CP_KCM_PORT
	cp_alloc_port CP_SCHED_PORT
	local pki=$CP_DIR/pki

	cp_start etcd "$CP_BIN/etcd" \
		--name=nim-test \
		--data-dir="$CP_DIR/etcd" \
		--listen-client-urls="http://127.0.0.1:$CP_ETCD_PORT" \
		--advertise-client-urls="http://127.0.0.1:$CP_ETCD_PORT" \
		--listen-peer-urls="http://127.0.0.1:$CP_ETCD_PEER_PORT" \
		--initial-advertise-peer-urls="http://127.0.0.1:$CP_ETCD_PEER_PORT" \
		--initial-cluster="nim-test=http://127.0.0.1:$CP_ETCD_PEER_PORT" \
		--initial-cluster-state=new \
		--unsafe-no-fsync=true \
		--log-level=warn
	cp_wait_for "etcd health" 60 etcd curl -fsS --max-time 2 "http://127.0.0.1:$CP_ETCD_PORT/health"

	# Audit log of every write (create/update/patch/delete/deletecollection), at
	# level Metadata (who, what, response code; no bodies). Mode "blocking":
	# the event is written before the response is sent, so a test can read it
	# right after its request returns. Tests find it through NIM_TEST_AUDIT_LOG.
	cat >"$CP_DIR/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages:
  - RequestReceived
rules:
  - level: Metadata
    verbs: [create, update, patch, delete, deletecollection]
  - level: None
EOF

	# --endpoint-reconciler-type=none: the "kubernetes" Service would get the
	# advertise address 127.0.0.1 as its endpoint, which Endpoints validation
	# rejects (loopback) every few seconds; nothing here needs that endpoint.
	cp_start kube-apiserver "$CP_BIN/kube-apiserver" \
		--bind-address=127.0.0.1 \
		--advertise-address=127.0.0.1 \
		--secure-port="$CP_API_PORT" \
		--cert-dir="$CP_DIR/cert-dir/apiserver" \
		--tls-cert-file="$pki/apiserver.crt" \
		--tls-private-key-file="$pki/apiserver.key" \
		--client-ca-file="$pki/ca.crt" \
		--etcd-servers="http://127.0.0.1:$CP_ETCD_PORT" \
		--authorization-mode=Node,RBAC \
		--service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-account-key-file="$pki/sa.pub" \
		--service-account-signing-key-file="$pki/sa.key" \
		--service-cluster-ip-range="$CP_SERVICE_CIDR" \
		--allow-privileged=true \
		--endpoint-reconciler-type=none \
		--requestheader-client-ca-file="$pki/front-proxy-ca.crt" \
		--requestheader-allowed-names=front-proxy-client \
		--requestheader-username-headers=X-Remote-User \
		--requestheader-group-headers=X-Remote-Group \
		--requestheader-extra-headers-prefix=X-Remote-Extra- \
		--proxy-client-cert-file="$pki/front-proxy-client.crt" \
		--proxy-client-key-file="$pki/front-proxy-client.key" \
		--audit-policy-file="$CP_DIR/audit-policy.yaml" \
		--audit-log-path="$CP_DIR/logs/audit.log" \
		--audit-log-format=json \
		--audit-log-mode=blocking \
		--profiling=false
	cp_wait_for "kube-apiserver /readyz" 120 kube-apiserver cp_https_ok "https://127.0.0.1:$CP_API_PORT/readyz"

	cp_kubeconfig "$CP_DIR/kubeconfig" nim-test-admin admin
	cp_kubeconfig "$CP_DIR/kube-controller-manager.kubeconfig" system:kube-controller-manager kube-controller-manager
	cp_kubeconfig "$CP_DIR/kube-scheduler.kubeconfig" system:kube-scheduler kube-scheduler
	cp_kubeconfig "$CP_DIR/kwok.kubeconfig" kwok-controller kwok

	local kcm_kc=$CP_DIR/kube-controller-manager.kubeconfig
	cp_start kube-controller-manager "$CP_BIN/kube-controller-manager" \
		--kubeconfig="$kcm_kc" \
		--authentication-kubeconfig="$kcm_kc" \
		--authorization-kubeconfig="$kcm_kc" \
		--bind-address=127.0.0.1 \
		--secure-port="$CP_KCM_PORT" \
		--cert-dir="$CP_DIR/cert-dir/kube-controller-manager" \
		--leader-elect=false \
		--use-service-account-credentials=true \
		--service-account-private-key-file="$pki/sa.key" \
		--root-ca-file="$pki/ca.crt" \
		--cluster-signing-cert-file="$pki/ca.crt" \
		--cluster-signing-key-file="$pki/ca.key" \
		--cluster-name=nim-test \
		--service-cluster-ip-range="$CP_SERVICE_CIDR" \
		--profiling=false

	local sched_kc=$CP_DIR/kube-scheduler.kubeconfig
	cp_start kube-scheduler "$CP_BIN/kube-scheduler" \
		--kubeconfig="$sched_kc" \
		--authentication-kubeconfig="$sched_kc" \
		--authorization-kubeconfig="$sched_kc" \
		--bind-address=127.0.0.1 \
		--secure-port="$CP_SCHED_PORT" \
		--cert-dir="$CP_DIR/cert-dir/kube-scheduler" \
		--leader-elect=false \
		--profiling=false

	# kwok reads ~/.kwok/kwok.yaml when present; give it an empty HOME so only
	# our configuration applies. It serves nothing (no --server-address/--node-port).
	cp_start kwok env HOME="$CP_DIR/kwok-home" "$CP_BIN/kwok" \
		--kubeconfig="$CP_DIR/kwok.kubeconfig" \
		--config="$(cp_cache_dir)/kwok-stages.yaml" \
		--manage-all-nodes=false \
		--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
		--node-lease-duration-seconds=40 \
		--cidr="$CP_POD_CIDR"

	cp_wait_for "kube-controller-manager /healthz" 60 kube-controller-manager \
		cp_https_ok_insecure "https://127.0.0.1:$CP_KCM_PORT/healthz"
	cp_wait_for "kube-scheduler /healthz" 60 kube-scheduler \
		cp_https_ok_insecure "https://127.0.0.1:$CP_SCHED_PORT/healthz"

	cat >"$CP_DIR/env" <<EOF
export NIM_TEST_KUBECONFIG=$CP_DIR/kubeconfig
export KUBECONFIG=$CP_DIR/kubeconfig
export NIM_TEST_CONTROLPLANE_DIR=$CP_DIR
export NIM_TEST_AUDIT_LOG=$CP_DIR/logs/audit.log
export PATH=$CP_BIN:\$PATH
EOF
	CP_START_SECONDS=$(cp_elapsed "$t0")
	cp_log "control plane up in $CP_START_SECONDS: https://127.0.0.1:$CP_API_PORT (kubeconfig $CP_DIR/kubeconfig)"
}

# ---------------------------------------------------------------------------
# CRDs and fixture nodes
# ---------------------------------------------------------------------------

# cp_operator_crds_start: generate our CRDs in the background (it compiles the
# binary, which can overlap with the control plane start).
cp_operator_crds_start() {
	local out=$CP_DIR/crds-nim-operator.yaml
	# shellcheck disable=SC2016
	setsid bash -c 'cd "$1" && exec cargo run -q --bin nim-operator -- crds >"$2"' \
		crds "$CP_REPO_ROOT" "$out" </dev/null 2>"$CP_DIR/logs/crds-nim-operator.log" &
	CP_OPERATOR_CRDS_PID=$!
	echo "$CP_OPERATOR_CRDS_PID" >"$CP_DIR/run/crds-gen.pgid"
}

# cp_install_crds: install our four CRDs (from `nim-operator crds`) and the
# pinned third-party CRDs, then wait until every one is Established.
cp_install_crds() {
	local t0 dir
	t0=$(cp_now)
	mkdir -p "$CP_DIR/crds"
	local -a files=()

	[[ -n ${CP_OPERATOR_CRDS_PID:-} ]] || cp_operator_crds_start
	local rc=0 tw
	tw=$(cp_now)
	wait "$CP_OPERATOR_CRDS_PID" || rc=$?
	cp_log "waited $(cp_elapsed "$tw") for \`cargo run --bin nim-operator -- crds\`"
	rm -f "$CP_DIR/run/crds-gen.pgid"
	if ((rc == 0)) && [[ -s $CP_DIR/crds-nim-operator.yaml ]]; then
		files+=("$CP_DIR/crds-nim-operator.yaml")
	else
		cp_log "WARNING: \`cargo run --bin nim-operator -- crds\` failed; the NIM CRDs are NOT installed" \
			"(tests that need them will fail). Its output:"
		tail -n 20 "$CP_DIR/logs/crds-nim-operator.log" >&2 || true
	fi

	local mod ver sum path n=0
	while read -r mod ver sum path; do
		[[ -z $mod || $mod == \#* ]] && continue
		dir=$(cp_module_dir "$mod" "$ver" "$sum")
		[[ -f $dir/$path ]] || cp_die "$path not found in $mod@$ver"
		n=$((n + 1))
		cp "$dir/$path" "$CP_DIR/crds/$(printf '%02d' "$n")-$(basename "$path")"
		files+=("$CP_DIR/crds/$(printf '%02d' "$n")-$(basename "$path")")
	done <"$CP_CRD_LIST"

	local f names
	local -a fargs=()
	for f in "${files[@]}"; do fargs+=(-f "$f"); done
	names=$(cp_kubectl apply --server-side --force-conflicts --field-manager=nim-test-harness -o name "${fargs[@]}") ||
		cp_die "installing the CRDs failed"
	# shellcheck disable=SC2086
	cp_kubectl wait --for=condition=Established --timeout=120s $names >/dev/null ||
		cp_die "CRDs did not become Established"
	cp_log "$(wc -w <<<"$names") CRDs Established in $(cp_elapsed "$t0")"
}

# cp_create_nodes: create the kwok GPU nodes from tests/fixtures/kwok-nodes.yaml
# (a v1 List shaped like `kubectl get nodes -o yaml`) and wait until Ready.
cp_create_nodes() {
	local t0
	t0=$(cp_now)
	cp_kubectl create -f "$CP_NODES_FIXTURE" >/dev/null || cp_die "creating the kwok nodes failed"
	cp_kubectl wait --for=condition=Ready node --all --timeout=120s >/dev/null || {
		cp_print_logs kwok
		cp_die "kwok nodes did not become Ready"
	}
	cp_log "$(cp_kubectl get nodes -o name | wc -l) kwok nodes Ready in $(cp_elapsed "$t0")"
}
