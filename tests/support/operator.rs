//! Harness for end-to-end tests that run the real `nim-operator` binary against the local
//! control plane.
//!
//! - [`install_rbac`] gives a namespace the operator's ServiceAccount, bound to exactly the
//!   ClusterRole that `nim-operator install-manifests` prints, and writes a kubeconfig that
//!   authenticates as that ServiceAccount (token, no client certificate). The operator under
//!   test therefore runs with the install RBAC and nothing more: a missing rule fails the test.
//! - [`OperatorProcess`] runs `nim-operator run` with that kubeconfig, waits for `/healthz`,
//!   scrapes `/metrics` and stops or kills the process.
//! - [`audit_writes`] reads the apiserver's audit log (`NIM_TEST_AUDIT_LOG`, written by
//!   `scripts/controlplane/lib.sh`) to see which writes a given client made.
//!
//! ```text
//! let ns = TestNamespace::new("smoke").await;
//! let kubeconfig = install_rbac(&ns.client(), ns.name()).await;
//! let since = SystemTime::now();
//! let op = OperatorProcess::start(&kubeconfig, ns.name(), "op-a").await;
//! assert_eq!(op.get("/readyz").0, 200);
//! let writes = audit_writes("nim-operator/op-a", ns.name(), since);
//! ```

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::authorization::v1::SelfSubjectAccessReview;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::config::Kubeconfig;
use serde_json::{Value, json};

use super::{client_from, kubeconfig_path, wait_for};

/// Environment variable holding the path of the apiserver's audit log (JSON lines, one event
/// per write at level `Metadata`), set by `scripts/test.sh` and `scripts/controlplane.sh env`.
pub const AUDIT_LOG_ENV: &str = "NIM_TEST_AUDIT_LOG";

/// Field manager of the test harness's server-side applies.
pub const FIELD_MANAGER: &str = "nim-e2e";

/// Name of the operator's ServiceAccount and ClusterRole (as in `install-manifests`).
pub const OPERATOR_NAME: &str = "nim-operator";

/// Path of the `nim-operator` binary Cargo built for this test crate.
pub const OPERATOR_BIN: &str = env!("CARGO_BIN_EXE_nim-operator");

