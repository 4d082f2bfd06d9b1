//! The NIMBuild controller: waits for a Ready NIMCache with a buildable profile, runs the
//! engine-build Pod and reports its outcome.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use nim_planner::graph::ObjectId;
use nim_planner::plan::{PlanInput, plan};
use nim_planner::profile::Manifest;
use nim_planner::render::nimbuild::{build_pod_name, buildable_profile};
use nim_planner::render::probe::local_manifest_pod;
use nim_planner::snapshot::parse_manifest_text;
use nim_types::conditions::{
    BuildState, CacheState, new_condition, nimbuild_conditions as bc, set_condition,
};
use nim_types::{NIMBuild, NIMCache, NIMProfile};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::pipeline::{Begin, Outcome, RESYNC, Reconciler, condition_reason, cr_id};

/// NVIDIA's finalizer name for NIMBuilds.
pub const FINALIZER: &str = "finalizer.nimbuild.apps.nvidia.com";

/// Reconcile one NIMBuild.
///
/// ```text
/// let outcome = nim_reconcile::nimbuild::reconcile(&reconciler, &nimbuild).await?;
/// ```
pub async fn reconcile(r: &Reconciler, build: &NIMBuild) -> Result<Outcome> {
    let live = match r
        .begin("NIMBuild", build, &build.metadata, FINALIZER)
        .await?
    {
        Begin::Deleted(outcome) => return Ok(outcome),
        Begin::Live(live) => live,
    };
    let (id, uid, snap) = (&live.id, live.uid.as_str(), &live.snap);
    let mut writes = live.writes;
    let ns = id.namespace.clone();
    let old = build.status.clone().unwrap_or_default();
    let mut status = old.clone();
    status.observed_generation = build.metadata.generation;
    let now = r.now();
    let generation = build.metadata.generation;
    let cond = |t: &str, ok: bool, reason: &str, msg: &str| {
        new_condition(t, ok, reason, msg, generation, now.clone())
    };
    // A build that succeeded, or whose engine pod failed, is not re-run for the same spec.
    let engine_failed = old
        .conditions
        .iter()
        .any(|c| c.type_ == bc::ENGINE_BUILD_POD_COMPLETED && c.status == "False");
    let finished = (old.state.as_deref() == Some(BuildState::Ready.as_str())
        || (old.state.as_deref() == Some(BuildState::Failed.as_str()) && engine_failed))
        && old.observed_generation == build.metadata.generation;
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
                        let engine_done = status.conditions.iter().any(|c| {
                            c.type_ == bc::ENGINE_BUILD_POD_COMPLETED && c.status == "True"
                        });
                        let step = if engine_done {
                            manifest_step(r, build, cache, &ns, uid, &mut status, &cond).await
                        } else {
                            engine_step(
                                r,
                                build,
                                snap,
                                &ns,
                                uid,
                                &pod_id,
                                &mut status.conditions,
                                &cond,
                            )
                            .await
                        };
                        match step {
                            Ok((state, w)) => {
                                writes += w;
                                state
                            }
                            Err(e) => {
                                problem = Some((e.code().to_string(), e.to_string()));
                                result = Err(e);
                                BuildState::Pending
                            }
                        }
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
    let old_problem = condition_reason(&old.conditions, bc::RECONCILE_FAILED, "True");
    writes += r
        .write_status(
            &live,
            &old,
            &status,
            old.state.as_deref(),
            state.as_str(),
            old_problem,
            problem.as_ref().map(|(c, m)| (c.as_str(), m.as_str())),
        )
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

type Cond<'a> = dyn Fn(&str, bool, &str, &str) -> Condition + Sync + 'a;

/// Step 1: the engine-build Pod, until it is Ready (then it is deleted).
#[allow(clippy::too_many_arguments)]
async fn engine_step(
    r: &Reconciler,
    build: &NIMBuild,
    snap: &nim_planner::snapshot::ClusterSnapshot,
    ns: &str,
    uid: &str,
    pod_id: &ObjectId,
    conditions: &mut Vec<Condition>,
    cond: &Cond<'_>,
) -> Result<(BuildState, u32)> {
    let planned = plan(
        &PlanInput {
            builds: vec![build.clone()],
            ..Default::default()
        },
        snap,
    );
    let mut writes = r
        .sync_children(ns, uid, &planned.objects, &|_| false)
        .await?;
    set_condition(
        conditions,
        cond(bc::ENGINE_BUILD_POD_CREATED, true, "PodCreated", ""),
    );
    let Some(pod) = r.observe.get(pod_id) else {
        return Ok((BuildState::InProgress, writes));
    };
    let phase = pod
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("Pending");
    if pod_ready(&pod) {
        set_condition(
            conditions,
            cond(bc::ENGINE_BUILD_POD_COMPLETED, true, "PodReady", ""),
        );
        // The NIM has built and serves its engine: the pod has done its job.
        let uid = pod
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        r.apply.delete(pod_id, &uid).await?;
        writes += 1;
        Ok((BuildState::InProgress, writes))
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
        Ok((BuildState::Failed, writes))
    } else {
        set_condition(
            conditions,
            cond(bc::ENGINE_BUILD_POD_PENDING, true, "PodPending", ""),
        );
        Ok((BuildState::InProgress, writes))
    }
}

/// Step 2 (NGC caches): read the local manifest the build wrote, report the built profile as
/// `status.outputProfile` and append it to the NIMCache's `status.profiles`.
async fn manifest_step(
    r: &Reconciler,
    build: &NIMBuild,
    cache: &NIMCache,
    ns: &str,
    uid: &str,
    status: &mut nim_types::NIMBuildStatus,
    cond: &Cond<'_>,
) -> Result<(BuildState, u32)> {
    if cache.spec.source.ngc.is_none() {
        return Ok((BuildState::Ready, 0));
    }
    let pod =
        local_manifest_pod(build, cache, &Default::default()).map_err(|e| Error::InvalidSpec {
            code: "NoBuildableProfile".into(),
            message: e.to_string(),
        })?;
    let pod_v = serde_json::to_value(&pod)?;
    let pod_id = crate::pipeline::object_id(&pod_v, ns);
    // Desired: only the manifest pod (the engine-build pod, if still there, is pruned).
    let mut writes = r
        .sync_children(ns, uid, std::slice::from_ref(&pod_v), &|_| false)
        .await?;
    let waiting = |msg: String| (BuildState::InProgress, msg);
    let (state, note) = match r.observe.get(&pod_id) {
        None => waiting(format!("waiting for pod {}", pod_id.name)),
        Some(p) if p.pointer("/status/phase").and_then(Value::as_str) != Some("Running") => {
            waiting(format!("pod {} is not running yet", pod_id.name))
        }
        Some(p) => match r.observe.pod_logs(ns, &pod_id.name).await {
            Err(e) => waiting(format!(
                "cannot read the local manifest from pod {}: {e}",
                pod_id.name
            )),
            Ok(text) => match built_profile(&text, build, status.input_profile.as_ref()) {
                Err(msg) => waiting(msg),
                Ok(profile) => {
                    writes += append_cache_profile(r, cache, &profile).await?;
                    status.output_profile = Some(profile);
                    let uid = p
                        .pointer("/metadata/uid")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    r.apply.delete(&pod_id, &uid).await?;
                    writes += 1;
                    (BuildState::Ready, "local manifest read".to_string())
                }
            },
        },
    };
    set_condition(
        &mut status.conditions,
        cond(
            bc::MODEL_MANIFEST_POD_COMPLETED,
            state == BuildState::Ready,
            if state == BuildState::Ready {
                "PodCompleted"
            } else {
                "PodPending"
            },
            &note,
        ),
    );
    Ok((state, writes))
}

/// The profile of the local manifest whose tag `model_name` is the build's model name, with
/// tag `input_profile` added.
///
/// ```text
/// built_profile("p9:\n  tags: {model_name: my-llm}\n", &build, None)
/// ```
fn built_profile(
    text: &str,
    build: &NIMBuild,
    input: Option<&NIMProfile>,
) -> std::result::Result<NIMProfile, String> {
    let doc = parse_manifest_text(text)
        .map_err(|e| format!("the local manifest is not parsable: {e}"))?;
    let manifest = Manifest::from_value(&doc)
        .map_err(|e| format!("the local manifest is not a NIM manifest: {e}"))?;
    let model_name = build
        .spec
        .model_name
        .clone()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| build.metadata.name.clone().unwrap_or_default());
    let (id, p) = manifest
        .profiles
        .iter()
        .find(|(_, p)| p.tags.get("model_name") == Some(&model_name))
        .ok_or_else(|| format!("the local manifest has no profile with model_name {model_name}"))?;
    let mut config = p.tags.clone();
    if let Some(input) = input {
        config.insert("input_profile".to_string(), input.name.clone());
    }
    Ok(NIMProfile {
        name: id.clone(),
        model: p.model.clone().unwrap_or_else(|| model_name.clone()),
        release: p.release.clone().unwrap_or_default(),
        config,
    })
}

/// Append `profile` to the NIMCache's `status.profiles` (once).
async fn append_cache_profile(
    r: &Reconciler,
    cache: &NIMCache,
    profile: &NIMProfile,
) -> Result<u32> {
    let mut status = cache.status.clone().unwrap_or_default();
    if status.profiles.iter().any(|p| p.name == profile.name) {
        return Ok(0);
    }
    status.profiles.push(profile.clone());
    let id = cr_id("NIMCache", &cache.metadata);
    r.status
        .write_status(&id, &serde_json::to_value(&status)?)
        .await?;
    Ok(1)
}

fn pod_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            c.get("type").and_then(Value::as_str) == Some("Ready")
                && c.get("status").and_then(Value::as_str) == Some("True")
        })
}
