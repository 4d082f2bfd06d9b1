//! `ServiceMonitor` (`monitoring.coreos.com/v1`, prometheus-operator v0.8x).
//!
//! NVIDIA's operator renders `ServiceMonitor <name>` when `metrics.enabled`:
//! `namespaceSelector.matchNames: [<ns>]`, `selector.matchLabels` = the NIMService's common
//! labels, and endpoints `{path: /v1/metrics, port: api, interval, scrapeTimeout}` plus
//! `{path: /metrics, port: metrics}` when `metricsPort` is set.
//!
//! Left out on purpose (ignored on input): endpoint authentication and TLS (`authorization`,
//! `basicAuth`, `oauth2`, `bearerToken*`, `tlsConfig`), proxy settings, `attachMetadata`,
//! per-scrape limits other than `sampleLimit`/`targetLimit`, `scrapeProtocols`, native-histogram
//! settings, and `status` (binding status written by the Prometheus operator).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::{apis::meta::v1::LabelSelector, util::intstr::IntOrString};
use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// Spec of a [`ServiceMonitor`]: which Services to scrape and how.
///
/// `selector` and `endpoints` are required upstream and therefore always serialized.
///
/// ```
/// use nim_types::external::{ServiceMonitorEndpoint, ServiceMonitorSpec};
///
/// let spec = ServiceMonitorSpec {
///     endpoints: vec![ServiceMonitorEndpoint { port: Some("api".into()), ..Default::default() }],
///     ..Default::default()
/// };
/// assert_eq!(
///     serde_json::to_value(&spec).unwrap(),
///     serde_json::json!({"endpoints": [{"port": "api"}], "selector": {}})
/// );
/// ```
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "ServiceMonitor",
    namespaced,
    schema = "disabled",
    derive = "PartialEq",
    derive = "Default",
    doc = r#"prometheus-operator `ServiceMonitor` (`monitoring.coreos.com/v1`), as NVIDIA's operator renders it.

```
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::Resource;
use nim_types::external::{NamespaceSelector, ServiceMonitor, ServiceMonitorEndpoint, ServiceMonitorSpec};

let selector = LabelSelector {
    match_labels: Some(BTreeMap::from([("app.kubernetes.io/name".to_string(), "llama".to_string())])),
    ..Default::default()
};
let sm = ServiceMonitor::new("llama", ServiceMonitorSpec {
    selector,
    namespace_selector: Some(NamespaceSelector { match_names: vec!["nim-service".into()], ..Default::default() }),
    endpoints: vec![ServiceMonitorEndpoint {
        port: Some("api".into()),
        path: Some("/v1/metrics".into()),
        interval: Some("30s".into()),
        ..Default::default()
    }],
    ..Default::default()
});
let v = serde_json::to_value(&sm).unwrap();
assert_eq!(v["apiVersion"], "monitoring.coreos.com/v1");
assert_eq!(v["kind"], "ServiceMonitor");
assert_eq!(v["spec"]["endpoints"][0], serde_json::json!({"port": "api", "path": "/v1/metrics", "interval": "30s"}));
assert_eq!(ServiceMonitor::plural(&()), "servicemonitors");
```"#
)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceMonitorSpec {
    /// Service label whose value becomes the `job` label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_label: Option<String>,
    /// Service labels copied onto the scraped series.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub target_labels: Vec<String>,
    /// Pod labels copied onto the scraped series.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pod_target_labels: Vec<String>,
    /// Scrape endpoints (required, so always serialized).
    pub endpoints: Vec<ServiceMonitorEndpoint>,
    /// Label selector for the Services to scrape (required; `{}` selects all).
    pub selector: LabelSelector,
    /// Namespaces in which to look for Services (default: the ServiceMonitor's namespace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<NamespaceSelector>,
    /// Per-scrape sample limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_limit: Option<u64>,
    /// Limit on the number of scraped targets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_limit: Option<u64>,
    /// Scrape class to apply (defined on the Prometheus object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape_class: Option<String>,
}

/// One scrape endpoint of a [`ServiceMonitor`] (upstream Go type `Endpoint`).
///
/// Durations (`interval`, `scrapeTimeout`) are Prometheus duration strings such as `"30s"`.
///
/// ```
/// use nim_types::external::ServiceMonitorEndpoint;
///
/// let ep = ServiceMonitorEndpoint {
///     port: Some("metrics".into()),
///     path: Some("/metrics".into()),
///     honor_labels: Some(true),
///     ..Default::default()
/// };
/// assert_eq!(
///     serde_json::to_value(&ep).unwrap(),
///     serde_json::json!({"port": "metrics", "path": "/metrics", "honorLabels": true})
/// );
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceMonitorEndpoint {
    /// Name of the Service port to scrape (exclusive with `targetPort`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// Name or number of the Pod port to scrape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_port: Option<IntOrString>,
    /// HTTP path to scrape (Prometheus default `/metrics`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `http` or `https`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// URL query parameters.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, Vec<String>>,
    /// Scrape interval (Prometheus default when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// Scrape timeout (must not exceed the interval).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape_timeout: Option<String>,
    /// Keep the target's labels when they clash with server-side labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honor_labels: Option<bool>,
    /// Keep the timestamps exposed by the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honor_timestamps: Option<bool>,
    /// Follow HTTP 3xx redirects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_redirects: Option<bool>,
    /// Allow HTTP/2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_http2: Option<bool>,
    /// Drop targets whose Pods are not running (default true upstream).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_running: Option<bool>,
    /// Relabelings applied to the target before scraping.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relabelings: Vec<RelabelConfig>,
    /// Relabelings applied to samples before ingestion.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metric_relabelings: Vec<RelabelConfig>,
}

