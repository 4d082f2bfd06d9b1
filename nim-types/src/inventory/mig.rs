//! MIG (Multi-Instance GPU) profiles and the GFD MIG strategy.
//!
//! GFD's MIG `single` strategy appends `-MIG-<profile>` to `nvidia.com/gpu.product` and keeps the
//! `nvidia.com/gpu` resource; `mixed` advertises one resource per profile,
//! `nvidia.com/mig-<g>g.<mem>gb` (`gpu-domain.md` §1.1, source: `NVIDIA/k8s-device-plugin`
//! README).
//!
//! ```
//! use nim_types::inventory::{MigProfile, MigStrategy};
//! assert_eq!(MigProfile::parse("3g.40gb").map(|m| m.gpu_slices), Some(3));
//! assert_eq!(MigStrategy::parse("mixed"), Some(MigStrategy::Mixed));
//! ```

use serde::Serialize;

/// A parsed MIG profile name such as `1g.5gb`, `1g.10gb+me` or `1c.3g.20gb`.
///
/// ```
/// use nim_types::inventory::MigProfile;
/// let m = MigProfile::parse("nvidia.com/mig-1g.10gb").expect("valid");
/// assert_eq!(m.name, "1g.10gb");
/// assert_eq!(m.memory_mib(), 10 * 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct MigProfile {
    /// Normalised (lower-case) profile name without any `nvidia.com/mig-` / `mig-` prefix.
    pub name: String,
    /// Compute-instance slices for compute-instance profiles (`1c.3g.20gb` → `Some(1)`).
    pub compute_slices: Option<u32>,
    /// GPU-instance slices (`3g` → 3, out of 7 on A100/H100/H200).
    pub gpu_slices: u32,
    /// Memory of the GPU instance in GB.
    pub memory_gb: u32,
    /// Attribute suffix such as `me` (media extensions) from `1g.10gb+me`, if any.
    pub attributes: Option<String>,
}

impl MigProfile {
    /// Parses a MIG profile name, with or without a `nvidia.com/mig-` or `mig-` prefix.
    /// Returns `None` for anything that is not `[<c>c.]<g>g.<mem>gb[<attrs>]`.
    ///
    /// ```
    /// use nim_types::inventory::MigProfile;
    /// let m = MigProfile::parse("1c.3g.20gb").expect("valid");
    /// assert_eq!((m.compute_slices, m.gpu_slices, m.memory_gb), (Some(1), 3, 20));
    /// assert_eq!(MigProfile::parse("1g.10gb+me").and_then(|m| m.attributes), Some("me".into()));
    /// assert!(MigProfile::parse("all-balanced").is_none());
    /// ```
    pub fn parse(value: &str) -> Option<Self> {
        let lower = value.trim().to_ascii_lowercase();
        let name = lower
            .strip_prefix("nvidia.com/mig-")
            .or_else(|| lower.strip_prefix("mig-"))
            .unwrap_or(&lower);
        let mut parts = name.splitn(3, '.');
        let first = parts.next()?;
        let second = parts.next()?;
        let (compute_slices, gpu_part, mem_part) = match first.strip_suffix('c') {
            Some(c) => {
                let third = parts.next()?;
                (Some(c.parse::<u32>().ok()?), second, third.to_owned())
            }
            None => {
                let rest = parts.next().map(|r| format!("{second}.{r}"));
                (None, first, rest.unwrap_or_else(|| second.to_owned()))
            }
        };
        let gpu_slices: u32 = gpu_part.strip_suffix('g')?.parse().ok()?;
        let digits_end = mem_part
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(mem_part.len());
        let memory_gb: u32 = mem_part.get(..digits_end)?.parse().ok()?;
        let attrs = mem_part.get(digits_end..)?.strip_prefix("gb")?;
        let attrs = attrs.trim_start_matches(['+', '-', '.']);
        if gpu_slices == 0 {
            return None;
        }
        Some(Self {
            name: name.to_owned(),
            compute_slices,
            gpu_slices,
            memory_gb,
            attributes: (!attrs.is_empty()).then(|| attrs.to_owned()),
        })
    }

