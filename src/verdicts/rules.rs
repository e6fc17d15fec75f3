//! The paper's claims, one rule each: collapse, where it forms, why (the see-saw), the cures.
//! Each rule reads its shipped study (or run), pairs the figures the claim compares seed by
//! seed over the runs that pass the gates, and leaves the verdict to the tests
//! ([`super::Outcome::of_tests`]) unless the claim is an exact computation.

use super::evidence::{self, GATE_DET, GATE_FINITE, GATE_FLOOR, GATE_REF, GATE_RUN, Run, compare, finite, label, radius_of, tid, tid_gates};
use super::{Loaded, Outcome, Row, Verdict};
use crate::diagnostics::hermite;
use crate::stats::{paired, sig};
use serde_json::Value;

pub(super) fn paper(l: &Loaded) -> Vec<Verdict> {
    vec![
        collapse_2d(l),
        ode_vs_sde_2d(l),
        heavy_tail(l),
        other_samplers_nd(l),
        other_samplers_2d(l),
        processes_nd(l),
        processes_2d(l),
        collapse_10d(l),
        onset(l),
        error_carried(l),
        seesaw_high(l),
        seesaw_low(l),
        control(l),
        tid_width(l),
        dsm_width(l),
        hermite_seesaw(),
        hermite_erratum(),
        g2_variants(l),
        cure(l, "two-model", "fig9-two-model", "two-model", &["0.6"]),
        cure(l, "skip", "fig9-skip", "parameterization", &["skip-fixed", "skip-learned"]),
        corrector(l),
        trend_iters(l),
        trend_data_size(l),
        trend_dimension(l),
    ]
}

const TID_GATES: [&str; 4] = [GATE_RUN, GATE_FLOOR, GATE_DET, GATE_REF];

/// The values of an axis in a file's runs, in the order the runs list them.
pub(super) fn axis_values(runs: &[Run], axis: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in runs {
        if let Some(v) = r.settings.get(axis)
            && !out.contains(v)
        {
            out.push(v.clone());
        }
    }
    out
}

/// Numeric order for width-like axes.
pub(super) fn by_number(mut v: Vec<String>) -> Vec<String> {
    v.sort_by(|a, b| a.parse::<f64>().unwrap_or(f64::NAN).total_cmp(&b.parse::<f64>().unwrap_or(f64::NAN)));
    v
}

pub(super) fn at<'a, 'b>(runs: &'b [Run<'a>], at: &[(&str, &str)]) -> Vec<&'b Run<'a>> {
    runs.iter().filter(|r| r.is_at(at)).collect()
}

/// Sampler `b` against `a` (a sampler or "data", the floor) in the same runs at radius `e`: b − a
/// per seed, each run through the TID gates.
pub(super) fn tid_test(row: &mut Row, l: &Loaded, runs: &[&Run], place: &str, b: &str, a: &str, e: f64) {
    let what = format!("TID({e}) of {} − {}", label(b), if a == "data" { "the data's own (the floor)".to_string() } else { format!("{}'s", label(a)) });
    let gate = |r: &Run| tid_gates(r, &l.floors, &[a, b], e);
    let t = compare(place, &what, runs, runs, &|r| tid(r.result?, a, e), &|r| tid(r.result?, b, e), &gate, &mut row.excluded);
    row.test(t, runs);
}

/// Per cell of a file (runs grouped by their settings), each `(b, a)` pair of samplers at the
/// file's radius (or `e`); false where the file is not shipped.
pub(super) fn tid_tests(row: &mut Row, l: &Loaded, file: &str, pairs: &[(&str, &str)], e: Option<f64>) -> bool {
    let runs = l.runs(file);
    let Some(e) = e.or_else(|| radius_of(&runs)) else { return false };
    row.setting(&runs);
    let mut cells: Vec<(String, Vec<&Run>)> = Vec::new();
    for r in &runs {
        let place = evidence::place_of(&r.settings);
        match cells.iter_mut().find(|(p, _)| *p == place) {
            Some((_, rs)) => rs.push(r),
            None => cells.push((place, vec![r])),
        }
    }
    for (place, rs) in &cells {
        for (b, a) in pairs {
            let place = match (pairs.len() > 1, place.is_empty()) {
                (true, false) => format!("{place}, {}", label(b)),
                (true, true) => label(b),
                _ => place.clone(),
            };
            tid_test(row, l, rs, &place, b, a, e);
        }
    }
    if let Some(p) = l.progress(file) {
        row.numbers.push(format!("{file} is partial: {p}; the tests cover those."));
    }
    true
}

fn collapse_2d(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "collapse-2d",
        "On each 2D data set the ODE's samples are more locally concentrated than a fresh draw of the data: the ODE's TID above the data's own, seed by seed.",
        "Per data set of Fig. 3b's study (5 seeds, one net each): the ODE's TID(0.02) minus the TID of a fresh draw of the data from the same seed (the floor). Every data set's interval above 0 → reproduced; some → partly.",
        &["fig2-chessboard", "fig11-spiral", "fig11-semicircle", "fig11-mog", "fig3-tid"],
    );
    row.gates = TID_GATES.to_vec();
    if !tid_tests(&mut row, l, "fig3-tid", &[("ode", "data")], None) {
        return row.not_shipped(l, "fig3-tid").finish(l);
    }
    row.finish(l)
}

