//! ServiceAccount, Role and RoleBinding for a NIMService (contract §3.2 steps 2–4) and the
//! namespace-shared `nim-cache-sa` / `nim-cache-role` / `nim-cache-rolebinding` for NIMCaches
//! (§3.1 steps 1–3).
//!
//! The Role grants `use` on one OpenShift SecurityContextConstraints object. NVIDIA renders it
//! on every distribution (it is harmless elsewhere).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use nim_types::{NIMCache, NIMService};

use super::RenderContext;
use super::labels::{
    APP_LABEL, MANAGED_BY, MANAGED_BY_LABEL, cache_name_ns, name_of, required_scc,
    service_owned_meta,
};

/// Name of the ServiceAccount shared by all NIMCaches of a namespace.
pub const CACHE_SERVICE_ACCOUNT: &str = "nim-cache-sa";
/// Name of the Role shared by all NIMCaches of a namespace.
pub const CACHE_ROLE: &str = "nim-cache-role";
/// Name of the RoleBinding shared by all NIMCaches of a namespace.
pub const CACHE_ROLE_BINDING: &str = "nim-cache-rolebinding";

/// The single SCC rule: `use` on `securitycontextconstraints/<scc>`.
///
/// ```
/// let rule = nim_planner::render::service_account::scc_rule("nonroot");
/// assert_eq!(rule.resource_names.unwrap(), vec!["nonroot".to_string()]);
/// assert_eq!(rule.verbs, vec!["use".to_string()]);
/// ```
pub fn scc_rule(scc: &str) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec!["security.openshift.io".to_string()]),
        resources: Some(vec!["securitycontextconstraints".to_string()]),
        resource_names: Some(vec![scc.to_string()]),
        verbs: vec!["use".to_string()],
        ..Default::default()
    }
}

/// ServiceAccount `<name>` owned by the NIMService.
///
/// ```
/// use nim_planner::render::{RenderContext, service_account::service_account};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm", "namespace": "nim"},
///     "spec": {"image": {"repository": "r", "tag": "1"}}
/// })).unwrap();
/// let sa = service_account(&svc, &RenderContext::default());
/// assert_eq!(sa.metadata.name.as_deref(), Some("llm"));
/// ```
pub fn service_account(svc: &NIMService, ctx: &RenderContext) -> ServiceAccount {
    ServiceAccount {
        metadata: service_owned_meta(svc, ctx),
        ..Default::default()
    }
}

/// Role `<name>`: `use` on SCC `anyuid` when `spec.proxy` is set, else `hostmount-anyuid` with a
/// hostPath model store, else `nonroot`.
///
/// ```
/// use nim_planner::render::{RenderContext, service_account::role};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm"},
///     "spec": {"image": {"repository": "r", "tag": "1"}, "storage": {"hostPath": "/data"}}
/// })).unwrap();
/// let r = role(&svc, &RenderContext::default());
/// assert_eq!(r.rules.unwrap()[0].resource_names.as_ref().unwrap()[0], "hostmount-anyuid");
/// ```
pub fn role(svc: &NIMService, ctx: &RenderContext) -> Role {
    Role {
        metadata: service_owned_meta(svc, ctx),
        rules: Some(vec![scc_rule(required_scc(svc, true))]),
    }
}

/// RoleBinding `<name>` binding Role `<name>` to ServiceAccount `<name>`.
///
/// ```
/// use nim_planner::render::{RenderContext, service_account::role_binding};
/// let svc: nim_types::NIMService = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "metadata": {"name": "llm", "namespace": "nim"},
///     "spec": {"image": {"repository": "r", "tag": "1"}}
/// })).unwrap();
/// let rb = role_binding(&svc, &RenderContext::default());
/// assert_eq!(rb.role_ref.name, "llm");
/// assert_eq!(rb.subjects.unwrap()[0].namespace.as_deref(), Some("nim"));
/// ```
pub fn role_binding(svc: &NIMService, ctx: &RenderContext) -> RoleBinding {
    let meta = service_owned_meta(svc, ctx);
    let name = name_of(&svc.metadata);
    binding(meta, &name, &name)
}

fn binding(meta: ObjectMeta, role: &str, service_account: &str) -> RoleBinding {
    let namespace = meta.namespace.clone();
    RoleBinding {
        metadata: meta,
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".to_string(),
            kind: "Role".to_string(),
            name: role.to_string(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".to_string(),
            name: service_account.to_string(),
            namespace,
            ..Default::default()
        }]),
    }
}

/// Metadata of the namespace-shared NIMCache RBAC objects: no owner reference (they outlive any
/// single NIMCache), managed-by label, plus `app=k8s-nim-operator` on Role/RoleBinding.
fn cache_rbac_meta(cache: &NIMCache, name: &str, with_app: bool) -> ObjectMeta {
    let (_, namespace) = cache_name_ns(cache);
    let mut labels = BTreeMap::from([(MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string())]);
    if with_app {
        labels.insert(APP_LABEL.to_string(), MANAGED_BY.to_string());
    }
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(namespace),
        labels: Some(labels),
        ..Default::default()
    }
}

/// ServiceAccount `nim-cache-sa`, shared by the NIMCaches of the namespace (no owner; created
/// once, never updated by NVIDIA).
///
/// ```
/// let cache = nim_types::NIMCache::new("llama", Default::default());
/// let sa = nim_planner::render::service_account::cache_service_account(&cache);
/// assert_eq!(sa.metadata.name.as_deref(), Some("nim-cache-sa"));
/// assert!(sa.metadata.owner_references.is_none());
/// ```
pub fn cache_service_account(cache: &NIMCache) -> ServiceAccount {
    ServiceAccount {
        metadata: cache_rbac_meta(cache, CACHE_SERVICE_ACCOUNT, false),
        ..Default::default()
    }
}

/// Role `nim-cache-role`: `use` on SCC `anyuid` when `spec.proxy` is set, else `nonroot`.
///
/// ```
/// let cache = nim_types::NIMCache::new("llama", Default::default());
/// let r = nim_planner::render::service_account::cache_role(&cache);
/// assert_eq!(r.rules.unwrap()[0].resource_names.as_ref().unwrap()[0], "nonroot");
/// ```
pub fn cache_role(cache: &NIMCache) -> Role {
    let scc = if cache.spec.proxy.is_some() {
        "anyuid"
    } else {
        "nonroot"
    };
    Role {
        metadata: cache_rbac_meta(cache, CACHE_ROLE, true),
        rules: Some(vec![scc_rule(scc)]),
    }
}

/// RoleBinding `nim-cache-rolebinding` → Role `nim-cache-role`, subject SA `nim-cache-sa`.
///
/// ```
/// let cache = nim_types::NIMCache::new("llama", Default::default());
/// let rb = nim_planner::render::service_account::cache_role_binding(&cache);
/// assert_eq!(rb.role_ref.name, "nim-cache-role");
/// assert_eq!(rb.subjects.unwrap()[0].name, "nim-cache-sa");
/// ```
pub fn cache_role_binding(cache: &NIMCache) -> RoleBinding {
    binding(
        cache_rbac_meta(cache, CACHE_ROLE_BINDING, true),
        CACHE_ROLE,
        CACHE_SERVICE_ACCOUNT,
    )
}
