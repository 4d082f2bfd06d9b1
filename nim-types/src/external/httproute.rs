//! `HTTPRoute` (`gateway.networking.k8s.io/v1`, Gateway API v1.5 standard channel).
//!
//! NVIDIA's operator renders one `HTTPRoute <name>` when `router.gateway.httpRoutesEnabled`:
//! `parentRefs: [{name, namespace}]` of the gateway, `hostnames: [<name>.<ns>.<hostDomainName>]`,
//! and one rule matching `PathPrefix /` whose backend is the NIM Service on `service.port` (or the
//! user's `router.gateway.backendRef`, e.g. an `InferencePool`).
//!
//! Left out on purpose: the `CORS` and `ExternalAuth` filter bodies, and the experimental-channel
//! rule fields `retry` and `sessionPersistence` (all ignored on input).

use kube::CustomResource;
use serde::{Deserialize, Serialize};

use super::gateway::{
    BackendRef, HTTPHeaderFilter, HTTPRequestMirrorFilter, HeaderMatch, LocalObjectReference,
    ParentReference, RouteStatus,
};

/// Spec of an [`HTTPRoute`]: which gateways it attaches to, for which hostnames, and its rules.
///
/// ```
/// use nim_types::external::{HTTPRoute, HTTPRouteSpec, ParentReference};
///
/// let spec = HTTPRouteSpec {
///     parent_refs: vec![ParentReference { name: "gw".into(), ..Default::default() }],
///     hostnames: vec!["llm.example.com".into()],
///     ..Default::default()
/// };
/// let route = HTTPRoute::new("llm", spec);
/// assert!(serde_json::to_value(&route).unwrap()["spec"].get("rules").is_none());
/// ```
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[kube(
    group = "gateway.networking.k8s.io",
    version = "v1",
    kind = "HTTPRoute",
    namespaced,
    schema = "disabled",
    status = "RouteStatus",
    derive = "PartialEq",
    derive = "Default",
    doc = r#"Gateway API `HTTPRoute` (`gateway.networking.k8s.io/v1`), as NVIDIA's operator renders it.

```
use kube::Resource;
use nim_types::external::{
    BackendRef, HTTPBackendRef, HTTPPathMatch, HTTPRoute, HTTPRouteMatch, HTTPRouteRule,
    HTTPRouteSpec, ParentReference, PathMatchType,
};

let route = HTTPRoute::new("llama", HTTPRouteSpec {
    parent_refs: vec![ParentReference {
        name: "istio-gateway".into(),
        namespace: Some("nim-service".into()),
        ..Default::default()
    }],
    hostnames: vec!["llama.nim-service.demo.nvidia.example.com".into()],
    rules: vec![HTTPRouteRule {
        matches: vec![HTTPRouteMatch {
            path: Some(HTTPPathMatch {
                type_: Some(PathMatchType::PathPrefix),
                value: Some("/".into()),
            }),
            ..Default::default()
        }],
        backend_refs: vec![HTTPBackendRef {
            backend_ref: BackendRef { name: "llama".into(), port: Some(8000), ..Default::default() },
            ..Default::default()
        }],
        ..Default::default()
    }],
});
let v = serde_json::to_value(&route).unwrap();
assert_eq!(v["apiVersion"], "gateway.networking.k8s.io/v1");
assert_eq!(v["kind"], "HTTPRoute");
assert_eq!(v["spec"]["rules"][0]["backendRefs"][0], serde_json::json!({"name": "llama", "port": 8000}));
assert_eq!(HTTPRoute::plural(&()), "httproutes");
```"#
)]
#[serde(rename_all = "camelCase", default)]
pub struct HTTPRouteSpec {
    /// Gateways (or other parents) this route attaches to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parent_refs: Vec<ParentReference>,
    /// Host names matched against the HTTP `Host` header.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hostnames: Vec<String>,
    /// Routing rules (server default: one rule matching `PathPrefix /`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<HTTPRouteRule>,
}

