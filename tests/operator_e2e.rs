//! End-to-end tests of `nim-operator run` on the local control plane (real etcd,
//! kube-apiserver, scheduler, controller-manager; kwok GPU nodes).
//!
//! Every test runs the real operator binary as its own ServiceAccount bound to exactly the
//! ClusterRole `nim-operator install-manifests` prints (issue 5, test 7), scoped to the test's
//! namespace with its own leader Lease, and checks the cluster through the admin client and the
//! apiserver's audit log (never through the operator's own logs).
mod support;

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use support::operator::{OperatorProcess, audit_writes, install_rbac};
use support::{TestNamespace, create_yaml, wait_for};

const TIMEOUT: Duration = Duration::from_secs(180);
const SEED_CACHE: &str = include_str!("../examples/seed/nimcache.yaml");
const SEED_SERVICE: &str = include_str!("../examples/seed/nimservice.yaml");
const SEED_MANIFEST: &str = include_str!("fixtures/e2e/llama-3-1-8b-cache-manifest.yaml");
const KWOK_NODES: &str = include_str!("fixtures/kwok-nodes.yaml");

fn nim_api(client: &Client, ns: &str, plural: &str, kind: &str) -> Api<DynamicObject> {
    let ar = kube::discovery::ApiResource {
        group: "apps.nvidia.com".into(),
        version: "v1alpha1".into(),
        api_version: "apps.nvidia.com/v1alpha1".into(),
        kind: kind.into(),
        plural: plural.into(),
    };
    Api::namespaced_with(client.clone(), ns, &ar)
}

fn services(client: &Client, ns: &str) -> Api<DynamicObject> {
    nim_api(client, ns, "nimservices", "NIMService")
}

fn dyn_api(
    client: &Client,
    ns: &str,
    group: &str,
    version: &str,
    kind: &str,
    plural: &str,
) -> Api<DynamicObject> {
    let api_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    let ar = kube::discovery::ApiResource {
        group: group.into(),
        version: version.into(),
        api_version,
        kind: kind.into(),
        plural: plural.into(),
    };
    Api::namespaced_with(client.clone(), ns, &ar)
}

