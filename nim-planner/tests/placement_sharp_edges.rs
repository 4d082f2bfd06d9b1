//! Each "sharp edge" diagnostic fires on a minimal manifest and not on a clean one.

use nim_planner::diagnostics::{Code, Diagnostic, Severity};
use nim_planner::placement::place;
use nim_planner::snapshot::ClusterSnapshot;
use nim_types::NIMService;
use serde_json::{Value, json};

fn cluster() -> ClusterSnapshot {
    let snap = ClusterSnapshot::from_objects(&[
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "vks-h100-0", "labels": {
            "nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": "NVIDIA-H100XM-80C",
            "nvidia.com/gpu.count": "8", "nvidia.com/gpu.memory": "81920",
            "nvidia.com/gpu.family": "hopper", "nvidia.com/vgpu.present": "true"}},
            "status": {"allocatable": {"nvidia.com/gpu": "8"},
                       "conditions": [{"type": "Ready", "status": "True"}]}}),
        json!({"apiVersion": "nvidia.com/v1", "kind": "ClusterPolicy", "metadata": {"name": "cluster-policy"},
               "status": {"state": "ready"}}),
        json!({"apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
               "metadata": {"name": "llama-cache", "namespace": "nim"},
               "spec": {"source": {"ngc": {"authSecret": "ngc-api-secret",
                            "modelPuller": "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.0"}},
                        "storage": {"pvc": {"create": true, "size": "50Gi", "volumeAccessMode": "ReadWriteMany"}}},
               "status": {"state": "Ready"}}),
        json!({"apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
               "metadata": {"name": "rwo-cache", "namespace": "nim"},
               "spec": {"source": {"ngc": {"authSecret": "ngc-api-secret",
                            "modelPuller": "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.0"}},
                        "storage": {"pvc": {"create": true, "size": "50Gi", "volumeAccessMode": "ReadWriteOnce"}}},
               "status": {"state": "Ready"}}),
    ]);
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);
    snap
}

/// The seed article's recommended shape: cache, HPA on a GPU/NIM metric, Gateway routing,
/// pinned image.
fn clean() -> Value {
    json!({
        "image": {"repository": "nvcr.io/nim/meta/llama-3.1-8b-instruct", "tag": "1.8.0"},
        "resources": {"limits": {"nvidia.com/gpu": "1"}},
        "storage": {"nimCache": {"name": "llama-cache"}},
        "scale": {"enabled": true, "hpa": {"minReplicas": 1, "maxReplicas": 4, "metrics": [
            {"type": "Pods", "pods": {"metric": {"name": "num_requests_waiting"},
             "target": {"type": "AverageValue", "averageValue": "10"}}}]}},
        "expose": {"router": {"hostDomainName": "example.com",
                              "gateway": {"name": "inference-gw", "namespace": "gw", "httpRoutesEnabled": true}}}
    })
}

fn svc(spec: Value) -> NIMService {
    serde_json::from_value(json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
        "metadata": {"name": "llama-3-1-8b", "namespace": "nim"},
        "spec": spec
    }))
    .expect("valid NIMService")
}

fn diagnose(spec: Value) -> Vec<Diagnostic> {
    place(&[svc(spec)], &cluster()).1
}

fn with(mut spec: Value, path: &[&str], value: Value) -> Value {
    let mut cur = &mut spec;
    for (i, key) in path.iter().enumerate() {
        if i + 1 == path.len() {
            cur[*key] = value.clone();
        } else {
            cur = &mut cur[*key];
        }
    }
    spec
}

fn without(mut spec: Value, path: &[&str]) -> Value {
    let mut cur = &mut spec;
    for key in &path[..path.len() - 1] {
        cur = &mut cur[*key];
    }
    if let Some(m) = cur.as_object_mut() {
        m.remove(path[path.len() - 1]);
    }
    spec
}

#[track_caller]
fn assert_fires(spec: Value, code: Code, field: &str) {
    let d = diagnose(spec);
    let hit: Vec<_> = d.iter().filter(|d| d.code == code).collect();
    assert_eq!(hit.len(), 1, "{code} should fire once: {d:#?}");
    assert_eq!(hit[0].field, field);
    assert_eq!(hit[0].severity, code.severity());
    assert_eq!(hit[0].object.kind, "NIMService");
    assert!(!hit[0].message.is_empty());
}

