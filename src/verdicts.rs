//! What reproduces: one verdict per claim of both papers (and per open question of the review),
//! computed from the files the page ships (`www/runs/ID.json`) by one rule per claim, written
//! here beside the findings it leans on (`study::findings`, `generations::findings`). No
//! verdict is written by hand: each is *reproduced*, *partly*, *not reproduced* or *not
//! tested* (its file is not shipped yet, or holds no figure the rule reads) from the numbers,
//! and each row carries the numbers behind it with their spread and seed count, and the
//! gallery entries that show its figure.
//!
//! The CLI prints them (`collapse-lab verdicts`), writes the page's copy
//! (`collapse-lab verdicts --json > www/verdicts.json`; `tests/shipped_runs.rs` checks that the
//! copy is what this module computes from the shipped files) and the page shows that copy as the
//! gallery's first step, "What reproduces".
//!
//! The rules share one reading of a comparison: "a above b" needs a's mean above b's and the
//! ± sd bars apart (over seeds for a study, the TID estimate's own ± sd for a single run). Most
//! rules count such comparisons over the places a claim speaks of (data sets, widths, budgets):
//! all of them → reproduced, some → partly, none → not reproduced.

use crate::diagnostics::hermite;
use crate::generations::findings::late_cells;
use crate::generations::GenerationsResult;
use crate::sample::SamplerKind;
use crate::stats::{apart, change, pm, sig, Stat};
use crate::study::findings::tid_radius;
use crate::study::StudyResult;
use serde::Serialize;
use serde_json::Value;

/// A verdict on one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Reproduced,
    Partly,
    NotReproduced,
    NotTested,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Reproduced => "reproduced",
            Outcome::Partly => "partly",
            Outcome::NotReproduced => "not reproduced",
            Outcome::NotTested => "not tested",
        }
    }

    /// All `clear` of `total` places → reproduced, some → partly, none → not reproduced; no
    /// place with figures → not tested.
    pub fn by_count(clear: usize, total: usize) -> Outcome {
        match (clear, total) {
            (_, 0) => Outcome::NotTested,
            (c, t) if c == t => Outcome::Reproduced,
            (0, _) => Outcome::NotReproduced,
            _ => Outcome::Partly,
        }
    }

    /// The weaker of two verdicts (a claim of two parts holds as far as its weaker part).
    fn and(self, other: Outcome) -> Outcome {
        let rank = |o: Outcome| match o {
            Outcome::Reproduced => 3,
            Outcome::Partly => 2,
            Outcome::NotReproduced => 1,
            Outcome::NotTested => 0,
        };
        if rank(self) <= rank(other) { self } else { other }
    }
}

/// One row of "What reproduces".
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// A short stable name of the claim.
    pub id: &'static str,
    /// The claim in a few words (the row's heading).
    pub title: &'static str,
    /// The paper's section ("Fig. 7a", "Recursive training, Fig. 1", "Open question").
    pub figure: &'static str,
    /// The claim, as the paper states it: "The paper reports: ..." (an open question says whose).
    pub claim: &'static str,
    pub outcome: Outcome,
    /// The numbers behind the verdict, one sentence each, with their spread and seeds.
    pub numbers: Vec<String>,
    /// How the verdict is computed, in words.
    pub rule: &'static str,
    /// The gallery entries that show the figure (preset ids; the first is the main one).
    pub links: &'static [&'static str],
}

/// Where the shipped files come from: `file(id)` is the parsed `www/runs/ID.json`, `None` where
/// it is not shipped (yet).
pub trait Files {
    fn file(&self, id: &str) -> Option<Value>;
}

impl<F: Fn(&str) -> Option<Value>> Files for F {
    fn file(&self, id: &str) -> Option<Value> {
        self(id)
    }
}

/// The files of a folder (`www/runs`), read when a rule asks for one.
pub struct Folder(pub std::path::PathBuf);

impl Files for Folder {
    fn file(&self, id: &str) -> Option<Value> {
        let text = std::fs::read_to_string(self.0.join(format!("{id}.json"))).ok()?;
        serde_json::from_str(&text).ok()
    }
}

/// Every verdict, in the gallery's reading order: collapse, where it forms, why, cures,
/// recursive training, the open questions.
pub fn verdicts(files: &dyn Files) -> Vec<Verdict> {
    let study = |id: &str| files.file(id).and_then(|v| serde_json::from_value::<StudyResult>(v).ok());
    let gens = |id: &str| files.file(id).and_then(|v| serde_json::from_value::<GenerationsResult>(v).ok());
    let run = |id: &str| files.file(id).and_then(|v| v.get("result").cloned());
    let mut out = Vec::new();
    out.push(collapse_2d(&[
        ("chessboard", run("fig2-chessboard")),
        ("spiral", run("fig11-spiral")),
        ("semicircle", run("fig11-semicircle")),
        ("mog", run("fig11-mog")),
    ]));
    out.push(ode_vs_sde_2d(study("fig3-tid").as_ref()));
    out.push(other_samplers(run("appK-samplers").as_ref()));
    out.push(processes(study("appJ-processes").as_ref()));
    out.push(collapse_10d(run("fig5-density").as_ref()));
    out.push(error_carried(&[("10-D, Fig. 6", run("fig6-velocity")), ("1-D, Fig. 13", run("fig13-velocity-1d"))]));
    let seesaw = study("fig7-seesaw");
    out.push(seesaw_high(seesaw.as_ref()));
    out.push(seesaw_low(seesaw.as_ref()));
    out.push(control(seesaw.as_ref()));
    out.push(hermite_prop1());
    out.push(cure("two-model", "Fig. 9a", TWO_MODEL, "two-model", &["0.6"], study("fig9-two-model").as_ref(), &["fig9-two-model"]));
    out.push(cure("skip", "Fig. 9b", SKIP, "parameterization", &["skip-fixed", "skip-learned"], study("fig9-skip").as_ref(), &["fig9-skip"]));
    out.push(corrector(study("fig9-skip").as_ref()));
    out.push(recursive_law(gens("rec-fig1").as_ref()));
    out.push(recursive_ode_vs_sde(gens("rec-ode-vs-sde").as_ref()));
    out.extend(open_questions(&study));
    out.push(robustness(run("open-robustness").as_ref()));
    for v in &mut out {
        v.title = TITLES.iter().find(|(id, _)| *id == v.id).map(|(_, t)| *t).unwrap_or(v.id);
    }
    out
}

