//! `InferencePool` (`inference.networking.k8s.io/v1`, Gateway API Inference Extension v1.x).
//!
//! NVIDIA's operator (v3.1, `router.eppConfig`) renders `InferencePool <name>` with
//! `selector.matchLabels` = the NIM pod selector (`app: <name>`), `targetPorts: [{number:
//! service.port}]` and `endpointPickerRef: {name: <name>-epp, port: {number: 9002}}`, next to the
//! endpoint-picker (EPP) Deployment/Service it points at. It is the `v1` API group
//! `inference.networking.k8s.io`; the older `v1alpha2` shape in `inference.networking.x-k8s.io`
//! (`targetPortNumber`, `extensionRef`) is deliberately not modelled.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use serde::{Deserialize, Serialize};

use super::gateway::ParentReference;

/// Spec of an [`InferencePool`]: the model-server pods, their ports, and the endpoint picker.
///
/// All three fields are required upstream and therefore always serialized.
///
/// ```
/// use nim_types::external::InferencePoolSpec;
///
/// assert_eq!(
///     serde_json::to_value(InferencePoolSpec::default()).unwrap(),
///     serde_json::json!({"selector": {"matchLabels": {}}, "targetPorts": [], "endpointPickerRef": {"name": ""}})
/// );
/// ```
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[kube(
    group = "inference.networking.k8s.io",
    version = "v1",
    kind = "InferencePool",
    namespaced,
    schema = "disabled",
    status = "InferencePoolStatus",
    derive = "PartialEq",
    derive = "Default",
    doc = r#"Gateway API Inference Extension `InferencePool` (`inference.networking.k8s.io/v1`), as NVIDIA's operator renders it.

```
use std::collections::BTreeMap;

use kube::Resource;
use nim_types::external::{
    EndpointPickerRef, InferencePool, InferencePoolPort, InferencePoolSelector, InferencePoolSpec,
};

let pool = InferencePool::new("llama", InferencePoolSpec {
    selector: InferencePoolSelector {
        match_labels: BTreeMap::from([("app".to_string(), "llama".to_string())]),
    },
    target_ports: vec![InferencePoolPort { number: 8000 }],
    endpoint_picker_ref: EndpointPickerRef {
        name: "llama-epp".into(),
        port: Some(InferencePoolPort { number: 9002 }),
        ..Default::default()
    },
});
let v = serde_json::to_value(&pool).unwrap();
assert_eq!(v["apiVersion"], "inference.networking.k8s.io/v1");
assert_eq!(v["kind"], "InferencePool");
assert_eq!(v["spec"]["endpointPickerRef"], serde_json::json!({"name": "llama-epp", "port": {"number": 9002}}));
assert_eq!(InferencePool::plural(&()), "inferencepools");
```"#
)]
#[serde(rename_all = "camelCase", default)]
pub struct InferencePoolSpec {
    /// Selects the model-server pods (required; `matchLabels` only).
    pub selector: InferencePoolSelector,
    /// Ports the model servers listen on (required, 1–8 entries).
    pub target_ports: Vec<InferencePoolPort>,
    /// The endpoint picker extension that chooses a pod per request (required).
    pub endpoint_picker_ref: EndpointPickerRef,
}

/// The pool's pod selector (upstream `LabelSelector`, which supports `matchLabels` only).
///
/// ```
/// use std::collections::BTreeMap;
///
/// use nim_types::external::InferencePoolSelector;
///
/// let s = InferencePoolSelector { match_labels: BTreeMap::from([("app".into(), "llama".into())]) };
/// assert_eq!(serde_json::to_value(&s).unwrap(), serde_json::json!({"matchLabels": {"app": "llama"}}));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct InferencePoolSelector {
    /// Label equality requirements (required, so always serialized).
    pub match_labels: BTreeMap<String, String>,
}

/// A port number (upstream `Port`).
///
/// ```
/// use nim_types::external::InferencePoolPort;
///
/// assert_eq!(serde_json::to_value(InferencePoolPort { number: 8000 }).unwrap(), serde_json::json!({"number": 8000}));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct InferencePoolPort {
    /// Port number, 1–65535 (required).
    pub number: i32,
}

/// Reference to the endpoint picker (EPP) service.
///
/// Server defaults: `group: ""`, `kind: Service`, `failureMode: FailClose`. A `Service` reference
/// needs `port`.
///
/// ```
/// use nim_types::external::{EndpointPickerFailureMode, EndpointPickerRef, InferencePoolPort};
///
/// let r = EndpointPickerRef {
///     name: "llama-epp".into(),
///     port: Some(InferencePoolPort { number: 9002 }),
///     failure_mode: Some(EndpointPickerFailureMode::FailOpen),
///     ..Default::default()
/// };
/// assert_eq!(serde_json::to_value(&r).unwrap()["failureMode"], "FailOpen");
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct EndpointPickerRef {
    /// API group of the picker (server default `""`, the core group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Kind of the picker (server default `Service`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name of the picker (required).
    pub name: String,
    /// Port of the picker's ext-proc endpoint; required for a `Service`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<InferencePoolPort>,
    /// Behaviour when the picker is unreachable (server default `FailClose`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_mode: Option<EndpointPickerFailureMode>,
}

open_enum! {
    /// Behaviour when the endpoint picker does not answer.
    ///
    /// ```
    /// use nim_types::external::EndpointPickerFailureMode;
    ///
    /// assert_eq!(serde_json::to_value(EndpointPickerFailureMode::FailClose).unwrap(), "FailClose");
    /// ```
    pub enum EndpointPickerFailureMode {
        /// Route to any pod in the pool.
        FailOpen = "FailOpen",
        /// Reject the request.
        FailClose = "FailClose",
    }
}

