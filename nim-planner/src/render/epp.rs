//! The Gateway API Inference Extension endpoint picker (EPP) of a NIMService with
//! `expose.router.eppConfig` (contract §3.2 step 11): ServiceAccount, Role, RoleBinding,
//! ConfigMap, Service and Deployment, all named `<name>-epp` (ConfigMap `<name>-epp-config`).
//!
//! The contract leaves a few details open; this module's choices are: every EPP object carries
//! the NIMService's common labels and annotations (EPP pods additionally `app: <name>-epp`, the
//! selector); the Role has one rule for the two inference API groups and one for core `pods`;
//! the inline `config` is stored as JSON text (valid YAML) under `default-plugins.yaml`; Service
//! ports target the container port numbers.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, GRPCAction, LocalObjectReference,
    PodSpec, PodTemplateSpec, Probe, Service, ServiceAccount, ServicePort, ServiceSpec, Volume,
    VolumeMount,
};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use nim_types::{EPPConfig, NIMService};

use super::RenderContext;
use super::labels::{
    APP_LABEL, NIMSERVICE_KIND, name_of, namespace_of, non_empty, non_empty_str, non_empty_vec,
    owned_meta, pod_annotations, selector_labels, service_annotations, service_labels,
};

/// EPP gRPC ext-proc port (the InferencePool's `endpointPickerRef` port).
pub const EPP_GRPC_EXT_PROC_PORT: i32 = 9002;
/// EPP gRPC health port (default probes).
pub const EPP_GRPC_HEALTH_PORT: i32 = 9003;
/// EPP metrics port.
pub const EPP_METRICS_PORT: i32 = 9090;
/// ConfigMap key holding an inline EndpointPickerConfig.
pub const EPP_CONFIG_KEY: &str = "default-plugins.yaml";

/// `<name>-epp`.
///
/// ```
/// assert_eq!(nim_planner::render::epp::epp_name("llm"), "llm-epp");
/// ```
pub fn epp_name(name: &str) -> String {
    format!("{name}-epp")
}

/// The NIMService's `expose.router.eppConfig`, if set.
///
/// ```
/// let svc = nim_types::NIMService::new("llm", Default::default());
/// assert!(nim_planner::render::epp::epp_config(&svc).is_none());
/// ```
pub fn epp_config(svc: &NIMService) -> Option<&EPPConfig> {
    svc.spec
        .expose
        .as_ref()?
        .router
        .as_ref()?
        .epp_config
        .as_ref()
}

fn meta(svc: &NIMService, ctx: &RenderContext, name: &str) -> ObjectMeta {
    owned_meta(
        &svc.metadata,
        NIMSERVICE_KIND,
        name,
        service_labels(svc, ctx),
        service_annotations(svc, ctx),
    )
}

/// EPP ServiceAccount `<name>-epp`.
///
/// ```
/// # let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
/// #     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
/// #     "spec": {"image": {"repository": "r", "tag": "1"},
/// #              "expose": {"router": {"eppConfig": {"containerSpec": {"name": "epp", "image": {"repository": "epp", "tag": "v1"}}}}}}
/// # })).unwrap();
/// use nim_planner::render::{RenderContext, epp};
/// let sa = epp::service_account(&svc, &RenderContext::default()).unwrap();
/// assert_eq!(sa.metadata.name.as_deref(), Some("llm-epp"));
/// ```
pub fn service_account(svc: &NIMService, ctx: &RenderContext) -> Option<ServiceAccount> {
    epp_config(svc)?;
    Some(ServiceAccount {
        metadata: meta(svc, ctx, &epp_name(&name_of(&svc.metadata))),
        ..Default::default()
    })
}

/// EPP Role `<name>-epp`: get/watch/list on `inferencepools` and `inferenceobjectives` in
/// `inference.networking.k8s.io` and `inference.networking.x-k8s.io`, and on core `pods`.
///
/// ```
/// # let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
/// #     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
/// #     "spec": {"image": {"repository": "r", "tag": "1"},
/// #              "expose": {"router": {"eppConfig": {"containerSpec": {"name": "epp", "image": {"repository": "epp", "tag": "v1"}}}}}}
/// # })).unwrap();
/// use nim_planner::render::{RenderContext, epp};
/// let role = epp::role(&svc, &RenderContext::default()).unwrap();
/// assert_eq!(role.rules.unwrap().len(), 2);
/// ```
pub fn role(svc: &NIMService, ctx: &RenderContext) -> Option<Role> {
    epp_config(svc)?;
    let verbs = vec!["get".to_string(), "watch".to_string(), "list".to_string()];
    Some(Role {
        metadata: meta(svc, ctx, &epp_name(&name_of(&svc.metadata))),
        rules: Some(vec![
            PolicyRule {
                api_groups: Some(vec![
                    "inference.networking.k8s.io".to_string(),
                    "inference.networking.x-k8s.io".to_string(),
                ]),
                resources: Some(vec![
                    "inferencepools".to_string(),
                    "inferenceobjectives".to_string(),
                ]),
                verbs: verbs.clone(),
                ..Default::default()
            },
            PolicyRule {
                api_groups: Some(vec![String::new()]),
                resources: Some(vec!["pods".to_string()]),
                verbs,
                ..Default::default()
            },
        ]),
    })
}

