//! The NIMCache controller: PVC, model-manifest probe → manifest ConfigMap, profile selection,
//! the caching Job, and the Job's outcome as NVIDIA's states and conditions.

use std::time::Duration;

use nim_planner::graph::ObjectId;
use nim_planner::plan::{PlanInput, plan};
use nim_planner::render::probe::{MANIFEST_NOT_FOUND, manifest_config_map, manifest_probe_pod};
use nim_planner::render::pvc::cache_pvc;
use nim_planner::render::service_account as sa;
use nim_planner::snapshot::{ClusterSnapshot, MANIFEST_SUFFIX, parse_manifest_text};
use nim_types::conditions::{CacheState, new_condition, nimcache_conditions as cc, set_condition};
use nim_types::{NIMCache, NIMProfile};
use serde_json::Value;

use crate::error::Result;
use crate::pipeline::{Begin, Outcome, RESYNC, Reconciler, condition_reason, first_error};

/// NVIDIA's finalizer name for NIMCaches.
pub const FINALIZER: &str = "finalizer.nimcache.apps.nvidia.com";

/// How often a pending manifest probe is looked at (NVIDIA: 30 s).
pub const PROBE_REQUEUE: Duration = Duration::from_secs(30);

/// `status.type` of a model-free puller image.
pub const MODEL_FREE: &str = "model-free";

