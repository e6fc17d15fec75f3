//! Studies on a real Slurm: a one-node cluster on 127.0.0.1 (scripts/slurm-cluster.sh, started
//! by scripts/test.sh, which exports its SLURM_CONF as COLLAPSE_LAB_SLURM_CONF). A 2 x 2 x 2
//! study is submitted with sbatch, waited for with squeue, collected and compared with the same
//! study run locally; a task killed mid-run shows up as missing and a resubmission completes it;
//! bad --slurm-opts are refused by sbatch and reported. The job-array folder run by plain
//! `xargs -P` (no Slurm) is tested in tests/cli_study.rs.

use serde_json::Value;
use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

/// The cluster's configuration; without one the test skips, and says so on stderr ("SKIPPED:
/// test: reason", past the harness's capture, so `cargo test` shows it and scripts/test.sh counts
/// it as skipped, not passed). Under the README's test command (COLLAPSE_LAB_TEST_COMMAND) a
/// missing cluster fails, unless that command said why it cannot start one
/// (COLLAPSE_LAB_SLURM_SKIP): a test that checks nothing never passes there unseen.
fn conf() -> Option<String> {
    let c = std::env::var("COLLAPSE_LAB_SLURM_CONF").ok().filter(|c| !c.is_empty());
    if c.is_none() {
        let why = std::env::var("COLLAPSE_LAB_SLURM_SKIP").ok();
        assert!(
            std::env::var_os("COLLAPSE_LAB_TEST_COMMAND").is_none() || why.is_some(),
            "no Slurm cluster under the test command (scripts/test.sh starts one and sets COLLAPSE_LAB_SLURM_CONF)"
        );
        // Straight to stderr: eprintln! is captured, and a passing test's capture is dropped.
        let test = std::thread::current().name().unwrap_or("a Slurm test").to_string();
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {test}: no Slurm cluster ({}; scripts/test.sh starts one with scripts/slurm-cluster.sh and sets COLLAPSE_LAB_SLURM_CONF)",
            why.as_deref().unwrap_or("none configured")
        );
    }
    c
}

mod common;

fn lab(conf: &str, args: &[&str]) -> (i32, String, String) {
    common::lab_env(&[("SLURM_CONF", conf)], args)
}

fn slurm(conf: &str, cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).env("SLURM_CONF", conf).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits until squeue lists no task of `job`.
fn wait_for(conf: &str, job: &str, limit: Duration) {
    let t = Instant::now();
    while !slurm(conf, "squeue", &["-h", "-j", job]).trim().is_empty() {
        assert!(t.elapsed() < limit, "job {job} still queued after {limit:?}: {}", slurm(conf, "squeue", &[]));
        std::thread::sleep(Duration::from_millis(300));
    }
}

const STUDY: &[&str] = &[
    "--dataset",
    "mog",
    "--data-size",
    "3000",
    "--depth",
    "2",
    "--iters",
    "60",
    "--batch",
    "128",
    "--report-every",
    "20",
    "--samplers",
    "ode",
    "--steps",
    "ode=20",
    "--n-samples",
    "300",
    "--eps",
    "0.05,0.1",
    "--repeats",
    "2",
    "--vary",
    "width=8,16",
    "--vary",
    "fixed-t=none,1",
    "--seeds",
    "2",
];