fn ode_vs_sde_2d(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "ode-vs-sde-2d",
        "On the four 2D data sets the ODE's TID is above the SDE's, one net sampled by both from one draw of noise.",
        "Per data set (5 seeds): the ODE's TID(0.02) minus the SDE's in the same run. Every data set's interval above 0 → reproduced; some → partly.",
        &["fig3-tid", "fig3-survival"],
    );
    row.gates = TID_GATES.to_vec();
    if !tid_tests(&mut row, l, "fig3-tid", &[("ode", "sde")], None) {
        return row.not_shipped(l, "fig3-tid").finish(l);
    }
    row.finish(l)
}

fn heavy_tail(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "heavy-tail",
        "The ODE's neighbour counts have a heavier tail than the data's: Hill's tail index of the ODE's samples below a fresh draw of the data's, at the survival figure's radius 0.01.",
        "Per data set (5 seeds): the tail index α of a fresh draw of the data minus α of the ODE's samples at e = 0.01 (Fig. 3a's radius; smaller α = heavier tail). Every data set's interval above 0 → reproduced; some → partly.",
        &["fig3-survival", "fig3-tid"],
    );
    row.gates = TID_GATES.to_vec();
    let runs = l.runs("fig3-tid");
    if runs.is_empty() {
        return row.not_shipped(l, "fig3-tid").finish(l);
    }
    row.setting(&runs);
    let e = 0.01;
    for v in axis_values(&runs, "dataset") {
        let rs = at(&runs, &[("dataset", v.as_str())]);
        let gate = |r: &Run| tid_gates(r, &l.floors, &["ode", "data"], e);
        let alpha = |side: &'static str| move |r: &Run| evidence::tid_field(r.result?, side, e, "alpha_samples");
        let t = compare(
            &format!("dataset = {v}"),
            "α(0.01) of the data's fresh draw − the ODE's",
            &rs,
            &rs,
            &alpha("ode"),
            &alpha("data"),
            &gate,
            &mut row.excluded,
        );
        row.test(t, &rs);
    }
    row.finish(l)
}

fn other_samplers_nd(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "other-samplers-nd",
        "In the paper's 10-D setting, DDIM and DPM-Solver-2 (and the Euler ODE) collapse: each one's TID above the reverse SDE's, one net sampled by all from one draw of noise.",
        "The 10-D study (the paper's 2 × 1000 net, 3 seeds): each deterministic sampler's TID(0.3) minus the SDE's in the same run. Every sampler's interval above 0 → reproduced; some → partly.",
        &["appK-samplers-nd", "appK-samplers"],
    );
    row.gates = TID_GATES.to_vec();
    if l.runs("appK-samplers-nd").iter().all(|r| r.result.is_none()) {
        return row.not_shipped(l, "appK-samplers-nd").finish(l);
    }
    tid_tests(&mut row, l, "appK-samplers-nd", &[("ddim", "sde"), ("dpm2", "sde"), ("ode", "sde")], None);
    row.finish(l)
}

fn other_samplers_2d(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "other-samplers-2d",
        "On the 2D mixture, DDIM and DPM-Solver-2 collapse as the ODE does: each one's TID above the reverse SDE's (the lab's 2D extra; the paper's test is the 10-D one above).",
        "The 2D study (the paper's 2D size, 5 seeds; one net per seed sampled by every sampler from one draw of noise): each deterministic sampler's TID(0.02) minus the SDE's in the same run. Every sampler's interval above 0 → reproduced; some → partly.",
        &["appK-samplers-2d", "appK-samplers"],
    );
    row.gates = TID_GATES.to_vec();
    if !tid_tests(&mut row, l, "appK-samplers-2d", &[("ddim", "sde"), ("dpm2", "sde"), ("ode", "sde")], None) {
        return row.not_shipped(l, "appK-samplers-2d").finish(l);
    }
    row.finish(l)
}

fn processes_nd(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "processes-nd",
        "In the paper's 10-D setting, the ODE collapses on the VP, sub-VP and linear processes: its TID above the SDE's per process.",
        "Per process of the 10-D study (the paper's 2 × 1000 net, 3 seeds): the ODE's TID(0.3) minus the SDE's in the same run. Every process's interval above 0 → reproduced; some → partly.",
        &["appJ-processes-nd", "appJ-processes"],
    );
    row.gates = TID_GATES.to_vec();
    if l.runs("appJ-processes-nd").iter().all(|r| r.result.is_none()) {
        return row.not_shipped(l, "appJ-processes-nd").finish(l);
    }
    tid_tests(&mut row, l, "appJ-processes-nd", &[("ode", "sde")], None);
    row.finish(l)
}

