//! Errors of a reconcile, each with a stable code and a class that decides what the controller
//! does next: an invalid spec waits for the user to change it (no hot loop), a transient error
//! is retried with backoff.

use thiserror::Error;

/// What the controller does after an error.
///
/// ```
/// use nim_reconcile::error::{Error, ErrorClass};
/// let e = Error::InvalidSpec { code: "InvalidStorage".into(), message: "set one store".into() };
/// assert_eq!(e.class(), ErrorClass::InvalidSpec);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The spec cannot be carried out as written: report it and wait for a spec change.
    InvalidSpec,
    /// The cluster is missing something (a CRD, a permission): report it and retry slowly.
    Environment,
    /// A network or server hiccup: retry with backoff.
    Transient,
}

/// A reconcile error.
///
/// ```
/// let e = nim_reconcile::error::Error::KindNotInstalled { kind: "HTTPRoute".into(), api_version: "gateway.networking.k8s.io/v1".into() };
/// assert_eq!(e.code(), "KindNotInstalled");
/// assert!(e.to_string().contains("HTTPRoute"));
/// ```
#[derive(Debug, Error)]
pub enum Error {
    /// The planner found an error in the spec (code = the planner's diagnostic code).
    #[error("{code}: {message}")]
    InvalidSpec {
        /// Planner diagnostic code.
        code: String,
        /// What to change.
        message: String,
    },
    /// A rendered object's kind is not served by this cluster (its CRD is not installed).
    #[error("{kind} ({api_version}) is not served by this cluster; install its CRD")]
    KindNotInstalled {
        /// Kind.
        kind: String,
        /// apiVersion.
        api_version: String,
    },
    /// The apiserver refused an object (validation, admission, immutability).
    #[error("{verb} {kind} {namespace}/{name} was rejected: {message}")]
    Rejected {
        /// The request verb (apply, delete, status).
        verb: &'static str,
        /// Kind.
        kind: String,
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
        /// The apiserver's message.
        message: String,
        /// HTTP status code.
        http_code: u16,
    },
    /// A Kubernetes API call failed for a reason worth retrying.
    #[error("Kubernetes API error: {0}")]
    Kube(#[from] kube::Error),
    /// An object could not be (de)serialised.
    #[error("serialization error: {0}")]
    Serde(#[from] serde_json::Error),
    /// A key the operator generates (the multi-node MPI SSH key) could not be made.
    #[error("could not generate {what}: {message}")]
    KeyGeneration {
        /// Which key.
        what: String,
        /// Why.
        message: String,
    },
}

impl Error {
    /// Stable code of the error (for events, conditions and metrics labels).
    ///
    /// ```
    /// let e = nim_reconcile::error::Error::InvalidSpec { code: "InvalidStorage".into(), message: String::new() };
    /// assert_eq!(e.code(), "InvalidStorage");
    /// ```
    pub fn code(&self) -> &str {
        match self {
            Self::InvalidSpec { code, .. } => code,
            Self::KindNotInstalled { .. } => "KindNotInstalled",
            Self::Rejected { .. } => "Rejected",
            Self::Kube(_) => "KubeApiError",
            Self::Serde(_) => "SerializationError",
            Self::KeyGeneration { .. } => "KeyGenerationFailed",
        }
    }

    /// The class deciding the retry policy.
    ///
    /// ```
    /// use nim_reconcile::error::{Error, ErrorClass};
    /// let e = Error::Rejected { verb: "apply", kind: "Job".into(), namespace: "n".into(),
    ///     name: "j".into(), message: "field is immutable".into(), http_code: 422 };
    /// assert_eq!(e.class(), ErrorClass::InvalidSpec);
    /// ```
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::InvalidSpec { .. } | Self::Serde(_) => ErrorClass::InvalidSpec,
            Self::Rejected { http_code, .. } => match http_code {
                400 | 409 | 422 => ErrorClass::InvalidSpec,
                401 | 403 | 404 => ErrorClass::Environment,
                _ => ErrorClass::Transient,
            },
            Self::KindNotInstalled { .. } => ErrorClass::Environment,
            Self::Kube(_) | Self::KeyGeneration { .. } => ErrorClass::Transient,
        }
    }
}

/// Result of a reconcile step.
pub type Result<T, E = Error> = std::result::Result<T, E>;
