//! One Kubernetes node as the planner sees it, built from a real
//! [`k8s_openapi::api::core::v1::Node`] (as `kubectl get nodes -o yaml` prints it).
//!
//! Label semantics: `gpu-domain.md` §1.1 (GFD), §1.3 (GPU Operator) and §1.6 (suggested model).
//!
//! ```
//! use k8s_openapi::api::core::v1::Node;
//! use nim_types::inventory::{GpuBoard, NodeInventory};
//!
//! let node: Node = serde_json::from_value(serde_json::json!({
//!     "metadata": {"name": "vks-gpu-0", "labels": {
//!         "nvidia.com/gpu.product": "NVIDIA-H100XM-80C",
//!         "nvidia.com/gpu.count": "4",
//!         "nvidia.com/vgpu.present": "true"
//!     }},
//!     "status": {"allocatable": {"nvidia.com/gpu": "4"}}
//! }))?;
//! let inv = NodeInventory::from_node(&node)?;
//! assert_eq!(inv.board(), GpuBoard::H100Sxm);
//! assert!(inv.vgpu);
//! assert_eq!(inv.allocatable_gpus, 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, Taint, Toleration};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde::Serialize;

use super::error::{InventoryError, InventoryWarning};
use super::labels;
use super::mig::MigStrategy;
use super::product::{Architecture, GpuBoard, NvlinkTopology, ProductInfo};

/// GPU sharing strategy (`nvidia.com/gpu.sharing-strategy`). An absent label means
/// [`SharingStrategy::None`].
///
/// ```
/// use nim_types::inventory::SharingStrategy;
/// assert_eq!(SharingStrategy::parse("time-slicing"), Some(SharingStrategy::TimeSlicing));
/// assert_eq!(SharingStrategy::parse("bogus"), None);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SharingStrategy {
    /// No sharing: one pod per GPU.
    #[default]
    None,
    /// CUDA time-slicing; `nvidia.com/gpu.replicas` pods share one GPU.
    TimeSlicing,
    /// CUDA MPS.
    Mps,
}

impl SharingStrategy {
    /// Parses the label value (case-insensitive).
    ///
    /// ```
    /// use nim_types::inventory::SharingStrategy;
    /// assert_eq!(SharingStrategy::parse("MPS"), Some(SharingStrategy::Mps));
    /// ```
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "none" => Some(Self::None),
            "time-slicing" => Some(Self::TimeSlicing),
            "mps" => Some(Self::Mps),
            _ => None,
        }
    }
}

