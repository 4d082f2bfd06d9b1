//! Deployment `<name>` of a standalone, single-node NIMService (contract §3.2 steps 12, 13, 15):
//! pod template, main container, environment precedence, volumes, probes, security context,
//! and the merge of the planner's GPU-product node affinity into the user's affinity.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::core::v1::{
    Affinity, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvVar,
    EnvVarSource, HTTPGetAction, HostPathVolumeSource, NodeAffinity, NodeSelector,
    NodeSelectorRequirement, NodeSelectorTerm, PersistentVolumeClaimVolumeSource,
    PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile,
    SecretKeySelector, SecurityContext, Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use nim_types::{GPU_RESOURCE, NIMContainerSpec, NIMService};

use super::labels::{
    APP_LABEL, merge_env, name_of, non_empty, non_empty_str, non_empty_vec, pod_annotations,
    selector_labels, service_labels, service_owned_meta,
};
use super::pvc::pvc_name;
use super::service::named_ports;
use super::{RenderContext, RenderError};

/// Node label holding the GPU product name (GPU Feature Discovery).
pub const GPU_PRODUCT_LABEL: &str = "nvidia.com/gpu.product";
/// Default pod `runAsUser`.
pub const DEFAULT_USER_ID: i64 = 1000;
/// Default pod `runAsGroup` / `fsGroup`.
pub const DEFAULT_GROUP_ID: i64 = 2000;
/// Mount path of the model store.
pub const MODEL_STORE_PATH: &str = "/model-store";

/// The model-store volume and its mount `subPath`, resolved with NVIDIA's precedence:
/// NIMCache (its PVC, read-only per `storage.readOnly`, the **cache's** subPath) >
/// `pvc.create` (`<pvc.name or <name>-pvc>`) > `pvc.name` > `emptyDir` > `hostPath`
/// (DirectoryOrCreate).
///
/// ```
/// use nim_planner::render::{RenderContext, deployment::model_store_volume};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "storage": {"hostPath": "/data"}}
/// })).unwrap();
/// let (vol, sub_path) = model_store_volume(&svc, &RenderContext::default()).unwrap();
/// assert_eq!(vol.host_path.unwrap().type_.as_deref(), Some("DirectoryOrCreate"));
/// assert!(sub_path.is_none());
/// ```
pub fn model_store_volume(
    svc: &NIMService,
    ctx: &RenderContext,
) -> Result<(Volume, Option<String>), RenderError> {
    let storage = svc.spec.storage.clone().unwrap_or_default();
    let read_only = (storage.read_only == Some(true)).then_some(true);
    let pvc_volume = |claim_name: String| Volume {
        name: "model-store".to_string(),
        persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
            claim_name,
            read_only,
        }),
        ..Default::default()
    };
    if let Some(cache_name) = svc.spec.nim_cache_name() {
        let cache = ctx
            .nim_cache
            .as_ref()
            .ok_or_else(|| RenderError::NimCacheNotResolved(cache_name.to_string()))?;
        return Ok((pvc_volume(cache.pvc_name.clone()), cache.sub_path.clone()));
    }
    if let Some(pvc) = storage.pvc.as_ref().filter(|p| !p.is_empty()) {
        let named = non_empty_str(pvc.name.as_ref()).is_some();
        if pvc.creates() || named {
            let sub_path = non_empty_str(pvc.sub_path.as_ref());
            return Ok((pvc_volume(pvc_name(pvc, &name_of(&svc.metadata))), sub_path));
        }
    }
    if let Some(empty_dir) = storage.empty_dir.as_ref() {
        return Ok((
            Volume {
                name: "model-store".to_string(),
                empty_dir: Some(EmptyDirVolumeSource {
                    size_limit: empty_dir.size_limit.clone(),
                    medium: None,
                }),
                ..Default::default()
            },
            None,
        ));
    }
    if let Some(path) = non_empty_str(storage.host_path.as_ref()) {
        return Ok((
            Volume {
                name: "model-store".to_string(),
                host_path: Some(HostPathVolumeSource {
                    path,
                    type_: Some("DirectoryOrCreate".to_string()),
                }),
                ..Default::default()
            },
            None,
        ));
    }
    Err(RenderError::NoModelStore)
}

