//! NIMBuild (contract §3.6): the engine-build Pod from the NIMCache's buildable profile, on the
//! sample `nimbuild.yaml`, NVIDIA's profile-selection failures, and `plan()`.

use nim_planner::diagnostics::{Code, Severity};
use nim_planner::plan::{PlanInput, plan};
use nim_planner::render::nimbuild::{buildable_profile, engine_build_pod};
use nim_planner::render::{RenderContext, RenderError};
use nim_planner::snapshot::ClusterSnapshot;
use nim_types::{NIMBuild, NIMCache};
use serde_json::{Value, json};

const NAME: &str = "meta-llama3-8b-instruct";
const NS: &str = "nim-service";
const UID: &str = "5f0c1a8e-0000-4000-8000-0000000000b1";
const PROFILE: &str = "3b5a5ae2dbf5fbf79b6d8d2fda2b1f3c4bf6e4b0d5cce0e1f2a3b4c5d6e7f809";

fn sample() -> Value {
    let text = include_str!("../../nim-types/tests/fixtures/samples/nimbuild.yaml");
    let mut v: Value = serde_saphyr::from_str(text).expect("sample parses");
    v["metadata"]["uid"] = json!(UID);
    v
}

fn build(v: Value) -> NIMBuild {
    serde_json::from_value(v).expect("valid NIMBuild")
}

/// A Ready NGC NIMCache holding one buildable and one optimized profile.
fn cache_value(profiles: Value) -> Value {
    json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
        "metadata": {"name": NAME, "namespace": NS},
        "spec": {
            "source": {"ngc": {"modelPuller": "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.4",
                               "pullSecret": "ngc-secret", "authSecret": "ngc-api-secret",
                               "model": {"profiles": [PROFILE]}}},
            "storage": {"pvc": {"create": true, "size": "50Gi", "volumeAccessMode": "ReadWriteOnce",
                                "subPath": "llama"}},
            "userID": 1001, "groupID": 3000, "runtimeClassName": "nvidia"
        },
        "status": {"state": "Ready", "pvc": format!("{NAME}-pvc"), "profiles": profiles}
    })
}

fn profiles() -> Value {
    json!([
        {"name": PROFILE, "model": "meta/llama-3.1-8b-instruct", "release": "1.8.4",
         "config": {"trtllm_buildable": "true", "tp": "2", "precision": "bf16", "feat_lora": "true"}},
        {"name": "aaaa", "model": "meta/llama-3.1-8b-instruct", "release": "1.8.4",
         "config": {"llm_engine": "tensorrt_llm", "tp": "1"}}
    ])
}

fn cache(profiles: Value) -> NIMCache {
    serde_json::from_value(cache_value(profiles)).unwrap()
}

