//! GPU placement simulation for NIMServices against a [`ClusterSnapshot`], plus the
//! "sharp edge" checks of the VMware Private AI reference architecture (seed article) and
//! `gpu-domain.md` §2.5.
//!
//! [`place`] is pure: same services and snapshot ⇒ same placements and diagnostics, whatever the
//! input order. Per service it works out:
//!
//! 1. **GPUs per pod and pods per replica** ([`GpuSource`]): the explicit `nvidia.com/gpu`
//!    request/limit, else `multiNode.parallelism.tensor`, else the `tp` tag of the profile named
//!    by `storage.nimCache.profile` (what NVIDIA's operator injects). Pods per replica =
//!    `multiNode.parallelism.pipeline` (LeaderWorkerSet group size).
//! 2. **Profiles**: the explicit profile (looked up in the cache's manifest ConfigMap, else in
//!    `status.profiles`), else the cache's candidate profiles (cached profiles, else the
//!    operator's selection from the manifest) with `tp` equal to the GPUs per pod.
//! 3. **Memory** (lower bound, weights only, when exactly one profile applies): parameters from
//!    the profile's `model` or the image name (`…-70b-…`) × bytes per parameter of the profile's
//!    `precision` ÷ the profile's tp × pp + 1.5 GiB, against
//!    [`usable_gpu_memory_mib`] (`gpu-domain.md` §4.3).
//! 4. **Eligibility** per node, grouped into pools: the inventory shape rule
//!    [`can_serve_multi_gpu_replica`] (vGPU multi-GPU needs full-framebuffer C-series vGPUs on
//!    NVLink boards, so L40S vGPU and MIG-backed vGPU never serve TP > 1), profile GPU match
//!    (`gpu_device`, else `gpu` tag), memory, `spec.nodeSelector`; then readiness, cordon and
//!    taints for capacity. A pool none of whose nodes pass is *rejected* with its reasons.
//! 5. **First-fit-decreasing** on a copy of free GPU capacity: services ordered by GPUs per
//!    replica (descending), then namespace/name; first every service's minimum replicas, then
//!    the rest up to the maximum. Nodes are tried in name order, except that the nodes the
//!    service's own pods run on come first (below); a multi-pod replica is placed all-or-nothing.
//! 6. **Exact minimum phase on small instances.** When first-fit-decreasing leaves some service
//!    short of its minimum although that service fits on its own, a depth-first search looks for
//!    a packing of the minimum replicas of *all* services that fit on their own. It runs only
//!    when those services have at most [`EXACT_SEARCH_MAX_NODES`] (8) candidate nodes between
//!    them and at most [`EXACT_SEARCH_MAX_PODS`] (12) pods in their minimum replicas, and gives
//!    up after [`EXACT_SEARCH_MAX_STEPS`] (100,000) pod-to-node tries (a count, so the result is
//!    deterministic). If it finds a packing, that packing replaces the first-fit minimum phase
//!    (the services that cannot fit even alone are then first-fit on what is left); otherwise the
//!    first-fit result stands. The maximum phase is always first-fit. Within these bounds,
//!    whenever all minimum replicas can be placed together, they are.
//!
//! **Re-planning against the applied plan.** Pods the snapshot already holds for a service count
//! as that service's capacity, so planning again after the plan was applied moves nothing: a pod
//! is the service's own ([`is_own_pod`]) when it is in the service's namespace and labelled
//! `app.kubernetes.io/name=<service>`, `app.kubernetes.io/managed-by=k8s-nim-operator` (as the
//! rendered Deployment's pod template is). The GPUs of such pods (bound to a node, not
//! `Succeeded`/`Failed`) are added back, on their node, to the free capacity that only this
//! service may use (never beyond the node's allocatable); the service tries those nodes first
//! and uses that share before the shared free GPUs.
//!
//! ```
//! use nim_planner::diagnostics::Code;
//! use nim_planner::placement::place;
//! use nim_planner::snapshot::ClusterSnapshot;
//! use nim_types::NIMService;
//! use serde_json::json;
//!
//! let node = |name: &str, product: &str| json!({
//!     "kind": "Node", "metadata": {"name": name, "labels": {
//!         "nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": product,
//!         "nvidia.com/gpu.count": "2", "nvidia.com/vgpu.present": "true"}},
//!     "status": {"allocatable": {"nvidia.com/gpu": "2"},
//!                "conditions": [{"type": "Ready", "status": "True"}]}});
//! let svc: NIMService = serde_json::from_value(json!({
//!     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
//!     "metadata": {"name": "llm", "namespace": "nim"},
//!     "spec": {"image": {"repository": "nvcr.io/nim/meta/llama-3.1-70b-instruct", "tag": "1.8.0"},
//!              "resources": {"limits": {"nvidia.com/gpu": "2"}}}}))?;
//!
//! let l40s = ClusterSnapshot::from_objects(&[node("l40s-0", "NVIDIA-L40S-48C")]);
//! let (placements, diagnostics) = place(std::slice::from_ref(&svc), &l40s);
//! assert_eq!(placements[0].replicas_placed, 0);
//! assert!(diagnostics.iter().any(|d| d.code == Code::VgpuMultiGpuUnsupported));
//!
//! let h100 = ClusterSnapshot::from_objects(&[node("h100-0", "NVIDIA-H100XM-80C")]);
//! let (placements, _) = place(&[svc], &h100);
//! assert_eq!(placements[0].replicas_placed, 1);
//! assert_eq!(placements[0].allowed_products, ["NVIDIA-H100XM-80C"]);
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Deref;
use std::rc::Rc;
use std::sync::Arc;

use k8s_openapi::api::autoscaling::v2::MetricSpec;
use k8s_openapi::api::core::v1::{Pod, Toleration};
use nim_types::inventory::labels::RESOURCE_GPU;
use nim_types::inventory::{
    ClusterInventory, GpuPool, NodeInventory, ProductInfo, Reason, can_serve_multi_gpu_replica,
    pod_effective_request, usable_gpu_memory_mib,
};
use nim_types::{NIMCache, NIMService};
use serde::Serialize;

use crate::diagnostics::{Code, Diagnostic, ObjectRef, sort_diagnostics};
use crate::profile::{Profile, from_status};
use crate::render::labels::{APP_LABEL, MANAGED_BY, MANAGED_BY_LABEL, NAME_LABEL};
use crate::snapshot::ClusterSnapshot;

/// Namespace of objects that have none.
const DEFAULT_NAMESPACE: &str = "default";

/// Largest number of distinct candidate nodes (over the services searched) for which [`place`]
/// runs the exact minimum-phase search when first-fit-decreasing misses a minimum.
///
/// ```
/// assert_eq!(nim_planner::placement::EXACT_SEARCH_MAX_NODES, 8);
/// ```
pub const EXACT_SEARCH_MAX_NODES: usize = 8;

/// Largest number of pods (minimum replicas × pods per replica, summed over the services
/// searched) for which [`place`] runs the exact minimum-phase search.
///
/// ```
/// assert_eq!(nim_planner::placement::EXACT_SEARCH_MAX_PODS, 12);
/// ```
pub const EXACT_SEARCH_MAX_PODS: u64 = 12;

/// Step budget (pod-to-node tries) of the exact minimum-phase search; when it runs out the
/// first-fit-decreasing result stands. A count, not a time limit, so results stay deterministic.
///
/// ```
/// assert_eq!(nim_planner::placement::EXACT_SEARCH_MAX_STEPS, 100_000);
/// ```
pub const EXACT_SEARCH_MAX_STEPS: u64 = 100_000;

/// Fixed per-GPU overhead (CUDA context, activations, NCCL buffers) added to the weight share in
/// the memory lower bound, MiB (`gpu-domain.md` §4.3: 1.5–4 GiB; the low end keeps the check
/// conservative).
///
/// ```
/// assert_eq!(nim_planner::placement::GPU_OVERHEAD_MIB, 1536);
/// ```
pub const GPU_OVERHEAD_MIB: u64 = 1536;

/// Where the GPUs-per-pod figure came from.
///
/// ```
/// use nim_planner::placement::GpuSource;
/// assert_eq!(serde_json::to_value(GpuSource::MultiNode).unwrap(), "multi-node");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GpuSource {
    /// `spec.resources` limits/requests `nvidia.com/gpu`.
    Explicit,
    /// `spec.multiNode.parallelism.tensor`.
    MultiNode,
    /// The `tp` tag of the profile in `spec.storage.nimCache.profile`.
    Profile,
    /// Nothing says: the pod requests no GPU (no GPU placement is simulated).
    Unspecified,
}

/// Why a node (and, when all its nodes fail, a pool) cannot serve one pod of the service.
///
/// ```
/// use nim_planner::placement::Rejection;
/// use nim_types::inventory::Reason;
/// let r = Rejection::Inventory(Reason::NodeNotReady);
/// assert_eq!(r.to_string(), "node is not Ready");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Rejection {
    /// An inventory rule ([`can_serve_multi_gpu_replica`], readiness, cordon, taints).
    Inventory(Reason),
    /// The node's GPU is not one the profile was built for.
    ProfileGpuMismatch {
        /// Profile IDs considered.
        profiles: Vec<String>,
        /// Node product label (empty when missing).
        product: String,
    },
    /// The model's weights alone do not fit the usable GPU memory.
    InsufficientMemory {
        /// Lower bound per GPU, MiB.
        required_mib: u64,
        /// Usable memory per GPU, MiB.
        usable_mib: u64,
    },
    /// A `spec.nodeSelector` entry does not match the node's labels.
    NodeSelector {
        /// Label key.
        key: String,
        /// Wanted value.
        value: String,
    },
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inventory(r) => write!(f, "{r}"),
            Self::ProfileGpuMismatch { profiles, product } => write!(
                f,
                "GPU {product:?} does not match the gpu/gpu_device tags of profile(s) {}",
                profiles.join(", ")
            ),
            Self::InsufficientMemory {
                required_mib,
                usable_mib,
            } => write!(
                f,
                "model weights need at least {required_mib} MiB per GPU but only {usable_mib} MiB are usable"
            ),
            Self::NodeSelector { key, value } => {
                write!(f, "nodeSelector {key}={value} does not match")
            }
        }
    }
}

