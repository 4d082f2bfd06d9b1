//! Rendering of NIMCache children against NVIDIA's contract (§3.1): shared RBAC, PVC, caching Job.

use nim_planner::render::{RenderContext, RenderError, job, pvc, service_account};
use nim_types::NIMCache;
use serde_json::{Value, json};

const NAME: &str = "meta-llama-3-2-1b-instruct";
const NS: &str = "nim-service";

/// `nim/caching/ngc/nimcache.yaml`.
fn ngc_cache() -> Value {
    json!({
        "apiVersion": "apps.nvidia.com/v1alpha1",
        "kind": "NIMCache",
        "metadata": {"name": NAME, "namespace": NS, "uid": "c-1",
                     "labels": {"app.kubernetes.io/name": "k8s-nim-operator"}},
        "spec": {
            "source": {"ngc": {
                "modelPuller": "nvcr.io/nim/meta/llama-3.2-1b-instruct:1.12.0",
                "pullSecret": "ngc-secret",
                "authSecret": "ngc-api-secret",
                "model": {"engine": "tensorrt", "tensorParallelism": "1"}
            }},
            "storage": {"pvc": {"create": true, "size": "50Gi", "volumeAccessMode": "ReadWriteOnce"}}
        }
    })
}

fn cache(v: Value) -> NIMCache {
    serde_json::from_value(v).expect("valid NIMCache")
}

fn assert_owned_by_cache(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) {
    let owners = meta.owner_references.as_ref().expect("owner");
    assert_eq!(owners.len(), 1);
    assert_eq!(
        serde_json::to_value(&owners[0]).unwrap(),
        json!({"apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache", "name": NAME,
               "uid": "c-1", "controller": true, "blockOwnerDeletion": true})
    );
    assert_eq!(meta.namespace.as_deref(), Some(NS));
}

fn contains_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.iter().any(contains_null),
        Value::Object(m) => m.values().any(contains_null),
        _ => false,
    }
}

#[test]
fn pvc_size_access_mode_and_no_empty_storage_class() {
    let mut v = ngc_cache();
    v["spec"]["storage"]["pvc"]["storageClass"] = json!("");
    v["spec"]["storage"]["pvc"]["annotations"] = json!({"backup": "no"});
    let p = pvc::cache_pvc(&cache(v.clone())).unwrap().unwrap();
    assert_owned_by_cache(&p.metadata);
    let pv = serde_json::to_value(&p).unwrap();
    assert!(!contains_null(&pv));
    assert_eq!(pv["metadata"]["name"], format!("{NAME}-pvc"));
    assert_eq!(
        pv["metadata"]["labels"],
        json!({
            "app": "k8s-nim-operator",
            "app.kubernetes.io/name": NAME,
            "app.kubernetes.io/instance": NAME,
            "app.kubernetes.io/part-of": "nim-cache",
            "app.kubernetes.io/managed-by": "k8s-nim-operator"
        })
    );
    assert_eq!(pv["metadata"]["annotations"], json!({"backup": "no"}));
    assert_eq!(
        pv["spec"],
        json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "50Gi"}}})
    );

    // A named PVC and a storage class.
    v["spec"]["storage"]["pvc"]["storageClass"] = json!("local-path");
    v["spec"]["storage"]["pvc"]["name"] = json!("models");
    v["spec"]["storage"]["pvc"]["volumeAccessMode"] = json!("ReadWriteMany");
    let p = pvc::cache_pvc(&cache(v.clone())).unwrap().unwrap();
    let pv = serde_json::to_value(&p).unwrap();
    assert_eq!(pv["metadata"]["name"], "models");
    assert_eq!(pv["spec"]["storageClassName"], "local-path");
    assert_eq!(pv["spec"]["accessModes"], json!(["ReadWriteMany"]));

    // Missing size ⇒ error; create absent ⇒ nothing to create.
    v["spec"]["storage"]["pvc"]
        .as_object_mut()
        .unwrap()
        .remove("size");
    assert_eq!(
        pvc::cache_pvc(&cache(v.clone())),
        Err(RenderError::MissingPvcSize)
    );
    v["spec"]["storage"]["pvc"] = json!({"name": "existing"});
    assert_eq!(pvc::cache_pvc(&cache(v)), Ok(None));
}