fn processes_2d(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "processes-2d",
        "On the 2D mixture, the ODE collapses on the VP, sub-VP and linear processes: its TID above the SDE's per process (the lab's 2D extra; the paper's test is 10-D).",
        "Per process of the 2D study (5 seeds): the ODE's TID(0.02) minus the SDE's in the same run. Every process's interval above 0 → reproduced; some → partly.",
        &["appJ-processes"],
    );
    row.gates = TID_GATES.to_vec();
    if !tid_tests(&mut row, l, "appJ-processes", &[("ode", "sde")], None) {
        return row.not_shipped(l, "appJ-processes").finish(l);
    }
    row.finish(l)
}

fn collapse_10d(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "collapse-10d",
        "In 10-D with the paper's 2 × 1000 net, the ODE's samples are more concentrated than the data's and than a stochastic sampler's from the same net.",
        "On the plain 2 × 1000 nets of Fig. 9's study (5 seeds): the ODE's TID(0.3) minus the floor, and minus the predictor-corrector's (its stochastic sampler) in the same run; on the App. K 10-D study (3 seeds, once shipped): minus the SDE's. Every test's interval above 0 → reproduced; some → partly.",
        &["fig5-density", "fig17-density-2d", "fig9-skip"],
    );
    row.gates = TID_GATES.to_vec();
    let runs = l.runs("fig9-skip");
    if runs.is_empty() {
        return row.not_shipped(l, "fig9-skip").finish(l);
    }
    row.setting(&runs);
    let plain = at(&runs, &[("parameterization", "plain"), ("width", "1000")]);
    if let Some(e) = radius_of(&runs) {
        tid_test(&mut row, l, &plain, "fig9-skip, plain net, width = 1000", "ode", "data", e);
        tid_test(&mut row, l, &plain, "fig9-skip, plain net, width = 1000", "ode", "pc", e);
    }
    let k = l.runs("appK-samplers-nd");
    if let Some(e) = radius_of(&k) {
        let all: Vec<&Run> = k.iter().collect();
        tid_test(&mut row, l, &all, "appK-samplers-nd", "ode", "sde", e);
    }
    let f5 = l.runs("fig5-density");
    if let (Some(r), Some(e)) = (f5.first(), radius_of(&f5))
        && let Some(res) = r.result
        && let (Some(o), Some(s), Some(d)) = (tid(res, "ode", e), tid(res, "sde", e), tid(res, "data", e))
    {
        row.numbers.push(format!("Fig. 5's own run (one seed, not counted): TID({e}) of the ODE {}, the SDE {}, the data's own {}.", sig(o), sig(s), sig(d)));
    }
    row.finish(l)
}

/// Total variation between two histograms (each normalised to sum 1).
fn tv(p: &[f64], q: &[f64]) -> Option<f64> {
    let (sp, sq) = (p.iter().sum::<f64>(), q.iter().sum::<f64>());
    (sp > 0.0 && sq > 0.0 && p.len() == q.len()).then(|| 0.5 * p.iter().zip(q).map(|(a, b)| (a / sp - b / sq).abs()).sum::<f64>())
}

/// The density record's histograms of one sampler: (t, histogram) in recorded order.
fn record(fig: &Value, who: &str) -> Option<Vec<(f64, Vec<f64>)>> {
    let r = if who == "truth" { fig.get("truth")? } else { fig.get("recordings")?.get(who)? };
    // The requested times: the samplers' recorded times are on their step grid (0.98002), the
    // truth's exact; both answer the same request.
    let ts = r.get("requested")?.as_array()?;
    let hs = r.get("histograms")?.as_array()?;
    ts.iter().zip(hs).map(|(t, h)| Some((t.as_f64()?, h.as_array()?.iter().map(|x| x.as_f64().unwrap_or(0.0)).collect()))).collect()
}