/// The documents `nim-operator install-manifests --namespace <namespace>` prints.
///
/// # Panics
/// When the command fails or its output is not multi-document YAML.
pub fn install_manifests(namespace: &str) -> Vec<Value> {
    let out = Command::new(OPERATOR_BIN)
        .args(["install-manifests", "--namespace", namespace])
        .output()
        .unwrap_or_else(|e| panic!("running {OPERATOR_BIN} install-manifests: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "`nim-operator install-manifests` failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_saphyr::from_multiple(&stdout).unwrap_or_else(|e| {
        panic!("`nim-operator install-manifests` output is not YAML documents: {e}\n{stdout}")
    })
}

/// The ClusterRole out of [`install_manifests`], as printed.
///
/// # Panics
/// When the output has no ClusterRole.
pub fn install_cluster_role(namespace: &str) -> Value {
    install_manifests(namespace)
        .into_iter()
        .find(|d| d["kind"] == "ClusterRole")
        .expect("`nim-operator install-manifests` prints a ClusterRole")
}

/// Give `namespace` the operator's RBAC and return a kubeconfig that authenticates as it.
///
/// Server-side applies (field manager `nim-e2e`) the ServiceAccount `nim-operator` in
/// `namespace`, the ClusterRole `nim-operator` exactly as `nim-operator install-manifests`
/// prints it (shared by all tests; applied with `force`, it is the same every time) and a
/// ClusterRoleBinding `nim-operator-<namespace>` of it to that ServiceAccount. The binding is
/// owned by the Namespace, so the garbage collector deletes it with the namespace. Then
/// requests a one-hour token for the ServiceAccount (TokenRequest API) and writes a kubeconfig
/// with the admin kubeconfig's server and CA and that token (no client certificate) to
/// `$CARGO_TARGET_TMPDIR/nim-e2e-<namespace>.kubeconfig`. Returns once the token's permissions
/// are in effect (RBAC is cached by the apiserver), checked with a SelfSubjectAccessReview.
///
/// # Panics
/// On any API error, or when the permissions do not take effect within 30 s.
pub async fn install_rbac(client: &Client, namespace: &str) -> PathBuf {
    apply_rbac(client, namespace, &install_cluster_role(namespace)).await
}

/// [`install_rbac`] with a given ClusterRole `nim-operator` (a JSON object) instead of the
/// printed one: for tests of what a different role allows or denies. Tests of the operator as
/// installed use [`install_rbac`].
pub async fn apply_rbac(client: &Client, namespace: &str, role: &Value) -> PathBuf {
    let apply = PatchParams::apply(FIELD_MANAGER).force();

    let sa = json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": { "name": OPERATOR_NAME, "namespace": namespace }
    });
    Api::<ServiceAccount>::namespaced(client.clone(), namespace)
        .patch(OPERATOR_NAME, &apply, &Patch::Apply(&sa))
        .await
        .unwrap_or_else(|e| panic!("applying ServiceAccount {namespace}/{OPERATOR_NAME}: {e}"));

    assert_eq!(
        role["metadata"]["name"], OPERATOR_NAME,
        "the install ClusterRole's name"
    );
    Api::<ClusterRole>::all(client.clone())
        .patch(OPERATOR_NAME, &apply, &Patch::Apply(role))
        .await
        .unwrap_or_else(|e| panic!("applying ClusterRole {OPERATOR_NAME}: {e}"));

    let ns = Api::<Namespace>::all(client.clone())
        .get(namespace)
        .await
        .unwrap_or_else(|e| panic!("reading Namespace {namespace}: {e}"));
    let binding_name = format!("{OPERATOR_NAME}-{namespace}");
    let binding = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {
            "name": binding_name,
            "ownerReferences": [{
                "apiVersion": "v1",
                "kind": "Namespace",
                "name": namespace,
                "uid": ns.metadata.uid.expect("a Namespace has a uid"),
            }]
        },
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": OPERATOR_NAME
        },
        "subjects": [{ "kind": "ServiceAccount", "name": OPERATOR_NAME, "namespace": namespace }]
    });
    Api::<ClusterRoleBinding>::all(client.clone())
        .patch(&binding_name, &apply, &Patch::Apply(&binding))
        .await
        .unwrap_or_else(|e| panic!("applying ClusterRoleBinding {binding_name}: {e}"));

    let request = TokenRequest {
        spec: TokenRequestSpec {
            expiration_seconds: Some(3600),
            ..TokenRequestSpec::default()
        },
        ..TokenRequest::default()
    };
    let token = Api::<ServiceAccount>::namespaced(client.clone(), namespace)
        .create_token_request(OPERATOR_NAME, &PostParams::default(), &request)
        .await
        .unwrap_or_else(|e| panic!("requesting a token for {namespace}/{OPERATOR_NAME}: {e}"))
        .status
        .expect("a TokenRequest answer has a status")
        .token;

    let path =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("nim-e2e-{namespace}.kubeconfig"));
    write_token_kubeconfig(&path, &token);
    wait_until_allowed(&path, namespace).await;
    path
}

