//! Multi-node NIMService (contract §3.3): LeaderWorkerSet `<name>-lws`, the MPI ConfigMaps
//! `<name>-mpi-config` / `<name>-mpi-start-script` and Secret `<name>-ssh-pk` (MPI mode), the Ray
//! variant (`multiNode.ray`), and the DRA/ComputeDomain claims of both pod templates.
//!
//! Active when `spec.multiNode.parallelism.pipeline > 1` (see
//! [`NIMServiceSpec::is_multi_node`](nim_types::NIMServiceSpec::is_multi_node)); the Service
//! (`app: <name>-lws, nim-llm-role: leader`) is rendered by [`super::service::service`].
//!
//! Deviations from NVIDIA's `manifests/lws.yaml`, on purpose:
//!
//! * **GPU-product affinity.** NVIDIA's LWS template renders no `affinity` at all. When the
//!   planner narrowed the eligible GPUs (`RenderContext::allowed_gpu_products` non-empty), both
//!   pod templates get the required node affinity `nvidia.com/gpu.product In <products>`
//!   ANDed into `spec.affinity` (see
//!   [`merge_gpu_product_affinity`](super::deployment::merge_gpu_product_affinity)): binding
//!   pods to the GPUs the plan was made for is this product's promise, and the placement that
//!   chose them honoured `spec.affinity`. With no allowed products nothing is rendered, as
//!   NVIDIA does.
//! * **No nulls.** NVIDIA's template writes `subPath:`/`readOnly:` on every mount and empty
//!   `initContainers:`; they are omitted here when empty.
//! * **SSH key.** NVIDIA generates a fresh RSA-2048 key once. The planner has no randomness:
//!   the Secret is rendered only when the caller supplies the PEM in
//!   `RenderContext::mpi_ssh_private_key` ([`ssh_secret`] returns `None` otherwise).
//! * **Start script.** The ConfigMap `<name>-mpi-start-script` has NVIDIA's name, key, mode
//!   and mount; its script is this planner's own (see [`START_MPI_SCRIPT`]), not a copy of
//!   NVIDIA's text.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvVar,
    EnvVarSource, ExecAction, ObjectFieldSelector, PodSpec, PodTemplateSpec, Probe, Secret,
    SecretVolumeSource, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use nim_types::NIMService;
use nim_types::external::{
    LWS_GROUP_INDEX_LABEL, LWS_LEADER_NAME_ANNOTATION, LWS_NAME_LABEL, LWS_SIZE_ANNOTATION,
    LWS_WORKER_INDEX_LABEL, LeaderWorkerRestartPolicy, LeaderWorkerSet, LeaderWorkerSetSpec,
    LeaderWorkerTemplate, NetworkConfig, RollingUpdateConfiguration, RolloutStrategy,
    StartupPolicy, SubdomainPolicy,
};

use super::computedomain::channel_claim_template;
use super::deployment::{
    default_liveness_probe, default_readiness_probe, default_startup_probe, effective_probe,
    main_env, merge_gpu_product_affinity, model_store_mounts, model_store_volume, mount, resources,
    sanitize_tolerations, shm_volume,
};
use super::dra::{apply_claims, named_dra_resources};
use super::labels::{
    APP_LABEL, NIMSERVICE_KIND, merge_env, name_of, namespace_of, non_empty, non_empty_str,
    non_empty_vec, owned_meta, pod_annotations, service_annotations, service_labels,
};
use super::service::named_ports;
use super::{RenderContext, RenderError};

