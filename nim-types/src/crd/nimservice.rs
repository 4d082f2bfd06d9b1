//! `NIMService`: serves a NIM (contract §2.3).

use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v2::{HorizontalPodAutoscalerBehavior, MetricSpec};
use k8s_openapi::api::core::v1::{
    Affinity, ConfigMapKeySelector, ContainerPort, EnvVar, PodAffinity, Probe as K8sProbe,
    ResourceRequirements as K8sResourceRequirements, Toleration,
};
use k8s_openapi::api::networking::v1::IngressSpec;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{FreeForm, Image, NIMContainerSpec, PersistentVolumeClaim, Probe, ProxySpec};

/// Default API port of a NIM.
pub const DEFAULT_API_PORT: i32 = 8000;
/// Resource name of a whole NVIDIA GPU.
pub const GPU_RESOURCE: &str = "nvidia.com/gpu";

/// DNS-1123 subdomain pattern used by NVIDIA's DRA fields.
const DNS_SUBDOMAIN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
/// Prometheus duration pattern.
const PROM_DURATION: &str =
    r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$";
/// Router host domain name pattern.
const HOST_DOMAIN: &str =
    r"^(([a-z0-9][a-z0-9\-]*[a-z0-9])|[a-z0-9]+\.)*([a-z]+|xn\-\-[a-z0-9]+)\.?$";

/// Desired state of a NIMService. Shared with `NIMPipeline.spec.services[].spec`, so the three
/// spec-level CEL rules live on this type.
///
/// ```
/// use nim_types::{NIMServiceSpec, Image};
/// let spec = NIMServiceSpec {
///     image: Image { repository: "nvcr.io/nim/meta/llama-3.1-8b-instruct".into(), tag: "1.3.3".into(), ..Default::default() },
///     ..Default::default()
/// };
/// assert_eq!(spec.service_port(), 8000);
/// ```
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "apps.nvidia.com",
    version = "v1alpha1",
    kind = "NIMService",
    plural = "nimservices",
    singular = "nimservice",
    namespaced,
    status = "NIMServiceStatus",
    printcolumn = r#"{"name":"Status","type":"string","jsonPath":".status.state"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    validation = Rule::new("(has(self.spec.draResources) && has(oldSelf.spec.draResources) && self.spec.draResources == oldSelf.spec.draResources) || (!has(self.spec.draResources) && !has(oldSelf.spec.draResources))").message("spec.draResources is immutable"),
)]
#[x_kube(
    validation = Rule::new("!(has(self.multiNode) && has(self.scale) && has(self.scale.enabled) && self.scale.enabled)").message("autoScaling must be nil or disabled when multiNode is set"),
    validation = Rule::new("!(has(self.scale) && has(self.scale.enabled) && self.scale.enabled && has(self.replicas))").message("spec.replicas cannot be set when spec.scale.enabled is true"),
    validation = Rule::new("!(has(self.expose) && has(self.expose.ingress) && has(self.expose.ingress.enabled) && self.expose.ingress.enabled && has(self.expose.router) && has(self.expose.router.ingress))").message(".spec.expose.ingress is deprecated, and will be removed in a future release. If .spec.expose.ingress is set, please do not set .spec.expose.router.ingress."),
)]
#[serde(rename_all = "camelCase")]
pub struct NIMServiceSpec {
    /// The NIM container image.
    pub image: Image,
    /// Main container command.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Main container args.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Environment overrides (user env beats operator defaults).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Secret with `NGC_API_KEY` (and `HF_TOKEN`); optional (air-gapped installs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_secret: Option<String>,
    /// Model store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<NIMServiceStorage>,
    /// Labels added to every owned object.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations added to every owned object and pod.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Node selector.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// Pod affinity rules (merged with the planner's GPU-product node affinity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// Deprecated and ignored; use `affinity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_affinity: Option<PodAffinity>,
    /// Main container resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<K8sResourceRequirements>,
    /// Dynamic Resource Allocation claims.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dra_resources: Vec<DRAResource>,
    /// How the service is exposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expose: Option<Expose>,
    /// Liveness probe toggle/override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<Probe>,
    /// Readiness probe toggle/override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    /// Startup probe toggle/override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_probe: Option<Probe>,
    /// Horizontal autoscaling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<Autoscaling>,
    /// Scheduler name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_name: Option<String>,
    /// Metrics collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Metrics>,
    /// Fixed replica count (not with `scale.enabled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub replicas: Option<i32>,
    /// Pod `runAsUser` (operator default 1000).
    #[serde(default, rename = "userID", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// Pod `runAsGroup`/`fsGroup` (operator default 2000).
    #[serde(default, rename = "groupID", skip_serializing_if = "Option::is_none")]
    pub group_id: Option<i64>,
    /// Runtime class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_class_name: Option<String>,
    /// Priority class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// Proxy settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxySpec>,
    /// Multi-node (LeaderWorkerSet) deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_node: Option<NimServiceMultiNodeConfig>,
    /// `standalone` (default) or `kserve`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["standalone", "kserve"], "default" = "standalone"))]
    pub inference_platform: Option<String>,
    /// Extra init containers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<NIMContainerSpec>,
    /// Extra sidecar containers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sidecar_containers: Vec<NIMContainerSpec>,
}

