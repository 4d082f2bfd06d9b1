//! Pure planner for NVIDIA NIM model serving on Kubernetes: NIM custom resources (plus inputs
//! decided elsewhere) in, desired child objects out. No Kubernetes client, no async runtime, no
//! clock and no randomness: every function is deterministic.
//!
//! * [`render`]: the child objects NVIDIA's `k8s-nim-operator` renders for a `NIMService`
//!   (standalone platform) and a `NIMCache`, field for field, so a cluster run by NVIDIA's
//!   operator can be taken over without churn.
//! * [`capacity`]: the fewest new VMs of offered classes that run a set of replica demands
//!   (exact branch and bound on small instances, first-fit-decreasing beyond).

pub mod capacity;
pub mod diagnostics;
pub mod graph;
pub mod placement;
pub mod plan;
pub mod profile;
pub mod render;
pub mod snapshot;
