//! Tests of recursive training: the histogram measures, chains, the geometric account, plans and aggregation as a study.

use super::*;
use crate::engine::block_on;
use crate::spec::overrides;

fn spec(pairs: &[(&str, &str)]) -> ExperimentSpec {
    let base = [
        ("dataset", "mog"),
        ("depth", "2"),
        ("width", "32"),
        ("iters", "300"),
        ("batch", "256"),
        ("lr", "0.005"),
        ("n-samples", "500"),
        ("repeats", "2"),
        ("eps", "0.05,0.1"),
        ("steps", "sde=100,ode=50"),
        ("gen-size", "1000"),
        ("generations", "3"),
        ("shown", "50"),
    ];
    overrides::from_pairs(base.iter().chain(pairs).copied()).unwrap()
}

fn chain(s: &ExperimentSpec) -> ChainResult {
    let mut quiet = |_: ChainEvent| ControlFlow::Continue(());
    block_on(run_chain(s, Backend::Cpu, &mut quiet)).unwrap()
}

fn draw(n: usize, index: u64) -> Points {
    Dataset::Mog.generate_from(n, 2, &mut rng::stream(7, Stream::Reference, index))
}

use crate::data::Dataset;

#[test]
fn mixing_with_data_shrinks_chi2_by_one_minus_a_squared_exactly() {
    let h = Histogram::of_data(&draw(50_000, 0), 20, 1e-3);
    // A model that is the data widened: its histogram differs from the data's everywhere.
    let mut model = draw(5000, 1);
    model.data.iter_mut().for_each(|x| *x *= 1.3);
    let p_hat = h.masses(&model);
    let d = h.chi2(&p_hat, &h.data);
    assert!(d > 0.1, "{d}");
    for a in [0.0, 0.1, 0.5, 0.9, 1.0] {
        let q = mix(a, &h.data, &p_hat);
        let lhs = h.chi2(&q, &h.data);
        let rhs = (1.0 - a) * (1.0 - a) * d;
        assert!((lhs - rhs).abs() <= 1e-12 * d.max(1.0), "a = {a}: {lhs} vs {rhs}");
    }
    // The merged bins are a partition: masses sum to one, and the rest bin holds what is
    // outside the range.
    assert!((p_hat.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!((h.data.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!(h.data[..h.good].iter().all(|&m| m >= 1e-3));
    assert!(p_hat[h.good] > h.data[h.good], "the widened model puts more mass outside the good set");
}

#[test]
fn the_data_against_itself_is_within_sampling_noise_of_zero() {
    let h = Histogram::of_data(&draw(HIST_DRAW_POINTS, 0), 20, 1e-3);
    let (m, big) = (2000, HIST_DRAW_POINTS as f64);
    // E chi^2 of an m-point histogram against a big-draw one of the same law, and its spread
    // (chi^2 with K - 1 degrees of freedom, scaled): the figures a correct histogram must meet.
    let expect: f64 = h.data.iter().map(|&p| p * (1.0 - p) * (1.0 / m as f64 + 1.0 / big) / p.max(h.floor)).sum();
    let sd = (2.0 * h.good as f64).sqrt() / m as f64;
    let values: Vec<f64> = (1..=20).map(|i| h.chi2(&h.masses(&draw(m, i)), &h.data)).collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    assert!((mean - expect).abs() < 3.0 * sd / (values.len() as f64).sqrt() + 0.1 * expect, "mean {mean} vs {expect} (sd {sd})");
    assert!(values.iter().all(|&v| v < expect + 6.0 * sd), "{values:?}");
    // And what a chain reports as its floor is one such draw.
    let c = chain(&spec(&[("exact-score", "true"), ("generations", "1")]));
    assert!(c.chi2_null > 0.0 && c.chi2_null < 0.1, "{}", c.chi2_null);
}

#[test]
fn with_the_exact_score_the_chain_stays_at_the_data() {
    let s = spec(&[("exact-score", "true"), ("fresh", "0"), ("steps", "sde=400"), ("generations", "4")]);
    let c = chain(&s);
    assert_eq!(c.generations.len(), 5);
    assert!(c.error.is_none());
    // Each generation is a fresh draw of (nearly) the data: D at the noise floor, which for
    // 1000 points on ~40 good bins is ~0.04 (sd ~0.01); the SDE's discretisation adds little.
    for g in &c.generations {
        assert!(g.chi2 < 2.5 * c.chi2_null + 0.03, "generation {}: D = {} (floor {})", g.generation, g.chi2, c.chi2_null);
        assert_eq!(g.dsm_loss, None);
    }
    assert_eq!(c.engine, "exact score (no training)");
}

#[test]
fn a_chain_is_deterministic_and_keeps_its_account() {
    let s = spec(&[("fresh", "0.5"), ("generations", "2")]);
    let (a, b) = (chain(&s), chain(&s));
    let figures = |c: &ChainResult| c.generations.iter().map(|g| (g.chi2, g.kl, g.chi2_step, g.dsm_loss, g.samples.clone())).collect::<Vec<_>>();
    assert_eq!(figures(&a), figures(&b));
    let c = a;
    assert_eq!(c.generations.len(), 3);
    assert_eq!((c.generations[0].fresh_points, c.generations[0].model_points), (1000, 0));
    assert_eq!((c.generations[1].fresh_points, c.generations[1].model_points), (500, 500));
    assert_eq!(c.generations[0].samples.len(), 100, "50 shown points x 2 coordinates");
    // I_i for every generation but the last; the account's recursion and its matrix.
    assert!(c.generations[..2].iter().all(|g| g.chi2_step.is_some_and(|v| v.is_finite() && v >= 0.0)));
    assert!(c.generations[2].chi2_step.is_none());
    let r = 0.25;
    assert_eq!(c.generations[0].geometric, c.generations[0].chi2);
    for n in 1..3 {
        let want = r * c.generations[n - 1].geometric + c.generations[n - 1].chi2_step.unwrap();
        assert!((c.generations[n].geometric - want).abs() < 1e-12, "{n}");
        assert_eq!(c.contributions[n].len(), n + 1);
        assert!((c.contributions[n].iter().sum::<f64>() - c.generations[n].geometric).abs() < 1e-12);
    }
    // TID on the run's grid, and the chain's metrics for a study.
    assert_eq!(c.generations[1].tid.len(), 2);
    let m = chain_metrics(&c);
    assert_eq!(m["chi2@1"], Some(c.generations[1].chi2));
    assert!(m.contains_key("tid@2@0.05") && m.contains_key("chi2_step@1") && !m.contains_key("chi2_step@2"));
}

#[test]
fn with_only_fresh_data_every_generation_is_like_the_first() {
    // a = 1: every generation trains on a fresh data draw, so D_i are independent draws of one
    // law (that of D_0); with a = 0 and the ODE the chain feeds on itself. Same nets, seeds.
    let only_data = chain(&spec(&[("fresh", "1"), ("generations", "4")]));
    let d: Vec<f64> = only_data.generations.iter().map(|g| g.chi2).collect();
    assert!(only_data.generations[1..].iter().all(|g| g.model_points == 0));
    let (lo, hi) = d.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
    assert!(hi < 3.0 * lo + 0.05, "a = 1 keeps D level: {d:?}");
}

#[test]
fn warm_start_starts_from_the_previous_generation() {
    // With a tiny learning rate training barely moves the net: warm-started generations keep
    // generation 0's loss, fresh ones start again from an untrained net.
    let base = [("lr", "1e-7"), ("iters", "20"), ("fresh", "1"), ("generations", "1"), ("exact-score", "false")];
    let trained = chain(&spec(&[("iters", "400"), ("generations", "1"), ("warm-start", "true"), ("fresh", "1")]));
    let warm = chain(&spec(&[base.as_slice(), &[("warm-start", "true")]].concat()));
    let cold = chain(&spec(&base));
    let loss = |c: &ChainResult, g: usize| c.generations[g].dsm_loss.unwrap();
    assert!((loss(&warm, 1) - loss(&warm, 0)).abs() < 0.05 * loss(&warm, 0), "{} vs {}", loss(&warm, 1), loss(&warm, 0));
    assert!((loss(&cold, 1) - loss(&cold, 0)).abs() > 0.0);
    // Trained for real, the warm-started generation begins where generation 0 ended: its loss
    // is at most generation 0's plus noise.
    assert!(loss(&trained, 1) < 1.2 * loss(&trained, 0), "{} vs {}", loss(&trained, 1), loss(&trained, 0));
}

#[test]
fn chains_plan_and_aggregate_as_a_study() {
    let s = spec(&[("generations", "1"), ("exact-score", "true")]);
    let fresh = ["0.1".to_string(), "0.9".to_string()];
    let p = plan(&s, &fresh, &["sde".to_string()], Vec::new(), 2).unwrap();
    assert_eq!(p.runs.len(), 4);
    assert_eq!(p.runs[2].spec.recursion.as_ref().unwrap().fresh, 0.9);
    let records: Vec<RunRecord> = p.runs.iter().map(|r| record(r, Ok(&chain(&r.spec)))).collect();
    let out = aggregate(&p, &records);
    assert_eq!(out.cells.len(), 2);
    let stat = &out.cells[1].metrics["chi2@1"];
    assert_eq!(stat.values.len(), 2);
    assert!(stat.mean.is_some() && stat.std.is_some());
    assert_eq!(out.runs[3]["fresh"], 0.9);
    assert_eq!(out.runs[3]["sampler"], "sde");
    assert!(out.runs[3]["generations"][1]["tid"][0]["eps"].is_number());
    let csv = to_csv(&out);
    assert_eq!(csv.lines().count(), 1 + 4 * 2);
    assert!(csv.starts_with("fresh,sampler,seed,generation,chi2,kl,chi2_step,geometric,dsm_loss"));
    // Bad axes name the setting.
    let e = plan(&s, &["1.5".to_string()], &["sde".to_string()], Vec::new(), 1).unwrap_err();
    assert!(e.field == "fresh" && e.message.starts_with("recursion.fresh: the fresh-data fraction a must be in 0..=1"), "{e}");
    let e = plan(&s, &["0.5".to_string()], &["euler".to_string()], Vec::new(), 1).unwrap_err();
    assert!(e.field == "gen-sampler" && e.message.contains("unknown sampler"), "{e}");
}

#[test]
fn a_plain_run_refuses_a_generations_spec_and_back() {
    let s = spec(&[]);
    let mut quiet_run = |_: Event| ControlFlow::Continue(());
    let e = block_on(crate::experiment::run_on(&s, Backend::Cpu, &mut quiet_run)).unwrap_err();
    assert!(e.to_string().contains("collapse-lab generations"), "{e}");
    let plain = ExperimentSpec::default();
    let mut quiet = |_: ChainEvent| ControlFlow::Continue(());
    let e = block_on(run_chain(&plain, Backend::Cpu, &mut quiet)).unwrap_err();
    assert!(e.to_string().contains("not a generations run"), "{e}");
}

/// The findings are computed from the chains: the shipped Fig. 1 file's seed-0 chains (one SDE
/// chain per a; the file grows to more seeds across sessions), then the same with its numbers
/// edited, and with a second seed and an ODE chain added.
#[test]
fn findings_follow_the_chains_numbers() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/runs/rec-fig1.json");
    let mut g: GenerationsResult = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    g.runs.retain(|r| r["seed"] == 0);
    assert_eq!(g.runs.len(), 3, "one chain per a of seed 0");
    (g.seeds, g.missing) = (1, Vec::new());
    let f = findings(&g);
    let all = f.join("\n");
    assert!(all.contains("averaged over generations 11–20") && all.contains("(1 chain each: no error bars)"), "{all}");
    assert!(all.contains("The less fresh data, the larger D, as the (1 − a)^{2m} law predicts."), "{all}");
    assert!(all.contains("within a factor of 2 in") && !all.contains("Partial"), "{all}");
    // a = 0.9's late generations made worse than a = 0.5's: the law's order is broken, and said so.
    let mut edited = g.clone();
    let nine = edited.runs.iter_mut().find(|r| r["fresh"] == 0.9).unwrap();
    for gr in nine["generations"].as_array_mut().unwrap().iter_mut().skip(11) {
        gr["chi2"] = 5.0.into();
    }
    let all = findings(&edited).join("\n");
    assert!(all.contains("Not ordered as the (1 − a)^{2m} law predicts") && all.contains("a = 0.5 is not above a = 0.9"), "{all}");
    assert!(all.contains("5.00 at a = 0.9"), "{all}");
    // Two seeds per cell and an ODE in the loop with twice the SDE's D: spreads, and the
    // comparison at each a.
    let mut two = g.clone();
    let mut more = Vec::new();
    for r in &g.runs {
        for (sampler, seed, scale) in [("sde", 1, 1.1), ("ode", 0, 2.0), ("ode", 1, 2.2)] {
            let mut c = r.clone();
            c["sampler"] = sampler.into();
            c["seed"] = seed.into();
            for gr in c["generations"].as_array_mut().unwrap().iter_mut().skip(1) {
                gr["chi2"] = (gr["chi2"].as_f64().unwrap() * scale).into();
            }
            more.push(c);
        }
    }
    two.runs.extend(more);
    let all = findings(&two).join("\n");
    assert!(all.contains("With ODE in the loop") && all.contains("mean ± sd over 2 chains each"), "{all}");
    assert!(all.contains("At a = 0.1, ODE's D averaged over generations 11–20 is above SDE's"), "{all}");
    assert!(all.contains("its TID(0.05) is"), "{all}");
    assert!(all.contains("(mean ± sd over 2 chains each; bars apart)") || all.contains("(mean ± sd over 2 chains each; bars overlap)"), "{all}");
    // One chain a side: no bars, said once.
    let mut one = g.clone();
    let mut ode = g.runs[0].clone();
    ode["sampler"] = "ode".into();
    one.runs.push(ode);
    let all = findings(&one).join("\n");
    assert!(
        all.contains("At a = 0.1, ODE's D averaged over generations 11–20 is not above SDE's")
            && all.contains("(1 chain each: no error bars)")
            && !all.contains("no error bars;"),
        "{all}"
    );
    // A partial file says so.
    let mut partial = g.clone();
    partial.missing = vec![5, 6];
    partial.seeds = 2;
    assert!(findings(&partial).join("\n").contains("Partial: 4 of 6 chains done"));
}
