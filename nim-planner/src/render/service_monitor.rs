//! ServiceMonitor `<name>` (monitoring.coreos.com/v1) of a NIMService (contract §3.2 step 10).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use nim_types::NIMService;
use nim_types::external::{
    NamespaceSelector, ServiceMonitor, ServiceMonitorEndpoint, ServiceMonitorSpec,
};

use super::RenderContext;
use super::labels::{
    NIMSERVICE_KIND, merge_maps, name_of, namespace_of, owned_meta, service_annotations,
    service_labels,
};
use super::service::{API_PORT_NAME, METRICS_PORT_NAME};

/// The ServiceMonitor, when `spec.metrics.enabled` (`None` otherwise; note that NVIDIA does
/// **not** delete an existing one when metrics are disabled).
///
/// Labels = common + `serviceMonitor.additionalLabels`; annotations = common +
/// `serviceMonitor.annotations`; `namespaceSelector.matchNames = [<ns>]`;
/// `selector.matchLabels` = the common labels; endpoints `{path: /v1/metrics, port: api,
/// interval, scrapeTimeout}` plus `{path: /metrics, port: metrics}` when `metricsPort` is set.
///
/// ```
/// use nim_planner::render::{RenderContext, service_monitor::service_monitor};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm", "namespace": "nim"},
///     "spec": {"image": {"repository": "r", "tag": "1"},
///              "metrics": {"enabled": true, "serviceMonitor": {"interval": "30s"}}}
/// })).unwrap();
/// let sm = service_monitor(&svc, &RenderContext::default()).unwrap();
/// assert_eq!(sm.spec.endpoints[0].path.as_deref(), Some("/v1/metrics"));
/// assert_eq!(sm.spec.endpoints[0].interval.as_deref(), Some("30s"));
/// ```
pub fn service_monitor(svc: &NIMService, ctx: &RenderContext) -> Option<ServiceMonitor> {
    let metrics = svc.spec.metrics.as_ref().filter(|m| m.is_enabled())?;
    let config = metrics.service_monitor.clone().unwrap_or_default();
    let name = name_of(&svc.metadata);
    let common = service_labels(svc, ctx);
    let mut labels = common.clone();
    merge_maps(&mut labels, &config.additional_labels);
    let mut annotations = service_annotations(svc, ctx);
    merge_maps(&mut annotations, &config.annotations);

    let mut endpoints = vec![ServiceMonitorEndpoint {
        port: Some(API_PORT_NAME.to_string()),
        path: Some("/v1/metrics".to_string()),
        interval: config.interval.clone().filter(|s| !s.is_empty()),
        scrape_timeout: config.scrape_timeout.clone().filter(|s| !s.is_empty()),
        ..Default::default()
    }];
    let metrics_port = svc
        .spec
        .expose
        .as_ref()
        .and_then(|e| e.service.as_ref())
        .and_then(|s| s.metrics_port);
    if metrics_port.is_some() {
        endpoints.push(ServiceMonitorEndpoint {
            port: Some(METRICS_PORT_NAME.to_string()),
            path: Some("/metrics".to_string()),
            ..Default::default()
        });
    }
    Some(ServiceMonitor {
        metadata: owned_meta(&svc.metadata, NIMSERVICE_KIND, &name, labels, annotations),
        spec: ServiceMonitorSpec {
            endpoints,
            selector: LabelSelector {
                match_labels: Some(common),
                match_expressions: None,
            },
            namespace_selector: Some(NamespaceSelector {
                match_names: vec![namespace_of(&svc.metadata)],
                ..Default::default()
            }),
            ..Default::default()
        },
    })
}