impl Rejection {
    /// The diagnostic code this rejection maps to when it leaves a service without any pool
    /// (`vgpu`: whether the node is a vGPU guest). `None` for node-state and selector rejections.
    ///
    /// ```
    /// use nim_planner::diagnostics::Code;
    /// use nim_planner::placement::Rejection;
    /// use nim_types::inventory::Reason;
    /// assert_eq!(Rejection::Inventory(Reason::MigSlices).code(true), Some(Code::VgpuMultiGpuUnsupported));
    /// assert_eq!(Rejection::Inventory(Reason::MigSlices).code(false), Some(Code::InsufficientGpusPerNode));
    /// ```
    pub fn code(&self, vgpu: bool) -> Option<Code> {
        match self {
            Self::Inventory(r) => match r {
                Reason::VgpuMigBacked { .. }
                | Reason::VgpuNotComputeSeries { .. }
                | Reason::VgpuNoNvlink { .. }
                | Reason::VgpuBoardUnknown { .. }
                | Reason::VgpuFractionalProfile { .. }
                | Reason::VgpuTypeUnknown { .. }
                | Reason::VlmOnVgpu => Some(Code::VgpuMultiGpuUnsupported),
                Reason::MigSlices | Reason::SharedGpuLimit { .. } => Some(if vgpu {
                    Code::VgpuMultiGpuUnsupported
                } else {
                    Code::InsufficientGpusPerNode
                }),
                Reason::InsufficientGpus { .. } | Reason::NoGpus => {
                    Some(Code::InsufficientGpusPerNode)
                }
                _ => None,
            },
            Self::ProfileGpuMismatch { .. } => Some(Code::NoCompatibleProfile),
            Self::InsufficientMemory { .. } => Some(Code::InsufficientGpuMemory),
            Self::NodeSelector { .. } => None,
        }
    }
}

/// The placement result of one NIMService.
///
/// ```
/// let p = nim_planner::placement::Placement::default();
/// assert_eq!(p.replicas_placed, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// The service.
    pub service: ObjectRef,
    /// GPUs each pod requests (`nvidia.com/gpu`).
    pub gpus_per_pod: u32,
    /// Pods per replica (multi-node pipeline parallelism; 1 otherwise).
    pub pods_per_replica: u32,
    /// Where [`Self::gpus_per_pod`] came from (`None` only in `Default`).
    pub gpu_source: Option<GpuSource>,
    /// Profiles the pods may run (explicit profile, or the cache's candidates), by ID.
    pub profiles: Vec<String>,
    /// Lower bound of memory per GPU, MiB, when derivable.
    pub min_gpu_memory_mib: Option<u64>,
    /// Pools with at least one node that can serve a pod, by name.
    pub eligible_pools: Vec<String>,
    /// Nodes that can serve a pod (shape, profile GPU, memory, nodeSelector), by name; includes
    /// those in [`Self::unavailable_nodes`].
    pub eligible_nodes: NodeNames,
    /// Pools none of whose nodes can serve a pod, with the distinct reasons.
    pub rejected_pools: BTreeMap<String, Vec<Rejection>>,
    /// Warning-class inventory reasons per eligible pool (e.g. no NVLink on passthrough).
    pub pool_warnings: BTreeMap<String, Vec<Reason>>,
    /// Eligible-pool nodes that cannot take pods now (not Ready, cordoned, untolerated taint).
    pub unavailable_nodes: NodeRejections,
    /// `nvidia.com/gpu.product` values of eligible nodes, sorted: the values for the
    /// Deployment's required node affinity.
    pub allowed_products: Vec<String>,
    /// Minimum replicas (HPA `minReplicas`, else `replicas`).
    pub min_replicas: u32,
    /// Maximum replicas (HPA `maxReplicas`, else `replicas`).
    pub max_replicas: u32,
    /// Replicas placed in the minimum phase (≤ `min_replicas`).
    pub replicas_at_min: u32,
    /// Replicas placed in total (≤ `max_replicas`).
    pub replicas_placed: u32,
    /// Pods placed per node.
    pub nodes: BTreeMap<String, u32>,
}

impl Placement {
    /// Whether the minimum replica count fits.
    ///
    /// ```
    /// let p = nim_planner::placement::Placement { min_replicas: 1, replicas_at_min: 1, ..Default::default() };
    /// assert!(p.fits_min());
    /// ```
    pub fn fits_min(&self) -> bool {
        self.replicas_at_min >= self.min_replicas
    }

    /// Whether the maximum replica count fits.
    ///
    /// ```
    /// let p = nim_planner::placement::Placement { max_replicas: 3, replicas_placed: 2, ..Default::default() };
    /// assert!(!p.fits_max());
    /// ```
    pub fn fits_max(&self) -> bool {
        self.replicas_placed >= self.max_replicas
    }

    /// GPUs one replica needs (`gpus_per_pod × pods_per_replica`).
    ///
    /// ```
    /// let p = nim_planner::placement::Placement { gpus_per_pod: 8, pods_per_replica: 2, ..Default::default() };
    /// assert_eq!(p.gpus_per_replica(), 16);
    /// ```
    pub fn gpus_per_replica(&self) -> u64 {
        u64::from(self.gpus_per_pod) * u64::from(self.pods_per_replica)
    }
}

/// A list of node names shared between placements: services that see the same nodes get the
/// same list, so a plan over thousands of nodes does not copy their names once per service.
/// Reads as a `[String]` and serializes as a sequence of strings.
///
/// ```
/// use nim_planner::placement::NodeNames;
/// let nodes = NodeNames::from(vec!["gpu-0".to_string(), "gpu-1".to_string()]);
/// assert!(nodes.contains(&"gpu-1".to_string()));
/// assert_eq!(nodes.len(), 2);
/// assert_eq!(serde_json::to_string(&nodes).unwrap(), r#"["gpu-0","gpu-1"]"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct NodeNames(Arc<[String]>);

impl Deref for NodeNames {
    type Target = [String];

    fn deref(&self) -> &[String] {
        &self.0
    }
}

impl From<Vec<String>> for NodeNames {
    fn from(names: Vec<String>) -> Self {
        Self(names.into())
    }
}

impl<'a> IntoIterator for &'a NodeNames {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Node names with the reason each cannot take pods, shared between placements like
/// [`NodeNames`]. Reads as a `BTreeMap<String, Rejection>` and serializes as a map.
///
/// ```
/// use std::collections::BTreeMap;
/// use nim_planner::placement::{NodeRejections, Rejection};
/// use nim_types::inventory::Reason;
/// let why = Rejection::Inventory(Reason::NodeUnschedulable);
/// let nodes = NodeRejections::from(BTreeMap::from([("gpu-0".to_string(), why.clone())]));
/// assert_eq!(nodes.get("gpu-0"), Some(&why));
/// let json = serde_json::to_value(&nodes).unwrap();
/// assert_eq!(json["gpu-0"], serde_json::to_value(&why).unwrap());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct NodeRejections(Arc<BTreeMap<String, Rejection>>);

impl Deref for NodeRejections {
    type Target = BTreeMap<String, Rejection>;

    fn deref(&self) -> &BTreeMap<String, Rejection> {
        &self.0
    }
}

impl From<BTreeMap<String, Rejection>> for NodeRejections {
    fn from(nodes: BTreeMap<String, Rejection>) -> Self {
        Self(Arc::new(nodes))
    }
}

/// Parameters (in millions) from a model name such as `meta/llama-3.1-70b-instruct` or
/// `nvcr.io/nim/meta/llama-3.1-8b-instruct`: the last `<n>b` / `<n.m>b` token. Mixture-of-experts
/// forms such as `8x7b` are not interpreted.
///
/// ```
/// use nim_planner::placement::model_params_millions;
/// assert_eq!(model_params_millions("meta/llama-3.1-70b-instruct"), Some(70_000));
/// assert_eq!(model_params_millions("nvcr.io/nim/meta/llama-3.2-1.5b"), Some(1_500));
/// assert_eq!(model_params_millions("nv-embedqa-e5-v5"), None);
/// assert_eq!(model_params_millions("mixtral-8x7b-instruct"), None);
/// ```
pub fn model_params_millions(model: &str) -> Option<u64> {
    let last = model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase();
    last.split(['-', '_'])
        .filter_map(|tok| {
            let num = tok.strip_suffix('b')?;
            if num.is_empty() || !num.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return None;
            }
            let (int, frac) = num.split_once('.').unwrap_or((num, ""));
            if int.is_empty() || frac.contains('.') || frac.len() > 3 {
                return None;
            }
            let int: u64 = int.parse().ok()?;
            let frac_m: u64 = if frac.is_empty() {
                0
            } else {
                let padded = format!("{frac:0<3}");
                padded.parse().ok()?
            };
            int.checked_mul(1000)?.checked_add(frac_m)
        })
        .next_back()
}

