//! The evidence a verdict reads, and the gates a run passes before it counts.
//!
//! A run is read from a study file (`runs[i]`: seed, settings, spec, result) or a saved run
//! (`spec`, `result`): one [`Run`] either way. Before a run's figures count toward a claim it
//! passes the claim's **gates** ([`tid_gates`], [`finite`]): the study's run finished; the
//! data-vs-data floor at the radius is stable; each deterministic sampler compared converged
//! (finite samples, no "did not converge" note); and the run's stochastic reference lies near
//! the data (its TID inside the data-vs-data band, its marginal accuracy close to fresh
//! data's). A run that fails a gate is listed under the row as excluded, with the reason.
//!
//! What shares a seed is compared per seed ([`compare`]): the difference of the two figures in
//! each seed's run(s), its mean with a 95 % t interval over the seeds, and the seeds on each
//! side (`crate::stats::paired`).
//!
//! **The data-vs-data band.** The floor (TID of a fresh draw of the data against the training
//! reference) depends on the data set, the radius, Hill's k, the sample size and the seed, not
//! on the net. [`Floors`] gathers every shipped run's floor by those settings, one value per
//! seed, so a single run's band is read from every seed the lab has drawn: the band is the
//! floors' mean ± [`BAND_SDS`] sd over seeds (with fewer than 3 seeds, ± 3 times the run's
//! own spread over reference draws, and the row says so).

use crate::sample::SamplerKind;
use crate::stats::{Paired, Reading, paired};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The band's half-width in standard deviations of the floor over seeds.
pub const BAND_SDS: f64 = 3.0;
/// A floor is stable where its mean over seeds and its band's half-width are both at most this
/// (in TID's units, a difference of tail indices): the effects tested are 0.5–5, and the
/// floors of Hill's k = 50 or 100 on the chessboard span −41 to +34.
pub const FLOOR_LIMIT: f64 = 2.0;
/// The stochastic reference's marginal accuracy may fall at most this far below fresh data's:
/// the shipped nets that reach the data lie within 0.12 (10-D) and 0.05 (2D); the failed ones
/// (EDM without preconditioning, the SDE at 10 or 20 evaluations) 0.21 or more below.
pub const MA_GAP: f64 = 0.15;

/// The gates, in words (each row prints those it applies).
pub const GATE_RUN: &str = "the run finished with a result";
pub const GATE_FLOOR: &str = "the data-vs-data floor at the radius is stable: its mean over seeds and its band's half-width (3 sd over seeds) both within ±2";
pub const GATE_DET: &str = "each deterministic sampler compared converged: finite samples, no \"did not converge\" note, a TID at the radius";
pub const GATE_REF: &str = "the run's stochastic reference sits near the data: its TID inside the data-vs-data band (floor mean ± 3 sd over seeds) and its marginal accuracy within 0.15 of fresh data's";
pub const GATE_FINITE: &str = "the run finished and the figure is finite";

/// One run a verdict reads.
#[derive(Clone, Debug)]
pub struct Run<'a> {
    pub file: &'a str,
    pub seed: u64,
    pub settings: BTreeMap<String, String>,
    pub spec: &'a Value,
    pub result: Option<&'a Value>,
    /// A study run's figures by name (`mae_velocity@1`, `tid@ode@0.3`); none for a saved run.
    pub metrics: Option<&'a Value>,
    pub error: Option<&'a str>,
}

impl Run<'_> {
    /// A study run's figure by name, where finite.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics?.get(name)?.as_f64().filter(|x| x.is_finite())
    }

    /// Whether the run's settings hold every `(name, value)` of `at`.
    pub fn is_at(&self, at: &[(&str, &str)]) -> bool {
        at.iter().all(|(k, v)| self.settings.get(*k).map(String::as_str) == Some(*v))
    }

    /// "fig3-tid, seed 2 (dataset = spiral)".
    pub fn name(&self) -> String {
        let s = place_of(&self.settings);
        if s.is_empty() { format!("{}, seed {}", self.file, self.seed) } else { format!("{}, seed {} ({s})", self.file, self.seed) }
    }
}

/// "dataset = spiral, width = 100".
pub fn place_of(settings: &BTreeMap<String, String>) -> String {
    settings.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", ")
}

