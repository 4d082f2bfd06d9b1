//! `nim-operator capacity -f FILES --cluster SNAPSHOT --offer CLASS [--offer CLASS]...
//! [--at max|min]`: the fewest VMs of the offered classes to add so every NIMService fits at its
//! maxReplicas (default) or minReplicas, with the packing.
//!
//! 1. Plan the existing cluster: what fits there stays there (existing free capacity counts
//!    first); the missing replicas are the demands.
//! 2. Eligibility: re-plan with one synthetic VM of each offered class; a service may use a
//!    class when the planner finds that VM eligible (shape rules, profile GPU, memory,
//!    nodeSelector).
//! 3. Pack with [`nim_planner::capacity::pack`] (exact branch and bound up to 12 pods, else
//!    first-fit-decreasing).
//! 4. Verify: re-plan with the added VMs; every NIMService must fit. If the planner's own
//!    first-fit order needs more, VMs are added one at a time (reported) until it fits or 16
//!    extra VMs were tried.
//!
//! Exit 0 when the verified answer fits, 1 when no offered class can run some replica or the
//! verification fails, 2 for bad input.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use nim_planner::capacity::{Demand, EXACT_MAX_PODS, Method, VmClass as Bin, pack};
use nim_planner::placement::Placement;
use nim_planner::plan::Plan;
use nim_planner::snapshot::ClusterSnapshot;
use serde_json::Value;

use super::plan::{load, plan_loaded};
use super::whatif::{add_nodes, table};
use crate::vmclass::VmClass;

/// Which replica count must fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum At {
    /// Every NIMService at its maxReplicas.
    Max,
    /// Every NIMService at its minReplicas.
    Min,
}

impl At {
    fn field(self) -> &'static str {
        match self {
            Self::Max => "maxReplicas",
            Self::Min => "minReplicas",
        }
    }
    fn target(self, p: &Placement) -> u32 {
        match self {
            Self::Max => p.max_replicas,
            Self::Min => p.min_replicas,
        }
    }
    fn have(self, p: &Placement) -> u32 {
        match self {
            Self::Max => p.replicas_placed,
            Self::Min => p.replicas_at_min,
        }
    }
}

/// Largest number of VMs added one by one when the re-plan does not fit the packing.
const MAX_REPAIR_VMS: usize = 16;

/// Name prefix of the synthetic VMs.
const PREFIX: &str = "new";

fn key(p: &Placement) -> String {
    format!("{}/{}", p.service.namespace, p.service.name)
}

/// Services (with GPUs) that do not fit at `at`, as `ns/name`.
fn unfit(plan: &Plan, at: At) -> Vec<String> {
    plan.placements
        .iter()
        .filter(|p| p.gpus_per_pod > 0 && at.have(p) < at.target(p))
        .map(key)
        .collect()
}

/// Report lines for one service's replicas on one VM: whole single-pod replicas as ranges
/// (`replicas 5-8 (1 GPU(s) each)`), pods of multi-pod replicas one line per replica.
fn replica_lines(list: &[(u32, u32, u32, u32)]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < list.len() {
        let (r, n, pods, gpus) = list[i];
        if n == pods && pods == 1 {
            let mut j = i;
            while j + 1 < list.len()
                && list[j + 1].0 == list[j].0 + 1
                && list[j + 1].1 == 1
                && list[j + 1].2 == 1
                && list[j + 1].3 == gpus
            {
                j += 1;
            }
            out.push(if j == i {
                format!("replica {r} ({gpus} GPU(s))")
            } else {
                format!("replicas {r}-{} ({gpus} GPU(s) each)", list[j].0)
            });
            i = j + 1;
        } else {
            out.push(format!(
                "replica {r}: {n} of its {pods} pod(s), {gpus} GPU(s) each"
            ));
            i += 1;
        }
    }
    out
}