fn value_env(name: &str, value: impl Into<String>) -> EnvVar {
    let value = value.into();
    EnvVar {
        name: name.to_string(),
        value: (!value.is_empty()).then_some(value),
        value_from: None,
    }
}

fn secret_env(name: &str, secret: &str, key: &str, optional: bool) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.to_string(),
                key: key.to_string(),
                optional: optional.then_some(true),
            }),
            ..Default::default()
        }),
    }
}

/// The operator's standard environment of the main container, in NVIDIA's order.
///
/// ```
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "authSecret": "ngc-api-secret"}
/// })).unwrap();
/// let env = nim_planner::render::deployment::standard_env(&svc);
/// let names: Vec<_> = env.iter().map(|e| e.name.as_str()).collect();
/// assert_eq!(names, ["NIM_CACHE_PATH", "NGC_API_KEY", "OUTLINES_CACHE_DIR", "NIM_SERVER_PORT",
///                    "NIM_HTTP_API_PORT", "NIM_JSONL_LOGGING", "NIM_LOG_LEVEL"]);
/// ```
pub fn standard_env(svc: &NIMService) -> Vec<EnvVar> {
    let port = svc.spec.service_port().to_string();
    let mut env = vec![value_env("NIM_CACHE_PATH", MODEL_STORE_PATH)];
    if let Some(secret) = non_empty_str(svc.spec.auth_secret.as_ref()) {
        env.push(secret_env("NGC_API_KEY", &secret, "NGC_API_KEY", false));
    }
    env.extend([
        value_env("OUTLINES_CACHE_DIR", "/tmp/outlines"),
        value_env("NIM_SERVER_PORT", port.clone()),
        value_env("NIM_HTTP_API_PORT", port),
        value_env("NIM_JSONL_LOGGING", "1"),
        value_env("NIM_LOG_LEVEL", "INFO"),
    ]);
    let service = svc.spec.expose.as_ref().and_then(|e| e.service.as_ref());
    if let Some(grpc) = service.and_then(|s| s.grpc_port) {
        env.push(value_env("NIM_GRPC_API_PORT", grpc.to_string()));
        env.push(value_env("NIM_TRITON_GRPC_PORT", grpc.to_string()));
    }
    if let Some(metrics) = service.and_then(|s| s.metrics_port) {
        env.push(value_env("NIM_TRITON_METRICS_PORT", metrics.to_string()));
    }
    env
}

/// Proxy environment (`NIM_SDK_USE_NATIVE_TLS=1` and upper/lower-case proxy variables), empty
/// when `spec.proxy` is unset.
///
/// ```
/// let proxy = nim_types::ProxySpec { https_proxy: Some("http://p:3128".into()), ..Default::default() };
/// let env = nim_planner::render::deployment::proxy_env(Some(&proxy));
/// assert_eq!(env.len(), 7);
/// assert_eq!(env[1].value.as_deref(), Some("http://p:3128"));
/// ```
pub fn proxy_env(proxy: Option<&nim_types::ProxySpec>) -> Vec<EnvVar> {
    let Some(p) = proxy else {
        return Vec::new();
    };
    let https = p.https_proxy.clone().unwrap_or_default();
    let http = p.http_proxy.clone().unwrap_or_default();
    let no = p.no_proxy.clone().unwrap_or_default();
    vec![
        value_env("NIM_SDK_USE_NATIVE_TLS", "1"),
        value_env("HTTPS_PROXY", https.clone()),
        value_env("HTTP_PROXY", http.clone()),
        value_env("NO_PROXY", no.clone()),
        value_env("https_proxy", https),
        value_env("http_proxy", http),
        value_env("no_proxy", no),
    ]
}

