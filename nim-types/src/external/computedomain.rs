//! NVIDIA DRA driver `ComputeDomain` (`resource.nvidia.com/v1beta1`).
//!
//! NVIDIA's operator creates one when a multi-node NIMService has `multiNode.computeDomain.create:
//! true`: name `<name>`, `numNodes = parallelism.pipeline`, `channel.resourceClaimTemplate.name =
//! cd-claimtemplate-<hash12(name)>`, `allocationMode: Single`. The DRA driver then creates that
//! ResourceClaimTemplate, which the leader and worker pods claim (IMEX channel for multi-node
//! NVLink). `status.computeDomainStatus` of the NIMService mirrors `status` here.
//!
//! The spec is immutable upstream (CEL `self == oldSelf`). Nothing of the v1beta1 API is
//! deliberately left out.

use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// Spec of a [`ComputeDomain`].
///
/// `numNodes` is required upstream (and deprecated; `0` is recommended with the driver's
/// `IMEXDaemonsWithDNSNames` feature gate), so it is always serialized.
///
/// ```
/// use nim_types::external::ComputeDomainSpec;
///
/// assert_eq!(serde_json::to_value(ComputeDomainSpec::default()).unwrap(), serde_json::json!({"numNodes": 0}));
/// ```
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[kube(
    group = "resource.nvidia.com",
    version = "v1beta1",
    kind = "ComputeDomain",
    namespaced,
    schema = "disabled",
    status = "ComputeDomainStatus",
    derive = "PartialEq",
    derive = "Default",
    doc = r#"NVIDIA DRA driver `ComputeDomain` (`resource.nvidia.com/v1beta1`), as NVIDIA's operator renders it.

```
use kube::Resource;
use nim_types::external::{
    ChannelAllocationMode, ComputeDomain, ComputeDomainChannelSpec,
    ComputeDomainResourceClaimTemplate, ComputeDomainSpec,
};

let cd = ComputeDomain::new("deepseek-r1", ComputeDomainSpec {
    num_nodes: 2,
    channel: Some(ComputeDomainChannelSpec {
        resource_claim_template: ComputeDomainResourceClaimTemplate {
            name: "cd-claimtemplate-0123456789ab".into(),
        },
        allocation_mode: Some(ChannelAllocationMode::Single),
    }),
});
let v = serde_json::to_value(&cd).unwrap();
assert_eq!(v["apiVersion"], "resource.nvidia.com/v1beta1");
assert_eq!(v["kind"], "ComputeDomain");
assert_eq!(v["spec"], serde_json::json!({
    "numNodes": 2,
    "channel": {"resourceClaimTemplate": {"name": "cd-claimtemplate-0123456789ab"}, "allocationMode": "Single"}
}));
assert_eq!(ComputeDomain::plural(&()), "computedomains");
```"#
)]
#[serde(rename_all = "camelCase", default)]
pub struct ComputeDomainSpec {
    /// Intended number of nodes (IMEX daemons) in the domain (required; may be 0).
    pub num_nodes: i64,
    /// The IMEX channel workloads claim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<ComputeDomainChannelSpec>,
}

/// The channel of a [`ComputeDomain`]: which ResourceClaimTemplate the driver creates for it.
///
/// ```
/// use nim_types::external::{ComputeDomainChannelSpec, ComputeDomainResourceClaimTemplate};
///
/// let c = ComputeDomainChannelSpec {
///     resource_claim_template: ComputeDomainResourceClaimTemplate { name: "imex-channel-0".into() },
///     ..Default::default()
/// };
/// assert_eq!(
///     serde_json::to_value(&c).unwrap(),
///     serde_json::json!({"resourceClaimTemplate": {"name": "imex-channel-0"}})
/// );
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ComputeDomainChannelSpec {
    /// The ResourceClaimTemplate to generate (required).
    pub resource_claim_template: ComputeDomainResourceClaimTemplate,
    /// One channel or all channels (server default `Single`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocation_mode: Option<ChannelAllocationMode>,
}

/// Name of the ResourceClaimTemplate the DRA driver generates for a channel.
///
/// ```
/// use nim_types::external::ComputeDomainResourceClaimTemplate;
///
/// let t = ComputeDomainResourceClaimTemplate { name: "imex".into() };
/// assert_eq!(serde_json::to_value(&t).unwrap(), serde_json::json!({"name": "imex"}));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ComputeDomainResourceClaimTemplate {
    /// Template name (required).
    pub name: String,
}

open_enum! {
    /// How many IMEX channels a claim gets.
    ///
    /// ```
    /// use nim_types::external::ChannelAllocationMode;
    ///
    /// assert_eq!(serde_json::to_value(ChannelAllocationMode::All).unwrap(), "All");
    /// ```
    pub enum ChannelAllocationMode {
        /// Exactly one channel.
        Single = "Single",
        /// All channels of the IMEX domain.
        All = "All",
    }
}