/// Bytes per parameter of a `precision` tag, in quarter bytes (fp16 = 8, fp8 = 4, int4 = 2), per
/// `gpu-domain.md` §4.1 (lower bounds; scales ignored). `None` when unknown.
///
/// ```
/// use nim_planner::placement::quarter_bytes_per_param;
/// assert_eq!(quarter_bytes_per_param("bf16"), Some(8));
/// assert_eq!(quarter_bytes_per_param("FP8"), Some(4));
/// assert_eq!(quarter_bytes_per_param("int4_awq"), Some(2));
/// assert_eq!(quarter_bytes_per_param("mystery"), None);
/// ```
pub fn quarter_bytes_per_param(precision: &str) -> Option<u64> {
    let p = precision.trim().to_ascii_lowercase();
    if p.starts_with("fp32") || p == "float32" {
        Some(16)
    } else if p.starts_with("fp16") || p.starts_with("bf16") || p == "float16" {
        Some(8)
    } else if p.starts_with("fp8") || p.starts_with("int8") || p.starts_with("w8") {
        Some(4)
    } else if p.contains("int4")
        || p.contains("awq")
        || p.contains("gptq")
        || p.contains("fp4")
        || p.starts_with("w4")
    {
        Some(2)
    } else {
        None
    }
}

/// Lower bound of GPU memory (MiB) per GPU for a model: weights ÷ `gpus` + [`GPU_OVERHEAD_MIB`].
///
/// ```
/// use nim_planner::placement::min_gpu_memory_mib;
/// // 70B at bf16 over 2 GPUs: ≈ 66,757 MiB of weights per GPU.
/// assert_eq!(min_gpu_memory_mib(70_000, 8, 2), Some(66_757 + 1_536));
/// assert_eq!(min_gpu_memory_mib(70_000, 8, 0), None);
/// ```
pub fn min_gpu_memory_mib(params_millions: u64, quarter_bytes: u64, gpus: u32) -> Option<u64> {
    if gpus == 0 {
        return None;
    }
    let bytes = u128::from(params_millions) * 1_000_000 * u128::from(quarter_bytes) / 4;
    let per_gpu_mib = bytes / u128::from(gpus) / (1024 * 1024);
    u64::try_from(per_gpu_mib)
        .ok()?
        .checked_add(GPU_OVERHEAD_MIB)
}

fn svc_ref(svc: &NIMService) -> ObjectRef {
    ObjectRef::new(
        "NIMService",
        svc.metadata.namespace.clone().unwrap_or_default(),
        svc.metadata.name.clone().unwrap_or_default(),
    )
}

fn to_u32(n: i32) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(0)
}

/// Profiles a service will run, and any problem found resolving them.
struct ProfileResolution {
    profiles: Vec<Profile>,
    /// Explicit profile found in neither manifest nor status.
    missing_explicit: Option<String>,
    /// Candidates existed but none had the needed TP.
    no_tp_match: Option<(u32, Vec<String>)>,
}

fn resolve_profiles<'a>(
    svc: &NIMService,
    cache: Option<&NIMCache>,
    snapshot: &'a ClusterSnapshot,
    products: &std::cell::OnceCell<Vec<&'a str>>,
    gpus_hint: Option<u32>,
) -> ProfileResolution {
    let mut out = ProfileResolution {
        profiles: Vec::new(),
        missing_explicit: None,
        no_tp_match: None,
    };
    let Some(cache) = cache else {
        return out;
    };
    let ns = cache.metadata.namespace.clone().unwrap_or_default();
    let name = cache.metadata.name.clone().unwrap_or_default();
    let manifest = snapshot.manifest(&ns, &name);
    let status_profiles: Vec<Profile> = cache
        .status
        .as_ref()
        .map(|s| s.profiles.iter().map(from_status).collect())
        .unwrap_or_default();
    if let Some(wanted) = svc.spec.nim_cache_profile() {
        let found = manifest
            .and_then(|m| m.find(wanted).cloned())
            .or_else(|| status_profiles.iter().find(|p| p.id == wanted).cloned());
        match found {
            Some(p) => out.profiles.push(p),
            None if manifest.is_some() || !status_profiles.is_empty() => {
                out.missing_explicit = Some(wanted.to_owned());
            }
            None => {}
        }
        return out;
    }
    let mut candidates = status_profiles;
    if candidates.is_empty()
        && let Some(m) = manifest
    {
        let model = cache
            .spec
            .source
            .ngc
            .as_ref()
            .and_then(|n| n.model.clone())
            .unwrap_or_default();
        let products = products.get_or_init(|| snapshot.gpu_products());
        candidates = m
            .select(&model, products)
            .iter()
            .filter_map(|id| m.profiles.get(id).cloned())
            .collect();
    }
    candidates.sort_by(|a, b| a.id.cmp(&b.id));
    candidates.dedup_by(|a, b| a.id == b.id);
    if let Some(gpus) = gpus_hint.filter(|_| !candidates.is_empty()) {
        let ids: Vec<String> = candidates.iter().map(|p| p.id.clone()).collect();
        candidates.retain(|p| p.tp() == gpus);
        if candidates.is_empty() {
            out.no_tp_match = Some((gpus, ids));
        }
    }
    out.profiles = candidates;
    out
}

/// Per-service request used by the simulation.
struct Request {
    gpus_per_pod: u32,
    pods: u32,
    min: u32,
    max: u32,
    /// Candidate nodes, as positions in [`GpuNodes::nodes`], in preference order (shared with
    /// the services of the same [`NodeScan`] until own pods reorder them).
    nodes: Rc<[usize]>,
}

fn cpu_metric(m: &MetricSpec) -> bool {
    let is_cpu = |name: &str| name.eq_ignore_ascii_case("cpu");
    (m.type_ == "Resource" && m.resource.as_ref().is_some_and(|r| is_cpu(&r.name)))
        || (m.type_ == "ContainerResource"
            && m.container_resource
                .as_ref()
                .is_some_and(|r| is_cpu(&r.name)))
}

/// Spec-only checks (no placement needed).
fn sharp_edges(
    svc: &NIMService,
    obj: &ObjectRef,
    cache: Option<&NIMCache>,
    max: u32,
    pods: u32,
    out: &mut Vec<Diagnostic>,
) {
    let spec = &svc.spec;
    let mut push = |code: Code, field: &str, message: String| {
        out.push(Diagnostic::new(code, obj.clone(), field, message));
    };
    if spec.autoscaling_enabled() && spec.replicas.is_some() {
        push(
            Code::ReplicasWithAutoscaling,
            "spec.replicas",
            "spec.replicas is set while spec.scale.enabled is true; the API server rejects this. \
             Remove spec.replicas and let the HPA own the count (spec.scale.hpa.minReplicas / maxReplicas)."
                .into(),
        );
    }
    if spec.autoscaling_enabled() {
        let metrics = spec
            .scale
            .as_ref()
            .and_then(|s| s.hpa.as_ref())
            .map(|h| h.metrics.as_slice())
            .unwrap_or_default();
        if metrics.is_empty() {
            push(
                Code::CpuMetricAutoscaling,
                "spec.scale.hpa.metrics",
                "autoscaling has no metrics, so the HPA defaults to CPU utilisation, which never tracks \
                 inference load. Scale on GPU utilisation (DCGM_FI_DEV_GPU_UTIL) or NIM queue/latency metrics."
                    .into(),
            );
        } else if metrics.iter().any(cpu_metric) {
            push(
                Code::CpuMetricAutoscaling,
                "spec.scale.hpa.metrics",
                "the HPA scales on CPU, which never tracks inference load (a saturated GPU pod can sit at \
                 12% CPU). Replace it with GPU utilisation or NIM queue-depth / time-to-first-token metrics."
                    .into(),
            );
        }
        if spec.nim_cache_name().is_none() {
            push(
                Code::AutoscalingWithoutCache,
                "spec.storage.nimCache",
                "autoscaling without a NIMCache: every scale-out downloads the model again before serving. \
                 Create a NIMCache on a PVC and reference it in spec.storage.nimCache.name."
                    .into(),
            );
        }
    }
    if let Some(storage) = &spec.storage {
        let count = storage.source_count();
        if count != 1 {
            push(
                Code::InvalidStorage,
                "spec.storage",
                format!(
                    "{count} model-store sources are set; set exactly one of nimCache, pvc, emptyDir, hostPath."
                ),
            );
        }
        if let Some(pvc) = storage.pvc.as_ref().filter(|p| !p.is_empty())
            && !pvc.creates()
            && pvc.name.as_deref().is_none_or(str::is_empty)
            && spec.nim_cache_name().is_none()
        {
            push(
                Code::InvalidStorage,
                "spec.storage.pvc.name",
                "spec.storage.pvc neither creates a PVC (create: true) nor names an existing one; set pvc.name \
                 or pvc.create with size and volumeAccessMode."
                    .into(),
            );
        }
        let has_pvc = storage.pvc.as_ref().is_some_and(|p| !p.is_empty());
        if spec.nim_cache_name().is_none() && !has_pvc && (spec.autoscaling_enabled() || max > 1) {
            let field = if storage.empty_dir.is_some() {
                Some("spec.storage.emptyDir")
            } else if storage.host_path.as_deref().is_some_and(|p| !p.is_empty()) {
                Some("spec.storage.hostPath")
            } else {
                None
            };
            if let Some(field) = field {
                push(
                    Code::EphemeralModelStore,
                    field,
                    "the model store is emptyDir/hostPath while the service scales or runs several replicas: \
                     every new or restarted pod re-downloads the model (hostPath also ties pods to one node). \
                     Use a NIMCache on a PVC."
                        .into(),
                );
            }
        }
        let replica_pods = u64::from(max) * u64::from(pods.max(1));
        if replica_pods > 1 {
            let own = storage
                .pvc
                .as_ref()
                .filter(|_| spec.nim_cache_name().is_none())
                .and_then(|p| p.volume_access_mode.as_deref())
                .map(|m| (m, "spec.storage.pvc.volumeAccessMode"));
            let cached = cache
                .and_then(|c| c.spec.storage.pvc.as_ref())
                .and_then(|p| p.volume_access_mode.as_deref())
                .map(|m| (m, "spec.storage.nimCache.name"));
            if let Some((mode, field)) = own.or(cached)
                && (mode == "ReadWriteOnce" || mode == "ReadWriteOncePod")
            {
                push(
                    Code::ReadWriteOnceSharedAcrossNodes,
                    field,
                    format!(
                        "the model-store PVC is {mode} but up to {replica_pods} pods mount it; pods on other nodes \
                         cannot attach it. Use ReadWriteMany (e.g. vSAN file services) or ReadOnlyMany."
                    ),
                );
            }
        }
    }
    if spec
        .expose
        .as_ref()
        .and_then(|e| e.ingress.as_ref())
        .is_some_and(|i| i.is_enabled())
    {
        push(
            Code::DeprecatedIngress,
            "spec.expose.ingress",
            "spec.expose.ingress is deprecated; move it to spec.expose.router.ingress or use \
             spec.expose.router.gateway (Gateway API)."
                .into(),
        );
    }
    if !spec.image.is_pinned() {
        push(
            Code::UnpinnedImage,
            "spec.image.tag",
            format!(
                "image tag {:?} is not pinned; pin an explicit version (e.g. 1.8.0) or a digest so rollouts are reproducible.",
                spec.image.tag
            ),
        );
    }
}