/// The final environment of the main container (contract §3.2 table; later rows win where the
/// contract says the operator wins): standard env < user `spec.env` < proxy env; universal-NIM
/// variables (user wins); native-NIM variables (operator wins); Hugging Face credentials;
/// `NIM_MODEL_PROFILE` (user wins).
///
/// ```
/// use nim_planner::render::{RenderContext, deployment::main_env};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "env": [{"name": "NIM_LOG_LEVEL", "value": "DEBUG"}]}
/// })).unwrap();
/// let ctx = RenderContext { profile: Some("abc".into()), ..Default::default() };
/// let env = main_env(&svc, &ctx);
/// assert_eq!(env[0].name, "NIM_LOG_LEVEL");
/// assert_eq!(env[0].value.as_deref(), Some("DEBUG"));
/// assert_eq!(env.last().unwrap().name, "NIM_MODEL_PROFILE");
/// ```
pub fn main_env(svc: &NIMService, ctx: &RenderContext) -> Vec<EnvVar> {
    let spec = &svc.spec;
    let auth = non_empty_str(spec.auth_secret.as_ref());
    let cache = ctx
        .nim_cache
        .as_ref()
        .filter(|_| spec.nim_cache_name().is_some());

    let mut env = merge_env(&standard_env(svc), &spec.env);
    env = merge_env(&env, &proxy_env(spec.proxy.as_ref()));

    let native = cache.is_some_and(|c| c.native);
    if let Some(c) = cache.filter(|c| c.universal && !c.native) {
        let mut universal = vec![
            value_env("NIM_MODEL_NAME", MODEL_STORE_PATH),
            value_env("HF_HOME", "/model-store/huggingface/hub"),
        ];
        if let Some(path) = &c.hf_model_path {
            universal.push(value_env("NIM_MODEL_PATH", path.clone()));
        }
        env = merge_env(&universal, &env);
    }
    if let Some(c) = cache.filter(|c| c.native) {
        let mut native_env = vec![value_env(
            "NIM_ENGINE_MODEL_PATH",
            format!("/model/{}", c.name),
        )];
        if let Some(secret) = &auth {
            native_env.push(secret_env("NGC_API_KEY", secret, "NGC_API_KEY", true));
            native_env.push(secret_env("HF_TOKEN", secret, "HF_TOKEN", true));
        }
        env = merge_env(&env, &native_env);
    }
    let hf_model = cache.is_some_and(|c| c.hf)
        || env.iter().any(|e| {
            e.name == "NIM_MODEL_NAME" && e.value.as_deref().is_some_and(|v| v.starts_with("hf://"))
        });
    if hf_model
        && !native
        && let Some(secret) = &auth
    {
        for e in env.iter_mut().filter(|e| e.name == "NGC_API_KEY") {
            if let Some(sel) = e
                .value_from
                .as_mut()
                .and_then(|v| v.secret_key_ref.as_mut())
                .filter(|s| &s.name == secret && s.key == "NGC_API_KEY")
            {
                sel.optional = Some(true);
            }
        }
        env = merge_env(&[secret_env("HF_TOKEN", secret, "HF_TOKEN", false)], &env);
    }
    let profile = ctx
        .profile
        .clone()
        .filter(|p| !p.is_empty())
        .or_else(|| spec.nim_cache_profile().map(str::to_string));
    if let Some(profile) = profile {
        env = merge_env(&[value_env("NIM_MODEL_PROFILE", profile)], &env);
    }
    env
}

fn http_probe(path: &str, initial_delay: i32, failure: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.to_string()),
            port: IntOrString::String("api".to_string()),
            ..Default::default()
        }),
        initial_delay_seconds: Some(initial_delay),
        timeout_seconds: Some(1),
        period_seconds: Some(10),
        success_threshold: Some(1),
        failure_threshold: Some(failure),
        ..Default::default()
    }
}

