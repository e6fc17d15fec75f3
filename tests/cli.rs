//! The command line as a whole and its small commands (`tid`, `hermite`, `gallery`, `help`):
//! bad input gives one clear line and a non-zero exit; good input one JSON object or a table on
//! stdout; every command has its own help, and docs/cli-reference.md is today's. Each larger
//! command has its own file: cli_run.rs, cli_study.rs, cli_generations.rs.

use std::process::Command;

mod common;
use common::{lab, lab_ok};

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
fn hermite_prints_the_see_saw_and_checks_its_flags() {
    let (code, stdout, stderr) = lab(&["hermite", "--max-degree", "9"]);
    assert_eq!(code, 0, "{stderr}");
    let h: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let l = h["losses"].as_array().unwrap();
    assert_eq!(l.len(), 9);
    assert!(l[8]["l_low"].as_f64() < l[0]["l_low"].as_f64() && l[8]["l_high"].as_f64() > l[0]["l_high"].as_f64());
    for (args, want) in
        [(vec!["hermite", "--mu", "-1"], "mu"), (vec!["hermite", "--max-degree", "99"], "max-degree"), (vec!["hermite", "--nodes", "9"], "--nodes")]
    {
        let (code, _, stderr) = lab(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
}

/// The gallery prints every preset's command line, and each run preset's command resolves to
/// the preset's own spec (the page's link and the CLI's command are one experiment).
#[test]
fn the_gallery_prints_commands_that_resolve_to_the_presets() {
    use collapse_lab::spec::presets::{Kind, PRESETS, Size};
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
            let spec: collapse_lab::spec::ExperimentSpec = serde_json::from_str(&spec).unwrap();
            assert_eq!(spec, p.spec(size).unwrap(), "{cmd}");
            // `run --preset ID --size S` starts from the same spec.
            let (code, spec, err) = lab(&["run", "--preset", p.id, "--size", name, "--print-spec"]);
            assert_eq!(code, 0, "--preset {}: {err}", p.id);
            let spec: collapse_lab::spec::ExperimentSpec = serde_json::from_str(&spec).unwrap();
            assert_eq!(spec, p.spec(size).unwrap(), "--preset {}", p.id);
        }
    }
    let (code, out, err) = lab(&["gallery", "--shipped"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().collect::<Vec<_>>(), collapse_lab::spec::presets::SHIPPED, "gallery --shipped");
    let (code, _, err) = lab(&["gallery", "--size", "huge"]);
    assert_eq!(code, 2);
    assert!(err.contains("--size: expected quick or paper"), "{err}");
}

/// A closed stdout (`| head -0`) ends a command quietly, never with a panic.
#[test]
fn a_closed_stdout_ends_every_printing_command_quietly() {
    use std::process::Stdio;
    for args in [&["help"][..], &["gallery"], &["gallery", "--shipped"], &["gallery", "--command", "fig7-seesaw"], &["torch-script"], &["hermite"]] {
        let mut child = Command::new(common::bin()).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
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
         `src/spec/overrides.rs`); `collapse-lab CMD --help` prints one command's part. How to use \
         them, with examples: [cli.md](cli.md).\n\n```text\n{help}```\n"
    );
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli-reference.md");
    if std::env::var("COLLAPSE_LAB_WRITE_DOCS").is_ok() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "docs/cli-reference.md is stale: COLLAPSE_LAB_WRITE_DOCS=1 cargo test --test cli the_cli_reference");
}

/// `bench --only train` takes any step count its flag allows: with fewer than 3 steps the CPU
/// engine's row (timed on at least 3 steps where the run has them) panicked in a clamp, found by
/// scripts/device-check.sh run with 2 steps. Each net's CPU row is printed.
#[test]
fn bench_train_takes_one_step() {
    let out = lab_ok(&["bench", "--only", "train", "--steps", "1"]);
    for net in ["3x100 tanh, batch 2000", "2x1000 tanh, batch 2000", "3x16 tanh, batch 200"] {
        let at = out.find(net).unwrap_or_else(|| panic!("no {net:?} in:\n{out}"));
        assert!(out[at..].lines().nth(1).is_some_and(|l| l.contains("cpu engine,") && l.contains("ms/step")), "{net}: no CPU row in:\n{out}");
    }
}