/// Each claim in a few words, in the order of [`verdicts`].
const TITLES: &[(&str, &str)] = &[
    ("collapse-2d", "The ODE collapses on every 2D data set"),
    ("ode-vs-sde-2d", "The ODE's TID is above the SDE's on four sets"),
    ("other-samplers", "DDIM and DPM-Solver collapse too"),
    ("processes", "Other forward processes collapse too"),
    ("collapse-10d", "Collapse in 10-D, formed early"),
    ("error-carried", "The ODE carries the high-noise error down t"),
    ("seesaw-high", "See-saw: the error at t = 1 rises with width"),
    ("seesaw-low", "See-saw: the error at t = 0.1 falls with width"),
    ("control", "A high-noise-only net keeps t = 1 low"),
    ("hermite", "Prop. 1: the see-saw of polynomial fits"),
    ("two-model", "Cure: two nets split at t' = 0.6"),
    ("skip", "Cure: a skip connection"),
    ("corrector", "Cure: a stochastic corrector"),
    ("recursive-law", "Recursive training follows the (1 − a)^{2m} law"),
    ("recursive-ode-vs-sde", "An ODE in the loop drifts further than an SDE"),
    ("equal-compute", "Collapse at equal compute"),
    ("heun", "A second-order solver (Heun) collapses too"),
    ("training-length", "Collapse at every training length"),
    ("edm", "Collapse in EDM's design (2D)"),
    ("edm-nd", "Collapse in EDM's design (10-D)"),
    ("flow-matching", "Collapse in flow matching (2D)"),
    ("flow-matching-nd", "Collapse in flow matching (10-D)"),
    ("tid-robustness", "The verdict holds over TID's e and k"),
];

// ---- reading the files -------------------------------------------------------------------

/// A single run's TID of one sampler at radius e: (TID, its ± sd).
fn run_tid(result: &Value, sampler: &str, e: f64) -> Option<(f64, f64)> {
    let list = if sampler == "data" { result.get("tid_null")? } else { result.get("tid")?.get(sampler)? };
    let p = list.as_array()?.iter().find(|p| p["eps"].as_f64() == Some(e))?;
    Some((p["tid"].as_f64()?, p["tid_std"].as_f64().unwrap_or(0.0)))
}

/// The radius a single run's verdict reads: the one closest to 0.02 (log scale) among those
/// where the training set's points have 0.1 neighbours or more each (the study findings' choice:
/// 0.02 in 2D, 0.3 in 10-D).
fn run_radius(result: &Value) -> Option<f64> {
    let list = result.get("tid")?.as_object()?.values().next()?.as_array()?;
    let with: Vec<(f64, f64)> =
        list.iter().filter_map(|p| Some((p["eps"].as_f64()?, p["ansd_train"].as_f64().unwrap_or(f64::INFINITY)))).collect();
    let dense: Vec<f64> = with.iter().filter(|(_, n)| *n >= 0.1).map(|(e, _)| *e).collect();
    let pool: Vec<f64> = if dense.is_empty() { with.iter().map(|(e, _)| *e).collect() } else { dense };
    pool.into_iter().min_by(|a, b| (a.ln() - 0.02f64.ln()).abs().total_cmp(&(b.ln() - 0.02f64.ln()).abs()))
}

/// "1.77 ± 0.26" for a single run's TID.
fn tid_pm((t, sd): (f64, f64)) -> String {
    format!("{} ± {}", sig(t), sig(sd))
}

/// A single run's a above b: a's TID minus its ± sd above b's plus its ± sd.
fn run_above(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 - a.1 > b.0 + b.1
}

/// A study's cell: the one whose settings hold every pair of `at`, other axes at their first value.
fn cell_stat<'a>(s: &'a StudyResult, at: &[(&str, &str)], metric: &str) -> Option<&'a Stat> {
    s.cells
        .iter()
        .find(|c| {
            s.axes.iter().all(|a| match at.iter().find(|(k, _)| *k == a.name) {
                Some((_, v)) => c.settings.get(&a.name).map(String::as_str) == Some(*v),
                None => c.settings.get(&a.name) == a.values.first(),
            })
        })?
        .metrics
        .get(metric)
        .filter(|m| m.mean.is_some())
}

fn axis_values<'a>(s: &'a StudyResult, name: &str) -> Vec<&'a str> {
    s.axes.iter().find(|a| a.name == name).map(|a| a.values.iter().map(String::as_str).collect()).unwrap_or_default()
}

/// a above b over seeds: a's mean above and the ± sd bars apart.
fn above(a: &Stat, b: &Stat) -> bool {
    change(b, a).clear_rise()
}

fn seeds(s: &Stat) -> usize {
    s.values.iter().flatten().filter(|v| v.is_finite()).count()
}

/// "over 5 seeds" (or "over 3 to 5 seeds" where cells differ: a partial study).
fn over(stats: &[&Stat]) -> String {
    let ns: Vec<usize> = stats.iter().map(|s| seeds(s)).collect();
    let (lo, hi) = (ns.iter().copied().min().unwrap_or(0), ns.iter().copied().max().unwrap_or(0));
    let n = |k: usize| if k == 1 { "1 seed: no error bars".to_string() } else { format!("{k} seeds") };
    match (lo == hi, lo) {
        (true, 1) => n(1),
        (true, _) => format!("mean ± sd over {}", n(lo)),
        _ => format!("mean ± sd over {lo} to {hi} seeds"),
    }
}

/// A partial study's note (the verdict covers the runs done).
fn partial(s: &StudyResult) -> Option<String> {
    let planned = s.cells.len() * s.seeds;
    (!s.missing.is_empty()).then(|| format!("Partial: {} of {planned} runs done; the verdict covers those.", planned - s.missing.len()))
}

fn not_tested(id: &'static str, figure: &'static str, claim: &'static str, rule: &'static str, links: &'static [&'static str], why: &str) -> Verdict {
    Verdict { title: "", id, figure, claim, outcome: Outcome::NotTested, numbers: vec![why.to_string()], rule, links }
}

const NOT_SHIPPED: &str = "Its file is not shipped yet (scripts/make-gallery-runs.sh makes it).";

// ---- collapse ------------------------------------------------------------------------------

