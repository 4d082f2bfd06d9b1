//! InferencePool `<name>` (inference.networking.k8s.io/v1) of a NIMService with
//! `expose.router.eppConfig` (contract §3.2 step 11).

use nim_types::NIMService;
use nim_types::external::{
    EndpointPickerRef, InferencePool, InferencePoolPort, InferencePoolSelector, InferencePoolSpec,
};

use super::RenderContext;
use super::epp::{EPP_GRPC_EXT_PROC_PORT, epp_config, epp_name};
use super::labels::{
    NIMSERVICE_KIND, name_of, owned_meta, selector_labels, service_annotations, service_labels,
};

/// The InferencePool, when `expose.router.eppConfig` is set (`None` means "not wanted": NVIDIA
/// deletes the pool and all EPP objects). `selector.matchLabels` = the NIM pod selector
/// (`app: <name>`), `targetPorts: [{number: service.port}]`,
/// `endpointPickerRef: {name: <name>-epp, port: {number: 9002}}`.
///
/// ```
/// use nim_planner::render::{RenderContext, inference_pool::inference_pool};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm", "namespace": "nim"},
///     "spec": {"image": {"repository": "r", "tag": "1"},
///              "expose": {"router": {"eppConfig": {"containerSpec": {"name": "epp",
///                  "image": {"repository": "registry.k8s.io/gateway-api-inference-extension/epp", "tag": "v1.3.1"}}}}}}
/// })).unwrap();
/// let pool = inference_pool(&svc, &RenderContext::default()).unwrap();
/// assert_eq!(pool.spec.endpoint_picker_ref.name, "llm-epp");
/// assert_eq!(pool.spec.target_ports[0].number, 8000);
/// ```
pub fn inference_pool(svc: &NIMService, ctx: &RenderContext) -> Option<InferencePool> {
    epp_config(svc)?;
    let name = name_of(&svc.metadata);
    Some(InferencePool {
        metadata: owned_meta(
            &svc.metadata,
            NIMSERVICE_KIND,
            &name,
            service_labels(svc, ctx),
            service_annotations(svc, ctx),
        ),
        spec: InferencePoolSpec {
            selector: InferencePoolSelector {
                match_labels: selector_labels(&name),
            },
            target_ports: vec![InferencePoolPort {
                number: svc.spec.service_port(),
            }],
            endpoint_picker_ref: EndpointPickerRef {
                name: epp_name(&name),
                port: Some(InferencePoolPort {
                    number: EPP_GRPC_EXT_PROC_PORT,
                }),
                ..Default::default()
            },
        },
        status: None,
    })
}
