//! Placement against GPU rules: vGPU multi-GPU (L40S vs H100XM-80C), MIG-backed vGPU,
//! passthrough without NVLink, profile GPU matching, memory, GPU stack readiness.

use nim_planner::diagnostics::{Code, Diagnostic};
use nim_planner::placement::{GpuSource, Placement, place};
use nim_planner::snapshot::ClusterSnapshot;
use nim_types::NIMService;
use serde_json::{Value, json};

/// A GPU node with real GFD / GPU Operator labels.
fn node(name: &str, product: &str, gpus: u32, mem_mib: u32, vgpu: bool) -> Value {
    let family = if product.contains("L40S") {
        "ada-lovelace"
    } else {
        "hopper"
    };
    let major = if product.contains("L40S") { "8" } else { "9" };
    let minor = if product.contains("L40S") { "9" } else { "0" };
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {
            "kubernetes.io/hostname": name,
            "feature.node.kubernetes.io/pci-10de.present": "true",
            "nvidia.com/gpu.present": "true",
            "nvidia.com/gpu.deploy.device-plugin": "true",
            "nvidia.com/gpu.product": product,
            "nvidia.com/gpu.count": gpus.to_string(),
            "nvidia.com/gpu.memory": mem_mib.to_string(),
            "nvidia.com/gpu.family": family,
            "nvidia.com/gpu.compute.major": major,
            "nvidia.com/gpu.compute.minor": minor,
            "nvidia.com/gpu.replicas": "1",
            "nvidia.com/gpu.sharing-strategy": "none",
            "nvidia.com/mig.capable": "false",
            "nvidia.com/mig.strategy": "none",
            "nvidia.com/cuda.driver-version.full": "550.90.07",
            "nvidia.com/vgpu.present": vgpu.to_string(),
        }},
        "status": {
            "allocatable": {"cpu": "32", "memory": "256Gi", "nvidia.com/gpu": gpus.to_string(), "pods": "110"},
            "capacity": {"cpu": "32", "memory": "256Gi", "nvidia.com/gpu": gpus.to_string(), "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]
        }
    })
}

fn service(name: &str, spec: Value) -> NIMService {
    let mut spec = spec;
    if spec.get("image").is_none() {
        spec["image"] =
            json!({"repository": "nvcr.io/nim/meta/llama-3.1-8b-instruct", "tag": "1.8.0"});
    }
    serde_json::from_value(json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
        "metadata": {"name": name, "namespace": "nim"},
        "spec": spec
    }))
    .expect("valid NIMService")
}

fn gpus(n: u32) -> Value {
    json!({"limits": {"nvidia.com/gpu": n.to_string()}})
}

fn codes(d: &[Diagnostic]) -> Vec<Code> {
    d.iter().map(|d| d.code).collect()
}

fn run(services: &[NIMService], objects: &[Value]) -> (Vec<Placement>, Vec<Diagnostic>) {
    let snap = ClusterSnapshot::from_objects(objects);
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    place(services, &snap)
}

fn tp2() -> NIMService {
    service(
        "llm",
        json!({"resources": gpus(2), "storage": {"pvc": {"name": "models"}}}),
    )
}

#[test]
fn tp2_on_l40s_vgpu_only_cluster_is_rejected() {
    let (p, d) = run(
        &[tp2()],
        &[
            node("vks-l40s-0", "NVIDIA-L40S-48C", 2, 49152, true),
            node("vks-l40s-1", "NVIDIA-L40S-48C", 2, 49152, true),
        ],
    );
    assert_eq!(p[0].replicas_placed, 0);
    assert!(p[0].eligible_pools.is_empty());
    assert!(p[0].allowed_products.is_empty());
    assert_eq!(p[0].rejected_pools.len(), 1);
    let c = codes(&d);
    assert!(c.contains(&Code::VgpuMultiGpuUnsupported), "{d:#?}");
    assert!(c.contains(&Code::MinReplicasUnschedulable), "{d:#?}");
    let vgpu = d
        .iter()
        .find(|d| d.code == Code::VgpuMultiGpuUnsupported)
        .unwrap();
    assert_eq!(vgpu.object.name, "llm");
    assert_eq!(vgpu.field, "spec.resources");
    assert!(vgpu.message.contains("L40S") || vgpu.message.contains("l40s"));
}

