//! The reconcile pipelines against the in-memory cluster: convergence, no writes once
//! converged, pruning, status and events. (The same pipelines run against the real apiserver in
//! the root package's `tests/operator_e2e.rs`.)

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use nim_planner::graph::ObjectId;
use nim_reconcile::memory::MemoryCluster;
use nim_reconcile::pipeline::Reconciler;
use nim_reconcile::traits::{EventType, Observe};
use nim_reconcile::{nimcache, nimpipeline, nimservice};
use nim_types::{NIMCache, NIMPipeline, NIMService};
use serde_json::{Value, json};

const VKS: &str = include_str!("../../examples/clusters/vks.yaml");
const VKS_L40S: &str = include_str!("../../examples/clusters/vks-l40s-only.yaml");
const SEED_CACHE: &str = include_str!("../../examples/seed/nimcache.yaml");
const SEED_SERVICE: &str = include_str!("../../examples/seed/nimservice.yaml");

fn objects(yaml: &str) -> Vec<Value> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(yaml).expect("test YAML");
    docs.into_iter()
        .flat_map(|d| match d.get("items").and_then(Value::as_array) {
            Some(items) if d["kind"] == "List" => items.clone(),
            _ => vec![d],
        })
        .collect()
}

fn setup(cluster_yaml: &str, extra: &[&str]) -> (Arc<MemoryCluster>, Reconciler) {
    let mut objs = objects(cluster_yaml);
    for y in extra {
        objs.extend(objects(y));
    }
    let cluster = Arc::new(MemoryCluster::new(objs));
    let mut r = Reconciler::new(
        cluster.clone(),
        cluster.clone(),
        cluster.clone(),
        cluster.clone(),
    );
    r.clock = Arc::new(|| Time("2026-12-01T00:00:00Z".parse().expect("time")));
    (cluster, r)
}

fn id(kind: &str, name: &str) -> ObjectId {
    let api = match kind {
        "Deployment" => "apps/v1",
        "Job" => "batch/v1",
        "HorizontalPodAutoscaler" => "autoscaling/v2",
        "HTTPRoute" => "gateway.networking.k8s.io/v1",
        "NIMService" | "NIMCache" | "NIMPipeline" | "NIMBuild" => "apps.nvidia.com/v1alpha1",
        _ => "v1",
    };
    ObjectId::new(api, kind, "default", name)
}

fn typed<T: serde::de::DeserializeOwned>(c: &MemoryCluster, kind: &str, name: &str) -> T {
    let v = c
        .get(&id(kind, name))
        .unwrap_or_else(|| panic!("{kind} {name} missing"));
    serde_json::from_value(v).expect("typed object")
}