/// A node's verdict on one pod of a service before nodeSelector, readiness and taints: the
/// inventory warnings, or why its shape cannot serve the pod.
type ShapeVerdict = Result<Vec<Reason>, Rejection>;

/// The shape checks of one pod on `node`: the multi-GPU topology rule, the profile GPU match and
/// the memory lower bound. They read only what [`same_shape`] compares, so [`place`] works them
/// out once per shape and service, not once per node.
fn shape_verdict(
    node: &NodeInventory,
    gpus_per_pod: u32,
    profiles: &[Profile],
    min_mem: Option<u64>,
) -> ShapeVerdict {
    let warnings = can_serve_multi_gpu_replica(node, gpus_per_pod).map_err(Rejection::Inventory)?;
    if !profiles.is_empty() {
        let unlabelled;
        let product = match &node.product {
            Some(p) => p,
            None => {
                unlabelled = ProductInfo::parse("");
                &unlabelled
            }
        };
        if !profiles.iter().any(|p| p.runs_on(product)) {
            return Err(Rejection::ProfileGpuMismatch {
                profiles: profiles.iter().map(|p| p.id.clone()).collect(),
                product: product.raw.clone(),
            });
        }
    }
    if let (Some(required), Some(usable)) = (min_mem, usable_gpu_memory_mib(node))
        && usable < required
    {
        return Err(Rejection::InsufficientMemory {
            required_mib: required,
            usable_mib: usable,
        });
    }
    Ok(warnings)
}

/// Position (in `spec.nodeSelector` order) of the first selector entry `node` does not match.
fn selector_mismatch(node: &NodeInventory, svc: &NIMService) -> Option<usize> {
    svc.spec
        .node_selector
        .iter()
        .position(|(k, v)| node.labels.get(k) != Some(v))
}

/// The [`Rejection`] for the selector entry at `pos` (see [`selector_mismatch`]).
fn selector_rejection(svc: &NIMService, pos: usize) -> Option<Rejection> {
    svc.spec
        .node_selector
        .iter()
        .nth(pos)
        .map(|(k, v)| Rejection::NodeSelector {
            key: k.clone(),
            value: v.clone(),
        })
}

/// Whether two nodes agree on every field [`shape_verdict`] reads (through
/// [`can_serve_multi_gpu_replica`], [`usable_gpu_memory_mib`] and [`Profile::runs_on`]), plus
/// the vGPU flag the rejection codes use.
fn same_shape(a: &NodeInventory, b: &NodeInventory) -> bool {
    a.product == b.product
        && a.allocatable_gpus == b.allocatable_gpus
        && a.sharing_strategy == b.sharing_strategy
        && a.mig_resources == b.mig_resources
        && a.vgpu == b.vgpu
        && a.nvlink == b.nvlink
        && a.gpu_memory_mib == b.gpu_memory_mib
}

/// The GPU nodes of one plan, indexed once: the per-service loops then work on positions
/// (nodes in name order), not on node-name strings.
struct GpuNodes<'a> {
    /// GPU nodes in name order.
    nodes: Vec<&'a NodeInventory>,
    /// Node name → position in `nodes`.
    index: BTreeMap<&'a str, usize>,
    /// Distinct pool names ([`GpuPool::pool_name`]), sorted.
    pool_names: Vec<String>,
    /// Pool of each node, as a position in `pool_names`.
    pool: Vec<usize>,
    /// One representative node per distinct shape ([`same_shape`]).
    shapes: Vec<&'a NodeInventory>,
    /// Shape of each node, as a position in `shapes`.
    shape: Vec<usize>,
}

impl<'a> GpuNodes<'a> {
    fn new(inventory: &'a ClusterInventory) -> Self {
        let nodes: Vec<&NodeInventory> = inventory.gpu_nodes().collect();
        let index = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.as_str(), i))
            .collect();
        // Same grouping as `ClusterInventory::pools`, without building the pools; each distinct
        // (product, GPUs per node, vGPU) is named once.
        let keys: Vec<(Option<&str>, u64, bool)> = nodes
            .iter()
            .map(|n| {
                let product = n.product.as_ref().map(|p| p.raw.as_str());
                (product, n.gpus_per_node(), n.vgpu)
            })
            .collect();
        let mut names: BTreeMap<(Option<&str>, u64, bool), String> = BTreeMap::new();
        for &(product, gpus, vgpu) in &keys {
            names
                .entry((product, gpus, vgpu))
                .or_insert_with(|| GpuPool::pool_name(product, gpus, vgpu));
        }
        let mut pool_names: Vec<String> = names.values().cloned().collect();
        pool_names.sort_unstable();
        pool_names.dedup();
        let pool = keys
            .iter()
            .map(|k| pool_names.binary_search(&names[k]).unwrap_or(0))
            .collect();
        // Bucket by product label first so the exact comparison only runs within a bucket.
        let mut buckets: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
        let mut shapes: Vec<&NodeInventory> = Vec::new();
        let mut shape = Vec::with_capacity(nodes.len());
        for n in &nodes {
            let bucket = buckets
                .entry(n.product.as_ref().map(|p| p.raw.as_str()))
                .or_default();
            let id = match bucket.iter().find(|&&s| same_shape(shapes[s], n)) {
                Some(&s) => s,
                None => {
                    shapes.push(n);
                    bucket.push(shapes.len() - 1);
                    shapes.len() - 1
                }
            };
            shape.push(id);
        }
        Self {
            nodes,
            index,
            pool_names,
            pool,
            shapes,
            shape,
        }
    }
}

/// Why a node of a pool was rejected, kept as positions so each distinct reason is built once.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum RejectedBy {
    /// The shape verdict of this shape.
    Shape(usize),
    /// The `spec.nodeSelector` entry at this position.
    Selector(usize),
}

fn node_runtime_rejection(node: &NodeInventory, svc: &NIMService) -> Option<Rejection> {
    if !node.ready {
        return Some(Rejection::Inventory(Reason::NodeNotReady));
    }
    if node.unschedulable {
        return Some(Rejection::Inventory(Reason::NodeUnschedulable));
    }
    node.untolerated_taints(&svc.spec.tolerations)
        .first()
        .map(|t| {
            Rejection::Inventory(Reason::UntoleratedTaint {
                key: t.key.clone(),
                value: t.value.clone().unwrap_or_default(),
                effect: t.effect.clone(),
            })
        })
}

/// Free GPUs per GPU node, by position in [`GpuNodes::nodes`].
type Free = Vec<u64>;
/// GPUs a service's own pods hold, per node position.
type Own = BTreeMap<usize, u64>;

/// GPUs `service` may use on `node`: the free ones plus those its own pods hold there.
fn avail(node: usize, free: &Free, own: &Own) -> u64 {
    let f = free.get(node).copied().unwrap_or(0);
    f.saturating_add(own.get(&node).copied().unwrap_or(0))
}

/// Takes `need` GPUs on `node`, from the service's own share first.
fn take(node: usize, need: u64, free: &mut Free, own: &mut Own) {
    let mut rest = need;
    if let Some(o) = own.get_mut(&node) {
        let t = (*o).min(rest);
        *o -= t;
        rest -= t;
    }
    if let Some(f) = free.get_mut(node) {
        *f = f.saturating_sub(rest);
    }
}

