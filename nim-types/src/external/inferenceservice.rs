//! KServe `InferenceService` (`serving.kserve.io/v1beta1`).
//!
//! NVIDIA's operator (`inferencePlatform: kserve`) renders one `InferenceService <name>` whose
//! `predictor` is a custom pod: `containers` (the NIM container), `initContainers`, `volumes`,
//! `serviceAccountName`, `runtimeClassName`, `schedulerName`, `nodeSelector`, `tolerations`,
//! `affinity`, `imagePullSecrets`, `resourceClaims`, pod `labels`/`annotations`, and — in
//! Standard/RawDeployment mode only — `securityContext`, `minReplicas`/`maxReplicas`,
//! `scaleMetric`/`scaleMetricType`/`scaleTarget` and a RollingUpdate `deploymentStrategy`
//! (Knative/Serverless mode gets no replica or scale fields). Readiness is the `PredictorReady`
//! condition; the endpoints are `status.url` and `status.address.url`.
//!
//! Left out on purpose (ignored on input): `explainer` and `transformer`; the framework-specific
//! predictors (`sklearn`, `xgboost`, `tensorflow`, `pytorch`, `triton`, `onnx`, `huggingface`,
//! `pmml`, `lightgbm`, `paddle`), `storageUris` and `workerSpec`; the predictor's `autoScaling`
//! (HPA/KEDA metrics), `logger` and `batcher`; the rarely used PodSpec fields (host namespaces,
//! DNS, hostAliases, topologySpreadConstraints, …); and `status.components` / `status.modelStatus`.

use std::collections::BTreeMap;

use k8s_openapi::{
    api::{
        apps::v1::DeploymentStrategy,
        core::v1::{
            Affinity, Container, EnvVar, LocalObjectReference as CoreLocalObjectReference,
            PodResourceClaim, PodSecurityContext, ResourceRequirements, Toleration, Volume,
        },
    },
    apimachinery::pkg::apis::meta::v1::Time,
};
use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// Annotation selecting the KServe deployment mode (`Standard`, `RawDeployment`, `Knative`,
/// `Serverless`, `ModelMesh`).
///
/// ```
/// assert_eq!(nim_types::external::KSERVE_DEPLOYMENT_MODE_ANNOTATION, "serving.kserve.io/deploymentMode");
/// ```
pub const KSERVE_DEPLOYMENT_MODE_ANNOTATION: &str = "serving.kserve.io/deploymentMode";

/// Annotation selecting the autoscaler class (`hpa`, `keda`, `external`, `none`); NVIDIA sets
/// `hpa` when autoscaling in Standard mode.
///
/// ```
/// assert_eq!(nim_types::external::KSERVE_AUTOSCALER_CLASS_ANNOTATION, "serving.kserve.io/autoscalerClass");
/// ```
pub const KSERVE_AUTOSCALER_CLASS_ANNOTATION: &str = "serving.kserve.io/autoscalerClass";

