//! Integration tests against the real local control plane started by
//! `scripts/test.sh` (etcd, kube-apiserver, kube-controller-manager,
//! kube-scheduler, kwok GPU nodes from tests/fixtures/kwok-nodes.yaml).
//!
//! They check that the control plane itself works, and that our CRDs behave
//! like NVIDIA's on the API server: NVIDIA-shaped manifests are accepted, CEL
//! rules reject with NVIDIA's exact messages, and schema defaults are applied.
//! Manifests are plain YAML handled as `DynamicObject`s, independent of the
//! Rust types in nim-types.
//!
//! All tests are ignored by default; `scripts/test.sh` runs them with
//! `--include-ignored`.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, Node, Pod};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DynamicObject, ListParams};
use serde_json::Value;
use support::{TestNamespace, create_yaml, wait_for};

/// Generous bound for things the controllers/scheduler/kwok do asynchronously.
const DEADLINE: Duration = Duration::from_secs(120);

const NIM_CRDS: [&str; 4] = [
    "nimcaches.apps.nvidia.com",
    "nimservices.apps.nvidia.com",
    "nimpipelines.apps.nvidia.com",
    "nimbuilds.apps.nvidia.com",
];

const THIRD_PARTY_CRDS: [&str; 8] = [
    "gatewayclasses.gateway.networking.k8s.io",
    "gateways.gateway.networking.k8s.io",
    "httproutes.gateway.networking.k8s.io",
    "grpcroutes.gateway.networking.k8s.io",
    "referencegrants.gateway.networking.k8s.io",
    "leaderworkersets.leaderworkerset.x-k8s.io",
    "servicemonitors.monitoring.coreos.com",
    "inferencepools.inference.networking.k8s.io",
];

fn established(crd: &CustomResourceDefinition) -> bool {
    crd.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c.type_ == "Established" && c.status == "True")
        })
}

async fn assert_crds_established(names: &[&str]) {
    let crds: Api<CustomResourceDefinition> = Api::all(support::client().await);
    let mut problems = Vec::new();
    for name in names {
        match crds.get_opt(name).await.expect("reading CRDs") {
            Some(crd) if established(&crd) => {}
            Some(_) => problems.push(format!("{name}: not Established")),
            None => problems.push(format!("{name}: not installed")),
        }
    }
    assert!(problems.is_empty(), "CRD problems: {problems:#?}");
}

/// Create `yaml` and expect the API server to refuse it with a message that
/// contains `expected`.
async fn assert_rejected(ns: &TestNamespace, yaml: &str, expected: &str) {
    match create_yaml(&ns.client(), ns.name(), yaml).await {
        Ok(obj) => panic!(
            "the API server accepted a manifest that must be rejected with {expected:?}: {}",
            serde_json::to_string_pretty(&obj).unwrap_or_default()
        ),
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 422, "expected 422 Invalid, got {status:?}");
            assert!(
                status.message.contains(expected),
                "rejection message does not contain {expected:?}:\n{}",
                status.message
            );
        }
        Err(e) => panic!("unexpected error (expected a 422 rejection): {e}"),
    }
}

fn at<'a>(obj: &'a DynamicObject, pointer: &str) -> Option<&'a Value> {
    obj.data.pointer(pointer)
}

// ---------------------------------------------------------------------------
// Control plane basics
// ---------------------------------------------------------------------------

#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn control_plane_answers_version() {
    let client = support::client().await;
    let info = client.apiserver_version().await.expect("GET /version");
    assert_eq!(info.major, "1", "{info:?}");
    assert_eq!(info.minor, "34", "{info:?}");
    assert!(info.git_version.starts_with("v1.34."), "{info:?}");
}

#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn nim_crds_are_established() {
    assert_crds_established(&NIM_CRDS).await;
}

#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn third_party_crds_are_established() {
    assert_crds_established(&THIRD_PARTY_CRDS).await;
}