fn onset(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "onset",
        "The ODE's density of the first coordinate departs from the truth early in sampling, near t = 1, further than the SDE's does from the same net.",
        "From the density record of Fig. 5's run (histograms of x1 at 51 times): the total variation to the true noised marginal, the ODE's minus the SDE's (the same 2000 samples' worth of histogram noise), at t = 0.8; and the onset, the earliest t from which the ODE stays further from the truth than the SDE down to t = 0. One run gives no interval.",
        &["fig5-density", "fig17-density-2d"],
    );
    row.gates = vec![GATE_FINITE];
    row.setting(&l.runs("fig5-density"));
    let Some(fig) = l.figures("fig5-density") else { return row.not_shipped(l, "fig5-density").finish(l) };
    let (Some(ode), Some(sde), Some(truth)) = (record(fig, "ode"), record(fig, "sde"), record(fig, "truth")) else {
        return row.no_study("Fig. 5's figures file holds no density record of the ODE, the SDE and the truth.").finish(l);
    };
    let gap: Vec<(f64, f64, f64)> = ode
        .iter()
        .filter_map(|(t, h)| {
            let s = sde.iter().find(|(ts, _)| (ts - t).abs() < 1e-9)?;
            let tr = truth.iter().find(|(ts, _)| (ts - t).abs() < 1e-9)?;
            Some((*t, tv(h, &tr.1)?, tv(&s.1, &tr.1)?))
        })
        .collect();
    // Sampling runs from t = 1 down; the onset is the earliest (largest) t from which the ODE
    // stays further from the truth than the SDE at every later (smaller) recorded t.
    let mut sorted = gap.clone();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let onset = sorted.iter().take_while(|(_, o, s)| o > s).last().map(|x| x.0);
    let near = |t: f64| gap.iter().min_by(|a, b| (a.0 - t).abs().total_cmp(&(b.0 - t).abs())).copied();
    if let Some((t, o, s)) = near(0.8) {
        let seed = l.runs("fig5-density").first().map(|r| r.seed).unwrap_or(0);
        let mut p = paired(&[Some(s)], &[Some(o)]);
        p.diffs[0].0 = seed as usize;
        let runs = l.runs("fig5-density");
        let refs: Vec<&Run> = runs.iter().collect();
        row.test(Some(evidence::Test::new(format!("t = {}", sig(t)), "TV to the truth of the ODE's density − the SDE's", p)), &refs);
    }
    let at_t: Vec<String> =
        [1.0, 0.9, 0.8, 0.6, 0.4, 0.0].iter().filter_map(|t| near(*t)).map(|(t, o, s)| format!("t = {}: ODE {}, SDE {}", sig(t), sig(o), sig(s))).collect();
    row.numbers.push(format!("TV to the truth by t (one seed): {}.", at_t.join("; ")));
    row.numbers.push(match onset {
        Some(t) => format!("The ODE stays further from the truth than the SDE from t = {} down to t = 0.", sig(t)),
        None => "The ODE is not further from the truth than the SDE at the last recorded time.".to_string(),
    });
    row.finish(l)
}

/// The correlation of the velocity error at the time closest to `t` with the error at t = 1
/// along one sampler's paths.
pub(super) fn correlation_at(result: &Value, sampler: &str, t: f64) -> Option<f64> {
    let list = result.get("diagnostics")?.get("error_correlation")?.get(sampler)?.as_array()?;
    list.iter().filter_map(|p| Some((p["t"].as_f64()?, p["corr"].as_f64()?))).min_by(|a, b| (a.0 - t).abs().total_cmp(&(b.0 - t).abs())).map(|x| x.1)
}

fn error_carried(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "error-carried",
        "Along the ODE's paths the velocity error at t = 0.6 stays more correlated with the error at t = 1 than along a stochastic sampler's paths from the same net.",
        "On the plain nets of Fig. 9's 10-D study (5 seeds per width): the correlation at t = 0.6 with the error at t = 1 along the ODE's paths minus along the predictor-corrector's, per width (the paper compares the ODE with the SDE; the study's stochastic sampler is the predictor-corrector). Every width's interval above 0 → reproduced; some → partly. The single diagnostics runs (10-D and 1-D, ODE against SDE) are listed, not counted.",
        &["fig6-velocity", "fig13-velocity-1d", "fig9-skip"],
    );
    row.gates = vec![GATE_FINITE];
    let runs = l.runs("fig9-skip");
    row.setting(&runs);
    for w in by_number(axis_values(&runs, "width")) {
        let rs = at(&runs, &[("parameterization", "plain"), ("width", w.as_str())]);
        let corr = |s: &'static str| move |r: &Run| correlation_at(r.result?, s, 0.6);
        let gate = |r: &Run| finite(r, r.result.and_then(|x| correlation_at(x, "ode", 0.6)));
        let t = compare(
            &format!("width = {w}"),
            "correlation at t = 0.6 along the ODE's paths − along the predictor-corrector's",
            &rs,
            &rs,
            &corr("pc"),
            &corr("ode"),
            &gate,
            &mut row.excluded,
        );
        row.test(t, &rs);
    }
    for (name, id) in [("10-D, Fig. 6", "fig6-velocity"), ("1-D, Fig. 13", "fig13-velocity-1d")] {
        if let Some(res) = l.runs(id).first().and_then(|r| r.result)
            && let (Some(o), Some(s)) = (correlation_at(res, "ode", 0.6), correlation_at(res, "sde", 0.6))
        {
            row.numbers.push(format!(
                "{name} (one seed, not counted): correlation at t = 0.6 of {} along the ODE's paths, {} along the SDE's.",
                sig(o),
                sig(s)
            ));
        }
    }
    if runs.is_empty() {
        return row.not_shipped(l, "fig9-skip").finish(l);
    }
    row.finish(l)
}

/// The first and last value of an axis.
pub(super) type Ends = (String, String);

/// A study's runs with the row's setting filled, and the first and last value of `axis` in
/// numeric order (`None` with fewer than two); `None` where the file is not shipped.
pub(super) fn ends_of<'l>(row: &mut Row, l: &'l Loaded, file: &str, axis: &str) -> Option<(Vec<Run<'l>>, Option<Ends>)> {
    let runs = l.runs(file);
    if runs.is_empty() {
        return None;
    }
    row.setting(&runs);
    let vs = by_number(axis_values(&runs, axis));
    let ends = (vs.len() >= 2).then(|| (vs[0].clone(), vs[vs.len() - 1].clone()));
    Some((runs, ends))
}