/// Spec of an [`InferenceService`]: only the (required) predictor is modelled.
///
/// ```
/// use nim_types::external::InferenceServiceSpec;
///
/// assert_eq!(
///     serde_json::to_value(InferenceServiceSpec::default()).unwrap(),
///     serde_json::json!({"predictor": {}})
/// );
/// ```
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[kube(
    group = "serving.kserve.io",
    version = "v1beta1",
    kind = "InferenceService",
    namespaced,
    schema = "disabled",
    status = "InferenceServiceStatus",
    derive = "PartialEq",
    derive = "Default",
    doc = r#"KServe `InferenceService` (`serving.kserve.io/v1beta1`), as NVIDIA's operator renders it.

```
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Container;
use kube::Resource;
use nim_types::external::{
    InferenceService, InferenceServiceSpec, PredictorSpec, ScaleMetric, ScaleMetricType,
    KSERVE_DEPLOYMENT_MODE_ANNOTATION,
};

let mut isvc = InferenceService::new("llama", InferenceServiceSpec {
    predictor: PredictorSpec {
        containers: vec![Container {
            name: "llama-ctr".into(),
            image: Some("nvcr.io/nim/meta/llama-3.2-1b-instruct:1.12.0".into()),
            ..Default::default()
        }],
        min_replicas: Some(1),
        max_replicas: Some(3),
        scale_metric: Some(ScaleMetric::Cpu),
        scale_metric_type: Some(ScaleMetricType::Utilization),
        scale_target: Some(80),
        ..Default::default()
    },
});
isvc.metadata.annotations = Some(BTreeMap::from([(
    KSERVE_DEPLOYMENT_MODE_ANNOTATION.to_string(),
    "Standard".to_string(),
)]));
let v = serde_json::to_value(&isvc).unwrap();
assert_eq!(v["apiVersion"], "serving.kserve.io/v1beta1");
assert_eq!(v["kind"], "InferenceService");
assert_eq!(v["spec"]["predictor"]["scaleMetric"], "cpu");
assert_eq!(InferenceService::plural(&()), "inferenceservices");
```"#
)]
#[serde(rename_all = "camelCase", default)]
pub struct InferenceServiceSpec {
    /// The model-serving component (required).
    pub predictor: PredictorSpec,
}

/// The predictor: an inlined (containers-optional) PodSpec subset, KServe's component extension
/// (replicas, autoscaling target, pod labels/annotations, rollout strategy), and an optional
/// `model` block for ServingRuntime-based predictors.
///
/// ```
/// use nim_types::external::PredictorSpec;
///
/// // Knative mode: no replica or scale fields at all.
/// let p = PredictorSpec { service_account_name: Some("llama".into()), ..Default::default() };
/// assert_eq!(serde_json::to_value(&p).unwrap(), serde_json::json!({"serviceAccountName": "llama"}));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct PredictorSpec {
    /// Model + runtime selection for ServingRuntime-based predictors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelSpec>,

    // --- inlined PodSpec subset ---
    /// Containers of a custom predictor (the serving container is `kserve-container` or the first).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<Container>,
    /// Init containers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<Container>,
    /// Pod volumes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    /// Service account of the predictor pods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// RuntimeClass of the predictor pods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_class_name: Option<String>,
    /// Scheduler of the predictor pods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduler_name: Option<String>,
    /// PriorityClass of the predictor pods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// Node selector.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// Affinity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// Image pull secrets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<CoreLocalObjectReference>,
    /// Pod security context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context: Option<PodSecurityContext>,
    /// Pod-level DRA resource claims.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource_claims: Vec<PodResourceClaim>,

    // --- inlined ComponentExtensionSpec ---
    /// Minimum replicas (KServe default 1; 0 enables scale-to-zero in Knative mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_replicas: Option<i32>,
    /// Maximum replicas for autoscaling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_replicas: Option<i32>,
    /// Target value of `scaleMetric`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_target: Option<i32>,
    /// Metric the autoscaler watches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_metric: Option<ScaleMetric>,
    /// Whether `scaleTarget` is a utilization percentage or an average value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_metric_type: Option<ScaleMetricType>,
    /// Hard limit of concurrent requests per container (Knative).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_concurrency: Option<i64>,
    /// Request timeout in seconds (wire name `timeout`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    /// Traffic percentage for the latest revision (Knative canary rollout).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary_traffic_percent: Option<i64>,
    /// Labels added to the predictor pods.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations added to the predictor pods.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Deployment strategy (Standard/RawDeployment mode only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_strategy: Option<DeploymentStrategy>,
}

