//! The NIMService controller: waits for its NIMCache, plans placement and children, applies and
//! prunes them, and reports readiness with NVIDIA's vocabulary plus a `Scheduled` condition that
//! explains where (or why not) the model can run.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use nim_planner::graph::ObjectId;
use nim_planner::placement::Placement;
use nim_planner::plan::{PlanInput, plan};
use nim_types::NIMService;
use nim_types::conditions::{
    CacheState, FAILED, READY, SCHEDULED, ServiceState, find_condition, new_condition, reasons,
    set_condition,
};
use serde_json::Value;

use crate::error::Result;
use crate::pipeline::{Begin, Outcome, RESYNC, Reconciler, first_error, is_placement_code};

/// NVIDIA's finalizer name for NIMServices.
pub const FINALIZER: &str = "finalizer.nimservice.apps.nvidia.com";

/// Why a service is not progressing.
struct Problem {
    state: ServiceState,
    reason: String,
    message: String,
    /// The `Scheduled` condition is the one that explains it.
    placement: bool,
}

/// Reconcile one NIMService.
///
/// ```text
/// let outcome = nim_reconcile::nimservice::reconcile(&reconciler, &nimservice).await?;
/// ```
pub async fn reconcile(r: &Reconciler, svc: &NIMService) -> Result<Outcome> {
    let live = match r.begin("NIMService", svc, &svc.metadata, FINALIZER).await? {
        Begin::Deleted(outcome) => return Ok(outcome),
        Begin::Live(live) => live,
    };
    let (id, uid, snap) = (&live.id, live.uid.as_str(), &live.snap);
    let mut writes = live.writes;
    let ns = id.namespace.clone();
    let name = id.name.clone();

    // Model store: the NIMCache must exist and be Ready.
    let mut problem = None;
    if let Some(cache_name) = svc.spec.nim_cache_name() {
        let state = snap.nim_cache(&ns, cache_name).map(|c| {
            c.status
                .as_ref()
                .and_then(|s| s.state.clone())
                .unwrap_or_default()
        });
        problem = match state.as_deref() {
            None => Some(Problem {
                state: ServiceState::Failed,
                reason: reasons::NIM_CACHE_NOT_FOUND.into(),
                message: format!("NIMCache {cache_name} not found"),
                placement: false,
            }),
            Some(s) if s == CacheState::Failed.as_str() => Some(Problem {
                state: ServiceState::Failed,
                reason: reasons::NIM_CACHE_FAILED.into(),
                message: format!("NIMCache {cache_name} failed"),
                placement: false,
            }),
            Some(s) if s != CacheState::Ready.as_str() => Some(Problem {
                state: ServiceState::NotReady,
                reason: reasons::NIM_CACHE_NOT_READY.into(),
                message: format!("NIMCache {cache_name} not ready"),
                placement: false,
            }),
            Some(_) => None,
        };
    }

    let mut placement = None;
    let mut result: Result<()> = Ok(());
    if problem.is_none() {
        let input = PlanInput {
            services: vec![svc.clone()],
            ..Default::default()
        };
        let planned = plan(&input, snap);
        placement = planned.placement(&ns, &name).cloned();
        if let Some(d) = first_error(&planned.diagnostics, "NIMService", &ns, &name) {
            let placement_problem = is_placement_code(d.code);
            problem = Some(Problem {
                state: if placement_problem {
                    ServiceState::Pending
                } else {
                    ServiceState::Failed
                },
                reason: d.code.as_str().to_string(),
                message: d.message.clone(),
                placement: placement_problem,
            });
        } else {
            result = async {
                // The planner cannot make the random MPI SSH key; it is made here, once.
                let mut desired = planned.objects;
                let ssh = crate::mpi::mpi_ssh_secret(r.observe.as_ref(), svc)?;
                let ssh_id = ssh.as_ref().map(|(id, _)| id.clone());
                desired.extend(ssh.and_then(|(_, secret)| secret));
                let keep = |id: &ObjectId| ssh_id.as_ref() == Some(id);
                writes += r.sync_children(&ns, uid, &desired, &keep).await?;
                Ok(())
            }
            .await;
        }
    }
    if let Err(e) = &result {
        problem = Some(Problem {
            state: ServiceState::Failed,
            reason: e.code().to_string(),
            message: e.to_string(),
            placement: false,
        });
    }

    // Status.
    let old = svc.status.clone().unwrap_or_default();
    let mut status = old.clone();
    status.observed_generation = svc.metadata.generation;
    let now = r.now();
    let generation = svc.metadata.generation;
    let cond = |t: &str, ok: bool, reason: &str, msg: &str| {
        new_condition(t, ok, reason, msg, generation, now.clone())
    };
    let (state, ready_reason, ready_message) = match &problem {
        Some(p) => (p.state, p.reason.clone(), p.message.clone()),
        None => {
            let (ready, message) = workload_readiness(r, svc, &ns, &name);
            status.available_replicas = available_replicas(r, svc, &ns, &name);
            if ready {
                status.model = Some(model_status(r, svc, &ns, &name));
                (ServiceState::Ready, reasons::READY.to_string(), message)
            } else {
                (
                    ServiceState::NotReady,
                    reasons::NOT_READY.to_string(),
                    message,
                )
            }
        }
    };
    status.state = Some(state.as_str().to_string());
    set_condition(
        &mut status.conditions,
        cond(
            READY,
            state == ServiceState::Ready,
            &ready_reason,
            &ready_message,
        ),
    );
    let failed = state == ServiceState::Failed;
    set_condition(
        &mut status.conditions,
        cond(
            FAILED,
            failed,
            &ready_reason,
            if failed { &ready_message } else { "" },
        ),
    );
    match (&problem, &placement) {
        (Some(p), _) if p.placement => {
            set_condition(
                &mut status.conditions,
                cond(SCHEDULED, false, &p.reason, &p.message),
            );
        }
        (None, Some(pl)) => {
            set_condition(
                &mut status.conditions,
                cond(SCHEDULED, true, reasons::PLACED, &placement_summary(pl)),
            );
        }
        _ => {}
    }
    let old_problem = problem_code(&old.conditions);
    let new_problem = problem
        .as_ref()
        .filter(|p| p.state != ServiceState::NotReady || p.placement)
        .map(|p| (p.reason.as_str(), p.message.as_str()));
    writes += r
        .write_status(
            &live,
            &old,
            &status,
            old.state.as_deref(),
            state.as_str(),
            old_problem,
            new_problem,
        )
        .await?;
    result?;

    let requeue_after = match &problem {
        // The cluster may change (nodes come and go, pods free GPUs); Node events re-plan too.
        Some(p) if p.placement => Some(RESYNC),
        // Waiting for the NIMCache: its watch triggers us.
        Some(_) => None,
        None => Some(RESYNC),
    };
    Ok(Outcome {
        requeue_after,
        writes,
        state: state.as_str().to_string(),
    })
}