/// Pod label marking the leader (`nim-llm-role: leader`), part of the Service selector.
///
/// ```
/// assert_eq!(nim_planner::render::leaderworkerset::ROLE_LABEL, "nim-llm-role");
/// ```
pub const ROLE_LABEL: &str = "nim-llm-role";
/// Container name of the leader.
///
/// ```
/// assert_eq!(nim_planner::render::leaderworkerset::LEADER_CONTAINER, "nim-leader");
/// ```
pub const LEADER_CONTAINER: &str = "nim-leader";
/// Container name of the workers.
///
/// ```
/// assert_eq!(nim_planner::render::leaderworkerset::WORKER_CONTAINER, "nim-worker");
/// ```
pub const WORKER_CONTAINER: &str = "nim-worker";
/// Key of the start script in `<name>-mpi-start-script`.
///
/// ```
/// assert_eq!(nim_planner::render::leaderworkerset::START_MPI_SCRIPT_KEY, "start-mpi-cluster.sh");
/// ```
pub const START_MPI_SCRIPT_KEY: &str = "start-mpi-cluster.sh";
/// Key of the private key in `<name>-ssh-pk`.
///
/// ```
/// assert_eq!(nim_planner::render::leaderworkerset::SSH_PRIVATE_KEY_KEY, "private.key");
/// ```
pub const SSH_PRIVATE_KEY_KEY: &str = "private.key";
/// Default `mpi.mpiStartTimeout` (seconds).
///
/// ```
/// assert_eq!(nim_planner::render::leaderworkerset::DEFAULT_MPI_START_TIMEOUT, 300);
/// ```
pub const DEFAULT_MPI_START_TIMEOUT: i64 = 300;

/// The start script shipped in `<name>-mpi-start-script` and mounted at
/// `/opt/nim/start-mpi-cluster.sh` (mode 0555). On the leader it waits (up to
/// `CLUSTER_START_TIMEOUT`) until every worker of its group answers over SSH, then runs the
/// NIM's OpenAI server through `mpirun` with the group's hostfile (`/etc/mpi/hostfile-$GROUP_INDEX`);
/// on a worker it prepares the SSH configuration and runs `sshd` in the foreground.
/// `NIM_JSONL_LOGGING=1` pipes the server's output through the NIM log packer when present.
///
/// ```
/// assert!(nim_planner::render::leaderworkerset::START_MPI_SCRIPT.contains("/etc/mpi/hostfile-"));
/// ```
pub const START_MPI_SCRIPT: &str = r#"#!/bin/bash
# Multi-node NIM start script (rendered by nim-planner; mounted at /opt/nim/start-mpi-cluster.sh).
set -euo pipefail

SSH_DIR=/opt/nim/llm/.ssh
mkdir -p "${SSH_DIR}"
cp /opt/nim/llm/pk/private.key "${SSH_DIR}/id_rsa"
chmod 600 "${SSH_DIR}/id_rsa"
ssh-keygen -y -f "${SSH_DIR}/id_rsa" > "${SSH_DIR}/authorized_keys"
cat > "${SSH_DIR}/config" <<EOF
Host *
    IdentityFile ${SSH_DIR}/id_rsa
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    Port 2222
EOF

if [ "${NIM_LEADER_ROLE:-0}" != "1" ]; then
    # Worker: serve SSH for the leader's mpirun.
    mkdir -p /ssh-confs
    ssh-keygen -q -t rsa -N '' -f /ssh-confs/ssh_host_rsa_key <<< y >/dev/null
    exec /usr/sbin/sshd -D -p 2222 -h /ssh-confs/ssh_host_rsa_key \
        -o AuthorizedKeysFile="${SSH_DIR}/authorized_keys" -o PidFile=/ssh-confs/sshd.pid
fi

HOSTFILE="/etc/mpi/hostfile-${GROUP_INDEX:-0}"
deadline=$(( $(date +%s) + ${CLUSTER_START_TIMEOUT:-300} ))
for host in $(awk 'NR > 1 {print $1}' "${HOSTFILE}"); do
    until ssh -o ConnectTimeout=5 "${host}" true 2>/dev/null; do
        if [ "$(date +%s)" -ge "${deadline}" ]; then
            echo "worker ${host} did not become reachable within ${CLUSTER_START_TIMEOUT:-300}s" >&2
            exit 1
        fi
        sleep 5
    done
done

NP=$(( ${CLUSTER_SIZE:-1} * ${GPUS_PER_NODE:-1} ))
CMD=(mpirun --hostfile "${HOSTFILE}" -n "${NP}" --bind-to none --map-by slot
     -x NIM_NODE_RANK -x NIM_MULTI_NODE -x NIM_TENSOR_PARALLEL_SIZE -x NIM_PIPELINE_PARALLEL_SIZE
     -x NIM_NUM_COMPUTE_NODES -x NIM_CACHE_PATH -x NGC_API_KEY
     python3 -m vllm_nvext.entrypoints.openai.api_server)
