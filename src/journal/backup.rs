//! `chorus backup --to FILE`: a consistent copy of the journal while the server runs.
//!
//! `VACUUM INTO` reads the database in one read transaction (WAL lets it run beside the
//! writer, which it does not block) and writes a compact, complete database: a snapshot as of
//! the moment it began. It is written to `FILE.partial`, checked, synced and only then
//! renamed to `FILE`, so a `FILE` that exists is always a whole backup.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AssertSqlSafe, Connection};

use super::JournalError;
use super::integrity::{self, DB_FILE, Findings};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} exists already; choose a new file name (a backup never overwrites one)")]
    Exists(PathBuf),
    #[error("there is no Chorus journal in {0}")]
    NoJournal(PathBuf),
    #[error("the backup could not be written to {path}: {source}")]
    Write { path: PathBuf, source: sqlx::Error },
    #[error("the backup could not be finished at {path}: {source}")]
    Finish { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// Copies the journal in `data_dir` to `to`; returns what the copy holds, as checked.
pub async fn backup(data_dir: &Path, to: &Path) -> Result<Findings, BackupError> {
    if to.exists() {
        return Err(BackupError::Exists(to.to_owned()));
    }
    // The source must be whole: a backup of a damaged journal would pass the damage on.
    if integrity::check(data_dir, false).await?.is_none() {
        return Err(BackupError::NoJournal(data_dir.to_owned()));
    }
    let partial = PathBuf::from(format!("{}.partial", to.display()));
    let _ = std::fs::remove_file(&partial);
    let options = SqliteConnectOptions::new()
        .filename(data_dir.join(DB_FILE))
        .read_only(true)
        .busy_timeout(Duration::from_secs(5));
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|source| JournalError::Open { path: data_dir.join(DB_FILE), source })?;
    // A string literal of SQL: quotes doubled, as SQLite reads them.
    let target = partial.to_string_lossy().replace('\'', "''");
    let copied = sqlx::query(AssertSqlSafe(format!("VACUUM INTO '{target}'"))).execute(&mut conn).await;
    let _ = conn.close().await;
    if let Err(source) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(BackupError::Write { path: to.to_owned(), source });
    }
    let finish = || -> std::io::Result<()> {
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, to)?;
        if let Some(dir) = to.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    };
    if let Err(source) = finish() {
        let _ = std::fs::remove_file(&partial);
        return Err(BackupError::Finish { path: to.to_owned(), source });
    }
    Ok(check_file(to).await?)
}

/// Checks a single database file (a backup) as `chorus check` checks a data directory.
pub async fn check_file(file: &Path) -> Result<Findings, JournalError> {
    let options = SqliteConnectOptions::new().filename(file).read_only(true);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|source| JournalError::Open { path: file.to_owned(), source })?;
    let findings = integrity::inspect(&mut conn, file, true, None).await;
    let _ = conn.close().await;
    findings
}
