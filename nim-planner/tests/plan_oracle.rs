//! Brute-force oracle for the planner's feasibility on small inputs (issue 4).
//!
//! Up to 4 nodes (L40S vGPU ×2, H100XM-80C vGPU ×4, A100-SXM4-80GB passthrough ×8, MIG-backed
//! vGPU `NVIDIA-A100-4-20C`, CPU-only; some NotReady, cordoned or tainted; some GPUs held by other
//! pods) and up to 3 NIMServices with 1–8 GPUs per pod and a fixed replica count of 1–2. The
//! oracle tries every assignment of every replica to every eligible node (eligibility by the same
//! inventory rules: [`can_serve_multi_gpu_replica`], schedulable, taints tolerated) within the free
//! GPUs. The planner must agree: every minimum placed (no `MinReplicasUnschedulable`) exactly when
//! such an assignment exists.

use std::collections::BTreeMap;

use nim_planner::diagnostics::Code;
use nim_planner::plan::{Plan, PlanInput, plan};
use nim_planner::snapshot::ClusterSnapshot;
use nim_types::NIMService;
use nim_types::inventory::can_serve_multi_gpu_replica;
use proptest::prelude::*;
use serde_json::{Value, json};

/// (product, GPUs per node, vGPU guest); `None` is a CPU-only node.
const SHAPES: &[Option<(&str, u32, bool)>] = &[
    Some(("NVIDIA-L40S-48C", 2, true)),
    Some(("NVIDIA-H100XM-80C", 4, true)),
    Some(("NVIDIA-A100-SXM4-80GB", 8, false)),
    Some(("NVIDIA-A100-4-20C", 1, true)),
    None,
];

#[derive(Debug, Clone)]
struct NodeSpec {
    shape: usize,
    /// 0 Ready, 1 NotReady, 2 cordoned, 3 tainted.
    state: u8,
    busy: u32,
}

#[derive(Debug, Clone)]
struct SvcSpec {
    gpus: u32,
    replicas: u32,
    tolerate: bool,
}

fn node_strategy() -> impl Strategy<Value = NodeSpec> {
    (
        prop_oneof![1 => Just(0usize), 5 => Just(1), 4 => Just(2), 1 => Just(3), 1 => Just(4)],
        prop_oneof![12 => Just(0u8), 1 => Just(1), 1 => Just(2), 1 => Just(3)],
        prop_oneof![1 => Just(0u32), 1 => 1u32..=6],
    )
        .prop_map(|(shape, state, busy)| NodeSpec {
            shape,
            state,
            busy: busy.min(SHAPES[shape].map_or(0, |s| s.1)),
        })
}

fn svc_strategy() -> impl Strategy<Value = SvcSpec> {
    (
        prop_oneof![4 => 1u32..=2, 4 => 3u32..=4, 1 => 5u32..=8],
        1u32..=2,
        prop::bool::weighted(0.3),
    )
        .prop_map(|(gpus, replicas, tolerate)| SvcSpec {
            gpus,
            replicas,
            tolerate,
        })
}

/// GPUs per pod a shape can serve: L40S vGPU and MIG-backed vGPU only single-GPU pods.
fn shape_serves(shape: usize, gpus: u32) -> bool {
    match SHAPES[shape] {
        Some((_, count, _)) if shape == 0 || shape == 3 => gpus == 1 && count >= 1,
        Some((_, count, _)) => gpus <= count,
        None => false,
    }
}

/// A feasible, tight instance: the services' replicas are first assigned to Ready nodes (each
/// replica to the first node, in an order rotated by `picks`, that serves and has room), then
/// every node's other workloads take what that packing leaves, less `slack` GPUs. Replicas that
/// found no room are dropped.
fn planted(
    shapes: Vec<usize>,
    mut svcs: Vec<SvcSpec>,
    picks: Vec<usize>,
    slack: Vec<u32>,
) -> (Vec<NodeSpec>, Vec<SvcSpec>) {
    let cap: Vec<u32> = shapes
        .iter()
        .map(|&s| SHAPES[s].map_or(0, |x| x.1))
        .collect();
    let mut load = vec![0u32; shapes.len()];
    let mut k = 0;
    for s in &mut svcs {
        let mut placed = 0;
        for _ in 0..s.replicas {
            let start = picks[k % picks.len()];
            k += 1;
            let node = (0..shapes.len())
                .map(|j| (start + j) % shapes.len())
                .find(|&j| shape_serves(shapes[j], s.gpus) && load[j] + s.gpus <= cap[j]);
            if let Some(j) = node {
                load[j] += s.gpus;
                placed += 1;
            }
        }
        s.replicas = placed;
    }
    svcs.retain(|s| s.replicas > 0);
    let nodes = shapes
        .iter()
        .enumerate()
        .map(|(j, &shape)| NodeSpec {
            shape,
            state: 0,
            busy: cap[j].saturating_sub(load[j] + slack[j % slack.len()]),
        })
        .collect();
    (nodes, svcs)
}

