//! `NIMCache`: downloads model profiles into a PVC (contract §2.2).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EnvVar, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{
    CacheResources, CertConfig, NIMContainerSpec, NIMProfile, PersistentVolumeClaim, ProxySpec,
};

/// Desired state of a NIMCache.
///
/// ```
/// use nim_types::{NIMCacheSpec, NIMSource, NGCSource};
/// let spec = NIMCacheSpec {
///     source: NIMSource { ngc: Some(NGCSource { auth_secret: "ngc-api-secret".into(), model_puller: "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.3.3".into(), ..Default::default() }), ..Default::default() },
///     ..Default::default()
/// };
/// assert_eq!(spec.source.model_puller(), Some("nvcr.io/nim/meta/llama-3.1-8b-instruct:1.3.3"));
/// ```
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "apps.nvidia.com",
    version = "v1alpha1",
    kind = "NIMCache",
    plural = "nimcaches",
    singular = "nimcache",
    namespaced,
    status = "NIMCacheStatus",
    printcolumn = r#"{"name":"Status","type":"string","jsonPath":".status.state"}"#,
    printcolumn = r#"{"name":"PVC","type":"string","jsonPath":".status.pvc"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct NIMCacheSpec {
    /// Where the model comes from.
    pub source: NIMSource,
    /// Where the model is stored.
    pub storage: NIMCacheStorage,
    /// CPU/memory of the probe pod and caching job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<CacheResources>,
    /// Tolerations of the job and probe pod.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// Node selector (controller default `feature.node.kubernetes.io/pci-10de.present=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<BTreeMap<String, String>>,
    /// `runAsUser` (default 1000).
    #[serde(default, rename = "userID", skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// `runAsGroup`/`fsGroup` (default 2000).
    #[serde(default, rename = "groupID", skip_serializing_if = "Option::is_none")]
    pub group_id: Option<i64>,
    /// Deprecated: use `proxy.certConfigMap`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_config: Option<CertConfig>,
    /// Extra environment for the job (user wins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Runtime class of the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_class_name: Option<String>,
    /// Proxy settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxySpec>,
    /// Extra init containers of the job.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<NIMContainerSpec>,
}

/// Model source: exactly one of NGC, NeMo DataStore or Hugging Face Hub.
///
/// ```
/// let s = nim_types::NIMSource::default();
/// assert_eq!(s.model_puller(), None);
/// ```
#[derive(Serialize, Deserialize, KubeSchema, Clone, Debug, Default, PartialEq)]
#[x_kube(validation = Rule::new("(has(self.ngc) ? 1 : 0) + (has(self.dataStore) ? 1 : 0) + (has(self.hf) ? 1 : 0) == 1").message("Exactly one of ngc, dataStore, or hf must be defined"))]
#[serde(rename_all = "camelCase")]
pub struct NIMSource {
    /// NGC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ngc: Option<NGCSource>,
    /// NeMo DataStore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_store: Option<NemoDataStoreSource>,
    /// Hugging Face Hub.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hf: Option<HuggingFaceHubSource>,
}

impl NIMSource {
    /// The image that probes and downloads the model.
    ///
    /// ```
    /// let s = nim_types::NIMSource { hf: Some(nim_types::HuggingFaceHubSource { model_puller: "img".into(), ..Default::default() }), ..Default::default() };
    /// assert_eq!(s.model_puller(), Some("img"));
    /// ```
    pub fn model_puller(&self) -> Option<&str> {
        self.ngc
            .as_ref()
            .map(|n| n.model_puller.as_str())
            .or(self.data_store.as_ref().map(|d| d.model_puller.as_str()))
            .or(self.hf.as_ref().map(|h| h.model_puller.as_str()))
    }

    /// The secret exposed to the job through `envFrom`.
    ///
    /// ```
    /// assert_eq!(nim_types::NIMSource::default().auth_secret(), None);
    /// ```
    pub fn auth_secret(&self) -> Option<&str> {
        self.ngc
            .as_ref()
            .map(|n| n.auth_secret.as_str())
            .or(self.data_store.as_ref().map(|d| d.auth_secret.as_str()))
            .or(self.hf.as_ref().map(|h| h.auth_secret.as_str()))
            .filter(|s| !s.is_empty())
    }
}

/// A model on NVIDIA NGC.
///
/// ```
/// let n = nim_types::NGCSource { model_puller: "img".into(), ..Default::default() };
/// assert!(n.model.is_none());
/// ```
#[derive(Serialize, Deserialize, KubeSchema, Clone, Debug, Default, PartialEq)]
#[x_kube(validation = Rule::new("!(has(self.model) && has(self.modelEndpoint))").message("Only one of 'model' or 'modelEndpoint' can be specified"))]
#[serde(rename_all = "camelCase")]
pub struct NGCSource {
    /// Secret with `NGC_API_KEY`.
    pub auth_secret: String,
    /// NIM image used for the manifest probe and the caching job (immutable).
    #[x_kube(validation = Rule::new("self == oldSelf").message("modelPuller is an immutable field. Please create a new NIMCache resource instead when you want to change this container."))]
    pub model_puller: String,
    /// Pull secret for `modelPuller`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_secret: Option<String>,
    /// Profile selection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelSpec>,
    /// Universal NIM: model repository URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_endpoint: Option<String>,
}