/// Where the NIMService keeps its model store.
///
/// ```
/// let s = nim_types::NIMServiceStorage::default();
/// assert_eq!(s.source_count(), 0);
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NIMServiceStorage {
    /// A NIMCache in the same namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nim_cache: Option<NIMCacheVolSpec>,
    /// Size limit of the `/dev/shm` memory volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_memory_size_limit: Option<Quantity>,
    /// A PVC model store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pvc: Option<PersistentVolumeClaim>,
    /// A hostPath model store (DirectoryOrCreate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_path: Option<String>,
    /// Mount the PVC read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    /// An emptyDir model store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_dir: Option<EmptyDirSpec>,
}

impl NIMServiceStorage {
    /// How many model-store sources are set (NVIDIA's webhook wants exactly one).
    ///
    /// ```
    /// let s = nim_types::NIMServiceStorage { host_path: Some("/data".into()), ..Default::default() };
    /// assert_eq!(s.source_count(), 1);
    /// ```
    pub fn source_count(&self) -> usize {
        usize::from(self.nim_cache.as_ref().is_some_and(|c| !c.name.is_empty()))
            + usize::from(self.pvc.as_ref().is_some_and(|p| !p.is_empty()))
            + usize::from(self.empty_dir.is_some())
            + usize::from(self.host_path.as_deref().is_some_and(|p| !p.is_empty()))
    }
}

/// Reference to a NIMCache and optionally one of its profiles.
///
/// ```
/// let c = nim_types::NIMCacheVolSpec { name: "llama".into(), profile: None };
/// assert_eq!(c.name, "llama");
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NIMCacheVolSpec {
    /// NIMCache name (same namespace).
    #[serde(default)]
    pub name: String,
    /// Explicit profile ID (sets `NIM_MODEL_PROFILE` and enables GPU auto-sizing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

/// An emptyDir model store.
///
/// ```
/// let e = nim_types::EmptyDirSpec::default();
/// assert!(e.size_limit.is_none());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EmptyDirSpec {
    /// Size limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_limit: Option<Quantity>,
}

/// How the NIM is exposed: Service, deprecated Ingress, router (Ingress or Gateway API).
///
/// ```
/// let e = nim_types::Expose::default();
/// assert!(e.router.is_none());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Expose {
    /// The Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ExposeService>,
    /// Deprecated: use `router`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<LegacyIngress>,
    /// Ingress or Gateway API routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub router: Option<Router>,
}

/// Service settings.
///
/// ```
/// let s = nim_types::ExposeService { port: Some(9000), ..Default::default() };
/// assert_eq!(s.port, Some(9000));
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ExposeService {
    /// Service type (ClusterIP when empty).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Documented as a name override; NVIDIA ignores it (the Service is named after the CR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// API port (default 8000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535), extend("default" = 8000))]
    pub port: Option<i32>,
    /// gRPC port (Triton NIMs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub grpc_port: Option<i32>,
    /// Separate metrics port (Triton NIMs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub metrics_port: Option<i32>,
    /// Service annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Service labels (lowest precedence).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// Deprecated `expose.ingress`.
///
/// ```
/// let i = nim_types::LegacyIngress { enabled: Some(true), ..Default::default() };
/// assert!(i.is_enabled());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LegacyIngress {
    /// Whether an Ingress is rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Ingress annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Ingress spec, copied verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<IngressSpec>,
}

impl LegacyIngress {
    /// Whether `enabled: true`.
    ///
    /// ```
    /// assert!(!nim_types::LegacyIngress::default().is_enabled());
    /// ```
    pub fn is_enabled(&self) -> bool {
        self.enabled == Some(true)
    }
}

