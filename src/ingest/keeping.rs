//! Staged tables handed to the run's [`Keep`] as ingest stages them: a table staged a year at
//! a time is kept (written into the run) on a thread of its own while the next tables are read,
//! typed and checked, and waited for only where something reads it.

use super::{Keep, Staged};
use crate::error::{Error, Result};
use crate::tables::{Table, TableDef, Tables};

/// The tables handed to a [`Keep`] as ingest stages them. One staged a year at a time is kept
/// (written into the run) on a thread of its own while the next tables' files are read, typed
/// and checked; whole tables staged meanwhile wait their turn. Checks that read a table wait
/// for it ([`Keeping::ready`]).
pub(super) struct Keeping<'scope, 'k> {
    scope: &'scope std::thread::Scope<'scope, 'k>,
    /// `None` while a thread has it.
    keep: Option<&'k mut (dyn Keep + Send)>,
    /// The keeper's [`Keep::scratch`], asked once.
    scratch: Option<(std::path::PathBuf, usize)>,
    pending: Option<Pending<'scope, 'k>>,
    /// Whole tables staged while one was being kept on a thread, in the order staged.
    waiting: Vec<(&'static TableDef, Staged)>,
}

/// A table being kept on a thread: its name, and the thread, which gives the keeper back.
type Pending<'scope, 'k> = (&'static str, std::thread::ScopedJoinHandle<'scope, Kept<'k>>);

/// What a keeping thread gives back: the keeper and the table kept (`None`: it was handed
/// nothing, which [`Keeping::hand`] never does).
type Kept<'k> = Option<(&'k mut (dyn Keep + Send), Result<Table>)>;

impl<'scope, 'k> Keeping<'scope, 'k> {
    pub(super) fn new(
        scope: &'scope std::thread::Scope<'scope, 'k>,
        keep: &'k mut (dyn Keep + Send),
    ) -> Self {
        let scratch = keep.scratch();
        Keeping { scope, keep: Some(keep), scratch, pending: None, waiting: Vec::new() }
    }

    /// Where a table is staged a year at a time ([`Keep::scratch`]).
    pub(super) fn scratch(&self) -> Option<(std::path::PathBuf, usize)> {
        self.scratch.clone()
    }

    /// Every table handed so far kept, in `tables`; the first error any of them met.
    pub(super) fn settle(&mut self, tables: &mut Tables) -> Result<()> {
        if let Some((name, thread)) = self.pending.take() {
            let failed = || Error::Internal(format!("the thread keeping {name} failed"));
            let (keep, table) = thread.join().map_err(|_| failed())?.ok_or_else(failed)?;
            self.keep = Some(keep);
            tables.insert(name, table?);
        }
        for (def, staged) in std::mem::take(&mut self.waiting) {
            let keep = self.keeper()?;
            let table = keep.keep(def, staged);
            self.keep = Some(keep);
            tables.insert(def.name, table?);
        }
        Ok(())
    }

    /// What the keeper made of the tables' rows as it kept them ([`Keep::made`]); call once
    /// every table is kept.
    pub(super) fn made(&mut self) -> Result<Vec<(&'static str, crate::frame::DataFrame)>> {
        let keep = self.keeper()?;
        let made = keep.made();
        self.keep = Some(keep);
        Ok(made)
    }

    /// Every table of `names` handed so far kept, in `tables` (the others may still be being
    /// kept).
    pub(super) fn ready(&mut self, names: &[&str], tables: &mut Tables) -> Result<()> {
        let pending = self.pending.as_ref().is_some_and(|(n, _)| names.contains(n));
        if pending || self.waiting.iter().any(|(def, _)| names.contains(&def.name)) {
            self.settle(tables)?;
        }
        Ok(())
    }

    /// The keeper, free (no table being kept on a thread).
    fn keeper(&mut self) -> Result<&'k mut (dyn Keep + Send)> {
        self.keep.take().ok_or_else(|| Error::Internal("no keeper for the staged tables".into()))
    }

    /// Keep a staged table `def`, in `tables`: a table staged a year at a time on a thread
    /// (kept at once where no thread can be had); a whole one at once, or after the table
    /// being kept on a thread.
    pub(super) fn hand(
        &mut self,
        def: &'static TableDef,
        staged: Staged,
        tables: &mut Tables,
    ) -> Result<()> {
        if let Staged::Whole(_) = staged
            && self.pending.is_some()
        {
            self.waiting.push((def, staged));
            return Ok(());
        }
        self.settle(tables)?;
        let keep = self.keeper()?;
        let (keep, staged) = match staged {
            Staged::ByYear(_) => match self.keep_behind(def, keep, staged) {
                Ok(()) => return Ok(()),
                Err(back) => back,
            },
            Staged::Whole(_) => (keep, staged),
        };
        let table = keep.keep(def, staged);
        self.keep = Some(keep);
        tables.insert(def.name, table?);
        Ok(())
    }

    /// Keep `staged` on a thread of its own; given back where no thread can be had.
    #[allow(clippy::type_complexity)]
    fn keep_behind(
        &mut self,
        def: &'static TableDef,
        keep: &'k mut (dyn Keep + Send),
        staged: Staged,
    ) -> std::result::Result<(), (&'k mut (dyn Keep + Send), Staged)> {
        let (tx, rx) = std::sync::mpsc::channel::<(&'k mut (dyn Keep + Send), Staged)>();
        let spawned = std::thread::Builder::new().name("staged-table".into()).spawn_scoped(
            self.scope,
            move || -> Kept<'k> {
                let (keep, staged) = rx.recv().ok()?;
                let table = keep.keep(def, staged);
                Some((keep, table))
            },
        );
        let thread = match spawned {
            Ok(thread) => thread,
            Err(e) => {
                tracing::debug!(error = %e, "no thread to keep a staged table on");
                return Err((keep, staged));
            }
        };
        tx.send((keep, staged)).map_err(|std::sync::mpsc::SendError(back)| back)?;
        self.pending = Some((def.name, thread));
        Ok(())
    }
}