/// Where a [`ServiceMonitor`] looks for Services.
///
/// ```
/// use nim_types::external::NamespaceSelector;
///
/// let ns = NamespaceSelector { match_names: vec!["nim-service".into()], ..Default::default() };
/// assert_eq!(serde_json::to_value(&ns).unwrap(), serde_json::json!({"matchNames": ["nim-service"]}));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct NamespaceSelector {
    /// Select all namespaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub any: Option<bool>,
    /// Explicit namespace names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_names: Vec<String>,
}

/// A Prometheus relabeling rule.
///
/// `action` is kept as a string (upstream accepts both `replace` and `Replace` spellings).
///
/// ```
/// use nim_types::external::RelabelConfig;
///
/// let r = RelabelConfig {
///     source_labels: vec!["__meta_kubernetes_pod_node_name".into()],
///     target_label: Some("node".into()),
///     action: Some("replace".into()),
///     ..Default::default()
/// };
/// assert_eq!(serde_json::to_value(&r).unwrap()["targetLabel"], "node");
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RelabelConfig {
    /// Labels whose values are concatenated and matched against `regex`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_labels: Vec<String>,
    /// Separator for the concatenation (default `;`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
    /// Label written by `replace`-like actions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_label: Option<String>,
    /// Regular expression (default `(.*)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Modulus for the `hashmod` action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modulus: Option<u64>,
    /// Replacement value (default `$1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    /// Action (`replace`, `keep`, `drop`, `labelmap`, …; default `replace`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::external::testutil::{
        assert_no_null_or_empty, assert_type_meta, assert_yaml_round_trip,
    };

    /// NVIDIA's rendering for `autoscaling/llm.yaml` (`metrics.enabled`, `metricsPort` set),
    /// with a few more endpoint knobs on the second endpoint.
    const FIXTURE: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: meta-llama-3-2-1b-instruct
  namespace: nim-service
  labels:
    app.kubernetes.io/managed-by: k8s-nim-operator
    release: kube-prometheus-stack
spec:
  jobLabel: app.kubernetes.io/name
  targetLabels:
  - app.kubernetes.io/name
  podTargetLabels:
  - nim-llm-role
  sampleLimit: 100000
  targetLimit: 10
  scrapeClass: default
  namespaceSelector:
    matchNames:
    - nim-service
  selector:
    matchLabels:
      app.kubernetes.io/instance: meta-llama-3-2-1b-instruct
      app.kubernetes.io/managed-by: k8s-nim-operator
      app.kubernetes.io/name: meta-llama-3-2-1b-instruct
      app.kubernetes.io/part-of: nim-service
    matchExpressions:
    - key: tier
      operator: In
      values:
      - gpu
  endpoints:
  - path: /v1/metrics
    port: api
    interval: 30s
    scrapeTimeout: 10s
  - path: /metrics
    port: metrics
    scheme: http
    targetPort: 8002
    params:
      format:
      - prometheus
    honorLabels: true
    honorTimestamps: false
    followRedirects: true
    enableHttp2: false
    filterRunning: true
    relabelings:
    - sourceLabels:
      - __meta_kubernetes_pod_node_name
      separator: ;
      targetLabel: node
      regex: (.*)
      replacement: $1
      action: replace
    metricRelabelings:
    - sourceLabels:
      - __name__
      regex: "go_.*"
      action: drop
    - sourceLabels:
      - instance
      targetLabel: shard
      modulus: 4
      action: hashmod
"#;

    #[test]
    fn nvidia_rendering_round_trips() {
        let sm: ServiceMonitor = assert_yaml_round_trip(FIXTURE);
        assert_eq!(sm.spec.endpoints.len(), 2);
        assert_eq!(
            sm.spec.endpoints[1].target_port,
            Some(IntOrString::Int(8002))
        );
        let v = serde_json::to_value(&sm).unwrap();
        assert_no_null_or_empty(&v);
        assert_type_meta(&v, "monitoring.coreos.com/v1", "ServiceMonitor");
    }

    #[test]
    fn default_object_has_no_nulls_or_empties() {
        // Required fields are always present, even in a default object.
        let v =
            serde_json::to_value(ServiceMonitor::new("m", ServiceMonitorSpec::default())).unwrap();
        assert_eq!(
            v["spec"],
            serde_json::json!({"endpoints": [], "selector": {}})
        );
        assert_type_meta(&v, "monitoring.coreos.com/v1", "ServiceMonitor");

        let minimal = ServiceMonitor::new(
            "m",
            ServiceMonitorSpec {
                selector: LabelSelector {
                    match_labels: Some(BTreeMap::from([("app".into(), "m".into())])),
                    ..Default::default()
                },
                endpoints: vec![ServiceMonitorEndpoint {
                    port: Some("api".into()),
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
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "ServiceMonitor",
                "metadata": {"name": "m"},
                "spec": {"endpoints": [{"port": "api"}], "selector": {"matchLabels": {"app": "m"}}}
            })
        );
        for empty in [
            serde_json::to_value(ServiceMonitorEndpoint::default()).unwrap(),
            serde_json::to_value(NamespaceSelector::default()).unwrap(),
            serde_json::to_value(RelabelConfig::default()).unwrap(),
        ] {
            assert_eq!(empty, serde_json::json!({}));
        }
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let sm: ServiceMonitor = serde_json::from_value(serde_json::json!({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": {"name": "m"},
            "spec": {
                "selector": {},
                "attachMetadata": {"node": true},
                "endpoints": [{"port": "api", "tlsConfig": {"insecureSkipVerify": true}}]
            },
            "status": {"bindings": []}
        }))
        .unwrap();
        assert_eq!(sm.spec.endpoints[0].port.as_deref(), Some("api"));
    }
}
