//! Well-known node label keys and extended-resource names written by NVIDIA GPU Feature
//! Discovery (GFD), the NVIDIA device plugin and the NVIDIA GPU Operator.
//!
//! Sources (see `gpu-domain.md` §1.1 and §1.3): the "Catalog of Labels" in
//! `NVIDIA/k8s-device-plugin` (`docs/gpu-feature-discovery/README.md`, `internal/lm/*.go`) and
//! `controllers/state_manager.go` in `NVIDIA/gpu-operator`. All label values are strings.
//!
//! ```
//! use nim_types::inventory::labels;
//! assert!(labels::GPU_PRODUCT.starts_with("nvidia.com/"));
//! ```

/// GFD: sanitised GPU model name, e.g. `NVIDIA-H100-80GB-HBM3` or (vGPU guest) `NVIDIA-H100XM-80C`.
///
/// ```
/// assert_eq!(nim_types::inventory::labels::GPU_PRODUCT, "nvidia.com/gpu.product");
/// ```
pub const GPU_PRODUCT: &str = "nvidia.com/gpu.product";

/// GFD: number of GPUs on the node (under MIG `single`: number of MIG devices).
///
/// ```
/// assert_eq!(nim_types::inventory::labels::GPU_COUNT, "nvidia.com/gpu.count");
/// ```
pub const GPU_COUNT: &str = "nvidia.com/gpu.count";

/// GFD: framebuffer per GPU in MiB (under MIG `single`: memory of one MIG device).
///
/// ```
/// assert_eq!(nim_types::inventory::labels::GPU_MEMORY, "nvidia.com/gpu.memory");
/// ```
pub const GPU_MEMORY: &str = "nvidia.com/gpu.memory";

/// GFD: architecture family (`ampere`, `ada-lovelace`, `hopper`, `blackwell`, ...).
///
/// ```
/// assert_eq!(nim_types::inventory::labels::GPU_FAMILY, "nvidia.com/gpu.family");
/// ```
pub const GPU_FAMILY: &str = "nvidia.com/gpu.family";

/// GFD: CUDA compute capability, major part.
///
/// ```
/// assert_eq!(nim_types::inventory::labels::GPU_COMPUTE_MAJOR, "nvidia.com/gpu.compute.major");
/// ```
pub const GPU_COMPUTE_MAJOR: &str = "nvidia.com/gpu.compute.major";

/// GFD: CUDA compute capability, minor part.
///
/// ```
/// assert_eq!(nim_types::inventory::labels::GPU_COMPUTE_MINOR, "nvidia.com/gpu.compute.minor");
/// ```
pub const GPU_COMPUTE_MINOR: &str = "nvidia.com/gpu.compute.minor";

/// GFD: machine type (DMI product name or cloud instance type).
///
/// ```
/// assert_eq!(nim_types::inventory::labels::GPU_MACHINE, "nvidia.com/gpu.machine");
/// ```
pub const GPU_MACHINE: &str = "nvidia.com/gpu.machine";

/// GFD: replicas per GPU when sharing is enabled, otherwise `1`.
///
/// ```
/// assert_eq!(nim_types::inventory::labels::GPU_REPLICAS, "nvidia.com/gpu.replicas");
/// ```
pub const GPU_REPLICAS: &str = "nvidia.com/gpu.replicas";

/// GFD: sharing strategy, one of `none`, `time-slicing`, `mps`.
///
/// ```
/// assert_eq!(
///     nim_types::inventory::labels::GPU_SHARING_STRATEGY,
///     "nvidia.com/gpu.sharing-strategy"
/// );
/// ```
pub const GPU_SHARING_STRATEGY: &str = "nvidia.com/gpu.sharing-strategy";

/// GFD: multi-node NVLink clique (`<ClusterUUID>.<CliqueID>`), only on MNNVL/IMEX systems.
///
/// ```
/// assert_eq!(nim_types::inventory::labels::GPU_CLIQUE, "nvidia.com/gpu.clique");
/// ```
pub const GPU_CLIQUE: &str = "nvidia.com/gpu.clique";

/// GFD: full host driver version, e.g. `550.107.02`.
///
/// ```
/// assert_eq!(
///     nim_types::inventory::labels::CUDA_DRIVER_VERSION_FULL,
///     "nvidia.com/cuda.driver-version.full"
/// );
/// ```
pub const CUDA_DRIVER_VERSION_FULL: &str = "nvidia.com/cuda.driver-version.full";

/// GFD: highest CUDA runtime version the driver supports, e.g. `12.5`.
///
/// ```
/// assert_eq!(
///     nim_types::inventory::labels::CUDA_RUNTIME_VERSION_FULL,
///     "nvidia.com/cuda.runtime-version.full"
/// );
/// ```
pub const CUDA_RUNTIME_VERSION_FULL: &str = "nvidia.com/cuda.runtime-version.full";