#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn kwok_gpu_nodes_are_ready_with_gfd_labels() {
    let nodes: Api<Node> = Api::all(support::client().await);
    // (name, nvidia.com/gpu.product, nvidia.com/gpu allocatable) from
    // tests/fixtures/kwok-nodes.yaml.
    let expected = [
        ("l40s-vgpu-0", Some("NVIDIA-L40S-48C"), "2"),
        ("l40s-vgpu-1", Some("NVIDIA-L40S-48C"), "2"),
        ("h100xm-vgpu-0", Some("NVIDIA-H100XM-80C"), "4"),
        ("h100xm-vgpu-1", Some("NVIDIA-H100XM-80C"), "4"),
        ("a100-sxm4-0", Some("NVIDIA-A100-SXM4-80GB"), "8"),
        ("cpu-0", None, "0"),
    ];
    for (name, product, gpus) in expected {
        let node = nodes
            .get_opt(name)
            .await
            .expect("get node")
            .unwrap_or_else(|| panic!("fixture node {name} is missing"));
        let status = node.status.unwrap_or_default();
        let ready = status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        assert!(ready, "node {name} is not Ready");
        let labels = node.metadata.labels.unwrap_or_default();
        assert_eq!(
            labels.get("nvidia.com/gpu.product").map(String::as_str),
            product,
            "{name}"
        );
        let alloc = status
            .allocatable
            .unwrap_or_default()
            .get("nvidia.com/gpu")
            .map_or_else(|| "0".to_string(), |q| q.0.clone());
        assert_eq!(alloc, gpus, "{name}: allocatable nvidia.com/gpu");
        if product.is_some() {
            assert_eq!(
                labels.get("nvidia.com/gpu.count"),
                Some(&alloc),
                "{name}: gpu.count label"
            );
            for key in [
                "nvidia.com/gpu.present",
                "feature.node.kubernetes.io/pci-10de.present",
            ] {
                assert_eq!(
                    labels.get(key).map(String::as_str),
                    Some("true"),
                    "{name}: {key}"
                );
            }
            let vgpu = product.is_some_and(|p| p.ends_with('C'));
            assert_eq!(
                labels.get("nvidia.com/vgpu.present").map(String::as_str),
                Some(if vgpu { "true" } else { "false" }),
                "{name}: nvidia.com/vgpu.present"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// NVIDIA-shaped manifests (nim-operator-contract.md §5)
// ---------------------------------------------------------------------------

/// config/samples/nim/caching/ngc/nimcache.yaml
const NIMCACHE_NGC: &str = r#"
apiVersion: apps.nvidia.com/v1alpha1
kind: NIMCache
metadata:
  name: meta-llama-3-2-1b-instruct
  labels:
    app.kubernetes.io/name: k8s-nim-operator
spec:
  source:
    ngc:
      modelPuller: nvcr.io/nim/meta/llama-3.2-1b-instruct:1.12.0
      pullSecret: ngc-secret
      authSecret: ngc-api-secret
      model:
        engine: tensorrt
        tensorParallelism: "1"
  storage:
    pvc:
      create: true
      size: "50Gi"
      volumeAccessMode: ReadWriteOnce
"#;

/// config/samples/nim/serving/standalone/basic/llm.yaml (the NIMService)
const NIMSERVICE_BASIC: &str = r#"
apiVersion: apps.nvidia.com/v1alpha1
kind: NIMService
metadata:
  name: meta-llama-3-2-1b-instruct
spec:
  image:
    repository: nvcr.io/nim/meta/llama-3.2-1b-instruct
    tag: "1.12.0"
    pullPolicy: IfNotPresent
    pullSecrets:
      - ngc-secret
  authSecret: ngc-api-secret
  storage:
    nimCache:
      name: meta-llama-3-2-1b-instruct
      profile: ''
  replicas: 1
  resources:
    limits:
      nvidia.com/gpu: 1
  expose:
    service:
      type: ClusterIP
      port: 8000
"#;

/// config/samples/nim/serving/standalone/autoscaling/llm.yaml, minus the
/// `replicas: 1` that the current CRD rejects together with `scale.enabled`.
const NIMSERVICE_AUTOSCALING: &str = r#"
apiVersion: apps.nvidia.com/v1alpha1
kind: NIMService
metadata:
  name: meta-llama-3-2-1b-instruct-hpa
spec:
  image:
    repository: nvcr.io/nim/meta/llama-3.2-1b-instruct
    tag: "1.12.0"
    pullPolicy: IfNotPresent
    pullSecrets:
      - ngc-secret
  authSecret: ngc-api-secret
  storage:
    nimCache:
      name: meta-llama-3-2-1b-instruct
      profile: ''
  resources:
    limits:
      nvidia.com/gpu: 1
  expose:
    service:
      type: ClusterIP
      port: 8000
  metrics:
    enabled: true
    serviceMonitor:
      additionalLabels:
        release: kube-prometheus-stack
  scale:
    enabled: true
    hpa:
      minReplicas: 1
      maxReplicas: 2
      metrics:
      - type: Object
        object:
          metric:
            name: gpu_cache_usage_perc
          describedObject:
            apiVersion: v1
            kind: Service
            name: meta-llama-3-2-1b-instruct-hpa
          target:
            type: Value
            value: "0.5"
"#;

/// config/samples/nim/serving/standalone/routers/httproutes/llm.yaml
const NIMSERVICE_HTTPROUTE: &str = r#"
apiVersion: apps.nvidia.com/v1alpha1
kind: NIMService
metadata:
  name: meta-llama-3-2-1b-instruct-route
spec:
  image:
    repository: nvcr.io/nim/meta/llama-3.2-1b-instruct
    tag: "1.12.0"
    pullPolicy: IfNotPresent
    pullSecrets:
      - ngc-secret
  authSecret: ngc-api-secret
  storage:
    nimCache:
      name: meta-llama-3-2-1b-instruct
      profile: ''
  replicas: 1
  resources:
    limits:
      nvidia.com/gpu: 1
  expose:
    service:
      type: ClusterIP
      port: 8000
    router:
      hostDomainName: demo.nvidia.example.com
      gateway:
        namespace: nim-service
        name: istio-gateway
        httpRoutesEnabled: true
"#;

#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn nvidia_sample_manifests_are_accepted() {
    let ns = TestNamespace::new("samples").await;
    let client = ns.client();
    for (what, yaml) in [
        ("NIMCache ngc sample", NIMCACHE_NGC),
        ("basic NIMService", NIMSERVICE_BASIC),
        (
            "autoscaling NIMService without replicas",
            NIMSERVICE_AUTOSCALING,
        ),
        ("NIMService with an HTTPRoute router", NIMSERVICE_HTTPROUTE),
    ] {
        let created = create_yaml(&client, ns.name(), yaml)
            .await
            .unwrap_or_else(|e| panic!("{what} was rejected: {e}"));
        assert!(
            created.metadata.uid.is_some(),
            "{what}: the server did not return the stored object"
        );
    }
    // Spot-check that fields survived (no pruning of known fields).
    let svc = support::api_for(
        &client,
        ns.name(),
        &support::from_yaml(NIMSERVICE_HTTPROUTE),
    )
    .await
    .get("meta-llama-3-2-1b-instruct-route")
    .await
    .expect("read back the router NIMService");
    assert_eq!(
        at(&svc, "/spec/expose/router/gateway/name"),
        Some(&Value::from("istio-gateway"))
    );
    assert_eq!(
        at(&svc, "/spec/expose/router/hostDomainName"),
        Some(&Value::from("demo.nvidia.example.com"))
    );
    let cache = support::api_for(&client, ns.name(), &support::from_yaml(NIMCACHE_NGC))
        .await
        .get("meta-llama-3-2-1b-instruct")
        .await
        .expect("read back the NIMCache");
    assert_eq!(
        at(&cache, "/spec/source/ngc/model/tensorParallelism"),
        Some(&Value::from("1"))
    );
    ns.cleanup().await;
}

// ---------------------------------------------------------------------------
// CEL rules (contract §2.2, §2.3, §4.1): rejected with NVIDIA's messages
// ---------------------------------------------------------------------------

#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn replicas_with_autoscaling_is_rejected() {
    let ns = TestNamespace::new("cel-replicas").await;
    // The autoscaling sample as NVIDIA ships it, with `replicas: 1`.
    let yaml = NIMSERVICE_AUTOSCALING.replace("spec:\n", "spec:\n  replicas: 1\n");
    assert!(yaml.contains("  replicas: 1\n"));
    assert_rejected(
        &ns,
        &yaml,
        "spec.replicas cannot be set when spec.scale.enabled is true",
    )
    .await;
    ns.cleanup().await;
}

#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn router_ingress_and_gateway_together_is_rejected() {
    let ns = TestNamespace::new("cel-router").await;
    let yaml = NIMSERVICE_HTTPROUTE.replace(
        "      gateway:\n",
        "      ingress:\n        ingressClass: nginx\n      gateway:\n",
    );
    assert!(yaml.contains("ingressClass: nginx"));
    assert_rejected(
        &ns,
        &yaml,
        "ingress and gateway cannot be specified together",
    )
    .await;
    ns.cleanup().await;
}