fn status_str(o: &DynamicObject, pointer: &str) -> Option<String> {
    o.data
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn condition(o: &DynamicObject, type_: &str) -> Option<Value> {
    o.data
        .pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
        .cloned()
}

async fn wait_state(api: &Api<DynamicObject>, name: &str, state: &str) -> DynamicObject {
    wait_for(
        &format!("{} {name} to be {state}", api.resource_url()),
        TIMEOUT,
        || async {
            let o = api.get(name).await.map_err(|e| e.to_string())?;
            match status_str(&o, "/status/state") {
                Some(s) if s == state => Ok(o),
                other => Err(format!("state {other:?}, status {}", o.data["status"])),
            }
        },
    )
    .await
}

async fn exists(api: &Api<DynamicObject>, name: &str) -> bool {
    api.get_opt(name).await.ok().flatten().is_some()
}

/// A minimal single-GPU NIMService with an emptyDir model store.
fn service_yaml(name: &str, extra_spec: &str) -> String {
    format!(
        "apiVersion: apps.nvidia.com/v1alpha1\nkind: NIMService\nmetadata:\n  name: {name}\nspec:\n  image:\n    repository: nvcr.io/nim/meta/llama-3.1-8b-instruct\n    tag: \"1.8.0\"\n  storage:\n    emptyDir: {{}}\n  resources:\n    limits:\n      nvidia.com/gpu: 1\n{extra_spec}"
    )
}

/// Every object carrying the managed-by label in `ns` must be controlled by a live NIM object.
async fn assert_no_orphans(client: &Client, ns: &str, owner_uid: &str) {
    let lp = ListParams::default().labels("app.kubernetes.io/managed-by=k8s-nim-operator");
    for (g, v, k, p) in [
        ("apps", "v1", "Deployment", "deployments"),
        ("", "v1", "Service", "services"),
        (
            "autoscaling",
            "v2",
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
        ),
        ("networking.k8s.io", "v1", "Ingress", "ingresses"),
        ("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes"),
        ("rbac.authorization.k8s.io", "v1", "Role", "roles"),
    ] {
        let list = dyn_api(client, ns, g, v, k, p)
            .list(&lp)
            .await
            .expect("list children");
        let mut names = BTreeSet::new();
        for o in list.items {
            assert!(names.insert(o.name_any()), "duplicate {k} {}", o.name_any());
            // NVIDIA's NIMCache RBAC is namespace-shared and deliberately unowned.
            if o.name_any().starts_with("nim-cache-") && o.owner_references().is_empty() {
                continue;
            }
            let owners: Vec<_> = o
                .owner_references()
                .iter()
                .filter(|r| r.controller == Some(true))
                .collect();
            assert_eq!(
                owners.len(),
                1,
                "{k} {} has {} controller owners",
                o.name_any(),
                owners.len()
            );
            assert_eq!(
                owners[0].uid,
                owner_uid,
                "{k} {} is owned by a stale object",
                o.name_any()
            );
        }
    }
}

/// kwok nodes created by a test, deleted when it ends.
struct TestNodes {
    client: Client,
    names: Vec<String>,
}

impl TestNodes {
    fn new(client: &Client) -> Self {
        Self {
            client: client.clone(),
            names: Vec::new(),
        }
    }
}

impl TestNodes {
    /// Create a copy of the fixture node `template` named `name`, with `labels` added.
    async fn add(&mut self, template: &str, name: &str, labels: &[(&str, &str)]) {
        let nodes: Value = serde_saphyr::from_str(KWOK_NODES).expect("kwok node fixture");
        let mut node = nodes["items"]
            .as_array()
            .expect("a List")
            .iter()
            .find(|n| n["metadata"]["name"] == template)
            .unwrap_or_else(|| panic!("no node {template} in the fixture"))
            .clone();
        node["metadata"]["name"] = json!(name);
        node["metadata"]["labels"]["kubernetes.io/hostname"] = json!(name);
        for (k, v) in labels {
            node["metadata"]["labels"][*k] = json!(v);
        }
        let node: Node = serde_json::from_value(node).expect("node");
        Api::<Node>::all(self.client.clone())
            .create(&PostParams::default(), &node)
            .await
            .unwrap_or_else(|e| panic!("creating node {name}: {e}"));
        self.names.push(name.to_string());
    }
}

/// `count` copies of the fixture's L40S vGPU node labelled `nim-e2e/pool=<pool>`, named
/// `<pool>-l40s-<i>`: a test selects them with a nodeSelector, so its pods never compete with
/// other tests' pods for the shared nodes.
async fn l40s_pool(client: &Client, pool: &str, count: usize) -> TestNodes {
    let mut nodes = TestNodes::new(client);
    for i in 0..count {
        nodes
            .add(
                "l40s-vgpu-0",
                &format!("{pool}-l40s-{i}"),
                &[("nim-e2e/pool", pool)],
            )
            .await;
    }
    nodes
}

impl Drop for TestNodes {
    fn drop(&mut self) {
        let names = std::mem::take(&mut self.names);
        // Runs while the test's runtime is blocked here: use a thread with its own runtime and
        // its own client (the test's client needs the blocked runtime to make progress).
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async {
                    let client = support::client().await;
                    for n in names {
                        let _ = Api::<Node>::all(client.clone())
                            .delete(&n, &DeleteParams::default())
                            .await;
                    }
                });
            }
        })
        .join();
    }
}

fn operator_writes(
    identity: &str,
    ns: &str,
    since: SystemTime,
) -> Vec<support::operator::AuditWrite> {
    audit_writes(&format!("nim-operator/{identity}"), ns, since)
        .into_iter()
        .filter(|w| w.resource != "leases")
        .collect()
}