/// One routing rule: conditions (`matches`), processing (`filters`) and targets (`backendRefs`).
///
/// ```
/// use nim_types::external::{HTTPRouteRule, HTTPRouteTimeouts};
///
/// let rule = HTTPRouteRule {
///     name: Some("chat".into()),
///     timeouts: Some(HTTPRouteTimeouts { request: Some("300s".into()), ..Default::default() }),
///     ..Default::default()
/// };
/// assert_eq!(
///     serde_json::to_value(&rule).unwrap(),
///     serde_json::json!({"name": "chat", "timeouts": {"request": "300s"}})
/// );
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct HTTPRouteRule {
    /// Optional rule name (section name for policy attachment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Conditions; the rule applies if any of them matches.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<HTTPRouteMatch>,
    /// Filters applied to matching requests.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<HTTPRouteFilter>,
    /// Where matching requests go.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub backend_refs: Vec<HTTPBackendRef>,
    /// Request and backend-request timeouts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<HTTPRouteTimeouts>,
}

/// Conditions on path, headers, query parameters and method; all present conditions must match.
///
/// ```
/// use nim_types::external::{HTTPPathMatch, HTTPRouteMatch, PathMatchType};
///
/// let m = HTTPRouteMatch {
///     path: Some(HTTPPathMatch {
///         type_: Some(PathMatchType::Exact),
///         value: Some("/v1/chat/completions".into()),
///     }),
///     method: Some("POST".into()),
///     ..Default::default()
/// };
/// assert_eq!(serde_json::to_value(&m).unwrap()["method"], "POST");
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct HTTPRouteMatch {
    /// Path condition (server default `PathPrefix /`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<HTTPPathMatch>,
    /// Header conditions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<HeaderMatch>,
    /// Query-parameter conditions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub query_params: Vec<HeaderMatch>,
    /// HTTP method (`GET`, `POST`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

open_enum! {
    /// How an HTTP path is matched (server default `PathPrefix`).
    ///
    /// ```
    /// use nim_types::external::PathMatchType;
    ///
    /// assert_eq!(serde_json::to_value(PathMatchType::PathPrefix).unwrap(), "PathPrefix");
    /// ```
    pub enum PathMatchType {
        /// The path must equal the value.
        Exact = "Exact",
        /// Path-element-wise prefix match.
        PathPrefix = "PathPrefix",
        /// Regular-expression match.
        RegularExpression = "RegularExpression",
    }
}

/// A path condition.
///
/// ```
/// use nim_types::external::{HTTPPathMatch, PathMatchType};
///
/// let p = HTTPPathMatch { type_: Some(PathMatchType::PathPrefix), value: Some("/".into()) };
/// assert_eq!(serde_json::to_value(&p).unwrap(), serde_json::json!({"type": "PathPrefix", "value": "/"}));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct HTTPPathMatch {
    /// Match type (server default `PathPrefix`).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<PathMatchType>,
    /// Path to match (server default `/`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

open_enum! {
    /// Which filter an [`HTTPRouteFilter`] is.
    ///
    /// `Default` is `RequestHeaderModifier` only so that filter structs can derive `Default`;
    /// always set the type you mean.
    ///
    /// ```
    /// use nim_types::external::HTTPRouteFilterType;
    ///
    /// assert_eq!(serde_json::to_value(HTTPRouteFilterType::URLRewrite).unwrap(), "URLRewrite");
    /// ```
    #[derive(Default)]
    pub enum HTTPRouteFilterType {
        /// Modify request headers (`requestHeaderModifier`).
        #[default]
        RequestHeaderModifier = "RequestHeaderModifier",
        /// Modify response headers (`responseHeaderModifier`).
        ResponseHeaderModifier = "ResponseHeaderModifier",
        /// Mirror requests (`requestMirror`).
        RequestMirror = "RequestMirror",
        /// Redirect (`requestRedirect`).
        RequestRedirect = "RequestRedirect",
        /// Rewrite host/path (`urlRewrite`).
        URLRewrite = "URLRewrite",
        /// Implementation-specific filter (`extensionRef`).
        ExtensionRef = "ExtensionRef",
        /// CORS (body not modelled here).
        Cors = "CORS",
        /// External authorization (body not modelled here).
        ExternalAuth = "ExternalAuth",
    }
}

/// A processing step for matching requests; exactly the field named by `type` is set.
///
/// ```
/// use nim_types::external::{HTTPHeader, HTTPHeaderFilter, HTTPRouteFilter, HTTPRouteFilterType};
///
/// let f = HTTPRouteFilter {
///     type_: HTTPRouteFilterType::RequestHeaderModifier,
///     request_header_modifier: Some(HTTPHeaderFilter {
///         add: vec![HTTPHeader { name: "x-nim".into(), value: "1".into() }],
///         ..Default::default()
///     }),
///     ..Default::default()
/// };
/// assert_eq!(serde_json::to_value(&f).unwrap()["type"], "RequestHeaderModifier");
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct HTTPRouteFilter {
    /// Filter type (required).
    #[serde(rename = "type")]
    pub type_: HTTPRouteFilterType,
    /// Body of a `RequestHeaderModifier` filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_header_modifier: Option<HTTPHeaderFilter>,
    /// Body of a `ResponseHeaderModifier` filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_header_modifier: Option<HTTPHeaderFilter>,
    /// Body of a `RequestMirror` filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_mirror: Option<HTTPRequestMirrorFilter>,
    /// Body of a `RequestRedirect` filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_redirect: Option<HTTPRequestRedirectFilter>,
    /// Body of a `URLRewrite` filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_rewrite: Option<HTTPURLRewriteFilter>,
    /// Body of an `ExtensionRef` filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension_ref: Option<LocalObjectReference>,
}

/// Responds with a redirect instead of forwarding the request.
///
/// ```
/// use nim_types::external::HTTPRequestRedirectFilter;
///
/// let r = HTTPRequestRedirectFilter {
///     scheme: Some("https".into()),
///     status_code: Some(301),
///     ..Default::default()
/// };
/// assert_eq!(serde_json::to_value(&r).unwrap(), serde_json::json!({"scheme": "https", "statusCode": 301}));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct HTTPRequestRedirectFilter {
    /// `http` or `https`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// Host name for the `Location` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Path rewrite for the `Location` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<HTTPPathModifier>,
    /// Port for the `Location` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// Redirect status code (server default 302).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<i32>,
}

