//! Findings of a study in words, computed from its numbers alone (the page shows them next to
//! the many-net figures, the CLI prints them): for each line of the charts (the other axes
//! fixed), how a figure moves from the first value of the first axis to the last, with its mean
//! ± sd over seeds, and whether the ± sd bars are apart; and, where the study ran deterministic
//! and stochastic samplers, in how many cells each deterministic one's TID is above the first
//! stochastic one's. A sentence says only what the numbers show: "rises" needs the bars apart,
//! overlapping bars read "no clear change".

use super::{Axis, StudyResult};
use crate::metrics::tid::{FEW_NEIGHBOURS, PREFERRED_NEIGHBOURS, headline_radius};
use crate::sample::SamplerKind;
use crate::stats::{Stat, change, n_of, pm, sig};
use std::collections::BTreeMap;

/// "a", "a and b", "a, b and c" (the generations' findings use it too).
pub(crate) fn list(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

/// The figures a finding follows, in this order, where the study has them.
fn followed(names: &[String], tid_e: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut mae: Vec<&String> = names.iter().filter(|n| n.starts_with("mae_velocity@")).collect();
    // t = 1 before t = 0.1: the high-noise error first.
    mae.sort_by(|a, b| t_of(b).partial_cmp(&t_of(a)).unwrap_or(std::cmp::Ordering::Equal));
    out.extend(mae.into_iter().cloned());
    if let Some(e) = tid_e {
        for k in SamplerKind::ALL {
            let n = format!("tid@{}@{e}", k.name());
            if names.contains(&n) {
                out.push(n);
            }
        }
    }
    out
}

fn t_of(name: &str) -> f64 {
    name.rsplit('@').next().and_then(|t| t.parse().ok()).unwrap_or(f64::NAN)
}

/// Every figure's name in the study's cells, sorted, once each.
fn metric_names(s: &StudyResult) -> Vec<String> {
    let mut names: Vec<String> = s.cells.iter().flat_map(|c| c.metrics.keys().cloned()).collect();
    names.sort();
    names.dedup();
    names
}

/// The radius TID findings use (and the study view's TID chart by default): 0.02 where
/// measured (the paper's smallest radius shown in Fig. 7b), else the radius closest to it,
/// among the radii where the training set's points have neighbours ([`PREFERRED_NEIGHBOURS`] or
/// more per point, where the runs say) if there are any, else among the radii with values.
pub fn tid_radius(s: &StudyResult) -> Option<String> {
    tid_eps(s, &metric_names(s))
}

/// The training set's mean neighbours per point within `e` (its ANSD), averaged over the runs
/// that kept their result; `None` where none did.
fn data_neighbours(s: &StudyResult, e: &str) -> Option<f64> {
    let e: f64 = e.parse().ok()?;
    let v: Vec<f64> = s
        .runs
        .iter()
        .filter_map(|r| {
            let list = r.result.as_ref()?.get("tid")?.as_object()?.values().next()?.as_array()?;
            list.iter().find(|x| x["eps"].as_f64() == Some(e))?.get("ansd_train")?.as_f64()
        })
        .collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// The training set's mean neighbours per point at each TID radius of the study (from the runs
/// that kept their result): the study view leaves off the radii with under
/// [`FEW_NEIGHBOURS`], as the run view does.
pub fn data_neighbours_by_radius(s: &StudyResult) -> std::collections::BTreeMap<String, f64> {
    metric_names(s)
        .iter()
        .filter(|n| n.starts_with("tid@"))
        .filter_map(|n| n.rsplit('@').next())
        .filter_map(|e| Some((e.to_string(), data_neighbours(s, e)?)))
        .collect()
}

fn tid_eps(s: &StudyResult, names: &[String]) -> Option<String> {
    // Only radii where some cell has a value: in 10-D the smallest radii can hold no neighbours.
    let has_value = |n: &String| s.cells.iter().any(|c| c.metrics.get(n).is_some_and(|m| m.mean.is_some()));
    let mut eps: Vec<&str> = names.iter().filter(|n| n.starts_with("tid@") && has_value(n)).filter_map(|n| n.rsplit('@').next()).collect();
    eps.sort_by(|a, b| a.parse::<f64>().unwrap_or(0.0).total_cmp(&b.parse::<f64>().unwrap_or(0.0)));
    eps.dedup();
    let radii: Vec<(f64, Option<f64>)> = eps.iter().map(|e| (e.parse().unwrap_or(f64::INFINITY), data_neighbours(s, e))).collect();
    headline_radius(&radii).map(|i| eps[i].to_string())
}

fn label(name: &str) -> String {
    let parts: Vec<&str> = name.split('@').collect();
    match parts.as_slice() {
        ["mae_velocity", t] => format!("MAE of the velocity at t = {t}"),
        ["tid", s, e] => format!("TID({e}) of {}", SamplerKind::label_of(s)),
        _ => name.to_string(),
    }
}

/// The seeds behind two cells' figures: "mean ± sd over 5 seeds", or each end's count where
/// they differ (a partial study).
/// `where_a`, `where_b` name the cells ("at width = 10", "with fixed-t = 1").
fn seeds_over(a: &Stat, b: &Stat, where_a: &str, where_b: &str) -> String {
    let (na, nb) = (n_of(a), n_of(b));
    let seeds = |n: usize| format!("{n} seed{}", if n == 1 { "" } else { "s" });
    if na == nb && na == 1 {
        "1 seed each".to_string()
    } else if na == nb {
        format!("mean ± sd over {}", seeds(na))
    } else {
        format!("mean ± sd over {} {where_a}, {} {where_b}", seeds(na), seeds(nb))
    }
}

/// A line of the charts: a value of each axis after the first.
type Line = BTreeMap<String, String>;

/// " with fixed-t = 1, sampler = ode" for a line ("" on a one-axis study).
fn within(g: &Line) -> String {
    if g.is_empty() {
        return String::new();
    }
    format!(" with {}", g.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", "))
}

/// What the findings read, found once: the study, its first axis, the TID radius and the
/// figures followed.
struct Reading<'a> {
    s: &'a StudyResult,
    first: &'a Axis,
    names: Vec<String>,
    tid_e: Option<String>,
    followed: Vec<String>,
    /// The lines of the charts: one per combination of the other axes, in the cells' order.
    lines: Vec<Line>,
    /// The figures whose findings lead: the high-noise MAE (the largest t) and the first
    /// deterministic sampler's TID (see [`Finding`]).
    headline: Vec<String>,
}

