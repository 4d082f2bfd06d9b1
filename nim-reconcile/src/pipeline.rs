//! The reconcile pipeline shared by the four controllers: observe → validate → plan → apply →
//! prune → status → events. Each kind's module ([`crate::nimservice`], [`crate::nimcache`],
//! [`crate::nimpipeline`], [`crate::nimbuild`]) supplies the kind-specific steps; this module
//! holds the steps they share, all written against the [`crate::traits`] so any implementation
//! of the effects can be plugged in.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use nim_planner::diagnostics::{Code, Diagnostic, Severity};
use nim_planner::graph::ObjectId;
use nim_planner::snapshot::ClusterSnapshot;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::hash::{APPLIED_HASH_ANNOTATION, applied_hash, desired_hash};
use crate::kinds;
use crate::traits::{Apply, Event, EventSink, EventType, Observe, StatusWriter};

/// How often a converged object is looked at again (a resync makes no writes).
pub const RESYNC: Duration = Duration::from_secs(300);

/// The pluggable effects plus a clock: everything a controller needs.
///
/// ```
/// # use std::sync::Arc;
/// # use nim_reconcile::pipeline::Reconciler;
/// # fn build(o: Arc<dyn nim_reconcile::traits::Observe>, a: Arc<dyn nim_reconcile::traits::Apply>,
/// #          s: Arc<dyn nim_reconcile::traits::StatusWriter>, e: Arc<dyn nim_reconcile::traits::EventSink>) {
/// let r = Reconciler::new(o, a, s, e);
/// # }
/// ```
#[derive(Clone)]
pub struct Reconciler {
    /// Reads (watch caches).
    pub observe: Arc<dyn Observe>,
    /// Object writes.
    pub apply: Arc<dyn Apply>,
    /// Status writes.
    pub status: Arc<dyn StatusWriter>,
    /// Events.
    pub events: Arc<dyn EventSink>,
    /// The current time, for condition transition times.
    pub clock: Arc<dyn Fn() -> Time + Send + Sync>,
}

/// How a reconcile starts ([`Reconciler::begin`]).
pub(crate) enum Begin {
    /// The CR is being deleted; nothing else to do.
    Deleted(Outcome),
    /// The CR is live.
    Live(Box<Live>),
}

/// A live CR's reconcile context.
pub(crate) struct Live {
    /// The CR's id.
    pub id: ObjectId,
    /// The CR as JSON (what events are about).
    pub json: Value,
    /// Its uid (children's owner).
    pub uid: String,
    /// The cluster as the planner sees it.
    pub snap: ClusterSnapshot,
    /// Writes so far (the finalizer).
    pub writes: u32,
}

/// The reason of the condition of this type and status, if present.
///
/// ```
/// use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
/// let c = Condition { type_: "Failed".into(), status: "True".into(), reason: "X".into(),
///     message: String::new(), observed_generation: None,
///     last_transition_time: Time("2026-01-01T00:00:00Z".parse().unwrap()) };
/// assert_eq!(nim_reconcile::pipeline::condition_reason(&[c], "Failed", "True"), Some("X"));
/// ```
pub fn condition_reason<'a>(
    conditions: &'a [k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition],
    type_: &str,
    status: &str,
) -> Option<&'a str> {
    conditions
        .iter()
        .find(|c| c.type_ == type_ && c.status == status)
        .map(|c| c.reason.as_str())
}

/// What a reconcile did and when to look again.
///
/// ```
/// let o = nim_reconcile::pipeline::Outcome::default();
/// assert_eq!(o.writes, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Look again after this long (`None`: only when something changes, plus the resync).
    pub requeue_after: Option<Duration>,
    /// Write requests made (applies, deletes, status and finalizer writes).
    pub writes: u32,
    /// The resulting `status.state`.
    pub state: String,
}

impl Reconciler {
    /// A reconciler with the system clock.
    ///
    /// ```text
    /// let r = Reconciler::new(observe, applier, status_writer, events);
    /// ```
    pub fn new(
        observe: Arc<dyn Observe>,
        apply: Arc<dyn Apply>,
        status: Arc<dyn StatusWriter>,
        events: Arc<dyn EventSink>,
    ) -> Self {
        Self {
            observe,
            apply,
            status,
            events,
            clock: Arc::new(|| Time(k8s_openapi::jiff::Timestamp::now())),
        }
    }

