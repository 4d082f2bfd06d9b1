//! Dynamic Resource Allocation (contract §3.2 step 14 and §3.3's ComputeDomain claim):
//! the ResourceClaimTemplates generated from `spec.draResources[].claimCreationSpec`, the
//! pod-level `resourceClaims` for all three DRA source kinds (existing claim, existing
//! template, generated template) plus the ComputeDomain channel template, and the containers'
//! `resources.claims`.
//!
//! Names are NVIDIA's, byte for byte: NVIDIA hashes with FNV-32a, prints the 32-bit sum in
//! decimal and maps every digit through `k8s.io/apimachinery/pkg/util/rand.SafeEncodeString`
//! (see [`string_hash`]); the result has at most 10 characters, so NVIDIA's "truncate to 12"
//! never truncates. Reproduced against NVIDIA's own unit test
//! (`cd-claimtemplate-6bb8bf548c` for a NIMService named `test-nimservice`).
//!
//! ```
//! use nim_planner::render::dra::{claim_template_name, string_hash};
//! assert_eq!(string_hash("test-nimservice"), "6bb8bf548c");
//! assert_eq!(claim_template_name("test-nimservice", "gpu", 0), "gpu-6bb8bf548c-0");
//! ```

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PodResourceClaim, PodSpec, ResourceClaim};
use k8s_openapi::api::resource::v1::{
    CELDeviceSelector, DeviceClaim, DeviceRequest, DeviceSelector, ExactDeviceRequest,
    ResourceClaimSpec, ResourceClaimTemplate, ResourceClaimTemplateSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use nim_types::{DRADeviceSpec, NIMService};

use super::labels::{
    NIMSERVICE_KIND, name_of, non_empty, owned_meta, pod_annotations, service_annotations,
    service_labels,
};
use super::{RenderContext, RenderError};

/// Default DRA driver and DeviceClass of NVIDIA GPUs.
///
/// ```
/// assert_eq!(nim_planner::render::dra::DEFAULT_DRA_DRIVER, "gpu.nvidia.com");
/// ```
pub const DEFAULT_DRA_DRIVER: &str = "gpu.nvidia.com";
/// Name prefix of generated claim templates when `claimCreationSpec.generateName` is empty.
///
/// ```
/// assert_eq!(nim_planner::render::dra::DEFAULT_CLAIM_TEMPLATE_PREFIX, "claimtemplate");
/// ```
pub const DEFAULT_CLAIM_TEMPLATE_PREFIX: &str = "claimtemplate";
/// Name prefix of the ComputeDomain channel claim template.
///
/// ```
/// assert_eq!(nim_planner::render::dra::COMPUTE_DOMAIN_CLAIM_TEMPLATE_PREFIX, "cd-claimtemplate");
/// ```
pub const COMPUTE_DOMAIN_CLAIM_TEMPLATE_PREFIX: &str = "cd-claimtemplate";

const SAFE_ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// NVIDIA's `utils.GetStringHash`: `SafeEncodeString(decimal(fnv32a(s)))`.
///
/// ```
/// assert_eq!(nim_planner::render::dra::string_hash("test-nimservice"), "6bb8bf548c");
/// ```
pub fn string_hash(s: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.as_bytes() {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h.to_string()
        .bytes()
        .map(|b| char::from(SAFE_ALPHANUMS[usize::from(b) % SAFE_ALPHANUMS.len()]))
        .collect()
}

/// `GetTruncatedStringHash(s, 12)`: [`string_hash`] cut to 12 characters (a no-op in practice).
fn hash12(s: &str) -> String {
    string_hash(s).chars().take(12).collect()
}

/// Name of the ResourceClaimTemplate generated for `draResources[idx]`:
/// `<generateName|claimtemplate>-<hash(nimservice)>-<idx>`.
///
/// ```
/// use nim_planner::render::dra::claim_template_name;
/// assert_eq!(claim_template_name("test-nimservice", "", 2), "claimtemplate-6bb8bf548c-2");
/// ```
pub fn claim_template_name(service: &str, prefix: &str, idx: usize) -> String {
    let prefix = if prefix.is_empty() {
        DEFAULT_CLAIM_TEMPLATE_PREFIX
    } else {
        prefix
    };
    format!("{prefix}-{}-{idx}", hash12(service))
}

/// Name of the claim template of a ComputeDomain the operator creates:
/// `cd-claimtemplate-<hash(computedomain)>`.
///
/// ```
/// use nim_planner::render::dra::compute_domain_claim_template_name;
/// assert_eq!(compute_domain_claim_template_name("test-nimservice"), "cd-claimtemplate-6bb8bf548c");
/// ```
pub fn compute_domain_claim_template_name(compute_domain: &str) -> String {
    format!(
        "{COMPUTE_DOMAIN_CLAIM_TEMPLATE_PREFIX}-{}",
        hash12(compute_domain)
    )
}

/// What a pod-level resource claim points at (NVIDIA's `DraResourceFieldType`; the number is
/// part of the pod claim name).
///
/// ```
/// use nim_planner::render::dra::DraSourceKind;
/// assert_eq!(DraSourceKind::ComputeDomainClaimTemplate.index(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DraSourceKind {
    /// An existing ResourceClaim (`resourceClaimName`).
    Claim,
    /// A ResourceClaimTemplate (`resourceClaimTemplateName` or a generated one).
    ClaimTemplate,
    /// The channel claim template of a ComputeDomain.
    ComputeDomainClaimTemplate,
}

impl DraSourceKind {
    /// NVIDIA's numeric value (0, 1, 2).
    ///
    /// ```
    /// assert_eq!(nim_planner::render::dra::DraSourceKind::Claim.index(), 0);
    /// ```
    pub fn index(self) -> u8 {
        match self {
            Self::Claim => 0,
            Self::ClaimTemplate => 1,
            Self::ComputeDomainClaimTemplate => 2,
        }
    }
}

/// One pod-level resource claim of a NIMService's pods.
///
/// ```
/// use nim_planner::render::dra::{DraSourceKind, NamedDraResource};
/// let r = NamedDraResource { pod_claim_name: "claim-x-0-y-0".into(), resource_name: "gpu".into(),
///     kind: DraSourceKind::Claim, requests: vec![] };
/// assert_eq!(r.pod_resource_claim().resource_claim_name.as_deref(), Some("gpu"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedDraResource {
    /// `spec.resourceClaims[].name` in the pod:
    /// `claim-<hash(nimservice)>-<kind>-<hash(resource)>-<n>` (`n` counts duplicates from 0).
    pub pod_claim_name: String,
    /// The ResourceClaim or ResourceClaimTemplate it points at.
    pub resource_name: String,
    /// What `resource_name` names.
    pub kind: DraSourceKind,
    /// Requests of the claim bound to each container (empty = the whole claim).
    pub requests: Vec<String>,
}

