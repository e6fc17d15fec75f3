//! The files the page ships for the gallery's paper-size links (`www/runs/ID.json`, made by
//! `scripts/make-gallery-runs.sh`, with `www/runs/provenance.json` saying where each comes from):
//! one for every preset of `presets::SHIPPED`. A run preset's file is the saved run of its paper
//! spec and still gives its figures when its nets are sampled and measured again by today's code
//! (otherwise: rerun the script). A study preset's file is the study of its paper plan (the same
//! base run, axes and seeds; runs may still be missing: a partial study), and its cells' figures
//! are what today's aggregation makes of its stored per-run results. A generations preset's file
//! is the same for its chains (`generations --out`). A run ships its figures beside it
//! (`ID.figures.json`: samples and recordings, drawn by the page at once), which must be that
//! run's.

use collapse_lab::engine::block_on;
use collapse_lab::experiment::saved;
use collapse_lab::spec::presets::{self, Kind, Size};
use std::ops::ControlFlow;
use std::path::Path;

#[test]
fn every_shipped_run_is_its_presets_paper_run_and_samples_to_its_figures_again() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/runs");
    let ids: Vec<String> = presets::SHIPPED.iter().map(|s| s.to_string()).collect();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        // A study growing in the background holds a lock file (.ID.json.collapse-lab-lock).
        .filter(|f| !f.starts_with('.'))
        .collect();
    files.sort();
    let runs = ids.iter().filter(|id| presets::preset(id).is_some_and(|p| p.kind == Kind::Run));
    let expected: Vec<String> = {
        let mut v: Vec<String> =
            ids.iter().map(|id| format!("{id}.json")).chain(runs.map(|id| format!("{id}.figures.json"))).chain(["provenance.json".to_string()]).collect();
        v.sort();
        v
    };
    assert_eq!(files, expected, "www/runs holds exactly the files of presets::SHIPPED, and a run's figures (scripts/make-gallery-runs.sh makes them)");
    let provenance: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("provenance.json")).unwrap()).unwrap();
    // COLLAPSE_LAB_SHIPPED_ONLY=id,id checks only those (while one file is being remade).
    let only = std::env::var("COLLAPSE_LAB_SHIPPED_ONLY").ok();
    for id in ids.iter().filter(|id| only.as_ref().is_none_or(|o| o.split(',').any(|x| x == id.as_str()))) {
        let p = presets::preset(id).unwrap_or_else(|| panic!("{id}: no such preset"));
        let text = std::fs::read_to_string(dir.join(format!("{id}.json"))).unwrap();
        let prov = &provenance[id.as_str()];
        for field in ["command", "commit", "machine", "date", "wall_s"] {
            assert!(!prov[field].is_null(), "{id}: provenance.json has no {field}");
        }
        assert_eq!(prov["command"], p.command(Size::Paper).unwrap(), "{id}: provenance names another command");
        if matches!(p.kind, Kind::Study | Kind::Generations) {
            // The gallery says how far a growing file is from its provenance entry: the file's counts.
            let file: serde_json::Value = serde_json::from_str(&text).unwrap();
            let planned = file["cells"].as_array().unwrap().len() as u64 * file["seeds"].as_u64().unwrap();
            let done = planned - file["missing"].as_array().unwrap().len() as u64;
            assert_eq!(
                (prov["done"].as_u64(), prov["planned"].as_u64()),
                (Some(done), Some(planned)),
                "{id}: provenance.json's done/planned are not the file's {done} of {planned}"
            );
        }
        if p.kind == Kind::Study {
            check_study(p, &text);
            continue;
        }
        if p.kind == Kind::Generations {
            check_generations(p, &text);
            continue;
        }
        assert_eq!(p.kind, Kind::Run, "{id}");
        let opened = saved::open(&text).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(opened.spec, p.spec(Size::Paper).unwrap(), "{id}: the file is not the preset's paper run; rerun scripts/make-gallery-runs.sh {id}");
        // The figures the page draws at once: this run's, at its sizes.
        let figures = std::fs::read_to_string(dir.join(format!("{id}.figures.json"))).unwrap();
        collapse_lab::experiment::figures::open(&figures, &opened.result)
            .unwrap_or_else(|e| panic!("{id}.figures.json: {e}; rerun scripts/make-gallery-runs.sh --figures {id}"));
        let t = std::time::Instant::now();
        block_on(opened.reopen(&mut |_| ControlFlow::Continue(()))).unwrap_or_else(|e| panic!("{id}: {e}; rerun scripts/make-gallery-runs.sh {id}"));
        eprintln!("{id}: sampled and measured again in {:.1} s, figures as shipped", t.elapsed().as_secs_f64());
    }
}