if [ "${NIM_JSONL_LOGGING:-0}" = "1" ] && command -v nim_log_packer >/dev/null 2>&1; then
    "${CMD[@]}" 2>&1 | nim_log_packer
else
    exec "${CMD[@]}"
fi
"#;

fn value_env(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: Some(value.into()),
        value_from: None,
    }
}

fn field_env(name: &str, path: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: None,
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                api_version: None,
                field_path: path.to_string(),
            }),
            ..Default::default()
        }),
    }
}

fn parallelism(svc: &NIMService) -> (u32, u32) {
    svc.spec.multi_node.as_ref().map_or((1, 1), |m| {
        (m.parallelism.pods_per_group(), m.parallelism.gpus_per_pod())
    })
}

fn is_ray(svc: &NIMService) -> bool {
    svc.spec
        .multi_node
        .as_ref()
        .is_some_and(|m| m.ray.is_some())
}

fn ray_port(svc: &NIMService) -> Option<i32> {
    svc.spec
        .multi_node
        .as_ref()
        .and_then(|m| m.ray.as_ref())
        .map(|r| r.ray_port)
}

/// The LWS name: `<name>-lws`.
///
/// ```
/// assert_eq!(nim_planner::render::leaderworkerset::lws_name("ds"), "ds-lws");
/// ```
pub fn lws_name(name: &str) -> String {
    format!("{name}-lws")
}

/// The multi-node environment of the leader (`leader = true`) or a worker, before the main
/// container's environment is merged over it (the standard and user env win on clashes):
/// `NIM_MPI_ALLOW_RUN_AS_ROOT=0`, `NIM_NUM_COMPUTE_NODES`, `NIM_MULTI_NODE=1`,
/// `NIM_TENSOR_PARALLEL_SIZE`, `NIM_PIPELINE_PARALLEL_SIZE`, `NIM_NODE_RANK` (worker-index
/// label), then leader-only `NIM_LEADER_ROLE=1`, `OMPI_MCA_orte_keep_fqdn_hostnames`,
/// `OMPI_MCA_plm_rsh_args`, `GPUS_PER_NODE`, `CLUSTER_START_TIMEOUT`, `CLUSTER_SIZE` (size
/// annotation), `GROUP_INDEX` (group-index label), or worker-only `NIM_LEADER_ROLE=0`,
/// `LEADER_NAME`, `NAMESPACE`, `LWS_NAME`.
///
/// ```
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "ds"},
///     "spec": {"image": {"repository": "r", "tag": "1"},
///              "multiNode": {"parallelism": {"pipeline": 2, "tensor": 8}, "mpi": {"mpiStartTimeout": 6000}}}
/// })).unwrap();
/// let env = nim_planner::render::leaderworkerset::multi_node_env(&svc, true);
/// let get = |n: &str| env.iter().find(|e| e.name == n).unwrap().value.clone();
/// assert_eq!(get("CLUSTER_START_TIMEOUT").as_deref(), Some("6000"));
/// assert_eq!(get("GPUS_PER_NODE").as_deref(), Some("8"));
/// ```
pub fn multi_node_env(svc: &NIMService, leader: bool) -> Vec<EnvVar> {
    let (pipeline, tensor) = parallelism(svc);
    let label = |k: &str| format!("metadata.labels['{k}']");
    let annotation = |k: &str| format!("metadata.annotations['{k}']");
    let mut env = vec![
        value_env("NIM_MPI_ALLOW_RUN_AS_ROOT", "0"),
        value_env("NIM_NUM_COMPUTE_NODES", pipeline.to_string()),
        value_env("NIM_MULTI_NODE", "1"),
        value_env("NIM_TENSOR_PARALLEL_SIZE", tensor.to_string()),
        value_env("NIM_PIPELINE_PARALLEL_SIZE", pipeline.to_string()),
        field_env("NIM_NODE_RANK", &label(LWS_WORKER_INDEX_LABEL)),
    ];
    if leader {
        let timeout = svc
            .spec
            .multi_node
            .as_ref()
            .and_then(|m| m.mpi.as_ref())
            .map_or(DEFAULT_MPI_START_TIMEOUT, |m| m.mpi_start_timeout);
        env.extend([
            value_env("NIM_LEADER_ROLE", "1"),
            value_env("OMPI_MCA_orte_keep_fqdn_hostnames", "true"),
            value_env("OMPI_MCA_plm_rsh_args", "-o ConnectionAttempts=20"),
            value_env("GPUS_PER_NODE", tensor.to_string()),
            value_env("CLUSTER_START_TIMEOUT", timeout.to_string()),
            field_env("CLUSTER_SIZE", &annotation(LWS_SIZE_ANNOTATION)),
            field_env("GROUP_INDEX", &label(LWS_GROUP_INDEX_LABEL)),
        ]);
    } else {
        env.extend([
            value_env("NIM_LEADER_ROLE", "0"),
            field_env("LEADER_NAME", &annotation(LWS_LEADER_NAME_ANNOTATION)),
            field_env("NAMESPACE", "metadata.namespace"),
            field_env("LWS_NAME", &label(LWS_NAME_LABEL)),
        ]);
    }
    env
}