fn planted_strategy() -> impl Strategy<Value = (Vec<NodeSpec>, Vec<SvcSpec>)> {
    (
        prop::collection::vec(
            prop_oneof![1 => Just(0usize), 5 => Just(1), 3 => Just(2)],
            2..=4,
        ),
        prop::collection::vec(
            (
                prop_oneof![1 => Just(1u32), 4 => 2u32..=4, 1 => 5u32..=7],
                1u32..=2,
            )
                .prop_map(|(gpus, replicas)| SvcSpec {
                    gpus,
                    replicas,
                    tolerate: false,
                }),
            2..=3,
        ),
        prop::collection::vec(0usize..4, 6),
        prop::collection::vec(prop_oneof![7 => Just(0u32), 1 => Just(1)], 4),
    )
        .prop_map(|(shapes, svcs, picks, slack)| planted(shapes, svcs, picks, slack))
        .prop_filter("at least one service", |(_, svcs)| !svcs.is_empty())
}

/// Random small instances (a third of the cases) and planted tight ones.
fn instance_strategy() -> impl Strategy<Value = (Vec<NodeSpec>, Vec<SvcSpec>)> {
    prop_oneof![
        1 => (
            prop::collection::vec(node_strategy(), 1..=4),
            prop_oneof![
                1 => prop::collection::vec(svc_strategy(), 1..=2),
                3 => prop::collection::vec(svc_strategy(), 3),
            ],
        ),
        2 => planted_strategy(),
    ]
}

fn objects(nodes: &[NodeSpec]) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let name = format!("node-{i}");
        let mut labels = json!({});
        let mut status = json!({"conditions": [{"type": "Ready",
            "status": if n.state == 1 { "False" } else { "True" }}]});
        if let Some((product, count, vgpu)) = SHAPES[n.shape] {
            labels = json!({
                "nvidia.com/gpu.present": "true",
                "nvidia.com/gpu.product": product,
                "nvidia.com/gpu.count": count.to_string(),
                "nvidia.com/vgpu.present": vgpu.to_string(),
            });
            status["allocatable"] = json!({"nvidia.com/gpu": count.to_string()});
        }
        let mut spec = json!({"unschedulable": n.state == 2});
        if n.state == 3 {
            spec["taints"] = json!([{"key": "nvidia.com/gpu", "effect": "NoSchedule"}]);
        }
        out.push(json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels}, "spec": spec, "status": status}));
        if n.busy > 0 {
            out.push(json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("busy-{i}"), "namespace": "other"},
                "spec": {"nodeName": name, "containers": [{"name": "c", "image": "x",
                    "resources": {"limits": {"nvidia.com/gpu": n.busy.to_string()}}}]},
                "status": {"phase": "Running"}}));
        }
    }
    out
}

fn service(i: usize, s: &SvcSpec) -> NIMService {
    let mut spec = json!({
        "image": {"repository": "nvcr.io/nim/meta/llama-3.1-8b-instruct", "tag": "1.8.0"},
        "resources": {"limits": {"nvidia.com/gpu": s.gpus.to_string()}},
        "storage": {"pvc": {"name": "models", "volumeAccessMode": "ReadWriteMany"}},
        "replicas": s.replicas,
    });
    if s.tolerate {
        spec["tolerations"] = json!([{"key": "nvidia.com/gpu", "operator": "Exists"}]);
    }
    serde_json::from_value(json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
        "metadata": {"name": format!("svc-{i}"), "namespace": "nim", "uid": format!("uid-{i}")},
        "spec": spec
    }))
    .expect("valid NIMService")
}

/// Every node that may run one pod of `svc` (`gpus` per pod), by the inventory rules.
fn eligible(snap: &ClusterSnapshot, svc: &NIMService, gpus: u32) -> Vec<String> {
    snap.inventory
        .gpu_nodes()
        .filter(|n| {
            n.allocatable_gpus > 0
                && can_serve_multi_gpu_replica(n, gpus).is_ok()
                && n.is_schedulable()
                && n.untolerated_taints(&svc.spec.tolerations).is_empty()
        })
        .map(|n| n.name.clone())
        .collect()
}

