//! Endpoint picker (EPP) and InferencePool rendering for `nim/serving/advanced/epp/nimservice.yaml`
//! (contract §3.2 step 11).

use nim_planner::render::{RenderContext, epp, inference_pool, render_service};
use nim_types::NIMService;
use serde_json::{Value, json};

const NAME: &str = "meta-llama-3-2-1b-instruct";
const NS: &str = "nim-service";

fn epp_sample() -> Value {
    json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
        "metadata": {"name": NAME, "namespace": NS, "uid": "u-epp"},
        "spec": {
            "image": {"repository": "nvcr.io/nim/meta/llama-3.2-1b-instruct", "tag": "1.12.0",
                      "pullPolicy": "IfNotPresent", "pullSecrets": ["ngc-secret"]},
            "authSecret": "ngc-api-secret",
            "storage": {"emptyDir": {"sizeLimit": "10Gi"}},
            "replicas": 2,
            "resources": {"limits": {"nvidia.com/gpu": 1}},
            "expose": {
                "service": {"type": "ClusterIP", "port": 8000},
                "router": {
                    "gateway": {"name": "inference-gateway", "httpRoutesEnabled": true,
                        "backendRef": {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": NAME}},
                    "eppConfig": {
                        "containerSpec": {"name": "epp", "image": {"repository": "registry.k8s.io/gateway-api-inference-extension/epp", "tag": "v1.3.1"}},
                        "config": {
                            "apiVersion": "inference.networking.x-k8s.io/v1alpha1",
                            "kind": "EndpointPickerConfig",
                            "plugins": [{"type": "kv-cache-utilization-scorer"}],
                            "schedulingProfiles": [{"name": "default", "plugins": [{"pluginRef": "kv-cache-utilization-scorer"}]}]
                        }
                    }
                }
            }
        }
    })
}

fn svc(v: Value) -> NIMService {
    serde_json::from_value(v).unwrap()
}

#[test]
fn inference_pool_matches_contract() {
    let pool =
        inference_pool::inference_pool(&svc(epp_sample()), &RenderContext::default()).unwrap();
    let v = serde_json::to_value(&pool).unwrap();
    assert_eq!(v["apiVersion"], "inference.networking.k8s.io/v1");
    assert_eq!(v["metadata"]["name"], NAME);
    assert_eq!(v["metadata"]["ownerReferences"][0]["uid"], "u-epp");
    assert_eq!(
        v["spec"],
        json!({
            "selector": {"matchLabels": {"app": NAME}},
            "targetPorts": [{"number": 8000}],
            "endpointPickerRef": {"name": format!("{NAME}-epp"), "port": {"number": 9002}}
        })
    );
}

