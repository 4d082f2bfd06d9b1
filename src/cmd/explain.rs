//! `nim-operator explain KIND/NAMESPACE/NAME -f ... --cluster ...`: why one object is or is not
//! placeable, and the smallest changes that would make it fit, found by re-planning variants:
//! another profile of its NIMCache, or more nodes of an existing pool or of a common VKS VM class.

use std::path::PathBuf;

use nim_planner::plan::Plan;
use nim_planner::snapshot::ClusterSnapshot;
use serde_json::{Value, json};

use super::plan::{Loaded, load, plan_loaded};
use super::report::{Suggestion, explain};

/// Common GPU VM classes on VMware Private AI / VKS, offered when no existing pool can grow
/// into a fit: (product label, GPUs per VM, vGPU, memory MiB per GPU, GFD family).
pub(crate) const VM_CLASSES: &[(&str, u64, bool, u64, &str)] = &[
    ("NVIDIA-L40S-48C", 4, true, 49152, "ada-lovelace"),
    ("NVIDIA-H100XM-80C", 4, true, 81920, "hopper"),
    ("NVIDIA-H100XM-80C", 8, true, 81920, "hopper"),
    ("NVIDIA-A100-SXM4-80GB", 8, false, 81920, "ampere"),
];

/// The largest number of added nodes tried per pool or class.
const MAX_ADDED_NODES: u64 = 16;

/// Why `explain` could not run.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    /// The target is not `KIND/NAMESPACE/NAME`.
    #[error("{0:?} is not KIND/NAMESPACE/NAME (e.g. NIMService/default/llama-3-1-8b)")]
    BadTarget(String),
    /// No such object among the inputs.
    #[error(
        "{0} not found in the -f inputs (valid NIM objects only; run `nim-operator validate` on them)"
    )]
    NotFound(String),
    /// An input file could not be read.
    #[error(transparent)]
    Read(#[from] crate::manifest::ReadError),
}

impl ExplainError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadTarget(_) => "BadTarget",
            Self::NotFound(_) => "NotFound",
            Self::Read(e) => e.code(),
        }
    }
}

fn target_errors(plan: &Plan, kind: &str, ns: &str, name: &str) -> bool {
    plan.diagnostics.iter().any(|d| {
        d.is_error() && d.object.kind == kind && d.object.namespace == ns && d.object.name == name
    })
}

fn ns_of(obj: &Value) -> String {
    obj.pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .unwrap_or("default")
        .to_string()
}

fn is_target(obj: &Value, kind: &str, ns: &str, name: &str) -> bool {
    obj["kind"] == kind
        && ns_of(obj) == ns
        && obj.pointer("/metadata/name").and_then(Value::as_str) == Some(name)
}

/// Variants that use another profile of the service's NIMCache (the GPU count then follows the
/// profile).
fn profile_suggestions(
    loaded: &Loaded,
    snapshot: &ClusterSnapshot,
    ns: &str,
    name: &str,
) -> Vec<Suggestion> {
    let Some(target) = loaded
        .objects
        .iter()
        .find(|o| is_target(o, "NIMService", ns, name))
    else {
        return Vec::new();
    };
    let Some(cache) = target
        .pointer("/spec/storage/nimCache/name")
        .and_then(Value::as_str)
    else {
        return Vec::new();
    };
    let Some(manifest) = snapshot.manifest(ns, cache) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (id, profile) in &manifest.profiles {
        let objects: Vec<Value> = loaded
            .objects
            .iter()
            .map(|o| {
                if !is_target(o, "NIMService", ns, name) {
                    return o.clone();
                }
                let mut v = o.clone();
                v["spec"]["storage"]["nimCache"]["profile"] = json!(id);
                for part in ["limits", "requests"] {
                    if let Some(m) = v
                        .pointer_mut(&format!("/spec/resources/{part}"))
                        .and_then(Value::as_object_mut)
                    {
                        m.remove("nvidia.com/gpu");
                    }
                }
                v
            })
            .collect();
        let plan = plan_loaded(&objects, &loaded.invalid, snapshot);
        if !target_errors(&plan, "NIMService", ns, name) {
            out.push(Suggestion {
                cost: 10 + profile.gpus(),
                text: format!(
                    "use profile {} ({}: tp={} pp={} precision={} gpu={}) as spec.storage.nimCache.profile",
                    id,
                    profile.display_name(),
                    profile.tp(),
                    profile.pp(),
                    profile.precision().unwrap_or("-"),
                    profile.gpu_tag().unwrap_or("any"),
                ),
            });
        }
    }
    out
}

