//! Normalisation of the GFD `nvidia.com/gpu.product` label into a typed [`ProductInfo`].
//!
//! GFD writes a *sanitised* NVML device name: every character outside `[A-Za-z0-9-_. ]` is
//! dropped and words are joined with `-` (`internal/lm/resource.go` in
//! `NVIDIA/k8s-device-plugin`, `gpu-domain.md` §1.2). The same SKU shows up under several
//! spellings (`NVIDIA-H200`, `NVIDIA-H200-SXM`, `NVIDIA-H200-SXM5-141GB`), vGPU guests report the
//! vGPU *type* (`NVIDIA-H100XM-80C`) instead of the board, MIG `single` appends
//! `-MIG-<profile>` and sharing appends `-SHARED`. Exact string comparison is therefore useless
//! for matching; this module maps every spelling onto one row of a static SKU table
//! ([`GPU_SKUS`]) and keeps whatever else it could parse.
//!
//! Sources of the table, per column (markers as in `gpu-domain.md`: **src** = read in the
//! source, **recall** = from vendor docs not re-read, verify before relying on it):
//!
//! * PCI device IDs: `assets/state-mig-manager/0400_configmap.yaml` and the vendored `pci.ids`
//!   in `NVIDIA/gpu-operator` (**src**, §1.2) for H100/H200/A100/L40S/L40/B200/RTX PRO 6000;
//!   NIM profile names `…-2321:10de-…` (H100 NVL), `…-2330:10de-…` (H100 SXM),
//!   `…-2bb5:10de-…`, `…-2901:10de-…` in NVIDIA's RAG blueprint `docs/model-profiles.md`
//!   (**src**); L4/T4/A10/A10G/A30/A40 from `pci.ids` (**recall**).
//! * NIM `gpu` tags: `gpu-domain.md` §3.2 (`H100`, `H100_NVL`, `A100`, `L40S`, `A10G`, `H200`,
//!   `B200`, **src**); `rtx6000_blackwell_sv` from the RAG blueprint (**src**); `l4` from
//!   `list-model-profiles` output (`tensorrt_llm-l4-…`); `h200_nvl` by analogy with `h100_nvl`
//!   (**recall**). Boards without a known tag get an empty list (generic profiles only).
//! * vGPU board prefixes: `gpu-domain.md` §2.1 (H100/H200 **src**, A100 **recall**), others
//!   (**recall**).
//! * NVLink: `gpu-domain.md` §1.5 and §2.3 (SXM/HGX → NVSwitch; H100/H200 NVL → bridges;
//!   L40S/L40/L4/T4/A10 → none; PCIe A100/H100/A30/A40 accept an *optional* bridge that no label
//!   reveals).
//! * Framebuffer sizes are the nominal marketing figures (GB × 1024 MiB); guests see slightly
//!   less, so size against the `nvidia.com/gpu.memory` label when it is present (§2.4, §4.3).
//!
//! ```
//! use nim_types::inventory::{GpuBoard, NvlinkTopology, ProductInfo};
//!
//! let p = ProductInfo::parse("NVIDIA-H100XM-80C");
//! assert_eq!(p.board, GpuBoard::H100Sxm);
//! assert_eq!(p.nvlink(), NvlinkTopology::NvSwitch);
//! assert!(p.vgpu.as_ref().is_some_and(|v| v.full_framebuffer));
//! ```

use serde::Serialize;

use super::mig::MigProfile;
use super::vgpu::VgpuProfile;

/// GPU architecture, as GFD's `nvidia.com/gpu.family` label names it.
///
/// ```
/// use nim_types::inventory::Architecture;
/// assert_eq!(Architecture::from_gfd_family("ada-lovelace"), Architecture::AdaLovelace);
/// assert_eq!(Architecture::Hopper.as_gfd_family(), "hopper");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Architecture {
    /// Pascal (compute capability 6.x).
    Pascal,
    /// Volta (7.0, 7.2).
    Volta,
    /// Turing (7.5), e.g. T4.
    Turing,
    /// Ampere (8.0–8.7), e.g. A100, A10, A30, A40.
    Ampere,
    /// Ada Lovelace (8.9), e.g. L40S, L40, L4.
    AdaLovelace,
    /// Hopper (9.x), e.g. H100, H200.
    Hopper,
    /// Blackwell (10.x and 12.x), e.g. B200, RTX PRO 6000.
    Blackwell,
    /// Rubin (13.x).
    Rubin,
    /// Anything else, or not known.
    Unknown,
}

impl Architecture {
    /// Parses a GFD `nvidia.com/gpu.family` value (case-insensitive). Unrecognised values map to
    /// [`Architecture::Unknown`].
    ///
    /// ```
    /// use nim_types::inventory::Architecture;
    /// assert_eq!(Architecture::from_gfd_family("Hopper"), Architecture::Hopper);
    /// assert_eq!(Architecture::from_gfd_family("quantum"), Architecture::Unknown);
    /// ```
    pub fn from_gfd_family(value: &str) -> Self {
        match value.trim().to_ascii_lowercase().as_str() {
            "pascal" => Self::Pascal,
            "volta" => Self::Volta,
            "turing" => Self::Turing,
            "ampere" => Self::Ampere,
            "ada-lovelace" | "ada" | "adalovelace" => Self::AdaLovelace,
            "hopper" => Self::Hopper,
            "blackwell" => Self::Blackwell,
            "rubin" => Self::Rubin,
            _ => Self::Unknown,
        }
    }

    /// The GFD label spelling of this architecture (`unknown` for [`Architecture::Unknown`]).
    ///
    /// ```
    /// use nim_types::inventory::Architecture;
    /// assert_eq!(Architecture::AdaLovelace.as_gfd_family(), "ada-lovelace");
    /// ```
    pub fn as_gfd_family(self) -> &'static str {
        match self {
            Self::Pascal => "pascal",
            Self::Volta => "volta",
            Self::Turing => "turing",
            Self::Ampere => "ampere",
            Self::AdaLovelace => "ada-lovelace",
            Self::Hopper => "hopper",
            Self::Blackwell => "blackwell",
            Self::Rubin => "rubin",
            Self::Unknown => "unknown",
        }
    }
}

/// Physical form factor of a board.
///
/// ```
/// use nim_types::inventory::{FormFactor, ProductInfo};
/// assert_eq!(ProductInfo::parse("NVIDIA-A100-PCIE-40GB").form_factor(), FormFactor::Pcie);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FormFactor {
    /// SXM module on an HGX/DGX baseboard.
    Sxm,
    /// PCIe card.
    Pcie,
    /// PCIe card sold with NVLink bridges (H100 NVL, H200 NVL).
    Nvl,
    /// Not known.
    Unknown,
}

