//! Planner throughput: `plan(&input, &snapshot)` for 10 / 100 / 1,000 NIMServices against
//! 50 / 500 / 5,000 nodes, one NIMService against each cluster (the operator's per-reconcile
//! plan), and `ClusterSnapshot::from_objects` for 5,000 nodes.
//!
//! Inputs are generated deterministically from indices (no randomness) and built outside the
//! timed closures. Run with `cargo bench --bench plan`. `cargo test --all-targets` runs this
//! target unoptimized in criterion's test mode (each benchmark once); there only the two smaller
//! node and service counts (and a 500-node snapshot) are exercised, so it stays fast.
//!
//! Cluster mix, by node index modulo 10 (every 50th GPU node cordoned, every 5th GPU node with a
//! running 1-GPU pod):
//!
//! | i % 10 | shape                                         |
//! |--------|-----------------------------------------------|
//! | 0–2    | VKS VM, 2 × `NVIDIA-L40S-48C` vGPU            |
//! | 3–4    | VKS VM, 4 × `NVIDIA-H100XM-80C` vGPU          |
//! | 5–6    | passthrough, 8 × `NVIDIA-A100-SXM4-80GB`      |
//! | 7–8    | passthrough, 8 × `NVIDIA-H100-80GB-HBM3`      |
//! | 9      | CPU only                                      |
//!
//! Service mix, by service index modulo 10 (every 3rd autoscaled with HPA min 1 / max 2–4 on a
//! GPU metric, every 4th exposed through a Gateway API route; the rest have fixed replicas):
//!
//! | j % 10 | service                                                          |
//! |--------|------------------------------------------------------------------|
//! | 0–3    | 1 GPU from an explicit NIMCache profile (H100 / L40S / A100 / generic) |
//! | 4      | TP=2, explicit `nvidia.com/gpu: 2`, NIMCache without profile      |
//! | 5      | TP=2, explicit `nvidia.com/gpu: 2`, own PVC                       |
//! | 6      | TP=4, explicit `nvidia.com/gpu: 4`, 70B image, own PVC            |
//! | 7      | TP=4, explicit `nvidia.com/gpu: 4`, NIMCache + H100 tp4 profile   |
//! | 8      | 1 GPU, explicit, embedding model, own PVC                        |
//! | 9      | 1 GPU, explicit, NIMCache without profile                         |
//!
//! The benchmark runs with the allocator the `nim-operator` binary ships with (mimalloc);
//! `cargo bench --features system-allocator --bench plan` measures with the system allocator.
//!
//! Services live in four namespaces; each namespace has one NIMCache (with a `-manifest`
//! ConfigMap of 7 profiles) per 40 services, present both in the cluster (status Ready) and in
//! the plan input.

/// The binary's allocator (see `src/main.rs`), so the figures are those of `nim-operator plan`.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Which allocator this build measures (printed with each case's summary).
const ALLOCATOR_NAME: &str = if cfg!(feature = "system-allocator") {
    "system"
} else {
    "mimalloc"
};

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use nim_planner::plan::{PlanInput, plan};
use nim_planner::snapshot::ClusterSnapshot;
use serde_json::{Value, json};

const NAMESPACES: usize = 4;
const SERVICE_COUNTS: [usize; 3] = [10, 100, 1_000];
const NODE_COUNTS: [usize; 3] = [50, 500, 5_000];

/// `(gpu tag, gpu_device)` of a GPU-specific profile; `None` for a generic one.
type ProfileGpu = Option<(&'static str, &'static str)>;

/// Profiles of every generated manifest, by slot: (gpu, tp, precision, engine).
const PROFILES: [(ProfileGpu, u32, &str, &str); 7] = [
    (Some(("H100", "2330:10de")), 1, "fp8", "tensorrt_llm"),
    (Some(("H100", "2330:10de")), 2, "fp8", "tensorrt_llm"),
    (Some(("L40S", "26b9:10de")), 1, "fp8", "tensorrt_llm"),
    (Some(("A100", "20b2:10de")), 1, "bf16", "tensorrt_llm"),
    (Some(("H100", "2330:10de")), 4, "fp8", "tensorrt_llm"),
    (None, 1, "bf16", "vllm"),
    (None, 2, "bf16", "vllm"),
];

