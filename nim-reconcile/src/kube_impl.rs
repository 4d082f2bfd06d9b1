//! The kube-rs implementations of the effect traits: [`KubeObserver`] (reflector stores fed by
//! watches), [`KubeApplier`] (server-side apply with one field manager), [`KubeStatusWriter`]
//! (server-side apply of the status subresource) and [`KubeEvents`] (`events.k8s.io/v1`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use k8s_openapi::api::core::v1::{Node, ObjectReference, Pod};
use kube::api::{
    Api, DeleteParams, DynamicObject, LogParams, Patch, PatchParams, PostParams, Preconditions,
};
use kube::core::GroupVersionKind;
use kube::discovery::ApiResource;
use kube::runtime::events::{Event as KubeEvent, EventType as KubeEventType, Recorder, Reporter};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use nim_planner::graph::ObjectId;
use nim_planner::snapshot::ClusterSnapshot;
use nim_types::{NIMBuild, NIMCache, NIMPipeline, NIMService};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::kinds::{MANAGED_KINDS, ManagedKind};
use crate::traits::{Apply, Event, EventSink, EventType, Observe, StatusWriter};

/// Label every managed child carries.
pub const MANAGED_BY_SELECTOR: &str = "app.kubernetes.io/managed-by=k8s-nim-operator";

/// Default field manager of server-side apply.
pub const FIELD_MANAGER: &str = "nim-operator";

/// Called with every object a watch sees change (including deletions).
pub type OnChange<K> = Arc<dyn Fn(&K) + Send + Sync>;

/// Where each watch reports changes (to map them onto reconcile requests).
#[derive(Clone)]
pub struct ChangeHooks {
    /// Nodes.
    pub node: OnChange<Node>,
    /// Pods (all namespaces: their GPU requests are the cluster's used capacity).
    pub pod: OnChange<Pod>,
    /// NIMCaches.
    pub cache: OnChange<NIMCache>,
    /// NIMServices.
    pub service: OnChange<NIMService>,
    /// Managed children of the other kinds.
    pub child: OnChange<DynamicObject>,
}

impl Default for ChangeHooks {
    fn default() -> Self {
        Self {
            node: Arc::new(|_| {}),
            pod: Arc::new(|_| {}),
            cache: Arc::new(|_| {}),
            service: Arc::new(|_| {}),
            child: Arc::new(|_| {}),
        }
    }
}

/// Watch caches of everything the controllers read.
///
/// Nodes and Pods are watched cluster-wide (GPU capacity is a cluster fact); NIM resources and
/// children only in the operator's namespace when it is scoped. Children are watched with the
/// label selector [`MANAGED_BY_SELECTOR`], for the kinds the cluster serves.
pub struct KubeObserver {
    client: Client,
    nodes: Store<Node>,
    pods: Store<Pod>,
    caches: Store<NIMCache>,
    services: Store<NIMService>,
    pipelines: Store<NIMPipeline>,
    builds: Store<NIMBuild>,
    /// Watch caches of the child kinds the cluster serves, by (apiVersion, kind). Grows when
    /// [`KubeObserver::discover_kinds`] finds a CRD installed after the start.
    children: RwLock<BTreeMap<(String, String), ChildStore>>,
    policies: Option<(ApiResource, Store<DynamicObject>)>,
    served: RwLock<BTreeSet<(String, String)>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    namespace: Option<String>,
    child_hook: OnChange<DynamicObject>,
    /// Bumped by every event of a watch the snapshot is made from.
    version: Arc<AtomicU64>,
    /// The last snapshot and the version it was made at: a burst of reconciles (a Node change
    /// re-plans every NIMService) builds it once.
    cached: Mutex<Option<(u64, ClusterSnapshot)>>,
}

type ChildStore = (ApiResource, Store<DynamicObject>);

/// How long a watch of a newly served kind may take to list before it counts as served anyway.
const NEW_KIND_SYNC_TIMEOUT: Duration = Duration::from_secs(30);

