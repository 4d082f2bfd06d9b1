//! The four controllers on kube-rs' runtime: one watch cache per kind ([`KubeObserver`]), change
//! mapping onto reconcile requests (owner references, NIMCache → its NIMServices and NIMBuilds,
//! GPU-relevant Node changes → every NIMService and NIMCache), and the error policy (invalid
//! spec: wait for a change; missing CRD or permission: retry in five minutes; transient:
//! exponential backoff).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::channel::mpsc::{UnboundedSender, unbounded};
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Client, Resource};
use nim_types::{NIMBuild, NIMCache, NIMPipeline, NIMService};

use crate::error::{Error, ErrorClass, Result};
use crate::kube_impl::{
    ChangeHooks, FIELD_MANAGER, KubeApplier, KubeEvents, KubeObserver, KubeStatusWriter, scoped,
};
use crate::metrics::Metrics;
use crate::pipeline::{Outcome, Reconciler};
use crate::{nimbuild, nimcache, nimpipeline, nimservice};

/// How the controllers run.
///
/// ```
/// let cfg = nim_reconcile::controller::OperatorConfig::default();
/// assert_eq!(cfg.field_manager, "nim-operator");
/// assert!(cfg.namespace.is_none());
/// ```
#[derive(Debug, Clone)]
pub struct OperatorConfig {
    /// Watch and manage only this namespace (`None`: all namespaces).
    pub namespace: Option<String>,
    /// Server-side apply field manager.
    pub field_manager: String,
    /// This replica's identity (event reporter instance).
    pub identity: String,
    /// How often to look for child kinds whose CRDs were installed after the start.
    pub discovery_interval: Duration,
}

impl Default for OperatorConfig {
    fn default() -> Self {
        Self {
            namespace: None,
            field_manager: FIELD_MANAGER.to_string(),
            identity: "nim-operator".to_string(),
            discovery_interval: Duration::from_secs(60),
        }
    }
}

/// Shared state of the reconcile functions.
pub struct Context {
    /// The effects.
    pub reconciler: Reconciler,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    failures: Mutex<HashMap<String, u32>>,
}

