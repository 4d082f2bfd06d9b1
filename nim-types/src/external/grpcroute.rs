//! `GRPCRoute` (`gateway.networking.k8s.io/v1`, Gateway API v1.5 standard channel).
//!
//! NVIDIA's operator renders one `GRPCRoute <name>` when `router.gateway.grpcRoutesEnabled`:
//! the same `parentRefs` and `hostnames` as the `HTTPRoute`, and one rule whose backend is the
//! NIM Service on `service.grpcPort` (an empty spec when no gRPC port is set).
//!
//! Left out on purpose: the experimental `sessionPersistence` rule field (ignored on input).

use kube::CustomResource;
use serde::{Deserialize, Serialize};

use super::gateway::{
    BackendRef, HTTPHeaderFilter, HTTPRequestMirrorFilter, HeaderMatch, LocalObjectReference,
    ParentReference, RouteStatus, StringMatchType,
};

/// Spec of a [`GRPCRoute`]: which gateways it attaches to, for which hostnames, and its rules.
///
/// ```
/// use nim_types::external::{GRPCRoute, GRPCRouteSpec};
///
/// // NVIDIA renders an empty spec when the NIMService has no gRPC port.
/// let route = GRPCRoute::new("riva", GRPCRouteSpec::default());
/// assert_eq!(serde_json::to_value(&route).unwrap()["spec"], serde_json::json!({}));
/// ```
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[kube(
    group = "gateway.networking.k8s.io",
    version = "v1",
    kind = "GRPCRoute",
    namespaced,
    schema = "disabled",
    status = "RouteStatus",
    derive = "PartialEq",
    derive = "Default",
    doc = r#"Gateway API `GRPCRoute` (`gateway.networking.k8s.io/v1`), as NVIDIA's operator renders it.

```
use kube::Resource;
use nim_types::external::{
    BackendRef, GRPCBackendRef, GRPCRoute, GRPCRouteRule, GRPCRouteSpec, ParentReference,
};

let route = GRPCRoute::new("riva-tts", GRPCRouteSpec {
    parent_refs: vec![ParentReference {
        name: "istio-gateway".into(),
        namespace: Some("nemo".into()),
        ..Default::default()
    }],
    hostnames: vec!["riva-tts.nemo.demo.nvidia.example.com".into()],
    rules: vec![GRPCRouteRule {
        backend_refs: vec![GRPCBackendRef {
            backend_ref: BackendRef { name: "riva-tts".into(), port: Some(50051), ..Default::default() },
            ..Default::default()
        }],
        ..Default::default()
    }],
});
let v = serde_json::to_value(&route).unwrap();
assert_eq!(v["apiVersion"], "gateway.networking.k8s.io/v1");
assert_eq!(v["kind"], "GRPCRoute");
assert_eq!(v["spec"]["rules"][0], serde_json::json!({"backendRefs": [{"name": "riva-tts", "port": 50051}]}));
assert_eq!(GRPCRoute::plural(&()), "grpcroutes");
```"#
)]
#[serde(rename_all = "camelCase", default)]
pub struct GRPCRouteSpec {
    /// Gateways (or other parents) this route attaches to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parent_refs: Vec<ParentReference>,
    /// Host names matched against the HTTP/2 `:authority` header.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hostnames: Vec<String>,
    /// Routing rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<GRPCRouteRule>,
}

/// One gRPC routing rule.
///
/// ```
/// use nim_types::external::GRPCRouteRule;
///
/// let rule = GRPCRouteRule { name: Some("tts".into()), ..Default::default() };
/// assert_eq!(serde_json::to_value(&rule).unwrap(), serde_json::json!({"name": "tts"}));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct GRPCRouteRule {
    /// Optional rule name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Conditions; the rule applies if any of them matches.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<GRPCRouteMatch>,
    /// Filters applied to matching requests.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<GRPCRouteFilter>,
    /// Where matching requests go.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub backend_refs: Vec<GRPCBackendRef>,
}