use kube::runtime::reflector::reflector;

/// Lock helpers that survive a panicked holder (the data stays consistent: every critical
/// section is a single insert or read).
fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn lock<T>(l: &Mutex<T>) -> MutexGuard<'_, T> {
    l.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Run a reflector for `api` into `writer`, calling `hook` with every touched object. When
/// `version` is given it is bumped after every watch event has reached the store (including a
/// relist's swap), so a snapshot cached at an older version is never served again.
fn spawn<K>(
    api: Api<K>,
    cfg: watcher::Config,
    writer: reflector::store::Writer<K>,
    hook: OnChange<K>,
    version: Option<Arc<AtomicU64>>,
) -> JoinHandle<()>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Clone + Eq + std::hash::Hash + Send + Sync,
{
    tokio::spawn(async move {
        reflector(writer, watcher(api, cfg))
            .default_backoff()
            .inspect(move |_| {
                if let Some(v) = &version {
                    v.fetch_add(1, Ordering::SeqCst);
                }
            })
            .touched_objects()
            .for_each(|r| {
                match r {
                    Ok(o) => hook(&o),
                    Err(e) => tracing::warn!(error = %e, "watch error; retrying with backoff"),
                }
                futures::future::ready(())
            })
            .await;
    })
}

fn spawn_dynamic(
    api: Api<DynamicObject>,
    ar: ApiResource,
    cfg: watcher::Config,
    hook: OnChange<DynamicObject>,
    version: Option<Arc<AtomicU64>>,
) -> (Store<DynamicObject>, JoinHandle<()>) {
    let writer = reflector::store::Writer::new(ar);
    let reader = writer.as_reader();
    let task = spawn(api, cfg, writer, hook, version);
    (reader, task)
}

fn typed_store<K>(
    api: Api<K>,
    cfg: watcher::Config,
    hook: OnChange<K>,
    tasks: &mut Vec<JoinHandle<()>>,
    version: Option<Arc<AtomicU64>>,
) -> Store<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Clone + Eq + std::hash::Hash + Default + Send + Sync,
{
    let writer = reflector::store::Writer::default();
    let reader = writer.as_reader();
    tasks.push(spawn(api, cfg, writer, hook, version));
    reader
}

pub(crate) fn scoped<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: Resource<Scope = kube::core::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

impl KubeObserver {
    /// Discover which child kinds the cluster serves and start the watches. Returns once the
    /// watches are started; [`KubeObserver::wait_synced`] waits for their first listing.
    ///
    /// ```text
    /// let observer = KubeObserver::start(client, Some("nim"), ChangeHooks::default()).await?;
    /// observer.wait_synced().await;
    /// ```
    pub async fn start(
        client: Client,
        namespace: Option<&str>,
        hooks: ChangeHooks,
    ) -> Result<Self> {
        let mut tasks = Vec::new();
        // Bumped by every watch the snapshot reads (Nodes, Pods, NIMCaches, ConfigMaps,
        // ClusterPolicies).
        let version = Arc::new(AtomicU64::new(0));
        let nodes = typed_store(
            Api::<Node>::all(client.clone()),
            watcher::Config::default(),
            hooks.node.clone(),
            &mut tasks,
            Some(version.clone()),
        );
        let pods = typed_store(
            Api::<Pod>::all(client.clone()),
            watcher::Config::default(),
            hooks.pod.clone(),
            &mut tasks,
            Some(version.clone()),
        );
        let caches = typed_store(
            scoped::<NIMCache>(&client, namespace),
            watcher::Config::default(),
            hooks.cache.clone(),
            &mut tasks,
            Some(version.clone()),
        );
        let services = typed_store(
            scoped::<NIMService>(&client, namespace),
            watcher::Config::default(),
            hooks.service.clone(),
            &mut tasks,
            None,
        );
        let pipelines = typed_store(
            scoped::<NIMPipeline>(&client, namespace),
            watcher::Config::default(),
            Arc::new(|_| {}),
            &mut tasks,
            None,
        );
        let builds = typed_store(
            scoped::<NIMBuild>(&client, namespace),
            watcher::Config::default(),
            Arc::new(|_| {}),
            &mut tasks,
            None,
        );

        let policy_gvk = GroupVersionKind::gvk("nvidia.com", "v1", "ClusterPolicy");
        let policies = match kube::discovery::pinned_kind(&client, &policy_gvk).await {
            Ok((ar, _)) => {
                let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
                let (store, task) = spawn_dynamic(
                    api,
                    ar.clone(),
                    watcher::Config::default(),
                    Arc::new(|_| {}),
                    Some(version.clone()),
                );
                tasks.push(task);
                Some((ar, store))
            }
            Err(_) => None,
        };
        let observer = Self {
            client,
            nodes,
            pods,
            caches,
            services,
            pipelines,
            builds,
            children: RwLock::default(),
            policies,
            served: RwLock::default(),
            tasks: Mutex::new(tasks),
            namespace: namespace.map(str::to_owned),
            child_hook: hooks.child,
            version,
            cached: Mutex::default(),
        };
        observer.discover_kinds(false).await;
        Ok(observer)
    }