open_enum! {
    /// Metric watched by the KServe autoscaler.
    ///
    /// ```
    /// use nim_types::external::ScaleMetric;
    ///
    /// assert_eq!(serde_json::to_value(ScaleMetric::Concurrency).unwrap(), "concurrency");
    /// ```
    pub enum ScaleMetric {
        /// CPU (HPA, Standard mode).
        Cpu = "cpu",
        /// Memory (HPA, Standard mode).
        Memory = "memory",
        /// In-flight requests (Knative KPA).
        Concurrency = "concurrency",
        /// Requests per second (Knative KPA).
        Rps = "rps",
    }
}

open_enum! {
    /// How `scaleTarget` is interpreted.
    ///
    /// ```
    /// use nim_types::external::ScaleMetricType;
    ///
    /// assert_eq!(serde_json::to_value(ScaleMetricType::AverageValue).unwrap(), "AverageValue");
    /// ```
    pub enum ScaleMetricType {
        /// Percentage of the requested resource.
        Utilization = "Utilization",
        /// Absolute per-pod average.
        AverageValue = "AverageValue",
    }
}

/// A ServingRuntime-based model (`predictor.model`): format, runtime and where the model lives,
/// plus the most common container overrides.
///
/// ```
/// use nim_types::external::{ModelFormat, ModelSpec};
///
/// let m = ModelSpec {
///     model_format: ModelFormat { name: "huggingface".into(), ..Default::default() },
///     storage_uri: Some("hf://meta-llama/Llama-3.2-1B-Instruct".into()),
///     ..Default::default()
/// };
/// assert_eq!(
///     serde_json::to_value(&m).unwrap(),
///     serde_json::json!({"modelFormat": {"name": "huggingface"}, "storageUri": "hf://meta-llama/Llama-3.2-1B-Instruct"})
/// );
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ModelSpec {
    /// Model format (required).
    pub model_format: ModelFormat,
    /// Name of the ServingRuntime / ClusterServingRuntime to use (auto-selected when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// Model location (`s3://`, `gs://`, `pvc://`, `hf://`, `oci://`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_uri: Option<String>,
    /// Inference protocol (`v1`, `v2`, `grpc-v1`, `grpc-v2`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
    /// Runtime image version override.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_version: Option<String>,
    /// Extra arguments for the serving container.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Extra environment for the serving container.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Resources of the serving container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
}

/// Name and optional version of a model format.
///
/// ```
/// use nim_types::external::ModelFormat;
///
/// let f = ModelFormat { name: "onnx".into(), version: Some("1".into()) };
/// assert_eq!(serde_json::to_value(&f).unwrap(), serde_json::json!({"name": "onnx", "version": "1"}));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ModelFormat {
    /// Format name (required).
    pub name: String,
    /// Format version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Observed state of an [`InferenceService`] (Knative duck-typed status; written by KServe).
///
/// ```
/// use nim_types::external::InferenceServiceStatus;
///
/// let s: InferenceServiceStatus = serde_json::from_value(serde_json::json!({
///     "url": "http://llama.nim-service.example.com",
///     "address": {"url": "http://llama-predictor.nim-service.svc.cluster.local"},
///     "conditions": [{"type": "PredictorReady", "status": "True"}]
/// })).unwrap();
/// assert!(s.conditions.iter().any(|c| c.type_ == "PredictorReady" && c.status == "True"));
/// assert_eq!(s.address.unwrap().url.as_deref(), Some("http://llama-predictor.nim-service.svc.cluster.local"));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct InferenceServiceStatus {
    /// Generation last processed by KServe.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `PredictorReady`, `IngressReady`, `Ready`, … conditions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<KnativeCondition>,
    /// External URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// In-cluster address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Addressable>,
    /// Deployment mode KServe actually used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_mode: Option<String>,
}

/// A Knative-style condition (`knative.dev/pkg/apis.Condition`): unlike `metav1.Condition`,
/// `reason`, `message` and `lastTransitionTime` are optional and there is a `severity`.
///
/// ```
/// use nim_types::external::KnativeCondition;
///
/// let c = KnativeCondition { type_: "Ready".into(), status: "Unknown".into(), ..Default::default() };
/// assert_eq!(serde_json::to_value(&c).unwrap(), serde_json::json!({"type": "Ready", "status": "Unknown"}));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct KnativeCondition {
    /// Condition type (required).
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown` (required).
    pub status: String,
    /// `Error`, `Warning` or `Info` (empty means `Error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// When the status last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
    /// Machine-readable reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Human-readable message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A Knative `Addressable`: an in-cluster URL.
