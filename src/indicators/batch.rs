//! Kinds of indicator planned together: a pipeline may declare dozens of one kind (Guangxi: 38
//! counted targets), each a few rows, and a plan of its own costs its roll-up, coverage, names
//! and flags, about 1.5 ms however few its rows. Each kind here is one plan keyed by indicator
//! id (`__id`), rolled up once.

use super::{Hierarchy, class_size, counts, county_rule, keyed_ratio, school_share, staffing};
use crate::error::Result;
use crate::frame::{DataFrame, LazyFrame};
use crate::spec::{
    ClassAverageSpec, ClassShareSpec, CountSpec, CountyRuleSpec, Family, Pipeline,
    PupilTeacherRatioSpec, SchoolShareSpec,
};
use crate::tables::Tables;

/// The families of one phase whose kinds are planned together, gathered by [`Batch::take`].
#[derive(Default)]
pub(super) struct Batch<'p> {
    counts: Vec<&'p CountSpec>,
    school_shares: Vec<&'p SchoolShareSpec>,
    class_shares: Vec<&'p ClassShareSpec>,
    averages: Vec<&'p ClassAverageSpec>,
    teachers: Vec<&'p PupilTeacherRatioSpec>,
    rules: Vec<&'p CountyRuleSpec>,
}

impl<'p> Batch<'p> {
    /// Take `family` if its kind is planned together; false (and nothing taken) otherwise.
    pub(super) fn take(&mut self, family: &'p Family) -> bool {
        match family {
            Family::Count(s) => self.counts.push(s),
            Family::SchoolShare(s) => self.school_shares.push(s),
            Family::ClassShare(s) => self.class_shares.push(s),
            Family::ClassAverage(s) => self.averages.push(s),
            Family::PupilTeacherRatio(s) => self.teachers.push(s),
            Family::CountyRule(s) => self.rules.push(s),
            _ => return false,
        }
        true
    }

    /// The rows of every family taken, a plan per kind. `base` holds the indicators of the
    /// earlier phases, which county rules read.
    pub(super) fn rows(
        self,
        pipeline: &Pipeline,
        (tables, base): (&Tables, &DataFrame),
        hierarchy: &Hierarchy,
    ) -> Result<Vec<LazyFrame>> {
        let started = std::time::Instant::now();
        let mut rows = Vec::new();
        if !self.counts.is_empty() {
            rows.push(counts::compute_all(&self.counts, pipeline, tables, hierarchy)?);
        }
        if !self.school_shares.is_empty() {
            if !tables.contains_key("schools") {
                let ids: Vec<&str> = self.school_shares.iter().map(|s| s.id.as_str()).collect();
                tracing::warn!(indicators = ?ids, "these indicators need school records (a schools table); the delivery has none, so they have no rows");
            }
            rows.extend(school_share::shares(&self.school_shares, pipeline, tables, hierarchy)?);
        }
        rows.extend(class_size::shares(&self.class_shares, pipeline, tables, hierarchy)?);
        let per = (&self.averages[..], &self.teachers[..]);
        rows.extend(per_class_and_teacher(per, pipeline, tables, hierarchy)?);
        if !self.rules.is_empty() {
            rows.extend(county_rule::compute_all(&self.rules, base, pipeline, hierarchy)?);
        }
        if !rows.is_empty() {
            let millis = started.elapsed().as_millis() as u64;
            tracing::debug!(
                counts = self.counts.len(),
                millis,
                "planned the kinds planned together"
            );
        }
        Ok(rows)
    }
}

/// Pupils per class and pupils per teacher (ratios of summed counts, no flags of their own),
/// every one in one plan.
fn per_class_and_teacher(
    (averages, teachers): (&[&ClassAverageSpec], &[&PupilTeacherRatioSpec]),
    pipeline: &Pipeline,
    tables: &Tables,
    hierarchy: &Hierarchy,
) -> Result<Vec<LazyFrame>> {
    let mut parts = Vec::new();
    for spec in averages {
        if let Some(rows) = class_size::average_rows(spec, pipeline, tables)? {
            parts.push((spec.id.clone(), rows));
        }
    }
    for spec in teachers {
        if let Some(rows) = staffing::pupil_teacher_rows(spec, pipeline, tables) {
            parts.push((spec.id.clone(), rows));
        }
    }
    let how = (("ratio", 1.0), &[][..]);
    Ok(keyed_ratio(parts, how, hierarchy, pipeline.years)?.into_iter().collect())
}
