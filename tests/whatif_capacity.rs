//! `what-if` and `capacity`: golden reports on the examples, byte-for-byte determinism, bad
//! input (exit 2), and an independent check of capacity answers by re-planning them through
//! `what-if --add-pool`. `UPDATE_GOLDEN=1 cargo test --test whatif_capacity` rewrites the golden
//! files; review the diff.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nim-operator"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run nim-operator")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn golden(name: &str, out: &Output) {
    let text = stdout(out);
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1", path.display()));
    assert_eq!(text, want, "{name} differs from {}", path.display());
}

/// Runs twice and asserts the same bytes.
fn stable(args: &[&str]) -> Output {
    let a = bin(args);
    let b = bin(args);
    assert_eq!(a.stdout, b.stdout, "two runs of {args:?} differ");
    assert_eq!(a.status.code(), b.status.code());
    a
}

/// The examples with llama-3-1-8b scaled to `max` replicas, in a fresh directory.
fn scaled_examples(tag: &str, max: u32) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "nim-operator-capacity-{tag}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("seed")).unwrap();
    std::fs::create_dir_all(dir.join("llama-70b")).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for sub in ["seed", "llama-70b"] {
        for f in ["nimcache.yaml", "nimservice.yaml"] {
            let text = std::fs::read_to_string(root.join(sub).join(f)).unwrap();
            let text = text.replace("maxReplicas: 4", &format!("maxReplicas: {max}"));
            std::fs::write(dir.join(sub).join(f), text).unwrap();
        }
    }
    dir
}

/// `(count, class)` from the `add` section of a capacity report.
fn added(report: &str) -> Vec<(u64, String)> {
    report
        .split("\nadd\n")
        .nth(1)
        .expect("add section")
        .lines()
        .take_while(|l| !l.trim_start().starts_with("total:"))
        .map(|l| {
            let mut w = l.split_whitespace();
            let n = w.next().unwrap().parse().unwrap();
            assert_eq!(w.next(), Some("x"));
            (n, w.next().unwrap().to_string())
        })
        .collect()
}