/// ConfigMap `<name>-mpi-config` (MPI mode only): one key `hostfile-<i>` per LWS replica `i`
/// (`spec.replicas`, default 1) listing `localhost slots=<tensor>` and then
/// `<name>-lws-<i>-<j>.<name>-lws.<ns>.svc slots=<tensor>` for every worker `j` of the group.
///
/// ```
/// use nim_planner::render::{RenderContext, leaderworkerset::mpi_config_map};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "ds", "namespace": "nim"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "replicas": 1,
///              "multiNode": {"parallelism": {"pipeline": 2, "tensor": 8}}}
/// })).unwrap();
/// let cm = mpi_config_map(&svc, &RenderContext::default()).unwrap();
/// assert_eq!(cm.data.unwrap()["hostfile-0"], "localhost slots=8\nds-lws-0-1.ds-lws.nim.svc slots=8\n");
/// ```
pub fn mpi_config_map(svc: &NIMService, ctx: &RenderContext) -> Option<ConfigMap> {
    if !svc.spec.is_multi_node() || is_ray(svc) {
        return None;
    }
    let name = name_of(&svc.metadata);
    let ns = namespace_of(&svc.metadata);
    let lws = lws_name(&name);
    let (pipeline, tensor) = parallelism(svc);
    let replicas = svc.spec.replicas.unwrap_or(1).max(0);
    let data: BTreeMap<String, String> = (0..replicas)
        .map(|i| {
            let mut hosts = format!("localhost slots={tensor}\n");
            for j in 1..pipeline {
                hosts.push_str(&format!("{lws}-{i}-{j}.{lws}.{ns}.svc slots={tensor}\n"));
            }
            (format!("hostfile-{i}"), hosts)
        })
        .collect();
    Some(ConfigMap {
        metadata: owned_meta(
            &svc.metadata,
            NIMSERVICE_KIND,
            &format!("{name}-mpi-config"),
            service_labels(svc, ctx),
            service_annotations(svc, ctx),
        ),
        data: non_empty(data),
        ..Default::default()
    })
}

/// ConfigMap `<name>-mpi-start-script` (MPI mode only) with key `start-mpi-cluster.sh`
/// ([`START_MPI_SCRIPT`]).
///
/// ```
/// use nim_planner::render::{RenderContext, leaderworkerset::mpi_start_script_config_map};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "ds"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "multiNode": {"parallelism": {"pipeline": 2}}}
/// })).unwrap();
/// let cm = mpi_start_script_config_map(&svc, &RenderContext::default()).unwrap();
/// assert!(cm.data.unwrap()["start-mpi-cluster.sh"].starts_with("#!/bin/bash"));
/// ```
pub fn mpi_start_script_config_map(svc: &NIMService, ctx: &RenderContext) -> Option<ConfigMap> {
    if !svc.spec.is_multi_node() || is_ray(svc) {
        return None;
    }
    let name = name_of(&svc.metadata);
    Some(ConfigMap {
        metadata: owned_meta(
            &svc.metadata,
            NIMSERVICE_KIND,
            &format!("{name}-mpi-start-script"),
            service_labels(svc, ctx),
            service_annotations(svc, ctx),
        ),
        data: Some(BTreeMap::from([(
            START_MPI_SCRIPT_KEY.to_string(),
            START_MPI_SCRIPT.to_string(),
        )])),
        ..Default::default()
    })
}