fn dir(name: &str) -> String {
    let d = std::env::temp_dir().join(format!("collapse-lab-slurm-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d.to_str().unwrap().to_string()
}

#[test]
fn a_study_on_slurm_equals_the_local_study() {
    let Some(conf) = conf() else { return };
    let d = dir("equal");
    let mut args = vec!["study"];
    args.extend_from_slice(STUDY);
    args.extend_from_slice(&["--slurm", &d, "--engine", "cpu", "--submit"]);
    let (code, out, err) = lab(&conf, &args);
    assert_eq!(code, 0, "{err}");
    let submitted: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(submitted["array"], "0-7");
    let job = submitted["job"].as_str().unwrap().to_string();
    wait_for(&conf, &job, Duration::from_secs(300));
    let (code, collected, err) = lab(&conf, &["study", "--collect", &d, "--quiet"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("collected 8 of 8 runs"), "{err}");
    let mut local_args = vec!["study", "--quiet", "--jobs", "2"];
    local_args.extend_from_slice(STUDY);
    let (code, local, err) = lab(&conf, &local_args);
    assert_eq!(code, 0, "{err}");
    let (a, b): (Value, Value) = (serde_json::from_str(&collected).unwrap(), serde_json::from_str(&local).unwrap());
    assert_eq!(a["missing"], serde_json::json!([]));
    assert_eq!(a["cells"].as_array().unwrap().len(), 4);
    assert_eq!(a["axes"], b["axes"]);
    for (r, s) in a["runs"].as_array().unwrap().iter().zip(b["runs"].as_array().unwrap()) {
        assert_eq!(r["index"], s["index"]);
        assert_eq!(r["spec"], s["spec"]);
        let m = r["metrics"].as_object().unwrap();
        assert_eq!(m.len(), s["metrics"].as_object().unwrap().len());
        for (k, v) in m {
            if !["ms_per_step", "train_s", "total_s"].contains(&k.as_str()) {
                assert_eq!(v, &s["metrics"][k], "run {} {k}", r["index"]);
            }
        }
    }
    // The cells' means agree too (timings aside).
    for (c, e) in a["cells"].as_array().unwrap().iter().zip(b["cells"].as_array().unwrap()) {
        assert_eq!(c["metrics"]["mae_velocity@1"], e["metrics"]["mae_velocity@1"]);
        assert_eq!(c["metrics"]["tid@ode@0.1"], e["metrics"]["tid@ode@0.1"]);
    }
    // Writing the same study again finds nothing to do.
    let (code, out, _) = lab(&conf, &[&args[..args.len() - 1], &[]].concat());
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["missing"], serde_json::json!([]));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_killed_task_is_missing_and_a_resubmission_completes_it() {
    let Some(conf) = conf() else { return };
    let d = dir("killed");
    // Two runs long enough to be killed while running.
    let args = [
        "study",
        "--dataset",
        "mog",
        "--data-size",
        "3000",
        "--depth",
        "2",
        "--iters",
        "20000",
        "--batch",
        "256",
        "--samplers",
        "ode",
        "--steps",
        "ode=20",
        "--n-samples",
        "300",
        "--eps",
        "0.1",
        "--repeats",
        "2",
        "--vary",
        "width=8",
        "--seeds",
        "2",
        "--slurm",
        &d,
        "--engine",
        "cpu",
        "--submit",
    ];
    let (code, out, err) = lab(&conf, &args);
    assert_eq!(code, 0, "{err}");
    let job = serde_json::from_str::<Value>(&out).unwrap()["job"].as_str().unwrap().to_string();
    let task = format!("{job}_0");
    let t = Instant::now();
    while slurm(&conf, "squeue", &["-h", "-j", &task, "-o", "%T"]).trim() != "RUNNING" {
        assert!(t.elapsed() < Duration::from_secs(60), "task 0 never ran");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    Command::new("scancel").env("SLURM_CONF", &conf).arg(&task).status().unwrap();
    wait_for(&conf, &job, Duration::from_secs(300));
    let (code, collected, err) = lab(&conf, &["study", "--collect", &d, "--quiet"]);
    assert_eq!(code, 1, "a missing run is not a complete study: {err}");
    let v: Value = serde_json::from_str(&collected).unwrap();
    assert_eq!(v["missing"], serde_json::json!([0]), "{err}");
    assert_eq!(v["failed"], serde_json::json!([]));
    assert!(err.contains("missing: 0") && err.contains("resubmit them with: sbatch --array=0 "), "{err}");
    // The same command again submits only the missing run.
    let (code, out, err) = lab(&conf, &args);
    assert_eq!(code, 0, "{err}");
    let again: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(again["array"], "0");
    wait_for(&conf, again["job"].as_str().unwrap(), Duration::from_secs(300));
    let (code, collected, err) = lab(&conf, &["study", "--collect", &d, "--quiet"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&collected).unwrap();
    assert_eq!((v["missing"].clone(), v["runs"].as_array().unwrap().len()), (serde_json::json!([]), 2));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bad_slurm_options_are_refused_by_sbatch_and_reported() {
    let Some(conf) = conf() else { return };
    let d = dir("bad");
    let base = ["study", "--dataset", "mog", "--iters", "10", "--vary", "width=8", "--seeds", "1", "--slurm", &d, "--submit"];
    let (code, out, err) = lab(&conf, &[&base[..], &["--slurm-opts", "--partition=nosuchpartition"]].concat());
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("sbatch refused the job array") && err.contains("partition") && err.contains("check --slurm-opts \"--partition=nosuchpartition\""),
        "{err}"
    );
    let (code, _, err) = lab(&conf, &[&base[..], &["--slurm-opts", "--time=forever"]].concat());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("sbatch refused the job array") && err.to_lowercase().contains("time"), "{err}");
    // Not options at all: refused before sbatch.
    let (code, _, err) = lab(&conf, &[&base[..], &["--slurm-opts", "partition=gpu"]].concat());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--slurm-opts: expected sbatch options"), "{err}");
    let _ = std::fs::remove_dir_all(&d);
}