/// Intra-node NVLink connectivity of a board, which no GFD or GPU Operator label exposes
/// (`gpu-domain.md` §1.5), so it is derived from the board and may be overridden per node.
///
/// ```
/// use nim_types::inventory::NvlinkTopology;
/// assert!(NvlinkTopology::NvSwitch.is_guaranteed());
/// assert!(!NvlinkTopology::OptionalBridge.is_guaranteed());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NvlinkTopology {
    /// No NVLink at all (L40S, L40, L4, T4, A10, A10G, RTX PRO 6000): GPU-to-GPU traffic goes
    /// over PCIe or host memory.
    None,
    /// A PCIe card that *accepts* a 2-way NVLink bridge (A100/H100 PCIe, A30, A40). Whether the
    /// bridge is installed is invisible from Kubernetes, so it is treated as absent unless an
    /// admin overrides the node's topology.
    OptionalBridge,
    /// NVLink bridges connect groups of at most `max_gpus` cards (H100 NVL pairs, H200 NVL 2- or
    /// 4-way); P2P only works inside a bridged group.
    Bridge {
        /// Largest bridged group.
        max_gpus: u8,
    },
    /// SXM modules on an NVSwitch/HGX baseboard: all GPUs of the node are NVLink peers.
    NvSwitch,
    /// Unknown board.
    Unknown,
}

impl NvlinkTopology {
    /// `true` when NVLink between the GPUs of a node is known to exist ([`NvlinkTopology::Bridge`]
    /// or [`NvlinkTopology::NvSwitch`]).
    ///
    /// ```
    /// use nim_types::inventory::NvlinkTopology;
    /// assert!(NvlinkTopology::Bridge { max_gpus: 2 }.is_guaranteed());
    /// assert!(!NvlinkTopology::None.is_guaranteed());
    /// ```
    pub fn is_guaranteed(self) -> bool {
        matches!(self, Self::Bridge { .. } | Self::NvSwitch)
    }
}

/// Canonical board, i.e. GPU model plus form factor, independent of memory size.
///
/// The stable string form ([`GpuBoard::as_str`]) is what the planner should put in plans and
/// explanations.
///
/// ```
/// use nim_types::inventory::GpuBoard;
/// assert_eq!(GpuBoard::H100Sxm.as_str(), "h100-sxm");
/// assert_eq!(GpuBoard::from_id("l40s"), Some(GpuBoard::L40S));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum GpuBoard {
    /// A100 SXM4 (HGX A100), 40 or 80 GB.
    #[serde(rename = "a100-sxm")]
    A100Sxm,
    /// A100 PCIe, 40 or 80 GB.
    #[serde(rename = "a100-pcie")]
    A100Pcie,
    /// A10 (24 GB, PCIe).
    #[serde(rename = "a10")]
    A10,
    /// A10G (AWS variant of A10).
    #[serde(rename = "a10g")]
    A10G,
    /// A30 (24 GB, PCIe).
    #[serde(rename = "a30")]
    A30,
    /// A40 (48 GB, PCIe).
    #[serde(rename = "a40")]
    A40,
    /// B200 (HGX B200).
    #[serde(rename = "b200")]
    B200,
    /// H100 SXM5 (64, 80 or 94 GB).
    #[serde(rename = "h100-sxm")]
    H100Sxm,
    /// H100 PCIe 80 GB.
    #[serde(rename = "h100-pcie")]
    H100Pcie,
    /// H100 NVL 94 GB.
    #[serde(rename = "h100-nvl")]
    H100Nvl,
    /// H200 SXM5 141 GB.
    #[serde(rename = "h200-sxm")]
    H200Sxm,
    /// H200 NVL 141 GB.
    #[serde(rename = "h200-nvl")]
    H200Nvl,
    /// L4 (24 GB).
    #[serde(rename = "l4")]
    L4,
    /// L40 (48 GB).
    #[serde(rename = "l40")]
    L40,
    /// L40S (48 GB).
    #[serde(rename = "l40s")]
    L40S,
    /// RTX PRO 6000 Blackwell Server Edition (96 GB).
    #[serde(rename = "rtx-pro-6000")]
    RtxPro6000,
    /// T4 (16 GB).
    #[serde(rename = "t4")]
    T4,
    /// Not in the table.
    #[serde(rename = "unknown")]
    Unknown,
}

impl GpuBoard {
    /// Every board, in declaration order (including [`GpuBoard::Unknown`]).
    ///
    /// ```
    /// use nim_types::inventory::GpuBoard;
    /// assert!(GpuBoard::ALL.contains(&GpuBoard::L40S));
    /// ```
    pub const ALL: [GpuBoard; 18] = [
        Self::A100Sxm,
        Self::A100Pcie,
        Self::A10,
        Self::A10G,
        Self::A30,
        Self::A40,
        Self::B200,
        Self::H100Sxm,
        Self::H100Pcie,
        Self::H100Nvl,
        Self::H200Sxm,
        Self::H200Nvl,
        Self::L4,
        Self::L40,
        Self::L40S,
        Self::RtxPro6000,
        Self::T4,
        Self::Unknown,
    ];

    /// Stable identifier, e.g. `h100-sxm`, `l40s`, `unknown`.
    ///
    /// ```
    /// use nim_types::inventory::GpuBoard;
    /// assert_eq!(GpuBoard::A100Pcie.as_str(), "a100-pcie");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A100Sxm => "a100-sxm",
            Self::A100Pcie => "a100-pcie",
            Self::A10 => "a10",
            Self::A10G => "a10g",
            Self::A30 => "a30",
            Self::A40 => "a40",
            Self::B200 => "b200",
            Self::H100Sxm => "h100-sxm",
            Self::H100Pcie => "h100-pcie",
            Self::H100Nvl => "h100-nvl",
            Self::H200Sxm => "h200-sxm",
            Self::H200Nvl => "h200-nvl",
            Self::L4 => "l4",
            Self::L40 => "l40",
            Self::L40S => "l40s",
            Self::RtxPro6000 => "rtx-pro-6000",
            Self::T4 => "t4",
            Self::Unknown => "unknown",
        }
    }

    /// Inverse of [`GpuBoard::as_str`] (case-insensitive).
    ///
    /// ```
    /// use nim_types::inventory::GpuBoard;
    /// assert_eq!(GpuBoard::from_id("H100-SXM"), Some(GpuBoard::H100Sxm));
    /// assert_eq!(GpuBoard::from_id("h100"), None);
    /// ```
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|b| b.as_str().eq_ignore_ascii_case(id.trim()))
    }

    /// The first SKU row of this board in [`GPU_SKUS`] (its most common variant, e.g. H100 SXM5
    /// 80 GB or A100 SXM4 80 GB), or `None` for [`GpuBoard::Unknown`].
    ///
    /// ```
    /// use nim_types::inventory::GpuBoard;
    /// assert_eq!(GpuBoard::A100Sxm.default_sku().map(|s| s.memory_gb), Some(80));
    /// assert!(GpuBoard::Unknown.default_sku().is_none());
    /// ```
    pub fn default_sku(self) -> Option<&'static GpuSku> {
        GPU_SKUS.iter().find(|s| s.board == self)
    }
}