///
/// ```
/// use nim_types::external::Addressable;
///
/// let a = Addressable { url: Some("http://llama-predictor.ns.svc.cluster.local".into()), ..Default::default() };
/// assert_eq!(serde_json::to_value(&a).unwrap()["url"], "http://llama-predictor.ns.svc.cluster.local");
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Addressable {
    /// Optional address name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::external::testutil::{
        assert_no_null_or_empty, assert_type_meta, assert_yaml_round_trip,
    };

    /// NVIDIA's `manifests/inferenceservice.yaml` rendered for `kserve/standard/llm.yaml`
    /// (Standard mode, autoscaling on CPU), with the status KServe writes.
    const FIXTURE: &str = r#"
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: meta-llama-3-2-1b-instruct
  namespace: nim-service
  labels:
    app.kubernetes.io/managed-by: k8s-nim-operator
    networking.kserve.io/visibility: exposed
  annotations:
    serving.kserve.io/autoscalerClass: hpa
    serving.kserve.io/deploymentMode: Standard
    serving.kserve.io/enable-metric-aggregation: "true"
    serving.kserve.io/enable-prometheus-scraping: "true"
spec:
  predictor:
    minReplicas: 1
    maxReplicas: 3
    scaleMetricType: Utilization
    scaleMetric: cpu
    scaleTarget: 80
    deploymentStrategy:
      type: RollingUpdate
      rollingUpdate:
        maxUnavailable: 25%
        maxSurge: 0
    labels:
      app: meta-llama-3-2-1b-instruct
    annotations:
      openshift.io/required-scc: nonroot
    schedulerName: default-scheduler
    serviceAccountName: meta-llama-3-2-1b-instruct
    runtimeClassName: nvidia
    priorityClassName: high
    initContainers:
    - name: init
      image: busybox
      command:
      - sh
      - -c
      - "true"
    containers:
    - name: meta-llama-3-2-1b-instruct-ctr
      image: nvcr.io/nim/meta/llama-3.2-1b-instruct:1.12.0
      imagePullPolicy: IfNotPresent
      ports:
      - containerPort: 8000
        name: api
        protocol: TCP
      env:
      - name: NIM_CACHE_PATH
        value: /model-store
      - name: NGC_API_KEY
        valueFrom:
          secretKeyRef:
            name: ngc-api-secret
            key: NGC_API_KEY
      resources:
        limits:
          cpu: "12"
          memory: 32Gi
          nvidia.com/gpu: "1"
        requests:
          cpu: "4"
          memory: 6Gi
          nvidia.com/gpu: "1"
      volumeMounts:
      - name: model-store
        mountPath: /model-store
        subPath: meta-llama3-1b
      livenessProbe:
        httpGet:
          path: /v1/health/live
          port: api
        initialDelaySeconds: 15
        timeoutSeconds: 1
        periodSeconds: 10
        successThreshold: 1
        failureThreshold: 3
    volumes:
    - name: dshm
      emptyDir:
        medium: Memory
    - name: model-store
      persistentVolumeClaim:
        claimName: meta-llama-3-2-1b-instruct-pvc
    nodeSelector:
      nvidia.com/gpu.present: "true"
    tolerations:
    - key: nvidia.com/gpu
      operator: Exists
      effect: NoSchedule
    affinity:
      nodeAffinity:
        requiredDuringSchedulingIgnoredDuringExecution:
          nodeSelectorTerms:
          - matchExpressions:
            - key: nvidia.com/gpu.product
              operator: In
              values:
              - NVIDIA-H100-80GB-HBM3
    imagePullSecrets:
    - name: ngc-secret
    securityContext:
      runAsUser: 1000
      runAsGroup: 2000
      fsGroup: 2000
    resourceClaims:
    - name: claim-abc-template-def-0
      resourceClaimTemplateName: claimtemplate-abc-0
    containerConcurrency: 4
    timeout: 600
    canaryTrafficPercent: 10
    model:
      modelFormat:
        name: huggingface
        version: "1"
      runtime: kserve-huggingfaceserver
      storageUri: hf://meta-llama/Llama-3.2-1B-Instruct
      protocolVersion: v2
      runtimeVersion: latest
      args:
      - --max-model-len=4096
      env:
      - name: HF_HOME
        value: /tmp/hf
      resources:
        limits:
          nvidia.com/gpu: "1"