fn collapse_2d(runs: &[(&str, Option<Value>)]) -> Verdict {
    const CLAIM: &str = "The paper reports: the probability-flow ODE's samples collapse on every 2D data set (chessboard, spiral, semicircle, mixture of Gaussians): they gather in clumps the data does not have, and their TID lies above the data's own.";
    const RULE: &str = "Per data set, the shipped single run (one seed): the ODE's TID at e = 0.02 above the TID of a fresh draw of the data (its noise floor), with the ± sd of the TID estimate apart. All four → reproduced, some → partly, none → not reproduced.";
    let (mut clear, mut total, mut numbers) = (0, 0, Vec::new());
    for (name, r) in runs {
        let Some(r) = r else { continue };
        let Some(e) = run_radius(r) else { continue };
        let (Some(ode), Some(data)) = (run_tid(r, "ode", e), run_tid(r, "data", e)) else { continue };
        total += 1;
        let up = run_above(ode, data);
        clear += usize::from(up);
        let sde = run_tid(r, "sde", e).map(|s| format!(", SDE {}", tid_pm(s))).unwrap_or_default();
        numbers.push(format!("{name}: TID({e}) of the ODE {} against the data's {}{sde} ({}).", tid_pm(ode), tid_pm(data), if up { "above" } else { "not clearly above" }));
    }
    if total < runs.len() {
        numbers.push(format!("{} of {} data sets' files are shipped.", total, runs.len()));
    }
    Verdict { title: "", id: "collapse-2d", figure: "Fig. 2, 11", claim: CLAIM, outcome: Outcome::by_count(clear, total), numbers, rule: RULE, links: &["fig2-chessboard", "fig11-spiral", "fig11-semicircle", "fig11-mog"] }
}

/// Each `det` sampler's TID against `sto`'s in every cell of a study that has both, at the
/// study's findings radius: (cells clearly above, cells with both, where not).
fn det_vs_sto(s: &StudyResult, det: &str, sto: &str) -> (usize, usize, Vec<String>, Vec<String>) {
    let Some(e) = tid_radius(s) else { return (0, 0, vec![], vec![]) };
    let (a, b) = (format!("tid@{det}@{e}"), format!("tid@{sto}@{e}"));
    let (mut clear, mut total, mut not, mut each) = (0, 0, Vec::new(), Vec::new());
    for c in &s.cells {
        let (Some(x), Some(y)) = (c.metrics.get(&a).filter(|m| m.mean.is_some()), c.metrics.get(&b).filter(|m| m.mean.is_some())) else { continue };
        let place = c.settings.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", ");
        // One seed has no error bars: listed, not counted (a partial study's first runs).
        if x.std.is_none() || y.std.is_none() {
            each.push(format!("{place}: {} {} against {} {} ({}; not counted)", label(det), pm(x), label(sto), pm(y), over(&[x, y])));
            continue;
        }
        total += 1;
        if above(x, y) {
            clear += 1;
        } else {
            not.push(place.clone());
        }
        each.push(format!("{place}: {} {} against {} {} ({})", label(det), pm(x), label(sto), pm(y), over(&[x, y])));
    }
    (clear, total, not, each)
}

fn label(sampler: &str) -> &str {
    SamplerKind::parse(sampler).map(|k| k.label()).unwrap_or(sampler)
}

/// A study's deterministic samplers against a stochastic one, cell by cell: the verdict by
/// count over every (sampler, cell) pair, with the numbers of each.
fn samplers_in_study(s: &StudyResult, det: &[&str], sto: &str) -> (Outcome, Vec<String>) {
    let e = tid_radius(s).unwrap_or_default();
    let (mut clear, mut total, mut numbers) = (0, 0, Vec::new());
    for d in det {
        let (c, t, not, each) = det_vs_sto(s, d, sto);
        if t == 0 {
            numbers.extend(each);
            continue;
        }
        clear += c;
        total += t;
        numbers.push(format!("TID({e}) of {} above {}'s, bars apart, in {c} of {t} cells{}.", label(d), label(sto), if !not.is_empty() { format!(" (not at {})", not.join("; ")) } else { String::new() }));
        numbers.extend(each);
    }
    numbers.extend(partial(s));
    (Outcome::by_count(clear, total), numbers)
}

fn ode_vs_sde_2d(s: Option<&StudyResult>) -> Verdict {
    const CLAIM: &str = "The paper reports: on all four 2D data sets the ODE's TID is above the SDE's (Fig. 3b).";
    const RULE: &str = "Per data set, the ODE's TID above the SDE's at e = 0.02 with the ± sd bars over seeds apart. All four → reproduced, some → partly, none → not reproduced.";
    ode_above_sde("ode-vs-sde-2d", "Fig. 3b", CLAIM, RULE, &["fig3-tid", "fig3-survival"], s)
}

/// A study's ODE against its SDE, cell by cell (Fig. 3b's data sets, App. J's processes).
fn ode_above_sde(id: &'static str, figure: &'static str, claim: &'static str, rule: &'static str, links: &'static [&'static str], s: Option<&StudyResult>) -> Verdict {
    let Some(s) = s else { return not_tested(id, figure, claim, rule, links, NOT_SHIPPED) };
    let (outcome, numbers) = samplers_in_study(s, &["ode"], "sde");
    Verdict { title: "", id, figure, claim, outcome, numbers, rule, links }
}

fn other_samplers(r: Option<&Value>) -> Verdict {
    const CLAIM: &str = "The paper reports: other deterministic samplers (DDIM, DPM-Solver) collapse as the ODE does, and the stochastic ones do not (App. K).";
    const RULE: &str = "The shipped single run (one net, every sampler): each deterministic sampler's TID at e = 0.02 above the reverse SDE's, with the ± sd of the TID estimate apart. All → reproduced, some → partly, none → not reproduced.";
    let links: &[&str] = &["appK-samplers"];
    let Some(r) = r else { return not_tested("other-samplers", "App. K", CLAIM, RULE, links, NOT_SHIPPED) };
    let Some(e) = run_radius(r) else { return not_tested("other-samplers", "App. K", CLAIM, RULE, links, "The run has no TID.") };
    let Some(sde) = run_tid(r, "sde", e) else { return not_tested("other-samplers", "App. K", CLAIM, RULE, links, "The run has no SDE samples.") };
    let (mut clear, mut total, mut numbers) = (0, 0, Vec::new());
    for k in SamplerKind::ALL.iter().filter(|k| !k.is_stochastic()) {
        let Some(d) = run_tid(r, k.name(), e) else { continue };
        total += 1;
        clear += usize::from(run_above(d, sde));
        numbers.push(format!("TID({e}) of {} {} against the SDE's {} ({}).", k.label(), tid_pm(d), tid_pm(sde), if run_above(d, sde) { "above" } else { "not clearly above" }));
    }
    Verdict { title: "", id: "other-samplers", figure: "App. K", claim: CLAIM, outcome: Outcome::by_count(clear, total), numbers, rule: RULE, links }
}

