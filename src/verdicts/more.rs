//! The rules of the other groups: the workshop version's claims, the recursive-training
//! paper's, the open questions of the review and the lab's own.

use super::evidence::{self, GATE_DET, GATE_FINITE, GATE_FLOOR, GATE_REF, GATE_RUN, Run, compare, radius_of, tid_gates};
use super::rules::{at, axis_values, by_number, cell_test, ends_of, ode_tid_cells, tid_tests};
use super::{Loaded, Outcome, Row, Verdict};
use crate::stats::{Reading, paired, sig};
use serde_json::Value;

const TID_GATES: [&str; 4] = [GATE_RUN, GATE_FLOOR, GATE_DET, GATE_REF];

// ---- the workshop version ------------------------------------------------------------------

pub(super) fn workshop(l: &Loaded) -> Vec<Verdict> {
    vec![ws_ansd(l), ws_ma_width(l), ws_ma_iters(l), ws_ma_data_size(l), ws_mae_sigma(l), ws_ansd_cures(l)]
}

fn ws_ansd(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "ws-ansd",
        "On each 2D data set the ODE's ANSD ratio (its mean neighbour count over the training set's) is above a fresh draw of the data's.",
        "Per data set of Fig. 3b's study (5 seeds): the ODE's ANSD ratio at e = 0.02 minus the ratio of a fresh draw of the data (about 1), in the same run. Every data set's interval above 0 → reproduced; some → partly.",
        &["fig3-tid"],
    );
    row.gates = TID_GATES.to_vec();
    let runs = l.runs("fig3-tid");
    let Some(e) = radius_of(&runs) else { return row.not_shipped(l, "fig3-tid").finish(l) };
    row.setting(&runs);
    for v in axis_values(&runs, "dataset") {
        let rs = at(&runs, &[("dataset", v.as_str())]);
        let ratio = |side: &'static str| move |r: &Run| evidence::tid_field(r.result?, side, e, "ansd_ratio");
        let gate = |r: &Run| tid_gates(r, &l.floors, &["ode", "data"], e);
        let t = compare(
            &format!("dataset = {v}"),
            &format!("ANSD ratio at e = {e} of the ODE − of the data's fresh draw"),
            &rs,
            &rs,
            &ratio("data"),
            &ratio("ode"),
            &gate,
            &mut row.excluded,
        );
        row.test(t, &rs);
    }
    row.finish(l)
}

fn ws_ma_width(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "ws-ma-width",
        "Wider nets give the ODE's samples a lower marginal accuracy (the workshop measures it at its t = 0.4, the full paper's t = 0.6; the lab on the final samples).",
        "Full training in Fig. 7's 10-D study (5 seeds per width): the ODE samples' marginal accuracy at the narrowest width minus at the widest. Interval above 0 → reproduced. Depth is not varied by a shipped study.",
        &["fig7-seesaw"],
    );
    row.gates = vec![GATE_FINITE];
    let Some((runs, ends)) = ends_of(&mut row, l, "fig7-seesaw", "width") else { return row.not_shipped(l, "fig7-seesaw").finish(l) };
    if let Some((lo, hi)) = ends.as_ref().map(|(a, b)| (a.as_str(), b.as_str())) {
        cell_test(
            &mut row,
            &runs,
            &[("width", hi), ("fixed-t", "none")],
            &[("width", lo), ("fixed-t", "none")],
            "marginal_accuracy@ode",
            &format!("width {lo} against {hi}"),
            "marginal accuracy of the ODE's samples at the narrower net − at the wider",
        );
    }
    row.finish(l)
}

fn ws_ma_iters(l: &Loaded) -> Verdict {
    let row = Row::new(
        "ws-ma-iters",
        "Longer training raises the ODE's marginal accuracy (2D mixture; the workshop's test is on its MoG at t = 0.4).",
        "The iterations study (2D mixture, 5 seeds): the ODE samples' marginal accuracy at the longest training minus at the shortest. Interval above 0 → reproduced.",
        &["open-iters"],
    );
    ma_trend(row, l, "open-iters", "iters", ("iterations", "marginal accuracy of the ODE's samples after longer training − after shorter"))
}

fn ws_ma_data_size(l: &Loaded) -> Verdict {
    let row = Row::new(
        "ws-ma-data-size",
        "Larger training sets raise the ODE's marginal accuracy (2D mixture; the workshop's test is on its MoG at t = 0.4).",
        "The training-set-size study (2D mixture, 3 seeds): the ODE samples' marginal accuracy after training on the most points minus on the fewest. Interval above 0 → reproduced.",
        &["open-data-size"],
    );
    ma_trend(row, l, "open-data-size", "data-size", ("points", "marginal accuracy of the ODE's samples after training on more points − on fewer"))
}