/// Issue 5, tests 1 and 7: the seed's cache-then-serve pair converges, children carry the
/// contract's names, labels and owners, pods land only on GPUs the profile allows, and the
/// operator needed nothing beyond the install-manifests ClusterRole.
#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn seed_cache_then_serve_converges() {
    let ns = TestNamespace::new("e2e-seed").await;
    let client = ns.client();
    let since = SystemTime::now();
    let kubeconfig = install_rbac(&client, ns.name()).await;
    let op = OperatorProcess::start(&kubeconfig, ns.name(), "seed").await;
    // The test cluster has no storage provisioner: a static volume for the cache's PVC, as a
    // VKS admin would pre-provision on vSAN File Services.
    let pv: k8s_openapi::api::core::v1::PersistentVolume = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": ns.name()},
        "spec": {
            "capacity": {"storage": "50Gi"}, "accessModes": ["ReadWriteMany"],
            "persistentVolumeReclaimPolicy": "Delete",
            "hostPath": {"path": format!("/tmp/{}", ns.name())},
            "claimRef": {"namespace": ns.name(), "name": "llama-3-1-8b-cache-pvc"}
        }
    }))
    .expect("pv");
    let pvs: Api<k8s_openapi::api::core::v1::PersistentVolume> = Api::all(client.clone());
    pvs.create(&PostParams::default(), &pv)
        .await
        .expect("create PV");
    for yaml in [SEED_MANIFEST, SEED_CACHE, SEED_SERVICE] {
        create_yaml(&client, ns.name(), yaml)
            .await
            .expect("create seed object");
    }

    let caches = nim_api(&client, ns.name(), "nimcaches", "NIMCache");
    let cache = wait_state(&caches, "llama-3-1-8b-cache", "Ready").await;
    let jobs = dyn_api(&client, ns.name(), "batch", "v1", "Job", "jobs");
    let job = jobs
        .get("llama-3-1-8b-cache-job")
        .await
        .expect("caching job");
    let args = job
        .data
        .pointer("/spec/template/spec/containers/0/args")
        .cloned()
        .unwrap_or_default();
    assert!(args.to_string().contains("--profiles"), "job args {args}");
    let profiles = cache
        .data
        .pointer("/status/profiles")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    assert!(
        !profiles.is_empty(),
        "cache status lists its profiles: {}",
        cache.data["status"]
    );

    let svcs = services(&client, ns.name());
    let svc = wait_state(&svcs, "llama-3-1-8b", "Ready").await;
    let svc_uid = svc.uid().expect("uid");
    for (g, v, k, p) in [
        ("apps", "v1", "Deployment", "deployments"),
        ("", "v1", "Service", "services"),
        (
            "autoscaling",
            "v2",
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
        ),
        ("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes"),
    ] {
        let o = dyn_api(&client, ns.name(), g, v, k, p)
            .get("llama-3-1-8b")
            .await
            .unwrap_or_else(|e| panic!("{k}: {e}"));
        let labels = o.labels();
        assert_eq!(
            labels
                .get("app.kubernetes.io/managed-by")
                .map(String::as_str),
            Some("k8s-nim-operator"),
            "{k}"
        );
        assert_eq!(
            labels.get("app.kubernetes.io/part-of").map(String::as_str),
            Some("nim-service"),
            "{k}"
        );
        let owner = o
            .owner_references()
            .iter()
            .find(|r| r.controller == Some(true))
            .cloned();
        assert_eq!(
            owner.map(|r| (r.kind, r.uid)),
            Some(("NIMService".to_string(), svc_uid.clone())),
            "{k}"
        );
    }

    // Pods only on nodes whose GPU product the plan allowed, and those products serve a cached profile.
    let dep: Deployment = Api::namespaced(client.clone(), ns.name())
        .get("llama-3-1-8b")
        .await
        .expect("deployment");
    let allowed: BTreeSet<String> = dep
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .map(|r| {
            r.node_selector_terms
                .iter()
                .flat_map(|t| t.match_expressions.iter().flatten())
                .filter(|e| e.key == "nvidia.com/gpu.product")
                .flat_map(|e| e.values.iter().flatten().cloned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        !allowed.is_empty(),
        "the Deployment is bound to GPU products"
    );
    let gpu_tags: Vec<String> = profiles
        .iter()
        .filter_map(|p| p.pointer("/config/gpu").and_then(Value::as_str))
        .map(str::to_uppercase)
        .collect();
    for product in &allowed {
        assert!(
            gpu_tags.iter().any(|g| product.to_uppercase().contains(g)),
            "{product} serves none of the cached profiles {gpu_tags:?}"
        );
    }
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns.name());
    let running = wait_for("NIM pods scheduled", TIMEOUT, || async {
        let list = pods
            .list(&ListParams::default().labels("app=llama-3-1-8b"))
            .await
            .map_err(|e| e.to_string())?;
        let scheduled: Vec<Pod> = list
            .items
            .into_iter()
            .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some())
            .collect();
        if scheduled.is_empty() {
            Err("no scheduled pod".into())
        } else {
            Ok(scheduled)
        }
    })
    .await;
    let nodes: Api<Node> = Api::all(client.clone());
    for pod in running {
        let node_name = pod.spec.and_then(|s| s.node_name).expect("scheduled");
        let node = nodes.get(&node_name).await.expect("node");
        let product = node
            .labels()
            .get("nvidia.com/gpu.product")
            .cloned()
            .unwrap_or_default();
        assert!(
            allowed.contains(&product),
            "pod on {node_name} ({product}) outside {allowed:?}"
        );
    }
    assert_no_orphans(&client, ns.name(), &svc_uid).await;

    // Test 7: every write the operator made was allowed by the install-manifests RBAC.
    let writes = operator_writes("seed", ns.name(), since);
    assert!(
        !writes.is_empty(),
        "the audit log shows the operator's writes"
    );
    for w in &writes {
        assert_eq!(
            w.user,
            format!("system:serviceaccount:{}:nim-operator", ns.name()),
            "{w:?}"
        );
        assert_ne!(w.code, Some(403), "forbidden write {w:?}");
    }
    assert!(
        !op.logs().contains("forbidden"),
        "operator log mentions a forbidden request:\n{}",
        op.logs()
    );
    let _ = pvs.delete(ns.name(), &DeleteParams::default()).await;
}