/// CUDA compute capability (`nvidia.com/gpu.compute.{major,minor}`).
///
/// ```
/// use nim_types::inventory::ComputeCapability;
/// let cc = ComputeCapability { major: 9, minor: 0 };
/// assert_eq!(cc.to_string(), "9.0");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ComputeCapability {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl std::fmt::Display for ComputeCapability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// GPU view of one node. Build it with [`NodeInventory::from_node`].
///
/// Counting conventions:
/// * [`NodeInventory::allocatable_gpus`] is what the scheduler will hand out (`nvidia.com/gpu`
///   from `status.allocatable`, else `status.capacity`, else 0). Under time-slicing without
///   renaming it counts *replicas*; under MIG `single` it counts MIG devices; in a vGPU guest it
///   counts vGPUs (the VM class, which the planner cannot grow, `gpu-domain.md` §2.5 rule 2).
/// * [`NodeInventory::gpu_count`] is GFD's `nvidia.com/gpu.count` label.
///
/// ```
/// use k8s_openapi::api::core::v1::Node;
/// use nim_types::inventory::NodeInventory;
/// let node: Node = serde_json::from_value(serde_json::json!({
///     "metadata": {"name": "cpu-only"}
/// }))?;
/// let inv = NodeInventory::from_node(&node)?;
/// assert!(!inv.has_gpus());
/// assert!(inv.warnings.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeInventory {
    /// `metadata.name`.
    pub name: String,
    /// All labels, for node-affinity matching.
    pub labels: BTreeMap<String, String>,
    /// Parsed `nvidia.com/gpu.product`, if the label is present.
    pub product: Option<ProductInfo>,
    /// `nvidia.com/gpu.count`.
    pub gpu_count: Option<u32>,
    /// `nvidia.com/gpu.memory` (MiB per GPU; per MIG device under MIG `single`; guest-visible
    /// framebuffer under vGPU).
    pub gpu_memory_mib: Option<u64>,
    /// `nvidia.com/gpu.family`.
    pub family: Option<Architecture>,
    /// `nvidia.com/gpu.compute.{major,minor}`.
    pub compute_capability: Option<ComputeCapability>,
    /// `true` when `nvidia.com/vgpu.present=true` *or* the product is a vGPU type name.
    pub vgpu: bool,
    /// `nvidia.com/vgpu.host-driver-version`.
    pub vgpu_host_driver_version: Option<String>,
    /// `nvidia.com/mig.capable`.
    pub mig_capable: Option<bool>,
    /// `nvidia.com/mig.strategy` ([`MigStrategy::None`] when absent or malformed).
    pub mig_strategy: MigStrategy,
    /// `nvidia.com/mig.config` (requested layout).
    pub mig_config: Option<String>,
    /// `nvidia.com/mig.config.state`.
    pub mig_config_state: Option<String>,
    /// Allocatable `nvidia.com/mig-*` resources (`mixed` strategy), keyed by full resource name.
    pub mig_resources: BTreeMap<String, u64>,
    /// `nvidia.com/gpu.sharing-strategy` ([`SharingStrategy::None`] when absent or malformed).
    pub sharing_strategy: SharingStrategy,
    /// `nvidia.com/gpu.replicas` (1 when absent or malformed).
    pub replicas: u32,
    /// Allocatable `nvidia.com/gpu` (falls back to capacity, then 0).
    pub allocatable_gpus: u64,
    /// Allocatable `nvidia.com/gpu.shared` (renamed shared GPUs), falls back to capacity, then 0.
    pub allocatable_shared_gpus: u64,
    /// `Ready` condition is `True`.
    pub ready: bool,
    /// `spec.unschedulable` (cordoned).
    pub unschedulable: bool,
    /// `spec.taints`, kept verbatim for toleration checks.
    pub taints: Vec<Taint>,
    /// GPU Operator `nvidia.com/gpu.present`.
    pub gpu_present: Option<bool>,
    /// GPU Operator `nvidia.com/gpu.workload.config` (`container`, `vm-passthrough`, `vm-vgpu`).
    pub workload_config: Option<String>,
    /// GPU Operator `nvidia.com/gpu.deploy.<operand>` labels, keyed by operand
    /// (`operands`, `driver`, `device-plugin`, ...).
    pub operator_deploy: BTreeMap<String, bool>,
    /// `nvidia.com/gpu.clique` (multi-node NVLink fabrics only).
    pub clique: Option<String>,
    /// `nvidia.com/gpu.machine`.
    pub machine: Option<String>,
    /// `nvidia.com/cuda.driver-version.full`.
    pub driver_version: Option<String>,
    /// `nvidia.com/cuda.runtime-version.full`.
    pub cuda_runtime_version: Option<String>,
    /// Intra-node NVLink topology derived from the board ([`NvlinkTopology::Unknown`] without a
    /// known product). No label exposes it (`gpu-domain.md` §1.5); the planner may overwrite it
    /// from admin configuration (per node pool or VM class).
    pub nvlink: NvlinkTopology,
    /// Problems found while reading this node.
    pub warnings: Vec<InventoryWarning>,
}

/// Reads typed label values, recording a warning for every malformed one.
struct LabelReader<'a> {
    node: &'a str,
    labels: &'a BTreeMap<String, String>,
    warnings: Vec<InventoryWarning>,
}

