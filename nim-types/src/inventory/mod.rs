//! The cluster GPU inventory the planner consumes: GPU nodes as NVIDIA GPU Feature Discovery
//! (GFD), the device plugin and the GPU Operator describe them, built from real Kubernetes
//! `Node` and `Pod` objects.
//!
//! Layers, bottom-up:
//!
//! * [`labels`]: well-known label keys and resource names.
//! * [`ProductInfo`] (`product`), [`VgpuProfile`] (`vgpu`), [`MigProfile`] (`mig`): table-driven
//!   normalisation of `nvidia.com/gpu.product` into a canonical [`GpuBoard`] / [`GpuSku`] with
//!   architecture, form factor, framebuffer, PCI IDs, NVLink and NIM `gpu` tags.
//! * [`NodeInventory`]: one node, from a `k8s_openapi` `Node`; malformed values become typed
//!   [`InventoryWarning`]s, never panics.
//! * [`ClusterInventory`]: all nodes, per-node allocations from pods, free GPUs and pools.
//! * Rules ([`can_serve_multi_gpu_replica`], [`can_place_replica`], [`can_serve_vlm`],
//!   [`usable_gpu_memory_mib`]): pure checks returning typed [`Reason`]s.
//!
//! Domain sources are cited per item; the research notes are `gpu-domain.md` §1, §2 and §4.
//!
//! ```
//! use k8s_openapi::api::core::v1::Node;
//! use nim_types::inventory::{ClusterInventory, Reason, can_serve_multi_gpu_replica};
//!
//! let node: Node = serde_json::from_value(serde_json::json!({
//!     "metadata": {"name": "vks-gpu-0", "labels": {
//!         "nvidia.com/gpu.product": "NVIDIA-H100XM-80C",
//!         "nvidia.com/gpu.count": "4",
//!         "nvidia.com/vgpu.present": "true"}},
//!     "status": {"allocatable": {"nvidia.com/gpu": "4"},
//!                "conditions": [{"type": "Ready", "status": "True"}]}
//! }))?;
//! let inv = ClusterInventory::from_objects(&[node], &[]);
//! let pool = &inv.pools()["nvidia-h100xm-80c-x4"];
//! assert_eq!(pool.free_gpus, 4);
//! assert_eq!(can_serve_multi_gpu_replica(&inv.nodes["vks-gpu-0"], 4), Ok(vec![]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
pub mod labels;
mod mig;
mod node;
mod product;
mod rules;
mod snapshot;
#[cfg(test)]
mod testdata;
mod vgpu;

pub use error::{InventoryError, InventoryWarning};
pub use mig::{MigProfile, MigStrategy};
pub use node::{ComputeCapability, NodeInventory, SharingStrategy};
pub use product::{
    Architecture, FormFactor, GPU_SKUS, GpuBoard, GpuSku, NvlinkTopology, ProductInfo,
    nim_operator_product_match,
};
pub use rules::{
    GPU_MEMORY_UTILISATION_PERCENT, Reason, Severity, VGPU_GPU_MEMORY_UTILISATION_PERCENT,
    can_place_replica, can_serve_multi_gpu_replica, can_serve_vlm, usable_gpu_memory_mib,
};
pub use snapshot::{
    ClusterInventory, ClusterPolicyState, GpuPool, NodeAllocation, pod_effective_request,
};
pub use vgpu::{VgpuProfile, VgpuSeries};