/// Rewrites host and/or path before forwarding.
///
/// ```
/// use nim_types::external::{HTTPPathModifier, HTTPPathModifierType, HTTPURLRewriteFilter};
///
/// let r = HTTPURLRewriteFilter {
///     path: Some(HTTPPathModifier {
///         type_: HTTPPathModifierType::ReplacePrefixMatch,
///         replace_prefix_match: Some("/v1".into()),
///         ..Default::default()
///     }),
///     ..Default::default()
/// };
/// assert_eq!(serde_json::to_value(&r).unwrap()["path"]["replacePrefixMatch"], "/v1");
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct HTTPURLRewriteFilter {
    /// New `Host` header value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Path rewrite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<HTTPPathModifier>,
}

open_enum! {
    /// How an [`HTTPPathModifier`] rewrites the path.
    ///
    /// `Default` is `ReplacePrefixMatch` only so the modifier can derive `Default`.
    ///
    /// ```
    /// use nim_types::external::HTTPPathModifierType;
    ///
    /// assert_eq!(serde_json::to_value(HTTPPathModifierType::ReplaceFullPath).unwrap(), "ReplaceFullPath");
    /// ```
    #[derive(Default)]
    pub enum HTTPPathModifierType {
        /// Replace the whole path with `replaceFullPath`.
        ReplaceFullPath = "ReplaceFullPath",
        /// Replace the matched prefix with `replacePrefixMatch`.
        #[default]
        ReplacePrefixMatch = "ReplacePrefixMatch",
    }
}

/// A path rewrite used by redirect and URL-rewrite filters.
///
/// ```
/// use nim_types::external::{HTTPPathModifier, HTTPPathModifierType};
///
/// let p = HTTPPathModifier {
///     type_: HTTPPathModifierType::ReplaceFullPath,
///     replace_full_path: Some("/v1/models".into()),
///     ..Default::default()
/// };
/// assert_eq!(
///     serde_json::to_value(&p).unwrap(),
///     serde_json::json!({"type": "ReplaceFullPath", "replaceFullPath": "/v1/models"})
/// );
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct HTTPPathModifier {
    /// Rewrite type (required).
    #[serde(rename = "type")]
    pub type_: HTTPPathModifierType,
    /// Replacement path for `ReplaceFullPath`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace_full_path: Option<String>,
    /// Replacement prefix for `ReplacePrefixMatch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace_prefix_match: Option<String>,
}

