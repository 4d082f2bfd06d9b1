//! PersistentVolumeClaims created for a NIMCache (contract §3.1 step 4) or for a NIMService
//! with `storage.pvc.create: true` (§3.2 step 12).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimSpec, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use nim_types::{NIMCache, NIMService, PersistentVolumeClaim as PvcSpec};

use super::RenderError;
use super::labels::{
    APP_LABEL, INSTANCE_LABEL, MANAGED_BY, MANAGED_BY_LABEL, NAME_LABEL, NIMCACHE_KIND,
    NIMSERVICE_KIND, PART_OF_LABEL, name_of, non_empty_str, owned_meta,
};

/// The PVC name: `pvc.name`, else `<owner>-pvc`.
///
/// ```
/// let pvc = nim_types::PersistentVolumeClaim::default();
/// assert_eq!(nim_planner::render::pvc::pvc_name(&pvc, "llama"), "llama-pvc");
/// ```
pub fn pvc_name(pvc: &PvcSpec, owner: &str) -> String {
    non_empty_str(pvc.name.as_ref()).unwrap_or_else(|| format!("{owner}-pvc"))
}

fn render(
    pvc: &PvcSpec,
    meta: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> Result<PersistentVolumeClaim, RenderError> {
    let size = non_empty_str(pvc.size.as_ref()).ok_or(RenderError::MissingPvcSize)?;
    let mode =
        non_empty_str(pvc.volume_access_mode.as_ref()).ok_or(RenderError::MissingAccessMode)?;
    Ok(PersistentVolumeClaim {
        metadata: meta,
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec![mode]),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([("storage".to_string(), Quantity(size))])),
                limits: None,
            }),
            storage_class_name: non_empty_str(pvc.storage_class.as_ref()),
            ..Default::default()
        }),
        status: None,
    })
}

/// The NIMCache's PVC when `storage.pvc.create: true` (`Ok(None)` otherwise: the PVC must
/// already exist). Labels `app=k8s-nim-operator`, `app.kubernetes.io/{name,instance}=<nimcache>`,
/// `app.kubernetes.io/part-of=nim-cache`, managed-by; annotations from `pvc.annotations`;
/// `accessModes: [volumeAccessMode]`, `requests.storage: size`, `storageClassName` only when
/// non-empty; controller owner = the NIMCache (so deleting the NIMCache deletes the PVC).
///
/// ```
/// let cache: nim_types::NIMCache = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache", "metadata": {"name": "llama", "namespace": "nim"},
///     "spec": {"source": {"ngc": {"authSecret": "ngc-api-secret", "modelPuller": "img"}},
///              "storage": {"pvc": {"create": true, "size": "50Gi", "volumeAccessMode": "ReadWriteOnce", "storageClass": ""}}}
/// })).unwrap();
/// let pvc = nim_planner::render::pvc::cache_pvc(&cache).unwrap().unwrap();
/// assert_eq!(pvc.metadata.name.as_deref(), Some("llama-pvc"));
/// assert!(pvc.spec.unwrap().storage_class_name.is_none());
/// ```
pub fn cache_pvc(cache: &NIMCache) -> Result<Option<PersistentVolumeClaim>, RenderError> {
    let Some(pvc) = cache.spec.storage.pvc.as_ref().filter(|p| p.creates()) else {
        return Ok(None);
    };
    let name = name_of(&cache.metadata);
    let labels = BTreeMap::from([
        (APP_LABEL.to_string(), MANAGED_BY.to_string()),
        (NAME_LABEL.to_string(), name.clone()),
        (INSTANCE_LABEL.to_string(), name.clone()),
        (PART_OF_LABEL.to_string(), "nim-cache".to_string()),
        (MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string()),
    ]);
    let meta = owned_meta(
        &cache.metadata,
        NIMCACHE_KIND,
        &pvc_name(pvc, &name),
        labels,
        pvc.annotations.clone(),
    );
    render(pvc, meta).map(Some)
}

/// The NIMService's own PVC when the model store is `storage.pvc` with `create: true` and no
/// NIMCache is referenced (a NIMCache takes precedence); `Ok(None)` otherwise. Created like the
/// NIMCache's but labelled `app=k8s-nim-operator`, `app.kubernetes.io/name=<name>`, managed-by,
/// and owned by the NIMService.
///
/// ```
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
///     "spec": {"image": {"repository": "r", "tag": "1"},
///              "storage": {"pvc": {"create": true, "size": "10Gi", "volumeAccessMode": "ReadWriteOnce"}}}
/// })).unwrap();
/// let pvc = nim_planner::render::pvc::service_pvc(&svc).unwrap().unwrap();
/// assert_eq!(pvc.metadata.labels.unwrap().len(), 3);
/// ```
pub fn service_pvc(svc: &NIMService) -> Result<Option<PersistentVolumeClaim>, RenderError> {
    if svc.spec.nim_cache_name().is_some() {
        return Ok(None);
    }
    let Some(pvc) = svc
        .spec
        .storage
        .as_ref()
        .and_then(|s| s.pvc.as_ref())
        .filter(|p| p.creates())
    else {
        return Ok(None);
    };
    let name = name_of(&svc.metadata);
    let labels = BTreeMap::from([
        (APP_LABEL.to_string(), MANAGED_BY.to_string()),
        (NAME_LABEL.to_string(), name.clone()),
        (MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string()),
    ]);
    let meta = owned_meta(
        &svc.metadata,
        NIMSERVICE_KIND,
        &pvc_name(pvc, &name),
        labels,
        pvc.annotations.clone(),
    );
    render(pvc, meta).map(Some)
}
