//! `collapse-lab study`, run as a user would: it writes, resumes and refuses bad axes, and its
//! Slurm folder runs under plain xargs and collects to the local study's figures.

mod common;
use common::{SMALL_STUDY, lab, lab_ok};

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
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&out).unwrap()).unwrap()["runs"].as_array().unwrap().len(),
        12,
        "the refused resume touched the file"
    );
    fewer.push("--restart");
    let (code, stdout5, stderr5) = lab(&fewer);
    assert_eq!(code, 0, "{stderr5}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&stdout5).unwrap()["runs"].as_array().unwrap().len(), 6);
    // Another study that plans some of these runs takes them (--reuse), trains only the others,
    // and writes them to its own file.
    let other = dir.join("other.json");
    let mut reuse = vec!["study", "--vary", "width=4,16", "--vary", "fixed-t=none", "--seeds", "2", "--out", other.to_str().unwrap(), "--reuse", out_s];
    reuse.extend_from_slice(SMALL_STUDY);
    let (code, stdout6, stderr6) = lab(&reuse);
    assert_eq!(code, 0, "{stderr6}");
    assert!(stderr6.contains("reusing 2 finished run(s) of"), "{stderr6}");
    let s5: serde_json::Value = serde_json::from_str(&stdout5).unwrap();
    let s6: serde_json::Value = serde_json::from_str(&stdout6).unwrap();
    let runs6 = s6["runs"].as_array().unwrap();
    assert_eq!(runs6.len(), 4);
    for r in runs6.iter().filter(|r| r["settings"]["width"] == "4") {
        let from = s5["runs"].as_array().unwrap().iter().find(|x| x["spec"] == r["spec"]).expect("a reused run");
        assert_eq!(from["metrics"], r["metrics"]);
    }
    assert!(runs6.iter().any(|r| r["settings"]["width"] == "16" && r["metrics"]["final_loss"].is_number()), "width 16 trained");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&other).unwrap()).unwrap()["cells"], s6["cells"]);
    // --reuse repeats: each file gives the runs the ones before it did not (2 + 2 of the 4
    // planned: none left to train).
    let both = dir.join("both.json");
    let mut two = vec![
        "study",
        "--vary",
        "width=4,16",
        "--vary",
        "fixed-t=none",
        "--seeds",
        "2",
        "--out",
        both.to_str().unwrap(),
        "--reuse",
        out_s,
        "--reuse",
        other.to_str().unwrap(),
    ];
    two.extend_from_slice(SMALL_STUDY);
    let (code, stdout8, stderr8) = lab(&two);
    assert_eq!(code, 0, "{stderr8}");
    assert!(stderr8.contains(&format!("reusing 2 finished run(s) of {out_s}")), "{stderr8}");
    assert!(stderr8.contains(&format!("reusing 2 finished run(s) of {}", other.display())), "{stderr8}");
    let s8: serde_json::Value = serde_json::from_str(&stdout8).unwrap();
    assert_eq!(s8["runs"], s6["runs"], "the runs of the two files, in the plan's order");
    // A study of fewer samplers takes the runs of one that sampled more, narrowed to its own:
    // nothing is trained, and the figures are the wider runs' for its samplers.
    let wide_out = dir.join("wide.json");
    let wide_args: Vec<&str> = SMALL_STUDY.iter().map(|a| if *a == "ode" { "ode,sde" } else { *a }).collect();
    let mut wide = vec!["study", "--vary", "width=4", "--seeds", "2", "--out", wide_out.to_str().unwrap()];
    wide.extend_from_slice(&wide_args);
    let (code, stdout9, stderr9) = lab(&wide);
    assert_eq!(code, 0, "{stderr9}");
    let narrow_out = dir.join("narrow.json");
    let mut narrow = vec!["study", "--vary", "width=4", "--seeds", "2", "--out", narrow_out.to_str().unwrap(), "--reuse", wide_out.to_str().unwrap()];
    narrow.extend(SMALL_STUDY.iter().filter(|a| **a != "--quiet"));
    let (code, stdout10, stderr10) = lab(&narrow);
    assert_eq!(code, 0, "{stderr10}");
    assert!(stderr10.contains("2 finished run(s) in the file below sampled more samplers") && stderr10.contains("reusing 2 finished run(s)"), "{stderr10}");
    assert!(!stderr10.contains("seed="), "a run was trained: {stderr10}");
    let (s9, s10): (serde_json::Value, serde_json::Value) = (serde_json::from_str(&stdout9).unwrap(), serde_json::from_str(&stdout10).unwrap());
    for (w, n) in s9["runs"].as_array().unwrap().iter().zip(s10["runs"].as_array().unwrap()) {
        let mut want = w["metrics"].as_object().unwrap().clone();
        want.retain(|k, _| !k.contains("@sde"));
        assert!(want.contains_key("tid@ode@0.05"));
        assert_eq!(n["metrics"].as_object().unwrap(), &want);
        assert_eq!(n["spec"]["sampling"]["samplers"], serde_json::json!(["ode"]));
    }
    // --print-plan: every planned run with its spec and where it already is; nothing is run
    // or written.
    let before = std::fs::read_to_string(&narrow_out).unwrap();
    let fresh = dir.join("fresh.json");
    for (out_file, reuse, want) in [(&narrow_out, None, "out"), (&fresh, Some(&wide_out), "reuse")] {
        let mut a = vec!["study", "--vary", "width=4,8", "--seeds", "2", "--out", out_file.to_str().unwrap(), "--print-plan"];
        if let Some(r) = reuse {
            a.extend(["--reuse", r.to_str().unwrap()]);
        }
        a.extend_from_slice(SMALL_STUDY);
        let (code, stdout, stderr) = lab(&a);
        assert_eq!(code, 0, "{stderr}");
        let p: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let runs = p["runs"].as_array().unwrap();
        let done: Vec<Option<&str>> = runs.iter().map(|r| r["done"].as_str()).collect();
        assert_eq!(done, [Some(want), Some(want), None, None], "{stdout}");
        assert!(runs.iter().all(|r| r["spec"]["model"]["width"] == serde_json::json!(r["settings"]["width"].as_str().unwrap().parse::<u32>().unwrap())));
    }
    assert_eq!(std::fs::read_to_string(&narrow_out).unwrap(), before, "--print-plan wrote its --out");
    assert!(!fresh.exists(), "--print-plan made its --out");
    let mut bad_reuse = vec!["study", "--vary", "width=4", "--reuse", "/nonexistent/x.json"];
    bad_reuse.extend_from_slice(SMALL_STUDY);
    let (code, _, stderr7) = lab(&bad_reuse);
    assert_eq!(code, 2);
    assert!(stderr7.starts_with("error: --reuse /nonexistent/x.json") || stderr7.contains("--reuse /nonexistent/x.json:"), "{stderr7}");
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
fn a_slurm_folder_runs_under_plain_xargs_and_collects_as_the_local_study() {
    let dir = std::env::temp_dir().join(format!("collapse-lab-xargs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let study = [
        "--dataset",
        "mog",
        "--data-size",
        "2000",
        "--depth",
        "2",
        "--iters",
        "40",
        "--batch",
        "128",
        "--samplers",
        "ode",
        "--steps",
        "ode=10",
        "--n-samples",
        "200",
        "--eps",
        "0.1",
        "--repeats",
        "2",
        "--vary",
        "width=8,16",
        "--seeds",
        "2",
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

/// `study --collect DIR --out FILE` where FILE is a study of the folder's plan merges into it,
/// exactly as a local resume does (issue 55 #2): its finished runs are kept and the collected
/// ones added; it dropped them (2 finished -> 0, "2 of 2 runs missing", exit 1). A study of
/// another plan is refused by name and left as it was.
#[test]
fn collect_merges_into_a_study_file_of_its_plan_and_refuses_another() {
    let dir = std::env::temp_dir().join(format!("collapse-lab-collect-merge-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (d, out) = (dir.join("slurm"), dir.join("study.json"));
    let (d, o) = (d.to_str().unwrap(), out.to_str().unwrap());
    let study = [
        "--dataset",
        "mog",
        "--data-size",
        "2000",
        "--depth",
        "2",
        "--iters",
        "20",
        "--batch",
        "64",
        "--samplers",
        "ode",
        "--steps",
        "ode=10",
        "--n-samples",
        "200",
        "--eps",
        "0.1",
        "--repeats",
        "2",
        "--vary",
        "width=8,16",
        "--seeds",
        "1",
        "--quiet",
    ];
    // The study run here, both runs finished in its file; the same plan as a job-array folder
    // where no task has run yet.
    let (code, local, err) = lab(&[&["study"][..], &study, &["--out", o]].concat());
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = lab(&[&["study"][..], &study, &["--slurm", d, "--engine", "cpu"]].concat());
    assert_eq!(code, 0, "{err}");
    let figures = |v: &serde_json::Value| -> Vec<(u64, serde_json::Value)> {
        v["runs"].as_array().unwrap().iter().map(|r| (r["index"].as_u64().unwrap(), r["metrics"]["tid@ode@0.1"].clone())).collect()
    };
    let local: serde_json::Value = serde_json::from_str(&local).unwrap();
    let (code, merged, err) = lab(&["study", "--collect", d, "--quiet", "--out", o]);
    assert_eq!(code, 0, "the file's finished runs count: {err}");
    assert!(err.contains("2 finished run(s) kept from it, 0 collected run(s) added"), "{err}");
    let merged: serde_json::Value = serde_json::from_str(&merged).unwrap();
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(figures(&merged), figures(&local));
    assert_eq!(figures(&file), figures(&local), "the file keeps its finished runs");
    assert_eq!(file["missing"], serde_json::json!([]));
    // The file holds run 0 only; the folder's task 1 has run: merged, both are there.
    let mut one = local.clone();
    one["runs"].as_array_mut().unwrap().retain(|r| r["index"] == 0);
    std::fs::write(&out, one.to_string()).unwrap();
    let status = std::process::Command::new("bash").arg(format!("{d}/study.sbatch")).env("SLURM_ARRAY_TASK_ID", "1").output().unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let (code, _, err) = lab(&["study", "--collect", d, "--quiet", "--out", o]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("1 finished run(s) kept from it, 1 collected run(s) added"), "{err}");
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(figures(&file), figures(&local), "the kept run and the collected one (the same run as here)");
    // A study of another plan: refused by name, not overwritten (--restart replaces it).
    let other = dir.join("other.json");
    let mut args = vec!["study"];
    args.extend(study.iter().map(|a| if *a == "width=8,16" { "width=8,32" } else { *a }));
    args.extend(["--out", other.to_str().unwrap()]);
    let (code, _, err) = lab(&args);
    assert_eq!(code, 0, "{err}");
    let before = std::fs::read_to_string(&other).unwrap();
    let (code, out_, err) = lab(&["study", "--collect", d, "--quiet", "--out", other.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("--out {}: holds another study", other.display())) && out_.is_empty(), "{err}");
    assert_eq!(std::fs::read_to_string(&other).unwrap(), before);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The see-saw presets' quick size shows the see-saw when the CLI runs it, by the criterion of
/// docs/seesaw-search.md (`study::seesaw`): MAE at t = 1 rising from the narrowest to the widest
/// net with the ± sd bars apart, MAE at t = 0.1 not rising, the high-noise-only control below.
/// The cures' presets (Fig. 9) share that quick size, and there the cures show as their notes
/// say: both skip parameterisations keep MAE at t = 1 below the plain net's at the widest net
/// with the bars apart; the split at t' = 0.6 does at widths 10 and 100, and at 400 its mean is
/// lower. The gallery's own commands are run, as a user would copy them (the see-saw study reuses
/// the skip study's plain nets and the split study the see-saw's, as a user would with `--reuse`:
/// 45 nets trained instead of 54).
#[test]
fn the_quick_seesaw_and_cure_presets_show_the_seesaw_and_the_cures() {
    let dir = std::env::temp_dir().join(format!("collapse-lab-quick-seesaw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seesaw_out = dir.join("fig7.json");
    let study = |id: &str, extra: &[&str]| -> collapse_lab::study::StudyResult {
        let cmd = lab_ok(&["gallery", "--command", id, "--size", "quick"]);
        let mut args: Vec<&str> = cmd.split_whitespace().collect();
        assert_eq!(args.remove(0), "collapse-lab", "{cmd}");
        args.extend(["--quiet", "--engine", "cpu"]);
        args.extend(extra);
        let s: collapse_lab::study::StudyResult = serde_json::from_str(&lab_ok(&args)).unwrap();
        assert!(s.missing.is_empty() && s.failed.is_empty(), "{cmd}: missing {:?}, failed {:?}", s.missing, s.failed);
        s
    };

    // MAE(t = 1) of a cell: (mean, sd).
    let mae1 = |s: &collapse_lab::study::StudyResult, axis: &str, value: &str, width: &str| {
        let c = s.cells.iter().find(|c| c.settings[axis] == value && c.settings["width"] == width).unwrap();
        let m = &c.metrics["mae_velocity@1"];
        (m.mean.unwrap(), m.std.unwrap())
    };
    let below_apart = |cure: (f64, f64), plain: (f64, f64)| cure.0 + cure.1 < plain.0 - plain.1;
    // The skip study first: its plain nets (narrowed to the ODE) are the see-saw study's runs
    // without a fixed t, taken from its file rather than trained again (as make-gallery-runs.sh
    // does), and the see-saw's runs are the split study's single nets.
    let skip_out = dir.join("skip.json");
    let skip = study("fig9-skip", &["--out", skip_out.to_str().unwrap()]);
    let s = study("fig7-seesaw", &["--out", seesaw_out.to_str().unwrap(), "--reuse", skip_out.to_str().unwrap()]);
    let v = collapse_lab::study::seesaw(&s).unwrap_or_else(|| panic!("no see-saw verdict (axes or seeds missing)"));
    assert!(v.shows(), "{}", v.sentence());
    assert!(collapse_lab::study::findings(&s).contains(&v.sentence()));

    let plain = mae1(&skip, "parameterization", "plain", "400");
    assert!(plain.0 - plain.1 > mae1(&skip, "parameterization", "plain", "10").0, "the plain nets' see-saw: {plain:?}");
    for p in ["skip-fixed", "skip-learned"] {
        let cure = mae1(&skip, "parameterization", p, "400");
        assert!(below_apart(cure, plain), "{p} at width 400: {cure:?} against plain {plain:?}");
    }
    let split = study("fig9-two-model", &["--reuse", seesaw_out.to_str().unwrap()]);
    for w in ["10", "100"] {
        let (cure, single) = (mae1(&split, "two-model", "0.6", w), mae1(&split, "two-model", "none", w));
        assert!(below_apart(cure, single), "the split at width {w}: {cure:?} against {single:?}");
    }
    assert!(mae1(&split, "two-model", "0.6", "400").0 < mae1(&split, "two-model", "none", "400").0);
    let f = collapse_lab::study::findings(&split).join("\n");
    assert!(f.contains("with two-model = none (mean ± sd over 3 seeds). Elsewhere it is lower with the bars apart at width = 10 and 100."), "{f}");
    std::fs::remove_dir_all(&dir).ok();
}
