//! Names, labels, annotations, owner references and the merge rules shared by all renderers
//! (contract §3.0 and the "common metadata" of §3.2).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::EnvVar;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use nim_types::{API_VERSION, NIMCache, NIMService};

use super::RenderContext;

/// `app.kubernetes.io/managed-by` — NVIDIA's informer caches only see objects with this label.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// Value of [`MANAGED_BY_LABEL`].
pub const MANAGED_BY: &str = "k8s-nim-operator";
/// `app.kubernetes.io/name`.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";
/// `app.kubernetes.io/instance`.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
/// `app.kubernetes.io/operator-version`.
pub const OPERATOR_VERSION_LABEL: &str = "app.kubernetes.io/operator-version";
/// `app.kubernetes.io/part-of`.
pub const PART_OF_LABEL: &str = "app.kubernetes.io/part-of";
/// The pod selector label key (`app: <name>`).
pub const APP_LABEL: &str = "app";
/// Annotation naming the OpenShift SCC the pods need.
pub const REQUIRED_SCC_ANNOTATION: &str = "openshift.io/required-scc";
/// Annotation carrying the hash of the parent CR's `.spec`.
pub const PARENT_SPEC_HASH_ANNOTATION: &str = "nvidia.com/parent-spec-hash";
/// Kind of the NIMService custom resource.
pub const NIMSERVICE_KIND: &str = "NIMService";
/// Kind of the NIMCache custom resource.
pub const NIMCACHE_KIND: &str = "NIMCache";

/// The namespace of an object, `default` when unset or empty.
///
/// ```
/// use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
/// assert_eq!(nim_planner::render::labels::namespace_of(&ObjectMeta::default()), "default");
/// ```
pub fn namespace_of(meta: &ObjectMeta) -> String {
    meta.namespace
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".to_string())
}