#[test]
fn tp2_on_h100xm_80c_vgpu_cluster_places() {
    let (p, d) = run(
        &[tp2()],
        &[node("vks-h100-0", "NVIDIA-H100XM-80C", 4, 81920, true)],
    );
    assert_eq!(p[0].gpus_per_pod, 2);
    assert_eq!(p[0].gpu_source, Some(GpuSource::Explicit));
    assert_eq!(p[0].replicas_placed, 1);
    assert_eq!(p[0].nodes.get("vks-h100-0"), Some(&1));
    assert_eq!(p[0].allowed_products, ["NVIDIA-H100XM-80C"]);
    assert_eq!(p[0].eligible_pools, ["nvidia-h100xm-80c-x4"]);
    assert!(d.iter().all(|d| !d.is_error()), "{d:#?}");
}

#[test]
fn mixed_cluster_only_allows_the_nvlink_pool() {
    let (p, d) = run(
        &[tp2()],
        &[
            node("vks-l40s-0", "NVIDIA-L40S-48C", 2, 49152, true),
            node("vks-h100-0", "NVIDIA-H100XM-80C", 2, 81920, true),
        ],
    );
    assert_eq!(p[0].allowed_products, ["NVIDIA-H100XM-80C"]);
    assert!(p[0].rejected_pools.contains_key("nvidia-l40s-48c-x2"));
    assert_eq!(p[0].replicas_placed, 1);
    assert!(!codes(&d).contains(&Code::VgpuMultiGpuUnsupported));
}

#[test]
fn single_gpu_on_l40s_vgpu_is_fine() {
    let svc = service(
        "small",
        json!({"resources": gpus(1), "storage": {"pvc": {"name": "m"}}}),
    );
    let (p, d) = run(
        &[svc],
        &[node("vks-l40s-0", "NVIDIA-L40S-48C", 1, 49152, true)],
    );
    assert_eq!(p[0].replicas_placed, 1);
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn mig_backed_and_fractional_vgpu_reject_tp2() {
    for product in ["NVIDIA-H100XM-7-80C", "NVIDIA-H100XM-40C"] {
        let (p, d) = run(&[tp2()], &[node("vks-0", product, 2, 40960, true)]);
        assert_eq!(p[0].replicas_placed, 0, "{product}");
        assert!(
            codes(&d).contains(&Code::VgpuMultiGpuUnsupported),
            "{product}: {d:#?}"
        );
    }
}

#[test]
fn too_few_gpus_per_node() {
    let svc = service(
        "big",
        json!({"resources": gpus(8), "storage": {"pvc": {"name": "m"}}}),
    );
    let (p, d) = run(
        &[svc],
        &[node("vks-h100-0", "NVIDIA-H100XM-80C", 4, 81920, true)],
    );
    assert_eq!(p[0].replicas_placed, 0);
    assert!(codes(&d).contains(&Code::InsufficientGpusPerNode), "{d:#?}");
}

#[test]
fn passthrough_l40s_tp2_places_with_nvlink_warning() {
    let (p, d) = run(
        &[tp2()],
        &[node("esx-l40s-0", "NVIDIA-L40S", 4, 46068, false)],
    );
    assert_eq!(p[0].replicas_placed, 1);
    assert_eq!(codes(&d), [Code::NoNvlinkForTensorParallel]);
    // An NVSwitch board does not warn.
    let (_, d) = run(
        &[tp2()],
        &[node("dgx-0", "NVIDIA-H100-80GB-HBM3", 8, 81559, false)],
    );
    assert!(d.is_empty(), "{d:#?}");
}

fn cache_objects(manifest: Value, profiles_in_status: Value) -> Vec<Value> {
    vec![
        json!({
            "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
            "metadata": {"name": "llama-70b", "namespace": "nim"},
            "spec": {
                "source": {"ngc": {"authSecret": "ngc-api-secret",
                    "modelPuller": "nvcr.io/nim/meta/llama-3.1-70b-instruct:1.8.0",
                    "model": {"engine": "tensorrt_llm"}}},
                "storage": {"pvc": {"create": true, "size": "200Gi", "volumeAccessMode": "ReadWriteMany"}}
            },
            "status": {"state": "Ready", "pvc": "llama-70b-pvc", "profiles": profiles_in_status}
        }),
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "llama-70b-manifest", "namespace": "nim"},
            "data": {"model_manifest.yaml": manifest.to_string()}
        }),
    ]
}