/// A shipped study: its plan is the preset's paper plan, and its cells are what today's
/// aggregation makes of its per-run records (the figures recompute from the stored results).
fn check_study(p: &presets::Preset, text: &str) {
    use collapse_lab::study::{self, Axis, StudyResult};
    let id = p.id;
    let file: StudyResult = serde_json::from_str(text).unwrap_or_else(|e| panic!("{id}: not a study JSON: {e}"));
    let r = p.resolve(Size::Paper).unwrap();
    let base = p.spec(Size::Paper).unwrap();
    let axes: Vec<Axis> = r.vary.iter().map(|v| Axis::parse(v).unwrap()).collect();
    let plan = study::plan(&base, axes, r.seeds.unwrap_or(3)).unwrap();
    assert_eq!(file.base, plan.base, "{id}: another base run than the preset's paper spec");
    assert_eq!(file.seeds, plan.seeds, "{id}: seeds");
    for rec in &file.runs {
        let planned = &plan.runs[rec.index];
        assert_eq!(rec.spec, planned.spec, "{id}: run {} is not the planned run", rec.index);
        assert!(rec.error.is_none(), "{id}: run {} failed: {:?}", rec.index, rec.error);
    }
    let again = study::aggregate(&plan, &file.runs);
    assert_eq!(serde_json::to_value(&again).unwrap(), serde_json::to_value(&file).unwrap(), "{id}: the cells are not the aggregate of the runs");
    eprintln!("{id}: a study of {} of {} runs, cells recomputed from its runs", file.runs.len(), plan.runs.len());
}

/// A shipped generations run: its plan is the preset's paper plan (the base run with its
/// recursion settings, the fresh fractions, samplers and seeds), every chain its planned spec,
/// and its cells what today's aggregation makes of the stored chains.
fn check_generations(p: &presets::Preset, text: &str) {
    use collapse_lab::generations::{self, ChainResult, GenerationsResult};
    let id = p.id;
    let file: GenerationsResult = serde_json::from_str(text).unwrap_or_else(|e| panic!("{id}: not a generations JSON: {e}"));
    let r = p.resolve(Size::Paper).unwrap();
    let base = p.spec(Size::Paper).unwrap();
    let plan = generations::plan(&base, &r.fresh, &r.gen_samplers, Vec::new(), r.gen_seeds.unwrap_or(1)).unwrap();
    assert_eq!(file.base, plan.base, "{id}: another base run than the preset's paper spec");
    assert_eq!(file.seeds, plan.seeds, "{id}: seeds");
    let mut records = Vec::new();
    for v in &file.runs {
        let index = v["index"].as_u64().unwrap_or_else(|| panic!("{id}: a chain without its index")) as usize;
        let chain: ChainResult = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{id}: chain {index}: {e}"));
        assert!(chain.error.is_none(), "{id}: chain {index} stopped: {:?}", chain.error);
        let planned = &plan.runs[index];
        let rec = planned.spec.recursion.as_ref().unwrap();
        assert_eq!(
            (chain.fresh, chain.sampler.as_str(), chain.seed),
            (rec.fresh, rec.sampler.name(), planned.spec.seed),
            "{id}: chain {index} is not the planned chain"
        );
        assert_eq!(chain.generations.len(), rec.generations + 1, "{id}: chain {index} has {} generations", chain.generations.len());
        records.push(generations::record(planned, Ok(&chain)));
    }
    let again = generations::aggregate(&plan, &records);
    assert_eq!(serde_json::to_value(&again).unwrap(), serde_json::to_value(&file).unwrap(), "{id}: the cells are not the aggregate of the chains");
    // A partial file (a long run that grows over sessions) lists the chains not run yet as
    // missing: the aggregate above checks that list too.
    eprintln!("{id}: generations of {} of {} chains, cells recomputed from its chains", file.runs.len(), plan.runs.len());
}