/// Router: an Ingress or a Gateway API route (not both), plus an optional endpoint picker.
///
/// ```
/// let r = nim_types::Router { host_domain_name: Some("example.com".into()), ..Default::default() };
/// assert_eq!(r.hostname("llm", "nim"), Some("llm.nim.example.com".to_string()));
/// ```
#[derive(Serialize, Deserialize, KubeSchema, Clone, Debug, Default, PartialEq)]
#[x_kube(validation = Rule::new("!(has(self.gateway) && has(self.ingress))").message("ingress and gateway cannot be specified together"))]
#[serde(rename_all = "camelCase")]
pub struct Router {
    /// Domain; the host is `<name>.<namespace>.<hostDomainName>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63), pattern(HOST_DOMAIN))]
    pub host_domain_name: Option<String>,
    /// Annotations for the Ingress/HTTPRoute/GRPCRoute.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Render an Ingress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<RouterIngress>,
    /// Render Gateway API routes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<Gateway>,
    /// Gateway API Inference Extension endpoint picker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epp_config: Option<EPPConfig>,
}

impl Router {
    /// The routed host name for a NIMService, when a domain is set.
    ///
    /// ```
    /// assert_eq!(nim_types::Router::default().hostname("a", "b"), None);
    /// ```
    pub fn hostname(&self, name: &str, namespace: &str) -> Option<String> {
        self.host_domain_name
            .as_deref()
            .filter(|d| !d.is_empty())
            .map(|d| format!("{name}.{namespace}.{d}"))
    }
}

/// Router Ingress settings.
///
/// ```
/// let i = nim_types::RouterIngress { ingress_class: "nginx".into(), tls_secret_name: None };
/// assert_eq!(i.ingress_class, "nginx");
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RouterIngress {
    /// Ingress class.
    #[schemars(length(min = 1))]
    pub ingress_class: String,
    /// TLS secret; adds a TLS block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_secret_name: Option<String>,
}

/// Gateway API parent and route toggles.
///
/// Relaxation (documented): `namespace` is optional here and defaults to the NIMService's own
/// namespace, so the seed article's `gateway: {name: …}` example is accepted.
///
/// ```
/// let g = nim_types::Gateway { name: "inference-gateway".into(), ..Default::default() };
/// assert!(g.http_routes_enabled());
/// assert!(!g.grpc_routes_enabled());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Gateway {
    /// Gateway namespace (default: the NIMService's namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub namespace: Option<String>,
    /// Gateway name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Render an HTTPRoute (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = true))]
    pub http_routes_enabled: Option<bool>,
    /// Render a GRPCRoute (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = false))]
    pub grpc_routes_enabled: Option<bool>,
    /// Replaces the default backend (e.g. an InferencePool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend_ref: Option<BackendRef>,
}

impl Gateway {
    /// Whether an HTTPRoute is rendered (default true).
    ///
    /// ```
    /// let g = nim_types::Gateway { http_routes_enabled: Some(false), ..Default::default() };
    /// assert!(!g.http_routes_enabled());
    /// ```
    pub fn http_routes_enabled(&self) -> bool {
        self.http_routes_enabled.unwrap_or(true)
    }

    /// Whether a GRPCRoute is rendered (default false).
    ///
    /// ```
    /// assert!(!nim_types::Gateway::default().grpc_routes_enabled());
    /// ```
    pub fn grpc_routes_enabled(&self) -> bool {
        self.grpc_routes_enabled.unwrap_or(false)
    }
}

/// Gateway API `BackendRef` (gateway.networking.k8s.io/v1), with its upstream CEL rule.
///
/// ```
/// let b = nim_types::BackendRef { name: "svc".into(), port: Some(8000), ..Default::default() };
/// assert_eq!(b.port, Some(8000));
/// ```
#[derive(Serialize, Deserialize, KubeSchema, Clone, Debug, Default, PartialEq)]
#[x_kube(validation = Rule::new("(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true").message("Must have port for Service reference"))]
#[serde(rename_all = "camelCase")]
pub struct BackendRef {
    /// API group ("" = core).
    #[serde(default)]
    #[schemars(extend("default" = ""), length(max = 253))]
    pub group: String,
    /// Kind (default Service).
    #[serde(default = "default_service_kind")]
    #[schemars(extend("default" = "Service"), length(min = 1, max = 63))]
    pub kind: String,
    /// Referent name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Referent namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i32>,
    /// Weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1000000))]
    pub weight: Option<i32>,
}

fn default_service_kind() -> String {
    "Service".into()
}

