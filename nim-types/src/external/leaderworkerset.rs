//! `LeaderWorkerSet` (`leaderworkerset.x-k8s.io/v1`, LWS v0.7/v0.8).
//!
//! NVIDIA's operator renders `LeaderWorkerSet <name>-lws` for multi-node NIMs:
//! `replicas`, `leaderWorkerTemplate{leaderTemplate, workerTemplate, size: <pipeline>,
//! restartPolicy: RecreateGroupOnPodRestart}`, `startupPolicy: LeaderCreated`,
//! `networkConfig.subdomainPolicy: Shared`, and `rolloutStrategy` RollingUpdate with
//! `maxSurge: 0, maxUnavailable: 1`. Readiness is the `Available=True` status condition.
//!
//! The label/annotation keys LWS puts on its pods are exported as constants (NVIDIA's env
//! wiring reads `worker-index`, `group-index`, `size`, `leader-name` and `name` from them).
//!
//! Nothing of the v1 API is deliberately left out.

use k8s_openapi::{
    api::{
        apps::v1::StatefulSetPersistentVolumeClaimRetentionPolicy,
        core::v1::{PersistentVolumeClaim, PodTemplateSpec},
    },
    apimachinery::pkg::{apis::meta::v1::Condition, util::intstr::IntOrString},
};
use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// Pod label holding the owning LeaderWorkerSet's name.
///
/// ```
/// assert_eq!(nim_types::external::LWS_NAME_LABEL, "leaderworkerset.sigs.k8s.io/name");
/// ```
pub const LWS_NAME_LABEL: &str = "leaderworkerset.sigs.k8s.io/name";

/// Pod label holding the group (replica) index.
///
/// ```
/// assert_eq!(nim_types::external::LWS_GROUP_INDEX_LABEL, "leaderworkerset.sigs.k8s.io/group-index");
/// ```
pub const LWS_GROUP_INDEX_LABEL: &str = "leaderworkerset.sigs.k8s.io/group-index";

/// Pod label holding the worker index within a group (`0` is the leader).
///
/// ```
/// assert_eq!(nim_types::external::LWS_WORKER_INDEX_LABEL, "leaderworkerset.sigs.k8s.io/worker-index");
/// ```
pub const LWS_WORKER_INDEX_LABEL: &str = "leaderworkerset.sigs.k8s.io/worker-index";

/// Pod annotation holding the group size.
///
/// ```
/// assert_eq!(nim_types::external::LWS_SIZE_ANNOTATION, "leaderworkerset.sigs.k8s.io/size");
/// ```
pub const LWS_SIZE_ANNOTATION: &str = "leaderworkerset.sigs.k8s.io/size";

/// Worker-pod annotation holding the leader pod's name.
///
/// ```
/// assert_eq!(nim_types::external::LWS_LEADER_NAME_ANNOTATION, "leaderworkerset.sigs.k8s.io/leader-name");
/// ```
pub const LWS_LEADER_NAME_ANNOTATION: &str = "leaderworkerset.sigs.k8s.io/leader-name";