impl<'a> Reading<'a> {
    fn new(s: &'a StudyResult) -> Option<Self> {
        let first = s.axes.first()?;
        let names = metric_names(s);
        let tid_e = tid_eps(s, &names);
        let followed = followed(&names, tid_e.as_deref());
        let deterministic = |n: &&String| n.split('@').nth(1).and_then(SamplerKind::stochastic_of) == Some(false);
        let headline = [
            followed.iter().find(|n| n.starts_with("mae_velocity@")),
            followed.iter().filter(|n| n.starts_with("tid@")).find(deterministic).or_else(|| followed.iter().find(|n| n.starts_with("tid@"))),
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
        let mut lines: Vec<Line> = Vec::new();
        for c in &s.cells {
            let g: Line = s.axes[1..].iter().map(|a| (a.name.clone(), c.settings.get(&a.name).cloned().unwrap_or_default())).collect();
            if !lines.contains(&g) {
                lines.push(g);
            }
        }
        Some(Reading { s, first, names, tid_e, followed, lines, headline })
    }

    /// A figure of the cell at value `v` of the first axis on line `g`, where it has a mean.
    fn stat(&self, v: &String, g: &Line, metric: &str) -> Option<&'a Stat> {
        let first = &self.first.name;
        self.s
            .cells
            .iter()
            .find(|c| c.settings.get(first) == Some(v) && g.iter().all(|(k, x)| c.settings.get(k) == Some(x)))?
            .metrics
            .get(metric)
            .filter(|m| m.mean.is_some())
    }

    /// Whether a line is the baseline's: every later axis at its first value (full training,
    /// the plain net, the single net).
    fn is_baseline(&self, g: &Line) -> bool {
        self.s.axes[1..].iter().all(|a| g.get(&a.name) == a.values.first())
    }