/// Write a kubeconfig for the test cluster (server and CA from `NIM_TEST_KUBECONFIG`) that
/// authenticates with `token`.
fn write_token_kubeconfig(path: &Path, token: &str) {
    let admin_path = kubeconfig_path();
    let admin = Kubeconfig::read_from(&admin_path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", admin_path.display()));
    let cluster_name = admin
        .current_context
        .as_ref()
        .and_then(|c| admin.contexts.iter().find(|n| &n.name == c))
        .and_then(|n| n.context.as_ref())
        .map(|c| c.cluster.clone());
    let cluster = admin
        .clusters
        .iter()
        .find(|c| cluster_name.is_none() || cluster_name.as_ref() == Some(&c.name))
        .and_then(|c| c.cluster.as_ref())
        .unwrap_or_else(|| panic!("{} has no cluster", admin_path.display()));
    let server = cluster
        .server
        .as_deref()
        .expect("the test cluster has a server");
    let ca = cluster
        .certificate_authority_data
        .as_deref()
        .expect("the test kubeconfig has certificate-authority-data");
    // JSON is YAML; serde_json quotes every string safely.
    let config = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{
            "name": "nim-test",
            "cluster": { "server": server, "certificate-authority-data": ca }
        }],
        "users": [{ "name": OPERATOR_NAME, "user": { "token": token } }],
        "contexts": [{
            "name": "nim-test",
            "context": { "cluster": "nim-test", "user": OPERATOR_NAME }
        }],
        "current-context": "nim-test"
    });
    std::fs::write(path, config.to_string())
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// Wait until the token in `kubeconfig` may update Leases in `namespace` (the last rule of the
/// ClusterRole an operator needs before it can do anything).
async fn wait_until_allowed(kubeconfig: &Path, namespace: &str) {
    let client = client_from(kubeconfig).await;
    let reviews = Api::<SelfSubjectAccessReview>::all(client);
    let review: SelfSubjectAccessReview = serde_json::from_value(json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": { "resourceAttributes": {
            "group": "coordination.k8s.io",
            "resource": "leases",
            "verb": "update",
            "namespace": namespace
        } }
    }))
    .expect("SelfSubjectAccessReview manifest");
    wait_for(
        "the operator ServiceAccount's RBAC to take effect",
        Duration::from_secs(30),
        || async {
            let answer = reviews
                .create(&PostParams::default(), &review)
                .await
                .map_err(|e| e.to_string())?;
            match answer.status {
                Some(s) if s.allowed => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
}

/// A running `nim-operator run` process. Killed (SIGKILL) on drop; when the test is
/// panicking, the end of its log is printed first.
pub struct OperatorProcess {
    child: Child,
    port: u16,
    log: PathBuf,
    identity: String,
}

/// A free TCP port on 127.0.0.1 (bound and released; the race with other processes is
/// negligible on a test machine).
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("binding an ephemeral port on 127.0.0.1")
        .port()
}

impl OperatorProcess {
    /// Spawn `nim-operator run --namespace <namespace> --identity <identity> --metrics-bind
    /// 127.0.0.1:<free port> --lease-namespace <namespace>` with `KUBECONFIG=<kubeconfig>`,
    /// output to `$CARGO_TARGET_TMPDIR/operator-<namespace>-<identity>.log`, and wait (up to
    /// 60 s, polling every 100 ms) until `/healthz` answers 200.
    ///
    /// # Panics
    /// When the process cannot start, exits, or is not healthy in time (with its log).
    pub async fn start(kubeconfig: &Path, namespace: &str, identity: &str) -> Self {
        Self::start_with(kubeconfig, namespace, identity, &[]).await
    }

    /// [`Self::start`] with `extra` arguments appended to `nim-operator run`.
    ///
    /// # Panics
    /// As [`Self::start`].
    pub async fn start_with(
        kubeconfig: &Path,
        namespace: &str,
        identity: &str,
        extra: &[&str],
    ) -> Self {
        let port = free_port();
        let log = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("operator-{namespace}-{identity}.log"));
        let out = File::create(&log).unwrap_or_else(|e| panic!("creating {}: {e}", log.display()));
        let err = out.try_clone().expect("duplicating the log file handle");
        let child = Command::new(OPERATOR_BIN)
            .args(["run", "--namespace", namespace, "--identity", identity])
            .args(["--metrics-bind", &format!("127.0.0.1:{port}")])
            .args(["--lease-namespace", namespace])
            .args(extra)
            .env("KUBECONFIG", kubeconfig)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {OPERATOR_BIN} run: {e}"));
        let mut op = OperatorProcess {
            child,
            port,
            log,
            identity: identity.to_owned(),
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let last = match op.try_get("/healthz") {
                Ok((200, _)) => return op,
                Ok((code, body)) => format!("HTTP {code}: {body}"),
                Err(e) => e.to_string(),
            };
            if let Ok(Some(status)) = op.child.try_wait() {
                panic!(
                    "operator {identity} exited ({status}) before /healthz answered 200; log {}:\n{}",
                    op.log.display(),
                    op.logs()
                );
            }
            if tokio::time::Instant::now() >= deadline {
                panic!(
                    "operator {identity}: /healthz not 200 after 60 s (last: {last}); log {}:\n{}",
                    op.log.display(),
                    op.logs()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The metrics/health port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The operator's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `GET path` on the metrics port: status code and body, or the I/O error.
    pub fn try_get(&self, path: &str) -> std::io::Result<(u16, String)> {
        http_get(self.port, path)
    }

    /// `GET path` on the metrics port: status code and body.
    ///
    /// # Panics
    /// When the request fails at the connection level.
    pub fn get(&self, path: &str) -> (u16, String) {
        self.try_get(path).unwrap_or_else(|e| {
            panic!(
                "operator {}: GET {path} on 127.0.0.1:{}: {e}",
                self.identity, self.port
            )
        })
    }

    /// The body of `GET /metrics` (Prometheus/OpenMetrics text).
    ///
    /// # Panics
    /// When the request fails or does not answer 200.
    pub fn metrics_text(&self) -> String {
        let (code, body) = self.get("/metrics");
        assert_eq!(code, 200, "GET /metrics answered {code}: {body}");
        body
    }

    /// The sum of the samples of metric `name` (the exact sample name, e.g. `foo_total` for an
    /// OpenMetrics counter) whose labels include every pair of `labels`; `None` when there is
    /// no such sample.
    pub fn metric(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        metric_value(&self.metrics_text(), name, labels)
    }

    /// SIGKILL the process and reap it (a crash: no lease release, no cleanup).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM the process (`kill -TERM <pid>`) and wait up to 30 s for it to exit.
    ///
    /// # Panics
    /// When it is still running after 30 s (it is then killed).
    pub fn stop(&mut self) -> ExitStatus {
        if let Ok(Some(status)) = self.child.try_wait() {
            return status;
        }
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("running kill -TERM");
        assert!(sent.success(), "kill -TERM {pid} failed: {sent}");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("waiting for the operator") {
                return status;
            }
            if std::time::Instant::now() >= deadline {
                self.kill();
                panic!(
                    "operator {} did not exit within 30 s of SIGTERM; log {}:\n{}",
                    self.identity,
                    self.log.display(),
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Everything the process wrote to stdout and stderr so far.
    pub fn logs(&self) -> String {
        std::fs::read(&self.log)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_else(|e| format!("<cannot read {}: {e}>", self.log.display()))
    }

    /// Path of the log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }
}

impl Drop for OperatorProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let logs = self.logs();
            let tail: Vec<_> = logs.lines().rev().take(40).collect();
            eprintln!(
                "----- operator {} (log {}), last {} lines -----",
                self.identity,
                self.log.display(),
                tail.len()
            );
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
        self.kill();
    }
}

/// A plain HTTP/1.0 GET on 127.0.0.1:`port` (the server closes the connection after the
/// response). Returns the status code and the body (chunked bodies are decoded).
pub fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let bad = |what: &str| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{what}: {text:?}"))
    };
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| bad("no status code"))?;
    let chunked = head.lines().any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.eq_ignore_ascii_case("transfer-encoding") && v.trim().eq_ignore_ascii_case("chunked")
        })
    });
    let body = if chunked {
        dechunk(body).ok_or_else(|| bad("bad chunked body"))?
    } else {
        body.to_owned()
    };
    Ok((code, body))
}