/// Issue 5, test 2: a TP=2 model on L40S-only vGPU nodes is not deployed and says why; an
/// H100XM node makes it converge.
#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn tp2_on_l40s_only_explains_then_converges_on_h100() {
    let ns = TestNamespace::new("e2e-l40s").await;
    let client = ns.client();
    let pool = ns.name().to_string();
    let mut nodes = l40s_pool(&client, &pool, 2).await;
    let kubeconfig = install_rbac(&client, ns.name()).await;
    let _op = OperatorProcess::start(&kubeconfig, ns.name(), "l40s").await;
    let extra = format!("  replicas: 1\n  nodeSelector:\n    nim-e2e/pool: {pool}\n");
    let yaml = service_yaml("tp2", &extra).replace("nvidia.com/gpu: 1", "nvidia.com/gpu: 2");
    create_yaml(&client, ns.name(), &yaml)
        .await
        .expect("create");

    let svcs = services(&client, ns.name());
    let svc = wait_for("Scheduled=False condition", TIMEOUT, || async {
        let o = svcs.get("tp2").await.map_err(|e| e.to_string())?;
        match condition(&o, "Scheduled") {
            Some(c) if c["status"] == "False" => Ok(o),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let cond = condition(&svc, "Scheduled").expect("condition");
    assert_eq!(cond["reason"], "VgpuMultiGpuUnsupported", "{cond}");
    assert!(
        cond["message"]
            .as_str()
            .unwrap_or_default()
            .contains("NVLink"),
        "{cond}"
    );
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns.name());
    assert!(
        deployments.get_opt("tp2").await.expect("get").is_none(),
        "no Deployment for an unplaceable model"
    );
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns.name());
    assert!(
        pods.list(&ListParams::default())
            .await
            .expect("pods")
            .items
            .is_empty(),
        "no pods"
    );
    let events = dyn_api(&client, ns.name(), "events.k8s.io", "v1", "Event", "events");
    wait_for(
        "a Warning event with the diagnostic code",
        TIMEOUT,
        || async {
            let list = events
                .list(&ListParams::default())
                .await
                .map_err(|e| e.to_string())?;
            list.items
                .iter()
                .find(|e| {
                    e.data["type"] == "Warning" && e.data["reason"] == "VgpuMultiGpuUnsupported"
                })
                .map(|_| ())
                .ok_or_else(|| format!("{} events, none matching", list.items.len()))
        },
    )
    .await;

    // A GPU inventory change re-plans: an H100XM node (NVLink, full-framebuffer 80C) in the pool.
    nodes
        .add(
            "h100xm-vgpu-0",
            &format!("{pool}-h100xm"),
            &[("nim-e2e/pool", &pool)],
        )
        .await;
    wait_state(&svcs, "tp2", "Ready").await;
    let list = pods
        .list(&ListParams::default().labels("app=tp2"))
        .await
        .expect("pods");
    assert!(!list.items.is_empty());
    for p in list.items {
        assert_eq!(
            p.spec.and_then(|s| s.node_name),
            Some(format!("{pool}-h100xm"))
        );
    }
}