    /// Look for managed kinds the cluster did not serve so far (a CRD installed after the
    /// start, e.g. Gateway API or LeaderWorkerSet) and start watching them. With `wait_ready`,
    /// a new kind counts as served once its watch has listed (at most 30 s), so the next
    /// reconcile sees its existing objects. Returns the number of newly served kinds.
    ///
    /// ```text
    /// if observer.discover_kinds(true).await > 0 { /* re-reconcile what failed */ }
    /// ```
    pub async fn discover_kinds(&self, wait_ready: bool) -> usize {
        let mut added = 0;
        for kind in MANAGED_KINDS {
            let key = (kind.api_version(), kind.kind.to_string());
            if read(&self.served).contains(&key) {
                continue;
            }
            let gvk = GroupVersionKind::gvk(kind.group, kind.version, kind.kind);
            if let Err(e) = kube::discovery::pinned_kind(&self.client, &gvk).await {
                if !wait_ready {
                    tracing::info!(kind = kind.kind, api_version = %kind.api_version(), error = %e, "kind not served; objects of this kind cannot be applied");
                }
                continue;
            }
            // Pods and NIMServices are already watched (unfiltered).
            if !matches!(kind.kind, "Pod" | "NIMService") {
                let ar = kind.api_resource();
                let api: Api<DynamicObject> = match &self.namespace {
                    Some(ns) => Api::namespaced_with(self.client.clone(), ns, &ar),
                    None => Api::all_with(self.client.clone(), &ar),
                };
                let cfg = watcher::Config::default().labels(MANAGED_BY_SELECTOR);
                // Only manifest ConfigMaps, of all children, are part of the snapshot.
                let version = (kind.kind == "ConfigMap").then(|| self.version.clone());
                let (store, task) =
                    spawn_dynamic(api, ar.clone(), cfg, self.child_hook.clone(), version);
                lock(&self.tasks).push(task);
                if wait_ready {
                    let _ =
                        tokio::time::timeout(NEW_KIND_SYNC_TIMEOUT, store.wait_until_ready()).await;
                }
                write(&self.children).insert(key.clone(), (ar, store));
            }
            if wait_ready {
                tracing::info!(kind = kind.kind, api_version = %kind.api_version(), "kind now served; watching it");
            }
            write(&self.served).insert(key);
            added += 1;
        }
        added
    }

