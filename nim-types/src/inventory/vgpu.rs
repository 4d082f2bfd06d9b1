//! NVIDIA vGPU type names as reported inside a guest VM (e.g. a VKS worker node).
//!
//! Naming (`gpu-domain.md` §2.1, from `assets/state-vgpu-device-manager/0500_configmap.yaml` in
//! `NVIDIA/gpu-operator`):
//!
//! * time-sliced: `<board>-<framebuffer GB><series>`, e.g. `H100XM-80C`, `L40S-48C`;
//! * MIG-backed: `<board>-<GPU-instance slices>-<framebuffer GB><series>`, e.g. `A100-4-20C`,
//!   `H100XM-7-80C`.
//!
//! Series letters: `C` = vGPU for Compute (the only one NIM/AI workloads use), `Q` = virtual
//! workstation, `B` = virtual PC, `A` = virtual applications.
//!
//! ```
//! use nim_types::inventory::{VgpuProfile, VgpuSeries};
//! let v = VgpuProfile::parse("NVIDIA-H100XM-80C").expect("a vGPU type");
//! assert_eq!((v.series, v.framebuffer_gb, v.full_framebuffer), (VgpuSeries::C, 80, true));
//! ```

use serde::Serialize;

use super::product::{GpuBoard, GpuSku, product_tokens};

/// vGPU series (the trailing letter of the type name).
///
/// ```
/// use nim_types::inventory::VgpuSeries;
/// assert_eq!(VgpuSeries::from_letter('c'), Some(VgpuSeries::C));
/// assert_eq!(VgpuSeries::Q.letter(), 'Q');
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum VgpuSeries {
    /// vGPU for Compute (AI/ML, CUDA). The only series with NVLink P2P support.
    C,
    /// Virtual workstation (RTX vWS).
    Q,
    /// Virtual PC.
    B,
    /// Virtual applications.
    A,
}

impl VgpuSeries {
    /// Parses the series letter (case-insensitive).
    ///
    /// ```
    /// use nim_types::inventory::VgpuSeries;
    /// assert_eq!(VgpuSeries::from_letter('B'), Some(VgpuSeries::B));
    /// assert_eq!(VgpuSeries::from_letter('X'), None);
    /// ```
    pub fn from_letter(letter: char) -> Option<Self> {
        match letter.to_ascii_uppercase() {
            'C' => Some(Self::C),
            'Q' => Some(Self::Q),
            'B' => Some(Self::B),
            'A' => Some(Self::A),
            _ => None,
        }
    }

    /// The series letter.
    ///
    /// ```
    /// use nim_types::inventory::VgpuSeries;
    /// assert_eq!(VgpuSeries::C.letter(), 'C');
    /// ```
    pub fn letter(self) -> char {
        match self {
            Self::C => 'C',
            Self::Q => 'Q',
            Self::B => 'B',
            Self::A => 'A',
        }
    }
}

/// A parsed vGPU type name.
///
/// ```
/// use nim_types::inventory::{GpuBoard, VgpuProfile};
/// let v = VgpuProfile::parse("A100-4-20C").expect("a vGPU type");
/// assert_eq!(v.board(), GpuBoard::A100Pcie);
/// assert!(v.is_mig_backed());
/// assert!(!v.supports_p2p());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VgpuProfile {
    /// Canonical (upper-case, vendor prefix removed) type name, e.g. `H100XM-80C`.
    pub name: String,
    /// Board prefix, e.g. `H100XM`.
    pub board_prefix: String,
    /// The physical board's SKU row, when the prefix is in the table.
    pub sku: Option<&'static GpuSku>,
    /// Framebuffer of this vGPU in GB.
    pub framebuffer_gb: u32,
    /// Series letter.
    pub series: VgpuSeries,
    /// GPU-instance slices for MIG-backed types (`A100-4-20C` → `Some(4)`), `None` when
    /// time-sliced.
    pub mig_slices: Option<u32>,
    /// `true` when the vGPU owns the whole framebuffer of a *known* board (`H100XM-80C`,
    /// `L40S-48C`). Always `false` for unknown boards (cannot be proven).
    pub full_framebuffer: bool,
}