/// Conditions on the gRPC method and headers; all present conditions must match.
///
/// ```
/// use nim_types::external::{GRPCMethodMatch, GRPCRouteMatch};
///
/// let m = GRPCRouteMatch {
///     method: Some(GRPCMethodMatch {
///         service: Some("nvidia.riva.tts.RivaSpeechSynthesis".into()),
///         ..Default::default()
///     }),
///     ..Default::default()
/// };
/// assert_eq!(
///     serde_json::to_value(&m).unwrap(),
///     serde_json::json!({"method": {"service": "nvidia.riva.tts.RivaSpeechSynthesis"}})
/// );
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct GRPCRouteMatch {
    /// Service/method condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<GRPCMethodMatch>,
    /// Header (metadata) conditions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<HeaderMatch>,
}

/// Matches the gRPC service and/or method name.
///
/// ```
/// use nim_types::external::{GRPCMethodMatch, StringMatchType};
///
/// let m = GRPCMethodMatch {
///     type_: Some(StringMatchType::Exact),
///     service: Some("grpc.health.v1.Health".into()),
///     method: Some("Check".into()),
/// };
/// assert_eq!(serde_json::to_value(&m).unwrap()["method"], "Check");
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct GRPCMethodMatch {
    /// Match type (server default `Exact`).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<StringMatchType>,
    /// Fully-qualified service name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Method name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

open_enum! {
    /// Which filter a [`GRPCRouteFilter`] is.
    ///
    /// `Default` is `RequestHeaderModifier` only so filter structs can derive `Default`.
    ///
    /// ```
    /// use nim_types::external::GRPCRouteFilterType;
    ///
    /// assert_eq!(serde_json::to_value(GRPCRouteFilterType::RequestMirror).unwrap(), "RequestMirror");
    /// ```
    #[derive(Default)]
    pub enum GRPCRouteFilterType {
        /// Modify request headers (`requestHeaderModifier`).
        #[default]
        RequestHeaderModifier = "RequestHeaderModifier",
        /// Modify response headers (`responseHeaderModifier`).
        ResponseHeaderModifier = "ResponseHeaderModifier",
        /// Mirror requests (`requestMirror`).
        RequestMirror = "RequestMirror",
        /// Implementation-specific filter (`extensionRef`).
        ExtensionRef = "ExtensionRef",
    }
}

/// A processing step for matching gRPC requests; exactly the field named by `type` is set.
///
/// ```
/// use nim_types::external::{GRPCRouteFilter, GRPCRouteFilterType, HTTPHeaderFilter};
///
/// let f = GRPCRouteFilter {
///     type_: GRPCRouteFilterType::ResponseHeaderModifier,
///     response_header_modifier: Some(HTTPHeaderFilter { remove: vec!["server".into()], ..Default::default() }),
///     ..Default::default()
/// };
/// assert_eq!(serde_json::to_value(&f).unwrap()["responseHeaderModifier"]["remove"][0], "server");
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct GRPCRouteFilter {
    /// Filter type (required).
    #[serde(rename = "type")]
    pub type_: GRPCRouteFilterType,
    /// Body of a `RequestHeaderModifier` filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_header_modifier: Option<HTTPHeaderFilter>,
    /// Body of a `ResponseHeaderModifier` filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_header_modifier: Option<HTTPHeaderFilter>,
    /// Body of a `RequestMirror` filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_mirror: Option<HTTPRequestMirrorFilter>,
    /// Body of an `ExtensionRef` filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension_ref: Option<LocalObjectReference>,
}

/// A weighted gRPC backend plus filters that apply only when this backend is chosen.
///
/// On the wire the [`BackendRef`] fields sit at the same level as `filters`.
///
/// ```
/// use nim_types::external::{BackendRef, GRPCBackendRef};
///
/// let b = GRPCBackendRef {
///     backend_ref: BackendRef { name: "riva".into(), port: Some(50051), ..Default::default() },
///     ..Default::default()
/// };
/// assert_eq!(serde_json::to_value(&b).unwrap(), serde_json::json!({"name": "riva", "port": 50051}));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct GRPCBackendRef {
    /// The backend (inlined on the wire).
    #[serde(flatten)]
    pub backend_ref: BackendRef,
    /// Filters applied only for this backend.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<GRPCRouteFilter>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::external::testutil::{
        assert_no_null_or_empty, assert_type_meta, assert_yaml_round_trip,
    };

    /// NVIDIA's rendering for `routers/grpcroutes/llm.yaml` (Riva TTS, grpcPort 50051), plus a
    /// second rule exercising matches and filters.
    const FIXTURE: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: riva-tts
  namespace: nemo
  labels:
    app.kubernetes.io/managed-by: k8s-nim-operator
