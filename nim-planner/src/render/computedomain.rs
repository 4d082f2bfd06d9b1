//! ComputeDomain (`resource.nvidia.com/v1beta1`, NVIDIA DRA driver) of a multi-node NIMService
//! with `multiNode.computeDomain.create: true` (contract §3.3), and the name of the channel
//! claim template its pods claim.

use nim_types::NIMService;
use nim_types::external::{
    ChannelAllocationMode, ComputeDomain, ComputeDomainChannelSpec,
    ComputeDomainResourceClaimTemplate, ComputeDomainSpec,
};

use super::dra::compute_domain_claim_template_name;
use super::labels::{NIMSERVICE_KIND, name_of, owned_meta, service_annotations, service_labels};
use super::{RenderContext, RenderError};

/// Whether the operator creates the ComputeDomain (`computeDomain.create: true`).
fn creates(svc: &NIMService) -> bool {
    svc.spec
        .multi_node
        .as_ref()
        .and_then(|m| m.compute_domain.as_ref())
        .is_some_and(|c| c.create == Some(true))
}

/// The name of the ComputeDomain the pods join: the NIMService's name when the operator creates
/// it, else `computeDomain.name`; `None` without a `computeDomain`.
///
/// ```
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "ds"},
///     "spec": {"image": {"repository": "r", "tag": "1"},
///              "multiNode": {"parallelism": {"pipeline": 2}, "computeDomain": {"name": "shared-cd"}}}
/// })).unwrap();
/// assert_eq!(nim_planner::render::computedomain::compute_domain_name(&svc).as_deref(), Some("shared-cd"));
/// ```
pub fn compute_domain_name(svc: &NIMService) -> Option<String> {
    let cd = svc.spec.multi_node.as_ref()?.compute_domain.as_ref()?;
    if cd.create == Some(true) {
        return Some(name_of(&svc.metadata));
    }
    cd.name.clone().filter(|n| !n.is_empty())
}

/// The ResourceClaimTemplate of the ComputeDomain channel the pods claim: for a created domain
/// `cd-claimtemplate-<hash(name)>`; for an existing one the value read from it
/// (`ctx.compute_domain_claim_template`, else [`RenderError::ComputeDomainNotResolved`]).
/// `Ok(None)` without a `computeDomain`.
///
/// ```
/// use nim_planner::render::{RenderContext, computedomain::channel_claim_template};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "test-nimservice"},
///     "spec": {"image": {"repository": "r", "tag": "1"},
///              "multiNode": {"parallelism": {"pipeline": 2}, "computeDomain": {"create": true}}}
/// })).unwrap();
/// let t = channel_claim_template(&svc, &RenderContext::default()).unwrap();
/// assert_eq!(t.as_deref(), Some("cd-claimtemplate-6bb8bf548c"));
/// ```
pub fn channel_claim_template(
    svc: &NIMService,
    ctx: &RenderContext,
) -> Result<Option<String>, RenderError> {
    let Some(name) = compute_domain_name(svc) else {
        return Ok(None);
    };
    if creates(svc) {
        return Ok(Some(compute_domain_claim_template_name(&name)));
    }
    ctx.compute_domain_claim_template
        .clone()
        .filter(|t| !t.is_empty())
        .map(Some)
        .ok_or(RenderError::ComputeDomainNotResolved(name))
}

/// ComputeDomain `<name>` when `multiNode.computeDomain.create: true` (and the NIMService is
/// multi-node): `numNodes = pipeline`, `channel.resourceClaimTemplate.name =
/// cd-claimtemplate-<hash(name)>`, `allocationMode: Single`; common labels and annotations,
/// owned by the NIMService.
///
/// ```
/// use nim_planner::render::{RenderContext, computedomain::compute_domain};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "ds", "namespace": "nim"},
///     "spec": {"image": {"repository": "r", "tag": "1"},
///              "multiNode": {"parallelism": {"pipeline": 2, "tensor": 8}, "computeDomain": {"create": true}}}
/// })).unwrap();
/// let cd = compute_domain(&svc, &RenderContext::default()).unwrap();
/// assert_eq!(cd.spec.num_nodes, 2);
/// assert_eq!(cd.metadata.name.as_deref(), Some("ds"));
/// ```
pub fn compute_domain(svc: &NIMService, ctx: &RenderContext) -> Option<ComputeDomain> {
    if !creates(svc) || !svc.spec.is_multi_node() {
        return None;
    }
    let name = name_of(&svc.metadata);
    let pipeline = svc
        .spec
        .multi_node
        .as_ref()
        .map_or(1, |m| m.parallelism.pods_per_group());
    Some(ComputeDomain {
        metadata: owned_meta(
            &svc.metadata,
            NIMSERVICE_KIND,
            &name,
            service_labels(svc, ctx),
            service_annotations(svc, ctx),
        ),
        spec: ComputeDomainSpec {
            num_nodes: i64::from(pipeline),
            channel: Some(ComputeDomainChannelSpec {
                resource_claim_template: ComputeDomainResourceClaimTemplate {
                    name: compute_domain_claim_template_name(&name),
                },
                allocation_mode: Some(ChannelAllocationMode::Single),
            }),
        },
        status: None,
    })
}