/// Default liveness probe: `GET /v1/health/live` on port `api`, 15/1/10/1/3.
///
/// ```
/// let p = nim_planner::render::deployment::default_liveness_probe();
/// assert_eq!(p.http_get.unwrap().path.as_deref(), Some("/v1/health/live"));
/// ```
pub fn default_liveness_probe() -> Probe {
    http_probe("/v1/health/live", 15, 3)
}

/// Default readiness probe: `GET /v1/health/ready` on port `api`, 15/1/10/1/3.
///
/// ```
/// let p = nim_planner::render::deployment::default_readiness_probe();
/// assert_eq!(p.failure_threshold, Some(3));
/// ```
pub fn default_readiness_probe() -> Probe {
    http_probe("/v1/health/ready", 15, 3)
}

/// Default startup probe: `GET /v1/health/ready` on port `api`, initial delay 30, failure 120.
///
/// ```
/// let p = nim_planner::render::deployment::default_startup_probe();
/// assert_eq!((p.initial_delay_seconds, p.failure_threshold), (Some(30), Some(120)));
/// ```
pub fn default_startup_probe() -> Probe {
    http_probe("/v1/health/ready", 30, 120)
}

/// A probe as NVIDIA renders it: `None` when disabled, the user's probe when given, else the
/// default.
///
/// ```
/// use nim_planner::render::deployment::{effective_probe, default_startup_probe};
/// assert_eq!(effective_probe(None, default_startup_probe), Some(default_startup_probe()));
/// let off = nim_types::Probe { enabled: Some(false), probe: None };
/// assert_eq!(effective_probe(Some(&off), default_startup_probe), None);
/// ```
pub fn effective_probe(probe: Option<&nim_types::Probe>, default: fn() -> Probe) -> Option<Probe> {
    match probe {
        Some(p) if !p.is_enabled() => None,
        Some(nim_types::Probe {
            probe: Some(user), ..
        }) => Some(user.clone()),
        _ => Some(default()),
    }
}

/// Merges a required node affinity `nvidia.com/gpu.product In <products>` into `user`.
///
/// Required node-selector terms are ORed, so the requirement is ANDed into **every** existing
/// non-empty term (empty terms match nothing and are left alone); when there is no term, one
/// is created. Products are sorted and de-duplicated; an identical existing expression is not
/// added twice. With no products the user's affinity is returned unchanged.
///
/// ```
/// use k8s_openapi::api::core::v1::{Affinity, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm};
/// use nim_planner::render::deployment::merge_gpu_product_affinity;
/// let zone = |z: &str| NodeSelectorTerm { match_expressions: Some(vec![NodeSelectorRequirement {
///     key: "zone".into(), operator: "In".into(), values: Some(vec![z.into()]) }]), match_fields: None };
/// let user = Affinity { node_affinity: Some(NodeAffinity {
///     required_during_scheduling_ignored_during_execution: Some(NodeSelector { node_selector_terms: vec![zone("a"), zone("b")] }),
///     ..Default::default() }), ..Default::default() };
/// let merged = merge_gpu_product_affinity(Some(&user), &["NVIDIA-H100".to_string()]).unwrap();
/// let terms = merged.node_affinity.unwrap().required_during_scheduling_ignored_during_execution.unwrap().node_selector_terms;
/// assert!(terms.iter().all(|t| t.match_expressions.as_ref().unwrap().len() == 2));
/// ```
pub fn merge_gpu_product_affinity(
    user: Option<&Affinity>,
    products: &[String],
) -> Option<Affinity> {
    let mut values: Vec<String> = products.iter().filter(|p| !p.is_empty()).cloned().collect();
    values.sort();
    values.dedup();
    if values.is_empty() {
        return user.cloned();
    }
    let requirement = NodeSelectorRequirement {
        key: GPU_PRODUCT_LABEL.to_string(),
        operator: "In".to_string(),
        values: Some(values),
    };
    let mut affinity = user.cloned().unwrap_or_default();
    let node_affinity = affinity
        .node_affinity
        .get_or_insert_with(NodeAffinity::default);
    let required = node_affinity
        .required_during_scheduling_ignored_during_execution
        .get_or_insert_with(|| NodeSelector {
            node_selector_terms: Vec::new(),
        });
    if required.node_selector_terms.is_empty() {
        required.node_selector_terms.push(NodeSelectorTerm {
            match_expressions: Some(vec![requirement]),
            match_fields: None,
        });
        return Some(affinity);
    }
    for term in &mut required.node_selector_terms {
        let has_fields = term.match_fields.as_ref().is_some_and(|f| !f.is_empty());
        let exprs = term.match_expressions.get_or_insert_with(Vec::new);
        if exprs.is_empty() && !has_fields {
            // An empty term selects nothing; keep it that way.
            if term.match_fields.is_none() {
                term.match_expressions = None;
            }
            continue;
        }
        if !exprs.contains(&requirement) {
            exprs.push(requirement.clone());
        }
    }
    Some(affinity)
}

