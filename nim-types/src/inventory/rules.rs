//! Pure placement rules the planner calls on inventory data. Each rule returns typed
//! [`Reason`]s so the planner can explain *why* a node was rejected or flagged.
//!
//! Rules and sources:
//!
//! * **Multi-GPU replicas on vGPU** ([`can_serve_multi_gpu_replica`]): NVIDIA vGPU supports
//!   NVLink P2P only between *time-sliced*, *C-series*, *full-framebuffer* vGPUs on boards with
//!   NVLink; never for MIG-backed vGPUs, never over PCIe (`gpu-domain.md` §2.3, NVIDIA AI
//!   Enterprise "P2P" docs). The VMware Private AI reference architecture (seed article,
//!   Pranay Jha, Private AI Series Part 25) states the consequence: "on vGPU, a model needing more
//!   than one GPU requires A100 or H100 with NVLink. L40S with vGPU cannot serve multi-GPU models
//!   at all." `gpu-domain.md` §2.5 rule 1 softens this to a "degraded: no P2P" warning; this SDK
//!   follows the stricter, field-reported rule and **blocks** such placements.
//! * **Passthrough multi-GPU** is always allowed; missing or unverifiable NVLink is a
//!   warning-class reason (tensor parallelism then runs over PCIe, `gpu-domain.md` §1.5, §4.5
//!   step 3).
//! * **Shared GPUs**: a pod may request at most one shared (time-sliced/MPS) GPU
//!   (`gpu-domain.md` §1.1, device plugin: "maximum request size for shared resources is 1").
//! * **MIG devices** (`single` strategy or MIG-backed vGPU): no P2P between MIG instances
//!   (§2.3), and CUDA enumerates only one MIG device per process (**recall**, NVIDIA MIG user
//!   guide), so TP across MIG slices is blocked.
//! * **VLM NIMs on vGPU**: NIM for VLMs "does not support NVIDIA Virtual GPU (vGPU)
//!   environments" (§2.4, §2.5 rule 4) → [`can_serve_vlm`].
//! * **Usable memory** ([`usable_gpu_memory_mib`]): per-GPU memory from the
//!   `nvidia.com/gpu.memory` label × 0.90 (0.85 on vGPU) (§4.3 "Planner fit rule", §4.4).
//!
//! ```
//! use k8s_openapi::api::core::v1::Node;
//! use nim_types::inventory::{NodeInventory, Reason, can_serve_multi_gpu_replica};
//!
//! let node: Node = serde_json::from_value(serde_json::json!({
//!     "metadata": {"name": "vks-l40s", "labels": {
//!         "nvidia.com/gpu.product": "NVIDIA-L40S-48C", "nvidia.com/vgpu.present": "true"}},
//!     "status": {"allocatable": {"nvidia.com/gpu": "4"}}
//! }))?;
//! let inv = NodeInventory::from_node(&node)?;
//! assert!(matches!(
//!     can_serve_multi_gpu_replica(&inv, 2),
//!     Err(Reason::VgpuNoNvlink { .. })
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use k8s_openapi::api::core::v1::Toleration;
use serde::Serialize;

use super::node::{NodeInventory, SharingStrategy};
use super::product::{Architecture, GpuBoard, NvlinkTopology};
use super::snapshot::ClusterInventory;
use super::vgpu::VgpuSeries;

/// How bad a [`Reason`] is.
///
/// ```
/// use nim_types::inventory::{Reason, Severity};
/// assert_eq!(Reason::NodeNotReady.severity(), Severity::Blocking);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Placement works but is degraded or unverified; surface it in the plan.
    Warning,
    /// Placement must not happen.
    Blocking,
}

