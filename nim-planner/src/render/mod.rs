//! Rendering of the desired child objects, exactly as NVIDIA's `k8s-nim-operator` renders them
//! (contract §3.0–§3.2).
//!
//! Every function here is pure: it takes the custom resource plus a [`RenderContext`] carrying
//! the inputs decided elsewhere (chosen profile, GPUs per pod, the resolved NIMCache volume,
//! allowed GPU products, …) and returns typed `k8s-openapi` objects (or
//! [`nim_types::external`] objects for Gateway API routes and the `ServiceMonitor`).
//!
//! | Kind | NIMService | NIMCache |
//! |---|---|---|
//! | ServiceAccount / Role / RoleBinding | [`service_account::service_account`], [`service_account::role`], [`service_account::role_binding`] | [`service_account::cache_service_account`], [`service_account::cache_role`], [`service_account::cache_role_binding`] |
//! | Service | [`service::service`] | — |
//! | Deployment | [`deployment::deployment`] | — |
//! | HorizontalPodAutoscaler | [`hpa::hpa`] | — |
//! | Ingress | [`ingress::ingress`] | — |
//! | HTTPRoute / GRPCRoute | [`httproute::http_route`], [`grpcroute::grpc_route`] | — |
//! | ServiceMonitor | [`service_monitor::service_monitor`] | — |
//! | PersistentVolumeClaim | [`pvc::service_pvc`] | [`pvc::cache_pvc`] |
//! | Job | — | [`job::cache_job`] |
//! | InferencePool | [`inference_pool::inference_pool`] | — |
//! | EPP SA/Role/RoleBinding/ConfigMap/Service/Deployment | [`epp`] | — |
//!
//! Conventions shared by all renderers:
//!
//! * every owned object carries exactly one controller owner reference built by
//!   [`labels::controller_owner_reference`] (except the namespace-shared `nim-cache-*` RBAC
//!   objects, which NVIDIA leaves unowned);
//! * every object carries `app.kubernetes.io/managed-by: k8s-nim-operator`;
//! * maps are `BTreeMap`s and optional fields are `None` unless there is something to say, so
//!   the serialized output is deterministic and never contains `null`s for fields another
//!   controller (or the user) should own;
//! * a missing namespace is treated as `default`, a missing uid as the empty string.
//!
//! ```
//! use nim_planner::render::{RenderContext, deployment::deployment};
//! use nim_types::NIMService;
//!
//! let svc: NIMService = serde_json::from_value(serde_json::json!({
//!     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
//!     "metadata": {"name": "llm", "namespace": "nim", "uid": "u-1"},
//!     "spec": {
//!         "image": {"repository": "nvcr.io/nim/meta/llama-3.1-8b-instruct", "tag": "1.3.3"},
//!         "storage": {"emptyDir": {"sizeLimit": "10Gi"}}
//!     }
//! })).unwrap();
//! let deploy = deployment(&svc, &RenderContext::default()).unwrap();
//! assert_eq!(deploy.metadata.name.as_deref(), Some("llm"));
//! ```

pub mod deployment;
pub mod epp;
pub mod grpcroute;
pub mod hpa;
pub mod httproute;
pub mod inference_pool;
pub mod ingress;
pub mod job;
pub mod labels;
pub mod pvc;
pub mod service;
pub mod service_account;
pub mod service_monitor;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use nim_types::external::{GRPCRoute, HTTPRoute, InferencePool, ServiceMonitor};
use nim_types::{NIMCache, NIMService};

/// Everything NVIDIA's standalone controller renders for one single-node NIMService, in its
/// reconcile order. `None` means "not wanted for this spec" (NVIDIA deletes such an object,
/// except the ServiceMonitor, which it leaves behind).
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceChildren {
    /// ServiceAccount `<name>`.
    pub service_account: ServiceAccount,
    /// Role `<name>`.
    pub role: Role,
    /// RoleBinding `<name>`.
    pub role_binding: RoleBinding,
    /// Service `<name>`.
    pub service: Service,
    /// Ingress `<name>`.
    pub ingress: Option<Ingress>,
    /// HTTPRoute `<name>`.
    pub http_route: Option<HTTPRoute>,
    /// GRPCRoute `<name>`.
    pub grpc_route: Option<GRPCRoute>,
    /// HorizontalPodAutoscaler `<name>`.
    pub hpa: Option<HorizontalPodAutoscaler>,
    /// ServiceMonitor `<name>`.
    pub service_monitor: Option<ServiceMonitor>,
    /// The NIMService's own model-store PVC (`storage.pvc.create`).
    pub pvc: Option<PersistentVolumeClaim>,
    /// Deployment `<name>`.
    pub deployment: Deployment,
    /// Endpoint picker objects and the InferencePool (`expose.router.eppConfig`).
    pub epp: Option<EppChildren>,
}

