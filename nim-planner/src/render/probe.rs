//! The NIMCache model-manifest probe Pod `<nimcache>-pod` and the manifest ConfigMap
//! `<nimcache>-manifest` it leads to (contract §3.1 step 6).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, Container, LocalObjectReference, Pod, PodSecurityContext, PodSpec,
    SecurityContext,
};
use nim_types::NIMCache;
use serde_json::Value;

use super::deployment::{DEFAULT_GROUP_ID, DEFAULT_USER_ID};
use super::job::{CACHE_CONTAINER, DEFAULT_CACHE_NODE_SELECTOR};
use super::labels::{
    NIMCACHE_KIND, cache_labels, name_of, non_empty, non_empty_str, non_empty_vec, owned_meta,
};
use super::service_account::CACHE_SERVICE_ACCOUNT;
use crate::snapshot::{MANIFEST_KEY, MANIFEST_SUFFIX};

/// Text the probe prints when the image has no model manifest (a "model-free" puller).
pub const MANIFEST_NOT_FOUND: &str = "model_manifest.yaml not found";

/// The probe's shell script: print the manifest from one of its two known places, then sleep.
pub const PROBE_SCRIPT: &str = "cat /opt/nim/etc/default/model_manifest.yaml 2>/dev/null || cat /etc/nim/config/model_manifest.yaml 2>/dev/null || echo 'model_manifest.yaml not found'; sleep infinity";