impl VgpuProfile {
    /// Parses a vGPU type name, with or without a vendor prefix (`NVIDIA-`, `GRID-`) and with or
    /// without a `-SHARED` suffix. Returns `None` when the value is not shaped like a vGPU type.
    ///
    /// ```
    /// use nim_types::inventory::VgpuProfile;
    /// assert!(VgpuProfile::parse("GRID-A100-40C").is_some());
    /// assert!(VgpuProfile::parse("NVIDIA-A100-SXM4-80GB").is_none());
    /// ```
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let value = value
            .len()
            .checked_sub("-SHARED".len())
            .and_then(|cut| {
                value
                    .get(cut..)
                    .filter(|t| t.eq_ignore_ascii_case("-SHARED"))
                    .and_then(|_| value.get(..cut))
            })
            .unwrap_or(value);
        Self::from_tokens(&product_tokens(value))
    }

    /// Parses pre-tokenised (upper-case, vendor-stripped) product tokens.
    pub(crate) fn from_tokens(tokens: &[String]) -> Option<Self> {
        let (board, slices, fb) = match tokens {
            [board, fb] => (board, None, fb),
            [board, slices, fb] => (board, Some(slices), fb),
            _ => return None,
        };
        if !board.starts_with(|c: char| c.is_ascii_alphabetic())
            || !board.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return None;
        }
        let letter = fb.chars().last()?;
        let series = VgpuSeries::from_letter(letter)?;
        let digits = fb.get(..fb.len() - 1)?;
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let framebuffer_gb: u32 = digits.parse().ok()?;
        let mig_slices = match slices {
            Some(s) if s.chars().all(|c| c.is_ascii_digit()) => Some(s.parse::<u32>().ok()?),
            Some(_) => return None,
            None => None,
        };
        if framebuffer_gb == 0 || mig_slices == Some(0) {
            return None;
        }
        let sku = GpuSku::by_vgpu_prefix(board);
        let full_framebuffer = sku.is_some_and(|s| s.memory_gb == framebuffer_gb);
        Some(Self {
            name: tokens.join("-"),
            board_prefix: board.clone(),
            sku,
            framebuffer_gb,
            series,
            mig_slices,
            full_framebuffer,
        })
    }

    /// Canonical board of the underlying physical GPU ([`GpuBoard::Unknown`] if the prefix is
    /// not in the table).
    ///
    /// ```
    /// use nim_types::inventory::{GpuBoard, VgpuProfile};
    /// assert_eq!(VgpuProfile::parse("H200X-141C").map(|v| v.board()), Some(GpuBoard::H200Sxm));
    /// ```
    pub fn board(&self) -> GpuBoard {
        self.sku.map_or(GpuBoard::Unknown, |s| s.board)
    }

    /// Framebuffer in MiB (`framebuffer_gb × 1024`).
    ///
    /// ```
    /// use nim_types::inventory::VgpuProfile;
    /// assert_eq!(VgpuProfile::parse("L40S-24C").map(|v| v.framebuffer_mib()), Some(24_576));
    /// ```
    pub fn framebuffer_mib(&self) -> u64 {
        u64::from(self.framebuffer_gb) * 1024
    }

    /// `true` for MIG-backed types (`<board>-<slices>-<GB>C`).
    ///
    /// ```
    /// use nim_types::inventory::VgpuProfile;
    /// assert_eq!(VgpuProfile::parse("H100XM-3-40C").map(|v| v.is_mig_backed()), Some(true));
    /// ```
    pub fn is_mig_backed(&self) -> bool {
        self.mig_slices.is_some()
    }

    /// `true` for time-sliced types (not MIG-backed).
    ///
    /// ```
    /// use nim_types::inventory::VgpuProfile;
    /// assert_eq!(VgpuProfile::parse("H100XM-40C").map(|v| v.is_time_sliced()), Some(true));
    /// ```
    pub fn is_time_sliced(&self) -> bool {
        self.mig_slices.is_none()
    }

    /// Whether this vGPU type can do NVLink P2P with its peers in the same VM, per NVIDIA's P2P
    /// rules (`gpu-domain.md` §2.3): a time-sliced, C-series vGPU that owns the whole framebuffer
    /// of a board with guaranteed NVLink. Node-level NVLink overrides are applied by
    /// [`crate::inventory::can_serve_multi_gpu_replica`], not here.
    ///
    /// ```
    /// use nim_types::inventory::VgpuProfile;
    /// let p2p = |s: &str| VgpuProfile::parse(s).is_some_and(|v| v.supports_p2p());
    /// assert!(p2p("H100XM-80C"));
    /// assert!(!p2p("H100XM-40C")); // fractional
    /// assert!(!p2p("H100XM-7-80C")); // MIG-backed
    /// assert!(!p2p("L40S-48C")); // no NVLink
    /// ```
    pub fn supports_p2p(&self) -> bool {
        self.is_time_sliced()
            && self.series == VgpuSeries::C
            && self.full_framebuffer
            && self.sku.is_some_and(GpuSku::supports_vgpu_p2p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_type_names() {
        let cases: [(&str, GpuBoard, u32, Option<u32>, bool); 9] = [
            ("H100-80C", GpuBoard::H100Pcie, 80, None, true),
            ("H100XM-80C", GpuBoard::H100Sxm, 80, None, true),
            ("H100XM-8C", GpuBoard::H100Sxm, 8, None, false),
            ("H200X-141C", GpuBoard::H200Sxm, 141, None, true),
            ("A100-40C", GpuBoard::A100Pcie, 40, None, true),
            ("A100DX-80C", GpuBoard::A100Sxm, 80, None, true),
            ("L40S-48C", GpuBoard::L40S, 48, None, true),
            ("A100-4-20C", GpuBoard::A100Pcie, 20, Some(4), false),
            ("H200X-7-141C", GpuBoard::H200Sxm, 141, Some(7), true),
        ];
        for (raw, board, gb, slices, full) in cases {
            let v = VgpuProfile::parse(raw).unwrap_or_else(|| panic!("{raw}"));
            assert_eq!(v.board(), board, "{raw}");
            assert_eq!(v.framebuffer_gb, gb, "{raw}");
            assert_eq!(v.mig_slices, slices, "{raw}");
            assert_eq!(v.full_framebuffer, full, "{raw}");
            assert_eq!(v.series, VgpuSeries::C);
            assert_eq!(v.name, raw);
        }
    }

    #[test]
    fn other_series_and_prefixes() {
        let q = VgpuProfile::parse("NVIDIA-L40S-48Q").expect("valid");
        assert_eq!(q.series, VgpuSeries::Q);
        assert!(!q.supports_p2p());
        assert!(VgpuProfile::parse("GRID-A100-40C-SHARED").is_some());
        assert_eq!(
            VgpuProfile::parse("nvidia-h100xm-80c").map(|v| v.name),
            Some("H100XM-80C".into())
        );
    }

    #[test]
    fn p2p_matrix() {
        let p2p = |s: &str| VgpuProfile::parse(s).is_some_and(|v| v.supports_p2p());
        assert!(p2p("H100XM-80C"));
        assert!(p2p("H100L-94C"));
        assert!(p2p("H200X-141C"));
        assert!(p2p("H200-141C"));
        assert!(p2p("A100DX-80C"));
        assert!(p2p("B200X-180C"));
        assert!(!p2p("H100-80C")); // PCIe: bridge optional, not guaranteed
        assert!(!p2p("A100D-80C"));
        assert!(!p2p("L40S-48C"));
        assert!(!p2p("A100-4-20C"));
        assert!(!p2p("P40-24C")); // unknown board
    }

    #[test]
    fn rejects_non_vgpu_shapes() {
        for raw in [
            "",
            "NVIDIA-L40S",
            "NVIDIA-H100-80GB-HBM3",
            "NVIDIA-A100-SXM4-80GB",
            "NVIDIA-H100-NVL",
            "Tesla-T4",
            "H100XM-C",
            "H100XM-80X",
            "H100XM-0C",
            "H100XM-0-80C",
            "H100XM-x-80C",
            "1H00-80C",
            "H1.00-80C",
            "A-B-C-D",
            "H100XM-99999999999C",
        ] {
            assert!(VgpuProfile::parse(raw).is_none(), "{raw:?}");
        }
    }
}
