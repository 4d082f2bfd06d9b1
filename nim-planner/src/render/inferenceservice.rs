//! KServe `InferenceService <name>` (serving.kserve.io/v1beta1) of a NIMService with
//! `inferencePlatform: kserve` (contract §3.4). It replaces the standalone Deployment, Service,
//! HPA, Ingress and routes; the ServiceAccount/Role/RoleBinding, PVC, ServiceMonitor (Standard
//! mode) and DRA ResourceClaimTemplates are rendered as for standalone (see
//! [`render_kserve`](super::render_kserve)).
//!
//! Deployment mode resolution: `spec.annotations["serving.kserve.io/deploymentMode"]`, else
//! `RenderContext::kserve_deployment_mode` (the caller's reading of KServe's
//! `inferenceservice-config` default), else `Standard`. NVIDIA also prefers the mode an
//! existing InferenceService reports in its status; a planner renders the desired object and
//! leaves that to the applier.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DeploymentStrategy, RollingUpdateDeployment};
use k8s_openapi::api::core::v1::{ContainerPort, GRPCAction, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use nim_types::NIMService;
use nim_types::external::{
    InferenceService, InferenceServiceSpec, KSERVE_AUTOSCALER_CLASS_ANNOTATION,
    KSERVE_DEPLOYMENT_MODE_ANNOTATION, PredictorSpec, ScaleMetric, ScaleMetricType,
};

use super::deployment::deployment;
use super::dra::{apply_claims, named_dra_resources, resource_claim_templates};
use super::labels::{NIMSERVICE_KIND, name_of, owned_meta, service_annotations, service_labels};
use super::{RenderContext, RenderError};

/// Label KServe reads to decide whether the predictor is reachable from outside the cluster.
///
/// ```
/// assert_eq!(nim_planner::render::inferenceservice::KSERVE_VISIBILITY_LABEL, "networking.kserve.io/visibility");
/// ```
pub const KSERVE_VISIBILITY_LABEL: &str = "networking.kserve.io/visibility";

/// The KServe deployment modes NVIDIA accepts in the annotation.
///
/// ```
/// assert!(nim_planner::render::inferenceservice::DEPLOYMENT_MODES.contains(&"RawDeployment"));
/// ```
pub const DEPLOYMENT_MODES: [&str; 5] = [
    "Standard",
    "Knative",
    "ModelMesh",
    "RawDeployment",
    "Serverless",
];

/// The resolved deployment mode (see the module docs); an annotation value NVIDIA rejects is
/// an error.
///
/// ```
/// use nim_planner::render::{RenderContext, inferenceservice::deployment_mode};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "inferencePlatform": "kserve"}
/// })).unwrap();
/// assert_eq!(deployment_mode(&svc, &RenderContext::default()).unwrap(), "Standard");
/// ```
pub fn deployment_mode(svc: &NIMService, ctx: &RenderContext) -> Result<String, RenderError> {
    if let Some(mode) = svc.spec.annotations.get(KSERVE_DEPLOYMENT_MODE_ANNOTATION) {
        if !DEPLOYMENT_MODES.contains(&mode.as_str()) {
            return Err(RenderError::InvalidKServeDeploymentMode(mode.clone()));
        }
        return Ok(mode.clone());
    }
    Ok(ctx
        .kserve_deployment_mode
        .clone()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "Standard".to_string()))
}

/// Whether the mode is Knative-based (`Knative` or `Serverless`).
///
/// ```
/// assert!(nim_planner::render::inferenceservice::is_knative("Serverless"));
/// ```
pub fn is_knative(mode: &str) -> bool {
    matches!(mode, "Knative" | "Serverless")
}

fn ingress_enabled(svc: &NIMService) -> bool {
    svc.spec.expose.as_ref().is_some_and(|e| {
        e.ingress.as_ref().is_some_and(|i| i.is_enabled())
            || e.router.as_ref().is_some_and(|r| r.ingress.is_some())
    })
}