#[test]
fn shared_rbac_is_unowned() {
    let c = cache(ngc_cache());
    let sa = service_account::cache_service_account(&c);
    assert_eq!(sa.metadata.name.as_deref(), Some("nim-cache-sa"));
    assert!(sa.metadata.owner_references.is_none());
    assert_eq!(
        sa.metadata.labels.as_ref().unwrap()["app.kubernetes.io/managed-by"],
        "k8s-nim-operator"
    );
    let role = service_account::cache_role(&c);
    assert_eq!(role.metadata.name.as_deref(), Some("nim-cache-role"));
    assert_eq!(
        role.metadata.labels.as_ref().unwrap()["app"],
        "k8s-nim-operator"
    );
    assert_eq!(
        role.rules.as_ref().unwrap()[0]
            .resource_names
            .as_ref()
            .unwrap(),
        &vec!["nonroot".to_string()]
    );
    let rb = serde_json::to_value(service_account::cache_role_binding(&c)).unwrap();
    assert_eq!(rb["metadata"]["name"], "nim-cache-rolebinding");
    assert_eq!(rb["roleRef"]["name"], "nim-cache-role");
    assert_eq!(
        rb["subjects"],
        json!([{"kind": "ServiceAccount", "name": "nim-cache-sa", "namespace": NS}])
    );

    let mut v = ngc_cache();
    v["spec"]["proxy"] = json!({"httpsProxy": "http://proxy:3128"});
    let role = service_account::cache_role(&cache(v));
    assert_eq!(
        role.rules.unwrap()[0].resource_names.as_ref().unwrap()[0],
        "anyuid"
    );
}

#[test]
fn job_for_selected_ngc_profiles() {
    let c = cache(ngc_cache());
    let ctx = RenderContext {
        selected_profiles: vec![
            "4f904d571fe60ff24695b5ee2aa42da58cb460787a968f1e8a09f5a7e862728d".into(),
            "ad17776f4619854fccd50354f31132a558a1ca619930698fd184d6ccf5fe3c99".into(),
        ],
        ..Default::default()
    };
    let j = job::cache_job(&c, &ctx).unwrap();
    assert_owned_by_cache(&j.metadata);
    let v = serde_json::to_value(&j).unwrap();
    assert!(!contains_null(&v), "{v:#}");
    assert_eq!(v["apiVersion"], "batch/v1");
    assert_eq!(v["metadata"]["name"], format!("{NAME}-job"));
    let labels = json!({"app": "k8s-nim-operator", "app.kubernetes.io/name": NAME,
                        "app.kubernetes.io/managed-by": "k8s-nim-operator"});
    assert_eq!(v["metadata"]["labels"], labels);
    assert_eq!(v["spec"]["backoffLimit"], 5);
    assert_eq!(v["spec"]["ttlSecondsAfterFinished"], 600);
    let t = &v["spec"]["template"];
    assert_eq!(t["metadata"]["labels"], labels);
    assert_eq!(
        t["metadata"]["annotations"],
        json!({"sidecar.istio.io/inject": "false", "openshift.io/scc": "nonroot"})
    );
    let p = &t["spec"];
    assert_eq!(p["restartPolicy"], "Never");
    assert_eq!(p["serviceAccountName"], "nim-cache-sa");
    assert_eq!(
        p["securityContext"],
        json!({"runAsUser": 1000, "fsGroup": 2000, "runAsNonRoot": true})
    );
    assert_eq!(
        p["nodeSelector"],
        json!({"feature.node.kubernetes.io/pci-10de.present": "true"})
    );
    assert_eq!(p["imagePullSecrets"], json!([{"name": "ngc-secret"}]));
    assert_eq!(
        p["volumes"],
        json!([
            {"name": "nim-cache-volume", "persistentVolumeClaim": {"claimName": format!("{NAME}-pvc")}},
            {"name": "scratch", "emptyDir": {}}
        ])
    );
    let c = &p["containers"][0];
    assert_eq!(c["name"], "nim-cache-ctr");
    assert_eq!(c["image"], "nvcr.io/nim/meta/llama-3.2-1b-instruct:1.12.0");
    assert_eq!(c["command"], json!(["download-to-cache"]));
    assert_eq!(
        c["args"],
        json!([
            "--profiles",
            "4f904d571fe60ff24695b5ee2aa42da58cb460787a968f1e8a09f5a7e862728d",
            "ad17776f4619854fccd50354f31132a558a1ca619930698fd184d6ccf5fe3c99"
        ])
    );
    assert_eq!(
        c["env"],
        json!([{"name": "NIM_CACHE_PATH", "value": "/model-store"}])
    );
    assert_eq!(
        c["envFrom"],
        json!([{"secretRef": {"name": "ngc-api-secret"}}])
    );
    assert_eq!(c["terminationMessagePolicy"], "FallbackToLogsOnError");
    assert_eq!(
        c["securityContext"],
        json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]},
               "runAsNonRoot": true, "runAsGroup": 2000, "runAsUser": 1000})
    );
    assert_eq!(
        c["volumeMounts"],
        json!([
            {"name": "nim-cache-volume", "mountPath": "/model-store"},
            {"name": "scratch", "mountPath": "/scratch"}
        ])
    );
    assert!(c.get("resources").is_none());
}

