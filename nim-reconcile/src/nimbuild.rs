//! The NIMBuild controller: waits for a Ready NIMCache with a buildable profile, runs the
//! engine-build Pod and reports its outcome.

use nim_planner::graph::ObjectId;
use nim_planner::plan::{PlanInput, plan};
use nim_planner::render::nimbuild::{build_pod_name, buildable_profile};
use nim_types::NIMBuild;
use nim_types::conditions::{
    BuildState, CacheState, new_condition, nimbuild_conditions as bc, set_condition,
};
use serde_json::Value;

use crate::error::Result;
use crate::pipeline::{Outcome, RESYNC, Reconciler, cr_id, transition_events};

/// NVIDIA's finalizer name for NIMBuilds.
pub const FINALIZER: &str = "finalizer.nimbuild.apps.nvidia.com";

/// Reconcile one NIMBuild.
///
/// ```text
/// let outcome = nim_reconcile::nimbuild::reconcile(&reconciler, &nimbuild).await?;
/// ```
pub async fn reconcile(r: &Reconciler, build: &NIMBuild) -> Result<Outcome> {
    let id = cr_id("NIMBuild", &build.metadata);
    let ns = id.namespace.clone();
    let cr_json = serde_json::to_value(build)?;
    if build.metadata.deletion_timestamp.is_some() {
        let writes = r.remove_finalizer(&id, &build.metadata, FINALIZER).await?;
        return Ok(Outcome {
            writes,
            ..Default::default()
        });
    }
    let mut writes = r.ensure_finalizer(&id, &build.metadata, FINALIZER).await?;
    let uid = build.metadata.uid.clone().unwrap_or_default();
    let snap = r.observe.snapshot();
    let old = build.status.clone().unwrap_or_default();
    let mut status = old.clone();
    status.observed_generation = build.metadata.generation;
    let now = r.now();
    let generation = build.metadata.generation;
    let cond = |t: &str, ok: bool, reason: &str, msg: &str| {
        new_condition(t, ok, reason, msg, generation, now.clone())
    };
    let finished = matches!(
        old.state.as_deref(),
        Some(s) if s == BuildState::Ready.as_str() || s == BuildState::Failed.as_str()
    ) && old.observed_generation == build.metadata.generation;
    let cache_name = &build.spec.nim_cache.name;
    let pod_id = ObjectId::new("v1", "Pod", &ns, &build_pod_name(&id.name));

    let mut problem: Option<(String, String)> = None;
    let mut result = Ok(());
    let state = match snap.nim_cache(&ns, cache_name) {
        _ if finished => old
            .state
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or(BuildState::Failed),
        None => {
            let msg = format!("NIMCache {cache_name} not found");
            set_condition(
                &mut status.conditions,
                cond(bc::NIM_CACHE_NOT_FOUND, true, "NIMCacheNotFound", &msg),
            );
            problem = Some(("NIMCacheNotFound".into(), msg));
            BuildState::Failed
        }
        Some(cache) => {
            let cache_state = cache
                .status
                .as_ref()
                .and_then(|s| s.state.clone())
                .unwrap_or_default();
            if cache_state == CacheState::Failed.as_str() {
                let msg = format!("NIMCache {cache_name} failed");
                set_condition(
                    &mut status.conditions,
                    cond(bc::NIM_CACHE_FAILED, true, "NIMCacheFailed", &msg),
                );
                problem = Some(("NIMCacheFailed".into(), msg));
                BuildState::Failed
            } else if cache_state != CacheState::Ready.as_str() {
                // NVIDIA reports Failed here and never resumes; we wait and resume on the cache's
                // watch event.
                let msg = format!("NIMCache {cache_name} not ready");
                set_condition(
                    &mut status.conditions,
                    cond(bc::WAIT_FOR_NIM_CACHE_READY, true, "NIMCacheNotReady", &msg),
                );
                BuildState::Pending
            } else {
                match buildable_profile(build, cache) {
                    Err(e) => {
                        problem = Some(("NoBuildableProfile".into(), e.to_string()));
                        BuildState::Failed
                    }
                    Ok(profile) => {
                        status.input_profile = Some(profile);
                        let planned = plan(
                            &PlanInput {
                                builds: vec![build.clone()],
                                ..Default::default()
                            },
                            &snap,
                        );
                        match r
                            .sync_children(&ns, &uid, &planned.objects, &|_| false)
                            .await
                        {
                            Ok(n) => writes += n,
                            Err(e) => {
                                problem = Some((e.code().to_string(), e.to_string()));
                                result = Err(e);
                            }
                        }
                        pod_state(r, &pod_id, &mut status.conditions, &cond).await
                    }
                }
            }
        }
    };
    if let Some((code, message)) = &problem {
        set_condition(
            &mut status.conditions,
            cond(bc::RECONCILE_FAILED, true, code, message),
        );
    }
    status.state = Some(state.as_str().to_string());
    if state == BuildState::Ready && !finished {
        // The build finished: the pod has served its purpose.
        if let Some(pod) = r.observe.get(&pod_id) {
            let uid = pod
                .pointer("/metadata/uid")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            r.apply.delete(&pod_id, &uid).await?;
            writes += 1;
        }
    }
    let old_problem = old
        .conditions
        .iter()
        .find(|c| c.type_ == bc::RECONCILE_FAILED && c.status == "True")
        .map(|c| c.reason.as_str());
    let events = transition_events(
        old.state.as_deref(),
        state.as_str(),
        old_problem,
        problem.as_ref().map(|(c, m)| (c.as_str(), m.as_str())),
    );
    let old_v = serde_json::to_value(&old)?;
    let new_v = serde_json::to_value(&status)?;
    writes += r
        .write_status(&id, &cr_json, &old_v, &new_v, events)
        .await?;
    result?;
    Ok(Outcome {
        requeue_after: if state == BuildState::InProgress {
            Some(RESYNC)
        } else {
            None
        },
        writes,
        state: state.as_str().to_string(),
    })
}

async fn pod_state(
    r: &Reconciler,
    pod_id: &ObjectId,
    conditions: &mut Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>,
    cond: &(
         dyn Fn(&str, bool, &str, &str) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition
             + Sync
     ),
) -> BuildState {
    set_condition(
        conditions,
        cond(bc::ENGINE_BUILD_POD_CREATED, true, "PodCreated", ""),
    );
    let Some(pod) = r.observe.get(pod_id) else {
        return BuildState::InProgress;
    };
    let phase = pod
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("Pending");
    let ready = pod
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            c.get("type").and_then(Value::as_str) == Some("Ready")
                && c.get("status").and_then(Value::as_str) == Some("True")
        });
    if ready {
        set_condition(
            conditions,
            cond(bc::ENGINE_BUILD_POD_COMPLETED, true, "PodReady", ""),
        );
        BuildState::Ready
    } else if phase == "Failed" {
        set_condition(
            conditions,
            cond(
                bc::ENGINE_BUILD_POD_COMPLETED,
                false,
                "PodFailed",
                "engine build pod failed",
            ),
        );
        BuildState::Failed
    } else {
        set_condition(
            conditions,
            cond(bc::ENGINE_BUILD_POD_PENDING, true, "PodPending", ""),
        );
        BuildState::InProgress
    }
}
