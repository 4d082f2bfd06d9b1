//! The kinds of child objects the controllers render, apply and prune.

use kube::discovery::ApiResource;

/// One kind of child object.
///
/// ```
/// let k = nim_reconcile::kinds::find("apps/v1", "Deployment").unwrap();
/// assert_eq!(k.plural, "deployments");
/// assert!(!k.create_only);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ManagedKind {
    /// API group (`""` for core).
    pub group: &'static str,
    /// Version.
    pub version: &'static str,
    /// Kind.
    pub kind: &'static str,
    /// Resource (plural).
    pub plural: &'static str,
    /// Created once and never updated: their specs are (mostly) immutable, or, like NVIDIA's
    /// caching Job, they must not be re-run when the parent changes.
    pub create_only: bool,
}

impl ManagedKind {
    /// `group/version` (or `version` for the core group).
    ///
    /// ```
    /// assert_eq!(nim_reconcile::kinds::find("v1", "Pod").unwrap().api_version(), "v1");
    /// ```
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The kube `ApiResource` for dynamic clients and watches.
    ///
    /// ```
    /// let ar = nim_reconcile::kinds::find("batch/v1", "Job").unwrap().api_resource();
    /// assert_eq!(ar.plural, "jobs");
    /// ```
    pub fn api_resource(&self) -> ApiResource {
        ApiResource {
            group: self.group.to_string(),
            version: self.version.to_string(),
            api_version: self.api_version(),
            kind: self.kind.to_string(),
            plural: self.plural.to_string(),
        }
    }
}

macro_rules! kinds {
    ($( ($g:expr, $v:expr, $k:expr, $p:expr, $c:expr) ),+ $(,)?) => {
        /// Every child kind, in a fixed order.
        pub const MANAGED_KINDS: &[ManagedKind] = &[
            $( ManagedKind { group: $g, version: $v, kind: $k, plural: $p, create_only: $c }, )+
        ];
    };
}

kinds! {
    ("", "v1", "ServiceAccount", "serviceaccounts", false),
    ("rbac.authorization.k8s.io", "v1", "Role", "roles", false),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", false),
    ("", "v1", "ConfigMap", "configmaps", false),
    ("", "v1", "Secret", "secrets", true),
    ("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true),
    ("", "v1", "Service", "services", false),
    ("", "v1", "Pod", "pods", true),
    ("apps", "v1", "Deployment", "deployments", false),
    ("batch", "v1", "Job", "jobs", true),
    ("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", false),
    ("networking.k8s.io", "v1", "Ingress", "ingresses", false),
    ("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes", false),
    ("gateway.networking.k8s.io", "v1", "GRPCRoute", "grpcroutes", false),
    ("monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors", false),
    ("leaderworkerset.x-k8s.io", "v1", "LeaderWorkerSet", "leaderworkersets", false),
    ("inference.networking.k8s.io", "v1", "InferencePool", "inferencepools", false),
    ("serving.kserve.io", "v1beta1", "InferenceService", "inferenceservices", false),
    ("resource.k8s.io", "v1", "ResourceClaimTemplate", "resourceclaimtemplates", false),
    ("resource.nvidia.com", "v1beta1", "ComputeDomain", "computedomains", false),
    ("apps.nvidia.com", "v1alpha1", "NIMService", "nimservices", false),
}

/// The managed kind for an `apiVersion` and `kind`.
///
/// ```
/// assert!(nim_reconcile::kinds::find("v1", "Node").is_none());
/// assert!(nim_reconcile::kinds::find("gateway.networking.k8s.io/v1", "HTTPRoute").is_some());
/// ```
pub fn find(api_version: &str, kind: &str) -> Option<&'static ManagedKind> {
    MANAGED_KINDS
        .iter()
        .find(|k| k.kind == kind && k.api_version() == api_version)
}