/// The Gateway API Inference Extension objects of a NIMService with `router.eppConfig`.
#[derive(Clone, Debug, PartialEq)]
pub struct EppChildren {
    /// ServiceAccount `<name>-epp`.
    pub service_account: ServiceAccount,
    /// Role `<name>-epp`.
    pub role: Role,
    /// RoleBinding `<name>-epp`.
    pub role_binding: RoleBinding,
    /// ConfigMap `<name>-epp-config` (inline `config` only).
    pub config_map: Option<ConfigMap>,
    /// Service `<name>-epp`.
    pub service: Service,
    /// Deployment `<name>-epp`.
    pub deployment: Deployment,
    /// InferencePool `<name>`.
    pub inference_pool: InferencePool,
}

fn render_epp(svc: &NIMService, ctx: &RenderContext) -> Option<EppChildren> {
    Some(EppChildren {
        service_account: epp::service_account(svc, ctx)?,
        role: epp::role(svc, ctx)?,
        role_binding: epp::role_binding(svc, ctx)?,
        config_map: epp::config_map(svc, ctx),
        service: epp::service(svc, ctx)?,
        deployment: epp::deployment(svc, ctx)?,
        inference_pool: inference_pool::inference_pool(svc, ctx)?,
    })
}

/// Renders all children of a standalone, single-node NIMService (see [`ServiceChildren`]).
///
/// ```
/// use nim_planner::render::{RenderContext, render_service};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
///     "metadata": {"name": "llm", "namespace": "nim"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "storage": {"emptyDir": {}},
///              "scale": {"enabled": true, "hpa": {"maxReplicas": 2}}}
/// })).unwrap();
/// let children = render_service(&svc, &RenderContext::default()).unwrap();
/// assert!(children.hpa.is_some());
/// assert_eq!(children.deployment.spec.unwrap().replicas, None);
/// ```
pub fn render_service(
    svc: &NIMService,
    ctx: &RenderContext,
) -> Result<ServiceChildren, RenderError> {
    Ok(ServiceChildren {
        service_account: service_account::service_account(svc, ctx),
        role: service_account::role(svc, ctx),
        role_binding: service_account::role_binding(svc, ctx),
        service: service::service(svc, ctx),
        ingress: ingress::ingress(svc, ctx),
        http_route: httproute::http_route(svc, ctx),
        grpc_route: grpcroute::grpc_route(svc, ctx),
        hpa: hpa::hpa(svc, ctx),
        service_monitor: service_monitor::service_monitor(svc, ctx),
        pvc: pvc::service_pvc(svc)?,
        deployment: deployment::deployment(svc, ctx)?,
        epp: render_epp(svc, ctx),
    })
}

/// Everything NVIDIA's NIMCache controller renders for one NIMCache (the model-manifest probe
/// pod and ConfigMap are not rendered here).
#[derive(Clone, Debug, PartialEq)]
pub struct CacheChildren {
    /// `nim-cache-sa` (namespace-shared, unowned).
    pub service_account: ServiceAccount,
    /// `nim-cache-role` (namespace-shared, unowned).
    pub role: Role,
    /// `nim-cache-rolebinding` (namespace-shared, unowned).
    pub role_binding: RoleBinding,
    /// The PVC when `storage.pvc.create: true`.
    pub pvc: Option<PersistentVolumeClaim>,
    /// The caching Job `<nimcache>-job`.
    pub job: Job,
}