impl LabelReader<'_> {
    fn string(&self, key: &str) -> Option<String> {
        self.labels
            .get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn malformed(&mut self, key: &str, value: &str, expected: &'static str) {
        self.warnings.push(InventoryWarning::MalformedLabel {
            node: self.node.to_owned(),
            label: key.to_owned(),
            value: value.to_owned(),
            expected,
        });
    }

    fn parsed<T>(
        &mut self,
        key: &str,
        expected: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        let raw = self.labels.get(key)?;
        let parsed = parse(raw.trim());
        if parsed.is_none() {
            self.malformed(key, raw, expected);
        }
        parsed
    }

    fn u32(&mut self, key: &str) -> Option<u32> {
        self.parsed(key, "a non-negative integer", |v| v.parse().ok())
    }

    fn u64(&mut self, key: &str) -> Option<u64> {
        self.parsed(key, "a non-negative integer", |v| v.parse().ok())
    }

    fn bool(&mut self, key: &str) -> Option<bool> {
        self.parsed(key, "\"true\" or \"false\"", parse_bool)
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    if v.eq_ignore_ascii_case("true") {
        Some(true)
    } else if v.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Parses an extended-resource quantity, which Kubernetes requires to be a whole number.
/// Accepts plain integers, `<n>k`, `<n>M` and milli-units that are exact multiples of `1000m`;
/// rejects fractions, negatives and anything else.
pub(crate) fn parse_count_quantity(q: &Quantity) -> Option<u64> {
    let s = q.0.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Some(n);
    }
    if let Some(milli) = s.strip_suffix('m') {
        let m: u64 = milli.parse().ok()?;
        return m.is_multiple_of(1000).then_some(m / 1000);
    }
    let (digits, mult): (&str, u64) = if let Some(d) = s.strip_suffix('k') {
        (d, 1_000)
    } else if let Some(d) = s.strip_suffix('M') {
        (d, 1_000_000)
    } else {
        return None;
    };
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

impl NodeInventory {
    /// Builds the inventory of one node. Never panics; malformed label or resource values are
    /// reported in [`NodeInventory::warnings`] (naming node and label) and replaced by safe
    /// defaults. Fails only when the node has no name.
    ///
    /// ```
    /// use k8s_openapi::api::core::v1::Node;
    /// use nim_types::inventory::{InventoryWarning, NodeInventory};
    /// let node: Node = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "n1", "labels": {"nvidia.com/gpu.count": "eight"}}
    /// }))?;
    /// let inv = NodeInventory::from_node(&node)?;
    /// assert_eq!(inv.gpu_count, None);
    /// assert!(matches!(
    ///     &inv.warnings[0],
    ///     InventoryWarning::MalformedLabel { node, label, .. }
    ///         if node == "n1" && label == "nvidia.com/gpu.count"
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_node(node: &Node) -> Result<Self, InventoryError> {
        let name = node
            .metadata
            .name
            .as_deref()
            .filter(|n| !n.is_empty())
            .ok_or(InventoryError::MissingNodeName)?
            .to_owned();
        let all_labels = node.metadata.labels.clone().unwrap_or_default();
        let mut r = LabelReader {
            node: &name,
            labels: &all_labels,
            warnings: Vec::new(),
        };

        let product = r
            .string(labels::GPU_PRODUCT)
            .map(|p| ProductInfo::parse(&p));
        if let Some(p) = product.as_ref().filter(|p| !p.is_known()) {
            r.warnings.push(InventoryWarning::UnknownProduct {
                node: name.clone(),
                product: p.raw.clone(),
            });
        }
        let gpu_count = r.u32(labels::GPU_COUNT);
        let gpu_memory_mib = r.u64(labels::GPU_MEMORY);
        let family = r
            .string(labels::GPU_FAMILY)
            .map(|f| Architecture::from_gfd_family(&f));
        let major = r.u32(labels::GPU_COMPUTE_MAJOR);
        let minor = r.u32(labels::GPU_COMPUTE_MINOR);
        let compute_capability = major.map(|major| ComputeCapability {
            major,
            minor: minor.unwrap_or(0),
        });
        let vgpu_label = r.bool(labels::VGPU_PRESENT);
        let vgpu = vgpu_label == Some(true) || product.as_ref().is_some_and(ProductInfo::is_vgpu);
        let mig_capable = r.bool(labels::MIG_CAPABLE);
        let mig_strategy = r
            .parsed(
                labels::MIG_STRATEGY,
                "none, single or mixed",
                MigStrategy::parse,
            )
            .unwrap_or_default();
        let sharing_strategy = r
            .parsed(
                labels::GPU_SHARING_STRATEGY,
                "none, time-slicing or mps",
                SharingStrategy::parse,
            )
            .unwrap_or_default();
        let replicas = r
            .parsed(labels::GPU_REPLICAS, "a positive integer", |v| {
                v.parse::<u32>().ok().filter(|n| *n > 0)
            })
            .unwrap_or(1);
        let gpu_present = r.bool(labels::GPU_PRESENT);

        let mut operator_deploy = BTreeMap::new();
        for (key, value) in all_labels.range(labels::GPU_DEPLOY_PREFIX.to_owned()..) {
            let Some(operand) = key.strip_prefix(labels::GPU_DEPLOY_PREFIX) else {
                break;
            };
            match parse_bool(value.trim()) {
                Some(b) => {
                    operator_deploy.insert(operand.to_owned(), b);
                }
                None => r.malformed(key, value, "\"true\" or \"false\""),
            }
        }

        let spec = node.spec.as_ref();
        let status = node.status.as_ref();
        let mut resource = |resource: &str| -> u64 {
            for (field, map) in [
                ("allocatable", status.and_then(|s| s.allocatable.as_ref())),
                ("capacity", status.and_then(|s| s.capacity.as_ref())),
            ] {
                if let Some(q) = map.and_then(|m| m.get(resource)) {
                    return parse_count_quantity(q).unwrap_or_else(|| {
                        r.warnings.push(InventoryWarning::MalformedNodeResource {
                            node: name.clone(),
                            field,
                            resource: resource.to_owned(),
                            value: q.0.clone(),
                        });
                        0
                    });
                }
            }
            0
        };
        let allocatable_gpus = resource(labels::RESOURCE_GPU);
        let allocatable_shared_gpus = resource(labels::RESOURCE_GPU_SHARED);
        let mut mig_names: Vec<String> = status
            .into_iter()
            .flat_map(|s| [s.allocatable.as_ref(), s.capacity.as_ref()])
            .flatten()
            .flat_map(|m| m.keys())
            .filter(|k| k.starts_with(labels::RESOURCE_MIG_PREFIX))
            .cloned()
            .collect();
        mig_names.sort();
        mig_names.dedup();
        let mut mig_resources = BTreeMap::new();
        for mig in mig_names {
            let n = resource(&mig);
            mig_resources.insert(mig, n);
        }

        let ready = status
            .and_then(|s| s.conditions.as_ref())
            .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
            .is_some_and(|c| c.status == "True");

        Ok(Self {
            nvlink: product
                .as_ref()
                .map_or(NvlinkTopology::Unknown, ProductInfo::nvlink),
            product,
            gpu_count,
            gpu_memory_mib,
            family,
            compute_capability,
            vgpu,
            vgpu_host_driver_version: r.string(labels::VGPU_HOST_DRIVER_VERSION),
            mig_capable,
            mig_strategy,
            mig_config: r.string(labels::MIG_CONFIG),
            mig_config_state: r.string(labels::MIG_CONFIG_STATE),
            mig_resources,
            sharing_strategy,
            replicas,
            allocatable_gpus,
            allocatable_shared_gpus,
            ready,
            unschedulable: spec.and_then(|s| s.unschedulable).unwrap_or(false),
            taints: spec.and_then(|s| s.taints.clone()).unwrap_or_default(),
            gpu_present,
            workload_config: r.string(labels::GPU_WORKLOAD_CONFIG),
            operator_deploy,
            clique: r.string(labels::GPU_CLIQUE),
            machine: r.string(labels::GPU_MACHINE),
            driver_version: r.string(labels::CUDA_DRIVER_VERSION_FULL),
            cuda_runtime_version: r.string(labels::CUDA_RUNTIME_VERSION_FULL),
            warnings: r.warnings,
            name,
            labels: all_labels,
        })
    }

    /// `true` if the node offers any NVIDIA GPU resource (whole, shared or MIG) or GFD labelled a
    /// non-zero GPU count.
    ///
    /// ```
    /// use k8s_openapi::api::core::v1::Node;
    /// use nim_types::inventory::NodeInventory;
    /// let node: Node = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "n"}, "status": {"capacity": {"nvidia.com/gpu": "2"}}
    /// }))?;
    /// assert!(NodeInventory::from_node(&node)?.has_gpus());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn has_gpus(&self) -> bool {
        self.allocatable_gpus > 0
            || self.allocatable_shared_gpus > 0
            || self.mig_resources.values().any(|n| *n > 0)
            || self.gpu_count.is_some_and(|n| n > 0)
    }

    /// GPUs per node for shape/pool purposes: the `nvidia.com/gpu.count` label when present,
    /// otherwise the allocatable `nvidia.com/gpu` count.
    ///
    /// ```
    /// use k8s_openapi::api::core::v1::Node;
    /// use nim_types::inventory::NodeInventory;
    /// let node: Node = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "n", "labels": {"nvidia.com/gpu.count": "8"}},
    ///     "status": {"allocatable": {"nvidia.com/gpu": "7"}}
    /// }))?;
    /// assert_eq!(NodeInventory::from_node(&node)?.gpus_per_node(), 8);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn gpus_per_node(&self) -> u64 {
        self.gpu_count.map_or(self.allocatable_gpus, u64::from)
    }

    /// Canonical board ([`GpuBoard::Unknown`] without a known product).
    ///
    /// ```
    /// use k8s_openapi::api::core::v1::Node;
    /// use nim_types::inventory::{GpuBoard, NodeInventory};
    /// let node: Node = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "n", "labels": {"nvidia.com/gpu.product": "NVIDIA-L40S"}}
    /// }))?;
    /// assert_eq!(NodeInventory::from_node(&node)?.board(), GpuBoard::L40S);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn board(&self) -> GpuBoard {
        self.product.as_ref().map_or(GpuBoard::Unknown, |p| p.board)
    }

    /// Architecture: the `nvidia.com/gpu.family` label when it names a known family, otherwise the
    /// product table's.
    ///
    /// ```
    /// use k8s_openapi::api::core::v1::Node;
    /// use nim_types::inventory::{Architecture, NodeInventory};
    /// let node: Node = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "n", "labels": {"nvidia.com/gpu.product": "NVIDIA-H100XM-80C"}}
    /// }))?;
    /// assert_eq!(NodeInventory::from_node(&node)?.architecture(), Architecture::Hopper);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn architecture(&self) -> Architecture {
        match self.family {
            Some(a) if a != Architecture::Unknown => a,
            _ => self
                .product
                .as_ref()
                .map_or(Architecture::Unknown, ProductInfo::architecture),
        }
    }

    /// Framebuffer of one schedulable GPU device in MiB. Ground truth is the
    /// `nvidia.com/gpu.memory` label (it already reflects vGPU reservations and MIG slices,
    /// `gpu-domain.md` §2.4, §4.3); without it, the nominal size of the vGPU type, MIG profile or
    /// board.
    ///
    /// ```
    /// use k8s_openapi::api::core::v1::Node;
    /// use nim_types::inventory::NodeInventory;
    /// let node: Node = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "n", "labels": {"nvidia.com/gpu.product": "NVIDIA-L40S-24C"}}
    /// }))?;
    /// assert_eq!(NodeInventory::from_node(&node)?.per_gpu_memory_mib(), Some(24 * 1024));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn per_gpu_memory_mib(&self) -> Option<u64> {
        self.gpu_memory_mib.or_else(|| {
            self.product
                .as_ref()
                .and_then(ProductInfo::device_memory_mib)
        })
    }

    /// `true` when MIG devices (not whole GPUs) are what pods get: a `-MIG-` product (strategy
    /// `single`), advertised `nvidia.com/mig-*` resources (strategy `mixed`), or a MIG-backed
    /// vGPU type. The `nvidia.com/mig.strategy` label alone does not count: the GPU Operator sets
    /// it on every node.
    ///
    /// ```
    /// use k8s_openapi::api::core::v1::Node;
    /// use nim_types::inventory::NodeInventory;
    /// let node: Node = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "n", "labels": {"nvidia.com/gpu.product": "NVIDIA-A100-4-20C"}}
    /// }))?;
    /// assert!(NodeInventory::from_node(&node)?.uses_mig());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn uses_mig(&self) -> bool {
        !self.mig_resources.is_empty()
            || self.product.as_ref().is_some_and(|p| {
                p.mig.is_some() || p.vgpu.as_ref().is_some_and(|v| v.is_mig_backed())
            })
    }

    /// `true` when GPUs are shared between pods (time-slicing or MPS, or a `-SHARED` product).
    ///
    /// ```
    /// use k8s_openapi::api::core::v1::Node;
    /// use nim_types::inventory::NodeInventory;
    /// let node: Node = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "n", "labels": {"nvidia.com/gpu.product": "Tesla-T4-SHARED"}}
    /// }))?;
    /// assert!(NodeInventory::from_node(&node)?.is_shared());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_shared(&self) -> bool {
        self.sharing_strategy != SharingStrategy::None
            || self.product.as_ref().is_some_and(|p| p.shared)
    }

    /// Ready and not cordoned.
    ///
    /// ```
    /// use k8s_openapi::api::core::v1::Node;
    /// use nim_types::inventory::NodeInventory;
    /// let node: Node = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "n"},
    ///     "status": {"conditions": [{"type": "Ready", "status": "True"}]}
    /// }))?;
    /// assert!(NodeInventory::from_node(&node)?.is_schedulable());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_schedulable(&self) -> bool {
        self.ready && !self.unschedulable
    }

    /// Taints with effect `NoSchedule` or `NoExecute` that none of `tolerations` tolerates, using
    /// the Kubernetes matching rules (empty key + `Exists` tolerates everything; empty effect
    /// matches every effect; operator defaults to `Equal`). `PreferNoSchedule` taints are soft and
    /// never returned.
    ///
    /// ```
    /// use k8s_openapi::api::core::v1::{Node, Toleration};
    /// use nim_types::inventory::NodeInventory;
    /// let node: Node = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "n"},
    ///     "spec": {"taints": [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}]}
    /// }))?;
    /// let inv = NodeInventory::from_node(&node)?;
    /// assert_eq!(inv.untolerated_taints(&[]).len(), 1);
    /// let tol = Toleration {
    ///     key: Some("nvidia.com/gpu".into()),
    ///     operator: Some("Exists".into()),
    ///     ..Default::default()
    /// };
    /// assert!(inv.untolerated_taints(&[tol]).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn untolerated_taints(&self, tolerations: &[Toleration]) -> Vec<&Taint> {
        self.taints
            .iter()
            .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
            .filter(|t| !tolerations.iter().any(|tol| tolerates(tol, t)))
            .collect()
    }

    /// GPU Operator operands explicitly disabled on this node (`nvidia.com/gpu.deploy.<x>=false`),
    /// sorted.
    ///
    /// ```
    /// use k8s_openapi::api::core::v1::Node;
    /// use nim_types::inventory::NodeInventory;
    /// let node: Node = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "n", "labels": {
    ///         "nvidia.com/gpu.deploy.device-plugin": "false",
    ///         "nvidia.com/gpu.deploy.driver": "true"
    ///     }}
    /// }))?;
    /// assert_eq!(NodeInventory::from_node(&node)?.disabled_operands(), ["device-plugin"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn disabled_operands(&self) -> Vec<&str> {
        self.operator_deploy
            .iter()
            .filter(|(_, enabled)| !**enabled)
            .map(|(k, _)| k.as_str())
            .collect()
    }
}

