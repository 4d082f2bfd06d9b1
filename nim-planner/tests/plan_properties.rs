//! Property tests of `plan()` (issue 4) on generated clusters and NIM resources.
//!
//! Inputs: up to 6 nodes of mixed GPU shapes (L40S vGPU ×2, H100XM-80C vGPU ×4, A100-SXM4-80GB
//! passthrough ×8, MIG-backed vGPU `NVIDIA-A100-4-20C`, CPU-only) that may be NotReady, cordoned
//! or tainted, with GPUs held by other pods (bound or pending); up to 4 NIMServices with random
//! GPU counts 0–8 (or none), fixed replicas or HPA bounds, every storage kind (including invalid
//! ones), routes, tolerations, and valid DNS-1123 names ≤ 30 characters with uids; optionally a
//! NIMCache with its manifest ConfigMap.
//!
//! Properties of the plan: no panic; ownership (one controller reference, the owning CR's uid);
//! valid object names; acyclic graph with `objects` in its topological order; no node
//! over-committed; every placement on a node passing the hard rules; identical output for
//! permuted input and on re-planning; every missing replica explained; no Deployment for a
//! service with an error. A second test plans, synthesizes the pods the plan would create, and
//! plans again: nothing moves.

use std::collections::{BTreeMap, BTreeSet};

use nim_planner::diagnostics::Code;
use nim_planner::diagnostics::Severity;
use nim_planner::graph::ObjectId;
use nim_planner::plan::{Plan, PlanInput, plan};
use nim_planner::snapshot::ClusterSnapshot;
use nim_types::inventory::can_serve_multi_gpu_replica;
use nim_types::{NIMCache, NIMService};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Namespaces the services are spread over; the NIMCache lives in the first.
const NAMESPACES: &[&str] = &["nim", "team-a"];

/// Names that collide on purpose (service vs. cache, across namespaces).
const COMMON_NAMES: &[&str] = &["llm", "llama", "embed", "llm-2", "llm-epp"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    L40sVgpu,
    H100Vgpu,
    A100Sxm,
    MigVgpu,
    CpuOnly,
}

