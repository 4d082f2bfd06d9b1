//! Typed, wire-compatible custom resources for NVIDIA NIM (`apps.nvidia.com/v1alpha1`) and the
//! GPU inventory model the planner consumes.
//!
//! * [`NIMCache`], [`NIMService`], [`NIMPipeline`], [`NIMBuild`]: the four CRDs, field for field
//!   compatible with NVIDIA's v3.1.2 schema (plus documented relaxations), CEL rules included.
//! * [`crds`]: the generated `CustomResourceDefinition`s.
//! * [`conditions`]: status conditions and state vocabulary.
//! * [`inventory`]: GPU nodes as GPU Feature Discovery describes them, built from real `Node`s.
//! * [`external`]: minimal typed structs for the third-party kinds the planner emits.
//!
//! ```
//! use nim_types::NIMService;
//! let svc: NIMService = serde_json::from_value(serde_json::json!({
//!     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
//!     "metadata": {"name": "llm", "namespace": "nim"},
//!     "spec": {"image": {"repository": "nvcr.io/nim/meta/llama-3.1-8b-instruct", "tag": "1.3.3"}}
//! })).unwrap();
//! assert_eq!(svc.spec.service_port(), 8000);
//! ```

pub mod conditions;
pub mod crd;
pub mod external;
pub mod inventory;
#[cfg(feature = "validate")]
pub mod validate;

pub use crd::common::*;
pub use crd::nimbuild::*;
pub use crd::nimcache::*;
pub use crd::nimpipeline::*;
pub use crd::nimservice::*;
pub use crd::{API_VERSION, GROUP, VERSION, crds};
