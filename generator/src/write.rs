//! Writing the output directory atomically, and comparing it with what is on disk.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Entries of an output directory that belong to the user, not the generator.
const KEEP: &[&str] = &["target", "Cargo.lock"];

/// What a write changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteStats {
    /// Files created or replaced.
    pub written: usize,
    /// Files already up to date.
    pub unchanged: usize,
    /// Files removed because the generator no longer writes them.
    pub removed: usize,
}

/// Every file under `dir` except the kept entries, as relative path → bytes.
pub fn read_tree(dir: &Path) -> io::Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for entry in fs::read_dir(dir.join(&rel))? {
            let entry = entry?;
            let name = entry.file_name();
            if rel.as_os_str().is_empty() && KEEP.iter().any(|k| name == *k) {
                continue;
            }
            let path = rel.join(&name);
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else {
                out.insert(path, fs::read(entry.path())?);
            }
        }
    }
    Ok(out)
}

/// Writes one file through a sibling temp file and a rename, so a failure leaves no half-written file.
pub fn write_file_atomic(path: &Path, contents: &str) -> io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)?;
    let mut staging = tempfile::Builder::new().prefix(".asyncapi-codegen-").tempfile_in(&parent)?;
    io::Write::write_all(&mut staging, contents.as_bytes())?;
    staging.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Replaces `out` with exactly `files`: built in a sibling temp dir, then swapped in with renames,
/// so a failure leaves the old directory as it was. Unchanged files are hard-linked (mtime kept).
pub fn write_atomic(out: &Path, files: &BTreeMap<PathBuf, String>) -> io::Result<WriteStats> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)?;
    let old = read_tree(out)?;
    let staging = tempfile::Builder::new().prefix(".asyncapi-codegen-").tempdir_in(&parent)?;
    let mut stats = WriteStats::default();
    for (rel, contents) in files {
        let dest = staging.path().join(rel);
        if let Some(d) = dest.parent() {
            fs::create_dir_all(d)?;
        }
        let same = old.get(rel).is_some_and(|b| b == contents.as_bytes());
        if same && fs::hard_link(out.join(rel), &dest).is_ok() {
            stats.unchanged += 1;
            continue;
        }
        fs::write(&dest, contents)?;
        stats.written += 1;
    }
    stats.removed = old.keys().filter(|k| !files.contains_key(*k)).count();
    // Keep the user's build products.
    for keep in KEEP {
        let src = out.join(keep);
        if src.exists() {
            fs::rename(&src, staging.path().join(keep))?;
        }
    }
    let staged = staging.keep();
    if out.exists() {
        let backup = tempfile::Builder::new().prefix(".asyncapi-codegen-old-").tempdir_in(&parent)?.keep();
        fs::remove_dir(&backup)?;
        fs::rename(out, &backup)?;
        if let Err(e) = fs::rename(&staged, out) {
            let _ = fs::rename(&backup, out);
            return Err(e);
        }
        fs::remove_dir_all(&backup)?;
    } else {
        fs::rename(&staged, out)?;
    }
    Ok(stats)
}

/// Differences between the generated files and the directory on disk.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Drift {
    /// Generated files missing on disk.
    pub added: Vec<PathBuf>,
    /// Files on disk the generator no longer writes.
    pub removed: Vec<PathBuf>,
    /// Files whose contents differ.
    pub changed: Vec<PathBuf>,
    /// Unified diff of every difference, on-disk → generated.
    pub diff: String,
}

impl Drift {
    /// Whether disk and generated files agree.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Compares `files` with the contents of `out`.
pub fn drift(out: &Path, files: &BTreeMap<PathBuf, String>) -> io::Result<Drift> {
    let disk = read_tree(out)?;
    let mut d = Drift::default();
    for (rel, contents) in files {
        let label = rel.display().to_string();
        match disk.get(rel) {
            None => {
                d.added.push(rel.clone());
                d.diff.push_str(&unified("", contents, &label));
            }
            Some(bytes) if bytes != contents.as_bytes() => {
                d.changed.push(rel.clone());
                d.diff.push_str(&unified(&String::from_utf8_lossy(bytes), contents, &label));
            }
            _ => {}
        }
    }
    for (rel, bytes) in &disk {
        if !files.contains_key(rel) {
            d.removed.push(rel.clone());
            d.diff.push_str(&unified(&String::from_utf8_lossy(bytes), "", &rel.display().to_string()));
        }
    }
    Ok(d)
}

fn unified(old: &str, new: &str, label: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{label}"), &format!("b/{label}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<PathBuf, String> {
        pairs.iter().map(|(p, c)| (PathBuf::from(p), c.to_string())).collect()
    }

    #[test]
    fn replaces_tree_and_keeps_build_products() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("crate");
        write_atomic(&out, &files(&[("a.txt", "1"), ("src/b.rs", "2")])).unwrap();
        fs::create_dir_all(out.join("target")).unwrap();
        fs::write(out.join("target/x"), "build").unwrap();
        let stats = write_atomic(&out, &files(&[("a.txt", "1"), ("src/c.rs", "3")])).unwrap();
        assert_eq!(stats, WriteStats { written: 1, unchanged: 1, removed: 1 });
        assert!(!out.join("src/b.rs").exists());
        assert_eq!(fs::read_to_string(out.join("src/c.rs")).unwrap(), "3");
        assert_eq!(fs::read_to_string(out.join("target/x")).unwrap(), "build");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers.len(), 1, "no staging dirs left: {leftovers:?}");
    }

    #[test]
    fn drift_lists_added_removed_changed() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), &files(&[("same", "x"), ("changed", "old\n"), ("gone", "y")])).unwrap();
        let d = drift(dir.path(), &files(&[("same", "x"), ("changed", "new\n"), ("new", "z")])).unwrap();
        assert_eq!(d.added, vec![PathBuf::from("new")]);
        assert_eq!(d.removed, vec![PathBuf::from("gone")]);
        assert_eq!(d.changed, vec![PathBuf::from("changed")]);
        assert!(d.diff.contains("-old\n+new"), "{}", d.diff);
    }
}