/// `make-gallery-runs.sh --status` (scripts/gallery-status.py) estimates a study's missing runs,
/// each with its spec from the study's plan (`study --print-plan`): a cell with no run done from
/// the training time of the same nets in another shipped study (per net: a split run trains two)
/// plus this study's time outside training; without such runs, from its own costliest runs
/// scaled by width^2 x depth; a run another shipped file holds costs nothing.
#[test]
fn the_status_script_estimates_missing_runs_from_the_same_nets_in_other_studies() {
    use serde_json::json;
    let dir = std::env::temp_dir().join(format!("collapse-lab-status-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = |width: u32, two_model: Option<f64>| json!({"dim": 10, "model": {"depth": 2, "width": width}, "training": {"iters": 10000, "batch": 2000, "two_model": two_model}});
    let run = |cell: usize, settings: serde_json::Value, spec: serde_json::Value, train: f64, total: f64| json!({"index": cell, "cell": cell, "settings": settings, "spec": spec, "result": {"timings": {"train_s": train, "total_s": total}}});
    // This study: width 100 done (50 s, 10 of them outside training), width 1000 with one net
    // and split in two missing, one seed each.
    let study = json!({
        "base": spec(100, None), "seeds": 1, "missing": [1, 2],
        "cells": [
            {"settings": {"width": "100", "two-model": "none"}},
            {"settings": {"width": "1000", "two-model": "none"}},
            {"settings": {"width": "1000", "two-model": "0.6"}}
        ],
        "runs": [run(0, json!({"width": "100", "two-model": "none"}), spec(100, None), 40.0, 50.0)]
    });
    std::fs::write(dir.join("a.json"), study.to_string()).unwrap();
    // The plan, as `study --print-plan` prints it.
    let plan = |taken: Option<usize>| {
        let planned =
            |i: usize, width: u32, two: Option<f64>, done: Option<&str>| json!({"index": i, "cell": i, "seed": 0, "done": done, "spec": spec(width, two)});
        let done = |i| if taken == Some(i) { Some("reuse") } else { None };
        let p = json!({"seeds": 1, "runs": [planned(0, 100, None, Some("out")), planned(1, 1000, None, done(1)), planned(2, 1000, Some(0.6), done(2))]});
        std::fs::write(dir.join("plan.json"), p.to_string()).unwrap();
    };
    plan(None);
    let status = || {
        let out = std::process::Command::new("python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/gallery-status.py"))
            .args(["a", dir.join("a.json").to_str().unwrap(), "collapse-lab study", dir.join("plan.json").to_str().unwrap()])
            .output()
            .expect("python3");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    // No width-1000 net anywhere: its own width-100 run scaled by 100 (each of the two cells).
    let scaled = status();
    assert!(scaled.contains("partial, 1 of 3 runs done (0 failed), 2 left: ~2.8 h from the costliest runs done, scaled by width^2 x depth"), "{scaled}");
    // Another shipped study trained the same width-1000 net in 3600 s: one net 3600 + 10 s, the
    // split run two nets, 7200 + 10 s: 10,820 s.
    let other = json!({
        "base": spec(1000, None), "seeds": 1, "missing": [],
        "cells": [{"settings": {"width": "1000"}}],
        "runs": [run(0, json!({"width": "1000"}), spec(1000, None), 3600.0, 3620.0)]
    });
    std::fs::write(dir.join("b.json"), other.to_string()).unwrap();
    let same = status();
    assert!(same.contains("2 left: ~3.0 h from the training time of the same nets in the shipped studies"), "{same}");
    // The single width-1000 run in another shipped file: only the split run is left to train.
    plan(Some(1));
    let one = status();
    assert!(one.contains("2 left (1 of them from another shipped file, at no cost): ~2.0 h from the training time"), "{one}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The page's "What reproduces" view shows www/verdicts.json: it must be what the rules of
/// src/verdicts.rs compute from today's shipped files (rewrite it with
/// `collapse-lab verdicts --json > www/verdicts.json`, as scripts/make-gallery-runs.sh does).
#[test]
fn the_pages_verdicts_are_what_the_rules_compute_from_the_shipped_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let computed = serde_json::to_value(collapse_lab::verdicts::verdicts(&collapse_lab::verdicts::Folder(root.join("www/runs")))).unwrap();
    let shown: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(root.join("www/verdicts.json")).unwrap()).unwrap();
    assert_eq!(shown, computed, "www/verdicts.json is stale: rerun `collapse-lab verdicts --json > www/verdicts.json`");
}
