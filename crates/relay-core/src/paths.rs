//! Paths as the file system sees them: resolved through symlinks, also where the last parts do
//! not exist yet. Used to keep repositories and agents inside the workspace.

use std::path::{Component, Path, PathBuf};

/// The real path of `path` (absolute): the longest existing prefix resolved through symlinks
/// (a dangling symlink by following its target), then the parts that do not exist yet. `None`
/// when a `..` follows a part that does not exist, or links nest more than 40 deep.
pub fn resolve(path: &Path) -> Option<PathBuf> {
    resolve_depth(path, 0)
}

fn resolve_depth(path: &Path, depth: u32) -> Option<PathBuf> {
    if depth > 40 {
        return None;
    }
    let mut existing = path.to_path_buf();
    let mut missing: Vec<std::ffi::OsString> = Vec::new();
    while existing.symlink_metadata().is_err() {
        match existing.components().next_back() {
            Some(Component::Normal(name)) => missing.push(name.to_os_string()),
            Some(Component::CurDir) => {}
            // `..` or the root: cannot be resolved without the directory existing.
            _ => return None,
        }
        existing = existing.parent()?.to_path_buf();
    }
    let mut base = match existing.canonicalize() {
        Ok(base) => base,
        Err(_) => {
            // A dangling symlink: where it points is what a write would create.
            let target = std::fs::read_link(&existing).ok()?;
            let target = match existing.parent() {
                Some(parent) if target.is_relative() => parent.join(target),
                _ => target,
            };
            resolve_depth(&target, depth + 1)?
        }
    };
    for name in missing.into_iter().rev() {
        base.push(name);
    }
    Some(base)
}
