//! Structured planner findings: what is wrong (or risky) with which object, at which field, and
//! what to do about it.
//!
//! Every [`Diagnostic`] carries a stable [`Code`] (serialised as its [`Code::as_str`] name), a
//! [`Severity`] derived from the code, the [`ObjectRef`] it is about, a field path such as
//! `spec.scale.hpa.metrics`, and a message that says what to do. [`sort_diagnostics`] gives the
//! canonical, deterministic order (object, severity, code, field, message) and removes duplicates.
//!
//! ```
//! use nim_planner::diagnostics::{Code, Diagnostic, ObjectRef, Severity, sort_diagnostics};
//!
//! let svc = ObjectRef::new("NIMService", "nim", "llm");
//! let mut out = vec![
//!     Diagnostic::new(Code::UnpinnedImage, svc.clone(), "spec.image.tag", "pin a version"),
//!     Diagnostic::new(Code::NimCacheNotFound, svc.clone(), "spec.storage.nimCache.name", "create it"),
//! ];
//! sort_diagnostics(&mut out);
//! assert_eq!(out[0].code, Code::NimCacheNotFound); // errors before warnings
//! assert_eq!(out[0].severity, Severity::Error);
//! assert_eq!(serde_json::to_value(&out[1].code)?, "UnpinnedImage");
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How bad a [`Diagnostic`] is. Orders `Error` before `Warning`.
///
/// ```
/// use nim_planner::diagnostics::Severity;
/// assert!(Severity::Error < Severity::Warning);
/// assert_eq!(Severity::Warning.as_str(), "warning");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The plan cannot be carried out as written.
    Error,
    /// The plan works but is risky, degraded or will surprise the user.
    Warning,
}

impl Severity {
    /// Lower-case name (`error`, `warning`).
    ///
    /// ```
    /// assert_eq!(nim_planner::diagnostics::Severity::Error.as_str(), "error");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $name:ident => $sev:ident ),+ $(,)?) => {
        /// Stable diagnostic codes. The string form ([`Code::as_str`]) is the variant name and is
        /// what serde reads and writes; it never changes once released.
        ///
        /// ```
        /// use nim_planner::diagnostics::{Code, Severity};
        /// assert_eq!(Code::VgpuMultiGpuUnsupported.as_str(), "VgpuMultiGpuUnsupported");
        /// assert_eq!(Code::CpuMetricAutoscaling.severity(), Severity::Warning);
        /// assert_eq!("NimCacheNotFound".parse::<Code>(), Ok(Code::NimCacheNotFound));
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[$doc])* $name, )+
        }

        impl Code {
            /// Every code, in declaration order (errors first).
            ///
            /// ```
            /// use nim_planner::diagnostics::Code;
            /// assert_eq!(Code::ALL.len(), 22);
            /// ```
            pub const ALL: &'static [Code] = &[ $( Code::$name, )+ ];

            /// The stable string name.
            ///
            /// ```
            /// use nim_planner::diagnostics::Code;
            /// assert_eq!(Code::UnpinnedImage.as_str(), "UnpinnedImage");
            /// ```
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$name => stringify!($name), )+ }
            }

            /// The severity every diagnostic with this code has.
            ///
            /// ```
            /// use nim_planner::diagnostics::{Code, Severity};
            /// assert_eq!(Code::InsufficientGpuMemory.severity(), Severity::Error);
            /// ```
            pub fn severity(self) -> Severity {
                match self { $( Code::$name => Severity::$sev, )+ }
            }
        }
    };
}

