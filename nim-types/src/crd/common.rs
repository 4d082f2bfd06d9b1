//! Sub-types shared by several NIM custom resources (contract §2.1).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EnvVar, Probe as K8sProbe};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A container image reference: rendered as `repository:tag`.
///
/// ```
/// use nim_types::Image;
/// let image = Image { repository: "nvcr.io/nim/meta/llama-3.1-8b-instruct".into(), tag: "1.3.3".into(), ..Default::default() };
/// assert_eq!(image.reference(), "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.3.3");
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// Image repository, e.g. `nvcr.io/nim/meta/llama-3.1-8b-instruct`.
    pub repository: String,
    /// Image pull policy (free string, as NVIDIA's schema has no enum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_policy: Option<String>,
    /// Image tag; a digest can be given as the tag.
    pub tag: String,
    /// Names of image pull secrets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pull_secrets: Vec<String>,
}

impl Image {
    /// The full image reference `repository:tag` (or `repository@digest` when the tag is a digest).
    ///
    /// ```
    /// use nim_types::Image;
    /// let i = Image { repository: "r".into(), tag: "sha256:abc".into(), ..Default::default() };
    /// assert_eq!(i.reference(), "r@sha256:abc");
    /// ```
    pub fn reference(&self) -> String {
        if self.tag.starts_with("sha256:") {
            format!("{}@{}", self.repository, self.tag)
        } else {
            format!("{}:{}", self.repository, self.tag)
        }
    }

    /// Whether the image is pinned to an immutable reference: a digest, or an explicit version tag
    /// (anything other than empty, `latest` or a bare major such as `1`).
    ///
    /// ```
    /// use nim_types::Image;
    /// let mut i = Image { repository: "r".into(), tag: "latest".into(), ..Default::default() };
    /// assert!(!i.is_pinned());
    /// i.tag = "1.3.3".into();
    /// assert!(i.is_pinned());
    /// ```
    pub fn is_pinned(&self) -> bool {
        let tag = self.tag.trim();
        if tag.starts_with("sha256:") {
            return true;
        }
        !(tag.is_empty() || tag == "latest" || tag.chars().all(|c| c.is_ascii_digit()))
    }
}

/// A model-store PVC: created by the operator or referenced by name.
///
/// ```
/// use nim_types::PersistentVolumeClaim;
/// let pvc = PersistentVolumeClaim { create: Some(true), size: Some("50Gi".into()), ..Default::default() };
/// assert!(pvc.creates());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PersistentVolumeClaim {
    /// If true the operator creates the PVC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<bool>,
    /// Name of an existing PVC (required when `create` is not true); default `<cr-name>-pvc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Storage class for creation; omitted from the PVC when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// Size for creation, as a quantity string (e.g. `50Gi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Access mode: ReadWriteOnce, ReadOnlyMany, ReadWriteMany or ReadWriteOncePod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_access_mode: Option<String>,
    /// Sub-path mounted as the model store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_path: Option<String>,
    /// Annotations copied to a created PVC.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl PersistentVolumeClaim {
    /// Whether the operator creates this PVC (`create: true`).
    ///
    /// ```
    /// assert!(!nim_types::PersistentVolumeClaim::default().creates());
    /// ```
    pub fn creates(&self) -> bool {
        self.create == Some(true)
    }

    /// Whether nothing at all is set (NVIDIA's webhook calls this "must not be empty").
    ///
    /// ```
    /// assert!(nim_types::PersistentVolumeClaim::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// HTTP(S) proxy settings and a CA bundle ConfigMap.
///
/// ```
/// let p = nim_types::ProxySpec { https_proxy: Some("http://proxy:3128".into()), ..Default::default() };
/// assert!(p.https_proxy.is_some());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProxySpec {
    /// Value for `HTTP_PROXY`/`http_proxy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_proxy: Option<String>,
    /// Value for `HTTPS_PROXY`/`https_proxy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https_proxy: Option<String>,
    /// Value for `NO_PROXY`/`no_proxy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_proxy: Option<String>,
    /// ConfigMap holding custom CA certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_config_map: Option<String>,
}

/// An extra container (init container, sidecar, EPP container).
///
/// ```
/// let c = nim_types::NIMContainerSpec { name: "epp".into(), ..Default::default() };
/// assert_eq!(c.name, "epp");
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NIMContainerSpec {
    /// Container name.
    pub name: String,
    /// Container image.
    pub image: Image,
    /// Entrypoint override.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Environment variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
}

/// A probe toggle: `enabled` (absent = enabled) and an optional probe override.
///
/// ```
/// assert!(nim_types::Probe::default().is_enabled());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    /// Whether the probe is rendered (absent = true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Probe override; absent means the operator default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<K8sProbe>,
}

impl Probe {
    /// Whether the probe is enabled (absent means enabled).
    ///
    /// ```
    /// let p = nim_types::Probe { enabled: Some(false), probe: None };
    /// assert!(!p.is_enabled());
    /// ```
    pub fn is_enabled(&self) -> bool {
        self.enabled != Some(false)
    }
}

/// A profile cached by a NIMCache (or built by a NIMBuild).
///
/// ```
/// let p = nim_types::NIMProfile { name: "abc".into(), ..Default::default() };
/// assert_eq!(p.name, "abc");
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NIMProfile {
    /// Profile ID.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Model name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub model: String,
    /// NIM release.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub release: String,
    /// Profile tags (precision, tp, gpu, llm_engine, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, String>,
}

/// CPU and memory for NIMCache's probe pod and caching job (used as requests and limits).
///
/// ```
/// let r = nim_types::CacheResources::default();
/// assert!(r.cpu.is_none());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CacheResources {
    /// CPU quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Quantity>,
    /// Memory quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Quantity>,
}

/// Deprecated custom-certificate reference (NIMCache `certConfig`).
///
/// ```
/// let c = nim_types::CertConfig { name: "certs".into(), mount_path: "/etc/ssl".into() };
/// assert_eq!(c.name, "certs");
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CertConfig {
    /// ConfigMap name.
    pub name: String,
    /// Mount path.
    pub mount_path: String,
}

/// Limits and requests without `claims` (NIMBuild `resources`).
///
/// ```
/// let r = nim_types::ResourceRequirements::default();
/// assert!(r.limits.is_empty());
/// ```
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRequirements {
    /// Limits.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, Quantity>,
    /// Requests.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: BTreeMap<String, Quantity>,
}

/// A free-form JSON object (`type: object` + `x-kubernetes-preserve-unknown-fields`), used where
/// NVIDIA's schema embeds an opaque configuration (e.g. `eppConfig.config`).
///
/// ```
/// let v: nim_types::FreeForm = serde_json::from_str(r#"{"plugins":[{"type":"x"}]}"#).unwrap();
/// assert!(v.0.get("plugins").is_some());
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(transparent)]
pub struct FreeForm(pub serde_json::Map<String, serde_json::Value>);

impl JsonSchema for FreeForm {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FreeForm".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": true
        })
    }
}