/// The workshop's Fig. 3c-d trends: the ODE samples' marginal accuracy at the largest value of
/// `axis` in `file`'s study minus at the smallest, paired by seed; `words`: the axis's unit and
/// the test's words.
fn ma_trend(mut row: Row, l: &Loaded, file: &str, axis: &str, words: (&str, &str)) -> Verdict {
    row.gates = vec![GATE_FINITE];
    let Some((runs, ends)) = ends_of(&mut row, l, file, axis) else { return row.not_shipped(l, file).finish(l) };
    if let Some((lo, hi)) = ends.as_ref().map(|(a, b)| (a.as_str(), b.as_str())) {
        cell_test(&mut row, &runs, &[(axis, lo)], &[(axis, hi)], "marginal_accuracy@ode", &format!("{hi} against {lo} {}", words.0), words.1);
    }
    row.finish(l)
}

fn ws_mae_sigma(l: &Loaded) -> Verdict {
    const FILE: &str = "ws-fig4-sigma";
    let file = FILE;
    let mut row = Row::new(
        "ws-mae-sigma",
        "On the workshop's 1-D mixture, per component sd sigma, the wider net's error at high noise (t = 1) is above the narrower's and at t = 0.2 below it; and the smaller sigma, the more the high-noise error grows with width.",
        "The sigma study (1-D mixture, widths 10 and 400, 3 seeds; the velocity's MAE, which at a fixed t is the score's times g(t)^2 / 2): per sigma, MAE(t = 1) at width 400 minus at width 10, and MAE(t = 0.2) at width 10 minus at width 400, paired by seed; then the growth at t = 1 at the smallest sigma minus at the largest, paired by seed. Every interval above 0 → reproduced; some → partly.",
        &[FILE],
    );
    row.gates = vec![GATE_FINITE];
    let Some((runs, ends)) = ends_of(&mut row, l, file, "width") else { return row.not_shipped(l, file).finish(l) };
    let Some((lo, hi)) = ends.as_ref().map(|(a, b)| (a.as_str(), b.as_str())) else { return row.finish(l) };
    let sds = by_number(axis_values(&runs, "mixture-sd"));
    for sd in &sds {
        cell_test(
            &mut row,
            &runs,
            &[("mixture-sd", sd.as_str()), ("width", lo)],
            &[("mixture-sd", sd.as_str()), ("width", hi)],
            "mae_velocity@1",
            &format!("sigma = {sd}, t = 1"),
            &format!("MAE(t = 1) at width {hi} − at width {lo}"),
        );
        cell_test(
            &mut row,
            &runs,
            &[("mixture-sd", sd.as_str()), ("width", hi)],
            &[("mixture-sd", sd.as_str()), ("width", lo)],
            "mae_velocity@0.2",
            &format!("sigma = {sd}, t = 0.2"),
            &format!("MAE(t = 0.2) at width {lo} − at width {hi}"),
        );
    }
    // The growth with width at t = 1, seed by seed, at the smallest sigma against the largest.
    if let (Some(small), Some(large)) = (sds.first(), sds.last())
        && small != large
    {
        let growth = |sd: &str| -> Vec<Option<f64>> {
            let seeds = runs.iter().map(|r| r.seed).max().map_or(0, |m| m as usize + 1);
            (0..seeds)
                .map(|seed| {
                    let one = |w: &str| {
                        at(&runs, &[("mixture-sd", sd), ("width", w)]).iter().find(|r| r.seed == seed as u64).and_then(|r| r.metric("mae_velocity@1"))
                    };
                    Some(one(hi)? - one(lo)?)
                })
                .collect()
        };
        let p = crate::stats::paired(&growth(large), &growth(small));
        let t = (!p.diffs.is_empty()).then(|| {
            evidence::Test::new(
                format!("sigma = {small} against {large}"),
                format!("growth of MAE(t = 1) from width {lo} to {hi} at sigma = {small} − at sigma = {large}"),
                p,
            )
        });
        let used: Vec<&Run> = runs.iter().filter(|r| r.is_at(&[("mixture-sd", small.as_str())]) || r.is_at(&[("mixture-sd", large.as_str())])).collect();
        row.test(t, &used);
    }
    row.finish(l)
}

/// |ANSD ratio − 1| of a sampler at radius e.
fn ansd_off(r: &Run, sampler: &str, e: f64) -> Option<f64> {
    evidence::tid_field(r.result?, sampler, e, "ansd_ratio").map(|x| (x - 1.0).abs())
}