/// A weighted backend plus filters that apply only when this backend is chosen.
///
/// On the wire the [`BackendRef`] fields sit at the same level as `filters`.
///
/// ```
/// use nim_types::external::{BackendRef, HTTPBackendRef};
///
/// let b = HTTPBackendRef {
///     backend_ref: BackendRef { name: "llama".into(), port: Some(8000), weight: Some(90), ..Default::default() },
///     ..Default::default()
/// };
/// assert_eq!(
///     serde_json::to_value(&b).unwrap(),
///     serde_json::json!({"name": "llama", "port": 8000, "weight": 90})
/// );
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct HTTPBackendRef {
    /// The backend (inlined on the wire).
    #[serde(flatten)]
    pub backend_ref: BackendRef,
    /// Filters applied only for this backend.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<HTTPRouteFilter>,
}

/// Timeouts for requests matched by a rule (Gateway API duration strings such as `"30s"`).
///
/// ```
/// use nim_types::external::HTTPRouteTimeouts;
///
/// let t = HTTPRouteTimeouts { request: Some("10m".into()), backend_request: Some("5m".into()) };
/// assert_eq!(
///     serde_json::to_value(&t).unwrap(),
///     serde_json::json!({"request": "10m", "backendRequest": "5m"})
/// );
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct HTTPRouteTimeouts {
    /// Timeout for the whole client request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// Timeout for a single request to a backend.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_request: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::external::testutil::{
        assert_no_null_or_empty, assert_type_meta, assert_yaml_round_trip,
    };

    /// What NVIDIA's operator renders for `routers/httproutes/llm.yaml`, plus a second rule that
    /// exercises the other modelled fields, plus a status as a gateway controller writes it.
    const FIXTURE: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: meta-llama-3-2-1b-instruct
  namespace: nim-service
  labels:
    app.kubernetes.io/managed-by: k8s-nim-operator
    app.kubernetes.io/name: meta-llama-3-2-1b-instruct
  annotations:
    nvidia.com/parent-spec-hash: "2717355734"
spec:
  parentRefs:
  - name: istio-gateway
    namespace: nim-service
  - group: gateway.networking.k8s.io
    kind: Gateway
    name: internal
    sectionName: https
    port: 443
  hostnames:
  - meta-llama-3-2-1b-instruct.nim-service.demo.nvidia.example.com
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /
    backendRefs:
    - name: meta-llama-3-2-1b-instruct
      port: 8000
  - name: canary
    matches:
    - path:
        type: Exact
        value: /v1/chat/completions
      headers:
      - type: Exact
        name: x-canary
        value: "true"
      queryParams:
      - type: RegularExpression
        name: model
        value: "llama.*"
      method: POST
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set:
        - name: x-route
          value: canary
        add:
        - name: x-nim
          value: "1"
        remove:
        - x-debug
    - type: RequestMirror
      requestMirror:
        backendRef:
          name: shadow
          port: 8000
        fraction:
          numerator: 1
          denominator: 1000
    - type: URLRewrite
      urlRewrite:
        hostname: internal.example.com
        path:
          type: ReplacePrefixMatch
          replacePrefixMatch: /v1
    - type: ExtensionRef
      extensionRef:
        group: example.com
        kind: RateLimit
        name: llm
    backendRefs:
    - group: inference.networking.k8s.io
      kind: InferencePool
      name: meta-llama-3-2-1b-instruct
      weight: 90
    - name: meta-llama-3-2-1b-instruct-v2
      namespace: nim-canary
      port: 8000
      weight: 10
      filters:
      - type: ResponseHeaderModifier
        responseHeaderModifier:
          add:
          - name: x-variant
            value: v2
    timeouts:
      request: 300s
      backendRequest: 120s
  - filters:
    - type: RequestRedirect
      requestRedirect:
        scheme: https
        hostname: secure.example.com
        port: 443
        statusCode: 301
        path:
          type: ReplaceFullPath
          replaceFullPath: /