#[test]
fn clean_manifest_has_no_diagnostics() {
    let d = diagnose(clean());
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn replicas_with_autoscaling() {
    assert_fires(
        with(clean(), &["replicas"], json!(2)),
        Code::ReplicasWithAutoscaling,
        "spec.replicas",
    );
}

#[test]
fn cpu_metric_autoscaling_explicit_and_default() {
    let cpu = json!([{"type": "Resource", "resource": {"name": "cpu",
        "target": {"type": "Utilization", "averageUtilization": 70}}}]);
    assert_fires(
        with(clean(), &["scale", "hpa", "metrics"], cpu),
        Code::CpuMetricAutoscaling,
        "spec.scale.hpa.metrics",
    );
    assert_fires(
        without(clean(), &["scale", "hpa", "metrics"]),
        Code::CpuMetricAutoscaling,
        "spec.scale.hpa.metrics",
    );
    // Disabled autoscaling with no metrics is fine.
    let d = diagnose(with(
        without(clean(), &["scale", "hpa", "metrics"]),
        &["scale", "enabled"],
        json!(false),
    ));
    assert!(
        !d.iter().any(|d| d.code == Code::CpuMetricAutoscaling),
        "{d:#?}"
    );
}

#[test]
fn autoscaling_without_cache() {
    let spec = with(
        clean(),
        &["storage"],
        json!({"pvc": {"name": "models", "volumeAccessMode": "ReadWriteMany"}}),
    );
    assert_fires(spec, Code::AutoscalingWithoutCache, "spec.storage.nimCache");
}

#[test]
fn ephemeral_model_store() {
    assert_fires(
        with(
            clean(),
            &["storage"],
            json!({"emptyDir": {"sizeLimit": "100Gi"}}),
        ),
        Code::EphemeralModelStore,
        "spec.storage.emptyDir",
    );
    // hostPath with 2 fixed replicas (no autoscaling).
    let fixed = with(
        with(without(clean(), &["scale"]), &["replicas"], json!(2)),
        &["storage"],
        json!({"hostPath": "/data/nim"}),
    );
    assert_fires(fixed, Code::EphemeralModelStore, "spec.storage.hostPath");
    // emptyDir for a single fixed replica is a demo, not an edge.
    let demo = with(
        without(clean(), &["scale"]),
        &["storage"],
        json!({"emptyDir": {}}),
    );
    let d = diagnose(demo);
    assert!(
        !d.iter().any(|d| d.code == Code::EphemeralModelStore),
        "{d:#?}"
    );
}

#[test]
fn deprecated_ingress() {
    let spec = with(
        clean(),
        &["expose"],
        json!({"ingress": {"enabled": true, "spec": {"ingressClassName": "nginx"}}}),
    );
    assert_fires(spec, Code::DeprecatedIngress, "spec.expose.ingress");
}

#[test]
fn unpinned_image() {
    for tag in ["latest", "1", ""] {
        assert_fires(
            with(clean(), &["image", "tag"], json!(tag)),
            Code::UnpinnedImage,
            "spec.image.tag",
        );
    }
}

#[test]
fn nim_cache_not_found() {
    assert_fires(
        with(clean(), &["storage", "nimCache", "name"], json!("missing")),
        Code::NimCacheNotFound,
        "spec.storage.nimCache.name",
    );
}

#[test]
fn invalid_storage() {
    let spec = with(
        clean(),
        &["storage", "emptyDir"],
        json!({"sizeLimit": "10Gi"}),
    );
    assert_fires(spec, Code::InvalidStorage, "spec.storage");
}

#[test]
fn read_write_once_shared_across_nodes() {
    assert_fires(
        with(
            clean(),
            &["storage", "nimCache", "name"],
            json!("rwo-cache"),
        ),
        Code::ReadWriteOnceSharedAcrossNodes,
        "spec.storage.nimCache.name",
    );
    let own = with(
        with(without(clean(), &["scale"]), &["replicas"], json!(3)),
        &["storage"],
        json!({"pvc": {"create": true, "size": "50Gi", "volumeAccessMode": "ReadWriteOnce"}}),
    );
    assert_fires(
        own,
        Code::ReadWriteOnceSharedAcrossNodes,
        "spec.storage.pvc.volumeAccessMode",
    );
}

#[test]
fn every_code_has_a_stable_name_and_severity() {
    let errors: Vec<_> = Code::ALL
        .iter()
        .filter(|c| c.severity() == Severity::Error)
        .map(|c| c.as_str())
        .collect();
    assert_eq!(
        errors,
        [
            "VgpuMultiGpuUnsupported",
            "InsufficientGpusPerNode",
            "InsufficientGpuMemory",
            "NoCompatibleProfile",
            "ReplicasWithAutoscaling",
            "NimCacheNotFound",
            "InvalidStorage",
            "PipelineDependencyCycle",
            "MinReplicasUnschedulable",
            "GpuStackNotReady",
            "InvalidSpec"
        ]
    );
    let warnings: Vec<_> = Code::ALL
        .iter()
        .filter(|c| c.severity() == Severity::Warning)
        .map(|c| c.as_str())
        .collect();
    assert_eq!(
        warnings,
        [
            "CpuMetricAutoscaling",
            "AutoscalingWithoutCache",
            "EphemeralModelStore",
            "DeprecatedIngress",
            "UnpinnedImage",
            "MaxReplicasExceedCapacity",
            "ReadWriteOnceSharedAcrossNodes",
            "NoNvlinkForTensorParallel",
            "GpuCountUnspecified",
            "InvalidSnapshotObject",
            "NotRendered"
        ]
    );
    for c in Code::ALL {
        let v = serde_json::to_value(c).unwrap();
        assert_eq!(v, c.as_str());
        assert_eq!(serde_json::from_value::<Code>(v).unwrap(), *c);
    }
}

#[test]
fn pipeline_dependency_cycle() {
    use nim_planner::placement::check_pipeline;
    let pipeline = |services: Value| -> nim_types::NIMPipeline {
        serde_json::from_value(json!({
            "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMPipeline",
            "metadata": {"name": "rag", "namespace": "nim"},
            "spec": {"services": services}
        }))
        .expect("valid NIMPipeline")
    };
    let acyclic = pipeline(json!([
        {"name": "llm", "dependencies": [{"name": "embed", "port": 8000}, {"name": "rerank", "port": 8000}]},
        {"name": "embed"},
        {"name": "rerank", "dependencies": [{"name": "embed", "port": 8000}, {"name": "external", "port": 1}]}
    ]));
    assert!(check_pipeline(&acyclic).is_empty());
    let cyclic = pipeline(json!([
        {"name": "a", "dependencies": [{"name": "b", "port": 1}]},
        {"name": "b", "dependencies": [{"name": "c", "port": 1}]},
        {"name": "c", "dependencies": [{"name": "a", "port": 1}]},
        {"name": "self", "dependencies": [{"name": "self", "port": 1}]}
    ]));
    let d = check_pipeline(&cyclic);
    assert_eq!(d.len(), 2, "{d:#?}");
    assert!(
        d.iter()
            .all(|d| d.code == Code::PipelineDependencyCycle && d.is_error())
    );
    assert_eq!(d[0].field, "spec.services[0].dependencies");
    assert!(d[0].message.contains("a, b, c"));
    assert_eq!(d[1].field, "spec.services[3].dependencies");
}

/// A dependency cycle among a pipeline's services is an error on the pipeline, and the graph has
/// no topological order: the plan still lists every rendered object exactly once, in id order,
/// and the same input gives the same bytes.
#[test]
fn plan_with_a_pipeline_cycle_lists_every_object_once() {
    use nim_planner::graph::ObjectId;
    use nim_planner::plan::{PlanInput, plan};
    let service = |name: &str, dep: &str| {
        json!({"name": name, "enabled": true, "spec": {
            "image": {"repository": "nvcr.io/nim/meta/llama-3.1-8b-instruct", "tag": "1.8.0"},
            "authSecret": "ngc-api-secret", "replicas": 1,
            "storage": {"pvc": {"create": true, "size": "50Gi", "volumeAccessMode": "ReadWriteOnce"}},
            "resources": {"limits": {"nvidia.com/gpu": "1"}},
            "expose": {"service": {"port": 8000}}},
         "dependencies": [{"name": dep, "port": 8000}]})
    };
    let pipeline = json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMPipeline",
        "metadata": {"name": "rag", "namespace": "nim", "uid": "p-uid"},
        "spec": {"services": [service("a", "b"), service("b", "c"), service("c", "a")]}
    });
    let (input, problems) = PlanInput::from_objects(&[pipeline]);
    assert!(problems.is_empty(), "{problems:#?}");
    let p = plan(&input, &cluster());
    assert!(
        p.diagnostics
            .iter()
            .any(|d| d.code == Code::PipelineDependencyCycle && d.is_error()),
        "{:#?}",
        p.diagnostics
    );
    assert!(p.graph.is_cyclic());
    let ids: Vec<ObjectId> = p
        .objects
        .iter()
        .map(|o| ObjectId::of(o).expect("rendered objects have an id"))
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted, "each object once, in id order");
    for (kind, name) in [
        ("NIMService", "a"),
        ("NIMService", "c"),
        ("Deployment", "b"),
    ] {
        assert!(
            ids.iter().any(|id| id.kind == kind && id.name == name),
            "{kind} {name} missing from {ids:#?}"
        );
    }
    assert_eq!(
        serde_json::to_string(&p).unwrap(),
        serde_json::to_string(&plan(&input, &cluster())).unwrap()
    );
}