impl NamedDraResource {
    /// The pod-level `resourceClaims` entry.
    ///
    /// ```
    /// use nim_planner::render::dra::{DraSourceKind, NamedDraResource};
    /// let r = NamedDraResource { pod_claim_name: "c".into(), resource_name: "t".into(),
    ///     kind: DraSourceKind::ClaimTemplate, requests: vec![] };
    /// assert_eq!(r.pod_resource_claim().resource_claim_template_name.as_deref(), Some("t"));
    /// ```
    pub fn pod_resource_claim(&self) -> PodResourceClaim {
        let name = Some(self.resource_name.clone());
        let (claim, template) = match self.kind {
            DraSourceKind::Claim => (name, None),
            _ => (None, name),
        };
        PodResourceClaim {
            name: self.pod_claim_name.clone(),
            resource_claim_name: claim,
            resource_claim_template_name: template,
        }
    }
}

/// The claims of a NIMService's pods, in NVIDIA's order: `spec.draResources` in order, then the
/// ComputeDomain channel template (`compute_domain_template`, when multi-node uses one).
///
/// ```
/// use nim_planner::render::dra::{named_dra_resources, DraSourceKind};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "test-nimservice"},
///     "spec": {"image": {"repository": "r", "tag": "1"},
///              "draResources": [{"resourceClaimName": "gpu-claim"}]}
/// })).unwrap();
/// let named = named_dra_resources(&svc, Some("cd-claimtemplate-6bb8bf548c"));
/// assert_eq!(named.len(), 2);
/// assert_eq!(named[0].kind, DraSourceKind::Claim);
/// assert!(named[1].pod_claim_name.starts_with("claim-6bb8bf548c-2-"));
/// ```
pub fn named_dra_resources(
    svc: &NIMService,
    compute_domain_template: Option<&str>,
) -> Vec<NamedDraResource> {
    let name = name_of(&svc.metadata);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut pod_claim = |resource: &str, kind: DraSourceKind| {
        let base = format!(
            "claim-{}-{}-{}",
            hash12(&name),
            kind.index(),
            hash12(resource)
        );
        let n = seen
            .entry(base.clone())
            .and_modify(|c| *c += 1)
            .or_insert(0);
        format!("{base}-{n}")
    };
    let mut out = Vec::new();
    for (idx, r) in svc.spec.dra_resources.iter().enumerate() {
        let (resource, kind) = if let Some(c) = &r.resource_claim_name {
            (c.clone(), DraSourceKind::Claim)
        } else if let Some(t) = &r.resource_claim_template_name {
            (t.clone(), DraSourceKind::ClaimTemplate)
        } else if let Some(spec) = &r.claim_creation_spec {
            let prefix = spec.generate_name.clone().unwrap_or_default();
            (
                claim_template_name(&name, &prefix, idx),
                DraSourceKind::ClaimTemplate,
            )
        } else {
            continue;
        };
        out.push(NamedDraResource {
            pod_claim_name: pod_claim(&resource, kind),
            resource_name: resource,
            kind,
            requests: r.requests.clone(),
        });
    }
    if let Some(t) = compute_domain_template {
        out.push(NamedDraResource {
            pod_claim_name: pod_claim(t, DraSourceKind::ComputeDomainClaimTemplate),
            resource_name: t.to_string(),
            kind: DraSourceKind::ComputeDomainClaimTemplate,
            requests: Vec::new(),
        });
    }
    out
}