#[test]
fn epp_objects_match_contract() {
    let s = svc(epp_sample());
    let ctx = RenderContext::default();
    let children = render_service(&s, &ctx).unwrap();
    let e = children.epp.expect("EPP objects rendered");
    let epp_name = format!("{NAME}-epp");
    for meta in [
        &e.service_account.metadata,
        &e.role.metadata,
        &e.role_binding.metadata,
        &e.service.metadata,
        &e.deployment.metadata,
    ] {
        assert_eq!(meta.name.as_deref(), Some(epp_name.as_str()));
        assert_eq!(meta.owner_references.as_ref().unwrap().len(), 1);
        assert_eq!(
            meta.labels.as_ref().unwrap()["app.kubernetes.io/managed-by"],
            "k8s-nim-operator"
        );
    }
    let cm = e.config_map.unwrap();
    assert_eq!(
        cm.metadata.name.as_deref(),
        Some(format!("{NAME}-epp-config").as_str())
    );
    let text = &cm.data.unwrap()["default-plugins.yaml"];
    let parsed: Value = serde_json::from_str(text).unwrap();
    assert_eq!(parsed["plugins"][0]["type"], "kv-cache-utilization-scorer");

    let role = serde_json::to_value(&e.role.rules).unwrap();
    assert_eq!(
        role,
        json!([
            {"apiGroups": ["inference.networking.k8s.io", "inference.networking.x-k8s.io"],
             "resources": ["inferencepools", "inferenceobjectives"], "verbs": ["get", "watch", "list"]},
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "watch", "list"]}
        ])
    );

    let service = serde_json::to_value(&e.service).unwrap();
    assert_eq!(
        service["spec"],
        json!({
            "type": "ClusterIP",
            "selector": {"app": epp_name},
            "ports": [
                {"name": "grpc-ext-proc", "port": 9002, "targetPort": 9002, "protocol": "TCP"},
                {"name": "http-metrics", "port": 9090, "targetPort": 9090, "protocol": "TCP"}
            ]
        })
    );

    let d = serde_json::to_value(&e.deployment).unwrap();
    assert_eq!(
        d["spec"]["selector"],
        json!({"matchLabels": {"app": epp_name}})
    );
    assert_eq!(d["spec"]["template"]["metadata"]["labels"]["app"], epp_name);
    let p = &d["spec"]["template"]["spec"];
    assert_eq!(p["serviceAccountName"], epp_name);
    assert_eq!(p["imagePullSecrets"], json!([{"name": "ngc-secret"}]));
    let c = &p["containers"][0];
    assert_eq!(c["name"], "epp");
    assert_eq!(
        c["image"],
        "registry.k8s.io/gateway-api-inference-extension/epp:v1.3.1"
    );
    assert_eq!(c["imagePullPolicy"], "IfNotPresent");
    assert_eq!(
        c["args"],
        json!([
            "--pool-name",
            NAME,
            "--pool-namespace",
            NS,
            "--pool-group",
            "inference.networking.k8s.io",
            "--zap-encoder",
            "json",
            "--config-file",
            "/config/default-plugins.yaml",
            "--v",
            "6",
            "--model-server-metrics-path",
            "/v1/metrics"
        ])
    );
    assert_eq!(
        c["readinessProbe"],
        json!({"grpc": {"port": 9003}, "initialDelaySeconds": 5, "periodSeconds": 10})
    );
    assert_eq!(
        c["volumeMounts"],
        json!([{"name": "epp-config", "mountPath": "/config", "readOnly": true}])
    );
    assert_eq!(
        p["volumes"],
        json!([{"name": "epp-config", "configMap": {"name": format!("{NAME}-epp-config")}}])
    );
    assert_eq!(c["ports"].as_array().unwrap().len(), 3);

    // The HTTPRoute points at the InferencePool; the NIM Deployment keeps its replicas.
    let route = serde_json::to_value(children.http_route.unwrap()).unwrap();
    assert_eq!(
        route["spec"]["rules"][0]["backendRefs"][0]["kind"],
        "InferencePool"
    );
    assert_eq!(children.deployment.unwrap().spec.unwrap().replicas, Some(2));
}

#[test]
fn epp_with_user_config_map_and_absent_without_epp_config() {
    let mut v = epp_sample();
    let epp_cfg = &mut v["spec"]["expose"]["router"]["eppConfig"];
    epp_cfg.as_object_mut().unwrap().remove("config");
    epp_cfg["configMapRef"] = json!({"name": "my-epp", "key": "epp.yaml"});
    let s = svc(v.clone());
    let ctx = RenderContext::default();
    assert!(epp::config_map(&s, &ctx).is_none());
    let d = serde_json::to_value(epp::deployment(&s, &ctx).unwrap()).unwrap();
    let p = &d["spec"]["template"]["spec"];
    assert_eq!(p["volumes"][0]["configMap"]["name"], "my-epp");
    assert!(
        p["containers"][0]["args"]
            .as_array()
            .unwrap()
            .contains(&json!("/config/epp.yaml"))
    );

    v["spec"]["expose"]["router"]
        .as_object_mut()
        .unwrap()
        .remove("eppConfig");
    let s = svc(v);
    assert!(inference_pool::inference_pool(&s, &ctx).is_none());
    assert!(epp::deployment(&s, &ctx).is_none());
    assert!(render_service(&s, &ctx).unwrap().epp.is_none());
}