fn manifest_v2() -> Value {
    json!({
        "schema_version": "2.0.0",
        "profile_selection_criteria": "default",
        "profiles": [
            {"id": "h100-fp8-tp2", "tags": {"llm_engine": "tensorrt_llm", "precision": "fp8", "tp": "2", "pp": "1",
                "gpu": "H100", "gpu_device": "2330:10de", "profile": "throughput"}},
            {"id": "l40s-fp8-tp4", "tags": {"llm_engine": "tensorrt_llm", "precision": "fp8", "tp": "4", "pp": "1",
                "gpu": "L40S", "gpu_device": "26b9:10de", "profile": "throughput"}},
            {"id": "vllm-bf16-tp1", "tags": {"llm_engine": "vllm", "precision": "bf16", "tp": "1", "pp": "1"}}
        ]
    })
}

#[test]
fn gpus_come_from_the_profile_and_products_must_match() {
    let svc = service(
        "llm",
        json!({"image": {"repository": "nvcr.io/nim/meta/llama-3.1-70b-instruct", "tag": "1.8.0"},
               "storage": {"nimCache": {"name": "llama-70b", "profile": "h100-fp8-tp2"}}}),
    );
    let mut objs = cache_objects(manifest_v2(), json!([]));
    objs.push(node("vks-h100-0", "NVIDIA-H100XM-80C", 2, 81920, true));
    objs.push(node("esx-l40s-0", "NVIDIA-L40S", 4, 46068, false));
    let (p, d) = run(std::slice::from_ref(&svc), &objs);
    assert_eq!(p[0].gpu_source, Some(GpuSource::Profile));
    assert_eq!(p[0].gpus_per_pod, 2);
    assert_eq!(p[0].profiles, ["h100-fp8-tp2"]);
    assert_eq!(p[0].allowed_products, ["NVIDIA-H100XM-80C"]);
    assert!(p[0].rejected_pools.contains_key("nvidia-l40s-x4"));
    assert_eq!(p[0].replicas_placed, 1);
    assert!(d.iter().all(|d| !d.is_error()), "{d:#?}");
    // 70B at fp8 over 2 GPUs needs ≥ ~33 GiB per GPU: known and below 80 GB × 0.85.
    assert!(
        p[0].min_gpu_memory_mib
            .is_some_and(|m| m > 33_000 && m < 69_632)
    );

    // Only L40S nodes: the H100 profile has no GPU.
    let mut objs = cache_objects(manifest_v2(), json!([]));
    objs.push(node("esx-l40s-0", "NVIDIA-L40S", 4, 46068, false));
    let (p, d) = run(&[svc], &objs);
    assert_eq!(p[0].replicas_placed, 0);
    assert!(codes(&d).contains(&Code::NoCompatibleProfile), "{d:#?}");
}

#[test]
fn unknown_explicit_profile_is_reported() {
    let svc = service(
        "llm",
        json!({"resources": gpus(1), "storage": {"nimCache": {"name": "llama-70b", "profile": "nope"}}}),
    );
    let mut objs = cache_objects(manifest_v2(), json!([]));
    objs.push(node("vks-h100-0", "NVIDIA-H100XM-80C", 2, 81920, true));
    let (_, d) = run(&[svc], &objs);
    let np = d
        .iter()
        .find(|d| d.code == Code::NoCompatibleProfile)
        .expect("diag");
    assert_eq!(np.field, "spec.storage.nimCache.profile");
}