/// Places one replica (all pods or none) first-fit on `free` plus the service's `own` share;
/// returns the nodes used.
fn place_replica(req: &Request, free: &mut Free, own: &mut Own) -> Option<Vec<usize>> {
    let need = u64::from(req.gpus_per_pod);
    let mut taken: BTreeMap<usize, u64> = BTreeMap::new();
    let mut used = Vec::new();
    for _ in 0..req.pods {
        let node = req.nodes.iter().copied().find(|&n| {
            let a = avail(n, free, own);
            a.saturating_sub(taken.get(&n).copied().unwrap_or(0)) >= need
        })?;
        *taken.entry(node).or_insert(0) += need;
        used.push(node);
    }
    for (n, g) in taken {
        take(n, g, free, own);
    }
    Some(used)
}

/// One first-fit-decreasing phase over `services` (in that order): up to the minimum replicas
/// (`phase_min`), else up to the maximum for services whose minimum fits. GPU-less services are
/// "placed" in full by the minimum phase.
fn ffd_phase(
    phase_min: bool,
    services: &[usize],
    requests: &[Request],
    placements: &mut [Placement],
    gpu: &GpuNodes,
    free: &mut Free,
    own: &mut [Own],
) {
    for &i in services {
        let req = &requests[i];
        let p = &mut placements[i];
        if req.gpus_per_pod == 0 {
            if phase_min {
                p.replicas_at_min = req.min;
                p.replicas_placed = req.max;
            }
            continue;
        }
        let target = if phase_min { req.min } else { req.max };
        if !phase_min && !p.fits_min() {
            continue;
        }
        while p.replicas_placed < target {
            match place_replica(req, free, &mut own[i]) {
                Some(used) => {
                    for n in used {
                        *p.nodes.entry(gpu.nodes[n].name.clone()).or_insert(0) += 1;
                    }
                    p.replicas_placed += 1;
                    if phase_min {
                        p.replicas_at_min += 1;
                    }
                }
                None => break,
            }
        }
    }
}

/// Whether the minimum pods of one service fit its candidate nodes when it is alone: pods are
/// identical, so Σ ⌊available / GPUs per pod⌋ over the nodes decides.
fn fits_alone(req: &Request, free: &Free, own: &Own) -> bool {
    let need = u64::from(req.gpus_per_pod).max(1);
    let room = req
        .nodes
        .iter()
        .map(|&n| avail(n, free, own) / need)
        .fold(0u64, u64::saturating_add);
    room >= u64::from(req.min).saturating_mul(u64::from(req.pods))
}

/// State of the exact minimum-phase search; nodes and services are indices into the search's
/// own node list and service set.
struct Search {
    /// Free GPUs per node.
    free: Vec<u64>,
    /// Own-pod GPUs per service per node.
    own: Vec<Vec<u64>>,
    /// Candidate nodes per service, in preference order.
    cand: Vec<Vec<usize>>,
    /// GPUs per pod per service.
    need: Vec<u64>,
    /// Pods still to place per service.
    left: Vec<u64>,
    /// The service of each pod to place, services in FFD order.
    items: Vec<usize>,
    /// Chosen position in the service's candidate list, per pod.
    choice: Vec<usize>,
    /// Pod-to-node tries so far.
    steps: u64,
}

impl Search {
    fn fits(&self, s: usize, n: usize) -> u64 {
        self.free[n].saturating_add(self.own[s][n])
    }

    /// Upper bound of the pods service `s` can still place (ignoring the other services).
    fn room(&self, s: usize) -> u64 {
        self.cand[s]
            .iter()
            .map(|&n| self.fits(s, n) / self.need[s])
            .fold(0u64, u64::saturating_add)
    }

    /// Depth-first over pods; `None` when the step budget runs out. The pods of one service are
    /// interchangeable, so they take candidate positions in non-decreasing order.
    fn dfs(&mut self, k: usize) -> Option<bool> {
        let Some(&s) = self.items.get(k) else {
            return Some(true);
        };
        if (0..self.left.len()).any(|t| self.left[t] > 0 && self.room(t) < self.left[t]) {
            return Some(false);
        }
        let start = match k.checked_sub(1) {
            Some(prev) if self.items[prev] == s => self.choice[prev],
            _ => 0,
        };
        let need = self.need[s];
        for pos in start..self.cand[s].len() {
            let n = self.cand[s][pos];
            if self.fits(s, n) < need {
                continue;
            }
            self.steps += 1;
            if self.steps > EXACT_SEARCH_MAX_STEPS {
                return None;
            }
            let from_own = self.own[s][n].min(need);
            self.own[s][n] -= from_own;
            self.free[n] -= need - from_own;
            self.left[s] -= 1;
            self.choice[k] = pos;
            match self.dfs(k + 1) {
                Some(false) => {}
                done => return done,
            }
            self.own[s][n] += from_own;
            self.free[n] += need - from_own;
            self.left[s] += 1;
        }
        Some(false)
    }
}

/// Exact minimum phase for the services in `set` (FFD order): the nodes of every pod of their
/// minimum replicas, per service, or `None` when no packing exists, the instance exceeds
/// [`EXACT_SEARCH_MAX_NODES`] / [`EXACT_SEARCH_MAX_PODS`], or the search exceeds
/// [`EXACT_SEARCH_MAX_STEPS`].
fn exact_min(
    set: &[usize],
    requests: &[Request],
    free: &Free,
    own: &[Own],
) -> Option<Vec<Vec<usize>>> {
    let mut names: Vec<usize> = set
        .iter()
        .flat_map(|&i| requests[i].nodes.iter().copied())
        .collect();
    names.sort_unstable();
    names.dedup();
    let pods: Vec<u64> = set
        .iter()
        .map(|&i| u64::from(requests[i].min).saturating_mul(u64::from(requests[i].pods)))
        .collect();
    let total = pods.iter().copied().fold(0u64, u64::saturating_add);
    if names.len() > EXACT_SEARCH_MAX_NODES || total > EXACT_SEARCH_MAX_PODS {
        return None;
    }
    let index = |n: &usize| names.binary_search(n).ok();
    let mut search = Search {
        free: names
            .iter()
            .map(|&n| free.get(n).copied().unwrap_or(0))
            .collect(),
        own: set
            .iter()
            .map(|&i| {
                names
                    .iter()
                    .map(|n| own[i].get(n).copied().unwrap_or(0))
                    .collect()
            })
            .collect(),
        cand: set
            .iter()
            .map(|&i| requests[i].nodes.iter().filter_map(index).collect())
            .collect(),
        need: set
            .iter()
            .map(|&i| u64::from(requests[i].gpus_per_pod).max(1))
            .collect(),
        left: pods.clone(),
        items: pods
            .iter()
            .enumerate()
            .flat_map(|(s, &k)| std::iter::repeat_n(s, usize::try_from(k).unwrap_or(0)))
            .collect(),
        choice: Vec::new(),
        steps: 0,
    };
    search.choice = vec![0; search.items.len()];
    if search.dfs(0) != Some(true) {
        return None;
    }
    let mut out = vec![Vec::new(); set.len()];
    for (k, &s) in search.items.iter().enumerate() {
        let n = search.cand[s][search.choice[k]];
        out[s].push(names[n]);
    }
    Some(out)
}

/// Whose own pod this is: `(namespace, service name)` for a pod labelled as a NIMService's
/// serving pod (see [`is_own_pod`]).
fn own_pod_key(pod: &Pod) -> Option<(String, String)> {
    let labels = pod.metadata.labels.as_ref()?;
    let name = labels.get(NAME_LABEL)?;
    if labels.get(MANAGED_BY_LABEL).map(String::as_str) != Some(MANAGED_BY)
        || labels.get(APP_LABEL).is_some_and(|a| a != name)
    {
        return None;
    }
    let ns = pod
        .metadata
        .namespace
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
    Some((ns, name.clone()))
}

/// Whether `pod` is one of `svc`'s own serving pods, whose GPUs [`place`] counts as the
/// service's capacity: in the service's namespace (`default` when unset), labelled
/// `app.kubernetes.io/name=<service>` and `app.kubernetes.io/managed-by=k8s-nim-operator` as the
/// rendered Deployment's pod template is, with an `app` label (when present) equal to the service
/// name, which leaves out the pods of a NIMCache of the same name (`app: k8s-nim-operator`).
///
/// ```
/// use k8s_openapi::api::core::v1::Pod;
/// use nim_planner::placement::is_own_pod;
/// use nim_types::NIMService;
/// use serde_json::json;
///
/// let svc: NIMService = serde_json::from_value(json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
///     "metadata": {"name": "llm", "namespace": "nim"},
///     "spec": {"image": {"repository": "r", "tag": "1"}}}))?;
/// let pod = |app: &str| -> Result<Pod, serde_json::Error> {
///     serde_json::from_value(json!({"metadata": {"name": "llm-5d8f7c9b6-x2x7q", "namespace": "nim",
///         "labels": {"app": app, "app.kubernetes.io/name": "llm",
///                    "app.kubernetes.io/managed-by": "k8s-nim-operator"}}}))
/// };
/// assert!(is_own_pod(&svc, &pod("llm")?));
/// // The caching Job's pod of a NIMCache also called `llm`.
/// assert!(!is_own_pod(&svc, &pod("k8s-nim-operator")?));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn is_own_pod(svc: &NIMService, pod: &Pod) -> bool {
    let ns = svc
        .metadata
        .namespace
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
    let name = svc.metadata.name.clone().unwrap_or_default();
    own_pod_key(pod) == Some((ns, name))
}