spec:
  parentRefs:
  - name: istio-gateway
    namespace: nemo
  hostnames:
  - riva-tts.nemo.demo.nvidia.example.com
  rules:
  - backendRefs:
    - name: riva-tts
      port: 50051
  - name: health
    matches:
    - method:
        type: Exact
        service: grpc.health.v1.Health
        method: Check
      headers:
      - name: x-tenant
        value: a
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set:
        - name: x-route
          value: health
    - type: RequestMirror
      requestMirror:
        backendRef:
          name: riva-shadow
          port: 50051
        percent: 5
    - type: ExtensionRef
      extensionRef:
        group: example.com
        kind: Auth
        name: grpc-auth
    backendRefs:
    - name: riva-tts
      port: 50051
      weight: 1
      filters:
      - type: ResponseHeaderModifier
        responseHeaderModifier:
          remove:
          - server
status:
  parents:
  - parentRef:
      name: istio-gateway
      namespace: nemo
    controllerName: istio.io/gateway-controller
    conditions:
    - type: ResolvedRefs
      status: "True"
      reason: ResolvedRefs
      message: ""
      lastTransitionTime: "2026-03-01T10:00:00Z"
"#;

    #[test]
    fn nvidia_rendering_round_trips() {
        let route: GRPCRoute = assert_yaml_round_trip(FIXTURE);
        assert_eq!(
            route.spec.rules[0].backend_refs[0].backend_ref.port,
            Some(50051)
        );
        assert_eq!(
            route.spec.rules[1].matches[0]
                .method
                .as_ref()
                .unwrap()
                .method
                .as_deref(),
            Some("Check")
        );
        let v = serde_json::to_value(&route).unwrap();
        assert_no_null_or_empty(&v);
        assert_type_meta(&v, "gateway.networking.k8s.io/v1", "GRPCRoute");
    }

    #[test]
    fn default_object_has_no_nulls_or_empties() {
        let v = serde_json::to_value(GRPCRoute::new("g", GRPCRouteSpec::default())).unwrap();
        assert_eq!(v["spec"], serde_json::json!({}));
        assert_type_meta(&v, "gateway.networking.k8s.io/v1", "GRPCRoute");

        let minimal = GRPCRoute::new(
            "g",
            GRPCRouteSpec {
                parent_refs: vec![ParentReference {
                    name: "gw".into(),
                    ..Default::default()
                }],
                rules: vec![GRPCRouteRule {
                    backend_refs: vec![GRPCBackendRef {
                        backend_ref: BackendRef {
                            name: "svc".into(),
                            port: Some(50051),
                            ..Default::default()
                        },
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            },
        );
        let v = serde_json::to_value(&minimal).unwrap();
        assert_no_null_or_empty(&v);
        assert_type_meta(&v, "gateway.networking.k8s.io/v1", "GRPCRoute");
        for empty in [
            serde_json::to_value(GRPCRouteRule::default()).unwrap(),
            serde_json::to_value(GRPCRouteMatch::default()).unwrap(),
            serde_json::to_value(GRPCMethodMatch::default()).unwrap(),
        ] {
            assert_eq!(empty, serde_json::json!({}));
        }
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let route: GRPCRoute = serde_json::from_value(serde_json::json!({
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "GRPCRoute",
            "metadata": {"name": "g"},
            "spec": {"rules": [{"sessionPersistence": {"type": "Header"}, "futureField": 1}]}
        }))
        .unwrap();
        assert_eq!(route.spec.rules, vec![GRPCRouteRule::default()]);
    }
}
