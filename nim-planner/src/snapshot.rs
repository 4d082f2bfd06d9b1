//! [`ClusterSnapshot`]: everything the planner knows about the cluster, built from plain
//! Kubernetes objects as `kubectl get nodes,pods,nimcaches,configmaps,clusterpolicies -o yaml`
//! returns them (after YAML parsing into [`serde_json::Value`]).
//!
//! * `Node` and `Pod` → [`ClusterInventory`] (GPU Feature Discovery labels, allocations).
//! * `NIMCache` → typed caches with their status.
//! * `ConfigMap` named `<nimcache>-manifest` → parsed model manifest (key `model_manifest.yaml`).
//! * `ClusterPolicy` (GPU Operator) → state and `Error` condition reason.
//! * Other kinds are ignored. Malformed objects are skipped and reported as [`SnapshotError`]s
//!   naming the object and field; building never panics.
//!
//! The ConfigMap holds the manifest as YAML *text*; [`ClusterSnapshot::from_objects`] parses it
//! with [`parse_manifest_text`] (YAML, so JSON works too), and
//! [`ClusterSnapshot::from_objects_with`] accepts another parser.
//!
//! ```
//! use nim_planner::snapshot::ClusterSnapshot;
//! use serde_json::json;
//!
//! let list = json!({"apiVersion": "v1", "kind": "List", "items": [
//!     {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "gpu-0", "labels": {
//!         "nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": "NVIDIA-H100XM-80C",
//!         "nvidia.com/gpu.count": "4", "nvidia.com/vgpu.present": "true"}},
//!      "status": {"allocatable": {"nvidia.com/gpu": "4"},
//!                 "conditions": [{"type": "Ready", "status": "True"}]}},
//!     {"apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
//!      "metadata": {"name": "llama", "namespace": "nim"},
//!      "spec": {"source": {"ngc": {"authSecret": "ngc", "modelPuller": "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.3.3"}},
//!               "storage": {"pvc": {"create": true, "size": "50Gi"}}},
//!      "status": {"state": "Ready"}},
//!     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "llama-manifest", "namespace": "nim"},
//!      "data": {"model_manifest.yaml": "{\"abc\": {\"tags\": {\"tp\": \"2\"}}}"}},
//!     {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ignored"}}
//! ]});
//! let snap = ClusterSnapshot::from_value(&list);
//! assert!(snap.errors.is_empty());
//! assert_eq!(snap.inventory.pools()["nvidia-h100xm-80c-x4"].free_gpus, 4);
//! assert_eq!(snap.manifest("nim", "llama").map(|m| m.profiles["abc"].tp()), Some(2));
//! assert!(snap.nim_cache("nim", "llama").is_some());
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};
use nim_types::NIMCache;
use nim_types::inventory::{ClusterInventory, ClusterPolicyState, labels};
use serde::Serialize;
use serde_json::Value;

use crate::diagnostics::ObjectRef;
use crate::profile::Manifest;

/// ConfigMap key holding the model manifest.
///
/// ```
/// assert_eq!(nim_planner::snapshot::MANIFEST_KEY, "model_manifest.yaml");
/// ```
pub const MANIFEST_KEY: &str = "model_manifest.yaml";

/// Suffix of the manifest ConfigMap name (`<nimcache>-manifest`).
///
/// ```
/// assert_eq!(nim_planner::snapshot::MANIFEST_SUFFIX, "-manifest");
/// ```
pub const MANIFEST_SUFFIX: &str = "-manifest";