/// Secret `<name>-ssh-pk` (MPI mode) with key `private.key` = `ctx.mpi_ssh_private_key`
/// (as `stringData`). `None` when no key was supplied: NVIDIA generates a random RSA-2048 key
/// once, which a pure planner cannot do.
///
/// ```
/// use nim_planner::render::{RenderContext, leaderworkerset::ssh_secret};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "ds"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "multiNode": {"parallelism": {"pipeline": 2}}}
/// })).unwrap();
/// assert!(ssh_secret(&svc, &RenderContext::default()).is_none());
/// let ctx = RenderContext { mpi_ssh_private_key: Some("-----BEGIN RSA PRIVATE KEY-----\n…".into()), ..Default::default() };
/// assert_eq!(ssh_secret(&svc, &ctx).unwrap().metadata.name.as_deref(), Some("ds-ssh-pk"));
/// ```
pub fn ssh_secret(svc: &NIMService, ctx: &RenderContext) -> Option<Secret> {
    if !svc.spec.is_multi_node() || is_ray(svc) {
        return None;
    }
    let key = ctx.mpi_ssh_private_key.clone().filter(|k| !k.is_empty())?;
    let name = name_of(&svc.metadata);
    Some(Secret {
        metadata: owned_meta(
            &svc.metadata,
            NIMSERVICE_KIND,
            &format!("{name}-ssh-pk"),
            service_labels(svc, ctx),
            service_annotations(svc, ctx),
        ),
        string_data: Some(BTreeMap::from([(SSH_PRIVATE_KEY_KEY.to_string(), key)])),
        type_: Some("Opaque".to_string()),
        ..Default::default()
    })
}

