//! VM class arguments of `what-if --add-pool` and `capacity --offer`:
//! `PRODUCT[:GPUS_PER_VM][:vgpu|passthrough][=COUNT]`, e.g. `NVIDIA-H100XM-80C:4:vgpu=2`,
//! `NVIDIA-A100-SXM4-80GB:8:passthrough`.
//!
//! * `PRODUCT`: the `nvidia.com/gpu.product` value GFD reports on the VM; it must be in the GPU
//!   product table (`nim_types::inventory::ProductInfo`).
//! * `GPUS_PER_VM`: default: the common VKS class for the product (4 for `NVIDIA-L40S-48C` and
//!   `NVIDIA-H100XM-80C`, 8 for `NVIDIA-A100-SXM4-80GB`), else 1.
//! * `vgpu|passthrough`: default `vgpu` when the product is a vGPU type name (`…-80C`), else
//!   `passthrough`. A vGPU type name with `passthrough` is refused.
//! * `=COUNT`: VMs to add (default 1; `--add-pool` only).
//!
//! A class becomes synthetic `Node` objects carrying the GFD labels (`nvidia.com/gpu.present`,
//! `.product`, `.count`, `.memory` (the vGPU framebuffer, else the board's memory, from the
//! product table), `.family`, `nvidia.com/vgpu.present`), `status.allocatable["nvidia.com/gpu"]`
//! and a Ready condition.

use std::fmt;

use nim_types::inventory::{GpuPool, ProductInfo};
use serde_json::{Value, json};

use crate::cmd::explain::{VM_CLASSES, synthetic_node};

/// A parsed VM class argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VmClass {
    /// `nvidia.com/gpu.product`.
    pub product: String,
    /// GPUs per VM.
    pub gpus: u32,
    /// vGPU (`true`) or passthrough.
    pub vgpu: bool,
    /// `=COUNT`, when given.
    pub count: Option<u64>,
}

impl fmt::Display for VmClass {
    /// Canonical form without the count: `PRODUCT:GPUS:vgpu|passthrough`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.product,
            self.gpus,
            if self.vgpu { "vgpu" } else { "passthrough" }
        )
    }
}

/// The syntax, for error messages.
pub(crate) const SYNTAX: &str = "PRODUCT[:GPUS_PER_VM][:vgpu|passthrough][=COUNT]";

impl VmClass {
    /// Parses `PRODUCT[:GPUS_PER_VM][:vgpu|passthrough][=COUNT]`.
    pub(crate) fn parse(arg: &str) -> Result<Self, String> {
        let bad = |why: String| format!("{arg:?} is not a VM class ({SYNTAX}): {why}");
        let (spec, count) = match arg.split_once('=') {
            Some((s, c)) => {
                let n: u64 = c
                    .trim()
                    .parse()
                    .map_err(|_| bad(format!("COUNT {c:?} is not a whole number")))?;
                if n == 0 || n > 1000 {
                    return Err(bad(format!("COUNT {n} is not in 1..=1000")));
                }
                (s, Some(n))
            }
            None => (arg, None),
        };
        let mut parts = spec.split(':');
        let product = parts.next().unwrap_or("").trim();
        if product.is_empty() {
            return Err(bad("PRODUCT is empty".into()));
        }
        let info = ProductInfo::parse(product);
        if !info.is_known() {
            return Err(bad(format!(
                "unknown GPU product {product:?} (use an nvidia.com/gpu.product value such as \
                 NVIDIA-H100XM-80C, NVIDIA-L40S-48C or NVIDIA-A100-SXM4-80GB)"
            )));
        }
        let mut gpus = None;
        let mut mode = None;
        for part in parts {
            let part = part.trim();
            match part {
                "vgpu" | "passthrough" if mode.is_none() => mode = Some(part == "vgpu"),
                _ if gpus.is_none() && mode.is_none() && !part.is_empty() => {
                    let n: u32 = part.parse().map_err(|_| {
                        bad(format!(
                            "{part:?} is neither GPUS_PER_VM nor vgpu|passthrough"
                        ))
                    })?;
                    if n == 0 || n > 64 {
                        return Err(bad(format!("GPUS_PER_VM {n} is not in 1..=64")));
                    }
                    gpus = Some(n);
                }
                _ => return Err(bad(format!("unexpected part {part:?}"))),
            }
        }
        let vgpu = mode.unwrap_or(info.is_vgpu());
        if info.is_vgpu() && !vgpu {
            return Err(bad(format!(
                "{product} is a vGPU type name; a passthrough VM reports the physical product"
            )));
        }
        let gpus = gpus.unwrap_or_else(|| {
            VM_CLASSES
                .iter()
                .find(|c| c.0 == product)
                .map_or(1, |c| u32::try_from(c.1).unwrap_or(1))
        });
        Ok(Self {
            product: product.to_owned(),
            gpus,
            vgpu,
            count,
        })
    }