impl std::fmt::Display for GpuBoard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the SKU capability table ([`GPU_SKUS`]): a board with a given memory size.
///
/// ```
/// use nim_types::inventory::{GpuSku, NvlinkTopology};
/// let sku = GpuSku::by_id("h200-sxm5-141gb").expect("row exists");
/// assert_eq!(sku.memory_mib(), 141 * 1024);
/// assert_eq!(sku.nvlink, NvlinkTopology::NvSwitch);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GpuSku {
    /// Stable SKU identifier, e.g. `h100-sxm5-80gb`.
    pub id: &'static str,
    /// Canonical board.
    pub board: GpuBoard,
    /// Architecture.
    pub architecture: Architecture,
    /// Form factor.
    pub form_factor: FormFactor,
    /// Nominal framebuffer of the full board in GB (decimal marketing figure).
    pub memory_gb: u32,
    /// Lower-case hex PCI device IDs (vendor `10de`), as NIM manifests use in `gpu_device`.
    pub pci_device_ids: &'static [&'static str],
    /// Intra-node NVLink connectivity.
    pub nvlink: NvlinkTopology,
    /// Whether the board supports MIG.
    pub mig_capable: bool,
    /// NIM manifest `gpu` tag values (lower case) that name this board.
    pub nim_gpu_tags: &'static [&'static str],
    /// vGPU type-name prefix (`H100XM` in `H100XM-80C`), if the board is vGPU-capable.
    pub vgpu_prefix: Option<&'static str>,
}

impl GpuSku {
    /// Nominal full-board framebuffer in MiB (`memory_gb × 1024`).
    ///
    /// ```
    /// use nim_types::inventory::GpuSku;
    /// assert_eq!(GpuSku::by_id("l40s").map(GpuSku::memory_mib), Some(49_152));
    /// ```
    pub fn memory_mib(&self) -> u64 {
        u64::from(self.memory_gb) * 1024
    }

    /// Looks a row up by [`GpuSku::id`].
    ///
    /// ```
    /// use nim_types::inventory::{GpuBoard, GpuSku};
    /// assert_eq!(GpuSku::by_id("a100-sxm4-40gb").map(|s| s.board), Some(GpuBoard::A100Sxm));
    /// ```
    pub fn by_id(id: &str) -> Option<&'static GpuSku> {
        GPU_SKUS.iter().find(|s| s.id == id)
    }

    /// Looks a row up by vGPU type-name prefix (case-insensitive), e.g. `H100XM` → H100 SXM5
    /// 80 GB.
    ///
    /// ```
    /// use nim_types::inventory::GpuSku;
    /// assert_eq!(GpuSku::by_vgpu_prefix("a100dx").map(|s| s.id), Some("a100-sxm4-80gb"));
    /// assert!(GpuSku::by_vgpu_prefix("P40").is_none());
    /// ```
    pub fn by_vgpu_prefix(prefix: &str) -> Option<&'static GpuSku> {
        GPU_SKUS.iter().find(|s| {
            s.vgpu_prefix
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix.trim()))
        })
    }

    /// Whether NVIDIA vGPU supports NVLink P2P between full-framebuffer time-sliced C-series
    /// vGPUs of this board *without* any admin knowledge, i.e. NVLink is guaranteed
    /// ([`NvlinkTopology::is_guaranteed`]). `gpu-domain.md` §2.3: P2P only on NVLink boards.
    ///
    /// ```
    /// use nim_types::inventory::GpuSku;
    /// assert_eq!(GpuSku::by_id("h100-sxm5-80gb").map(|s| s.supports_vgpu_p2p()), Some(true));
    /// assert_eq!(GpuSku::by_id("l40s").map(|s| s.supports_vgpu_p2p()), Some(false));
    /// ```
    pub fn supports_vgpu_p2p(&self) -> bool {
        self.vgpu_prefix.is_some() && self.nvlink.is_guaranteed()
    }
}

/// Builds one [`GpuSku`] row with labelled fields (brace-delimited so that the table stays
/// compact: one row, two lines, per SKU).
macro_rules! sku {
    (
        id: $id:literal, board: $board:ident, arch: $arch:ident, form: $ff:ident, gb: $gb:literal,
        pci: [$($pci:literal),*], nvlink: $nvlink:expr, mig: $mig:literal,
        nim: [$($tag:literal),*], vgpu: $vgpu:expr $(,)?
    ) => {
        GpuSku {
            id: $id,
            board: GpuBoard::$board,
            architecture: Architecture::$arch,
            form_factor: FormFactor::$ff,
            memory_gb: $gb,
            pci_device_ids: &[$($pci),*],
            nvlink: $nvlink,
            mig_capable: $mig,
            nim_gpu_tags: &[$($tag),*],
            vgpu_prefix: $vgpu,
        }
    };
}

/// The rows of [`GPU_SKUS`], one named constant per SKU so that [`PRODUCT_PATTERNS`] can point
/// at them. Kept out of rustfmt to preserve the two-lines-per-row table layout.
#[rustfmt::skip]
mod sku_table {
    use super::{Architecture, FormFactor, GpuBoard, GpuSku, NvlinkTopology};

    const NVSWITCH: NvlinkTopology = NvlinkTopology::NvSwitch;
    const NO_NVLINK: NvlinkTopology = NvlinkTopology::None;
    const OPT_BRIDGE: NvlinkTopology = NvlinkTopology::OptionalBridge;
    /// H100 NVL cards are bridged in pairs (`gpu-domain.md` §1.5).
    const BRIDGE_2: NvlinkTopology = NvlinkTopology::Bridge { max_gpus: 2 };
    /// H200 NVL cards take 2- or 4-way bridges (**recall**).
    const BRIDGE_4: NvlinkTopology = NvlinkTopology::Bridge { max_gpus: 4 };