#[test]
fn cached_profiles_constrain_products_without_explicit_profile() {
    // Status says only the L40S tp4 profile is cached; the service asks for 4 GPUs.
    let status = json!([{"name": "l40s-fp8-tp4", "model": "meta/llama-3.1-70b-instruct", "release": "1.8.0",
        "config": {"llm_engine": "tensorrt_llm", "precision": "fp8", "tp": "4", "gpu": "L40S", "gpu_device": "26b9:10de"}}]);
    let svc = service(
        "llm",
        json!({"resources": gpus(4), "storage": {"nimCache": {"name": "llama-70b"}}}),
    );
    let mut objs = cache_objects(manifest_v2(), status.clone());
    objs.push(node("dgx-0", "NVIDIA-H100-80GB-HBM3", 8, 81559, false));
    objs.push(node("esx-l40s-0", "NVIDIA-L40S", 4, 46068, false));
    let (p, _) = run(std::slice::from_ref(&svc), &objs);
    assert_eq!(p[0].profiles, ["l40s-fp8-tp4"]);
    assert_eq!(p[0].allowed_products, ["NVIDIA-L40S"]);

    // Asking for 2 GPUs matches no cached profile.
    let svc = service(
        "llm",
        json!({"resources": gpus(2), "storage": {"nimCache": {"name": "llama-70b"}}}),
    );
    let (_, d) = run(&[svc], &objs);
    assert!(codes(&d).contains(&Code::NoCompatibleProfile), "{d:#?}");
}

#[test]
fn memory_lower_bound_rejects_small_gpus() {
    let manifest = json!({"schema_version": "2.0.0", "profiles": [
        {"id": "vllm-bf16-tp1", "tags": {"llm_engine": "vllm", "precision": "bf16", "tp": "1", "pp": "1"}}]});
    let svc = service(
        "llm",
        json!({"image": {"repository": "nvcr.io/nim/meta/llama-3.1-70b-instruct", "tag": "1.8.0"},
               "storage": {"nimCache": {"name": "llama-70b", "profile": "vllm-bf16-tp1"}}}),
    );
    let mut objs = cache_objects(manifest, json!([]));
    objs.push(node("esx-l40s-0", "NVIDIA-L40S", 1, 46068, false));
    let (p, d) = run(&[svc], &objs);
    assert_eq!(p[0].gpus_per_pod, 1);
    assert_eq!(p[0].replicas_placed, 0);
    assert!(codes(&d).contains(&Code::InsufficientGpuMemory), "{d:#?}");
}