/// Kubernetes toleration matching (`k8s.io/api/core/v1` `Toleration.ToleratesTaint`).
fn tolerates(tol: &Toleration, taint: &Taint) -> bool {
    let effect_ok = tol
        .effect
        .as_deref()
        .is_none_or(|e| e.is_empty() || e == taint.effect);
    if !effect_ok {
        return false;
    }
    let key = tol.key.as_deref().unwrap_or("");
    let operator = tol.operator.as_deref().unwrap_or("Equal");
    if key.is_empty() {
        return operator == "Exists";
    }
    if key != taint.key {
        return false;
    }
    match operator {
        "Exists" => true,
        "Equal" | "" => tol.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::testdata;

    fn node(yaml: &str) -> NodeInventory {
        let n: Node = serde_saphyr::from_str(yaml).expect("valid node yaml");
        NodeInventory::from_node(&n).expect("named node")
    }

    #[test]
    fn passthrough_h100_hgx_node() {
        let inv = node(testdata::NODE_H100_HGX);
        assert_eq!(inv.name, "dgx-h100-01");
        assert_eq!(inv.board(), GpuBoard::H100Sxm);
        assert_eq!(inv.gpu_count, Some(8));
        assert_eq!(inv.gpu_memory_mib, Some(81_559));
        assert_eq!(inv.family, Some(Architecture::Hopper));
        assert_eq!(
            inv.compute_capability,
            Some(ComputeCapability { major: 9, minor: 0 })
        );
        assert!(!inv.vgpu);
        assert_eq!(inv.allocatable_gpus, 8);
        assert!(inv.ready && !inv.unschedulable && inv.is_schedulable());
        assert_eq!(inv.nvlink, NvlinkTopology::NvSwitch);
        assert_eq!(inv.gpu_present, Some(true));
        assert_eq!(inv.operator_deploy.get("operands"), Some(&true));
        assert_eq!(inv.driver_version.as_deref(), Some("550.107.02"));
        assert_eq!(inv.cuda_runtime_version.as_deref(), Some("12.5"));
        assert_eq!(inv.taints.len(), 1);
        assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
        assert_eq!(
            inv.labels.get("kubernetes.io/hostname").map(String::as_str),
            Some("dgx-h100-01")
        );
    }

    #[test]
    fn vks_vgpu_h100xm_node() {
        let inv = node(testdata::NODE_VKS_H100XM_X4);
        assert!(inv.vgpu);
        assert_eq!(inv.board(), GpuBoard::H100Sxm);
        assert_eq!(inv.allocatable_gpus, 4);
        assert_eq!(inv.vgpu_host_driver_version.as_deref(), Some("550.54.16"));
        assert_eq!(inv.per_gpu_memory_mib(), Some(81_920));
        assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
    }

    #[test]
    fn vks_vgpu_l40s_node() {
        let inv = node(testdata::NODE_VKS_L40S_X2);
        assert!(inv.vgpu);
        assert_eq!(inv.board(), GpuBoard::L40S);
        assert_eq!(inv.nvlink, NvlinkTopology::None);
        assert_eq!(inv.architecture(), Architecture::AdaLovelace);
    }

    #[test]
    fn mig_mixed_node() {
        let inv = node(testdata::NODE_A100_MIG_MIXED);
        assert_eq!(inv.mig_strategy, MigStrategy::Mixed);
        assert_eq!(inv.mig_capable, Some(true));
        assert!(inv.uses_mig());
        assert_eq!(inv.allocatable_gpus, 0);
        assert_eq!(inv.mig_resources.get("nvidia.com/mig-1g.10gb"), Some(&4));
        assert_eq!(inv.mig_resources.get("nvidia.com/mig-3g.40gb"), Some(&2));
        // Present only in capacity.
        assert_eq!(inv.mig_resources.get("nvidia.com/mig-7g.80gb"), Some(&0));
        assert!(inv.has_gpus());
    }

    #[test]
    fn time_sliced_shared_node() {
        let inv = node(testdata::NODE_T4_TIME_SLICED);
        assert_eq!(inv.sharing_strategy, SharingStrategy::TimeSlicing);
        assert_eq!(inv.replicas, 4);
        assert!(inv.is_shared());
        assert_eq!(inv.allocatable_gpus, 4);
        assert_eq!(inv.gpus_per_node(), 1);
        assert!(!inv.ready);
    }

    #[test]
    fn malformed_labels_become_warnings() {
        let inv = node(testdata::NODE_MALFORMED);
        assert_eq!(inv.gpu_count, None);
        assert_eq!(inv.gpu_memory_mib, None);
        assert_eq!(inv.mig_strategy, MigStrategy::None);
        assert_eq!(inv.sharing_strategy, SharingStrategy::None);
        assert_eq!(inv.replicas, 1);
        assert_eq!(inv.allocatable_gpus, 0);
        assert_eq!(inv.board(), GpuBoard::Unknown);
        assert_eq!(inv.compute_capability, None);
        assert!(inv.unschedulable);
        let labels: Vec<&str> = inv
            .warnings
            .iter()
            .filter_map(|w| match w {
                InventoryWarning::MalformedLabel { node, label, .. } => {
                    assert_eq!(node, "bad-node");
                    Some(label.as_str())
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            labels,
            [
                "nvidia.com/gpu.count",
                "nvidia.com/gpu.memory",
                "nvidia.com/gpu.compute.major",
                "nvidia.com/vgpu.present",
                "nvidia.com/mig.strategy",
                "nvidia.com/gpu.sharing-strategy",
                "nvidia.com/gpu.replicas",
                "nvidia.com/gpu.deploy.driver",
            ]
        );
        assert!(inv.warnings.iter().any(|w| matches!(
            w,
            InventoryWarning::UnknownProduct { product, .. } if product == "NVIDIA-Mystery-9000"
        )));
        assert!(inv.warnings.iter().any(|w| matches!(
            w,
            InventoryWarning::MalformedNodeResource { resource, field: "allocatable", .. }
                if resource == "nvidia.com/gpu"
        )));
        for w in &inv.warnings {
            assert_eq!(w.node(), Some("bad-node"));
            assert!(w.to_string().contains("bad-node"));
        }
    }

    #[test]
    fn missing_everything() {
        let inv = node("metadata: {name: bare}\n");
        assert_eq!(inv.product, None);
        assert_eq!(inv.gpu_count, None);
        assert!(!inv.has_gpus() && !inv.vgpu && !inv.ready);
        assert_eq!(inv.nvlink, NvlinkTopology::Unknown);
        assert_eq!(inv.architecture(), Architecture::Unknown);
        assert_eq!(inv.per_gpu_memory_mib(), None);
        assert!(inv.warnings.is_empty());
        assert_eq!(
            NodeInventory::from_node(&Node::default()),
            Err(InventoryError::MissingNodeName)
        );
    }

    #[test]
    fn quantities() {
        let q = |s: &str| parse_count_quantity(&Quantity(s.to_owned()));
        assert_eq!(q("8"), Some(8));
        assert_eq!(q(" 0 "), Some(0));
        assert_eq!(q("2000m"), Some(2));
        assert_eq!(q("1k"), Some(1000));
        assert_eq!(q("1500m"), None);
        assert_eq!(q("-1"), None);
        assert_eq!(q("1.5"), None);
        assert_eq!(q(""), None);
        assert_eq!(q("k"), None);
        assert_eq!(q("99999999999999999999M"), None);
    }

    #[test]
    fn toleration_matching() {
        let taint = |key: &str, value: Option<&str>, effect: &str| Taint {
            key: key.to_owned(),
            value: value.map(str::to_owned),
            effect: effect.to_owned(),
            time_added: None,
        };
        let tol =
            |key: Option<&str>, op: Option<&str>, value: Option<&str>, effect: Option<&str>| {
                Toleration {
                    key: key.map(str::to_owned),
                    operator: op.map(str::to_owned),
                    value: value.map(str::to_owned),
                    effect: effect.map(str::to_owned),
                    toleration_seconds: None,
                }
            };
        let t = taint("gpu", Some("h100"), "NoSchedule");
        assert!(tolerates(&tol(None, Some("Exists"), None, None), &t));
        assert!(!tolerates(&tol(None, None, None, None), &t));
        assert!(tolerates(&tol(Some("gpu"), None, Some("h100"), None), &t));
        assert!(!tolerates(&tol(Some("gpu"), None, Some("l40s"), None), &t));
        assert!(tolerates(
            &tol(Some("gpu"), Some("Exists"), None, Some("NoSchedule")),
            &t
        ));
        assert!(!tolerates(
            &tol(Some("gpu"), Some("Exists"), None, Some("NoExecute")),
            &t
        ));
        assert!(!tolerates(
            &tol(Some("other"), Some("Exists"), None, None),
            &t
        ));
        assert!(!tolerates(
            &tol(Some("gpu"), Some("Gt"), Some("1"), None),
            &t
        ));

        let mut inv = node("metadata: {name: t}\n");
        inv.taints = vec![t, taint("soft", None, "PreferNoSchedule")];
        assert_eq!(inv.untolerated_taints(&[]).len(), 1);
    }
}