/// SplitMix64: a deterministic, hash-looking 64-bit value from an index.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A 64-hex profile ID for profile `slot` of cache number `cache`.
fn profile_id(cache: usize, slot: usize) -> String {
    let seed = (cache as u64) << 8 | slot as u64;
    (0..4u64)
        .map(|k| format!("{:016x}", mix(seed * 4 + k)))
        .collect()
}

struct Shape {
    pool: &'static str,
    product: &'static str,
    gpus: u32,
    memory_mib: u32,
    family: &'static str,
    compute: (u32, u32),
    vgpu: bool,
}

const L40S_VGPU: Shape = Shape {
    pool: "l40s-vgpu",
    product: "NVIDIA-L40S-48C",
    gpus: 2,
    memory_mib: 49_152,
    family: "ada-lovelace",
    compute: (8, 9),
    vgpu: true,
};
const H100XM_VGPU: Shape = Shape {
    pool: "h100xm-vgpu",
    product: "NVIDIA-H100XM-80C",
    gpus: 4,
    memory_mib: 81_920,
    family: "hopper",
    compute: (9, 0),
    vgpu: true,
};
const A100_SXM: Shape = Shape {
    pool: "a100-sxm",
    product: "NVIDIA-A100-SXM4-80GB",
    gpus: 8,
    memory_mib: 81_920,
    family: "ampere",
    compute: (8, 0),
    vgpu: false,
};
const H100_HBM3: Shape = Shape {
    pool: "h100-hgx",
    product: "NVIDIA-H100-80GB-HBM3",
    gpus: 8,
    memory_mib: 81_559,
    family: "hopper",
    compute: (9, 0),
    vgpu: false,
};

fn node(i: usize) -> Value {
    let shape = match i % 10 {
        0..=2 => Some(&L40S_VGPU),
        3 | 4 => Some(&H100XM_VGPU),
        5 | 6 => Some(&A100_SXM),
        7 | 8 => Some(&H100_HBM3),
        _ => None,
    };
    let Some(s) = shape else {
        let name = format!("cpu-{i:05}");
        return json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {
                "kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux",
                "kubernetes.io/hostname": name,
                "node.kubernetes.io/instance-type": "best-effort-xlarge"}},
            "spec": {},
            "status": {
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                "allocatable": {"cpu": "16", "memory": "65536Mi", "pods": "110"},
                "capacity": {"cpu": "16", "memory": "65536Mi", "pods": "110"}}
        });
    };
    let name = format!("{}-{i:05}", s.pool);
    let gpus = s.gpus.to_string();
    let mut labels = json!({
        "kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux",
        "kubernetes.io/hostname": name,
        "node.kubernetes.io/instance-type": format!("{}-x{}", s.pool, s.gpus),
        "feature.node.kubernetes.io/pci-10de.present": "true",
        "nvidia.com/gpu.present": "true",
        "nvidia.com/gpu.product": s.product,
        "nvidia.com/gpu.count": gpus,
        "nvidia.com/gpu.memory": s.memory_mib.to_string(),
        "nvidia.com/gpu.family": s.family,
        "nvidia.com/gpu.compute.major": s.compute.0.to_string(),
        "nvidia.com/gpu.compute.minor": s.compute.1.to_string(),
        "nvidia.com/gpu.replicas": "1",
        "nvidia.com/gpu.sharing-strategy": "none",
        "nvidia.com/gpu.mode": "compute",
        "nvidia.com/cuda.driver-version.full": "570.158.01",
        "nvidia.com/cuda.runtime-version.full": "12.8",
        "nvidia.com/mig.capable": if s.vgpu { "false" } else { "true" },
        "nvidia.com/mig.strategy": "single",
        "nvidia.com/vgpu.present": if s.vgpu { "true" } else { "false" },
    });
    if s.vgpu {
        labels["nvidia.com/gpu.machine"] = json!("VMware-Virtual-Platform");
        labels["nvidia.com/vgpu.host-driver-version"] = json!("570.158.02");
        labels["nvidia.com/vgpu.host-driver-branch"] = json!("r570_00");
    } else {
        labels["nvidia.com/gpu.machine"] = json!("NVIDIA-DGX");
    }
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels,
                     "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
        "spec": {"unschedulable": i.is_multiple_of(50)},
        "status": {
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
            "allocatable": {"cpu": "64", "memory": "515396075Ki", "nvidia.com/gpu": gpus,
                            "pods": "110"},
            "capacity": {"cpu": "64", "memory": "515396075Ki", "nvidia.com/gpu": gpus,
                         "pods": "110"}}
    })
}