    /// The current time.
    pub(crate) fn now(&self) -> Time {
        (self.clock)()
    }

    /// Apply every desired object whose applied hash differs from the observed one, then delete
    /// managed children of `owner_uid` that are neither desired nor kept. Returns the number of
    /// writes.
    pub(crate) async fn sync_children(
        &self,
        namespace: &str,
        owner_uid: &str,
        desired: &[Value],
        keep: &(dyn Fn(&ObjectId) -> bool + Sync),
    ) -> Result<u32> {
        let mut writes = 0;
        let mut wanted = BTreeSet::new();
        for obj in desired {
            let id = object_id(obj, namespace);
            wanted.insert(id.clone());
            if !self.observe.serves(&id.api_version, &id.kind) {
                return Err(Error::KindNotInstalled {
                    kind: id.kind,
                    api_version: id.api_version,
                });
            }
            let hash = desired_hash(obj);
            let create_only = kinds::find(&id.api_version, &id.kind).is_some_and(|k| k.create_only);
            if let Some(observed) = self.observe.get(&id)
                && (create_only || applied_hash(&observed) == Some(hash.as_str()))
            {
                continue;
            }
            let mut obj = obj.clone();
            set_annotation(&mut obj, APPLIED_HASH_ANNOTATION, &hash);
            if create_only {
                self.apply.create(&obj).await?;
            } else {
                self.apply.apply(&obj).await?;
            }
            writes += 1;
        }
        for child in self.observe.owned_by(namespace, owner_uid) {
            let id = object_id(&child, namespace);
            // Only objects of kinds we render are ever pruned.
            if wanted.contains(&id) || keep(&id) || kinds::find(&id.api_version, &id.kind).is_none()
            {
                continue;
            }
            let uid = child
                .pointer("/metadata/uid")
                .and_then(Value::as_str)
                .unwrap_or_default();
            self.apply.delete(&id, uid).await?;
            writes += 1;
        }
        Ok(writes)
    }

    /// The common start of every reconcile: a CR being deleted only loses its finalizer
    /// (children go by owner references); a live one gets the finalizer and the snapshot.
    pub(crate) async fn begin<T: serde::Serialize>(
        &self,
        kind: &str,
        cr: &T,
        meta: &ObjectMeta,
        finalizer: &str,
    ) -> Result<Begin> {
        let id = cr_id(kind, meta);
        if meta.deletion_timestamp.is_some() {
            let writes = self.remove_finalizer(&id, meta, finalizer).await?;
            return Ok(Begin::Deleted(Outcome {
                writes,
                ..Default::default()
            }));
        }
        let writes = self.ensure_finalizer(&id, meta, finalizer).await?;
        Ok(Begin::Live(Box::new(Live {
            json: serde_json::to_value(cr)?,
            uid: meta.uid.clone().unwrap_or_default(),
            snap: self.observe.snapshot(),
            writes,
            id,
        })))
    }

    /// Add `finalizer` when missing. Returns the number of writes (0 or 1).
    pub(crate) async fn ensure_finalizer(
        &self,
        id: &ObjectId,
        meta: &ObjectMeta,
        finalizer: &str,
    ) -> Result<u32> {
        let current = meta.finalizers.clone().unwrap_or_default();
        if current.iter().any(|f| f == finalizer) {
            return Ok(0);
        }
        let mut next = current;
        next.push(finalizer.to_string());
        self.apply.set_finalizers(id, &next).await?;
        Ok(1)
    }

    /// Remove `finalizer` (the object is being deleted; children go by owner references).
    pub(crate) async fn remove_finalizer(
        &self,
        id: &ObjectId,
        meta: &ObjectMeta,
        finalizer: &str,
    ) -> Result<u32> {
        let current = meta.finalizers.clone().unwrap_or_default();
        if !current.iter().any(|f| f == finalizer) {
            return Ok(0);
        }
        let next: Vec<String> = current.into_iter().filter(|f| f != finalizer).collect();
        self.apply.set_finalizers(id, &next).await?;
        Ok(1)
    }