/// Spec of a [`LeaderWorkerSet`]: `replicas` groups, each of one leader and `size - 1` workers.
///
/// Omit `replicas` when an HPA owns scale (LWS has a scale subresource).
///
/// ```
/// use nim_types::external::{LeaderWorkerSetSpec, LeaderWorkerTemplate};
///
/// let spec = LeaderWorkerSetSpec {
///     leader_worker_template: LeaderWorkerTemplate { size: Some(2), ..Default::default() },
///     ..Default::default()
/// };
/// assert_eq!(
///     serde_json::to_value(&spec).unwrap(),
///     serde_json::json!({"leaderWorkerTemplate": {"workerTemplate": {}, "size": 2}})
/// );
/// ```
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[kube(
    group = "leaderworkerset.x-k8s.io",
    version = "v1",
    kind = "LeaderWorkerSet",
    namespaced,
    schema = "disabled",
    status = "LeaderWorkerSetStatus",
    derive = "PartialEq",
    derive = "Default",
    doc = r#"`LeaderWorkerSet` (`leaderworkerset.x-k8s.io/v1`), as NVIDIA's operator renders it for multi-node NIMs.

```
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::Resource;
use nim_types::external::{
    LeaderWorkerRestartPolicy, LeaderWorkerSet, LeaderWorkerSetSpec, LeaderWorkerTemplate,
    NetworkConfig, RollingUpdateConfiguration, RolloutStrategy, StartupPolicy, SubdomainPolicy,
};

let pod = |name: &str| PodTemplateSpec {
    spec: Some(PodSpec {
        containers: vec![Container { name: name.into(), image: Some("nvcr.io/nim/deepseek-ai/deepseek-r1:1.7.3".into()), ..Default::default() }],
        ..Default::default()
    }),
    ..Default::default()
};
let lws = LeaderWorkerSet::new("deepseek-r1-lws", LeaderWorkerSetSpec {
    replicas: Some(1),
    leader_worker_template: LeaderWorkerTemplate {
        leader_template: Some(pod("nim-leader")),
        worker_template: pod("nim-worker"),
        size: Some(2),
        restart_policy: Some(LeaderWorkerRestartPolicy::RecreateGroupOnPodRestart),
        ..Default::default()
    },
    startup_policy: Some(StartupPolicy::LeaderCreated),
    network_config: Some(NetworkConfig { subdomain_policy: SubdomainPolicy::Shared }),
    rollout_strategy: Some(RolloutStrategy {
        rolling_update_configuration: Some(RollingUpdateConfiguration {
            max_surge: Some(IntOrString::Int(0)),
            max_unavailable: Some(IntOrString::Int(1)),
            ..Default::default()
        }),
        ..Default::default()
    }),
});
let v = serde_json::to_value(&lws).unwrap();
assert_eq!(v["apiVersion"], "leaderworkerset.x-k8s.io/v1");
assert_eq!(v["kind"], "LeaderWorkerSet");
assert_eq!(v["spec"]["rolloutStrategy"]["type"], "RollingUpdate");
assert_eq!(v["spec"]["leaderWorkerTemplate"]["workerTemplate"]["spec"]["containers"][0]["name"], "nim-worker");
assert_eq!(LeaderWorkerSet::plural(&()), "leaderworkersets");
```"#
)]
#[serde(rename_all = "camelCase", default)]
pub struct LeaderWorkerSetSpec {
    /// Number of leader-worker groups (server default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Templates and size of each group (required).
    pub leader_worker_template: LeaderWorkerTemplate,
    /// How groups are replaced on template changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout_strategy: Option<RolloutStrategy>,
    /// When workers are created relative to the leader (server default `LeaderCreated`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub startup_policy: Option<StartupPolicy>,
    /// Headless-service subdomain policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_config: Option<NetworkConfig>,
}

/// Pod templates and size of one leader-worker group.
///
/// ```
/// use nim_types::external::{LeaderWorkerRestartPolicy, LeaderWorkerTemplate};
///
/// let t = LeaderWorkerTemplate {
///     size: Some(4),
///     restart_policy: Some(LeaderWorkerRestartPolicy::RecreateGroupOnPodRestart),
///     ..Default::default()
/// };
/// let v = serde_json::to_value(&t).unwrap();
/// assert_eq!(v["restartPolicy"], "RecreateGroupOnPodRestart");
/// assert!(v.get("leaderTemplate").is_none()); // workers' template is used for the leader too
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct LeaderWorkerTemplate {
    /// Leader pod template; when absent the worker template is used for the leader.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader_template: Option<PodTemplateSpec>,
    /// Worker pod template (required, so always serialized).
    pub worker_template: PodTemplateSpec,
    /// Pods per group, leader included (server default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<i32>,
    /// What happens to a group when one of its pods restarts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<LeaderWorkerRestartPolicy>,
    /// Split each group into sub-groups (e.g. for disaggregated serving).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_group_policy: Option<SubGroupPolicy>,
    /// PVC templates instantiated per pod (k8s-openapi serializes each with `apiVersion: v1` and
    /// `kind: PersistentVolumeClaim`, which the LWS schema accepts).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volume_claim_templates: Vec<PersistentVolumeClaim>,
    /// Lifecycle of the PVCs created from `volumeClaimTemplates`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistent_volume_claim_retention_policy:
        Option<StatefulSetPersistentVolumeClaimRetentionPolicy>,
}