impl Shape {
    /// Product label, GPUs per node, vGPU guest, memory per GPU (MiB).
    fn gpu(self) -> Option<(&'static str, u32, bool, u32)> {
        match self {
            Self::L40sVgpu => Some(("NVIDIA-L40S-48C", 2, true, 49152)),
            Self::H100Vgpu => Some(("NVIDIA-H100XM-80C", 4, true, 81920)),
            Self::A100Sxm => Some(("NVIDIA-A100-SXM4-80GB", 8, false, 81920)),
            Self::MigVgpu => Some(("NVIDIA-A100-4-20C", 1, true, 20480)),
            Self::CpuOnly => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeState {
    Ready,
    NotReady,
    Cordoned,
    Tainted,
}

#[derive(Debug, Clone)]
struct NodeSpec {
    shape: Shape,
    state: NodeState,
    /// GPUs held by a bound pod of another workload (clamped to the node's GPUs).
    busy: u32,
    /// An unbound (Pending) GPU pod naming no node.
    pending: bool,
}

#[derive(Debug, Clone)]
enum Scale {
    Fixed(i32),
    Hpa {
        min: i32,
        extra: i32,
        metrics: bool,
    },
    /// `replicas` and autoscaling together (the API server rejects it: an error diagnostic).
    Both(i32),
}

#[derive(Debug, Clone)]
enum Storage {
    Cache,
    CacheProfile(&'static str),
    PvcCreate { rwx: bool },
    PvcName,
    EmptyDir,
    HostPath,
    Missing,
    Two,
}

#[derive(Debug, Clone, Copy)]
enum Exposure {
    None,
    HttpRoute,
    GrpcRoute,
    RouterIngress,
    LegacyIngress,
    Epp,
}

#[derive(Debug, Clone)]
struct SvcSpec {
    name: String,
    ns: usize,
    gpus: Option<u32>,
    scale: Scale,
    storage: Storage,
    route: Exposure,
    tolerate: bool,
    pinned: bool,
}

#[derive(Debug, Clone)]
struct CacheSpec {
    name: String,
    manifest: bool,
    ready: bool,
}

#[derive(Debug, Clone)]
struct Input {
    nodes: Vec<NodeSpec>,
    services: Vec<SvcSpec>,
    cache: Option<CacheSpec>,
}

fn dns_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(COMMON_NAMES).prop_map(str::to_owned),
        "[a-z]([a-z0-9-]{0,28}[a-z0-9])?",
    ]
}

fn node_strategy() -> impl Strategy<Value = NodeSpec> {
    (
        prop::sample::select(vec![
            Shape::L40sVgpu,
            Shape::H100Vgpu,
            Shape::H100Vgpu,
            Shape::A100Sxm,
            Shape::A100Sxm,
            Shape::MigVgpu,
            Shape::CpuOnly,
        ]),
        prop::sample::select(vec![
            NodeState::Ready,
            NodeState::Ready,
            NodeState::Ready,
            NodeState::NotReady,
            NodeState::Cordoned,
            NodeState::Tainted,
        ]),
        prop_oneof![3 => Just(0u32), 1 => 1u32..=8],
        prop::bool::weighted(0.15),
    )
        .prop_map(|(shape, state, busy, pending)| NodeSpec {
            shape,
            state,
            busy: busy.min(shape.gpu().map_or(0, |g| g.1)),
            pending,
        })
}

fn scale_strategy() -> impl Strategy<Value = Scale> {
    prop_oneof![
        8 => (0i32..=3).prop_map(Scale::Fixed),
        6 => (1i32..=3, 0i32..=3, any::<bool>())
            .prop_map(|(min, extra, metrics)| Scale::Hpa { min, extra, metrics }),
        1 => (1i32..=2).prop_map(Scale::Both),
    ]
}

fn storage_strategy() -> impl Strategy<Value = Storage> {
    prop_oneof![
        4 => Just(Storage::Cache),
        2 => prop::sample::select(vec!["vllm-bf16-tp1", "h100-fp8-tp2", "a100-bf16-tp8", "l40s-fp8-tp1", "nope"])
            .prop_map(Storage::CacheProfile),
        2 => any::<bool>().prop_map(|rwx| Storage::PvcCreate { rwx }),
        3 => Just(Storage::PvcName),
        2 => Just(Storage::EmptyDir),
        1 => Just(Storage::HostPath),
        1 => Just(Storage::Missing),
        1 => Just(Storage::Two),
    ]
}

fn svc_strategy() -> impl Strategy<Value = SvcSpec> {
    (
        dns_name(),
        prop_oneof![3 => Just(0usize), 1 => 1..NAMESPACES.len()],
        prop_oneof![
            1 => Just(None),
            1 => Just(Some(0u32)),
            5 => (1u32..=2).prop_map(Some),
            3 => (3u32..=8).prop_map(Some),
        ],
        scale_strategy(),
        storage_strategy(),
        prop::sample::select(vec![
            Exposure::None,
            Exposure::None,
            Exposure::HttpRoute,
            Exposure::GrpcRoute,
            Exposure::RouterIngress,
            Exposure::LegacyIngress,
            Exposure::Epp,
        ]),
        any::<bool>(),
        prop::bool::weighted(0.85),
    )
        .prop_map(
            |(name, ns, gpus, scale, storage, route, tolerate, pinned)| SvcSpec {
                name,
                ns,
                gpus,
                scale,
                storage,
                route,
                tolerate,
                pinned,
            },
        )
}

fn input_strategy() -> impl Strategy<Value = Input> {
    (
        prop_oneof![
            1 => prop::collection::vec(node_strategy(), 0..=1),
            6 => prop::collection::vec(node_strategy(), 2..=6),
        ],
        prop::collection::vec(svc_strategy(), 0..=4),
        prop::option::weighted(
            0.75,
            (dns_name(), prop::bool::weighted(0.8), any::<bool>()).prop_map(
                |(name, manifest, ready)| CacheSpec {
                    name,
                    manifest,
                    ready,
                },
            ),
        ),
    )
        .prop_map(|(nodes, mut services, cache)| {
            // Names are unique per namespace (the API server guarantees it).
            let mut seen = BTreeSet::new();
            services.retain(|s| seen.insert((s.ns, s.name.clone())));
            Input {
                nodes,
                services,
                cache,
            }
        })
}

fn uid(kind: &str, ns: &str, name: &str) -> String {
    format!("uid-{}-{ns}-{name}", kind.to_ascii_lowercase())
}

fn node_name(i: usize, shape: Shape) -> String {
    let s = match shape {
        Shape::L40sVgpu => "l40s",
        Shape::H100Vgpu => "h100",
        Shape::A100Sxm => "a100",
        Shape::MigVgpu => "mig",
        Shape::CpuOnly => "cpu",
    };
    format!("node-{i}-{s}")
}

/// Nodes, other workloads' pods and (when there is a cache) the manifest ConfigMap.
fn cluster_objects(input: &Input) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, n) in input.nodes.iter().enumerate() {
        let name = node_name(i, n.shape);
        let mut labels = json!({"kubernetes.io/hostname": name});
        let mut status = json!({"conditions": [{"type": "Ready",
            "status": if n.state == NodeState::NotReady { "False" } else { "True" }}]});
        if let Some((product, count, vgpu, memory)) = n.shape.gpu() {
            labels = json!({
                "kubernetes.io/hostname": name,
                "nvidia.com/gpu.present": "true",
                "nvidia.com/gpu.product": product,
                "nvidia.com/gpu.count": count.to_string(),
                "nvidia.com/gpu.memory": memory.to_string(),
                "nvidia.com/vgpu.present": vgpu.to_string(),
            });
            status["allocatable"] = json!({"nvidia.com/gpu": count.to_string()});
            status["capacity"] = json!({"nvidia.com/gpu": count.to_string()});
        }
        let mut spec = json!({"unschedulable": n.state == NodeState::Cordoned});
        if n.state == NodeState::Tainted {
            spec["taints"] =
                json!([{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]);
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
        if n.pending {
            out.push(json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("pending-{i}"), "namespace": "other"},
                "spec": {"containers": [{"name": "c", "image": "x",
                    "resources": {"limits": {"nvidia.com/gpu": "1"}}}]},
                "status": {"phase": "Pending"}}));
        }
    }
    if let Some(c) = input.cache.as_ref().filter(|c| c.manifest) {
        let manifest = json!({
            "schema_version": "2.0.0",
            "profile_selection_criteria": "default",
            "profiles": [
                {"id": "vllm-bf16-tp1", "tags": {"llm_engine": "vllm", "precision": "bf16", "tp": "1", "pp": "1"}},
                {"id": "h100-fp8-tp2", "tags": {"llm_engine": "tensorrt_llm", "precision": "fp8", "tp": "2", "pp": "1",
                    "gpu": "H100", "gpu_device": "2330:10de", "profile": "throughput"}},
                {"id": "a100-bf16-tp8", "tags": {"llm_engine": "tensorrt_llm", "precision": "bf16", "tp": "8", "pp": "1",
                    "gpu": "A100", "gpu_device": "20b2:10de", "profile": "throughput"}},
                {"id": "l40s-fp8-tp1", "tags": {"llm_engine": "tensorrt_llm", "precision": "fp8", "tp": "1", "pp": "1",
                    "gpu": "L40S", "gpu_device": "26b9:10de", "profile": "latency"}}
            ]
        });
        out.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("{}-manifest", c.name), "namespace": NAMESPACES[0]},
            "data": {"model_manifest.yaml": manifest.to_string()}}));
    }
    out
}

