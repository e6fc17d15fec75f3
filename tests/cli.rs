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
