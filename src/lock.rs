//! One run at a time per pipeline: an exclusive lock file in `out/<pipeline>/` naming its
//! holder. A lock whose process is gone is taken over; a live one stops the run (exit 5).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Held while a run works; the file is removed when it is dropped.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
}

/// Who holds a lock, as written in the file.
fn holder(path: &Path) -> (Option<u32>, String) {
    let text = fs::read_to_string(path).unwrap_or_default();
    let pid = text.lines().find_map(|l| l.strip_prefix("pid=")).and_then(|p| p.trim().parse().ok());
    (pid, text.lines().collect::<Vec<_>>().join(", "))
}

/// Is process `pid` alive? On Linux, by its /proc entry; elsewhere assumed alive.
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") { Path::new(&format!("/proc/{pid}")).exists() } else { true }
}

impl RunLock {
    /// Take the lock of the pipeline folder `root`, taking over a lock left by a dead process.
    pub fn acquire(root: &Path) -> Result<RunLock> {
        fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
        let path = root.join(".lock");
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    let text = format!(
                        "pid={}\nstarted={}\n",
                        std::process::id(),
                        chrono::Utc::now().to_rfc3339()
                    );
                    f.write_all(text.as_bytes())
                        .and_then(|_| f.sync_all())
                        .map_err(|e| Error::io(&path, e))?;
                    return Ok(RunLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let (pid, text) = holder(&path);
                    match pid {
                        Some(p) if alive(p) && p != std::process::id() => {
                            return Err(Error::Locked(format!(
                                "{} is held by a running edustat ({text})",
                                path.display()
                            )));
                        }
                        _ => {
                            tracing::warn!(lock = %path.display(), holder = %text, "taking over a lock left by a process that is gone");
                            fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                        }
                    }
                }
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        Err(Error::Locked(format!("{} could not be taken", path.display())))
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}
