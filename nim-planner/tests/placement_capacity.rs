//! Capacity safety, first-fit-decreasing order, min/max replica diagnostics and determinism.

use std::collections::BTreeMap;

use nim_planner::diagnostics::Code;
use nim_planner::placement::place;
use nim_planner::snapshot::ClusterSnapshot;
use nim_types::NIMService;
use serde_json::{Value, json};

fn node(name: &str, gpus: u32) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {
            "nvidia.com/gpu.present": "true",
            "nvidia.com/gpu.product": "NVIDIA-H100XM-80C",
            "nvidia.com/gpu.count": gpus.to_string(),
            "nvidia.com/gpu.memory": "81920",
            "nvidia.com/gpu.family": "hopper",
            "nvidia.com/vgpu.present": "true",
            "nvidia.com/vgpu.host-driver-version": "550.54.16",
            "nvidia.com/gpu.sharing-strategy": "none",
            "nvidia.com/gpu.replicas": "1",
            "nvidia.com/mig.capable": "false"}},
        "status": {"allocatable": {"nvidia.com/gpu": gpus.to_string()},
                   "capacity": {"nvidia.com/gpu": gpus.to_string()},
                   "conditions": [{"type": "Ready", "status": "True"}]}
    })
}

fn pod(name: &str, node: &str, gpus: u32) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "other"},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "x",
            "resources": {"limits": {"nvidia.com/gpu": gpus.to_string()}}}]},
        "status": {"phase": "Running"}
    })
}

/// An autoscaled service with a cache, GPU metrics and a pinned image: no sharp edges.
fn scaled(name: &str, gpus: u32, min: i32, max: i32) -> NIMService {
    serde_json::from_value(json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
        "metadata": {"name": name, "namespace": "nim"},
        "spec": {
            "image": {"repository": "nvcr.io/nim/meta/llama-3.1-8b-instruct", "tag": "1.8.0"},
            "resources": {"limits": {"nvidia.com/gpu": gpus.to_string()}},
            "storage": {"pvc": {"name": "models", "volumeAccessMode": "ReadWriteMany"}},
            "scale": {"enabled": true, "hpa": {"minReplicas": min, "maxReplicas": max, "metrics": [
                {"type": "Pods", "pods": {"metric": {"name": "gpu_cache_usage_perc"},
                 "target": {"type": "AverageValue", "averageValue": "750m"}}}]}}
        }
    }))
    .expect("valid NIMService")
}

fn fixed(name: &str, gpus: u32, replicas: i32) -> NIMService {
    serde_json::from_value(json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
        "metadata": {"name": name, "namespace": "nim"},
        "spec": {
            "image": {"repository": "nvcr.io/nim/meta/llama-3.1-8b-instruct", "tag": "1.8.0"},
            "resources": {"limits": {"nvidia.com/gpu": gpus.to_string()}},
            "storage": {"pvc": {"name": "models", "volumeAccessMode": "ReadWriteMany"}},
            "replicas": replicas
        }
    }))
    .expect("valid NIMService")
}

fn snapshot(objs: &[Value]) -> ClusterSnapshot {
    let s = ClusterSnapshot::from_objects(objs);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    s
}

/// GPUs used per node by all placements.
fn usage(placements: &[nim_planner::placement::Placement]) -> BTreeMap<String, u64> {
    let mut used = BTreeMap::new();
    for p in placements {
        for (n, pods) in &p.nodes {
            *used.entry(n.clone()).or_insert(0) += u64::from(*pods) * u64::from(p.gpus_per_pod);
        }
    }
    used
}

#[test]
fn two_services_never_overcommit() {
    let snap = snapshot(&[node("a", 4), node("b", 4), pod("busy", "b", 1)]);
    let services = [scaled("big", 4, 1, 3), scaled("small", 2, 1, 4)];
    let (p, d) = place(&services, &snap);
    let used = usage(&p);
    for (n, g) in &used {
        let free = snap.inventory.schedulable_free_gpus(n).unwrap();
        assert!(*g <= free, "node {n}: {g} > {free}");
    }
    // big (4 GPUs) goes first: node a. small then gets b (3 free): one replica.
    let big = p.iter().find(|p| p.service.name == "big").unwrap();
    let small = p.iter().find(|p| p.service.name == "small").unwrap();
    assert_eq!((big.replicas_at_min, big.replicas_placed), (1, 1));
    assert_eq!(big.nodes.get("a"), Some(&1));
    assert_eq!((small.replicas_at_min, small.replicas_placed), (1, 1));
    assert_eq!(small.nodes.get("b"), Some(&1));
    let max_warnings: Vec<_> = d
        .iter()
        .filter(|d| d.code == Code::MaxReplicasExceedCapacity)
        .map(|d| d.object.name.as_str())
        .collect();
    assert_eq!(max_warnings, ["big", "small"]);
    assert!(d.iter().all(|d| !d.is_error()), "{d:#?}");
    // The snapshot itself is untouched.
    assert_eq!(snap.inventory.free_gpus("a"), Some(4));
}