/// Why a node cannot (blocking) or should not quite (warning) serve a replica.
///
/// ```
/// use nim_types::inventory::{GpuBoard, Reason, Severity};
/// let r = Reason::NoNvlink { board: GpuBoard::L40S };
/// assert_eq!(r.severity(), Severity::Warning);
/// assert!(r.to_string().contains("l40s"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Reason {
    /// The node is not in the inventory.
    #[error("node is not in the inventory")]
    UnknownNode,
    /// The node's `Ready` condition is not `True`.
    #[error("node is not Ready")]
    NodeNotReady,
    /// The node is cordoned (`spec.unschedulable`).
    #[error("node is cordoned (unschedulable)")]
    NodeUnschedulable,
    /// A `NoSchedule`/`NoExecute` taint is not tolerated.
    #[error("taint {key}={value}:{effect} is not tolerated")]
    UntoleratedTaint {
        /// Taint key.
        key: String,
        /// Taint value (empty if none).
        value: String,
        /// Taint effect.
        effect: String,
    },
    /// The node advertises no `nvidia.com/gpu`.
    #[error("node advertises no nvidia.com/gpu")]
    NoGpus,
    /// The node has fewer GPUs in total than one replica needs. In a vGPU guest the count is
    /// fixed by the VM class; a bigger VM class / node pool is needed (§2.5 rule 2).
    #[error("replica needs {requested} GPUs but the node has only {available}")]
    InsufficientGpus {
        /// GPUs per replica.
        requested: u32,
        /// Allocatable `nvidia.com/gpu` of the node.
        available: u64,
    },
    /// Not enough GPUs are free right now.
    #[error("replica needs {requested} GPUs but only {free} are free")]
    InsufficientFreeGpus {
        /// GPUs per replica.
        requested: u32,
        /// Free `nvidia.com/gpu`.
        free: u64,
    },
    /// GPUs are shared (time-slicing/MPS); a pod may request at most one shared GPU.
    #[error("GPUs are shared ({strategy:?}); a pod may request at most 1 shared GPU")]
    SharedGpuLimit {
        /// Sharing strategy (`None` when only the `-SHARED` product suffix revealed it).
        strategy: SharingStrategy,
    },
    /// Pods get MIG devices; tensor parallelism across MIG instances is not possible.
    #[error(
        "GPUs are MIG instances: no P2P and one MIG device per CUDA process, so TP>1 is impossible"
    )]
    MigSlices,
    /// The node is a vGPU guest but its vGPU type could not be identified, so P2P cannot be
    /// proven.
    #[error("vGPU node with unidentified vGPU type {product:?}: NVLink P2P cannot be verified")]
    VgpuTypeUnknown {
        /// Raw product label, if any.
        product: Option<String>,
    },
    /// MIG-backed vGPUs never support P2P.
    #[error("vGPU type {profile} is MIG-backed: no NVLink P2P between vGPUs")]
    VgpuMigBacked {
        /// vGPU type name.
        profile: String,
    },
    /// Only C-series (vGPU for Compute) vGPUs support P2P.
    #[error("vGPU type {profile} is {series:?}-series, not C (compute): no P2P")]
    VgpuNotComputeSeries {
        /// vGPU type name.
        profile: String,
        /// Series.
        series: VgpuSeries,
    },
    /// The vGPU's physical board has no (guaranteed) NVLink, e.g. L40S or a PCIe card without a
    /// known bridge: multi-GPU replicas are not supported on vGPU.
    #[error(
        "vGPU on {board} has no NVLink P2P (NVLink: {}): multi-GPU replicas are not supported on vGPU",
        nvlink_words(*nvlink)
    )]
    VgpuNoNvlink {
        /// Board.
        board: GpuBoard,
        /// The node's NVLink topology.
        nvlink: NvlinkTopology,
    },
    /// The vGPU's board is not in the table, so neither NVLink nor the full-framebuffer property
    /// can be verified.
    #[error("vGPU board {prefix} is unknown: NVLink P2P cannot be verified")]
    VgpuBoardUnknown {
        /// vGPU type prefix.
        prefix: String,
    },
    /// A fractional (not full-framebuffer) vGPU: no P2P.
    #[error(
        "vGPU type {profile} has {framebuffer_gb} GB of a {board_gb} GB board; P2P needs the full framebuffer"
    )]
    VgpuFractionalProfile {
        /// vGPU type name.
        profile: String,
        /// vGPU framebuffer.
        framebuffer_gb: u32,
        /// Board framebuffer.
        board_gb: u32,
    },
    /// NIM for VLMs does not support vGPU.
    #[error("NIM for vision-language models does not support vGPU nodes")]
    VlmOnVgpu,
    /// Warning: passthrough GPUs without NVLink; TP traffic goes over PCIe.
    #[error("{board} has no NVLink: tensor parallelism runs over PCIe (slower)")]
    NoNvlink {
        /// Board.
        board: GpuBoard,
    },
    /// Warning: NVLink cannot be verified (unknown board, or a PCIe card whose optional bridge
    /// is invisible to Kubernetes).
    #[error("NVLink on {board} cannot be verified ({nvlink:?}); TP may run over PCIe")]
    NvlinkUnverified {
        /// Board.
        board: GpuBoard,
        /// The node's NVLink topology.
        nvlink: NvlinkTopology,
    },
    /// Warning: the replica spans more GPUs than one NVLink-bridged group.
    #[error(
        "replica needs {requested} GPUs but NVLink bridges connect at most {max_gpus}; some TP traffic crosses PCIe"
    )]
    NvlinkBridgeDomainExceeded {
        /// GPUs per replica.
        requested: u32,
        /// Largest bridged group.
        max_gpus: u8,
    },
    /// Warning: the device plugin does not allocate NVLink-bridged sets
    /// (NVIDIA/k8s-device-plugin#546, #1193), so a replica using part of a bridged node may get
    /// GPUs from different bridge groups.
    #[error("the device plugin may hand out GPUs from different NVLink bridge groups")]
    NvlinkPairingNotGuaranteed,
    /// Warning: on A100 multi-vGPU VMs, enabling Unified Memory disables NVLink P2P
    /// (`pciPassthru<n>.cfg.enable_uvm = 0` keeps it; §2.3).
    #[error("A100 multi-vGPU: NVLink P2P is disabled if Unified Memory (UVM) is enabled on the VM")]
    AmpereVgpuUvmDisablesP2p,
}