/// A malformed input object that was skipped (wholly or in part).
///
/// ```
/// use nim_planner::snapshot::ClusterSnapshot;
/// let snap = ClusterSnapshot::from_value(&serde_json::json!({"kind": "Node", "metadata": {"name": 3}}));
/// assert_eq!(snap.errors[0].object.kind, "Node");
/// assert!(snap.errors[0].to_string().contains("Node"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, thiserror::Error)]
#[error("{object}: {field}: {message}")]
pub struct SnapshotError {
    /// The object (name/namespace empty when unreadable).
    pub object: ObjectRef,
    /// Field at fault (`metadata.name`, `data.model_manifest.yaml`, `status.state`, …).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// GPU Operator `ClusterPolicy` status (`gpu-domain.md` §1.4).
///
/// ```
/// use nim_planner::snapshot::ClusterPolicyStatus;
/// use nim_types::inventory::ClusterPolicyState;
/// let s = ClusterPolicyStatus { name: "cluster-policy".into(), state: ClusterPolicyState::NotReady, error_reason: Some("DriverNotReady".into()) };
/// assert!(!s.state.is_ready());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterPolicyStatus {
    /// Object name.
    pub name: String,
    /// `status.state` (missing ⇒ [`ClusterPolicyState::Unknown`]).
    pub state: ClusterPolicyState,
    /// Reason of an `Error` condition with status `True`, reported verbatim.
    pub error_reason: Option<String>,
}

/// What the planner knows about the cluster.
///
/// ```
/// let snap = nim_planner::snapshot::ClusterSnapshot::default();
/// assert!(snap.nim_caches.is_empty() && snap.cluster_policy.is_none());
/// ```
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClusterSnapshot {
    /// GPU nodes, allocations and pools (its `cluster_policy` mirrors [`Self::cluster_policy`]).
    /// Shared, so that planning variants of a snapshot (other caches, what-if edits of the CRs)
    /// does not copy thousands of nodes.
    pub inventory: Arc<ClusterInventory>,
    /// NIMCaches keyed by `namespace/name`.
    pub nim_caches: BTreeMap<String, NIMCache>,
    /// Parsed manifests keyed by the owning NIMCache's `namespace/name`.
    pub manifests: BTreeMap<String, Manifest>,
    /// The GPU Operator ClusterPolicy, if one was given (the first by name when several were).
    pub cluster_policy: Option<ClusterPolicyStatus>,
    /// Skipped or partly unreadable objects, sorted.
    pub errors: Vec<SnapshotError>,
    /// The Pods, sorted by namespace/name (the planner counts a NIMService's own pods as its
    /// capacity; see [`crate::placement::is_own_pod`]). Shared like the inventory. Not
    /// serialized.
    #[serde(skip)]
    pub pods: Arc<[Pod]>,
}

/// `namespace/name` key used by [`ClusterSnapshot`] maps.
///
/// ```
/// assert_eq!(nim_planner::snapshot::key("nim", "llama"), "nim/llama");
/// ```
pub fn key(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

fn object_ref(obj: &Value, kind: &str) -> ObjectRef {
    let meta = obj.get("metadata");
    let s = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    ObjectRef::new(kind, s("namespace"), s("name"))
}

/// Flattens `List` objects and arrays into single objects.
fn flatten<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        Value::Object(m) if is_list(m) => {
            if let Some(items) = m.get("items") {
                flatten(items, out);
            }
        }
        other => out.push(other),
    }
}

/// `kind: List` / `kind: <X>List` with an `items` array, or a kind-less object with `items`.
fn is_list(m: &serde_json::Map<String, Value>) -> bool {
    m.get("items").is_some_and(Value::is_array)
        && match m.get("kind") {
            None => true,
            Some(Value::String(k)) => k.ends_with("List"),
            Some(_) => false,
        }
}