#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn nimcache_with_two_sources_is_rejected() {
    let ns = TestNamespace::new("cel-nimcache").await;
    // The ngc sample plus a complete, otherwise valid `hf` source.
    let yaml = NIMCACHE_NGC.replace(
        "  source:\n",
        "  source:\n    hf:\n      endpoint: https://huggingface.co\n      namespace: meta-llama\n      modelName: Llama-3.2-1B-Instruct\n      authSecret: hf-secret\n      modelPuller: nvcr.io/nim/nvidia/llm-nim:1.12\n      pullSecret: ngc-secret\n",
    );
    assert!(yaml.contains("    hf:\n"));
    assert_rejected(
        &ns,
        &yaml,
        "Exactly one of ngc, dataStore, or hf must be defined",
    )
    .await;
    ns.cleanup().await;
}

// ---------------------------------------------------------------------------
// Schema defaults applied by the API server
// ---------------------------------------------------------------------------

#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn server_side_defaults_are_applied() {
    let ns = TestNamespace::new("defaults").await;
    let yaml = r#"
apiVersion: apps.nvidia.com/v1alpha1
kind: NIMService
metadata:
  name: defaults
spec:
  image:
    repository: nvcr.io/nim/meta/llama-3.2-1b-instruct
    tag: "1.12.0"
  authSecret: ngc-api-secret
  storage:
    nimCache:
      name: meta-llama-3-2-1b-instruct
  expose:
    service: {}
  scale:
    enabled: true
    hpa:
      maxReplicas: 3