status:
  parents:
  - parentRef:
      name: istio-gateway
      namespace: nim-service
    controllerName: istio.io/gateway-controller
    conditions:
    - type: Accepted
      status: "True"
      reason: Accepted
      message: Route was valid
      observedGeneration: 1
      lastTransitionTime: "2026-03-01T10:00:00Z"
"#;

    #[test]
    fn nvidia_rendering_round_trips() {
        let route: HTTPRoute = assert_yaml_round_trip(FIXTURE);
        assert_eq!(route.spec.rules.len(), 3);
        assert_eq!(
            route.spec.rules[1].backend_refs[1]
                .backend_ref
                .namespace
                .as_deref(),
            Some("nim-canary")
        );
        assert_eq!(
            route.spec.rules[1].filters[2].type_,
            HTTPRouteFilterType::URLRewrite
        );
        let status = route.status.as_ref().expect("status");
        assert_eq!(status.parents[0].conditions[0].status, "True");
        let v = serde_json::to_value(&route).unwrap();
        assert_no_null_or_empty(&v);
        assert_type_meta(&v, "gateway.networking.k8s.io/v1", "HTTPRoute");
    }

    #[test]
    fn default_object_has_no_nulls_or_empties() {
        let route = HTTPRoute::new("r", HTTPRouteSpec::default());
        let v = serde_json::to_value(&route).unwrap();
        assert_eq!(v["spec"], serde_json::json!({}));
        assert_type_meta(&v, "gateway.networking.k8s.io/v1", "HTTPRoute");
        assert!(v.get("status").is_none());

        // A minimal valid route: one parent, nothing else.
        let minimal = HTTPRoute::new(
            "r",
            HTTPRouteSpec {
                parent_refs: vec![ParentReference {
                    name: "gw".into(),
                    ..Default::default()
                }],
                ..Default::default()
            },
        );
        let v = serde_json::to_value(&minimal).unwrap();
        assert_no_null_or_empty(&v);
        assert_eq!(
            v,
            serde_json::json!({
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "HTTPRoute",
                "metadata": {"name": "r"},
                "spec": {"parentRefs": [{"name": "gw"}]}
            })
        );

        // Defaults of every nested optional struct serialize to `{}` (plus required fields).
        assert_eq!(
            serde_json::to_value(HTTPRouteRule::default()).unwrap(),
            serde_json::json!({})
        );
        assert_eq!(
            serde_json::to_value(HTTPRouteMatch::default()).unwrap(),
            serde_json::json!({})
        );
        assert_eq!(
            serde_json::to_value(HTTPRouteFilter::default()).unwrap(),
            serde_json::json!({"type": "RequestHeaderModifier"})
        );
        assert_eq!(
            serde_json::to_value(HTTPBackendRef::default()).unwrap(),
            serde_json::json!({"name": ""})
        );
    }

    #[test]
    fn unknown_fields_and_values_are_tolerated() {
        let route: HTTPRoute = serde_json::from_value(serde_json::json!({
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": "r"},
            "spec": {
                "useDefaultGateways": "All",
                "rules": [{
                    "retry": {"attempts": 3},
                    "sessionPersistence": {"type": "Cookie"},
                    "matches": [{"path": {"type": "Glob", "value": "/*"}}],
                    "filters": [{"type": "CORS", "cors": {"allowOrigins": ["*"]}}]
                }]
            }
        }))
        .unwrap();
        let rule = &route.spec.rules[0];
        assert_eq!(
            rule.matches[0].path.as_ref().unwrap().type_,
            Some(PathMatchType::Other("Glob".into()))
        );
        assert_eq!(rule.filters[0].type_, HTTPRouteFilterType::Cors);
        // Unknown values survive, unknown fields are dropped (never claimed via SSA).
        let v = serde_json::to_value(&route).unwrap();
        assert_eq!(v["spec"]["rules"][0]["matches"][0]["path"]["type"], "Glob");
        assert!(v["spec"].get("useDefaultGateways").is_none());
    }
}