/// The reason of the condition that currently reports a problem (Scheduled=False or Failed=True).
fn problem_code(conditions: &[Condition]) -> Option<&str> {
    if let Some(c) = find_condition(conditions, SCHEDULED).filter(|c| c.status == "False") {
        return Some(&c.reason);
    }
    find_condition(conditions, FAILED)
        .filter(|c| c.status == "True")
        .map(|c| c.reason.as_str())
}

/// One line saying where the replicas go.
///
/// ```
/// let p = nim_planner::placement::Placement { gpus_per_pod: 2, min_replicas: 1, max_replicas: 3,
///     replicas_at_min: 1, replicas_placed: 2, allowed_products: vec!["NVIDIA-H100-80GB-HBM3".into()],
///     eligible_pools: vec!["h100".into()], ..Default::default() };
/// let s = nim_reconcile::nimservice::placement_summary(&p);
/// assert!(s.contains("2 GPU(s) per pod"), "{s}");
/// assert!(s.contains("NVIDIA-H100-80GB-HBM3"), "{s}");
/// ```
pub fn placement_summary(p: &Placement) -> String {
    let mut s = format!(
        "{} GPU(s) per pod; {} of {} minimum and {} of {} maximum replicas fit on free capacity; eligible pools: {}; bound to GPU products: {}",
        p.gpus_per_pod,
        p.replicas_at_min,
        p.min_replicas,
        p.replicas_placed,
        p.max_replicas,
        list(&p.eligible_pools),
        list(&p.allowed_products),
    );
    if !p.rejected_pools.is_empty() {
        let rejected: Vec<String> = p
            .rejected_pools
            .iter()
            .map(|(pool, why)| {
                let why: Vec<String> = why.iter().map(ToString::to_string).collect();
                format!("{pool} ({})", why.join("; "))
            })
            .collect();
        s.push_str(&format!("; rejected pools: {}", rejected.join(", ")));
    }
    crate::pipeline::truncate(&s, 4000)
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

fn get(r: &Reconciler, api_version: &str, kind: &str, ns: &str, name: &str) -> Option<Value> {
    r.observe.get(&ObjectId::new(api_version, kind, ns, name))
}

fn int(v: &Value, p: &str) -> Option<i64> {
    v.pointer(p).and_then(Value::as_i64)
}

/// Readiness and NVIDIA's message for the service's workload.
fn workload_readiness(r: &Reconciler, svc: &NIMService, ns: &str, name: &str) -> (bool, String) {
    if svc.spec.is_kserve() {
        let isvc = get(r, "serving.kserve.io/v1beta1", "InferenceService", ns, name);
        let ok = isvc
            .as_ref()
            .is_some_and(|o| condition_true(o, "PredictorReady"));
        let msg = if ok {
            format!("inferenceservice \"{name}\" is ready")
        } else {
            format!("inferenceservice \"{name}\" is not ready")
        };
        return (ok, msg);
    }
    if svc.spec.is_multi_node() {
        let lws_name = format!("{name}-lws");
        let lws = get(
            r,
            "leaderworkerset.x-k8s.io/v1",
            "LeaderWorkerSet",
            ns,
            &lws_name,
        );
        let ok = lws.as_ref().is_some_and(|o| condition_true(o, "Available"));
        let msg = if ok {
            format!("leaderworkerset \"{lws_name}\" is ready")
        } else {
            format!("leaderworkerset \"{lws_name}\" is not ready")
        };
        return (ok, msg);
    }
    deployment_readiness(name, get(r, "apps/v1", "Deployment", ns, name).as_ref())
}

fn condition_true(obj: &Value, type_: &str) -> bool {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            c.get("type").and_then(Value::as_str) == Some(type_)
                && c.get("status").and_then(Value::as_str) == Some("True")
        })
}