/// `(scaleMetric, scaleMetricType, scaleTarget)` from the first `Resource` metric on cpu or
/// memory of `scale.hpa.metrics`.
fn scale_metric(svc: &NIMService) -> Option<(ScaleMetric, ScaleMetricType, Option<i32>)> {
    let hpa = svc.spec.scale.as_ref()?.hpa.as_ref()?;
    hpa.metrics.iter().find_map(|m| {
        let r = m.resource.as_ref().filter(|_| m.type_ == "Resource")?;
        let metric = match r.name.as_str() {
            "cpu" => ScaleMetric::Cpu,
            "memory" => ScaleMetric::Memory,
            _ => return None,
        };
        let (ty, target) = if r.target.type_ == "Utilization" {
            (ScaleMetricType::Utilization, r.target.average_utilization)
        } else {
            let v = r
                .target
                .average_value
                .as_ref()
                .or(r.target.value.as_ref())
                .and_then(|q| q.0.parse::<i32>().ok());
            (ScaleMetricType::AverageValue, v)
        };
        Some((metric, ty, target))
    })
}

/// Knative: default HTTP probes target the numeric port, or become gRPC probes on `grpcPort`.
fn knative_probe(p: Option<Probe>, port: i32, grpc: Option<i32>) -> Option<Probe> {
    let mut p = p?;
    if let Some(h) = p.http_get.as_mut()
        && h.port == IntOrString::String("api".to_string())
    {
        if let Some(g) = grpc {
            p.http_get = None;
            p.grpc = Some(GRPCAction {
                port: g,
                service: None,
            });
        } else {
            h.port = IntOrString::Int(port);
        }
    }
    Some(p)
}