    /// Build a snapshot from the watch caches (see [`Observe::snapshot`], which caches it).
    fn build_snapshot(&self) -> ClusterSnapshot {
        // Manifest ConfigMaps and the ClusterPolicy go through the planner's own parser.
        let mut objects: Vec<Value> = Vec::new();
        let config_maps = read(&self.children)
            .get(&("v1".to_string(), "ConfigMap".to_string()))
            .cloned();
        if let Some((ar, store)) = config_maps {
            objects.extend(
                store
                    .state()
                    .iter()
                    .filter(|cm| {
                        cm.metadata
                            .name
                            .as_deref()
                            .is_some_and(|n| n.ends_with(nim_planner::snapshot::MANIFEST_SUFFIX))
                    })
                    .filter_map(|cm| typed_dynamic(cm.as_ref(), &ar)),
            );
        }
        if let Some((ar, p)) = &self.policies {
            objects.extend(
                p.state()
                    .iter()
                    .filter_map(|o| typed_dynamic(o.as_ref(), ar)),
            );
        }
        let mut snap = ClusterSnapshot::from_objects(&objects);
        let mut nodes: Vec<Node> = self
            .nodes
            .state()
            .iter()
            .map(|n| n.as_ref().clone())
            .collect();
        nodes.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        let mut pods: Vec<Pod> = self
            .pods
            .state()
            .iter()
            .map(|p| p.as_ref().clone())
            .collect();
        pods.sort_by(|a, b| {
            (&a.metadata.namespace, &a.metadata.name)
                .cmp(&(&b.metadata.namespace, &b.metadata.name))
        });
        let mut inventory = nim_types::inventory::ClusterInventory::from_objects(&nodes, &pods);
        if let Some(cp) = &snap.cluster_policy {
            inventory.cluster_policy = Some(cp.state);
        }
        snap.inventory = Arc::new(inventory);
        snap.pods = pods.into();
        for c in self.caches.state() {
            let key = nim_planner::snapshot::key(
                c.metadata.namespace.as_deref().unwrap_or_default(),
                c.metadata.name.as_deref().unwrap_or_default(),
            );
            snap.nim_caches.insert(key, c.as_ref().clone());
        }
        snap
    }

    /// The child watch caches (cheap clones), so no lock is held across an await.
    fn child_stores(&self) -> Vec<ChildStore> {
        read(&self.children).values().cloned().collect()
    }

    /// Wait until every watch has listed once; child kinds and the ClusterPolicy get at most
    /// 30 s each (a kind that cannot list, e.g. its CRD is being deleted, must not keep the
    /// operator from starting).
    pub async fn wait_synced(&self) {
        let _ = self.nodes.wait_until_ready().await;
        let _ = self.pods.wait_until_ready().await;
        let _ = self.caches.wait_until_ready().await;
        let _ = self.services.wait_until_ready().await;
        let _ = self.pipelines.wait_until_ready().await;
        let _ = self.builds.wait_until_ready().await;
        // A child kind whose CRD is being removed (discovery still lists it, the list gets 404)
        // would never list: wait a bounded time, then go on without it. Its watch keeps
        // retrying, and applying that kind fails like any unavailable API.
        for (ar, store) in self.child_stores().into_iter().chain(self.policies.clone()) {
            if tokio::time::timeout(NEW_KIND_SYNC_TIMEOUT, store.wait_until_ready())
                .await
                .is_err()
            {
                tracing::warn!(kind = %ar.kind, api_version = %ar.api_version, "watch has not listed in 30 s; going on without it");
            }
        }
    }

    /// The NIMService store (for mapping NIMCache and Node changes onto services).
    pub fn services(&self) -> Store<NIMService> {
        self.services.clone()
    }

    /// The NIMCache store.
    pub fn caches(&self) -> Store<NIMCache> {
        self.caches.clone()
    }

    /// The NIMBuild store.
    pub fn builds(&self) -> Store<NIMBuild> {
        self.builds.clone()
    }

    /// The NIMPipeline store.
    pub fn pipelines(&self) -> Store<NIMPipeline> {
        self.pipelines.clone()
    }