    pub(super) const H100_SXM5_80: GpuSku = sku! { id: "h100-sxm5-80gb", board: H100Sxm, arch: Hopper, form: Sxm, gb: 80,
        pci: ["2330"], nvlink: NVSWITCH, mig: true, nim: ["h100"], vgpu: Some("H100XM") };
    pub(super) const H100_SXM5_94: GpuSku = sku! { id: "h100-sxm5-94gb", board: H100Sxm, arch: Hopper, form: Sxm, gb: 94,
        pci: [], nvlink: NVSWITCH, mig: true, nim: ["h100"], vgpu: Some("H100XL") };
    pub(super) const H100_SXM5_64: GpuSku = sku! { id: "h100-sxm5-64gb", board: H100Sxm, arch: Hopper, form: Sxm, gb: 64,
        pci: [], nvlink: NVSWITCH, mig: true, nim: ["h100"], vgpu: Some("H100XS") };
    pub(super) const H100_PCIE_80: GpuSku = sku! { id: "h100-pcie-80gb", board: H100Pcie, arch: Hopper, form: Pcie, gb: 80,
        pci: ["2331"], nvlink: OPT_BRIDGE, mig: true, nim: ["h100"], vgpu: Some("H100") };
    pub(super) const H100_NVL_94: GpuSku = sku! { id: "h100-nvl-94gb", board: H100Nvl, arch: Hopper, form: Nvl, gb: 94,
        pci: ["2321"], nvlink: BRIDGE_2, mig: true, nim: ["h100_nvl"], vgpu: Some("H100L") };
    pub(super) const H200_SXM5_141: GpuSku = sku! { id: "h200-sxm5-141gb", board: H200Sxm, arch: Hopper, form: Sxm, gb: 141,
        pci: ["2335"], nvlink: NVSWITCH, mig: true, nim: ["h200"], vgpu: Some("H200X") };
    pub(super) const H200_NVL_141: GpuSku = sku! { id: "h200-nvl-141gb", board: H200Nvl, arch: Hopper, form: Nvl, gb: 141,
        pci: ["233b"], nvlink: BRIDGE_4, mig: true, nim: ["h200_nvl"], vgpu: Some("H200") };
    pub(super) const A100_SXM4_80: GpuSku = sku! { id: "a100-sxm4-80gb", board: A100Sxm, arch: Ampere, form: Sxm, gb: 80,
        pci: ["20b2"], nvlink: NVSWITCH, mig: true, nim: ["a100"], vgpu: Some("A100DX") };
    pub(super) const A100_SXM4_40: GpuSku = sku! { id: "a100-sxm4-40gb", board: A100Sxm, arch: Ampere, form: Sxm, gb: 40,
        pci: ["20b0"], nvlink: NVSWITCH, mig: true, nim: ["a100"], vgpu: Some("A100X") };
    pub(super) const A100_PCIE_80: GpuSku = sku! { id: "a100-pcie-80gb", board: A100Pcie, arch: Ampere, form: Pcie, gb: 80,
        pci: ["20b5"], nvlink: OPT_BRIDGE, mig: true, nim: ["a100"], vgpu: Some("A100D") };
    pub(super) const A100_PCIE_40: GpuSku = sku! { id: "a100-pcie-40gb", board: A100Pcie, arch: Ampere, form: Pcie, gb: 40,
        pci: ["20b1", "20f1"], nvlink: OPT_BRIDGE, mig: true, nim: ["a100"], vgpu: Some("A100") };
    pub(super) const L40S_48: GpuSku = sku! { id: "l40s", board: L40S, arch: AdaLovelace, form: Pcie, gb: 48,
        pci: ["26b9"], nvlink: NO_NVLINK, mig: false, nim: ["l40s"], vgpu: Some("L40S") };
    pub(super) const L40_48: GpuSku = sku! { id: "l40", board: L40, arch: AdaLovelace, form: Pcie, gb: 48,
        pci: ["26b5"], nvlink: NO_NVLINK, mig: false, nim: [], vgpu: Some("L40") };
    pub(super) const L4_24: GpuSku = sku! { id: "l4", board: L4, arch: AdaLovelace, form: Pcie, gb: 24,
        pci: ["27b8"], nvlink: NO_NVLINK, mig: false, nim: ["l4"], vgpu: Some("L4") };
    pub(super) const T4_16: GpuSku = sku! { id: "t4", board: T4, arch: Turing, form: Pcie, gb: 16,
        pci: ["1eb8"], nvlink: NO_NVLINK, mig: false, nim: [], vgpu: Some("T4") };
    pub(super) const A10_24: GpuSku = sku! { id: "a10", board: A10, arch: Ampere, form: Pcie, gb: 24,
        pci: ["2236"], nvlink: NO_NVLINK, mig: false, nim: [], vgpu: Some("A10") };
    pub(super) const A10G_24: GpuSku = sku! { id: "a10g", board: A10G, arch: Ampere, form: Pcie, gb: 24,
        pci: ["2237"], nvlink: NO_NVLINK, mig: false, nim: ["a10g"], vgpu: None };
    pub(super) const A30_24: GpuSku = sku! { id: "a30", board: A30, arch: Ampere, form: Pcie, gb: 24,
        pci: ["20b7"], nvlink: OPT_BRIDGE, mig: true, nim: [], vgpu: Some("A30") };
    pub(super) const A40_48: GpuSku = sku! { id: "a40", board: A40, arch: Ampere, form: Pcie, gb: 48,
        pci: ["2235"], nvlink: OPT_BRIDGE, mig: false, nim: [], vgpu: Some("A40") };
    pub(super) const B200_180: GpuSku = sku! { id: "b200", board: B200, arch: Blackwell, form: Sxm, gb: 180,
        pci: ["2901"], nvlink: NVSWITCH, mig: true, nim: ["b200"], vgpu: Some("B200X") };
    pub(super) const RTX_PRO_6000: GpuSku = sku! { id: "rtx-pro-6000-server", board: RtxPro6000, arch: Blackwell, form: Pcie, gb: 96,
        pci: ["2bb5"], nvlink: NO_NVLINK, mig: true, nim: ["rtx6000_blackwell_sv"], vgpu: None };
}

use sku_table::*;

/// The SKU capability table. For each board the most common variant comes first.
///
/// See the module documentation for the source of every column.
///
/// ```
/// use nim_types::inventory::GPU_SKUS;
/// assert!(GPU_SKUS.iter().any(|s| s.id == "l40s" && s.pci_device_ids == ["26b9"]));
/// ```
pub static GPU_SKUS: &[GpuSku] = &[
    H100_SXM5_80,
    H100_SXM5_94,
    H100_SXM5_64,
    H100_PCIE_80,
    H100_NVL_94,
    H200_SXM5_141,
    H200_NVL_141,
    A100_SXM4_80,
    A100_SXM4_40,
    A100_PCIE_80,
    A100_PCIE_40,
    L40S_48,
    L40_48,
    L4_24,
    T4_16,
    A10_24,
    A10G_24,
    A30_24,
    A40_48,
    B200_180,
    RTX_PRO_6000,
];

