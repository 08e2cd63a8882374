//! Sets `ZKINFER_VERSION`, what `zkinfer --version` prints: the crate version and, in a git checkout, the
//! commit it was built from (`git describe --always --tags`), so benchmark results can name the binary they
//! measured.

use std::path::Path;
use std::process::Command;

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let git = root.join(".git");
    // rebuild when the checked-out commit moves: HEAD, the branch it names, packed refs
    println!("cargo:rerun-if-changed={}", git.join("HEAD").display());
    if let Ok(head) = std::fs::read_to_string(git.join("HEAD")) {
        if let Some(r) = head.trim().strip_prefix("ref: ") {
            println!("cargo:rerun-if-changed={}", git.join(r).display());
        }
    }
    println!(
        "cargo:rerun-if-changed={}",
        git.join("packed-refs").display()
    );
    let described = Command::new("git")
        .args(["describe", "--always", "--tags"])
        .current_dir(&root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let full = match described {
        Some(d) => format!("{version} (git {d})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=ZKINFER_VERSION={full}");
}