fn processes(s: Option<&StudyResult>) -> Verdict {
    const CLAIM: &str = "The paper reports: collapse is not tied to the VP process: other forward processes show it too (App. J).";
    const RULE: &str = "Per forward process, the ODE's TID above the SDE's at the study's radius with the ± sd bars over seeds apart. All → reproduced, some → partly, none → not reproduced.";
    ode_above_sde("processes", "App. J", CLAIM, RULE, &["appJ-processes"], s)
}

fn collapse_10d(r: Option<&Value>) -> Verdict {
    const CLAIM: &str = "The paper reports: in 10-D the ODE's samples collapse too, and the bright bands of its density form early, around t ≈ 0.6, and are carried down to t = 0 (Fig. 5).";
    const RULE: &str = "The shipped 10-D run (the paper's 2 × 1000 net, one seed): the ODE's TID above the SDE's and above the data's own at the radius where the data's points have neighbours (e = 0.3), the ± sd of the estimates apart. Both → reproduced, one → partly, none → not reproduced. When the bands form is read from the density figure, not scored.";
    let links: &[&str] = &["fig5-density", "fig17-density-2d"];
    let Some(r) = r else { return not_tested("collapse-10d", "Fig. 5", CLAIM, RULE, links, NOT_SHIPPED) };
    let Some(e) = run_radius(r) else { return not_tested("collapse-10d", "Fig. 5", CLAIM, RULE, links, "The run has no TID.") };
    let (Some(ode), Some(sde), Some(data)) = (run_tid(r, "ode", e), run_tid(r, "sde", e), run_tid(r, "data", e)) else {
        return not_tested("collapse-10d", "Fig. 5", CLAIM, RULE, links, "The run lacks the ODE's, the SDE's or the data's TID.");
    };
    let clear = usize::from(run_above(ode, sde)) + usize::from(run_above(ode, data));
    let numbers = vec![format!("TID({e}) of the ODE {} against the SDE's {} and the data's {} (one seed; ± the TID estimate's sd).", tid_pm(ode), tid_pm(sde), tid_pm(data))];
    Verdict { title: "", id: "collapse-10d", figure: "Fig. 5", claim: CLAIM, outcome: Outcome::by_count(clear, 2), numbers, rule: RULE, links }
}

// ---- why: the see-saw ------------------------------------------------------------------------

/// The correlation of the velocity error at t with the error at t = 1 along ODE paths, at the
/// time closest to `t`.
fn correlation_at(r: &Value, t: f64) -> Option<(f64, f64)> {
    let list = r.get("diagnostics")?.get("error_correlation")?.get("ode")?.as_array()?;
    list.iter()
        .filter_map(|p| Some((p["t"].as_f64()?, p["corr"].as_f64()?)))
        .min_by(|a, b| (a.0 - t).abs().total_cmp(&(b.0 - t).abs()))
}

fn error_carried(runs: &[(&str, Option<Value>)]) -> Verdict {
    const CLAIM: &str = "The paper reports: the ODE carries the high-noise error along: the velocity error at t stays highly correlated with the error at t = 1 far down t (Fig. 6, 13).";
    const RULE: &str = "Per shipped diagnostics run (10-D and 1-D, one seed each): the correlation of the velocity error at t = 0.6 with the error at t = 1 along ODE paths is 0.5 or more. Both → reproduced, one → partly, none → not reproduced.";
    let (mut clear, mut total, mut numbers) = (0, 0, Vec::new());
    for (name, r) in runs {
        let Some((t, c)) = r.as_ref().and_then(|r| correlation_at(r, 0.6)) else { continue };
        total += 1;
        clear += usize::from(c >= 0.5);
        numbers.push(format!("{name}: correlation {} at t = {} (one seed).", sig(c), sig(t)));
    }
    Verdict { title: "", id: "error-carried", figure: "Fig. 6, 13", claim: CLAIM, outcome: Outcome::by_count(clear, total), numbers, rule: RULE, links: &["fig6-velocity", "fig13-velocity-1d"] }
}

/// Full training's figure (fixed-t = none) at the narrowest and widest width with it.
fn ends<'a>(s: &'a StudyResult, metric: &str) -> Option<(&'a str, &'a Stat, &'a str, &'a Stat)> {
    let mut ws: Vec<&str> = axis_values(s, "width");
    ws.sort_by(|a, b| a.parse::<f64>().unwrap_or(0.0).total_cmp(&b.parse::<f64>().unwrap_or(0.0)));
    let with: Vec<(&str, &Stat)> = ws.iter().filter_map(|w| Some((*w, cell_stat(s, &[("width", w), ("fixed-t", "none")], metric)?))).collect();
    let (a, b) = (with.first()?, with.last()?);
    (a.0 != b.0).then_some((a.0, a.1, b.0, b.1))
}

fn seesaw_high(s: Option<&StudyResult>) -> Verdict {
    const CLAIM: &str = "The paper reports: as the net grows, its velocity error at t = 1 (the simple high-noise score) rises (Fig. 7a).";
    const RULE: &str = "Full training, MAE of the velocity at t = 1: higher at the widest net than at the narrowest with the ± sd bars over seeds apart → reproduced; higher at the widest than at its lowest width in between, bars apart (a rise past that width only) → partly; otherwise not reproduced.";
    let links: &[&str] = &["fig7-seesaw", "fig14-width100"];
    let Some(st) = s else { return not_tested("seesaw-high", "Fig. 7a", CLAIM, RULE, links, NOT_SHIPPED) };
    let Some((lo, a, hi, b)) = ends(st, "mae_velocity@1") else { return not_tested("seesaw-high", "Fig. 7a", CLAIM, RULE, links, "The study has no MAE at t = 1.") };
    let (w, m) = lowest(st, "mae_velocity@1").unwrap_or((lo, a));
    let outcome = if change(a, b).clear_rise() {
        Outcome::Reproduced
    } else if w != hi && change(m, b).clear_rise() {
        Outcome::Partly
    } else {
        Outcome::NotReproduced
    };
    let mut numbers = vec![format!("MAE(t = 1): {} at width = {lo}, {} at width = {hi} ({}).", pm(a), pm(b), over(&[a, b]))];
    if w != lo && w != hi {
        numbers.push(format!("It is lowest at width = {w}, {}, and {} from there to width = {hi}.", pm(m), if change(m, b).clear_rise() { "rises with the bars apart" } else { "shows no clear rise" }));
    }
    numbers.extend(partial(st));
    Verdict { title: "", id: "seesaw-high", figure: "Fig. 7a", claim: CLAIM, outcome, numbers, rule: RULE, links }
}