open_enum! {
    /// Group restart behaviour (upstream `RestartPolicyType`; server default
    /// `RecreateGroupOnPodRestart`).
    ///
    /// ```
    /// use nim_types::external::LeaderWorkerRestartPolicy;
    ///
    /// assert_eq!(serde_json::to_value(LeaderWorkerRestartPolicy::None).unwrap(), "None");
    /// ```
    pub enum LeaderWorkerRestartPolicy {
        /// Recreate the whole group when any of its pods restarts.
        RecreateGroupOnPodRestart = "RecreateGroupOnPodRestart",
        /// Only the pod's own restart policy applies.
        None = "None",
        /// Deprecated alias of `None`.
        Default = "Default",
    }
}

open_enum! {
    /// When worker pods are created (upstream `StartupPolicyType`; server default `LeaderCreated`).
    ///
    /// ```
    /// use nim_types::external::StartupPolicy;
    ///
    /// assert_eq!(serde_json::to_value(StartupPolicy::LeaderReady).unwrap(), "LeaderReady");
    /// ```
    pub enum StartupPolicy {
        /// Create workers once the leader pod exists.
        LeaderCreated = "LeaderCreated",
        /// Create workers once the leader pod is ready.
        LeaderReady = "LeaderReady",
    }
}

/// How groups are rolled on template changes.
///
/// ```
/// use nim_types::external::RolloutStrategy;
///
/// // `type` is required and defaults to `RollingUpdate`.
/// assert_eq!(
///     serde_json::to_value(RolloutStrategy::default()).unwrap(),
///     serde_json::json!({"type": "RollingUpdate"})
/// );
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RolloutStrategy {
    /// Strategy type (required; only `RollingUpdate` exists).
    #[serde(rename = "type")]
    pub type_: RolloutStrategyType,
    /// Rolling-update parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolling_update_configuration: Option<RollingUpdateConfiguration>,
}

open_enum! {
    /// Rollout strategy type (default `RollingUpdate`, the only upstream value).
    ///
    /// ```
    /// use nim_types::external::RolloutStrategyType;
    ///
    /// assert_eq!(RolloutStrategyType::default(), RolloutStrategyType::RollingUpdate);
    /// ```
    #[derive(Default)]
    pub enum RolloutStrategyType {
        /// Replace groups a few at a time.
        #[default]
        RollingUpdate = "RollingUpdate",
    }
}

/// Rolling-update parameters (counts or percentages of groups).
///
/// ```
/// use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
/// use nim_types::external::RollingUpdateConfiguration;
///
/// let r = RollingUpdateConfiguration {
///     max_unavailable: Some(IntOrString::String("25%".into())),
///     ..Default::default()
/// };
/// assert_eq!(serde_json::to_value(&r).unwrap(), serde_json::json!({"maxUnavailable": "25%"}));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RollingUpdateConfiguration {
    /// Only groups with index >= partition are updated (server default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<i32>,
    /// Groups that may be unavailable during the update (server default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrString>,
    /// Extra groups that may be created during the update (server default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_surge: Option<IntOrString>,
}

/// Network settings of the set.
///
/// ```
/// use nim_types::external::{NetworkConfig, SubdomainPolicy};
///
/// let n = NetworkConfig { subdomain_policy: SubdomainPolicy::UniquePerReplica };
/// assert_eq!(serde_json::to_value(&n).unwrap(), serde_json::json!({"subdomainPolicy": "UniquePerReplica"}));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct NetworkConfig {
    /// Subdomain policy (required within `networkConfig`).
    pub subdomain_policy: SubdomainPolicy,
}

open_enum! {
    /// Whether all groups share one headless-service subdomain (default `Shared`).
    ///
    /// ```
    /// use nim_types::external::SubdomainPolicy;
    ///
    /// assert_eq!(serde_json::to_value(SubdomainPolicy::default()).unwrap(), "Shared");
    /// ```
    #[derive(Default)]
    pub enum SubdomainPolicy {
        /// One subdomain for all groups.
        #[default]
        Shared = "Shared",
        /// One subdomain per group.
        UniquePerReplica = "UniquePerReplica",
    }
}

