//! `nim-operator install-manifests [--namespace NS] [--image IMAGE]`: everything needed to run
//! the operator in a cluster (Namespace, the four CRDs, ServiceAccount, least-privilege
//! ClusterRole and its binding, Deployment) as one multi-document YAML stream.
//!
//! ```text
//! $ nim-operator install-manifests --namespace nim-operator | kubectl apply --server-side -f -
//! ```

use std::io::Write as _;

use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Value, json};

/// Name of the ServiceAccount, ClusterRole, ClusterRoleBinding and Deployment.
const NAME: &str = "nim-operator";

/// The port the operator serves `/healthz`, `/readyz` and `/metrics` on.
const METRICS_PORT: u16 = 8080;

/// Every verb on a resource the operator owns.
const FULL: &[&str] = &[
    "get", "list", "watch", "create", "update", "patch", "delete",
];
/// Read-only access.
const READ: &[&str] = &["get", "list", "watch"];

/// Flags of `nim-operator install-manifests`.
///
/// ```text
/// $ nim-operator install-manifests --namespace nim-system --image registry.example/nim-operator:0.1.0
/// ```
#[derive(Debug, Clone, clap::Args)]
pub struct InstallArgs {
    /// Namespace the operator runs in (created by the manifests).
    #[arg(long, default_value = NAME)]
    pub namespace: String,
    /// Container image of the operator.
    #[arg(long, default_value = concat!("ghcr.io/example/nim-operator:", env!("CARGO_PKG_VERSION")))]
    pub image: String,
}

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
    let strings = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    PolicyRule {
        api_groups: Some(strings(groups)),
        resources: Some(strings(resources)),
        verbs: strings(verbs),
        ..PolicyRule::default()
    }
}

/// The operator's ClusterRole `nim-operator`: least privilege, no wildcards.
///
/// Besides what the operator reads and writes itself (the NIM CRs and their status and
/// finalizers, the child objects it renders, Nodes and ClusterPolicies for GPU inventory,
/// Leases for leader election, Events), it holds every permission that the Roles it renders
/// grant: `use` on the OpenShift SecurityContextConstraints `anyuid`, `nonroot` and
/// `hostmount-anyuid`, and get/list/watch on Pods and InferencePools for the endpoint picker
/// (EPP) Role. RBAC escalation prevention lets a subject create or update a Role only when it
/// already holds every permission that Role grants (unless it has `escalate`, which this role
/// deliberately does not have), so those rules must be here.
///
/// ```text
/// let role = cluster_role();
/// assert_eq!(role.metadata.name.as_deref(), Some("nim-operator"));
/// // rules: apps.nvidia.com nimservices get,list,watch,create,update,patch,delete; "" pods/log get; ...
/// ```
pub fn cluster_role() -> ClusterRole {
    let rules = vec![
        rule(
            &["apps.nvidia.com"],
            &["nimcaches", "nimservices", "nimpipelines", "nimbuilds"],
            FULL,
        ),
        rule(
            &["apps.nvidia.com"],
            &[
                "nimcaches/status",
                "nimservices/status",
                "nimpipelines/status",
                "nimbuilds/status",
            ],
            &["get", "update", "patch"],
        ),
        rule(
            &["apps.nvidia.com"],
            &[
                "nimcaches/finalizers",
                "nimservices/finalizers",
                "nimpipelines/finalizers",
                "nimbuilds/finalizers",
            ],
            &["update"],
        ),
        rule(&[""], &["nodes"], READ),
        rule(
            &[""],
            &["pods"],
            &["get", "list", "watch", "create", "delete", "patch"],
        ),
        rule(&[""], &["pods/log"], &["get"]),
        rule(
            &[""],
            &[
                "configmaps",
                "services",
                "serviceaccounts",
                "persistentvolumeclaims",
                "secrets",
            ],
            FULL,
        ),
        rule(&[""], &["events"], &["create", "patch"]),
        rule(&["events.k8s.io"], &["events"], &["create", "patch"]),
        rule(&["apps"], &["deployments"], FULL),
        rule(&["batch"], &["jobs"], FULL),
        rule(&["autoscaling"], &["horizontalpodautoscalers"], FULL),
        rule(&["networking.k8s.io"], &["ingresses"], FULL),
        rule(
            &["rbac.authorization.k8s.io"],
            &["roles", "rolebindings"],
            FULL,
        ),
        rule(
            &["gateway.networking.k8s.io"],
            &["httproutes", "grpcroutes"],
            FULL,
        ),
        rule(&["monitoring.coreos.com"], &["servicemonitors"], FULL),
        rule(&["leaderworkerset.x-k8s.io"], &["leaderworkersets"], FULL),
        rule(&["serving.kserve.io"], &["inferenceservices"], FULL),
        rule(&["resource.nvidia.com"], &["computedomains"], FULL),
        rule(&["resource.k8s.io"], &["resourceclaimtemplates"], FULL),
        rule(&["resource.k8s.io"], &["resourceclaims"], READ),
        rule(
            &[
                "inference.networking.k8s.io",
                "inference.networking.x-k8s.io",
            ],
            &["inferencepools"],
            FULL,
        ),
        rule(
            &[
                "inference.networking.k8s.io",
                "inference.networking.x-k8s.io",
            ],
            &["inferenceobjectives"],
            READ,
        ),
        rule(&["nvidia.com"], &["clusterpolicies"], READ),
        rule(
            &["coordination.k8s.io"],
            &["leases"],
            &["get", "list", "watch", "create", "update", "patch"],
        ),
        PolicyRule {
            resource_names: Some(
                ["anyuid", "nonroot", "hostmount-anyuid"]
                    .map(String::from)
                    .to_vec(),
            ),
            ..rule(
                &["security.openshift.io"],
                &["securitycontextconstraints"],
                &["use"],
            )
        },
    ];
    ClusterRole {
        metadata: ObjectMeta {
            name: Some(NAME.to_owned()),
            ..ObjectMeta::default()
        },
        rules: Some(rules),
        ..ClusterRole::default()
    }
}