/// A figure of the runs `b` minus the same figure of the runs `a`, paired by seed, each run
/// through `gate`; the test (or the place lost) goes into the row.
#[allow(clippy::too_many_arguments)] // reason: the two sides, the figure, its gate and the words of the test
pub(super) fn cross_test(
    row: &mut Row,
    a: &[&Run],
    b: &[&Run],
    value: &dyn Fn(&Run) -> Option<f64>,
    gate: &dyn Fn(&Run) -> Result<(), String>,
    place: &str,
    what: &str,
) {
    let t = compare(place, what, a, b, value, value, gate, &mut row.excluded);
    let both: Vec<&Run> = a.iter().chain(b.iter()).copied().collect();
    row.test(t, &both);
}

/// A study figure of cell `b` minus cell `a`, paired by seed, each run through [`finite`].
pub(super) fn cell_test(row: &mut Row, runs: &[Run], a_at: &[(&str, &str)], b_at: &[(&str, &str)], metric: &str, place: &str, what: &str) {
    cross_test(row, &at(runs, a_at), &at(runs, b_at), &|r: &Run| r.metric(metric), &|r: &Run| finite(r, r.metric(metric)), place, what);
}

/// The ODE's TID at radius e of cell `b` minus cell `a`, paired by seed, each run through the TID gates.
#[allow(clippy::too_many_arguments)] // reason: the cells, the radius and the words of the test
pub(super) fn ode_tid_cells(row: &mut Row, l: &Loaded, runs: &[Run], a_at: &[(&str, &str)], b_at: &[(&str, &str)], e: f64, place: &str, what: &str) {
    cross_test(row, &at(runs, a_at), &at(runs, b_at), &|r: &Run| tid(r.result?, "ode", e), &|r: &Run| tid_gates(r, &l.floors, &["ode"], e), place, what);
}

/// The width with the lowest mean of a figure among full-training cells.
fn lowest_width(runs: &[Run], metric: &str) -> Option<String> {
    by_number(axis_values(runs, "width"))
        .into_iter()
        .filter_map(|w| {
            let v: Vec<f64> = at(runs, &[("width", w.as_str()), ("fixed-t", "none")]).iter().filter_map(|r| r.metric(metric)).collect();
            (!v.is_empty()).then(|| (w, v.iter().sum::<f64>() / v.len() as f64))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|x| x.0)
}

fn seesaw_high(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "seesaw-high",
        "As the net grows, its velocity error at t = 1 rises: the MAE at t = 1 higher at the widest net than at the narrowest, seed by seed (and from the width where it is lowest).",
        "Full training in Fig. 7's study (5 seeds per width): MAE of the velocity at t = 1 at the widest width minus at the narrowest, and minus at the width where its mean is lowest (where that is another). Both intervals above 0 → reproduced; one → partly.",
        &["fig7-seesaw", "fig14-width100"],
    );
    row.gates = vec![GATE_FINITE];
    let Some((runs, ends)) = ends_of(&mut row, l, "fig7-seesaw", "width") else { return row.not_shipped(l, "fig7-seesaw").finish(l) };
    let Some((lo, hi)) = ends.as_ref().map(|(a, b)| (a.as_str(), b.as_str())) else { return row.finish(l) };
    let m = "mae_velocity@1";
    cell_test(
        &mut row,
        &runs,
        &[("width", lo), ("fixed-t", "none")],
        &[("width", hi), ("fixed-t", "none")],
        m,
        &format!("width {hi} against {lo}"),
        "MAE(t = 1) at the wider net − at the narrower",
    );
    if let Some(w) = lowest_width(&runs, m).filter(|w| w != lo && w != hi) {
        cell_test(
            &mut row,
            &runs,
            &[("width", &w), ("fixed-t", "none")],
            &[("width", hi), ("fixed-t", "none")],
            m,
            &format!("width {hi} against {w} (the lowest mean)"),
            "MAE(t = 1) at the wider net − at the narrower",
        );
    }
    row.finish(l)
}