/// Adds the claims to a pod: `spec.resourceClaims` (replacing any) and, for every claim no
/// container references yet, a `resources.claims` entry on **every** container (one per
/// `requests` item, or one for the whole claim) — NVIDIA's `UpdateContainerResourceClaims`,
/// which does this so the container runtime does not over-provision. Init containers are left
/// alone. Nothing changes when `named` is empty.
///
/// ```
/// use k8s_openapi::api::core::v1::{Container, PodSpec};
/// use nim_planner::render::dra::{apply_claims, DraSourceKind, NamedDraResource};
/// let mut pod = PodSpec { containers: vec![Container { name: "a".into(), ..Default::default() }], ..Default::default() };
/// let named = [NamedDraResource { pod_claim_name: "c".into(), resource_name: "t".into(),
///     kind: DraSourceKind::ClaimTemplate, requests: vec!["gpu".into()] }];
/// apply_claims(&mut pod, &named);
/// let claims = pod.containers[0].resources.as_ref().unwrap().claims.as_ref().unwrap();
/// assert_eq!((claims[0].name.as_str(), claims[0].request.as_deref()), ("c", Some("gpu")));
/// ```
pub fn apply_claims(pod: &mut PodSpec, named: &[NamedDraResource]) {
    if named.is_empty() {
        return;
    }
    pod.resource_claims = Some(named.iter().map(|n| n.pod_resource_claim()).collect());
    for n in named {
        let referenced = pod.containers.iter().any(|c| {
            c.resources
                .as_ref()
                .and_then(|r| r.claims.as_ref())
                .is_some_and(|cl| cl.iter().any(|x| x.name == n.pod_claim_name))
        });
        if referenced {
            continue;
        }
        let entries: Vec<ResourceClaim> = if n.requests.is_empty() {
            vec![ResourceClaim {
                name: n.pod_claim_name.clone(),
                request: None,
            }]
        } else {
            n.requests
                .iter()
                .map(|r| ResourceClaim {
                    name: n.pod_claim_name.clone(),
                    request: Some(r.clone()),
                })
                .collect()
        };
        for c in &mut pod.containers {
            c.resources
                .get_or_insert_with(Default::default)
                .claims
                .get_or_insert_with(Vec::new)
                .extend(entries.iter().cloned());
        }
    }
}