/// Endpoint picker (EPP) for the Gateway API Inference Extension.
///
/// ```
/// let e = nim_types::EPPConfig::default();
/// assert!(e.config.is_none());
/// ```
#[derive(Serialize, Deserialize, KubeSchema, Clone, Debug, Default, PartialEq)]
#[x_kube(validation = Rule::new("!(has(self.configMapRef) && has(self.config))").message("only one of configMapRef or config can be specified"))]
#[serde(rename_all = "camelCase")]
pub struct EPPConfig {
    /// EPP container.
    pub container_spec: NIMContainerSpec,
    /// Readiness probe (default gRPC on 9003).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<K8sProbe>,
    /// Liveness probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<K8sProbe>,
    /// Startup probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_probe: Option<K8sProbe>,
    /// Ports (default 9002 grpc-ext-proc, 9003 grpc-health, 9090 http-metrics).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ContainerPort>,
    /// User ConfigMap holding an EndpointPickerConfig.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map_ref: Option<ConfigMapKeySelector>,
    /// Inline EndpointPickerConfig.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<FreeForm>,
}

/// Horizontal autoscaling.
///
/// ```
/// let a = nim_types::Autoscaling { enabled: Some(true), ..Default::default() };
/// assert!(a.is_enabled());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Autoscaling {
    /// Whether an HPA is rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// HPA settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hpa: Option<HorizontalPodAutoscalerSpec>,
    /// HPA annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Autoscaling {
    /// Whether `enabled: true`.
    ///
    /// ```
    /// assert!(!nim_types::Autoscaling::default().is_enabled());
    /// ```
    pub fn is_enabled(&self) -> bool {
        self.enabled == Some(true)
    }
}

/// HPA parameters.
///
/// ```
/// let h = nim_types::HorizontalPodAutoscalerSpec { max_replicas: 3, ..Default::default() };
/// assert_eq!(h.min_replicas(), 1);
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HorizontalPodAutoscalerSpec {
    /// Minimum replicas (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1), extend("default" = 1))]
    pub min_replicas: Option<i32>,
    /// Maximum replicas.
    pub max_replicas: i32,
    /// Metrics (autoscaling/v2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<MetricSpec>,
    /// Scaling behaviour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behavior: Option<HorizontalPodAutoscalerBehavior>,
}

impl HorizontalPodAutoscalerSpec {
    /// Effective minimum replicas (default 1).
    ///
    /// ```
    /// let h = nim_types::HorizontalPodAutoscalerSpec { min_replicas: Some(2), max_replicas: 4, ..Default::default() };
    /// assert_eq!(h.min_replicas(), 2);
    /// ```
    pub fn min_replicas(&self) -> i32 {
        self.min_replicas.unwrap_or(1)
    }
}

/// Metrics collection.
///
/// ```
/// assert!(!nim_types::Metrics::default().is_enabled());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    /// Whether a ServiceMonitor is rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// ServiceMonitor settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_monitor: Option<ServiceMonitorSpec>,
}

impl Metrics {
    /// Whether `enabled: true`.
    ///
    /// ```
    /// let m = nim_types::Metrics { enabled: Some(true), service_monitor: None };
    /// assert!(m.is_enabled());
    /// ```
    pub fn is_enabled(&self) -> bool {
        self.enabled == Some(true)
    }
}

/// ServiceMonitor settings.
///
/// ```
/// let s = nim_types::ServiceMonitorSpec { interval: Some("30s".into()), ..Default::default() };
/// assert_eq!(s.interval.as_deref(), Some("30s"));
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    /// Extra labels (e.g. `release: kube-prometheus-stack`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub additional_labels: BTreeMap<String, String>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Scrape interval (Prometheus duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(PROM_DURATION))]
    pub interval: Option<String>,
    /// Scrape timeout (Prometheus duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(PROM_DURATION))]
    pub scrape_timeout: Option<String>,
}

/// Multi-node deployment through LeaderWorkerSet.
///
/// ```
/// let m = nim_types::NimServiceMultiNodeConfig { parallelism: nim_types::ParallelismSpec { pipeline: Some(2), tensor: Some(8) }, ..Default::default() };
/// assert_eq!(m.parallelism.gpus_per_pod(), 8);
/// ```
#[derive(Serialize, Deserialize, KubeSchema, Clone, Debug, Default, PartialEq)]
#[x_kube(validation = Rule::new("!(has(self.mpi) && has(self.ray))").message("mpi and ray are mutually exclusive"))]
#[serde(rename_all = "camelCase")]
pub struct NimServiceMultiNodeConfig {
    /// Backend (only `lws`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["lws"], "default" = "lws"))]
    pub backend_type: Option<String>,
    /// Pipeline and tensor parallelism.
    pub parallelism: ParallelismSpec,
    /// MPI launcher settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mpi: Option<MultiNodeMPI>,
    /// Ray settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ray: Option<MultiNodeRay>,
    /// NVIDIA DRA-driver ComputeDomain (multi-node NVLink).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_domain: Option<ComputeDomain>,
}