fn state(c: &MemoryCluster, kind: &str, name: &str) -> String {
    c.get(&id(kind, name))
        .and_then(|o| {
            o.pointer("/status/state")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

/// Cache then serve, with the Job and the Deployment completing as their controllers would.
async fn converge_seed(c: &MemoryCluster, r: &Reconciler) {
    nimcache::reconcile(r, &typed::<NIMCache>(c, "NIMCache", "llama-3-1-8b-cache"))
        .await
        .expect("cache");
    assert!(
        c.get(&id("Job", "llama-3-1-8b-cache-job")).is_some(),
        "caching job applied"
    );
    let mut job = c.get(&id("Job", "llama-3-1-8b-cache-job")).expect("job");
    job["status"] = json!({"succeeded": 1});
    c.put(job);
    nimcache::reconcile(r, &typed::<NIMCache>(c, "NIMCache", "llama-3-1-8b-cache"))
        .await
        .expect("cache");
    assert_eq!(state(c, "NIMCache", "llama-3-1-8b-cache"), "Ready");

    nimservice::reconcile(r, &typed::<NIMService>(c, "NIMService", "llama-3-1-8b"))
        .await
        .expect("svc");
    assert_eq!(state(c, "NIMService", "llama-3-1-8b"), "NotReady");
    let mut dep = c
        .get(&id("Deployment", "llama-3-1-8b"))
        .expect("deployment applied");
    dep["metadata"]["generation"] = json!(1);
    dep["status"] = json!({"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1});
    c.put(dep);
    nimservice::reconcile(r, &typed::<NIMService>(c, "NIMService", "llama-3-1-8b"))
        .await
        .expect("svc");
    assert_eq!(state(c, "NIMService", "llama-3-1-8b"), "Ready");
}

#[tokio::test]
async fn seed_converges_then_a_resync_writes_nothing() {
    let (c, r) = setup(VKS, &[SEED_CACHE, SEED_SERVICE]);
    converge_seed(&c, &r).await;
    for kind in ["HorizontalPodAutoscaler", "HTTPRoute", "Service"] {
        assert!(c.get(&id(kind, "llama-3-1-8b")).is_some(), "{kind} applied");
    }
    let cache: NIMCache = typed(&c, "NIMCache", "llama-3-1-8b-cache");
    assert!(
        !cache.status.expect("status").profiles.is_empty(),
        "cached profiles reported"
    );

    c.clear_writes();
    let events_before = c.events().len();
    nimcache::reconcile(&r, &typed::<NIMCache>(&c, "NIMCache", "llama-3-1-8b-cache"))
        .await
        .expect("cache");
    let out = nimservice::reconcile(&r, &typed::<NIMService>(&c, "NIMService", "llama-3-1-8b"))
        .await
        .expect("svc");
    assert_eq!(
        c.writes(),
        Vec::<String>::new(),
        "a converged resync writes nothing"
    );
    assert_eq!(out.writes, 0);
    assert_eq!(
        c.events().len(),
        events_before,
        "no event without a transition"
    );
}

#[tokio::test]
async fn disabling_autoscaling_prunes_the_hpa_and_sets_replicas() {
    let (c, r) = setup(VKS, &[SEED_CACHE, SEED_SERVICE]);
    converge_seed(&c, &r).await;
    let mut svc = c.get(&id("NIMService", "llama-3-1-8b")).expect("svc");
    svc["spec"]["scale"]["enabled"] = json!(false);
    svc["spec"]["replicas"] = json!(2);
    svc["metadata"]["generation"] = json!(2);
    c.put(svc);
    c.clear_writes();
    nimservice::reconcile(&r, &typed::<NIMService>(&c, "NIMService", "llama-3-1-8b"))
        .await
        .expect("svc");
    let writes = c.writes();
    assert!(
        writes.contains(&"delete HorizontalPodAutoscaler default/llama-3-1-8b".to_string()),
        "{writes:?}"
    );
    assert!(
        writes.contains(&"apply Deployment default/llama-3-1-8b".to_string()),
        "{writes:?}"
    );
    assert!(
        !writes.iter().any(|w| w.contains("HTTPRoute")),
        "unchanged children are not rewritten: {writes:?}"
    );
    let dep = c
        .get(&id("Deployment", "llama-3-1-8b"))
        .expect("deployment");
    assert_eq!(dep["spec"]["replicas"], 2);
}

#[tokio::test]
async fn a_missing_nimcache_is_reported_once_and_not_retried() {
    let yaml = SEED_SERVICE.replace("name: llama-3-1-8b-cache", "name: nowhere");
    let (c, r) = setup(VKS, &[&yaml]);
    let out = nimservice::reconcile(&r, &typed::<NIMService>(&c, "NIMService", "llama-3-1-8b"))
        .await
        .expect("svc");
    assert_eq!(out.state, "Failed");
    assert_eq!(
        out.requeue_after, None,
        "waits for a change instead of retrying"
    );
    let events = c.events();
    assert!(
        events
            .iter()
            .any(|(_, e)| e.type_ == EventType::Warning && e.reason == "NIMCacheNotFound"),
        "{events:?}"
    );
    assert!(c.list("Deployment").is_empty());
    c.clear_writes();
    nimservice::reconcile(&r, &typed::<NIMService>(&c, "NIMService", "llama-3-1-8b"))
        .await
        .expect("svc");
    assert!(c.writes().is_empty(), "{:?}", c.writes());
    assert_eq!(c.events().len(), events.len());
}

#[tokio::test]
async fn tp2_on_l40s_vgpu_is_pending_with_the_explaining_condition() {
    let svc = "apiVersion: apps.nvidia.com/v1alpha1\nkind: NIMService\nmetadata:\n  name: tp2\nspec:\n  image:\n    repository: nvcr.io/nim/meta/llama-3.1-8b-instruct\n    tag: \"1.8.0\"\n  storage:\n    emptyDir: {}\n  replicas: 1\n  resources:\n    limits:\n      nvidia.com/gpu: 2\n";
    let (c, r) = setup(VKS_L40S, &[svc]);
    let out = nimservice::reconcile(&r, &typed::<NIMService>(&c, "NIMService", "tp2"))
        .await
        .expect("svc");
    assert_eq!(out.state, "Pending");
    let s: NIMService = typed(&c, "NIMService", "tp2");
    let cond = s
        .status
        .expect("status")
        .conditions
        .into_iter()
        .find(|c| c.type_ == "Scheduled")
        .expect("Scheduled");
    assert_eq!(
        (cond.status.as_str(), cond.reason.as_str()),
        ("False", "VgpuMultiGpuUnsupported")
    );
    assert!(c.list("Deployment").is_empty(), "nothing is deployed");
    assert!(
        c.events()
            .iter()
            .any(|(_, e)| e.reason == "VgpuMultiGpuUnsupported")
    );
}

#[tokio::test]
async fn a_pipeline_creates_its_services_with_dependency_urls_and_reports_states() {
    let pipeline = r#"
apiVersion: apps.nvidia.com/v1alpha1
kind: NIMPipeline
metadata:
  name: rag
spec:
  services:
  - name: embed
    enabled: true
    spec:
      image: {repository: nvcr.io/nim/nvidia/nv-embedqa-e5-v5, tag: "1.6.0"}
      storage: {emptyDir: {}}
      replicas: 1
      resources: {limits: {nvidia.com/gpu: 1}}
  - name: llm
    enabled: true
    spec:
      image: {repository: nvcr.io/nim/meta/llama-3.1-8b-instruct, tag: "1.8.0"}
      storage: {emptyDir: {}}
      replicas: 1
      resources: {limits: {nvidia.com/gpu: 1}}
    dependencies:
    - name: embed
      port: 8000
      envName: EMBED_URL
"#;
    let (c, r) = setup(VKS, &[pipeline]);
    let p: NIMPipeline = typed(&c, "NIMPipeline", "rag");
    let out = nimpipeline::reconcile(&r, &p).await.expect("pipeline");
    assert_eq!(out.state, "NotReady");
    let llm = c.get(&id("NIMService", "llm")).expect("llm created");
    let env = llm
        .pointer("/spec/env")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    assert!(
        env.iter().any(|e| e["name"] == "EMBED_URL"
            && e["value"] == "http://embed.default.svc.cluster.local:8000"),
        "{env:?}"
    );
    let status: NIMPipeline = typed(&c, "NIMPipeline", "rag");
    assert_eq!(status.status.expect("status").states.len(), 2);

    // Disabling a service deletes it.
    let mut pv = c.get(&id("NIMPipeline", "rag")).expect("pipeline");
    pv["spec"]["services"][0]["enabled"] = json!(false);
    c.put(pv);
    nimpipeline::reconcile(&r, &typed::<NIMPipeline>(&c, "NIMPipeline", "rag"))
        .await
        .expect("pipeline");
    assert!(
        c.get(&id("NIMService", "embed")).is_none(),
        "{:?}",
        c.writes()
    );
}

#[tokio::test]
async fn a_build_runs_its_engine_pod_then_reports_the_built_profile_on_the_cache() {
    let cache = r#"
apiVersion: apps.nvidia.com/v1alpha1
kind: NIMCache
metadata:
  name: base
spec:
  source:
    ngc:
      modelPuller: nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.0
      authSecret: ngc-api-secret
  storage:
    pvc:
      name: models
status:
  state: Ready
  profiles:
  - name: buildable-p1
    model: meta/llama-3.1-8b-instruct
    config: {trtllm_buildable: "true", tp: "1", precision: bf16}
"#;
    let build = r#"
apiVersion: apps.nvidia.com/v1alpha1
kind: NIMBuild
metadata:
  name: engine
spec:
  nimCache:
    name: base
  modelName: my-llm
  image:
    repository: nvcr.io/nim/meta/llama-3.1-8b-instruct
    tag: "1.8.0"
"#;
    let (c, r) = setup(VKS, &[cache, build]);
    let run = || async {
        nim_reconcile::nimbuild::reconcile(&r, &typed(&c, "NIMBuild", "engine"))
            .await
            .expect("build")
    };
    assert_eq!(run().await.state, "InProgress");
    let mut pod = c
        .get(&id("Pod", "engine-engine-build-pod"))
        .expect("engine build pod");
    assert_eq!(
        pod["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"],
        "1"
    );
    pod["status"] =
        json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]});
    c.put(pod);
    assert_eq!(run().await.state, "InProgress");
    assert!(
        c.get(&id("Pod", "engine-engine-build-pod")).is_none(),
        "engine pod deleted once ready"
    );

    assert_eq!(run().await.state, "InProgress");
    let mut pod = c
        .get(&id("Pod", "engine-local-manifest-pod"))
        .expect("local manifest pod");
    pod["status"] = json!({"phase": "Running"});
    c.put(pod);
    c.set_pod_logs("default", "engine-local-manifest-pod", "built-p9:\n  model: my-llm\n  tags:\n    model_name: my-llm\n    tp: '1'\n    llm_engine: tensorrt_llm\n");
    assert_eq!(run().await.state, "Ready");
    let b: nim_types::NIMBuild = typed(&c, "NIMBuild", "engine");
    let out = b
        .status
        .expect("status")
        .output_profile
        .expect("output profile");
    assert_eq!(out.name, "built-p9");
    assert_eq!(out.config["input_profile"], "buildable-p1");
    let cache: NIMCache = typed(&c, "NIMCache", "base");
    let names: Vec<String> = cache
        .status
        .expect("status")
        .profiles
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, vec!["buildable-p1", "built-p9"]);
    assert!(c.get(&id("Pod", "engine-local-manifest-pod")).is_none());
    c.clear_writes();
    assert_eq!(run().await.writes, 0, "a finished build is left alone");
}

#[tokio::test]
async fn the_manifest_probe_stores_the_manifest_then_the_job_caches_the_selected_profiles() {
    // The example cluster without its manifest ConfigMaps: the cache must probe its image.
    let cluster: Vec<Value> = objects(VKS)
        .into_iter()
        .filter(|o| o["kind"] != "ConfigMap")
        .collect();
    let cluster_yaml: String = cluster.iter().map(|o| format!("---\n{}\n", o)).collect();
    let (c, r) = setup(&cluster_yaml, &[SEED_CACHE]);
    let run = || async {
        nimcache::reconcile(&r, &typed(&c, "NIMCache", "llama-3-1-8b-cache"))
            .await
            .expect("cache")
    };
    let out = run().await;
    assert_eq!(out.state, "PVC-Created");
    assert!(
        c.get(&id("Job", "llama-3-1-8b-cache-job")).is_none(),
        "no job before profiles are known"
    );
    let mut pod = c
        .get(&id("Pod", "llama-3-1-8b-cache-pod"))
        .expect("probe pod");
    assert_eq!(
        pod["spec"]["containers"][0]["image"],
        "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.0"
    );
    pod["status"] = json!({"phase": "Running"});
    c.put(pod);
    let manifest = objects(VKS)
        .into_iter()
        .find(|o| o["metadata"]["name"] == "llama-3-1-8b-cache-manifest")
        .expect("manifest");
    let text = manifest["data"]["model_manifest.yaml"]
        .as_str()
        .expect("text")
        .to_string();
    c.set_pod_logs("default", "llama-3-1-8b-cache-pod", &text);
    run().await;
    let cm = c
        .get(&id("ConfigMap", "llama-3-1-8b-cache-manifest"))
        .expect("manifest stored");
    assert!(
        cm["data"]["model_manifest.yaml"]
            .as_str()
            .unwrap_or_default()
            .contains("83efdd281aa4f953")
    );
    assert!(
        c.get(&id("Pod", "llama-3-1-8b-cache-pod")).is_none(),
        "probe pod deleted"
    );
    run().await;
    let job = c
        .get(&id("Job", "llama-3-1-8b-cache-job"))
        .expect("caching job");
    let args = job
        .pointer("/spec/template/spec/containers/0/args")
        .cloned()
        .unwrap_or_default()
        .to_string();
    assert!(
        args.contains("--profiles") && args.contains("83efdd281aa4f953"),
        "{args}"
    );
}

/// A multi-node MPI service gets the SSH key Secret the planner cannot make: a fresh OpenSSH
/// key, owned by the service, created once and never replaced or pruned.
#[tokio::test]
async fn a_multi_node_mpi_service_gets_its_ssh_key_secret_once() {
    let (c, r) = setup(VKS, &[]);
    c.put(json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
        "metadata": {"name": "llama-70b-mn", "namespace": "default", "uid": "svc-uid",
                     "generation": 1},
        "spec": {
            "image": {"repository": "nvcr.io/nim/meta/llama-3.1-70b-instruct", "tag": "1.8.0"},
            "authSecret": "ngc-api-secret", "replicas": 1,
            "storage": {"pvc": {"create": true, "size": "200Gi",
                                "volumeAccessMode": "ReadWriteMany"}},
            "resources": {"limits": {"nvidia.com/gpu": "4"}},
            "multiNode": {"parallelism": {"tensor": 4, "pipeline": 2}},
            "expose": {"service": {"port": 8000}}
        }
    }));
    let reconcile = || async {
        nimservice::reconcile(&r, &typed::<NIMService>(&c, "NIMService", "llama-70b-mn"))
            .await
            .expect("svc")
    };
    reconcile().await;
    let lws = ObjectId::new(
        "leaderworkerset.x-k8s.io/v1",
        "LeaderWorkerSet",
        "default",
        "llama-70b-mn-lws",
    );
    assert!(c.get(&lws).is_some(), "writes: {:?}", c.writes());
    let secret = c.get(&id("Secret", "llama-70b-mn-ssh-pk")).expect("Secret");
    assert_eq!(secret["metadata"]["ownerReferences"][0]["uid"], "svc-uid");
    assert_eq!(
        secret["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "k8s-nim-operator"
    );
    let pem = secret["stringData"]["private.key"]
        .as_str()
        .expect("private.key")
        .to_string();
    let key = ssh_key::PrivateKey::from_openssh(&pem).expect("an OpenSSH private key");
    assert_eq!(key.algorithm(), ssh_key::Algorithm::Ed25519);
    assert!(!key.is_encrypted(), "mpirun cannot type a passphrase");

    // The next reconciles keep the key: no write, no prune, same key.
    c.clear_writes();
    reconcile().await;
    assert_eq!(c.writes(), Vec::<String>::new());
    let again = c.get(&id("Secret", "llama-70b-mn-ssh-pk")).expect("Secret");
    assert_eq!(again["stringData"]["private.key"], pem.as_str());
}