#[test]
fn job_profiles_all_and_explicit_and_none() {
    let mut v = ngc_cache();
    v["spec"]["source"]["ngc"]["model"] = json!({"profiles": ["all"]});
    let j = job::cache_job(&cache(v.clone()), &RenderContext::default()).unwrap();
    let c = &j.spec.unwrap().template.spec.unwrap().containers[0];
    assert_eq!(
        c.command.as_ref().unwrap(),
        &vec!["download-to-cache".to_string()]
    );
    assert_eq!(c.args.as_ref().unwrap(), &vec!["--all".to_string()]);

    // Explicit profiles beat the planner's selection.
    v["spec"]["source"]["ngc"]["model"] = json!({"profiles": ["abc"]});
    let ctx = RenderContext {
        selected_profiles: vec!["other".into()],
        ..Default::default()
    };
    let (_, args) = job::cache_command(&cache(v.clone()), &ctx).unwrap();
    assert_eq!(args, vec!["--profiles".to_string(), "abc".to_string()]);

    // `profiles: []` counts as no explicit profiles; nothing selected ⇒ NVIDIA's error.
    v["spec"]["source"]["ngc"]["model"] = json!({"profiles": [], "engine": "vllm"});
    assert_eq!(
        job::cache_job(&cache(v), &RenderContext::default()),
        Err(RenderError::NoProfilesSelected)
    );
}

#[test]
fn job_for_universal_hf_and_datastore_sources() {
    // NGC modelEndpoint (universal NIM).
    let mut v = ngc_cache();
    v["spec"]["source"]["ngc"]
        .as_object_mut()
        .unwrap()
        .remove("model");
    v["spec"]["source"]["ngc"]["modelEndpoint"] = json!("ngc://nim/meta/llama-3.2-1b-instruct:hf");
    let (cmd, args) = job::cache_command(&cache(v), &RenderContext::default()).unwrap();
    assert_eq!(cmd, vec!["create-model-store".to_string()]);
    assert_eq!(
        args,
        [
            "--model-repo",
            "ngc://nim/meta/llama-3.2-1b-instruct:hf",
            "--model-store",
            "/model-store"
        ]
        .map(String::from)
    );

    // `nim/caching/hf/nimcache.yaml`.
    let hf = json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
        "metadata": {"name": "nim-cache-multi-llm", "namespace": NS},
        "spec": {
            "source": {"hf": {
                "endpoint": "https://huggingface.co", "namespace": "meta-llama",
                "modelName": "Llama-3.2-1B-Instruct", "authSecret": "hf-secret",
                "modelPuller": "nvcr.io/nim/nvidia/llm-nim:1.12", "pullSecret": "ngc-secret",
                "revision": "main"
            }},
            "storage": {"pvc": {"create": true, "size": "50Gi", "volumeAccessMode": "ReadWriteOnce", "storageClass": ""}},
            "env": [{"name": "HF_HUB_OFFLINE", "value": "1"}],
            "resources": {"cpu": "500m", "memory": "20Gi"},
            "nodeSelector": {"nvidia.com/gpu.present": "true"}
        }
    });
    let j = job::cache_job(&cache(hf.clone()), &RenderContext::default()).unwrap();
    let v = serde_json::to_value(&j).unwrap();
    assert!(!contains_null(&v));
    let p = &v["spec"]["template"]["spec"];
    assert_eq!(p["nodeSelector"], json!({"nvidia.com/gpu.present": "true"}));
    let c = &p["containers"][0];
    assert_eq!(c["command"], json!(["huggingface-cli"]));
    assert_eq!(
        c["args"],
        json!([
            "download",
            "meta-llama/Llama-3.2-1B-Instruct",
            "--local-dir",
            "/model-store",
            "--repo-type",
            "model",
            "--revision",
            "main"
        ])
    );
    assert_eq!(
        c["env"],
        json!([
            {"name": "HF_HUB_OFFLINE", "value": "1"},
            {"name": "HF_ENDPOINT", "value": "https://huggingface.co"},
            {"name": "NIM_CACHE_PATH", "value": "/model-store"},
            {"name": "HF_HOME", "value": "/model-store/huggingface/hub"}
        ])
    );
    assert_eq!(
        c["resources"],
        json!({"limits": {"cpu": "500m", "memory": "20Gi"}, "requests": {"cpu": "500m", "memory": "20Gi"}})
    );

    // model-free HF cache.
    let mut mf = hf.clone();
    mf["status"] = json!({"type": "model-free"});
    let (cmd, args) = job::cache_command(&cache(mf), &RenderContext::default()).unwrap();
    assert_eq!(cmd, vec!["download-to-cache".to_string()]);
    assert_eq!(
        args,
        [
            "--model-uri",
            "hf://meta-llama/Llama-3.2-1B-Instruct",
            "--manifest-file",
            "/model-store/model_manifest.json"
        ]
        .map(String::from)
    );

    // DataStore dataset.
    let ds = json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
        "metadata": {"name": "ds"},
        "spec": {
            "source": {"dataStore": {
                "endpoint": "http://nemo-datastore:8000/v1/hf", "datasetName": "squad",
                "authSecret": "hf-auth", "modelPuller": "img", "pullSecret": "ps"
            }},
            "storage": {"pvc": {"name": "existing"}}
        }
    });
    let (cmd, args) = job::cache_command(&cache(ds), &RenderContext::default()).unwrap();
    assert_eq!(cmd, vec!["huggingface-cli".to_string()]);
    assert_eq!(
        args,
        [
            "download",
            "default/squad",
            "--local-dir",
            "/model-store",
            "--repo-type",
            "dataset"
        ]
        .map(String::from)
    );
}