"#;
    let created = create_yaml(&ns.client(), ns.name(), yaml)
        .await
        .unwrap_or_else(|e| panic!("minimal NIMService was rejected: {e}"));
    assert_eq!(
        at(&created, "/spec/expose/service/port"),
        Some(&Value::from(8000)),
        "expose.service.port default; spec = {}",
        created.data["spec"]
    );
    assert_eq!(
        at(&created, "/spec/inferencePlatform"),
        Some(&Value::from("standalone")),
        "inferencePlatform default; spec = {}",
        created.data["spec"]
    );
    assert_eq!(
        at(&created, "/spec/scale/hpa/minReplicas"),
        Some(&Value::from(1)),
        "scale.hpa.minReplicas default; spec = {}",
        created.data["spec"]
    );
    ns.cleanup().await;
}

// ---------------------------------------------------------------------------
// Scheduling onto the kwok GPU nodes (real kube-scheduler + controllers)
// ---------------------------------------------------------------------------

fn gpu_deployment(name: &str, gpus: u32, product: &str) -> String {
    format!(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - key: nvidia.com/gpu.product
                operator: In
                values: ["{product}"]
      containers:
      - name: nim
        image: nvcr.io/nim/meta/llama-3.1-70b-instruct:1.12.0
        resources:
          limits:
            nvidia.com/gpu: {gpus}
"#
    )
}

async fn pods_of(ns: &TestNamespace, app: &str) -> Result<Vec<Pod>, String> {
    let pods: Api<Pod> = Api::namespaced(ns.client(), ns.name());
    let list = pods
        .list(&ListParams::default().labels(&format!("app={app}")))
        .await
        .map_err(|e| e.to_string())?;
    Ok(list.items)
}