fn ws_ansd_cures(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "ws-ansd-cures",
        "With a stochastic sampler, two models or a skip connection, the ANSD ratio comes closer to 1 than the plain ODE's.",
        "On Fig. 9's 10-D studies at the widest net (5 seeds): |ANSD ratio − 1| at e = 0.3 of the plain net's ODE minus that of the predictor-corrector on the same net, of the two-model net's ODE and of the skip nets' ODE. Every test's interval above 0 → reproduced; some → partly.",
        &["fig9-two-model", "fig9-skip"],
    );
    row.gates = TID_GATES.to_vec();
    let skip = l.runs("fig9-skip");
    let two = l.runs("fig9-two-model");
    if skip.is_empty() && two.is_empty() {
        return row.not_shipped(l, "fig9-skip").finish(l);
    }
    row.setting(&skip);
    let w = by_number(axis_values(&skip, "width")).pop().unwrap_or_default();
    if let Some(e) = radius_of(&skip) {
        let plain = at(&skip, &[("parameterization", "plain"), ("width", w.as_str())]);
        let gate = |r: &Run| tid_gates(r, &l.floors, &["ode", "pc"], e);
        let t = compare(
            &format!("width = {w}, predictor-corrector"),
            "|ANSD ratio − 1| of the ODE − of the predictor-corrector",
            &plain,
            &plain,
            &|r| ansd_off(r, "pc", e),
            &|r| ansd_off(r, "ode", e),
            &gate,
            &mut row.excluded,
        );
        row.test(t, &plain);
        for v in ["skip-fixed", "skip-learned"] {
            let cured = at(&skip, &[("parameterization", v), ("width", w.as_str())]);
            let gate = |r: &Run| tid_gates(r, &l.floors, &["ode"], e);
            let t = compare(
                &format!("width = {w}, {v}"),
                "|ANSD ratio − 1| of the ODE on the plain net − on the cured",
                &cured,
                &plain,
                &|r| ansd_off(r, "ode", e),
                &|r| ansd_off(r, "ode", e),
                &gate,
                &mut row.excluded,
            );
            let both: Vec<&Run> = cured.iter().chain(plain.iter()).copied().collect();
            row.test(t, &both);
        }
    }
    if let Some(e) = radius_of(&two) {
        let (plain, cured) = (at(&two, &[("two-model", "none"), ("width", w.as_str())]), at(&two, &[("two-model", "0.6"), ("width", w.as_str())]));
        let gate = |r: &Run| tid_gates(r, &l.floors, &["ode"], e);
        let t = compare(
            &format!("width = {w}, two models"),
            "|ANSD ratio − 1| of the ODE on one net − on two",
            &cured,
            &plain,
            &|r| ansd_off(r, "ode", e),
            &|r| ansd_off(r, "ode", e),
            &gate,
            &mut row.excluded,
        );
        let both: Vec<&Run> = cured.iter().chain(plain.iter()).copied().collect();
        row.test(t, &both);
    }
    row.finish(l)
}

// ---- the recursive-training paper ------------------------------------------------------------

/// One whole chain of a generations file: its sampler, fresh fraction, seed and per generation
/// (D = χ² to the data, I = the step's χ², the geometric account).
struct Chain {
    sampler: String,
    fresh: f64,
    seed: u64,
    d: Vec<f64>,
    i: Vec<Option<f64>>,
    settings: std::collections::BTreeMap<String, String>,
}