/// Parallelism of a multi-node NIM.
///
/// ```
/// let p = nim_types::ParallelismSpec { pipeline: Some(2), tensor: Some(4) };
/// assert_eq!(p.total_gpus(), 8);
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ParallelismSpec {
    /// Pipeline parallelism = LWS group size = number of pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub pipeline: Option<u32>,
    /// Tensor parallelism = GPUs per pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub tensor: Option<u32>,
}

impl ParallelismSpec {
    /// GPUs per pod (tensor parallelism, default 1).
    ///
    /// ```
    /// assert_eq!(nim_types::ParallelismSpec::default().gpus_per_pod(), 1);
    /// ```
    pub fn gpus_per_pod(&self) -> u32 {
        self.tensor.unwrap_or(1)
    }

    /// Pods per group (pipeline parallelism, default 1).
    ///
    /// ```
    /// assert_eq!(nim_types::ParallelismSpec::default().pods_per_group(), 1);
    /// ```
    pub fn pods_per_group(&self) -> u32 {
        self.pipeline.unwrap_or(1)
    }

    /// GPUs of one replica (all pods of a group).
    ///
    /// ```
    /// assert_eq!(nim_types::ParallelismSpec { pipeline: Some(3), tensor: None }.total_gpus(), 3);
    /// ```
    pub fn total_gpus(&self) -> u32 {
        self.gpus_per_pod().saturating_mul(self.pods_per_group())
    }
}

/// MPI launcher settings.
///
/// ```
/// let m = nim_types::MultiNodeMPI { mpi_start_timeout: 300 };
/// assert_eq!(m.mpi_start_timeout, 300);
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MultiNodeMPI {
    /// Seconds to wait for workers (default 300).
    #[serde(default = "default_mpi_timeout")]
    #[schemars(required, extend("default" = 300))]
    pub mpi_start_timeout: i64,
}

fn default_mpi_timeout() -> i64 {
    300
}

/// Ray settings.
///
/// ```
/// let r = nim_types::MultiNodeRay { ray_port: 6379 };
/// assert_eq!(r.ray_port, 6379);
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MultiNodeRay {
    /// Ray head port (default 6379).
    #[serde(default = "default_ray_port")]
    #[schemars(required, range(min = 1, max = 65535), extend("default" = 6379))]
    pub ray_port: i32,
}

fn default_ray_port() -> i32 {
    6379
}

/// A ComputeDomain to create or join.
///
/// ```
/// let c = nim_types::ComputeDomain { create: Some(true), name: None };
/// assert_eq!(c.create, Some(true));
/// ```
#[derive(Serialize, Deserialize, KubeSchema, Clone, Debug, Default, PartialEq)]
#[x_kube(validation = Rule::new("(has(self.create) && self.create) ? !has(self.name) : (has(self.name) && size(self.name) > 0)").message("if create is true, name must not be set; otherwise name is required."))]
#[serde(rename_all = "camelCase")]
pub struct ComputeDomain {
    /// Create a ComputeDomain named after the NIMService.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<bool>,
    /// Existing ComputeDomain name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A DRA claim: an existing claim, a claim template, or a spec to generate a template.
///
/// ```
/// let d = nim_types::DRAResource { resource_claim_template_name: Some("gpu".into()), ..Default::default() };
/// assert!(d.resource_claim_name.is_none());
/// ```
#[derive(Serialize, Deserialize, KubeSchema, Clone, Debug, Default, PartialEq)]
#[x_kube(validation = Rule::new("(has(self.resourceClaimName) ? 1 : 0) + (has(self.resourceClaimTemplateName) ? 1 : 0) + (has(self.claimCreationSpec) ? 1 : 0) == 1").message("exactly one of spec.resourceClaimName, spec.resourceClaimTemplateName, or spec.claimCreationSpec must be set."))]
#[serde(rename_all = "camelCase")]
pub struct DRAResource {
    /// Existing ResourceClaim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253), pattern(DNS_SUBDOMAIN))]
    pub resource_claim_name: Option<String>,
    /// Existing ResourceClaimTemplate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253), pattern(DNS_SUBDOMAIN))]
    pub resource_claim_template_name: Option<String>,
    /// Spec of a ResourceClaimTemplate the operator generates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_creation_spec: Option<DRAClaimCreationSpec>,
    /// Requests of the claim made available to the main container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<String>,
}

/// Spec of a generated ResourceClaimTemplate.
///
/// ```
/// let c = nim_types::DRAClaimCreationSpec::default();
/// assert!(c.devices.is_empty());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DRAClaimCreationSpec {
    /// Name prefix (controller default `claimtemplate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 16))]
    pub generate_name: Option<String>,
    /// Device requests.
    #[schemars(length(min = 1))]
    pub devices: Vec<DRADeviceSpec>,
}

