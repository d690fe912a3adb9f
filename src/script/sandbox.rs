//! The file sandbox of `locus run --sandbox` (README § Running scripts from
//! others).
//!
//! One process-wide [`Policy`] says which folders a script may read and
//! write. Every binding that touches a file calls [`check_read`] or
//! [`check_write`] first (module resolution for `import` too); without a
//! policy (the default) both always succeed.
//!
//! Paths are resolved the way the OS will: relative to the working folder,
//! component by component, following symbolic links of every existing
//! prefix (so a link inside the script's folder pointing outside does not
//! escape) and applying `..` to the resolved path. A path is inside a root
//! when its resolved form starts with the root's canonical form.

use crate::error::{Error, Result};
use std::path::{Component, Path, PathBuf};
use std::sync::RwLock;

/// Which folders a sandboxed script may read and write.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Folders (canonical) whose files may be read.
    pub read: Vec<PathBuf>,
    /// Folders (canonical) whose files may be written (also readable).
    pub write: Vec<PathBuf>,
}

/// Resource caps of a sandboxed engine (see [`apply_limits`]).
pub mod limits {
    /// Rhai operations per script run.
    pub const MAX_OPERATIONS: u64 = 50_000_000;
    /// Nesting of function calls.
    pub const MAX_CALL_LEVELS: usize = 64;
    /// Bytes in one string.
    pub const MAX_STRING_SIZE: usize = 16 << 20;
    /// Elements in one array.
    pub const MAX_ARRAY_SIZE: usize = 10_000_000;
    /// Entries in one object map.
    pub const MAX_MAP_SIZE: usize = 100_000;
    /// Modules a script may import.
    pub const MAX_MODULES: usize = 64;
}

static POLICY: RwLock<Option<Policy>> = RwLock::new(None);

impl Policy {
    /// The policy of `locus run --sandbox SCRIPT --allow A --allow B`: read
    /// and write inside the script's folder and the working folder, read
    /// inside each allowed path (a file or a folder).
    pub fn for_script(script: &Path, allow: &[PathBuf]) -> Result<Policy> {
        let canon = |p: &Path| p.canonicalize().map_err(|e| Error::io(p, e));
        let script = canon(script)?;
        let dir = script.parent().map(Path::to_path_buf).unwrap_or_default();
        let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
        let cwd = canon(&cwd)?;
        let mut read = Vec::new();
        for a in allow {
            read.push(canon(a)?);
        }
        let mut write = vec![dir];
        if !write.contains(&cwd) {
            write.push(cwd);
        }
        Ok(Policy { read, write })
    }
}

/// Install `policy` for the rest of the process (`None` removes it).
pub fn set_policy(policy: Option<Policy>) {
    match POLICY.write() {
        Ok(mut p) => *p = policy,
        Err(poisoned) => *poisoned.into_inner() = policy,
    }
}

/// Whether a sandbox policy is active.
pub fn is_active() -> bool {
    POLICY.read().map(|p| p.is_some()).unwrap_or(true)
}

/// Cap Rhai's operations, call depth and sizes (used for sandboxed runs).
pub fn apply_limits(engine: &mut rhai::Engine) {
    engine.set_max_operations(limits::MAX_OPERATIONS);
    engine.set_max_call_levels(limits::MAX_CALL_LEVELS);
    engine.set_max_string_size(limits::MAX_STRING_SIZE);
    engine.set_max_array_size(limits::MAX_ARRAY_SIZE);
    engine.set_max_map_size(limits::MAX_MAP_SIZE);
    engine.set_max_modules(limits::MAX_MODULES);
}

/// `path` made absolute and resolved as the OS would open it: symbolic
/// links of existing prefixes followed, `.` and `..` applied to the
/// resolved prefix. Components that do not exist yet are appended as given.
pub fn resolve(path: &Path) -> Result<PathBuf> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_err(|e| Error::io(".", e))?.join(path)
    };
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => out.push(c.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => {
                out.push(name);
                // An existing prefix may be a link: follow it. (After a
                // missing component nothing exists, but `..` can climb back
                // into existing folders, so every prefix is tried.)
                if let Ok(p) = out.canonicalize() {
                    out = p;
                }
            }
        }
    }
    Ok(out)
}