#[test]
fn minimums_are_placed_before_anyone_grows() {
    // 8 GPUs. "wide" wants 2..4 × 2 GPUs, "narrow" wants 3..3 × 1 GPU.
    let snap = snapshot(&[node("a", 8)]);
    let (p, d) = place(&[scaled("wide", 2, 2, 4), fixed("narrow", 1, 3)], &snap);
    let wide = p.iter().find(|p| p.service.name == "wide").unwrap();
    let narrow = p.iter().find(|p| p.service.name == "narrow").unwrap();
    assert_eq!(narrow.replicas_placed, 3);
    assert_eq!(wide.replicas_at_min, 2);
    assert_eq!(wide.replicas_placed, 2); // 4 + 3 = 7 used, 1 left: not enough for another 2-GPU replica
    assert_eq!(usage(&p)["a"], 7);
    assert!(
        d.iter()
            .any(|d| d.code == Code::MaxReplicasExceedCapacity && d.object.name == "wide")
    );
}

#[test]
fn min_unschedulable_is_an_error() {
    let snap = snapshot(&[node("a", 4)]);
    let (p, d) = place(&[fixed("three", 2, 3)], &snap);
    assert_eq!(p[0].replicas_placed, 2);
    assert!(!p[0].fits_min());
    let e = d
        .iter()
        .find(|d| d.code == Code::MinReplicasUnschedulable)
        .expect("diag");
    assert_eq!(e.field, "spec.replicas");
    assert!(e.is_error());
    assert!(!d.iter().any(|d| d.code == Code::MaxReplicasExceedCapacity));

    let (_, d) = place(&[scaled("hpa", 4, 2, 3)], &snap);
    let e = d
        .iter()
        .find(|d| d.code == Code::MinReplicasUnschedulable)
        .expect("diag");
    assert_eq!(e.field, "spec.scale.hpa.minReplicas");
}

#[test]
fn fits_exactly_has_no_capacity_diagnostics() {
    let snap = snapshot(&[node("a", 4), node("b", 4)]);
    let (p, d) = place(&[scaled("s", 2, 1, 4)], &snap);
    assert_eq!(p[0].replicas_placed, 4);
    assert!(
        !d.iter().any(|d| matches!(
            d.code,
            Code::MinReplicasUnschedulable | Code::MaxReplicasExceedCapacity
        )),
        "{d:#?}"
    );
}

#[test]
fn output_is_identical_for_permuted_input() {
    let objs = vec![
        node("a", 4),
        node("b", 2),
        node("c", 8),
        pod("p1", "c", 3),
        pod("p2", "a", 1),
        json!({"kind": "ConfigMap", "metadata": {"name": "unrelated", "namespace": "x"}, "data": {}}),
    ];
    let services = vec![
        scaled("alpha", 2, 1, 5),
        fixed("beta", 1, 2),
        scaled("gamma", 4, 1, 2),
        fixed("delta", 8, 1),
    ];
    let (p0, d0) = place(&services, &snapshot(&objs));
    let j0 = serde_json::to_string(&(&p0, &d0)).unwrap();
    // Deterministic rotations and reversals of both inputs.
    for k in 0..objs.len() {
        let mut o = objs.clone();
        o.rotate_left(k);
        if k % 2 == 1 {
            o.reverse();
        }
        let mut s = services.clone();
        s.rotate_left(k % services.len());
        if k % 3 == 0 {
            s.reverse();
        }
        let (p, d) = place(&s, &snapshot(&o));
        assert_eq!(
            serde_json::to_string(&(&p, &d)).unwrap(),
            j0,
            "permutation {k}"
        );
    }
    // Placements come sorted by namespace/name.
    let names: Vec<_> = p0.iter().map(|p| p.service.name.as_str()).collect();
    assert_eq!(names, ["alpha", "beta", "delta", "gamma"]);
}

#[test]
fn existing_pods_reduce_free_capacity() {
    let snap = snapshot(&[node("a", 4), pod("hog", "a", 3)]);
    let (p, d) = place(&[fixed("two", 2, 1)], &snap);
    assert_eq!(p[0].replicas_placed, 0);
    assert!(d.iter().any(|d| d.code == Code::MinReplicasUnschedulable));
    assert_eq!(p[0].eligible_pools, ["nvidia-h100xm-80c-x4"]);
}