/// One device request of a generated claim.
///
/// ```
/// let d = nim_types::DRADeviceSpec { name: "gpu".into(), ..Default::default() };
/// assert_eq!(d.count, 1);
/// ```
#[derive(Serialize, Deserialize, KubeSchema, Clone, Debug, PartialEq)]
#[x_kube(validation = Rule::new("(has(self.celExpressions) && !(has(self.attributeSelectors) || has(self.capacitySelectors))) || !has(self.celExpressions)").message("celExpressions must not be set if attributeSelectors or capacitySelectors are set"))]
#[serde(rename_all = "camelCase")]
pub struct DRADeviceSpec {
    /// Request name (DNS label).
    #[schemars(length(min = 1, max = 253), pattern(DNS_SUBDOMAIN))]
    pub name: String,
    /// Device count (default 1).
    #[serde(default = "default_one")]
    #[schemars(required, extend("default" = 1))]
    pub count: u32,
    /// DeviceClass (default `gpu.nvidia.com`).
    #[serde(default = "default_gpu_class")]
    #[schemars(required, extend("default" = "gpu.nvidia.com"))]
    pub device_class_name: String,
    /// DRA driver (default `gpu.nvidia.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253), pattern(DNS_SUBDOMAIN), extend("default" = "gpu.nvidia.com"))]
    pub driver_name: Option<String>,
    /// Attribute selectors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    pub attribute_selectors: Vec<DRADeviceAttributeSelector>,
    /// Capacity selectors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 12))]
    pub capacity_selectors: Vec<DRAResourceQuantitySelector>,
    /// Raw CEL selectors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cel_expressions: Vec<String>,
}

impl Default for DRADeviceSpec {
    fn default() -> Self {
        Self {
            name: String::new(),
            count: 1,
            device_class_name: default_gpu_class(),
            driver_name: None,
            attribute_selectors: Vec::new(),
            capacity_selectors: Vec::new(),
            cel_expressions: Vec::new(),
        }
    }
}

fn default_one() -> u32 {
    1
}

fn default_gpu_class() -> String {
    "gpu.nvidia.com".into()
}

fn default_equal() -> String {
    "Equal".into()
}

/// A device attribute comparison.
///
/// ```
/// let s = nim_types::DRADeviceAttributeSelector { key: "architecture".into(), op: "Equal".into(), value: None };
/// assert_eq!(s.op, "Equal");
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DRADeviceAttributeSelector {
    /// Attribute name (qualified or simple).
    #[schemars(length(max = 64))]
    pub key: String,
    /// Operator (default Equal).
    #[serde(default = "default_equal")]
    #[schemars(required, extend("enum" = ["Equal", "NotEqual", "GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual"], "default" = "Equal"))]
    pub op: String,
    /// Value to compare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<DRADeviceAttributeSelectorValue>,
}

/// A typed attribute value: exactly one field set.
///
/// ```
/// let v = nim_types::DRADeviceAttributeSelectorValue { string_value: Some("Ampere".into()), ..Default::default() };
/// assert!(v.bool_value.is_none());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DRADeviceAttributeSelectorValue {
    /// Boolean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bool_value: Option<bool>,
    /// Integer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub int_value: Option<i32>,
    /// String.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub string_value: Option<String>,
    /// Semantic version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub version_value: Option<String>,
}