    /// "mean ± sd over ..." for two values of the first axis.
    fn seeds(&self, a: &Stat, b: &Stat, va: &str, vb: &str) -> String {
        let n = &self.first.name;
        seeds_over(a, b, &format!("at {n} = {va}"), &format!("at {n} = {vb}"))
    }

    /// Along a categorical first axis (data set, process): each value's figure, line by line.
    fn by_value(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        for metric in &self.followed {
            for g in &self.lines {
                let parts: Vec<String> = self.first.values.iter().filter_map(|v| Some(format!("{v} {}", pm(self.stat(v, g, metric)?)))).collect();
                if !parts.is_empty() {
                    let text = format!("{}{} by {}: {} (mean ± sd over seeds).", label(metric), within(g), self.first.name, parts.join("; "));
                    out.push(Finding { text, lead: self.headline.contains(metric) });
                }
            }
        }
        out
    }

    /// Along a numeric first axis (width, t', lr ...): how each figure moves from the first
    /// value with a figure to the last (a partial study has the ends it has), and a turn on the
    /// way (the see-saw's width curve falls, then rises): the lowest (highest) value between
    /// the ends, where it is below (above) both, and the trend from there to the last value.
    fn trends(&self, verdict: bool) -> Vec<Finding> {
        let mut out = Vec::new();
        let name = &self.first.name;
        let mean = |m: &Stat| m.mean.unwrap_or(f64::NAN);
        for metric in &self.followed {
            for g in &self.lines {
                let with: Vec<(&String, &Stat)> = self.first.values.iter().filter_map(|v| Some((v, self.stat(v, g, metric)?))).collect();
                let (Some(&(lo, a)), Some(&(hi, b))) = (with.first(), with.last()) else { continue };
                if lo == hi {
                    continue;
                }
                let line = format!("{}{}", label(metric), within(g));
                let text =
                    format!("{line} {} from {} at {name} = {lo} to {} at {name} = {hi} ({}).", change(a, b).trend(), pm(a), pm(b), self.seeds(a, b, lo, hi));
                // A headline figure's trend on the baseline line leads, but for the high-noise
                // MAE where the see-saw's verdict already says it.
                let said = verdict && metric.starts_with("mae_velocity@");
                out.push(Finding { text, lead: self.headline.contains(metric) && self.is_baseline(g) && !said });
                let inner = &with[1..with.len() - 1];
                let low = inner.iter().min_by(|x, y| mean(x.1).total_cmp(&mean(y.1))).filter(|x| mean(x.1) < mean(a).min(mean(b)));
                let high = inner.iter().max_by(|x, y| mean(x.1).total_cmp(&mean(y.1))).filter(|x| mean(x.1) > mean(a).max(mean(b)));
                for (turn, word) in [(low, "lowest"), (high, "highest")] {
                    let Some(&(at, m)) = turn else { continue };
                    let text = format!(
                        "{line} is {word} at {name} = {at} ({}) and {} from there to {} at {name} = {hi} ({}).",
                        pm(m),
                        change(m, b).trend(),
                        pm(b),
                        self.seeds(m, b, at, hi)
                    );
                    // A turn leads where the headline figure moves clearly from there on the
                    // baseline line (the see-saw's width curve at the paper's size).
                    let lead = self.headline.contains(metric) && self.is_baseline(g) && change(m, b).apart == Some(true);
                    out.push(Finding { text, lead });
                }
            }
        }
        out
    }

