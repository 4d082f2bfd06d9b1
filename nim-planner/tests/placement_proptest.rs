//! Property tests: random small snapshots and services never panic, never over-commit GPUs,
//! respect the inventory shape rules, and give the same output for permuted input.

use std::collections::BTreeMap;

use nim_planner::placement::place;
use nim_planner::snapshot::ClusterSnapshot;
use nim_types::NIMService;
use nim_types::inventory::can_serve_multi_gpu_replica;
use proptest::prelude::*;
use serde_json::{Value, json};

const PRODUCTS: &[(&str, bool)] = &[
    ("NVIDIA-H100XM-80C", true),
    ("NVIDIA-L40S-48C", true),
    ("NVIDIA-H100XM-40C", true),
    ("NVIDIA-A100-4-20C", true),
    ("NVIDIA-L40S", false),
    ("NVIDIA-H100-80GB-HBM3", false),
    ("NVIDIA-H100-NVL", false),
];

#[derive(Debug, Clone)]
struct NodeSpec {
    product: usize,
    gpus: u32,
    ready: bool,
    cordoned: bool,
    used: u32,
}

#[derive(Debug, Clone)]
struct SvcSpec {
    gpus: u32,
    min: i32,
    max: i32,
    autoscale: bool,
    pipeline: u32,
}

fn node_strategy() -> impl Strategy<Value = NodeSpec> {
    (
        0..PRODUCTS.len(),
        0u32..=8,
        any::<bool>(),
        prop::bool::weighted(0.1),
        0u32..=8,
    )
        .prop_map(|(product, gpus, ready, cordoned, used)| NodeSpec {
            product,
            gpus,
            ready: ready || gpus.is_multiple_of(2),
            cordoned,
            used: used.min(gpus),
        })
}

fn svc_strategy() -> impl Strategy<Value = SvcSpec> {
    (0u32..=8, 0i32..=3, 0i32..=5, any::<bool>(), 1u32..=3).prop_map(
        |(gpus, min, max, autoscale, pipeline)| SvcSpec {
            gpus,
            min,
            max,
            autoscale,
            pipeline,
        },
    )
}

fn objects(nodes: &[NodeSpec]) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let (product, vgpu) = PRODUCTS[n.product];
        let name = format!("node-{i}");
        out.push(json!({
            "kind": "Node",
            "metadata": {"name": name, "labels": {
                "nvidia.com/gpu.present": "true",
                "nvidia.com/gpu.product": product,
                "nvidia.com/gpu.count": n.gpus.to_string(),
                "nvidia.com/vgpu.present": vgpu.to_string()}},
            "spec": {"unschedulable": n.cordoned},
            "status": {"allocatable": {"nvidia.com/gpu": n.gpus.to_string()},
                       "conditions": [{"type": "Ready", "status": if n.ready { "True" } else { "False" }}]}
        }));
        if n.used > 0 {
            out.push(json!({
                "kind": "Pod", "metadata": {"name": format!("busy-{i}"), "namespace": "x"},
                "spec": {"nodeName": name, "containers": [{"name": "c",
                    "resources": {"limits": {"nvidia.com/gpu": n.used.to_string()}}}]}
            }));
        }
    }
    out
}

