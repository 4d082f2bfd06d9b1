//! NIMBuild's engine-build Pod `<nimbuild>-engine-build-pod` (contract §3.6 steps 2–3).
//!
//! The input profile comes from the NIMCache's `status.profiles` (those with config
//! `trtllm_buildable: "true"`): `spec.nimCache.profile` must name one of them, otherwise exactly
//! one must exist ([`buildable_profile`]). The Pod is what NVIDIA creates once the NIMCache is
//! Ready; the manifest pod of step 5 and the status updates are the operator's business.
//!
//! Not rendered: the OpenShift-only `openshift.io/scc: nonroot` annotation (the planner does
//! not detect OpenShift).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, EnvVarSource, HTTPGetAction, LocalObjectReference,
    PersistentVolumeClaimVolumeSource, Pod, PodSecurityContext, PodSpec, Probe,
    ResourceRequirements, SecretKeySelector, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use nim_types::{GPU_RESOURCE, NIMBuild, NIMCache, NIMProfile};

use super::deployment::{
    DEFAULT_GROUP_ID, DEFAULT_USER_ID, MODEL_STORE_PATH, default_liveness_probe,
    default_readiness_probe, sanitize_tolerations,
};
use super::labels::{
    APP_LABEL, MANAGED_BY, MANAGED_BY_LABEL, NAME_LABEL, merge_env, merge_maps, name_of, non_empty,
    non_empty_str, non_empty_vec, owned_meta,
};
use super::{CacheInfo, RenderContext, RenderError};

/// Kind of the NIMBuild custom resource.
///
/// ```
/// assert_eq!(nim_planner::render::nimbuild::NIMBUILD_KIND, "NIMBuild");
/// ```
pub const NIMBUILD_KIND: &str = "NIMBuild";
/// Container name of the build pod.
///
/// ```
/// assert_eq!(nim_planner::render::nimbuild::BUILD_CONTAINER, "nim-build-ctr");
/// ```
pub const BUILD_CONTAINER: &str = "nim-build-ctr";
/// Profile config key marking a buildable profile.
///
/// ```
/// assert_eq!(nim_planner::render::nimbuild::BUILDABLE_TAG, "trtllm_buildable");
/// ```
pub const BUILDABLE_TAG: &str = "trtllm_buildable";
/// The build pod's API port.
///
/// ```
/// assert_eq!(nim_planner::render::nimbuild::BUILD_PORT, 8000);
/// ```
pub const BUILD_PORT: i32 = 8000;

/// Name of the engine-build Pod: `<nimbuild>-engine-build-pod`.
///
/// ```
/// assert_eq!(nim_planner::render::nimbuild::build_pod_name("llama"), "llama-engine-build-pod");
/// ```
pub fn build_pod_name(build: &str) -> String {
    format!("{build}-engine-build-pod")
}

