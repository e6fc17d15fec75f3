//! The command line, run as a user would: bad input gives one clear line and a non-zero exit;
//! good input gives one JSON object on stdout.

use std::process::Command;

mod common;
use common::lab;

#[test]
fn bad_flags_are_rejected_with_the_field_and_range() {
    let cases: &[(&[&str], &str)] = &[
        (&["--width", "0"], "model.width (--width): must be in 1..=1024, got 0"),
        (&["--width", "abc"], "--width: expected an integer"),
        (&["--lr", "nan"], "training.lr"),
        (&["--lr", "-1"], "training.lr"),
        (&["--dataset", "moons"], "--dataset: unknown data set \"moons\""),
        (&["--samplers", "ode,heun"], "unknown sampler"),
        (&["--eps", "0.1,x"], "--eps: expected a comma list of numbers"),
        (&["--eps", "0"], "metrics.eps"),
        (&["--n-samples", "5"], "sampling.n_samples"),
        (&["--exact-score"], "chessboard has no exact score"),
        (&["--iters"], "--iters needs a value"),
        (&["--bogus", "1"], "unknown flag --bogus"),
        (&["--steps", "ode"], "NAME=N"),
        (&["--threads", "0"], "--threads"),
        (&["frobnicate"], "unknown command"),
        (&["--preset", "nope"], "--preset: no preset \"nope\"; the run presets are fig2-chessboard"),
        (&["--preset", "fig3-tid"], "--preset fig3-tid: not a single run; its command is: collapse-lab study"),
        (&["--preset", "fig11-mog", "--size", "huge"], "--size: expected quick or paper"),
        (&["--size", "paper"], "--size: picks the size of a --preset"),
        (&["--spec", "/nonexistent/spec.json"], "--spec /nonexistent/spec.json"),
    ];
    for (args, expect) in cases {
        let (code, stdout, stderr) = lab(args);
        assert_eq!(code, 2, "{args:?} should fail with exit 2; stderr: {stderr}");
        assert!(stdout.is_empty(), "{args:?} printed to stdout: {stdout}");
        let first = stderr.lines().next().unwrap_or("");
        assert!(first.starts_with("error: ") && first.contains(expect), "{args:?}: got {first:?}, want {expect:?}");
    }
}

