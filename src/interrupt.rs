//! SIGTERM and SIGINT (a stopped cron job, Ctrl-C): remove the unfinished run folder on the way
//! out and say so. The lock goes with the process; `latest` is never touched. A signal that
//! cannot be caught (`kill -9`) leaves the folder to the next run, which removes it.

use std::path::PathBuf;
use std::sync::Mutex;

/// The run folder being built, if any.
static UNFINISHED: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Record (or, with `None`, forget) the run folder being built.
pub fn building(dir: Option<PathBuf>) {
    if let Ok(mut slot) = UNFINISHED.lock() {
        *slot = dir;
    }
}

/// Watch for SIGTERM and SIGINT on a thread of its own for the life of the process; on one,
/// remove the folder being built and exit with 128 + the signal number (143, 130).
#[cfg(unix)]
pub fn watch() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGINT]) else { return };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let removed = UNFINISHED.lock().ok().and_then(|mut s| s.take());
            let name = if signal == SIGTERM { "SIGTERM" } else { "SIGINT" };
            match removed {
                Some(dir) => {
                    remove_while_written(&dir);
                    eprintln!(
                        "edustat: stopped by {name}; removed the unfinished {} (latest is unchanged)",
                        dir.display()
                    );
                }
                None => eprintln!("edustat: stopped by {name}; nothing was published"),
            }
            std::process::exit(128 + signal);
        }
    });
}

/// Remove `dir`, which the run may still be writing into: first moved aside, so that no new
/// file can be created under its name, then removed, again while a file created in the
/// meantime keeps it from going.
#[cfg(unix)]
fn remove_while_written(dir: &std::path::Path) {
    let mut aside = dir.as_os_str().to_owned();
    aside.push(".stopped");
    let aside = PathBuf::from(aside);
    let target = if std::fs::rename(dir, &aside).is_ok() { aside } else { dir.to_path_buf() };
    for _ in 0..50 {
        match std::fs::remove_dir_all(&target) {
            Ok(()) => return,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
}

/// Elsewhere the default handling stays; the next run removes what is left.
#[cfg(not(unix))]
pub fn watch() {}