/// A rule mapping the tokens of a physical (non-vGPU) product name onto a SKU.
struct ProductPattern {
    /// First token after the vendor prefix, e.g. `H100`.
    model: &'static str,
    /// Every needle must be the prefix of some token (`SXM` matches `SXM4`).
    all_of: &'static [&'static str],
    /// If set, a `<n>GB` token with this value must be present.
    memory_gb: Option<u32>,
    sku: &'static GpuSku,
}

const fn pat(
    model: &'static str,
    all_of: &'static [&'static str],
    memory_gb: Option<u32>,
    sku: &'static GpuSku,
) -> ProductPattern {
    ProductPattern {
        model,
        all_of,
        memory_gb,
        sku,
    }
}

/// Ordered: the first matching pattern wins, so specific rows precede model defaults.
/// Spellings: NVML names as sanitised by GFD (`NVIDIA H100 80GB HBM3`, `NVIDIA H100 PCIe`,
/// `NVIDIA H100 NVL`, `NVIDIA H200`, `NVIDIA H200 NVL`, `NVIDIA A100-SXM4-80GB`,
/// `NVIDIA A100 80GB PCIe`, `NVIDIA A100-PCIE-40GB`, `NVIDIA L40S`, `Tesla T4`, `NVIDIA B200`,
/// `NVIDIA RTX PRO 6000 Blackwell Server Edition`), plus variants seen in public manifests
/// (`NVIDIA-H200-SXM`, `NVIDIA-H200-SXM5-141GB`).
static PRODUCT_PATTERNS: &[ProductPattern] = &[
    pat("H100", &["NVL"], None, &H100_NVL_94),
    pat("H100", &["PCIE"], None, &H100_PCIE_80),
    pat("H100", &[], Some(94), &H100_SXM5_94),
    pat("H100", &[], Some(64), &H100_SXM5_64),
    pat("H100", &[], None, &H100_SXM5_80),
    pat("H200", &["NVL"], None, &H200_NVL_141),
    pat("H200", &[], None, &H200_SXM5_141),
    pat("A100", &["PCIE"], Some(80), &A100_PCIE_80),
    pat("A100", &["PCIE"], None, &A100_PCIE_40),
    pat("A100", &[], Some(80), &A100_SXM4_80),
    pat("A100", &[], None, &A100_SXM4_40),
    pat("L40S", &[], None, &L40S_48),
    pat("L40", &[], None, &L40_48),
    pat("L4", &[], None, &L4_24),
    pat("T4", &[], None, &T4_16),
    pat("A10G", &[], None, &A10G_24),
    pat("A10", &[], None, &A10_24),
    pat("A30", &[], None, &A30_24),
    pat("A40", &[], None, &A40_48),
    pat("B200", &[], None, &B200_180),
    pat("RTX", &["PRO", "6000", "SERVER"], None, &RTX_PRO_6000),
];

/// Vendor words GFD/NVML put in front of the model (`NVIDIA-`, `Tesla-`, `GRID-` on older vGPU
/// drivers, `Quadro-`).
const VENDOR_TOKENS: &[&str] = &["NVIDIA", "TESLA", "GRID", "QUADRO"];

/// Splits a sanitised product string into upper-case tokens and drops leading vendor words.
pub(crate) fn product_tokens(s: &str) -> Vec<String> {
    let mut tokens: Vec<String> = s
        .split(['-', ' '])
        .filter(|t| !t.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    while tokens
        .first()
        .is_some_and(|t| VENDOR_TOKENS.contains(&t.as_str()))
    {
        tokens.remove(0);
    }
    tokens
}

fn gb_token(token: &str) -> Option<u32> {
    token.strip_suffix("GB")?.parse().ok()
}

fn match_physical(tokens: &[String]) -> Option<&'static GpuSku> {
    let model = tokens.first()?;
    PRODUCT_PATTERNS
        .iter()
        .find(|p| {
            p.model == model
                && p.all_of
                    .iter()
                    .all(|needle| tokens.iter().any(|t| t.starts_with(needle)))
                && p.memory_gb
                    .is_none_or(|gb| tokens.iter().any(|t| gb_token(t) == Some(gb)))
        })
        .map(|p| p.sku)
}

/// Strips an ASCII suffix case-insensitively.
fn strip_suffix_ci<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    let tail = s.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &s[..cut])
}

/// Finds an ASCII needle case-insensitively; returns the byte offset.
fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Everything that could be derived from one `nvidia.com/gpu.product` value.
///
/// Built with [`ProductInfo::parse`], which never fails: unknown products yield
/// [`GpuBoard::Unknown`] with `sku: None` and keep whatever MIG / `-SHARED` / vGPU information
/// could still be parsed.
///
/// ```
/// use nim_types::inventory::{Architecture, GpuBoard, ProductInfo};
///
/// let p = ProductInfo::parse("A100-SXM4-40GB-MIG-1g.5gb-SHARED");
/// assert_eq!(p.board, GpuBoard::A100Sxm);
/// assert_eq!(p.architecture(), Architecture::Ampere);
/// assert_eq!(p.mig.as_ref().map(|m| m.memory_gb), Some(5));
/// assert!(p.shared);
///
/// let unknown = ProductInfo::parse("NVIDIA-GH200-480GB");
/// assert_eq!(unknown.board, GpuBoard::Unknown);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductInfo {
    /// The label value exactly as found.
    pub raw: String,
    /// Canonical board ([`GpuBoard::Unknown`] if not in the table).
    pub board: GpuBoard,
    /// Matching row of [`GPU_SKUS`], if any.
    pub sku: Option<&'static GpuSku>,
    /// Parsed vGPU type when the product is a vGPU type name (`NVIDIA-H100XM-80C`).
    pub vgpu: Option<VgpuProfile>,
    /// Parsed MIG profile when GFD's MIG `single` strategy appended `-MIG-<profile>`.
    pub mig: Option<MigProfile>,
    /// `true` when the value carried the `-SHARED` suffix (time-slicing or MPS without resource
    /// renaming).
    pub shared: bool,
}

impl ProductInfo {
    /// Parses a raw `nvidia.com/gpu.product` value. Never panics; see the type docs.
    ///
    /// ```
    /// use nim_types::inventory::{FormFactor, GpuBoard, ProductInfo};
    /// let p = ProductInfo::parse("NVIDIA-H100-80GB-HBM3");
    /// assert_eq!((p.board, p.form_factor()), (GpuBoard::H100Sxm, FormFactor::Sxm));
    /// assert_eq!(p.board_memory_mib(), Some(80 * 1024));
    /// assert_eq!(p.pci_device_ids(), ["2330"]);
    /// ```
    pub fn parse(raw: &str) -> Self {
        let trimmed = raw.trim();
        let (rest, shared) = match strip_suffix_ci(trimmed, "-SHARED") {
            Some(r) => (r, true),
            None => (trimmed, false),
        };
        let (base, mig) = match find_ci(rest, "-MIG-") {
            Some(i) => (&rest[..i], MigProfile::parse(&rest[i + "-MIG-".len()..])),
            None => (rest, None),
        };
        let tokens = product_tokens(base);
        let vgpu = VgpuProfile::from_tokens(&tokens);
        let sku = match &vgpu {
            Some(v) => v.sku,
            None => match_physical(&tokens),
        };
        Self {
            raw: raw.to_owned(),
            board: sku.map_or(GpuBoard::Unknown, |s| s.board),
            sku,
            vgpu,
            mig,
            shared,
        }
    }