/// The runs of a file: a study's `runs` (generations runs are read elsewhere), or a saved run.
pub fn runs_of<'a>(file: &'a str, v: &'a Value) -> Vec<Run<'a>> {
    if let Some(list) = v.get("runs").and_then(Value::as_array) {
        return list
            .iter()
            .filter(|r| r.get("spec").is_some())
            .map(|r| Run {
                file,
                seed: r["seed"].as_u64().unwrap_or(0),
                settings: r
                    .get("settings")
                    .and_then(Value::as_object)
                    .map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
                    .unwrap_or_default(),
                spec: &r["spec"],
                result: r.get("result").filter(|x| !x.is_null()),
                metrics: r.get("metrics"),
                error: r.get("error").and_then(Value::as_str),
            })
            .collect();
    }
    match (v.get("result"), v.get("spec").or_else(|| v.get("result").and_then(|r| r.get("spec")))) {
        (Some(result), Some(spec)) => {
            vec![Run { file, seed: spec["seed"].as_u64().unwrap_or(0), settings: BTreeMap::new(), spec, result: Some(result), metrics: None, error: None }]
        }
        _ => Vec::new(),
    }
}

/// The words of a sampler ("the probability-flow ODE" is "ODE" here), or "the data" for the floor.
pub fn label(side: &str) -> String {
    if side == "data" {
        return "the data's own".to_string();
    }
    SamplerKind::label_of(side).to_string()
}

pub fn is_stochastic(sampler: &str) -> bool {
    SamplerKind::stochastic_of(sampler) == Some(true)
}

/// One TID entry (`tid[sampler]` or, for "data", the floor `tid_null`) at radius e.
pub fn tid_entry<'a>(result: &'a Value, side: &str, e: f64) -> Option<&'a Value> {
    let list = if side == "data" { result.get("tid_null")? } else { result.get("tid")?.get(side)? };
    list.as_array()?.iter().find(|p| p["eps"].as_f64() == Some(e))
}

/// TID at radius e of a sampler or of the data's fresh draw (the floor).
pub fn tid(result: &Value, side: &str, e: f64) -> Option<f64> {
    tid_entry(result, side, e)?["tid"].as_f64().filter(|x| x.is_finite())
}

/// A field of the TID entry (`alpha_samples`, `ansd_ratio`, ...) of a side at radius e.
pub fn tid_field(result: &Value, side: &str, e: f64, field: &str) -> Option<f64> {
    tid_entry(result, side, e)?[field].as_f64().filter(|x| x.is_finite())
}

/// The samplers a run's result holds TIDs for.
pub fn samplers_of(result: &Value) -> Vec<String> {
    result.get("tid").and_then(Value::as_object).map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

/// The run's note that a sampler did not converge or blew up (`experiment::sampling`'s words).
pub fn divergence(result: &Value, sampler: &str) -> Option<String> {
    let finite = result.get("samplers").and_then(|s| s.get(sampler)).and_then(|s| s.get("finite")).and_then(Value::as_bool);
    if finite == Some(false) {
        return Some(format!("{} produced non-finite samples", label(sampler)));
    }
    result.get("notes")?.as_array()?.iter().filter_map(Value::as_str).find_map(|n| {
        (n.starts_with(&format!("{sampler}'s samples spread ")) || n.starts_with(&format!("{sampler} produced non-finite"))).then(|| {
            // "ode's samples spread 422 times as widely as the data (summed variance): ..." → the clause before the colon.
            let clause = n.split(':').next().unwrap_or(n);
            clause.replacen(&format!("{sampler}'s"), &format!("{}'s", label(sampler)), 1)
        })
    })
}

/// The radius a run's TID verdicts read: the one closest to 0.02 (log scale) among those where
/// the training set's points have 0.1 neighbours or more each (the study findings' choice: 0.02
/// in 2D, 0.3 in 10-D at the paper's radii).
pub fn radius(result: &Value) -> Option<f64> {
    let list = result.get("tid")?.as_object()?.values().next()?.as_array()?;
    let radii: Vec<(f64, Option<f64>)> = list.iter().filter_map(|p| Some((p["eps"].as_f64()?, p["ansd_train"].as_f64()))).collect();
    crate::metrics::tid::headline_radius(&radii).map(|i| radii[i].0)
}

/// The radius of a set of runs: the first run with a result decides.
pub fn radius_of(runs: &[Run]) -> Option<f64> {
    runs.iter().find_map(|r| r.result.and_then(radius))
}

/// The settings a floor depends on, and the radius.
fn floor_key(spec: &Value, e: f64) -> String {
    let s = |p: &str| spec.pointer(p).map(|v| v.to_string()).unwrap_or_default();
    format!("{}|{}|{}|{}|{}|{e}", s("/dataset"), s("/dim"), s("/data_size"), s("/sampling/n_samples"), s("/metrics/k"))
}

/// Every shipped run's data-vs-data floor, by (data set, dimension, size, samples, k, radius)
/// and seed.
#[derive(Default)]
pub struct Floors {
    by_key: BTreeMap<String, BTreeMap<u64, f64>>,
}

/// The data-vs-data band at one radius: the floors' mean ± half.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Band {
    pub mean: f64,
    pub half: f64,
    /// The seeds the band is drawn from (under 3: from one run's spread over reference draws).
    pub seeds: usize,
}