impl Context {
    /// A context around a reconciler.
    ///
    /// ```text
    /// let ctx = Context::new(reconciler, metrics);
    /// ```
    pub fn new(reconciler: Reconciler, metrics: Arc<Metrics>) -> Self {
        Self {
            reconciler,
            metrics,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn failures(&self, key: &str, reset: bool) -> u32 {
        let Ok(mut map) = self.failures.lock() else {
            return 0;
        };
        if reset {
            map.remove(key);
            return 0;
        }
        let n = map.entry(key.to_string()).or_default();
        *n = n.saturating_add(1);
        *n
    }
}

/// Backoff after `n` consecutive transient failures: 1 s doubling up to 5 minutes.
///
/// ```
/// use std::time::Duration;
/// use nim_reconcile::controller::backoff;
/// assert_eq!(backoff(1), Duration::from_secs(1));
/// assert_eq!(backoff(4), Duration::from_secs(8));
/// assert_eq!(backoff(40), Duration::from_secs(300));
/// ```
pub fn backoff(n: u32) -> Duration {
    let secs = 1u64.checked_shl(n.saturating_sub(1)).unwrap_or(u64::MAX);
    Duration::from_secs(secs.min(300))
}

/// The action after an error of this class.
///
/// ```
/// use nim_reconcile::controller::action_for;
/// use nim_reconcile::error::ErrorClass;
/// assert_eq!(action_for(ErrorClass::InvalidSpec, 3), kube::runtime::controller::Action::await_change());
/// ```
pub fn action_for(class: ErrorClass, failures: u32) -> Action {
    match class {
        ErrorClass::InvalidSpec => Action::await_change(),
        ErrorClass::Environment => Action::requeue(Duration::from_secs(300)),
        ErrorClass::Transient => Action::requeue(backoff(failures)),
    }
}

fn key_of(meta: &ObjectMeta) -> String {
    format!(
        "{}/{}",
        meta.namespace.as_deref().unwrap_or_default(),
        meta.name.as_deref().unwrap_or_default()
    )
}

async fn run_one<K, F, Fut>(
    kind: &'static str,
    obj: Arc<K>,
    ctx: Arc<Context>,
    f: F,
) -> Result<Action>
where
    K: Resource,
    F: FnOnce(Reconciler, Arc<K>) -> Fut,
    Fut: Future<Output = Result<Outcome>>,
{
    let key = format!("{kind}/{}", key_of(obj.meta()));
    let started = Instant::now();
    let deleting = obj.meta().deletion_timestamp.is_some();
    let res = f(ctx.reconciler.clone(), obj.clone()).await;
    let took = started.elapsed();
    match res {
        Ok(outcome) => {
            ctx.failures(&key, true);
            ctx.metrics.reconciled(kind, took, Ok(outcome.writes));
            let state = if deleting { "" } else { outcome.state.as_str() };
            ctx.metrics.set_state(kind, &key_of(obj.meta()), state);
            tracing::info!(kind, object = %key_of(obj.meta()), state = %outcome.state, writes = outcome.writes, took_ms = took.as_millis() as u64, "reconciled");
            Ok(match outcome.requeue_after {
                Some(d) => Action::requeue(d),
                None => Action::await_change(),
            })
        }
        Err(e) => {
            ctx.metrics.reconciled(kind, took, Err(e.code()));
            Err(e)
        }
    }
}

fn error_policy<K: Resource>(
    kind: &'static str,
) -> impl Fn(Arc<K>, &Error, Arc<Context>) -> Action {
    move |obj, err, ctx| {
        let key = format!("{kind}/{}", key_of(obj.meta()));
        let n = ctx.failures(&key, false);
        let action = action_for(err.class(), n);
        tracing::warn!(kind, object = %key_of(obj.meta()), code = err.code(), error = %err, failures = n, "reconcile failed");
        action
    }
}

/// Whether a Node change can change placement: labels, capacity, taints, schedulability, or
/// readiness. (Heartbeats are ignored, so they never re-plan the world.)
fn node_fingerprint(n: &Node) -> String {
    let ready = n
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .map(|c| c.status.clone());
    let v = serde_json::json!({
        "labels": n.metadata.labels,
        "deleting": n.metadata.deletion_timestamp.is_some(),
        "allocatable": n.status.as_ref().and_then(|s| s.allocatable.clone()),
        "capacity": n.status.as_ref().and_then(|s| s.capacity.clone()),
        "taints": n.spec.as_ref().and_then(|s| s.taints.clone()),
        "unschedulable": n.spec.as_ref().and_then(|s| s.unschedulable),
        "ready": ready,
    });
    v.to_string()
}

#[derive(Clone)]
struct Senders {
    caches: UnboundedSender<ObjectRef<NIMCache>>,
    services: UnboundedSender<ObjectRef<NIMService>>,
    pipelines: UnboundedSender<ObjectRef<NIMPipeline>>,
    builds: UnboundedSender<ObjectRef<NIMBuild>>,
}

impl Senders {
    fn owners(&self, meta: &ObjectMeta) {
        let ns = meta.namespace.clone().unwrap_or_default();
        for o in meta.owner_references.iter().flatten() {
            if o.api_version != nim_types::API_VERSION {
                continue;
            }
            // A closed channel means the controllers are shutting down: nothing to trigger.
            match o.kind.as_str() {
                "NIMCache" => drop(
                    self.caches
                        .unbounded_send(ObjectRef::new(&o.name).within(&ns)),
                ),
                "NIMService" => drop(
                    self.services
                        .unbounded_send(ObjectRef::new(&o.name).within(&ns)),
                ),
                "NIMPipeline" => drop(
                    self.pipelines
                        .unbounded_send(ObjectRef::new(&o.name).within(&ns)),
                ),
                "NIMBuild" => drop(
                    self.builds
                        .unbounded_send(ObjectRef::new(&o.name).within(&ns)),
                ),
                _ => {}
            }
        }
    }

    /// Request a reconcile of every NIM object in the watch caches.
    fn everything(&self, observer: &KubeObserver) {
        for o in observer.caches().state() {
            let _ = self.caches.unbounded_send(ObjectRef::from_obj(o.as_ref()));
        }
        for o in observer.services().state() {
            let _ = self
                .services
                .unbounded_send(ObjectRef::from_obj(o.as_ref()));
        }
        for o in observer.pipelines().state() {
            let _ = self
                .pipelines
                .unbounded_send(ObjectRef::from_obj(o.as_ref()));
        }
        for o in observer.builds().state() {
            let _ = self.builds.unbounded_send(ObjectRef::from_obj(o.as_ref()));
        }
    }
}

type Stores = (Store<NIMService>, Store<NIMCache>, Store<NIMBuild>);

fn hooks(tx: Senders, stores: Arc<OnceLock<Stores>>) -> ChangeHooks {
    let fingerprints: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let node_tx = tx.clone();
    let node_stores = stores.clone();
    let cache_tx = tx.clone();
    let cache_stores = stores;
    let child_tx = tx.clone();
    let pod_tx = tx.clone();
    let service_tx = tx;
    ChangeHooks {
        node: Arc::new(move |n: &Node| {
            let name = n.metadata.name.clone().unwrap_or_default();
            let fp = node_fingerprint(n);
            let changed = fingerprints
                .lock()
                .map(|mut m| m.insert(name, fp.clone()).as_deref() != Some(fp.as_str()))
                .unwrap_or(true);
            if !changed {
                return;
            }
            if let Some((services, caches, _)) = node_stores.get() {
                for s in services.state() {
                    let _ = node_tx
                        .services
                        .unbounded_send(ObjectRef::from_obj(s.as_ref()));
                }
                for c in caches.state() {
                    let _ = node_tx
                        .caches
                        .unbounded_send(ObjectRef::from_obj(c.as_ref()));
                }
            }
        }),
        pod: Arc::new(move |p| pod_tx.owners(&p.metadata)),
        cache: Arc::new(move |c: &NIMCache| {
            let ns = c.metadata.namespace.clone().unwrap_or_default();
            let name = c.metadata.name.clone().unwrap_or_default();
            if let Some((services, _, builds)) = cache_stores.get() {
                for s in services.state() {
                    if s.metadata.namespace.as_deref() == Some(ns.as_str())
                        && s.spec.nim_cache_name() == Some(name.as_str())
                    {
                        let _ = cache_tx
                            .services
                            .unbounded_send(ObjectRef::from_obj(s.as_ref()));
                    }
                }
                for b in builds.state() {
                    if b.metadata.namespace.as_deref() == Some(ns.as_str())
                        && b.spec.nim_cache.name == name
                    {
                        let _ = cache_tx
                            .builds
                            .unbounded_send(ObjectRef::from_obj(b.as_ref()));
                    }
                }
            }
        }),
        service: Arc::new(move |s| service_tx.owners(&s.metadata)),
        child: Arc::new(move |o| child_tx.owners(&o.metadata)),
    }
}

/// A started observer plus the request streams the controllers consume.
pub struct Observed {
    /// The watch caches.
    pub observer: Arc<KubeObserver>,
    rx: Receivers,
    tx: Senders,
}

struct Receivers {
    caches: futures::channel::mpsc::UnboundedReceiver<ObjectRef<NIMCache>>,
    services: futures::channel::mpsc::UnboundedReceiver<ObjectRef<NIMService>>,
    pipelines: futures::channel::mpsc::UnboundedReceiver<ObjectRef<NIMPipeline>>,
    builds: futures::channel::mpsc::UnboundedReceiver<ObjectRef<NIMBuild>>,
}

/// Start the watch caches (they may run before this replica leads, so a new leader starts warm).
///
/// ```text
/// let observed = nim_reconcile::controller::observe(client.clone(), &config).await?;
/// observed.observer.wait_synced().await;
/// ```
pub async fn observe(client: Client, config: &OperatorConfig) -> Result<Observed> {
    let (caches, caches_rx) = unbounded();
    let (services, services_rx) = unbounded();
    let (pipelines, pipelines_rx) = unbounded();
    let (builds, builds_rx) = unbounded();
    let stores: Arc<OnceLock<Stores>> = Arc::default();
    let tx = Senders {
        caches,
        services,
        pipelines,
        builds,
    };
    let observer = KubeObserver::start(
        client,
        config.namespace.as_deref(),
        hooks(tx.clone(), stores.clone()),
    )
    .await?;
    let _ = stores.set((observer.services(), observer.caches(), observer.builds()));
    Ok(Observed {
        observer: Arc::new(observer),
        rx: Receivers {
            caches: caches_rx,
            services: services_rx,
            pipelines: pipelines_rx,
            builds: builds_rx,
        },
        tx,
    })
}

/// A reconciler with the kube-rs effects.
///
/// ```text
/// let r = nim_reconcile::controller::kube_reconciler(client, observer, &config);
/// ```
pub fn kube_reconciler(
    client: Client,
    observer: Arc<KubeObserver>,
    config: &OperatorConfig,
) -> Reconciler {
    Reconciler::new(
        observer,
        Arc::new(KubeApplier::new(client.clone(), &config.field_manager)),
        Arc::new(KubeStatusWriter::new(client.clone(), &config.field_manager)),
        Arc::new(KubeEvents::new(client, "nim-operator", &config.identity)),
    )
}

/// Run the four controllers until `shutdown` resolves.
///
/// ```text
/// nim_reconcile::controller::run(client, observed, ctx, &config, shutdown_signal).await;
/// ```
pub async fn run(
    client: Client,
    observed: Observed,
    ctx: Arc<Context>,
    config: &OperatorConfig,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) {
    let ns = config.namespace.as_deref();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let stop = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    // A CRD installed after the start (Gateway API, LeaderWorkerSet, …): watch the new kind and
    // re-reconcile everything, so what failed with KindNotInstalled does not wait for its
    // five-minute retry.
    let rediscover = {
        let (observer, tx, every) = (
            observed.observer.clone(),
            observed.tx.clone(),
            config.discovery_interval,
        );
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if observer.discover_kinds(true).await > 0 {
                    tx.everything(&observer);
                }
            }
        })
    };
    let Receivers {
        caches,
        services,
        pipelines,
        builds,
    } = observed.rx;
    let cache_ctrl = Controller::new(scoped::<NIMCache>(&client, ns), watcher::Config::default())
        .reconcile_on(caches)
        .graceful_shutdown_on(stop())
        .run(
            |o, c| {
                run_one("NIMCache", o, c, |r, o| async move {
                    nimcache::reconcile(&r, &o).await
                })
            },
            error_policy("NIMCache"),
            ctx.clone(),
        )
        .for_each(|_| futures::future::ready(()));
    let svc_ctrl = Controller::new(
        scoped::<NIMService>(&client, ns),
        watcher::Config::default(),
    )
    .reconcile_on(services)
    .graceful_shutdown_on(stop())
    .run(
        |o, c| {
            run_one("NIMService", o, c, |r, o| async move {
                nimservice::reconcile(&r, &o).await
            })
        },
        error_policy("NIMService"),
        ctx.clone(),
    )
    .for_each(|_| futures::future::ready(()));
    let pipe_ctrl = Controller::new(
        scoped::<NIMPipeline>(&client, ns),
        watcher::Config::default(),
    )
    .reconcile_on(pipelines)
    .graceful_shutdown_on(stop())
    .run(
        |o, c| {
            run_one("NIMPipeline", o, c, |r, o| async move {
                nimpipeline::reconcile(&r, &o).await
            })
        },
        error_policy("NIMPipeline"),
        ctx.clone(),
    )
    .for_each(|_| futures::future::ready(()));
    let build_ctrl = Controller::new(scoped::<NIMBuild>(&client, ns), watcher::Config::default())
        .reconcile_on(builds)
        .graceful_shutdown_on(stop())
        .run(
            |o, c| {
                run_one("NIMBuild", o, c, |r, o| async move {
                    nimbuild::reconcile(&r, &o).await
                })
            },
            error_policy("NIMBuild"),
            ctx,
        )
        .for_each(|_| futures::future::ready(()));
    futures::join!(cache_ctrl, svc_ctrl, pipe_ctrl, build_ctrl);
    rediscover.abort();
}
