//! The trained runs the page ships for the gallery's paper-size links (`www/runs/ID.json`, made
//! by `scripts/make-gallery-runs.sh`): one for every preset of `presets::SHIPPED`, each the saved run
//! of that preset's paper spec, and each still giving its figures when its nets are sampled and
//! measured again by today's code (otherwise: rerun the script).

use collapse_lab::engine::block_on;
use collapse_lab::experiment::presets::{self, Kind, Size};
use collapse_lab::experiment::{run_with, saved, Backend};
use std::ops::ControlFlow;
use std::path::Path;

#[test]
fn every_shipped_run_is_its_presets_paper_run_and_samples_to_its_figures_again() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/runs");
    let ids: Vec<String> = presets::SHIPPED.iter().map(|s| s.to_string()).collect();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let expected: Vec<String> = {
        let mut v: Vec<String> = ids.iter().map(|id| format!("{id}.json")).collect();
        v.sort();
        v
    };
    assert_eq!(files, expected, "www/runs holds exactly the runs of presets::SHIPPED (scripts/make-gallery-runs.sh makes them)");
    for id in &ids {
        let p = presets::preset(id).unwrap_or_else(|| panic!("{id}: no such preset"));
        assert_eq!(p.kind, Kind::Run, "{id}");
        let text = std::fs::read_to_string(dir.join(format!("{id}.json"))).unwrap();
        let opened = saved::open(&text).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(opened.spec, p.spec(Size::Paper).unwrap(), "{id}: the file is not the preset's paper run; rerun scripts/make-gallery-runs.sh {id}");
        let t = std::time::Instant::now();
        let again = block_on(run_with(&opened.spec, Backend::Cpu, Some(opened.pretrained), &mut |_| ControlFlow::Continue(())))
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        saved::check(&opened.result, &again, saved::TOLERANCE)
            .unwrap_or_else(|e| panic!("{id}: {e}; rerun scripts/make-gallery-runs.sh {id}"));
        eprintln!("{id}: sampled and measured again in {:.1} s, figures as shipped", t.elapsed().as_secs_f64());
    }
}
