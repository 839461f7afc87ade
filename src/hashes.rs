//! The SHA-256 of files remembered between runs (`out/<pipeline>/.hashes.json`), as git's index
//! remembers what it hashed: a file is hashed again unless its device, inode, size, modification
//! time and change time are all as they were when it was hashed. The change time is set by the
//! kernel on every write, rename into place, restore or `touch`, and cannot be set back by a
//! program, so an edited file is always hashed again, even one rewritten to the same size with
//! its modification time restored. A file changed within its filesystem's timestamp granularity
//! before it was hashed is not remembered (its change time could repeat: git's "racy" case); it
//! is hashed again next time. The granularity is read from the timestamps themselves: a change
//! time with a part below the second comes from a filesystem with fine timestamps, settled after
//! [`FINE_SETTLE_NS`]; a whole-second one may come from a coarse one, settled after
//! [`SETTLE_NS`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

/// A file changed less than this long (2 s, the coarsest common timestamp granularity) before it
/// was hashed is hashed again next time.
pub const SETTLE_NS: i64 = 2_000_000_000;

/// A file whose change time has a part below the second is on a filesystem with fine
/// timestamps (ext4, XFS, btrfs, APFS), whose granularity is the kernel's clock tick, 10 ms at
/// the coarsest: changed less than twice that before it was hashed, it is hashed again next time.
pub const FINE_SETTLE_NS: i64 = 20_000_000;

/// How long before it was hashed a file must have last changed to be remembered.
fn settle_of(stat: &Stat) -> i64 {
    match stat.ctime_ns.rem_euclid(1_000_000_000) {
        0 => SETTLE_NS,
        _ => FINE_SETTLE_NS,
    }
}

/// What identifies one state of a file, without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct Stat {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i64,
    ctime_ns: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    #[serde(flatten)]
    stat: Stat,
    sha256: String,
}

/// Hashes remembered from the last run, and those taken in this one (thread-safe: inputs are
/// hashed on every core).
pub struct Hashes {
    file: Option<std::path::PathBuf>,
    before: HashMap<Stat, String>,
    now: Mutex<Vec<Entry>>,
    /// `None`: by each file's timestamps ([`settle_of`]).
    settle_ns: Option<i64>,
    read: AtomicUsize,
}

impl Hashes {
    /// The hashes remembered in `file` (none if it is missing or unreadable: everything is hashed).
    pub fn open(file: &Path) -> Hashes {
        let before = std::fs::read(file)
            .ok()
            .and_then(|b| serde_json::from_slice::<Vec<Entry>>(&b).ok())
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.stat, e.sha256))
            .collect();
        Hashes { file: Some(file.to_path_buf()), before, ..Hashes::none() }
    }

    /// Nothing remembered and nothing kept: every file is hashed (`edustat verify`).
    pub fn none() -> Hashes {
        Hashes {
            file: None,
            before: HashMap::new(),
            now: Mutex::new(Vec::new()),
            settle_ns: None,
            read: AtomicUsize::new(0),
        }
    }

    /// How many files were read and hashed (the others were remembered).
    pub fn files_read(&self) -> usize {
        self.read.load(Ordering::Relaxed)
    }

    /// The SHA-256 of the file at `path`: remembered if its stat is unchanged, else read.
    pub fn sha256(&self, path: &Path) -> std::io::Result<String> {
        let before = stat(path)?;
        if let Some(hash) = before.and_then(|s| self.before.get(&s)) {
            self.keep(before, hash);
            return Ok(hash.clone());
        }
        let started = now_ns();
        let hash = crate::digest::sha256_file(path)?;
        self.read.fetch_add(1, Ordering::Relaxed);
        // Kept only if the file did not change while it was read, nor just before.
        let settled = before
            .filter(|s| s.ctime_ns < started - self.settle_ns.unwrap_or_else(|| settle_of(s)));
        if settled.is_some() && stat(path)? == before {
            self.keep(settled, &hash);
        }
        Ok(hash)
    }

    fn keep(&self, stat: Option<Stat>, hash: &str) {
        if let (Some(stat), Ok(mut now)) = (stat, self.now.lock()) {
            now.push(Entry { stat, sha256: hash.to_string() });
        }
    }

    /// Remember this run's hashes (only those: files no longer read are forgotten). Written to
    /// a temporary file and renamed, so a run killed meanwhile leaves the old file whole. A
    /// failure costs only time next run, so it is logged, not raised.
    pub fn save(&self) {
        let (Some(file), Ok(now)) = (&self.file, self.now.lock()) else { return };
        let tmp = file.with_extension("json.tmp");
        let written = serde_json::to_vec(&*now)
            .map_err(std::io::Error::other)
            .and_then(|text| std::fs::write(&tmp, text))
            .and_then(|()| std::fs::rename(&tmp, file));
        if let Err(e) = written {
            tracing::warn!(file = %file.display(), error = %e, "could not remember the inputs' hashes; the next run hashes them again");
        }
    }
}

