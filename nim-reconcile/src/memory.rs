//! An in-memory cluster implementing every effect trait: for unit tests of controllers built on
//! this crate, dry runs, and offline demos. Writes land in a map (and in a write log), nothing
//! touches the network. It is not an apiserver: no validation, defaulting or garbage collection.

use std::collections::BTreeMap;
use std::sync::Mutex;

use futures::FutureExt;
use futures::future::BoxFuture;
use nim_planner::graph::ObjectId;
use nim_planner::snapshot::ClusterSnapshot;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::pipeline::object_id;
use crate::traits::{Apply, Event, EventSink, Observe, StatusWriter};

#[derive(Default)]
struct Inner {
    objects: BTreeMap<ObjectId, Value>,
    writes: Vec<String>,
    events: Vec<(String, Event)>,
    logs: BTreeMap<(String, String), String>,
    next_uid: u64,
}

/// An in-memory cluster.
///
/// ```
/// use nim_reconcile::memory::MemoryCluster;
/// use nim_reconcile::traits::{Apply, Observe};
/// let cluster = MemoryCluster::new(vec![]);
/// let cm = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}});
/// futures::executor::block_on(cluster.apply(&cm)).unwrap();
/// assert_eq!(cluster.writes(), vec!["apply ConfigMap n/c"]);
/// let id = nim_reconcile::pipeline::object_id(&cm, "n");
/// assert!(cluster.get(&id).unwrap()["metadata"]["uid"].is_string());
/// ```
#[derive(Default)]
pub struct MemoryCluster {
    inner: Mutex<Inner>,
}

impl MemoryCluster {
    /// A cluster holding `objects` (Nodes, Pods, ConfigMaps, NIM objects...); objects without
    /// a uid get one.
    ///
    /// ```
    /// let c = nim_reconcile::memory::MemoryCluster::new(vec![serde_json::json!(
    ///     {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}})]);
    /// assert_eq!(nim_reconcile::traits::Observe::snapshot(&c).inventory.nodes.len(), 1);
    /// ```
    pub fn new(objects: Vec<Value>) -> Self {
        let cluster = Self::default();
        for o in objects {
            cluster.put(o);
        }
        cluster
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Insert or replace an object as a user would (not recorded as a write); returns it with
    /// its uid.
    ///
    /// ```
    /// let c = nim_reconcile::memory::MemoryCluster::default();
    /// let o = c.put(serde_json::json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"}}));
    /// assert!(c.writes().is_empty());
    /// assert!(o["metadata"]["uid"].is_string());
    /// ```
    pub fn put(&self, mut obj: Value) -> Value {
        let mut inner = self.lock();
        let id = object_id(&obj, "default");
        let uid = inner
            .objects
            .get(&id)
            .and_then(|o| o.pointer("/metadata/uid").cloned())
            .or_else(|| obj.pointer("/metadata/uid").cloned());
        let uid = match uid {
            Some(u) => u,
            None => {
                inner.next_uid += 1;
                Value::String(format!("uid-{}", inner.next_uid))
            }
        };
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("uid".into(), uid);
            meta.entry("namespace")
                .or_insert_with(|| Value::String(id.namespace.clone()));
        }
        inner.objects.insert(id, obj.clone());
        obj
    }

    /// Set the log text [`Observe::pod_logs`] returns for a pod (pods have no log otherwise).
    ///
    /// ```
    /// use nim_reconcile::traits::Observe;
    /// let c = nim_reconcile::memory::MemoryCluster::default();
    /// c.set_pod_logs("n", "p", "hello");
    /// assert_eq!(futures::executor::block_on(c.pod_logs("n", "p")).unwrap(), "hello");
    /// ```
    pub fn set_pod_logs(&self, namespace: &str, pod: &str, text: &str) {
        self.lock()
            .logs
            .insert((namespace.to_string(), pod.to_string()), text.to_string());
    }

    /// The write log: `apply|delete|finalizers|status Kind ns/name`, in order.
    pub fn writes(&self) -> Vec<String> {
        self.lock().writes.clone()
    }

    /// Forget the write log.
    pub fn clear_writes(&self) {
        self.lock().writes.clear();
    }

    /// Events published, as (object name, event).
    pub fn events(&self) -> Vec<(String, Event)> {
        self.lock().events.clone()
    }