    fn dynamic_get(&self, id: &ObjectId) -> Option<Value> {
        let (ar, store) = read(&self.children)
            .get(&(id.api_version.clone(), id.kind.clone()))?
            .clone();
        let key = ObjectRef::<DynamicObject>::new_with(&id.name, ar.clone()).within(&id.namespace);
        store.get(&key).and_then(|o| typed_dynamic(o.as_ref(), &ar))
    }
}

impl Drop for KubeObserver {
    fn drop(&mut self) {
        for t in lock(&self.tasks).iter() {
            t.abort();
        }
    }
}

fn to_value<K: serde::Serialize>(k: &K) -> Option<Value> {
    serde_json::to_value(k).ok()
}

fn with_type<K: Resource<DynamicType = ()> + serde::Serialize>(k: &K) -> Option<Value> {
    let mut v = to_value(k)?;
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "apiVersion".into(),
            Value::String(K::api_version(&()).into_owned()),
        );
        o.insert("kind".into(), Value::String(K::kind(&()).into_owned()));
    }
    Some(v)
}

/// A watched object as JSON with its `apiVersion` and `kind` (list responses omit them).
fn typed_dynamic(o: &DynamicObject, ar: &ApiResource) -> Option<Value> {
    let mut v = serde_json::to_value(o).ok()?;
    let obj = v.as_object_mut()?;
    obj.insert("apiVersion".into(), Value::String(ar.api_version.clone()));
    obj.insert("kind".into(), Value::String(ar.kind.clone()));
    Some(v)
}

fn controller_uid(meta: &Value) -> Option<&str> {
    meta.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))?
        .get("uid")?
        .as_str()
}

impl Observe for KubeObserver {
    fn snapshot(&self) -> ClusterSnapshot {
        // Read the version first: an event after this point makes the cached copy stale.
        let version = self.version.load(Ordering::SeqCst);
        if let Some((v, snap)) = lock(&self.cached).as_ref()
            && *v == version
        {
            return snap.clone();
        }
        let snap = self.build_snapshot();
        *lock(&self.cached) = Some((version, snap.clone()));
        snap
    }

    fn get(&self, id: &ObjectId) -> Option<Value> {
        match (id.api_version.as_str(), id.kind.as_str()) {
            ("v1", "Pod") => self
                .pods
                .get(&ObjectRef::new(&id.name).within(&id.namespace))
                .and_then(|p| with_type(p.as_ref())),
            (nim_types::API_VERSION, "NIMService") => self
                .services
                .get(&ObjectRef::new(&id.name).within(&id.namespace))
                .and_then(|s| with_type(s.as_ref())),
            _ => self.dynamic_get(id),
        }
    }

    fn owned_by(&self, namespace: &str, owner_uid: &str) -> Vec<Value> {
        let mut out = Vec::new();
        if owner_uid.is_empty() {
            return out;
        }
        let owned = |v: &Value| controller_uid(v) == Some(owner_uid);
        for (ar, store) in self.child_stores() {
            for o in store.state() {
                if o.metadata.namespace.as_deref() == Some(namespace)
                    && let Some(v) = typed_dynamic(o.as_ref(), &ar)
                    && owned(&v)
                {
                    out.push(v);
                }
            }
        }
        let managed = |labels: Option<&BTreeMap<String, String>>| {
            labels
                .and_then(|l| l.get("app.kubernetes.io/managed-by"))
                .map(String::as_str)
                == Some("k8s-nim-operator")
        };
        for p in self.pods.state() {
            if p.metadata.namespace.as_deref() == Some(namespace)
                && managed(p.metadata.labels.as_ref())
                && let Some(v) = with_type(p.as_ref())
                && owned(&v)
            {
                out.push(v);
            }
        }
        for s in self.services.state() {
            if s.metadata.namespace.as_deref() == Some(namespace)
                && let Some(v) = with_type(s.as_ref())
                && owned(&v)
            {
                out.push(v);
            }
        }
        out
    }