    /// Each later axis's values (a control or a cure: fixed-t, two-model, parameterization)
    /// against its first value, further axes at their first value: at the last value of the
    /// first axis with figures for both (the widest net done), then at the other values grouped
    /// by what the bars tell (a cure may hold at some widths and not others).
    fn against_baselines(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        let name = &self.first.name;
        for (ai, axis) in self.s.axes.iter().enumerate().skip(1) {
            let Some(base) = axis.values.first() else { continue };
            // The line of `v` on this axis, every other later axis at its first value.
            let line = |v: &String| -> Line {
                self.s.axes[1..]
                    .iter()
                    .enumerate()
                    .map(|(j, a)| (a.name.clone(), if j + 1 == ai { v.clone() } else { a.values.first().cloned().unwrap_or_default() }))
                    .collect()
            };
            for other in &axis.values[1..] {
                let (gb, go) = (line(base), line(other));
                for metric in &self.followed {
                    let pair = |fv: &String| Some((self.stat(fv, &gb, metric)?, self.stat(fv, &go, metric)?));
                    let Some(at) = self.first.values.iter().rev().find(|fv| pair(fv).is_some()) else { continue };
                    let (a, b) = pair(at).unwrap();
                    let seeds = seeds_over(b, a, &format!("with {} = {other}", axis.name), &format!("with {} = {base}", axis.name));
                    let mut groups: Vec<(&'static str, Vec<String>)> = Vec::new();
                    for fv in self.first.values.iter().filter(|fv| *fv != at) {
                        let Some((a, b)) = pair(fv) else { continue };
                        let v = change(a, b).short();
                        match groups.iter_mut().find(|(g, _)| *g == v) {
                            Some((_, vs)) => vs.push(fv.clone()),
                            None => groups.push((v, vec![fv.clone()])),
                        }
                    }
                    let elsewhere = if groups.is_empty() {
                        String::new()
                    } else {
                        let parts: Vec<String> = groups.iter().map(|(v, vs)| format!("{v} at {name} = {}", list(vs))).collect();
                        format!(" Elsewhere it is {}.", parts.join("; "))
                    };
                    let text = format!(
                        "At {name} = {at}, {} with {} = {other} {}: {} against {} with {} = {base} ({seeds}).{elsewhere}",
                        label(metric),
                        axis.name,
                        change(a, b).verdict(),
                        pm(b),
                        pm(a),
                        axis.name,
                    );
                    out.push(Finding { text, lead: self.headline.contains(metric) });
                }
            }
        }
        out
    }

    /// Each deterministic sampler's TID against the first stochastic one's, cell by cell.
    fn samplers(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        let Some(e) = &self.tid_e else { return out };
        let tid = |k: &SamplerKind| format!("tid@{}@{e}", k.name());
        let has = |k: &&SamplerKind| self.names.contains(&tid(k));
        let Some(st) = SamplerKind::ALL.iter().filter(|k| k.is_stochastic()).find(has) else { return out };
        for d in SamplerKind::ALL.iter().filter(|k| !k.is_stochastic()).filter(has) {
            let (mut higher, mut clear, mut total) = (0, 0, 0);
            let mut where_clear = Vec::new();
            for c in &self.s.cells {
                let (Some(a), Some(b)) = (c.metrics.get(&tid(d)), c.metrics.get(&tid(st))) else { continue };
                if a.mean.is_none() || b.mean.is_none() {
                    continue;
                }
                total += 1;
                // From the stochastic sampler's TID to the deterministic one's.
                let up = change(b, a);
                higher += usize::from(up.higher);
                if up.clear_rise() {
                    clear += 1;
                    where_clear.push(c.settings.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", "));
                }
            }
            if total == 0 {
                continue;
            }
            // "Everywhere" only where every cell's bars are apart; above in every mean with some
            // bars overlapping is said as that.
            let head = if higher == 0 {
                "the deterministic sampler's samples are nowhere the more concentrated"
            } else if clear == total {
                "the deterministic sampler's samples are the more concentrated everywhere"
            } else if higher == total {
                "the deterministic sampler's samples are the more concentrated in every cell's mean"
            } else {
                "not in every cell"
            };
            let verdict = if clear > 0 && clear < total && where_clear.len() <= 6 {
                format!("{head}; clearly above at {}", where_clear.join("; "))
            } else {
                head.to_string()
            };
            let text = format!(
                "TID({e}) of {} is above that of {} in {higher} of {total} cells ({clear} with the ± sd bars apart): {verdict}.",
                d.label(),
                st.label(),
            );
            out.push(Finding { text, lead: true });
        }
        out
    }