    /// Nominal memory of the instance in MiB (`memory_gb × 1024`).
    ///
    /// ```
    /// use nim_types::inventory::MigProfile;
    /// assert_eq!(MigProfile::parse("7g.80gb").map(|m| m.memory_mib()), Some(81_920));
    /// ```
    pub fn memory_mib(&self) -> u64 {
        u64::from(self.memory_gb) * 1024
    }

    /// The `mixed`-strategy extended resource name for this profile, e.g.
    /// `nvidia.com/mig-1g.10gb`.
    ///
    /// ```
    /// use nim_types::inventory::MigProfile;
    /// assert_eq!(
    ///     MigProfile::parse("2g.20gb").map(|m| m.resource_name()),
    ///     Some("nvidia.com/mig-2g.20gb".to_owned())
    /// );
    /// ```
    pub fn resource_name(&self) -> String {
        format!("{}{}", super::labels::RESOURCE_MIG_PREFIX, self.name)
    }
}

/// GFD MIG strategy (`nvidia.com/mig.strategy`). An absent label means [`MigStrategy::None`].
///
/// ```
/// use nim_types::inventory::MigStrategy;
/// assert_eq!(MigStrategy::parse("SINGLE"), Some(MigStrategy::Single));
/// assert_eq!(MigStrategy::default(), MigStrategy::None);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MigStrategy {
    /// MIG not in use.
    #[default]
    None,
    /// Every GPU uses the same layout; MIG devices are advertised as `nvidia.com/gpu`.
    Single,
    /// Per-profile resources `nvidia.com/mig-<profile>`.
    Mixed,
}

impl MigStrategy {
    /// Parses the label value (case-insensitive); `None` if it is not one of the three.
    ///
    /// ```
    /// use nim_types::inventory::MigStrategy;
    /// assert_eq!(MigStrategy::parse("none"), Some(MigStrategy::None));
    /// assert_eq!(MigStrategy::parse("some"), None);
    /// ```
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "none" => Some(Self::None),
            "single" => Some(Self::Single),
            "mixed" => Some(Self::Mixed),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_profiles() {
        for (raw, g, gb) in [
            ("1g.5gb", 1, 5),
            ("1g.10gb", 1, 10),
            ("2g.20gb", 2, 20),
            ("3g.40gb", 3, 40),
            ("7g.80gb", 7, 80),
            ("1g.18gb", 1, 18),
            ("2g.35gb", 2, 35),
            ("3g.71gb", 3, 71),
            ("MIG-1G.5GB", 1, 5),
            ("nvidia.com/mig-3g.40gb", 3, 40),
        ] {
            let m = MigProfile::parse(raw).unwrap_or_else(|| panic!("{raw}"));
            assert_eq!(
                (m.gpu_slices, m.memory_gb, m.compute_slices),
                (g, gb, None),
                "{raw}"
            );
            assert!(m.attributes.is_none());
        }
    }

    #[test]
    fn parses_attributes_and_compute_instances() {
        let me = MigProfile::parse("1g.10gb+me").expect("valid");
        assert_eq!(me.attributes.as_deref(), Some("me"));
        // GFD sanitising drops the '+'.
        let me2 = MigProfile::parse("1g.10gbme").expect("valid");
        assert_eq!(me2.attributes.as_deref(), Some("me"));
        let ci = MigProfile::parse("2c.4g.40gb").expect("valid");
        assert_eq!(ci.compute_slices, Some(2));
        assert_eq!(ci.gpu_slices, 4);
    }

    #[test]
    fn rejects_malformed() {
        for raw in [
            "",
            ".",
            "g.gb",
            "1g",
            "1g.",
            "1g.gb",
            "xg.5gb",
            "1g.5",
            "0g.5gb",
            "1c.1g",
            "abc",
            "1g.5tb",
            "all-disabled",
            "1g.99999999999gb",
        ] {
            assert!(MigProfile::parse(raw).is_none(), "{raw:?}");
        }
    }

    #[test]
    fn strategy_parse() {
        assert_eq!(MigStrategy::parse(" Mixed "), Some(MigStrategy::Mixed));
        assert_eq!(MigStrategy::parse(""), None);
    }
}