#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn gpu_deployment_runs_on_matching_kwok_node() {
    let ns = TestNamespace::new("sched-h100").await;
    let client = ns.client();
    create_yaml(
        &client,
        ns.name(),
        &gpu_deployment("h100x4", 4, "NVIDIA-H100XM-80C"),
    )
    .await
    .expect("create Deployment");

    let nsr = &ns;
    let (node, phase) = wait_for(
        "the h100x4 pod to be Running",
        DEADLINE,
        move || async move {
            let pods = pods_of(nsr, "h100x4").await?;
            let pod = pods.first().ok_or("no pod yet")?;
            let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
            let phase = pod.status.as_ref().and_then(|s| s.phase.clone());
            match (node, phase) {
                (Some(n), Some(p)) if p == "Running" => Ok((n, p)),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    assert_eq!(phase, "Running");
    assert!(
        node.starts_with("h100xm-vgpu-"),
        "pod landed on {node}, not an H100XM node"
    );
    let nodes: Api<Node> = Api::all(client);
    let labels = nodes.get(&node).await.expect("get node").metadata.labels;
    assert_eq!(
        labels
            .unwrap_or_default()
            .get("nvidia.com/gpu.product")
            .map(String::as_str),
        Some("NVIDIA-H100XM-80C")
    );
    ns.cleanup().await;
}

#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn oversized_gpu_request_stays_pending_unschedulable() {
    let ns = TestNamespace::new("sched-16").await;
    let client = ns.client();
    create_yaml(
        &client,
        ns.name(),
        &gpu_deployment("gpu16", 16, "NVIDIA-H100XM-80C"),
    )
    .await
    .expect("create Deployment");

    let nsr = &ns;
    let (pod_name, message) = wait_for(
        "the scheduler to mark the gpu16 pod Unschedulable",
        DEADLINE,
        move || async move {
            let pods = pods_of(nsr, "gpu16").await?;
            let pod = pods.first().ok_or("no pod yet")?;
            let status = pod.status.as_ref().ok_or("no status")?;
            let cond = status
                .conditions
                .iter()
                .flatten()
                .find(|c| c.type_ == "PodScheduled")
                .ok_or("no PodScheduled condition")?;
            if cond.status == "False" && cond.reason.as_deref() == Some("Unschedulable") {
                Ok((
                    pod.metadata.name.clone().unwrap_or_default(),
                    cond.message.clone().unwrap_or_default(),
                ))
            } else {
                Err(format!("{cond:?}"))
            }
        },
    )
    .await;
    assert!(
        message.contains("nvidia.com/gpu"),
        "unexpected scheduler message: {message}"
    );

    // The scheduler also records a FailedScheduling event for the pod.
    let events: Api<Event> = Api::namespaced(client.clone(), ns.name());
    let (events, pod_name_ref) = (&events, &pod_name);
    wait_for("a FailedScheduling event", DEADLINE, move || async move {
        let list = events
            .list(&ListParams::default().fields(&format!("involvedObject.name={pod_name_ref}")))
            .await
            .map_err(|e| e.to_string())?;
        list.items
            .iter()
            .find(|e| e.reason.as_deref() == Some("FailedScheduling"))
            .map(|_| ())
            .ok_or_else(|| format!("{} events, none FailedScheduling", list.items.len()))
    })
    .await;

    // Still not placed: nothing in the fixture has 16 GPUs on one node.
    let pods: Api<Pod> = Api::namespaced(client, ns.name());
    let pod = pods.get(&pod_name).await.expect("get pod");
    assert_eq!(pod.spec.and_then(|s| s.node_name), None);
    assert_eq!(pod.status.and_then(|s| s.phase).as_deref(), Some("Pending"));
    ns.cleanup().await;
}

#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn job_pods_complete_on_kwok_nodes() {
    let ns = TestNamespace::new("job").await;
    let yaml = r#"
apiVersion: batch/v1
kind: Job
metadata:
  name: cache-job
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      nodeSelector:
        feature.node.kubernetes.io/pci-10de.present: "true"
      containers:
      - name: puller
        image: nvcr.io/nim/meta/llama-3.2-1b-instruct:1.12.0
        command: ["download-to-cache"]
"#;
    let client = ns.client();
    let job = create_yaml(&client, ns.name(), yaml)
        .await
        .expect("create Job");
    let api = support::api_for(&client, ns.name(), &job).await;
    let api = &api;
    wait_for("the Job to complete", DEADLINE, move || async move {
        let job = api.get("cache-job").await.map_err(|e| e.to_string())?;
        let complete = job
            .data
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Complete" && c["status"] == "True")
            });
        if complete {
            Ok(())
        } else {
            Err(format!("status = {}", job.data["status"]))
        }
    })
    .await;
    ns.cleanup().await;
}
