//! KServe (contract §3.4): one InferenceService instead of Deployment/Service/HPA/Ingress, on
//! the sample `nimservice-kserve.yaml`, in Standard and Knative modes, and `plan()` ordering.

use nim_planner::plan::{PlanInput, plan};
use nim_planner::render::{
    CacheInfo, RenderContext, RenderError, inferenceservice, render_kserve, render_service,
};
use nim_planner::snapshot::ClusterSnapshot;
use nim_types::external::InferenceService;
use nim_types::{NIMCache, NIMService};
use serde_json::{Value, json};

const NAME: &str = "meta-llama-3-2-1b-instruct";
const NS: &str = "nim-service";
const UID: &str = "5f0c1a8e-0000-4000-8000-0000000000c5";

fn sample() -> Value {
    let text = include_str!("../../nim-types/tests/fixtures/samples/nimservice-kserve.yaml");
    let mut v: Value = serde_saphyr::from_str(text).expect("sample parses");
    v["metadata"]["uid"] = json!(UID);
    v
}

fn svc(v: Value) -> NIMService {
    serde_json::from_value(v).expect("valid NIMService")
}

fn cache() -> Value {
    json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
        "metadata": {"name": NAME, "namespace": NS},
        "spec": {
            "source": {"ngc": {"modelPuller": "nvcr.io/nim/meta/llama-3.2-1b-instruct:1.12.0",
                               "pullSecret": "ngc-secret", "authSecret": "ngc-api-secret",
                               "model": {"profiles": ["all"]}}},
            "storage": {"pvc": {"create": true, "size": "50Gi", "volumeAccessMode": "ReadWriteOnce"}}
        },
        "status": {"state": "Ready", "pvc": format!("{NAME}-pvc")}
    })
}

fn ctx() -> RenderContext {
    let c: NIMCache = serde_json::from_value(cache()).unwrap();
    RenderContext {
        nim_cache: Some(CacheInfo::from_nimcache(&c)),
        allowed_gpu_products: vec!["NVIDIA-A100-SXM4-40GB".into()],
        ..Default::default()
    }
}

fn isvc(v: Value) -> InferenceService {
    inferenceservice::inference_service(&svc(v), &ctx()).expect("renders")
}

