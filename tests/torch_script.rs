//! The PyTorch script the lab writes (`collapse-lab torch-script`), run under real PyTorch
//! (scripts/test.sh installs it with `scripts/setup.sh torch`): the deterministic samplers
//! give the lab's samples point by point from the lab's own nets and initial noise, for every
//! parameterisation, activation, process and the two-net split; the exact score agrees; its
//! TID equals `collapse-lab tid` on the same files; its data sets, training loss and
//! stochastic samplers agree with the lab's in distribution.

use collapse_lab::points::Points;
use collapse_lab::spec::presets::{Kind, PRESETS, Size};
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::lab_ok as lab;

/// The Python with PyTorch: $COLLAPSE_LAB_PYTHON, else the venv `scripts/setup.sh torch` makes.
fn python() -> PathBuf {
    let p = std::env::var_os("COLLAPSE_LAB_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/collapse-lab/torch-venv/bin/python"));
    let ok = Command::new(&p).args(["-c", "import torch"]).output().is_ok_and(|o| o.status.success());
    assert!(ok, "no PyTorch at {} (`bash scripts/setup.sh torch` installs it; scripts/test.sh does)", p.display());
    p
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("collapse-lab-torch-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes the script of `flags` into `d` and runs it with `extra` arguments; returns its
/// result.json.
fn run_script(d: &Path, flags: &[&str], extra: &[&str]) -> serde_json::Value {
    let script = d.join("run.py");
    let mut args = vec!["torch-script", "--quiet", "--out", script.to_str().unwrap()];
    args.extend_from_slice(flags);
    lab(&args);
    let out_dir = d.join("torch");
    let out = Command::new(python()).arg(&script).args(["--device", "cpu", "--quiet", "--out", out_dir.to_str().unwrap()]).args(extra).output().unwrap();
    assert!(out.status.success(), "the script of {flags:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(&std::fs::read_to_string(out_dir.join("result.json")).unwrap()).unwrap()
}

fn csv(path: &Path) -> Points {
    Points::from_csv(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn max_rel_gap(a: &Points, b: &Points) -> f64 {
    assert_eq!((a.len(), a.dim), (b.len(), b.dim));
    let scale = b.data.iter().fold(1e-6f64, |m, v| m.max(v.abs() as f64));
    a.data.iter().zip(&b.data).map(|(x, y)| (*x as f64 - *y as f64).abs()).fold(0.0, f64::max) / scale
}

#[test]
fn the_script_compiles_for_every_gallery_run_and_refuses_what_it_cannot_run() {
    let d = dir("compile");
    for p in PRESETS.iter().filter(|p| p.kind == Kind::Run) {
        for size in [Size::Quick, Size::Paper] {
            let spec = p.spec(size).unwrap();
            let text = collapse_lab::export::torch_script(&spec).unwrap();
            assert!(!text.contains("__SPEC__") && !text.contains("__RESOLVED__") && !text.contains("__HEADER__"));
            let f = d.join(format!("{}-{size:?}.py", p.id));
            std::fs::write(&f, &text).unwrap();
            let out = Command::new("python3").args(["-m", "py_compile"]).arg(&f).output().expect("python3");
            assert!(out.status.success(), "{}: {}", p.id, String::from_utf8_lossy(&out.stderr));
            // The embedded spec is the preset's, field for field.
            let start = text.find("SPEC = json.loads(r'''").unwrap() + "SPEC = json.loads(r'''".len();
            let end = start + text[start..].find("''')").unwrap();
            let embedded: collapse_lab::spec::ExperimentSpec = serde_json::from_str(&text[start..end]).unwrap();
            assert_eq!(embedded, spec.canonical(), "{}", p.id);
        }
    }
    let out = Command::new(common::bin()).args(["torch-script", "--fresh", "0.5"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("recursion") && err.contains("no PyTorch script"), "{err}");
    let out = Command::new(common::bin()).args(["torch-script", "--width", "0"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("model.width (--width)"));
}

#[test]
fn deterministic_samplers_give_the_labs_samples_point_by_point() {
    let cases: &[(&str, &[&str])] = &[
        ("mog-plain-tanh-vp-denoise", &["--dataset", "mog", "--denoise"]),
        (
            "mognd-skiplearned-silu-subvp-twomodel",
            &["--dataset", "mog-nd", "--dim", "3", "--parameterization", "skip-learned", "--activation", "silu", "--process", "sub-vp", "--two-model", "0.6"],
        ),
        ("mog1d-skipfixed-relu-linear", &["--dataset", "mog1d", "--parameterization", "skip-fixed", "--activation", "relu", "--process", "linear"]),
        ("chessboard-fixed-t", &["--dataset", "chessboard", "--depth", "2", "--width", "40", "--fixed-t", "0.5"]),
        ("mog-exact-score", &["--dataset", "mog", "--exact-score"]),
        ("mog-x0-target", &["--dataset", "mog", "--target", "x0"]),
        ("chessboard-v-target-linear", &["--dataset", "chessboard", "--process", "linear", "--target", "v", "--t-dist", "logit-normal"]),
        ("mog-edm", &["--dataset", "mog", "--process", "ve", "--target", "x0", "--precond", "edm", "--t-dist", "lognormal"]),
    ];
    let common = [
        "--iters",
        "150",
        "--batch",
        "256",
        "--data-size",
        "4000",
        "--n-samples",
        "700",
        "--samplers",
        "ode,heun,ddim,dpm2",
        "--steps",
        "ode=40,heun=15,ddim=25,dpm2=15",
        "--seed",
        "3",
    ];
    for (name, flags) in cases {
        let d = dir(name);
        let mut args: Vec<&str> = flags.to_vec();
        args.extend_from_slice(&common);
        let exact = flags.contains(&"--exact-score");
        let (run, lab_dir) = (d.join("run.json"), d.join("lab"));
        let mut run_args = vec!["run", "--quiet", "--samples-out", lab_dir.to_str().unwrap()];
        if !exact {
            run_args.extend(["--save-run", run.to_str().unwrap()]);
        }
        run_args.extend_from_slice(&args);
        let result: serde_json::Value = serde_json::from_str(&lab(&run_args)).unwrap();
        let dim = result["data_dim"].as_u64().unwrap() as usize;
        let process = collapse_lab::diffusion::ProcessKind::parse(result["spec"]["process"].as_str().unwrap()).unwrap();
        let init = collapse_lab::sample::initial_points(&process, 700, dim, 3);
        let init_path = d.join("init.csv");
        std::fs::write(&init_path, init.to_csv()).unwrap();
        let mut extra = vec!["--init", init_path.to_str().unwrap()];
        if !exact {
            extra.extend(["--params", run.to_str().unwrap()]);
        }
        run_script(&d, &args, &extra);
        for s in ["ode", "heun", "ddim", "dpm2"] {
            let gap = max_rel_gap(&csv(&d.join("torch").join(format!("{s}.csv"))), &csv(&lab_dir.join(format!("{s}.csv"))));
            eprintln!("{name} {s}: largest gap {gap:.2e} of the samples' scale");
            assert!(gap < 2e-4, "{name} {s}: the script's samples differ from the lab's by {gap:.2e} of their scale");
        }
    }
}

#[test]
fn the_scripts_data_training_and_stochastic_samplers_agree_in_distribution_and_its_tid_is_the_labs() {
    // Each data set: the script's training-set draw against the lab's.
    for ds in ["chessboard", "spiral", "mog", "semicircle", "mog1d", "mog-nd", "painted"] {
        let d = dir(&format!("data-{ds}"));
        let mut flags = vec![
            "--dataset",
            ds,
            "--iters",
            "1",
            "--batch",
            "16",
            "--samplers",
            "ode",
            "--steps",
            "ode=2",
            "--data-size",
            "20000",
            "--n-samples",
            "10000",
            "--eps",
            "0.1",
            "--repeats",
            "1",
            "--seed",
            "5",
        ];
        if ds == "painted" {
            flags.extend(["--painted", "4:9000090000900039"]);
        }
        run_script(&d, &flags, &[]);
        let lab_dir = d.join("lab");
        let mut run_args = vec!["run", "--quiet", "--samples-out", lab_dir.to_str().unwrap()];
        run_args.extend_from_slice(&flags);
        lab(&run_args);
        // Radii where a point has tens of neighbours: TID is then well defined and steady.
        let radii = if ds == "mog-nd" { "0.6,0.8" } else { "0.05,0.1" };
        let c: serde_json::Value = serde_json::from_str(&lab(&[
            "tid",
            "--train",
            lab_dir.join("train.csv").to_str().unwrap(),
            "--samples",
            d.join("torch/train.csv").to_str().unwrap(),
            "--eps",
            radii,
        ]))
        .unwrap();
        let acc = c["marginal_accuracy"].as_f64().unwrap();
        eprintln!("{ds}: marginal accuracy of the script's data against the lab's {acc:.3}");
        assert!(acc > 0.95, "{ds}: the script's data has marginal accuracy {acc} against the lab's");
        for p in c["results"].as_array().unwrap() {
            let tid = p["tid"].as_f64().unwrap_or_else(|| panic!("{ds}: no TID at e = {}", p["eps"]));
            assert!(tid.abs() < 0.1, "{ds}: data-vs-data TID {tid} at e = {}", p["eps"]);
        }
    }

    // Training: the same spec trains to the same loss (different random numbers, same curve),
    // for the paper's eps target and for flow matching's (v on the linear path, logit-normal t).
    let fm = ["--process", "linear", "--target", "v", "--t-dist", "logit-normal"];
    let edm = ["--process", "ve", "--target", "x0", "--precond", "edm", "--t-dist", "lognormal"];
    for (name, extra) in [("training", &[][..]), ("training-flow-matching", &fm[..]), ("training-edm", &edm[..])] {
        let mut flags = vec!["--dataset", "mog", "--iters", "400", "--data-size", "20000", "--samplers", "sde,pc,ald", "--n-samples", "2000"];
        flags.extend_from_slice(extra);
        let d = dir(name);
        let r = run_script(&d, &flags, &[]);
        let mut run_args = vec!["run", "--quiet"];
        run_args.extend_from_slice(&flags);
        let l: serde_json::Value = serde_json::from_str(&lab(&run_args)).unwrap();
        let theirs = l["training"]["losses"].as_array().unwrap().last().unwrap()[1].as_f64().unwrap();
        let mine = r["training_nets"][0]["final_loss"].as_f64().unwrap();
        eprintln!("{name}: final training loss: script {mine:.4}, lab {theirs:.4}");
        assert!((mine - theirs).abs() < 0.08 * theirs, "{name}: final training loss: script {mine}, lab {theirs}");
    }

    // Stochastic samplers with the exact score: the same marginal accuracy and TID as the lab's.
    let flags = ["--dataset", "mog", "--exact-score", "--samplers", "sde,pc,ald,edm-sde", "--n-samples", "2000", "--data-size", "20000", "--k-grid", "50,1000"];
    let d = dir("stochastic");
    let r = run_script(&d, &flags, &[]);
    let mut run_args = vec!["run", "--quiet"];
    run_args.extend_from_slice(&flags);
    let l: serde_json::Value = serde_json::from_str(&lab(&run_args)).unwrap();
    for s in ["sde", "pc", "ald", "edm-sde"] {
        let (mine, theirs) = (r["marginal_accuracy"][s].as_f64().unwrap(), l["marginal_accuracy"][s].as_f64().unwrap());
        eprintln!("{s}: marginal accuracy script {mine:.3}, lab {theirs:.3}");
        assert!((mine - theirs).abs() < 0.04, "{s}: marginal accuracy script {mine}, lab {theirs}");
        for (a, b) in r["tid"][s].as_array().unwrap().iter().zip(l["tid"][s].as_array().unwrap()) {
            let e = a["eps"].as_f64().unwrap();
            if e < 0.05 {
                continue; // the smallest radii count a handful of neighbours: too noisy to compare
            }
            let (ta, tb) = (a["tid"].as_f64().unwrap(), b["tid"].as_f64().unwrap());
            let spread = a["tid_std"].as_f64().unwrap().max(b["tid_std"].as_f64().unwrap());
            eprintln!("{s} e = {e}: TID script {ta:+.3}, lab {tb:+.3} (spread {spread:.3})");
            assert!((ta - tb).abs() < 0.05 + 4.0 * spread, "{s} e = {e}: TID script {ta}, lab {tb}");
        }
    }

    // The script's TID of its own files is the lab's TID of those files.
    let train = d.join("torch/train.csv");
    for s in ["sde", "pc", "ald", "edm-sde"] {
        let file = d.join(format!("torch/{s}.csv"));
        let eps = "0.01,0.02,0.03,0.05,0.07,0.1,0.15,0.2";
        let c: serde_json::Value =
            serde_json::from_str(&lab(&["tid", "--train", train.to_str().unwrap(), "--samples", file.to_str().unwrap(), "--eps", eps])).unwrap();
        for (mine, theirs) in r["tid"][s].as_array().unwrap().iter().zip(c["results"].as_array().unwrap()) {
            for key in ["tid", "alpha_train", "alpha_samples", "ansd_train", "ansd_samples"] {
                let (a, b) = (mine[key].as_f64(), theirs[key].as_f64());
                assert!(b.is_some(), "{s} {key} at e = {}: the lab has no value", mine["eps"]);
                let (a, b) = (a.unwrap(), b.unwrap());
                assert!((a - b).abs() <= 1e-9 * (1.0 + b.abs()), "{s} {key} at e = {}: script {a}, lab {b}", mine["eps"]);
            }
        }
        // Its k x e grid (metrics.k_grid): each row is the lab's TID of the files at that k.
        let grid = &r["tid_grid"][s];
        assert_eq!(grid["k"], serde_json::json!([50, 1000]), "{s}: the script's grid");
        for (row, k) in ["50", "1000"].iter().enumerate() {
            let c: serde_json::Value =
                serde_json::from_str(&lab(&["tid", "--train", train.to_str().unwrap(), "--samples", file.to_str().unwrap(), "--eps", eps, "--k", k])).unwrap();
            for (j, theirs) in c["results"].as_array().unwrap().iter().enumerate() {
                let (a, b) = (grid["tid"][row][j].as_f64(), theirs["tid"].as_f64());
                assert!(
                    a.zip(b).is_some_and(|(a, b)| (a - b).abs() <= 1e-9 * (1.0 + b.abs())) || (a.is_none() && b.is_none()),
                    "{s} k = {k}, e = {}: script {a:?}, lab {b:?}",
                    theirs["eps"]
                );
            }
        }
    }
    assert!(r["tid_grid"]["data"]["tid"].as_array().is_some_and(|rows| rows.len() == 2), "the script's grid has no data floor");
}