/// Full training's figure at the width where its mean is lowest.
fn lowest<'a>(s: &'a StudyResult, metric: &str) -> Option<(&'a str, &'a Stat)> {
    axis_values(s, "width")
        .into_iter()
        .filter_map(|w| Some((w, cell_stat(s, &[("width", w), ("fixed-t", "none")], metric)?)))
        .min_by(|x, y| x.1.mean.unwrap_or(f64::NAN).total_cmp(&y.1.mean.unwrap_or(f64::NAN)))
}

fn seesaw_low(s: Option<&StudyResult>) -> Verdict {
    const CLAIM: &str = "The paper reports: as the net grows, its velocity error at t = 0.1 (the hard low-noise score) falls (Fig. 7a).";
    const RULE: &str = "Full training, MAE of the velocity at t = 0.1: lower at the widest net than at the narrowest with the ± sd bars apart, and no clear rise from its lowest width on → reproduced; lower at the widest but rising clearly after a lowest width in between → partly; not lower → not reproduced.";
    let links: &[&str] = &["fig7-seesaw"];
    let Some(st) = s else { return not_tested("seesaw-low", "Fig. 7a", CLAIM, RULE, links, NOT_SHIPPED) };
    let Some((lo, a, hi, b)) = ends(st, "mae_velocity@0.1") else { return not_tested("seesaw-low", "Fig. 7a", CLAIM, RULE, links, "The study has no MAE at t = 0.1.") };
    let falls = change(a, b) == crate::stats::Change { higher: false, apart: Some(true) };
    let turn = lowest(st, "mae_velocity@0.1").filter(|(w, m)| *w != hi && change(m, b).clear_rise());
    let outcome = match (falls, turn.is_some()) {
        (true, false) => Outcome::Reproduced,
        (true, true) => Outcome::Partly,
        (false, _) if b.mean < a.mean && turn.is_some() => Outcome::Partly,
        _ => Outcome::NotReproduced,
    };
    let mut numbers = vec![format!("MAE(t = 0.1): {} at width = {lo}, {} at width = {hi} ({}).", pm(a), pm(b), over(&[a, b]))];
    if let Some((w, m)) = turn {
        numbers.push(format!("It is lowest at width = {w}, {}, and rises from there to width = {hi}, the bars apart.", pm(m)));
    }
    numbers.extend(partial(st));
    Verdict { title: "", id: "seesaw-low", figure: "Fig. 7a", claim: CLAIM, outcome, numbers, rule: RULE, links }
}

fn control(s: Option<&StudyResult>) -> Verdict {
    const CLAIM: &str = "The paper reports: a net trained on the high-noise score alone (the control, t fixed at 1) keeps its error at t = 1 low at every width: the rise comes from learning the low-noise score beside it (Fig. 7a, 8).";
    const RULE: &str = "At each width, the control's MAE of the velocity at t = 1 below full training's with the ± sd bars over seeds apart. All widths → reproduced, some → partly, none → not reproduced.";
    let links: &[&str] = &["fig7-seesaw"];
    let Some(s) = s else { return not_tested("control", "Fig. 7a, 8", CLAIM, RULE, links, NOT_SHIPPED) };
    let (mut clear, mut total, mut numbers, mut not) = (0, 0, Vec::new(), Vec::new());
    for w in axis_values(s, "width") {
        let (Some(full), Some(ctl)) = (cell_stat(s, &[("width", w), ("fixed-t", "none")], "mae_velocity@1"), cell_stat(s, &[("width", w), ("fixed-t", "1")], "mae_velocity@1")) else { continue };
        total += 1;
        if above(full, ctl) {
            clear += 1;
        } else {
            not.push(format!("width = {w}"));
        }
        numbers.push(format!("width = {w}: control {} against full training {} ({}).", pm(ctl), pm(full), over(&[ctl, full])));
    }
    if !not.is_empty() {
        numbers.insert(0, format!("The control is below with the bars apart at {clear} of {total} widths; not at {}.", crate::study::findings::list(&not)));
    }
    numbers.extend(partial(s));
    Verdict { title: "", id: "control", figure: "Fig. 7a, 8", claim: CLAIM, outcome: Outcome::by_count(clear, total), numbers, rule: RULE, links }
}

fn hermite_prop1() -> Verdict {
    const CLAIM: &str = "The paper reports (Prop. 1, as printed): for the best polynomial fit of degree p to both scores at once, the low-noise loss rises and the high-noise loss falls with p.";
    const RULE: &str = "Computed exactly (Gauss–Hermite quadrature, mu = 1, degrees 1–15): the statement as printed holding for every p → reproduced; the see-saw holding with the inequalities swapped (the low-noise loss falling, the high-noise loss rising, as the proof's formulas give) → partly; neither → not reproduced.";
    let links: &[&str] = &["prop1-hermite"];
    let Ok(h) = hermite::seesaw(1.0, 15, 150) else { return not_tested("hermite", "Prop. 1", CLAIM, RULE, links, "The computation failed.") };
    let tol = 1e-12;
    let l = &h.losses;
    let low_rises = l.windows(2).all(|w| w[1].l_low >= w[0].l_low - tol);
    let high_falls = l.windows(2).all(|w| w[1].l_high <= w[0].l_high + tol);
    let low_falls = l.windows(2).all(|w| w[1].l_low <= w[0].l_low + tol);
    let high_rises = l.windows(2).all(|w| w[1].l_high >= w[0].l_high - tol);
    let outcome = if low_rises && high_falls {
        Outcome::Reproduced
    } else if low_falls && high_rises {
        Outcome::Partly
    } else {
        Outcome::NotReproduced
    };
    let (a, b) = (&l[0], &l[l.len() - 1]);
    let numbers = vec![format!(
        "Low-noise loss {} to {}, high-noise loss {} to {} from p = {} to p = {} (exact, no seeds){}.",
        sig(a.l_low),
        sig(b.l_low),
        sig(a.l_high),
        sig(b.l_high),
        a.p,
        b.p,
        if outcome == Outcome::Partly { ": the see-saw holds with the statement's inequalities swapped" } else { "" }
    )];
    Verdict { title: "", id: "hermite", figure: "Prop. 1", claim: CLAIM, outcome, numbers, rule: RULE, links }
}

// ---- cures ---------------------------------------------------------------------------------

const TWO_MODEL: &str = "The paper reports: two nets split at t' = 0.6 (one for the high-noise part) cure the see-saw: the high-noise error no longer grows with width and the ODE's TID falls (Fig. 9a).";
const SKIP: &str = "The paper reports: a skip connection that carries the simple high-noise part cures the see-saw: the high-noise error stays low and the ODE's TID falls (Fig. 9b).";

