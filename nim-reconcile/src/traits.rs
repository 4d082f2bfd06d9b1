//! The effects of a reconcile, as traits: what the controllers read ([`Observe`]) and what they
//! change ([`Apply`], [`StatusWriter`], [`EventSink`]). The kube-rs implementations live in
//! [`crate::kube_impl`]; another team can plug in its own (a dry-run applier, a status policy,
//! an event bridge) and reuse the controllers unchanged.
//!
//! Objects cross these traits as `serde_json::Value`s with `apiVersion`, `kind` and `metadata`,
//! which is what the planner renders.

use futures::future::BoxFuture;
use nim_planner::graph::ObjectId;
use nim_planner::snapshot::ClusterSnapshot;
use serde_json::Value;

use crate::error::Result;

/// Read access to the cluster, from watch caches (no LIST per reconcile).
///
/// ```
/// # use nim_reconcile::traits::Observe;
/// fn nodes_known(o: &dyn Observe) -> usize { o.snapshot().inventory.nodes.len() }
/// ```
pub trait Observe: Send + Sync {
    /// The planner's view of the cluster: Nodes, Pods, NIMCaches, model manifests and the
    /// GPU Operator's ClusterPolicy.
    fn snapshot(&self) -> ClusterSnapshot;
    /// The observed object with this id, if the caches hold it.
    fn get(&self, id: &ObjectId) -> Option<Value>;
    /// Managed children (label `app.kubernetes.io/managed-by=k8s-nim-operator`) in `namespace`
    /// whose controller owner reference has this uid.
    fn owned_by(&self, namespace: &str, owner_uid: &str) -> Vec<Value>;
    /// Whether the cluster serves this `apiVersion`/`kind` (its CRD is installed).
    fn serves(&self, api_version: &str, kind: &str) -> bool;
    /// The log text of a pod's first container (manifest probes read their output this way).
    fn pod_logs<'a>(&'a self, namespace: &'a str, name: &'a str) -> BoxFuture<'a, Result<String>>;
}

/// Writes desired objects.
///
/// ```
/// # use nim_reconcile::traits::Apply;
/// async fn apply_all(a: &dyn Apply, objs: &[serde_json::Value]) -> nim_reconcile::error::Result<()> {
///     for o in objs { a.apply(o).await?; }
///     Ok(())
/// }
/// ```
pub trait Apply: Send + Sync {
    /// Server-side apply of a whole desired object (creates it when absent).
    fn apply<'a>(&'a self, obj: &'a Value) -> BoxFuture<'a, Result<()>>;
    /// Create an object that is never updated (a Job, a Pod, a PVC, a Secret with a generated
    /// key); one that already exists is left as it is and counts as success, so a reconcile
    /// that runs before its watch cache has seen the object cannot replace it. The default
    /// applies the object, for appliers where creating and applying are the same.
    fn create<'a>(&'a self, obj: &'a Value) -> BoxFuture<'a, Result<()>> {
        self.apply(obj)
    }
    /// Delete an object, only if it still has this uid (a precondition, so a re-created
    /// object of the same name is never deleted by mistake).
    fn delete<'a>(&'a self, id: &'a ObjectId, uid: &'a str) -> BoxFuture<'a, Result<()>>;
    /// Replace `metadata.finalizers` of a NIM custom resource.
    fn set_finalizers<'a>(
        &'a self,
        id: &'a ObjectId,
        finalizers: &'a [String],
    ) -> BoxFuture<'a, Result<()>>;
}

/// Writes the `status` subresource of a NIM custom resource.
///
/// ```
/// # use nim_reconcile::traits::StatusWriter;
/// fn _takes(_: &dyn StatusWriter) {}
/// ```
pub trait StatusWriter: Send + Sync {
    /// Write the whole status of `id` (callers only call this when it changed).
    fn write_status<'a>(&'a self, id: &'a ObjectId, status: &'a Value)
    -> BoxFuture<'a, Result<()>>;
}

/// Kubernetes event types.
///
/// ```
/// assert_eq!(nim_reconcile::traits::EventType::Warning.as_str(), "Warning");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// Normal.
    Normal,
    /// Warning.
    Warning,
}

impl EventType {
    /// `Normal` or `Warning`.
    ///
    /// ```
    /// assert_eq!(nim_reconcile::traits::EventType::Normal.as_str(), "Normal");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "Normal",
            Self::Warning => "Warning",
        }
    }
}

/// One event about a NIM custom resource.
///
/// ```
/// use nim_reconcile::traits::{Event, EventType};
/// let e = Event { type_: EventType::Warning, reason: "VgpuMultiGpuUnsupported".into(), note: "add an H100 pool".into() };
/// assert_eq!(e.reason, "VgpuMultiGpuUnsupported");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Normal or Warning.
    pub type_: EventType,
    /// CamelCase reason (a state or a diagnostic code).
    pub reason: String,
    /// Human-readable note.
    pub note: String,
}

/// Publishes events. Best effort: a failed event never fails a reconcile.
///
/// ```
/// # use nim_reconcile::traits::EventSink;
/// fn _takes(_: &dyn EventSink) {}
/// ```
pub trait EventSink: Send + Sync {
    /// Publish `event` about the object `regarding` (a NIM custom resource as rendered JSON).
    fn publish<'a>(&'a self, regarding: &'a Value, event: Event) -> BoxFuture<'a, ()>;
}