/// The probe Pod for a NIMCache with an NGC source (`None` for other sources).
///
/// ```
/// let cache: nim_types::NIMCache = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache", "metadata": {"name": "llama", "namespace": "nim", "uid": "u1"},
///     "spec": {"source": {"ngc": {"authSecret": "s", "modelPuller": "nvcr.io/nim/meta/llama:1.3"}},
///              "storage": {"pvc": {"name": "models"}}}
/// })).unwrap();
/// let pod = nim_planner::render::probe::manifest_probe_pod(&cache).unwrap();
/// assert_eq!(pod.metadata.name.as_deref(), Some("llama-pod"));
/// let c = &pod.spec.unwrap().containers[0];
/// assert_eq!(c.name, "nim-cache-ctr");
/// assert_eq!(c.image.as_deref(), Some("nvcr.io/nim/meta/llama:1.3"));
/// ```
pub fn manifest_probe_pod(cache: &NIMCache) -> Option<Pod> {
    let spec = &cache.spec;
    let ngc = spec.source.ngc.as_ref()?;
    let name = name_of(&cache.metadata);
    let user_id = spec.user_id.unwrap_or(DEFAULT_USER_ID);
    let group_id = spec.group_id.unwrap_or(DEFAULT_GROUP_ID);
    let resources = super::job::cache_resources(cache);
    let node_selector = spec.node_selector.clone().unwrap_or_else(|| {
        BTreeMap::from([(
            DEFAULT_CACHE_NODE_SELECTOR.0.to_string(),
            DEFAULT_CACHE_NODE_SELECTOR.1.to_string(),
        )])
    });
    let mut meta = owned_meta(
        &cache.metadata,
        NIMCACHE_KIND,
        &format!("{name}-pod"),
        cache_labels(&name),
        BTreeMap::from([(
            "openshift.io/required-scc".to_string(),
            "nonroot".to_string(),
        )]),
    );
    meta.labels.get_or_insert_with(BTreeMap::new);
    Some(Pod {
        metadata: meta,
        spec: Some(PodSpec {
            restart_policy: Some("Never".to_string()),
            service_account_name: Some(CACHE_SERVICE_ACCOUNT.to_string()),
            security_context: Some(PodSecurityContext {
                run_as_user: Some(user_id),
                fs_group: Some(group_id),
                run_as_non_root: Some(true),
                ..Default::default()
            }),
            node_selector: non_empty(node_selector),
            tolerations: non_empty_vec(spec.tolerations.clone()),
            runtime_class_name: non_empty_str(spec.runtime_class_name.as_ref()),
            image_pull_secrets: ngc
                .pull_secret
                .clone()
                .filter(|s| !s.is_empty())
                .map(|name| vec![LocalObjectReference { name }]),
            containers: vec![Container {
                name: CACHE_CONTAINER.to_string(),
                image: Some(ngc.model_puller.clone()),
                command: Some(vec![
                    "sh".to_string(),
                    "-c".to_string(),
                    PROBE_SCRIPT.to_string(),
                ]),
                resources,
                security_context: Some(SecurityContext {
                    allow_privilege_escalation: Some(false),
                    capabilities: Some(Capabilities {
                        drop: Some(vec!["ALL".to_string()]),
                        add: None,
                    }),
                    run_as_non_root: Some(true),
                    run_as_group: Some(group_id),
                    run_as_user: Some(user_id),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        }),
        status: None,
    })
}

/// The manifest without workspace file lists (NVIDIA strips them: a ConfigMap holds 1 MiB).
///
/// ```
/// use serde_json::json;
/// let v1 = json!({"p1": {"model": "m", "tags": {"tp": "1"}, "workspace": {"files": {}}}});
/// assert_eq!(nim_planner::render::probe::strip_manifest(&v1), json!({"p1": {"model": "m", "tags": {"tp": "1"}}}));
/// let v2 = json!({"schema_version": "2.0", "profiles": [{"id": "p", "tags": {}, "workspace": {}}]});
/// assert_eq!(nim_planner::render::probe::strip_manifest(&v2)["profiles"][0], json!({"id": "p", "tags": {}}));
/// ```
pub fn strip_manifest(doc: &Value) -> Value {
    let mut doc = doc.clone();
    let strip = |p: &mut Value| {
        if let Some(o) = p.as_object_mut() {
            o.remove("workspace");
        }
    };
    if let Some(profiles) = doc.get_mut("profiles").and_then(Value::as_array_mut) {
        profiles.iter_mut().for_each(strip);
    } else if let Some(map) = doc.as_object_mut() {
        map.values_mut().for_each(strip);
    }
    doc
}

/// The ConfigMap `<nimcache>-manifest` holding the stripped manifest (as JSON text, which is
/// also YAML) under `model_manifest.yaml`, owned by the NIMCache.
///
/// ```
/// let cache = nim_types::NIMCache::new("llama", Default::default());
/// let cm = nim_planner::render::probe::manifest_config_map(&cache, &serde_json::json!({"p": {"tags": {}}}));
/// assert_eq!(cm.metadata.name.as_deref(), Some("llama-manifest"));
/// assert!(cm.data.unwrap()["model_manifest.yaml"].contains("\"p\""));
/// ```
pub fn manifest_config_map(cache: &NIMCache, manifest: &Value) -> ConfigMap {
    let name = name_of(&cache.metadata);
    ConfigMap {
        metadata: owned_meta(
            &cache.metadata,
            NIMCACHE_KIND,
            &format!("{name}{MANIFEST_SUFFIX}"),
            cache_labels(&name),
            BTreeMap::new(),
        ),
        data: Some(BTreeMap::from([(
            MANIFEST_KEY.to_string(),
            strip_manifest(manifest).to_string(),
        )])),
        ..Default::default()
    }
}

/// File the engine build leaves in the model store, listing the profiles it built.
pub const LOCAL_MANIFEST_PATH: &str = "/model-store/local_cache/local_manifest.yaml";

/// The NIMBuild's `<nimbuild>-local-manifest-pod`: the engine-build Pod's volumes, placement and
/// security, one container `nim-build-manifest-ctr` that prints the local manifest and sleeps (no
/// GPU, no probes).
///
/// ```
/// use serde_json::json;
/// let build: nim_types::NIMBuild = serde_json::from_value(json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMBuild", "metadata": {"name": "b", "namespace": "n"},
///     "spec": {"nimCache": {"name": "c"}, "image": {"repository": "nvcr.io/nim/x", "tag": "1"}}})).unwrap();
/// let cache: nim_types::NIMCache = serde_json::from_value(json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache", "metadata": {"name": "c", "namespace": "n"},
///     "spec": {"source": {"ngc": {"modelPuller": "p", "authSecret": "s"}}, "storage": {"pvc": {"name": "models"}}},
///     "status": {"state": "Ready", "profiles": [{"name": "p1", "config": {"trtllm_buildable": "true", "tp": "1"}}]}})).unwrap();
/// let pod = nim_planner::render::probe::local_manifest_pod(&build, &cache, &Default::default()).unwrap();
/// assert_eq!(pod.metadata.name.as_deref(), Some("b-local-manifest-pod"));
/// let c = &pod.spec.as_ref().unwrap().containers[0];
/// assert_eq!(c.name, "nim-build-manifest-ctr");
/// assert!(c.resources.is_none());
/// ```
pub fn local_manifest_pod(
    build: &nim_types::NIMBuild,
    cache: &NIMCache,
    ctx: &super::RenderContext,
) -> Result<Pod, super::RenderError> {
    let mut pod = super::nimbuild::engine_build_pod(build, cache, ctx)?;
    let name = name_of(&build.metadata);
    pod.metadata.name = Some(format!("{name}-local-manifest-pod"));
    if let Some(spec) = pod.spec.as_mut()
        && let Some(c) = spec.containers.first_mut()
    {
        *c = Container {
            name: "nim-build-manifest-ctr".to_string(),
            image: c.image.clone(),
            image_pull_policy: c.image_pull_policy.clone(),
            command: Some(vec![
                "sh".to_string(),
                "-c".to_string(),
                format!("cat {LOCAL_MANIFEST_PATH}; sleep infinity"),
            ]),
            volume_mounts: c.volume_mounts.clone(),
            ..Default::default()
        };
    }
    Ok(pod)
}
