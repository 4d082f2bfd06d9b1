//! `NIMBuild`: builds an optimised engine from a buildable profile (contract §2.5).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EnvVar, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Image, NIMProfile, ResourceRequirements};

/// Desired state of a NIMBuild; immutable once created.
///
/// ```
/// let b = nim_types::NIMBuildSpec { nim_cache: nim_types::NimCacheRef { name: "llama".into(), profile: None }, ..Default::default() };
/// assert_eq!(b.nim_cache.name, "llama");
/// ```
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "apps.nvidia.com",
    version = "v1alpha1",
    kind = "NIMBuild",
    plural = "nimbuilds",
    singular = "nimbuild",
    namespaced,
    status = "NIMBuildStatus",
    printcolumn = r#"{"name":"Status","type":"string","jsonPath":".status.state"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[x_kube(validation = Rule::new("self == oldSelf").message("spec is immutable"))]
#[serde(rename_all = "camelCase")]
pub struct NIMBuildSpec {
    /// The NIMCache holding the buildable profile.
    pub nim_cache: NimCacheRef,
    /// Name of the built engine (default: the NIMBuild's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_name: Option<String>,
    /// Build pod resources (`nvidia.com/gpu` auto-set from the profile's `tp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Tolerations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// Node selector.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Extra environment (user wins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Labels for the build pod.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations for the build pod.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The NIM image that builds the engine.
    pub image: Image,
}

/// Reference to a NIMCache and an optional profile.
///
/// ```
/// let r = nim_types::NimCacheRef { name: "c".into(), profile: Some("abc".into()) };
/// assert_eq!(r.profile.as_deref(), Some("abc"));
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NimCacheRef {
    /// NIMCache name.
    pub name: String,
    /// Buildable profile ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

/// Observed state of a NIMBuild.
///
/// ```
/// assert!(nim_types::NIMBuildStatus::default().state.is_none());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NIMBuildStatus {
    /// `Pending`, `InProgress`, `Ready`, `Failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The buildable input profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_profile: Option<NIMProfile>,
    /// The built profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_profile: Option<NIMProfile>,
    /// Conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Generation last processed (our addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}