    /// At a radius where the data's points have almost no neighbours: why TID is so noisy there.
    fn sparse_radius(&self) -> Option<Finding> {
        let e = self.tid_e.as_ref()?;
        let n = data_neighbours(self.s, e).filter(|&n| n < FEW_NEIGHBOURS)?;
        let text = format!(
            "At e = {e} the training set's points have {} neighbours each on average (ANSD), so TID there rests on a few pairs of points and its spread over seeds is large; \
             none of the radii this study measured gives them {PREFERRED_NEIGHBOURS} or more (a larger radius would tell more).",
            sig(n)
        );
        Some(Finding { text, lead: true })
    }
}

/// One finding, and whether it leads. The leading findings answer the figure's question and
/// the page shows them first, the rest folded: the see-saw's verdict; each cure or control
/// against its baseline and the headline figures' trends on the baseline line (where the
/// see-saw's verdict does not already say it) and their turns where clear, or their values
/// along a categorical axis, for the headline figures only (the high-noise MAE and the first
/// deterministic sampler's TID); the samplers compared; the note on a sparse TID radius and the
/// partial note. The rest (other figures, the other lines) follow.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Finding {
    pub text: String,
    pub lead: bool,
}

/// The findings of a study, one sentence each (the texts of [`ranked`], in its order).
pub fn findings(s: &StudyResult) -> Vec<String> {
    ranked(s).into_iter().map(|f| f.text).collect()
}

/// The findings of a study with their rank: the see-saw's verdict and the cures and controls
/// against their baselines first (they answer the figure's question), then how each figure
/// moves along the first axis, the samplers compared, a note on a sparse TID radius, and
/// whether the study is partial.
pub fn ranked(s: &StudyResult) -> Vec<Finding> {
    let Some(r) = Reading::new(s) else { return Vec::new() };
    let verdict = seesaw(s).map(|v| Finding { text: v.sentence(), lead: true });
    let said = verdict.is_some();
    let mut out: Vec<Finding> = verdict.into_iter().collect();
    out.extend(r.against_baselines());
    // A trend from the first value to the last only along a numeric axis (width, t', lr ...);
    // along a categorical one (data set, process) each value's figure is listed instead.
    let numeric = r.first.values.iter().all(|v| v.parse::<f64>().is_ok_and(f64::is_finite));
    out.extend(if numeric { r.trends(said) } else { r.by_value() });
    out.extend(r.samplers());
    out.extend(r.sparse_radius());
    let planned = s.cells.len() * s.seeds;
    if !s.missing.is_empty() {
        let text = format!("Partial: {} of {planned} runs are done; the figures above are over the seeds done so far.", planned - s.missing.len());
        out.push(Finding { text, lead: true });
    }
    out
}

/// The see-saw criterion (docs/seesaw-search.md), on a study over `width` with a `fixed-t`
/// axis holding `none` (full training) and `1` (the high-noise-only control), other axes at
/// their first value, between the narrowest and the widest net with figures: the see-saw shows
/// when, over the seeds done,
/// 1. MAE(t = 1) of full training rises from the narrowest to the widest net with the ± sd bars
///    apart;
/// 2. MAE(t = 0.1) of full training falls or stays (the widest's mean at most the narrowest's
///    mean + its sd);
/// 3. the control's MAE(t = 1) stays below full training's at the widest net.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Seesaw {
    pub narrow: String,
    pub wide: String,
    /// MAE(t = 1) and MAE(t = 0.1) of full training at the narrowest and widest nets, and the
    /// control's MAE(t = 1) at the widest.
    pub high: (Stat, Stat),
    pub low: (Stat, Stat),
    pub control: Stat,
    pub rises: bool,
    pub low_stays: bool,
    pub control_below: bool,
}

impl Seesaw {
    pub fn shows(&self) -> bool {
        self.rises && self.low_stays && self.control_below
    }