/// EPP RoleBinding `<name>-epp` → Role `<name>-epp`, SA `<name>-epp`.
///
/// ```
/// # let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
/// #     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
/// #     "spec": {"image": {"repository": "r", "tag": "1"},
/// #              "expose": {"router": {"eppConfig": {"containerSpec": {"name": "epp", "image": {"repository": "epp", "tag": "v1"}}}}}}
/// # })).unwrap();
/// use nim_planner::render::{RenderContext, epp};
/// let rb = epp::role_binding(&svc, &RenderContext::default()).unwrap();
/// assert_eq!(rb.role_ref.name, "llm-epp");
/// ```
pub fn role_binding(svc: &NIMService, ctx: &RenderContext) -> Option<RoleBinding> {
    epp_config(svc)?;
    let name = epp_name(&name_of(&svc.metadata));
    Some(RoleBinding {
        metadata: meta(svc, ctx, &name),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".to_string(),
            kind: "Role".to_string(),
            name: name.clone(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".to_string(),
            name,
            namespace: Some(namespace_of(&svc.metadata)),
            ..Default::default()
        }]),
    })
}

/// EPP ConfigMap `<name>-epp-config`, only for an inline `eppConfig.config` (key
/// `default-plugins.yaml`, the config as JSON text, which is valid YAML).
///
/// ```
/// # let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
/// #     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
/// #     "spec": {"image": {"repository": "r", "tag": "1"},
/// #              "expose": {"router": {"eppConfig": {"containerSpec": {"name": "epp", "image": {"repository": "epp", "tag": "v1"}},
/// #                  "config": {"plugins": [{"type": "kv-cache-utilization-scorer"}]}}}}}
/// # })).unwrap();
/// use nim_planner::render::{RenderContext, epp};
/// let cm = epp::config_map(&svc, &RenderContext::default()).unwrap();
/// assert!(cm.data.unwrap()["default-plugins.yaml"].contains("kv-cache-utilization-scorer"));
/// ```
pub fn config_map(svc: &NIMService, ctx: &RenderContext) -> Option<ConfigMap> {
    let config = epp_config(svc)?.config.as_ref()?;
    let text = serde_json::to_string_pretty(&config.0).unwrap_or_default();
    Some(ConfigMap {
        metadata: meta(
            svc,
            ctx,
            &format!("{}-config", epp_name(&name_of(&svc.metadata))),
        ),
        data: Some(BTreeMap::from([(EPP_CONFIG_KEY.to_string(), text)])),
        ..Default::default()
    })
}

/// The EPP container ports: `eppConfig.ports`, else `grpc-ext-proc` 9002, `grpc-health` 9003,
/// `http-metrics` 9090.
///
/// ```
/// let ports = nim_planner::render::epp::container_ports(&Default::default());
/// assert_eq!(ports.len(), 3);
/// ```
pub fn container_ports(config: &EPPConfig) -> Vec<ContainerPort> {
    if !config.ports.is_empty() {
        return config.ports.clone();
    }
    [
        ("grpc-ext-proc", EPP_GRPC_EXT_PROC_PORT),
        ("grpc-health", EPP_GRPC_HEALTH_PORT),
        ("http-metrics", EPP_METRICS_PORT),
    ]
    .into_iter()
    .map(|(name, port)| ContainerPort {
        name: Some(name.to_string()),
        container_port: port,
        protocol: Some("TCP".to_string()),
        ..Default::default()
    })
    .collect()
}

