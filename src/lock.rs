//! One run at a time per pipeline: an operating-system lock (flock on Unix, LockFileEx on
//! Windows) on `out/<pipeline>/.lock`, which the kernel releases when the process ends however
//! it ends. The file's text (pid, start time) only names the holder; it is never what decides.
//! The file itself stays: deleting a lock file another process has open would let a third one
//! lock a new file of the same name.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Held while a run works: the open, locked file. Dropping it empties the file and closes it,
/// which releases the lock.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    file: File,
}

/// What a lock file says about its holder, on one line.
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.seek(SeekFrom::Start(0)).and_then(|_| file.read_to_string(&mut text));
    let text = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>();
    text.join(", ")
}

impl RunLock {
    /// Take the lock of the pipeline folder `root`, or fail with `Error::Locked` naming the
    /// run that holds it.
    pub fn acquire(root: &Path) -> Result<RunLock> {
        fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
        let path = root.join(".lock");
        let io = |e| Error::io(&path, e);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let named = holder(&mut file);
                let named =
                    if named.is_empty() { "it is just starting".to_string() } else { named };
                return Err(Error::Locked(format!(
                    "{} is held by another edustat run ({named})",
                    path.display()
                )));
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let previous = holder(&mut file);
        if !previous.is_empty() {
            // The lock was free, so that run is over: it ended without tidying up.
            tracing::warn!(lock = %path.display(), previous = %previous,
                "an earlier run ended without releasing its lock file; the system released the lock");
        }
        let text =
            format!("pid={}\nstarted={}\n", std::process::id(), chrono::Utc::now().to_rfc3339());
        file.set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(text.as_bytes()))
            .and_then(|_| file.sync_all())
            .map_err(io)?;
        Ok(RunLock { path, file })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Empty while free; the lock itself goes with the file handle.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}