#[test]
fn spec_file_with_unknown_field_is_rejected() {
    let dir = std::env::temp_dir().join(format!("collapse-lab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("spec.json");
    std::fs::write(&path, r#"{"model": {"widht": 10}}"#).unwrap();
    let (code, _, stderr) = lab(&["--spec", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown field `widht`"), "{stderr}");
}

#[test]
fn print_spec_shows_the_papers_defaults() {
    let (code, stdout, _) = lab(&["--print-spec"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["dataset"], "chessboard");
    assert_eq!(v["model"]["width"], 100);
    assert_eq!(v["training"]["iters"], 10000);
    assert_eq!(v["training"]["batch"], 2000);
}

#[test]
fn small_run_prints_tid_per_sampler_and_writes_samples() {
    let dir = std::env::temp_dir().join(format!("collapse-lab-run-{}", std::process::id()));
    let (code, stdout, stderr) = lab(&[
        "run", "--iters", "200", "--width", "32", "--batch", "500", "--n-samples", "500", "--data-size", "5000",
        "--steps", "sde=200", "--eps", "0.05,0.1", "--repeats", "2", "--samples-out", dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for s in ["ode", "sde"] {
        let tid = v["tid"][s].as_array().unwrap();
        assert_eq!(tid.len(), 2);
        for e in tid {
            for key in ["eps", "tid", "alpha_train", "alpha_samples", "ansd_ratio"] {
                assert!(e.get(key).is_some(), "missing {key} in {e}");
            }
        }
        let csv = std::fs::read_to_string(dir.join(format!("{s}.csv"))).unwrap();
        assert_eq!(csv.lines().count(), 500);
    }
    assert!(v["training"]["losses"].as_array().unwrap().len() == 2);
    assert!(stderr.contains("iter"), "no progress on stderr");

    // Bring-your-own samples: the tid subcommand on the files just written.
    let (code, stdout, stderr) = lab(&[
        "tid", "--train", dir.join("train.csv").to_str().unwrap(), "--samples", dir.join("sde.csv").to_str().unwrap(),
        "--eps", "0.05,0.1",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let t: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let results = t["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    // Same samples and the same first reference draw: the same TID as the run reported.
    assert_eq!(results[0]["tid"], v["tid"]["sde"][0]["tid"]);
    assert_eq!(t["n_used"], 500);
}

#[test]
fn tid_subcommand_checks_its_inputs() {
    let dir = std::env::temp_dir().join(format!("collapse-lab-tid-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let a = dir.join("a.csv");
    let b = dir.join("b.csv");
    let c = dir.join("c.csv");
    std::fs::write(&a, "x,y\n0,0\n1,1\n0.5,0.5\n").unwrap();
    std::fs::write(&b, "0,0,0\n1,1,1\n").unwrap();
    std::fs::write(&c, "0,0\n1,oops\n").unwrap();
    let (code, _, err) = lab(&["tid", "--train", a.to_str().unwrap(), "--samples", b.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("same dimension"), "{err}");
    let (code, _, err) = lab(&["tid", "--train", a.to_str().unwrap(), "--samples", c.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("line 2"), "{err}");
    let (code, _, err) = lab(&["tid", "--train", a.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("--samples"), "{err}");
    // Unequal sizes: the larger set is subsampled and the JSON says so.
    let (code, out, err) = lab(&["tid", "--train", a.to_str().unwrap(), "--samples", a.to_str().unwrap(), "--eps", "0.8"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["subsampled"], false);
    assert_eq!(v["results"][0]["tid"], 0.0);
}

#[test]
fn every_sampler_on_the_exact_score_writes_its_recordings() {
    let dir = std::env::temp_dir().join(format!("collapse-lab-rec-{}", std::process::id()));
    let (code, stdout, stderr) = lab(&[
        "--dataset", "mog1d", "--exact-score", "--process", "sub-vp", "--samplers", "ode,ddim,dpm2,sde,pc,ald",
        "--steps", "sde=200,ald=300", "--n-samples", "1000", "--eps", "0.05", "--repeats", "2", "--bins", "40",
        "--record-times", "1,0.5,0", "--trajectories", "5", "--record-out", dir.to_str().unwrap(), "--quiet",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["spec"]["process"], "sub-vp");
    for (s, evals) in [("ode", 100), ("ddim", 100), ("dpm2", 100), ("sde", 200), ("pc", 200), ("ald", 300)] {
        assert_eq!(v["samplers"][s]["evaluations"], evals, "{s}");
        assert!(v["tid"][s][0]["tid"].is_number(), "{s}: {}", v["tid"][s]);
        let m = std::fs::read_to_string(dir.join(format!("{s}.marginals.csv"))).unwrap();
        assert_eq!(m.lines().count(), 1 + 3 * 40, "{s}");
        assert!(m.starts_with("t,bin_lo,bin_hi,count,density\n1,"), "{s}");
        let tr = std::fs::read_to_string(dir.join(format!("{s}.trajectories.csv"))).unwrap();
        let steps = v["samplers"][s]["steps"].as_u64().unwrap() as usize;
        assert_eq!(tr.lines().count(), 1 + (steps + 1) * 5, "{s}");
        assert!(tr.starts_with("t,point,x0\n"));
    }
    let truth = std::fs::read_to_string(dir.join("truth.marginals.csv")).unwrap();
    assert_eq!(truth.lines().count(), 1 + 3 * 40);
    let rec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("recording.json")).unwrap()).unwrap();
    assert_eq!(rec["samplers"]["pc"]["times"].as_array().unwrap().len(), 3);
    assert_eq!(rec["truth"]["requested"], serde_json::json!([1.0, 0.5, 0.0]));
}

#[test]
fn the_gpu_engine_trains_from_the_command_line() {
    let (code, stdout, stderr) = lab(&[
        "--engine", "gpu", "--dataset", "mog", "--iters", "40", "--width", "16", "--depth", "2", "--batch", "200",
        "--data-size", "2000", "--n-samples", "300", "--samplers", "ode", "--eps", "0.1", "--repeats", "2", "--quiet",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(v["engine"].as_str().unwrap().starts_with("gpu: "), "engine {}", v["engine"]);
    assert_eq!(v["notes"], serde_json::json!([]));
    assert!(v["tid"]["ode"][0]["tid"].is_number());
    assert!(stderr.contains("software"), "no warning about the software adapter: {stderr}");
    // One seed, one batch sequence: the CPU engine trains on the same batches, so the losses
    // agree to float rounding.
    let (code, cpu_out, _) = lab(&[
        "--engine", "cpu", "--dataset", "mog", "--iters", "40", "--width", "16", "--depth", "2", "--batch", "200",
        "--data-size", "2000", "--n-samples", "300", "--samplers", "ode", "--eps", "0.1", "--repeats", "2", "--quiet",
    ]);
    assert_eq!(code, 0);
    let c: serde_json::Value = serde_json::from_str(&cpu_out).unwrap();
    let losses = |v: &serde_json::Value| -> Vec<f64> {
        v["training"]["losses"].as_array().unwrap().iter().map(|p| p[1].as_f64().unwrap()).collect()
    };
    for (g, c) in losses(&v).iter().zip(losses(&c)) {
        assert!((g - c).abs() < 1e-4 * c, "gpu loss {g} vs cpu loss {c}");
    }
    // auto times both engines and says so; on lavapipe the CPU engine wins.
    let (code, stdout, stderr) = lab(&[
        "--engine", "auto", "--dataset", "mog", "--iters", "20", "--width", "16", "--depth", "2", "--batch", "200",
        "--data-size", "2000", "--n-samples", "300", "--samplers", "ode", "--eps", "0.1", "--quiet",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let choice = &v["engine_choice"];
    let (cpu_ms, gpu_ms) = (choice["cpu_ms_per_step"].as_f64().unwrap(), choice["gpu_ms_per_step"].as_f64().unwrap());
    eprintln!("auto: cpu {cpu_ms} ms/step, gpu {gpu_ms} ms/step: {}", choice["why"]);
    assert!(cpu_ms > 0.0 && gpu_ms > 0.0);
    let chosen = if gpu_ms < cpu_ms { "gpu" } else { "cpu" };
    assert_eq!(choice["chosen"], chosen);
    assert!(v["engine"].as_str().unwrap().starts_with(chosen), "engine {} but chose {chosen}", v["engine"]);
    assert!(v["notes"][0].as_str().unwrap().starts_with("engine auto: "), "{}", v["notes"]);
    // The skip parameterisations train on the GPU engine too, with no fallback note.
    let (code, stdout, _) = lab(&[
        "--engine", "gpu", "--parameterization", "skip-learned", "--dataset", "mog", "--iters", "20", "--width", "16",
        "--batch", "200", "--data-size", "2000", "--n-samples", "300", "--samplers", "ode", "--eps", "0.1", "--quiet",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(v["engine"].as_str().unwrap().starts_with("gpu"), "engine {}", v["engine"]);
    assert_eq!(v["notes"], serde_json::json!([]));
    let (code, _, stderr) = lab(&["--engine", "tpu"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--engine: expected cpu, gpu or auto"), "{stderr}");
}

#[test]
fn booleans_take_true_or_false_inline_and_nothing_else() {
    let (code, out, _) = lab(&["--print-spec", "--dataset", "mog", "--exact-score=false", "--diagnostics=true"]);
    assert_eq!(code, 0);
    let spec: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(spec["sampling"]["exact_score"], false);
    assert_eq!(spec["diagnostics"]["enabled"], true);
    let (code, _, err) = lab(&["--denoise=maybe"]);
    assert_eq!(code, 2);
    assert!(err.contains("denoise: expected true or false"), "{err}");
}

const SMALL_STUDY: &[&str] = &[
    "--dataset", "mog1d", "--data-size", "2000", "--depth", "2", "--iters", "20", "--batch", "64", "--report-every", "10",
    "--samplers", "ode", "--steps", "ode=10", "--n-samples", "200", "--eps", "0.05,0.1", "--repeats", "2",
    "--diagnostics", "--diag-points", "300", "--diag-trajectories", "16", "--record-times", "1,0", "--trajectories", "2",
    "--quiet",
];

#[test]
fn study_writes_resumes_and_refuses_bad_axes() {
    let dir = std::env::temp_dir().join(format!("collapse-lab-study-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("study.json");
    let out_s = out.to_str().unwrap();
    let mut args = vec!["study", "--vary", "width=4,8", "--vary", "fixed-t=none,1", "--seeds", "2", "--jobs", "2", "--out", out_s];
    args.extend_from_slice(SMALL_STUDY);
    let (code, stdout, stderr) = lab(&args);
    assert_eq!(code, 0, "{stderr}");
    let s: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(s["cells"].as_array().unwrap().len(), 4);
    assert_eq!(s["runs"].as_array().unwrap().len(), 8);
    let m = &s["cells"][0]["metrics"]["mae_velocity@1"];
    assert_eq!(m["values"].as_array().unwrap().len(), 2);
    assert!(m["mean"].as_f64().unwrap() > 0.0 && m["std"].as_f64().is_some());
    assert!(s["cells"][1]["metrics"]["dsm@0.1"]["mean"].as_f64().is_some());
    // The saved file is the same study; given again, nothing re-runs.
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(saved["cells"], s["cells"]);
    let args2: Vec<&str> = args.iter().copied().filter(|a| *a != "--quiet").collect();
    let (code, stdout2, stderr2) = lab(&args2);
    assert_eq!(code, 0, "{stderr2}");
    assert!(stderr2.contains("8 of 8 runs already done"), "{stderr2}");
    let s2: serde_json::Value = serde_json::from_str(&stdout2).unwrap();
    assert_eq!(s2["cells"], s["cells"]);
    // Reordered axes, reordered values and one more seed: every finished run is kept by what it
    // is (its spec and seed), only the new seed's runs are run.
    let mut moved = vec!["study", "--vary", "fixed-t=1,none", "--vary", "width=8,4", "--seeds", "3", "--jobs", "2", "--out", out_s];
    moved.extend(SMALL_STUDY.iter().filter(|a| **a != "--quiet"));
    let (code, stdout3, stderr3) = lab(&moved);
    assert_eq!(code, 0, "{stderr3}");
    assert!(stderr3.contains("resuming") && stderr3.contains("8 of 12 runs already done"), "{stderr3}");
    let s3: serde_json::Value = serde_json::from_str(&stdout3).unwrap();
    let runs3 = s3["runs"].as_array().unwrap();
    for r in s["runs"].as_array().unwrap() {
        let same = runs3.iter().find(|x| x["spec"] == r["spec"]).expect("a finished run was lost");
        assert_eq!(same["metrics"], r["metrics"], "a finished run was run again");
    }
    // Fewer values: the runs no longer planned would be lost, so the resume is refused by name.
    let mut fewer = vec!["study", "--vary", "width=4", "--vary", "fixed-t=none,1", "--seeds", "3", "--out", out_s];
    fewer.extend_from_slice(SMALL_STUDY);
    let (code, _, stderr4) = lab(&fewer);
    assert_eq!(code, 2, "{stderr4}");
    assert!(stderr4.contains("does not plan") && stderr4.contains("--restart"), "{stderr4}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&out).unwrap()).unwrap()["runs"].as_array().unwrap().len(), 12, "the refused resume touched the file");
    fewer.push("--restart");
    let (code, stdout5, stderr5) = lab(&fewer);
    assert_eq!(code, 0, "{stderr5}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&stdout5).unwrap()["runs"].as_array().unwrap().len(), 6);
    for (bad, want) in [
        (vec!["--vary", "widht=4,8"], "--vary widht: unknown setting"),
        (vec!["--vary", "width=4,0"], "--vary width=0: model.width"),
        (vec!["--vary", "width="], "--vary width: give one or more"),
        (vec!["--vary", "width=4", "--seeds", "0"], "--seeds: must be in 1..=100"),
        (vec!["--vary", "width=4", "--samples-out", "x"], "--samples-out is for single runs"),
    ] {
        let mut a = vec!["study"];
        a.extend(bad.iter());
        a.extend_from_slice(SMALL_STUDY);
        let (code, stdout, stderr) = lab(&a);
        assert_eq!(code, 2, "{a:?}: {stderr}");
        assert!(stdout.is_empty());
        assert!(stderr.lines().next().unwrap().contains(want), "{a:?}: {stderr}");
    }
    std::fs::write(&out, "not json").unwrap();
    let (code, _, stderr) = lab(&args);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a study of this lab"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn run_diagnostics_and_two_model_training_from_the_command_line() {
    let mut args = vec!["--two-model", "0.6"];
    args.extend_from_slice(SMALL_STUDY);
    let (code, stdout, stderr) = lab(&args);
    assert_eq!(code, 0, "{stderr}");
    let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let d = &r["diagnostics"];
    assert_eq!(d["mae_velocity"][0]["t"], 1.0);
    assert!(d["dsm_at_t"][1]["loss"].as_f64().unwrap() > 0.0);
    assert!(!d["error_correlation"]["ode"].as_array().unwrap().is_empty());
    assert_eq!(d["velocity_field"]["learned"].as_array().unwrap().len(), 100);
    let nets = r["training_nets"].as_array().unwrap();
    assert_eq!(nets.len(), 2);
    assert_eq!((nets[0]["t_hi"].as_f64(), nets[1]["t_lo"].as_f64()), (Some(0.6), Some(0.6)));
    assert!(r["marginal_accuracy"]["ode"].as_f64().unwrap() > 0.0);
    let (code, _, stderr) = lab(&["--two-model", "0.6", "--fixed-t", "1"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("exclude each other"), "{stderr}");
}

#[test]
fn hermite_prints_the_see_saw_and_checks_its_flags() {
    let (code, stdout, stderr) = lab(&["hermite", "--max-degree", "9"]);
    assert_eq!(code, 0, "{stderr}");
    let h: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let l = h["losses"].as_array().unwrap();
    assert_eq!(l.len(), 9);
    assert!(l[8]["l_low"].as_f64() < l[0]["l_low"].as_f64() && l[8]["l_high"].as_f64() > l[0]["l_high"].as_f64());
    for (args, want) in [(vec!["hermite", "--mu", "-1"], "mu"), (vec!["hermite", "--max-degree", "99"], "max-degree"), (vec!["hermite", "--nodes", "9"], "--nodes")] {
        let (code, _, stderr) = lab(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
}

/// A run whose loss blows up without reaching inf/NaN is a divergence too (issue 13's two
/// reproducers): exit 1 with the iteration, never a "successful" result with empty TIDs.
#[test]
fn a_blown_up_but_finite_loss_is_a_divergence() {
    for args in [
        &["--lr", "1", "--process", "linear", "--activation", "relu", "--depth", "8", "--width", "256", "--batch", "16"][..],
        &["--lr", "1", "--activation", "silu", "--depth", "8", "--width", "64", "--batch", "64"][..],
    ] {
        let mut all = args.to_vec();
        all.extend(["--iters", "200", "--samplers", "ode", "--n-samples", "300", "--quiet"]);
        let (code, stdout, stderr) = lab(&all);
        assert_eq!(code, 1, "{args:?}: exit {code}, stdout {}", &stdout[..stdout.len().min(300)]);
        assert!(stderr.contains("training diverged at iteration"), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?} printed a result");
    }
}

#[test]
fn generations_writes_json_and_csv_and_refuses_bad_settings() {
    let dir = std::env::temp_dir().join(format!("collapse-lab-gens-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.to_str().unwrap();
    let small = [
        "generations", "--dataset", "mog", "--depth", "2", "--width", "16", "--iters", "60", "--batch", "128",
        "--n-samples", "200", "--eps", "0.05,0.1", "--repeats", "2", "--steps", "sde=30,ode=20", "--gen-size", "400",
        "--generations", "2", "--fresh", "0.2,0.8", "--sampler", "ode", "--seeds", "2", "--quiet", "--out", out,
    ];
    let (code, stdout, stderr) = lab(&small);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["runs"].as_array().unwrap().len(), 4);
    assert_eq!(v["cells"].as_array().unwrap().len(), 2);
    let run = &v["runs"][0];
    assert_eq!((run["fresh"].as_f64(), run["sampler"].as_str()), (Some(0.2), Some("ode")));
    let gens = run["generations"].as_array().unwrap();
    assert_eq!(gens.len(), 3);
    for key in ["chi2", "kl", "geometric", "dsm_loss"] {
        assert!(gens[1][key].is_number(), "{key}: {}", gens[1]);
    }
    assert!(gens[1]["chi2_step"].is_number() && gens[2]["chi2_step"].is_null());
    assert_eq!(gens[1]["tid"][0]["eps"].as_f64(), Some(0.05));
    assert_eq!(gens[1]["fresh_points"].as_u64(), Some(80));
    assert!(v["cells"][0]["metrics"]["chi2@2"]["std"].is_number(), "two seeds give a spread");
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("generations.json")).unwrap()).unwrap();
    assert_eq!(saved["runs"], v["runs"]);
    let csv = std::fs::read_to_string(dir.join("generations.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 4 * 3);
    assert!(csv.lines().nth(1).unwrap().starts_with("0.2,ode,0,0,"));
    // The same seeds give the same numbers (another order of jobs included).
    let (_, again, _) = lab(&[&small[..small.len() - 2], &["--jobs", "1"]].concat());
    let w: serde_json::Value = serde_json::from_str(&again).unwrap();
    for (a, b) in v["runs"].as_array().unwrap().iter().zip(w["runs"].as_array().unwrap()) {
        let d = |r: &serde_json::Value| r["generations"].as_array().unwrap().iter().map(|g| g["chi2"].as_f64()).collect::<Vec<_>>();
        assert_eq!(d(a), d(b));
    }
    let _ = std::fs::remove_dir_all(&dir);
    for (args, expect) in [
        (&["generations", "--fresh", "1.5"][..], "--fresh: recursion.fresh: the fresh-data fraction a must be in 0..=1"),
        (&["generations", "--fresh", "0.1,x"], "--fresh: expected a number in 0..=1, got \"x\""),
        (&["generations", "--generations", "0"], "recursion.generations (--generations): must be in 1..=100"),
        (&["generations", "--generations", "1000000"], "must be in 1..=100"),
        (&["generations", "--sampler", "euler"], "--sampler"),
        (&["generations", "--gen-sampler", "ode"], "--gen-sampler: use --sampler LIST"),
        (&["generations", "--data-size", "1000"], "--data-size: a generations run"),
        (&["generations", "--n-samples", "20000", "--gen-size", "1000"], "sampling.n_samples"),
        (&["run", "--fresh", "0.5", "--iters", "1"], "collapse-lab generations"),
    ] {
        let (code, stdout, stderr) = lab(args);
        assert_ne!(code, 0, "{args:?} should fail");
        assert!(stdout.is_empty() || code == 1, "{args:?} printed: {stdout}");
        let first = stderr.lines().find(|l| l.starts_with("error")).unwrap_or("");
        assert!(first.contains(expect), "{args:?}: got {first:?}, want {expect:?}");
    }
}

#[test]
fn a_slurm_folder_runs_under_plain_xargs_and_collects_as_the_local_study() {
    let dir = std::env::temp_dir().join(format!("collapse-lab-xargs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let study = [
        "--dataset", "mog", "--data-size", "2000", "--depth", "2", "--iters", "40", "--batch", "128", "--samplers", "ode",
        "--steps", "ode=10", "--n-samples", "200", "--eps", "0.1", "--repeats", "2", "--vary", "width=8,16", "--seeds", "2",
    ];
    let (code, out, err) = lab(&[&["study"][..], &study, &["--slurm", d, "--engine", "cpu"]].concat());
    assert_eq!(code, 0, "{err}");
    let w: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((w["array"].as_str(), w["runs"].as_u64()), (Some("0-3"), Some(4)));
    assert!(w["submit"].as_str().unwrap().starts_with("sbatch --array=0-3 "));
    let script = std::fs::read_to_string(dir.join("study.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --array=0-3") && script.contains("--engine cpu"));
    // Collecting before anything ran: all missing, exit 1.
    let (code, _, err) = lab(&["study", "--collect", d, "--quiet"]);
    assert_eq!(code, 1);
    assert!(err.contains("collected 0 of 4 runs") && err.contains("missing: 0-3"), "{err}");
    // Every task of the array, as a scheduler would run them (plain xargs, 2 at a time).
    let run_tasks = || {
        let status = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("seq 0 3 | xargs -P 2 -I{{}} env SLURM_ARRAY_TASK_ID={{}} bash {d}/study.sbatch 2>/dev/null"))
            .status()
            .unwrap();
        assert!(status.success());
    };
    run_tasks();
    let (code, collected, err) = lab(&["study", "--collect", d, "--quiet"]);
    assert_eq!(code, 0, "{err}");
    let (code, local, _) = lab(&[&["study", "--quiet", "--jobs", "2"][..], &study].concat());
    assert_eq!(code, 0);
    let (a, b): (serde_json::Value, serde_json::Value) = (serde_json::from_str(&collected).unwrap(), serde_json::from_str(&local).unwrap());
    for (r, s) in a["runs"].as_array().unwrap().iter().zip(b["runs"].as_array().unwrap()) {
        for k in ["final_loss", "tid@ode@0.1", "marginal_accuracy@ode"] {
            assert_eq!(r["metrics"][k], s["metrics"][k], "run {} {k}", r["index"]);
        }
    }
    // Issue 23, items 6 and 7: a cut-short result and another run's result under this run's
    // name are named, moved aside and redone by a resubmission; they are not "missing" forever.
    let results = dir.join("results");
    let whole = std::fs::read_to_string(results.join("1.json")).unwrap();
    std::fs::write(results.join("1.json"), &whole[..whole.len() / 2]).unwrap();
    std::fs::copy(results.join("0.json"), results.join("3.json")).unwrap();
    let (code, _, err) = lab(&["study", "--collect", d, "--quiet"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("run 1: results/1.json is unreadable, not a whole result"), "{err}");
    assert!(err.contains("run 3: results/3.json is the result of planned run 0, not of planned run 3"), "{err}");
    assert!(err.contains("missing: 1,3") && err.contains("resubmit them with: sbatch --array=1,3 "), "{err}");
    assert!(results.join("1.json.rejected").exists() && !results.join("3.json").exists());
    run_tasks();
    // Item 2: --collect --out never overwrites a file that is not a study of this plan.
    let foreign = dir.join("notes.json");
    std::fs::write(&foreign, "{\"mine\": true}").unwrap();
    let (code, _, err) = lab(&["study", "--collect", d, "--quiet", "--out", foreign.to_str().unwrap()]);
    assert!(code == 2 && err.contains("is not a study of this lab"), "{err}");
    assert_eq!(std::fs::read_to_string(&foreign).unwrap(), "{\"mine\": true}");
    let out = dir.join("collected.json");
    let (code, again, err) = lab(&["study", "--collect", d, "--quiet", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let figures = |t: &str| -> Vec<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_str(t).unwrap();
        v["runs"].as_array().unwrap().iter().flat_map(|r| ["final_loss", "tid@ode@0.1"].map(|k| r["metrics"][k].clone())).collect()
    };
    assert!(figures(&again) == figures(&collected), "the redone runs give the same study");
    let (code, _, err) = lab(&["study", "--collect", d, "--quiet", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "the same plan's study file is refreshed: {err}");
    // A run of the folder again skips what is done; a different study in the folder is refused.
    let (code, _, err) = lab(&[&["study"][..], &study[..study.len() - 2], &["--seeds", "3", "--slurm", d]].concat());
    assert_eq!(code, 2);
    assert!(err.contains("holds another study"), "{err}");
    let (code, _, err) = lab(&["study", "--collect", d, "--width", "8"]);
    assert_eq!(code, 2);
    assert!(err.contains("give no run settings with it"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The gallery prints every preset's command line, and each run preset's command resolves to
/// the preset's own spec (the page's link and the CLI's command are one experiment).
#[test]
fn the_gallery_prints_commands_that_resolve_to_the_presets() {
    use collapse_lab::experiment::presets::{Kind, Size, PRESETS};
    for (size, name) in [(Size::Quick, "quick"), (Size::Paper, "paper")] {
        let (code, out, err) = lab(&["gallery", "--size", name]);
        assert_eq!(code, 0, "{err}");
        for p in PRESETS {
            let cmd = p.command(size).unwrap();
            assert!(out.contains(&format!("# {} ", p.id)) && out.contains(&cmd), "{}", p.id);
            if p.kind != Kind::Run {
                continue;
            }
            let args: Vec<&str> = cmd.split(' ').skip(2).chain(["--print-spec"]).collect();
            let (code, spec, err) = lab(&args);
            assert_eq!(code, 0, "{cmd}: {err}");
            let spec: collapse_lab::experiment::ExperimentSpec = serde_json::from_str(&spec).unwrap();
            assert_eq!(spec, p.spec(size).unwrap(), "{cmd}");
            // `run --preset ID --size S` starts from the same spec.
            let (code, spec, err) = lab(&["run", "--preset", p.id, "--size", name, "--print-spec"]);
            assert_eq!(code, 0, "--preset {}: {err}", p.id);
            let spec: collapse_lab::experiment::ExperimentSpec = serde_json::from_str(&spec).unwrap();
            assert_eq!(spec, p.spec(size).unwrap(), "--preset {}", p.id);
        }
    }
    let (code, out, err) = lab(&["gallery", "--shipped"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().collect::<Vec<_>>(), collapse_lab::experiment::presets::SHIPPED, "gallery --shipped");
    let (code, _, err) = lab(&["gallery", "--size", "huge"]);
    assert_eq!(code, 2);
    assert!(err.contains("--size: expected quick or paper"), "{err}");
}

/// `run --save-run` writes the spec, nets and results; `run --load-run` samples the nets again
/// with the same figures and no training; edited or mismatched files are refused by name.
#[test]
fn a_saved_run_loads_again_with_the_same_figures_and_edits_are_refused() {
    let dir = std::env::temp_dir().join(format!("collapse-lab-saved-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("run.json");
    let f = file.to_str().unwrap();
    let small = ["--dataset", "mog", "--depth", "2", "--width", "16", "--iters", "60", "--batch", "128", "--n-samples", "300",
        "--eps", "0.05,0.1", "--samplers", "ode,sde", "--steps", "sde=40,ode=20", "--quiet"];
    let (code, first, err) = lab(&[&["run"], &small[..], &["--save-run", f]].concat());
    assert_eq!(code, 0, "{err}");
    let first: serde_json::Value = serde_json::from_str(&first).unwrap();
    let (code, again, err) = lab(&["run", "--load-run", f, "--quiet"]);
    assert_eq!(code, 0, "{err}");
    let again: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(first["tid"], again["tid"]);
    assert_eq!(first["training"], again["training"], "the training report travels with the nets");
    assert!(again["engine"].as_str().unwrap().starts_with("saved run (trained on cpu"), "{}", again["engine"]);
    assert!(again["timings"].get("train_s").is_none(), "no training");
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let edit = |name: &str, f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = saved.clone();
        f(&mut v);
        let p = dir.join(name);
        std::fs::write(&p, v.to_string()).unwrap();
        lab(&["run", "--load-run", p.to_str().unwrap(), "--quiet"])
    };
    let (code, _, err) = edit("tid.json", &|v| v["result"]["tid"]["sde"][0]["tid"] = serde_json::json!(9.0));
    assert!(code == 1 && err.contains("tid.sde[0].tid is 9.0 in the file but") && err.contains("edited"), "{err}");
    let (code, _, err) = edit("params.json", &|v| v["params"][0][3] = serde_json::json!(5.0));
    assert!(code == 1 && err.contains("when its nets are sampled again"), "{err}");
    let (code, _, err) = edit("short.json", &|v| { v["params"][0].as_array_mut().unwrap().pop(); });
    assert!(code == 2 && err.contains("net 0 has") && err.contains("parameters but the spec's 2x16 net has"), "{err}");
    let (code, _, err) = edit("version.json", &|v| v["version"] = serde_json::json!(7));
    assert!(code == 2 && err.contains("version 7: this lab opens saved runs of version 2"), "{err}");
    let (code, _, err) = edit("spec.json", &|v| v["spec"]["model"]["width"] = serde_json::json!(0));
    assert!(code == 2 && err.contains("its spec: model.width"), "{err}");
    let (code, _, err) = lab(&["run", "--load-run", f, "--width", "8"]);
    assert!(code == 2 && err.contains("--width: --load-run takes its spec from the saved run"), "{err}");
    let (code, _, err) = lab(&["run", "--dataset", "mog", "--exact-score", "--save-run", f]);
    assert!(code == 2 && err.contains("no trained net"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two clusters of 3000 points (x near -1 or +1, y spread over a band), written with a header.
fn cluster_csv(path: &std::path::Path, rows: usize) {
    let mut text = String::from("x,y\n");
    let mut state: u64 = 12345;
    let mut unit = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..rows {
        let cx = if i % 2 == 0 { -1.0 } else { 1.0 };
        text.push_str(&format!("{:.6},{:.6}\n", cx + 0.2 * (unit() - 0.5), 2.0 * (unit() - 0.5)));
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_csv_file_trains_like_a_data_set_saves_with_its_points_and_is_named_by_its_fingerprint() {
    let dir = std::env::temp_dir().join(format!("collapse-lab-csvdata-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (data, other) = (dir.join("data.csv"), dir.join("other.csv"));
    cluster_csv(&data, 3000);
    cluster_csv(&other, 2999);
    let (d, o) = (data.to_str().unwrap(), other.to_str().unwrap());
    let saved = dir.join("run.json");
    let s = saved.to_str().unwrap();
    let small = ["--depth", "2", "--width", "16", "--iters", "80", "--batch", "128", "--n-samples", "1000", "--eps", "0.05,0.1",
        "--samplers", "ode,sde", "--steps", "sde=40,ode=20", "--repeats", "3", "--quiet"];
    let (code, out, err) = lab(&[&["run", "--data-csv", d], &small[..], &["--save-run", s]].concat());
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["spec"]["dataset"], "csv");
    let csv = &v["spec"]["csv"];
    assert_eq!((csv["rows"].as_u64(), csv["dim"].as_u64()), (Some(3000), Some(2)));
    let fp = csv["fingerprint"].as_str().unwrap().to_string();
    assert!(fp.len() == 16 && csv.get("points").is_none(), "the spec names the file, it does not hold it: {csv}");
    // The floor (held-out rows against the references: experiment::reference_draws) at each radius.
    assert_eq!(v["tid_null"].as_array().unwrap().len(), 2);
    assert!(v["tid_null"].as_array().unwrap().iter().all(|e| e["tid"].as_f64().is_some_and(f64::is_finite)), "{}", v["tid_null"]);
    assert!(v["samplers"]["ode"]["finite"].as_bool().unwrap());

    // The saved run carries the points; it opens again with the same figures.
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(file["data"].as_array().unwrap().len(), 6000);
    let (code, again, err) = lab(&["run", "--load-run", s, "--quiet"]);
    assert_eq!(code, 0, "{err}");
    let again: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(v["tid"], again["tid"]);
    assert_eq!(v["tid_null"], again["tid_null"]);
    let edit = |name: &str, f: &dyn Fn(&mut serde_json::Value)| {
        let mut x = file.clone();
        f(&mut x);
        let p = dir.join(name);
        std::fs::write(&p, x.to_string()).unwrap();
        lab(&["run", "--load-run", p.to_str().unwrap(), "--quiet"])
    };
    let (code, _, err) = edit("moved.json", &|x| x["data"][7] = serde_json::json!(0.5));
    assert!(code == 2 && err.contains("data: the file is") && err.contains("another file, or the file was changed"), "{err}");
    let (code, _, err) = edit("nodata.json", &|x| { x.as_object_mut().unwrap().remove("data"); });
    assert!(code == 2 && err.contains("data: its spec trains on a CSV file, but the file's points are missing"), "{err}");

    // Its spec names the file: without it, or with another file, it does not run.
    let spec = dir.join("spec.json");
    std::fs::write(&spec, v["spec"].to_string()).unwrap();
    let sp = spec.to_str().unwrap();
    let (code, _, err) = lab(&["run", "--spec", sp, "--quiet"]);
    assert!(code == 2 && err.contains(&format!("csv (--csv): this run trains on a CSV file (3000 rows x 2, fingerprint {fp}) that is not loaded")), "{err}");
    let (code, _, err) = lab(&["run", "--spec", sp, "--data-csv", o, "--quiet"]);
    assert!(code == 2 && err.contains("(fingerprint:rows x dimension), not the") && err.contains(&format!("{fp}:3000x2")), "{err}");
    let (code, out2, err) = lab(&[&["run", "--spec", sp, "--data-csv", d], &small[..]].concat());
    assert_eq!(code, 0, "{err}");
    let v2: serde_json::Value = serde_json::from_str(&out2).unwrap();
    assert_eq!(v["tid"], v2["tid"], "the same file and spec give the same numbers");

    // Bad input names the flag or the field.
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "x,y\n1,2\n3,oops\n").unwrap();
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["--data-csv", bad.to_str().unwrap()], "line 3, column 2: \"oops\" is not a number".into()),
        (vec!["--data-csv", d, "--dataset", "spiral"], "--data-csv: trains on the file's rows, but --dataset is spiral".into()),
        (vec!["--data-csv", d], "sampling.n_samples (--n-samples): must be at most half the CSV's 3000 rows (1500)".into()),
        (vec!["--data-csv", d, "--n-samples", "100", "--data-size", "2000"], "a CSV set trains on all of its file's 3000 rows".into()),
        (vec!["--data-csv", "/nonexistent.csv"], "--data-csv /nonexistent.csv".into()),
    ];
    for (args, want) in cases {
        let (code, _, err) = lab(&[&["run"], &args[..]].concat());
        assert!(code == 2 && err.contains(&want), "{args:?}: {err}");
    }
    let (code, _, err) = lab(&["torch-script", "--data-csv", d, "--n-samples", "100"]);
    assert!(code == 2 && err.contains("a CSV file is not built into it"), "{err}");
    let (code, _, err) = lab(&["study", "--data-csv", d, "--n-samples", "100", "--vary", "width=8,16", "--slurm", dir.join("sl").to_str().unwrap()]);
    assert!(code == 2 && err.contains("--slurm: the tasks read their specs from files"), "{err}");
    let (code, _, err) = lab(&["generations", "--data-csv", d, "--n-samples", "100"]);
    assert!(code == 2 && err.contains("generations need fresh draws of the data set"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A closed stdout (`| head -0`) ends a command quietly, never with a panic.
#[test]
fn a_closed_stdout_ends_every_printing_command_quietly() {
    use std::process::Stdio;
    for args in [&["help"][..], &["gallery"], &["gallery", "--shipped"], &["gallery", "--command", "fig7-seesaw"], &["torch-script"], &["hermite"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_collapse-lab")).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

/// `CMD --help` prints that command's usage and flags, exit 0.
#[test]
fn every_command_has_its_own_help() {
    for (args, want) in [
        (&["--help"][..], "--width"),
        (&["run", "--help"], "--save-run"),
        (&["study", "--help"], "--restart"),
        (&["generations", "--help"], "--fresh"),
        (&["hermite", "--help"], "--max-degree"),
        (&["gallery", "--help"], "gallery --command"),
        (&["tid", "--help"], "--train A.csv"),
        (&["torch-script", "--help"], "torch-script [RUN FLAGS]"),
    ] {
        let (code, out, err) = lab(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.contains(want) && out.starts_with("USAGE"), "{args:?}: {out}");
    }
}

/// docs/cli-reference.md is `collapse-lab help` as it is today (the run flags come from the
/// settings table), so the reference cannot go stale: after a change to a flag, regenerate it
/// with `COLLAPSE_LAB_WRITE_DOCS=1 cargo test --test cli the_cli_reference`.
#[test]
fn the_cli_reference_is_the_help_of_today() {
    let (code, help, _) = lab(&["help"]);
    assert_eq!(code, 0);
    let want = format!(
        "# The command line: reference\n\nGenerated from `collapse-lab help` (the run flags from the settings table, \
         `src/experiment/overrides.rs`); `collapse-lab CMD --help` prints one command's part. How to use \
         them, with examples: [cli.md](cli.md).\n\n```text\n{help}```\n"
    );
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli-reference.md");
    if std::env::var("COLLAPSE_LAB_WRITE_DOCS").is_ok() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "docs/cli-reference.md is stale: COLLAPSE_LAB_WRITE_DOCS=1 cargo test --test cli the_cli_reference");
}
