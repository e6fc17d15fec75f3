//! Helpers the integration tests share: the lab's binary run with arguments (and environment).
#![allow(dead_code)]

use std::process::Command;

/// The lab's binary: `COLLAPSE_LAB_BIN` where the test command set it (the release build it makes
/// once and shares with the page and PyTorch tests), else the one cargo built for these tests.
pub fn bin() -> std::path::PathBuf {
    match std::env::var_os("COLLAPSE_LAB_BIN") {
        Some(p) if !p.is_empty() => p.into(),
        _ => env!("CARGO_BIN_EXE_collapse-lab").into(),
    }
}

/// `collapse-lab ARGS` with `env` set: (exit code, stdout, stderr); -1 for a process killed by
/// a signal.
pub fn lab_env(env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let mut c = Command::new(bin());
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `collapse-lab ARGS`: (exit code, stdout, stderr).
pub fn lab(args: &[&str]) -> (i32, String, String) {
    lab_env(&[], args)
}

/// `collapse-lab ARGS`, which must succeed: its stdout.
pub fn lab_ok(args: &[&str]) -> String {
    let (code, out, err) = lab(args);
    assert_eq!(code, 0, "collapse-lab {args:?}: {err}");
    out
}

/// A small 1D run with diagnostics (two nets possible), quiet: the base of the CLI's study tests.
pub const SMALL_STUDY: &[&str] = &[
    "--dataset",
    "mog1d",
    "--data-size",
    "2000",
    "--depth",
    "2",
    "--iters",
    "20",
    "--batch",
    "64",
    "--report-every",
    "10",
    "--samplers",
    "ode",
    "--steps",
    "ode=10",
    "--n-samples",
    "200",
    "--eps",
    "0.05,0.1",
    "--repeats",
    "2",
    "--diagnostics",
    "--diag-points",
    "300",
    "--diag-trajectories",
    "16",
    "--record-times",
    "1,0",
    "--trajectories",
    "2",
    "--quiet",
];