/// The file's stat, or `None` where the platform gives no inode and change time (then every
/// file is hashed).
#[cfg(unix)]
fn stat(path: &Path) -> std::io::Result<Option<Stat>> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path)?;
    let ns = |s: i64, n: i64| s * 1_000_000_000 + n;
    Ok(Some(Stat {
        dev: m.dev(),
        ino: m.ino(),
        size: m.size(),
        mtime_ns: ns(m.mtime(), m.mtime_nsec()),
        ctime_ns: ns(m.ctime(), m.ctime_nsec()),
    }))
}

#[cfg(not(unix))]
fn stat(path: &Path) -> std::io::Result<Option<Stat>> {
    std::fs::metadata(path).map(|_| None)
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

#[cfg(all(test, unix))]
mod tests {
    use super::Hashes;
    use std::fs::{self, File};

    /// Hashes remembered in `cache`, trusting files however recently changed (the tests' files
    /// are all new).
    fn settled_at_once(cache: &std::path::Path) -> Hashes {
        Hashes { settle_ns: Some(-60_000_000_000), ..Hashes::open(cache) }
    }

    #[test]
    fn an_untouched_file_is_remembered_and_an_edited_one_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let (input, cache) = (dir.path().join("a.csv"), dir.path().join(".hashes.json"));
        fs::write(&input, b"abc").unwrap();
        let first = settled_at_once(&cache);
        // sha256("abc"), FIPS 180-2 appendix B.1.
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(first.sha256(&input).unwrap(), abc);
        assert_eq!(first.files_read(), 1);
        first.save();

        let second = settled_at_once(&cache);
        assert_eq!(second.sha256(&input).unwrap(), abc);
        assert_eq!(second.files_read(), 0, "remembered, not read");
        second.save();

        // Same size, and the modification time put back: only the change time tells.
        let mtime = fs::metadata(&input).unwrap().modified().unwrap();
        fs::write(&input, b"abd").unwrap();
        File::options().write(true).open(&input).unwrap().set_modified(mtime).unwrap();
        assert_eq!(fs::metadata(&input).unwrap().modified().unwrap(), mtime);
        let third = settled_at_once(&cache);
        // sha256("abd") = a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9
        assert_eq!(
            third.sha256(&input).unwrap(),
            "a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9"
        );
        assert_eq!(third.files_read(), 1);
    }

    #[test]
    fn a_file_changed_just_before_it_was_hashed_is_not_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let (input, cache) = (dir.path().join("a.csv"), dir.path().join(".hashes.json"));
        fs::write(&input, b"abc").unwrap();
        // As on a filesystem of whole-second timestamps: 2 s to settle.
        let first = Hashes { settle_ns: Some(super::SETTLE_NS), ..Hashes::open(&cache) };
        first.sha256(&input).unwrap();
        first.save();
        let second = Hashes::open(&cache);
        second.sha256(&input).unwrap();
        assert_eq!(second.files_read(), 1, "written under 2 s ago: read again");
    }

    #[test]
    fn the_time_to_settle_is_the_timestamps_granularity() {
        let at = |ctime_ns| super::Stat { dev: 1, ino: 2, size: 3, mtime_ns: ctime_ns, ctime_ns };
        // 2026-12-06 00:00:00 UTC, to the second: perhaps a coarse filesystem.
        assert_eq!(super::settle_of(&at(1_796_515_200_000_000_000)), super::SETTLE_NS);
        // 4 ms after it: fine timestamps.
        assert_eq!(super::settle_of(&at(1_796_515_200_004_000_000)), super::FINE_SETTLE_NS);
        // Before 1970 the part below the second is still counted upwards.
        assert_eq!(super::settle_of(&at(-1_000_000_000)), super::SETTLE_NS);
        assert_eq!(super::settle_of(&at(-999_000_000)), super::FINE_SETTLE_NS);
    }

    #[test]
    fn an_unreadable_memory_means_hashing_everything() {
        let dir = tempfile::tempdir().unwrap();
        let (input, cache) = (dir.path().join("a.csv"), dir.path().join(".hashes.json"));
        fs::write(&input, b"abc").unwrap();
        fs::write(&cache, b"{not json").unwrap();
        let hashes = settled_at_once(&cache);
        hashes.sha256(&input).unwrap();
        assert_eq!(hashes.files_read(), 1);
    }
}
