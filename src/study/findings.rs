//! Findings of a study in words, computed from its numbers alone (the page shows them next to
//! the many-net figures, the CLI prints them): for each line of the charts (the other axes
//! fixed), how a figure moves from the first value of the first axis to the last, with its mean
//! ± sd over seeds, and whether the ± sd bars are apart; and, where the study ran deterministic
//! and stochastic samplers, in how many cells each deterministic one's TID is above the first
//! stochastic one's. A sentence says only what the numbers show: "rises" needs the bars apart,
//! overlapping bars read "no clear change".

use super::{Stat, StudyResult};
use crate::metrics::tid::FEW_NEIGHBOURS;
use crate::sample::SamplerKind;

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

/// The findings prefer radii where the data's points have at least this many neighbours each:
/// in 10-D that is e = 0.3 (0.32 per point, TID's spread ±0.25) over 0.25 (0.05, ±5).
const PREFERRED_NEIGHBOURS: f64 = 0.1;

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
    let mut eps: Vec<&str> =
        names.iter().filter(|n| n.starts_with("tid@") && has_value(n)).filter_map(|n| n.rsplit('@').next()).collect();
    eps.sort_by(|a, b| a.parse::<f64>().unwrap_or(0.0).total_cmp(&b.parse::<f64>().unwrap_or(0.0)));
    eps.dedup();
    let dense: Vec<&str> = eps.iter().copied().filter(|e| data_neighbours(s, e).is_none_or(|n| n >= PREFERRED_NEIGHBOURS)).collect();
    let pool = if dense.is_empty() { &eps } else { &dense };
    pool.iter()
        .min_by(|a, b| {
            let d = |x: &&&str| (x.parse::<f64>().unwrap_or(f64::INFINITY).ln() - 0.02f64.ln()).abs();
            d(a).partial_cmp(&d(b)).unwrap_or(std::cmp::Ordering::Equal)
        })
        .map(|s| s.to_string())
}

fn label(name: &str) -> String {
    let parts: Vec<&str> = name.split('@').collect();
    match parts.as_slice() {
        ["mae_velocity", t] => format!("MAE of the velocity at t = {t}"),
        ["tid", s, e] => format!("TID({e}) of {}", SamplerKind::parse(s).map(|k| k.label()).unwrap_or(s)),
        _ => name.to_string(),
    }
}

pub(crate) fn pm(s: &Stat) -> String {
    let m = s.mean.unwrap_or(f64::NAN);
    match s.std {
        Some(sd) => format!("{} ± {}", sig(m), sig(sd)),
        None => sig(m),
    }
}

pub(crate) fn sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (2 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
}

fn n_of(s: &Stat) -> usize {
    s.values.iter().flatten().filter(|v| v.is_finite()).count()
}

/// Whether the ± sd bars of a and b are apart (both with at least two seeds).
pub(crate) fn apart(a: &Stat, b: &Stat) -> Option<bool> {
    let (ma, sa, mb, sb) = (a.mean?, a.std?, b.mean?, b.std?);
    Some(ma + sa < mb - sb || mb + sb < ma - sa)
}