impl Band {
    pub fn holds(&self, x: f64) -> bool {
        (x - self.mean).abs() <= self.half
    }

    pub fn stable(&self) -> bool {
        self.mean.abs() <= FLOOR_LIMIT && self.half <= FLOOR_LIMIT
    }

    pub fn text(&self) -> String {
        let over = if self.seeds >= 3 { format!("3 sd over {} seeds", self.seeds) } else { "3 sd of one run's reference draws".to_string() };
        format!("{} to {} ({})", crate::stats::sig(self.mean - self.half), crate::stats::sig(self.mean + self.half), over)
    }
}

impl Floors {
    pub fn add(&mut self, runs: &[Run]) {
        for r in runs {
            let Some(result) = r.result else { continue };
            let Some(list) = result.get("tid_null").and_then(Value::as_array) else { continue };
            for p in list {
                let (Some(e), Some(t)) = (p["eps"].as_f64(), p["tid"].as_f64()) else { continue };
                if t.is_finite() {
                    self.by_key.entry(floor_key(r.spec, e)).or_default().insert(r.seed, t);
                }
            }
        }
    }

    /// The band at radius e for this run's settings.
    pub fn band(&self, run: &Run, e: f64) -> Option<Band> {
        let vals: Vec<f64> = self.by_key.get(&floor_key(run.spec, e))?.values().copied().collect();
        if vals.len() >= 3 {
            let s = crate::stats::stat(vals.iter().map(|v| Some(*v)).collect());
            return Some(Band { mean: s.mean?, half: BAND_SDS * s.std?, seeds: vals.len() });
        }
        let own = tid_entry(run.result?, "data", e)?;
        Some(Band { mean: own["tid"].as_f64()?, half: BAND_SDS * own["tid_std"].as_f64()?, seeds: vals.len() })
    }
}

/// The TID gates of a run whose samplers `sides` (and the floor, "data") are compared at
/// radius e: the run finished, the floor is stable, each deterministic side converged, and the
/// stochastic reference (the stochastic sides, or else the run's first stochastic sampler)
/// sits near the data.
pub fn tid_gates(run: &Run, floors: &Floors, sides: &[&str], e: f64) -> Result<(), String> {
    let result = result_of(run)?;
    let band = floors.band(run, e).ok_or_else(|| format!("the run has no data-vs-data floor at e = {e}"))?;
    if !band.stable() {
        return Err(format!(
            "the data-vs-data floor at e = {e} is not stable (band {}; the gate asks its mean and half-width within ±{FLOOR_LIMIT})",
            band.text()
        ));
    }
    for s in sides.iter().filter(|s| **s != "data" && !is_stochastic(s)) {
        if let Some(note) = divergence(result, s) {
            return Err(format!("{note}: the sampler did not converge"));
        }
        if tid(result, s, e).is_none() {
            return Err(format!("{} has no TID at e = {e}", label(s)));
        }
    }
    let mut refs: Vec<String> = sides.iter().filter(|s| is_stochastic(s)).map(|s| s.to_string()).collect();
    if refs.is_empty() {
        refs.extend(samplers_of(result).into_iter().filter(|s| is_stochastic(s)).take(1));
    }
    let null_ma = result.get("marginal_accuracy_null").and_then(Value::as_f64);
    for s in &refs {
        if let Some(note) = divergence(result, s) {
            return Err(format!("the stochastic reference did not converge ({note})"));
        }
        let t = tid(result, s, e).ok_or_else(|| format!("the stochastic reference {} has no TID at e = {e}", label(s)))?;
        if !band.holds(t) {
            return Err(format!(
                "the stochastic reference {}'s TID({e}) {} lies outside the data-vs-data band {}: its net or sampler did not reach the data",
                label(s),
                crate::stats::sig(t),
                band.text()
            ));
        }
        let ma = result.get("marginal_accuracy").and_then(|m| m.get(s.as_str())).and_then(Value::as_f64);
        if let (Some(ma), Some(null)) = (ma, null_ma)
            && ma < null - MA_GAP
        {
            return Err(format!(
                "the stochastic reference {}'s marginal accuracy {} is more than {MA_GAP} below fresh data's {}: its net did not learn the data",
                label(s),
                crate::stats::sig(ma),
                crate::stats::sig(null)
            ));
        }
    }
    Ok(())
}