/// Issue 5, test 3: spec edits converge, removed children are pruned, deleting the CR lets the
/// garbage collector remove every child.
#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn spec_edits_converge_and_prune() {
    let ns = TestNamespace::new("e2e-edit").await;
    let client = ns.client();
    let kubeconfig = install_rbac(&client, ns.name()).await;
    let _op = OperatorProcess::start(&kubeconfig, ns.name(), "edit").await;
    let extra = "  scale:\n    enabled: true\n    hpa:\n      minReplicas: 1\n      maxReplicas: 3\n  expose:\n    router:\n      hostDomainName: example.com\n      ingress:\n        ingressClass: nginx\n";
    create_yaml(&client, ns.name(), &service_yaml("edit", extra))
        .await
        .expect("create");
    let svcs = services(&client, ns.name());
    wait_state(&svcs, "edit", "Ready").await;
    let hpas = dyn_api(
        &client,
        ns.name(),
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
    );
    let ingresses = dyn_api(
        &client,
        ns.name(),
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
    );
    let routes = dyn_api(
        &client,
        ns.name(),
        "gateway.networking.k8s.io",
        "v1",
        "HTTPRoute",
        "httproutes",
    );
    assert!(exists(&hpas, "edit").await && exists(&ingresses, "edit").await);

    let patch = json!({"spec": {
        "scale": {"enabled": false},
        "replicas": 2,
        "expose": {"router": {"ingress": null, "gateway": {"name": "gw", "namespace": ns.name(), "httpRoutesEnabled": true}}}
    }});
    svcs.patch("edit", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("edit");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns.name());
    wait_for("edits to converge", TIMEOUT, || async {
        let hpa = exists(&hpas, "edit").await;
        let ing = exists(&ingresses, "edit").await;
        let route = exists(&routes, "edit").await;
        let replicas = deployments
            .get("edit")
            .await
            .map_err(|e| e.to_string())?
            .spec
            .and_then(|s| s.replicas);
        if !hpa && !ing && route && replicas == Some(2) {
            Ok(())
        } else {
            Err(format!(
                "hpa {hpa}, ingress {ing}, route {route}, replicas {replicas:?}"
            ))
        }
    })
    .await;
    wait_state(&svcs, "edit", "Ready").await;

    svcs.delete("edit", &DeleteParams::default())
        .await
        .expect("delete");
    wait_for("children garbage-collected", TIMEOUT, || async {
        let left: Vec<&str> = [
            (
                "Deployment",
                deployments.get_opt("edit").await.ok().flatten().is_some(),
            ),
            ("HTTPRoute", exists(&routes, "edit").await),
            (
                "Service",
                exists(
                    &dyn_api(&client, ns.name(), "", "v1", "Service", "services"),
                    "edit",
                )
                .await,
            ),
            ("NIMService", exists(&svcs, "edit").await),
        ]
        .into_iter()
        .filter(|(_, e)| *e)
        .map(|(k, _)| k)
        .collect();
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!("still there: {left:?}"))
        }
    })
    .await;
}

/// Issue 5, test 4: input the apiserver admits but the planner rejects gets status and an event,
/// and no retry storm.
#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn missing_nimcache_reports_without_retry_storm() {
    let ns = TestNamespace::new("e2e-bad").await;
    let client = ns.client();
    let kubeconfig = install_rbac(&client, ns.name()).await;
    let op = OperatorProcess::start(&kubeconfig, ns.name(), "bad").await;
    let yaml = service_yaml("orphan", "").replace(
        "    emptyDir: {}\n",
        "    nimCache:\n      name: does-not-exist\n",
    );
    create_yaml(&client, ns.name(), &yaml)
        .await
        .expect("create");
    let svcs = services(&client, ns.name());
    let svc = wait_state(&svcs, "orphan", "Failed").await;
    let failed = condition(&svc, "Failed").expect("Failed condition");
    assert_eq!(failed["reason"], "NIMCacheNotFound", "{failed}");
    let events = dyn_api(&client, ns.name(), "events.k8s.io", "v1", "Event", "events");
    wait_for("a Warning event", TIMEOUT, || async {
        let list = events
            .list(&ListParams::default())
            .await
            .map_err(|e| e.to_string())?;
        list.items
            .iter()
            .find(|e| e.data["type"] == "Warning" && e.data["reason"] == "NIMCacheNotFound")
            .map(|_| ())
            .ok_or_else(|| "none yet".to_string())
    })
    .await;
    let count = |op: &OperatorProcess| {
        op.metric("nim_operator_reconciles_total", &[("kind", "NIMService")])
            .unwrap_or(0.0)
    };
    let before = count(&op);
    assert!(before >= 1.0);
    // Give a hot loop ample opportunity to show itself; a correct operator waits for a change.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = count(&op);
    assert!(
        after - before <= 2.0,
        "{before} -> {after} reconciles of an unchanged invalid object"
    );
    assert!(deployments_empty(&client, ns.name()).await);
}