/// A running batch pod holding one GPU on node `i`.
fn busy_pod(i: usize, node_name: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("batch-{i:05}"), "namespace": "batch"},
        "spec": {"nodeName": node_name, "containers": [{
            "name": "train", "image": "nvcr.io/nvidia/pytorch:25.01-py3",
            "resources": {"limits": {"nvidia.com/gpu": "1"}}}]},
        "status": {"phase": "Running"}
    })
}

/// Caches per namespace for `services` services (one per 40 services, at least one).
fn caches_per_namespace(services: usize) -> usize {
    services.div_ceil(NAMESPACES * 10).max(1)
}

/// Global number of cache `k` in namespace `ns` (for profile IDs).
fn cache_number(ns: usize, k: usize) -> usize {
    k * NAMESPACES + ns
}

fn cache_name(k: usize) -> String {
    format!("model-{k:03}-cache")
}

fn nim_cache(ns: usize, k: usize, with_status: bool) -> Value {
    let mut c = json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
        "metadata": {"name": cache_name(k), "namespace": format!("team-{ns}")},
        "spec": {
            "source": {"ngc": {
                "modelPuller": "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.0",
                "pullSecret": "ngc-secret", "authSecret": "ngc-api-secret",
                "model": {"engine": "tensorrt_llm"}}},
            "storage": {"pvc": {"create": true, "size": "50Gi",
                                "volumeAccessMode": "ReadWriteMany"}}}
    });
    if with_status {
        c["status"] = json!({"state": "Ready", "pvc": format!("{}-pvc", cache_name(k))});
    }
    c
}

fn manifest_config_map(ns: usize, k: usize) -> Value {
    let n = cache_number(ns, k);
    let mut manifest = serde_json::Map::new();
    for (slot, (gpu, tp, precision, engine)) in PROFILES.iter().enumerate() {
        let mut tags = json!({
            "feat_lora": "false", "llm_engine": engine, "pp": "1",
            "precision": precision, "tp": tp.to_string(),
            "profile": if *tp > 1 { "latency" } else { "throughput" },
        });
        if let Some((tag, device)) = gpu {
            tags["gpu"] = json!(tag);
            tags["gpu_device"] = json!(device);
        }
        manifest.insert(
            profile_id(n, slot),
            json!({"model": "meta/llama-3.1-8b-instruct", "release": "1.8.0", "tags": tags,
                   "container_url": "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.0"}),
        );
    }
    json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": format!("{}-manifest", cache_name(k)),
                     "namespace": format!("team-{ns}")},
        "data": {"model_manifest.yaml": Value::Object(manifest).to_string()}
    })
}