/// A cure (each value of `axis` in `cures`) against the plain net (the axis's first value): at
/// the widest net, MAE(t = 1) and the ODE's TID lower with the bars apart.
fn cure(id: &'static str, figure: &'static str, claim: &'static str, axis: &str, cures: &[&str], s: Option<&StudyResult>, links: &'static [&'static str]) -> Verdict {
    const RULE: &str = "At the widest net, with the cure against the plain net: MAE of the velocity at t = 1 lower and the ODE's TID lower, each with the ± sd bars over seeds apart → reproduced (for every variant of the cure); the MAE lower with the bars apart at some width but not both figures at the widest → partly; neither → not reproduced.";
    let Some(s) = s else { return not_tested(id, figure, claim, RULE, links, NOT_SHIPPED) };
    let Some(base) = axis_values(s, axis).first().copied() else { return not_tested(id, figure, claim, RULE, links, "The study has no cure axis.") };
    let e = tid_radius(s).unwrap_or_default();
    let tid = format!("tid@ode@{e}");
    let mut ws: Vec<&str> = axis_values(s, "width");
    ws.sort_by(|x, y| x.parse::<f64>().unwrap_or(0.0).total_cmp(&y.parse::<f64>().unwrap_or(0.0)));
    let mut outcome: Option<Outcome> = None;
    let mut numbers = Vec::new();
    for v in cures {
        let pair = |w: &str, m: &str| Some((cell_stat(s, &[("width", w), (axis, base)], m)?, cell_stat(s, &[("width", w), (axis, v)], m)?));
        let Some(wide) = ws.iter().rev().find(|w| pair(w, "mae_velocity@1").is_some()).copied() else { continue };
        let (pm_, cm) = pair(wide, "mae_velocity@1").unwrap();
        let mae_wide = above(pm_, cm);
        let tid_wide = pair(wide, &tid).map(|(p, c)| (above(p, c), p, c));
        let mae_somewhere = ws.iter().any(|w| pair(w, "mae_velocity@1").is_some_and(|(p, c)| above(p, c)));
        let o = if mae_wide && tid_wide.is_some_and(|t| t.0) {
            Outcome::Reproduced
        } else if mae_somewhere || tid_wide.is_some_and(|t| t.0) {
            Outcome::Partly
        } else {
            Outcome::NotReproduced
        };
        outcome = Some(outcome.map_or(o, |x| x.and(o)));
        let mut text = format!("{axis} = {v} at width = {wide}: MAE(t = 1) {} against {} for {base}", pm(cm), pm(pm_));
        if let Some((_, p, c)) = tid_wide {
            text.push_str(&format!("; ODE TID({e}) {} against {}", pm(c), pm(p)));
        }
        text.push_str(&format!(" ({}).", over(&[cm, pm_])));
        numbers.push(text);
        for w in ws.iter().filter(|w| **w != wide) {
            if let Some((p, c)) = pair(w, "mae_velocity@1") {
                numbers.push(format!("{axis} = {v} at width = {w}: MAE(t = 1) {} against {} ({}{}).", pm(c), pm(p), over(&[c, p]), if above(p, c) { "; lower, bars apart" } else { "" }));
            }
        }
    }
    numbers.extend(partial(s));
    Verdict { title: "", id, figure, claim, outcome: outcome.unwrap_or(Outcome::NotTested), numbers, rule: RULE, links }
}

fn corrector(s: Option<&StudyResult>) -> Verdict {
    const CLAIM: &str = "The paper reports: a stochastic corrector step after each ODE step (predictor-corrector) cures the collapse: its TID is below the ODE's (Fig. 9).";
    const RULE: &str = "On the plain net at each width of the skip study, the predictor-corrector's TID below the ODE's with the ± sd bars over seeds apart. All widths → reproduced, some → partly, none → not reproduced.";
    let links: &[&str] = &["fig9-skip", "appK-samplers"];
    let Some(s) = s else { return not_tested("corrector", "Fig. 9", CLAIM, RULE, links, NOT_SHIPPED) };
    let e = tid_radius(s).unwrap_or_default();
    let (mut clear, mut total, mut numbers) = (0, 0, Vec::new());
    for w in axis_values(s, "width") {
        let (Some(ode), Some(pc)) = (cell_stat(s, &[("width", w)], &format!("tid@ode@{e}")), cell_stat(s, &[("width", w)], &format!("tid@pc@{e}"))) else { continue };
        total += 1;
        clear += usize::from(above(ode, pc));
        numbers.push(format!("width = {w}: TID({e}) of predictor-corrector {} against the ODE's {} ({}).", pm(pc), pm(ode), over(&[pc, ode])));
    }
    numbers.extend(partial(s));
    Verdict { title: "", id: "corrector", figure: "Fig. 9", claim: CLAIM, outcome: Outcome::by_count(clear, total), numbers, rule: RULE, links }
}

// ---- recursive training ----------------------------------------------------------------------

fn recursive_law(g: Option<&GenerationsResult>) -> Verdict {
    const CLAIM: &str = "The recursive-training paper reports: the distance to the data grows as the fresh fraction a shrinks, as its (1 − a)^{2m} bound says: bounded for a = 0.5 and 0.9, largest for a = 0.1 (Fig. 1).";
    const RULE: &str = "Late D = χ² to the data (averaged over the second half of the generations), per sampler in the loop: ordered by a (the less fresh data, the larger D) with the ± sd bars over chains apart between every two neighbouring a → reproduced; ordered in the means with some bars overlapping → partly; not ordered → not reproduced.";
    let links: &[&str] = &["rec-fig1"];
    let Some(g) = g else { return not_tested("recursive-law", "Recursive, Fig. 1", CLAIM, RULE, links, NOT_SHIPPED) };
    let cells = late_cells(g);
    let mut samplers: Vec<&str> = cells.iter().map(|c| c.sampler.as_str()).collect();
    samplers.dedup();
    let mut outcome: Option<Outcome> = None;
    let mut numbers = Vec::new();
    for sampler in samplers {
        let mut these: Vec<_> = cells.iter().filter(|c| c.sampler == sampler).collect();
        these.sort_by(|a, b| a.fresh.total_cmp(&b.fresh));
        if these.len() < 2 {
            continue;
        }
        let ordered = these.windows(2).all(|w| w[0].late_d.mean.unwrap_or(f64::NAN) > w[1].late_d.mean.unwrap_or(f64::NAN));
        let clear = these.windows(2).all(|w| apart(&w[0].late_d, &w[1].late_d) == Some(true));
        let o = match (ordered, clear) {
            (true, true) => Outcome::Reproduced,
            (true, false) => Outcome::Partly,
            _ => Outcome::NotReproduced,
        };
        outcome = Some(outcome.map_or(o, |x| x.and(o)));
        let at: Vec<String> = these.iter().map(|c| format!("{} at a = {}", pm(&c.late_d), c.fresh)).collect();
        let n = these.iter().map(|c| seeds(&c.late_d)).min().unwrap_or(0);
        numbers.push(format!("{} in the loop: late D {} (mean ± sd over {n} chains each).", label(sampler), crate::study::findings::list(&at)));
    }
    Verdict { title: "", id: "recursive-law", figure: "Recursive, Fig. 1", claim: CLAIM, outcome: outcome.unwrap_or(Outcome::NotTested), numbers, rule: RULE, links }
}

fn recursive_ode_vs_sde(g: Option<&GenerationsResult>) -> Verdict {
    const CLAIM: &str = "Both papers together (the lab's question): a deterministic sampler in the recursive loop adds its collapse, so ODE-drawn chains drift further from the data than SDE-drawn ones.";
    const RULE: &str = "At each fresh fraction a, the ODE-drawn chains' late D above the SDE-drawn chains', the ± sd bars over chains apart. All a → reproduced, some → partly, none → not reproduced.";
    let links: &[&str] = &["rec-ode-vs-sde"];
    let Some(g) = g else { return not_tested("recursive-ode-vs-sde", "Recursive, ODE vs SDE", CLAIM, RULE, links, NOT_SHIPPED) };
    let cells = late_cells(g);
    let (mut clear, mut total, mut numbers) = (0, 0, Vec::new());
    let mut fresh: Vec<f64> = cells.iter().map(|c| c.fresh).collect();
    fresh.sort_by(f64::total_cmp);
    fresh.dedup();
    for a in fresh {
        let (Some(d), Some(s)) = (cells.iter().find(|c| c.fresh == a && c.sampler == "ode"), cells.iter().find(|c| c.fresh == a && c.sampler == "sde")) else { continue };
        total += 1;
        clear += usize::from(above(&d.late_d, &s.late_d));
        numbers.push(format!("a = {a}: late D {} with the ODE against {} with the SDE ({}).", pm(&d.late_d), pm(&s.late_d), over(&[&d.late_d, &s.late_d]).replace("seed", "chain")));
    }
    Verdict { title: "", id: "recursive-ode-vs-sde", figure: "Recursive, ODE vs SDE", claim: CLAIM, outcome: Outcome::by_count(clear, total), numbers, rule: RULE, links }
}

// ---- the open questions ----------------------------------------------------------------------

/// The review's open questions, each a study of deterministic against stochastic samplers:
/// (id, figure, claim, preset, deterministic samplers, stochastic one).
const OPEN: &[(&str, &str, &str, &str, &[&str], &str)] = &[
    ("equal-compute", "Open question", "The review asks: the paper's ODE spent 100 network evaluations and its SDE 1000; does collapse persist at equal compute (every budget from 10 to 1000 evaluations)?", "open-nfe", &["ode", "dpm2"], "sde"),
    ("heun", "Open question", "The review asks: the paper compares Euler-type solvers only; does a second-order deterministic solver (Heun's method, as in EDM) collapse too?", "open-nfe", &["heun"], "sde"),
    ("training-length", "Open question", "The review asks: the paper ties collapse to fitting; does it persist as nets train shorter and longer (1k to 30k iterations)?", "open-iters", &["ode", "heun"], "sde"),
    ("edm", "Open question", "The review asks: EDM reports its deterministic sampler as good as its stochastic one; does collapse persist in EDM's design space (ve process, denoiser target, preconditioning, Heun)? 2D chessboard.", "open-edm", &["heun", "ode"], "edm-sde"),
    ("edm-nd", "Open question", "The review asks the EDM question again on the 10-D mixture with the paper's 2 × 1000 net.", "open-edm-nd", &["heun", "ode"], "edm-sde"),
    ("flow-matching", "Open question", "The review asks: does collapse persist in flow matching (the linear path, the velocity target)? 2D chessboard, eps and v targets, uniform and logit-normal training times.", "open-flow-matching", &["ode", "heun"], "sde"),
    ("flow-matching-nd", "Open question", "The review asks the flow-matching question again on the 10-D mixture with the paper's 2 × 1000 net.", "open-flow-matching-nd", &["ode", "heun"], "sde"),
];

fn open_questions(study: &dyn Fn(&str) -> Option<StudyResult>) -> Vec<Verdict> {
    const RULE: &str = "Per cell of the study (budget, training length, preconditioning, target), each deterministic sampler's TID above the stochastic one's at the study's radius with the ± sd bars over seeds apart: collapse persists. In every cell → reproduced, in some → partly, in none → not reproduced.";
    OPEN.iter()
        .map(|&(id, figure, claim, preset, det, sto)| {
            let links: &'static [&'static str] = match preset {
                "open-nfe" => &["open-nfe"],
                "open-iters" => &["open-iters"],
                "open-edm" => &["open-edm"],
                "open-edm-nd" => &["open-edm-nd"],
                "open-flow-matching" => &["open-flow-matching", "open-flow-matching-why"],
                _ => &["open-flow-matching-nd"],
            };
            let Some(s) = study(preset) else { return not_tested(id, figure, claim, RULE, links, NOT_SHIPPED) };
            let (mut outcome, mut numbers) = samplers_in_study(&s, det, sto);
            if s.missing.len() == s.cells.len() * s.seeds {
                outcome = Outcome::NotTested;
            }
            if id.starts_with("flow-matching") {
                numbers.extend(flow_matching_split(&s, det[0], sto));
            }
            if id == "flow-matching" {
                numbers.extend(study("open-flow-matching-why").as_ref().and_then(flow_matching_why));
            }
            Verdict { title: "", id, figure, claim, outcome, numbers, rule: RULE, links }
        })
        .collect()
}