async fn deployments_empty(client: &Client, ns: &str) -> bool {
    Api::<Deployment>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await
        .map(|l| l.items.is_empty())
        .unwrap_or(false)
}

/// Issue 5, tests 5 and 6: killed mid-rollout, a new operator converges with no duplicate or
/// orphan; after convergence, a full resync by a fresh operator writes nothing.
#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn restart_mid_rollout_converges_and_resync_writes_nothing() {
    let ns = TestNamespace::new("e2e-kill").await;
    let client = ns.client();
    let kubeconfig = install_rbac(&client, ns.name()).await;
    let mut first = OperatorProcess::start(&kubeconfig, ns.name(), "first").await;
    create_yaml(&client, ns.name(), &service_yaml("roll", "  replicas: 3\n"))
        .await
        .expect("create");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns.name());
    wait_for("the Deployment (mid-rollout)", TIMEOUT, || async {
        deployments
            .get_opt("roll")
            .await
            .map_err(|e| e.to_string())?
            .map(|_| ())
            .ok_or_else(|| "absent".to_string())
    })
    .await;
    first.kill();
    let second = OperatorProcess::start(&kubeconfig, ns.name(), "second").await;
    let svcs = services(&client, ns.name());
    let svc = wait_state(&svcs, "roll", "Ready").await;
    assert_no_orphans(&client, ns.name(), &svc.uid().expect("uid")).await;
    drop(second);

    // A fresh replica lists everything and reconciles it: zero writes, per the audit log.
    let since = SystemTime::now();
    let third = OperatorProcess::start(&kubeconfig, ns.name(), "third").await;
    wait_for(
        "the resync to reconcile the NIMService",
        TIMEOUT,
        || async {
            match third.metric(
                "nim_operator_reconciles_total",
                &[("kind", "NIMService"), ("result", "ok")],
            ) {
                Some(n) if n >= 1.0 => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    let writes = operator_writes("third", ns.name(), since);
    assert!(writes.is_empty(), "a converged resync wrote: {writes:#?}");
    assert_eq!(
        third.metric("nim_operator_writes_total", &[("kind", "NIMService")]),
        Some(0.0)
    );
}

/// Issue 5, test 8: with two replicas only the leader writes; the standby takes over when the
/// leader dies.
#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn only_the_leader_writes() {
    let ns = TestNamespace::new("e2e-ha").await;
    let client = ns.client();
    let since = SystemTime::now();
    let kubeconfig = install_rbac(&client, ns.name()).await;
    let a = OperatorProcess::start(&kubeconfig, ns.name(), "replica-a").await;
    let b = OperatorProcess::start(&kubeconfig, ns.name(), "replica-b").await;
    create_yaml(&client, ns.name(), &service_yaml("ha", "  replicas: 1\n"))
        .await
        .expect("create");
    let svcs = services(&client, ns.name());
    wait_state(&svcs, "ha", "Ready").await;
    let wa = operator_writes("replica-a", ns.name(), since);
    let wb = operator_writes("replica-b", ns.name(), since);
    assert!(
        wa.is_empty() != wb.is_empty(),
        "exactly one replica writes: a {} writes, b {} writes",
        wa.len(),
        wb.len()
    );
    let (mut leader, standby, standby_id) = if wa.is_empty() {
        (b, a, "replica-a")
    } else {
        (a, b, "replica-b")
    };
    assert_eq!(standby.metric("nim_operator_leader", &[]), Some(0.0));

    leader.kill();
    let since = SystemTime::now();
    svcs.patch(
        "ha",
        &PatchParams::default(),
        &Patch::Merge(&json!({"spec": {"replicas": 2}})),
    )
    .await
    .expect("edit");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns.name());
    wait_for(
        "the standby to take over and apply the edit",
        TIMEOUT,
        || async {
            let r = deployments
                .get("ha")
                .await
                .map_err(|e| e.to_string())?
                .spec
                .and_then(|s| s.replicas);
            if r == Some(2) {
                Ok(())
            } else {
                Err(format!("replicas {r:?}"))
            }
        },
    )
    .await;
    assert!(
        !operator_writes(standby_id, ns.name(), since).is_empty(),
        "the new leader made the writes"
    );
}