/// Re-plans the capacity answer through `what-if --add-pool` and asserts every service fits
/// at its maximum (`at_min`: minimum) afterwards.
fn assert_fits_after(files: &str, cluster: &str, adds: &[(u64, String)], at_min: bool) {
    let mut args: Vec<String> = vec![
        "what-if".into(),
        "-f".into(),
        files.into(),
        "--cluster".into(),
        cluster.into(),
    ];
    for (n, c) in adds {
        args.push("--add-pool".into());
        args.push(format!("{c}={n}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = bin(&refs);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let section = text
        .split("replicas that fit (placed/wanted), before -> after (* = changed)\n")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap();
    let mut rows = 0;
    for line in section.lines() {
        rows += 1;
        let word = if at_min { "min " } else { "max " };
        let after = line
            .split(word)
            .nth(1)
            .unwrap()
            .split(" -> ")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap();
        let (placed, wanted) = after.split_once('/').unwrap();
        assert_eq!(placed, wanted, "{line}\n{text}");
    }
    assert!(rows > 0, "{text}");
}

#[test]
fn capacity_picks_one_h100xm_vm_for_the_70b_model() {
    let args = [
        "capacity",
        "-f",
        "examples/llama-70b",
        "--cluster",
        "examples/clusters/vks-l40s-only.yaml",
        "--offer",
        "NVIDIA-H100XM-80C:4:vgpu",
        "--offer",
        "NVIDIA-L40S-48C:4:vgpu",
    ];
    let out = stable(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(added(&text), [(1, "NVIDIA-H100XM-80C:4:vgpu".to_string())]);
    assert!(text.contains("method: exact branch and bound"), "{text}");
    assert!(
        text.contains("verified: re-planned with the added VMs"),
        "{text}"
    );
    golden("capacity-70b-l40s-only.txt", &out);
    assert_fits_after(
        "examples/llama-70b",
        "examples/clusters/vks-l40s-only.yaml",
        &added(&text),
        false,
    );
}

#[test]
fn capacity_on_all_examples_scaled_up_is_verified_by_replanning() {
    // Exact (8 pods) and first-fit-decreasing (22 pods) instances.
    for (max, method) in [(11, "exact"), (25, "first-fit-decreasing")] {
        let dir = scaled_examples(&format!("m{max}"), max);
        let files = dir.to_str().unwrap();
        let cluster = "examples/clusters/vks-l40s-only.yaml";
        for at_min in [false, true] {
            let mut args = vec![
                "capacity",
                "-f",
                files,
                "--cluster",
                cluster,
                "--offer",
                "NVIDIA-L40S-48C:4:vgpu",
                "--offer",
                "NVIDIA-H100XM-80C:8:vgpu",
            ];
            if at_min {
                args.extend(["--at", "min"]);
            }
            let out = stable(&args);
            assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
            let text = stdout(&out);
            if !at_min {
                assert!(text.contains(&format!("method: {method}")), "{text}");
            }
            assert!(text.contains("verified:"), "{text}");
            assert!(
                !text.contains("more VM(s)"),
                "packing needed repair:\n{text}"
            );
            assert_fits_after(files, cluster, &added(&text), at_min);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn capacity_exits_1_when_no_offered_class_can_run_a_replica() {
    let out = bin(&[
        "capacity",
        "-f",
        "examples",
        "--cluster",
        "examples/clusters/vks-l40s-only.yaml",
        "--offer",
        "NVIDIA-L40S-48C",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("no offered VM class can run default/llama-3-1-70b"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn what_if_adding_an_h100xm_vm_makes_the_70b_model_placeable() {
    let args = [
        "what-if",
        "-f",
        "examples",
        "--cluster",
        "examples/clusters/vks-l40s-only.yaml",
        "--add-pool",
        "NVIDIA-H100XM-80C:4:vgpu=1",
    ];
    let out = stable(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("default/llama-3-1-70b  unplaceable -> placeable"),
        "{text}"
    );
    assert!(
        text.contains("resolved: MinReplicasUnschedulable"),
        "{text}"
    );
    golden("whatif-add-h100xm-l40s-only.txt", &out);
}

#[test]
fn what_if_removing_a_pool_and_scaling_shows_what_breaks() {
    let args = [
        "what-if",
        "-f",
        "examples",
        "--cluster",
        "examples/clusters/vks.yaml",
        "--remove-pool",
        "nvidia-h100xm-80c-x4",
        "--set-replicas",
        "default/llama-3-1-8b=6",
    ];
    let out = stable(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("default/llama-3-1-70b  placeable -> unplaceable"),
        "{text}"
    );
    assert!(text.contains("(removed)"), "{text}");
    golden("whatif-remove-h100xm-vks.txt", &out);
}

#[test]
fn bad_input_exits_2_naming_the_argument() {
    let base = ["-f", "examples", "--cluster", "examples/clusters/vks.yaml"];
    let cases: &[(&str, &[&str], &str)] = &[
        ("capacity", &["--offer", "Mystery-GPU:4"], "--offer"),
        (
            "capacity",
            &["--offer", "NVIDIA-H100XM-80C:4:vgpu=2"],
            "--offer",
        ),
        (
            "capacity",
            &["--offer", "NVIDIA-H100XM-80C:four"],
            "--offer",
        ),
        (
            "capacity",
            &[
                "--offer",
                "NVIDIA-L40S-48C",
                "--offer",
                "NVIDIA-L40S-48C:4:vgpu",
            ],
            "--offer",
        ),
        (
            "what-if",
            &["--add-pool", "NVIDIA-H100XM-80C:4:passthrough"],
            "--add-pool",
        ),
        (
            "what-if",
            &["--add-pool", "NVIDIA-H100XM-80C=0"],
            "--add-pool",
        ),
        (
            "what-if",
            &["--remove-pool", "no-such-pool"],
            "--remove-pool no-such-pool",
        ),
        ("what-if", &["--set-replicas", "llama=3"], "--set-replicas"),
        (
            "what-if",
            &["--set-replicas", "default/nope=3"],
            "--set-replicas default/nope",
        ),
        (
            "what-if",
            &["--set-profile", "default/llama-3-1-8b=nope"],
            "--set-profile",
        ),
    ];
    for (cmd, extra, needle) in cases {
        let mut args = vec![*cmd];
        args.extend(base);
        args.extend(*extra);
        let out = bin(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn help_documents_the_vm_class_syntax() {
    for cmd in ["capacity", "what-if"] {
        let out = bin(&[cmd, "--help"]);
        assert_eq!(out.status.code(), Some(0));
        assert!(
            stdout(&out).contains("PRODUCT[:GPUS_PER_VM][:vgpu|passthrough]"),
            "{}",
            stdout(&out)
        );
    }
}
