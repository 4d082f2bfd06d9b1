//! The planner against the real control plane: plan the examples against the live kwok GPU
//! nodes, server-side apply every planned object (the apiserver validates each against its real
//! schema, third-party CRDs included), and check that the real kube-scheduler puts the NIM pods
//! only on nodes whose GPU product the plan allowed.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, PersistentVolume, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::core::DynamicObject;
use nim_planner::plan::{PlanInput, plan};
use nim_planner::snapshot::ClusterSnapshot;
use serde_json::{Value, json};
use support::{TestNamespace, api_for, wait_for};

const DEADLINE: Duration = Duration::from_secs(120);

fn read_yaml(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    docs.into_iter()
        .flat_map(|d| match d.get("items").and_then(Value::as_array) {
            Some(items) => items.clone(),
            None => vec![d],
        })
        .collect()
}

/// A static PV the real PV controller can bind the planned cache PVC to (kwok has no
/// provisioner).
async fn static_pv(client: &kube::Client, name: &str, size: &str) {
    let pvs: Api<PersistentVolume> = Api::all(client.clone());
    let pv: PersistentVolume = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
        "spec": {"capacity": {"storage": size}, "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
                 "storageClassName": "", "persistentVolumeReclaimPolicy": "Delete",
                 "hostPath": {"path": format!("/tmp/{name}")}}
    }))
    .unwrap();
    let _ = pvs.delete(name, &DeleteParams::default()).await;
    pvs.create(&PostParams::default(), &pv)
        .await
        .expect("create PV");
}

#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn planned_objects_are_accepted_and_pods_land_only_on_allowed_gpus() {
    let ns = TestNamespace::new("plan-apply").await;
    let client = ns.client();

    // Snapshot from the live cluster's nodes, plus the model manifests the cache probe would store.
    let nodes: Api<Node> = Api::all(client.clone());
    let mut cluster: Vec<Value> = nodes
        .list(&ListParams::default())
        .await
        .expect("list nodes")
        .items
        .into_iter()
        .map(|n| serde_json::to_value(n).unwrap())
        .collect();
    for mut cm in read_yaml("examples/clusters/vks.yaml")
        .into_iter()
        .filter(|o| o["kind"] == "ConfigMap")
    {
        cm["metadata"]["namespace"] = json!(ns.name());
        cluster.push(cm);
    }
    let snapshot = ClusterSnapshot::from_objects(&cluster);
    assert!(
        snapshot.inventory.nodes.len() >= 6,
        "kwok fixture nodes are visible"
    );

    let mut crs = Vec::new();
    for path in [
        "examples/seed/nimcache.yaml",
        "examples/seed/nimservice.yaml",
        "examples/llama-70b/nimcache.yaml",
        "examples/llama-70b/nimservice.yaml",
    ] {
        for mut o in read_yaml(path) {
            o["metadata"]["namespace"] = json!(ns.name());
            crs.push(o);
        }
    }
    let (input, problems) = PlanInput::from_objects(&crs);
    assert!(problems.is_empty(), "{problems:?}");
    let planned = plan(&input, &snapshot);
    assert!(!planned.has_errors(), "{:#?}", planned.diagnostics);
    assert!(!planned.objects.is_empty());

    // PVs for the two cache PVCs (unique per test namespace).
    static_pv(&client, &format!("{}-8b", ns.name()), "50Gi").await;
    static_pv(&client, &format!("{}-70b", ns.name()), "300Gi").await;

    // Server-side apply every object in plan order; the apiserver is the judge of each one.
    let ssa = PatchParams::apply("nim-operator-test").force();
    for object in &planned.objects {
        let obj: DynamicObject = serde_json::from_value(object.clone()).expect("planned object");
        let name = obj.metadata.name.clone().expect("named");
        let api = api_for(&client, ns.name(), &obj).await;
        api.patch(&name, &ssa, &Patch::Apply(&obj))
            .await
            .unwrap_or_else(|e| {
                panic!("apiserver rejected planned {} {name}: {e}", object["kind"])
            });
    }

    // Every NIM pod is scheduled by the real kube-scheduler onto an allowed GPU product.
    for svc in ["llama-3-1-8b", "llama-3-1-70b"] {
        let allowed: BTreeSet<String> = planned
            .placement(ns.name(), svc)
            .expect("placement")
            .allowed_products
            .iter()
            .cloned()
            .collect();
        assert!(!allowed.is_empty(), "{svc} is bound to GPU products");
        let pods: Api<Pod> = Api::namespaced(client.clone(), ns.name());
        let node_name = wait_for(&format!("a scheduled {svc} pod"), DEADLINE, || {
            let pods = pods.clone();
            async move {
                let list = pods
                    .list(&ListParams::default().labels(&format!("app={svc}")))
                    .await
                    .map_err(|e| e.to_string())?;
                let pod = list.items.first().ok_or("no pod yet")?;
                pod.spec
                    .as_ref()
                    .and_then(|s| s.node_name.clone())
                    .ok_or_else(|| {
                        format!(
                            "unscheduled: {:?}",
                            pod.status.as_ref().and_then(|s| s.conditions.clone())
                        )
                    })
            }
        })
        .await;
        let node = nodes.get(&node_name).await.expect("node");
        let product = node
            .metadata
            .labels
            .unwrap_or_default()
            .get("nvidia.com/gpu.product")
            .cloned()
            .unwrap_or_default();
        assert!(
            allowed.contains(&product),
            "{svc} landed on {node_name} ({product}), allowed {allowed:?}"
        );
    }
    // The 70B tp=4 model can never be on L40S vGPU.
    assert!(
        !planned
            .placement(ns.name(), "llama-3-1-70b")
            .unwrap()
            .allowed_products
            .iter()
            .any(|p| p.contains("L40S"))
    );

    let pvs: Api<PersistentVolume> = Api::all(client.clone());
    for suffix in ["8b", "70b"] {
        let _ = pvs
            .delete(&format!("{}-{suffix}", ns.name()), &DeleteParams::default())
            .await;
    }
    ns.cleanup().await;
}