/// NIMCache lifecycle without a stored manifest: the operator creates the cache's RBAC and PVC
/// and the model-manifest probe pod (admitted and run as `nim-cache-sa`), and says what it waits
/// for. (kwok pods print nothing, so the manifest is never read here; the in-memory tests in
/// nim-reconcile cover reading it.)
#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn a_cache_without_manifest_runs_the_probe_pod() {
    let ns = TestNamespace::new("e2e-probe").await;
    let client = ns.client();
    let kubeconfig = install_rbac(&client, ns.name()).await;
    let _op = OperatorProcess::start(&kubeconfig, ns.name(), "probe").await;
    create_yaml(&client, ns.name(), SEED_CACHE)
        .await
        .expect("create cache");
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns.name());
    let pod = wait_for("the probe pod to run", TIMEOUT, || async {
        let p = pods
            .get_opt("llama-3-1-8b-cache-pod")
            .await
            .map_err(|e| e.to_string())?
            .ok_or("absent")?;
        let phase = p
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default();
        if phase == "Running" {
            Ok(p)
        } else {
            Err(format!("phase {phase}"))
        }
    })
    .await;
    let spec = pod.spec.expect("spec");
    assert_eq!(spec.service_account_name.as_deref(), Some("nim-cache-sa"));
    assert_eq!(
        spec.containers[0].image.as_deref(),
        Some("nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.0")
    );
    let caches = nim_api(&client, ns.name(), "nimcaches", "NIMCache");
    let cache = wait_state(&caches, "llama-3-1-8b-cache", "PVC-Created").await;
    let pending = condition(&cache, "NIM_CACHE_JOB_PENDING").expect("pending condition");
    assert_eq!(pending["reason"], "ModelManifestPending", "{pending}");
    assert!(
        dyn_api(
            &client,
            ns.name(),
            "",
            "v1",
            "PersistentVolumeClaim",
            "persistentvolumeclaims"
        )
        .get_opt("llama-3-1-8b-cache-pvc")
        .await
        .expect("get")
        .is_some()
    );
    assert!(
        !exists(
            &dyn_api(&client, ns.name(), "batch", "v1", "Job", "jobs"),
            "llama-3-1-8b-cache-job"
        )
        .await,
        "no Job before profiles are known"
    );
}

/// A multi-node MPI NIMService gets its LeaderWorkerSet and the SSH key Secret the planner
/// cannot render: a fresh, unencrypted OpenSSH key owned by the service. A later spec change
/// re-applies the LeaderWorkerSet but never replaces the key.
#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn a_multi_node_service_gets_its_mpi_ssh_key_once() {
    use k8s_openapi::api::core::v1::Secret;
    let ns = TestNamespace::new("e2e-mpi").await;
    let client = ns.client();
    // Dedicated GPU nodes: the shared ones may be full of other tests' pods.
    let pool = ns.name().to_string();
    let _nodes = l40s_pool(&client, &pool, 2).await;
    let kubeconfig = install_rbac(&client, ns.name()).await;
    let _op = OperatorProcess::start(&kubeconfig, ns.name(), "mpi").await;
    let extra = format!(
        "  replicas: 1\n  nodeSelector:\n    nim-e2e/pool: {pool}\n  multiNode:\n    parallelism:\n      tensor: 1\n      pipeline: 2\n"
    );
    let yaml = service_yaml("mn", &extra).replace(
        "    emptyDir: {}\n",
        "    pvc:\n      create: true\n      size: 50Gi\n      volumeAccessMode: ReadWriteMany\n",
    );
    create_yaml(&client, ns.name(), &yaml)
        .await
        .expect("create");
    let lws_api = dyn_api(
        &client,
        ns.name(),
        "leaderworkerset.x-k8s.io",
        "v1",
        "LeaderWorkerSet",
        "leaderworkersets",
    );
    wait_for("the LeaderWorkerSet", TIMEOUT, || async {
        lws_api
            .get_opt("mn-lws")
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "absent".to_string())
    })
    .await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), ns.name());
    let secret = wait_for("the MPI SSH key Secret", TIMEOUT, || async {
        secrets
            .get_opt("mn-ssh-pk")
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "absent".to_string())
    })
    .await;
    let svc = services(&client, ns.name()).get("mn").await.expect("svc");
    let owner = &secret.metadata.owner_references.as_ref().expect("owner")[0];
    assert_eq!(owner.uid, svc.uid().expect("uid"));
    assert_eq!(owner.controller, Some(true));
    let pem = secret
        .data
        .as_ref()
        .and_then(|d| d.get("private.key"))
        .map(|b| String::from_utf8(b.0.clone()).expect("UTF-8"))
        .expect("private.key");
    let key = ssh_key::PrivateKey::from_openssh(&pem).expect("an OpenSSH private key");
    assert!(!key.is_encrypted());

    // A spec change re-plans the service: the LWS gets the new env, the key stays.
    services(&client, ns.name())
        .patch(
            "mn",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"env": [{"name": "NIM_LOG_LEVEL", "value": "DEBUG"}]}})),
        )
        .await
        .expect("patch");
    wait_for(
        "the LeaderWorkerSet to get the new env",
        TIMEOUT,
        || async {
            let lws = lws_api.get("mn-lws").await.map_err(|e| e.to_string())?;
            if lws.data.to_string().contains("DEBUG") {
                Ok(())
            } else {
                Err("old template".to_string())
            }
        },
    )
    .await;
    let after = secrets.get("mn-ssh-pk").await.expect("Secret");
    assert_eq!(after.metadata.uid, secret.metadata.uid, "never re-created");
    assert_eq!(after.data, secret.data, "never replaced");
}

