//! Service `<name>` of a NIMService (contract §3.2 step 5).

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use nim_types::NIMService;

use super::RenderContext;
use super::labels::{
    NIMSERVICE_KIND, merge_maps, name_of, owned_meta, selector_labels, service_annotations,
    service_labels,
};

/// Name of the API port (Service and container).
pub const API_PORT_NAME: &str = "api";
/// Name of the optional gRPC port.
pub const GRPC_PORT_NAME: &str = "grpc";
/// Name of the optional metrics port.
pub const METRICS_PORT_NAME: &str = "metrics";

/// The named ports of a NIMService, in NVIDIA's order: `api` (`service.port`, default 8000),
/// then `grpc` and `metrics` when set.
///
/// ```
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "tts"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "expose": {"service": {"port": 9000, "grpcPort": 50051}}}
/// })).unwrap();
/// assert_eq!(nim_planner::render::service::named_ports(&svc), vec![("api", 9000), ("grpc", 50051)]);
/// ```
pub fn named_ports(svc: &NIMService) -> Vec<(&'static str, i32)> {
    let mut ports = vec![(API_PORT_NAME, svc.spec.service_port())];
    let service = svc.spec.expose.as_ref().and_then(|e| e.service.as_ref());
    if let Some(p) = service.and_then(|s| s.grpc_port) {
        ports.push((GRPC_PORT_NAME, p));
    }
    if let Some(p) = service.and_then(|s| s.metrics_port) {
        ports.push((METRICS_PORT_NAME, p));
    }
    ports
}

/// Service `<name>`: type `expose.service.type` (default `ClusterIP`), selector `app: <name>`
/// (multi-node: `app: <name>-lws, nim-llm-role: leader`), TCP ports targeting the container
/// ports by name. Labels: common labels, then `expose.service.labels` (lowest precedence);
/// annotations: common annotations, then `expose.service.annotations`.
///
/// ```
/// use nim_planner::render::{RenderContext, service::service};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm", "namespace": "nim"},
///     "spec": {"image": {"repository": "r", "tag": "1"}}
/// })).unwrap();
/// let s = service(&svc, &RenderContext::default());
/// let spec = s.spec.unwrap();
/// assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
/// assert_eq!(spec.ports.unwrap()[0].port, 8000);
/// assert_eq!(spec.selector.unwrap()["app"], "llm");
/// ```
pub fn service(svc: &NIMService, ctx: &RenderContext) -> Service {
    let name = name_of(&svc.metadata);
    let expose = svc.spec.expose.as_ref().and_then(|e| e.service.as_ref());
    let mut labels = service_labels(svc, ctx);
    let mut annotations = service_annotations(svc, ctx);
    if let Some(expose) = expose {
        merge_maps(&mut labels, &expose.labels);
        merge_maps(&mut annotations, &expose.annotations);
    }
    let selector = if svc.spec.is_multi_node() {
        let mut s = selector_labels(&format!("{name}-lws"));
        s.insert("nim-llm-role".to_string(), "leader".to_string());
        s
    } else {
        selector_labels(&name)
    };
    let ports = named_ports(svc)
        .into_iter()
        .map(|(port_name, port)| ServicePort {
            name: Some(port_name.to_string()),
            port,
            target_port: Some(IntOrString::String(port_name.to_string())),
            protocol: Some("TCP".to_string()),
            ..Default::default()
        })
        .collect();
    Service {
        metadata: owned_meta(&svc.metadata, NIMSERVICE_KIND, &name, labels, annotations),
        spec: Some(ServiceSpec {
            type_: Some(
                expose
                    .and_then(|s| s.type_.clone())
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| "ClusterIP".to_string()),
            ),
            selector: Some(selector),
            ports: Some(ports),
            ..Default::default()
        }),
        status: None,
    }
}
