//! Rendering of the desired child objects, exactly as NVIDIA's `k8s-nim-operator` renders them
//! (contract §3.0–§3.4, §3.6).
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
//! | LeaderWorkerSet, MPI ConfigMaps/Secret (multi-node) | [`leaderworkerset`] | — |
//! | ComputeDomain (multi-node) | [`computedomain::compute_domain`] | — |
//! | ResourceClaimTemplate, pod `resourceClaims` (DRA) | [`dra`] | — |
//! | InferenceService (KServe) | [`inferenceservice::inference_service`] | — |
//!
//! NIMBuild: the engine-build Pod, [`nimbuild::engine_build_pod`].
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

pub mod computedomain;
pub mod deployment;
pub mod dra;
pub mod epp;
pub mod grpcroute;
pub mod hpa;
pub mod httproute;
pub mod inference_pool;
pub mod inferenceservice;
pub mod ingress;
pub mod job;
pub mod labels;
pub mod leaderworkerset;
pub mod nimbuild;
pub mod probe;
pub mod pvc;
pub mod service;
pub mod service_account;
pub mod service_monitor;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    ConfigMap, PersistentVolumeClaim, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::api::resource::v1::ResourceClaimTemplate;
use nim_types::external::{
    ComputeDomain, GRPCRoute, HTTPRoute, InferencePool, InferenceService, LeaderWorkerSet,
    ServiceMonitor,
};
use nim_types::{NIMCache, NIMService};

/// Everything NVIDIA's standalone controller renders for one NIMService (single-node or
/// multi-node), in its reconcile order. `None` means "not wanted for this spec" (NVIDIA deletes
/// such an object, except the ServiceMonitor, which it leaves behind).
///
/// ```
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "storage": {"emptyDir": {}}}
/// })).unwrap();
/// let c = nim_planner::render::render_service(&svc, &nim_planner::render::RenderContext::default()).unwrap();
/// assert!(c.deployment.is_some() && c.multi_node.is_none() && c.resource_claim_templates.is_empty());
/// ```
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
    /// HorizontalPodAutoscaler `<name>` (single-node only).
    pub hpa: Option<HorizontalPodAutoscaler>,
    /// ServiceMonitor `<name>`.
    pub service_monitor: Option<ServiceMonitor>,
    /// The NIMService's own model-store PVC (`storage.pvc.create`).
    pub pvc: Option<PersistentVolumeClaim>,
    /// ResourceClaimTemplates generated from `draResources[].claimCreationSpec`.
    pub resource_claim_templates: Vec<ResourceClaimTemplate>,
    /// Deployment `<name>` (single-node; `None` when multi-node).
    pub deployment: Option<Deployment>,
    /// The LeaderWorkerSet and its companions (multi-node, `parallelism.pipeline > 1`).
    pub multi_node: Option<MultiNodeChildren>,
    /// Endpoint picker objects and the InferencePool (`expose.router.eppConfig`).
    pub epp: Option<EppChildren>,
}

/// The objects of a multi-node NIMService (contract §3.3).
///
/// ```
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "storage": {"emptyDir": {}},
///              "multiNode": {"parallelism": {"pipeline": 2, "tensor": 4}}}
/// })).unwrap();
/// let c = nim_planner::render::render_service(&svc, &nim_planner::render::RenderContext::default()).unwrap();
/// let m: nim_planner::render::MultiNodeChildren = c.multi_node.unwrap();
/// assert!(m.mpi_config.is_some() && m.ssh_secret.is_none() && m.ssh_secret_missing);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MultiNodeChildren {
    /// ComputeDomain `<name>` (`computeDomain.create: true`).
    pub compute_domain: Option<ComputeDomain>,
    /// ConfigMap `<name>-mpi-config` (MPI mode).
    pub mpi_config: Option<ConfigMap>,
    /// ConfigMap `<name>-mpi-start-script` (MPI mode).
    pub mpi_start_script: Option<ConfigMap>,
    /// Secret `<name>-ssh-pk` (MPI mode, only with `RenderContext::mpi_ssh_private_key`).
    pub ssh_secret: Option<Secret>,
    /// Whether MPI mode needs the `<name>-ssh-pk` Secret but no key was supplied.
    pub ssh_secret_missing: bool,
    /// LeaderWorkerSet `<name>-lws`.
    pub leader_worker_set: LeaderWorkerSet,
}