/// Deployment rollout status with NVIDIA's (kubectl's) messages.
///
/// ```
/// use serde_json::json;
/// use nim_reconcile::nimservice::deployment_readiness;
/// let d = json!({"metadata": {"generation": 1}, "spec": {"replicas": 2},
///     "status": {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 1}});
/// let (ready, msg) = deployment_readiness("llm", Some(&d));
/// assert!(!ready);
/// assert_eq!(msg, "Waiting for deployment \"llm\" rollout to finish: 1 of 2 updated replicas are available...");
/// let d = json!({"metadata": {"generation": 1}, "spec": {"replicas": 2},
///     "status": {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}});
/// assert_eq!(deployment_readiness("llm", Some(&d)), (true, "deployment \"llm\" successfully rolled out".to_string()));
/// ```
pub fn deployment_readiness(name: &str, dep: Option<&Value>) -> (bool, String) {
    let Some(d) = dep else {
        return (
            false,
            format!("Waiting for deployment \"{name}\" to be created"),
        );
    };
    let replicas = int(d, "/spec/replicas").unwrap_or(1);
    if replicas == 0 {
        return (false, format!("deployment \"{name}\" is scaled down"));
    }
    let progress_exceeded = d
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| c.get("reason").and_then(Value::as_str) == Some("ProgressDeadlineExceeded"));
    if progress_exceeded {
        return (
            false,
            format!("deployment \"{name}\" exceeded its progress deadline"),
        );
    }
    let generation = int(d, "/metadata/generation").unwrap_or(0);
    let observed = int(d, "/status/observedGeneration").unwrap_or(0);
    if observed < generation {
        return (
            false,
            "Waiting for deployment spec update to be observed...".to_string(),
        );
    }
    let updated = int(d, "/status/updatedReplicas").unwrap_or(0);
    let available = int(d, "/status/availableReplicas").unwrap_or(0);
    if updated < replicas {
        return (
            false,
            format!(
                "Waiting for deployment \"{name}\" rollout to finish: {updated} out of {replicas} new replicas have been updated..."
            ),
        );
    }
    if available < updated {
        return (
            false,
            format!(
                "Waiting for deployment \"{name}\" rollout to finish: {available} of {updated} updated replicas are available..."
            ),
        );
    }
    (
        true,
        format!("deployment \"{name}\" successfully rolled out"),
    )
}

fn available_replicas(r: &Reconciler, svc: &NIMService, ns: &str, name: &str) -> Option<i32> {
    if svc.spec.is_kserve() || svc.spec.is_multi_node() {
        return None;
    }
    get(r, "apps/v1", "Deployment", ns, name)
        .and_then(|d| int(&d, "/status/availableReplicas"))
        .and_then(|n| i32::try_from(n).ok())
}

fn model_status(
    r: &Reconciler,
    svc: &NIMService,
    ns: &str,
    name: &str,
) -> nim_types::crd::nimservice::ModelStatus {
    let port = svc.spec.service_port();
    let mut m = nim_types::crd::nimservice::ModelStatus::default();
    if svc.spec.is_kserve() {
        if let Some(isvc) = get(r, "serving.kserve.io/v1beta1", "InferenceService", ns, name) {
            let s = |p: &str| {
                isvc.pointer(p)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            m.external_endpoint = s("/status/url");
            m.cluster_endpoint = s("/status/address/url");
        }
        return m;
    }
    if let Some(service) = get(r, "v1", "Service", ns, name) {
        if let Some(ip) = service.pointer("/spec/clusterIP").and_then(Value::as_str) {
            m.cluster_endpoint = format!("{ip}:{port}");
        }
        if let Some(lb) = service
            .pointer("/status/loadBalancer/ingress/0/ip")
            .and_then(Value::as_str)
        {
            m.external_endpoint = format!("{lb}:{port}");
        }
    }
    if let Some(ing) = get(r, "networking.k8s.io/v1", "Ingress", ns, name)
        && let Some(host) = ing.pointer("/spec/rules/0/host").and_then(Value::as_str)
    {
        m.external_endpoint = host.to_string();
    }
    m
}
