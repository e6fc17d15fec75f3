//! Findings of a generations run in words, computed from its chains alone (the page shows them
//! next to the charts, the CLI prints them), as a study's ([`crate::study::findings`]):
//! - per sampler, D = chi^2(p_hat_i || p_data) late in the chains (averaged over the second half
//!   of the generations, which steadies one chain's generation-to-generation noise) at each
//!   fresh fraction a, with its spread over seeds, generation 0's and the data's own floor, and
//!   whether it is ordered by a as the recursive-training paper's (1 - a)^{2m} law says;
//! - how far D moved from generation 0 at each a;
//! - where a deterministic and a stochastic sampler both ran, their late D and TID at each a,
//!   and whether the ± sd bars are apart;
//! - how closely the geometric account (Thm 4.2's discounted sum of the measured single-
//!   generation errors I_i) follows the measured D_N.
//!
//! A sentence says only what the numbers show: one chain has no error bars and says so.

use super::{ChainResult, GenerationsResult};
use crate::sample::SamplerKind;
use crate::stats::{Change, Stat, apart, change, pm, sig, stat};
use crate::study::findings::list;

/// The generations a late figure averages: the second half, N/2 + 1 ..= N (11–20 of 20).
fn late_window(n: usize) -> (usize, usize) {
    ((n / 2 + 1).min(n), n)
}

/// The TID radius the findings and the generations view use by default: 0.05 where measured
/// (the middle of the 2D default list, 0.01–0.2), else the middle radius of the run's list.
pub fn tid_radius(g: &GenerationsResult) -> Option<f64> {
    let eps = &g.base.metrics.eps;
    eps.iter().copied().find(|&e| e == 0.05).or_else(|| eps.get(eps.len() / 2).copied())
}

fn mean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let v: Vec<f64> = v.filter(|x| x.is_finite()).collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// One (sampler, a) cell's late figures over its chains.
pub(crate) struct Cell {
    pub sampler: String,
    pub fresh: f64,
    pub late_d: Stat,
    d0: Stat,
    late_tid: Stat,
}

/// The whole chains of a generations run, parsed (one stopped early has no late generations
/// to average), and its number of generations.
fn whole_chains(g: &GenerationsResult) -> (Vec<ChainResult>, usize) {
    let n = g.base.recursion.as_ref().map(|r| r.generations).unwrap_or(0);
    let parsed: Vec<ChainResult> = g.runs.iter().filter_map(|v| serde_json::from_value(v.clone()).ok()).collect();
    (parsed.into_iter().filter(|c| c.error.is_none() && c.generations.len() == n + 1).collect(), n)
}

fn cells(chains: &[&ChainResult], n: usize, e: Option<f64>) -> Vec<Cell> {
    let (lo, hi) = late_window(n);
    let mut out: Vec<Cell> = Vec::new();
    let mut keys: Vec<(String, f64)> = Vec::new();
    for c in chains {
        if !keys.iter().any(|(s, a)| *s == c.sampler && *a == c.fresh) {
            keys.push((c.sampler.clone(), c.fresh));
        }
    }
    for (s, a) in keys {
        let these: Vec<&&ChainResult> = chains.iter().filter(|c| c.sampler == s && c.fresh == a).collect();
        let late = |f: &dyn Fn(&super::GenerationRecord) -> Option<f64>| -> Stat {
            stat(these.iter().map(|c| mean(c.generations[lo..=hi].iter().filter_map(f))).collect())
        };
        let tid_at = |g: &super::GenerationRecord| e.and_then(|e| g.tid.iter().find(|t| t.point.eps == e)).and_then(|t| t.point.tid);
        out.push(Cell {
            late_d: late(&|g| Some(g.chi2)),
            d0: stat(these.iter().map(|c| Some(c.generations[0].chi2)).collect()),
            late_tid: late(&tid_at),
            sampler: s,
            fresh: a,
        });
    }
    out
}

fn seed_count(cells: &[&Cell]) -> String {
    let ns: Vec<usize> = cells.iter().map(|c| c.late_d.values.iter().flatten().count()).collect();
    let (lo, hi) = (ns.iter().copied().min().unwrap_or(0), ns.iter().copied().max().unwrap_or(0));
    let chains = |n: usize| if n == 1 { "1 chain".to_string() } else { format!("{n} chains") };
    match (lo == hi, lo) {
        (true, 1) => "1 chain each: no error bars".into(),
        (true, n) => format!("mean ± sd over {} each", chains(n)),
        _ => format!("{lo} to {hi} chains each"),
    }
}

fn label(sampler: &str) -> String {
    SamplerKind::label_of(sampler).to_string()
}