/// The report and the exit code.
pub fn capacity_text(
    files: &[PathBuf],
    cluster: &[PathBuf],
    offers: &[VmClass],
    at: At,
) -> Result<(String, i32), crate::manifest::ReadError> {
    let loaded = load(files, cluster)?;
    let snapshot = ClusterSnapshot::from_objects(&loaded.cluster);
    let base = plan_loaded(&loaded.objects, &loaded.invalid, &snapshot);
    let plan_with = |cluster: &[Value]| {
        plan_loaded(
            &loaded.objects,
            &loaded.invalid,
            &ClusterSnapshot::from_objects(cluster),
        )
    };

    let mut out = String::new();
    let _ = writeln!(
        out,
        "capacity: fewest new VMs so every NIMService fits at {}",
        at.field()
    );
    out.push_str("\noffered classes\n");
    let width = offers
        .iter()
        .map(|c| c.to_string().len())
        .max()
        .unwrap_or(0);
    for (i, c) in offers.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}. {:<width$}  pool {}",
            i + 1,
            c.to_string(),
            c.pool_name()
        );
    }

    // Eligibility per class: one probe VM of that class on top of the existing cluster.
    let mut eligible: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (ci, class) in offers.iter().enumerate() {
        let mut cl = loaded.cluster.clone();
        let probe = format!("capacity-probe-{}", class.pool_name());
        cl.push(class.node(&probe));
        for p in plan_with(&cl).placements {
            if p.eligible_nodes.contains(&probe) {
                eligible.entry(key(&p)).or_default().push(ci);
            }
        }
    }

    let mut demands = Vec::new();
    // (service, replica number) per demand.
    let mut owners: Vec<(String, u32)> = Vec::new();
    out.push_str("\nshortfall on the existing cluster (replicas that do not fit now)\n");
    let mut none_served = Vec::new();
    let mut rows = Vec::new();
    for p in &base.placements {
        let (have, target) = (at.have(p), at.target(p));
        if p.gpus_per_pod == 0 || have >= target {
            continue;
        }
        let classes = eligible.get(&key(p)).cloned().unwrap_or_default();
        let names: Vec<String> = classes.iter().map(|c| (c + 1).to_string()).collect();
        rows.push(vec![
            key(p),
            format!(
                "{} replica(s) x {} pod(s) x {} GPU(s)",
                target - have,
                p.pods_per_replica,
                p.gpus_per_pod
            ),
            format!("fits {have}/{target}"),
            format!(
                "offered classes that can run it: {}",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ),
        ]);
        if classes.is_empty() {
            none_served.push(key(p));
        }
        for r in have..target {
            owners.push((key(p), r + 1));
            demands.push(Demand::new(
                format!("{} replica {}", key(p), r + 1),
                p.gpus_per_pod,
                p.pods_per_replica,
                classes.clone(),
            ));
        }
    }
    table(&mut out, &rows);
    if demands.is_empty() {
        out.push_str("  (none: the existing cluster already fits every NIMService)\n");
    }
    if !none_served.is_empty() {
        let _ = writeln!(
            out,
            "\nresult: no offered VM class can run {}; offer another class (see `nim-operator explain`)",
            none_served.join(", ")
        );
        return Ok((out, 1));
    }

    let bins: Vec<Bin> = offers
        .iter()
        .map(|c| Bin::new(c.to_string(), c.gpus))
        .collect();
    let packing = match pack(&bins, &demands) {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(out, "\nresult: {e}");
            return Ok((out, 1));
        }
    };
    let pods: u64 = demands.iter().map(|d| u64::from(d.pods)).sum();
    let _ = writeln!(
        out,
        "\nmethod: {} for {pods} pod(s); exact when <= {EXACT_MAX_PODS} pods",
        packing.method
    );
    if packing.method == Method::FirstFitDecreasing {
        if pods <= EXACT_MAX_PODS as u64 {
            out.push_str("  (the exact search ran out of its step budget)\n");
        }
        let largest = offers.iter().map(|c| c.gpus).max().unwrap_or(0);
        let bounded = (0..offers.len())
            .filter(|&c| offers[c].gpus == largest)
            .any(|c| demands.iter().all(|d| d.eligible(&bins, c)));
        out.push_str(if bounded {
            "  (the largest offered class can run every pod, so the 11/9 x OPT + 6/9 bound applies)\n"
        } else {
            "  (no offered class with the most GPUs runs every pod: no bound for this instance)\n"
        });
    }

    // VM names per class, in packing order.
    let mut names = Vec::new();
    let mut next: BTreeMap<usize, u64> = BTreeMap::new();
    for vm in &packing.vms {
        let i = next.entry(vm.class).or_insert(0);
        names.push(format!("{PREFIX}-{}-{}", offers[vm.class].pool_name(), i));
        *i += 1;
    }
    let mut cluster_after = loaded.cluster.clone();
    for (ci, n) in &next {
        add_nodes(&mut cluster_after, &offers[*ci], PREFIX, 0, *n);
    }
    let mut after = plan_with(&cluster_after);
    let mut extra: Vec<usize> = Vec::new();
    while !unfit(&after, at).is_empty() && extra.len() < MAX_REPAIR_VMS {
        let first = unfit(&after, at)[0].clone();
        let Some(&ci) = eligible
            .get(&first)
            .and_then(|cs| cs.iter().min_by_key(|&&c| (offers[c].gpus, c)))
        else {
            break;
        };
        let i = next.entry(ci).or_insert(0);
        add_nodes(&mut cluster_after, &offers[ci], PREFIX, *i, 1);
        *i += 1;
        extra.push(ci);
        after = plan_with(&cluster_after);
    }

    out.push_str("\nadd\n");
    let mut total_vms = 0;
    let mut total_gpus = 0u64;
    let mut rows = Vec::new();
    for (ci, n) in &next {
        let c = &offers[*ci];
        rows.push(vec![
            format!("{n} x {c}"),
            format!("({} GPU(s))", n * u64::from(c.gpus)),
        ]);
        total_vms += n;
        total_gpus += n * u64::from(c.gpus);
    }
    table(&mut out, &rows);
    let _ = writeln!(out, "  total: {total_vms} VM(s), {total_gpus} GPU(s)");

    out.push_str("\npacking (new VM: replicas on it)\n");
    if packing.vms.is_empty() {
        out.push_str("  (no new VMs)\n");
    }
    for (vm, name) in packing.vms.iter().zip(&names) {
        let c = &offers[vm.class];
        let used = vm.used_gpus(&demands);
        let _ = writeln!(out, "  {name}  {c}  {used}/{} GPU(s) used", c.gpus);
        // Per service: (replica number, pods of it on this VM, pods per replica, GPUs per pod).
        let mut per_service: BTreeMap<&str, Vec<(u32, u32, u32, u32)>> = BTreeMap::new();
        for p in &vm.pods {
            let (svc, replica) = &owners[p.demand];
            let d = &demands[p.demand];
            let list = per_service.entry(svc.as_str()).or_default();
            match list.iter_mut().find(|e| e.0 == *replica) {
                Some(e) => e.1 += 1,
                None => list.push((*replica, 1, d.pods, d.gpus_per_pod)),
            }
        }
        for (svc, mut list) in per_service {
            list.sort_unstable();
            for line in replica_lines(&list) {
                let _ = writeln!(out, "    {svc} {line}");
            }
        }
    }
    if !extra.is_empty() {
        let _ = writeln!(
            out,
            "  + {} more VM(s) ({}) the planner's first-fit order needed beyond the packing",
            extra.len(),
            extra
                .iter()
                .map(|&c| offers[c].to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    let still = unfit(&after, at);
    let with_gpus = after
        .placements
        .iter()
        .filter(|p| p.gpus_per_pod > 0)
        .count();
    if still.is_empty() {
        let _ = writeln!(
            out,
            "\nverified: re-planned with the added VMs, every NIMService fits at {} ({} of {} with GPUs)",
            at.field(),
            with_gpus,
            with_gpus
        );
        Ok((out, 0))
    } else {
        let _ = writeln!(
            out,
            "\nNOT verified: re-planned with the added VMs, still short at {}: {}",
            at.field(),
            still.join(", ")
        );
        Ok((out, 1))
    }
}

/// Run the command; returns the exit code.
pub fn run(files: &[PathBuf], cluster: &[PathBuf], offers: &[VmClass], at: At) -> i32 {
    for (i, a) in offers.iter().enumerate() {
        if offers[..i].iter().any(|b| b.pool_name() == a.pool_name()) {
            eprintln!(
                "error[DuplicateOffer]: --offer {a}: offered twice (pool {})",
                a.pool_name()
            );
            return 2;
        }
    }
    match capacity_text(files, cluster, offers, at) {
        Ok((text, code)) => {
            print!("{text}");
            code
        }
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            2
        }
    }
}