#[test]
fn job_native_proxy_and_errors() {
    let mut v = ngc_cache();
    v["status"] = json!({"type": "native"});
    v["spec"]["proxy"] = json!({"httpsProxy": "http://proxy:3128", "certConfigMap": "ca-bundle"});
    v["spec"]["storage"]["pvc"]["subPath"] = json!("llama");
    let j = job::cache_job(&cache(v.clone()), &RenderContext::default()).unwrap();
    let v2 = serde_json::to_value(&j).unwrap();
    assert!(!contains_null(&v2));
    let t = &v2["spec"]["template"];
    assert_eq!(t["metadata"]["annotations"]["openshift.io/scc"], "anyuid");
    let c = &t["spec"]["containers"][0];
    assert!(c.get("command").is_none() && c.get("args").is_none());
    let env = c["env"].as_array().unwrap();
    let names: Vec<_> = env.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"NIM_ENGINE_MODEL_DOWNLOAD_ONLY"));
    assert!(names.contains(&"HTTPS_PROXY"));
    assert_eq!(
        env.iter()
            .find(|e| e["name"] == "NIM_ENGINE_MODEL_PATH")
            .unwrap()["value"],
        format!("/model/{NAME}")
    );
    assert_eq!(
        c["volumeMounts"],
        json!([
            {"name": "nim-cache-volume", "mountPath": "/model", "subPath": "llama"},
            {"name": "nim-cache-volume", "mountPath": "/opt/cache", "subPath": "llama"},
            {"name": "scratch", "mountPath": "/scratch"},
            {"name": "ca-cert-volume", "mountPath": "/etc/ssl"}
        ])
    );
    assert_eq!(
        t["spec"]["initContainers"][0]["name"],
        "update-ca-certificates"
    );
    assert_eq!(
        t["spec"]["volumes"][3],
        json!({"name": "custom-ca", "configMap": {"name": "ca-bundle"}})
    );

    // Deprecated certConfig ⇒ error, like NVIDIA.
    let mut dep = ngc_cache();
    dep["spec"]["certConfig"] = json!({"name": "certs", "mountPath": "/etc/certs"});
    assert_eq!(
        job::cache_job(&cache(dep), &RenderContext::default()),
        Err(RenderError::DeprecatedCertConfig)
    );
}