    fn serves(&self, api_version: &str, kind: &str) -> bool {
        read(&self.served).contains(&(api_version.to_string(), kind.to_string()))
            || !MANAGED_KINDS
                .iter()
                .any(|k: &ManagedKind| k.kind == kind && k.api_version() == api_version)
    }

    fn pod_logs<'a>(&'a self, namespace: &'a str, name: &'a str) -> BoxFuture<'a, Result<String>> {
        async move {
            let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
            Ok(api.logs(name, &LogParams::default()).await?)
        }
        .boxed()
    }
}

/// Server-side apply with one field manager (`force`, so the operator owns what it renders).
#[derive(Clone)]
pub struct KubeApplier {
    client: Client,
    field_manager: String,
}

impl KubeApplier {
    /// An applier using `field_manager` (see [`FIELD_MANAGER`]).
    ///
    /// ```text
    /// let applier = KubeApplier::new(client, FIELD_MANAGER);
    /// ```
    pub fn new(client: Client, field_manager: &str) -> Self {
        Self {
            client,
            field_manager: field_manager.to_string(),
        }
    }

    fn api(&self, api_version: &str, kind: &str, namespace: &str) -> Api<DynamicObject> {
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let plural = crate::kinds::find(api_version, kind)
            .map(|k| k.plural.to_string())
            .unwrap_or_else(|| format!("{}s", kind.to_ascii_lowercase()));
        let ar = ApiResource::from_gvk_with_plural(&gvk, &plural);
        if namespace.is_empty() {
            Api::all_with(self.client.clone(), &ar)
        } else {
            Api::namespaced_with(self.client.clone(), namespace, &ar)
        }
    }
}

/// A write whose object is already gone succeeded as far as we are concerned.
fn gone_is_ok<T>(verb: &'static str, id: &ObjectId, res: kube::Result<T>) -> Result<()> {
    match res {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(rejected(verb, id, e)),
    }
}

fn rejected(verb: &'static str, id: &ObjectId, e: kube::Error) -> Error {
    match e {
        kube::Error::Api(s) if (400..500).contains(&s.code) && s.code != 429 && s.code != 409 => {
            Error::Rejected {
                verb,
                kind: id.kind.clone(),
                namespace: id.namespace.clone(),
                name: id.name.clone(),
                message: s.message.clone(),
                http_code: s.code,
            }
        }
        other => Error::Kube(other),
    }
}

impl Apply for KubeApplier {
    fn apply<'a>(&'a self, obj: &'a Value) -> BoxFuture<'a, Result<()>> {
        async move {
            let id = crate::pipeline::object_id(obj, "");
            let api = self.api(&id.api_version, &id.kind, &id.namespace);
            let pp = PatchParams::apply(&self.field_manager).force();
            tracing::debug!(kind = %id.kind, namespace = %id.namespace, name = %id.name, "apply");
            api.patch(&id.name, &pp, &Patch::Apply(obj))
                .await
                .map_err(|e| rejected("apply", &id, e))?;
            Ok(())
        }
        .boxed()
    }

    fn create<'a>(&'a self, obj: &'a Value) -> BoxFuture<'a, Result<()>> {
        async move {
            let id = crate::pipeline::object_id(obj, "");
            let api = self.api(&id.api_version, &id.kind, &id.namespace);
            let object: DynamicObject = serde_json::from_value(obj.clone())?;
            let pp = PostParams {
                field_manager: Some(self.field_manager.clone()),
                ..Default::default()
            };
            tracing::debug!(kind = %id.kind, namespace = %id.namespace, name = %id.name, "create");
            match api.create(&pp, &object).await {
                Ok(_) => Ok(()),
                // Already there (the watch cache had not seen it yet): it is never replaced.
                Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
                Err(e) => Err(rejected("create", &id, e)),
            }
        }
        .boxed()
    }

