//! `REV:path` inputs: a file or directory as it is at a git revision, copied to a temp dir.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::diag::{Code, Diagnostic, Result};

fn git(args: &[&str]) -> std::result::Result<Vec<u8>, String> {
    let out = Command::new("git").args(args).output().map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// `REV:path` when `input` is not an existing path and names a git revision.
pub fn split(input: &str) -> Option<(&str, &str)> {
    if Path::new(input).exists() {
        return None;
    }
    let (rev, path) = input.split_once(':')?;
    (!rev.is_empty()).then_some((rev, path))
}

/// Writes the tree at `rev:path` below `dir`; returns the path to pass on.
pub fn materialise(rev: &str, path: &str, dir: &Path) -> Result<PathBuf> {
    let err = |m: String| Diagnostic::new(Code::Io, format!("{rev}:{path}"), m);
    let top = String::from_utf8_lossy(&git(&["rev-parse", "--show-toplevel"]).map_err(err)?).trim().to_string();
    let prefix = String::from_utf8_lossy(&git(&["rev-parse", "--show-prefix"]).map_err(err)?).trim().to_string();
    let full = format!("{prefix}{}", path.trim_start_matches("./")).trim_end_matches('/').to_string();
    git(&["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")]).map_err(|_| err(format!("`{rev}` is not a git revision")))?;
    let listing = git(&["-C", &top, "ls-tree", "-r", "--name-only", rev, "--", &full]).map_err(err)?;
    let files: Vec<String> = String::from_utf8_lossy(&listing).lines().map(str::to_string).collect();
    if files.is_empty() {
        return Err(err(format!("no file `{full}` at revision `{rev}`")).into());
    }
    for f in &files {
        let bytes = git(&["-C", &top, "show", &format!("{rev}:{f}")]).map_err(err)?;
        let dest = dir.join(f);
        std::fs::create_dir_all(dest.parent().expect("has parent")).map_err(|e| err(e.to_string()))?;
        std::fs::write(&dest, bytes).map_err(|e| err(e.to_string()))?;
    }
    Ok(dir.join(full))
}