fn seesaw_low(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "seesaw-low",
        "As the net grows, its velocity error at t = 0.1 falls: the MAE at t = 0.1 lower at the widest net than at the narrowest, seed by seed.",
        "Full training in Fig. 7's study (5 seeds per width): MAE of the velocity at t = 0.1 at the narrowest width minus at the widest, and at the width where it is lowest minus at the widest (a rise past that width reads below 0). The first interval above 0 and the second not below → reproduced.",
        &["fig7-seesaw"],
    );
    row.gates = vec![GATE_FINITE];
    let Some((runs, ends)) = ends_of(&mut row, l, "fig7-seesaw", "width") else { return row.not_shipped(l, "fig7-seesaw").finish(l) };
    let Some((lo, hi)) = ends.as_ref().map(|(a, b)| (a.as_str(), b.as_str())) else { return row.finish(l) };
    let m = "mae_velocity@0.1";
    cell_test(
        &mut row,
        &runs,
        &[("width", hi), ("fixed-t", "none")],
        &[("width", lo), ("fixed-t", "none")],
        m,
        &format!("width {lo} against {hi}"),
        "MAE(t = 0.1) at the narrower net − at the wider",
    );
    if let Some(w) = lowest_width(&runs, m).filter(|w| w != lo && w != hi) {
        cell_test(
            &mut row,
            &runs,
            &[("width", hi), ("fixed-t", "none")],
            &[("width", &w), ("fixed-t", "none")],
            m,
            &format!("width {w} (the lowest mean) against {hi}"),
            "MAE(t = 0.1) at the lowest width − at the widest",
        );
    }
    // The second test only guards against a rise past the lowest width (it reading below 0
    // makes the fall partial); the verdict is the first test's.
    use crate::stats::Reading;
    let rise = row.tests.get(1).is_some_and(|t| t.reading == Reading::Below);
    row.outcome = row.tests.first().map(|t| match (t.reading, rise) {
        (Reading::Above, false) => Outcome::Reproduced,
        (Reading::Above, true) => Outcome::Partly,
        (Reading::Below, _) => Outcome::NotReproduced,
        (Reading::Undecided, _) => Outcome::Inconclusive,
    });
    row.finish(l)
}

fn control(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "control",
        "A net trained on the high-noise score alone (t fixed at 1) has a lower error at t = 1 than full training, at every width.",
        "Per width of Fig. 7's study (5 seeds): full training's MAE at t = 1 minus the control's (seed by seed: the same seed's data and noise streams). Every width's interval above 0 → reproduced; some → partly.",
        &["fig7-seesaw"],
    );
    row.gates = vec![GATE_FINITE];
    let runs = l.runs("fig7-seesaw");
    if runs.is_empty() {
        return row.not_shipped(l, "fig7-seesaw").finish(l);
    }
    row.setting(&runs);
    for w in by_number(axis_values(&runs, "width")) {
        cell_test(
            &mut row,
            &runs,
            &[("width", &w), ("fixed-t", "1")],
            &[("width", &w), ("fixed-t", "none")],
            "mae_velocity@1",
            &format!("width = {w}"),
            "MAE(t = 1) of full training − of the control",
        );
    }
    row.finish(l)
}

fn tid_width(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "tid-width",
        "The ODE's TID grows with the net's width (Fig. 7b), at the 10-D radius: TID(0.3) of the ODE higher at width 1000 than at width 100, seed by seed.",
        "Fig. 7's study measured TID at the 2D radii (0.01–0.2), where the 10-D data's points have almost no neighbours; Fig. 9's plain nets (widths 100 and 1000, 5 seeds, the 10-D radii) carry the test: the ODE's TID(0.3) at width 1000 minus at width 100. Interval above 0 → reproduced.",
        &["fig7-seesaw", "fig9-skip"],
    );
    row.gates = TID_GATES.to_vec();
    let runs = l.runs("fig9-skip");
    if runs.is_empty() {
        return row.not_shipped(l, "fig9-skip").finish(l);
    }
    row.setting(&runs);
    let Some(e) = radius_of(&runs) else { return row.finish(l) };
    let ws = by_number(axis_values(&runs, "width"));
    if let (Some(lo), Some(hi)) = (ws.first(), ws.last()) {
        let (pa, pb) = ([("parameterization", "plain"), ("width", lo.as_str())], [("parameterization", "plain"), ("width", hi.as_str())]);
        ode_tid_cells(&mut row, l, &runs, &pa, &pb, e, &format!("width {hi} against {lo}"), &format!("TID({e}) of the ODE at the wider net − at the narrower"));
    }
    row.finish(l)
}

fn dsm_width(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "dsm-width",
        "The denoising loss shows the see-saw: at t = 1 it is higher at the widest net than at the narrowest, at t = 0.1 lower.",
        "Full training in Fig. 7's study (5 seeds per width): the DSM loss at t = 1 at the widest width minus at the narrowest, and at t = 0.1 at the narrowest minus at the widest (the same seed's draws, so the loss's irreducible floor cancels). Both intervals above 0 → reproduced; one → partly.",
        &["fig7-seesaw"],
    );
    row.gates = vec![GATE_FINITE];
    let Some((runs, ends)) = ends_of(&mut row, l, "fig7-seesaw", "width") else { return row.not_shipped(l, "fig7-seesaw").finish(l) };
    let Some((lo, hi)) = ends.as_ref().map(|(a, b)| (a.as_str(), b.as_str())) else { return row.finish(l) };
    cell_test(
        &mut row,
        &runs,
        &[("width", lo), ("fixed-t", "none")],
        &[("width", hi), ("fixed-t", "none")],
        "dsm@1",
        &format!("t = 1, width {hi} against {lo}"),
        "DSM loss at the wider net − at the narrower",
    );
    cell_test(
        &mut row,
        &runs,
        &[("width", hi), ("fixed-t", "none")],
        &[("width", lo), ("fixed-t", "none")],
        "dsm@0.1",
        &format!("t = 0.1, width {lo} against {hi}"),
        "DSM loss at the narrower net − at the wider",
    );
    row.finish(l)
}