impl Reason {
    /// Severity of this reason.
    ///
    /// ```
    /// use nim_types::inventory::{Reason, Severity};
    /// assert_eq!(Reason::NvlinkPairingNotGuaranteed.severity(), Severity::Warning);
    /// assert_eq!(Reason::MigSlices.severity(), Severity::Blocking);
    /// ```
    pub fn severity(&self) -> Severity {
        match self {
            Self::NoNvlink { .. }
            | Self::NvlinkUnverified { .. }
            | Self::NvlinkBridgeDomainExceeded { .. }
            | Self::NvlinkPairingNotGuaranteed
            | Self::AmpereVgpuUvmDisablesP2p => Severity::Warning,
            _ => Severity::Blocking,
        }
    }

    /// `true` for [`Severity::Blocking`].
    ///
    /// ```
    /// use nim_types::inventory::Reason;
    /// assert!(Reason::NoGpus.is_blocking());
    /// ```
    pub fn is_blocking(&self) -> bool {
        self.severity() == Severity::Blocking
    }
}

/// Default fraction (percent) of per-GPU memory an engine may plan against (§4.3: vLLM
/// `gpu_memory_utilization` ≈ 0.90; §4.4 uses 0.9 × nominal).
///
/// ```
/// assert_eq!(nim_types::inventory::GPU_MEMORY_UTILISATION_PERCENT, 90);
/// ```
pub const GPU_MEMORY_UTILISATION_PERCENT: u64 = 90;

/// Fraction (percent) used on vGPU nodes or with sidecars (§4.3: "0.85 on vGPU or with
/// sidecars").
///
/// ```
/// assert_eq!(nim_types::inventory::VGPU_GPU_MEMORY_UTILISATION_PERCENT, 85);
/// ```
pub const VGPU_GPU_MEMORY_UTILISATION_PERCENT: u64 = 85;

/// Memory (MiB) of one GPU device of `node` that a serving engine may plan against: the per-GPU
/// framebuffer ([`NodeInventory::per_gpu_memory_mib`], ground truth = `nvidia.com/gpu.memory`)
/// × [`GPU_MEMORY_UTILISATION_PERCENT`] (or [`VGPU_GPU_MEMORY_UTILISATION_PERCENT`] on vGPU),
/// rounded down. `None` when the memory is unknown.
///
/// ```
/// use k8s_openapi::api::core::v1::Node;
/// use nim_types::inventory::{NodeInventory, usable_gpu_memory_mib};
/// let node: Node = serde_json::from_value(serde_json::json!({
///     "metadata": {"name": "n", "labels": {"nvidia.com/gpu.memory": "81559"}}
/// }))?;
/// assert_eq!(usable_gpu_memory_mib(&NodeInventory::from_node(&node)?), Some(73_403));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn usable_gpu_memory_mib(node: &NodeInventory) -> Option<u64> {
    let pct = if node.vgpu {
        VGPU_GPU_MEMORY_UTILISATION_PERCENT
    } else {
        GPU_MEMORY_UTILISATION_PERCENT
    };
    node.per_gpu_memory_mib()
        .map(|mib| mib.saturating_mul(pct) / 100)
}