/// Reconcile one NIMCache.
///
/// ```text
/// let outcome = nim_reconcile::nimcache::reconcile(&reconciler, &nimcache).await?;
/// ```
pub async fn reconcile(r: &Reconciler, cache: &NIMCache) -> Result<Outcome> {
    let live = match r
        .begin("NIMCache", cache, &cache.metadata, FINALIZER)
        .await?
    {
        Begin::Deleted(outcome) => return Ok(outcome),
        Begin::Live(live) => live,
    };
    let (id, uid, snap) = (&live.id, live.uid.as_str(), &live.snap);
    let mut writes = live.writes;
    let (ns, name) = (id.namespace.clone(), id.name.clone());
    let old = cache.status.clone().unwrap_or_default();
    let mut status = old.clone();
    status.observed_generation = cache.metadata.generation;
    let was_ready = old.state.as_deref() == Some(CacheState::Ready.as_str());

    let planned = plan(
        &PlanInput {
            caches: vec![cache.clone()],
            ..Default::default()
        },
        snap,
    );
    let manifest_cm = ObjectId::new("v1", "ConfigMap", &ns, &format!("{name}{MANIFEST_SUFFIX}"));
    let job_id = ObjectId::new("batch/v1", "Job", &ns, &format!("{name}-job"));
    let probe_id = ObjectId::new("v1", "Pod", &ns, &format!("{name}-pod"));

    let mut requeue_after = Some(RESYNC);
    let mut problem: Option<(String, String)> = None;
    let needs_manifest = needs_manifest(cache) && snap.manifest(&ns, &name).is_none();
    let mut result = Ok(());
    let mut probing_note = None;
    if needs_manifest && !was_ready {
        // The Job cannot be rendered before profiles are known: the cache's RBAC and PVC, and
        // the probe pod (which runs as the cache's ServiceAccount).
        let mut desired = vec![
            serde_json::to_value(sa::cache_service_account(cache))?,
            serde_json::to_value(sa::cache_role(cache))?,
            serde_json::to_value(sa::cache_role_binding(cache))?,
        ];
        if let Ok(Some(pvc)) = cache_pvc(cache) {
            desired.push(serde_json::to_value(pvc)?);
        }
        if let Some(pod) = manifest_probe_pod(cache) {
            desired.push(serde_json::to_value(pod)?);
        }
        match r
            .sync_children(&ns, uid, &desired, &|i| *i == manifest_cm || *i == job_id)
            .await
        {
            Ok(n) => writes += n,
            Err(e) => result = Err(e),
        }
        let (w, note) = read_probe(r, cache, &ns, &probe_id, &mut status.type_).await;
        writes += w;
        probing_note = Some(note);
        requeue_after = Some(PROBE_REQUEUE);
    } else if let Some(d) = first_error(&planned.diagnostics, "NIMCache", &ns, &name) {
        problem = Some((d.code.as_str().to_string(), d.message.clone()));
        requeue_after = None;
    } else {
        // Once Ready the Job is never re-created (NVIDIA: it is TTL-deleted after 10 minutes).
        let desired: Vec<Value> = planned
            .objects
            .iter()
            .filter(|o| !(was_ready && o.get("kind").and_then(Value::as_str) == Some("Job")))
            .cloned()
            .collect();
        match r
            .sync_children(&ns, uid, &desired, &|i| *i == manifest_cm || *i == job_id)
            .await
        {
            Ok(n) => writes += n,
            Err(e) => result = Err(e),
        }
    }
    if let Err(e) = &result {
        problem = Some((e.code().to_string(), e.to_string()));
    }

    // Status.
    let now = r.now();
    let generation = cache.metadata.generation;
    let cond = |t: &str, ok: bool, reason: &str, msg: &str| {
        new_condition(t, ok, reason, msg, generation, now.clone())
    };
    let has_pvc = matches!(cache_pvc(cache), Ok(Some(_)));
    if has_pvc {
        set_condition(
            &mut status.conditions,
            cond(cc::PVC_CREATED, true, "PVCCreated", ""),
        );
    }
    let state = if let Some((code, message)) = &problem {
        set_condition(
            &mut status.conditions,
            cond(cc::RECONCILE_FAILED, true, code, message),
        );
        CacheState::NotReady
    } else {
        set_condition(
            &mut status.conditions,
            cond(cc::RECONCILE_FAILED, false, "Reconciled", ""),
        );
        if let Some(note) = &probing_note {
            set_condition(
                &mut status.conditions,
                cond(cc::JOB_PENDING, true, "ModelManifestPending", note),
            );
            if has_pvc {
                CacheState::PvcCreated
            } else {
                CacheState::Pending
            }
        } else if was_ready {
            CacheState::Ready
        } else {
            job_state(r, &job_id, &mut status.conditions, &cond)
        }
    };
    if state == CacheState::Ready && !was_ready {
        status.pvc = Some(pvc_name(cache, &name));
        status.profiles = cached_profiles(cache, snap, &ns, &name);
    }
    status.state = Some(state.as_str().to_string());
    writes += r
        .write_status(
            &live,
            &old,
            &status,
            old.state.as_deref(),
            state.as_str(),
            condition_reason(&old.conditions, cc::RECONCILE_FAILED, "True"),
            problem.as_ref().map(|(c, m)| (c.as_str(), m.as_str())),
        )
        .await?;
    result?;
    Ok(Outcome {
        requeue_after,
        writes,
        state: state.as_str().to_string(),
    })
}

/// NGC sources without `modelEndpoint` select profiles from the image's model manifest.
fn needs_manifest(cache: &NIMCache) -> bool {
    let Some(ngc) = cache.spec.source.ngc.as_ref() else {
        return false;
    };
    let kind = cache.status.as_ref().and_then(|s| s.type_.as_deref());
    ngc.model_endpoint.is_none() && !matches!(kind, Some(MODEL_FREE) | Some("native"))
}

fn pvc_name(cache: &NIMCache, name: &str) -> String {
    cache
        .spec
        .storage
        .pvc
        .as_ref()
        .and_then(|p| p.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("{name}-pvc"))
}