fn service(j: usize, services: usize) -> Value {
    let ns = j % NAMESPACES;
    let k = (j / NAMESPACES) % caches_per_namespace(services);
    let cache_n = cache_number(ns, k);
    let image = |repo: &str| json!({"repository": repo, "tag": "1.8.0"});
    let llama8 = "nvcr.io/nim/meta/llama-3.1-8b-instruct";
    let gpus = |n: u32| json!({"limits": {"nvidia.com/gpu": n.to_string()}});
    let cache = |profile: Option<usize>| {
        let mut c = json!({"name": cache_name(k)});
        if let Some(slot) = profile {
            c["profile"] = json!(profile_id(cache_n, slot));
        }
        json!({"nimCache": c})
    };
    let pvc = || {
        json!({"pvc": {"create": true, "name": format!("models-{j:05}"), "size": "200Gi",
                       "volumeAccessMode": "ReadWriteMany"}})
    };
    let mut spec = match j % 10 {
        // Explicit profile: H100 tp1, L40S tp1, A100 tp1, generic vLLM tp1.
        0..=3 => {
            let slot = [0, 2, 3, 5][(j / 10) % 4];
            json!({"image": image(llama8), "storage": cache(Some(slot))})
        }
        4 => json!({"image": image(llama8), "storage": cache(None), "resources": gpus(2)}),
        5 => json!({"image": image("nvcr.io/nim/mistralai/mistral-7b-instruct-v0.3"),
                    "storage": pvc(), "resources": gpus(2)}),
        6 => json!({"image": image("nvcr.io/nim/meta/llama-3.1-70b-instruct"),
                    "storage": pvc(), "resources": gpus(4)}),
        7 => json!({"image": image(llama8), "storage": cache(Some(4)), "resources": gpus(4)}),
        8 => json!({"image": image("nvcr.io/nim/nvidia/nv-embedqa-e5-v5"),
                    "storage": pvc(), "resources": gpus(1)}),
        _ => json!({"image": image(llama8), "storage": cache(None), "resources": gpus(1)}),
    };
    spec["authSecret"] = json!("ngc-api-secret");
    if j.is_multiple_of(3) {
        spec["scale"] = json!({"enabled": true, "hpa": {
            "minReplicas": 1, "maxReplicas": 2 + (j / 3) % 3,
            "metrics": [{"type": "Pods", "pods": {
                "metric": {"name": "gpu_cache_usage_perc"},
                "target": {"type": "AverageValue", "averageValue": "750m"}}}]}});
    } else {
        spec["replicas"] = json!(1 + j % 2);
    }
    spec["expose"] = if j % 4 == 1 {
        json!({"service": {"port": 8000},
               "router": {"gateway": {"name": "inference-gw", "namespace": "gateway-system",
                                      "httpRoutesEnabled": true}}})
    } else {
        json!({"service": {"port": 8000}})
    };
    json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
        "metadata": {"name": format!("svc-{j:05}"), "namespace": format!("team-{ns}")},
        "spec": spec
    })
}

