//! The operator as it is installed: `nim-operator install-manifests` output, and the real
//! binary (`nim-operator run`) against the local control plane with exactly the install RBAC.
//! The harness itself is in `tests/support/operator.rs`; its parsers are tested here too.

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use support::operator::{
    AuditWrite, OperatorProcess, audit_write, dechunk, http_get, install_manifests, install_rbac,
    metric_value, parse_timestamp,
};

/// Whether a ClusterRole (as JSON) has a rule granting `verb` on `group`/`resource`.
fn grants(role: &Value, group: &str, resource: &str, verb: &str) -> bool {
    let has = |rule: &Value, key: &str, want: &str| {
        rule[key]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == want))
    };
    role["rules"].as_array().is_some_and(|rules| {
        rules.iter().any(|r| {
            has(r, "apiGroups", group) && has(r, "resources", resource) && has(r, "verbs", verb)
        })
    })
}

#[test]
fn install_manifests_prints_crds_rbac_and_deployment() {
    check_install_manifests(&install_manifests("nim-system"));
}

/// The checks of `install-manifests --namespace nim-system` output.
fn check_install_manifests(docs: &[Value]) {
    let of_kind =
        |kind: &str| -> Vec<&Value> { docs.iter().filter(|d| d["kind"] == kind).collect() };

    let mut crds: Vec<&str> = of_kind("CustomResourceDefinition")
        .iter()
        .filter_map(|d| d["metadata"]["name"].as_str())
        .collect();
    crds.sort_unstable();
    assert_eq!(
        crds,
        [
            "nimbuilds.apps.nvidia.com",
            "nimcaches.apps.nvidia.com",
            "nimpipelines.apps.nvidia.com",
            "nimservices.apps.nvidia.com"
        ],
        "the four NIM CRDs"
    );

    let namespaces = of_kind("Namespace");
    assert_eq!(namespaces.len(), 1, "one Namespace");
    assert_eq!(namespaces[0]["metadata"]["name"], "nim-system");

    let roles = of_kind("ClusterRole");
    assert_eq!(roles.len(), 1, "one ClusterRole");
    let role = roles[0];
    assert_eq!(role["metadata"]["name"], "nim-operator");
    assert!(
        grants(role, "", "pods/log", "get"),
        "pods/log get: {role:#}"
    );
    assert!(
        grants(role, "coordination.k8s.io", "leases", "update"),
        "leases for leader election: {role:#}"
    );
    let wildcard = role["rules"]
        .as_array()
        .expect("ClusterRole rules")
        .iter()
        .flat_map(|r| ["apiGroups", "resources", "verbs"].map(|k| &r[k]))
        .filter_map(Value::as_array)
        .flatten()
        .any(|v| v == "*");
    assert!(!wildcard, "least privilege: no wildcards in {role:#}");

    let bindings = of_kind("ClusterRoleBinding");
    assert_eq!(bindings.len(), 1, "one ClusterRoleBinding");
    assert_eq!(bindings[0]["roleRef"]["name"], "nim-operator");
    assert_eq!(
        bindings[0]["subjects"][0],
        json!({ "kind": "ServiceAccount", "name": "nim-operator", "namespace": "nim-system" })
    );

    let deployments = of_kind("Deployment");
    assert_eq!(deployments.len(), 1, "one Deployment");
    let deployment = deployments[0];
    assert_eq!(deployment["metadata"]["namespace"], "nim-system");
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "nim-operator", "{deployment:#}");
    assert_eq!(pod["containers"][0]["args"][0], "run", "{deployment:#}");
}

#[tokio::test]
#[ignore = "needs the local control plane (scripts/test.sh)"]
async fn operator_serves_health_readiness_and_metrics() {
    let ns = support::TestNamespace::new("operator-smoke").await;
    let kubeconfig = install_rbac(&ns.client(), ns.name()).await;
    let op = OperatorProcess::start(&kubeconfig, ns.name(), "smoke-a").await;

    assert_eq!(op.get("/healthz").0, 200, "/healthz");
    // Readiness may follow liveness by a moment (caches syncing, leader election).
    support::wait_for("/readyz to answer 200", Duration::from_secs(60), || async {
        match op.try_get("/readyz") {
            Ok((200, _)) => Ok(()),
            Ok((code, body)) => Err(format!("HTTP {code}: {body}")),
            Err(e) => Err(e.to_string()),
        }
    })
    .await;
    let metrics = op.metrics_text();
    assert!(
        metrics.lines().any(|l| l.starts_with("nim_operator_")),
        "/metrics has no nim_operator_ samples:\n{metrics}"
    );
    drop(op);
    ns.cleanup().await;
}

// The harness's parsers (pure; no cluster).