fn hermite_seesaw() -> Verdict {
    hermite_row("hermite", false)
}

fn hermite_erratum() -> Verdict {
    hermite_row("hermite-erratum", true)
}

/// Prop. 1, computed exactly (Gauss–Hermite quadrature, mu = 1, degrees 1–15): the see-saw
/// (as the proof's formulas give it) and, for the erratum row, the statement as printed.
fn hermite_row(id: &'static str, printed: bool) -> Verdict {
    let (claim, rule) = if printed {
        (
            "Prop. 1 as printed in App. G.3: as the degree p of the joint fit grows, the low-noise loss rises and the high-noise loss falls; and every odd low-noise coefficient is negative.",
            "Computed exactly (no seeds): the printed inequalities hold for every p, and every odd low-noise coefficient is negative → reproduced; otherwise not reproduced, with the computed values (an erratum: the proof's own formulas give the inequalities the other way round).",
        )
    } else {
        (
            "The see-saw of polynomial fits (Prop. 1, as its proof gives it): fitting one degree-p polynomial to both scores, the low-noise loss falls and the high-noise loss rises as p grows.",
            "Computed exactly (Gauss–Hermite quadrature, mu = 1, degrees 1–15; no seeds): the low-noise loss falling and the high-noise loss rising at every step of p → reproduced; otherwise not reproduced.",
        )
    };
    let mut row = Row::new(id, claim, rule, &["prop1-hermite"]);
    row.statistic = "Exact: Gauss–Hermite quadrature with 150 nodes; no seeds, no sampling error.".to_string();
    row.lab_setting =
        "s_low(x) = tanh(mu x) mu − x and s_high(x) = −x, x ~ N(0, 1), mu = 1; normalised Hermite polynomials up to degree 15; 150 quadrature nodes."
            .to_string();
    let l = Loaded::empty();
    let Ok(h) = hermite::seesaw(1.0, 15, 150) else {
        return row.no_study("The quadrature failed.").finish(&l);
    };
    let tol = 1e-12;
    let ls = &h.losses;
    let low_falls = ls.windows(2).all(|w| w[1].l_low <= w[0].l_low + tol);
    let high_rises = ls.windows(2).all(|w| w[1].l_high >= w[0].l_high - tol);
    let low_rises = ls.windows(2).all(|w| w[1].l_low >= w[0].l_low - tol);
    let high_falls = ls.windows(2).all(|w| w[1].l_high <= w[0].l_high + tol);
    let (a, b) = (&ls[0], &ls[ls.len() - 1]);
    row.numbers.push(format!(
        "Low-noise loss {} at p = {} to {} at p = {}; high-noise loss {} to {} (exact).",
        sig(a.l_low),
        a.p,
        sig(b.l_low),
        b.p,
        sig(a.l_high),
        sig(b.l_high)
    ));
    if printed {
        let odd_positive: Vec<String> =
            h.coefficients.iter().filter(|c| c.i % 2 == 1 && c.low > 0.0).map(|c| format!("alpha_{} = {}", c.i, sig(c.low))).collect();
        row.outcome = Some(if low_rises && high_falls && odd_positive.is_empty() { Outcome::Reproduced } else { Outcome::NotReproduced });
        row.numbers.push(format!(
            "As printed: the low-noise loss {} and the high-noise loss {} with p: the printed inequalities are swapped against the proof's formulas.",
            if low_rises { "rises" } else { "falls" },
            if high_falls { "falls" } else { "rises" }
        ));
        if !odd_positive.is_empty() {
            row.numbers.push(format!("Odd low-noise coefficients that are positive, where the text says all are negative: {}.", odd_positive.join(", ")));
        }
    } else {
        row.outcome = Some(if low_falls && high_rises { Outcome::Reproduced } else { Outcome::NotReproduced });
    }
    row.gates = vec![];
    row.finish(&l)
}

fn g2_variants(l: &Loaded) -> Verdict {
    let row = Row::new(
        "g2-variants",
        "App. G.2's variants of the see-saw analysis (see the quote).",
        "No rule yet: the lab has no study of App. G.2's variants.",
        &["fig7-seesaw"],
    );
    row.no_study("A study of App. G.2's variants (the see-saw diagnostics across its settings) would test it; none is shipped.").finish(l)
}