/// Decode an HTTP/1.1 chunked body; `None` when malformed.
pub fn dechunk(mut rest: &str) -> Option<String> {
    let mut out = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n")?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        out.push_str(after.get(..size)?);
        rest = after.get(size..)?.strip_prefix("\r\n")?;
    }
}

/// A sample's labels: (name, value) pairs.
type Labels = Vec<(String, String)>;

/// Parse the labels of one sample (`k="v",k2="v2"`, without the braces); `None` when
/// malformed. Values are unescaped (`\\`, `\"`, `\n`).
fn parse_labels(mut s: &str) -> Option<Labels> {
    let mut labels = Vec::new();
    loop {
        s = s.trim_start_matches([',', ' ']);
        if s.is_empty() {
            return Some(labels);
        }
        let (key, after) = s.split_once('=')?;
        let mut chars = after.strip_prefix('"')?.char_indices();
        let mut value = String::new();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                (_, c) => value.push(c),
            }
        };
        labels.push((key.trim().to_owned(), value));
        s = &after[end + 2..];
    }
}

/// One sample line of the Prometheus/OpenMetrics text format: name, labels and value
/// (a trailing timestamp is ignored). `None` for comments, blank and malformed lines.
fn parse_sample(line: &str) -> Option<(&str, Labels, f64)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let name_end = line.find(['{', ' ']).unwrap_or(line.len());
    let (name, rest) = line.split_at(name_end);
    let (labels, rest) = match rest.strip_prefix('{') {
        // Only the value and a timestamp follow the closing brace, so it is the last one.
        Some(after) => {
            let close = after.rfind('}')?;
            (parse_labels(&after[..close])?, &after[close + 1..])
        }
        None => (Vec::new(), rest),
    };
    let value = rest.split_whitespace().next()?.parse().ok()?;
    Some((name, labels, value))
}