/// Tolerations as NVIDIA's template renders them: key/operator/value/effect only
/// (`tolerationSeconds` is dropped).
///
/// ```
/// use k8s_openapi::api::core::v1::Toleration;
/// let t = Toleration { key: Some("k".into()), toleration_seconds: Some(30), ..Default::default() };
/// let out = nim_planner::render::deployment::sanitize_tolerations(&[t]);
/// assert_eq!(out[0].toleration_seconds, None);
/// ```
pub fn sanitize_tolerations(tolerations: &[Toleration]) -> Vec<Toleration> {
    tolerations
        .iter()
        .map(|t| Toleration {
            toleration_seconds: None,
            ..t.clone()
        })
        .collect()
}

/// Main-container resources: the user's, plus `nvidia.com/gpu` requests = limits =
/// `ctx.gpus_per_pod` when the user set it in neither and `draResources` is empty.
///
/// ```
/// use nim_planner::render::{RenderContext, deployment::resources};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
///     "spec": {"image": {"repository": "r", "tag": "1"}}
/// })).unwrap();
/// let ctx = RenderContext { gpus_per_pod: Some(2), ..Default::default() };
/// let r = resources(&svc, &ctx).unwrap();
/// assert_eq!(r.limits.unwrap()["nvidia.com/gpu"].0, "2");
/// ```
pub fn resources(svc: &NIMService, ctx: &RenderContext) -> Option<ResourceRequirements> {
    let mut res = svc.spec.resources.clone().unwrap_or_default();
    let user_gpu = [res.limits.as_ref(), res.requests.as_ref()]
        .into_iter()
        .flatten()
        .any(|m| m.contains_key(GPU_RESOURCE));
    if let Some(gpus) = ctx.gpus_per_pod
        && !user_gpu
        && svc.spec.dra_resources.is_empty()
    {
        for map in [&mut res.limits, &mut res.requests] {
            map.get_or_insert_with(BTreeMap::new)
                .insert(GPU_RESOURCE.to_string(), Quantity(gpus.to_string()));
        }
    }
    res.limits = res.limits.and_then(non_empty);
    res.requests = res.requests.and_then(non_empty);
    res.claims = res.claims.and_then(non_empty_vec);
    (res != ResourceRequirements::default()).then_some(res)
}

/// A volume mount (shared by every renderer of pods).
pub(crate) fn mount(name: &str, path: &str, sub_path: Option<String>) -> VolumeMount {
    VolumeMount {
        name: name.to_string(),
        mount_path: path.to_string(),
        sub_path,
        ..Default::default()
    }
}