/// Observed state of an [`InferencePool`], per parent (gateway) that references it.
///
/// ```
/// use nim_types::external::InferencePoolStatus;
///
/// let s: InferencePoolStatus = serde_json::from_value(serde_json::json!({"parents": [{
///     "parentRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "inference-gateway"},
///     "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "",
///                     "lastTransitionTime": "2026-01-01T00:00:00Z"}]
/// }]})).unwrap();
/// assert_eq!(s.parents[0].parent_ref.name, "inference-gateway");
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct InferencePoolStatus {
    /// Per-parent status.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<InferencePoolParentStatus>,
}

/// Status of an [`InferencePool`] with respect to one parent.
///
/// ```
/// use nim_types::external::{InferencePoolParentStatus, ParentReference};
///
/// let s = InferencePoolParentStatus {
///     parent_ref: ParentReference { name: "gw".into(), ..Default::default() },
///     ..Default::default()
/// };
/// assert_eq!(serde_json::to_value(&s).unwrap(), serde_json::json!({"parentRef": {"name": "gw"}}));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct InferencePoolParentStatus {
    /// `Accepted`, `ResolvedRefs`, `Exported` conditions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The parent this status is about (required).
    pub parent_ref: ParentReference,
    /// Controller that wrote this entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controller_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::external::testutil::{
        assert_no_null_or_empty, assert_type_meta, assert_yaml_round_trip,
    };

    /// NVIDIA's `manifests/inferencepool.yaml` rendered for `advanced/epp/nimservice.yaml`, plus the
    /// optional picker fields and a status.
    const FIXTURE: &str = r#"
apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata:
  name: meta-llama-3-2-1b-instruct
  namespace: nim-service
  labels:
    app.kubernetes.io/managed-by: k8s-nim-operator
spec:
  selector:
    matchLabels:
      app: meta-llama-3-2-1b-instruct
  targetPorts:
  - number: 8000
  endpointPickerRef:
    group: ""
    kind: Service
    name: meta-llama-3-2-1b-instruct-epp
    port:
      number: 9002
    failureMode: FailClose
status:
  parents:
  - parentRef:
      group: gateway.networking.k8s.io
      kind: Gateway
      name: inference-gateway
      namespace: nim-service
    controllerName: istio.io/gateway-controller
    conditions:
    - type: Accepted
      status: "True"
      reason: Accepted
      message: InferencePool has been accepted
      observedGeneration: 2
      lastTransitionTime: "2026-03-01T10:00:00Z"
"#;

    #[test]
    fn nvidia_rendering_round_trips() {
        let pool: InferencePool = assert_yaml_round_trip(FIXTURE);
        assert_eq!(
            pool.spec.target_ports,
            vec![InferencePoolPort { number: 8000 }]
        );
        assert_eq!(pool.spec.endpoint_picker_ref.group.as_deref(), Some(""));
        let v = serde_json::to_value(&pool).unwrap();
        assert_no_null_or_empty(&v);
        assert_type_meta(&v, "inference.networking.k8s.io/v1", "InferencePool");
    }

    #[test]
    fn default_object_has_no_nulls_or_empties() {
        let v =
            serde_json::to_value(InferencePool::new("p", InferencePoolSpec::default())).unwrap();
        assert_type_meta(&v, "inference.networking.k8s.io/v1", "InferencePool");
        // Only the three required fields appear, with nothing optional inside them.
        assert_eq!(
            v["spec"],
            serde_json::json!({"selector": {"matchLabels": {}}, "targetPorts": [], "endpointPickerRef": {"name": ""}})
        );

        let minimal = InferencePool::new(
            "p",
            InferencePoolSpec {
                selector: InferencePoolSelector {
                    match_labels: BTreeMap::from([("app".into(), "p".into())]),
                },
                target_ports: vec![InferencePoolPort { number: 8000 }],
                endpoint_picker_ref: EndpointPickerRef {
                    name: "p-epp".into(),
                    port: Some(InferencePoolPort { number: 9002 }),
                    ..Default::default()
                },
            },
        );
        let v = serde_json::to_value(&minimal).unwrap();
        assert_no_null_or_empty(&v);
        assert_eq!(
            v,
            serde_json::json!({
                "apiVersion": "inference.networking.k8s.io/v1",
                "kind": "InferencePool",
                "metadata": {"name": "p"},
                "spec": {
                    "selector": {"matchLabels": {"app": "p"}},
                    "targetPorts": [{"number": 8000}],
                    "endpointPickerRef": {"name": "p-epp", "port": {"number": 9002}}
                }
            })
        );
        assert_eq!(
            serde_json::to_value(InferencePoolStatus::default()).unwrap(),
            serde_json::json!({})
        );
    }

    #[test]
    fn unknown_fields_and_values_are_tolerated() {
        let pool: InferencePool = serde_json::from_value(serde_json::json!({
            "apiVersion": "inference.networking.k8s.io/v1",
            "kind": "InferencePool",
            "metadata": {"name": "p"},
            "spec": {
                "selector": {"matchLabels": {"app": "p"}},
                "targetPorts": [{"number": 8000, "appProtocol": "http"}],
                "endpointPickerRef": {"name": "e", "failureMode": "FailSoft"}
            }
        }))
        .unwrap();
        assert_eq!(
            pool.spec.endpoint_picker_ref.failure_mode,
            Some(EndpointPickerFailureMode::Other("FailSoft".into()))
        );
    }
}
