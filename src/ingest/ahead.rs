//! Reading ahead: while the main thread types, checks and reshapes one table, a thread of its
//! own decodes and parses the files ingest will want next, in ingest's order and within a
//! budget of input bytes. A file not read yet when it is wanted is read where it is wanted, so
//! reading ahead changes when a file is read, never what is read from it.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};

use super::{ReadFile, read_one};
use crate::error::Result;
use crate::spec::SourceSpec;

/// Input bytes read ahead and not yet taken, at most (one larger file is still read alone):
/// about this much again of text cells is held beside what the main thread holds.
pub(super) const BUDGET: u64 = 32 << 20;

/// Where one planned file stands.
enum Slot<'a> {
    /// Not started; whoever wants it first reads it.
    Waiting,
    /// The reading thread is on it.
    Reading,
    /// Read ahead, waiting to be taken.
    Read(Box<Result<ReadFile<'a>>>),
    /// Taken, read where it was wanted, or not wanted after all.
    Gone,
}

struct State<'a> {
    slots: Vec<Slot<'a>>,
    /// The first slot the reading thread has not yet looked at.
    next: usize,
    /// Input bytes of the slots reading or read and not taken.
    held: u64,
    stop: bool,
}

/// The files ingest will read, in order, and what has been read of them.
pub(super) struct Ahead<'a> {
    plan: Vec<(&'a SourceSpec, u64)>,
    /// A planned source (by address) → its slot.
    index: HashMap<usize, usize>,
    state: Mutex<State<'a>>,
    changed: Condvar,
    budget: u64,
}

fn address(source: &SourceSpec) -> usize {
    std::ptr::from_ref(source) as usize
}

impl<'a> Ahead<'a> {
    /// A plan of `sources`, in the order ingest wants them, read at most `budget` input bytes
    /// ahead.
    pub(super) fn new(sources: Vec<&'a SourceSpec>, budget: u64) -> Ahead<'a> {
        let plan: Vec<(&SourceSpec, u64)> = sources
            .into_iter()
            .map(|s| (s, std::fs::metadata(&s.path).map_or(0, |m| m.len())))
            .collect();
        let index = plan.iter().enumerate().map(|(i, (s, _))| (address(s), i)).collect();
        let slots = plan.iter().map(|_| Slot::Waiting).collect();
        Ahead {
            plan,
            index,
            state: Mutex::new(State { slots, next: 0, held: 0, stop: false }),
            changed: Condvar::new(),
            budget,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<'a>> {
        // A thread that panicked while holding the lock left only bookkeeping behind; the
        // panic itself reaches the caller through the scope.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The reading thread: read planned files in order until the plan ends or [`stop`].
    pub(super) fn read_ahead(&self) {
        while let Some(i) = self.claim() {
            let source = self.plan[i].0;
            // A reader that panics must not leave the file "being read" for ever: whoever
            // waits for it gets an error instead.
            let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_one(source)))
                .unwrap_or_else(|_| {
                    Err(crate::error::Error::Internal(format!(
                        "reading {} ahead failed",
                        source.path.display()
                    )))
                });
            let mut state = self.lock();
            if matches!(state.slots[i], Slot::Reading) {
                state.slots[i] = Slot::Read(Box::new(read));
            } else {
                state.held -= self.plan[i].1;
            }
            drop(state);
            self.changed.notify_all();
        }
    }

    /// The next file for the reading thread, once the budget allows; `None` at the end.
    fn claim(&self) -> Option<usize> {
        let mut state = self.lock();
        loop {
            if state.stop {
                return None;
            }
            while state.next < self.plan.len() && !matches!(state.slots[state.next], Slot::Waiting)
            {
                state.next += 1;
            }
            let i = state.next;
            let size = self.plan.get(i)?.1;
            if state.held == 0 || state.held + size <= self.budget {
                state.slots[i] = Slot::Reading;
                state.held += size;
                return Some(i);
            }
            state = self.changed.wait(state).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// `source` read: taken from what was read ahead, waited for if it is being read, or read
    /// now.
    pub(super) fn take(&self, source: &'a SourceSpec) -> Result<ReadFile<'a>> {
        let Some(&i) = self.index.get(&address(source)) else { return read_one(source) };
        let mut state = self.lock();
        loop {
            match std::mem::replace(&mut state.slots[i], Slot::Gone) {
                Slot::Reading => {
                    state.slots[i] = Slot::Reading;
                    state =
                        self.changed.wait(state).unwrap_or_else(std::sync::PoisonError::into_inner);
                }
                Slot::Read(read) => {
                    state.held -= self.plan[i].1;
                    drop(state);
                    self.changed.notify_all();
                    return *read;
                }
                Slot::Waiting | Slot::Gone => {
                    drop(state);
                    return read_one(source);
                }
            }
        }
    }

    /// `sources` will not be read after all (their typed rows were kept by an earlier run).
    pub(super) fn skip(&self, sources: &[&SourceSpec]) {
        let mut state = self.lock();
        for s in sources {
            if let Some(&i) = self.index.get(&address(s)) {
                match std::mem::replace(&mut state.slots[i], Slot::Gone) {
                    Slot::Read(_) => state.held -= self.plan[i].1,
                    // Released by the reading thread when it finishes.
                    Slot::Reading | Slot::Waiting | Slot::Gone => {}
                }
            }
        }
        drop(state);
        self.changed.notify_all();
    }

    /// Stop reading ahead: the reading thread finishes the file it is on, then returns.
    pub(super) fn stop(&self) {
        self.lock().stop = true;
        self.changed.notify_all();
    }
}

/// Stops the reading thread when dropped, however the ingest that owns it ends.
pub(super) struct Stopper<'r, 'a>(pub(super) &'r Ahead<'a>);

impl Drop for Stopper<'_, '_> {
    fn drop(&mut self) {
        self.0.stop();
    }
}