/// GPUs of the services' own running pods: `(namespace, service)` → node → `nvidia.com/gpu`.
fn own_pod_gpus(snapshot: &ClusterSnapshot) -> BTreeMap<(String, String), BTreeMap<String, u64>> {
    let mut out: BTreeMap<(String, String), BTreeMap<String, u64>> = BTreeMap::new();
    for pod in snapshot.pods.iter() {
        let terminated = matches!(
            pod.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        );
        let node = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .filter(|n| !n.is_empty());
        let (Some(key), Some(node), false) = (own_pod_key(pod), node, terminated) else {
            continue;
        };
        let gpus = pod_effective_request(pod, RESOURCE_GPU).unwrap_or(0);
        if gpus > 0 {
            let slot = out.entry(key).or_default().entry(node).or_insert(0);
            *slot = slot.saturating_add(gpus);
        }
    }
    out
}

/// Extra GPUs per candidate node a service may use because its own pods hold them:
/// `allocatable − (allocated − own) − free`, so an over-allocated node never yields more than it
/// has.
fn own_capacity(
    pods: Option<&BTreeMap<String, u64>>,
    inventory: &ClusterInventory,
    gpu: &GpuNodes,
    nodes: &[usize],
    free: &Free,
) -> Own {
    let Some(pods) = pods else {
        return Own::new();
    };
    nodes
        .iter()
        .filter_map(|&i| {
            let node = gpu.nodes[i];
            let mine = *pods.get(&node.name)?;
            let others = inventory.allocated_gpus(&node.name).saturating_sub(mine);
            let extra = node
                .allocatable_gpus
                .saturating_sub(others)
                .saturating_sub(free.get(i).copied().unwrap_or(0));
            (extra > 0).then_some((i, extra))
        })
        .collect()
}

/// What one pod of a service needs from a node's shape.
struct ShapeNeed<'a> {
    gpus_per_pod: u32,
    profiles: &'a [Profile],
    min_mem: Option<u64>,
}

/// The node-by-node half of [`eligibility`]. It depends only on which shapes pass, the
/// `spec.nodeSelector` and the tolerations ([`ScanKey`]), so services that agree on those share
/// one scan instead of each walking every node.
struct NodeScan {
    /// Per pool: whether some node of it is eligible.
    eligible: Vec<bool>,
    /// Per pool: whether its last rejected node is a vGPU guest (`None`: no node rejected).
    rejected_vgpu: Vec<Option<bool>>,
    /// (pool, shape) pairs with an eligible node.
    eligible_shapes: BTreeSet<(usize, usize)>,
    /// (pool, reason) pairs of rejected nodes.
    rejections: BTreeSet<(usize, RejectedBy)>,
    /// Eligible nodes, in name order.
    eligible_nodes: NodeNames,
    /// Eligible nodes that cannot take pods now.
    unavailable_nodes: NodeRejections,
    /// Eligible and available nodes, as positions in [`GpuNodes::nodes`].
    candidates: Rc<[usize]>,
}

/// What a [`NodeScan`] depends on.
#[derive(PartialEq)]
struct ScanKey<'s> {
    /// Per shape: whether its verdict is `Ok`.
    shape_ok: Vec<bool>,
    node_selector: &'s BTreeMap<String, String>,
    tolerations: &'s [Toleration],
}

fn scan_nodes(gpu: &GpuNodes, key: &ScanKey, svc: &NIMService) -> NodeScan {
    let pools = gpu.pool_names.len();
    let mut scan = NodeScan {
        eligible: vec![false; pools],
        rejected_vgpu: vec![None; pools],
        eligible_shapes: BTreeSet::new(),
        rejections: BTreeSet::new(),
        eligible_nodes: NodeNames::default(),
        unavailable_nodes: NodeRejections::default(),
        candidates: Rc::from([]),
    };
    let mut eligible_nodes = Vec::new();
    let mut unavailable_nodes = BTreeMap::new();
    let mut candidates = Vec::new();
    for (i, node) in gpu.nodes.iter().enumerate() {
        let (pool, shape) = (gpu.pool[i], gpu.shape[i]);
        let rejected_by = if key.shape_ok[shape] {
            selector_mismatch(node, svc).map(RejectedBy::Selector)
        } else {
            Some(RejectedBy::Shape(shape))
        };
        if let Some(why) = rejected_by {
            scan.rejections.insert((pool, why));
            scan.rejected_vgpu[pool] = Some(node.vgpu);
            continue;
        }
        scan.eligible[pool] = true;
        scan.eligible_shapes.insert((pool, shape));
        eligible_nodes.push(node.name.clone());
        match node_runtime_rejection(node, svc) {
            Some(r) => {
                unavailable_nodes.insert(node.name.clone(), r);
            }
            None => candidates.push(i),
        }
    }
    scan.eligible_nodes = eligible_nodes.into();
    scan.unavailable_nodes = unavailable_nodes.into();
    scan.candidates = candidates.into();
    scan
}