/// The `/dev/shm` memory volume, sized by `storage.sharedMemorySizeLimit`.
pub(crate) fn shm_volume(svc: &NIMService) -> Volume {
    Volume {
        name: "dshm".to_string(),
        empty_dir: Some(EmptyDirVolumeSource {
            medium: Some("Memory".to_string()),
            size_limit: svc
                .spec
                .storage
                .as_ref()
                .and_then(|s| s.shared_memory_size_limit.clone()),
        }),
        ..Default::default()
    }
}

/// The model store's mounts: `/model-store`, or `/model` and `/opt/cache` for native NIMs.
pub(crate) fn model_store_mounts(native: bool, sub_path: Option<String>) -> Vec<VolumeMount> {
    if native {
        vec![
            mount("model-store", "/model", sub_path.clone()),
            mount("model-store", "/opt/cache", sub_path),
        ]
    } else {
        vec![mount("model-store", MODEL_STORE_PATH, sub_path)]
    }
}

fn extra_container(
    c: &NIMContainerSpec,
    default_pull_policy: Option<String>,
    main_env: &[EnvVar],
    mounts: &[VolumeMount],
) -> Container {
    Container {
        name: c.name.clone(),
        image: Some(c.image.reference()),
        image_pull_policy: non_empty_str(c.image.pull_policy.as_ref()).or(default_pull_policy),
        command: non_empty_vec(c.command.clone()),
        args: non_empty_vec(c.args.clone()),
        working_dir: non_empty_str(c.working_dir.as_ref()),
        env: non_empty_vec(merge_env(main_env, &c.env)),
        volume_mounts: non_empty_vec(mounts.to_vec()),
        ..Default::default()
    }
}

/// The pod's image pull secrets (`spec.image.pullSecrets`, empty names dropped); shared by the
/// Deployment and LeaderWorkerSet templates.
///
/// ```
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "a"},
///     "spec": {"image": {"repository": "r", "tag": "1", "pullSecrets": ["ngc-secret", ""]}}
/// })).unwrap();
/// let secrets = nim_planner::render::deployment::image_pull_secrets(&svc).unwrap();
/// assert_eq!(secrets.len(), 1);
/// ```
pub fn image_pull_secrets(
    svc: &NIMService,
) -> Option<Vec<k8s_openapi::api::core::v1::LocalObjectReference>> {
    non_empty_vec(
        svc.spec
            .image
            .pull_secrets
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| k8s_openapi::api::core::v1::LocalObjectReference { name: s.clone() })
            .collect(),
    )
}

/// The pod security context NVIDIA renders: `runAsUser` (default 1000), `runAsGroup` and
/// `fsGroup` (default 2000), and `seccompProfile: RuntimeDefault` on TKGS; shared by the
/// Deployment and LeaderWorkerSet templates.
///
/// ```
/// use nim_planner::render::RenderContext;
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "a"},
///     "spec": {"image": {"repository": "r", "tag": "1"}}
/// })).unwrap();
/// let sc = nim_planner::render::deployment::pod_security_context(&svc, &RenderContext::default());
/// assert_eq!((sc.run_as_user, sc.fs_group), (Some(1000), Some(2000)));
/// ```
pub fn pod_security_context(svc: &NIMService, ctx: &RenderContext) -> PodSecurityContext {
    let spec = &svc.spec;
    PodSecurityContext {
        run_as_user: Some(spec.user_id.unwrap_or(DEFAULT_USER_ID)),
        run_as_group: Some(spec.group_id.unwrap_or(DEFAULT_GROUP_ID)),
        fs_group: Some(spec.group_id.unwrap_or(DEFAULT_GROUP_ID)),
        seccomp_profile: ctx.tkgs.then(|| SeccompProfile {
            type_: "RuntimeDefault".to_string(),
            localhost_profile: None,
        }),
        ..Default::default()
    }
}