fn chains(l: &Loaded, file: &str) -> Vec<Chain> {
    let Some(v) = l.get(file) else { return vec![] };
    let n = v.pointer("/base/recursion/generations").and_then(Value::as_u64).unwrap_or(0) as usize;
    v.get("runs")
        .and_then(Value::as_array)
        .map(|runs| {
            runs.iter()
                .filter(|r| r.get("error").is_none_or(Value::is_null))
                .filter_map(|r| {
                    let gens = r.get("generations")?.as_array()?;
                    (gens.len() == n + 1 && n > 0).then(|| Chain {
                        sampler: r["sampler"].as_str().unwrap_or_default().to_string(),
                        fresh: r["fresh"].as_f64().unwrap_or(f64::NAN),
                        seed: r["seed"].as_u64().unwrap_or(0),
                        d: gens.iter().map(|g| g["chi2"].as_f64().unwrap_or(f64::NAN)).collect(),
                        i: gens.iter().map(|g| g["chi2_step"].as_f64()).collect(),
                        settings: [
                            ("fresh".to_string(), r["fresh"].to_string()),
                            ("sampler".to_string(), r["sampler"].as_str().unwrap_or_default().to_string()),
                        ]
                        .into(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// D averaged over the second half of the generations (the generations' findings' window).
fn late_d(c: &Chain) -> f64 {
    let n = c.d.len() - 1;
    let lo = (n / 2 + 1).min(n);
    c.d[lo..].iter().sum::<f64>() / (n + 1 - lo) as f64
}

/// The chains as runs (for the evidence list): a generations file has no TID runs to gate.
fn as_runs<'a>(file: &'a str, cs: &'a [Chain], spec: &'a Value) -> Vec<Run<'a>> {
    cs.iter().map(|c| Run { file, seed: c.seed, settings: c.settings.clone(), spec, result: None, metrics: None, error: None }).collect()
}

/// A chain figure of the `b` chains minus the `a` chains, paired by seed (chains share a seed's
/// data and noise streams).
#[allow(clippy::too_many_arguments)] // reason: a row's test is named by all of these (the row, the file and its chains and spec, the two sides, the figure, its place and wording)
fn chain_test(
    row: &mut Row,
    file: &str,
    cs: &[Chain],
    spec: &Value,
    a: &dyn Fn(&Chain) -> bool,
    b: &dyn Fn(&Chain) -> bool,
    f: &dyn Fn(&Chain) -> f64,
    place: &str,
    what: &str,
) {
    let (ca, cb): (Vec<&Chain>, Vec<&Chain>) = (cs.iter().filter(|c| a(c)).collect(), cs.iter().filter(|c| b(c)).collect());
    let mut seeds: Vec<u64> = ca.iter().map(|c| c.seed).filter(|s| cb.iter().any(|c| c.seed == *s)).collect();
    seeds.sort_unstable();
    seeds.dedup();
    if seeds.is_empty() {
        return;
    }
    let xs: Vec<Option<f64>> = seeds.iter().map(|s| ca.iter().find(|c| c.seed == *s).map(|c| f(c))).collect();
    let ys: Vec<Option<f64>> = seeds.iter().map(|s| cb.iter().find(|c| c.seed == *s).map(|c| f(c))).collect();
    let mut p = paired(&xs, &ys);
    for d in &mut p.diffs {
        d.0 = seeds[d.0] as usize;
    }
    let used: Vec<Chain> = cs
        .iter()
        .filter(|c| a(c) || b(c))
        .map(|c| Chain { sampler: c.sampler.clone(), fresh: c.fresh, seed: c.seed, d: vec![], i: vec![], settings: c.settings.clone() })
        .collect();
    let runs = as_runs(file, &used, spec);
    let refs: Vec<&Run> = runs.iter().collect();
    row.test(Some(evidence::Test::new(place, what, p)), &refs);
}

fn gen_setting(l: &Loaded, file: &str, cs: &[Chain]) -> String {
    let Some(v) = l.get(file) else { return String::new() };
    let b = &v["base"];
    let g = |p: &str| b.pointer(p).map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string())).unwrap_or_default();
    let mut seeds: Vec<u64> = cs.iter().map(|c| c.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    format!(
        "{} data; MLP {} × {}; {} iterations per generation; {} generations of {} points; {} chains over {} seeds ({file}).",
        g("/dataset"),
        g("/model/depth"),
        g("/model/width"),
        g("/training/iters"),
        g("/recursion/generations"),
        g("/recursion/gen_size"),
        cs.len(),
        seeds.len()
    )
}

const GATE_CHAIN: &str = "the chain finished every generation (a chain stopped early has no late generations)";

pub(super) fn recursive(l: &Loaded) -> Vec<Verdict> {
    vec![recursive_order(l), recursive_rate(l), recursive_bounds(l), recursive_decomposition(l), recursive_contraction(l), recursive_converse(l)]
}

fn fresh_values(cs: &[Chain], sampler: &str) -> Vec<f64> {
    let mut a: Vec<f64> = cs.iter().filter(|c| c.sampler == sampler).map(|c| c.fresh).collect();
    a.sort_by(f64::total_cmp);
    a.dedup();
    a
}

fn recursive_order(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "recursive-order",
        "The less fresh data each generation gets, the further the chain drifts from the data: late χ² to the data ordered a = 0.1 above 0.5 above 0.9.",
        "SDE-drawn chains of Fig. 1's run (3 seeds): late D (χ² to the data averaged over the second half of the generations) at each fresh fraction minus at the next larger one, paired by seed. Both intervals above 0 → reproduced; one → partly. This tests the ordering, not the (1 − a)^{2m} rate (see recursive-rate).",
        &["rec-fig1"],
    );
    row.gates = vec![GATE_CHAIN];
    let cs = chains(l, "rec-fig1");
    if cs.is_empty() {
        return row.not_shipped(l, "rec-fig1").finish(l);
    }
    row.lab_setting = gen_setting(l, "rec-fig1", &cs);
    let spec = l.get("rec-fig1").map(|v| v["base"].clone()).unwrap_or_default();
    let a = fresh_values(&cs, "sde");
    for w in a.windows(2) {
        let (lo, hi) = (w[0], w[1]);
        chain_test(
            &mut row,
            "rec-fig1",
            &cs,
            &spec,
            &|c| c.sampler == "sde" && c.fresh == hi,
            &|c| c.sampler == "sde" && c.fresh == lo,
            &late_d,
            &format!("a = {lo} against a = {hi}"),
            "late D with less fresh data − with more",
        );
    }
    row.finish(l)
}

/// The discount rate r that best fits D_N ≈ Σ_{j≤N} r^{N−j} e_j (e_0 = D_0, e_j = I_{j−1}) on a
/// log scale over the generations N ≥ 1, by a grid over [0, 1] in steps of 0.001.
fn fitted_rate(c: &Chain) -> Option<f64> {
    let e: Vec<f64> = (0..c.d.len()).map(|j| if j == 0 { Some(c.d[0]) } else { c.i[j - 1] }).collect::<Option<Vec<f64>>>()?;
    let loss = |r: f64| -> f64 {
        (1..c.d.len())
            .map(|n| {
                let acc: f64 = (0..=n).map(|j| r.powi((n - j) as i32) * e[j]).sum();
                (c.d[n].max(1e-12).ln() - acc.max(1e-12).ln()).powi(2)
            })
            .sum()
    };
    (0..=1000).map(|k| k as f64 / 1000.0).min_by(|a, b| loss(*a).total_cmp(&loss(*b)))
}

fn recursive_rate(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "recursive-rate",
        "The measured χ² to the data follows the (1 − a)^{2m} account: the discount rate fitted to each chain's D_N from its step divergences I_j agrees with (1 − a)².",
        "Per fresh fraction of Fig. 1's SDE-drawn chains (3 seeds): the rate r fitted per chain (D_N ≈ Σ_j r^{N−j} e_j, least squares on log D over the generations) minus (1 − a)², with a 95 % t interval over the chains. The interval holding 0 at every a → reproduced (the rate agrees); at some → partly; at none → not reproduced.",
        &["rec-fig1"],
    );
    row.gates = vec![GATE_CHAIN];
    row.statistic =
        "Per chain, a fitted rate; over the chains of each a, the mean of (fitted − (1 − a)²) with its 95 % t interval: agreement where the interval holds 0."
            .to_string();
    let cs = chains(l, "rec-fig1");
    if cs.is_empty() {
        return row.not_shipped(l, "rec-fig1").finish(l);
    }
    row.lab_setting = gen_setting(l, "rec-fig1", &cs);
    let spec = l.get("rec-fig1").map(|v| v["base"].clone()).unwrap_or_default();
    let mut agree = 0;
    let a_values = fresh_values(&cs, "sde");
    for a in &a_values {
        let these: Vec<&Chain> = cs.iter().filter(|c| c.sampler == "sde" && c.fresh == *a).collect();
        let target = (1.0 - a) * (1.0 - a);
        let rates: Vec<Option<f64>> = these.iter().map(|c| fitted_rate(c)).collect();
        let mut p = paired(&vec![Some(target); rates.len()], &rates);
        for d in &mut p.diffs {
            d.0 = these[d.0].seed as usize;
        }
        if p.reading() == Reading::Undecided && p.interval.is_some() {
            agree += 1;
        }
        let fitted: Vec<String> = rates.iter().flatten().map(|r| sig(*r)).collect();
        row.numbers.push(format!("a = {a}: fitted rates {} against (1 − a)² = {}.", fitted.join(", "), sig(target)));
        let used: Vec<Chain> = these
            .iter()
            .map(|c| Chain { sampler: c.sampler.clone(), fresh: c.fresh, seed: c.seed, d: vec![], i: vec![], settings: c.settings.clone() })
            .collect();
        let runs = as_runs("rec-fig1", &used, &spec);
        let refs: Vec<&Run> = runs.iter().collect();
        row.test(Some(evidence::Test::new(format!("a = {a}"), "fitted rate − (1 − a)²", p)), &refs);
    }
    row.outcome = Some(match agree {
        0 => Outcome::NotReproduced,
        n if n == a_values.len() => Outcome::Reproduced,
        _ => Outcome::Partly,
    });
    row.finish(l)
}

fn recursive_bounds(l: &Loaded) -> Verdict {
    Row::new("recursive-bounds", "One generation's divergence lies between the bounds of Prop. 3.1, 3.3 and Thm. 3.5.", "No rule: the lab does not estimate the path score error ε⋆² or the observability η̂ the bounds are written in.", &["rec-fig1"])
        .no_study("Estimates of ε⋆² (the score error energy on the ideal path) and η̂ per generation, beside the measured I_i, would test it; the lab records the DSM loss, not ε⋆².")
        .finish(l)
}

fn recursive_decomposition(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "recursive-decomposition",
        "The contribution matrix is broad for a = 0.1 and nearly diagonal for a = 0.9: the last generation's own error carries a larger share of the final account with more fresh data.",
        "Fig. 1's SDE-drawn chains (3 seeds): the share of the last generation's own error in the final geometric account (row N of the contribution matrix) at a = 0.9 minus at a = 0.1, paired by seed. Interval above 0 → reproduced.",
        &["rec-fig1"],
    );
    row.gates = vec![GATE_CHAIN];
    let cs = chains(l, "rec-fig1");
    if cs.is_empty() {
        return row.not_shipped(l, "rec-fig1").finish(l);
    }
    row.lab_setting = gen_setting(l, "rec-fig1", &cs);
    let spec = l.get("rec-fig1").map(|v| v["base"].clone()).unwrap_or_default();
    let a = fresh_values(&cs, "sde");
    let share = |c: &Chain| -> f64 {
        let n = c.d.len() - 1;
        let r = (1.0 - c.fresh) * (1.0 - c.fresh);
        let e: Vec<f64> = (0..=n).map(|j| if j == 0 { c.d[0] } else { c.i[j - 1].unwrap_or(f64::NAN) }).collect();
        let row_n: Vec<f64> = (0..=n).map(|j| r.powi((n - j) as i32) * e[j]).collect();
        row_n[n] / row_n.iter().sum::<f64>()
    };
    if let (Some(lo), Some(hi)) = (a.first().copied(), a.last().copied()) {
        chain_test(
            &mut row,
            "rec-fig1",
            &cs,
            &spec,
            &|c| c.sampler == "sde" && c.fresh == lo,
            &|c| c.sampler == "sde" && c.fresh == hi,
            &share,
            &format!("a = {hi} against a = {lo}"),
            "the last generation's share of the final account with more fresh data − with less",
        );
    }
    row.finish(l)
}

fn recursive_contraction(l: &Loaded) -> Verdict {
    Row::new("recursive-contraction", "Mixing with fresh data shrinks χ² to the data by exactly (1 − a)².", "An identity: checked exactly on histograms by the unit test generations::tests::mixing_with_data_shrinks_chi2_by_one_minus_a_squared_exactly; no shipped figure reads it.", &["rec-fig1"])
        .no_study("It is an identity of the mixture, not an experimental claim: the lab's unit test checks it on histograms to rounding; the shipped chains do not store q_i's histogram.")
        .finish(l)
}

fn recursive_converse(l: &Loaded) -> Verdict {
    Row::new(
        "recursive-converse",
        "Where the score errors are not summable, D does not vanish.",
        "No rule: no shipped chain has errors bounded below by design.",
        &["rec-fig1"],
    )
    .no_study("Chains with a = 0 (no fresh data) or a net held at a fixed error, over many generations, would test it; none is shipped.")
    .finish(l)
}

// ---- the review's open questions -----------------------------------------------------------

/// One of the review's questions, a study of deterministic against stochastic samplers:
/// (id, claim, file, deterministic samplers, stochastic one, extra links).
type Open = (&'static str, &'static str, &'static str, &'static [&'static str], &'static str, &'static [&'static str]);

/// The review's questions.
const OPEN: &[Open] = &[
    (
        "equal-compute",
        "At every budget from 10 to 1000 network evaluations, the ODE and DPM-Solver-2 collapse: their TID above the reverse SDE's at the same budget.",
        "open-nfe",
        &["ode", "dpm2"],
        "sde",
        &["open-nfe"],
    ),
    (
        "heun",
        "A second-order deterministic solver (Heun's method) collapses too: its TID above the reverse SDE's at each budget.",
        "open-nfe",
        &["heun"],
        "sde",
        &["open-nfe"],
    ),
    (
        "training-length",
        "Collapse persists from 1k to 30k training iterations: the ODE's and Heun's TID above the SDE's at each length.",
        "open-iters",
        &["ode", "heun"],
        "sde",
        &["open-iters"],
    ),
    (
        "edm",
        "In EDM's design (ve process, denoiser target, lognormal times, with and without its preconditioning) on the chessboard, Heun's and the Euler ODE's TID above EDM's stochastic sampler's.",
        "open-edm",
        &["heun", "ode"],
        "edm-sde",
        &["open-edm"],
    ),
    ("edm-nd", "The EDM question on the 10-D mixture with the paper's 2 × 1000 net.", "open-edm-nd", &["heun", "ode"], "edm-sde", &["open-edm-nd"]),
    (
        "flow-matching",
        "In flow matching (the linear path; eps and v targets; uniform and logit-normal training times) on the chessboard, the ODE's and Heun's TID above the SDE's.",
        "open-flow-matching",
        &["ode", "heun"],
        "sde",
        &["open-flow-matching", "open-flow-matching-why"],
    ),
    (
        "flow-matching-nd",
        "The flow-matching question on the 10-D mixture with the paper's 2 × 1000 net.",
        "open-flow-matching-nd",
        &["ode", "heun"],
        "sde",
        &["open-flow-matching-nd"],
    ),
];

pub(super) fn review(l: &Loaded) -> Vec<Verdict> {
    const RULE: &str = "Per cell of the study (budget, training length, preconditioning, target and time law) and deterministic sampler: its TID minus the stochastic sampler's in the same run, at the study's radius, paired by seed over the runs that pass the gates. Every test's interval above 0 → reproduced; some → partly; none above and some below → not reproduced.";
    let mut out: Vec<Verdict> = OPEN
        .iter()
        .map(|&(id, claim, file, det, sto, links)| {
            let mut row = Row::new(id, claim, RULE, links);
            row.gates = TID_GATES.to_vec();
            let pairs: Vec<(&str, &str)> = det.iter().map(|d| (*d, sto)).collect();
            if !tid_tests(&mut row, l, file, &pairs, None) {
                return row.not_shipped(l, file).finish(l);
            }
            row.finish(l)
        })
        .collect();
    out.push(robustness(l));
    out
}

fn robustness(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "tid-robustness",
        "The ODE's TID stays above the SDE's over the grid of radii e and Hill's k where TID can be read.",
        "Over the grid of e and k measured over seeds (one net per seed, sampled by both from one draw of noise): each cell whose data-vs-data floor is stable over the seeds (its mean and 3 sd within ±2) is a test, the ODE's TID minus the SDE's paired by seed; the unstable cells are excluded. Every stable cell's interval above 0 → reproduced; some → partly.",
        &["open-robustness-seeds", "open-robustness"],
    );
    row.gates = vec![GATE_RUN, GATE_FLOOR];
    let file = "open-robustness-seeds";
    let runs: Vec<Run> = l.runs(file).into_iter().filter(|r| r.result.is_some_and(|r| r.get("tid_grid").is_some())).collect();
    let Some(first) = runs.first().and_then(|r| r.result) else { return row.not_shipped(l, file).finish(l) };
    row.setting(&runs);
    // The grid's tables of one run: grid[side][field][k index][e index].
    let cell = |r: &Run, side: &str, field: &str, i: usize, j: usize| -> Option<f64> {
        r.result?.get("tid_grid")?.get(side)?.get(field)?.get(i)?.get(j)?.as_f64().filter(|x| x.is_finite())
    };
    let nums = |f: &str| -> Vec<f64> {
        first["tid_grid"].get("data").and_then(|x| x.get(f)).and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default()
    };
    let (ks, es) = (nums("k"), nums("eps"));
    let all: Vec<&Run> = runs.iter().collect();
    for (i, k) in ks.iter().enumerate() {
        for (j, e) in es.iter().enumerate() {
            let place = format!("k = {}, e = {}", sig(*k), sig(*e));
            // The cell's floor over the seeds (under 3 seeds: one run's spread over its reference draws).
            let floors: Vec<f64> = runs.iter().filter_map(|r| cell(r, "data", "tid", i, j)).collect();
            let band = if floors.len() >= 3 {
                let mean = floors.iter().sum::<f64>() / floors.len() as f64;
                let sd = crate::stats::std_dev(&floors).unwrap_or(f64::NAN);
                evidence::Band { mean, half: evidence::BAND_SDS * sd, seeds: floors.len() }
            } else {
                let sd = runs.iter().filter_map(|r| cell(r, "data", "tid_std", i, j)).fold(f64::NAN, f64::max);
                evidence::Band { mean: floors.first().copied().unwrap_or(f64::NAN), half: evidence::BAND_SDS * sd, seeds: 1 }
            };
            if !(band.mean.is_finite() && band.half.is_finite() && band.stable()) {
                row.excluded.0.push(evidence::Excluded {
                    run: format!("{file}, {place}"),
                    because: format!("the floor is not stable there ({})", if band.mean.is_finite() { band.text() } else { "no floor".into() }),
                });
                continue;
            }
            let gate = |r: &Run| match (cell(r, "ode", "tid", i, j), cell(r, "sde", "tid", i, j)) {
                (Some(_), Some(_)) => Ok(()),
                _ => Err(format!("no TID of both samplers at {place}")),
            };
            let t = compare(
                &place,
                "TID of the ODE − the SDE's",
                &all,
                &all,
                &|r| cell(r, "sde", "tid", i, j),
                &|r| cell(r, "ode", "tid", i, j),
                &gate,
                &mut row.excluded,
            );
            row.test(t, &all);
        }
    }
    row.finish(l)
}

// ---- the lab's own questions ---------------------------------------------------------------

pub(super) fn lab(l: &Loaded) -> Vec<Verdict> {
    vec![recursive_ode_vs_sde(l), eps_target(l)]
}

fn recursive_ode_vs_sde(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "recursive-ode-vs-sde",
        "A deterministic sampler in the recursive loop adds its collapse: ODE-drawn chains drift further from the data than SDE-drawn ones at each fresh fraction.",
        "Per fresh fraction (3 seeds): late D of the ODE-drawn chain minus the SDE-drawn chain's, paired by seed. Every a's interval above 0 → reproduced; some → partly.",
        &["rec-ode-vs-sde"],
    );
    row.gates = vec![GATE_CHAIN];
    let cs = chains(l, "rec-ode-vs-sde");
    if cs.is_empty() {
        return row.not_shipped(l, "rec-ode-vs-sde").finish(l);
    }
    row.lab_setting = gen_setting(l, "rec-ode-vs-sde", &cs);
    let spec = l.get("rec-ode-vs-sde").map(|v| v["base"].clone()).unwrap_or_default();
    for a in fresh_values(&cs, "ode") {
        chain_test(
            &mut row,
            "rec-ode-vs-sde",
            &cs,
            &spec,
            &|c| c.sampler == "sde" && c.fresh == a,
            &|c| c.sampler == "ode" && c.fresh == a,
            &late_d,
            &format!("a = {a}"),
            "late D of the ODE-drawn chain − the SDE-drawn",
        );
    }
    row.finish(l)
}

