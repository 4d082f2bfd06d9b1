//! Shared helpers for integration tests that talk to the local control plane.
//!
//! The control plane (real etcd, kube-apiserver, kube-controller-manager,
//! kube-scheduler and kwok GPU nodes) is started by `scripts/test.sh`, which
//! exports `NIM_TEST_KUBECONFIG`. Tests that need it are marked
//! `#[ignore = "needs the local control plane (scripts/test.sh)"]` so that a
//! plain `cargo test` stays offline; `scripts/test.sh` runs them with
//! `--include-ignored`. For interactive use: `scripts/controlplane.sh up` and
//! `eval "$(scripts/controlplane.sh env)"`.
//!
//! Use from a test crate with `mod support;`.
#![allow(dead_code)]

pub mod operator;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, DynamicObject, GroupVersionKind, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::{ApiCapabilities, ApiResource, Scope};
use kube::{Client, Config};

/// Environment variable holding the path of the test cluster's admin kubeconfig.
pub const KUBECONFIG_ENV: &str = "NIM_TEST_KUBECONFIG";

/// Set to `1` to keep test namespaces (for debugging with `scripts/controlplane.sh`).
pub const KEEP_NAMESPACES_ENV: &str = "NIM_TEST_KEEP_NAMESPACES";

/// Label put on every namespace created by [`TestNamespace`].
pub const TEST_NAMESPACE_LABEL: &str = "nim-operator.test/namespace";

/// Path of the test cluster's kubeconfig, from `NIM_TEST_KUBECONFIG`.
///
/// # Panics
/// When the variable is not set: the test needs the local control plane.
pub fn kubeconfig_path() -> PathBuf {
    match std::env::var_os(KUBECONFIG_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "{KUBECONFIG_ENV} is not set: this test needs the local Kubernetes control plane. \
             Run scripts/test.sh (or `scripts/controlplane.sh up` and \
             `eval \"$(scripts/controlplane.sh env)\"`)."
        ),
    }
}

async fn client_from(path: &Path) -> Client {
    let kubeconfig = Kubeconfig::read_from(path).unwrap_or_else(|e| {
        panic!(
            "cannot read the test kubeconfig {} ({KUBECONFIG_ENV}): {e}; run scripts/test.sh",
            path.display()
        )
    });
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("invalid test kubeconfig {}: {e}", path.display()));
    Client::try_from(config).expect("building a kube::Client for the test control plane")
}

/// A client for the local test control plane (admin, `system:masters`).
///
/// # Panics
/// When `NIM_TEST_KUBECONFIG` is unset ("run scripts/test.sh") or unusable.
pub async fn client() -> Client {
    client_from(&kubeconfig_path()).await
}

/// A fresh, uniquely named namespace for one test.
///
/// Deleted by [`TestNamespace::cleanup`], or on drop (also when the test
/// panics). Deletion is asynchronous on the server side (the namespace
/// controller removes the contents), so tests never wait for it.
pub struct TestNamespace {
    name: String,
    client: Client,
    kubeconfig: PathBuf,
    deleted: bool,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name(prefix: &str) -> String {
    let mut p: String = prefix
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    p.truncate(40);
    let p = p.trim_matches('-');
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // pid + time + counter: unique across concurrently running test binaries.
    let suffix = format!(
        "{:x}",
        (nanos as u64) ^ (u64::from(std::process::id()) << 40) ^ u64::from(n)
    );
    let suffix = &suffix[suffix.len().saturating_sub(10)..];
    if p.is_empty() {
        format!("t-{suffix}-{n}")
    } else {
        format!("t-{p}-{suffix}{n}")
    }
}

impl TestNamespace {
    /// Create a namespace named `t-<prefix>-<unique suffix>`.
    pub async fn new(prefix: &str) -> Self {
        let kubeconfig = kubeconfig_path();
        let client = client_from(&kubeconfig).await;
        let name = unique_name(prefix);
        let ns: Namespace = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": { "name": name, "labels": { TEST_NAMESPACE_LABEL: "true" } }
        }))
        .expect("namespace manifest");
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &ns)
            .await
            .unwrap_or_else(|e| panic!("creating test namespace {name}: {e}"));
        TestNamespace {
            name,
            client,
            kubeconfig,
            deleted: false,
        }
    }

    /// The namespace name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The client this namespace was created with.
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// Delete the namespace now (instead of on drop).
    pub async fn cleanup(mut self) {
        self.deleted = true;
        if keep_namespaces() {
            return;
        }
        delete_namespace(self.client.clone(), &self.name).await;
    }
}