/// A CRD installed after the operator started is picked up without a restart: a KServe
/// NIMService first fails with `KindNotInstalled`; once the InferenceService CRD exists, the
/// operator watches the new kind and applies the InferenceService.
#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn a_crd_installed_after_the_start_is_picked_up() {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    const CRD: &str = "inferenceservices.serving.kserve.io";
    let ns = TestNamespace::new("e2e-late-crd").await;
    let client = ns.client();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    // No test installs KServe; a previous run of this test may have.
    let _ = crds.delete(CRD, &DeleteParams::default()).await;
    wait_for("no InferenceService CRD", TIMEOUT, || async {
        match crds.get_opt(CRD).await.map_err(|e| e.to_string())? {
            None => Ok(()),
            Some(_) => Err("still there".to_string()),
        }
    })
    .await;
    // A dedicated GPU node: the shared ones may be full of other tests' pods.
    let pool = ns.name().to_string();
    let _nodes = l40s_pool(&client, &pool, 1).await;
    let kubeconfig = install_rbac(&client, ns.name()).await;
    let _op = OperatorProcess::start_with(
        &kubeconfig,
        ns.name(),
        "late-crd",
        &["--discovery-interval", "1"],
    )
    .await;
    let extra = format!(
        "  replicas: 1\n  nodeSelector:\n    nim-e2e/pool: {pool}\n  inferencePlatform: kserve\n"
    );
    let yaml = service_yaml("ks", &extra);
    create_yaml(&client, ns.name(), &yaml)
        .await
        .expect("create");
    let svcs = services(&client, ns.name());
    let svc = wait_state(&svcs, "ks", "Failed").await;
    let failed = condition(&svc, "Failed").expect("Failed condition");
    assert_eq!(failed["reason"], "KindNotInstalled", "{failed}");

    let crd: CustomResourceDefinition = serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": CRD},
        "spec": {
            "group": "serving.kserve.io", "scope": "Namespaced",
            "names": {"plural": "inferenceservices", "singular": "inferenceservice",
                      "kind": "InferenceService", "listKind": "InferenceServiceList"},
            "versions": [{"name": "v1beta1", "served": true, "storage": true,
                          "subresources": {"status": {}},
                          "schema": {"openAPIV3Schema": {"type": "object",
                              "x-kubernetes-preserve-unknown-fields": true}}}]
        }
    }))
    .expect("CRD");
    crds.create(&PostParams::default(), &crd)
        .await
        .expect("create CRD");
    let isvc = dyn_api(
        &client,
        ns.name(),
        "serving.kserve.io",
        "v1beta1",
        "InferenceService",
        "inferenceservices",
    );
    let applied = wait_for("the InferenceService", TIMEOUT, || async {
        isvc.get_opt("ks")
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "absent".to_string())
    })
    .await;
    let owner = &applied.metadata.owner_references.as_ref().expect("owner")[0];
    assert_eq!(
        owner.uid,
        svcs.get("ks").await.expect("svc").uid().expect("uid")
    );
    wait_for("the Failed condition to clear", TIMEOUT, || async {
        let s = svcs.get("ks").await.map_err(|e| e.to_string())?;
        match condition(&s, "Failed") {
            Some(c) if c["status"] == "True" => Err(format!("still failed: {c}")),
            _ => Ok(()),
        }
    })
    .await;
    // The CRD stays: deleting it here would race operators other tests are starting now.
}