/// Parses a JSON (and thus JSON-style YAML) manifest text.
///
/// ```
/// assert!(nim_planner::snapshot::parse_json_text("{\"a\": 1}").is_ok());
/// assert!(nim_planner::snapshot::parse_json_text("a: 1").is_err());
/// ```
pub fn parse_json_text(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// Parses manifest text as YAML (JSON is valid YAML); the default of
/// [`ClusterSnapshot::from_objects`].
///
/// ```
/// let v = nim_planner::snapshot::parse_manifest_text("abc:\n  tags: {tp: '2'}\n").unwrap();
/// assert_eq!(v["abc"]["tags"]["tp"], "2");
/// assert!(nim_planner::snapshot::parse_manifest_text("a: [").is_err());
/// ```
pub fn parse_manifest_text(text: &str) -> Result<Value, String> {
    serde_saphyr::from_str(text).map_err(|e| e.to_string())
}

impl ClusterSnapshot {
    /// Builds a snapshot from one value: a single object, a `List` (`kind: List` with `items`), or
    /// an array of either. Manifests are parsed with [`parse_manifest_text`].
    ///
    /// ```
    /// let snap = nim_planner::snapshot::ClusterSnapshot::from_value(&serde_json::json!([]));
    /// assert!(snap.inventory.nodes.is_empty());
    /// ```
    pub fn from_value(doc: &Value) -> Self {
        Self::from_objects(std::slice::from_ref(doc))
    }

    /// Builds a snapshot from objects (Lists and arrays are flattened), parsing manifest text as
    /// YAML ([`parse_manifest_text`]).
    ///
    /// ```
    /// use serde_json::json;
    /// let snap = nim_planner::snapshot::ClusterSnapshot::from_objects(&[json!({
    ///     "kind": "ClusterPolicy", "metadata": {"name": "cluster-policy"},
    ///     "status": {"state": "notReady", "conditions": [
    ///         {"type": "Error", "status": "True", "reason": "DriverNotReady"}]}
    /// })]);
    /// let cp = snap.cluster_policy.unwrap();
    /// assert_eq!(cp.error_reason.as_deref(), Some("DriverNotReady"));
    /// ```
    pub fn from_objects(objects: &[Value]) -> Self {
        Self::from_objects_with(objects, &parse_manifest_text)
    }

    /// Builds a snapshot, parsing the manifest text of `<nimcache>-manifest` ConfigMaps with
    /// `parse_manifest_text` (typically a YAML parser supplied by the caller). A ConfigMap whose
    /// key already holds a structured value (pre-parsed) is used as is.
    ///
    /// ```
    /// use serde_json::json;
    /// use nim_planner::snapshot::ClusterSnapshot;
    /// let cm = json!({"kind": "ConfigMap", "metadata": {"name": "c-manifest", "namespace": "n"},
    ///                 "data": {"model_manifest.yaml": "ignored"}});
    /// let snap = ClusterSnapshot::from_objects_with(&[cm], &|_text: &str| {
    ///     Ok(json!({"p1": {"tags": {"tp": "4"}}}))
    /// });
    /// assert_eq!(snap.manifest("n", "c").unwrap().profiles["p1"].tp(), 4);
    /// ```
    pub fn from_objects_with(
        objects: &[Value],
        parse_manifest_text: &dyn Fn(&str) -> Result<Value, String>,
    ) -> Self {
        let mut flat = Vec::new();
        for o in objects {
            flatten(o, &mut flat);
        }
        let mut snap = Self::default();
        let mut nodes: Vec<Node> = Vec::new();
        let mut pods: Vec<Pod> = Vec::new();
        let mut policies: BTreeMap<String, ClusterPolicyStatus> = BTreeMap::new();
        for obj in flat {
            let Some(kind) = obj.get("kind").and_then(Value::as_str) else {
                snap.errors.push(SnapshotError {
                    object: object_ref(obj, ""),
                    field: "kind".into(),
                    message: "object has no string `kind`; skipped".into(),
                });
                continue;
            };
            let oref = object_ref(obj, kind);
            let err = |field: &str, message: String| SnapshotError {
                object: oref.clone(),
                field: field.to_owned(),
                message,
            };
            match kind {
                "Node" => match serde_json::from_value::<Node>(obj.clone()) {
                    Ok(n) => nodes.push(n),
                    Err(e) => snap
                        .errors
                        .push(err("", format!("not a valid Node: {e}; skipped"))),
                },
                "Pod" => match serde_json::from_value::<Pod>(obj.clone()) {
                    Ok(p) => pods.push(p),
                    Err(e) => snap
                        .errors
                        .push(err("", format!("not a valid Pod: {e}; skipped"))),
                },
                "NIMCache" => match serde_json::from_value::<NIMCache>(obj.clone()) {
                    Ok(_) if oref.name.is_empty() => {
                        snap.errors.push(err(
                            "metadata.name",
                            "NIMCache without a name; skipped".into(),
                        ));
                    }
                    Ok(c) => {
                        snap.nim_caches.insert(key(&oref.namespace, &oref.name), c);
                    }
                    Err(e) => snap
                        .errors
                        .push(err("", format!("not a valid NIMCache: {e}; skipped"))),
                },
                "ConfigMap" => {
                    let Some(cache) = oref.name.strip_suffix(MANIFEST_SUFFIX) else {
                        continue;
                    };
                    if cache.is_empty() {
                        continue;
                    }
                    let field = format!("data.{MANIFEST_KEY}");
                    let Some(raw) = obj.get("data").and_then(|d| d.get(MANIFEST_KEY)) else {
                        continue;
                    };
                    let doc = match raw {
                        Value::String(text) => match parse_manifest_text(text) {
                            Ok(v) => v,
                            Err(e) => {
                                snap.errors
                                    .push(err(&field, format!("manifest is not parsable: {e}")));
                                continue;
                            }
                        },
                        other => other.clone(),
                    };
                    match Manifest::from_value(&doc) {
                        Ok(m) => {
                            snap.manifests.insert(key(&oref.namespace, cache), m);
                        }
                        Err(e) => snap.errors.push(err(&field, e.to_string())),
                    }
                }
                "ClusterPolicy" => {
                    let status = obj.get("status");
                    let state = status
                        .and_then(|s| s.get("state"))
                        .and_then(Value::as_str)
                        .map_or(ClusterPolicyState::Unknown, ClusterPolicyState::parse);
                    let error_reason = status
                        .and_then(|s| s.get("conditions"))
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .find(|c| {
                            c.get("type").and_then(Value::as_str) == Some("Error")
                                && c.get("status").and_then(Value::as_str) == Some("True")
                        })
                        .and_then(|c| c.get("reason").and_then(Value::as_str))
                        .map(str::to_owned);
                    policies.insert(
                        oref.name.clone(),
                        ClusterPolicyStatus {
                            name: oref.name.clone(),
                            state,
                            error_reason,
                        },
                    );
                }
                _ => {}
            }
        }
        // Deterministic regardless of input order: sort typed objects by name before building.
        nodes.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        pods.sort_by(|a, b| {
            (&a.metadata.namespace, &a.metadata.name)
                .cmp(&(&b.metadata.namespace, &b.metadata.name))
        });
        let mut inventory = ClusterInventory::from_objects(&nodes, &pods);
        snap.cluster_policy = policies.into_values().next();
        if let Some(cp) = &snap.cluster_policy {
            inventory.cluster_policy = Some(cp.state);
        }
        snap.inventory = Arc::new(inventory);
        snap.pods = pods.into();
        snap.errors.sort();
        snap.errors.dedup();
        snap
    }

    /// The NIMCache `namespace/name`, if present.
    ///
    /// ```
    /// assert!(nim_planner::snapshot::ClusterSnapshot::default().nim_cache("a", "b").is_none());
    /// ```
    pub fn nim_cache(&self, namespace: &str, name: &str) -> Option<&NIMCache> {
        self.nim_caches.get(&key(namespace, name))
    }

    /// The parsed manifest of NIMCache `namespace/name`, if its ConfigMap was present and valid.
    ///
    /// ```
    /// assert!(nim_planner::snapshot::ClusterSnapshot::default().manifest("a", "b").is_none());
    /// ```
    pub fn manifest(&self, namespace: &str, name: &str) -> Option<&Manifest> {
        self.manifests.get(&key(namespace, name))
    }

    /// Whether some node carries `nvidia.com/gpu.present=true` (the GPU Operator's node label).
    ///
    /// ```
    /// assert!(!nim_planner::snapshot::ClusterSnapshot::default().any_gpu_present_label());
    /// ```
    pub fn any_gpu_present_label(&self) -> bool {
        self.inventory.nodes.values().any(|n| {
            n.labels
                .get(labels::GPU_PRESENT)
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        })
    }

    /// Distinct `nvidia.com/gpu.product` labels over all nodes, sorted (the NIM operator's
    /// "discovered GPUs" for profile selection).
    ///
    /// ```
    /// assert!(nim_planner::snapshot::ClusterSnapshot::default().gpu_products().is_empty());
    /// ```
    pub fn gpu_products(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .inventory
            .nodes
            .values()
            .filter_map(|n| n.labels.get(labels::GPU_PRODUCT).map(String::as_str))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}