#[test]
fn engine_build_pod_from_the_sample() {
    let pod = engine_build_pod(
        &build(sample()),
        &cache(profiles()),
        &RenderContext::default(),
    )
    .unwrap();
    let v = serde_json::to_value(&pod).unwrap();
    assert_eq!(v["apiVersion"], "v1");
    assert_eq!(v["kind"], "Pod");
    assert_eq!(v["metadata"]["name"], format!("{NAME}-engine-build-pod"));
    assert_eq!(v["metadata"]["namespace"], NS);
    assert_eq!(
        v["metadata"]["labels"],
        json!({"app": "k8s-nim-operator", "app.kubernetes.io/name": NAME,
               "app.kubernetes.io/managed-by": "k8s-nim-operator"})
    );
    assert_eq!(
        v["metadata"]["annotations"],
        json!({"sidecar.istio.io/inject": "false"})
    );
    let owner = &v["metadata"]["ownerReferences"];
    assert_eq!(owner.as_array().unwrap().len(), 1);
    assert_eq!(
        (
            owner[0]["kind"].clone(),
            owner[0]["name"].clone(),
            owner[0]["uid"].clone(),
            owner[0]["controller"].clone()
        ),
        (json!("NIMBuild"), json!(NAME), json!(UID), json!(true))
    );
    let s = &v["spec"];
    assert_eq!(s["restartPolicy"], "Never");
    assert_eq!(s["runtimeClassName"], "nvidia");
    assert_eq!(
        s["securityContext"],
        json!({"runAsUser": 1001, "runAsGroup": 3000, "fsGroup": 3000})
    );
    assert_eq!(s["imagePullSecrets"], json!([{"name": "ngc-secret"}]));
    assert_eq!(
        s["volumes"],
        json!([{"name": "nim-cache-volume", "persistentVolumeClaim": {"claimName": format!("{NAME}-pvc")}}])
    );
    let c = &s["containers"][0];
    assert_eq!(c["name"], "nim-build-ctr");
    assert_eq!(c["image"], "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.4");
    assert_eq!(
        c["volumeMounts"],
        json!([{"name": "nim-cache-volume", "mountPath": "/model-store", "subPath": "llama"}])
    );
    assert_eq!(
        c["ports"],
        json!([{"name": "api", "containerPort": 8000, "protocol": "TCP"}])
    );
    // GPUs = the profile's tp, overriding the user's limit of 1.
    assert_eq!(
        c["resources"],
        json!({"limits": {"nvidia.com/gpu": "2"}, "requests": {"nvidia.com/gpu": "2"}})
    );
    assert_eq!(c["startupProbe"]["failureThreshold"], 30);
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/v1/health/ready");
    let env: Vec<(String, Value)> = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e.get("value").cloned().unwrap_or(e["valueFrom"].clone()),
            )
        })
        .collect();
    let get = |n: &str| env.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(get("NIM_CACHE_PATH"), Some(json!("/model-store")));
    assert_eq!(get("NIM_SERVER_PORT"), Some(json!("8000")));
    assert_eq!(get("NIM_HTTP_API_PORT"), Some(json!("8000")));
    assert_eq!(
        get("NIM_CUSTOM_MODEL_NAME"),
        Some(json!("llama3-8b-custom"))
    );
    assert_eq!(get("NIM_MODEL_PROFILE"), Some(json!(PROFILE)));
    assert_eq!(get("NIM_PEFT_SOURCE"), Some(json!("/tmp")));
    assert_eq!(
        get("NGC_API_KEY"),
        Some(json!({"secretKeyRef": {"name": "ngc-api-secret", "key": "NGC_API_KEY"}}))
    );
    assert!(!serde_json::to_string(&v).unwrap().contains("null"));
}

#[test]
fn user_env_labels_and_default_model_name() {
    let mut v = sample();
    v["spec"].as_object_mut().unwrap().remove("modelName");
    v["spec"]["env"] = json!([{"name": "NIM_SERVER_PORT", "value": "9000"}]);
    v["spec"]["labels"] = json!({"team": "a", "app": "mine"});
    v["spec"]["annotations"] = json!({"note": "x"});
    v["spec"]["nodeSelector"] = json!({"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"});
    let pod = engine_build_pod(&build(v), &cache(profiles()), &RenderContext::default()).unwrap();
    let labels = pod.metadata.labels.unwrap();
    assert_eq!(labels["app"], "k8s-nim-operator");
    assert_eq!(labels["team"], "a");
    assert_eq!(pod.metadata.annotations.unwrap()["note"], "x");
    let spec = pod.spec.unwrap();
    assert_eq!(
        spec.node_selector.unwrap()["nvidia.com/gpu.product"],
        "NVIDIA-H100-80GB-HBM3"
    );
    let env = spec.containers[0].env.clone().unwrap();
    let get = |n: &str| {
        env.iter()
            .find(|e| e.name == n)
            .and_then(|e| e.value.clone())
    };
    assert_eq!(get("NIM_SERVER_PORT").as_deref(), Some("9000"));
    assert_eq!(get("NIM_CUSTOM_MODEL_NAME").as_deref(), Some(NAME));
}

