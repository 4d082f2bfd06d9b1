//! HorizontalPodAutoscaler `<name>` (autoscaling/v2) of a NIMService (contract §3.2 step 9).

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec,
};
use nim_types::NIMService;

use super::RenderContext;
use super::labels::{
    NIMSERVICE_KIND, merge_maps, name_of, non_empty_vec, owned_meta, service_annotations,
    service_labels,
};

/// The HPA, when `spec.scale.enabled` is true (`None` means "not wanted": delete it if it
/// exists). `scaleTargetRef` = `apps/v1 Deployment <name>`; min (default 1) / max replicas,
/// metrics and behavior from `scale.hpa`; annotations = common + `scale.annotations`.
///
/// While the HPA exists the Deployment is rendered without `replicas`
/// (see [`deployment`](super::deployment::deployment)).
///
/// ```
/// use nim_planner::render::{RenderContext, hpa::hpa};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
///     "spec": {"image": {"repository": "r", "tag": "1"},
///              "scale": {"enabled": true, "hpa": {"maxReplicas": 3}}}
/// })).unwrap();
/// let h = hpa(&svc, &RenderContext::default()).unwrap();
/// let spec = h.spec.unwrap();
/// assert_eq!((spec.min_replicas, spec.max_replicas), (Some(1), 3));
/// assert_eq!(spec.scale_target_ref.kind, "Deployment");
/// ```
pub fn hpa(svc: &NIMService, ctx: &RenderContext) -> Option<HorizontalPodAutoscaler> {
    let scale = svc.spec.scale.as_ref().filter(|s| s.is_enabled())?;
    let name = name_of(&svc.metadata);
    let hpa = scale.hpa.clone().unwrap_or_default();
    let mut annotations = service_annotations(svc, ctx);
    merge_maps(&mut annotations, &scale.annotations);
    Some(HorizontalPodAutoscaler {
        metadata: owned_meta(
            &svc.metadata,
            NIMSERVICE_KIND,
            &name,
            service_labels(svc, ctx),
            annotations,
        ),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".to_string()),
                kind: "Deployment".to_string(),
                name: name.clone(),
            },
            min_replicas: Some(hpa.min_replicas()),
            max_replicas: hpa.max_replicas.max(hpa.min_replicas()),
            metrics: non_empty_vec(hpa.metrics.clone()),
            behavior: hpa.behavior.clone(),
        }),
        status: None,
    })
}