/// Cluster objects: `nodes` nodes, busy pods, and every NIMCache (Ready) with its manifest that
/// `services` services can reference.
fn cluster_objects(nodes: usize, services: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(nodes + nodes / 5 + 2 * services);
    for i in 0..nodes {
        let n = node(i);
        if i % 10 != 9 && i.is_multiple_of(5) {
            let name = n["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            out.push(busy_pod(i, &name));
        }
        out.push(n);
    }
    for ns in 0..NAMESPACES {
        for k in 0..caches_per_namespace(services) {
            out.push(nim_cache(ns, k, true));
            out.push(manifest_config_map(ns, k));
        }
    }
    out
}

/// NIM custom resources: the NIMCaches and `services` NIMServices.
fn input_objects(services: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for ns in 0..NAMESPACES {
        for k in 0..caches_per_namespace(services) {
            out.push(nim_cache(ns, k, false));
        }
    }
    out.extend((0..services).map(|j| service(j, services)));
    out
}

fn build(nodes: usize, services: usize) -> (PlanInput, ClusterSnapshot) {
    let snapshot = ClusterSnapshot::from_objects(&cluster_objects(nodes, services));
    assert!(snapshot.errors.is_empty(), "{:?}", snapshot.errors);
    let (input, problems) = PlanInput::from_objects(&input_objects(services));
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(input.services.len(), services);
    (input, snapshot)
}

/// One line describing what a case's plan contains (printed once per case, untimed).
fn summary(nodes: usize, services: usize, input: &PlanInput, snapshot: &ClusterSnapshot) {
    let start = Instant::now();
    let p = plan(input, snapshot);
    let elapsed = start.elapsed();
    assert_eq!(p.placements.len(), services);
    let placed: u32 = p.placements.iter().map(|x| x.replicas_placed).sum();
    let fitting = p.placements.iter().filter(|x| x.fits_min()).count();
    let mut codes = std::collections::BTreeMap::<&str, usize>::new();
    for d in &p.diagnostics {
        *codes.entry(d.code.as_str()).or_default() += 1;
    }
    eprintln!(
        "plan {services}x{nodes} ({ALLOCATOR_NAME} allocator): first run {elapsed:.2?}; {} GPU nodes, {} objects, \
         {placed} replicas placed, {fitting}/{services} services at min replicas, \
         diagnostics {codes:?}",
        snapshot.inventory.gpu_nodes().count(),
        p.objects.len(),
    );
}

/// Whether this is a measuring run (`cargo bench`) rather than criterion's test mode
/// (`cargo test --all-targets`, which runs bench targets unoptimized and without `--bench`).
fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn bench_plan(c: &mut Criterion) {
    let measuring = measuring();
    // Test mode only smoke-tests the small sizes: unoptimized, the large ones take minutes.
    let (node_counts, service_counts): (&[usize], &[usize]) = if measuring {
        (&NODE_COUNTS, &SERVICE_COUNTS)
    } else {
        (&NODE_COUNTS[..2], &SERVICE_COUNTS[..2])
    };
    let mut group = c.benchmark_group("plan");
    group.sample_size(10);
    for &nodes in node_counts {
        for &services in service_counts {
            let (input, snapshot) = build(nodes, services);
            if measuring {
                summary(nodes, services, &input, &snapshot);
            }
            // Large cases: 10 samples of equal iteration counts instead of criterion's linear
            // 1..=10 ramp, which would run 55 plans.
            let big = nodes * services >= 500_000;
            group.sampling_mode(if big {
                SamplingMode::Flat
            } else {
                SamplingMode::Auto
            });
            group.warm_up_time(Duration::from_secs(if big { 1 } else { 2 }));
            group.measurement_time(Duration::from_secs(5));
            group.throughput(Throughput::Elements(services as u64));
            group.bench_with_input(
                BenchmarkId::new(format!("{nodes}_nodes"), services),
                &(input, snapshot),
                |b, (input, snapshot)| b.iter(|| plan(black_box(input), black_box(snapshot))),
            );
        }
    }
    group.finish();
}

fn bench_snapshot(c: &mut Criterion) {
    let mut group = c.benchmark_group("snapshot_from_objects");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    let nodes = if measuring() { 5_000 } else { 500 };
    let objects = cluster_objects(nodes, 1_000);
    group.throughput(Throughput::Elements(nodes as u64));
    group.bench_with_input(BenchmarkId::new("nodes", nodes), &objects, |b, objects| {
        b.iter(|| ClusterSnapshot::from_objects(black_box(objects)));
    });
    group.finish();
}

/// What the operator does per NIMService reconcile: plan one service against the whole cluster. A Node change re-plans every NIMService this way, one reconcile each.
fn bench_plan_one(c: &mut Criterion) {
    let mut group = c.benchmark_group("plan_one_service");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    let node_counts: &[usize] = if measuring() {
        &NODE_COUNTS
    } else {
        &NODE_COUNTS[..2]
    };
    for &nodes in node_counts {
        let (mut input, snapshot) = build(nodes, 1_000);
        // As the NIMService controller plans: the one service; its NIMCache comes from the
        // cluster. The first service runs an explicit H100 profile.
        input.services.truncate(1);
        input.caches.clear();
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(
            BenchmarkId::new("nodes", nodes),
            &(input, snapshot),
            |b, (input, snapshot)| b.iter(|| plan(black_box(input), black_box(snapshot))),
        );
    }
    group.finish();
}

criterion_group!(benches, bench_plan, bench_plan_one, bench_snapshot);
criterion_main!(benches);