/// Step 4 of the module docs for one GPU service: fills `placement`'s eligible/rejected pools,
/// pool warnings, eligible and unavailable nodes and allowed products, and returns the
/// candidate nodes (eligible and available, in name order) plus, per rejected pool, whether its
/// (last rejected) node is a vGPU guest. `scans` keeps the node scans of earlier services.
fn eligibility<'g, 's>(
    svc: &'s NIMService,
    gpu: &'g GpuNodes,
    need: &ShapeNeed,
    placement: &mut Placement,
    scans: &mut Vec<(ScanKey<'s>, NodeScan)>,
) -> (Rc<[usize]>, BTreeMap<&'g str, bool>) {
    // Most clusters have a handful of shapes: one verdict each, not one per node.
    let verdicts: Vec<ShapeVerdict> = gpu
        .shapes
        .iter()
        .map(|s| shape_verdict(s, need.gpus_per_pod, need.profiles, need.min_mem))
        .collect();
    let key = ScanKey {
        shape_ok: verdicts.iter().map(Result::is_ok).collect(),
        node_selector: &svc.spec.node_selector,
        tolerations: &svc.spec.tolerations,
    };
    let pos = match scans.iter().position(|(k, _)| *k == key) {
        Some(pos) => pos,
        None => {
            let scan = scan_nodes(gpu, &key, svc);
            scans.push((key, scan));
            scans.len() - 1
        }
    };
    let scan = &scans[pos].1;

    let mut warnings: BTreeMap<usize, BTreeSet<Reason>> = BTreeMap::new();
    let mut products: BTreeSet<&str> = BTreeSet::new();
    for &(pool, shape) in &scan.eligible_shapes {
        if let Ok(w) = &verdicts[shape] {
            warnings.entry(pool).or_default().extend(w.iter().cloned());
        }
        if let Some(p) = &gpu.shapes[shape].product {
            products.insert(&p.raw);
        }
    }
    let mut rejected: BTreeMap<usize, BTreeSet<Rejection>> = BTreeMap::new();
    for &(pool, why) in scan
        .rejections
        .iter()
        .filter(|(pool, _)| !scan.eligible[*pool])
    {
        let r = match why {
            RejectedBy::Shape(shape) => verdicts[shape].clone().err(),
            RejectedBy::Selector(pos) => selector_rejection(svc, pos),
        };
        rejected.entry(pool).or_default().extend(r);
    }
    let name = |pool: usize| gpu.pool_names[pool].clone();
    placement.eligible_pools = (0..scan.eligible.len())
        .filter(|&p| scan.eligible[p])
        .map(name)
        .collect();
    placement.eligible_nodes = scan.eligible_nodes.clone();
    placement.unavailable_nodes = scan.unavailable_nodes.clone();
    placement.allowed_products = products.into_iter().map(str::to_owned).collect();
    placement.pool_warnings = warnings
        .into_iter()
        .filter(|(_, w)| !w.is_empty())
        .map(|(p, w)| (name(p), w.into_iter().collect()))
        .collect();
    placement.rejected_pools = rejected
        .into_iter()
        .map(|(p, r)| (name(p), r.into_iter().collect()))
        .collect();
    let rejected_vgpu = scan
        .rejected_vgpu
        .iter()
        .enumerate()
        .filter_map(|(p, v)| Some((gpu.pool_names[p].as_str(), (*v)?)))
        .collect();
    (scan.candidates.clone(), rejected_vgpu)
}

/// Simulates placing `services` on `snapshot`'s free GPU capacity (never mutating it) and
/// returns one [`Placement`] per service (sorted by namespace/name) plus sorted
/// [`Diagnostic`]s. See the module docs for the rules.
///
/// ```
/// use nim_planner::placement::place;
/// use nim_planner::snapshot::ClusterSnapshot;
/// let (placements, diagnostics) = place(&[], &ClusterSnapshot::default());
/// assert!(placements.is_empty() && diagnostics.is_empty());
/// ```
pub fn place(
    services: &[NIMService],
    snapshot: &ClusterSnapshot,
) -> (Vec<Placement>, Vec<Diagnostic>) {
    let mut order: Vec<&NIMService> = services.iter().collect();
    order.sort_by_key(|s| svc_ref(s));
    let mut diagnostics = Vec::new();
    let inventory = &snapshot.inventory;
    let gpu = GpuNodes::new(inventory);
    // The operator's "discovered GPUs" for profile selection: the same for every service.
    let products = std::cell::OnceCell::new();
    let mut placements: Vec<Placement> = Vec::with_capacity(order.len());
    let mut requests: Vec<Request> = Vec::with_capacity(order.len());
    let mut scans = Vec::new();

    let stack_problem: Option<String> = match &snapshot.cluster_policy {
        Some(cp) if !cp.state.is_ready() => Some(format!(
            "GPU Operator ClusterPolicy {} is {:?}{}; the GPU inventory is not trustworthy. Fix the GPU \
             Operator (driver, device plugin) before serving.",
            cp.name,
            cp.state,
            cp.error_reason
                .as_deref()
                .map(|r| format!(" (Error: {r})"))
                .unwrap_or_default()
        )),
        _ if !snapshot.any_gpu_present_label() => Some(
            "no node carries nvidia.com/gpu.present=true: the GPU Operator / GPU Feature Discovery is not \
             running or no GPU node has joined. Install the GPU Operator (vGPU guest driver on VKS)."
                .into(),
        ),
        _ => None,
    };

    for svc in &order {
        let obj = svc_ref(svc);
        let spec = &svc.spec;
        let (min, max) = spec.replica_range();
        let (min, max) = (to_u32(min), to_u32(max));
        let pods = spec
            .multi_node
            .as_ref()
            .map_or(1, |m| m.parallelism.pods_per_group().max(1));

        let ns = obj.namespace.clone();
        let cache = spec
            .nim_cache_name()
            .and_then(|c| snapshot.nim_cache(&ns, c));
        if let Some(name) = spec.nim_cache_name()
            && cache.is_none()
        {
            diagnostics.push(Diagnostic::new(
                Code::NimCacheNotFound,
                obj.clone(),
                "spec.storage.nimCache.name",
                format!(
                    "NIMCache {ns}/{name} does not exist; create it (the service stays Failed/NIMCacheNotFound until then) \
                     or fix the name."
                ),
            ));
        }
        sharp_edges(svc, &obj, cache, max, pods, &mut diagnostics);

        let explicit = spec.gpus_per_pod();
        let res = resolve_profiles(svc, cache, snapshot, &products, explicit);
        if let Some(p) = &res.missing_explicit {
            diagnostics.push(Diagnostic::new(
                Code::NoCompatibleProfile,
                obj.clone(),
                "spec.storage.nimCache.profile",
                format!(
                    "profile {p:?} is not in the NIMCache manifest or cached profiles; pick one the cache holds."
                ),
            ));
        }
        if let Some((gpus, ids)) = &res.no_tp_match {
            diagnostics.push(Diagnostic::new(
                Code::NoCompatibleProfile,
                obj.clone(),
                "spec.resources",
                format!(
                    "the pods get {gpus} GPU(s) but no candidate profile of the NIMCache ({}) has tp={gpus}; \
                     request the GPUs a cached profile needs or cache a tp={gpus} profile.",
                    ids.join(", ")
                ),
            ));
        }
        let (gpus_per_pod, source) = match (spec.requested_gpus(), spec.multi_node.as_ref()) {
            (Some(g), _) => (g, GpuSource::Explicit),
            (None, Some(m)) if m.parallelism.tensor.is_some() => {
                (m.parallelism.gpus_per_pod(), GpuSource::MultiNode)
            }
            _ => match (spec.nim_cache_profile(), res.profiles.as_slice()) {
                (Some(_), [p]) => (p.tp(), GpuSource::Profile),
                // No explicit profile: when every candidate profile of the cache needs the same
                // GPUs per pod, size the pods from it. NVIDIA's operator would leave the pod
                // without any GPU here.
                (None, [first, rest @ ..])
                    if first.tp() > 0
                        && first.pp() == pods
                        && rest
                            .iter()
                            .all(|p| p.tp() == first.tp() && p.pp() == first.pp()) =>
                {
                    (first.tp(), GpuSource::Profile)
                }
                _ => (0, GpuSource::Unspecified),
            },
        };
        if source == GpuSource::Unspecified && !spec.is_kserve() && spec.dra_resources.is_empty() {
            diagnostics.push(Diagnostic::new(
                Code::GpuCountUnspecified,
                obj.clone(),
                "spec.resources.limits",
                "nothing says how many GPUs a pod needs (no nvidia.com/gpu, no multiNode tensor \
                 parallelism, no explicit or unambiguous NIMCache profile), so the pods get no GPU; \
                 set resources.limits[nvidia.com/gpu] or spec.storage.nimCache.profile."
                    .to_string(),
            ));
        }

        if let (Some(_), [p]) = (spec.nim_cache_profile(), res.profiles.as_slice())
            && source != GpuSource::Profile
            && (gpus_per_pod != p.tp() || pods != p.pp())
        {
            let field = if source == GpuSource::Explicit {
                "spec.resources"
            } else {
                "spec.multiNode.parallelism"
            };
            diagnostics.push(Diagnostic::new(
                Code::NoCompatibleProfile,
                obj.clone(),
                field,
                format!(
                    "profile {} needs tp={} pp={} but the pods get {gpus_per_pod} GPU(s) in groups of {pods}; \
                     drop the explicit GPU count (NVIDIA's operator then sizes it from the profile) or pick a \
                     matching profile.",
                    p.id,
                    p.tp(),
                    p.pp()
                ),
            ));
        }

        // Memory lower bound: only when exactly one profile applies and the model size is known.
        let min_mem = match res.profiles.as_slice() {
            [p] if gpus_per_pod > 0 => {
                let model = p
                    .model
                    .clone()
                    .unwrap_or_else(|| spec.image.repository.clone());
                match (
                    model_params_millions(&model),
                    p.precision().and_then(quarter_bytes_per_param),
                ) {
                    (Some(params), Some(qb)) => min_gpu_memory_mib(params, qb, p.gpus()),
                    _ => None,
                }
            }
            _ => None,
        };

        let mut placement = Placement {
            service: obj.clone(),
            gpus_per_pod,
            pods_per_replica: pods,
            gpu_source: Some(source),
            profiles: res.profiles.iter().map(|p| p.id.clone()).collect(),
            min_gpu_memory_mib: min_mem,
            min_replicas: min,
            max_replicas: max,
            ..Default::default()
        };
        let mut candidate_nodes = Rc::from([]);
        if gpus_per_pod > 0 {
            if let Some(msg) = &stack_problem {
                diagnostics.push(Diagnostic::new(
                    Code::GpuStackNotReady,
                    obj.clone(),
                    "",
                    msg.clone(),
                ));
            }
            let shape = ShapeNeed {
                gpus_per_pod,
                profiles: &res.profiles,
                min_mem,
            };
            let (nodes, rejected_vgpu) = eligibility(svc, &gpu, &shape, &mut placement, &mut scans);
            candidate_nodes = nodes;
            if placement.eligible_pools.is_empty() {
                let mut by_code: BTreeMap<Code, Vec<String>> = BTreeMap::new();
                for (pool, reasons) in &placement.rejected_pools {
                    let vgpu = rejected_vgpu.get(pool.as_str()).copied().unwrap_or(false);
                    for r in reasons {
                        if let Some(code) = r.code(vgpu) {
                            by_code
                                .entry(code)
                                .or_default()
                                .push(format!("{pool}: {r}"));
                        }
                    }
                }
                for (code, lines) in by_code {
                    let advice = match code {
                        Code::VgpuMultiGpuUnsupported => {
                            "On vGPU a multi-GPU replica needs full-framebuffer C-series vGPUs on NVLink boards \
                             (e.g. H100XM-80C, H200X-141C, A100 80C); L40S and MIG-backed vGPUs cannot serve it. \
                             Use such a VM class, a single-GPU (tp=1) profile, or passthrough."
                        }
                        Code::InsufficientGpusPerNode => {
                            "Use a VM class / node pool with more GPUs per node, a smaller tp profile, or multiNode."
                        }
                        Code::InsufficientGpuMemory => {
                            "Use GPUs with more memory, a higher tp, or a lower-precision (fp8/int4) profile."
                        }
                        _ => {
                            "Cache and select a profile built for a GPU the cluster has, or a generic/buildable one."
                        }
                    };
                    diagnostics.push(Diagnostic::new(
                        code,
                        obj.clone(),
                        if code == Code::NoCompatibleProfile {
                            "spec.storage.nimCache.profile"
                        } else {
                            "spec.resources"
                        },
                        format!(
                            "no GPU pool can run a pod needing {gpus_per_pod} GPU(s): {}. {advice}",
                            lines.join("; ")
                        ),
                    ));
                }
            }
        }
        requests.push(Request {
            gpus_per_pod,
            pods,
            min,
            max,
            nodes: candidate_nodes,
        });
        placements.push(placement);
    }

    // First-fit decreasing on a copy of free capacity, plus each service's own pods' GPUs.
    let mut free: Free = gpu
        .nodes
        .iter()
        .map(|n| {
            // `schedulable_free_gpus` without looking the node up by name again.
            if n.is_schedulable() {
                n.allocatable_gpus
                    .saturating_sub(inventory.allocated_gpus(&n.name))
            } else {
                0
            }
        })
        .collect();
    let own_pods = own_pod_gpus(snapshot);
    let own: Vec<Own> = placements
        .iter()
        .zip(&mut requests)
        .map(|(p, req)| {
            if req.gpus_per_pod == 0 {
                return Own::new();
            }
            let key = (p.service.namespace.clone(), p.service.name.clone());
            let own = own_capacity(own_pods.get(&key), inventory, &gpu, &req.nodes, &free);
            // Prefer the nodes the service's pods run on (stable sort: name order within each group).
            if !own.is_empty() {
                let mut nodes = req.nodes.to_vec();
                nodes.sort_by_key(|n| !own.contains_key(n));
                req.nodes = nodes.into();
            }
            own
        })
        .collect();
    let mut ffd: Vec<usize> = (0..placements.len()).collect();
    ffd.sort_by(|&a, &b| {
        placements[b]
            .gpus_per_replica()
            .cmp(&placements[a].gpus_per_replica())
            .then_with(|| placements[a].service.cmp(&placements[b].service))
    });
    let base_free = free.clone();
    let mut own_left = own.clone();
    ffd_phase(
        true,
        &ffd,
        &requests,
        &mut placements,
        &gpu,
        &mut free,
        &mut own_left,
    );

    // First-fit decreasing missed a minimum: on a small instance, search for an exact packing of
    // the minimum replicas of every service that fits on its own.
    let gpu_services: Vec<usize> = ffd
        .iter()
        .copied()
        .filter(|&i| requests[i].gpus_per_pod > 0)
        .collect();
    // The search set is only needed when some minimum was missed (a service with no minimum
    // always fits it), so the common case skips the per-service `fits_alone` sums.
    let missed_min = gpu_services.iter().any(|&i| !placements[i].fits_min());
    let search_set: Vec<usize> = if missed_min {
        gpu_services
            .iter()
            .copied()
            .filter(|&i| requests[i].min > 0 && fits_alone(&requests[i], &base_free, &own[i]))
            .collect()
    } else {
        Vec::new()
    };
    if search_set.iter().any(|&i| !placements[i].fits_min())
        && let Some(solution) = exact_min(&search_set, &requests, &base_free, &own)
    {
        free = base_free;
        own_left = own;
        for &i in &gpu_services {
            let p = &mut placements[i];
            p.nodes.clear();
            p.replicas_at_min = 0;
            p.replicas_placed = 0;
        }
        for (&i, nodes) in search_set.iter().zip(solution) {
            let need = u64::from(requests[i].gpus_per_pod);
            let p = &mut placements[i];
            for n in nodes {
                take(n, need, &mut free, &mut own_left[i]);
                *p.nodes.entry(gpu.nodes[n].name.clone()).or_insert(0) += 1;
            }
            p.replicas_at_min = requests[i].min;
            p.replicas_placed = requests[i].min;
        }
        let rest: Vec<usize> = gpu_services
            .iter()
            .copied()
            .filter(|i| !search_set.contains(i))
            .collect();
        ffd_phase(
            true,
            &rest,
            &requests,
            &mut placements,
            &gpu,
            &mut free,
            &mut own_left,
        );
    }
    ffd_phase(
        false,
        &ffd,
        &requests,
        &mut placements,
        &gpu,
        &mut free,
        &mut own_left,
    );

    for (p, svc) in placements.iter().zip(&order) {
        if p.gpus_per_pod == 0 {
            continue;
        }
        // Without autoscaling the replica count is `spec.replicas`, so that is the field to fix.
        let replicas_field = |hpa_field: &'static str| {
            if svc.spec.autoscaling_enabled() {
                hpa_field
            } else {
                "spec.replicas"
            }
        };
        let obj = p.service.clone();
        if !p.fits_min() {
            diagnostics.push(Diagnostic::new(
                Code::MinReplicasUnschedulable,
                obj.clone(),
                replicas_field("spec.scale.hpa.minReplicas"),
                format!(
                    "only {} of the minimum {} replica(s) ({} GPU(s) each) fit the free GPU capacity{}{}. \
                     Free GPUs, add nodes of an eligible pool, or lower the replica count.",
                    p.replicas_at_min,
                    p.min_replicas,
                    p.gpus_per_replica(),
                    if p.eligible_pools.is_empty() {
                        " (no eligible GPU pool)".to_owned()
                    } else {
                        format!(" of pools {}", p.eligible_pools.join(", "))
                    },
                    unavailable_note(p)
                ),
            ));
        } else if !p.fits_max() {
            diagnostics.push(Diagnostic::new(
                Code::MaxReplicasExceedCapacity,
                obj.clone(),
                replicas_field("spec.scale.hpa.maxReplicas"),
                format!(
                    "only {} of the maximum {} replica(s) fit the free GPU capacity; the HPA will leave the rest \
                     Pending. Lower maxReplicas or add GPU nodes to pools {}.",
                    p.replicas_placed,
                    p.max_replicas,
                    p.eligible_pools.join(", ")
                ),
            ));
        }
        if p.gpus_per_pod > 1 {
            let used_pools: BTreeSet<&str> = p
                .nodes
                .keys()
                .filter_map(|n| gpu.index.get(n.as_str()))
                .map(|&i| gpu.pool_names[gpu.pool[i]].as_str())
                .collect();
            let mut lines = Vec::new();
            for (pool, reasons) in &p.pool_warnings {
                if !used_pools.is_empty() && !used_pools.contains(pool.as_str()) {
                    continue;
                }
                for r in reasons {
                    if matches!(
                        r,
                        Reason::NoNvlink { .. }
                            | Reason::NvlinkUnverified { .. }
                            | Reason::NvlinkBridgeDomainExceeded { .. }
                            | Reason::NvlinkPairingNotGuaranteed
                    ) {
                        lines.push(format!("{pool}: {r}"));
                    }
                }
            }
            if !lines.is_empty() {
                diagnostics.push(Diagnostic::new(
                    Code::NoNvlinkForTensorParallel,
                    obj,
                    "spec.resources",
                    format!(
                        "tensor parallelism over {} GPUs without guaranteed NVLink: {}. Expect lower throughput; \
                         prefer SXM/NVSwitch nodes or a tp=1 profile.",
                        p.gpus_per_pod,
                        lines.join("; ")
                    ),
                ));
            }
        }
    }
    sort_diagnostics(&mut diagnostics);
    (placements, diagnostics)
}

