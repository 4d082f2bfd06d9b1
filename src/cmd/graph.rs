//! `nim-operator graph -f ... --cluster ... [--svg FILE]`: the plan's dependency graph as
//! Graphviz DOT on stdout, or rendered to SVG with Graphviz's `dot` when it is installed.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::plan::build;

/// Run the command; returns the exit code (0, or 2 for unreadable input or a missing `dot`).
pub fn run(files: &[PathBuf], cluster: &[PathBuf], svg: Option<&Path>) -> i32 {
    let plan = match build(files, cluster) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            return 2;
        }
    };
    let dot = plan.graph.to_dot();
    let Some(svg) = svg else {
        print!("{dot}");
        return 0;
    };
    match render_svg(&dot, svg) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error[SvgFailed]: {e}");
            2
        }
    }
}

fn render_svg(dot: &str, out: &Path) -> Result<(), String> {
    let mut child = Command::new("dot")
        .args(["-Tsvg", "-o"])
        .arg(out)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run Graphviz `dot` ({e}); install it (Debian: apt-get install graphviz) or omit --svg for DOT text"))?;
    child
        .stdin
        .take()
        .ok_or("no stdin for dot")?
        .write_all(dot.as_bytes())
        .map_err(|e| e.to_string())?;
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("dot exited with {status}"))
    }
}