/// The InferenceService `<name>` of a KServe NIMService.
///
/// * Metadata: common labels (+ `networking.kserve.io/visibility: cluster-local` unless the
///   user set that label or an ingress is enabled); common annotations +
///   `serving.kserve.io/enable-metric-aggregation: "true"`,
///   `serving.kserve.io/enable-prometheus-scraping: "true"`, the resolved
///   `serving.kserve.io/deploymentMode`, and `serving.kserve.io/autoscalerClass: hpa` when
///   autoscaling in Standard/RawDeployment mode. Owned by the NIMService.
/// * Predictor: the standalone pod (container `<name>-ctr` with env, resources, probes,
///   mounts; volumes; SA `<name>`; runtime/scheduler/priority class; nodeSelector,
///   tolerations, affinity merged with `ctx.allowed_gpu_products`; imagePullSecrets; DRA
///   `resourceClaims`), pod labels/annotations. Standard/RawDeployment: security context,
///   `minReplicas`/`maxReplicas` from `scale.hpa` (+ `scaleMetric`/`scaleMetricType`/
///   `scaleTarget` from the first cpu/memory Resource metric) when autoscaling, else both =
///   `spec.replicas`; RollingUpdate `maxUnavailable: 25%`, `maxSurge: 0`. Knative/Serverless:
///   no replica, scale or strategy fields; default probes on the numeric port (gRPC on
///   `grpcPort` when set), startup `failureThreshold: 30`, unnamed ports `api` (+ `grpc`).
///
/// ```
/// use nim_planner::render::{RenderContext, inferenceservice::inference_service};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm", "namespace": "nim"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "inferencePlatform": "kserve", "replicas": 2,
///              "storage": {"emptyDir": {}}}
/// })).unwrap();
/// let isvc = inference_service(&svc, &RenderContext::default()).unwrap();
/// let p = &isvc.spec.predictor;
/// assert_eq!((p.min_replicas, p.max_replicas), (Some(2), Some(2)));
/// assert_eq!(p.containers[0].name, "llm-ctr");
/// ```
pub fn inference_service(
    svc: &NIMService,
    ctx: &RenderContext,
) -> Result<InferenceService, RenderError> {
    let spec = &svc.spec;
    let name = name_of(&svc.metadata);
    let mode = deployment_mode(svc, ctx)?;
    let knative = is_knative(&mode);

    // Validate DRA selectors like the standalone path does.
    resource_claim_templates(svc, ctx)?;

    // The predictor pod is the standalone pod.
    let mut standalone = svc.clone();
    standalone.spec.inference_platform = None;
    let template = deployment(&standalone, ctx)?
        .spec
        .map(|s| s.template)
        .unwrap_or_default();
    let mut pod = template.spec.unwrap_or_default();
    apply_claims(&mut pod, &named_dra_resources(svc, None));
    let pod_meta = template.metadata.unwrap_or_default();

    if knative {
        let port = spec.service_port();
        let grpc = spec
            .expose
            .as_ref()
            .and_then(|e| e.service.as_ref())
            .and_then(|s| s.grpc_port);
        if let Some(c) = pod.containers.first_mut() {
            let user = |p: Option<&nim_types::Probe>| p.and_then(|p| p.probe.as_ref()).is_some();
            if !user(spec.liveness_probe.as_ref()) {
                c.liveness_probe = knative_probe(c.liveness_probe.take(), port, grpc);
            }
            if !user(spec.readiness_probe.as_ref()) {
                c.readiness_probe = knative_probe(c.readiness_probe.take(), port, grpc);
            }
            if !user(spec.startup_probe.as_ref()) {
                c.startup_probe = knative_probe(c.startup_probe.take(), port, grpc).map(|mut p| {
                    p.failure_threshold = Some(30);
                    p
                });
            }
            let mut ports = vec![ContainerPort {
                container_port: port,
                protocol: Some("TCP".to_string()),
                ..Default::default()
            }];
            if let Some(g) = grpc {
                ports.push(ContainerPort {
                    container_port: g,
                    protocol: Some("TCP".to_string()),
                    ..Default::default()
                });
            }
            c.ports = Some(ports);
        }
    }

    let mut predictor = PredictorSpec {
        containers: pod.containers,
        init_containers: pod.init_containers.unwrap_or_default(),
        volumes: pod.volumes.unwrap_or_default(),
        service_account_name: pod.service_account_name,
        runtime_class_name: pod.runtime_class_name,
        scheduler_name: pod.scheduler_name,
        priority_class_name: pod.priority_class_name,
        node_selector: pod.node_selector.unwrap_or_default(),
        tolerations: pod.tolerations.unwrap_or_default(),
        affinity: pod.affinity,
        image_pull_secrets: pod.image_pull_secrets.unwrap_or_default(),
        resource_claims: pod.resource_claims.unwrap_or_default(),
        labels: pod_meta.labels.unwrap_or_default(),
        annotations: pod_meta.annotations.unwrap_or_default(),
        ..Default::default()
    };
    let autoscaling = spec.autoscaling_enabled();
    if !knative {
        predictor.security_context = pod.security_context;
        if autoscaling {
            let (min, max) = spec.replica_range();
            predictor.min_replicas = Some(min);
            predictor.max_replicas = Some(max);
            if let Some((metric, ty, target)) = scale_metric(svc) {
                predictor.scale_metric = Some(metric);
                predictor.scale_metric_type = Some(ty);
                predictor.scale_target = target;
            }
        } else {
            predictor.min_replicas = spec.replicas;
            predictor.max_replicas = spec.replicas;
        }
        predictor.deployment_strategy = Some(DeploymentStrategy {
            type_: Some("RollingUpdate".to_string()),
            rolling_update: Some(RollingUpdateDeployment {
                max_unavailable: Some(IntOrString::String("25%".to_string())),
                max_surge: Some(IntOrString::Int(0)),
            }),
        });
    }

    let mut labels = service_labels(svc, ctx);
    if !spec.labels.contains_key(KSERVE_VISIBILITY_LABEL) && !ingress_enabled(svc) {
        labels.insert(
            KSERVE_VISIBILITY_LABEL.to_string(),
            "cluster-local".to_string(),
        );
    }
    let mut annotations = service_annotations(svc, ctx);
    let extra: BTreeMap<String, String> = [
        ("serving.kserve.io/enable-metric-aggregation", "true"),
        ("serving.kserve.io/enable-prometheus-scraping", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    annotations.extend(extra);
    annotations
        .entry(KSERVE_DEPLOYMENT_MODE_ANNOTATION.to_string())
        .or_insert_with(|| mode.clone());
    if autoscaling && matches!(mode.as_str(), "Standard" | "RawDeployment") {
        annotations.insert(
            KSERVE_AUTOSCALER_CLASS_ANNOTATION.to_string(),
            "hpa".to_string(),
        );
    }

    Ok(InferenceService {
        metadata: owned_meta(&svc.metadata, NIMSERVICE_KIND, &name, labels, annotations),
        spec: InferenceServiceSpec { predictor },
        status: None,
    })
}
