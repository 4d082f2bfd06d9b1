//! Gateway API (`gateway.networking.k8s.io/v1`, v1.5 standard channel) types shared by
//! [`HTTPRoute`](super::HTTPRoute) and [`GRPCRoute`](super::GRPCRoute).
//!
//! [`BackendRef`] is also what NIMService's `spec.expose.router.gateway.backendRef` holds (for
//! example a reference to an [`InferencePool`](super::InferencePool)).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use serde::{Deserialize, Serialize};

/// A reference from a route to the parent (usually a `Gateway`) it wants to attach to.
///
/// `group` defaults to `gateway.networking.k8s.io` and `kind` to `Gateway` on the server.
///
/// ```
/// use nim_types::external::ParentReference;
///
/// let gw = ParentReference {
///     name: "istio-gateway".into(),
///     namespace: Some("nim-service".into()),
///     ..Default::default()
/// };
/// assert_eq!(
///     serde_json::to_value(&gw).unwrap(),
///     serde_json::json!({"name": "istio-gateway", "namespace": "nim-service"})
/// );
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ParentReference {
    /// API group of the parent (server default `gateway.networking.k8s.io`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Kind of the parent (server default `Gateway`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Namespace of the parent; defaults to the route's namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name of the parent (required).
    pub name: String,
    /// Name of a listener (section) within the parent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
    /// Listener port within the parent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
}

/// A reference to a backend that traffic is forwarded to, with an optional weight.
///
/// This is upstream's `BackendRef` (`BackendObjectReference` + `weight`). Server defaults:
/// `group: ""` (core) and `kind: Service`; a `Service` backend must carry a `port`. The same type
/// is used where upstream takes a plain `BackendObjectReference` (the request-mirror filter), in
/// which case `weight` stays `None`.
///
/// ```
/// use nim_types::external::BackendRef;
///
/// // The NVIDIA operator's default backend: the NIM Service on its API port.
/// let svc = BackendRef { name: "llama".into(), port: Some(8000), ..Default::default() };
/// assert_eq!(
///     serde_json::to_value(&svc).unwrap(),
///     serde_json::json!({"name": "llama", "port": 8000})
/// );
///
/// // Or an InferencePool, as NIMService's `router.gateway.backendRef` does for EPP routing.
/// let pool = BackendRef {
///     group: Some("inference.networking.k8s.io".into()),
///     kind: Some("InferencePool".into()),
///     name: "llama".into(),
///     ..Default::default()
/// };
/// assert_eq!(serde_json::to_value(&pool).unwrap()["kind"], "InferencePool");
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct BackendRef {
    /// API group of the backend (server default `""`, the core group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Kind of the backend (server default `Service`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name of the backend (required).
    pub name: String,
    /// Namespace of the backend; cross-namespace references need a `ReferenceGrant`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Destination port; required when the backend is a `Service`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// Proportion of requests sent to this backend (server default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
}

/// A reference to an object in the route's namespace, used by `ExtensionRef` filters.
///
/// ```
/// use nim_types::external::LocalObjectReference;
///
/// let r = LocalObjectReference {
///     group: "example.com".into(),
///     kind: "RateLimit".into(),
///     name: "llm".into(),
/// };
/// assert_eq!(serde_json::to_value(&r).unwrap()["kind"], "RateLimit");
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct LocalObjectReference {
    /// API group of the referent (required; `""` for core).
    pub group: String,
    /// Kind of the referent (required).
    pub kind: String,
    /// Name of the referent (required).
    pub name: String,
}

open_enum! {
    /// How a header, query parameter or gRPC method name is matched (server default `Exact`).
    ///
    /// Upstream has one Go type per use (`HeaderMatchType`, `QueryParamMatchType`,
    /// `GRPCMethodMatchType`, `GRPCHeaderMatchType`) with the same two values.
    ///
    /// ```
    /// use nim_types::external::StringMatchType;
    ///
    /// assert_eq!(serde_json::to_value(StringMatchType::RegularExpression).unwrap(), "RegularExpression");
    /// let future: StringMatchType = serde_json::from_str("\"Glob\"").unwrap();
    /// assert_eq!(future, StringMatchType::Other("Glob".into()));
    /// ```
    pub enum StringMatchType {
        /// Exact string comparison.
        Exact = "Exact",
        /// Regular-expression match (implementation-specific dialect).
        RegularExpression = "RegularExpression",
    }
}