/// A cure (each value of `axis` in `cures`) against the plain net (the axis's first value), per
/// width: the MAE at t = 1 and the ODE's TID, plain minus cured, paired by seed.
fn cure(l: &Loaded, id: &'static str, file: &'static str, axis: &'static str, cures: &[&str]) -> Verdict {
    let (claim, links): (&'static str, &'static [&'static str]) = if id == "two-model" {
        ("Two nets split at t' = 0.6 lower the high-noise error and the ODE's TID against one net, at each width.", &["fig9-two-model"])
    } else {
        (
            "A skip connection (fixed or learned coefficients) lowers the high-noise error and the ODE's TID against the plain net, at each width.",
            &["fig9-skip"],
        )
    };
    let mut row = Row::new(
        id,
        claim,
        "Per cure and width (5 seeds): the plain net's MAE at t = 1 minus the cured net's, and the plain net's ODE TID(0.3) minus the cured net's (the same seed's data and noise). Every test's interval above 0 → reproduced; some → partly.",
        links,
    );
    row.gates = vec![GATE_FINITE, GATE_RUN, GATE_FLOOR, GATE_DET, GATE_REF];
    let runs = l.runs(file);
    if runs.is_empty() {
        return row.not_shipped(l, file).finish(l);
    }
    row.setting(&runs);
    let Some(base) = axis_values(&runs, axis).into_iter().next() else { return row.finish(l) };
    let e = radius_of(&runs);
    for v in cures {
        for w in by_number(axis_values(&runs, "width")) {
            let (pa, pb) = ([(axis, base.as_str()), ("width", w.as_str())], [(axis, *v), ("width", w.as_str())]);
            cell_test(&mut row, &runs, &pb, &pa, "mae_velocity@1", &format!("{axis} = {v}, width = {w}"), "MAE(t = 1) of the plain net − of the cured");
            if let Some(e) = e {
                ode_tid_cells(
                    &mut row,
                    l,
                    &runs,
                    &pb,
                    &pa,
                    e,
                    &format!("{axis} = {v}, width = {w}"),
                    &format!("TID({e}) of the ODE on the plain net − on the cured"),
                );
            }
        }
    }
    row.finish(l)
}

fn corrector(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "corrector",
        "A stochastic corrector after each ODE step (predictor-corrector) lowers the TID against the ODE alone, the same net sampled by both from one draw of noise.",
        "On the plain nets of Fig. 9's study, per width (5 seeds): the ODE's TID(0.3) minus the predictor-corrector's in the same run. Every width's interval above 0 → reproduced; some → partly.",
        &["fig9-skip", "appK-samplers"],
    );
    row.gates = TID_GATES.to_vec();
    let runs = l.runs("fig9-skip");
    if runs.is_empty() {
        return row.not_shipped(l, "fig9-skip").finish(l);
    }
    row.setting(&runs);
    let Some(e) = radius_of(&runs) else { return row.finish(l) };
    for w in by_number(axis_values(&runs, "width")) {
        let rs = at(&runs, &[("parameterization", "plain"), ("width", w.as_str())]);
        tid_test(&mut row, l, &rs, &format!("width = {w}"), "ode", "pc", e);
    }
    row.finish(l)
}

fn trend_iters(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "trend-iters",
        "Collapse persists as training lengthens: the ODE's TID above the SDE's at every training length from 1k to 30k iterations (2D mixture).",
        "Per training length of the iterations study (2D mixture, 5 seeds): the ODE's TID(0.02) minus the SDE's in the same run. Every length's interval above 0 → reproduced; some → partly.",
        &["open-iters"],
    );
    row.gates = TID_GATES.to_vec();
    if !tid_tests(&mut row, l, "open-iters", &[("ode", "sde")], None) {
        return row.not_shipped(l, "open-iters").finish(l);
    }
    row.finish(l)
}

fn trend_data_size(l: &Loaded) -> Verdict {
    let mut row = Row::new(
        "trend-data-size",
        "On the 2D mixture, the ODE's TID falls as the training set grows: its TID after training on the fewest points above its TID after training on the most, seed by seed (the paper's test is on images).",
        "The training-set-size study (2D mixture, 3 seeds): the ODE's TID(0.02) at the smallest training set minus at the largest, each run through the TID gates. Interval above 0 → reproduced; below 0 → not reproduced.",
        &["open-data-size"],
    );
    row.gates = TID_GATES.to_vec();
    let Some((runs, ends)) = ends_of(&mut row, l, "open-data-size", "data-size") else { return row.not_shipped(l, "open-data-size").finish(l) };
    if let (Some((lo, hi)), Some(e)) = (ends.as_ref().map(|(a, b)| (a.as_str(), b.as_str())), radius_of(&runs)) {
        ode_tid_cells(
            &mut row,
            l,
            &runs,
            &[("data-size", hi)],
            &[("data-size", lo)],
            e,
            &format!("{lo} against {hi} points"),
            &format!("TID({e}) of the ODE after training on the fewer points − on the more"),
        );
    }
    row.finish(l)
}

fn trend_dimension(l: &Loaded) -> Verdict {
    Row::new("trend-dimension", "Collapse against the data's dimension.", "No rule yet: no study over the mixture's dimension is shipped.", &["fig5-density"])
        .no_study("A study over the mixture's dimension (`--vary dim=2,5,10,20` on mog-nd) would test it; none is shipped.")
        .finish(l)
}