/// How a figure moves from a to b, as far as the ± sd bars tell.
fn trend(a: &Stat, b: &Stat) -> &'static str {
    let higher = b.mean.unwrap_or(f64::NAN) > a.mean.unwrap_or(f64::NAN);
    match apart(a, b) {
        Some(true) if higher => "rises",
        Some(true) => "falls",
        Some(false) => "shows no clear change (the ± sd bars overlap)",
        None if higher => "is higher (one seed: no error bars)",
        None => "is lower (one seed: no error bars)",
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

/// The findings of a study, one sentence each.
pub fn findings(s: &StudyResult) -> Vec<String> {
    let mut out = Vec::new();
    let Some(first) = s.axes.first() else { return out };
    let names = metric_names(s);
    // The TID radius and the figures followed, found once.
    let tid_e = tid_eps(s, &names);
    let followed = followed(&names, tid_e.as_deref());
    let rest: Vec<&super::Axis> = s.axes.iter().skip(1).collect();
    // The lines of the charts: one per combination of the other axes.
    let mut groups: Vec<std::collections::BTreeMap<String, String>> = Vec::new();
    for c in &s.cells {
        let g: std::collections::BTreeMap<String, String> =
            rest.iter().map(|a| (a.name.clone(), c.settings.get(&a.name).cloned().unwrap_or_default())).collect();
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    // A trend from the first value to the last only along a numeric axis (width, t', lr ...);
    // along a categorical one (data set, process) each value's figure is listed instead.
    let numeric = first.values.iter().all(|v| v.parse::<f64>().is_ok_and(f64::is_finite));
    if !numeric {
        for metric in followed.iter().cloned() {
            for g in &groups {
                let parts: Vec<String> = first
                    .values
                    .iter()
                    .filter_map(|v| {
                        let c = s.cells.iter().find(|c| c.settings.get(&first.name) == Some(v) && g.iter().all(|(k, x)| c.settings.get(k) == Some(x)))?;
                        let m = c.metrics.get(&metric)?;
                        m.mean.map(|_| format!("{v} {}", pm(m)))
                    })
                    .collect();
                if parts.is_empty() {
                    continue;
                }
                let within = if g.is_empty() { String::new() } else {
                    format!(" with {}", g.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", "))
                };
                out.push(format!("{}{within} by {}: {} (mean ± sd over seeds).", label(&metric), first.name, parts.join("; ")));
            }
        }
    }
    if numeric {
        {
            for metric in followed.iter().cloned() {
                for g in &groups {
                    let cell = |v: &String| {
                        s.cells.iter().find(|c| c.settings.get(&first.name) == Some(v) && g.iter().all(|(k, x)| c.settings.get(k) == Some(x)))
                    };
                    // The first and last values with a figure: a partial study has the ends it has.
                    let with: Vec<&String> = first
                        .values
                        .iter()
                        .filter(|v| cell(v).and_then(|c| c.metrics.get(&metric)).is_some_and(|m| m.mean.is_some()))
                        .collect();
                    let (Some(&lo), Some(&hi)) = (with.first(), with.last()) else { continue };
                    if lo == hi {
                        continue;
                    }
                    let (Some(a), Some(b)) = (cell(lo).and_then(|c| c.metrics.get(&metric)), cell(hi).and_then(|c| c.metrics.get(&metric)))
                    else {
                        continue;
                    };
                    let (Some(ma), Some(mb)) = (a.mean, b.mean) else { continue };
                    let within = if g.is_empty() { String::new() } else {
                        format!(" with {}", g.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", "))
                    };
                    out.push(format!(
                        "{}{within} {} from {} at {} = {lo} to {} at {} = {hi} ({}).",
                        label(&metric),
                        trend(a, b),
                        pm(a),
                        first.name,
                        pm(b),
                        first.name,
                        seeds_over(a, b, &format!("at {} = {lo}", first.name), &format!("at {} = {hi}", first.name))
                    ));
                    // A turn on the way (the see-saw's width curve falls, then rises): the
                    // lowest (highest) value between the ends, where it is below (above) both,
                    // and the trend from there to the last value.
                    let inner: Vec<(&String, &Stat)> =
                        with[1..with.len() - 1].iter().filter_map(|v| Some((*v, cell(v)?.metrics.get(&metric)?))).collect();
                    let mean = |m: &Stat| m.mean.unwrap_or(f64::NAN);
                    let low = inner.iter().min_by(|x, y| mean(x.1).total_cmp(&mean(y.1))).filter(|x| mean(x.1) < ma.min(mb));
                    let high = inner.iter().max_by(|x, y| mean(x.1).total_cmp(&mean(y.1))).filter(|x| mean(x.1) > ma.max(mb));
                    for (turn, word) in [(low, "lowest"), (high, "highest")] {
                        let Some(&(at, m)) = turn else { continue };
                        out.push(format!(
                            "{}{within} is {word} at {} = {at} ({}) and {} from there to {} at {} = {hi} ({}).",
                            label(&metric),
                            first.name,
                            pm(m),
                            trend(m, b),
                            pm(b),
                            first.name,
                            seeds_over(m, b, &format!("at {} = {at}", first.name), &format!("at {} = {hi}", first.name))
                        ));
                    }
                }
            }
        }
    }
    // A later axis (a control or a cure: fixed-t, two-model, parameterization) against its first
    // value, at the last value of the first axis with figures for both (the widest net done).
    // These answer the figure's question (does the cure help?), so they come first, after the
    // see-saw's verdict.
    let trends = std::mem::take(&mut out);
    if let Some(v) = seesaw(s) {
        out.push(v.sentence());
    }
    for (ai, axis) in s.axes.iter().enumerate().skip(1) {
        let Some(base) = axis.values.first() else { continue };
        for other in axis.values.iter().skip(1) {
            for metric in followed.iter().cloned() {
                let cell = |first_v: &String, v: &String| {
                    s.cells.iter().find(|c| {
                        c.settings.get(&first.name) == Some(first_v)
                            && c.settings.get(&axis.name) == Some(v)
                            // further axes at their first value
                            && s.axes.iter().enumerate().skip(1).filter(|(j, _)| *j != ai).all(|(_, a)| c.settings.get(&a.name) == a.values.first())
                    })
                };
                let stat = |first_v: &String, v: &String| cell(first_v, v).and_then(|c| c.metrics.get(&metric)).filter(|m| m.mean.is_some());
                let Some(at) = first.values.iter().rev().find(|fv| stat(fv, base).is_some() && stat(fv, other).is_some()) else { continue };
                let (a, b) = (stat(at, base).unwrap(), stat(at, other).unwrap());
                let (ma, mb) = (a.mean.unwrap_or(f64::NAN), b.mean.unwrap_or(f64::NAN));
                let seeds = seeds_over(b, a, &format!("with {} = {other}", axis.name), &format!("with {} = {base}", axis.name));
                let verb = match apart(a, b) {
                    Some(true) if mb > ma => "is higher",
                    Some(true) => "is lower",
                    Some(false) => "shows no clear difference (the ± sd bars overlap)",
                    None => if mb > ma { "is higher (one seed: no error bars)" } else { "is lower (one seed: no error bars)" },
                };
                // The same comparison at the other values of the first axis (the narrower nets),
                // grouped by what the bars tell: a cure may hold at some widths and not others.
                let mut groups: Vec<(&'static str, Vec<String>)> = Vec::new();
                for fv in first.values.iter().filter(|fv| *fv != at) {
                    let (Some(a), Some(b)) = (stat(fv, base), stat(fv, other)) else { continue };
                    let higher = b.mean.unwrap_or(f64::NAN) > a.mean.unwrap_or(f64::NAN);
                    let v = match (apart(a, b), higher) {
                        (Some(true), true) => "higher with the bars apart",
                        (Some(true), false) => "lower with the bars apart",
                        (Some(false), true) => "higher with the bars overlapping",
                        (Some(false), false) => "lower with the bars overlapping",
                        (None, true) => "higher (one seed)",
                        (None, false) => "lower (one seed)",
                    };
                    match groups.iter_mut().find(|(g, _)| *g == v) {
                        Some((_, vs)) => vs.push(fv.clone()),
                        None => groups.push((v, vec![fv.clone()])),
                    }
                }
                let elsewhere = if groups.is_empty() {
                    String::new()
                } else {
                    let parts: Vec<String> =
                        groups.iter().map(|(v, vs)| format!("{v} at {} = {}", first.name, crate::generations::findings::list(vs))).collect();
                    format!(" Elsewhere it is {}.", parts.join("; "))
                };
                out.push(format!(
                    "At {} = {at}, {} with {} = {other} {verb}: {} against {} with {} = {base} ({seeds}).{elsewhere}",
                    first.name,
                    label(&metric),
                    axis.name,
                    pm(b),
                    pm(a),
                    axis.name,
                ));
            }
        }
    }
    out.extend(trends);
    // Deterministic against stochastic samplers, cell by cell.
    if let Some(e) = tid_e.clone() {
        // Each deterministic sampler of the study against the first stochastic one.
        let has = |k: &&SamplerKind| names.contains(&format!("tid@{}@{e}", k.name()));
        let sto = SamplerKind::ALL.iter().filter(|k| k.is_stochastic()).find(has);
        for (d, st) in SamplerKind::ALL.iter().filter(|k| !k.is_stochastic()).filter(has).filter_map(|d| Some((d, sto?))) {
            let (mut higher, mut clear, mut total) = (0, 0, 0);
            let mut where_clear = Vec::new();
            for c in &s.cells {
                let (Some(a), Some(b)) = (c.metrics.get(&format!("tid@{}@{e}", d.name())), c.metrics.get(&format!("tid@{}@{e}", st.name()))) else {
                    continue;
                };
                let (Some(ma), Some(mb)) = (a.mean, b.mean) else { continue };
                total += 1;
                if ma > mb {
                    higher += 1;
                    if apart(a, b) == Some(true) {
                        clear += 1;
                        where_clear.push(c.settings.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", "));
                    }
                }
            }
            if total > 0 {
                out.push(format!(
                    "TID({e}) of {} is above that of {} in {higher} of {total} cells ({clear} with the ± sd bars apart): {}.",
                    d.label(),
                    st.label(),
                    if higher == total { "the deterministic sampler's samples are the more concentrated everywhere".to_string() }
                    else if higher == 0 { "the deterministic sampler's samples are nowhere the more concentrated".to_string() }
                    else if clear > 0 && clear < total && where_clear.len() <= 6 { format!("not in every cell; clearly above at {}", where_clear.join("; ")) }
                    else { "not in every cell".to_string() }
                ));
            }
        }
    }
    // A radius where the data's points have almost no neighbours: say why TID is so noisy there.
    if let Some(e) = tid_e.clone() {
        if let Some(n) = data_neighbours(s, &e).filter(|&n| n < FEW_NEIGHBOURS) {
            out.push(format!(
                "At e = {e} the training set's points have {} neighbours each on average (ANSD), so TID there rests on a few pairs of points and its spread over seeds is large; \
                 none of the radii this study measured gives them {PREFERRED_NEIGHBOURS} or more (a larger radius would tell more).",
                sig(n)
            ));
        }
    }
    let planned = s.cells.len() * s.seeds;
    if !s.missing.is_empty() {
        out.push(format!(
            "Partial: {} of {planned} runs are done; the figures above are over the seeds done so far.",
            planned - s.missing.len()
        ));
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
            (self.rises, format!("MAE at t = 1 {} ({} to {})", trend(&self.high.0, &self.high.1), pm(&self.high.0), pm(&self.high.1))),
            (self.low_stays, format!("MAE at t = 0.1 {} ({} to {})", if self.low_stays { "falls or stays" } else { "rises" }, pm(&self.low.0), pm(&self.low.1))),
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
            format!(
                "The see-saw shows from width = {n} to {w} ({seeds}): {}, {} and {}.",
                all[0], all[1], all[2]
            )
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
        rises: apart(&high.0, &high.1) == Some(true) && mean(&high.1) > mean(&high.0),
        low_stays: mean(&low.1) <= mean(&low.0) + sd(&low.0),
        control_below: mean(&control) < mean(&high.1),
        high,
        low,
        control,
    })
}