/// The findings of a generations run, one sentence each.
pub fn findings(g: &GenerationsResult) -> Vec<String> {
    // Whole chains only: one stopped early has no late generations to average.
    let (parsed, n) = whole_chains(g);
    let chains: Vec<&ChainResult> = parsed.iter().collect();
    let mut out = Vec::new();
    if chains.is_empty() || n == 0 {
        return out;
    }
    let (lo, hi) = late_window(n);
    let window = if lo == hi { format!("at generation {hi}") } else { format!("averaged over generations {lo}–{hi}") };
    let e = tid_radius(g);
    let all = cells(&chains, n, e);
    let null = mean(chains.iter().map(|c| c.chi2_null)).unwrap_or(f64::NAN);
    let mut samplers: Vec<&str> = Vec::new();
    for c in &all {
        if !samplers.contains(&c.sampler.as_str()) {
            samplers.push(&c.sampler);
        }
    }
    for s in &samplers {
        let mut these: Vec<&Cell> = all.iter().filter(|c| c.sampler == *s).collect();
        these.sort_by(|a, b| a.fresh.total_cmp(&b.fresh));
        let at: Vec<String> = these.iter().map(|c| format!("{} at a = {}", pm(&c.late_d), c.fresh)).collect();
        let mut text = format!(
            "With {} in the loop, D = χ²(p̂ᵢ‖p_data) {window} is {} ({}); generation 0 gives {} and a fresh draw of the data {}.",
            label(s),
            list(&at),
            seed_count(&these),
            // Generation 0 trains on data alone: the same net for every a and sampler of a seed.
            pm(&these[0].d0),
            sig(null)
        );
        if these.len() >= 2 {
            // The (1 - a)^{2m} law: the less fresh data, the larger D.
            let falls = these.windows(2).all(|w| w[0].late_d.mean.unwrap_or(f64::NAN) > w[1].late_d.mean.unwrap_or(f64::NAN));
            let overlapping: Vec<String> = these
                .windows(2)
                .filter(|w| apart(&w[0].late_d, &w[1].late_d) == Some(false))
                .map(|w| format!("a = {} and {}", w[0].fresh, w[1].fresh))
                .collect();
            if falls {
                text.push_str(" The less fresh data, the larger D, as the (1 − a)^{2m} law predicts");
            } else {
                let against: Vec<String> = these
                    .windows(2)
                    .filter(|w| w[0].late_d.mean.unwrap_or(f64::NAN) <= w[1].late_d.mean.unwrap_or(f64::NAN))
                    .map(|w| format!("a = {} is not above a = {}", w[0].fresh, w[1].fresh))
                    .collect();
                text.push_str(&format!(" Not ordered as the (1 − a)^{{2m}} law predicts (the less fresh data, the larger D): {}", list(&against)));
            }
            if !overlapping.is_empty() {
                text.push_str(&format!(" ({} within their ± sd bars)", list(&overlapping)));
            }
            text.push('.');
        }
        out.push(text);
        let moved: Vec<String> = these.iter().filter_map(|c| Some(format!("{} at a = {}", sig(c.late_d.mean? / c.d0.mean?), c.fresh))).collect();
        if !moved.is_empty() {
            out.push(format!("With {} in the loop, D {window} over generation 0's: {}.", label(s), list(&moved)));
        }
    }
    // A deterministic sampler in the loop against a stochastic one, at each a.
    let det = samplers.iter().find(|s| SamplerKind::stochastic_of(s) == Some(false));
    let sto = samplers.iter().find(|s| SamplerKind::stochastic_of(s) == Some(true));
    if let (Some(d), Some(st)) = (det, sto) {
        let mut fresh: Vec<f64> = all.iter().map(|c| c.fresh).collect();
        fresh.sort_by(f64::total_cmp);
        fresh.dedup();
        for a in fresh {
            let (Some(cd), Some(cs)) = (all.iter().find(|c| c.sampler == *d && c.fresh == a), all.iter().find(|c| c.sampler == *st && c.fresh == a)) else {
                continue;
            };
            // Bars apart or not; with one chain a side, `seed_count` already says there are none.
            let bars = |c: Change| match c.apart {
                Some(true) => "; bars apart",
                Some(false) => "; bars overlap",
                None => "",
            };
            let d_change = change(&cs.late_d, &cd.late_d);
            let mut text = format!(
                "At a = {a}, {}'s D {window} is {} {}'s: {} against {} ({}{})",
                label(d),
                if d_change.higher { "above" } else { "not above" },
                label(st),
                pm(&cd.late_d),
                pm(&cs.late_d),
                seed_count(&[cd, cs]),
                bars(d_change)
            );
            if let (Some(e), Some(_), Some(_)) = (e, cd.late_tid.mean, cs.late_tid.mean) {
                text.push_str(&format!("; its TID({e}) is {} against {}", pm(&cd.late_tid), pm(&cs.late_tid)));
                if let Some(b) = bars(change(&cs.late_tid, &cd.late_tid)).strip_prefix("; ") {
                    text.push_str(&format!(" ({b})"));
                }
            }
            text.push('.');
            out.push(text);
        }
    }
    // Thm 4.2: D_N of the order of the geometric account sum_{i<N} (1 - a)^{2(N-1-i)} I_i.
    let mut ratios: Vec<f64> =
        chains.iter().flat_map(|c| c.generations[1..].iter().map(|g| g.chi2 / g.geometric)).filter(|r| r.is_finite() && *r > 0.0).collect();
    if !ratios.is_empty() {
        ratios.sort_by(f64::total_cmp);
        let (min, max, med) = (ratios[0], ratios[ratios.len() - 1], ratios[ratios.len() / 2]);
        let within = ratios.iter().filter(|r| (0.5..=2.0).contains(*r)).count();
        out.push(format!(
            "The geometric account Σᵢ (1 − a)^{{2(N−1−i)}} Iᵢ (Thm 4.2: D_N is of its order) against the measured D_N: the ratio D_N / account is {} to {} (median {}), within a factor of 2 in {within} of {} generations ({} chain{}).",
            sig(min),
            sig(max),
            sig(med),
            ratios.len(),
            chains.len(),
            if chains.len() == 1 { "" } else { "s" }
        ));
    }
    let planned = g.cells.len() * g.seeds;
    if !g.missing.is_empty() {
        out.push(format!("Partial: {} of {planned} chains done; these sentences cover those.", planned - g.missing.len()));
    }
    out
}