/// Renders all children of a NIMCache (see [`CacheChildren`]).
///
/// ```
/// use nim_planner::render::{RenderContext, render_cache};
/// let cache: nim_types::NIMCache = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache", "metadata": {"name": "llama"},
///     "spec": {"source": {"ngc": {"authSecret": "s", "modelPuller": "img", "model": {"profiles": ["all"]}}},
///              "storage": {"pvc": {"create": true, "size": "50Gi", "volumeAccessMode": "ReadWriteOnce"}}}
/// })).unwrap();
/// let children = render_cache(&cache, &RenderContext::default()).unwrap();
/// assert_eq!(children.pvc.unwrap().metadata.name.as_deref(), Some("llama-pvc"));
/// assert_eq!(children.job.metadata.name.as_deref(), Some("llama-job"));
/// ```
pub fn render_cache(cache: &NIMCache, ctx: &RenderContext) -> Result<CacheChildren, RenderError> {
    Ok(CacheChildren {
        service_account: service_account::cache_service_account(cache),
        role: service_account::cache_role(cache),
        role_binding: service_account::cache_role_binding(cache),
        pvc: pvc::cache_pvc(cache)?,
        job: job::cache_job(cache, ctx)?,
    })
}

/// Inputs that the renderers need but that are decided elsewhere (placement, profile
/// selection, NIMCache resolution, cluster detection, change detection).
///
/// `RenderContext::default()` renders what NVIDIA's operator renders when nothing extra is known:
/// empty operator version, no parent-spec hash annotation, no GPU auto-sizing, no extra affinity.
///
/// ```
/// use nim_planner::render::RenderContext;
/// let ctx = RenderContext {
///     gpus_per_pod: Some(2),
///     allowed_gpu_products: vec!["NVIDIA-H100-80GB-HBM3".into()],
///     ..Default::default()
/// };
/// assert_eq!(ctx.gpus_per_pod, Some(2));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RenderContext {
    /// Value of the `app.kubernetes.io/operator-version` label. NVIDIA's operator reads
    /// `$OPERATOR_VERSION`, which its chart never sets, so the label is the empty string there;
    /// keep it empty to take over such a cluster without relabelling.
    pub operator_version: String,
    /// Value of the `nvidia.com/parent-spec-hash` annotation on owned objects (not on pod
    /// templates); omitted when `None`.
    pub parent_spec_hash: Option<String>,
    /// The chosen model profile ID, rendered as `NIM_MODEL_PROFILE` (user env still wins).
    /// When `None`, `spec.storage.nimCache.profile` is used if non-empty.
    pub profile: Option<String>,
    /// GPUs per pod decided by the planner. Rendered as `nvidia.com/gpu` requests and limits
    /// only when the user set `nvidia.com/gpu` in neither and `draResources` is empty.
    pub gpus_per_pod: Option<u32>,
    /// The resolved NIMCache the NIMService mounts (required when `spec.storage.nimCache.name`
    /// is set; see [`CacheInfo::from_nimcache`]).
    pub nim_cache: Option<CacheInfo>,
    /// Allowed values of the node label `nvidia.com/gpu.product`, ANDed into every required
    /// node-selector term of the Deployment's affinity. Empty = no extra requirement.
    pub allowed_gpu_products: Vec<String>,
    /// The cluster is VMware TKGS: pods get `seccompProfile: RuntimeDefault`.
    pub tkgs: bool,
    /// Profile IDs selected for a NIMCache caching Job when `model.profiles` is empty
    /// (the result of profile matching against the model manifest).
    pub selected_profiles: Vec<String>,
}

/// What a NIMService needs to know about the NIMCache it mounts.
///
/// ```
/// use nim_planner::render::CacheInfo;
/// let info = CacheInfo { name: "llama".into(), pvc_name: "llama-pvc".into(), ..Default::default() };
/// assert!(!info.native);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheInfo {
    /// NIMCache name.
    pub name: String,
    /// PVC holding the cache.
    pub pvc_name: String,
    /// The **cache's** PVC `subPath`, used for the model-store mount.
    pub sub_path: Option<String>,
    /// Universal NIM: the cache has an `hf` source or an NGC `modelEndpoint`.
    pub universal: bool,
    /// Native NIM (`status.type == native`).
    pub native: bool,
    /// Hugging Face model (source `hf` or `dataStore`).
    pub hf: bool,
    /// `hf://<namespace>/<modelName>` for Hugging Face Hub sources with a model name.
    pub hf_model_path: Option<String>,
}