/// Splits each group into sub-groups of `subGroupSize` pods.
///
/// ```
/// use nim_types::external::{SubGroupPolicy, SubGroupPolicyType};
///
/// let p = SubGroupPolicy {
///     sub_group_policy_type: Some(SubGroupPolicyType::LeaderExcluded),
///     sub_group_size: Some(4),
/// };
/// assert_eq!(
///     serde_json::to_value(&p).unwrap(),
///     serde_json::json!({"subGroupPolicyType": "LeaderExcluded", "subGroupSize": 4})
/// );
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct SubGroupPolicy {
    /// Whether the leader belongs to a sub-group (server default `LeaderWorker`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_group_policy_type: Option<SubGroupPolicyType>,
    /// Pods per sub-group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_group_size: Option<i32>,
}

open_enum! {
    /// Sub-group membership of the leader.
    ///
    /// ```
    /// use nim_types::external::SubGroupPolicyType;
    ///
    /// assert_eq!(serde_json::to_value(SubGroupPolicyType::LeaderWorker).unwrap(), "LeaderWorker");
    /// ```
    pub enum SubGroupPolicyType {
        /// The leader is part of the first sub-group.
        LeaderWorker = "LeaderWorker",
        /// The leader is in no sub-group.
        LeaderExcluded = "LeaderExcluded",
    }
}

/// Observed state of a [`LeaderWorkerSet`] (written by the LWS controller).
///
/// ```
/// use nim_types::external::LeaderWorkerSetStatus;
///
/// let s: LeaderWorkerSetStatus = serde_json::from_value(serde_json::json!({
///     "readyReplicas": 1, "replicas": 1,
///     "conditions": [{"type": "Available", "status": "True", "reason": "AllGroupsReady",
///                     "message": "All replicas are ready", "lastTransitionTime": "2026-01-01T00:00:00Z"}]
/// })).unwrap();
/// assert!(s.conditions.iter().any(|c| c.type_ == "Available" && c.status == "True"));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct LeaderWorkerSetStatus {
    /// `Available`, `Progressing`, `UpdateInProgress` conditions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Groups whose pods are all ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready_replicas: Option<i32>,
    /// Groups at the current template revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_replicas: Option<i32>,
    /// Groups created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Label selector string used by HPA through the scale subresource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hpa_pod_selector: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::external::testutil::{
        assert_no_null_or_empty, assert_type_meta, assert_yaml_round_trip,
    };

    /// NVIDIA's `manifests/lws.yaml` rendered for `multi-node-nimservice.yaml` (trimmed env), plus
    /// the remaining upstream fields and a status.
    const FIXTURE: &str = r#"
apiVersion: leaderworkerset.x-k8s.io/v1
kind: LeaderWorkerSet
metadata:
  name: deepseek-r1-lws
  namespace: nim-service
  labels:
    app.kubernetes.io/managed-by: k8s-nim-operator
  annotations:
    nvidia.com/parent-spec-hash: "123"
spec:
  replicas: 1
  startupPolicy: LeaderCreated
  networkConfig:
    subdomainPolicy: Shared
  rolloutStrategy:
    type: RollingUpdate
    rollingUpdateConfiguration:
      partition: 0
      maxSurge: 0
      maxUnavailable: 1
  leaderWorkerTemplate:
    size: 2
    restartPolicy: RecreateGroupOnPodRestart
    subGroupPolicy:
      subGroupPolicyType: LeaderWorker
      subGroupSize: 2
    leaderTemplate:
      metadata:
        labels:
          app: deepseek-r1-lws
          nim-llm-role: leader
      spec:
        imagePullSecrets:
        - name: ngc-secret
        securityContext:
          runAsUser: 1000
          runAsGroup: 2000
          fsGroup: 2000
        containers:
        - name: nim-leader
          image: nvcr.io/nim/deepseek-ai/deepseek-r1:1.7.3
          env:
          - name: NIM_LEADER_ROLE
            value: "1"
          - name: NIM_NODE_RANK
            valueFrom:
              fieldRef:
                fieldPath: metadata.labels['leaderworkerset.sigs.k8s.io/worker-index']
          ports:
          - containerPort: 8000
            name: api
            protocol: TCP
          resources:
            limits:
              nvidia.com/gpu: "8"
            requests:
              nvidia.com/gpu: "8"
          volumeMounts:
          - name: dshm
            mountPath: /dev/shm
        volumes:
        - name: dshm
          emptyDir:
            medium: Memory
    workerTemplate:
      metadata:
        annotations:
          k8s.v1.cni.cncf.io/networks: example-ipoibnetwork
      spec:
        containers:
        - name: nim-worker
          image: nvcr.io/nim/deepseek-ai/deepseek-r1:1.7.3
          env:
          - name: LEADER_NAME
            valueFrom:
              fieldRef:
                fieldPath: metadata.annotations['leaderworkerset.sigs.k8s.io/leader-name']
          resources:
            limits:
              nvidia.com/gpu: "8"
        tolerations:
        - key: nvidia.com/gpu
          operator: Exists
          effect: NoSchedule
    volumeClaimTemplates:
    - apiVersion: v1
      kind: PersistentVolumeClaim
      metadata:
        name: scratch
      spec:
        accessModes:
        - ReadWriteOnce
        resources:
          requests:
            storage: 100Gi
    persistentVolumeClaimRetentionPolicy:
      whenDeleted: Delete
      whenScaled: Retain