/// Tries every node for every replica in turn (no pruning beyond capacity): whether all fit.
fn oracle(replicas: &[(u64, Vec<String>)], free: &mut BTreeMap<String, u64>) -> bool {
    let Some(((need, nodes), rest)) = replicas.split_first() else {
        return true;
    };
    for n in nodes {
        let f = free[n];
        if f < *need {
            continue;
        }
        free.insert(n.clone(), f - need);
        let ok = oracle(rest, free);
        free.insert(n.clone(), f);
        if ok {
            return true;
        }
    }
    false
}

/// Plans `svcs` on `nodes`; returns the plan, the snapshot, and the oracle's verdict.
fn run(nodes: &[NodeSpec], svcs: &[SvcSpec]) -> (Plan, ClusterSnapshot, bool) {
    let snap = ClusterSnapshot::from_objects(&objects(nodes));
    let services: Vec<NIMService> = svcs
        .iter()
        .enumerate()
        .map(|(i, s)| service(i, s))
        .collect();
    let replicas: Vec<(u64, Vec<String>)> = services
        .iter()
        .zip(svcs)
        .flat_map(|(svc, s)| {
            let nodes = eligible(&snap, svc, s.gpus);
            (0..s.replicas).map(move |_| (u64::from(s.gpus), nodes.clone()))
        })
        .collect();
    let mut free: BTreeMap<String, u64> = snap
        .inventory
        .gpu_nodes()
        .map(|n| {
            (
                n.name.clone(),
                snap.inventory.free_gpus(&n.name).unwrap_or(0),
            )
        })
        .collect();
    let feasible = oracle(&replicas, &mut free);
    let input = PlanInput {
        services,
        ..PlanInput::default()
    };
    (plan(&input, &snap), snap, feasible)
}

/// Whether the plan placed every service's minimum.
fn all_minimums_placed(p: &Plan) -> bool {
    !p.diagnostics
        .iter()
        .any(|d| d.code == Code::MinReplicasUnschedulable)
        && p.placements.iter().all(|pl| pl.fits_min())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn feasibility_matches_brute_force(
        (nodes, svcs) in instance_strategy(),
    ) {
        let (p, snap, feasible) = run(&nodes, &svcs);
        prop_assert_eq!(
            all_minimums_placed(&p),
            feasible,
            "planner and oracle disagree: {:#?}",
            p.placements
        );
        // Whatever the planner placed is a valid packing.
        let mut used: BTreeMap<&str, u64> = BTreeMap::new();
        for (pl, s) in p.placements.iter().zip(&svcs) {
            let ok = eligible(&snap, &service(0, s), s.gpus);
            for (n, pods) in &pl.nodes {
                prop_assert!(ok.contains(n), "{} not eligible for {}", n, pl.service);
                *used.entry(n).or_insert(0) += u64::from(*pods) * u64::from(pl.gpus_per_pod);
            }
        }
        for (n, g) in used {
            prop_assert!(g <= snap.inventory.free_gpus(n).unwrap_or(0), "{} over-committed", n);
        }
    }
}

/// The case first-fit-decreasing gets wrong: 3 + 2 + 2 GPUs on nodes with 4 and 3 free GPUs.
/// First fit puts the 3-GPU replica on the 4-GPU node and then only one 2-GPU replica fits; the
/// only packing is {2, 2} | {3}.
#[test]
fn first_fit_decreasing_miss_is_recovered() {
    let h100 = |busy| NodeSpec {
        shape: 1,
        state: 0,
        busy,
    };
    let svcs = [
        SvcSpec {
            gpus: 3,
            replicas: 1,
            tolerate: false,
        },
        SvcSpec {
            gpus: 2,
            replicas: 2,
            tolerate: false,
        },
    ];
    let (p, _, feasible) = run(&[h100(0), h100(1)], &svcs);
    assert!(feasible);
    assert!(all_minimums_placed(&p), "{:#?}", p.diagnostics);
    assert_eq!(
        p.placements[0].nodes,
        BTreeMap::from([("node-1".to_owned(), 1)])
    );
    assert_eq!(
        p.placements[1].nodes,
        BTreeMap::from([("node-0".to_owned(), 2)])
    );
}