/// An observer whose watch cache has not seen any Secret yet (the cluster has them).
struct LaggingSecrets(Arc<MemoryCluster>);

impl Observe for LaggingSecrets {
    fn snapshot(&self) -> nim_planner::snapshot::ClusterSnapshot {
        self.0.snapshot()
    }
    fn get(&self, id: &ObjectId) -> Option<Value> {
        (id.kind != "Secret").then(|| self.0.get(id)).flatten()
    }
    fn owned_by(&self, namespace: &str, owner_uid: &str) -> Vec<Value> {
        self.0
            .owned_by(namespace, owner_uid)
            .into_iter()
            .filter(|o| o["kind"] != "Secret")
            .collect()
    }
    fn serves(&self, api_version: &str, kind: &str) -> bool {
        self.0.serves(api_version, kind)
    }
    fn pod_logs<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> futures::future::BoxFuture<'a, nim_reconcile::error::Result<String>> {
        self.0.pod_logs(namespace, name)
    }
}

/// A reconcile that runs before the watch cache has seen the new SSH key Secret makes another
/// key, but only creates: the Secret already in the cluster keeps its first key.
#[tokio::test]
async fn a_lagging_watch_cache_never_replaces_the_mpi_ssh_key() {
    let (c, _) = setup(VKS, &[]);
    c.put(json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
        "metadata": {"name": "mn", "namespace": "default", "uid": "svc-uid", "generation": 1},
        "spec": {
            "image": {"repository": "nvcr.io/nim/meta/llama-3.1-8b-instruct", "tag": "1.8.0"},
            "replicas": 1,
            "storage": {"pvc": {"create": true, "size": "50Gi",
                                "volumeAccessMode": "ReadWriteMany"}},
            "resources": {"limits": {"nvidia.com/gpu": "1"}},
            "multiNode": {"parallelism": {"tensor": 1, "pipeline": 2}},
            "expose": {"service": {"port": 8000}}
        }
    }));
    let r = Reconciler::new(
        Arc::new(LaggingSecrets(c.clone())),
        c.clone(),
        c.clone(),
        c.clone(),
    );
    let svc = || typed::<NIMService>(&c, "NIMService", "mn");
    let key = || {
        c.get(&id("Secret", "mn-ssh-pk"))
            .expect("Secret")
            .pointer("/stringData/private.key")
            .and_then(Value::as_str)
            .expect("private.key")
            .to_string()
    };
    nimservice::reconcile(&r, &svc()).await.expect("svc");
    let first = key();
    c.clear_writes();
    nimservice::reconcile(&r, &svc()).await.expect("svc");
    assert!(
        c.writes()
            .contains(&"create Secret default/mn-ssh-pk".to_string()),
        "the unseen Secret is created again: {:?}",
        c.writes()
    );
    assert_eq!(key(), first, "the first key stays");
}