/// Flow matching by target: where the deterministic sampler's collapse stays (eps) and where it
/// goes (v).
fn flow_matching_split(s: &StudyResult, det: &str, sto: &str) -> Vec<String> {
    let Some(e) = tid_radius(s) else { return vec![] };
    axis_values(s, "target")
        .iter()
        .filter_map(|t| {
            let cells: Vec<_> = s.cells.iter().filter(|c| c.settings.get("target").map(String::as_str) == Some(*t)).collect();
            let (n, up) = cells.iter().fold((0, 0), |(n, up), c| match (c.metrics.get(&format!("tid@{det}@{e}")), c.metrics.get(&format!("tid@{sto}@{e}"))) {
                (Some(a), Some(b)) if a.mean.is_some() && b.mean.is_some() => (n + 1, up + usize::from(above(a, b))),
                _ => (n, up),
            });
            (n > 0).then(|| format!("Target {t}: {} above {} in {up} of {n} cells.", label(det), label(sto)))
        })
        .collect()
}

/// Why flow matching's Euler ODE collapses with the eps target and not with v, from the lab's
/// own diagnostics (open-flow-matching-why: the 2D mixture, whose exact score is known): the
/// MAE of the velocity near t = 1 and at t = 0.1 by target (the eps target's velocity is
/// (eps_hat - x) / (1 - t), so its error near t = 1 is amplified by 1 / (1 - t)), and how long
/// the ODE's velocity error keeps its correlation with the error at the start.
pub fn flow_matching_why(s: &StudyResult) -> Option<String> {
    let targets = axis_values(s, "target");
    let (eps, v) = (targets.iter().find(|t| **t == "eps")?, targets.iter().find(|t| **t == "v")?);
    let mut ts: Vec<f64> = s.cells.iter().flat_map(|c| c.metrics.keys()).filter_map(|k| k.strip_prefix("mae_velocity@")?.parse().ok()).collect();
    ts.sort_by(f64::total_cmp);
    ts.dedup();
    let (lo, hi) = (*ts.first()?, *ts.last()?);
    let mae = |target: &str, t: f64| cell_stat(s, &[("target", target)], &format!("mae_velocity@{t}"));
    let (eh, vh, el, vl) = (mae(eps, hi)?, mae(v, hi)?, mae(eps, lo)?, mae(v, lo)?);
    // The ODE's error correlation at t = 0.6 with its value at the start, over the runs of a target.
    let corr = |target: &str| -> Option<Stat> {
        let vals: Vec<Option<f64>> = s
            .runs
            .iter()
            .filter(|r| r.settings.get("target").map(String::as_str) == Some(target))
            .map(|r| r.result.as_ref().and_then(|res| correlation_at(res, 0.6)).map(|(_, c)| c))
            .collect();
        let st = crate::stats::stat(vals);
        st.mean.is_some().then_some(st)
    };
    let mut text = format!(
        "Why (the lab's diagnostics on the 2D mixture, whose exact score is known): the MAE of the velocity at t = {hi} is {} with the eps target against {} with v ({}); at t = {lo} it is {} against {}. The eps target's velocity (eps_hat − x) / (1 − t) multiplies its error near t = 1 by 1 / (1 − t), the see-saw's high-noise error amplified.",
        pm(eh),
        pm(vh),
        over(&[eh, vh]),
        pm(el),
        pm(vl)
    );
    if let (Some(ce), Some(cv)) = (corr(eps), corr(v)) {
        text.push_str(&format!(" Along the ODE's paths the error at t = 0.6 keeps a correlation of {} with its value at the start with eps, {} with v.", pm(&ce), pm(&cv)));
    }
    Some(text)
}

