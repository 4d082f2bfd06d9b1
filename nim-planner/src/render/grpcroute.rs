//! GRPCRoute `<name>` (gateway.networking.k8s.io/v1) of a NIMService (contract §3.2 step 8).

use nim_types::NIMService;
use nim_types::external::{BackendRef, GRPCBackendRef, GRPCRoute, GRPCRouteRule, GRPCRouteSpec};

use super::RenderContext;
use super::httproute::{gateway_parents, route_annotations};
use super::labels::{NIMSERVICE_KIND, name_of, owned_meta, service_labels};

/// The GRPCRoute, when `expose.router.gateway.grpcRoutesEnabled`; `None` means "not wanted".
/// Same parentRefs and hostnames as the HTTPRoute and one rule with backend `<name>:grpcPort`;
/// NVIDIA renders an **empty spec** when `service.grpcPort` is unset.
///
/// ```
/// use nim_planner::render::{RenderContext, grpcroute::grpc_route};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "tts", "namespace": "nemo"},
///     "spec": {"image": {"repository": "r", "tag": "1"},
///              "expose": {"service": {"port": 9000, "grpcPort": 50051},
///                         "router": {"hostDomainName": "example.com",
///                                    "gateway": {"namespace": "nemo", "name": "gw", "grpcRoutesEnabled": true}}}}
/// })).unwrap();
/// let route = grpc_route(&svc, &RenderContext::default()).unwrap();
/// assert_eq!(route.spec.rules[0].backend_refs[0].backend_ref.port, Some(50051));
/// ```
pub fn grpc_route(svc: &NIMService, ctx: &RenderContext) -> Option<GRPCRoute> {
    let expose = svc.spec.expose.as_ref()?;
    expose
        .router
        .as_ref()?
        .gateway
        .as_ref()
        .filter(|g| g.grpc_routes_enabled())?;
    let name = name_of(&svc.metadata);
    let grpc_port = expose.service.as_ref().and_then(|s| s.grpc_port);
    let spec = match grpc_port {
        Some(port) => {
            let (parent_refs, hostnames) = gateway_parents(svc)?;
            GRPCRouteSpec {
                parent_refs,
                hostnames,
                rules: vec![GRPCRouteRule {
                    backend_refs: vec![GRPCBackendRef {
                        backend_ref: BackendRef {
                            name: name.clone(),
                            port: Some(port),
                            ..Default::default()
                        },
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
            }
        }
        None => GRPCRouteSpec::default(),
    };
    Some(GRPCRoute {
        metadata: owned_meta(
            &svc.metadata,
            NIMSERVICE_KIND,
            &name,
            service_labels(svc, ctx),
            route_annotations(svc, ctx),
        ),
        spec,
        status: None,
    })
}
