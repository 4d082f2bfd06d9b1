//! HTTPRoute `<name>` (gateway.networking.k8s.io/v1) of a NIMService (contract §3.2 step 7).

use nim_types::NIMService;
use nim_types::external::{
    BackendRef, HTTPBackendRef, HTTPPathMatch, HTTPRoute, HTTPRouteMatch, HTTPRouteRule,
    HTTPRouteSpec, ParentReference, PathMatchType,
};

use super::RenderContext;
use super::labels::{
    NIMSERVICE_KIND, merge_maps, name_of, namespace_of, owned_meta, service_annotations,
    service_labels,
};

/// The gateway parent reference and hostnames shared by the HTTPRoute and GRPCRoute:
/// `parentRefs: [{name, namespace}]` (namespace defaults to the NIMService's) and
/// `hostnames: [<name>.<ns>.<hostDomainName>]` (empty without a domain). `None` without
/// `expose.router.gateway`.
///
/// ```
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm", "namespace": "nim"},
///     "spec": {"image": {"repository": "r", "tag": "1"},
///              "expose": {"router": {"hostDomainName": "example.com", "gateway": {"name": "gw"}}}}
/// })).unwrap();
/// let (parents, hosts) = nim_planner::render::httproute::gateway_parents(&svc).unwrap();
/// assert_eq!(parents[0].namespace.as_deref(), Some("nim"));
/// assert_eq!(hosts, vec!["llm.nim.example.com".to_string()]);
/// ```
pub fn gateway_parents(svc: &NIMService) -> Option<(Vec<ParentReference>, Vec<String>)> {
    let router = svc.spec.expose.as_ref()?.router.as_ref()?;
    let gateway = router.gateway.as_ref()?;
    let namespace = namespace_of(&svc.metadata);
    let parent = ParentReference {
        name: gateway.name.clone(),
        namespace: Some(
            gateway
                .namespace
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| namespace.clone()),
        ),
        ..Default::default()
    };
    let hosts = router
        .hostname(&name_of(&svc.metadata), &namespace)
        .into_iter()
        .collect();
    Some((vec![parent], hosts))
}

/// Annotations of the routes: common + `router.annotations`.
pub(crate) fn route_annotations(
    svc: &NIMService,
    ctx: &RenderContext,
) -> std::collections::BTreeMap<String, String> {
    let mut annotations = service_annotations(svc, ctx);
    if let Some(router) = svc.spec.expose.as_ref().and_then(|e| e.router.as_ref()) {
        merge_maps(&mut annotations, &router.annotations);
    }
    annotations
}

/// Converts the CR's `router.gateway.backendRef` into the route's backend reference (an empty
/// group — the core group, the server default — is omitted).
///
/// ```
/// let b = nim_types::BackendRef {
///     group: "inference.networking.k8s.io".into(), kind: "InferencePool".into(),
///     name: "llm".into(), ..Default::default()
/// };
/// let r = nim_planner::render::httproute::convert_backend_ref(&b);
/// assert_eq!(r.kind.as_deref(), Some("InferencePool"));
/// assert_eq!(r.port, None);
/// ```
pub fn convert_backend_ref(b: &nim_types::BackendRef) -> BackendRef {
    BackendRef {
        group: Some(b.group.clone()).filter(|g| !g.is_empty()),
        kind: Some(b.kind.clone()).filter(|k| !k.is_empty()),
        name: b.name.clone(),
        namespace: b.namespace.clone(),
        port: b.port,
        weight: b.weight,
    }
}

/// The HTTPRoute, when `expose.router.gateway` is set and `httpRoutesEnabled` (default true);
/// `None` means "not wanted". One rule: PathPrefix `/` → Service `<name>` on `service.port`, or
/// the user's `backendRef` (e.g. an InferencePool) instead.
///
/// ```
/// use nim_planner::render::{RenderContext, httproute::http_route};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm", "namespace": "nim"},
///     "spec": {"image": {"repository": "r", "tag": "1"},
///              "expose": {"router": {"hostDomainName": "example.com", "gateway": {"namespace": "gw-ns", "name": "gw"}}}}
/// })).unwrap();
/// let route = http_route(&svc, &RenderContext::default()).unwrap();
/// let v = serde_json::to_value(&route).unwrap();
/// assert_eq!(v["spec"]["rules"][0]["backendRefs"][0], serde_json::json!({"name": "llm", "port": 8000}));
/// ```
pub fn http_route(svc: &NIMService, ctx: &RenderContext) -> Option<HTTPRoute> {
    let gateway = svc
        .spec
        .expose
        .as_ref()?
        .router
        .as_ref()?
        .gateway
        .as_ref()
        .filter(|g| g.http_routes_enabled())?;
    let (parent_refs, hostnames) = gateway_parents(svc)?;
    let name = name_of(&svc.metadata);
    let backend_ref = gateway
        .backend_ref
        .as_ref()
        .map(convert_backend_ref)
        .unwrap_or_else(|| BackendRef {
            name: name.clone(),
            port: Some(svc.spec.service_port()),
            ..Default::default()
        });
    Some(HTTPRoute {
        metadata: owned_meta(
            &svc.metadata,
            NIMSERVICE_KIND,
            &name,
            service_labels(svc, ctx),
            route_annotations(svc, ctx),
        ),
        spec: HTTPRouteSpec {
            parent_refs,
            hostnames,
            rules: vec![HTTPRouteRule {
                matches: vec![HTTPRouteMatch {
                    path: Some(HTTPPathMatch {
                        type_: Some(PathMatchType::PathPrefix),
                        value: Some("/".to_string()),
                    }),
                    ..Default::default()
                }],
                backend_refs: vec![HTTPBackendRef {
                    backend_ref,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        },
        status: None,
    })
}