#[test]
fn audit_timestamps_parse_as_utc() {
    let t = parse_timestamp("2026-12-03T21:49:28.123456Z").unwrap();
    let d = t.duration_since(UNIX_EPOCH).unwrap();
    assert_eq!(d.as_secs(), 1_796_334_568);
    assert_eq!(d.subsec_nanos(), 123_456_000);
    assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(UNIX_EPOCH));
    assert_eq!(
        parse_timestamp("2000-03-01T00:00:00Z"),
        Some(UNIX_EPOCH + Duration::from_secs(951_868_800))
    );
    assert_eq!(parse_timestamp("2026-12-03T21:49:28+01:00"), None);
}

#[test]
fn metrics_are_summed_over_matching_labels() {
    let text = "# HELP x_total X.\n# TYPE x_total counter\n\
        x_total{kind=\"NIMService\",result=\"ok\"} 3\n\
        x_total{kind=\"NIMService\",result=\"error\"} 1\n\
        x_total{kind=\"NIMCache\",result=\"ok\"} 2.5\n\
        x_total_created 17\n\
        y 4 1700000000\n\
        z{msg=\"a \\\"quoted\\\", value\"} 1\n\
        broken{a=\"1\" 2\n\
        # EOF\n";
    assert_eq!(metric_value(text, "x_total", &[]), Some(6.5));
    assert_eq!(
        metric_value(text, "x_total", &[("kind", "NIMService")]),
        Some(4.0)
    );
    assert_eq!(
        metric_value(text, "x_total", &[("kind", "NIMCache"), ("result", "ok")]),
        Some(2.5)
    );
    assert_eq!(metric_value(text, "x_total", &[("kind", "Other")]), None);
    assert_eq!(metric_value(text, "y", &[]), Some(4.0));
    assert_eq!(
        metric_value(text, "z", &[("msg", "a \"quoted\", value")]),
        Some(1.0)
    );
    assert_eq!(metric_value(text, "x", &[]), None);
    assert_eq!(
        metric_value(text, "broken", &[]),
        None,
        "malformed lines are skipped"
    );
}

#[test]
fn chunked_bodies_are_decoded() {
    assert_eq!(
        dechunk("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").as_deref(),
        Some("abcde")
    );
    assert_eq!(dechunk("5\r\nab"), None);
}

#[test]
fn audit_events_are_filtered_to_one_clients_writes_in_a_namespace() {
    let event = |verb: &str, ns: &str, ua: &str, stage: &str| {
        json!({
            "stage": stage, "verb": verb, "userAgent": ua,
            "requestReceivedTimestamp": "2026-12-03T21:49:28.000001Z",
            "user": { "username": "system:serviceaccount:t:nim-operator" },
            "objectRef": { "resource": "nimservices", "subresource": "status",
                           "namespace": ns, "name": "llm" },
            "responseStatus": { "code": 200 }
        })
    };
    let since = parse_timestamp("2026-12-03T21:49:28Z").unwrap();
    let complete = event("patch", "t", "nim-operator/a (linux)", "ResponseComplete");
    assert_eq!(
        audit_write(&complete, "nim-operator/a", "t", since),
        Some(AuditWrite {
            verb: "patch".into(),
            resource: "nimservices".into(),
            subresource: Some("status".into()),
            name: Some("llm".into()),
            user: "system:serviceaccount:t:nim-operator".into(),
            user_agent: "nim-operator/a (linux)".into(),
            code: Some(200),
        })
    );
    let kept =
        |v: &Value, since: SystemTime| audit_write(v, "nim-operator/a", "t", since).is_some();
    assert!(!kept(
        &event("get", "t", "nim-operator/a", "ResponseComplete"),
        since
    ));
    assert!(!kept(
        &event("patch", "u", "nim-operator/a", "ResponseComplete"),
        since
    ));
    assert!(!kept(
        &event("patch", "t", "nim-operator/b", "ResponseComplete"),
        since
    ));
    assert!(!kept(
        &event("patch", "t", "nim-operator/a", "ResponseStarted"),
        since
    ));
    let later = parse_timestamp("2026-12-03T21:49:28.1Z").unwrap();
    assert!(!kept(&complete, later));
}

#[test]
fn http_get_reads_plain_and_chunked_responses() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let replies = [
            "HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nok",
            "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n\
             3\r\nnot\r\n6\r\n ready\r\n0\r\n\r\n",
        ];
        for reply in replies {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 256];
            while !request.ends_with(b"\r\n\r\n") {
                let n = conn.read(&mut buf).unwrap();
                assert!(n > 0, "request ended early: {request:?}");
                request.extend_from_slice(&buf[..n]);
            }
            assert!(request.starts_with(b"GET /"), "{request:?}");
            conn.write_all(reply.as_bytes()).unwrap();
        }
    });
    assert_eq!(http_get(port, "/healthz").unwrap(), (200, "ok".to_owned()));
    assert_eq!(
        http_get(port, "/readyz").unwrap(),
        (503, "not ready".to_owned())
    );
    server.join().unwrap();
}