#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn plan_from_cluster_reads_the_live_snapshot() {
    let ns = TestNamespace::new("from-cluster").await;
    let client = ns.client();
    // The model manifest the NIMCache probe would have stored, in the test namespace.
    let mut cm = read_yaml("examples/clusters/vks.yaml")
        .into_iter()
        .find(|o| {
            o["kind"] == "ConfigMap" && o["metadata"]["name"] == "llama-3-1-70b-cache-manifest"
        })
        .expect("manifest ConfigMap");
    cm["metadata"]["namespace"] = json!(ns.name());
    let cm: k8s_openapi::api::core::v1::ConfigMap = serde_json::from_value(cm).unwrap();
    Api::<k8s_openapi::api::core::v1::ConfigMap>::namespaced(client.clone(), ns.name())
        .create(&PostParams::default(), &cm)
        .await
        .expect("create manifest ConfigMap");

    let dir = std::env::temp_dir().join(format!("nim-from-cluster-{}", ns.name()));
    std::fs::create_dir_all(&dir).unwrap();
    for path in [
        "examples/llama-70b/nimcache.yaml",
        "examples/llama-70b/nimservice.yaml",
    ] {
        let mut docs = read_yaml(path);
        for d in &mut docs {
            d["metadata"]["namespace"] = json!(ns.name());
        }
        let name = std::path::Path::new(path).file_name().unwrap();
        std::fs::write(dir.join(name), serde_json::to_string(&docs[0]).unwrap()).unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nim-operator"))
        .args([
            "plan",
            "-f",
            dir.to_str().unwrap(),
            "--from-cluster",
            "-o",
            "json",
        ])
        .env("KUBECONFIG", support::kubeconfig_path())
        .output()
        .expect("run nim-operator");
    let text = String::from_utf8_lossy(&out.stdout);
    // Other tests share the cluster and may hold H100XM GPUs right now, so free capacity is not
    // asserted here: only capacity findings may make the plan fail.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_str(&text).expect("JSON plan");
    for d in plan["diagnostics"].as_array().unwrap() {
        assert!(
            matches!(
                d["code"].as_str(),
                Some("MinReplicasUnschedulable" | "MaxReplicasExceedCapacity")
            ),
            "unexpected diagnostic {d}"
        );
    }
    let placement = &plan["placements"][0];
    assert_eq!(placement["gpus_per_pod"], 4);
    // The live kwok nodes: L40S vGPU can never serve tp=4; the H100XM vGPU pool can.
    assert_eq!(placement["allowed_products"], json!(["NVIDIA-H100XM-80C"]));
    let rejected = placement["rejected_pools"]
        .as_object()
        .expect("rejected pools");
    assert!(rejected.keys().any(|k| k.contains("l40s")), "{rejected:?}");
    let _ = std::fs::remove_dir_all(&dir);
    ns.cleanup().await;
}
