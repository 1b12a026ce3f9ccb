//! Files written whole or not at all.
//!
//! An export is written to a temporary file beside its place, synced, and renamed over it:
//! a rename within a directory is atomic, so whoever opens the file sees the old version or
//! the new one, complete, never a half-written one (a full disk used to leave a cut-off JSON
//! file and none of the others). When a write fails, for lack of space say, the files not yet
//! written are tried again after a pause that doubles, up to [`MAX_PAUSE`], for as long as
//! [`GIVE_UP_AFTER`]: space freed later is used without a restart.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tracing::{info, warn};

/// The first pause before writing again, and the longest.
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const MAX_PAUSE: Duration = Duration::from_secs(10);
/// How long writing is retried before it is given up (and logged as such).
const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Writes `bytes` to `path` through a temporary file and a rename; nothing is left behind
/// when it fails.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = dir.join(format!(".{name}.{}.partial", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temporary, path)?;
        // The rename itself is on disk once the directory is.
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// A switch that stops a folder's writes for good. Once [`Stop::throw`] returns, no write
/// is under way and none will start: aborting the task that writes is not enough, because
/// a write already handed to the blocking pool would finish (and create the folder) after
/// whoever aborted it had removed the folder.
#[derive(Debug, Clone, Default)]
pub struct Stop(std::sync::Arc<std::sync::Mutex<bool>>);

impl Stop {
    /// Stops the writes, waiting for one under way (a few milliseconds) to end.
    pub async fn throw(&self) {
        let stop = self.clone();
        let _ = tokio::task::spawn_blocking(move || *stop.lock() = true).await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, bool> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Writes every file into `dir` (created if needed), each whole; retries what failed until
/// it is written or [`GIVE_UP_AFTER`] has passed. Returns the last error if it gave up.
/// Once `stop` is thrown, nothing more is written.
pub async fn write_all_retrying(dir: PathBuf, mut files: Vec<(PathBuf, Vec<u8>)>, stop: &Stop) -> std::io::Result<()> {
    let started = Instant::now();
    let mut pause = FIRST_PAUSE;
    let mut failures = 0u32;
    loop {
        let target = dir.clone();
        let stop = stop.clone();
        let (left, error) = tokio::task::spawn_blocking(move || {
            // Held while writing, so that throwing the switch waits for this write.
            let stopped = stop.lock();
            if *stopped {
                return (Vec::new(), None);
            }
            let mut error = std::fs::create_dir_all(&target).err();
            if error.is_none() {
                files.retain(|(path, bytes)| match write_atomic(path, bytes) {
                    Ok(()) => false,
                    Err(err) => {
                        error = Some(err);
                        true
                    }
                });
            }
            (files, error)
        })
        .await
        .map_err(|err| std::io::Error::other(err.to_string()))?;
        let Some(error) = error else {
            if failures > 0 {
                info!(dir = %dir.display(), attempts = failures + 1, "exports written after all");
            }
            return Ok(());
        };
        files = left;
        failures += 1;
        if started.elapsed() > GIVE_UP_AFTER {
            return Err(error);
        }
        if failures == 1 {
            warn!(dir = %dir.display(), %error, files = files.len(), "exports could not be written; trying again");
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary_one() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("report.json");
        write_atomic(&path, b"{\"old\": true}").expect("first write");
        // A directory in the way of the rename: the write fails after the temporary file.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir(&blocked).expect("dir");
        std::fs::write(blocked.join("inside"), b"x").expect("file");
        assert!(write_atomic(&blocked, b"new").is_err());
        assert_eq!(std::fs::read(&path).expect("read"), b"{\"old\": true}");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|name| !name.ends_with(".partial")), "{names:?}");
    }
}
