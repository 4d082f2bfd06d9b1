//! `nim-operator what-if -f FILES --cluster SNAPSHOT [--add-pool CLASS=COUNT]...
//! [--remove-pool POOL]... [--set-replicas NS/NAME=N]... [--set-profile NS/NAME=PROFILE_ID]...`:
//! plan before and after hypothetical edits and print what changes: services that become
//! placeable or unplaceable (with the error codes that appear or go), replicas that fit
//! (min/max) before → after, and spare GPUs (free after placement) per pool before → after.
//!
//! Exit 0 (the report is the answer, whatever it says), 2 for bad input.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use nim_planner::plan::Plan;
use nim_planner::snapshot::ClusterSnapshot;
use serde_json::{Value, json};

use super::plan::{Loaded, load, plan_loaded};
use crate::vmclass::VmClass;

/// The hypothetical edits.
#[derive(Debug, Clone, Default)]
pub struct Edits {
    /// VM classes to add (count from `=COUNT`, default 1).
    pub add_pools: Vec<VmClass>,
    /// Pool names to remove (all their nodes).
    pub remove_pools: Vec<String>,
    /// `(namespace, name, replicas)`.
    pub set_replicas: Vec<(String, String, u32)>,
    /// `(namespace, name, profile id)`.
    pub set_profiles: Vec<(String, String, String)>,
}

/// Why `what-if` could not run.
#[derive(Debug, thiserror::Error)]
pub enum WhatIfError {
    /// `--remove-pool` names no pool of the snapshot.
    #[error("--remove-pool {pool}: no such GPU pool in the snapshot (pools: {known})")]
    UnknownPool {
        /// The argument.
        pool: String,
        /// Known pool names, comma-separated.
        known: String,
    },
    /// `--set-replicas`/`--set-profile` names no NIMService of the inputs.
    #[error("{flag} {target}: no NIMService {target} in the -f inputs")]
    UnknownService {
        /// The flag.
        flag: &'static str,
        /// `NS/NAME`.
        target: String,
    },
    /// `--set-profile` names a profile the service's NIMCache manifest does not list.
    #[error(
        "--set-profile {target}={profile}: the NIMCache manifest has no such profile (profiles: {known})"
    )]
    UnknownProfile {
        /// `NS/NAME`.
        target: String,
        /// The profile ID.
        profile: String,
        /// Known IDs.
        known: String,
    },
    /// An input file could not be read.
    #[error(transparent)]
    Read(#[from] crate::manifest::ReadError),
}

impl WhatIfError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownPool { .. } => "UnknownPool",
            Self::UnknownService { .. } => "UnknownService",
            Self::UnknownProfile { .. } => "UnknownProfile",
            Self::Read(e) => e.code(),
        }
    }
}

/// Clap value parser for `NS/NAME=N`.
pub fn parse_set_replicas(arg: &str) -> Result<(String, String, u32), String> {
    let (target, n) = arg
        .split_once('=')
        .ok_or_else(|| format!("{arg:?} is not NS/NAME=N"))?;
    let (ns, name) = parse_target(target).ok_or_else(|| format!("{arg:?} is not NS/NAME=N"))?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("{arg:?}: N {n:?} is not a whole number"))?;
    if n > 1000 {
        return Err(format!("{arg:?}: N {n} is not in 0..=1000"));
    }
    Ok((ns, name, n))
}

/// Clap value parser for `NS/NAME=PROFILE_ID`.
pub fn parse_set_profile(arg: &str) -> Result<(String, String, String), String> {
    let (target, id) = arg
        .split_once('=')
        .ok_or_else(|| format!("{arg:?} is not NS/NAME=PROFILE_ID"))?;
    let (ns, name) =
        parse_target(target).ok_or_else(|| format!("{arg:?} is not NS/NAME=PROFILE_ID"))?;
    let id = id.trim();
    if id.is_empty() {
        return Err(format!("{arg:?}: PROFILE_ID is empty"));
    }
    Ok((ns, name, id.to_owned()))
}