/// Profile selection criteria.
///
/// ```
/// let m = nim_types::ModelSpec { tensor_parallelism: Some("2".into()), ..Default::default() };
/// assert_eq!(m.tensor_parallelism.as_deref(), Some("2"));
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ModelSpec {
    /// Explicit profile IDs; `["all"]` caches everything.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// Precision tag (e.g. `fp8`, `bf16`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<String>,
    /// Engine (`tensorrt_llm`, `vllm`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// Tensor parallelism tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tensor_parallelism: Option<String>,
    /// `latency` or `throughput`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qos_profile: Option<String>,
    /// GPU products / device IDs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gpus: Vec<GPUSpec>,
    /// LoRA-capable profiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lora: Option<bool>,
    /// Buildable (generic) profiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buildable: Option<bool>,
}

/// GPU selector for profile matching.
///
/// ```
/// let g = nim_types::GPUSpec { product: Some("h100".into()), ids: vec!["2330".into()] };
/// assert_eq!(g.ids.len(), 1);
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GPUSpec {
    /// Product (`h100`, `a100`, `l40s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// PCI device IDs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
}

/// A model or dataset in NeMo DataStore.
///
/// ```
/// let d = nim_types::NemoDataStoreSource::default();
/// assert_eq!(d.namespace, "default");
/// ```
#[derive(Serialize, Deserialize, KubeSchema, Clone, Debug, PartialEq)]
#[x_kube(validation = Rule::new("(has(self.modelName) ? 1 : 0) + (has(self.datasetName) ? 1 : 0) == 1").message("Exactly one of modelName or datasetName must be defined"))]
#[serde(rename_all = "camelCase")]
pub struct NemoDataStoreSource {
    /// HF-compatible endpoint of DataStore.
    #[schemars(pattern(r"^https?://.*/v1/hf/?$"))]
    pub endpoint: String,
    /// Namespace within DataStore (default `default`).
    #[serde(default = "default_namespace")]
    #[schemars(required, extend("default" = "default"))]
    pub namespace: String,
    /// Model name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_name: Option<String>,
    /// Dataset name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_name: Option<String>,
    /// Secret with `HF_TOKEN`.
    #[schemars(length(min = 1))]
    pub auth_secret: String,
    /// huggingface-cli image.
    #[schemars(length(min = 1))]
    pub model_puller: String,
    /// Pull secret for `modelPuller`.
    #[schemars(length(min = 1))]
    pub pull_secret: String,
    /// Revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub revision: Option<String>,
}

impl Default for NemoDataStoreSource {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            namespace: default_namespace(),
            model_name: None,
            dataset_name: None,
            auth_secret: String::new(),
            model_puller: String::new(),
            pull_secret: String::new(),
            revision: None,
        }
    }
}

fn default_namespace() -> String {
    "default".into()
}

/// A model or dataset on the Hugging Face Hub.
///
/// ```
/// let h = nim_types::HuggingFaceHubSource { namespace: "meta-llama".into(), ..Default::default() };
/// assert_eq!(h.namespace, "meta-llama");
/// ```
#[derive(Serialize, Deserialize, KubeSchema, Clone, Debug, Default, PartialEq)]
#[x_kube(validation = Rule::new("(has(self.modelName) ? 1 : 0) + (has(self.datasetName) ? 1 : 0) == 1").message("Exactly one of modelName or datasetName must be defined"))]
#[serde(rename_all = "camelCase")]
pub struct HuggingFaceHubSource {
    /// Hub endpoint.
    #[schemars(pattern(r"^https?://.*$"))]
    pub endpoint: String,
    /// Organisation / namespace.
    #[schemars(length(min = 1))]
    pub namespace: String,
    /// Model name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_name: Option<String>,
    /// Dataset name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_name: Option<String>,
    /// Secret with `HF_TOKEN`.
    #[schemars(length(min = 1))]
    pub auth_secret: String,
    /// huggingface-cli image.
    #[schemars(length(min = 1))]
    pub model_puller: String,
    /// Pull secret for `modelPuller`.
    #[schemars(length(min = 1))]
    pub pull_secret: String,
    /// Revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub revision: Option<String>,
}

/// Cache storage.
///
/// ```
/// let s = nim_types::NIMCacheStorage::default();
/// assert!(s.pvc.is_none());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NIMCacheStorage {
    /// The PVC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pvc: Option<PersistentVolumeClaim>,
    /// Deprecated and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_path: Option<String>,
}

/// Observed state of a NIMCache.
///
/// ```
/// let s = nim_types::NIMCacheStatus::default();
/// assert!(s.profiles.is_empty());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NIMCacheStatus {
    /// `NotReady`, `PVC-Created`, `Started`, `InProgress`, `Pending`, `Ready`, `Failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `""`, `model-free` or `native`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// PVC name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pvc: Option<String>,
    /// Cached profiles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<NIMProfile>,
    /// Conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Generation last processed (our addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}