/// GFD: `true` when the node's GPUs are NVIDIA vGPUs (a VM guest such as a VKS worker).
///
/// ```
/// assert_eq!(nim_types::inventory::labels::VGPU_PRESENT, "nvidia.com/vgpu.present");
/// ```
pub const VGPU_PRESENT: &str = "nvidia.com/vgpu.present";

/// GFD: vGPU manager (host) driver version as seen from the guest.
///
/// ```
/// assert_eq!(
///     nim_types::inventory::labels::VGPU_HOST_DRIVER_VERSION,
///     "nvidia.com/vgpu.host-driver-version"
/// );
/// ```
pub const VGPU_HOST_DRIVER_VERSION: &str = "nvidia.com/vgpu.host-driver-version";

/// GFD: vGPU host driver branch, e.g. `r550_40`.
///
/// ```
/// assert_eq!(
///     nim_types::inventory::labels::VGPU_HOST_DRIVER_BRANCH,
///     "nvidia.com/vgpu.host-driver-branch"
/// );
/// ```
pub const VGPU_HOST_DRIVER_BRANCH: &str = "nvidia.com/vgpu.host-driver-branch";

/// GFD: whether any GPU on the node supports MIG.
///
/// ```
/// assert_eq!(nim_types::inventory::labels::MIG_CAPABLE, "nvidia.com/mig.capable");
/// ```
pub const MIG_CAPABLE: &str = "nvidia.com/mig.capable";

/// GFD: MIG strategy, one of `none`, `single`, `mixed`.
///
/// ```
/// assert_eq!(nim_types::inventory::labels::MIG_STRATEGY, "nvidia.com/mig.strategy");
/// ```
pub const MIG_STRATEGY: &str = "nvidia.com/mig.strategy";

/// GPU Operator (mig-manager): requested MIG layout, e.g. `all-1g.10gb`, `all-balanced`.
///
/// ```
/// assert_eq!(nim_types::inventory::labels::MIG_CONFIG, "nvidia.com/mig.config");
/// ```
pub const MIG_CONFIG: &str = "nvidia.com/mig.config";

/// GPU Operator (mig-manager): state of the MIG layout change (`success`, `pending`, ...).
///
/// ```
/// assert_eq!(nim_types::inventory::labels::MIG_CONFIG_STATE, "nvidia.com/mig.config.state");
/// ```
pub const MIG_CONFIG_STATE: &str = "nvidia.com/mig.config.state";

/// GPU Operator: `true` on nodes where NFD found an NVIDIA PCI device.
///
/// ```
/// assert_eq!(nim_types::inventory::labels::GPU_PRESENT, "nvidia.com/gpu.present");
/// ```
pub const GPU_PRESENT: &str = "nvidia.com/gpu.present";

/// GPU Operator: workload mode, one of `container` (default), `vm-passthrough`, `vm-vgpu`.
///
/// ```
/// assert_eq!(nim_types::inventory::labels::GPU_WORKLOAD_CONFIG, "nvidia.com/gpu.workload.config");
/// ```
pub const GPU_WORKLOAD_CONFIG: &str = "nvidia.com/gpu.workload.config";

/// GPU Operator: prefix of the per-operand deploy labels (`nvidia.com/gpu.deploy.driver`,
/// `nvidia.com/gpu.deploy.device-plugin`, ..., and the master switch
/// `nvidia.com/gpu.deploy.operands`). Values are `"true"`/`"false"`.
///
/// ```
/// let key = format!("{}device-plugin", nim_types::inventory::labels::GPU_DEPLOY_PREFIX);
/// assert_eq!(key, "nvidia.com/gpu.deploy.device-plugin");
/// ```
pub const GPU_DEPLOY_PREFIX: &str = "nvidia.com/gpu.deploy.";

/// Extended resource advertised by the NVIDIA device plugin (whole GPUs, whole vGPUs, MIG
/// devices under the `single` strategy, or time-sliced replicas when not renamed).
///
/// ```
/// assert_eq!(nim_types::inventory::labels::RESOURCE_GPU, "nvidia.com/gpu");
/// ```
pub const RESOURCE_GPU: &str = "nvidia.com/gpu";

/// Extended resource used for shared GPUs when the device plugin's `renameByDefault` is set.
///
/// ```
/// assert_eq!(nim_types::inventory::labels::RESOURCE_GPU_SHARED, "nvidia.com/gpu.shared");
/// ```
pub const RESOURCE_GPU_SHARED: &str = "nvidia.com/gpu.shared";

/// Prefix of the per-profile MIG resources under the `mixed` strategy, e.g.
/// `nvidia.com/mig-1g.10gb`.
///
/// ```
/// assert!("nvidia.com/mig-3g.40gb".starts_with(nim_types::inventory::labels::RESOURCE_MIG_PREFIX));
/// ```
pub const RESOURCE_MIG_PREFIX: &str = "nvidia.com/mig-";