fn cel_operator(op: &str) -> &'static str {
    match op {
        "NotEqual" => "!=",
        "GreaterThan" => ">",
        "GreaterThanOrEqual" => ">=",
        "LessThan" => "<",
        "LessThanOrEqual" => "<=",
        // NVIDIA maps anything else (including "Equal") to ==.
        _ => "==",
    }
}

/// `SplitQualifiedName(key, driver)`: `domain/name`, or `driver` as the domain of a simple name.
fn split_key<'a>(key: &'a str, driver: &'a str) -> (&'a str, &'a str) {
    key.split_once('/').unwrap_or((driver, key))
}

/// A Go `%q`-quoted string (JSON escaping, identical for printable text).
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// The CEL selectors of one device request, as NVIDIA builds them: `device.driver ==
/// "<driverName>"` (default `gpu.nvidia.com`), then either the user's `celExpressions` or one
/// expression per attribute selector (`device.attributes["<domain>"].<name> <op> <value>`;
/// versions: `(…).compareTo(semver("v")) <op> 0`) and per capacity selector
/// (`(device.capacity["<domain>"].<name>).compareTo(quantity("q")) <op> 0`). A key without a
/// domain uses the driver name as its domain.
///
/// Errors like NVIDIA's: a selector without a value, an ordering operator on a bool or string,
/// or `celExpressions` mixed with selectors. The quantity is printed as written (NVIDIA prints
/// its canonical form, which is the same for the usual `40Gi`-style values). The expressions
/// are not compiled here (NVIDIA compiles them with the DRA CEL environment).
///
/// ```
/// use nim_planner::render::dra::device_cel_expressions;
/// let dev: nim_types::DRADeviceSpec = serde_json::from_value(serde_json::json!({
///     "name": "gpu", "driverName": "gpu.nvidia.com",
///     "attributeSelectors": [{"key": "architecture", "op": "Equal", "value": {"stringValue": "Ampere"}}],
///     "capacitySelectors": [{"key": "memory", "op": "GreaterThanOrEqual", "value": "40Gi"}]
/// })).unwrap();
/// assert_eq!(device_cel_expressions(&dev).unwrap(), vec![
///     r#"device.driver == "gpu.nvidia.com""#.to_string(),
///     r#"device.attributes["gpu.nvidia.com"].architecture == "Ampere""#.to_string(),
///     r#"(device.capacity["gpu.nvidia.com"].memory).compareTo(quantity("40Gi")) >= 0"#.to_string(),
/// ]);
/// ```
pub fn device_cel_expressions(device: &DRADeviceSpec) -> Result<Vec<String>, RenderError> {
    let driver = device
        .driver_name
        .as_deref()
        .filter(|d| !d.is_empty())
        .unwrap_or(DEFAULT_DRA_DRIVER);
    let invalid = |msg: String| RenderError::InvalidDraResource(format!("{}: {msg}", device.name));
    let mut exprs = vec![format!("device.driver == {}", quote(driver))];
    if !device.cel_expressions.is_empty() {
        if !device.attribute_selectors.is_empty() || !device.capacity_selectors.is_empty() {
            return Err(invalid(
                "CELExpressions must not be set if attributeSelectors or capacitySelectors are set"
                    .to_string(),
            ));
        }
        exprs.extend(device.cel_expressions.iter().cloned());
        return Ok(exprs);
    }
    for sel in &device.attribute_selectors {
        let (domain, name) = split_key(&sel.key, driver);
        let key = format!("device.attributes[{}].{name}", quote(domain));
        let op = cel_operator(&sel.op);
        let equality = matches!(op, "==" | "!=");
        let v = sel
            .value
            .as_ref()
            .ok_or_else(|| invalid(format!("attribute {}: value is nil", sel.key)))?;
        let expr = if let Some(b) = v.bool_value {
            if !equality {
                return Err(invalid(format!(
                    "invalid operator {:?} for bool type",
                    sel.op
                )));
            }
            format!("{key} {op} {b}")
        } else if let Some(i) = v.int_value {
            format!("{key} {op} {i}")
        } else if let Some(s) = &v.string_value {
            if !equality {
                return Err(invalid(format!(
                    "invalid operator {:?} for string type",
                    sel.op
                )));
            }
            format!("{key} {op} {}", quote(s))
        } else if let Some(ver) = &v.version_value {
            format!("({key}).compareTo(semver({})) {op} 0", quote(ver))
        } else {
            return Err(invalid(format!("attribute {}: value is nil", sel.key)));
        };
        exprs.push(expr);
    }
    for sel in &device.capacity_selectors {
        let (domain, name) = split_key(&sel.key, driver);
        let q = sel
            .value
            .as_ref()
            .ok_or_else(|| invalid(format!("capacity {}: value is nil", sel.key)))?;
        exprs.push(format!(
            "(device.capacity[{}].{name}).compareTo(quantity({})) {} 0",
            quote(domain),
            quote(&q.0),
            cel_operator(&sel.op)
        ));
    }
    Ok(exprs)
}