/// The name of an object (empty when unset).
///
/// ```
/// use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
/// let meta = ObjectMeta { name: Some("llm".into()), ..Default::default() };
/// assert_eq!(nim_planner::render::labels::name_of(&meta), "llm");
/// ```
pub fn name_of(meta: &ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

/// The single controller owner reference every owned object gets
/// (`controllerutil.SetControllerReference`): apiVersion `apps.nvidia.com/v1alpha1`, the given
/// kind, the owner's name and uid (empty when unknown), `controller: true`,
/// `blockOwnerDeletion: true`.
///
/// ```
/// use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
/// use nim_planner::render::labels::controller_owner_reference;
/// let meta = ObjectMeta { name: Some("llm".into()), uid: Some("u-1".into()), ..Default::default() };
/// let owner = controller_owner_reference("NIMService", &meta);
/// assert_eq!(owner.api_version, "apps.nvidia.com/v1alpha1");
/// assert_eq!((owner.name.as_str(), owner.uid.as_str()), ("llm", "u-1"));
/// assert_eq!((owner.controller, owner.block_owner_deletion), (Some(true), Some(true)));
/// ```
pub fn controller_owner_reference(kind: &str, owner: &ObjectMeta) -> OwnerReference {
    OwnerReference {
        api_version: API_VERSION.to_string(),
        kind: kind.to_string(),
        name: name_of(owner),
        uid: owner.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// `MergeMaps(a, b)`: keys of `b` are added to `a` unless `a` already has them (the first map
/// wins, so operator keys beat user keys).
///
/// ```
/// use std::collections::BTreeMap;
/// use nim_planner::render::labels::merge_maps;
/// let mut a = BTreeMap::from([("k".to_string(), "op".to_string())]);
/// merge_maps(&mut a, &BTreeMap::from([("k".to_string(), "user".to_string()), ("u".to_string(), "1".to_string())]));
/// assert_eq!(a["k"], "op");
/// assert_eq!(a["u"], "1");
/// ```
pub fn merge_maps(a: &mut BTreeMap<String, String>, b: &BTreeMap<String, String>) {
    for (k, v) in b {
        a.entry(k.clone()).or_insert_with(|| v.clone());
    }
}

/// `MergeEnvVars(base, overrides)`: the result lists `overrides` first (in order), then every
/// `base` entry whose name is not overridden. Duplicate names inside `overrides` keep the first.
///
/// ```
/// use k8s_openapi::api::core::v1::EnvVar;
/// use nim_planner::render::labels::merge_env;
/// let e = |n: &str, v: &str| EnvVar { name: n.into(), value: Some(v.into()), ..Default::default() };
/// let merged = merge_env(&[e("A", "op"), e("B", "op")], &[e("B", "user")]);
/// assert_eq!(merged, vec![e("B", "user"), e("A", "op")]);
/// ```
pub fn merge_env(base: &[EnvVar], overrides: &[EnvVar]) -> Vec<EnvVar> {
    let mut out: Vec<EnvVar> = Vec::with_capacity(base.len() + overrides.len());
    for e in overrides.iter().chain(base) {
        if !out.iter().any(|o| o.name == e.name) {
            out.push(e.clone());
        }
    }
    out
}

/// The five standard labels of a NIMService's owned objects.
///
/// ```
/// use nim_planner::render::{RenderContext, labels::standard_labels};
/// let l = standard_labels("llm", "nim-service", &RenderContext::default());
/// assert_eq!(l["app.kubernetes.io/part-of"], "nim-service");
/// assert_eq!(l["app.kubernetes.io/operator-version"], "");
/// assert_eq!(l.len(), 5);
/// ```
pub fn standard_labels(name: &str, part_of: &str, ctx: &RenderContext) -> BTreeMap<String, String> {
    BTreeMap::from([
        (NAME_LABEL.to_string(), name.to_string()),
        (INSTANCE_LABEL.to_string(), name.to_string()),
        (
            OPERATOR_VERSION_LABEL.to_string(),
            ctx.operator_version.clone(),
        ),
        (PART_OF_LABEL.to_string(), part_of.to_string()),
        (MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string()),
    ])
}

/// Common labels of every object owned by a NIMService: the standard labels, then
/// `spec.labels` (standard keys win).
///
/// ```
/// use nim_planner::render::{RenderContext, labels::service_labels};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
///     "metadata": {"name": "llm"},
///     "spec": {"image": {"repository": "r", "tag": "1"},
///              "labels": {"team": "a", "app.kubernetes.io/name": "x"}}
/// })).unwrap();
/// let l = service_labels(&svc, &RenderContext::default());
/// assert_eq!(l["team"], "a");
/// assert_eq!(l["app.kubernetes.io/name"], "llm");
/// ```
pub fn service_labels(svc: &NIMService, ctx: &RenderContext) -> BTreeMap<String, String> {
    let mut labels = standard_labels(&name_of(&svc.metadata), "nim-service", ctx);
    merge_maps(&mut labels, &svc.spec.labels);
    labels
}

/// The pod selector of a NIMService's Deployment/Service: `app: <name>`.
///
/// ```
/// use nim_planner::render::labels::selector_labels;
/// assert_eq!(selector_labels("llm")["app"], "llm");
/// ```
pub fn selector_labels(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(APP_LABEL.to_string(), name.to_string())])
}

/// The OpenShift SCC a NIMService needs: `anyuid` when `spec.proxy` is set (Role) or when
/// `proxy.certConfigMap` is set (annotation), `hostmount-anyuid` with a hostPath model store,
/// else `nonroot`. `for_role` selects the Role's rule (any proxy) over the annotation's
/// (proxy with a CA ConfigMap).
///
/// ```
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "proxy": {"httpsProxy": "http://p:3128"}}
/// })).unwrap();
/// assert_eq!(nim_planner::render::labels::required_scc(&svc, true), "anyuid");
/// assert_eq!(nim_planner::render::labels::required_scc(&svc, false), "nonroot");
/// ```
pub fn required_scc(svc: &NIMService, for_role: bool) -> &'static str {
    let proxy = svc.spec.proxy.as_ref();
    let anyuid = if for_role {
        proxy.is_some()
    } else {
        proxy
            .and_then(|p| p.cert_config_map.as_deref())
            .is_some_and(|c| !c.is_empty())
    };
    let host_path = svc
        .spec
        .storage
        .as_ref()
        .and_then(|s| s.host_path.as_deref())
        .is_some_and(|p| !p.is_empty());
    if anyuid {
        "anyuid"
    } else if host_path {
        "hostmount-anyuid"
    } else {
        "nonroot"
    }
}

/// Common annotations of a NIMService's owned objects: `openshift.io/required-scc`, the parent
/// spec hash (when known), then `spec.annotations` (operator keys win).
///
/// ```
/// use nim_planner::render::{RenderContext, labels::service_annotations};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "annotations": {"a": "b"}}
/// })).unwrap();
/// let ctx = RenderContext { parent_spec_hash: Some("123".into()), ..Default::default() };
/// let a = service_annotations(&svc, &ctx);
/// assert_eq!(a["openshift.io/required-scc"], "nonroot");
/// assert_eq!(a["nvidia.com/parent-spec-hash"], "123");
/// assert_eq!(a["a"], "b");
/// ```
pub fn service_annotations(svc: &NIMService, ctx: &RenderContext) -> BTreeMap<String, String> {
    let mut annotations = pod_annotations(svc);
    if let Some(hash) = &ctx.parent_spec_hash {
        // Operator key: overrides a user annotation of the same name.
        annotations.insert(PARENT_SPEC_HASH_ANNOTATION.to_string(), hash.clone());
    }
    annotations
}