fn to_value(object: &impl serde::Serialize) -> Value {
    serde_json::to_value(object).expect("Kubernetes objects serialize to JSON")
}

fn deployment(namespace: &str, image: &str) -> Value {
    let labels = json!({ "app.kubernetes.io/name": NAME });
    let from_field = |path: &str| json!({ "fieldRef": { "fieldPath": path } });
    let probe = |path: &str| json!({ "httpGet": { "path": path, "port": "http" } });
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": NAME, "namespace": namespace, "labels": labels },
        "spec": {
            // Two replicas: leader election keeps one active, the other takes over quickly.
            "replicas": 2,
            "selector": { "matchLabels": labels },
            "template": {
                "metadata": { "labels": labels },
                "spec": {
                    "serviceAccountName": NAME,
                    "securityContext": {
                        "runAsNonRoot": true,
                        "seccompProfile": { "type": "RuntimeDefault" }
                    },
                    "containers": [{
                        "name": "operator",
                        "image": image,
                        "args": ["run", "--metrics-bind", format!("0.0.0.0:{METRICS_PORT}")],
                        "env": [
                            { "name": "POD_NAME", "valueFrom": from_field("metadata.name") },
                            { "name": "POD_NAMESPACE", "valueFrom": from_field("metadata.namespace") }
                        ],
                        "ports": [{ "name": "http", "containerPort": METRICS_PORT, "protocol": "TCP" }],
                        "livenessProbe": probe("/healthz"),
                        "readinessProbe": probe("/readyz"),
                        "resources": {
                            "requests": { "cpu": "100m", "memory": "128Mi" },
                            "limits": { "memory": "512Mi" }
                        },
                        "securityContext": {
                            "runAsNonRoot": true,
                            "readOnlyRootFilesystem": true,
                            "allowPrivilegeEscalation": false,
                            "capabilities": { "drop": ["ALL"] },
                            "seccompProfile": { "type": "RuntimeDefault" }
                        }
                    }]
                }
            }
        }
    })
}

