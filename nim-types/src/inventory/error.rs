//! Typed problems found while building the inventory. Malformed input never panics: it becomes
//! an [`InventoryWarning`] (the value is ignored and a safe default used) or, when an object
//! cannot be represented at all, an [`InventoryError`].
//!
//! ```
//! use nim_types::inventory::InventoryWarning;
//! let w = InventoryWarning::MalformedLabel {
//!     node: "gpu-1".into(),
//!     label: "nvidia.com/gpu.count".into(),
//!     value: "eight".into(),
//!     expected: "a non-negative integer",
//! };
//! assert!(w.to_string().contains("gpu-1"));
//! ```

use serde::Serialize;

/// A non-fatal problem in a `Node` or `Pod`; the offending value was ignored.
///
/// ```
/// use nim_types::inventory::InventoryWarning;
/// let w = InventoryWarning::UnknownProduct { node: "n1".into(), product: "NVIDIA-X".into() };
/// assert_eq!(w.node(), Some("n1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum InventoryWarning {
    /// A node label has a value that cannot be parsed.
    #[error("node {node}: label {label}={value:?} is malformed (expected {expected}); ignored")]
    MalformedLabel {
        /// Node name.
        node: String,
        /// Label key.
        label: String,
        /// Offending value.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A node `status.allocatable` / `status.capacity` quantity of an NVIDIA extended resource is
    /// not a non-negative integer.
    #[error(
        "node {node}: {field} {resource}={value:?} is not a non-negative integer; treated as 0"
    )]
    MalformedNodeResource {
        /// Node name.
        node: String,
        /// `allocatable` or `capacity`.
        field: &'static str,
        /// Resource name.
        resource: String,
        /// Offending quantity.
        value: String,
    },
    /// The `nvidia.com/gpu.product` label is not in the normalisation table.
    #[error("node {node}: GPU product {product:?} is not in the normalisation table")]
    UnknownProduct {
        /// Node name.
        node: String,
        /// Raw label value.
        product: String,
    },
    /// A `Node` without `metadata.name` was skipped.
    #[error("a Node without metadata.name was skipped")]
    NodeWithoutName,
    /// A pod's container requests or limits an NVIDIA resource with a quantity that is not a
    /// non-negative integer.
    #[error(
        "pod {namespace}/{pod}: container {container} {resource}={value:?} is not a non-negative integer; treated as 0"
    )]
    MalformedPodResource {
        /// Pod namespace (empty if unset).
        namespace: String,
        /// Pod name (empty if unset).
        pod: String,
        /// Container name.
        container: String,
        /// Resource name.
        resource: String,
        /// Offending quantity.
        value: String,
    },
    /// More of a resource is requested by pods bound to the node than the node advertises.
    #[error(
        "node {node}: pods request {allocated} {resource} but only {allocatable} are allocatable"
    )]
    OverAllocated {
        /// Node name.
        node: String,
        /// Resource name.
        resource: String,
        /// Sum of effective pod requests.
        allocated: u64,
        /// Allocatable amount.
        allocatable: u64,
    },
}

impl InventoryWarning {
    /// The node the warning is about, if it is about a node.
    ///
    /// ```
    /// use nim_types::inventory::InventoryWarning;
    /// assert_eq!(InventoryWarning::NodeWithoutName.node(), None);
    /// ```
    pub fn node(&self) -> Option<&str> {
        match self {
            Self::MalformedLabel { node, .. }
            | Self::MalformedNodeResource { node, .. }
            | Self::UnknownProduct { node, .. }
            | Self::OverAllocated { node, .. } => Some(node),
            Self::NodeWithoutName | Self::MalformedPodResource { .. } => None,
        }
    }
}

/// An object that cannot be turned into inventory at all.
///
/// ```
/// use nim_types::inventory::{InventoryError, NodeInventory};
/// let node = k8s_openapi::api::core::v1::Node::default();
/// assert_eq!(NodeInventory::from_node(&node), Err(InventoryError::MissingNodeName));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    /// The `Node` has no `metadata.name`.
    #[error("Node has no metadata.name")]
    MissingNodeName,
}