    /// `true` when the product matched a row of [`GPU_SKUS`].
    ///
    /// ```
    /// use nim_types::inventory::ProductInfo;
    /// assert!(ProductInfo::parse("Tesla-T4").is_known());
    /// assert!(!ProductInfo::parse("Mystery-GPU").is_known());
    /// ```
    pub fn is_known(&self) -> bool {
        self.sku.is_some()
    }

    /// `true` when the product is a vGPU type name.
    ///
    /// ```
    /// use nim_types::inventory::ProductInfo;
    /// assert!(ProductInfo::parse("NVIDIA-L40S-48C").is_vgpu());
    /// assert!(!ProductInfo::parse("NVIDIA-L40S").is_vgpu());
    /// ```
    pub fn is_vgpu(&self) -> bool {
        self.vgpu.is_some()
    }

    /// Architecture of the board ([`Architecture::Unknown`] if the board is unknown).
    ///
    /// ```
    /// use nim_types::inventory::{Architecture, ProductInfo};
    /// assert_eq!(ProductInfo::parse("NVIDIA-L40S").architecture(), Architecture::AdaLovelace);
    /// ```
    pub fn architecture(&self) -> Architecture {
        self.sku.map_or(Architecture::Unknown, |s| s.architecture)
    }

    /// Form factor of the board ([`FormFactor::Unknown`] if unknown).
    ///
    /// ```
    /// use nim_types::inventory::{FormFactor, ProductInfo};
    /// assert_eq!(ProductInfo::parse("NVIDIA-H100-NVL").form_factor(), FormFactor::Nvl);
    /// ```
    pub fn form_factor(&self) -> FormFactor {
        self.sku.map_or(FormFactor::Unknown, |s| s.form_factor)
    }

    /// Nominal framebuffer of the *full physical board* in MiB.
    ///
    /// ```
    /// use nim_types::inventory::ProductInfo;
    /// // A vGPU slice of an L40S still reports the 48 GB board.
    /// assert_eq!(ProductInfo::parse("NVIDIA-L40S-24C").board_memory_mib(), Some(48 * 1024));
    /// ```
    pub fn board_memory_mib(&self) -> Option<u64> {
        self.sku.map(GpuSku::memory_mib)
    }

    /// Nominal memory of one device *as exposed* by this product: the vGPU framebuffer, the MIG
    /// slice, or the full board, in that order of precedence.
    ///
    /// ```
    /// use nim_types::inventory::ProductInfo;
    /// assert_eq!(ProductInfo::parse("NVIDIA-L40S-24C").device_memory_mib(), Some(24 * 1024));
    /// assert_eq!(
    ///     ProductInfo::parse("NVIDIA-A100-SXM4-80GB-MIG-3g.40gb").device_memory_mib(),
    ///     Some(40 * 1024)
    /// );
    /// ```
    pub fn device_memory_mib(&self) -> Option<u64> {
        if let Some(v) = &self.vgpu {
            return Some(v.framebuffer_mib());
        }
        if let Some(m) = &self.mig {
            return Some(m.memory_mib());
        }
        self.board_memory_mib()
    }

    /// PCI device IDs of the board (empty when unknown).
    ///
    /// ```
    /// use nim_types::inventory::ProductInfo;
    /// assert_eq!(ProductInfo::parse("NVIDIA-H200").pci_device_ids(), ["2335"]);
    /// ```
    pub fn pci_device_ids(&self) -> &'static [&'static str] {
        self.sku.map_or(&[], |s| s.pci_device_ids)
    }

    /// NVLink topology of the board ([`NvlinkTopology::Unknown`] if unknown).
    ///
    /// ```
    /// use nim_types::inventory::{NvlinkTopology, ProductInfo};
    /// assert_eq!(ProductInfo::parse("NVIDIA-L40S").nvlink(), NvlinkTopology::None);
    /// ```
    pub fn nvlink(&self) -> NvlinkTopology {
        self.sku.map_or(NvlinkTopology::Unknown, |s| s.nvlink)
    }

    /// NIM manifest `gpu` tags that name this board (empty when unknown or when NIM has no
    /// board-specific profiles for it).
    ///
    /// ```
    /// use nim_types::inventory::ProductInfo;
    /// assert_eq!(ProductInfo::parse("NVIDIA-H100-NVL").nim_gpu_tags(), ["h100_nvl"]);
    /// ```
    pub fn nim_gpu_tags(&self) -> &'static [&'static str] {
        self.sku.map_or(&[], |s| s.nim_gpu_tags)
    }

    /// Whether a NIM manifest `gpu` tag (e.g. `H100`, `L40S`, `H100_NVL`) names this board.
    /// Case-insensitive; `-` and `_` are treated alike. Unlike the NIM operator's substring rule
    /// ([`nim_operator_product_match`]) this does not let an `h100` profile match an H100 NVL.
    ///
    /// ```
    /// use nim_types::inventory::ProductInfo;
    /// let nvl = ProductInfo::parse("NVIDIA-H100-NVL");
    /// assert!(nvl.matches_nim_gpu_tag("H100_NVL"));
    /// assert!(!nvl.matches_nim_gpu_tag("H100"));
    /// ```
    pub fn matches_nim_gpu_tag(&self, tag: &str) -> bool {
        let tag = tag.trim().to_ascii_lowercase().replace('-', "_");
        self.nim_gpu_tags().iter().any(|t| *t == tag)
    }

    /// Whether a NIM manifest `gpu_device` tag (`2330:10de`, also accepted as `10de:2330` or a
    /// bare `2330`) is one of this board's PCI device IDs.
    ///
    /// ```
    /// use nim_types::inventory::ProductInfo;
    /// let l40s = ProductInfo::parse("NVIDIA-L40S");
    /// assert!(l40s.matches_nim_gpu_device("26b9:10de"));
    /// assert!(!l40s.matches_nim_gpu_device("26b5:10de")); // the L40's ID
    /// ```
    pub fn matches_nim_gpu_device(&self, gpu_device: &str) -> bool {
        let device = gpu_device
            .trim()
            .split(':')
            .find(|part| !part.eq_ignore_ascii_case("10de"))
            .unwrap_or_default();
        !device.is_empty()
            && self
                .pci_device_ids()
                .iter()
                .any(|id| id.eq_ignore_ascii_case(device))
    }
}