codes! {
    /// A replica needs several GPUs in one pod, but the vGPU nodes cannot provide NVLink P2P
    /// between vGPUs (L40S, fractional or MIG-backed vGPU types).
    VgpuMultiGpuUnsupported => Error,
    /// No node has as many GPUs as one pod of a replica needs.
    InsufficientGpusPerNode => Error,
    /// No node's GPUs have enough memory for the model at the chosen parallelism.
    InsufficientGpuMemory => Error,
    /// No profile in the NIMCache manifest matches, or the chosen profile matches no GPU.
    NoCompatibleProfile => Error,
    /// `spec.replicas` is set while `spec.scale.enabled` is true (the API server rejects it).
    ReplicasWithAutoscaling => Error,
    /// `spec.storage.nimCache.name` names a NIMCache that does not exist.
    NimCacheNotFound => Error,
    /// The model store is not exactly one of nimCache, pvc, emptyDir, hostPath.
    InvalidStorage => Error,
    /// A NIMPipeline's service dependencies form a cycle.
    PipelineDependencyCycle => Error,
    /// Not even the minimum number of replicas fits the free GPU capacity.
    MinReplicasUnschedulable => Error,
    /// The GPU Operator is not ready, or no node advertises `nvidia.com/gpu.present`.
    GpuStackNotReady => Error,
    /// The object would be rejected by the API server (schema or CEL rule).
    InvalidSpec => Error,
    /// The HPA scales on CPU (explicitly, or by default without metrics); useless for inference.
    CpuMetricAutoscaling => Warning,
    /// Autoscaling without a NIMCache: every scale-out downloads the model again.
    AutoscalingWithoutCache => Warning,
    /// The model store is emptyDir/hostPath while the service scales or has several replicas.
    EphemeralModelStore => Warning,
    /// `spec.expose.ingress` is deprecated; use `spec.expose.router`.
    DeprecatedIngress => Warning,
    /// The image tag is not pinned (empty, `latest` or a bare major).
    UnpinnedImage => Warning,
    /// The maximum replica count does not fit the free GPU capacity.
    MaxReplicasExceedCapacity => Warning,
    /// A ReadWriteOnce volume is shared by replicas that may land on different nodes.
    ReadWriteOnceSharedAcrossNodes => Warning,
    /// Passthrough tensor parallelism on GPUs without guaranteed NVLink (TP over PCIe).
    NoNvlinkForTensorParallel => Warning,
    /// Nothing determines how many GPUs a pod needs, so it would get none.
    GpuCountUnspecified => Warning,
    /// An object of the cluster snapshot could not be read and was skipped.
    InvalidSnapshotObject => Warning,
    /// Part of the spec that this planner version does not render (named in the message).
    NotRendered => Warning,
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error of [`Code::from_str`]: the string is not a known code name.
///
/// ```
/// use nim_planner::diagnostics::{Code, UnknownCode};
/// assert_eq!("Nope".parse::<Code>(), Err(UnknownCode("Nope".into())));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown diagnostic code {0:?}")]
pub struct UnknownCode(pub String);

impl FromStr for Code {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The Kubernetes object a diagnostic is about. Orders by kind, namespace, name.
///
/// ```
/// use nim_planner::diagnostics::ObjectRef;
/// let r = ObjectRef::new("NIMService", "nim", "llm");
/// assert_eq!(r.to_string(), "NIMService nim/llm");
/// assert_eq!(ObjectRef::new("Node", "", "gpu-0").to_string(), "Node gpu-0");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    /// Kind, e.g. `NIMService`.
    pub kind: String,
    /// Namespace (empty for cluster-scoped objects).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjectRef {
    /// Builds a reference.
    ///
    /// ```
    /// let r = nim_planner::diagnostics::ObjectRef::new("NIMCache", "nim", "c");
    /// assert_eq!(r.kind, "NIMCache");
    /// ```
    pub fn new(
        kind: impl Into<String>,
        namespace: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// One finding of the planner.
///
/// ```
/// use nim_planner::diagnostics::{Code, Diagnostic, ObjectRef, Severity};
/// let d = Diagnostic::new(
///     Code::DeprecatedIngress,
///     ObjectRef::new("NIMService", "nim", "llm"),
///     "spec.expose.ingress",
///     "move it to spec.expose.router.ingress",
/// );
/// assert_eq!(d.severity, Severity::Warning);
/// assert!(d.to_string().starts_with("warning[DeprecatedIngress] NIMService nim/llm"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Severity (always `code.severity()` for diagnostics built with [`Diagnostic::new`]).
    pub severity: Severity,
    /// The object concerned.
    pub object: ObjectRef,
    /// Field path inside the object, e.g. `spec.scale.hpa.metrics` (empty for the whole object).
    pub field: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl Diagnostic {
    /// Builds a diagnostic whose severity is the code's.
    ///
    /// ```
    /// use nim_planner::diagnostics::{Code, Diagnostic, ObjectRef, Severity};
    /// let d = Diagnostic::new(Code::GpuStackNotReady, ObjectRef::new("ClusterPolicy", "", "p"), "status.state", "wait");
    /// assert_eq!(d.severity, Severity::Error);
    /// ```
    pub fn new(
        code: Code,
        object: ObjectRef,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity: code.severity(),
            object,
            field: field.into(),
            message: message.into(),
        }
    }

    /// `true` for [`Severity::Error`].
    ///
    /// ```
    /// use nim_planner::diagnostics::{Code, Diagnostic, ObjectRef};
    /// let d = Diagnostic::new(Code::UnpinnedImage, ObjectRef::new("NIMService", "a", "b"), "spec.image.tag", "pin");
    /// assert!(!d.is_error());
    /// ```
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    fn sort_key(&self) -> (&ObjectRef, Severity, Code, &str, &str) {
        (
            &self.object,
            self.severity,
            self.code,
            &self.field,
            &self.message,
        )
    }
}

impl PartialOrd for Diagnostic {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Canonical order: object, severity (errors first), code, field, message.
impl Ord for Diagnostic {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}] {}", self.severity, self.code, self.object)?;
        if !self.field.is_empty() {
            write!(f, " {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Sorts diagnostics into the canonical order and removes exact duplicates.
///
/// ```
/// use nim_planner::diagnostics::{Code, Diagnostic, ObjectRef, sort_diagnostics};
/// let d = Diagnostic::new(Code::UnpinnedImage, ObjectRef::new("NIMService", "a", "b"), "spec.image.tag", "pin");
/// let mut v = vec![d.clone(), d];
/// sort_diagnostics(&mut v);
/// assert_eq!(v.len(), 1);
/// ```
pub fn sort_diagnostics(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort();
    diagnostics.dedup();
}