    /// Write `new` unless it equals `old`, then publish the events of the transition from
    /// `old_state`/`old_problem` to `new_state`/`new_problem`. Returns writes.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn write_status<S: serde::Serialize>(
        &self,
        live: &Live,
        old: &S,
        new: &S,
        old_state: Option<&str>,
        new_state: &str,
        old_problem: Option<&str>,
        new_problem: Option<(&str, &str)>,
    ) -> Result<u32> {
        let (old, new) = (serde_json::to_value(old)?, serde_json::to_value(new)?);
        if old == new {
            return Ok(0);
        }
        self.status.write_status(&live.id, &new).await?;
        for e in transition_events(old_state, new_state, old_problem, new_problem) {
            self.events.publish(&live.json, e).await;
        }
        Ok(1)
    }
}

/// The id of a rendered or observed object (`namespace` when it has none).
///
/// ```
/// let id = nim_reconcile::pipeline::object_id(&serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}), "n");
/// assert_eq!((id.namespace.as_str(), id.name.as_str()), ("n", "s"));
/// ```
pub fn object_id(obj: &Value, namespace: &str) -> ObjectId {
    let s = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or_default();
    let ns = match s("/metadata/namespace") {
        "" => namespace,
        n => n,
    };
    ObjectId::new(s("/apiVersion"), s("/kind"), ns, s("/metadata/name"))
}

fn set_annotation(obj: &mut Value, key: &str, value: &str) {
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        let ann = meta
            .entry("annotations")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(map) = ann.as_object_mut() {
            map.insert(key.to_string(), Value::String(value.to_string()));
        }
    }
}

/// Whether a planner error is about where the model can run (fixable by the cluster: more or
/// other GPUs, a ready GPU stack) rather than about the spec itself.
///
/// ```
/// use nim_planner::diagnostics::Code;
/// assert!(nim_reconcile::pipeline::is_placement_code(Code::VgpuMultiGpuUnsupported));
/// assert!(!nim_reconcile::pipeline::is_placement_code(Code::InvalidStorage));
/// ```
pub fn is_placement_code(code: Code) -> bool {
    matches!(
        code,
        Code::VgpuMultiGpuUnsupported
            | Code::InsufficientGpusPerNode
            | Code::InsufficientGpuMemory
            | Code::NoCompatibleProfile
            | Code::MinReplicasUnschedulable
            | Code::GpuStackNotReady
    )
}

/// The first error diagnostic about `kind/namespace/name`, if any.
pub(crate) fn first_error<'a>(
    diags: &'a [Diagnostic],
    kind: &str,
    namespace: &str,
    name: &str,
) -> Option<&'a Diagnostic> {
    diags.iter().find(|d| {
        d.severity == Severity::Error
            && d.object.kind == kind
            && d.object.namespace == namespace
            && d.object.name == name
    })
}

/// The events for a change of `status.state` and of the problem (code) being reported.
///
/// ```
/// use nim_reconcile::pipeline::transition_events;
/// let ev = transition_events(Some("NotReady"), "Ready", None, None);
/// assert_eq!(ev[0].reason, "Ready");
/// assert!(transition_events(Some("Ready"), "Ready", None, None).is_empty());
/// let ev = transition_events(None, "Pending", None, Some(("VgpuMultiGpuUnsupported", "use H100")));
/// assert_eq!(ev.len(), 2);
/// ```
pub fn transition_events(
    old_state: Option<&str>,
    new_state: &str,
    old_problem: Option<&str>,
    new_problem: Option<(&str, &str)>,
) -> Vec<Event> {
    let mut out = Vec::new();
    if old_state != Some(new_state) {
        out.push(Event {
            type_: EventType::Normal,
            reason: new_state.to_string(),
            note: format!("state is now {new_state}"),
        });
    }
    if let Some((code, message)) = new_problem
        && old_problem != Some(code)
    {
        out.push(Event {
            type_: EventType::Warning,
            reason: code.to_string(),
            note: truncate(message, 1000),
        });
    }
    out
}

/// `s` cut to at most `max` bytes on a character boundary.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// Id of a NIM custom resource.
pub(crate) fn cr_id(kind: &str, meta: &ObjectMeta) -> ObjectId {
    ObjectId::new(
        nim_types::API_VERSION,
        kind,
        meta.namespace.as_deref().unwrap_or("default"),
        meta.name.as_deref().unwrap_or_default(),
    )
}