#[test]
fn standard_mode_inference_service() {
    let i = isvc(sample());
    let v = serde_json::to_value(&i).unwrap();
    assert_eq!(v["apiVersion"], "serving.kserve.io/v1beta1");
    assert_eq!(v["kind"], "InferenceService");
    assert_eq!(v["metadata"]["name"], NAME);
    assert_eq!(v["metadata"]["namespace"], NS);
    let owner = &v["metadata"]["ownerReferences"];
    assert_eq!(owner.as_array().unwrap().len(), 1);
    assert_eq!(owner[0]["uid"], UID);
    assert_eq!(owner[0]["controller"], true);
    let labels = &v["metadata"]["labels"];
    assert_eq!(labels["app.kubernetes.io/managed-by"], "k8s-nim-operator");
    // The user's visibility label is kept (no cluster-local override).
    assert_eq!(labels["networking.kserve.io/visibility"], "exposed");
    let a = &v["metadata"]["annotations"];
    assert_eq!(a["serving.kserve.io/deploymentMode"], "Standard");
    assert_eq!(a["serving.kserve.io/autoscalerClass"], "hpa");
    assert_eq!(a["serving.kserve.io/enable-metric-aggregation"], "true");
    assert_eq!(a["serving.kserve.io/enable-prometheus-scraping"], "true");

    let p = &v["spec"]["predictor"];
    assert_eq!(
        (p["minReplicas"].clone(), p["maxReplicas"].clone()),
        (json!(1), json!(3))
    );
    assert_eq!(p["scaleMetric"], "cpu");
    assert_eq!(p["scaleMetricType"], "Utilization");
    assert_eq!(p["scaleTarget"], 80);
    assert_eq!(
        p["deploymentStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 0}})
    );
    assert_eq!(p["serviceAccountName"], NAME);
    assert_eq!(p["securityContext"]["runAsUser"], 1000);
    assert_eq!(p["labels"]["app"], NAME);
    let c = &p["containers"][0];
    assert_eq!(c["name"], format!("{NAME}-ctr"));
    assert_eq!(c["image"], "nvcr.io/nim/meta/llama-3.2-1b-instruct:1.12.0");
    assert_eq!(c["resources"]["limits"]["nvidia.com/gpu"], "1");
    assert_eq!(c["resources"]["requests"]["memory"], "6Gi");
    assert_eq!(
        c["ports"][0],
        json!({"name": "api", "containerPort": 8000, "protocol": "TCP"})
    );
    assert_eq!(c["startupProbe"]["failureThreshold"], 120);
    let env: Vec<&str> = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(env.contains(&"NIM_CACHE_PATH") && env.contains(&"NGC_API_KEY"));
    assert_eq!(
        p["volumes"][1]["persistentVolumeClaim"]["claimName"],
        format!("{NAME}-pvc")
    );
    assert_eq!(
        p["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
            [0]["matchExpressions"][0]["values"][0],
        "NVIDIA-A100-SXM4-40GB"
    );
    assert!(!serde_json::to_string(&v).unwrap().contains("null"));
}

#[test]
fn replicas_without_autoscaling_and_cluster_local_visibility() {
    let mut v = sample();
    v["spec"].as_object_mut().unwrap().remove("scale");
    v["spec"]["labels"] = json!({});
    v["spec"]["replicas"] = json!(2);
    let i = isvc(v);
    assert_eq!(
        (i.spec.predictor.min_replicas, i.spec.predictor.max_replicas),
        (Some(2), Some(2))
    );
    assert!(i.spec.predictor.scale_metric.is_none());
    let meta = &i.metadata;
    assert_eq!(
        meta.labels.as_ref().unwrap()["networking.kserve.io/visibility"],
        "cluster-local"
    );
    assert!(
        !meta
            .annotations
            .as_ref()
            .unwrap()
            .contains_key("serving.kserve.io/autoscalerClass")
    );
}

#[test]
fn knative_mode_has_no_replica_fields_and_numeric_probes() {
    let mut v = sample();
    v["spec"]["annotations"]["serving.kserve.io/deploymentMode"] = json!("Knative");
    v["spec"].as_object_mut().unwrap().remove("scale");
    let i = isvc(v.clone());
    let p = &i.spec.predictor;
    assert!(
        p.min_replicas.is_none() && p.max_replicas.is_none() && p.deployment_strategy.is_none()
    );
    assert!(p.security_context.is_none());
    let c = serde_json::to_value(&p.containers[0]).unwrap();
    assert_eq!(
        c["ports"],
        json!([{"containerPort": 8000, "protocol": "TCP"}])
    );
    assert_eq!(c["livenessProbe"]["httpGet"]["port"], 8000);
    assert_eq!(c["startupProbe"]["failureThreshold"], 30);
    // Knative: no ServiceMonitor.
    let mut m = v.clone();
    m["spec"]["metrics"] = json!({"enabled": true, "serviceMonitor": {"interval": "30s"}});
    assert!(
        render_kserve(&svc(m), &ctx())
            .unwrap()
            .service_monitor
            .is_none()
    );
    // A mode NVIDIA rejects.
    v["spec"]["annotations"]["serving.kserve.io/deploymentMode"] = json!("Fancy");
    assert_eq!(
        inferenceservice::inference_service(&svc(v), &ctx()),
        Err(RenderError::InvalidKServeDeploymentMode("Fancy".into()))
    );
}

#[test]
fn cluster_default_mode_applies_without_the_annotation() {
    let mut v = sample();
    v["spec"]["annotations"] = json!({});
    let c = RenderContext {
        kserve_deployment_mode: Some("RawDeployment".into()),
        ..ctx()
    };
    let i = inferenceservice::inference_service(&svc(v), &c).unwrap();
    assert_eq!(
        i.metadata.annotations.unwrap()["serving.kserve.io/deploymentMode"],
        "RawDeployment"
    );
}

#[test]
fn render_service_refuses_kserve_and_render_kserve_bundles() {
    let s = svc(sample());
    assert!(matches!(
        render_service(&s, &ctx()),
        Err(RenderError::Unsupported(_))
    ));
    let k = render_kserve(&s, &ctx()).unwrap();
    assert_eq!(k.service_account.metadata.name.as_deref(), Some(NAME));
    assert!(k.resource_claim_templates.is_empty() && k.pvc.is_none());
}

#[test]
fn plan_renders_one_inference_service_instead_of_the_standalone_objects() {
    let gpu_node = json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "n0", "labels": {
            "nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB",
            "nvidia.com/gpu.count": "8", "nvidia.com/gpu.memory": "40960",
            "nvidia.com/gpu.family": "ampere", "nvidia.com/mig.capable": "false"}},
        "status": {"allocatable": {"nvidia.com/gpu": "8"}, "capacity": {"nvidia.com/gpu": "8"},
                   "conditions": [{"type": "Ready", "status": "True"}]}
    });
    let (input, problems) = PlanInput::from_objects(&[cache(), sample()]);
    assert!(problems.is_empty());
    let p = plan(&input, &ClusterSnapshot::from_objects(&[gpu_node]));
    let owned: Vec<(&str, &str)> = p
        .objects
        .iter()
        .filter(|o| o["metadata"]["ownerReferences"][0]["kind"] == "NIMService")
        .map(|o| {
            (
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    for kind in [
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "Ingress",
    ] {
        assert!(
            !owned.iter().any(|(k, _)| *k == kind),
            "{kind} must not be planned: {owned:?}"
        );
    }
    let at = |kind: &str, name: &str| {
        p.objects
            .iter()
            .position(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{kind} {name} not planned: {:#?}", p.diagnostics))
    };
    let i = at("InferenceService", NAME);
    assert!(at("RoleBinding", NAME) < i);
    assert!(at("PersistentVolumeClaim", &format!("{NAME}-pvc")) < i);
    assert!(
        !p.diagnostics.iter().any(|d| d.message.contains("kserve")),
        "{:#?}",
        p.diagnostics
    );
}