/// The ResourceClaimTemplates (resource.k8s.io/v1) generated for the `claimCreationSpec`
/// entries of `spec.draResources`, named by [`claim_template_name`]: common labels and
/// annotations, owned by the NIMService; `spec.metadata` carries the common labels and the pod
/// annotations (no parent hash); one device request per device with `exactly{allocationMode:
/// ExactCount, count, deviceClassName, selectors}` ([`device_cel_expressions`]).
///
/// ```
/// use nim_planner::render::{RenderContext, dra::resource_claim_templates};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "test-nimservice", "namespace": "nim"},
///     "spec": {"image": {"repository": "r", "tag": "1"},
///              "draResources": [{"claimCreationSpec": {"devices": [{"name": "gpu", "count": 2}]}}]}
/// })).unwrap();
/// let t = resource_claim_templates(&svc, &RenderContext::default()).unwrap();
/// assert_eq!(t[0].metadata.name.as_deref(), Some("claimtemplate-6bb8bf548c-0"));
/// let req = &t[0].spec.spec.devices.as_ref().unwrap().requests.as_ref().unwrap()[0];
/// assert_eq!(req.exactly.as_ref().unwrap().count, Some(2));
/// ```
pub fn resource_claim_templates(
    svc: &NIMService,
    ctx: &RenderContext,
) -> Result<Vec<ResourceClaimTemplate>, RenderError> {
    let name = name_of(&svc.metadata);
    let mut out = Vec::new();
    for (idx, r) in svc.spec.dra_resources.iter().enumerate() {
        let Some(spec) = r.claim_creation_spec.as_ref().filter(|_| {
            r.resource_claim_name.is_none() && r.resource_claim_template_name.is_none()
        }) else {
            continue;
        };
        let prefix = spec.generate_name.clone().unwrap_or_default();
        let mut requests = Vec::new();
        for device in &spec.devices {
            let selectors = device_cel_expressions(device)?
                .into_iter()
                .map(|expression| DeviceSelector {
                    cel: Some(CELDeviceSelector { expression }),
                })
                .collect();
            requests.push(DeviceRequest {
                name: device.name.clone(),
                exactly: Some(ExactDeviceRequest {
                    allocation_mode: Some("ExactCount".to_string()),
                    count: Some(i64::from(device.count)),
                    device_class_name: if device.device_class_name.is_empty() {
                        DEFAULT_DRA_DRIVER.to_string()
                    } else {
                        device.device_class_name.clone()
                    },
                    selectors: Some(selectors),
                    ..Default::default()
                }),
                first_available: None,
            });
        }
        out.push(ResourceClaimTemplate {
            metadata: owned_meta(
                &svc.metadata,
                NIMSERVICE_KIND,
                &claim_template_name(&name, &prefix, idx),
                service_labels(svc, ctx),
                service_annotations(svc, ctx),
            ),
            spec: ResourceClaimTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: non_empty(service_labels(svc, ctx)),
                    annotations: non_empty(pod_annotations(svc)),
                    ..Default::default()
                }),
                spec: ResourceClaimSpec {
                    devices: Some(DeviceClaim {
                        requests: Some(requests),
                        ..Default::default()
                    }),
                },
            },
        });
    }
    Ok(out)
}
