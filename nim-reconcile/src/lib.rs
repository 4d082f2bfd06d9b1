//! Reconcile pipelines for the four NIM custom resources, with pluggable effects.
//!
//! Every controller runs the same pipeline — observe (watch caches) → validate and plan
//! ([`nim_planner`]) → apply (server-side apply, one field manager, only what changed) → prune
//! (managed children the plan no longer contains) → status (only when it changed) → events (on
//! transitions) — written against the traits of [`traits`]:
//!
//! * [`traits::Observe`] — the cluster snapshot and observed children;
//! * [`traits::Apply`] — apply, delete, finalizers;
//! * [`traits::StatusWriter`] — the status subresource;
//! * [`traits::EventSink`] — events.
//!
//! [`kube_impl`] implements them with kube-rs; [`controller`] wires the four controllers on
//! kube's runtime. Another team can swap any effect (a dry-run or GitOps applier, their own
//! status policy) and reuse [`nimservice::reconcile`] and friends, or call the planner and
//! [`kube_impl::KubeApplier`] from their own controller; see `examples/` in the repository.
//!
//! ```
//! // Change detection is a pure function of the desired object:
//! let obj = serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "llm"}});
//! assert_eq!(nim_reconcile::hash::desired_hash(&obj), nim_reconcile::hash::desired_hash(&obj.clone()));
//! ```

pub mod controller;
pub mod error;
pub mod hash;
pub mod kinds;
pub mod kube_impl;
pub mod memory;
pub mod metrics;
pub mod mpi;
pub mod nimbuild;
pub mod nimcache;
pub mod nimpipeline;
pub mod nimservice;
pub mod pipeline;
pub mod traits;