status:
  replicas: 1
  readyReplicas: 1
  updatedReplicas: 1
  hpaPodSelector: leaderworkerset.sigs.k8s.io/name=deepseek-r1-lws,leaderworkerset.sigs.k8s.io/worker-index=0
  conditions:
  - type: Available
    status: "True"
    reason: AllGroupsReady
    message: All replicas are ready
    lastTransitionTime: "2026-03-01T10:00:00Z"
"#;

    #[test]
    fn nvidia_rendering_round_trips() {
        let lws: LeaderWorkerSet = assert_yaml_round_trip(FIXTURE);
        let t = &lws.spec.leader_worker_template;
        assert_eq!(t.size, Some(2));
        assert_eq!(
            t.restart_policy,
            Some(LeaderWorkerRestartPolicy::RecreateGroupOnPodRestart)
        );
        assert_eq!(
            lws.spec
                .rollout_strategy
                .as_ref()
                .unwrap()
                .rolling_update_configuration
                .as_ref()
                .unwrap()
                .max_surge,
            Some(IntOrString::Int(0))
        );
        let v = serde_json::to_value(&lws).unwrap();
        assert_no_null_or_empty(&v);
        assert_type_meta(&v, "leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet");
    }

    #[test]
    fn default_object_has_no_nulls_or_empties() {
        // The required worker template is always serialized.
        let v = serde_json::to_value(LeaderWorkerSet::new("l", LeaderWorkerSetSpec::default()))
            .unwrap();
        assert_eq!(
            v["spec"],
            serde_json::json!({"leaderWorkerTemplate": {"workerTemplate": {}}})
        );
        assert_type_meta(&v, "leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet");

        let minimal = LeaderWorkerSet::new(
            "l",
            LeaderWorkerSetSpec {
                leader_worker_template: LeaderWorkerTemplate {
                    worker_template: PodTemplateSpec {
                        spec: Some(k8s_openapi::api::core::v1::PodSpec {
                            containers: vec![k8s_openapi::api::core::v1::Container {
                                name: "w".into(),
                                image: Some("busybox".into()),
                                ..Default::default()
                            }],
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                    ..Default::default()
                },
                ..Default::default()
            },
        );
        let v = serde_json::to_value(&minimal).unwrap();
        assert_no_null_or_empty(&v);
        for empty in [
            serde_json::to_value(RollingUpdateConfiguration::default()).unwrap(),
            serde_json::to_value(SubGroupPolicy::default()).unwrap(),
            serde_json::to_value(LeaderWorkerSetStatus::default()).unwrap(),
        ] {
            assert_eq!(empty, serde_json::json!({}));
        }
    }

    #[test]
    fn unknown_fields_and_values_are_tolerated() {
        let lws: LeaderWorkerSet = serde_json::from_value(serde_json::json!({
            "apiVersion": "leaderworkerset.x-k8s.io/v1",
            "kind": "LeaderWorkerSet",
            "metadata": {"name": "l"},
            "spec": {
                "startupPolicy": "LeaderScheduled",
                "leaderWorkerTemplate": {"workerTemplate": {}, "futureKnob": true}
            }
        }))
        .unwrap();
        assert_eq!(
            lws.spec.startup_policy,
            Some(StartupPolicy::Other("LeaderScheduled".into()))
        );
    }
}