fn cache_cr(c: &CacheSpec) -> NIMCache {
    let ns = NAMESPACES[0];
    let mut v = json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
        "metadata": {"name": c.name, "namespace": ns, "uid": uid("NIMCache", ns, &c.name)},
        "spec": {
            "source": {"ngc": {"authSecret": "ngc-api-secret", "pullSecret": "ngc-secret",
                "modelPuller": "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.0",
                "model": {"engine": "tensorrt_llm"}}},
            "storage": {"pvc": {"create": true, "size": "100Gi", "volumeAccessMode": "ReadWriteMany"}}
        }
    });
    if c.ready {
        v["status"] = json!({"state": "Ready", "pvc": format!("{}-pvc", c.name)});
    }
    serde_json::from_value(v).expect("valid NIMCache")
}

fn service_cr(s: &SvcSpec, cache: &str) -> NIMService {
    let ns = NAMESPACES[s.ns];
    let mut spec = json!({
        "image": {"repository": "nvcr.io/nim/meta/llama-3.1-8b-instruct",
                  "tag": if s.pinned { "1.8.0" } else { "latest" }},
        "authSecret": "ngc-api-secret",
        "expose": {"service": {"type": "ClusterIP", "port": 8000}},
    });
    if let Some(g) = s.gpus {
        spec["resources"] = json!({"limits": {"nvidia.com/gpu": g.to_string()}});
    }
    let hpa = |min: i32, max: i32, metrics: bool| {
        let mut h = json!({"minReplicas": min, "maxReplicas": max});
        if metrics {
            h["metrics"] = json!([{"type": "Pods", "pods": {"metric": {"name": "gpu_cache_usage_perc"},
                "target": {"type": "AverageValue", "averageValue": "750m"}}}]);
        }
        json!({"enabled": true, "hpa": h})
    };
    match s.scale {
        Scale::Fixed(r) => spec["replicas"] = json!(r),
        Scale::Hpa {
            min,
            extra,
            metrics,
        } => spec["scale"] = hpa(min, min + extra, metrics),
        Scale::Both(r) => {
            spec["replicas"] = json!(r);
            spec["scale"] = hpa(1, r + 1, true);
        }
    }
    spec["storage"] = match &s.storage {
        Storage::Cache => json!({"nimCache": {"name": cache}}),
        Storage::CacheProfile(p) => json!({"nimCache": {"name": cache, "profile": p}}),
        Storage::PvcCreate { rwx } => json!({"pvc": {"create": true, "size": "50Gi",
            "volumeAccessMode": if *rwx { "ReadWriteMany" } else { "ReadWriteOnce" }}}),
        Storage::PvcName => json!({"pvc": {"name": "models", "volumeAccessMode": "ReadWriteMany"}}),
        Storage::EmptyDir => json!({"emptyDir": {"sizeLimit": "50Gi"}}),
        Storage::HostPath => json!({"hostPath": "/models"}),
        Storage::Missing => json!({}),
        Storage::Two => json!({"emptyDir": {}, "hostPath": "/models"}),
    };
    match s.route {
        Exposure::None => {}
        Exposure::HttpRoute => {
            spec["expose"]["router"] = json!({"gateway": {"namespace": "gw", "name": "istio-gateway",
                "httpRoutesEnabled": true}, "hostDomainName": "example.com"});
        }
        Exposure::GrpcRoute => {
            spec["expose"]["service"]["grpcPort"] = json!(50051);
            spec["expose"]["router"] = json!({"gateway": {"namespace": "gw", "name": "istio-gateway",
                "grpcRoutesEnabled": true, "httpRoutesEnabled": false}});
        }
        Exposure::RouterIngress => {
            spec["expose"]["router"] = json!({"ingress": {"ingressClass": "nginx"},
                "hostDomainName": "demo.example.com"});
        }
        Exposure::LegacyIngress => {
            spec["expose"]["ingress"] = json!({"enabled": true, "spec": {"ingressClassName": "nginx",
                "rules": [{"host": "demo.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                    "backend": {"service": {"name": s.name, "port": {"number": 8000}}}}]}}]}});
        }
        Exposure::Epp => {
            spec["expose"]["router"] = json!({
                "gateway": {"name": "inference-gateway", "httpRoutesEnabled": true,
                    "backendRef": {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": s.name}},
                "eppConfig": {
                    "containerSpec": {"name": "epp", "image": {"repository": "registry.k8s.io/gateway-api-inference-extension/epp", "tag": "v1.3.1"}},
                    "config": {"apiVersion": "inference.networking.x-k8s.io/v1alpha1", "kind": "EndpointPickerConfig",
                        "plugins": [{"type": "kv-cache-utilization-scorer"}],
                        "schedulingProfiles": [{"name": "default", "plugins": [{"pluginRef": "kv-cache-utilization-scorer"}]}]}
                }
            });
        }
    }
    if s.tolerate {
        spec["tolerations"] =
            json!([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]);
    }
    serde_json::from_value(json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
        "metadata": {"name": s.name, "namespace": ns, "uid": uid("NIMService", ns, &s.name)},
        "spec": spec
    }))
    .expect("valid NIMService")
}

fn plan_input(input: &Input) -> PlanInput {
    let cache_name = input
        .cache
        .as_ref()
        .map_or_else(|| "missing-cache".to_owned(), |c| c.name.clone());
    PlanInput {
        caches: input.cache.iter().map(cache_cr).collect(),
        services: input
            .services
            .iter()
            .map(|s| service_cr(s, &cache_name))
            .collect(),
        ..PlanInput::default()
    }
}

/// The permutation of `0..len` that sorts by `(keys[i % keys.len()], i)`.
fn permutation(len: usize, keys: &[u32]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..len).collect();
    idx.sort_by_key(|&i| (keys[i % keys.len()], i));
    idx
}

fn permuted<T: Clone>(items: &[T], keys: &[u32]) -> Vec<T> {
    permutation(items.len(), keys)
        .into_iter()
        .map(|i| items[i].clone())
        .collect()
}

/// Everything observable of a plan: the serialized plan plus the graph's edges.
fn fingerprint(p: &Plan) -> String {
    let edges: Vec<(String, String)> = p
        .graph
        .edges()
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    serde_json::to_string(&(p, edges)).expect("serializable plan")
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// Owning CRs by (kind, namespace, name) → uid.
fn owners(input: &PlanInput) -> BTreeMap<(String, String, String), String> {
    let mut out = BTreeMap::new();
    for c in &input.caches {
        let m = &c.metadata;
        out.insert(
            (
                "NIMCache".to_owned(),
                m.namespace.clone().unwrap_or_default(),
                m.name.clone().unwrap_or_default(),
            ),
            m.uid.clone().unwrap_or_default(),
        );
    }
    for s in &input.services {
        let m = &s.metadata;
        out.insert(
            (
                "NIMService".to_owned(),
                m.namespace.clone().unwrap_or_default(),
                m.name.clone().unwrap_or_default(),
            ),
            m.uid.clone().unwrap_or_default(),
        );
    }
    out
}

/// Checks every property of one plan; `Err` names the first violation.
fn check_plan(pi: &PlanInput, snap: &ClusterSnapshot, p: &Plan) -> Result<(), TestCaseError> {
    // Ownership.
    let uids = owners(pi);
    for obj in &p.objects {
        let id = ObjectId::of(obj).expect("object id");
        match obj.pointer("/metadata/ownerReferences") {
            None => prop_assert!(
                matches!(
                    (id.kind.as_str(), id.name.as_str()),
                    ("ServiceAccount", "nim-cache-sa")
                        | ("Role", "nim-cache-role")
                        | ("RoleBinding", "nim-cache-rolebinding")
                ),
                "{} has no owner",
                id
            ),
            Some(refs) => {
                let refs = refs.as_array().expect("ownerReferences is a list");
                let controllers: Vec<&Value> = refs
                    .iter()
                    .filter(|r| r["controller"] == json!(true))
                    .collect();
                prop_assert_eq!(controllers.len(), 1, "{} controllers: {:?}", id, refs);
                let c = controllers[0];
                let key = (
                    c["kind"].as_str().unwrap_or_default().to_owned(),
                    id.namespace.clone(),
                    c["name"].as_str().unwrap_or_default().to_owned(),
                );
                let want = uids.get(&key);
                prop_assert!(want.is_some(), "{} owned by unknown {:?}", id, key);
                prop_assert_eq!(c["uid"].as_str(), want.map(String::as_str), "{}", id);
            }
        }
        // Names.
        if id.kind == "Service" {
            prop_assert!(
                is_dns_label(&id.name) && id.name.starts_with(|c: char| c.is_ascii_lowercase()),
                "Service name {:?} is not a DNS-1035 label",
                id.name
            );
        }
        prop_assert!(
            is_dns_subdomain(&id.name) && id.name.len() <= 63,
            "{} name {:?} is not a DNS-1123 name of at most 63 characters",
            id.kind,
            id.name
        );
        prop_assert!(is_dns_label(&id.namespace), "namespace of {}", id);
    }

    // Graph: acyclic, and objects in a topological order of it.
    prop_assert!(!p.graph.is_cyclic());
    let position: BTreeMap<ObjectId, usize> = p
        .objects
        .iter()
        .enumerate()
        .map(|(i, o)| (ObjectId::of(o).expect("object id"), i))
        .collect();
    prop_assert_eq!(position.len(), p.objects.len(), "duplicate objects");
    for (a, b) in p.graph.edges() {
        if let (Some(ia), Some(ib)) = (position.get(&a), position.get(&b)) {
            prop_assert!(ia < ib, "{} (#{}) must come before {} (#{})", a, ia, b, ib);
        }
    }

    // No object in the plan is rendered by two custom resources (one would silently replace the
    // other); such clashes are dropped and reported as errors.
    let mut parents: BTreeMap<&ObjectId, BTreeSet<&ObjectId>> = BTreeMap::new();
    let edges = p.graph.edges();
    for (a, b) in &edges {
        if a.api_version == "apps.nvidia.com/v1alpha1"
            && b.api_version != "apps.nvidia.com/v1alpha1"
            && position.contains_key(b)
            && !b.name.starts_with("nim-cache-")
        {
            parents.entry(b).or_default().insert(a);
        }
    }
    for (child, owners) in &parents {
        prop_assert!(owners.len() == 1, "{} is rendered by {:?}", child, owners);
    }

    // Capacity and hard rules.
    let inv = &snap.inventory;
    let mut used: BTreeMap<&str, u64> = BTreeMap::new();
    for pl in &p.placements {
        let svc = pi
            .services
            .iter()
            .find(|s| {
                s.metadata.name.as_deref() == Some(pl.service.name.as_str())
                    && s.metadata.namespace.as_deref() == Some(pl.service.namespace.as_str())
            })
            .expect("placement of an input service");
        if pl.gpus_per_pod > 0 {
            prop_assert_eq!(
                pl.nodes.values().sum::<u32>(),
                pl.replicas_placed * pl.pods_per_replica
            );
        }
        prop_assert!(pl.replicas_at_min <= pl.min_replicas);
        prop_assert!(pl.replicas_placed <= pl.max_replicas);
        for (n, pods) in &pl.nodes {
            *used.entry(n.as_str()).or_insert(0) += u64::from(*pods) * u64::from(pl.gpus_per_pod);
            let node = &inv.nodes[n];
            prop_assert!(
                can_serve_multi_gpu_replica(node, pl.gpus_per_pod).is_ok(),
                "{} cannot serve {} GPUs",
                n,
                pl.gpus_per_pod
            );
            let product = node.product.as_ref().map(|p| p.raw.clone());
            prop_assert!(
                product
                    .as_ref()
                    .is_some_and(|p| pl.allowed_products.contains(p)),
                "{:?} not in {:?}",
                product,
                pl.allowed_products
            );
            prop_assert!(node.is_schedulable(), "{} is not schedulable", n);
            prop_assert!(node.untolerated_taints(&svc.spec.tolerations).is_empty());
            prop_assert!(pl.eligible_nodes.contains(n));
        }
    }
    for (n, g) in &used {
        let node = &inv.nodes[*n];
        prop_assert!(
            g + inv.allocated_gpus(n) <= node.allocatable_gpus,
            "{} over-committed: {} placed + {} allocated > {}",
            n,
            g,
            inv.allocated_gpus(n),
            node.allocatable_gpus
        );
    }

    // Every unplaced replica has a reason; no Deployment for a service with an error.
    for pl in &p.placements {
        if pl.replicas_placed < pl.max_replicas {
            prop_assert!(
                p.diagnostics.iter().any(|d| d.object == pl.service),
                "{} placed {} of {} without a diagnostic",
                pl.service,
                pl.replicas_placed,
                pl.max_replicas
            );
        }
        let errors = p
            .diagnostics
            .iter()
            .any(|d| d.object == pl.service && d.severity == Severity::Error);
        if errors {
            let svc_uid = uid("NIMService", &pl.service.namespace, &pl.service.name);
            let deployment = p.objects.iter().find(|o| {
                o["kind"] == "Deployment"
                    && o.pointer("/metadata/namespace") == Some(&json!(pl.service.namespace))
                    && o.pointer("/metadata/ownerReferences/0/uid") == Some(&json!(svc_uid))
            });
            prop_assert!(
                deployment.is_none(),
                "{} has errors but a Deployment",
                pl.service
            );
        }
    }
    Ok(())
}

/// The pods the plan's Deployments would create, bound as placed, with the pod-template labels.
fn synthesized_pods(p: &Plan) -> Vec<Value> {
    let mut out = Vec::new();
    for pl in &p.placements {
        let mut k = 0;
        for (node, pods) in &pl.nodes {
            for _ in 0..*pods {
                out.push(json!({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("{}-5d8f7c9b6-{k}", pl.service.name),
                        "namespace": pl.service.namespace,
                        "labels": {"app": pl.service.name,
                            "app.kubernetes.io/name": pl.service.name,
                            "app.kubernetes.io/instance": pl.service.name,
                            "app.kubernetes.io/part-of": "nim-service",
                            "app.kubernetes.io/managed-by": "k8s-nim-operator"}},
                    "spec": {"nodeName": node, "containers": [{"name": pl.service.name, "image": "x",
                        "resources": {
                            "limits": {"nvidia.com/gpu": pl.gpus_per_pod.to_string()},
                            "requests": {"nvidia.com/gpu": pl.gpus_per_pod.to_string()}}}]},
                    "status": {"phase": "Running"}
                }));
                k += 1;
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn plan_properties(
        input in input_strategy(),
        keys in prop::collection::vec(any::<u32>(), 1..24),
    ) {
        let objs = cluster_objects(&input);
        let snap = ClusterSnapshot::from_objects(&objs);
        prop_assert!(snap.errors.is_empty(), "{:?}", snap.errors);
        let pi = plan_input(&input);
        let first = plan(&pi, &snap);
        check_plan(&pi, &snap, &first)?;

        // Deterministic: planning twice gives the same output.
        let again = plan(&pi, &snap);
        prop_assert_eq!(fingerprint(&first), fingerprint(&again));

        // Order-independent: nodes, pods, ConfigMaps and services in another order.
        let snap2 = ClusterSnapshot::from_objects(&permuted(&objs, &keys));
        let mut keys_rev = keys.clone();
        keys_rev.reverse();
        let pi2 = PlanInput {
            services: permuted(&pi.services, &keys_rev),
            ..pi.clone()
        };
        let shuffled = plan(&pi2, &snap2);
        prop_assert_eq!(fingerprint(&first), fingerprint(&shuffled));
    }

    /// Re-planning against the applied plan moves nothing.
    #[test]
    fn replanning_against_the_applied_plan_is_idempotent(input in input_strategy()) {
        let mut objs = cluster_objects(&input);
        let pi = plan_input(&input);
        let first = plan(&pi, &ClusterSnapshot::from_objects(&objs));
        objs.extend(synthesized_pods(&first));
        let snap = ClusterSnapshot::from_objects(&objs);
        let second = plan(&pi, &snap);
        prop_assert_eq!(
            serde_json::to_value(&first.placements).unwrap(),
            serde_json::to_value(&second.placements).unwrap()
        );
        prop_assert_eq!(
            serde_json::to_value(&first.diagnostics).unwrap(),
            serde_json::to_value(&second.diagnostics).unwrap()
        );
        prop_assert_eq!(fingerprint(&first), fingerprint(&second));
    }
}

/// A fixed case of the idempotence property: two services that only fit in one packing, and
/// their pods already running where the plan put them.
#[test]
fn replan_keeps_replicas_where_they_run() {
    let input = Input {
        nodes: vec![
            NodeSpec {
                shape: Shape::H100Vgpu,
                state: NodeState::Ready,
                busy: 0,
                pending: false,
            },
            NodeSpec {
                shape: Shape::H100Vgpu,
                state: NodeState::Ready,
                busy: 1,
                pending: false,
            },
        ],
        services: vec![
            SvcSpec {
                name: "big".into(),
                ns: 0,
                gpus: Some(3),
                scale: Scale::Fixed(1),
                storage: Storage::PvcName,
                route: Exposure::None,
                tolerate: false,
                pinned: true,
            },
            SvcSpec {
                name: "small".into(),
                ns: 0,
                gpus: Some(2),
                scale: Scale::Fixed(2),
                storage: Storage::PvcName,
                route: Exposure::None,
                tolerate: false,
                pinned: true,
            },
        ],
        cache: None,
    };
    let mut objs = cluster_objects(&input);
    let pi = plan_input(&input);
    let first = plan(&pi, &ClusterSnapshot::from_objects(&objs));
    // 3 + 2 + 2 GPUs on 4 + 3 free: only {2, 2} | {3} fits.
    assert!(!first.has_errors(), "{:#?}", first.diagnostics);
    let nodes = |p: &Plan, name: &str| p.placement("nim", name).map(|p| p.nodes.clone());
    assert_eq!(
        nodes(&first, "big"),
        Some(BTreeMap::from([("node-1-h100".to_owned(), 1)]))
    );
    assert_eq!(
        nodes(&first, "small"),
        Some(BTreeMap::from([("node-0-h100".to_owned(), 2)]))
    );
    objs.extend(synthesized_pods(&first));
    let second = plan(&pi, &ClusterSnapshot::from_objects(&objs));
    assert_eq!(fingerprint(&first), fingerprint(&second));
}

fn simple_service(name: &str, storage: Storage, route: Exposure) -> SvcSpec {
    SvcSpec {
        name: name.into(),
        ns: 0,
        gpus: Some(0),
        scale: Scale::Fixed(1),
        storage,
        route,
        tolerate: false,
        pinned: true,
    }
}

/// Objects rendered by more than one custom resource, with those resources' names.
fn collisions(p: &Plan) -> Vec<(String, Vec<String>)> {
    let planned: BTreeSet<ObjectId> = p.objects.iter().filter_map(ObjectId::of).collect();
    let mut parents: BTreeMap<ObjectId, BTreeSet<String>> = BTreeMap::new();
    for (a, b) in p.graph.edges() {
        if a.api_version == "apps.nvidia.com/v1alpha1"
            && b.api_version != a.api_version
            && planned.contains(&b)
        {
            parents.entry(b).or_default().insert(a.to_string());
        }
    }
    parents
        .into_iter()
        .filter(|(id, owners)| owners.len() > 1 && !id.name.starts_with("nim-cache-"))
        .map(|(id, owners)| (id.to_string(), owners.into_iter().collect()))
        .collect()
}

/// Regression (plan.rs, `Output::add`): a NIMCache and a NIMService called `llm-2` in one namespace,
/// both with `storage.pvc.create`, both render PersistentVolumeClaim `llm-2-pvc`; the plan keeps
/// only the service's (so the caching Job mounts the service's 50Gi ReadWriteOnce claim) and says
/// nothing. Expected: an error diagnostic naming both owners.
#[test]
fn cache_and_service_of_the_same_name_do_not_share_a_pvc() {
    let input = Input {
        nodes: vec![],
        services: vec![simple_service(
            "llm-2",
            Storage::PvcCreate { rwx: false },
            Exposure::None,
        )],
        cache: Some(CacheSpec {
            name: "llm-2".into(),
            manifest: true,
            ready: true,
        }),
    };
    let p = plan(
        &plan_input(&input),
        &ClusterSnapshot::from_objects(&cluster_objects(&input)),
    );
    let c = collisions(&p);
    assert!(c.is_empty(), "colliding objects left in the plan: {c:#?}");
    let clash: Vec<&str> = p
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::InvalidSpec && d.message.contains("would be rendered both for"))
        .map(|d| d.object.name.as_str())
        .collect();
    assert_eq!(clash.len(), 2, "both owners are told: {:#?}", p.diagnostics);
}

/// Regression (plan.rs, `Output::add`): NIMService `llm` with `router.eppConfig` renders its
/// endpoint picker as `llm-epp` (Deployment, Service, ServiceAccount, Role, RoleBinding), and
/// NIMService `llm-epp` renders its own objects under the same names; the plan keeps one set and
/// says nothing, so `llm`'s InferencePool points at the other service. Expected: an error
/// diagnostic.
#[test]
fn endpoint_picker_does_not_collide_with_a_service_called_name_epp() {
    let input = Input {
        nodes: vec![],
        services: vec![
            simple_service("llm", Storage::PvcName, Exposure::Epp),
            simple_service("llm-epp", Storage::PvcName, Exposure::None),
        ],
        cache: None,
    };
    let p = plan(
        &plan_input(&input),
        &ClusterSnapshot::from_objects(&cluster_objects(&input)),
    );
    let c = collisions(&p);
    assert!(c.is_empty(), "colliding objects left in the plan: {c:#?}");
    let clash: Vec<&str> = p
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::InvalidSpec && d.message.contains("would be rendered both for"))
        .map(|d| d.object.name.as_str())
        .collect();
    assert_eq!(clash.len(), 2, "both owners are told: {:#?}", p.diagnostics);
}
