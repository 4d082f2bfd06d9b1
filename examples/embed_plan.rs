//! Embedding the planner in your own tool or operator: read a cluster snapshot and NIM
//! manifests, plan, and act on placements, diagnostics and the ordered objects.
//!
//! `cargo run --example embed_plan -- examples/clusters/vks.yaml examples/seed/nimservice.yaml examples/seed/nimcache.yaml`

use nim_planner::plan::{PlanInput, plan};
use nim_planner::snapshot::ClusterSnapshot;
use serde_json::Value;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let cluster = args
        .next()
        .unwrap_or_else(|| "examples/clusters/vks.yaml".into());
    let snapshot = ClusterSnapshot::from_value(&serde_saphyr::from_str::<Value>(
        &std::fs::read_to_string(cluster)?,
    )?);
    let mut objects = Vec::new();
    for file in args {
        objects.extend(serde_saphyr::from_multiple::<Value>(
            &std::fs::read_to_string(file)?,
        )?);
    }
    let (input, problems) = PlanInput::from_objects(&objects);
    let plan = plan(&input, &snapshot);
    for d in problems.iter().chain(&plan.diagnostics) {
        eprintln!(
            "{}[{}] {} {}: {}",
            d.severity.as_str(),
            d.code,
            d.object,
            d.field,
            d.message
        );
    }
    for p in &plan.placements {
        println!(
            "{}: {} GPU(s)/pod, {}/{} replicas fit, products {:?}",
            p.service, p.gpus_per_pod, p.replicas_placed, p.max_replicas, p.allowed_products
        );
    }
    // Server-side apply `plan.objects` in this order with your own client.
    println!("{} objects to apply", plan.objects.len());
    Ok(())
}