    /// One sentence: whether the see-saw shows, with the figures behind each part.
    pub fn sentence(&self) -> String {
        let (n, w) = (&self.narrow, &self.wide);
        let parts = [
            (self.rises, format!("MAE at t = 1 {} ({} to {})", change(&self.high.0, &self.high.1).trend(), pm(&self.high.0), pm(&self.high.1))),
            (
                self.low_stays,
                format!("MAE at t = 0.1 {} ({} to {})", if self.low_stays { "falls or stays" } else { "rises" }, pm(&self.low.0), pm(&self.low.1)),
            ),
            (
                self.control_below,
                format!(
                    "the high-noise-only control (fixed-t = 1) {} at width = {w} ({} against {})",
                    if self.control_below { "stays below full training" } else { "is not below full training" },
                    pm(&self.control),
                    pm(&self.high.1)
                ),
            ),
        ];
        let seeds = seeds_over(&self.high.0, &self.high.1, &format!("at width = {n}"), &format!("at width = {w}"));
        if self.shows() {
            let all: Vec<&String> = parts.iter().map(|(_, t)| t).collect();
            format!("The see-saw shows from width = {n} to {w} ({seeds}): {}, {} and {}.", all[0], all[1], all[2])
        } else {
            let failed: Vec<&String> = parts.iter().filter(|(ok, _)| !ok).map(|(_, t)| t).collect();
            format!(
                "By the see-saw criterion (MAE at t = 1 rising with the bars apart, MAE at t = 0.1 not rising, the control below at the widest net) the see-saw does not show from width = {n} to {w} ({seeds}): {}.",
                failed.iter().map(|t| t.as_str()).collect::<Vec<_>>().join("; ")
            )
        }
    }
}

/// The see-saw criterion of a study over `width` and `fixed-t` (see [`Seesaw`]); `None` where the
/// study lacks the axes or the figures, or has fewer than two seeds at either end.
pub fn seesaw(s: &StudyResult) -> Option<Seesaw> {
    let width = s.axes.iter().find(|a| a.name == "width")?;
    let fixed = s.axes.iter().find(|a| a.name == "fixed-t")?;
    let (full, ctl) = (fixed.values.iter().find(|v| *v == "none")?, fixed.values.iter().find(|v| v.parse::<f64>() == Ok(1.0))?);
    // A figure of the cell at this width and fixed-t (other axes at their first value).
    let metric = |w: &String, ft: &String, name: &str| -> Option<&Stat> {
        s.cells
            .iter()
            .find(|c| {
                c.settings.get("width") == Some(w)
                    && c.settings.get("fixed-t") == Some(ft)
                    && s.axes.iter().filter(|a| a.name != "width" && a.name != "fixed-t").all(|a| c.settings.get(&a.name) == a.values.first())
            })?
            .metrics
            .get(name)
    };
    // Full training's figures need error bars (two seeds or more).
    let stat = |w: &String, ft: &String, name: &str| metric(w, ft, name).filter(|m| m.std.is_some());
    let mut ws: Vec<&String> = width.values.iter().filter(|w| w.parse::<f64>().is_ok()).collect();
    ws.sort_by(|a, b| a.parse::<f64>().unwrap_or(0.0).total_cmp(&b.parse::<f64>().unwrap_or(0.0)));
    let with: Vec<&String> = ws.into_iter().filter(|w| stat(w, full, "mae_velocity@1").is_some() && stat(w, full, "mae_velocity@0.1").is_some()).collect();
    let (&narrow, &wide) = (with.first()?, with.last()?);
    if narrow == wide {
        return None;
    }
    let high = (stat(narrow, full, "mae_velocity@1")?.clone(), stat(wide, full, "mae_velocity@1")?.clone());
    let low = (stat(narrow, full, "mae_velocity@0.1")?.clone(), stat(wide, full, "mae_velocity@0.1")?.clone());
    let control = metric(wide, ctl, "mae_velocity@1").filter(|m| m.mean.is_some())?.clone();
    let mean = |m: &Stat| m.mean.unwrap_or(f64::NAN);
    let sd = |m: &Stat| m.std.unwrap_or(0.0);
    Some(Seesaw {
        narrow: narrow.clone(),
        wide: wide.clone(),
        rises: change(&high.0, &high.1).clear_rise(),
        low_stays: mean(&low.1) <= mean(&low.0) + sd(&low.0),
        control_below: mean(&control) < mean(&high.1),
        high,
        low,
        control,
    })
}
