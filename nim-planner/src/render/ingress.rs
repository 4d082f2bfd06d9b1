//! Ingress `<name>` of a NIMService (contract §3.2 step 6): the router form
//! (`expose.router.ingress`) or the deprecated legacy form (`expose.ingress`, copied verbatim,
//! takes precedence).

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
};
use nim_types::NIMService;

use super::RenderContext;
use super::labels::{
    NIMSERVICE_KIND, merge_maps, name_of, namespace_of, non_empty_str, owned_meta,
    service_annotations, service_labels,
};
use super::service::API_PORT_NAME;

/// The Ingress, when `expose.ingress.enabled` (legacy) or `expose.router.ingress.ingressClass`
/// is set; `None` means "not wanted" (delete it if it exists).
///
/// * Legacy: `spec` = `expose.ingress.spec` verbatim, annotations = common +
///   `expose.ingress.annotations`.
/// * Router: `ingressClassName`, one rule for host `<name>.<ns>.<hostDomainName>` with path `/`
///   (Prefix) to Service `<name>` port **name** `api`, TLS `{hosts: [host], secretName}` when
///   `tlsSecretName` is set; annotations = common + `router.annotations`.
///
/// ```
/// use nim_planner::render::{RenderContext, ingress::ingress};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm", "namespace": "nim"},
///     "spec": {"image": {"repository": "r", "tag": "1"},
///              "expose": {"router": {"hostDomainName": "example.com", "ingress": {"ingressClass": "nginx"}}}}
/// })).unwrap();
/// let ing = ingress(&svc, &RenderContext::default()).unwrap();
/// let rule = &ing.spec.unwrap().rules.unwrap()[0];
/// assert_eq!(rule.host.as_deref(), Some("llm.nim.example.com"));
/// ```
pub fn ingress(svc: &NIMService, ctx: &RenderContext) -> Option<Ingress> {
    let expose = svc.spec.expose.as_ref()?;
    let name = name_of(&svc.metadata);
    let namespace = namespace_of(&svc.metadata);
    let mut annotations = service_annotations(svc, ctx);

    let spec = if let Some(legacy) = expose.ingress.as_ref().filter(|i| i.is_enabled()) {
        merge_maps(&mut annotations, &legacy.annotations);
        legacy.spec.clone().unwrap_or_default()
    } else {
        let router = expose.router.as_ref()?;
        let class = router
            .ingress
            .as_ref()
            .filter(|i| !i.ingress_class.is_empty())?;
        merge_maps(&mut annotations, &router.annotations);
        let host = router.hostname(&name, &namespace);
        let backend = IngressBackend {
            service: Some(IngressServiceBackend {
                name: name.clone(),
                port: Some(ServiceBackendPort {
                    name: Some(API_PORT_NAME.to_string()),
                    number: None,
                }),
            }),
            resource: None,
        };
        IngressSpec {
            ingress_class_name: Some(class.ingress_class.clone()),
            rules: Some(vec![IngressRule {
                host: host.clone(),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: Some("/".to_string()),
                        path_type: "Prefix".to_string(),
                        backend,
                    }],
                }),
            }]),
            tls: non_empty_str(class.tls_secret_name.as_ref()).map(|secret| {
                vec![IngressTLS {
                    hosts: host.map(|h| vec![h]),
                    secret_name: Some(secret),
                }]
            }),
            ..Default::default()
        }
    };
    Some(Ingress {
        metadata: owned_meta(
            &svc.metadata,
            NIMSERVICE_KIND,
            &name,
            service_labels(svc, ctx),
            annotations,
        ),
        spec: Some(spec),
        status: None,
    })
}