fn config_map_volume(name: &str, config_map: String) -> Volume {
    Volume {
        name: name.to_string(),
        config_map: Some(ConfigMapVolumeSource {
            name: config_map,
            default_mode: Some(0o555),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn empty_dir(name: &str) -> Volume {
    Volume {
        name: name.to_string(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Default::default()
    }
}

/// The LeaderWorkerSet `<name>-lws` (leaderworkerset.x-k8s.io/v1) of a multi-node NIMService.
///
/// * `replicas = spec.replicas`, `size = pipeline`, `restartPolicy: RecreateGroupOnPodRestart`,
///   `startupPolicy: LeaderCreated`, `networkConfig.subdomainPolicy: Shared`, rollout
///   RollingUpdate `maxSurge 0, maxUnavailable 1`; common labels/annotations, owned by the
///   NIMService.
/// * Leader pod labels: common labels + `app: <name>-lws`, `nim-llm-role: leader` (selector keys
///   win); worker pods get no labels of ours (LWS adds its own). Both get the pod annotations.
/// * Containers `nim-leader` / `nim-worker`: image, env ([`multi_node_env`] under the main
///   container env), ports `api` (+`grpc`, `metrics`, `ray`), resources (`nvidia.com/gpu` =
///   `parallelism.tensor` unless the user set it or uses DRA), mounts; no `command` or
///   `imagePullPolicy`; `args` only in Ray mode. Probes on the leader (user's, disabled or
///   defaults); Ray workers get the `ray status` startup probe.
/// * Pods: nodeSelector, tolerations (no `tolerationSeconds`), imagePullSecrets, security
///   context (runAsUser 1000 / runAsGroup = fsGroup 2000, + RuntimeDefault seccomp on TKGS),
///   priorityClassName, init containers and sidecars, `resourceClaims` (DRA + ComputeDomain
///   channel) with the containers' `resources.claims`; `schedulerName` on the leader only; no
///   serviceAccountName or runtimeClassName; the GPU-product affinity (module docs).
/// * MPI volumes: `mpi-config` (leader, `/etc/mpi`), `ssh-confs` (worker, `/ssh-confs`),
///   `ssh-dotfiles` (`/opt/nim/llm/.ssh`), `ssh-pk` (Secret, mode 0400, `/opt/nim/llm/pk`),
///   `start-mpi-script` (mode 0555, `/opt/nim/start-mpi-cluster.sh`).
///
/// Errors: not multi-node ([`RenderError::Unsupported`]), unresolved NIMCache or
/// ComputeDomain, invalid DRA selectors, no model store.
///
/// ```
/// use nim_planner::render::{RenderContext, leaderworkerset::leader_worker_set};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "ds", "namespace": "nim"},
///     "spec": {"image": {"repository": "nvcr.io/nim/deepseek-ai/deepseek-r1", "tag": "1.7.3"}, "replicas": 1,
///              "storage": {"pvc": {"name": "models"}},
///              "multiNode": {"parallelism": {"pipeline": 2, "tensor": 8}}}
/// })).unwrap();
/// let lws = leader_worker_set(&svc, &RenderContext::default()).unwrap();
/// assert_eq!(lws.metadata.name.as_deref(), Some("ds-lws"));
/// let t = &lws.spec.leader_worker_template;
/// assert_eq!(t.size, Some(2));
/// let worker = t.worker_template.spec.as_ref().unwrap();
/// assert_eq!(worker.containers[0].resources.as_ref().unwrap().limits.as_ref().unwrap()["nvidia.com/gpu"].0, "8");
/// ```
pub fn leader_worker_set(
    svc: &NIMService,
    ctx: &RenderContext,
) -> Result<LeaderWorkerSet, RenderError> {
    let spec = &svc.spec;
    if !spec.is_multi_node() {
        return Err(RenderError::Unsupported(
            "LeaderWorkerSet needs multiNode.parallelism.pipeline > 1",
        ));
    }
    let name = name_of(&svc.metadata);
    let lws = lws_name(&name);
    let (pipeline, tensor) = parallelism(svc);
    let ray = ray_port(svc);
    let mpi = ray.is_none();

    // Claims: DRA resources, then the ComputeDomain channel.
    let cd_template = channel_claim_template(svc, ctx)?;
    for r in &spec.dra_resources {
        if let Some(cs) = &r.claim_creation_spec {
            for d in &cs.devices {
                super::dra::device_cel_expressions(d)?;
            }
        }
    }
    let claims = named_dra_resources(svc, cd_template.as_deref());

    // Shared volumes and mounts (model store, /dev/shm, scratch, CA certificates).
    let (model_store, sub_path) = model_store_volume(svc, ctx)?;
    let native =
        spec.nim_cache_name().is_some() && ctx.nim_cache.as_ref().is_some_and(|c| c.native);
    let mut volumes = vec![shm_volume(svc), model_store];
    let mut mounts = model_store_mounts(native, sub_path);
    mounts.push(mount("dshm", "/dev/shm", None));
    if !spec.init_containers.is_empty() || !spec.sidecar_containers.is_empty() {
        volumes.push(empty_dir("scratch"));
        mounts.push(mount("scratch", "/scratch", None));
    }
    let ca = spec
        .proxy
        .as_ref()
        .and_then(|p| non_empty_str(p.cert_config_map.as_ref()));
    if let Some(cm) = &ca {
        volumes.push(empty_dir("ca-cert-volume"));
        volumes.push(Volume {
            name: "custom-ca".to_string(),
            config_map: Some(ConfigMapVolumeSource {
                name: cm.clone(),
                ..Default::default()
            }),
            ..Default::default()
        });
        mounts.push(mount("ca-cert-volume", "/etc/ssl", None));
    }
    let (mut leader_volumes, mut worker_volumes) = (volumes.clone(), volumes);
    let (mut leader_mounts, mut worker_mounts) = (mounts.clone(), mounts.clone());
    if mpi {
        let ssh_pk = Volume {
            name: "ssh-pk".to_string(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(format!("{name}-ssh-pk")),
                default_mode: Some(0o400),
                ..Default::default()
            }),
            ..Default::default()
        };
        let script = config_map_volume("start-mpi-script", format!("{name}-mpi-start-script"));
        leader_volumes.extend([
            config_map_volume("mpi-config", format!("{name}-mpi-config")),
            empty_dir("ssh-dotfiles"),
            ssh_pk.clone(),
            script.clone(),
        ]);
        worker_volumes.extend([
            empty_dir("ssh-confs"),
            empty_dir("ssh-dotfiles"),
            ssh_pk,
            script,
        ]);
        let tail = [
            mount("ssh-dotfiles", "/opt/nim/llm/.ssh", None),
            mount("ssh-pk", "/opt/nim/llm/pk", None),
            mount(
                "start-mpi-script",
                "/opt/nim/start-mpi-cluster.sh",
                Some(START_MPI_SCRIPT_KEY.to_string()),
            ),
        ];
        leader_mounts.push(mount("mpi-config", "/etc/mpi", None));
        leader_mounts.extend(tail.iter().cloned());
        worker_mounts.push(mount("ssh-confs", "/ssh-confs", None));
        worker_mounts.extend(tail);
    }

    // Containers.
    let main = main_env(svc, ctx);
    let leader_env = merge_env(&multi_node_env(svc, true), &main);
    let worker_env = merge_env(&multi_node_env(svc, false), &main);
    let mut ports: Vec<ContainerPort> = named_ports(svc)
        .into_iter()
        .map(|(port_name, port)| ContainerPort {
            name: Some(port_name.to_string()),
            container_port: port,
            protocol: Some("TCP".to_string()),
            ..Default::default()
        })
        .collect();
    if let Some(p) = ray {
        ports.push(ContainerPort {
            name: Some("ray".to_string()),
            container_port: p,
            protocol: Some("TCP".to_string()),
            ..Default::default()
        });
    }
    let gpu_ctx = RenderContext {
        gpus_per_pod: ctx.gpus_per_pod.or(Some(tensor)),
        ..ctx.clone()
    };
    let res = resources(svc, &gpu_ctx);
    let image = spec.image.reference();
    let split = |s: String| s.split(' ').map(str::to_string).collect::<Vec<_>>();
    let leader = Container {
        name: LEADER_CONTAINER.to_string(),
        image: Some(image.clone()),
        args: ray.map(|p| split(format!("nim-serve-ray --head --port {p}"))),
        env: non_empty_vec(leader_env.clone()),
        ports: Some(ports.clone()),
        resources: res.clone(),
        liveness_probe: effective_probe(spec.liveness_probe.as_ref(), default_liveness_probe),
        readiness_probe: effective_probe(spec.readiness_probe.as_ref(), default_readiness_probe),
        startup_probe: effective_probe(spec.startup_probe.as_ref(), default_startup_probe),
        volume_mounts: Some(leader_mounts.clone()),
        ..Default::default()
    };
    let worker = Container {
        name: WORKER_CONTAINER.to_string(),
        image: Some(image.clone()),
        args: ray.map(|p| {
            split(format!(
                "nim-serve-ray --head-address $(LWS_LEADER_ADDRESS):{p}"
            ))
        }),
        env: non_empty_vec(worker_env.clone()),
        ports: Some(ports),
        resources: res,
        startup_probe: ray.map(|_| Probe {
            exec: Some(ExecAction {
                command: Some(vec![
                    "/bin/sh".to_string(),
                    "-c".to_string(),
                    "ray status".to_string(),
                ]),
            }),
            initial_delay_seconds: Some(30),
            timeout_seconds: Some(5),
            period_seconds: Some(10),
            failure_threshold: Some(3),
            ..Default::default()
        }),
        volume_mounts: Some(worker_mounts.clone()),
        ..Default::default()
    };
    let pull_policy = non_empty_str(spec.image.pull_policy.as_ref());
    let extra = |c: &nim_types::NIMContainerSpec, env: &[EnvVar], m: &[VolumeMount]| Container {
        name: c.name.clone(),
        image: Some(c.image.reference()),
        image_pull_policy: non_empty_str(c.image.pull_policy.as_ref()).or(pull_policy.clone()),
        command: non_empty_vec(c.command.clone()),
        args: non_empty_vec(c.args.clone()),
        working_dir: non_empty_str(c.working_dir.as_ref()),
        env: non_empty_vec(merge_env(env, &c.env)),
        volume_mounts: non_empty_vec(m.to_vec()),
        ..Default::default()
    };

    let pod = |main: Container,
               env: &[EnvVar],
               m: &[VolumeMount],
               vols: Vec<Volume>,
               leader: bool| {
        let mut containers = vec![main];
        containers.extend(spec.sidecar_containers.iter().map(|c| extra(c, env, m)));
        let mut init: Vec<Container> = Vec::new();
        if ca.is_some() {
            init.push(Container {
                name: "update-ca-certificates".to_string(),
                image: Some(image.clone()),
                image_pull_policy: pull_policy.clone(),
                command: Some(vec!["/bin/sh".to_string(), "-c".to_string()]),
                args: Some(vec![
                    "cp /custom/*.crt /custom/*.pem /usr/local/share/ca-certificates/ 2>/dev/null || true; update-ca-certificates && cp -r /etc/ssl/* /ca-certs/".to_string(),
                ]),
                security_context: Some(k8s_openapi::api::core::v1::SecurityContext {
                    run_as_user: Some(0),
                    ..Default::default()
                }),
                volume_mounts: Some(vec![
                    mount("ca-cert-volume", "/ca-certs", None),
                    mount("custom-ca", "/custom", None),
                ]),
                ..Default::default()
            });
        }
        init.extend(spec.init_containers.iter().map(|c| extra(c, env, m)));
        let mut p = PodSpec {
            scheduler_name: if leader {
                non_empty_str(spec.scheduler_name.as_ref())
            } else {
                None
            },
            priority_class_name: non_empty_str(spec.priority_class_name.as_ref()),
            affinity: if ctx.allowed_gpu_products.is_empty() {
                None
            } else {
                merge_gpu_product_affinity(spec.affinity.as_ref(), &ctx.allowed_gpu_products)
            },
            node_selector: non_empty(spec.node_selector.clone()),
            tolerations: non_empty_vec(sanitize_tolerations(&spec.tolerations)),
            image_pull_secrets: super::deployment::image_pull_secrets(svc),
            security_context: Some(super::deployment::pod_security_context(svc, ctx)),
            init_containers: non_empty_vec(init),
            containers,
            volumes: Some(vols),
            ..Default::default()
        };
        apply_claims(&mut p, &claims);
        p
    };

    let mut leader_labels = service_labels(svc, ctx);
    leader_labels.insert(APP_LABEL.to_string(), lws.clone());
    leader_labels.insert(ROLE_LABEL.to_string(), "leader".to_string());
    let annotations = non_empty(pod_annotations(svc));

    Ok(LeaderWorkerSet {
        metadata: owned_meta(
            &svc.metadata,
            NIMSERVICE_KIND,
            &lws,
            service_labels(svc, ctx),
            service_annotations(svc, ctx),
        ),
        spec: LeaderWorkerSetSpec {
            replicas: spec.replicas,
            leader_worker_template: LeaderWorkerTemplate {
                leader_template: Some(PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(leader_labels),
                        annotations: annotations.clone(),
                        ..Default::default()
                    }),
                    spec: Some(pod(
                        leader,
                        &leader_env,
                        &leader_mounts,
                        leader_volumes,
                        true,
                    )),
                }),
                worker_template: PodTemplateSpec {
                    metadata: annotations.map(|a| ObjectMeta {
                        annotations: Some(a),
                        ..Default::default()
                    }),
                    spec: Some(pod(
                        worker,
                        &worker_env,
                        &worker_mounts,
                        worker_volumes,
                        false,
                    )),
                },
                size: Some(i32::try_from(pipeline).unwrap_or(i32::MAX)),
                restart_policy: Some(LeaderWorkerRestartPolicy::RecreateGroupOnPodRestart),
                ..Default::default()
            },
            rollout_strategy: Some(RolloutStrategy {
                rolling_update_configuration: Some(RollingUpdateConfiguration {
                    max_surge: Some(IntOrString::Int(0)),
                    max_unavailable: Some(IntOrString::Int(1)),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            startup_policy: Some(StartupPolicy::LeaderCreated),
            network_config: Some(NetworkConfig {
                subdomain_policy: SubdomainPolicy::Shared,
            }),
        },
        status: None,
    })
}