/// Reads the probe pod's output once it runs: the manifest becomes the ConfigMap (and the pod
/// is deleted), or the "not found" text makes the cache model-free. Returns writes and a note
/// for the status.
async fn read_probe(
    r: &Reconciler,
    cache: &NIMCache,
    ns: &str,
    probe: &ObjectId,
    type_: &mut Option<String>,
) -> (u32, String) {
    let Some(pod) = r.observe.get(probe) else {
        return (
            0,
            format!("waiting for the model-manifest probe pod {}", probe.name),
        );
    };
    let phase = pod
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("Pending");
    if phase != "Running" {
        return (
            0,
            format!("model-manifest probe pod {} is {phase}", probe.name),
        );
    }
    let text = match r.observe.pod_logs(ns, &probe.name).await {
        Ok(t) => t,
        Err(e) => {
            return (
                0,
                format!(
                    "cannot read the model manifest from pod {}: {e}",
                    probe.name
                ),
            );
        }
    };
    let uid = pod
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if text.contains(MANIFEST_NOT_FOUND) {
        *type_ = Some(MODEL_FREE.to_string());
        let _ = r.apply.delete(probe, &uid).await;
        return (
            1,
            "the model puller has no model manifest (model-free)".to_string(),
        );
    }
    let doc = match parse_manifest_text(&text) {
        Ok(d) => d,
        Err(e) => {
            return (
                0,
                format!("the probe pod printed an unparsable manifest: {e}"),
            );
        }
    };
    let cm = match serde_json::to_value(manifest_config_map(cache, &doc)) {
        Ok(v) => v,
        Err(e) => return (0, e.to_string()),
    };
    if let Err(e) = r.apply.apply(&cm).await {
        return (0, format!("cannot store the model manifest: {e}"));
    }
    let _ = r.apply.delete(probe, &uid).await;
    (2, "model manifest stored".to_string())
}

/// The cache state from the caching Job (NVIDIA's precedence), setting the Job conditions.
fn job_state(
    r: &Reconciler,
    job_id: &ObjectId,
    conditions: &mut Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>,
    cond: &dyn Fn(
        &str,
        bool,
        &str,
        &str,
    ) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition,
) -> CacheState {
    let Some(job) = r.observe.get(job_id) else {
        set_condition(conditions, cond(cc::JOB_CREATED, true, "JobCreated", ""));
        return CacheState::Started;
    };
    set_condition(conditions, cond(cc::JOB_CREATED, true, "JobCreated", ""));
    let n = |k: &str| {
        job.pointer(&format!("/status/{k}"))
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    if n("succeeded") > 0 {
        set_condition(
            conditions,
            cond(cc::JOB_COMPLETED, true, "JobCompleted", ""),
        );
        CacheState::Ready
    } else if n("failed") > 0 {
        set_condition(
            conditions,
            cond(cc::JOB_COMPLETED, false, "JobFailed", "caching job failed"),
        );
        CacheState::Failed
    } else if n("active") > 0 {
        set_condition(conditions, cond(cc::JOB_PENDING, false, "JobRunning", ""));
        CacheState::InProgress
    } else {
        set_condition(conditions, cond(cc::JOB_PENDING, true, "JobPending", ""));
        CacheState::Pending
    }
}

/// `status.profiles`: the manifest entries that were cached (empty for `all`, as NVIDIA).
fn cached_profiles(
    cache: &NIMCache,
    snap: &ClusterSnapshot,
    ns: &str,
    name: &str,
) -> Vec<NIMProfile> {
    let Some(ngc) = cache.spec.source.ngc.as_ref() else {
        return Vec::new();
    };
    let Some(manifest) = snap.manifest(ns, name) else {
        return Vec::new();
    };
    let model = ngc.model.clone().unwrap_or_default();
    if model.profiles.iter().any(|p| p == "all") || ngc.model_endpoint.is_some() {
        return Vec::new();
    }
    let products = snap.gpu_products();
    manifest
        .select(&model, &products)
        .into_iter()
        .filter_map(|id| {
            manifest.profiles.get(&id).map(|p| NIMProfile {
                name: id.clone(),
                model: p.model.clone().unwrap_or_default(),
                release: p.release.clone().unwrap_or_default(),
                config: p.tags.clone(),
            })
        })
        .collect()
}