/// A device capacity comparison.
///
/// ```
/// let s = nim_types::DRAResourceQuantitySelector { key: "memory".into(), op: "GreaterThanOrEqual".into(), value: None };
/// assert_eq!(s.key, "memory");
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DRAResourceQuantitySelector {
    /// Capacity name (qualified or simple).
    #[schemars(length(max = 64))]
    pub key: String,
    /// Operator (default Equal).
    #[serde(default = "default_equal")]
    #[schemars(required, extend("enum" = ["Equal", "NotEqual", "GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual"], "default" = "Equal"))]
    pub op: String,
    /// Quantity to compare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub value: Option<Quantity>,
}

/// Observed state of a NIMService.
///
/// ```
/// let s = nim_types::NIMServiceStatus::default();
/// assert!(s.conditions.is_empty());
/// ```
#[derive(Serialize, Deserialize, KubeSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NIMServiceStatus {
    /// `NotReady`, `Ready`, `Failed` (and `Pending`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Conditions (`Ready`, `Failed`, and our `Scheduled`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Available replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_replicas: Option<i32>,
    /// Model name and endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelStatus>,
    /// DRA claim states, keyed by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["name".into()]))]
    pub dra_resource_statuses: Vec<DRAResourceStatus>,
    /// ComputeDomain status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_domain_status: Option<ComputeDomainStatus>,
    /// Generation last processed (our addition; API conventions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// Model endpoints.
///
/// ```
/// let m = nim_types::ModelStatus { name: "meta/llama".into(), cluster_endpoint: "llm.nim.svc:8000".into(), external_endpoint: String::new() };
/// assert_eq!(m.name, "meta/llama");
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ModelStatus {
    /// Served model name.
    pub name: String,
    /// In-cluster endpoint.
    pub cluster_endpoint: String,
    /// External endpoint.
    pub external_endpoint: String,
}

/// State of one DRA resource.
///
/// ```
/// let s = nim_types::DRAResourceStatus { name: "gpu".into(), ..Default::default() };
/// assert_eq!(s.name, "gpu");
/// ```
#[derive(Serialize, Deserialize, KubeSchema, Clone, Debug, Default, PartialEq)]
#[x_kube(validation = Rule::new("has(self.resourceClaimStatus) != has(self.resourceClaimTemplateStatus)").message("exactly one of resourceClaimStatus and resourceClaimTemplateStatus must be set."))]
#[serde(rename_all = "camelCase")]
pub struct DRAResourceStatus {
    /// Pod claim name.
    pub name: String,
    /// Status of a claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_claim_status: Option<DRAResourceClaimStatusInfo>,
    /// Status of a claim template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_claim_template_status: Option<DRAResourceClaimTemplateStatusInfo>,
}

/// Claim state.
///
/// ```
/// let s = nim_types::DRAResourceClaimStatusInfo { name: "c".into(), state: "pending".into() };
/// assert_eq!(s.state, "pending");
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DRAResourceClaimStatusInfo {
    /// Claim name.
    pub name: String,
    /// Comma list of pending/allocated/reserved/deleted.
    pub state: String,
}

/// Claim template state.
///
/// ```
/// let s = nim_types::DRAResourceClaimTemplateStatusInfo { name: "t".into(), resource_claim_statuses: vec![] };
/// assert_eq!(s.name, "t");
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DRAResourceClaimTemplateStatusInfo {
    /// Template name.
    pub name: String,
    /// Claims generated from it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_claim_statuses: Vec<DRAResourceClaimStatusInfo>,
}

/// ComputeDomain status.
///
/// ```
/// let s = nim_types::ComputeDomainStatus { name: "cd".into(), ..Default::default() };
/// assert!(s.nodes.is_empty());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ComputeDomainStatus {
    /// ComputeDomain name.
    pub name: String,
    /// Overall status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Per-node status.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<ComputeDomainNode>,
}

/// ComputeDomain node.
///
/// ```
/// let n = nim_types::ComputeDomainNode { name: "n".into(), clique_id: "c".into(), status: None };
/// assert_eq!(n.clique_id, "c");
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ComputeDomainNode {
    /// Node name.
    pub name: String,
    /// NVLink clique.
    #[serde(rename = "cliqueID")]
    pub clique_id: String,
    /// Ready or NotReady (default NotReady).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["Ready", "NotReady"], "default" = "NotReady"))]
    pub status: Option<String>,
}

impl NIMServiceSpec {
    /// The API port (default 8000).
    ///
    /// ```
    /// assert_eq!(nim_types::NIMServiceSpec::default().service_port(), 8000);
    /// ```
    pub fn service_port(&self) -> i32 {
        self.expose
            .as_ref()
            .and_then(|e| e.service.as_ref())
            .and_then(|s| s.port)
            .unwrap_or(DEFAULT_API_PORT)
    }