/// Whether `node` can host one replica that needs `gpus` GPUs inside a single pod (tensor
/// parallelism within the node), judged on the node's *shape* only (free capacity, readiness and
/// taints are [`can_place_replica`]'s job).
///
/// Returns `Ok(warnings)` (possibly empty; every entry has [`Severity::Warning`]) or
/// `Err(reason)` with the first [`Severity::Blocking`] reason. Checks, in order:
///
/// 1. `gpus == 0` → `Ok(vec![])`; node without `nvidia.com/gpu` → [`Reason::NoGpus`];
///    `gpus > allocatable` → [`Reason::InsufficientGpus`]; `gpus == 1` → `Ok(vec![])`.
/// 2. Shared GPUs → [`Reason::SharedGpuLimit`]; MIG devices → [`Reason::MigSlices`] (or
///    [`Reason::VgpuMigBacked`] for MIG-backed vGPU types).
/// 3. vGPU: the vGPU type must be known ([`Reason::VgpuTypeUnknown`]), C-series
///    ([`Reason::VgpuNotComputeSeries`]), on a board with guaranteed NVLink per the node's
///    [`NodeInventory::nvlink`] ([`Reason::VgpuNoNvlink`], [`Reason::VgpuBoardUnknown`]) and
///    full-framebuffer ([`Reason::VgpuFractionalProfile`]). Warnings: bridge-group limits and, on
///    Ampere, the UVM caveat.
/// 4. Passthrough: warnings only ([`Reason::NoNvlink`], [`Reason::NvlinkUnverified`], bridge
///    warnings).
///
/// ```
/// use k8s_openapi::api::core::v1::Node;
/// use nim_types::inventory::{NodeInventory, Reason, can_serve_multi_gpu_replica};
/// let node = |product: &str, vgpu: bool| -> Result<NodeInventory, Box<dyn std::error::Error>> {
///     let n: Node = serde_json::from_value(serde_json::json!({
///         "metadata": {"name": "n", "labels": {
///             "nvidia.com/gpu.product": product,
///             "nvidia.com/vgpu.present": vgpu.to_string()}},
///         "status": {"allocatable": {"nvidia.com/gpu": "4"}}
///     }))?;
///     Ok(NodeInventory::from_node(&n)?)
/// };
/// // vGPU on an NVSwitch board with full-framebuffer C profiles: fine.
/// assert_eq!(can_serve_multi_gpu_replica(&node("NVIDIA-H100XM-80C", true)?, 4), Ok(vec![]));
/// // Fractional profile: blocked.
/// assert!(matches!(
///     can_serve_multi_gpu_replica(&node("NVIDIA-H100XM-40C", true)?, 2),
///     Err(Reason::VgpuFractionalProfile { .. })
/// ));
/// // Passthrough L40S: allowed, with a warning.
/// let warnings = can_serve_multi_gpu_replica(&node("NVIDIA-L40S", false)?, 2)?;
/// assert!(matches!(warnings.as_slice(), [Reason::NoNvlink { .. }]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn can_serve_multi_gpu_replica(node: &NodeInventory, gpus: u32) -> Result<Vec<Reason>, Reason> {
    if gpus == 0 {
        return Ok(Vec::new());
    }
    if node.allocatable_gpus == 0 {
        return Err(Reason::NoGpus);
    }
    // The topology rules come before the GPU count: on an L40S vGPU VM, "add GPUs to the VM"
    // would not help a multi-GPU replica, so that is not the reason to report.
    let insufficient =
        (u64::from(gpus) > node.allocatable_gpus).then_some(Reason::InsufficientGpus {
            requested: gpus,
            available: node.allocatable_gpus,
        });
    if gpus == 1 {
        return insufficient.map_or(Ok(Vec::new()), Err);
    }
    if node.is_shared() {
        return Err(Reason::SharedGpuLimit {
            strategy: node.sharing_strategy,
        });
    }
    let product = node.product.as_ref();
    let vgpu_type = product.and_then(|p| p.vgpu.as_ref());
    if let Some(v) = vgpu_type.filter(|v| v.is_mig_backed()) {
        return Err(Reason::VgpuMigBacked {
            profile: v.name.clone(),
        });
    }
    if node.uses_mig() {
        return Err(Reason::MigSlices);
    }
    let board = node.board();
    let mut warnings = Vec::new();
    if node.vgpu {
        let Some(v) = vgpu_type else {
            return Err(Reason::VgpuTypeUnknown {
                product: product.map(|p| p.raw.clone()),
            });
        };
        if v.series != VgpuSeries::C {
            return Err(Reason::VgpuNotComputeSeries {
                profile: v.name.clone(),
                series: v.series,
            });
        }
        let Some(sku) = v.sku else {
            return Err(Reason::VgpuBoardUnknown {
                prefix: v.board_prefix.clone(),
            });
        };
        if !node.nvlink.is_guaranteed() {
            return Err(Reason::VgpuNoNvlink {
                board,
                nvlink: node.nvlink,
            });
        }
        if !v.full_framebuffer {
            return Err(Reason::VgpuFractionalProfile {
                profile: v.name.clone(),
                framebuffer_gb: v.framebuffer_gb,
                board_gb: sku.memory_gb,
            });
        }
        bridge_warnings(node, gpus, &mut warnings);
        if sku.architecture == Architecture::Ampere {
            warnings.push(Reason::AmpereVgpuUvmDisablesP2p);
        }
    } else {
        match node.nvlink {
            NvlinkTopology::None => warnings.push(Reason::NoNvlink { board }),
            NvlinkTopology::OptionalBridge | NvlinkTopology::Unknown => {
                warnings.push(Reason::NvlinkUnverified {
                    board,
                    nvlink: node.nvlink,
                });
            }
            NvlinkTopology::Bridge { .. } | NvlinkTopology::NvSwitch => {
                bridge_warnings(node, gpus, &mut warnings);
            }
        }
    }
    insufficient.map_or(Ok(warnings), Err)
}