/// The input profile of a build (NVIDIA's step 2): among the NIMCache's `status.profiles` with
/// `trtllm_buildable == "true"`, the one named by `spec.nimCache.profile`, else the only one.
/// Errors carry NVIDIA's condition type ([`RenderError::NoBuildableProfile`]).
///
/// ```
/// use nim_planner::render::nimbuild::buildable_profile;
/// let build: nim_types::NIMBuild = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMBuild", "metadata": {"name": "b"},
///     "spec": {"nimCache": {"name": "c"}, "image": {"repository": "r", "tag": "1"}}
/// })).unwrap();
/// let cache: nim_types::NIMCache = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache", "metadata": {"name": "c"},
///     "spec": {"source": {"ngc": {"authSecret": "s", "modelPuller": "img"}}, "storage": {}},
///     "status": {"state": "Ready", "profiles": [{"name": "p1", "config": {"trtllm_buildable": "true", "tp": "2"}}]}
/// })).unwrap();
/// assert_eq!(buildable_profile(&build, &cache).unwrap().name, "p1");
/// ```
pub fn buildable_profile(build: &NIMBuild, cache: &NIMCache) -> Result<NIMProfile, RenderError> {
    let cache_name = name_of(&cache.metadata);
    let buildable: Vec<&NIMProfile> = cache
        .status
        .as_ref()
        .map(|s| s.profiles.iter())
        .into_iter()
        .flatten()
        .filter(|p| p.config.get(BUILDABLE_TAG).map(String::as_str) == Some("true"))
        .collect();
    let err = |condition: &str, reason: String| RenderError::NoBuildableProfile {
        condition: condition.to_string(),
        reason,
    };
    if let Some(wanted) = build
        .spec
        .nim_cache
        .profile
        .as_deref()
        .filter(|p| !p.is_empty())
    {
        return buildable
            .into_iter()
            .find(|p| p.name == wanted)
            .cloned()
            .ok_or_else(|| {
                err(
                    "NIM_BUILD_NO_BUILDABLE_PROFILE_FOUND",
                    format!("profile {wanted} is not a buildable profile of NIMCache {cache_name}"),
                )
            });
    }
    match buildable.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(err(
            "NIM_BUILD_NO_BUILDABLE_PROFILE_FOUND",
            format!("no buildable profile found in NIMCache {cache_name}"),
        )),
        many => Err(err(
            "NIM_BUILD_MULTIPLE_BUILDABLE_PROFILES_FOUND",
            format!(
                "multiple buildable profiles found in NIMCache {cache_name} ({}); set spec.nimCache.profile",
                many.iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

fn value_env(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: Some(value.into()),
        value_from: None,
    }
}

/// The engine-build Pod `<nimbuild>-engine-build-pod`.
///
/// * Labels `app=k8s-nim-operator`, `app.kubernetes.io/name=<nimbuild>`, managed-by, then
///   `spec.labels` (operator keys win); annotation `sidecar.istio.io/inject: "false"`, then
///   `spec.annotations`; owned by the NIMBuild.
/// * `restartPolicy: Never`; security context from the **NIMCache** (`runAsUser` = its
///   `userID` (1000), `runAsGroup`/`fsGroup` = its `groupID` (2000)) and its
///   runtimeClassName; nodeSelector/tolerations from the NIMBuild; imagePullSecrets from the
///   NIMBuild image.
/// * Volume `nim-cache-volume` = the NIMCache PVC, mounted at `/model-store` with the cache's
///   subPath.
/// * Container `nim-build-ctr`: NIMBuild image; env `NIM_CACHE_PATH`, `NIM_SERVER_PORT=8000`,
///   `NIM_HTTP_API_PORT=8000`, `NIM_CUSTOM_MODEL_NAME=<modelName|nimbuild>`,
///   `NIM_MODEL_PROFILE=<input profile>`, `NGC_API_KEY` ← the NIMCache's NGC `authSecret`, then
///   `spec.env` (user wins), then `NIM_PEFT_SOURCE=/tmp` when the profile has
///   `feat_lora == "true"`; port `api` 8000; liveness/readiness like NIMService, startup
///   `GET /v1/health/ready` 30/1/10/1/30; `nvidia.com/gpu` requests = limits = the profile's
///   `tp` (or `tensorParallelism`).
///
/// Errors: no usable buildable profile, a profile without `tp`, or a user GPU request.
///
/// ```
/// use nim_planner::render::{RenderContext, nimbuild::engine_build_pod};
/// let build: nim_types::NIMBuild = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMBuild", "metadata": {"name": "b", "namespace": "nim"},
///     "spec": {"nimCache": {"name": "c"}, "image": {"repository": "nvcr.io/nim/meta/llama-3.1-8b-instruct", "tag": "1.8.4"}}
/// })).unwrap();
/// let cache: nim_types::NIMCache = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache", "metadata": {"name": "c", "namespace": "nim"},
///     "spec": {"source": {"ngc": {"authSecret": "ngc-api-secret", "modelPuller": "img"}},
///              "storage": {"pvc": {"create": true, "size": "50Gi", "volumeAccessMode": "ReadWriteOnce"}}},
///     "status": {"state": "Ready", "pvc": "c-pvc",
///                "profiles": [{"name": "p1", "config": {"trtllm_buildable": "true", "tp": "2"}}]}
/// })).unwrap();
/// let pod = engine_build_pod(&build, &cache, &RenderContext::default()).unwrap();
/// assert_eq!(pod.metadata.name.as_deref(), Some("b-engine-build-pod"));
/// let c = &pod.spec.as_ref().unwrap().containers[0];
/// assert_eq!(c.resources.as_ref().unwrap().limits.as_ref().unwrap()["nvidia.com/gpu"].0, "2");
/// ```
pub fn engine_build_pod(
    build: &NIMBuild,
    cache: &NIMCache,
    ctx: &RenderContext,
) -> Result<Pod, RenderError> {
    let spec = &build.spec;
    let name = name_of(&build.metadata);
    let profile = buildable_profile(build, cache)?;
    let tp = profile
        .config
        .get("tp")
        .or_else(|| profile.config.get("tensorParallelism"))
        .filter(|t| !t.is_empty())
        .cloned()
        .ok_or_else(|| RenderError::NoBuildableProfile {
            condition: "NIM_BUILD_RECONCILE_FAILED".to_string(),
            reason: format!(
                "profile {} has no tensor parallelism (tp) tag",
                profile.name
            ),
        })?;
    let user_res = spec.resources.clone().unwrap_or_default();
    if user_res.requests.contains_key(GPU_RESOURCE) {
        return Err(RenderError::NoBuildableProfile {
            condition: "NIM_BUILD_RECONCILE_FAILED".to_string(),
            reason: "spec.resources.requests must not set nvidia.com/gpu; it is taken from the profile's tp".to_string(),
        });
    }
    let mut limits = user_res.limits.clone();
    let mut requests = user_res.requests.clone();
    limits.insert(GPU_RESOURCE.to_string(), Quantity(tp.clone()));
    requests.insert(GPU_RESOURCE.to_string(), Quantity(tp));

    let info = CacheInfo::from_nimcache(cache);
    let mut env = vec![
        value_env("NIM_CACHE_PATH", MODEL_STORE_PATH),
        value_env("NIM_SERVER_PORT", BUILD_PORT.to_string()),
        value_env("NIM_HTTP_API_PORT", BUILD_PORT.to_string()),
        value_env(
            "NIM_CUSTOM_MODEL_NAME",
            spec.model_name
                .clone()
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| name.clone()),
        ),
        value_env("NIM_MODEL_PROFILE", profile.name.clone()),
    ];
    if let Some(secret) = cache
        .spec
        .source
        .ngc
        .as_ref()
        .map(|n| n.auth_secret.clone())
        .filter(|s| !s.is_empty())
    {
        env.push(EnvVar {
            name: "NGC_API_KEY".to_string(),
            value: None,
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: secret,
                    key: "NGC_API_KEY".to_string(),
                    optional: None,
                }),
                ..Default::default()
            }),
        });
    }
    let mut env = merge_env(&env, &spec.env);
    if profile.config.get("feat_lora").map(String::as_str) == Some("true") {
        env = merge_env(&env, &[value_env("NIM_PEFT_SOURCE", "/tmp")]);
    }

    let mut labels = BTreeMap::from([
        (APP_LABEL.to_string(), MANAGED_BY.to_string()),
        (NAME_LABEL.to_string(), name.clone()),
        (MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string()),
    ]);
    merge_maps(&mut labels, &spec.labels);
    let mut annotations =
        BTreeMap::from([("sidecar.istio.io/inject".to_string(), "false".to_string())]);
    merge_maps(&mut annotations, &spec.annotations);

    let group = cache.spec.group_id.unwrap_or(DEFAULT_GROUP_ID);
    let startup = Probe {
        http_get: Some(HTTPGetAction {
            path: Some("/v1/health/ready".to_string()),
            port: IntOrString::String("api".to_string()),
            ..Default::default()
        }),
        initial_delay_seconds: Some(30),
        timeout_seconds: Some(1),
        period_seconds: Some(10),
        success_threshold: Some(1),
        failure_threshold: Some(30),
        ..Default::default()
    };
    let pod = PodSpec {
        restart_policy: Some("Never".to_string()),
        runtime_class_name: non_empty_str(cache.spec.runtime_class_name.as_ref()),
        security_context: Some(PodSecurityContext {
            run_as_user: Some(cache.spec.user_id.unwrap_or(DEFAULT_USER_ID)),
            run_as_group: Some(group),
            fs_group: Some(group),
            seccomp_profile: ctx
                .tkgs
                .then(|| k8s_openapi::api::core::v1::SeccompProfile {
                    type_: "RuntimeDefault".to_string(),
                    localhost_profile: None,
                }),
            ..Default::default()
        }),
        node_selector: non_empty(spec.node_selector.clone()),
        tolerations: non_empty_vec(sanitize_tolerations(&spec.tolerations)),
        image_pull_secrets: non_empty_vec(
            spec.image
                .pull_secrets
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| LocalObjectReference { name: s.clone() })
                .collect(),
        ),
        volumes: Some(vec![Volume {
            name: "nim-cache-volume".to_string(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: info.pvc_name.clone(),
                read_only: None,
            }),
            ..Default::default()
        }]),
        containers: vec![Container {
            name: BUILD_CONTAINER.to_string(),
            image: Some(spec.image.reference()),
            image_pull_policy: non_empty_str(spec.image.pull_policy.as_ref()),
            env: Some(env),
            ports: Some(vec![ContainerPort {
                name: Some("api".to_string()),
                container_port: BUILD_PORT,
                protocol: Some("TCP".to_string()),
                ..Default::default()
            }]),
            resources: Some(ResourceRequirements {
                limits: Some(limits),
                requests: Some(requests),
                claims: None,
            }),
            liveness_probe: Some(default_liveness_probe()),
            readiness_probe: Some(default_readiness_probe()),
            startup_probe: Some(startup),
            volume_mounts: Some(vec![VolumeMount {
                name: "nim-cache-volume".to_string(),
                mount_path: MODEL_STORE_PATH.to_string(),
                sub_path: info.sub_path.clone(),
                ..Default::default()
            }]),
            ..Default::default()
        }],
        ..Default::default()
    };
    Ok(Pod {
        metadata: owned_meta(
            &build.metadata,
            NIMBUILD_KIND,
            &build_pod_name(&name),
            labels,
            annotations,
        ),
        spec: Some(pod),
        status: None,
    })
}