/// Pod-template annotations of a NIMService: the common annotations without the parent hash.
///
/// ```
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
///     "spec": {"image": {"repository": "r", "tag": "1"}}
/// })).unwrap();
/// let a = nim_planner::render::labels::pod_annotations(&svc);
/// assert_eq!(a.len(), 1);
/// ```
pub fn pod_annotations(svc: &NIMService) -> BTreeMap<String, String> {
    let mut annotations = BTreeMap::from([(
        REQUIRED_SCC_ANNOTATION.to_string(),
        required_scc(svc, false).to_string(),
    )]);
    merge_maps(&mut annotations, &svc.spec.annotations);
    annotations
}

/// Metadata of an object owned by a NIMService: name, namespace, the given labels and
/// annotations (omitted when empty) and the controller owner reference.
///
/// ```
/// use std::collections::BTreeMap;
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
///     "spec": {"image": {"repository": "r", "tag": "1"}}
/// })).unwrap();
/// let meta = nim_planner::render::labels::owned_meta(&svc.metadata, "NIMService", "llm", BTreeMap::new(), BTreeMap::new());
/// assert_eq!(meta.namespace.as_deref(), Some("default"));
/// assert!(meta.labels.is_none());
/// assert_eq!(meta.owner_references.unwrap().len(), 1);
/// ```
pub fn owned_meta(
    owner: &ObjectMeta,
    owner_kind: &str,
    name: &str,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(namespace_of(owner)),
        labels: non_empty(labels),
        annotations: non_empty(annotations),
        owner_references: Some(vec![controller_owner_reference(owner_kind, owner)]),
        ..Default::default()
    }
}

/// Metadata of an object owned by a NIMService, with the common labels and annotations.
///
/// ```
/// use nim_planner::render::{RenderContext, labels::service_owned_meta};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm", "namespace": "nim"},
///     "spec": {"image": {"repository": "r", "tag": "1"}}
/// })).unwrap();
/// let meta = service_owned_meta(&svc, &RenderContext::default());
/// assert_eq!(meta.labels.unwrap()["app.kubernetes.io/managed-by"], "k8s-nim-operator");
/// ```
pub fn service_owned_meta(svc: &NIMService, ctx: &RenderContext) -> ObjectMeta {
    owned_meta(
        &svc.metadata,
        NIMSERVICE_KIND,
        &name_of(&svc.metadata),
        service_labels(svc, ctx),
        service_annotations(svc, ctx),
    )
}

/// Labels NVIDIA puts on NIMCache children (PVC, Job pods): `app=k8s-nim-operator`,
/// `app.kubernetes.io/name=<nimcache>`, managed-by.
///
/// ```
/// let l = nim_planner::render::labels::cache_labels("llama");
/// assert_eq!(l["app"], "k8s-nim-operator");
/// assert_eq!(l["app.kubernetes.io/name"], "llama");
/// assert_eq!(l.len(), 3);
/// ```
pub fn cache_labels(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (APP_LABEL.to_string(), MANAGED_BY.to_string()),
        (NAME_LABEL.to_string(), name.to_string()),
        (MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string()),
    ])
}

/// Name and namespace of a NIMCache.
///
/// ```
/// let cache = nim_types::NIMCache::new("llama", Default::default());
/// assert_eq!(nim_planner::render::labels::cache_name_ns(&cache), ("llama".to_string(), "default".to_string()));
/// ```
pub fn cache_name_ns(cache: &NIMCache) -> (String, String) {
    (name_of(&cache.metadata), namespace_of(&cache.metadata))
}

/// `Some(map)` unless the map is empty.
pub(crate) fn non_empty<K, V>(map: BTreeMap<K, V>) -> Option<BTreeMap<K, V>> {
    (!map.is_empty()).then_some(map)
}

/// `Some(vec)` unless the vector is empty.
pub(crate) fn non_empty_vec<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

/// `Some(s)` unless the string is absent or empty.
pub(crate) fn non_empty_str(s: Option<&String>) -> Option<String> {
    s.filter(|s| !s.is_empty()).cloned()
}