#[test]
fn gpu_stack_not_ready() {
    let policy = json!({"apiVersion": "nvidia.com/v1", "kind": "ClusterPolicy",
        "metadata": {"name": "cluster-policy"},
        "status": {"state": "notReady", "conditions": [
            {"type": "Ready", "status": "False"},
            {"type": "Error", "status": "True", "reason": "DriverNotReady"}]}});
    let (_, d) = run(
        &[tp2()],
        &[
            policy,
            node("vks-h100-0", "NVIDIA-H100XM-80C", 2, 81920, true),
        ],
    );
    let g = d
        .iter()
        .find(|d| d.code == Code::GpuStackNotReady)
        .expect("diag");
    assert!(g.message.contains("DriverNotReady"));

    // No node labelled nvidia.com/gpu.present.
    let mut bare = node("n0", "NVIDIA-H100XM-80C", 2, 81920, true);
    bare["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("nvidia.com/gpu.present");
    let (_, d) = run(&[tp2()], &[bare]);
    assert!(codes(&d).contains(&Code::GpuStackNotReady), "{d:#?}");

    // Ready policy + labelled node: nothing.
    let ready = json!({"kind": "ClusterPolicy", "metadata": {"name": "cluster-policy"},
        "status": {"state": "ready"}});
    let (_, d) = run(
        &[tp2()],
        &[
            ready,
            node("vks-h100-0", "NVIDIA-H100XM-80C", 2, 81920, true),
        ],
    );
    assert!(!codes(&d).contains(&Code::GpuStackNotReady), "{d:#?}");
}

#[test]
fn not_ready_and_tainted_nodes_are_unavailable() {
    let mut down = node("vks-h100-0", "NVIDIA-H100XM-80C", 2, 81920, true);
    down["status"]["conditions"][0]["status"] = json!("False");
    let mut tainted = node("vks-h100-1", "NVIDIA-H100XM-80C", 2, 81920, true);
    tainted["spec"] =
        json!({"taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]});
    let (p, d) = run(&[tp2()], &[down.clone(), tainted.clone()]);
    assert_eq!(p[0].replicas_placed, 0);
    assert_eq!(p[0].unavailable_nodes.len(), 2);
    assert!(codes(&d).contains(&Code::MinReplicasUnschedulable));
    // The plan's JSON shape: a map from node name to its rejection.
    let json = serde_json::to_value(&p[0]).unwrap();
    let unavailable = json["unavailable_nodes"].as_object().expect("a map");
    assert_eq!(
        unavailable.keys().collect::<Vec<_>>(),
        ["vks-h100-0", "vks-h100-1"]
    );
    assert!(
        unavailable.values().all(|r| r["kind"] == "inventory"),
        "{json}"
    );

    let tolerant = service(
        "llm",
        json!({"resources": gpus(2), "storage": {"pvc": {"name": "m"}},
               "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}),
    );
    let (p, _) = run(&[tolerant], &[down, tainted]);
    assert_eq!(p[0].replicas_placed, 1);
    assert_eq!(p[0].nodes.get("vks-h100-1"), Some(&1));
}

#[test]
fn multi_node_replicas_are_all_or_nothing() {
    let svc = service(
        "dsr1",
        json!({"storage": {"pvc": {"name": "m"}},
               "multiNode": {"parallelism": {"tensor": 4, "pipeline": 2}}}),
    );
    // Three 4-GPU nodes: one replica = 2 pods × 4 GPUs; the second replica cannot complete.
    let svc2 = {
        let mut s = svc.clone();
        s.spec.replicas = Some(2);
        s
    };
    let nodes = [
        node("h0", "NVIDIA-H100XM-80C", 4, 81920, true),
        node("h1", "NVIDIA-H100XM-80C", 4, 81920, true),
        node("h2", "NVIDIA-H100XM-80C", 4, 81920, true),
    ];
    let (p, _) = run(&[svc], &nodes);
    assert_eq!((p[0].gpus_per_pod, p[0].pods_per_replica), (4, 2));
    assert_eq!(p[0].gpu_source, Some(GpuSource::MultiNode));
    assert_eq!(p[0].replicas_placed, 1);
    let (p, d) = run(&[svc2], &nodes);
    assert_eq!(p[0].replicas_placed, 1);
    assert_eq!(p[0].nodes.values().sum::<u32>(), 2);
    let min = d
        .iter()
        .find(|d| d.code == Code::MinReplicasUnschedulable)
        .expect("diag");
    assert_eq!(min.field, "spec.replicas");
}

#[test]
fn explicit_gpus_must_match_the_explicit_profile() {
    let svc = service(
        "llm",
        json!({"resources": gpus(1), "storage": {"nimCache": {"name": "llama-70b", "profile": "h100-fp8-tp2"}}}),
    );
    let mut objs = cache_objects(manifest_v2(), json!([]));
    objs.push(node("vks-h100-0", "NVIDIA-H100XM-80C", 2, 81920, true));
    let (_, d) = run(&[svc], &objs);
    let np = d
        .iter()
        .find(|d| d.code == Code::NoCompatibleProfile)
        .expect("diag");
    assert_eq!(np.field, "spec.resources");
    assert!(np.message.contains("tp=2"));
}