fn parse_target(target: &str) -> Option<(String, String)> {
    let (ns, name) = target.split_once('/')?;
    (!ns.is_empty() && !name.is_empty() && !name.contains('/'))
        .then(|| (ns.to_owned(), name.to_owned()))
}

pub(crate) fn ns_of(obj: &Value) -> &str {
    obj.pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .unwrap_or("default")
}

pub(crate) fn is_service(obj: &Value, ns: &str, name: &str) -> bool {
    obj["kind"] == "NIMService"
        && ns_of(obj) == ns
        && obj.pointer("/metadata/name").and_then(Value::as_str) == Some(name)
}

/// Adds `count` nodes of `class` named `{prefix}-{pool}-{i}` (i from `start`).
pub(crate) fn add_nodes(
    cluster: &mut Vec<Value>,
    class: &VmClass,
    prefix: &str,
    start: u64,
    count: u64,
) {
    for i in start..start + count {
        cluster.push(class.node(&format!("{prefix}-{}-{i}", class.pool_name())));
    }
}

/// Removes the named Nodes (also inside `List` objects).
fn remove_nodes(cluster: &mut Vec<Value>, nodes: &BTreeSet<String>) {
    let is_doomed = |o: &Value| {
        o["kind"] == "Node"
            && o.pointer("/metadata/name")
                .and_then(Value::as_str)
                .is_some_and(|n| nodes.contains(n))
    };
    cluster.retain(|o| !is_doomed(o));
    for o in cluster.iter_mut() {
        if let Some(items) = o.get_mut("items").and_then(Value::as_array_mut) {
            items.retain(|i| !is_doomed(i));
        }
    }
}

/// `ns/name` → set of error codes on that NIMService.
pub(crate) fn service_errors(plan: &Plan) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in &plan.placements {
        out.entry(format!("{}/{}", p.service.namespace, p.service.name))
            .or_default();
    }
    for d in &plan.diagnostics {
        if d.is_error() && d.object.kind == "NIMService" {
            out.entry(format!("{}/{}", d.object.namespace, d.object.name))
                .or_default()
                .insert(d.code.to_string());
        }
    }
    out
}

/// Spare GPUs (schedulable free minus placed) and allocatable GPUs per pool.
pub(crate) fn spare_by_pool(
    snapshot: &ClusterSnapshot,
    plan: &Plan,
) -> BTreeMap<String, (u64, u64)> {
    let mut used: BTreeMap<&str, u64> = BTreeMap::new();
    for p in &plan.placements {
        for (node, pods) in &p.nodes {
            *used.entry(node.as_str()).or_insert(0) += u64::from(*pods) * u64::from(p.gpus_per_pod);
        }
    }
    snapshot
        .inventory
        .pools()
        .into_iter()
        .map(|(name, pool)| {
            let spare = pool
                .nodes
                .iter()
                .map(|n| {
                    snapshot
                        .inventory
                        .schedulable_free_gpus(n)
                        .unwrap_or(0)
                        .saturating_sub(used.get(n.as_str()).copied().unwrap_or(0))
                })
                .sum();
            (name, (spare, pool.allocatable_gpus))
        })
        .collect()
}

