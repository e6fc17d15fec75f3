//! `collapse-lab generations`, run as a user would: JSON and CSV out, bad settings refused,
//! interrupted chains resumed.

mod common;
use common::lab;

#[test]
fn generations_writes_json_and_csv_and_refuses_bad_settings() {
    let dir = std::env::temp_dir().join(format!("collapse-lab-gens-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.to_str().unwrap();
    let small = [
        "generations",
        "--dataset",
        "mog",
        "--depth",
        "2",
        "--width",
        "16",
        "--iters",
        "60",
        "--batch",
        "128",
        "--n-samples",
        "200",
        "--eps",
        "0.05,0.1",
        "--repeats",
        "2",
        "--steps",
        "sde=30,ode=20",
        "--gen-size",
        "400",
        "--generations",
        "2",
        "--fresh",
        "0.2,0.8",
        "--sampler",
        "ode",
        "--seeds",
        "2",
        "--quiet",
        "--out",
        out,
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
    // Another run that plans one of these chains takes it (--reuse) and runs only the other.
    let dir2 = dir.join("second");
    let saved_path = dir.join("generations.json");
    let mut second = small[..small.len() - 9].to_vec();
    second.extend_from_slice(&[
        "--fresh",
        "0.2",
        "--sampler",
        "ode,sde",
        "--seeds",
        "1",
        "--quiet",
        "--out",
        dir2.to_str().unwrap(),
        "--reuse",
        saved_path.to_str().unwrap(),
    ]);
    // --print-plan first: the chain the file gives, the one to run, and nothing written.
    let (code, plan, stderr_p) = lab(&[&second[..], &["--print-plan"]].concat());
    assert_eq!(code, 0, "{stderr_p}");
    let plan: serde_json::Value = serde_json::from_str(&plan).unwrap();
    let done: Vec<(&str, Option<&str>)> =
        plan["runs"].as_array().unwrap().iter().map(|r| (r["settings"]["gen-sampler"].as_str().unwrap(), r["done"].as_str())).collect();
    assert_eq!(done, [("ode", Some("reuse")), ("sde", None)]);
    assert!(!dir2.exists(), "--print-plan made its --out folder");
    let (code, stdout2, stderr2) = lab(&second);
    assert_eq!(code, 0, "{stderr2}");
    assert!(stderr2.contains("reusing 1 finished chain(s) of"), "{stderr2}");
    let v2: serde_json::Value = serde_json::from_str(&stdout2).unwrap();
    let runs2 = v2["runs"].as_array().unwrap();
    assert_eq!(runs2.len(), 2);
    let ode2 = runs2.iter().find(|r| r["sampler"] == "ode").unwrap();
    assert_eq!(ode2["generations"], v["runs"][0]["generations"], "the reused chain is the first run's");
    assert_eq!(runs2.iter().find(|r| r["sampler"] == "sde").unwrap()["generations"].as_array().unwrap().len(), 3, "the other chain ran");
    let (code, _, stderr3) = lab(&[&second[..second.len() - 1], &["/nonexistent/g.json"]].concat());
    assert!(code == 2 && stderr3.contains("--reuse /nonexistent/g.json"), "{stderr3}");
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