/// EPP Service `<name>-epp`: ClusterIP, selector `app: <name>-epp`, ports from
/// `eppConfig.ports` or `grpc-ext-proc` 9002 + `http-metrics` 9090.
///
/// ```
/// # let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
/// #     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
/// #     "spec": {"image": {"repository": "r", "tag": "1"},
/// #              "expose": {"router": {"eppConfig": {"containerSpec": {"name": "epp", "image": {"repository": "epp", "tag": "v1"}}}}}}
/// # })).unwrap();
/// use nim_planner::render::{RenderContext, epp};
/// let s = epp::service(&svc, &RenderContext::default()).unwrap();
/// let ports: Vec<_> = s.spec.unwrap().ports.unwrap().iter().map(|p| p.port).collect();
/// assert_eq!(ports, vec![9002, 9090]);
/// ```
pub fn service(svc: &NIMService, ctx: &RenderContext) -> Option<Service> {
    let config = epp_config(svc)?;
    let name = epp_name(&name_of(&svc.metadata));
    let ports = if config.ports.is_empty() {
        vec![
            ("grpc-ext-proc", EPP_GRPC_EXT_PROC_PORT),
            ("http-metrics", EPP_METRICS_PORT),
        ]
        .into_iter()
        .map(|(n, p)| (Some(n.to_string()), p, Some("TCP".to_string())))
        .collect::<Vec<_>>()
    } else {
        config
            .ports
            .iter()
            .map(|p| (p.name.clone(), p.container_port, p.protocol.clone()))
            .collect()
    };
    Some(Service {
        metadata: meta(svc, ctx, &name),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_string()),
            selector: Some(selector_labels(&name)),
            ports: Some(
                ports
                    .into_iter()
                    .map(|(port_name, port, protocol)| ServicePort {
                        name: port_name,
                        port,
                        target_port: Some(IntOrString::Int(port)),
                        protocol,
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        status: None,
    })
}

fn default_grpc_probe() -> Probe {
    Probe {
        grpc: Some(GRPCAction {
            port: EPP_GRPC_HEALTH_PORT,
            service: None,
        }),
        initial_delay_seconds: Some(5),
        period_seconds: Some(10),
        ..Default::default()
    }
}

/// EPP Deployment `<name>-epp`: container `epp` (image `repository:tag`, tag default
/// `latest`), SA `<name>-epp`, pull policy and secrets from the NIMService image, args
/// `containerSpec.args` or the defaults (`--pool-name <name> --pool-namespace <ns> --pool-group
/// inference.networking.k8s.io --zap-encoder json --config-file /config/<file> --v 6
/// --model-server-metrics-path /v1/metrics`), config volume `epp-config` mounted read-only at
/// `/config`, probes from `eppConfig` or gRPC on 9003 (initial delay 5, period 10).
///
/// ```
/// # let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
/// #     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm", "namespace": "nim"},
/// #     "spec": {"image": {"repository": "r", "tag": "1"},
/// #              "expose": {"router": {"eppConfig": {"containerSpec": {"name": "epp", "image": {"repository": "epp", "tag": ""}}}}}}
/// # })).unwrap();
/// use nim_planner::render::{RenderContext, epp};
/// let d = epp::deployment(&svc, &RenderContext::default()).unwrap();
/// let c = &d.spec.unwrap().template.spec.unwrap().containers[0];
/// assert_eq!(c.image.as_deref(), Some("epp:latest"));
/// assert_eq!(c.args.as_ref().unwrap()[1], "llm");
/// ```
pub fn deployment(svc: &NIMService, ctx: &RenderContext) -> Option<Deployment> {
    let config = epp_config(svc)?;
    let owner = name_of(&svc.metadata);
    let name = epp_name(&owner);
    let spec_image = &config.container_spec.image;
    let tag = Some(spec_image.tag.clone())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "latest".to_string());
    let image = nim_types::Image {
        tag,
        ..spec_image.clone()
    }
    .reference();
    let (config_map, file) = match &config.config_map_ref {
        Some(r) => (r.name.clone(), r.key.clone()),
        None => (format!("{name}-config"), EPP_CONFIG_KEY.to_string()),
    };
    let args = if config.container_spec.args.is_empty() {
        [
            "--pool-name",
            &owner,
            "--pool-namespace",
            &namespace_of(&svc.metadata),
            "--pool-group",
            "inference.networking.k8s.io",
            "--zap-encoder",
            "json",
            "--config-file",
            &format!("/config/{file}"),
            "--v",
            "6",
            "--model-server-metrics-path",
            "/v1/metrics",
        ]
        .map(str::to_string)
        .to_vec()
    } else {
        config.container_spec.args.clone()
    };
    let mut pod_labels = service_labels(svc, ctx);
    pod_labels.insert(APP_LABEL.to_string(), name.clone());
    let pod = PodSpec {
        service_account_name: Some(name.clone()),
        image_pull_secrets: non_empty_vec(
            svc.spec
                .image
                .pull_secrets
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| LocalObjectReference { name: s.clone() })
                .collect(),
        ),
        containers: vec![Container {
            name: "epp".to_string(),
            image: Some(image),
            image_pull_policy: non_empty_str(svc.spec.image.pull_policy.as_ref()),
            command: non_empty_vec(config.container_spec.command.clone()),
            args: Some(args),
            working_dir: non_empty_str(config.container_spec.working_dir.as_ref()),
            env: non_empty_vec(config.container_spec.env.clone()),
            ports: Some(container_ports(config)),
            readiness_probe: Some(
                config
                    .readiness_probe
                    .clone()
                    .unwrap_or_else(default_grpc_probe),
            ),
            liveness_probe: Some(
                config
                    .liveness_probe
                    .clone()
                    .unwrap_or_else(default_grpc_probe),
            ),
            startup_probe: config.startup_probe.clone(),
            volume_mounts: Some(vec![VolumeMount {
                name: "epp-config".to_string(),
                mount_path: "/config".to_string(),
                read_only: Some(true),
                ..Default::default()
            }]),
            ..Default::default()
        }],
        volumes: Some(vec![Volume {
            name: "epp-config".to_string(),
            config_map: Some(ConfigMapVolumeSource {
                name: config_map,
                ..Default::default()
            }),
            ..Default::default()
        }]),
        ..Default::default()
    };
    Some(Deployment {
        metadata: meta(svc, ctx, &name),
        spec: Some(DeploymentSpec {
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
