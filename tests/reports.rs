//! Golden tests for the human-readable reports (`plan -o table`, `explain`) and the `graph`
//! command. `UPDATE_GOLDEN=1 cargo test --test reports` rewrites the golden files; review the diff.

use std::path::Path;
use std::process::{Command, Output};

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nim-operator"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run nim-operator")
}

fn golden(name: &str, out: &Output) {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1", path.display()));
    assert_eq!(text, want, "{name} differs from {}", path.display());
}

#[test]
fn plan_table_for_both_example_clusters() {
    let out = bin(&[
        "plan",
        "-f",
        "examples",
        "--cluster",
        "examples/clusters/vks.yaml",
        "-o",
        "table",
    ]);
    assert_eq!(out.status.code(), Some(0));
    golden("plan-vks.table.txt", &out);
    let out = bin(&[
        "plan",
        "-f",
        "examples",
        "--cluster",
        "examples/clusters/vks-l40s-only.yaml",
        "-o",
        "table",
    ]);
    assert_eq!(out.status.code(), Some(1));
    golden("plan-vks-l40s-only.table.txt", &out);
}

#[test]
fn explain_says_why_and_what_would_fit() {
    let out = bin(&[
        "explain",
        "NIMService/default/llama-3-1-70b",
        "-f",
        "examples",
        "--cluster",
        "examples/clusters/vks-l40s-only.yaml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("rejected: vGPU on l40s has no NVLink P2P"),
        "{text}"
    );
    assert!(
        text.contains("add 1 VM(s) of a new class: 4 x NVIDIA-H100XM-80C vGPU per VM"),
        "{text}"
    );
    golden("explain-70b-l40s-only.txt", &out);

    let out = bin(&[
        "explain",
        "NIMService/default/llama-3-1-8b",
        "-f",
        "examples",
        "--cluster",
        "examples/clusters/vks.yaml",
    ]);
    assert_eq!(out.status.code(), Some(0));
    golden("explain-8b-vks.txt", &out);
}

#[test]
fn explain_rejects_bad_targets_with_exit_2() {
    for (target, message) in [
        (
            "NIMService/default/nope",
            "NIMService default/nope not found",
        ),
        ("llama-3-1-8b", "is not KIND/NAMESPACE/NAME"),
    ] {
        let out = bin(&[
            "explain",
            target,
            "-f",
            "examples",
            "--cluster",
            "examples/clusters/vks.yaml",
        ]);
        assert_eq!(out.status.code(), Some(2), "{target}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{err}");
    }
}

#[test]
fn graph_prints_the_dependency_dag_and_renders_svg_with_dot() {
    let out = bin(&[
        "graph",
        "-f",
        "examples/seed",
        "--cluster",
        "examples/clusters/vks.yaml",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let dot = String::from_utf8_lossy(&out.stdout);
    assert!(dot.starts_with("digraph plan {"), "{dot}");
    for edge in [
        "\"NIMCache default/llama-3-1-8b-cache\" -> \"NIMService default/llama-3-1-8b\"",
        "\"PersistentVolumeClaim default/llama-3-1-8b-cache-pvc\" -> \"Job default/llama-3-1-8b-cache-job\"",
        "\"Deployment default/llama-3-1-8b\" -> \"Service default/llama-3-1-8b\"",
        "\"Service default/llama-3-1-8b\" -> \"HTTPRoute default/llama-3-1-8b\"",
        "\"Deployment default/llama-3-1-8b\" -> \"HorizontalPodAutoscaler default/llama-3-1-8b\"",
    ] {
        assert!(dot.contains(edge), "missing {edge} in\n{dot}");
    }

    let svg = std::env::temp_dir().join(format!("nim-graph-{}.svg", std::process::id()));
    let out = bin(&[
        "graph",
        "-f",
        "examples/seed",
        "--cluster",
        "examples/clusters/vks.yaml",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    let has_dot = Command::new("dot").arg("-V").output().is_ok();
    if has_dot {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(
            text.contains("<svg")
                && text.contains("<title>Deployment default/llama&#45;3&#45;1&#45;8b</title>"),
            "{text}"
        );
    } else {
        assert_eq!(out.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .contains("install it (Debian: apt-get install graphviz)")
        );
    }
}