/// The install manifests, in apply order: Namespace `namespace`, the four NIM CRDs,
/// ServiceAccount, [`cluster_role`], ClusterRoleBinding and a two-replica Deployment running
/// `image` with `nim-operator run` (leader election picks the active replica), all named
/// `nim-operator`.
///
/// ```text
/// let docs = install_manifests("nim-operator", "ghcr.io/example/nim-operator:0.1.0");
/// let kinds: Vec<_> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
/// assert_eq!(kinds, ["Namespace", "CustomResourceDefinition", "CustomResourceDefinition",
///     "CustomResourceDefinition", "CustomResourceDefinition", "ServiceAccount", "ClusterRole",
///     "ClusterRoleBinding", "Deployment"]);
/// ```
pub fn install_manifests(namespace: &str, image: &str) -> Vec<Value> {
    let mut docs = vec![json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": { "name": namespace }
    })];
    docs.extend(nim_types::crds().iter().map(to_value));
    docs.push(json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": { "name": NAME, "namespace": namespace }
    }));
    docs.push(to_value(&cluster_role()));
    docs.push(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": { "name": NAME },
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": NAME
        },
        "subjects": [{ "kind": "ServiceAccount", "name": NAME, "namespace": namespace }]
    }));
    docs.push(deployment(namespace, image));
    docs
}

/// Render documents as one YAML stream, each starting with `---` (as `nim-operator crds`).
fn render(docs: &[Value]) -> Result<String, serde_saphyr::SerializeError> {
    let mut out = String::new();
    for doc in docs {
        out.push_str("---\n");
        out.push_str(&serde_saphyr::to_string(doc)?);
    }
    Ok(out)
}

/// Run the command: print [`install_manifests`] to stdout as multi-document YAML. Returns the
/// exit code (0); errors (serialization, a closed stdout) are for the caller to report (exit 2).
///
/// ```text
/// $ nim-operator install-manifests --namespace nim-operator | grep '^kind:'
/// kind: Namespace
/// kind: CustomResourceDefinition
/// ...
/// kind: Deployment
/// ```
pub fn run(args: &InstallArgs) -> anyhow::Result<i32> {
    let yaml = render(&install_manifests(&args.namespace, &args.image))?;
    std::io::stdout().write_all(yaml.as_bytes())?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(role: &ClusterRole, group: &str, resource: &str, verb: &str) -> bool {
        role.rules.iter().flatten().any(|r| {
            r.api_groups.iter().flatten().any(|g| g == group)
                && r.resources.iter().flatten().any(|x| x == resource)
                && r.verbs.iter().any(|v| v == verb)
        })
    }

    #[test]
    fn cluster_role_is_least_privilege() {
        let role = cluster_role();
        for r in role.rules.iter().flatten() {
            let all = r
                .api_groups
                .iter()
                .flatten()
                .chain(r.resources.iter().flatten());
            assert!(all.chain(&r.verbs).all(|s| s != "*"), "wildcard in {r:?}");
            assert!(
                !r.verbs.iter().any(|v| v == "escalate" || v == "bind"),
                "{r:?}"
            );
        }
        assert!(has(&role, "", "pods/log", "get"));
        assert!(!has(&role, "", "pods", "update"));
        assert!(has(&role, "coordination.k8s.io", "leases", "update"));
        assert!(!has(&role, "coordination.k8s.io", "leases", "delete"));
        assert!(!has(&role, "resource.k8s.io", "resourceclaims", "create"));
        assert!(has(
            &role,
            "inference.networking.x-k8s.io",
            "inferencepools",
            "watch"
        ));
        let scc = role
            .rules
            .iter()
            .flatten()
            .find(|r| r.verbs == ["use"])
            .expect("an SCC use rule");
        assert_eq!(
            scc.resource_names.as_deref(),
            Some(&["anyuid", "nonroot", "hostmount-anyuid"].map(String::from)[..])
        );
    }

    #[test]
    fn manifests_are_namespaced_and_rendered() {
        let docs = install_manifests("ops", "img:1");
        let kinds: Vec<_> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "Namespace",
                "CustomResourceDefinition",
                "CustomResourceDefinition",
                "CustomResourceDefinition",
                "CustomResourceDefinition",
                "ServiceAccount",
                "ClusterRole",
                "ClusterRoleBinding",
                "Deployment"
            ]
        );
        assert_eq!(docs[7]["subjects"][0]["namespace"], "ops");
        let deploy = &docs[8];
        assert_eq!(deploy["metadata"]["namespace"], "ops");
        let pod = &deploy["spec"]["template"]["spec"];
        assert_eq!(pod["serviceAccountName"], "nim-operator");
        assert_eq!(pod["containers"][0]["image"], "img:1");
        let yaml = render(&docs).unwrap();
        assert_eq!(yaml.matches("---\n").count(), docs.len());
        assert!(yaml.contains("pods/log"));
    }
}