/// ` (N eligible node(s) cannot take pods now: node: reason, …)` when some are unavailable.
fn unavailable_note(p: &Placement) -> String {
    if p.unavailable_nodes.is_empty() {
        return String::new();
    }
    let list: Vec<String> = p
        .unavailable_nodes
        .iter()
        .map(|(node, why)| format!("{node}: {why}"))
        .collect();
    format!(
        " ({} eligible node(s) cannot take pods now: {})",
        list.len(),
        list.join(", ")
    )
}

/// Checks a NIMPipeline's service dependency graph (`spec.services[].dependencies[].name`) for
/// cycles: one [`Code::PipelineDependencyCycle`] error per strongly connected group (or
/// self-dependency), naming the services in name order. Dependencies on services that are not
/// in the pipeline are ignored here.
///
/// ```
/// use nim_planner::diagnostics::Code;
/// use nim_planner::placement::check_pipeline;
/// let pipeline: nim_types::NIMPipeline = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMPipeline",
///     "metadata": {"name": "rag", "namespace": "nim"},
///     "spec": {"services": [
///         {"name": "llm", "dependencies": [{"name": "embed", "port": 8000}]},
///         {"name": "embed", "dependencies": [{"name": "llm", "port": 8000}]},
///         {"name": "rerank"}
///     ]}
/// }))?;
/// let d = check_pipeline(&pipeline);
/// assert_eq!(d.len(), 1);
/// assert_eq!(d[0].code, Code::PipelineDependencyCycle);
/// assert!(d[0].message.contains("embed, llm"));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn check_pipeline(pipeline: &nim_types::NIMPipeline) -> Vec<Diagnostic> {
    use petgraph::graph::{DiGraph, NodeIndex};

    let obj = ObjectRef::new(
        "NIMPipeline",
        pipeline.metadata.namespace.clone().unwrap_or_default(),
        pipeline.metadata.name.clone().unwrap_or_default(),
    );
    let services = &pipeline.spec.services;
    let names: BTreeSet<&str> = services.iter().map(|s| s.name.as_str()).collect();
    let mut graph: DiGraph<&str, ()> = DiGraph::new();
    let index: BTreeMap<&str, NodeIndex> = names.iter().map(|n| (*n, graph.add_node(*n))).collect();
    let mut edges: BTreeSet<(&str, &str)> = BTreeSet::new();
    for s in services {
        for d in &s.dependencies {
            if names.contains(d.name.as_str()) {
                edges.insert((s.name.as_str(), d.name.as_str()));
            }
        }
    }
    for (from, to) in &edges {
        graph.add_edge(index[from], index[to], ());
    }
    let mut out = Vec::new();
    for scc in petgraph::algo::tarjan_scc(&graph) {
        let mut members: Vec<&str> = scc.iter().map(|i| graph[*i]).collect();
        members.sort_unstable();
        let Some(&head) = members.first() else {
            continue;
        };
        if members.len() == 1 && !edges.contains(&(head, head)) {
            continue;
        }
        let first = services
            .iter()
            .position(|s| s.name == head)
            .unwrap_or_default();
        out.push(Diagnostic::new(
            Code::PipelineDependencyCycle,
            obj.clone(),
            format!("spec.services[{first}].dependencies"),
            format!(
                "services {} depend on each other in a cycle, so none can start first; remove one of the \
                 dependencies.",
                members.join(", ")
            ),
        ));
    }
    sort_diagnostics(&mut out);
    out
}