    /// All objects of a kind.
    ///
    /// ```
    /// assert!(nim_reconcile::memory::MemoryCluster::default().list("Deployment").is_empty());
    /// ```
    pub fn list(&self, kind: &str) -> Vec<Value> {
        self.lock()
            .objects
            .iter()
            .filter(|(id, _)| id.kind == kind)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn record(&self, verb: &str, id: &ObjectId) {
        self.lock()
            .writes
            .push(format!("{verb} {} {}/{}", id.kind, id.namespace, id.name));
    }
}

impl Observe for MemoryCluster {
    fn snapshot(&self) -> ClusterSnapshot {
        let objects: Vec<Value> = self.lock().objects.values().cloned().collect();
        ClusterSnapshot::from_objects(&objects)
    }

    fn get(&self, id: &ObjectId) -> Option<Value> {
        self.lock().objects.get(id).cloned()
    }

    fn owned_by(&self, namespace: &str, owner_uid: &str) -> Vec<Value> {
        self.lock()
            .objects
            .iter()
            .filter(|(id, _)| id.namespace == namespace)
            .filter(|(_, o)| {
                o.pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| {
                        refs.iter()
                            .any(|r| r["controller"] == Value::Bool(true) && r["uid"] == owner_uid)
                    })
            })
            .map(|(_, o)| o.clone())
            .collect()
    }

    fn serves(&self, _api_version: &str, _kind: &str) -> bool {
        true
    }

    fn pod_logs<'a>(&'a self, namespace: &'a str, name: &'a str) -> BoxFuture<'a, Result<String>> {
        async move {
            if let Some(text) = self
                .lock()
                .logs
                .get(&(namespace.to_string(), name.to_string()))
            {
                return Ok(text.clone());
            }
            Err(Error::InvalidSpec {
                code: "NoLogs".into(),
                message: format!("the in-memory cluster has no log for pod {namespace}/{name}"),
            })
        }
        .boxed()
    }
}

impl Apply for MemoryCluster {
    fn apply<'a>(&'a self, obj: &'a Value) -> BoxFuture<'a, Result<()>> {
        async move {
            let id = object_id(obj, "default");
            let mut merged = obj.clone();
            if let Some(old) = self.get(&id) {
                // Keep what the server owns: status and the finalizers.
                for key in ["status"] {
                    if let Some(v) = old.get(key) {
                        merged[key] = v.clone();
                    }
                }
                if let Some(f) = old.pointer("/metadata/finalizers") {
                    merged["metadata"]["finalizers"] = f.clone();
                }
            }
            self.put(merged);
            self.record("apply", &id);
            Ok(())
        }
        .boxed()
    }

    fn create<'a>(&'a self, obj: &'a Value) -> BoxFuture<'a, Result<()>> {
        async move {
            let id = object_id(obj, "default");
            if self.get(&id).is_none() {
                self.put(obj.clone());
            }
            self.record("create", &id);
            Ok(())
        }
        .boxed()
    }

    fn delete<'a>(&'a self, id: &'a ObjectId, _uid: &'a str) -> BoxFuture<'a, Result<()>> {
        async move {
            self.lock().objects.remove(id);
            self.record("delete", id);
            Ok(())
        }
        .boxed()
    }

    fn set_finalizers<'a>(
        &'a self,
        id: &'a ObjectId,
        finalizers: &'a [String],
    ) -> BoxFuture<'a, Result<()>> {
        async move {
            if let Some(o) = self.lock().objects.get_mut(id) {
                o["metadata"]["finalizers"] = serde_json::json!(finalizers);
            }
            self.record("finalizers", id);
            Ok(())
        }
        .boxed()
    }
}

impl StatusWriter for MemoryCluster {
    fn write_status<'a>(
        &'a self,
        id: &'a ObjectId,
        status: &'a Value,
    ) -> BoxFuture<'a, Result<()>> {
        async move {
            if let Some(o) = self.lock().objects.get_mut(id) {
                o["status"] = status.clone();
            }
            self.record("status", id);
            Ok(())
        }
        .boxed()
    }
}

impl EventSink for MemoryCluster {
    fn publish<'a>(&'a self, regarding: &'a Value, event: Event) -> BoxFuture<'a, ()> {
        async move {
            let name = regarding
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            self.lock().events.push((name, event));
        }
        .boxed()
    }
}