/// The NIM operator's own profile/node matching rule: case-insensitive *substring* of the
/// manifest `gpu` tag in the node's `nvidia.com/gpu.product` label (`gpu-domain.md` §1.2, §3.5).
/// Useful to predict what the operator will do; it is deliberately loose (`h100` matches
/// `NVIDIA-H100-NVL` and `NVIDIA-H100XM-80C`).
///
/// ```
/// use nim_types::inventory::nim_operator_product_match;
/// assert!(nim_operator_product_match("NVIDIA-H100XM-80C", "H100"));
/// assert!(!nim_operator_product_match("NVIDIA-L40S", "H100"));
/// ```
pub fn nim_operator_product_match(product_label: &str, gpu_tag: &str) -> bool {
    let tag = gpu_tag.trim().to_ascii_lowercase();
    !tag.is_empty() && product_label.to_ascii_lowercase().contains(&tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> ProductInfo {
        ProductInfo::parse(s)
    }

    #[test]
    fn physical_hopper_rows() {
        let cases = [
            ("NVIDIA-H100-80GB-HBM3", "h100-sxm5-80gb"),
            ("NVIDIA-H100-SXM5-80GB", "h100-sxm5-80gb"),
            ("NVIDIA-H100-SXM5-94GB", "h100-sxm5-94gb"),
            ("NVIDIA-H100-SXM5-64GB", "h100-sxm5-64gb"),
            ("NVIDIA-H100-PCIe", "h100-pcie-80gb"),
            ("NVIDIA-H100-NVL", "h100-nvl-94gb"),
            ("NVIDIA-H200", "h200-sxm5-141gb"),
            ("NVIDIA-H200-SXM", "h200-sxm5-141gb"),
            ("NVIDIA-H200-SXM5-141GB", "h200-sxm5-141gb"),
            ("NVIDIA-H200-NVL", "h200-nvl-141gb"),
        ];
        for (raw, id) in cases {
            let p = parse(raw);
            assert_eq!(p.sku.map(|s| s.id), Some(id), "{raw}");
            assert_eq!(p.architecture(), Architecture::Hopper, "{raw}");
            assert!(p.vgpu.is_none() && p.mig.is_none() && !p.shared, "{raw}");
        }
        assert_eq!(
            parse("NVIDIA-H100-NVL").nvlink(),
            NvlinkTopology::Bridge { max_gpus: 2 }
        );
        assert_eq!(
            parse("NVIDIA-H100-PCIe").nvlink(),
            NvlinkTopology::OptionalBridge
        );
        assert_eq!(parse("NVIDIA-H200").nvlink(), NvlinkTopology::NvSwitch);
    }

    #[test]
    fn physical_ampere_ada_turing_blackwell_rows() {
        let cases = [
            ("NVIDIA-A100-SXM4-80GB", "a100-sxm4-80gb", FormFactor::Sxm),
            ("NVIDIA-A100-SXM-80GB", "a100-sxm4-80gb", FormFactor::Sxm),
            ("NVIDIA-A100-SXM4-40GB", "a100-sxm4-40gb", FormFactor::Sxm),
            ("NVIDIA-A100-PCIE-40GB", "a100-pcie-40gb", FormFactor::Pcie),
            ("NVIDIA-A100-80GB-PCIe", "a100-pcie-80gb", FormFactor::Pcie),
            ("NVIDIA-L40S", "l40s", FormFactor::Pcie),
            ("NVIDIA-L40", "l40", FormFactor::Pcie),
            ("NVIDIA-L4", "l4", FormFactor::Pcie),
            ("Tesla-T4", "t4", FormFactor::Pcie),
            ("NVIDIA-A10", "a10", FormFactor::Pcie),
            ("NVIDIA-A10G", "a10g", FormFactor::Pcie),
            ("NVIDIA-A30", "a30", FormFactor::Pcie),
            ("NVIDIA-A40", "a40", FormFactor::Pcie),
            ("NVIDIA-B200", "b200", FormFactor::Sxm),
            (
                "NVIDIA-RTX-PRO-6000-Blackwell-Server-Edition",
                "rtx-pro-6000-server",
                FormFactor::Pcie,
            ),
        ];
        for (raw, id, ff) in cases {
            let p = parse(raw);
            assert_eq!(p.sku.map(|s| s.id), Some(id), "{raw}");
            assert_eq!(p.form_factor(), ff, "{raw}");
        }
        assert_eq!(parse("Tesla-T4").architecture(), Architecture::Turing);
        assert_eq!(parse("NVIDIA-B200").architecture(), Architecture::Blackwell);
        assert_eq!(parse("NVIDIA-L4").nvlink(), NvlinkTopology::None);
    }

    #[test]
    fn case_and_whitespace_insensitive() {
        assert_eq!(parse(" nvidia-l40s ").board, GpuBoard::L40S);
        assert_eq!(parse("NVIDIA L40S").board, GpuBoard::L40S);
        assert_eq!(parse("nvidia-h100-80gb-hbm3").board, GpuBoard::H100Sxm);
    }

    #[test]
    fn vgpu_time_sliced_profiles() {
        let p = parse("NVIDIA-H100XM-80C");
        assert_eq!(p.board, GpuBoard::H100Sxm);
        let v = p.vgpu.as_ref().expect("vgpu");
        assert_eq!(v.framebuffer_gb, 80);
        assert!(v.full_framebuffer && !v.is_mig_backed());
        assert_eq!(p.device_memory_mib(), Some(80 * 1024));

        let l = parse("NVIDIA-L40S-48C");
        assert_eq!(l.board, GpuBoard::L40S);
        assert!(l.vgpu.as_ref().is_some_and(|v| v.full_framebuffer));
        assert_eq!(l.nvlink(), NvlinkTopology::None);

        let frac = parse("NVIDIA-H100XM-40C");
        assert!(frac.vgpu.as_ref().is_some_and(|v| !v.full_framebuffer));

        let grid = parse("GRID-A100-40C");
        assert_eq!(grid.sku.map(|s| s.id), Some("a100-pcie-40gb"));
        assert_eq!(parse("NVIDIA-A100DX-80C").board, GpuBoard::A100Sxm);
        assert_eq!(parse("NVIDIA-H200X-141C").board, GpuBoard::H200Sxm);
        assert_eq!(parse("NVIDIA-H200-141C").board, GpuBoard::H200Nvl);
        assert_eq!(parse("NVIDIA-H100-80C").board, GpuBoard::H100Pcie);
        assert_eq!(parse("NVIDIA-H100L-94C").board, GpuBoard::H100Nvl);
    }

    #[test]
    fn vgpu_mig_backed_profiles() {
        let p = parse("NVIDIA-A100-4-20C");
        let v = p.vgpu.as_ref().expect("vgpu");
        assert_eq!(v.mig_slices, Some(4));
        assert_eq!(v.framebuffer_gb, 20);
        assert!(v.is_mig_backed());
        let h = parse("NVIDIA-H100XM-7-80C");
        assert!(
            h.vgpu
                .as_ref()
                .is_some_and(|v| v.is_mig_backed() && v.full_framebuffer)
        );
    }

    #[test]
    fn unknown_vgpu_board_keeps_profile() {
        let p = parse("GRID-P40-24Q");
        assert_eq!(p.board, GpuBoard::Unknown);
        let v = p.vgpu.as_ref().expect("vgpu");
        assert_eq!(v.board_prefix, "P40");
        assert!(!v.full_framebuffer);
        assert_eq!(p.nvlink(), NvlinkTopology::Unknown);
    }

    #[test]
    fn mig_single_and_shared_suffixes() {
        let p = parse("A100-SXM4-40GB-MIG-1g.5gb");
        assert_eq!(p.sku.map(|s| s.id), Some("a100-sxm4-40gb"));
        let m = p.mig.as_ref().expect("mig");
        assert_eq!((m.gpu_slices, m.memory_gb), (1, 5));
        assert!(!p.shared);
        assert_eq!(p.device_memory_mib(), Some(5 * 1024));

        let s = parse("A100-SXM4-40GB-MIG-1g.5gb-SHARED");
        assert!(s.shared && s.mig.is_some());
        let t = parse("Tesla-T4-SHARED");
        assert!(t.shared);
        assert_eq!(t.board, GpuBoard::T4);
        assert_eq!(
            parse("NVIDIA-H100-80GB-HBM3-MIG-1g.10gb").board,
            GpuBoard::H100Sxm
        );
    }

    #[test]
    fn unknown_products_do_not_panic() {
        for raw in [
            "",
            "-",
            "--SHARED",
            "-SHARED",
            "-MIG-",
            "NVIDIA",
            "NVIDIA-",
            "NVIDIA-GH200-480GB",
            "NVIDIA-RTX-6000-Ada-Generation",
            "Quadro-RTX-6000",
            "weird-MIG-xg.ygb",
            "ünïcödé-GPU-SHARED",
            "NVIDIA-X-99999999999999999999C",
        ] {
            let p = parse(raw);
            assert_eq!(p.board, GpuBoard::Unknown, "{raw:?}");
            assert!(p.sku.is_none());
            assert_eq!(p.raw, raw);
            assert!(p.nim_gpu_tags().is_empty() && p.pci_device_ids().is_empty());
            assert_eq!(p.board_memory_mib(), None);
        }
        assert!(parse("ünïcödé-GPU-SHARED").shared);
        assert!(parse("weird-MIG-xg.ygb").mig.is_none());
    }

    #[test]
    fn nim_tags_and_devices() {
        assert!(parse("NVIDIA-H100-80GB-HBM3").matches_nim_gpu_tag("H100"));
        assert!(parse("NVIDIA-H100XM-80C").matches_nim_gpu_tag("h100"));
        assert!(parse("NVIDIA-A100-PCIE-40GB").matches_nim_gpu_tag("A100"));
        assert!(parse("NVIDIA-H100-NVL").matches_nim_gpu_tag("h100-nvl"));
        assert!(!parse("NVIDIA-L40").matches_nim_gpu_tag("L40S"));
        assert!(parse("NVIDIA-H100-80GB-HBM3").matches_nim_gpu_device("2330:10de"));
        assert!(parse("NVIDIA-H100-80GB-HBM3").matches_nim_gpu_device("10DE:2330"));
        assert!(parse("NVIDIA-A100-PCIE-40GB").matches_nim_gpu_device("20f1"));
        assert!(!parse("NVIDIA-A100-PCIE-40GB").matches_nim_gpu_device("10de"));
        assert!(!parse("NVIDIA-A100-PCIE-40GB").matches_nim_gpu_device(""));
        assert!(nim_operator_product_match("NVIDIA-H100-NVL", "h100"));
        assert!(!nim_operator_product_match("NVIDIA-H100-NVL", ""));
    }

    #[test]
    fn table_is_consistent() {
        let mut ids: Vec<&str> = GPU_SKUS.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), GPU_SKUS.len(), "duplicate SKU ids");
        let mut prefixes: Vec<&str> = GPU_SKUS.iter().filter_map(|s| s.vgpu_prefix).collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        assert_eq!(
            prefixes.len(),
            GPU_SKUS.iter().filter(|s| s.vgpu_prefix.is_some()).count(),
            "duplicate vGPU prefixes"
        );
        for sku in GPU_SKUS {
            assert!(sku.board != GpuBoard::Unknown);
            assert!(sku.memory_gb > 0);
            for id in sku.pci_device_ids {
                assert_eq!(id.len(), 4);
                assert_eq!(*id, id.to_ascii_lowercase());
            }
            for tag in sku.nim_gpu_tags {
                assert_eq!(*tag, tag.to_ascii_lowercase());
            }
            // Every SKU with a vGPU prefix round-trips through its full-framebuffer C profile.
            if let Some(prefix) = sku.vgpu_prefix {
                let p = ProductInfo::parse(&format!("NVIDIA-{prefix}-{}C", sku.memory_gb));
                assert_eq!(p.sku.map(|s| s.id), Some(sku.id));
                assert!(p.vgpu.is_some_and(|v| v.full_framebuffer));
            }
        }
        for board in GpuBoard::ALL {
            assert_eq!(GpuBoard::from_id(board.as_str()), Some(board));
            assert_eq!(board.default_sku().is_none(), board == GpuBoard::Unknown);
        }
    }

    #[test]
    fn architecture_labels_round_trip() {
        for a in [
            Architecture::Pascal,
            Architecture::Volta,
            Architecture::Turing,
            Architecture::Ampere,
            Architecture::AdaLovelace,
            Architecture::Hopper,
            Architecture::Blackwell,
            Architecture::Rubin,
        ] {
            assert_eq!(Architecture::from_gfd_family(a.as_gfd_family()), a);
        }
        assert_eq!(Architecture::from_gfd_family(""), Architecture::Unknown);
    }

    #[test]
    fn serializes_with_stable_ids() -> Result<(), serde_json::Error> {
        let v = serde_json::to_value(parse("NVIDIA-L40S-48C"))?;
        assert_eq!(v["board"], "l40s");
        assert_eq!(v["sku"]["nvlink"], "none");
        assert_eq!(v["vgpu"]["series"], "C");
        Ok(())
    }
}