#[test]
fn profile_selection_follows_nvidia() {
    // No explicit profile and exactly one buildable profile: it is chosen.
    let mut v = sample();
    v["spec"]["nimCache"]
        .as_object_mut()
        .unwrap()
        .remove("profile");
    assert_eq!(
        buildable_profile(&build(v.clone()), &cache(profiles()))
            .unwrap()
            .name,
        PROFILE
    );
    // Several buildable profiles without an explicit choice.
    let mut two = profiles();
    two[1]["config"]["trtllm_buildable"] = json!("true");
    let e = buildable_profile(&build(v.clone()), &cache(two.clone())).unwrap_err();
    assert!(
        matches!(&e, RenderError::NoBuildableProfile { condition, .. }
        if condition == "NIM_BUILD_MULTIPLE_BUILDABLE_PROFILES_FOUND"),
        "{e}"
    );
    // The explicit profile disambiguates.
    assert_eq!(
        buildable_profile(&build(sample()), &cache(two))
            .unwrap()
            .name,
        PROFILE
    );
    // None buildable.
    let e = buildable_profile(&build(v), &cache(json!([profiles()[1]]))).unwrap_err();
    assert!(
        matches!(&e, RenderError::NoBuildableProfile { condition, .. }
        if condition == "NIM_BUILD_NO_BUILDABLE_PROFILE_FOUND"),
        "{e}"
    );
    // An explicit profile that is not buildable.
    let mut wrong = sample();
    wrong["spec"]["nimCache"]["profile"] = json!("aaaa");
    assert!(buildable_profile(&build(wrong), &cache(profiles())).is_err());
    // A user GPU request is refused (the profile decides).
    let mut req = sample();
    req["spec"]["resources"]["requests"] = json!({"nvidia.com/gpu": 1});
    assert!(engine_build_pod(&build(req), &cache(profiles()), &RenderContext::default()).is_err());
}

#[test]
fn plan_renders_the_pod_after_the_nimcache() {
    let (input, problems) = PlanInput::from_objects(&[cache_value(profiles()), sample()]);
    assert!(problems.is_empty(), "{problems:?}");
    let p = plan(&input, &ClusterSnapshot::default());
    let at = |kind: &str, name: &str| {
        p.objects
            .iter()
            .position(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{kind} {name} not planned: {:#?}", p.diagnostics))
    };
    let pod = at("Pod", &format!("{NAME}-engine-build-pod"));
    assert!(at("PersistentVolumeClaim", &format!("{NAME}-pvc")) < pod);
    assert!(
        !p.diagnostics.iter().any(|d| d.object.kind == "NIMBuild"),
        "{:#?}",
        p.diagnostics
    );
    let cache_id =
        nim_planner::graph::ObjectId::new("apps.nvidia.com/v1alpha1", "NIMCache", NS, NAME);
    let pod_id =
        nim_planner::graph::ObjectId::new("v1", "Pod", NS, &format!("{NAME}-engine-build-pod"));
    let order = p.graph.apply_order().unwrap();
    let pos = |id: &nim_planner::graph::ObjectId| order.iter().position(|x| x == id).unwrap();
    assert!(pos(&cache_id) < pos(&pod_id));
}

#[test]
fn plan_keeps_diagnostics_when_the_pod_cannot_be_rendered() {
    // NIMCache not Ready yet: the operator creates the Pod later.
    let mut pending = cache_value(profiles());
    pending["status"] = json!({"state": "InProgress"});
    let (input, _) = PlanInput::from_objects(&[pending, sample()]);
    let p = plan(&input, &ClusterSnapshot::default());
    assert!(!p.objects.iter().any(|o| o["kind"] == "Pod"));
    let d = p
        .diagnostics
        .iter()
        .find(|d| d.object.kind == "NIMBuild")
        .unwrap();
    assert_eq!((d.code, d.severity), (Code::NotRendered, Severity::Warning));
    assert!(
        d.message.contains("NIM_BUILD_WAIT_FOR_NIM_CACHE_READY"),
        "{}",
        d.message
    );

    // Ready, but two buildable profiles and no explicit choice: NVIDIA's reason.
    let mut two = profiles();
    two[1]["config"]["trtllm_buildable"] = json!("true");
    let mut v = sample();
    v["spec"]["nimCache"]
        .as_object_mut()
        .unwrap()
        .remove("profile");
    let (input, _) = PlanInput::from_objects(&[cache_value(two), v]);
    let p = plan(&input, &ClusterSnapshot::default());
    let d = p
        .diagnostics
        .iter()
        .find(|d| d.object.kind == "NIMBuild")
        .unwrap();
    assert_eq!(d.code, Code::NoCompatibleProfile);
    assert!(
        d.message
            .contains("NIM_BUILD_MULTIPLE_BUILDABLE_PROFILES_FOUND"),
        "{}",
        d.message
    );

    // Unknown NIMCache.
    let (input, _) = PlanInput::from_objects(&[sample()]);
    let p = plan(&input, &ClusterSnapshot::default());
    let d = p
        .diagnostics
        .iter()
        .find(|d| d.object.kind == "NIMBuild")
        .unwrap();
    assert_eq!(d.code, Code::NotRendered);
}