/// Everything NVIDIA's KServe platform renders for one NIMService (contract §3.4).
///
/// ```
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "storage": {"emptyDir": {}}, "inferencePlatform": "kserve"}
/// })).unwrap();
/// let c: nim_planner::render::KServeChildren =
///     nim_planner::render::render_kserve(&svc, &nim_planner::render::RenderContext::default()).unwrap();
/// assert_eq!(c.role_binding.metadata.name.as_deref(), Some("llm"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct KServeChildren {
    /// ServiceAccount `<name>`.
    pub service_account: ServiceAccount,
    /// Role `<name>`.
    pub role: Role,
    /// RoleBinding `<name>`.
    pub role_binding: RoleBinding,
    /// The NIMService's own model-store PVC (`storage.pvc.create`).
    pub pvc: Option<PersistentVolumeClaim>,
    /// ServiceMonitor `<name>` (Standard/RawDeployment mode only).
    pub service_monitor: Option<ServiceMonitor>,
    /// ResourceClaimTemplates generated from `draResources[].claimCreationSpec`.
    pub resource_claim_templates: Vec<ResourceClaimTemplate>,
    /// InferenceService `<name>`.
    pub inference_service: InferenceService,
}

/// Renders all children of a KServe NIMService (see [`KServeChildren`]).
///
/// ```
/// use nim_planner::render::{RenderContext, render_kserve};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm", "namespace": "nim"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "inferencePlatform": "kserve",
///              "storage": {"emptyDir": {}}}
/// })).unwrap();
/// let c = render_kserve(&svc, &RenderContext::default()).unwrap();
/// assert_eq!(c.inference_service.metadata.name.as_deref(), Some("llm"));
/// ```
pub fn render_kserve(svc: &NIMService, ctx: &RenderContext) -> Result<KServeChildren, RenderError> {
    let mode = inferenceservice::deployment_mode(svc, ctx)?;
    Ok(KServeChildren {
        service_account: service_account::service_account(svc, ctx),
        role: service_account::role(svc, ctx),
        role_binding: service_account::role_binding(svc, ctx),
        pvc: pvc::service_pvc(svc)?,
        service_monitor: if inferenceservice::is_knative(&mode) {
            None
        } else {
            service_monitor::service_monitor(svc, ctx)
        },
        resource_claim_templates: dra::resource_claim_templates(svc, ctx)?,
        inference_service: inferenceservice::inference_service(svc, ctx)?,
    })
}

fn render_multi_node(
    svc: &NIMService,
    ctx: &RenderContext,
) -> Result<MultiNodeChildren, RenderError> {
    let ssh_secret = leaderworkerset::ssh_secret(svc, ctx);
    let mpi_config = leaderworkerset::mpi_config_map(svc, ctx);
    Ok(MultiNodeChildren {
        compute_domain: computedomain::compute_domain(svc, ctx),
        ssh_secret_missing: mpi_config.is_some() && ssh_secret.is_none(),
        mpi_config,
        mpi_start_script: leaderworkerset::mpi_start_script_config_map(svc, ctx),
        ssh_secret,
        leader_worker_set: leaderworkerset::leader_worker_set(svc, ctx)?,
    })
}

/// The Gateway API Inference Extension objects of a NIMService with `router.eppConfig`.
///
/// ```
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "storage": {"emptyDir": {}},
///              "expose": {"router": {"eppConfig": {"containerSpec": {"name": "epp",
///                  "image": {"repository": "registry.k8s.io/gateway-api-inference-extension/epp", "tag": "v1.3.1"}}}}}}
/// })).unwrap();
/// let c = nim_planner::render::render_service(&svc, &nim_planner::render::RenderContext::default()).unwrap();
/// let epp: nim_planner::render::EppChildren = c.epp.unwrap();
/// assert_eq!(epp.deployment.metadata.name.as_deref(), Some("llm-epp"));
/// ```
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