/// `bench` refuses a flag given twice before any work, exit 2, as every other command does
/// (issue 55 #3: `--steps 5 --steps 6` ran a 150 s benchmark first); its switch
/// `--gpu-software` is given bare or =true / =false meaning what they say (=false turned it on),
/// anything else refused by name.
#[test]
fn bench_refuses_a_flag_given_twice_and_a_switch_with_another_value() {
    for args in [&["bench", "--steps", "5", "--steps", "6"][..], &["bench", "--only", "tid", "--only=tid"], &["bench", "--gpu-software", "--gpu-software"]] {
        let t = std::time::Instant::now();
        let (code, out, err) = lab(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(&format!("{} is given twice", args[1])) && out.is_empty(), "{args:?}: {err}");
        assert!(t.elapsed().as_secs() < 10, "{args:?} ran first");
    }
    let (code, out, err) = lab(&["bench", "--gpu-software=maybe", "--only", "tid", "--tid-n", "100"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--gpu-software=maybe: --gpu-software is a switch") && out.is_empty(), "{err}");
    // =false is the default: the GPU line of the sampling part is what it is without the flag
    // (on a software adapter "not measured", never timed on it).
    let gpu_line = |extra: &[&str]| -> String {
        let out = lab_ok(&[&["bench", "--only", "sample", "--sample-n", "100", "--steps", "1"][..], extra].concat());
        let line = out.lines().find(|l| l.contains("gpu sampling:") || l.contains("on the GPU engine")).unwrap_or("").to_string();
        // Without the timings: "  ode 100 steps on the GPU engine (...)" or the reason it is not measured.
        line.split(':').next().unwrap_or("").to_string()
    };
    assert_eq!(gpu_line(&["--gpu-software=false"]), gpu_line(&[]));
}

/// `bench --only nets` measures what one pass over many nets could gain on the CPU engine
/// (issue 43): every cell of the quick Fig. 7 study timed, the SGEMM of its widest net, and the
/// bound computed from them (a figure, not asserted: the machine is noisy); a part it does not
/// know is refused by name.
#[test]
fn bench_nets_prints_each_cell_and_the_bound() {
    let out = lab_ok(&["bench", "--only", "nets", "--steps", "1"]);
    for cell in ["fixed-t=none width=10 ", "fixed-t=1 width=100 ", "fixed-t=1 width=400 "] {
        let line = out.lines().find(|l| l.contains(cell)).unwrap_or_else(|| panic!("no {cell:?} in:\n{out}"));
        assert!(line.contains("3 nets x 6000 steps") && line.contains("ms/step") && line.contains("GFLOP/s"), "{line}");
    }
    assert_eq!(out.lines().filter(|l| l.contains("sgemm") && l.contains("x400 . 400x400")).count(), 2, "{out}");
    let line = out.lines().find(|l| l.contains("could make it at most")).unwrap_or_else(|| panic!("no bound in:\n{out}"));
    let bound: f64 = line.split("at most ").nth(1).and_then(|r| r.split_whitespace().next()).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
    assert!(bound.is_finite() && bound > 0.0, "{line}");
    assert!(line.contains("the goal is 2x"), "{line}");
    let (code, _, err) = lab(&["bench", "--only", "nets,gpus"]);
    assert_eq!(code, 2);
    assert!(err.contains("--only") && err.contains("\"gpus\""), "{err}");
}

/// `verdicts --json` is the whole report: at least 40 rows in at least 4 groups, each with its
/// place, quote, both settings, statistic and gates, every test paired with its seeds and (with
/// two seeds or more) an interval, and each evidence file with its provenance; a damaged or
/// missing shipped file is an error naming it (exit 1), not "not tested".
#[test]
fn verdicts_json_is_the_whole_report_and_a_damaged_file_is_an_error() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let runs = root.join("www/runs");
    let out = lab_ok(&["verdicts", "--runs", runs.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v.as_array().unwrap();
    assert!(rows.len() >= 40, "{} rows", rows.len());
    let groups: std::collections::BTreeSet<&str> = rows.iter().map(|r| r["group"].as_str().unwrap()).collect();
    assert!(groups.len() >= 4, "{groups:?}");
    for r in rows {
        for f in
            ["id", "group", "place", "quote", "paper_setting", "lab_setting", "outcome", "statistic", "tests", "gates", "excluded", "rule", "links", "evidence"]
        {
            assert!(r.get(f).is_some(), "{}: no {f}", r["id"]);
        }
        for t in r["tests"].as_array().unwrap() {
            let n = t["paired"]["diffs"].as_array().unwrap().len();
            assert_eq!(t["paired"]["interval"].is_null(), n < 2, "{}: {}", r["id"], t["place"]);
        }
        for e in r["evidence"].as_array().unwrap() {
            assert!(e["provenance"]["command"].is_string(), "{}: {} has no provenance", r["id"], e["file"]);
        }
    }
    // The same report in words, by group.
    let text = lab_ok(&["verdicts", "--runs", runs.to_str().unwrap()]);
    assert!(text.contains("== The paper's claims") && text.contains("quote: ") && text.contains("lab's setting: "), "{text}");

    let dir = std::env::temp_dir().join(format!("collapse-lab-verdicts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(&runs).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    std::fs::write(dir.join("fig3-tid.json"), "{\"runs\": [").unwrap();
    std::fs::remove_file(dir.join("fig7-seesaw.json")).unwrap();
    let (code, _, err) = lab(&["verdicts", "--runs", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("fig3-tid.json") && err.contains("fig7-seesaw.json"), "{err}");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (code, _, err) = lab(&["verdicts", "--runs", empty.to_str().unwrap()]);
    assert_eq!(code, 1, "an empty folder is an error, not every claim untested: {err}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A scratch folder of this test process.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("collapse-lab-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A small quiet run: the base of the tests below.
const TINY: &[&str] =
    &["--dataset", "mog1d", "--data-size", "1000", "--iters", "20", "--width", "8", "--n-samples", "200", "--samplers", "ode", "--steps", "ode=10", "--quiet"];

/// Issue 55, the confusing cases: each is refused before any work (exit 2) in one line naming
/// the flag or field, with what to do: steps beside a budget that overrides them; study flags
/// that --slurm would ignore; an unknown engine with --print-spec; the v target on the ve
/// process; a number far out of range shown short. Steps of a sampler the run does not sample
/// are said to be ignored, in a note naming it (a gallery preset gives such steps).
#[test]
fn flags_that_would_be_ignored_or_make_nonsense_are_refused_by_name() {
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["run", "--nfe", "20", "--steps", "ode=7", "--print-spec"], "--steps: --nfe 20 sets every sampler's steps"),
        (vec!["study", "--nfe", "20", "--steps", "ode=7", "--vary", "width=8,16", "--print-plan"], "drop --steps"),
        (vec!["torch-script", "--nfe", "20", "--steps", "ode=7"], "--steps: --nfe 20"),
        (vec!["study", "--vary", "width=8,16", "--together", "4", "--slurm", "unused-slurm-dir"], "--together: "),
        (vec!["study", "--vary", "width=8,16", "--jobs", "2", "--slurm", "unused-slurm-dir"], "--jobs: "),
        (vec!["study", "--vary", "width=8,16", "--out", "x.json", "--slurm", "unused-slurm-dir"], "--out: "),
        (vec!["run", "--print-spec", "--engine", "tpu"], "--engine: expected cpu, gpu or auto, got \"tpu\""),
        (vec!["study", "--vary", "width=8,16", "--engine", "tpu", "--print-plan"], "--engine: expected"),
        (vec!["run", "--process", "ve", "--target", "v", "--print-spec"], "model.target (--target): the v target on the ve process is sigma'(t) eps"),
        (vec!["hermite", "--mu", "1e308"], "--mu: must be a number in (0, 5], got 1e308"),
        (vec!["run", "--lr", "1e30", "--print-spec"], "got 1e30"),
    ];
    for (args, want) in &cases {
        let (code, out, err) = lab(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want) && out.is_empty(), "{args:?}: want {want:?} in: {err}");
        assert_eq!(err.lines().filter(|l| l.starts_with("error: ")).count(), 1, "{args:?}: {err}");
        assert!(err.len() < 600, "{args:?}: {err}");
    }
    assert!(!std::path::Path::new("unused-slurm-dir").exists(), "a refused --slurm wrote its folder");
    for (args, want) in [
        (&["run", "--samplers", "ode", "--steps", "heun=7", "--print-spec"][..], "note: --steps heun=7: heun is not sampled (--samplers gives ode)"),
        (&["run", "--steps", "heun=7,ode=9,pc=3", "--print-spec"], "note: --steps heun=7,pc=3: heun, pc are not sampled (--samplers gives ode,sde)"),
        (&["study", "--samplers", "ode", "--steps", "heun=7", "--vary", "width=8,16", "--print-plan"], "heun is not sampled"),
        (&["generations", "--sampler", "sde", "--steps", "ode=7", "--print-plan"], "note: --steps ode=7: ode is not sampled (--sampler gives sde)"),
        (&["torch-script", "--samplers", "ode", "--steps", "sde=7"], "sde is not sampled"),
    ] {
        let (code, _, err) = lab(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(err.contains(want) && err.contains("these steps are ignored"), "{args:?}: want {want:?} in: {err}");
    }
    // What stays accepted: steps of a sampler the samplers axis brings in, a budget without
    // steps, the v target on the linear path, steps of the sampled samplers.
    for args in [
        &["study", "--samplers", "ode", "--steps", "heun=7", "--vary", "samplers=ode,heun", "--print-plan"][..],
        &["run", "--nfe", "20", "--print-spec"],
        &["run", "--process", "linear", "--target", "v", "--print-spec"],
        &["run", "--samplers", "ode,heun", "--steps", "heun=7", "--print-spec"],
        &["run", "--print-spec", "--engine", "gpu"],
    ] {
        let (code, _, err) = lab(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(!err.contains("note: --steps"), "{args:?}: {err}");
    }
}

/// Issue 55: `generations --out NEW --reuse missing.json` refuses the --reuse file by name and
/// leaves no NEW folder behind (it was made, empty, before the file was read).
#[test]
fn a_bad_reuse_file_leaves_no_new_output_folder() {
    let dir = scratch("reuse");
    let new = dir.join("new");
    let junk = dir.join("junk.json");
    std::fs::write(&junk, "{\"not\": \"a generations result\"}").unwrap();
    for (reuse, want) in [(dir.join("missing.json"), "No such file"), (junk, "not a generations result of this lab")] {
        let r = reuse.to_str().unwrap();
        let (code, _, err) = lab(&[
            "generations",
            "--generations",
            "1",
            "--gen-size",
            "1000",
            "--n-samples",
            "500",
            "--fresh",
            "0.5",
            "--iters",
            "10",
            "--out",
            new.to_str().unwrap(),
            "--reuse",
            r,
        ]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(&format!("--reuse {r}: ")) && err.contains(want), "{err}");
        assert!(!new.exists(), "{err}: the refused command left {}", new.display());
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// Issue 55: a FIFO (or another file that is not a regular file) given where a command reads a
/// file is refused by name before it is opened, never waited on forever: a spec, a saved run, a
/// CSV of points, a --reuse file, the verdicts' folder and a --collect folder's plan.
#[test]
fn an_input_that_is_not_a_regular_file_is_refused_by_name() {
    let dir = scratch("fifo-inputs");
    let fifo = dir.join("fifo.json");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success(), "mkfifo failed");
    let p = fifo.to_str().unwrap();
    let runs = dir.join("runs");
    std::fs::create_dir_all(&runs).unwrap();
    assert!(Command::new("mkfifo").arg(runs.join("fig3-tid.json")).status().unwrap().success());
    let collect = dir.join("collect");
    std::fs::create_dir_all(&collect).unwrap();
    assert!(Command::new("mkfifo").arg(collect.join("plan.json")).status().unwrap().success());
    let ok_csv = dir.join("ok.csv");
    std::fs::write(&ok_csv, "0,0\n1,1\n0.5,0.2\n").unwrap();
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["run", "--spec", p, "--print-spec"], format!("--spec {p}: is a FIFO (named pipe)")),
        (vec!["run", "--load-run", p], format!("--load-run {p}: is a FIFO")),
        (vec!["run", "--data-csv", p, "--print-spec"], format!("--data-csv {p}: is a FIFO")),
        (vec!["tid", "--train", p, "--samples", ok_csv.to_str().unwrap()], format!("--train {p}: is a FIFO")),
        (vec!["study", "--vary", "width=8,16", "--reuse", p, "--print-plan"], format!("--reuse {p}: is a FIFO")),
        (vec!["generations", "--reuse", p, "--print-plan"], format!("--reuse {p}: is a FIFO")),
        (vec!["verdicts", "--runs", runs.to_str().unwrap()], "fig3-tid.json: is a FIFO".to_string()),
        (vec!["study", "--collect", collect.to_str().unwrap()], "plan.json: is a FIFO".to_string()),
    ];
    for (args, want) in &cases {
        let mut child = Command::new(common::bin()).args(args).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
        let t = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if t.elapsed().as_secs() > 20 {
                let _ = child.kill();
                panic!("{args:?}: still waiting on the FIFO after 20 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want.as_str()), "{args:?}: want {want:?} in: {err}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// Issue 55: a saved run holds a checksum of its nets' parameters, so one whose parameters were
/// edited is refused by name (it reopened with exit 0 where its figures stayed within the
/// tolerance); a file without the checksum (saved before it, as the shipped runs) opens with a
/// note.
#[test]
fn a_saved_run_with_edited_parameters_is_refused_by_its_checksum() {
    let dir = scratch("checksum");
    let saved = dir.join("run.json");
    let s = saved.to_str().unwrap();
    lab_ok(&[&["run", "--save-run", s][..], TINY].concat());
    let text = std::fs::read_to_string(&saved).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(doc["params_checksum"].as_str().is_some_and(|c| c.starts_with("fnv1a64:")), "{}", doc["params_checksum"]);
    lab_ok(&["run", "--load-run", s, "--quiet"]);
    // One parameter moved by a hair: the figures may well come out the same; the nets do not.
    let mut edited = doc.clone();
    let x = edited["params"][0][3].as_f64().unwrap();
    edited["params"][0][3] = serde_json::json!((x as f32 * 1.0001 + 1e-6) as f64);
    let e = dir.join("edited.json");
    std::fs::write(&e, serde_json::to_string(&edited).unwrap()).unwrap();
    let (code, _, err) = lab(&["run", "--load-run", e.to_str().unwrap(), "--quiet"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("params_checksum: the nets' parameters are not those the file was saved with"), "{err}");
    // Without a checksum: opened, with a note.
    let mut old = doc;
    old.as_object_mut().unwrap().remove("params_checksum");
    let o = dir.join("old.json");
    std::fs::write(&o, serde_json::to_string(&old).unwrap()).unwrap();
    let (code, _, err) = lab(&["run", "--load-run", o.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("note: --load-run") && err.contains("no params_checksum"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Issue 55: a study (or generations run) resumed from a file whose finished runs another engine
/// made is refused, naming both engines, --engine and --restart: its cells would mix the two.
/// The runs of a GPU study are stood in for by renaming the engine in a CPU study's file.
#[test]
fn resuming_a_study_on_another_engine_is_refused() {
    let dir = scratch("engines");
    let out = dir.join("study.json");
    let o = out.to_str().unwrap();
    let study = [&["study", "--vary", "width=4,8", "--seeds", "1", "--jobs", "1", "--out", o][..], TINY].concat();
    lab_ok(&study);
    let mut doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    for r in doc["runs"].as_array_mut().unwrap() {
        r["result"]["engine"] = "gpu: llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan)".into();
    }
    std::fs::write(&out, serde_json::to_string(&doc).unwrap()).unwrap();
    let before = std::fs::read_to_string(&out).unwrap();
    // One more seed: a resume, on the CPU engine.
    let more: Vec<&str> = study.iter().map(|a| if *a == "1" { "2" } else { *a }).collect();
    let (code, _, err) = lab(&[&more[..], &["--engine", "cpu"]].concat());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("--out {o}: 2 of its 2 finished runs were made on the gpu engine")), "{err}");
    assert!(err.contains("runs on the cpu engine") && err.contains("--engine gpu") && err.contains("--restart"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), before, "the refused resume changed the file");
    std::fs::remove_dir_all(dir).unwrap();
}