fn keep_namespaces() -> bool {
    std::env::var(KEEP_NAMESPACES_ENV).is_ok_and(|v| v == "1")
}

async fn delete_namespace(client: Client, name: &str) {
    match Api::<Namespace>::all(client)
        .delete(name, &DeleteParams::background())
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => {}
        Err(e) => eprintln!("warning: deleting test namespace {name}: {e}"),
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        if self.deleted || keep_namespaces() {
            return;
        }
        self.deleted = true;
        // Drop cannot await, and blocking the test's runtime would starve the
        // client's background tasks; delete from a separate thread with its own
        // runtime and client.
        let name = std::mem::take(&mut self.name);
        let path = self.kubeconfig.clone();
        let joined = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime for namespace cleanup");
            rt.block_on(async move {
                let client = client_from(&path).await;
                delete_namespace(client, &name).await;
            });
        })
        .join();
        if joined.is_err() {
            eprintln!("warning: test namespace cleanup thread panicked");
        }
    }
}

/// Parse one YAML manifest into a [`DynamicObject`].
pub fn from_yaml(yaml: &str) -> DynamicObject {
    let value: serde_json::Value =
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("bad test manifest: {e}\n{yaml}"));
    serde_json::from_value(value)
        .unwrap_or_else(|e| panic!("test manifest is not a Kubernetes object: {e}\n{yaml}"))
}

/// Resolve the API resource of an object from its `apiVersion`/`kind` through
/// the API server's discovery.
pub async fn resource_of(client: &Client, obj: &DynamicObject) -> (ApiResource, ApiCapabilities) {
    let types = obj
        .types
        .as_ref()
        .expect("manifest has apiVersion and kind");
    let gvk = GroupVersionKind::try_from(types).expect("valid apiVersion");
    kube::discovery::pinned_kind(client, &gvk)
        .await
        .unwrap_or_else(|e| panic!("{}/{} is not served: {e}", types.api_version, types.kind))
}

/// An `Api<DynamicObject>` for the object's kind, scoped to `namespace` for
/// namespaced kinds.
pub async fn api_for(client: &Client, namespace: &str, obj: &DynamicObject) -> Api<DynamicObject> {
    let (ar, caps) = resource_of(client, obj).await;
    match caps.scope {
        Scope::Namespaced => Api::namespaced_with(client.clone(), namespace, &ar),
        Scope::Cluster => Api::all_with(client.clone(), &ar),
    }
}

/// Create a YAML manifest in `namespace` and return the server's answer.
pub async fn create_yaml(
    client: &Client,
    namespace: &str,
    yaml: &str,
) -> Result<DynamicObject, kube::Error> {
    let obj = from_yaml(yaml);
    api_for(client, namespace, &obj)
        .await
        .create(&PostParams::default(), &obj)
        .await
}

/// Poll `f` every 250 ms until it yields `Some`, or panic after `timeout`
/// with `what` and the last observation. Tests use generous timeouts and
/// never assert on how long something took.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match f().await {
            Ok(v) => return v,
            Err(last) => {
                if tokio::time::Instant::now() >= deadline {
                    panic!("timed out after {timeout:?} waiting for {what}; last seen: {last}");
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