impl CacheInfo {
    /// Derives the mount information from a NIMCache: PVC name from `spec.storage.pvc.name`,
    /// else `status.pvc`, else `<nimcache>-pvc`; the cache's `subPath`; the source kind.
    ///
    /// ```
    /// use nim_planner::render::CacheInfo;
    /// let cache: nim_types::NIMCache = serde_json::from_value(serde_json::json!({
    ///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
    ///     "metadata": {"name": "llama", "namespace": "nim"},
    ///     "spec": {
    ///         "source": {"hf": {"endpoint": "https://huggingface.co", "namespace": "meta-llama",
    ///             "modelName": "Llama-3.2-1B-Instruct", "authSecret": "hf", "modelPuller": "img",
    ///             "pullSecret": "ngc"}},
    ///         "storage": {"pvc": {"create": true, "size": "50Gi", "volumeAccessMode": "ReadWriteOnce"}}
    ///     }
    /// })).unwrap();
    /// let info = CacheInfo::from_nimcache(&cache);
    /// assert_eq!(info.pvc_name, "llama-pvc");
    /// assert!(info.universal && info.hf);
    /// assert_eq!(info.hf_model_path.as_deref(), Some("hf://meta-llama/Llama-3.2-1B-Instruct"));
    /// ```
    pub fn from_nimcache(cache: &NIMCache) -> Self {
        let name = cache.metadata.name.clone().unwrap_or_default();
        let pvc = cache.spec.storage.pvc.as_ref();
        let status = cache.status.as_ref();
        let pvc_name = pvc
            .and_then(|p| p.name.clone())
            .filter(|n| !n.is_empty())
            .or_else(|| status.and_then(|s| s.pvc.clone()).filter(|n| !n.is_empty()))
            .unwrap_or_else(|| format!("{name}-pvc"));
        let source = &cache.spec.source;
        let ngc_endpoint = source
            .ngc
            .as_ref()
            .is_some_and(|n| n.model_endpoint.is_some());
        let hf_model_path = source.hf.as_ref().and_then(|h| {
            h.model_name
                .as_ref()
                .map(|m| format!("hf://{}/{}", h.namespace, m))
        });
        Self {
            sub_path: pvc
                .and_then(|p| p.sub_path.clone())
                .filter(|s| !s.is_empty()),
            universal: source.hf.is_some() || ngc_endpoint,
            native: status.and_then(|s| s.type_.as_deref()) == Some("native"),
            hf: source.hf.is_some() || source.data_store.is_some(),
            hf_model_path,
            name,
            pvc_name,
        }
    }
}

/// Why a renderer could not produce an object.
///
/// ```
/// use nim_planner::render::RenderError;
/// let e = RenderError::NimCacheNotResolved("llama".into());
/// assert_eq!(e.to_string(), "NIMCache llama referenced by spec.storage.nimCache is not resolved");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// `spec.storage.nimCache.name` is set but the context carries no [`CacheInfo`].
    #[error("NIMCache {0} referenced by spec.storage.nimCache is not resolved")]
    NimCacheNotResolved(String),
    /// No usable model store (NVIDIA's message).
    #[error(
        "neither external PVC name, NIMCache volume, empty dir or local host path should be provided"
    )]
    NoModelStore,
    /// The PVC to create has no (or an empty) `size`.
    #[error("failed to parse size for pvc creation: size is missing")]
    MissingPvcSize,
    /// The PVC to create has no `volumeAccessMode`.
    #[error("volumeAccessMode is required for pvc creation")]
    MissingAccessMode,
    /// A NIMCache NGC source without explicit profiles and no selected profiles.
    #[error("no profiles are selected for caching")]
    NoProfilesSelected,
    /// The NIMCache has no source.
    #[error("NIMCache has no source (exactly one of ngc, dataStore, hf must be set)")]
    NoSource,
    /// The renderer does not handle this deployment shape (multi-node LeaderWorkerSet, KServe).
    #[error("not rendered by the standalone single-node renderer: {0}")]
    Unsupported(&'static str),
    /// The deprecated NIMCache `certConfig` field is set.
    #[error("Deprecated field 'CertConfig' is used. Please use 'proxy.certConfigMap' instead")]
    DeprecatedCertConfig,
}