/// The Deployment `<name>` of a standalone, single-node NIMService.
///
/// * `replicas`: omitted when autoscaling is enabled (the HPA owns it; server-side apply must
///   not fight it), else `spec.replicas` (omitted when unset).
/// * Strategy RollingUpdate `maxUnavailable: 25%`, `maxSurge: 0`; selector `app: <name>`; pod
///   labels = common labels + `app: <name>` (the selector label always wins); pod annotations =
///   common annotations without the parent hash.
/// * Pod: SA `<name>`, runtime/scheduler/priority class, affinity (merged with
///   `ctx.allowed_gpu_products`, see [`merge_gpu_product_affinity`]), nodeSelector, tolerations
///   (without `tolerationSeconds`), imagePullSecrets, securityContext `runAsUser` (1000),
///   `runAsGroup`/`fsGroup` (2000) (+ RuntimeDefault seccomp on TKGS).
/// * Container `<name>-ctr`: image, pull policy, command/args, ports `api` (+`grpc`,
///   `metrics`), env ([`main_env`]), resources ([`resources`]), probes, mounts `model-store` at
///   `/model-store` (native NIMs: `/model` and `/opt/cache`), `dshm` at `/dev/shm`, `scratch`
///   at `/scratch` with init/sidecar containers, CA volumes with `proxy.certConfigMap`.
///
/// Errors: multi-node and KServe shapes ([`RenderError::Unsupported`]), an unresolved
/// NIMCache, or no model store.
///
/// ```
/// use nim_planner::render::{RenderContext, deployment::deployment};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm", "namespace": "nim"},
///     "spec": {"image": {"repository": "nvcr.io/nim/meta/llama-3.2-1b-instruct", "tag": "1.12.0"},
///              "replicas": 1, "storage": {"emptyDir": {}}}
/// })).unwrap();
/// let d = deployment(&svc, &RenderContext::default()).unwrap();
/// let spec = d.spec.unwrap();
/// assert_eq!(spec.replicas, Some(1));
/// let pod = spec.template.spec.unwrap();
/// assert_eq!(pod.containers[0].name, "llm-ctr");
/// assert_eq!(pod.security_context.unwrap().run_as_user, Some(1000));
/// ```
pub fn deployment(svc: &NIMService, ctx: &RenderContext) -> Result<Deployment, RenderError> {
    let spec = &svc.spec;
    if spec.is_kserve() {
        return Err(RenderError::Unsupported("inferencePlatform kserve"));
    }
    if spec.is_multi_node() {
        return Err(RenderError::Unsupported("multiNode (LeaderWorkerSet)"));
    }
    let name = name_of(&svc.metadata);
    let (model_store, sub_path) = model_store_volume(svc, ctx)?;
    let native =
        spec.nim_cache_name().is_some() && ctx.nim_cache.as_ref().is_some_and(|c| c.native);
    let ca_config_map = spec
        .proxy
        .as_ref()
        .and_then(|p| non_empty_str(p.cert_config_map.as_ref()));
    let scratch = !spec.init_containers.is_empty() || !spec.sidecar_containers.is_empty();

    // Volumes and the main container's mounts.
    let mut volumes = vec![shm_volume(svc), model_store];
    let mut store_mounts = model_store_mounts(native, sub_path);
    let mut mounts = store_mounts.clone();
    mounts.push(mount("dshm", "/dev/shm", None));
    if scratch {
        volumes.push(Volume {
            name: "scratch".to_string(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Default::default()
        });
        let m = mount("scratch", "/scratch", None);
        mounts.push(m.clone());
        store_mounts.push(m);
    }
    if let Some(cm) = &ca_config_map {
        volumes.push(Volume {
            name: "ca-cert-volume".to_string(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Default::default()
        });
        volumes.push(Volume {
            name: "custom-ca".to_string(),
            config_map: Some(ConfigMapVolumeSource {
                name: cm.clone(),
                ..Default::default()
            }),
            ..Default::default()
        });
        let m = mount("ca-cert-volume", "/etc/ssl", None);
        mounts.push(m.clone());
        store_mounts.push(m);
    }

    let env = main_env(svc, ctx);
    let pull_policy = non_empty_str(spec.image.pull_policy.as_ref());
    let image = spec.image.reference();

    let mut init_containers = Vec::new();
    if ca_config_map.is_some() {
        init_containers.push(Container {
            name: "update-ca-certificates".to_string(),
            image: Some(image.clone()),
            image_pull_policy: pull_policy.clone(),
            command: Some(vec!["/bin/sh".to_string(), "-c".to_string()]),
            args: Some(vec![
                "cp /custom/*.crt /custom/*.pem /usr/local/share/ca-certificates/ 2>/dev/null || true; update-ca-certificates && cp -r /etc/ssl/* /ca-certs/".to_string(),
            ]),
            security_context: Some(SecurityContext {
                run_as_user: Some(0),
                ..Default::default()
            }),
            volume_mounts: Some(vec![
                mount("ca-cert-volume", "/ca-certs", None),
                mount("custom-ca", "/custom", None),
            ]),
            ..Default::default()
        });
    }
    init_containers.extend(
        spec.init_containers
            .iter()
            .map(|c| extra_container(c, pull_policy.clone(), &env, &store_mounts)),
    );

    let ports = named_ports(svc)
        .into_iter()
        .map(|(port_name, port)| ContainerPort {
            name: Some(port_name.to_string()),
            container_port: port,
            protocol: Some("TCP".to_string()),
            ..Default::default()
        })
        .collect();
    let mut containers = vec![Container {
        name: format!("{name}-ctr"),
        image: Some(image),
        image_pull_policy: pull_policy.clone(),
        command: non_empty_vec(spec.command.clone()),
        args: non_empty_vec(spec.args.clone()),
        ports: Some(ports),
        env: non_empty_vec(env.clone()),
        resources: resources(svc, ctx),
        liveness_probe: effective_probe(spec.liveness_probe.as_ref(), default_liveness_probe),
        readiness_probe: effective_probe(spec.readiness_probe.as_ref(), default_readiness_probe),
        startup_probe: effective_probe(spec.startup_probe.as_ref(), default_startup_probe),
        volume_mounts: Some(mounts.clone()),
        ..Default::default()
    }];
    containers.extend(
        spec.sidecar_containers
            .iter()
            .map(|c| extra_container(c, pull_policy.clone(), &env, &mounts)),
    );

    let mut pod_labels = service_labels(svc, ctx);
    pod_labels.insert(APP_LABEL.to_string(), name.clone());

    let pod = PodSpec {
        service_account_name: Some(name.clone()),
        runtime_class_name: non_empty_str(spec.runtime_class_name.as_ref()),
        scheduler_name: non_empty_str(spec.scheduler_name.as_ref()),
        priority_class_name: non_empty_str(spec.priority_class_name.as_ref()),
        affinity: merge_gpu_product_affinity(spec.affinity.as_ref(), &ctx.allowed_gpu_products),
        node_selector: non_empty(spec.node_selector.clone()),
        tolerations: non_empty_vec(sanitize_tolerations(&spec.tolerations)),
        image_pull_secrets: image_pull_secrets(svc),
        security_context: Some(pod_security_context(svc, ctx)),
        init_containers: non_empty_vec(init_containers),
        containers,
        volumes: Some(volumes),
        ..Default::default()
    };

    Ok(Deployment {
        metadata: service_owned_meta(svc, ctx),
        spec: Some(DeploymentSpec {
            replicas: if spec.autoscaling_enabled() {
                None
            } else {
                spec.replicas
            },
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".to_string()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_unavailable: Some(IntOrString::String("25%".to_string())),
                    max_surge: Some(IntOrString::Int(0)),
                }),
            }),
            selector: LabelSelector {
                match_labels: Some(selector_labels(&name)),
                match_expressions: None,
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(pod_labels),
                    annotations: non_empty(pod_annotations(svc)),
                    ..Default::default()
                }),
                spec: Some(pod),
            },
            ..Default::default()
        }),
        status: None,
    })
}