/// A name/value match, used for HTTP headers, HTTP query parameters and gRPC headers.
///
/// ```
/// use nim_types::external::{HeaderMatch, StringMatchType};
///
/// let m = HeaderMatch {
///     type_: Some(StringMatchType::Exact),
///     name: "x-model".into(),
///     value: "llama".into(),
/// };
/// assert_eq!(
///     serde_json::to_value(&m).unwrap(),
///     serde_json::json!({"type": "Exact", "name": "x-model", "value": "llama"})
/// );
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct HeaderMatch {
    /// How `value` is compared (server default `Exact`).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<StringMatchType>,
    /// Header or query-parameter name (required).
    pub name: String,
    /// Value to match (required).
    pub value: String,
}

/// A header name and value, as set or added by a header-modifier filter.
///
/// ```
/// use nim_types::external::HTTPHeader;
///
/// let h = HTTPHeader { name: "x-served-by".into(), value: "nim".into() };
/// assert_eq!(serde_json::to_value(&h).unwrap(), serde_json::json!({"name": "x-served-by", "value": "nim"}));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct HTTPHeader {
    /// Header name (required).
    pub name: String,
    /// Header value (required).
    pub value: String,
}

/// Request or response header modifications (`RequestHeaderModifier` / `ResponseHeaderModifier`).
///
/// ```
/// use nim_types::external::{HTTPHeader, HTTPHeaderFilter};
///
/// let f = HTTPHeaderFilter {
///     set: vec![HTTPHeader { name: "x-route".into(), value: "nim".into() }],
///     remove: vec!["x-debug".into()],
///     ..Default::default()
/// };
/// let v = serde_json::to_value(&f).unwrap();
/// assert!(v.get("add").is_none()); // empty lists are never serialized
/// assert_eq!(v["remove"][0], "x-debug");
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct HTTPHeaderFilter {
    /// Headers to overwrite.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<HTTPHeader>,
    /// Headers to append.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<HTTPHeader>,
    /// Header names to remove.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
}

/// A fraction `numerator / denominator` (server default denominator 100).
///
/// ```
/// use nim_types::external::Fraction;
///
/// let f = Fraction { numerator: 1, denominator: Some(1000) };
/// assert_eq!(serde_json::to_value(&f).unwrap(), serde_json::json!({"numerator": 1, "denominator": 1000}));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Fraction {
    /// Numerator (required).
    pub numerator: i32,
    /// Denominator (server default 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denominator: Option<i32>,
}

/// Mirrors requests to another backend (`RequestMirror` filter); responses are ignored.
///
/// ```
/// use nim_types::external::{BackendRef, HTTPRequestMirrorFilter};
///
/// let m = HTTPRequestMirrorFilter {
///     backend_ref: BackendRef { name: "shadow".into(), port: Some(8000), ..Default::default() },
///     percent: Some(10),
///     ..Default::default()
/// };
/// assert_eq!(serde_json::to_value(&m).unwrap()["percent"], 10);
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct HTTPRequestMirrorFilter {
    /// Where to mirror to (required; `weight` is not used here).
    pub backend_ref: BackendRef,
    /// Percentage of requests to mirror (0–100); exclusive with `fraction`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<i32>,
    /// Fraction of requests to mirror; exclusive with `percent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fraction: Option<Fraction>,
}

/// Status of a route: one entry per parent that has seen it (written by gateway controllers).
///
/// ```
/// use nim_types::external::RouteStatus;
///
/// let s: RouteStatus = serde_json::from_value(serde_json::json!({"parents": [{
///     "parentRef": {"name": "gw"},
///     "controllerName": "istio.io/gateway-controller",
///     "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted",
///                     "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"}]
/// }]})).unwrap();
/// assert_eq!(s.parents[0].conditions[0].type_, "Accepted");
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RouteStatus {
    /// Per-parent status (required upstream, so always serialized).
    pub parents: Vec<RouteParentStatus>,
}

/// The status of a route with respect to one parent.
///
/// ```
/// use nim_types::external::{ParentReference, RouteParentStatus};
///
/// let s = RouteParentStatus {
///     parent_ref: ParentReference { name: "gw".into(), ..Default::default() },
///     controller_name: "example.com/gateway".into(),
///     conditions: vec![],
/// };
/// assert!(serde_json::to_value(&s).unwrap().get("conditions").is_none());
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RouteParentStatus {
    /// The parent this status is about (required).
    pub parent_ref: ParentReference,
    /// The controller that wrote this entry (required).
    pub controller_name: String,
    /// `Accepted`, `ResolvedRefs`, … conditions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}
