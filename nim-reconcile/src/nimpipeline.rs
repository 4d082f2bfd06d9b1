//! The NIMPipeline controller: creates, updates and deletes its NIMServices (with dependency env
//! filled in), and reports their states.

use std::collections::BTreeMap;

use nim_planner::graph::ObjectId;
use nim_planner::plan::{PlanInput, plan};
use nim_types::NIMPipeline;
use nim_types::conditions::{FAILED, PipelineState, ServiceState, new_condition, set_condition};
use serde_json::Value;

use crate::error::Result;
use crate::pipeline::{Begin, Outcome, RESYNC, Reconciler, condition_reason, first_error};

/// NVIDIA's finalizer name for NIMPipelines.
pub const FINALIZER: &str = "finalizer.nimpipeline.apps.nvidia.com";

/// Overall pipeline state from its services' states (NVIDIA: any Failed ⇒ Failed, all Ready ⇒
/// Ready, else NotReady).
///
/// ```
/// use std::collections::BTreeMap;
/// use nim_types::conditions::PipelineState;
/// let s = BTreeMap::from([("a".to_string(), "Ready".to_string()), ("b".to_string(), "NotReady".to_string())]);
/// assert_eq!(nim_reconcile::nimpipeline::overall(&s), PipelineState::NotReady);
/// ```
pub fn overall(states: &BTreeMap<String, String>) -> PipelineState {
    if states.values().any(|s| s == ServiceState::Failed.as_str()) {
        PipelineState::Failed
    } else if states.values().all(|s| s == ServiceState::Ready.as_str()) {
        PipelineState::Ready
    } else {
        PipelineState::NotReady
    }
}

/// Reconcile one NIMPipeline.
///
/// ```text
/// let outcome = nim_reconcile::nimpipeline::reconcile(&reconciler, &pipeline).await?;
/// ```
pub async fn reconcile(r: &Reconciler, pipeline: &NIMPipeline) -> Result<Outcome> {
    let live = match r
        .begin("NIMPipeline", pipeline, &pipeline.metadata, FINALIZER)
        .await?
    {
        Begin::Deleted(outcome) => return Ok(outcome),
        Begin::Live(live) => live,
    };
    let (id, uid, snap) = (&live.id, live.uid.as_str(), &live.snap);
    let mut writes = live.writes;
    let ns = id.namespace.clone();
    let planned = plan(
        &PlanInput {
            pipelines: vec![pipeline.clone()],
            ..Default::default()
        },
        snap,
    );
    let mut problem = first_error(&planned.diagnostics, "NIMPipeline", &ns, &id.name)
        .map(|d| (d.code.as_str().to_string(), d.message.clone()));
    let mut result = Ok(());
    if problem.is_none() {
        // Only the pipeline's NIMServices; each service's own children are its controller's job.
        let services: Vec<Value> = planned
            .objects
            .iter()
            .filter(|o| o.get("kind").and_then(Value::as_str) == Some("NIMService"))
            .cloned()
            .collect();
        match r.sync_children(&ns, uid, &services, &|_| false).await {
            Ok(n) => writes += n,
            Err(e) => {
                problem = Some((e.code().to_string(), e.to_string()));
                result = Err(e);
            }
        }
    }

    let old = pipeline.status.clone().unwrap_or_default();
    let mut status = old.clone();
    status.observed_generation = pipeline.metadata.generation;
    status.states = pipeline
        .spec
        .services
        .iter()
        .filter(|s| s.is_enabled())
        .map(|s| {
            let state = r
                .observe
                .get(&ObjectId::new(
                    nim_types::API_VERSION,
                    "NIMService",
                    &ns,
                    &s.name,
                ))
                .and_then(|o| {
                    o.pointer("/status/state")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| ServiceState::NotReady.as_str().to_string());
            (s.name.clone(), state)
        })
        .collect();
    let state = if problem.is_some() {
        PipelineState::Failed
    } else {
        overall(&status.states)
    };
    let now = r.now();
    match &problem {
        Some((code, message)) => {
            set_condition(
                &mut status.conditions,
                new_condition(
                    FAILED,
                    true,
                    code,
                    message,
                    pipeline.metadata.generation,
                    now,
                ),
            );
        }
        None => {
            status.conditions.retain(|c| c.type_ != FAILED);
        }
    }
    status.state = Some(state.as_str().to_string());
    let old_problem = condition_reason(&old.conditions, FAILED, "True");
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
        requeue_after: if problem.is_some() {
            None
        } else {
            Some(RESYNC)
        },
        writes,
        state: state.as_str().to_string(),
    })
}