fn bridge_warnings(node: &NodeInventory, gpus: u32, warnings: &mut Vec<Reason>) {
    if let NvlinkTopology::Bridge { max_gpus } = node.nvlink {
        if gpus > u32::from(max_gpus) {
            warnings.push(Reason::NvlinkBridgeDomainExceeded {
                requested: gpus,
                max_gpus,
            });
        } else if u64::from(gpus) < node.allocatable_gpus {
            warnings.push(Reason::NvlinkPairingNotGuaranteed);
        }
    }
}

/// Whether a vision-language-model NIM may run on `node`: NIM for VLMs does not support vGPU
/// (§2.4, §2.5 rule 4).
///
/// ```
/// use k8s_openapi::api::core::v1::Node;
/// use nim_types::inventory::{NodeInventory, Reason, can_serve_vlm};
/// let node: Node = serde_json::from_value(serde_json::json!({
///     "metadata": {"name": "n", "labels": {"nvidia.com/vgpu.present": "true"}}
/// }))?;
/// assert_eq!(can_serve_vlm(&NodeInventory::from_node(&node)?), Err(Reason::VlmOnVgpu));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn can_serve_vlm(node: &NodeInventory) -> Result<(), Reason> {
    if node.vgpu {
        Err(Reason::VlmOnVgpu)
    } else {
        Ok(())
    }
}

/// Full placement check of one replica needing `gpus` GPUs on the node called `node_name`, right
/// now: the node exists, is Ready and uncordoned, every `NoSchedule`/`NoExecute` taint is
/// tolerated, enough GPUs are free, and [`can_serve_multi_gpu_replica`] passes. Returns its
/// warnings on success.
///
/// ```
/// use k8s_openapi::api::core::v1::Node;
/// use nim_types::inventory::{ClusterInventory, Reason, can_place_replica};
/// let node: Node = serde_json::from_value(serde_json::json!({
///     "metadata": {"name": "n", "labels": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}},
///     "status": {"allocatable": {"nvidia.com/gpu": "8"},
///                "conditions": [{"type": "Ready", "status": "True"}]}
/// }))?;
/// let inv = ClusterInventory::from_objects(&[node], &[]);
/// assert_eq!(can_place_replica(&inv, "n", 8, &[]), Ok(vec![]));
/// assert_eq!(can_place_replica(&inv, "m", 1, &[]), Err(Reason::UnknownNode));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn can_place_replica(
    inventory: &ClusterInventory,
    node_name: &str,
    gpus: u32,
    tolerations: &[Toleration],
) -> Result<Vec<Reason>, Reason> {
    let node = inventory.nodes.get(node_name).ok_or(Reason::UnknownNode)?;
    if !node.ready {
        return Err(Reason::NodeNotReady);
    }
    if node.unschedulable {
        return Err(Reason::NodeUnschedulable);
    }
    if let Some(t) = node.untolerated_taints(tolerations).first() {
        return Err(Reason::UntoleratedTaint {
            key: t.key.clone(),
            value: t.value.clone().unwrap_or_default(),
            effect: t.effect.clone(),
        });
    }
    let warnings = can_serve_multi_gpu_replica(node, gpus)?;
    let free = inventory.free_gpus(node_name).unwrap_or(0);
    if u64::from(gpus) > free {
        return Err(Reason::InsufficientFreeGpus {
            requested: gpus,
            free,
        });
    }
    Ok(warnings)
}

