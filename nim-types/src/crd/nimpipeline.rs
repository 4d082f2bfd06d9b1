//! `NIMPipeline`: a set of NIMServices with dependencies (contract §2.4).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::nimservice::NIMServiceSpec;

/// Desired state of a NIMPipeline.
///
/// ```
/// let p = nim_types::NIMPipelineSpec::default();
/// assert!(p.services.is_empty());
/// ```
#[derive(CustomResource, JsonSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "apps.nvidia.com",
    version = "v1alpha1",
    kind = "NIMPipeline",
    plural = "nimpipelines",
    singular = "nimpipeline",
    namespaced,
    status = "NIMPipelineStatus",
    printcolumn = r#"{"name":"Status","type":"string","jsonPath":".status.state"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct NIMPipelineSpec {
    /// The services.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<NIMServicePipelineSpec>,
}

/// One service of a pipeline.
///
/// ```
/// let s = nim_types::NIMServicePipelineSpec { name: "llm".into(), enabled: Some(true), ..Default::default() };
/// assert!(s.is_enabled());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NIMServicePipelineSpec {
    /// NIMService name.
    #[serde(default)]
    pub name: String,
    /// Only `true` creates the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The NIMService spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<NIMServiceSpec>,
    /// Services this one depends on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<ServiceDependency>,
}

impl NIMServicePipelineSpec {
    /// Whether the service is created (`enabled: true`).
    ///
    /// ```
    /// assert!(!nim_types::NIMServicePipelineSpec::default().is_enabled());
    /// ```
    pub fn is_enabled(&self) -> bool {
        self.enabled == Some(true)
    }
}

/// A dependency on another service of the pipeline.
///
/// ```
/// let d = nim_types::ServiceDependency { name: "embed".into(), port: 8000, env_name: Some("EMBED_URL".into()), env_value: None };
/// assert_eq!(d.port, 8000);
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDependency {
    /// The dependency's service name.
    pub name: String,
    /// The dependency's port.
    pub port: i32,
    /// Env var to set in the dependent service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_name: Option<String>,
    /// Its value (when absent, we fill in the dependency's in-cluster URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_value: Option<String>,
}

/// Observed state of a NIMPipeline.
///
/// ```
/// assert!(nim_types::NIMPipelineStatus::default().states.is_empty());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NIMPipelineStatus {
    /// `NotReady`, `Ready`, `Failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Service name → that NIMService's state.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub states: BTreeMap<String, String>,
    /// Conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Generation last processed (our addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}