fn service(i: usize, s: &SvcSpec) -> NIMService {
    let mut spec = json!({
        "image": {"repository": "nvcr.io/nim/meta/llama-3.1-8b-instruct", "tag": "1.8.0"},
        "resources": {"limits": {"nvidia.com/gpu": s.gpus.to_string()}},
    });
    if s.autoscale {
        spec["scale"] =
            json!({"enabled": true, "hpa": {"minReplicas": s.min.max(1), "maxReplicas": s.max}});
    } else {
        spec["replicas"] = json!(s.min);
    }
    if s.pipeline > 1 {
        spec["multiNode"] =
            json!({"parallelism": {"pipeline": s.pipeline, "tensor": s.gpus.max(1)}});
    }
    serde_json::from_value(json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
        "metadata": {"name": format!("svc-{i}"), "namespace": if i.is_multiple_of(2) { "a" } else { "b" }},
        "spec": spec
    }))
    .expect("valid NIMService")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn never_overcommits_and_is_permutation_invariant(
        nodes in prop::collection::vec(node_strategy(), 0..5),
        svcs in prop::collection::vec(svc_strategy(), 0..4),
    ) {
        let objs = objects(&nodes);
        let snap = ClusterSnapshot::from_objects(&objs);
        let services: Vec<NIMService> = svcs.iter().enumerate().map(|(i, s)| service(i, s)).collect();
        let (placements, diagnostics) = place(&services, &snap);
        prop_assert_eq!(placements.len(), services.len());

        // Capacity safety.
        let mut used: BTreeMap<String, u64> = BTreeMap::new();
        for p in &placements {
            prop_assert!(p.replicas_placed <= p.max_replicas.max(p.min_replicas));
            prop_assert!(p.replicas_at_min <= p.min_replicas);
            let pods: u32 = p.nodes.values().sum();
            if p.gpus_per_pod > 0 {
                prop_assert_eq!(pods, p.replicas_placed * p.pods_per_replica);
            }
            for (n, k) in &p.nodes {
                *used.entry(n.clone()).or_insert(0) += u64::from(*k) * u64::from(p.gpus_per_pod);
                // Hard filter: every used node passes the shape rule.
                let inv = &snap.inventory.nodes[n];
                prop_assert!(can_serve_multi_gpu_replica(inv, p.gpus_per_pod).is_ok());
                prop_assert!(inv.is_schedulable());
            }
        }
        for (n, g) in &used {
            let free = snap.inventory.schedulable_free_gpus(n).unwrap_or(0);
            prop_assert!(*g <= free, "node {} uses {} of {} free", n, g, free);
        }
        // Every service short of its minimum is explained.
        for p in &placements {
            if p.gpus_per_pod > 0 && !p.fits_min() {
                prop_assert!(diagnostics.iter().any(|d| d.object == p.service && d.is_error()));
            }
        }

        // Determinism under permutation of both inputs.
        let mut rev_objs = objs.clone();
        rev_objs.reverse();
        let mut rev_svcs = services.clone();
        rev_svcs.reverse();
        let (p2, d2) = place(&rev_svcs, &ClusterSnapshot::from_objects(&rev_objs));
        prop_assert_eq!(
            serde_json::to_string(&(&placements, &diagnostics)).unwrap(),
            serde_json::to_string(&(&p2, &d2)).unwrap()
        );
    }

    #[test]
    fn snapshot_never_panics_on_garbage(
        kinds in prop::collection::vec(
            prop::sample::select(vec!["Node", "Pod", "NIMCache", "ConfigMap", "ClusterPolicy", "List", "Other"]),
            0..6),
        names in prop::collection::vec(prop::option::of("[a-z-]{0,12}"), 6),
        payload in prop::collection::vec(any::<u8>(), 6),
    ) {
        let objs: Vec<Value> = kinds.iter().enumerate().map(|(i, kind)| {
            let name = names[i].clone().map_or(Value::from(payload[i]), Value::from);
            let garbage = match payload[i] % 5 {
                0 => json!(null),
                1 => json!([1, "x"]),
                2 => json!({"model_manifest.yaml": "{\"p\": {\"tags\": {\"tp\": [1]}}}"}),
                3 => json!({"model_manifest.yaml": {"schema_version": "2", "profiles": "nope"}}),
                _ => json!({"state": payload[i], "allocatable": {"nvidia.com/gpu": "eight"}}),
            };
            json!({"kind": kind, "metadata": {"name": format!("{}-manifest", name.as_str().unwrap_or("x")), "namespace": name},
                   "spec": garbage.clone(), "status": garbage.clone(), "data": garbage.clone(), "items": garbage})
        }).collect();
        let snap = ClusterSnapshot::from_objects(&objs);
        let _ = place(&[], &snap);
        let again = ClusterSnapshot::from_objects(&objs);
        prop_assert_eq!(snap.errors, again.errors);
    }

    /// Oracle: a single one-replica request on an idle cluster is placed whenever some node
    /// passes the shape rule, is schedulable and has the GPUs.
    #[test]
    fn no_false_nofit_on_idle_cluster(
        nodes in prop::collection::vec(node_strategy(), 1..5),
        gpus in 1u32..=8,
    ) {
        let idle: Vec<NodeSpec> = nodes.into_iter().map(|n| NodeSpec { used: 0, ..n }).collect();
        let snap = ClusterSnapshot::from_objects(&objects(&idle));
        let svc = service(0, &SvcSpec { gpus, min: 1, max: 1, autoscale: false, pipeline: 1 });
        let (p, d) = place(&[svc], &snap);
        let fits_somewhere = snap.inventory.gpu_nodes().any(|n| {
            n.is_schedulable()
                && can_serve_multi_gpu_replica(n, gpus).is_ok()
                && snap.inventory.free_gpus(&n.name).unwrap_or(0) >= u64::from(gpus)
        });
        prop_assert_eq!(p[0].replicas_placed == 1, fits_somewhere, "{:#?}", d);
        for n in &p[0].eligible_nodes {
            prop_assert!(can_serve_multi_gpu_replica(&snap.inventory.nodes[n], gpus).is_ok());
        }
    }
}