/// Applies the edits to copies of the inputs.
fn apply(
    loaded: &Loaded,
    snapshot: &ClusterSnapshot,
    edits: &Edits,
) -> Result<(Vec<Value>, Vec<Value>), WhatIfError> {
    let pools = snapshot.inventory.pools();
    let mut cluster = loaded.cluster.clone();
    let mut doomed = BTreeSet::new();
    for name in &edits.remove_pools {
        let Some(pool) = pools.get(name) else {
            return Err(WhatIfError::UnknownPool {
                pool: name.clone(),
                known: pools.keys().cloned().collect::<Vec<_>>().join(", "),
            });
        };
        doomed.extend(pool.nodes.iter().cloned());
    }
    remove_nodes(&mut cluster, &doomed);
    let mut next: BTreeMap<String, u64> = BTreeMap::new();
    for class in &edits.add_pools {
        let start = next.entry(class.pool_name()).or_insert(0);
        let count = class.count.unwrap_or(1);
        add_nodes(&mut cluster, class, "whatif", *start, count);
        *start += count;
    }
    let mut objects = loaded.objects.clone();
    for (ns, name, n) in &edits.set_replicas {
        let obj = objects
            .iter_mut()
            .find(|o| is_service(o, ns, name))
            .ok_or_else(|| WhatIfError::UnknownService {
                flag: "--set-replicas",
                target: format!("{ns}/{name}"),
            })?;
        if obj.pointer("/spec/scale/enabled") == Some(&json!(true)) {
            obj["spec"]["scale"]["hpa"]["minReplicas"] = json!(n);
            obj["spec"]["scale"]["hpa"]["maxReplicas"] = json!(n);
        } else {
            obj["spec"]["replicas"] = json!(n);
        }
    }
    for (ns, name, id) in &edits.set_profiles {
        let target = format!("{ns}/{name}");
        let obj = objects
            .iter_mut()
            .find(|o| is_service(o, ns, name))
            .ok_or_else(|| WhatIfError::UnknownService {
                flag: "--set-profile",
                target: target.clone(),
            })?;
        if let Some(manifest) = obj
            .pointer("/spec/storage/nimCache/name")
            .and_then(Value::as_str)
            .and_then(|cache| snapshot.manifest(ns, cache))
            && !manifest.profiles.contains_key(id)
        {
            return Err(WhatIfError::UnknownProfile {
                target,
                profile: id.clone(),
                known: manifest
                    .profiles
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        obj["spec"]["storage"]["nimCache"]["profile"] = json!(id);
        for part in ["limits", "requests"] {
            if let Some(m) = obj
                .pointer_mut(&format!("/spec/resources/{part}"))
                .and_then(Value::as_object_mut)
            {
                m.remove("nvidia.com/gpu");
            }
        }
    }
    Ok((objects, cluster))
}

fn describe_edits(edits: &Edits) -> Vec<String> {
    let mut out = Vec::new();
    for c in &edits.add_pools {
        out.push(format!(
            "add {} VM(s) of class {} (pool {})",
            c.count.unwrap_or(1),
            c,
            c.pool_name()
        ));
    }
    for p in &edits.remove_pools {
        out.push(format!("remove pool {p}"));
    }
    for (ns, name, n) in &edits.set_replicas {
        out.push(format!("set {ns}/{name} replicas to {n}"));
    }
    for (ns, name, id) in &edits.set_profiles {
        out.push(format!("set {ns}/{name} profile to {id}"));
    }
    out
}

/// Writes rows as left-aligned columns, indented by two spaces.
pub(crate) fn table(out: &mut String, rows: &[Vec<String>]) {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = String::from(" ");
        for (c, cell) in r.iter().enumerate() {
            line.push(' ');
            if c + 1 == r.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$} ", w = widths[c]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// The report text.
pub fn whatif_text(
    files: &[PathBuf],
    cluster: &[PathBuf],
    edits: &Edits,
) -> Result<String, WhatIfError> {
    let loaded = load(files, cluster)?;
    let before_snap = ClusterSnapshot::from_objects(&loaded.cluster);
    let before = plan_loaded(&loaded.objects, &loaded.invalid, &before_snap);
    let (objects, cluster_after) = apply(&loaded, &before_snap, edits)?;
    let after_snap = ClusterSnapshot::from_objects(&cluster_after);
    let after = plan_loaded(&objects, &loaded.invalid, &after_snap);

    let mut out = String::new();
    let _ = writeln!(
        out,
        "what-if: {} NIMService(s), {} edit(s)",
        before.placements.len().max(after.placements.len()),
        describe_edits(edits).len()
    );
    for e in describe_edits(edits) {
        let _ = writeln!(out, "  - {e}");
    }

    let eb = service_errors(&before);
    let ea = service_errors(&after);
    let keys: BTreeSet<&String> = eb.keys().chain(ea.keys()).collect();
    let empty = BTreeSet::new();
    let (mut became_ok, mut became_bad) = (0, 0);
    out.push_str("\nservices (placeable = no error diagnostics)\n");
    let mut rows = Vec::new();
    for k in &keys {
        let b = eb.get(*k).unwrap_or(&empty);
        let a = ea.get(*k).unwrap_or(&empty);
        let state = |s: &BTreeSet<String>| {
            if s.is_empty() {
                "placeable"
            } else {
                "unplaceable"
            }
        };
        let change = if state(b) == state(a) {
            format!("{} (unchanged)", state(a))
        } else {
            if a.is_empty() {
                became_ok += 1;
            } else {
                became_bad += 1;
            }
            format!("{} -> {}", state(b), state(a))
        };
        let gone: Vec<&str> = b.difference(a).map(String::as_str).collect();
        let new: Vec<&str> = a.difference(b).map(String::as_str).collect();
        let mut notes = Vec::new();
        if !gone.is_empty() {
            notes.push(format!("resolved: {}", gone.join(", ")));
        }
        if !new.is_empty() {
            notes.push(format!("new: {}", new.join(", ")));
        }
        let kept: Vec<&str> = a.intersection(b).map(String::as_str).collect();
        if !kept.is_empty() {
            notes.push(format!("still: {}", kept.join(", ")));
        }
        rows.push(vec![(*k).clone(), change, notes.join("; ")]);
    }
    table(&mut out, &rows);

    out.push_str("\nreplicas that fit (placed/wanted), before -> after (* = changed)\n");
    let mut rows = Vec::new();
    for k in &keys {
        let find = |plan: &Plan| {
            plan.placements
                .iter()
                .find(|p| format!("{}/{}", p.service.namespace, p.service.name) == **k)
                .map(|p| {
                    (
                        format!("{}/{}", p.replicas_at_min, p.min_replicas),
                        format!("{}/{}", p.replicas_placed, p.max_replicas),
                    )
                })
                .unwrap_or_else(|| ("-".into(), "-".into()))
        };
        let (bmin, bmax) = find(&before);
        let (amin, amax) = find(&after);
        let mark = if (bmin.as_str(), bmax.as_str()) == (amin.as_str(), amax.as_str()) {
            ""
        } else {
            "  *"
        };
        rows.push(vec![
            (*k).clone(),
            format!("min {bmin} -> {amin}"),
            format!("max {bmax} -> {amax}{mark}"),
        ]);
    }
    table(&mut out, &rows);

    out.push_str("\nspare GPUs per pool (free after placement/allocatable), before -> after\n");
    let sb = spare_by_pool(&before_snap, &before);
    let sa = spare_by_pool(&after_snap, &after);
    let pools: BTreeSet<&String> = sb.keys().chain(sa.keys()).collect();
    let mut rows = Vec::new();
    let fmt = |v: Option<&(u64, u64)>| v.map_or("-".to_string(), |(s, a)| format!("{s}/{a}"));
    for p in pools {
        let note = match (sb.contains_key(p), sa.contains_key(p)) {
            (false, true) => "  (added)",
            (true, false) => "  (removed)",
            _ => "",
        };
        rows.push(vec![
            p.clone(),
            fmt(sb.get(p)),
            format!("-> {}{note}", fmt(sa.get(p))),
        ]);
    }
    if rows.is_empty() {
        out.push_str("  (no GPU pools)\n");
    }
    table(&mut out, &rows);
    let _ = writeln!(
        out,
        "\nsummary: {became_ok} service(s) become placeable, {became_bad} become unplaceable"
    );
    Ok(out)
}

/// Run the command; returns the exit code (0 report printed, 2 bad input).
pub fn run(files: &[PathBuf], cluster: &[PathBuf], edits: &Edits) -> i32 {
    match whatif_text(files, cluster, edits) {
        Ok(text) => {
            print!("{text}");
            0
        }
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            2
        }
    }
}