/// Renders all children of a standalone NIMService (see [`ServiceChildren`]): a Deployment
/// (+ HPA) for a single-node service, the LeaderWorkerSet bundle for a multi-node one, and the
/// DRA ResourceClaimTemplates; the pods' DRA `resourceClaims` are added to the Deployment here.
/// KServe NIMServices are rendered by [`render_kserve`] (this returns
/// [`RenderError::Unsupported`] for them).
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
/// assert_eq!(children.deployment.unwrap().spec.unwrap().replicas, None);
/// ```
pub fn render_service(
    svc: &NIMService,
    ctx: &RenderContext,
) -> Result<ServiceChildren, RenderError> {
    if svc.spec.is_kserve() {
        return Err(RenderError::Unsupported(
            "inferencePlatform kserve (see render_kserve)",
        ));
    }
    let multi = svc.spec.is_multi_node();
    let resource_claim_templates = dra::resource_claim_templates(svc, ctx)?;
    let (deployment, multi_node) = if multi {
        (None, Some(render_multi_node(svc, ctx)?))
    } else {
        let mut d = deployment::deployment(svc, ctx)?;
        let claims = dra::named_dra_resources(svc, None);
        if let Some(pod) = d.spec.as_mut().and_then(|s| s.template.spec.as_mut()) {
            dra::apply_claims(pod, &claims);
        }
        (Some(d), None)
    };
    Ok(ServiceChildren {
        service_account: service_account::service_account(svc, ctx),
        role: service_account::role(svc, ctx),
        role_binding: service_account::role_binding(svc, ctx),
        service: service::service(svc, ctx),
        ingress: ingress::ingress(svc, ctx),
        http_route: httproute::http_route(svc, ctx),
        grpc_route: grpcroute::grpc_route(svc, ctx),
        hpa: if multi { None } else { hpa::hpa(svc, ctx) },
        service_monitor: service_monitor::service_monitor(svc, ctx),
        pvc: pvc::service_pvc(svc)?,
        resource_claim_templates,
        deployment,
        multi_node,
        epp: render_epp(svc, ctx),
    })
}

/// Everything NVIDIA's NIMCache controller renders for one NIMCache (the model-manifest probe
/// pod and ConfigMap are not rendered here).
///
/// ```
/// let cache: nim_types::NIMCache = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache", "metadata": {"name": "llama"},
///     "spec": {"source": {"ngc": {"authSecret": "s", "modelPuller": "img", "model": {"profiles": ["all"]}}},
///              "storage": {"pvc": {"name": "models"}}}
/// })).unwrap();
/// let c: nim_planner::render::CacheChildren =
///     nim_planner::render::render_cache(&cache, &nim_planner::render::RenderContext::default()).unwrap();
/// assert!(c.pvc.is_none());
/// ```
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
    /// PEM private key for the multi-node MPI Secret `<name>-ssh-pk`. NVIDIA generates a random
    /// RSA-2048 key once; a pure planner cannot, so the Secret is rendered only when the
    /// caller supplies one (`nim_reconcile::mpi` makes one for the operator).
    pub mpi_ssh_private_key: Option<String>,
    /// Name of the channel ResourceClaimTemplate of an **existing** ComputeDomain
    /// (`multiNode.computeDomain.name`), read from that object by the caller.
    pub compute_domain_claim_template: Option<String>,
    /// KServe's cluster default deployment mode (`inferenceservice-config`
    /// `deploy.defaultDeploymentMode`), used when the NIMService has no
    /// `serving.kserve.io/deploymentMode` annotation; `None` = `Standard`.
    pub kserve_deployment_mode: Option<String>,
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
    /// The renderer does not handle this deployment shape (e.g. the Deployment renderer asked
    /// for a multi-node or KServe NIMService).
    #[error("not rendered by this renderer: {0}")]
    Unsupported(&'static str),
    /// A `draResources` entry cannot be turned into CEL selectors (NVIDIA's error).
    #[error("invalid DRA resource {0}")]
    InvalidDraResource(String),
    /// `multiNode.computeDomain.name` names a ComputeDomain whose channel claim template is
    /// not known (see `RenderContext::compute_domain_claim_template`).
    #[error("ComputeDomain {0} referenced by spec.multiNode.computeDomain.name is not resolved")]
    ComputeDomainNotResolved(String),
    /// The `serving.kserve.io/deploymentMode` annotation has a value NVIDIA rejects.
    #[error(
        "invalid KServe deployment mode {0:?} (must be Standard, Knative, ModelMesh, RawDeployment or Serverless)"
    )]
    InvalidKServeDeploymentMode(String),
    /// A NIMBuild has no usable buildable profile (NVIDIA's condition type and reason).
    #[error("{condition}: {reason}")]
    NoBuildableProfile {
        /// NVIDIA's NIMBuild condition type (e.g. `NIM_BUILD_NO_BUILDABLE_PROFILE_FOUND`).
        condition: String,
        /// Why.
        reason: String,
    },
    /// The deprecated NIMCache `certConfig` field is set.
    #[error("Deprecated field 'CertConfig' is used. Please use 'proxy.certConfigMap' instead")]
    DeprecatedCertConfig,
}