    fn delete<'a>(&'a self, id: &'a ObjectId, uid: &'a str) -> BoxFuture<'a, Result<()>> {
        async move {
            let api = self.api(&id.api_version, &id.kind, &id.namespace);
            let dp = DeleteParams {
                preconditions: (!uid.is_empty()).then(|| Preconditions {
                    uid: Some(uid.to_string()),
                    resource_version: None,
                }),
                propagation_policy: Some(kube::api::PropagationPolicy::Background),
                ..Default::default()
            };
            tracing::debug!(kind = %id.kind, namespace = %id.namespace, name = %id.name, "delete");
            gone_is_ok("delete", id, api.delete(&id.name, &dp).await)
        }
        .boxed()
    }

    fn set_finalizers<'a>(
        &'a self,
        id: &'a ObjectId,
        finalizers: &'a [String],
    ) -> BoxFuture<'a, Result<()>> {
        async move {
            let api = self.api(&id.api_version, &id.kind, &id.namespace);
            let patch = serde_json::json!({"metadata": {"finalizers": finalizers}});
            gone_is_ok(
                "patch",
                id,
                api.patch(&id.name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await,
            )
        }
        .boxed()
    }
}

/// Writes status with server-side apply on the `status` subresource.
#[derive(Clone)]
pub struct KubeStatusWriter {
    applier: KubeApplier,
}

impl KubeStatusWriter {
    /// A status writer with `field_manager`.
    ///
    /// ```text
    /// let status = KubeStatusWriter::new(client, FIELD_MANAGER);
    /// ```
    pub fn new(client: Client, field_manager: &str) -> Self {
        Self {
            applier: KubeApplier::new(client, field_manager),
        }
    }
}

impl StatusWriter for KubeStatusWriter {
    fn write_status<'a>(
        &'a self,
        id: &'a ObjectId,
        status: &'a Value,
    ) -> BoxFuture<'a, Result<()>> {
        async move {
            let api = self.applier.api(&id.api_version, &id.kind, &id.namespace);
            let body = serde_json::json!({
                "apiVersion": id.api_version, "kind": id.kind,
                "metadata": {"name": id.name, "namespace": id.namespace},
                "status": status,
            });
            let pp = PatchParams::apply(&self.applier.field_manager).force();
            gone_is_ok(
                "status",
                id,
                api.patch_status(&id.name, &pp, &Patch::Apply(&body)).await,
            )
        }
        .boxed()
    }
}

/// Publishes `events.k8s.io/v1` events with kube's recorder.
#[derive(Clone)]
pub struct KubeEvents {
    recorder: Recorder,
}

impl KubeEvents {
    /// Events reported by `controller` (instance `instance`, e.g. the pod name).
    ///
    /// ```text
    /// let events = KubeEvents::new(client, "nim-operator", "nim-operator-0");
    /// ```
    pub fn new(client: Client, controller: &str, instance: &str) -> Self {
        let reporter = Reporter {
            controller: controller.to_string(),
            instance: Some(instance.to_string()),
        };
        Self {
            recorder: Recorder::new(client, reporter),
        }
    }
}

impl EventSink for KubeEvents {
    fn publish<'a>(&'a self, regarding: &'a Value, event: Event) -> BoxFuture<'a, ()> {
        async move {
            let s = |p: &str| {
                regarding
                    .pointer(p)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let reference = ObjectReference {
                api_version: s("/apiVersion"),
                kind: s("/kind"),
                name: s("/metadata/name"),
                namespace: s("/metadata/namespace"),
                uid: s("/metadata/uid"),
                resource_version: s("/metadata/resourceVersion"),
                ..Default::default()
            };
            let ev = KubeEvent {
                type_: match event.type_ {
                    EventType::Normal => KubeEventType::Normal,
                    EventType::Warning => KubeEventType::Warning,
                },
                reason: event.reason.clone(),
                note: Some(event.note),
                action: "Reconcile".to_string(),
                secondary: None,
            };
            if let Err(e) = self.recorder.publish(&ev, &reference).await {
                tracing::warn!(error = %e, reason = %event.reason, "cannot publish event");
            }
        }
        .boxed()
    }
}