    /// The pool name the planner gives VMs of this class.
    pub(crate) fn pool_name(&self) -> String {
        GpuPool::pool_name(Some(&self.product), u64::from(self.gpus), self.vgpu)
    }

    /// A synthetic Node of this class.
    pub(crate) fn node(&self, name: &str) -> Value {
        let info = ProductInfo::parse(&self.product);
        let memory = info.device_memory_mib().unwrap_or(0);
        let mut node = synthetic_node(
            name,
            &self.product,
            u64::from(self.gpus),
            self.vgpu,
            memory,
            info.architecture().as_gfd_family(),
        );
        node["metadata"]["labels"]["node.kubernetes.io/instance-type"] =
            json!(format!("synthetic-{}", self.pool_name()));
        node
    }
}

/// Clap value parser for `--add-pool`.
pub(crate) fn parse_add_pool(arg: &str) -> Result<VmClass, String> {
    VmClass::parse(arg)
}

/// Clap value parser for `--offer` (no `=COUNT`: capacity decides the count).
pub(crate) fn parse_offer(arg: &str) -> Result<VmClass, String> {
    let c = VmClass::parse(arg)?;
    if c.count.is_some() {
        return Err(format!(
            "{arg:?}: --offer takes no =COUNT (capacity works out how many VMs to add)"
        ));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let c = VmClass::parse("NVIDIA-H100XM-80C:4:vgpu=2").unwrap();
        assert_eq!(c.to_string(), "NVIDIA-H100XM-80C:4:vgpu");
        assert_eq!(c.count, Some(2));
        assert_eq!(c.pool_name(), "nvidia-h100xm-80c-x4");
        let c = VmClass::parse("NVIDIA-A100-SXM4-80GB:8:passthrough").unwrap();
        assert!(!c.vgpu && c.gpus == 8 && c.count.is_none());
        let c = VmClass::parse("NVIDIA-L40S-48C").unwrap();
        assert_eq!(c.to_string(), "NVIDIA-L40S-48C:4:vgpu");
        let c = VmClass::parse("NVIDIA-A100-SXM4-80GB:vgpu").unwrap();
        assert_eq!(c.to_string(), "NVIDIA-A100-SXM4-80GB:8:vgpu");
        let node = VmClass::parse("NVIDIA-H100XM-80C:4").unwrap().node("n0");
        let labels = &node["metadata"]["labels"];
        assert_eq!(labels["nvidia.com/gpu.memory"], "81920");
        assert_eq!(labels["nvidia.com/gpu.family"], "hopper");
        assert_eq!(labels["nvidia.com/vgpu.present"], "true");
        assert_eq!(node["status"]["allocatable"]["nvidia.com/gpu"], "4");
    }

    #[test]
    fn refuses_malformed_classes() {
        for bad in [
            "",
            "Mystery-GPU:4",
            "NVIDIA-H100XM-80C:0",
            "NVIDIA-H100XM-80C:four",
            "NVIDIA-H100XM-80C:4:vgpu:8",
            "NVIDIA-H100XM-80C:4:passthrough",
            "NVIDIA-H100XM-80C:4=0",
            "NVIDIA-H100XM-80C:4=x",
        ] {
            assert!(VmClass::parse(bad).is_err(), "{bad:?}");
        }
        assert!(parse_offer("NVIDIA-H100XM-80C:4=2").is_err());
    }
}
