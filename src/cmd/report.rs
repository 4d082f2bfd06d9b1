//! Human-readable reports on a plan: the `-o table` view and `explain`. Plain text (no colour),
//! so it reads the same in a terminal and in a CI log.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use nim_planner::diagnostics::Diagnostic;
use nim_planner::placement::Placement;
use nim_planner::plan::Plan;
use nim_planner::snapshot::ClusterSnapshot;

fn source_name(p: &Placement) -> String {
    p.gpu_source
        .map_or("unknown".to_string(), |s| format!("{s:?}").to_lowercase())
}

fn short(id: &str) -> String {
    if id.len() > 12 && id.chars().all(|c| c.is_ascii_hexdigit()) {
        format!("{}…", &id[..12])
    } else {
        id.to_string()
    }
}

fn diagnostics_of<'a>(plan: &'a Plan, kind: &str, ns: &str, name: &str) -> Vec<&'a Diagnostic> {
    plan.diagnostics
        .iter()
        .filter(|d| d.object.kind == kind && d.object.namespace == ns && d.object.name == name)
        .collect()
}

fn write_diagnostic(out: &mut String, d: &Diagnostic) {
    let field = if d.field.is_empty() {
        String::new()
    } else {
        format!(" ({})", d.field)
    };
    let _ = writeln!(out, "  {} {}{field}", d.severity.as_str(), d.code);
    let _ = writeln!(out, "      {}", d.message);
}

/// The placement lines shared by the table and `explain`.
fn write_placement(out: &mut String, p: &Placement) {
    let rows: [(&str, String); 6] = [
        (
            "GPUs per replica",
            format!(
                "{} ({} pod(s) x {} GPU(s), from {})",
                p.gpus_per_replica(),
                p.pods_per_replica,
                p.gpus_per_pod,
                source_name(p)
            ),
        ),
        (
            "profile",
            match p.profiles.as_slice() {
                [] => "-".to_string(),
                [one] => short(one),
                many => format!(
                    "{} candidates: {}",
                    many.len(),
                    many.iter().map(|p| short(p)).collect::<Vec<_>>().join(", ")
                ),
            },
        ),
        (
            "eligible pools",
            if p.eligible_pools.is_empty() {
                "-".to_string()
            } else {
                p.eligible_pools.join(", ")
            },
        ),
        (
            "rejected pools",
            if p.rejected_pools.is_empty() {
                "-".to_string()
            } else {
                p.rejected_pools
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ),
        (
            "replicas",
            format!(
                "min {}/{} fit, max {}/{} fit",
                p.replicas_at_min, p.min_replicas, p.replicas_placed, p.max_replicas
            ),
        ),
        (
            "bound to",
            if p.allowed_products.is_empty() {
                "-".to_string()
            } else {
                format!(
                    "nvidia.com/gpu.product in [{}]",
                    p.allowed_products.join(", ")
                )
            },
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "  {k:<17} {v}");
    }
}

/// `plan -o table`: per NIMService its placement and findings, then findings on other objects.
pub fn table(plan: &Plan) -> String {
    let mut out = String::new();
    let errors = plan.diagnostics.iter().filter(|d| d.is_error()).count();
    let _ = writeln!(
        out,
        "{} NIMService(s), {} object(s) to apply, {} error(s), {} warning(s)",
        plan.placements.len(),
        plan.objects.len(),
        errors,
        plan.diagnostics.len() - errors
    );
    for p in &plan.placements {
        let _ = writeln!(out, "\n{}", p.service);
        write_placement(&mut out, p);
        for d in diagnostics_of(plan, "NIMService", &p.service.namespace, &p.service.name) {
            write_diagnostic(&mut out, d);
        }
    }
    let mut others: BTreeMap<String, Vec<&Diagnostic>> = BTreeMap::new();
    for d in plan.diagnostics.iter().filter(|d| {
        !(d.object.kind == "NIMService" && plan.placements.iter().any(|p| p.service == d.object))
    }) {
        others.entry(d.object.to_string()).or_default().push(d);
    }
    for (object, diags) in others {
        let _ = writeln!(out, "\n{object}");
        for d in diags {
            write_diagnostic(&mut out, d);
        }
    }
    out
}

/// A change that would make the object placeable, found by re-planning a variant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Suggestion {
    /// Rough size of the change (lower = smaller); suggestions are listed smallest first.
    pub cost: u32,
    /// What to change.
    pub text: String,
}

/// `explain`: why one NIMService is or is not placeable, pool by pool, and what would fix it.
pub fn explain(
    plan: &Plan,
    snapshot: &ClusterSnapshot,
    kind: &str,
    namespace: &str,
    name: &str,
    suggestions: &[Suggestion],
) -> String {
    let mut out = String::new();
    let diags = diagnostics_of(plan, kind, namespace, name);
    let placeable = !diags.iter().any(|d| d.is_error());
    let _ = writeln!(
        out,
        "{kind} {namespace}/{name}: {}",
        if placeable {
            "placeable"
        } else {
            "NOT placeable"
        }
    );
    if let Some(p) = plan
        .placement(namespace, name)
        .filter(|_| kind == "NIMService")
    {
        write_placement(&mut out, p);
        let _ = writeln!(out, "\nnode pools considered:");
        for (pool_name, pool) in snapshot.inventory.pools() {
            let shape = format!(
                "{} node(s), {} x {}{}, {} GPU(s) free",
                pool.nodes.len(),
                pool.gpus_per_node,
                pool.product.as_deref().unwrap_or("no GPU"),
                if pool.vgpu { " (vGPU)" } else { "" },
                pool.free_gpus
            );
            let verdict = if let Some(reasons) = p.rejected_pools.get(&pool_name) {
                let reasons: Vec<String> = reasons.iter().map(ToString::to_string).collect();
                format!("rejected: {}", reasons.join("; "))
            } else if p.eligible_pools.contains(&pool_name) {
                let unavailable: Vec<String> = pool
                    .nodes
                    .iter()
                    .filter_map(|n| p.unavailable_nodes.get(n).map(|r| format!("{n}: {r}")))
                    .collect();
                if unavailable.is_empty() {
                    "eligible".to_string()
                } else {
                    format!("eligible, but {}", unavailable.join(", "))
                }
            } else if pool.gpus_per_node == 0 {
                "no GPUs".to_string()
            } else {
                "not considered (the pods need no GPU)".to_string()
            };
            let _ = writeln!(out, "  {pool_name} ({shape}): {verdict}");
        }
    }
    if !diags.is_empty() {
        let _ = writeln!(out, "\ndiagnostics:");
        for d in &diags {
            write_diagnostic(&mut out, d);
        }
    }
    if !placeable {
        let _ = writeln!(out, "\nsmallest changes that would make it fit:");
        if suggestions.is_empty() {
            let _ = writeln!(
                out,
                "  none found among the cache's other profiles or up to 16 more nodes of an existing pool; fix the errors above"
            );
        }
        for s in suggestions {
            let _ = writeln!(out, "  - {}", s.text);
        }
    }
    out
}