fn robustness(r: Option<&Value>) -> Verdict {
    const CLAIM: &str = "The review asks: the paper reports TID at one Hill's k and a few radii e; does the verdict (the ODE's TID above the SDE's) hang on the choice of e and k?";
    const RULE: &str = "Over the shipped run's grid of e and k (one seed), each cell's ODE TID against the SDE's with the ± sd of the estimates: no cell with the SDE clearly above and the ODE clearly above in at least half the cells → reproduced; the ODE clearly above in more cells than the SDE → partly; otherwise not reproduced.";
    let links: &[&str] = &["open-robustness"];
    let grid = r.and_then(|r| r.get("tid_grid"));
    let Some(g) = grid else { return not_tested("tid-robustness", "Open question", CLAIM, RULE, links, NOT_SHIPPED) };
    let table = |name: &str| -> Option<(Vec<Vec<f64>>, Vec<Vec<f64>>)> {
        let m = |f: &str| -> Option<Vec<Vec<f64>>> {
            g.get(name)?.get(f)?.as_array()?.iter().map(|row| row.as_array().map(|r| r.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect())).collect()
        };
        Some((m("tid")?, m("tid_std")?))
    };
    let (Some((ode, ode_sd)), Some((sde, sde_sd))) = (table("ode"), table("sde")) else { return not_tested("tid-robustness", "Open question", CLAIM, RULE, links, "The run has no ODE and SDE grid.") };
    let (mut ode_up, mut sde_up, mut cells) = (0, 0, 0);
    for i in 0..ode.len().min(sde.len()) {
        for j in 0..ode[i].len().min(sde[i].len()) {
            let (a, b) = ((ode[i][j], ode_sd[i][j]), (sde[i][j], sde_sd[i][j]));
            if !(a.0.is_finite() && b.0.is_finite()) {
                continue;
            }
            cells += 1;
            ode_up += usize::from(run_above(a, b));
            sde_up += usize::from(run_above(b, a));
        }
    }
    let outcome = if cells == 0 {
        Outcome::NotTested
    } else if sde_up == 0 && 2 * ode_up >= cells {
        Outcome::Reproduced
    } else if ode_up > sde_up {
        Outcome::Partly
    } else {
        Outcome::NotReproduced
    };
    let numbers = vec![format!("Of {cells} (k, e) cells, the ODE's TID is clearly above the SDE's in {ode_up} and the SDE's clearly above the ODE's in {sde_up} (one seed; ± the TID estimate's sd).")];
    Verdict { title: "", id: "tid-robustness", figure: "Open question", claim: CLAIM, outcome, numbers, rule: RULE, links }
}

/// The verdicts as plain text (the CLI's output): one block per claim.
pub fn text(vs: &[Verdict]) -> String {
    let mut out = String::new();
    let count = |o: Outcome| vs.iter().filter(|v| v.outcome == o).count();
    out.push_str(&format!(
        "What reproduces: {} reproduced, {} partly, {} not reproduced, {} not tested (of {} claims)\n",
        count(Outcome::Reproduced),
        count(Outcome::Partly),
        count(Outcome::NotReproduced),
        count(Outcome::NotTested),
        vs.len()
    ));
    for v in vs {
        out.push_str(&format!("\n[{}] {} ({}, {})\n  {}\n", v.outcome.label().to_uppercase(), v.title, v.figure, v.id, v.claim));
        for n in &v.numbers {
            out.push_str(&format!("  - {n}\n"));
        }
        out.push_str(&format!("  rule: {}\n  figure: ?preset={}&size=paper\n", v.rule, v.links[0]));
    }
    out
}

#[cfg(test)]
mod tests;