/// NVLink topology in words, for messages.
fn nvlink_words(n: NvlinkTopology) -> &'static str {
    match n {
        NvlinkTopology::None => "none on this board",
        NvlinkTopology::OptionalBridge => "optional bridge, not visible to Kubernetes",
        NvlinkTopology::Bridge { .. } => "bridge",
        NvlinkTopology::NvSwitch => "NVSwitch",
        NvlinkTopology::Unknown => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::testdata;
    use k8s_openapi::api::core::v1::{Node, Pod};

    fn inv(product: Option<&str>, vgpu: Option<bool>, gpus: u64) -> NodeInventory {
        let mut labels = serde_json::Map::new();
        if let Some(p) = product {
            labels.insert("nvidia.com/gpu.product".into(), p.into());
        }
        if let Some(v) = vgpu {
            labels.insert("nvidia.com/vgpu.present".into(), v.to_string().into());
        }
        let node: Node = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "n", "labels": labels},
            "status": {"allocatable": {"nvidia.com/gpu": gpus.to_string()},
                       "conditions": [{"type": "Ready", "status": "True"}]}
        }))
        .expect("node");
        NodeInventory::from_node(&node).expect("named")
    }

    fn vgpu(product: &str, gpus: u64) -> NodeInventory {
        inv(Some(product), Some(true), gpus)
    }

    fn passthrough(product: &str, gpus: u64) -> NodeInventory {
        inv(Some(product), None, gpus)
    }

    #[test]
    fn trivial_cases() {
        let n = vgpu("NVIDIA-L40S-48C", 2);
        assert_eq!(can_serve_multi_gpu_replica(&n, 0), Ok(vec![]));
        assert_eq!(can_serve_multi_gpu_replica(&n, 1), Ok(vec![]));
        // On L40S vGPU the topology is the reason, not the count: more vGPUs per VM would not help.
        assert!(matches!(
            can_serve_multi_gpu_replica(&n, 3),
            Err(Reason::VgpuNoNvlink { .. })
        ));
        assert_eq!(
            can_serve_multi_gpu_replica(&passthrough("NVIDIA-L40S", 2), 3),
            Err(Reason::InsufficientGpus {
                requested: 3,
                available: 2
            })
        );
        assert_eq!(
            can_serve_multi_gpu_replica(&vgpu("NVIDIA-H100XM-80C", 4), 8),
            Err(Reason::InsufficientGpus {
                requested: 8,
                available: 4
            })
        );
        assert_eq!(
            can_serve_multi_gpu_replica(&inv(None, None, 0), 1),
            Err(Reason::NoGpus)
        );
    }

    #[test]
    fn vgpu_nvlink_boards_with_full_profiles_pass() {
        for p in [
            "NVIDIA-H100XM-80C",
            "NVIDIA-H200X-141C",
            "NVIDIA-B200X-180C",
        ] {
            assert_eq!(
                can_serve_multi_gpu_replica(&vgpu(p, 8), 8),
                Ok(vec![]),
                "{p}"
            );
        }
        assert_eq!(
            can_serve_multi_gpu_replica(&vgpu("NVIDIA-A100DX-80C", 4), 4),
            Ok(vec![Reason::AmpereVgpuUvmDisablesP2p])
        );
        // H100 NVL: bridged pairs.
        assert_eq!(
            can_serve_multi_gpu_replica(&vgpu("NVIDIA-H100L-94C", 2), 2),
            Ok(vec![])
        );
        assert_eq!(
            can_serve_multi_gpu_replica(&vgpu("NVIDIA-H100L-94C", 4), 2),
            Ok(vec![Reason::NvlinkPairingNotGuaranteed])
        );
        assert_eq!(
            can_serve_multi_gpu_replica(&vgpu("NVIDIA-H100L-94C", 4), 4),
            Ok(vec![Reason::NvlinkBridgeDomainExceeded {
                requested: 4,
                max_gpus: 2
            }])
        );
    }

    #[test]
    fn vgpu_blockers() {
        let err = |p: &str| can_serve_multi_gpu_replica(&vgpu(p, 4), 2).err();
        assert_eq!(
            err("NVIDIA-L40S-48C"),
            Some(Reason::VgpuNoNvlink {
                board: GpuBoard::L40S,
                nvlink: NvlinkTopology::None
            })
        );
        assert_eq!(
            err("NVIDIA-H100-80C"),
            Some(Reason::VgpuNoNvlink {
                board: GpuBoard::H100Pcie,
                nvlink: NvlinkTopology::OptionalBridge
            })
        );
        assert_eq!(
            err("NVIDIA-A100-4-20C"),
            Some(Reason::VgpuMigBacked {
                profile: "A100-4-20C".into()
            })
        );
        assert_eq!(
            err("NVIDIA-H100XM-7-80C"),
            Some(Reason::VgpuMigBacked {
                profile: "H100XM-7-80C".into()
            })
        );
        assert_eq!(
            err("NVIDIA-H100XM-40C"),
            Some(Reason::VgpuFractionalProfile {
                profile: "H100XM-40C".into(),
                framebuffer_gb: 40,
                board_gb: 80
            })
        );
        assert_eq!(
            err("NVIDIA-H100XM-80Q"),
            Some(Reason::VgpuNotComputeSeries {
                profile: "H100XM-80Q".into(),
                series: VgpuSeries::Q
            })
        );
        assert_eq!(
            err("GRID-P40-24C"),
            Some(Reason::VgpuBoardUnknown {
                prefix: "P40".into()
            })
        );
        // vgpu.present=true but a physical-looking product: type unknown.
        assert_eq!(
            err("NVIDIA-H100-80GB-HBM3"),
            Some(Reason::VgpuTypeUnknown {
                product: Some("NVIDIA-H100-80GB-HBM3".into())
            })
        );
        assert_eq!(
            can_serve_multi_gpu_replica(&inv(None, Some(true), 4), 2).err(),
            Some(Reason::VgpuTypeUnknown { product: None })
        );
        for p in ["NVIDIA-L40S-48C", "NVIDIA-A100-4-20C"] {
            assert!(err(p).is_some_and(|r| r.is_blocking()));
        }
    }

    #[test]
    fn admin_nvlink_override_unblocks_bridged_pcie() {
        let mut n = vgpu("NVIDIA-H100-80C", 2);
        assert!(can_serve_multi_gpu_replica(&n, 2).is_err());
        n.nvlink = NvlinkTopology::Bridge { max_gpus: 2 };
        assert_eq!(can_serve_multi_gpu_replica(&n, 2), Ok(vec![]));
    }

    #[test]
    fn passthrough_warnings() {
        let ok = |p: &str, node_gpus: u64, gpus: u32| {
            can_serve_multi_gpu_replica(&passthrough(p, node_gpus), gpus)
        };
        assert_eq!(ok("NVIDIA-H100-80GB-HBM3", 8, 4), Ok(vec![]));
        assert_eq!(
            ok("NVIDIA-L40S", 4, 2),
            Ok(vec![Reason::NoNvlink {
                board: GpuBoard::L40S
            }])
        );
        assert_eq!(
            ok("NVIDIA-A100-PCIE-40GB", 2, 2),
            Ok(vec![Reason::NvlinkUnverified {
                board: GpuBoard::A100Pcie,
                nvlink: NvlinkTopology::OptionalBridge
            }])
        );
        assert_eq!(ok("NVIDIA-GH200-480GB", 1, 1), Ok(vec![]));
        assert_eq!(
            can_serve_multi_gpu_replica(&inv(None, None, 2), 2),
            Ok(vec![Reason::NvlinkUnverified {
                board: GpuBoard::Unknown,
                nvlink: NvlinkTopology::Unknown
            }])
        );
        assert_eq!(
            ok("NVIDIA-H200-NVL", 8, 8),
            Ok(vec![Reason::NvlinkBridgeDomainExceeded {
                requested: 8,
                max_gpus: 4
            }])
        );
        for r in ok("NVIDIA-L40S", 4, 4).unwrap_or_default() {
            assert_eq!(r.severity(), Severity::Warning);
        }
    }

    #[test]
    fn sharing_and_mig_block_multi_gpu() {
        let node: Node = serde_saphyr::from_str(testdata::NODE_T4_TIME_SLICED).expect("yaml");
        let t4 = NodeInventory::from_node(&node).expect("named");
        assert_eq!(
            can_serve_multi_gpu_replica(&t4, 2),
            Err(Reason::SharedGpuLimit {
                strategy: SharingStrategy::TimeSlicing
            })
        );
        assert_eq!(can_serve_multi_gpu_replica(&t4, 1), Ok(vec![]));
        let mig = passthrough("A100-SXM4-40GB-MIG-1g.5gb", 56);
        assert_eq!(can_serve_multi_gpu_replica(&mig, 2), Err(Reason::MigSlices));
    }

    #[test]
    fn usable_memory() {
        let mut n = passthrough("NVIDIA-H100-80GB-HBM3", 8);
        assert_eq!(usable_gpu_memory_mib(&n), Some(81_920 * 90 / 100));
        n.gpu_memory_mib = Some(81_559);
        assert_eq!(usable_gpu_memory_mib(&n), Some(73_403));
        let v = vgpu("NVIDIA-L40S-48C", 1);
        assert_eq!(usable_gpu_memory_mib(&v), Some(49_152 * 85 / 100));
        assert_eq!(usable_gpu_memory_mib(&inv(None, None, 1)), None);
    }

    #[test]
    fn vlm_rule() {
        assert_eq!(
            can_serve_vlm(&vgpu("NVIDIA-H100XM-80C", 1)),
            Err(Reason::VlmOnVgpu)
        );
        assert_eq!(
            can_serve_vlm(&passthrough("NVIDIA-H100-80GB-HBM3", 1)),
            Ok(())
        );
    }

    #[test]
    fn placement_on_snapshot() {
        #[derive(serde::Deserialize)]
        struct PodList {
            items: Vec<Pod>,
        }
        let nodes: Vec<Node> = [
            testdata::NODE_H100_HGX,
            testdata::NODE_VKS_H100XM_X4,
            testdata::NODE_T4_TIME_SLICED,
            testdata::NODE_MALFORMED,
        ]
        .iter()
        .map(|y| serde_saphyr::from_str(y).expect("yaml"))
        .collect();
        let pods: PodList = serde_saphyr::from_str(testdata::PODS).expect("yaml");
        let inv = ClusterInventory::from_objects(&nodes, &pods.items);

        // dgx-h100-01 is tainted nvidia.com/gpu=present:NoSchedule and has 2 free GPUs.
        assert_eq!(
            can_place_replica(&inv, "dgx-h100-01", 2, &[]),
            Err(Reason::UntoleratedTaint {
                key: "nvidia.com/gpu".into(),
                value: "present".into(),
                effect: "NoSchedule".into()
            })
        );
        let tol = Toleration {
            key: Some("nvidia.com/gpu".into()),
            operator: Some("Exists".into()),
            ..Default::default()
        };
        assert_eq!(
            can_place_replica(&inv, "dgx-h100-01", 2, std::slice::from_ref(&tol)),
            Ok(vec![])
        );
        assert_eq!(
            can_place_replica(&inv, "dgx-h100-01", 4, std::slice::from_ref(&tol)),
            Err(Reason::InsufficientFreeGpus {
                requested: 4,
                free: 2
            })
        );
        assert_eq!(
            can_place_replica(&inv, "vks-h100-np-7f9c-0", 1, &[]),
            Ok(vec![])
        );
        assert_eq!(
            can_place_replica(&inv, "vks-h100-np-7f9c-0", 2, &[]),
            Err(Reason::InsufficientFreeGpus {
                requested: 2,
                free: 1
            })
        );
        assert_eq!(
            can_place_replica(&inv, "t4-ts-0", 1, &[]),
            Err(Reason::NodeNotReady)
        );
        assert_eq!(
            can_place_replica(&inv, "bad-node", 1, &[]),
            Err(Reason::NodeNotReady)
        );
        assert_eq!(
            can_place_replica(&inv, "ghost", 1, &[]),
            Err(Reason::UnknownNode)
        );
    }

    #[test]
    fn reasons_display_and_serialize() -> Result<(), serde_json::Error> {
        let r = Reason::VgpuNoNvlink {
            board: GpuBoard::L40S,
            nvlink: NvlinkTopology::None,
        };
        assert!(r.to_string().contains("l40s"));
        let v = serde_json::to_value(&r)?;
        assert_eq!(v["reason"], "vgpu-no-nvlink");
        assert_eq!(v["board"], "l40s");
        Ok(())
    }
}