/// The first gate: the run finished with a result (else why not).
fn result_of<'a>(run: &Run<'a>) -> Result<&'a Value, String> {
    run.result.ok_or_else(|| match run.error {
        Some(err) => format!("the run failed ({err})"),
        None => "the run has no result (not run yet)".to_string(),
    })
}

/// The plain gate of a figure that needs no sampler (an MAE, a loss): the run finished and the
/// figure is finite.
pub fn finite(run: &Run, value: Option<f64>) -> Result<(), String> {
    result_of(run)?;
    match value {
        Some(v) if v.is_finite() => Ok(()),
        _ => Err("the figure is missing or not finite".to_string()),
    }
}

/// One paired comparison at one place: the figure `what` (a difference b − a that the claim
/// expects above zero) over the seeds both sides have and that passed the gates.
#[derive(Clone, Debug, Serialize)]
pub struct Test {
    pub place: String,
    pub what: String,
    /// The differences (seed, b − a), their mean, 95 % t interval and signs.
    pub paired: Paired,
    pub reading: Reading,
}

impl Test {
    pub fn new(place: impl Into<String>, what: impl Into<String>, paired: Paired) -> Test {
        let reading = paired.reading();
        Test { place: place.into(), what: what.into(), paired, reading }
    }

    /// "dataset = spiral: TID(0.02) of the ODE − the SDE's: +0.81 [0.62, 1.0] (95 % t interval over 5 seeds), above in 5 of 5 seeds."
    pub fn sentence(&self) -> String {
        let place = if self.place.is_empty() { String::new() } else { format!("{}: ", self.place) };
        format!("{place}{}: {}.", self.what, self.paired.text())
    }
}

/// A run left out of a row, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Excluded {
    pub run: String,
    pub because: String,
}

/// Collects the excluded runs of a row once each.
#[derive(Default)]
pub struct Exclusions(pub Vec<Excluded>);

impl Exclusions {
    pub fn add(&mut self, run: &Run, because: String) {
        let e = Excluded { run: run.name(), because };
        if !self.0.contains(&e) {
            self.0.push(e);
        }
    }
}

/// b − a per seed: for each seed, `a` read from its run in `a_runs` and `b` from its run in
/// `b_runs` (the same run where both sides are samplers of one net), each run passing `gate`
/// (a failing run is excluded, with the reason); `None` where no seed has both.
#[allow(clippy::too_many_arguments)]
pub fn compare(
    place: &str,
    what: &str,
    a_runs: &[&Run],
    b_runs: &[&Run],
    a: &dyn Fn(&Run) -> Option<f64>,
    b: &dyn Fn(&Run) -> Option<f64>,
    gate: &dyn Fn(&Run) -> Result<(), String>,
    out: &mut Exclusions,
) -> Option<Test> {
    let mut seeds: Vec<u64> = a_runs.iter().map(|r| r.seed).filter(|s| b_runs.iter().any(|r| r.seed == *s)).collect();
    seeds.sort_unstable();
    seeds.dedup();
    let (mut xs, mut ys, mut kept) = (Vec::new(), Vec::new(), Vec::new());
    for s in seeds {
        let (Some(ra), Some(rb)) = (a_runs.iter().find(|r| r.seed == s), b_runs.iter().find(|r| r.seed == s)) else { continue };
        let mut ok = true;
        for r in [ra, rb] {
            if let Err(why) = gate(r) {
                out.add(r, why);
                ok = false;
            }
        }
        if ok {
            xs.push(a(ra));
            ys.push(b(rb));
            kept.push(s);
        }
    }
    if kept.is_empty() {
        return None;
    }
    let mut p = paired(&xs, &ys);
    for d in &mut p.diffs {
        d.0 = kept[d.0] as usize;
    }
    Some(Test::new(place, what, p))
}
