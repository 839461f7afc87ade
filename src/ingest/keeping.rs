//! Staged tables handed to the run's [`Keep`] as ingest stages them: a table staged a year at
//! a time is kept (written into the run) on a thread of its own while the next table's files
//! are read and typed, and waited for before anything reads it.

use super::{Keep, Staged};
use crate::error::{Error, Result};
use crate::tables::{Table, TableDef, Tables};

/// The tables handed to a [`Keep`] as ingest stages them. One staged a year at a time is kept
/// (written into the run) on a thread of its own while the next table's files are read and
/// typed; the checks of that table, which may read it, wait for it.
pub(super) struct Keeping<'scope, 'k> {
    scope: &'scope std::thread::Scope<'scope, 'k>,
    /// `None` while a thread has it.
    keep: Option<&'k mut (dyn Keep + Send)>,
    pending: Option<Pending<'scope, 'k>>,
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
        Keeping { scope, keep: Some(keep), pending: None }
    }

    /// The table being kept on a thread, once kept, in `tables`; the first error it met.
    pub(super) fn settle(&mut self, tables: &mut Tables) -> Result<()> {
        let Some((name, thread)) = self.pending.take() else { return Ok(()) };
        let failed = || Error::Internal(format!("the thread keeping {name} failed"));
        let (keep, table) = thread.join().map_err(|_| failed())?.ok_or_else(failed)?;
        self.keep = Some(keep);
        tables.insert(name, table?);
        Ok(())
    }

    /// The keeper, once no table is being kept.
    fn keeper(&mut self, tables: &mut Tables) -> Result<&'k mut (dyn Keep + Send)> {
        self.settle(tables)?;
        self.keep.take().ok_or_else(|| Error::Internal("no keeper for the staged tables".into()))
    }

    /// Where a table is staged a year at a time, once no table is being kept ([`Keep::scratch`]).
    pub(super) fn scratch(
        &mut self,
        tables: &mut Tables,
    ) -> Result<Option<(std::path::PathBuf, usize)>> {
        let keep = self.keeper(tables)?;
        let scratch = keep.scratch();
        self.keep = Some(keep);
        Ok(scratch)
    }

    /// Keep a staged table `def`, in `tables`: a table staged a year at a time on a thread
    /// (kept at once where no thread can be had).
    pub(super) fn hand(
        &mut self,
        def: &'static TableDef,
        staged: Staged,
        tables: &mut Tables,
    ) -> Result<()> {
        let keep = self.keeper(tables)?;
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