    /// Whether the KServe platform is requested.
    ///
    /// ```
    /// let s = nim_types::NIMServiceSpec { inference_platform: Some("kserve".into()), ..Default::default() };
    /// assert!(s.is_kserve());
    /// ```
    pub fn is_kserve(&self) -> bool {
        self.inference_platform.as_deref() == Some("kserve")
    }

    /// Whether autoscaling is enabled.
    ///
    /// ```
    /// assert!(!nim_types::NIMServiceSpec::default().autoscaling_enabled());
    /// ```
    pub fn autoscaling_enabled(&self) -> bool {
        self.scale.as_ref().is_some_and(Autoscaling::is_enabled)
    }

    /// Whether this is a multi-node deployment (pipeline parallelism > 1).
    ///
    /// ```
    /// assert!(!nim_types::NIMServiceSpec::default().is_multi_node());
    /// ```
    pub fn is_multi_node(&self) -> bool {
        self.multi_node
            .as_ref()
            .is_some_and(|m| m.parallelism.pods_per_group() > 1)
    }

    /// GPUs the user asked for per pod through `resources` (limits first, then requests).
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use k8s_openapi::api::core::v1::ResourceRequirements;
    /// use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
    /// let spec = nim_types::NIMServiceSpec {
    ///     resources: Some(ResourceRequirements {
    ///         limits: Some(BTreeMap::from([("nvidia.com/gpu".to_string(), Quantity("2".into()))])),
    ///         ..Default::default()
    ///     }),
    ///     ..Default::default()
    /// };
    /// assert_eq!(spec.requested_gpus(), Some(2));
    /// ```
    pub fn requested_gpus(&self) -> Option<u32> {
        let res = self.resources.as_ref()?;
        [res.limits.as_ref(), res.requests.as_ref()]
            .into_iter()
            .flatten()
            .find_map(|m| m.get(GPU_RESOURCE))
            .and_then(|q| q.0.trim().parse::<u32>().ok())
    }

    /// GPUs per pod as the spec states it: the user's `nvidia.com/gpu`, else the multi-node
    /// tensor parallelism. `None` means "derive it from the chosen profile".
    ///
    /// ```
    /// let mut spec = nim_types::NIMServiceSpec::default();
    /// assert_eq!(spec.gpus_per_pod(), None);
    /// spec.multi_node = Some(nim_types::NimServiceMultiNodeConfig {
    ///     parallelism: nim_types::ParallelismSpec { pipeline: Some(2), tensor: Some(8) },
    ///     ..Default::default()
    /// });
    /// assert_eq!(spec.gpus_per_pod(), Some(8));
    /// ```
    pub fn gpus_per_pod(&self) -> Option<u32> {
        self.requested_gpus()
            .or_else(|| self.multi_node.as_ref().and_then(|m| m.parallelism.tensor))
    }

    /// The (minimum, maximum) replica counts: HPA bounds when autoscaling, else `replicas`
    /// (default 1) for both.
    ///
    /// ```
    /// let spec = nim_types::NIMServiceSpec { replicas: Some(3), ..Default::default() };
    /// assert_eq!(spec.replica_range(), (3, 3));
    /// ```
    pub fn replica_range(&self) -> (i32, i32) {
        match self.scale.as_ref() {
            Some(scale) if scale.is_enabled() => {
                let hpa = scale.hpa.clone().unwrap_or_default();
                let min = hpa.min_replicas();
                (min, hpa.max_replicas.max(min))
            }
            _ => {
                let r = self.replicas.unwrap_or(1);
                (r, r)
            }
        }
    }

    /// The NIMCache this service reads from, if any.
    ///
    /// ```
    /// assert_eq!(nim_types::NIMServiceSpec::default().nim_cache_name(), None);
    /// ```
    pub fn nim_cache_name(&self) -> Option<&str> {
        self.storage
            .as_ref()
            .and_then(|s| s.nim_cache.as_ref())
            .map(|c| c.name.as_str())
            .filter(|n| !n.is_empty())
    }

    /// The explicitly chosen profile, if any.
    ///
    /// ```
    /// assert_eq!(nim_types::NIMServiceSpec::default().nim_cache_profile(), None);
    /// ```
    pub fn nim_cache_profile(&self) -> Option<&str> {
        self.storage
            .as_ref()
            .and_then(|s| s.nim_cache.as_ref())
            .and_then(|c| c.profile.as_deref())
            .filter(|p| !p.is_empty())
    }
}