open_enum! {
    /// Readiness of a [`ComputeDomain`] or of one of its nodes (default `NotReady`).
    ///
    /// ```
    /// use nim_types::external::ComputeDomainState;
    ///
    /// assert_eq!(ComputeDomainState::default(), ComputeDomainState::NotReady);
    /// assert_eq!(serde_json::to_value(ComputeDomainState::Ready).unwrap(), "Ready");
    /// ```
    #[derive(Default)]
    pub enum ComputeDomainState {
        /// All expected IMEX daemons are ready.
        Ready = "Ready",
        /// Not (yet) ready.
        #[default]
        NotReady = "NotReady",
        /// Failed (node status only).
        Failed = "Failed",
    }
}

/// Observed state of a [`ComputeDomain`] (written by the DRA driver).
///
/// ```
/// use nim_types::external::{ComputeDomainState, ComputeDomainStatus};
///
/// let s: ComputeDomainStatus = serde_json::from_value(serde_json::json!({
///     "status": "Ready",
///     "nodes": [{"name": "gb200-0", "ipAddress": "10.0.0.1", "cliqueID": "abc.1", "index": 0, "status": "Ready"}]
/// })).unwrap();
/// assert_eq!(s.status, ComputeDomainState::Ready);
/// assert_eq!(s.nodes[0].clique_id, "abc.1");
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ComputeDomainStatus {
    /// Global readiness (required upstream, server default `NotReady`).
    pub status: ComputeDomainState,
    /// Nodes that joined the domain.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<ComputeDomainNode>,
}

/// One node of a [`ComputeDomain`].
///
/// ```
/// use nim_types::external::ComputeDomainNode;
///
/// let n = ComputeDomainNode { name: "n0".into(), clique_id: "c.1".into(), ..Default::default() };
/// let v = serde_json::to_value(&n).unwrap();
/// assert_eq!(v["cliqueID"], "c.1");
/// assert!(v.get("status").is_none());
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ComputeDomainNode {
    /// Node name (required).
    pub name: String,
    /// IP address of the node's IMEX daemon (required).
    pub ip_address: String,
    /// NVLink clique ID (required; wire name `cliqueID`).
    #[serde(rename = "cliqueID")]
    pub clique_id: String,
    /// Stable index of the node within its clique.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<i64>,
    /// Readiness of the node's IMEX daemon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ComputeDomainState>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::external::testutil::{
        assert_no_null_or_empty, assert_type_meta, assert_yaml_round_trip,
    };

    /// What NVIDIA's operator creates for a multi-node NIMService with `computeDomain.create`,
    /// with the status the DRA driver writes.
    const FIXTURE: &str = r#"
apiVersion: resource.nvidia.com/v1beta1
kind: ComputeDomain
metadata:
  name: deepseek-r1
  namespace: nim-service
  labels:
    app.kubernetes.io/managed-by: k8s-nim-operator
spec:
  numNodes: 2
  channel:
    resourceClaimTemplate:
      name: cd-claimtemplate-0123456789ab
    allocationMode: Single
status:
  status: Ready
  nodes:
  - name: gb200-node-0
    ipAddress: 10.0.0.10
    cliqueID: 7a2f.1
    index: 0
    status: Ready
  - name: gb200-node-1
    ipAddress: 10.0.0.11
    cliqueID: 7a2f.1
    index: 1
    status: NotReady
"#;

    #[test]
    fn nvidia_rendering_round_trips() {
        let cd: ComputeDomain = assert_yaml_round_trip(FIXTURE);
        assert_eq!(cd.spec.num_nodes, 2);
        assert_eq!(cd.status.as_ref().unwrap().nodes[1].index, Some(1));
        let v = serde_json::to_value(&cd).unwrap();
        assert_no_null_or_empty(&v);
        assert_type_meta(&v, "resource.nvidia.com/v1beta1", "ComputeDomain");
    }

    #[test]
    fn default_object_has_no_nulls_or_empties() {
        let v =
            serde_json::to_value(ComputeDomain::new("c", ComputeDomainSpec::default())).unwrap();
        assert_no_null_or_empty(&v);
        assert_eq!(
            v,
            serde_json::json!({
                "apiVersion": "resource.nvidia.com/v1beta1",
                "kind": "ComputeDomain",
                "metadata": {"name": "c"},
                "spec": {"numNodes": 0}
            })
        );
        assert_eq!(
            serde_json::to_value(ComputeDomainChannelSpec::default()).unwrap(),
            serde_json::json!({"resourceClaimTemplate": {"name": ""}})
        );
    }

    #[test]
    fn unknown_fields_and_values_are_tolerated() {
        let cd: ComputeDomain = serde_json::from_value(serde_json::json!({
            "apiVersion": "resource.nvidia.com/v1beta1",
            "kind": "ComputeDomain",
            "metadata": {"name": "c"},
            "spec": {"numNodes": 0, "channel": {"resourceClaimTemplate": {"name": "t"}, "allocationMode": "Pair", "x": 1}},
            "status": {"status": "Degraded"}
        }))
        .unwrap();
        assert_eq!(
            cd.spec.channel.unwrap().allocation_mode,
            Some(ChannelAllocationMode::Other("Pair".into()))
        );
        assert_eq!(
            cd.status.unwrap().status,
            ComputeDomainState::Other("Degraded".into())
        );
    }
}
