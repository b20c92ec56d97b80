//! Snapshots as `.tar.gz` archives of an environment's work directory.

use std::fs::File;
use std::path::Path;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use relay_core::infra::InfraError;

/// Archives `dir` into `archive` (through a temporary file, so a crash leaves no partial archive).
pub(crate) fn pack(dir: &Path, archive: &Path) -> Result<(), InfraError> {
    let tmp = archive.with_extension("partial");
    let result = (|| -> std::io::Result<()> {
        let file = File::create(&tmp)?;
        let mut builder = tar::Builder::new(GzEncoder::new(file, Compression::fast()));
        builder.follow_symlinks(false);
        builder.append_dir_all(".", dir)?;
        builder.into_inner()?.finish()?.sync_all()
    })();
    match result {
        Ok(()) => std::fs::rename(&tmp, archive).map_err(|e| InfraError::io(archive, e)),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(InfraError::io(dir, e))
        }
    }
}

/// Replaces `dir` with the contents of `archive`: unpacks next to it, then swaps directories, so a
/// failure leaves the current contents untouched.
pub(crate) fn restore(archive: &Path, dir: &Path) -> Result<(), InfraError> {
    let staging = dir.with_extension("restoring");
    let old = dir.with_extension("replaced");
    let _ = std::fs::remove_dir_all(&staging);
    let _ = std::fs::remove_dir_all(&old);
    let unpacked = (|| -> std::io::Result<()> {
        std::fs::create_dir_all(&staging)?;
        let file = File::open(archive)?;
        let mut archive = tar::Archive::new(GzDecoder::new(file));
        archive.set_preserve_permissions(true);
        archive.unpack(&staging)
    })();
    if let Err(e) = unpacked {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(InfraError::io(archive, e));
    }
    std::fs::rename(dir, &old).map_err(|e| InfraError::io(dir, e))?;
    if let Err(e) = std::fs::rename(&staging, dir) {
        // Put the old contents back before reporting.
        let _ = std::fs::rename(&old, dir);
        return Err(InfraError::io(dir, e));
    }
    std::fs::remove_dir_all(&old).map_err(|e| InfraError::io(&old, e))
}