status:
  observedGeneration: 1
  url: http://meta-llama-3-2-1b-instruct.nim-service.example.com
  address:
    url: http://meta-llama-3-2-1b-instruct-predictor.nim-service.svc.cluster.local
  deploymentMode: Standard
  conditions:
  - type: PredictorReady
    status: "True"
    lastTransitionTime: "2026-03-01T10:00:00Z"
  - type: Ready
    status: "False"
    severity: Info
    reason: IngressNotReady
    message: waiting for ingress
"#;

    #[test]
    fn nvidia_rendering_round_trips() {
        let isvc: InferenceService = assert_yaml_round_trip(FIXTURE);
        let p = &isvc.spec.predictor;
        assert_eq!((p.min_replicas, p.max_replicas), (Some(1), Some(3)));
        assert_eq!(p.scale_metric, Some(ScaleMetric::Cpu));
        assert_eq!(p.containers[0].name, "meta-llama-3-2-1b-instruct-ctr");
        let status = isvc.status.as_ref().unwrap();
        assert!(
            status
                .conditions
                .iter()
                .any(|c| c.type_ == "PredictorReady" && c.status == "True")
        );
        let v = serde_json::to_value(&isvc).unwrap();
        assert_no_null_or_empty(&v);
        assert_type_meta(&v, "serving.kserve.io/v1beta1", "InferenceService");
    }

    #[test]
    fn default_object_has_no_nulls_or_empties() {
        let v = serde_json::to_value(InferenceService::new("i", InferenceServiceSpec::default()))
            .unwrap();
        assert_eq!(v["spec"], serde_json::json!({"predictor": {}}));
        assert_type_meta(&v, "serving.kserve.io/v1beta1", "InferenceService");

        let minimal = InferenceService::new(
            "i",
            InferenceServiceSpec {
                predictor: PredictorSpec {
                    containers: vec![Container {
                        name: "c".into(),
                        image: Some("nvcr.io/nim/x:1".into()),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
            },
        );
        let v = serde_json::to_value(&minimal).unwrap();
        assert_no_null_or_empty(&v);
        for empty in [
            serde_json::to_value(InferenceServiceStatus::default()).unwrap(),
            serde_json::to_value(Addressable::default()).unwrap(),
        ] {
            assert_eq!(empty, serde_json::json!({}));
        }
        assert_eq!(
            serde_json::to_value(ModelSpec::default()).unwrap(),
            serde_json::json!({"modelFormat": {"name": ""}})
        );
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let isvc: InferenceService = serde_json::from_value(serde_json::json!({
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": {"name": "i"},
            "spec": {
                "predictor": {
                    "sklearn": {"storageUri": "gs://x"},
                    "autoScaling": {"metrics": []},
                    "scaleMetric": "gpu"
                },
                "transformer": {"containers": []}
            },
            "status": {"components": {"predictor": {"url": "http://x"}}, "modelStatus": {}}
        }))
        .unwrap();
        assert_eq!(
            isvc.spec.predictor.scale_metric,
            Some(ScaleMetric::Other("gpu".into()))
        );
    }
}