/// In Prometheus/OpenMetrics text `text`, the sum of the samples named exactly `name` whose
/// labels include every pair of `labels`; `None` when no sample matches.
pub fn metric_value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter_map(parse_sample)
        .filter(|(n, sample_labels, _)| {
            *n == name
                && labels
                    .iter()
                    .all(|(k, v)| sample_labels.iter().any(|(sk, sv)| sk == k && sv == v))
        })
        .map(|(_, _, value)| value)
        .reduce(|a, b| a + b)
}

/// One write request from the apiserver's audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditWrite {
    /// `create`, `update`, `patch`, `delete` or `deletecollection`.
    pub verb: String,
    /// The resource (plural, e.g. `deployments`).
    pub resource: String,
    /// The subresource (`status`, `finalizers`...), if any.
    pub subresource: Option<String>,
    /// The object's name (absent for `deletecollection` and some creates).
    pub name: Option<String>,
    /// The authenticated user (`system:serviceaccount:<ns>:nim-operator` for the operator).
    pub user: String,
    /// The client's HTTP user agent (`nim-operator/<identity>` for the operator).
    pub user_agent: String,
    /// The response's HTTP status code.
    pub code: Option<u16>,
}

const WRITE_VERBS: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];

/// The write requests (create, update, patch, delete, deletecollection) on objects in
/// `namespace`, from clients whose user agent contains `user_agent_contains`, received at or
/// after `since`, in log order — from the audit log at `NIM_TEST_AUDIT_LOG`. The apiserver
/// writes it in blocking mode, so a request's event is there once the request has returned.
///
/// # Panics
/// When `NIM_TEST_AUDIT_LOG` is unset or the file cannot be read.
pub fn audit_writes(
    user_agent_contains: &str,
    namespace: &str,
    since: SystemTime,
) -> Vec<AuditWrite> {
    let path = match std::env::var_os(AUDIT_LOG_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "{AUDIT_LOG_ENV} is not set: this test reads the apiserver audit log of the local \
             control plane. Run scripts/test.sh (or `scripts/controlplane.sh up` and \
             `eval \"$(scripts/controlplane.sh env)\"`)."
        ),
    };
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading the audit log {}: {e}", path.display()));
    text.lines()
        // A line being written concurrently may be incomplete: skip what does not parse.
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|event| audit_write(&event, user_agent_contains, namespace, since))
        .collect()
}

/// The [`AuditWrite`] of one audit event (a parsed log line), when it passes the filters of
/// [`audit_writes`]; `None` otherwise.
pub fn audit_write(
    event: &Value,
    user_agent_contains: &str,
    namespace: &str,
    since: SystemTime,
) -> Option<AuditWrite> {
    let str_of = |v: &Value| v.as_str().map(str::to_owned);
    // Only the final stage: long-running requests also log ResponseStarted.
    if event["stage"] != "ResponseComplete" {
        return None;
    }
    let verb = event["verb"].as_str()?;
    let object = &event["objectRef"];
    let user_agent = event["userAgent"].as_str().unwrap_or_default();
    if !WRITE_VERBS.contains(&verb)
        || object["namespace"] != namespace
        || !user_agent.contains(user_agent_contains)
    {
        return None;
    }
    if parse_timestamp(event["requestReceivedTimestamp"].as_str()?)? < since {
        return None;
    }
    Some(AuditWrite {
        verb: verb.to_owned(),
        resource: str_of(&object["resource"]).unwrap_or_default(),
        subresource: str_of(&object["subresource"]),
        name: str_of(&object["name"]),
        user: str_of(&event["user"]["username"]).unwrap_or_default(),
        user_agent: user_agent.to_owned(),
        code: event["responseStatus"]["code"]
            .as_u64()
            .and_then(|c| u16::try_from(c).ok()),
    })
}

/// Parse a UTC RFC 3339 timestamp as the apiserver writes them
/// (`2026-12-03T21:49:28.123456Z`, fraction optional).
pub fn parse_timestamp(s: &str) -> Option<SystemTime> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.splitn(3, ':').map(|p| p.parse::<u64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").get(..9)?.parse().ok()?
    };
    // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = u64::try_from(era * 146_097 + doe - 719_468).ok()?;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    Some(UNIX_EPOCH + Duration::new(secs, nanos))
}