fn eps_target(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "eps-target",
        "On the linear path, a net that predicts eps has a larger velocity error near t = 1 than one that predicts v or x0: the velocity from an eps prediction, (ε̂ − x)/(1 − t), multiplies the net's error by 1/(1 − t).",
        "The 2D mixture study of the targets and start times (3 seeds, exact score known): the MAE of the velocity at the latest diagnostic time (t = 0.999) with the eps target minus with each other target (v, x0), paired by seed, the samplers started at the path's end; and at t = 0.1 for comparison (not counted). Then the consequence: with the eps target, the ODE's TID started at the path's end (t = 0.999) minus started earlier (each other start time), paired by seed through the TID gates. Every interval above 0 → reproduced; some → partly. The 10-D study's divergences are counted under it.",
        &["open-flow-matching-why", "open-flow-matching-nd"],
    );
    // The MAE tests need a finite figure; the start-time tests compare TID, through its gates.
    row.gates = std::iter::once(GATE_FINITE).chain(TID_GATES.iter().copied()).collect();
    let runs = l.runs("open-flow-matching-why");
    if runs.is_empty() {
        return row.not_shipped(l, "open-flow-matching-why").finish(l);
    }
    row.setting(&runs);
    let mut ts: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.metrics)
        .flat_map(|m| m.as_object().into_iter().flat_map(|o| o.keys()))
        .filter_map(|k| k.strip_prefix("mae_velocity@")?.parse().ok())
        .collect();
    ts.sort_by(f64::total_cmp);
    ts.dedup();
    // The targets are compared with the samplers started at the path's end (t_start none); a
    // file without start-time cells has only those.
    let starts = axis_values(&runs, "t-start");
    let at_end: &[(&str, &str)] = if starts.is_empty() { &[] } else { &[("t-start", "none")] };
    if let (Some(lo), Some(hi)) = (ts.first().copied(), ts.last().copied()) {
        // The eps target against each other target the study has (v, x0).
        let others: Vec<String> = axis_values(&runs, "target").into_iter().filter(|t| t != "eps").collect();
        for other in &others {
            let with = |t: &'static str| -> Vec<(&str, &str)> { [("target", t)].into_iter().chain(at_end.iter().copied()).collect() };
            let other_at: Vec<(&str, &str)> = [("target", other.as_str())].into_iter().chain(at_end.iter().copied()).collect();
            cell_test(
                &mut row,
                &runs,
                &other_at,
                &with("eps"),
                &format!("mae_velocity@{hi}"),
                &format!("t = {hi}, against {other}"),
                &format!("MAE of the velocity with the eps target − with {other}"),
            );
        }
        let m = format!("mae_velocity@{lo}");
        let mean = |target: &str| {
            let cell: Vec<(&str, &str)> = [("target", target)].into_iter().chain(at_end.iter().copied()).collect();
            let v: Vec<f64> = at(&runs, &cell).iter().filter_map(|r| r.metric(&m)).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        let low: Vec<String> = std::iter::once("eps".to_string()).chain(others).filter_map(|t| Some(format!("{} with {t}", sig(mean(&t)?)))).collect();
        row.numbers.push(format!("At t = {lo} (not counted): MAE {} (means over seeds).", low.join(", ")));
    }
    // Started earlier, the eps target's ODE carries less of the amplified error near t = 1.
    if let Some(e) = radius_of(&runs) {
        for s in starts.iter().filter(|s| s.as_str() != "none") {
            ode_tid_cells(
                &mut row,
                l,
                &runs,
                &[("target", "eps"), ("t-start", s.as_str())],
                &[("target", "eps"), ("t-start", "none")],
                e,
                &format!("eps target, started at the end against at t = {s}"),
                &format!("TID({e}) of the ODE started at the path's end − started at t = {s}"),
            );
        }
    }
    let nd = l.runs("open-flow-matching-nd");
    for target in ["eps", "v"] {
        let rs = at(&nd, &[("target", target)]);
        if rs.is_empty() {
            continue;
        }
        let diverged = rs.iter().filter(|r| r.result.is_some_and(|x| evidence::divergence(x, "ode").is_some())).count();
        row.numbers.push(format!("10-D, target {target}: the ODE did not converge in {diverged} of {} runs (the 2 × 1000 net).", rs.len()));
    }
    row.finish(l)
}
