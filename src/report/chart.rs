//! The report's two charts as small typed SVG builders: a target's series against the target
//! line and the straight trajectory from its baseline, and a 县县 target's regions ranked
//! against the threshold. Coordinates are written with one decimal, so the same facts give
//! the same bytes; colours come from the page's stylesheet (status classes), never from
//! `style` attributes, which the page's content policy refuses.

use maud::{Markup, html};

use super::{RegionStanding, Target, amount};

/// The drawing area of a chart inside its view box.
#[derive(Debug, Clone, Copy)]
struct Plot {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Plot {
    const fn new(width: f64, height: f64) -> Plot {
        Plot { width, height, left: 58.0, right: 150.0, top: 18.0, bottom: 30.0 }
    }
    fn x0(&self) -> f64 {
        self.left
    }
    fn x1(&self) -> f64 {
        self.width - self.right
    }
    fn y0(&self) -> f64 {
        self.height - self.bottom
    }
    fn y1(&self) -> f64 {
        self.top
    }
    fn view_box(&self) -> String {
        format!("0 0 {} {}", self.width, self.height)
    }
}

/// A linear map from a domain of values onto a range of coordinates.
#[derive(Debug, Clone, Copy)]
struct Linear {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Linear {
    fn at(&self, v: f64) -> f64 {
        if self.d1 == self.d0 {
            return (self.r0 + self.r1) / 2.0;
        }
        self.r0 + (v - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

/// A coordinate as written into the page.
fn c(v: f64) -> String {
    format!("{v:.1}")
}

/// Round tick values covering `lo..=hi`: steps of 1, 2, 2.5 or 5 × 10^k, about `n` of them.
fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 1.0, hi + 1.0) };
    let raw = (hi - lo) / n.max(1) as f64;
    let magnitude = 10f64.powi(raw.log10().floor() as i32);
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// The value axis over `values`: ticks, and the map onto the plot's height.
fn value_axis(values: &[f64], plot: &Plot) -> (Vec<f64>, Linear) {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let t = ticks(lo, hi, 4);
    let (d0, d1) = (t.first().copied().unwrap_or(lo), t.last().copied().unwrap_or(hi));
    (t, Linear { d0, d1, r0: plot.y0(), r1: plot.y1() })
}

/// Horizontal grid lines with their labels on the left.
fn grid(ticks: &[f64], y: &Linear, plot: &Plot) -> Markup {
    html! {
        g.grid {
            @for t in ticks {
                line x1=(c(plot.x0())) x2=(c(plot.x1())) y1=(c(y.at(*t))) y2=(c(y.at(*t))) {}
                text.tick x=(c(plot.x0() - 6.0)) y=(c(y.at(*t) + 4.0)) text-anchor="end" { (tick(*t)) }
            }
        }
    }
}

/// A tick's label: whole numbers without decimals.
fn tick(v: f64) -> String {
    amount(Some(v), "count")
}

/// The text of a target as the charts label it: `≥ 90`, `1–3`, `≈ 30`.
pub fn target_text(t: &Target) -> String {
    let v = t.shown(Some(t.value));
    match t.comparator.as_str() {
        ">=" => format!("≥ {v}"),
        "<=" => format!("≤ {v}"),
        "==" => format!("= {v}"),
        "between" => format!("{v}–{}", t.shown(t.value_high)),
        "about" => format!("≈ {v}"),
        other => format!("{other} {v}"),
    }
}

/// The target as a line across the plot (a band for a range), labelled on the right.
fn target_line(t: &Target, y: &Linear, plot: &Plot) -> Markup {
    let at = y.at(t.value);
    html! {
        g.target {
            @if let (Some(high), "between") = (t.value_high, t.comparator.as_str()) {
                rect.band x=(c(plot.x0())) width=(c(plot.x1() - plot.x0()))
                    y=(c(y.at(high))) height=(c((at - y.at(high)).abs())) {}
            }
            line x1=(c(plot.x0())) x2=(c(plot.x1())) y1=(c(at)) y2=(c(at)) {}
            text x=(c(plot.x1() + 6.0)) y=(c(at + 4.0)) { "目标 target " (target_text(t)) }
        }
    }
}

/// The status a year's marker is coloured by: the status as of that year within the plan,
/// `outside` before or after it.
fn year_status(t: &Target, year: i32) -> &str {
    t.progress.iter().find(|p| p.year == year).map_or("outside", |p| p.status.as_str())
}

/// A target's indicator over the years, against its target and trajectory.
pub fn series(t: &Target) -> Markup {
    let plot = Plot::new(640.0, 240.0);
    let points: Vec<(i32, f64)> = t.series.iter().filter_map(|(y, v)| Some((*y, (*v)?))).collect();
    let path: Vec<(i32, f64)> =
        t.progress.iter().filter_map(|p| Some((p.year, p.trajectory?))).collect();
    let first = t.series.keys().next().copied().unwrap_or(t.baseline_year).min(t.baseline_year);
    let last = t.series.keys().next_back().copied().unwrap_or(t.target_year).max(t.target_year);
    let x = Linear {
        d0: f64::from(first),
        d1: f64::from(last),
        r0: plot.x0() + 14.0,
        r1: plot.x1() - 14.0,
    };
    let mut values: Vec<f64> = points.iter().map(|p| p.1).collect();
    values.extend(path.iter().map(|p| p.1));
    values.push(t.value);
    values.extend(t.value_high);
    let (ticks, y) = value_axis(&values, &plot);
    let label = format!("{} {}: {}", t.name_zh, t.name_en, t.status);
    html! {
        svg.chart.series viewBox=(plot.view_box()) role="img" aria-label=(label) data-target=(t.id) {
            title { (label) }
            (grid(&ticks, &y, &plot))
            g.years {
                @for year in first..=last {
                    text.tick x=(c(x.at(f64::from(year)))) y=(c(plot.y0() + 18.0)) text-anchor="middle" { (year) }
                }
            }
            (target_line(t, &y, &plot))
            @if path.len() > 1 {
                polyline.trajectory points=(polyline(&path, &x, &y)) {}
            }
            (line_segments(&points, &x, &y))
            @for (year, v) in &points {
                circle class=(format!("point s-{}", year_status(t, *year))) cx=(c(x.at(f64::from(*year)))) cy=(c(y.at(*v))) r="4.5" {
                    title { (year) ": " (t.shown(Some(*v))) " (" (year_status(t, *year)) ")" }
                }
            }
            @if points.is_empty() {
                text.empty x=(c((plot.x0() + plot.x1()) / 2.0)) y=(c((plot.y0() + plot.y1()) / 2.0)) text-anchor="middle" {
                    "无数据 no value published"
                }
            }
            (legend(&plot, path.len() > 1))
        }
    }
}

fn polyline(points: &[(i32, f64)], x: &Linear, y: &Linear) -> String {
    let xy = points.iter().map(|(yr, v)| format!("{},{}", c(x.at(f64::from(*yr))), c(y.at(*v))));
    xy.collect::<Vec<_>>().join(" ")
}

/// The series as lines between consecutive years with values; a missing year breaks it.
fn line_segments(points: &[(i32, f64)], x: &Linear, y: &Linear) -> Markup {
    let mut runs: Vec<Vec<(i32, f64)>> = Vec::new();
    for p in points {
        match runs.last_mut() {
            Some(run) if run.last().is_some_and(|q| q.0 + 1 == p.0) => run.push(*p),
            _ => runs.push(vec![*p]),
        }
    }
    html! {
        @for run in runs.iter().filter(|r| r.len() > 1) {
            polyline.value points=(polyline(run, x, y)) {}
        }
    }
}

fn legend(plot: &Plot, trajectory: bool) -> Markup {
    let x = plot.x1() + 6.0;
    html! {
        g.legend {
            circle.key.s-outside cx=(c(x + 5.0)) cy=(c(plot.y1() + 40.0)) r="4" {}
            text x=(c(x + 14.0)) y=(c(plot.y1() + 44.0)) { "数值 value" }
            text x=(c(x + 14.0)) y=(c(plot.y1() + 58.0)) { "（颜色：当年状态" }
            text x=(c(x + 14.0)) y=(c(plot.y1() + 72.0)) { "colour: status then）" }
            @if trajectory {
                line.trajectory x1=(c(x)) x2=(c(x + 10.0)) y1=(c(plot.y1() + 92.0)) y2=(c(plot.y1() + 92.0)) {}
                text x=(c(x + 14.0)) y=(c(plot.y1() + 96.0)) { "轨迹 trajectory" }
            }
        }
    }
}

/// Regions worst first (furthest from the target), those without a value last, then by code.
fn ranked_order(t: &Target) -> Vec<&RegionStanding> {
    let mut regions: Vec<&RegionStanding> = t.regions.iter().collect();
    let upward = t.comparator != "<=";
    regions.sort_by(|a, b| {
        let key = |r: &RegionStanding| r.latest.map(|(_, v)| if upward { v } else { -v });
        match (key(a), key(b)) {
            (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| a.code.cmp(&b.code)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.code.cmp(&b.code),
        }
    });
    regions
}

/// A 县县 target's regions as bars, worst first, coloured by status, with the threshold.
pub fn ranked(t: &Target) -> Markup {
    let plot = Plot::new(640.0, 220.0);
    let regions = ranked_order(t);
    let mut values: Vec<f64> = regions.iter().filter_map(|r| r.latest.map(|l| l.1)).collect();
    values.extend([0.0, t.value]);
    let (ticks, y) = value_axis(&values, &plot);
    let step = (plot.x1() - plot.x0()) / regions.len().max(1) as f64;
    let base = y.at(0.0_f64.clamp(y.d0, y.d1));
    let label = format!("{} {}: {} regions ranked", t.name_zh, t.name_en, regions.len());
    html! {
        svg.chart.ranked viewBox=(plot.view_box()) role="img" aria-label=(label) data-target=(t.id) {
            title { (label) }
            (grid(&ticks, &y, &plot))
            g.bars {
                @for (i, r) in regions.iter().enumerate() {
                    @let (top, height) = bar(r, &y, base);
                    rect class=(format!("bar s-{}", r.status)) data-region=(r.code) data-status=(r.status)
                        x=(c(plot.x0() + step * i as f64 + step * 0.1)) width=(c(step * 0.8))
                        y=(c(top)) height=(c(height)) {
                        title { (r.name) " " (r.code) ": " (t.shown(r.latest.map(|l| l.1))) " (" (r.status) ")" }
                    }
                }
            }
            (target_line(t, &y, &plot))
            text.tick x=(c(plot.x0())) y=(c(plot.y0() + 18.0)) {
                (regions.len()) " 个地区，差者在左 regions, furthest from the target on the left"
            }
        }
    }
}

/// A bar's top and height: from the zero line to the value, at least 2 units tall so that a
/// region at zero still shows its status; a region without a value, a stub below the line.
fn bar(r: &RegionStanding, y: &Linear, base: f64) -> (f64, f64) {
    match r.latest {
        Some((_, v)) => {
            let at = y.at(v);
            let (top, height) = (at.min(base), (at - base).abs());
            if height < 2.0 { (base - 2.0, 2.0) } else { (top, height) }
        }
        None => (base - 2.0, 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_values() {
        // 81.3..93.9 over about 4 steps: raw step 3.15 → 5; 80, 85, 90, 95.
        assert_eq!(ticks(81.3, 93.9, 4), vec![80.0, 85.0, 90.0, 95.0]);
        // 0..0.804 → raw 0.201 → 0.25: 0, 0.25, 0.5, 0.75, 1.
        assert_eq!(ticks(0.0, 0.804, 4), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        // One value: widened by one each side, 4..6 → raw 0.5 → 0.5 steps.
        assert_eq!(ticks(5.0, 5.0, 4), vec![4.0, 4.5, 5.0, 5.5, 6.0]);
    }

    #[test]
    fn regions_rank_worst_first() {
        let region = |code: &str, v: Option<f64>| RegionStanding {
            code: code.into(),
            latest: v.map(|v| (2020, v)),
            ..RegionStanding::default()
        };
        let mut t = Target {
            comparator: "<=".into(),
            regions: vec![
                region("A", Some(0.0)),
                region("B", None),
                region("C", Some(1.5)),
                region("D", Some(0.0)),
            ],
            ..Target::default()
        };
        let order = |t: &Target| ranked_order(t).iter().map(|r| r.code.clone()).collect::<Vec<_>>();
        // At most 0: the largest share is furthest; ties by code; no value last.
        assert_eq!(order(&t), ["C", "A", "D", "B"]);
        t.comparator = ">=".into();
        assert_eq!(order(&t), ["A", "D", "C", "B"]);
    }
}