fn inside(p: &Path, roots: &[PathBuf]) -> bool {
    roots.iter().any(|r| p.starts_with(r))
}

fn denied(path: &Path, what: &str, roots: &[PathBuf]) -> Error {
    let list = roots
        .iter()
        .map(|r| r.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Error::format(
        path,
        format!(
            "sandbox: {what} outside the allowed folders ({list}) is not allowed; \
             run without --sandbox or add --allow PATH to read more"
        ),
    )
}

/// `Ok` when the active policy lets a script read `path` (always without a policy).
pub fn check_read(path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let guard = POLICY
        .read()
        .map_err(|_| Error::format(path, "sandbox: policy lock poisoned"))?;
    let Some(policy) = guard.as_ref() else {
        return Ok(());
    };
    let r = resolve(path)?;
    if inside(&r, &policy.write) || inside(&r, &policy.read) {
        return Ok(());
    }
    let mut all = policy.write.clone();
    all.extend(policy.read.iter().cloned());
    Err(denied(path, "reading", &all))
}

/// `Ok` when the active policy lets a script write `path` (always without a policy).
pub fn check_write(path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let guard = POLICY
        .read()
        .map_err(|_| Error::format(path, "sandbox: policy lock poisoned"))?;
    let Some(policy) = guard.as_ref() else {
        return Ok(());
    };
    let r = resolve(path)?;
    if inside(&r, &policy.write) {
        return Ok(());
    }
    Err(denied(path, "writing", &policy.write))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Policy checks without touching the process-wide policy: the same
    /// logic on an explicit policy.
    fn allowed(policy: &Policy, p: &Path, write: bool) -> bool {
        let r = resolve(p).unwrap();
        inside(&r, &policy.write) || (!write && inside(&r, &policy.read))
    }

    #[test]
    fn resolve_applies_dotdot_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(root.join("out")).unwrap();
        assert_eq!(resolve(&root.join("a/b/../c.txt")).unwrap(), root.join("a/c.txt"));
        assert_eq!(resolve(&root.join("a/./new/x")).unwrap(), root.join("a/new/x"));
        assert_eq!(
            resolve(&root.join("a/new/../../out/x")).unwrap(),
            root.join("out/x")
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("out"), root.join("a/link")).unwrap();
            assert_eq!(resolve(&root.join("a/link/f")).unwrap(), root.join("out/f"));
            // `..` after a link goes to the link target's parent, as the OS does.
            assert_eq!(resolve(&root.join("a/link/../q")).unwrap(), root.join("q"));
        }
    }

    #[test]
    fn policy_allows_only_its_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        for d in ["work", "data", "secret"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        let policy = Policy {
            read: vec![root.join("data")],
            write: vec![root.join("work")],
        };
        assert!(allowed(&policy, &root.join("work/out.tif"), true));
        assert!(allowed(&policy, &root.join("work/sub/new/out.tif"), true));
        assert!(allowed(&policy, &root.join("data/in.hdf5"), false));
        assert!(!allowed(&policy, &root.join("data/in.hdf5"), true));
        assert!(!allowed(&policy, &root.join("secret/key"), false));
        assert!(!allowed(&policy, &root.join("work/../secret/key"), false));
        assert!(
            !allowed(&policy, &root.join("workshop/x"), true),
            "prefix of a name is not inside"
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("secret"), root.join("work/escape")).unwrap();
            assert!(!allowed(&policy, &root.join("work/escape/key"), false));
            assert!(!allowed(&policy, &root.join("work/escape/new.txt"), true));
            assert!(!allowed(&policy, &root.join("work/new/../escape/key"), false));
        }
    }
}