pub(crate) fn synthetic_node(
    name: &str,
    product: &str,
    gpus: u64,
    vgpu: bool,
    memory: u64,
    family: &str,
) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {
            "nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": product,
            "nvidia.com/gpu.count": gpus.to_string(), "nvidia.com/gpu.memory": memory.to_string(),
            "nvidia.com/gpu.family": family, "nvidia.com/vgpu.present": vgpu.to_string(),
            "feature.node.kubernetes.io/pci-10de.present": "true"}},
        "status": {"allocatable": {"nvidia.com/gpu": gpus.to_string()},
                   "capacity": {"nvidia.com/gpu": gpus.to_string()},
                   "conditions": [{"type": "Ready", "status": "True"}]}
    })
}

/// The fewest added nodes (1..=16) of `template` that make the target placeable.
fn fewest_nodes(loaded: &Loaded, template: &Value, ns: &str, name: &str) -> Option<u64> {
    let base = template
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("node");
    (1..=MAX_ADDED_NODES).find(|&k| {
        let mut cluster = loaded.cluster.clone();
        for i in 0..k {
            let mut node = template.clone();
            node["metadata"]["name"] = json!(format!("{base}-whatif-{i}"));
            cluster.push(node);
        }
        let snapshot = ClusterSnapshot::from_objects(&cluster);
        !target_errors(
            &plan_loaded(&loaded.objects, &loaded.invalid, &snapshot),
            "NIMService",
            ns,
            name,
        )
    })
}

fn capacity_suggestions(
    loaded: &Loaded,
    snapshot: &ClusterSnapshot,
    ns: &str,
    name: &str,
) -> Vec<Suggestion> {
    let mut out = Vec::new();
    for (pool_name, pool) in snapshot.inventory.pools() {
        let Some(first) = pool.nodes.first() else {
            continue;
        };
        let Some(template) = loaded
            .cluster
            .iter()
            .flat_map(|o| match o.get("items").and_then(Value::as_array) {
                Some(items) => items.clone(),
                None => vec![o.clone()],
            })
            .find(|o| {
                o["kind"] == "Node"
                    && o.pointer("/metadata/name").and_then(Value::as_str) == Some(first)
            })
        else {
            continue;
        };
        if pool.gpus_per_node == 0 {
            continue;
        }
        if let Some(k) = fewest_nodes(loaded, &template, ns, name) {
            out.push(Suggestion {
                cost: 100 * u32::try_from(k).unwrap_or(u32::MAX / 200),
                text: format!(
                    "add {k} node(s) like pool {pool_name} ({} more {} GPU(s))",
                    k * pool.gpus_per_node,
                    pool.product.as_deref().unwrap_or("?")
                ),
            });
        }
    }
    if out.is_empty() {
        for &(product, gpus, vgpu, memory, family) in VM_CLASSES {
            let template = synthetic_node("vm-class", product, gpus, vgpu, memory, family);
            if let Some(k) = fewest_nodes(loaded, &template, ns, name) {
                out.push(Suggestion {
                    cost: 150 * u32::try_from(k).unwrap_or(u32::MAX / 300),
                    text: format!(
                        "add {k} VM(s) of a new class: {gpus} x {product}{} per VM",
                        if vgpu { " vGPU" } else { " passthrough" }
                    ),
                });
            }
        }
    }
    out
}

/// Run the command; returns the exit code (0 placeable, 1 not placeable, 2 bad input).
pub fn run(target: &str, files: &[PathBuf], cluster: &[PathBuf]) -> i32 {
    match explain_text(target, files, cluster) {
        Ok((text, placeable)) => {
            print!("{text}");
            i32::from(!placeable)
        }
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            2
        }
    }
}

/// The report text and whether the target is placeable.
pub fn explain_text(
    target: &str,
    files: &[PathBuf],
    cluster: &[PathBuf],
) -> Result<(String, bool), ExplainError> {
    let parts: Vec<&str> = target.split('/').collect();
    let [kind, ns, name] = parts.as_slice() else {
        return Err(ExplainError::BadTarget(target.to_string()));
    };
    if kind.is_empty() || ns.is_empty() || name.is_empty() {
        return Err(ExplainError::BadTarget(target.to_string()));
    }
    let loaded = load(files, cluster)?;
    if !loaded.objects.iter().any(|o| is_target(o, kind, ns, name)) {
        return Err(ExplainError::NotFound(format!("{kind} {ns}/{name}")));
    }
    let snapshot = ClusterSnapshot::from_objects(&loaded.cluster);
    let plan = plan_loaded(&loaded.objects, &loaded.invalid, &snapshot);
    let placeable = !target_errors(&plan, kind, ns, name);
    let mut suggestions = Vec::new();
    if !placeable && *kind == "NIMService" {
        suggestions.extend(profile_suggestions(&loaded, &snapshot, ns, name));
        suggestions.extend(capacity_suggestions(&loaded, &snapshot, ns, name));
        suggestions.sort();
        suggestions.truncate(5);
    }
    Ok((
        explain(&plan, &snapshot, kind, ns, name, &suggestions),
        placeable,
    ))
}
