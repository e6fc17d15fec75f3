//! Bad input, as a new user gives it (issue 13's reproducers), and bounded, seeded fuzz tests of
//! the settings table, spec documents and the CSV reader: every input gives a valid spec (or
//! points) or one clear error line, never a panic, never a silently different experiment.

use collapse_lab::points::Points;
use collapse_lab::rng::{self, Stream};
use collapse_lab::spec::{ExperimentSpec, overrides};
use rand::RngExt;
use std::process::{Command, Stdio};

mod common;
use common::{lab, lab_env};

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("collapse-lab-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

const SMALL: &[&str] = &["--iters", "20", "--width", "8", "--n-samples", "200", "--samplers", "ode", "--quiet"];

#[test]
fn bad_output_folders_are_refused_before_training() {
    let file = tmp("a-regular-file");
    std::fs::write(&file, "x").unwrap();
    let file = file.to_str().unwrap();
    for (flag, dir, want) in [
        ("--samples-out", "/proc/collapse-lab", "cannot create this folder"),
        ("--samples-out", "", "needs a folder name"),
        ("--record-out", file, "cannot create this folder"),
    ] {
        let mut args = vec![flag, dir, "--iters", "100000"];
        args.extend_from_slice(&SMALL[2..]);
        let t = std::time::Instant::now();
        let (code, out, err) = lab(&args);
        assert_eq!(code, 2, "{flag} {dir:?}: {err}");
        assert!(err.contains(flag) && err.contains(want), "{flag} {dir:?}: {err}");
        assert!(out.is_empty() && t.elapsed().as_secs() < 20, "{flag} {dir:?} trained first");
    }
}

#[test]
fn oversized_and_wrong_files_fail_at_once() {
    // A device is no input file: refused by name before it is opened (issue 55).
    let (code, _, err) = lab(&["--spec", "/dev/zero"]);
    assert_eq!(code, 2);
    assert!(err.contains("--spec /dev/zero: is a device, not a regular file"), "{err}");
    let (code, _, err) = lab(&["tid", "--train", "/dev/urandom", "--samples", "/dev/urandom"]);
    assert_eq!(code, 2);
    assert!(err.contains("--train /dev/urandom: is a device"), "{err}");
    let (code, _, err) = lab(&["tid", "--train", "/dev/zero", "--samples", "/dev/zero"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a device"), "{err}");
    // A file too large to be a spec, or not text, fails at once all the same.
    let big = tmp("big-spec.json");
    std::fs::write(&big, vec![b' '; (1 << 20) + 10]).unwrap();
    let (code, _, err) = lab(&["--spec", big.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("not a spec file"), "{err}");
    let binary = tmp("binary.csv");
    std::fs::write(&binary, [0xffu8, 0xfe, 0x00, b'\n'].repeat(10)).unwrap();
    let (code, _, err) = lab(&["tid", "--train", binary.to_str().unwrap(), "--samples", binary.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a CSV of points"), "{err}");
    // A JSON array (values by position) is no spec.
    let arr = tmp("array.json");
    for text in ["[]", "[\"chessboard\", null, 10]", "3", "\"spec\""] {
        std::fs::write(&arr, text).unwrap();
        let (code, _, err) = lab(&["--spec", arr.to_str().unwrap(), "--print-spec"]);
        assert_eq!(code, 2, "{text}");
        assert!(err.contains("a spec must be a JSON object"), "{text}: {err}");
    }
}

#[test]
fn dim_off_mog_nd_is_refused_not_ignored() {
    let (code, _, err) = lab(&["--dim", "3", "--print-spec"]);
    assert_eq!(code, 2);
    assert!(err.contains("--dim: only mog-nd has a dimension"), "{err}");
    let (code, out, _) = lab(&["--dataset", "mog-nd", "--dim", "3", "--print-spec"]);
    assert_eq!(code, 0);
    assert!(out.contains("\"dim\": 3"));
    assert!(overrides::from_pairs([("dataset", "spiral"), ("dim", "4")]).is_err());
}

#[test]
fn a_closed_stdout_is_no_crash() {
    // The pipe's reading end is closed before the program starts, so its first write meets the
    // closed pipe (not a pipe still open while it writes).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(common::bin()).args(["--print-spec"]).stdout(writer).stderr(Stdio::piped()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn write_csv(name: &str, rows: &[Vec<f64>], prefix: &str) -> String {
    let mut s = String::from(prefix);
    for r in rows {
        s += &r.iter().map(|v| format!("{v}")).collect::<Vec<_>>().join(",");
        s.push('\n');
    }
    let p = tmp(name);
    std::fs::write(&p, s).unwrap();
    p.to_str().unwrap().to_string()
}

fn tid_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["tid"];
    all.extend_from_slice(args);
    let (code, out, err) = lab(&all);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn tid_reads_in_f64_skips_a_bom_and_only_true_headers() {
    let mut r = rng::stream(5, Stream::Data, 0);
    let pts = |n: usize, off: f64, r: &mut rand::rngs::StdRng| -> Vec<Vec<f64>> {
        (0..n).map(|_| vec![off + r.random::<f64>(), off + r.random::<f64>() * r.random::<f64>()]).collect()
    };
    let (a, b) = (pts(1500, 0.0, &mut r), pts(1500, 0.0, &mut r));
    let shift = |v: &[Vec<f64>]| v.iter().map(|p| p.iter().map(|x| x + 1e5).collect()).collect::<Vec<Vec<f64>>>();
    let (fa, fb) = (write_csv("a.csv", &a, ""), write_csv("b.csv", &b, ""));
    let (sa, sb) = (write_csv("sa.csv", &shift(&a), ""), write_csv("sb.csv", &shift(&b), ""));
    let near = tid_json(&["--train", &fa, "--samples", &fb, "--eps", "0.01,0.05"]);
    let far = tid_json(&["--train", &sa, "--samples", &sb, "--eps", "0.01,0.05"]);
    for i in 0..2 {
        let (x, y) = (near["results"][i]["tid"].as_f64().unwrap(), far["results"][i]["tid"].as_f64().unwrap());
        assert!((x - y).abs() < 0.02, "TID changes with a shift of 1e5: {x} vs {y}");
    }
    // A BOM before a header-less file: the first row is data, not a header.
    let bom = write_csv("bom.csv", &a, "\u{feff}");
    let v = tid_json(&["--train", &bom, "--samples", &fb]);
    assert_eq!(v["train"]["points"], 1500);
    assert!(v["train"]["header"].is_null());
    // A header is skipped and reported; a first row with a typo is an error, not a header.
    let head = write_csv("head.csv", &a, "x,y\n");
    let v = tid_json(&["--train", &head, "--samples", &fb]);
    assert_eq!((v["train"]["points"].as_u64(), v["train"]["header"].as_str()), (Some(1500), Some("x,y")));
    let typo = write_csv("typo.csv", &a[1..], "1,abc\n");
    let (code, _, err) = lab(&["tid", "--train", &typo, "--samples", &fb]);
    assert_eq!(code, 2);
    assert!(err.contains("line 1") && err.contains("\"abc\" is not a number"), "{err}");
    // k above the points used is reported as the k used.
    let two = write_csv("two.csv", &a[..2], "");
    let v = tid_json(&["--train", &two, "--samples", &two, "--k", "5", "--eps", "0.5"]);
    assert_eq!(v["k"], 2);
}

#[test]
fn tid_at_a_radius_covering_the_data_is_fast_and_hopeless_work_is_refused() {
    let mut r = rng::stream(6, Stream::Data, 0);
    let rows: Vec<Vec<f64>> = (0..20_000).map(|_| vec![r.random::<f64>(), r.random::<f64>()]).collect();
    let f = write_csv("cover.csv", &rows, "");
    let t = std::time::Instant::now();
    let v = tid_json(&["--train", &f, "--samples", &f, "--eps", "100"]);
    assert!(t.elapsed().as_secs_f64() < 10.0, "e = 100 took {:?}", t.elapsed());
    assert!(v["results"][0]["tid"].is_number() || v["results"][0]["tid"].is_null());
    // 300,000 points on [0, 10]^2 at e = 4: ~4e10 pair comparisons, refused up front.
    let rows: Vec<Vec<f64>> = (0..300_000).map(|_| vec![10.0 * r.random::<f64>(), 10.0 * r.random::<f64>()]).collect();
    let f = write_csv("big.csv", &rows, "");
    let t = std::time::Instant::now();
    let (code, _, err) = lab(&["tid", "--train", &f, "--samples", &f, "--eps", "0.01,4"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--eps: counting neighbours within 4 ") && err.contains("pairs of points"), "{err}");
    assert!(t.elapsed().as_secs_f64() < 30.0);
}

const VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "-1",
    "2",
    "10",
    "0.5",
    "1e308",
    "-1e308",
    "1e-300",
    "NaN",
    "inf",
    "-inf",
    "abc",
    "1,2,3",
    ",",
    ";",
    "true",
    "false",
    "yes",
    "maybe",
    "99999999999999999999",
    "18446744073709551616",
    "4294967296",
    "0x10",
    " 7 ",
    "ode",
    "sde,pc,ald",
    "ode,euler",
    "ode=5",
    "sde=0",
    "vp",
    "linear",
    "chessboard",
    "mog-nd",
    "mog",
    "relu",
    "skip-learned",
    "none",
    "0.6",
    "1,0.5,0",
    "0.01,0.1;0.05",
    "\u{0}",
    "é",
    "1 2",
];

/// Random name=value pairs from the settings table (and names that are not in it).
#[test]
fn fuzz_the_settings_table() {
    let mut r = rng::stream(13, Stream::Data, 1);
    let mut ok = 0;
    for case in 0..4000 {
        let n = r.random_range(1..5usize);
        let pairs: Vec<(String, String)> = (0..n)
            .map(|_| {
                let name = if r.random::<f64>() < 0.9 {
                    overrides::SETTINGS[r.random_range(0..overrides::SETTINGS.len())].name.to_string()
                } else {
                    ["colour", "Width", "", "--width", "eps "][r.random_range(0..5usize)].to_string()
                };
                (name, VALUES[r.random_range(0..VALUES.len())].to_string())
            })
            .collect();
        let res = std::panic::catch_unwind(|| overrides::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
        let res = res.unwrap_or_else(|_| panic!("case {case}: {pairs:?} panicked"));
        match res {
            Ok(spec) => {
                ok += 1;
                // The same experiment again from its JSON: nothing was dropped on the way.
                let again = ExperimentSpec::from_json(&serde_json::to_string(&spec).unwrap()).unwrap_or_else(|e| panic!("case {case}: {pairs:?}: {e}"));
                assert_eq!(again, spec, "case {case}: {pairs:?}");
            }
            Err(e) => {
                let line = e.to_string();
                assert!(!e.field.is_empty() && !e.message.is_empty() && !line.contains('\n'), "case {case}: {pairs:?}: {line:?}");
            }
        }
    }
    assert!(ok > 40 && ok < 3900, "{ok} of 4000 valid: the fuzzer does not reach both sides");
}

/// Whole spec documents with fields replaced by nulls, wrong types, huge numbers, removed,
/// added, and duplicated.
#[test]
fn fuzz_spec_documents() {
    let base: serde_json::Value = serde_json::to_value(ExperimentSpec::default()).unwrap();
    let mut paths = Vec::new();
    fn walk(v: &serde_json::Value, at: Vec<String>, out: &mut Vec<Vec<String>>) {
        if let Some(o) = v.as_object() {
            for (k, x) in o {
                let mut p = at.clone();
                p.push(k.clone());
                out.push(p.clone());
                walk(x, p, out);
            }
        }
    }
    walk(&base, Vec::new(), &mut paths);
    let replacements = [
        serde_json::Value::Null,
        serde_json::json!("text"),
        serde_json::json!([]),
        serde_json::json!([1, 2]),
        serde_json::json!({}),
        serde_json::json!(true),
        serde_json::json!(-1),
        serde_json::json!(0),
        serde_json::json!(1e300),
        serde_json::json!(u64::MAX),
        serde_json::json!(0.5),
    ];
    let mut r = rng::stream(14, Stream::Data, 2);
    let mut valid = 0;
    for case in 0..3000 {
        let mut doc = base.clone();
        for _ in 0..r.random_range(1..4usize) {
            let path = &paths[r.random_range(0..paths.len())];
            let mut at = Some(&mut doc);
            for k in &path[..path.len() - 1] {
                at = at.and_then(|v| v.get_mut(k));
            }
            // An earlier mutation may have replaced a parent of this path.
            let Some(obj) = at.and_then(|v| v.as_object_mut()) else { continue };
            match r.random_range(0..10u32) {
                0 => {
                    obj.remove(path.last().unwrap());
                }
                1 => {
                    obj.insert("unknown_field".into(), serde_json::json!(1));
                }
                _ => {
                    obj.insert(path.last().unwrap().clone(), replacements[r.random_range(0..replacements.len())].clone());
                }
            }
        }
        let mut text = serde_json::to_string(&doc).unwrap();
        if r.random::<f64>() < 0.1 {
            text = text.replacen('{', "{\"seed\": 1,", 1); // a duplicate key
        }
        let res = std::panic::catch_unwind(|| ExperimentSpec::from_json(&text)).unwrap_or_else(|_| panic!("case {case} panicked: {text}"));
        match res {
            Ok(spec) => {
                valid += 1;
                assert!(spec.validate().is_ok());
            }
            Err(e) => assert!(!e.message.is_empty() && !e.to_string().contains('\n'), "case {case}: {e}"),
        }
    }
    assert!(valid < 3000, "every mutated document was accepted");
    // A duplicate key is refused, not resolved silently.
    let dup = serde_json::to_string(&base).unwrap().replacen('{', "{\"seed\": 1,", 1);
    assert!(ExperimentSpec::from_json(&dup).is_err());
}

/// The CSV reader on random lines: numbers, headers, BOMs, comments, typos, separators, and
/// random bytes.
#[test]
fn fuzz_the_csv_reader() {
    let pieces = [
        "1,2",
        "0.5;0.25",
        "3\t4",
        "x,y",
        "# comment",
        "",
        "  ",
        "1,abc",
        "nan,1",
        "inf,2",
        "1e39,0",
        "1,2,3",
        "\u{feff}1,2",
        "-0,0",
        "1e-40,5",
        ",",
        "1,,2",
        "é,1",
        "1.5",
        "   7 , 8   ",
    ];
    let mut r = rng::stream(15, Stream::Data, 3);
    let (mut ok, mut err) = (0, 0);
    for case in 0..5000 {
        let text: String = if r.random::<f64>() < 0.1 {
            (0..r.random_range(0..200usize)).map(|_| char::from(r.random_range(0..128u8))).collect()
        } else {
            (0..r.random_range(0..12usize)).map(|_| pieces[r.random_range(0..pieces.len())]).collect::<Vec<_>>().join("\n")
        };
        let res = std::panic::catch_unwind(|| Points::from_csv(&text)).unwrap_or_else(|_| panic!("case {case} panicked: {text:?}"));
        match res {
            Ok(p) => {
                ok += 1;
                assert!(p.dim > 0 && !p.is_empty() && p.all_finite(), "case {case}: {text:?}");
            }
            Err(m) => {
                err += 1;
                assert!(!m.is_empty() && !m.contains('\n'), "case {case}: {m:?}");
            }
        }
    }
    assert!(ok > 200 && err > 200, "ok {ok}, errors {err}");
    // The rules themselves.
    assert_eq!(Points::from_csv("\u{feff}1,2\n3,4").unwrap().len(), 2);
    assert_eq!(Points::from_csv("a,b\n1,2").unwrap().len(), 1);
    assert!(Points::from_csv("1,abc\n1,2").unwrap_err().contains("line 1"));
}

#[test]
fn run_refuses_hopeless_radii_before_training() {
    let t = std::time::Instant::now();
    let (code, out, err) = lab(&["--n-samples", "200000", "--data-size", "200000", "--eps", "0.05,2", "--iters", "100000", "--quiet"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("metrics.eps") && err.contains("within 2 of 200000 points"), "{err}");
    assert!(out.is_empty() && t.elapsed().as_secs() < 20, "trained before refusing");
}

/// `lab` with `COLLAPSE_LAB_KILL_AT_WRITE=NAME:N`: killed at its N-th write of NAME, after the
/// temporary file is complete and before the rename.
fn lab_killed_at(write: &str, args: &[&str]) -> Option<i32> {
    let (code, _, _) = lab_env(&[("COLLAPSE_LAB_KILL_AT_WRITE", write)], args);
    (code != -1).then_some(code)
}

/// Issue 23, item 3: a kill at a write leaves the earlier file whole, for every file the lab
/// writes in place of an earlier one: a saved run rewritten over itself, a study's file, a
/// generations folder (killed during the second chain's write, the first chain is kept, and a
/// resume finishes with the numbers of an uninterrupted run).
#[test]
fn a_kill_at_any_write_leaves_the_earlier_file_whole() {
    let saved = tmp("killed.run.json");
    let f = saved.to_str().unwrap();
    let (code, _, err) = lab(&[&["run", "--save-run", f][..], SMALL].concat());
    assert_eq!(code, 0, "{err}");
    let before = std::fs::read(&saved).unwrap();
    let code = lab_killed_at("killed.run.json:1", &["run", "--load-run", f, "--save-run", f, "--quiet"]);
    assert_ne!(code, Some(0), "the hook must have killed it");
    assert_eq!(std::fs::read(&saved).unwrap(), before, "--load-run F --save-run F killed at the write: F unchanged");

    let study = tmp("killed.study.json");
    let s = study.to_str().unwrap();
    let args = [&["study", "--vary", "width=4,8", "--seeds", "1", "--jobs", "1", "--out", s][..], SMALL].concat();
    // Write 1 is the empty study made before any run, write 2 the first finished run (width 8,
    // run 1: the costlier run starts first, study::share::schedule), ...
    assert_ne!(lab_killed_at("killed.study.json:3", &args), Some(0));
    let kept: serde_json::Value = serde_json::from_slice(&std::fs::read(&study).unwrap()).expect("a whole study");
    assert_eq!(kept["missing"], serde_json::json!([0]), "{kept}");
    // The killed writer left its temporary file; the next command on this output removes it.
    let temporaries = || -> Vec<String> {
        std::fs::read_dir(study.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| f.starts_with(".killed.study.json.") && f.ends_with(".tmp"))
            .collect()
    };
    assert_eq!(temporaries().len(), 1, "the kill left no temporary file to clean: {:?}", temporaries());
    let (code, _, err) = lab(&args);
    assert!(code == 0 && err.contains("1 of 2 runs already done"), "{err}");
    assert!(temporaries().is_empty(), "a dead writer's temporary file is still there: {:?}", temporaries());
    // Resumed with more seeds, the file holds the new plan at once (its first write, before any
    // new run ends): the finished runs, and the new seeds' runs missing.
    let more = [&["study", "--vary", "width=4,8", "--seeds", "2", "--jobs", "1", "--out", s][..], SMALL].concat();
    assert_ne!(lab_killed_at("killed.study.json:2", &more), Some(0));
    let grown: serde_json::Value = serde_json::from_slice(&std::fs::read(&study).unwrap()).expect("a whole study");
    assert_eq!((grown["seeds"].clone(), grown["missing"].clone()), (serde_json::json!(2), serde_json::json!([1, 3])), "{grown}");

    let dir = tmp("killed-generations");
    let d = dir.to_str().unwrap();
    let gens = [
        "generations",
        "--dataset",
        "mog",
        "--depth",
        "2",
        "--width",
        "8",
        "--iters",
        "30",
        "--batch",
        "64",
        "--n-samples",
        "100",
        "--eps",
        "0.1",
        "--repeats",
        "1",
        "--steps",
        "sde=10",
        "--gen-size",
        "200",
        "--generations",
        "1",
        "--fresh",
        "0.5",
        "--sampler",
        "sde",
        "--seeds",
        "2",
        "--jobs",
        "1",
        "--quiet",
        "--out",
        d,
    ];
    assert_ne!(lab_killed_at("generations.json:2", &gens), Some(0));
    let kept: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("generations.json")).unwrap()).expect("whole");
    assert_eq!(kept["missing"], serde_json::json!([1]), "chain 1 kept, chain 2 missing: {}", kept["missing"]);
    let (code, resumed, err) = lab(&gens);
    assert!(code == 0 && err.contains("1 of 2 chains already done"), "{err}");
    // Resumed with a third seed, the file holds the new plan at its first write.
    let mut three = gens.to_vec();
    let at = three.iter().position(|a| *a == "--seeds").unwrap() + 1;
    three[at] = "3";
    let grown_dir = tmp("grown-generations");
    std::fs::create_dir_all(&grown_dir).unwrap();
    std::fs::copy(dir.join("generations.json"), grown_dir.join("generations.json")).unwrap();
    *three.last_mut().unwrap() = grown_dir.to_str().unwrap();
    assert_ne!(lab_killed_at("generations.json:2", &three), Some(0));
    let grown: serde_json::Value = serde_json::from_slice(&std::fs::read(grown_dir.join("generations.json")).unwrap()).expect("whole");
    assert_eq!((grown["seeds"].clone(), grown["missing"].clone()), (serde_json::json!(3), serde_json::json!([2])), "{grown}");
    let _ = std::fs::remove_dir_all(&grown_dir);
    let whole_dir = tmp("whole-generations");
    let mut whole = gens.to_vec();
    *whole.last_mut().unwrap() = whole_dir.to_str().unwrap();
    let (_, uninterrupted, _) = lab(&whole);
    let chi2 = |t: &str| -> Vec<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_str(t).unwrap();
        v["runs"].as_array().unwrap().iter().map(|r| r["generations"][1]["chi2"].clone()).collect()
    };
    assert_eq!(chi2(&resumed), chi2(&uninterrupted), "a resumed generations run gives the uninterrupted numbers");
    let _ = std::fs::remove_dir_all(&whole_dir);

    // Issue 23, item 10: the folder with other settings is refused, not overwritten.
    let mut other = gens.to_vec();
    let at = other.iter().position(|a| *a == "0.5").unwrap();
    other[at] = "0.9";
    let (code, _, err) = lab(&other);
    assert!(code == 2 && err.contains("finished chain(s) this run does not plan") && err.contains("--restart"), "{err}");
    let (code, _, err) = lab(&[&other[..], &["--restart"]].concat());
    assert_eq!(code, 0, "{err}");
    std::fs::write(dir.join("generations.json"), "{\"mine\": 1}").unwrap();
    let (code, _, err) = lab(&[&other[..], &["--restart"]].concat());
    assert!(code == 2 && err.contains("is not a generations result of this lab"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.join("generations.json")).unwrap(), "{\"mine\": 1}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 23, items 8, 13 and 14: ignored input is refused by name, messages say what is wrong,
/// and one exit-code convention holds (2: refused before any work; 1: failed during it).
#[test]
fn ignored_input_and_misleading_messages() {
    let saved = tmp("ignored.run.json");
    let f = saved.to_str().unwrap();
    let (code, _, err) = lab(&[&["run", "--save-run", f][..], SMALL].concat());
    assert_eq!(code, 0, "{err}");
    let csv = tmp("ignored.csv");
    std::fs::write(&csv, (0..200).map(|i| format!("{i},{}\n", i % 7)).collect::<String>()).unwrap();
    let c = csv.to_str().unwrap();
    let unwritable = "/proc/collapse-lab/out.json";
    for (args, want) in [
        (vec!["run", "--load-run", f, "--data-csv", c], "--data-csv: --load-run takes its spec from the saved run"),
        (vec!["run", "--load-run", f, "--load-run", f], "--load-run is given twice"),
        (vec!["run", "--load-run", f, "--engine", "gpu"], "--engine: a saved run's nets are sampled on the CPU engine"),
        (vec!["run", "--width", "8", "--width", "16"], "--width is given twice"),
        (vec!["run", "--load-run", "/dev/zero"], "--load-run /dev/zero: is a device, not a regular file"),
        (vec!["run", "--lr", "1e-309"], "got 1e-309 (outside single precision"),
        (vec!["study", "--vary", "width=4", "--out", unwritable], "--out /proc/collapse-lab/out.json: cannot write here"),
        (vec!["run", "--save-run", unwritable], "--save-run /proc/collapse-lab/out.json: cannot write here"),
        (vec!["study", "--collect", "/nonexistent-collapse-lab", "--out", f], "--out"),
    ] {
        let (code, out, err) = lab(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}");
        assert!(err.contains(want), "{args:?}: got {err:?}, want {want:?}");
    }
    // Item 13: an axis gives every run what the base lacks (a painted grid), so the base alone
    // is not refused for it.
    let (code, _, err) = lab(&[
        "study",
        "--dataset",
        "painted",
        "--vary",
        "painted=4:0110100101101001",
        "--seeds",
        "1",
        "--iters",
        "5",
        "--width",
        "4",
        "--n-samples",
        "100",
        "--samplers",
        "ode",
        "--quiet",
    ]);
    assert_eq!(code, 0, "{err}");
    // A saved run is never overwritten by --collect --out (item 2).
    assert!(std::fs::read_to_string(&saved).unwrap().contains("collapse-lab-run"));
}

/// Seeded fuzz of the saved-run reader (issue 23): a saved run cut short, with a value
/// replaced, a key removed or given twice, or a byte changed, opens as a valid run or is
/// refused with one message; never a panic, never a run whose spec does not check or whose
/// nets do not fit it.
#[test]
fn fuzz_the_saved_run_reader() {
    use collapse_lab::experiment::saved;
    let path = tmp("fuzz.run.json");
    let f = path.to_str().unwrap();
    let (code, _, err) = lab(&[&["run", "--save-run", f][..], SMALL].concat());
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(saved::open(&text).is_ok());
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    // Every path to a value, arrays by their first element only.
    fn walk(v: &serde_json::Value, at: Vec<String>, out: &mut Vec<Vec<String>>) {
        match v {
            serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| {
                let mut p = at.clone();
                p.push(k.clone());
                out.push(p.clone());
                walk(x, p, out)
            }),
            serde_json::Value::Array(a) if !a.is_empty() => {
                let mut p = at.clone();
                p.push("0".into());
                out.push(p.clone());
                walk(&a[0], p, out)
            }
            _ => {}
        }
    }
    let mut paths = Vec::new();
    walk(&doc, Vec::new(), &mut paths);
    let values = [
        serde_json::Value::Null,
        serde_json::json!("x"),
        serde_json::json!([]),
        serde_json::json!({}),
        serde_json::json!(-1),
        serde_json::json!(1e300),
        serde_json::json!(3),
    ];
    // A JSON pointer (RFC 6901) to a path.
    let pointer = |p: &[String]| p.iter().map(|k| format!("/{}", k.replace('~', "~0").replace('/', "~1"))).collect::<String>();
    let mut r = rng::stream(23, Stream::Data, 11);
    let (mut opened, mut refused) = (0, 0);
    for case in 0..400 {
        let mutated = match case % 5 {
            0 => text[..r.random_range(0..text.len())].to_string(),
            1 | 2 => {
                let mut d = doc.clone();
                let p = &paths[r.random_range(0..paths.len())];
                if let Some(slot) = d.pointer_mut(&pointer(p)) {
                    *slot = values[r.random_range(0..values.len())].clone();
                }
                serde_json::to_string(&d).unwrap()
            }
            3 => {
                let mut d = doc.clone();
                let p = &paths[r.random_range(0..paths.len())];
                if let Some(o) = d.pointer_mut(&pointer(&p[..p.len() - 1])).and_then(|v| v.as_object_mut()) {
                    o.remove(&p[p.len() - 1]);
                }
                // Or a key given twice: the first key again at the end of the document.
                let s = serde_json::to_string(&d).unwrap();
                if r.random_bool(0.5) { format!("{},\"format\":\"collapse-lab-run\"}}", &s[..s.len() - 1]) } else { s }
            }
            _ => {
                let mut b = text.clone().into_bytes();
                let i = r.random_range(0..b.len());
                b[i] = b" \"{}[],:0123456789.-eE"[r.random_range(0..22)];
                String::from_utf8(b).unwrap()
            }
        };
        match saved::open(&mutated) {
            Ok(o) => {
                opened += 1;
                assert!(o.spec.validate().is_ok(), "case {case}: opened a spec that does not check");
                assert!(!o.pretrained.params.is_empty(), "case {case}: opened without its nets");
            }
            Err(e) => {
                refused += 1;
                assert!(!e.is_empty() && !e.contains('\n'), "case {case}: {e}");
            }
        }
    }
    assert!(opened > 10 && refused > 100, "{opened} opened, {refused} refused: the fuzzer does not reach both sides");
}

/// Issue 41: a failed write is an error, a refused command changes nothing, one writer per file.
#[test]
fn a_failed_write_to_stdout_is_an_error_and_a_closed_pipe_is_not() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    let st = Command::new(common::bin()).arg("gallery").stdout(full).stderr(Stdio::piped()).output().unwrap();
    assert_eq!(st.status.code(), Some(1), "a full disk under stdout must not exit 0");
    assert!(String::from_utf8_lossy(&st.stderr).contains("error: writing to stdout"), "{}", String::from_utf8_lossy(&st.stderr));
    // A reader that reads nothing and has gone before the output starts: a quiet end.
    let mut child = Command::new(common::bin()).arg("gallery").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let st = child.wait_with_output().unwrap();
    assert_eq!(st.status.code(), Some(0), "{}", String::from_utf8_lossy(&st.stderr));
}

#[test]
fn a_refused_study_writes_nothing_and_restart_empties_only_after_every_check() {
    let f = tmp("refused-restart.json");
    let fs_ = f.to_str().unwrap();
    let b = ["--dataset", "mog", "--width", "16", "--iters", "200", "--batch", "200", "--n-samples", "300", "--quiet"];
    let mut args = vec!["study"];
    args.extend_from_slice(&b);
    args.extend_from_slice(&["--vary", "nfe=10,20", "--seeds", "1", "--out", fs_]);
    let (code, _, err) = lab(&args);
    assert_eq!(code, 0, "{err}");
    let before = std::fs::read_to_string(&f).unwrap();
    let mut again = args.clone();
    again.extend_from_slice(&["--restart", "--reuse", "/nonexistent/missing.json"]);
    let (code, _, err) = lab(&again);
    assert_eq!(code, 2, "{err}");
    assert_eq!(std::fs::read_to_string(&f).unwrap(), before, "a refused --restart emptied the study");
    // A refused new study creates no file.
    let g = tmp("refused-new.json");
    let mut new = args.clone();
    let i = new.iter().position(|a| *a == fs_).unwrap();
    new[i] = g.to_str().unwrap();
    new.extend_from_slice(&["--reuse", "/nonexistent/missing.json"]);
    assert_eq!(lab(&new).0, 2);
    assert!(!g.exists(), "a refused study left a file");
}

#[test]
fn two_studies_on_one_out_file_the_second_is_refused_and_a_stale_lock_is_taken_over() {
    let f = tmp("locked.json");
    let fs_ = f.to_str().unwrap();
    let study = |iters: &str| -> Vec<String> {
        [
            "study",
            "--dataset",
            "mog",
            "--width",
            "64",
            "--iters",
            iters,
            "--batch",
            "500",
            "--n-samples",
            "300",
            "--quiet",
            "--vary",
            "nfe=10,20",
            "--seeds",
            "1",
            "--out",
            fs_,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let mut first = Command::new(common::bin()).args(study("40000")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let lock = f.with_file_name(".locked.json.collapse-lab-lock");
    let t = std::time::Instant::now();
    while !lock.exists() && t.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(lock.exists(), "the first study holds no lock");
    let args: Vec<String> = study("200");
    let (code, _, err) = lab(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("pid {}", first.id())) && err.contains("is writing it"), "{err}");
    first.kill().unwrap();
    first.wait().unwrap();
    // Killed, it could not remove its lock: the next study takes it over, and removes it at the end.
    assert!(lock.exists());
    let (code, _, err) = lab(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("left by a process that is gone"), "{err}");
    assert!(!lock.exists(), "the lock outlived its study");
}

/// EDM's preconditioning divides by s_d: data with no spread, or a vanishing --sigma-data, is
/// refused naming the field, not trained into "training diverged" (issue 41 #7).
#[test]
fn edm_on_data_with_no_spread_is_refused_naming_sigma_data() {
    let csv = tmp("no-spread.csv");
    std::fs::write(&csv, std::iter::once("x,y\n".to_string()).chain((0..200).map(|_| "0.5,0.25\n".to_string())).collect::<String>()).unwrap();
    let edm = [
        "--process",
        "ve",
        "--target",
        "x0",
        "--t-dist",
        "lognormal",
        "--precond",
        "edm",
        "--iters",
        "20",
        "--width",
        "8",
        "--n-samples",
        "100",
        "--samplers",
        "heun",
        "--quiet",
    ];
    let mut args = vec!["run", "--data-csv", csv.to_str().unwrap()];
    args.extend_from_slice(&edm);
    let (code, out, err) = lab(&args);
    assert_ne!(code, 0);
    assert!(err.contains("model.sigma_data") && err.contains("no spread") && err.contains("--sigma-data") && !err.contains("diverged"), "{err}");
    assert!(out.is_empty(), "a refused run printed a result");
    let mut args = vec!["run", "--dataset", "mog", "--sigma-data", "1e-300"];
    args.extend_from_slice(&edm);
    let (code, _, err) = lab(&args);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--sigma-data") && err.contains("got 1e-300"), "{err}");
}

/// A value given twice is refused, not kept once or silently overwritten (issue 41 #11).
#[test]
fn a_value_given_twice_is_refused() {
    for (flag, value, want) in [("--k-grid", "10,2,2", "k = 2 is given twice"), ("--steps", "heun=10,heun=20", "heun is given twice")] {
        let mut args = vec!["run", flag, value];
        args.extend_from_slice(SMALL);
        let (code, _, err) = lab(&args);
        assert_eq!(code, 2, "{flag} {value}: {err}");
        assert!(err.contains(want), "{flag} {value}: {err}");
    }
}

/// A switch of the command line is given bare, or =true / =false meaning what they say; any
/// other value is refused by name, exit 2 (issue 55: `--quiet=maybe`, `--print-spec=maybe`,
/// `verdicts --json=maybe`, `gallery --shipped=maybe` were taken as on).
#[test]
fn a_switch_takes_true_or_false_and_nothing_else() {
    for args in [
        &["run", "--quiet=maybe", "--print-spec"][..],
        &["run", "--print-spec=maybe"],
        &["run", "--print-spec=1"],
        &["verdicts", "--json=maybe"],
        &["gallery", "--shipped=maybe"],
        &["gallery", "--shipped="],
        &["study", "--vary", "nfe=10,20", "--print-plan=yes"],
        &["study", "--vary", "nfe=10,20", "--restart=maybe", "--out", "x.json"],
        &["generations", "--print-plan=maybe"],
        &["torch-script", "--quiet=no"],
    ] {
        let (code, out, err) = lab(args);
        let bad = args.iter().find(|a| a.contains('=') && a.starts_with("--") && !a.ends_with("=10,20")).unwrap();
        let name = bad.split('=').next().unwrap();
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(&format!("{bad}: {name} is a switch: give it bare, or {name}=true / {name}=false")), "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?} printed");
    }
    // =true and =false mean what they say.
    let (code, out, err) = lab(&[&["run", "--print-spec=false", "--quiet=true"][..], &SMALL[..SMALL.len() - 1]].concat());
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v.get("spec").is_some() && v.get("tid").is_some(), "--print-spec=false runs: {out}");
    assert!(!err.contains("iter "), "--quiet=true is quiet: {err}");
    let (code, out, _) = lab(&["run", "--print-spec=true", "--quiet=false"]);
    assert!(code == 0 && out.contains("\"model\""), "{out}");
    let (code, out, _) = lab(&["gallery", "--shipped=false"]);
    assert!(code == 0 && out.contains("collapse-lab "), "--shipped=false prints the gallery: {out}");
    let (code, out, _) = lab(&["gallery", "--shipped=true"]);
    assert!(code == 0 && !out.contains("collapse-lab ") && !out.trim().is_empty(), "--shipped=true prints the shipped ids: {out}");
}

/// A value given twice in a list that is measured value by value is refused by name, exit 2,
/// as the k grid's, the samplers' and a study's axes' are (issue 55): the radii (`--eps`, a spec
/// file's `eps`, `tid --eps`, an `eps` value of `--vary`), the recording times and the
/// diagnostics' times.
#[test]
fn a_radius_or_time_given_twice_is_refused_by_name() {
    for (args, want) in [
        (&["run", "--eps", "0.1,0.2,0.1"][..], "metrics.eps (--eps): radius 0.1 is given twice"),
        (&["run", "--eps", "0.1,0.10"], "metrics.eps (--eps): radius 0.1 is given twice"),
        (&["run", "--record-times", "1,0.5,1"], "record.times (--record-times): time 1 is given twice"),
        (&["run", "--diagnostics", "--diag-times", "0.5,0.5"], "diagnostics.times (--diag-times): time 0.5 is given twice"),
        (&["study", "--vary", "eps=0.1,0.1;0.2", "--seeds", "1"], "radius 0.1 is given twice"),
        (&["generations", "--eps", "0.2,0.2"], "radius 0.2 is given twice"),
    ] {
        let mut all = args.to_vec();
        all.extend_from_slice(SMALL);
        let (code, out, err) = lab(&all);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want) && out.is_empty(), "{args:?}: {err}");
    }
    let (code, spec, _) = lab(&["run", "--print-spec"]);
    assert_eq!(code, 0);
    let mut spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    spec["metrics"]["eps"] = serde_json::json!([0.05, 0.1, 0.05]);
    let file = tmp("twice-eps.json");
    std::fs::write(&file, spec.to_string()).unwrap();
    let (code, _, err) = lab(&["run", "--spec", file.to_str().unwrap(), "--quiet"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("metrics.eps (--eps): radius 0.05 is given twice"), "{err}");
    let csv = tmp("twice.csv");
    std::fs::write(&csv, "0,0\n1,1\n0.5,0.5\n").unwrap();
    let c = csv.to_str().unwrap();
    let (code, out, err) = lab(&["tid", "--train", c, "--samples", c, "--eps", "0.8,0.8"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--eps: radius 0.8 is given twice") && out.is_empty(), "{err}");
}

/// Nothing done is exit 2, with a message that says why (issue 41 #12): a generations spec given
/// to `run` or `study`, an output file in a folder that takes no new file.
#[test]
fn a_refusal_before_any_work_is_exit_2_with_its_reason() {
    let (code, spec, err) = lab(&["run", "--dataset", "mog", "--n-samples", "500", "--print-spec"]);
    assert_eq!(code, 0, "{err}");
    let mut spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    spec["recursion"] = serde_json::json!({"fresh": 0.5, "sampler": "sde", "generations": 1, "gen_size": 1000});
    let file = tmp("generations-spec.json");
    std::fs::write(&file, spec.to_string()).unwrap();
    for verb in [&["run"][..], &["study", "--vary", "nfe=10,20", "--seeds", "1"][..]] {
        let mut args = verb.to_vec();
        args.extend(["--spec", file.to_str().unwrap(), "--quiet"]);
        let (code, out, err) = lab(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("recursion") && err.contains("collapse-lab generations") && out.is_empty(), "{args:?}: {err}");
    }
    let mut args = vec!["study", "--vary", "nfe=10,20", "--out", "/proc/version"];
    args.extend_from_slice(SMALL);
    let (code, _, err) = lab(&args);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("its folder /proc takes no new file") && !err.starts_with("error: --out /proc/version: cannot write in its folder /proc: No such file"),
        "{err}"
    );
}

/// A run taken from another study with --reuse names that study in its note of shared training,
/// not "run 0 of this study", which here is another run (issue 41 #14).
#[test]
fn a_reused_runs_shared_training_note_names_the_file_it_came_from() {
    let a = tmp("reuse-a.json");
    let mut args = vec!["study", "--vary", "nfe=10,20", "--seeds", "1", "--dataset", "mog", "--out", a.to_str().unwrap()];
    args.extend_from_slice(SMALL);
    let (code, _, err) = lab(&args);
    assert_eq!(code, 0, "{err}");
    let mut args = vec!["study", "--vary", "nfe=20,30", "--seeds", "1", "--dataset", "mog", "--reuse", a.to_str().unwrap()];
    args.extend_from_slice(SMALL);
    let (code, out, err) = lab(&args);
    assert_eq!(code, 0, "{err}");
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    let notes = |i: usize| s["runs"].as_array().unwrap().iter().find(|r| r["index"] == i).unwrap()["result"]["notes"].to_string();
    let taken = notes(0);
    assert!(taken.contains(&format!("training shared with run 0 of {} (this run was reused from it)", a.display())), "{taken}");
    assert!(!notes(1).contains("reused"), "{}", notes(1));
}

/// `generations` and `torch-script` refuse what they would not do, by name, instead of ignoring
/// it (issue 41 #9): checkpoints along training, and in a generations run the k x e grid (the
/// script measures that grid: tests/torch_script.rs).
#[test]
fn generations_and_the_torch_script_refuse_checkpoints_and_the_k_grid() {
    let generations = &["generations", "--generations", "1", "--gen-size", "1000", "--fresh", "0.5"][..];
    for (verb, flag, value, field) in [
        (generations, "--checkpoints", "10", "training.checkpoints"),
        (generations, "--k-grid", "10,100", "metrics.k_grid"),
        (&["torch-script"][..], "--checkpoints", "10", "training.checkpoints"),
    ] {
        {
            let mut args = verb.to_vec();
            args.extend([flag, value]);
            args.extend_from_slice(SMALL);
            let (code, out, err) = lab(&args);
            assert_eq!(code, 2, "{args:?}: {err}");
            assert!(err.contains(field) && err.contains(flag) && out.is_empty(), "{args:?}: {err}");
        }
    }
}

/// Smaller refusals of issue 41 #15: an empty churn range, --restart with nothing to restart,
/// and the boolean message listing every form a boolean takes.
#[test]
fn an_empty_churn_range_and_a_restart_without_out_are_refused() {
    let mut args = vec!["run", "--s-tmin", "10", "--s-tmax", "1", "--samplers", "edm-sde", "--process", "ve", "--target", "x0"];
    args.extend_from_slice(&SMALL[..6]);
    let (code, _, err) = lab(&args);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("sampling.churn.s_tmin") && err.contains("must not exceed s_tmax"), "{err}");
    for verb in [&["study", "--vary", "nfe=10,20"][..], &["generations", "--generations", "1", "--gen-size", "1000"][..]] {
        let mut args = verb.to_vec();
        args.push("--restart");
        args.extend_from_slice(SMALL);
        let (code, out, err) = lab(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("--restart") && err.contains("without --out") && out.is_empty(), "{args:?}: {err}");
    }
    let (code, _, err) = lab(&["run", "--diagnostics=maybe"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected true or false (or 1/0, yes/no)"), "{err}");
}

/// `collapse-lab ARGS`, which must end within `secs` seconds (a FIFO opened to write blocks
/// forever): killed and failed otherwise.
fn lab_within(secs: u64, args: &[&str]) -> (i32, String, String) {
    let mut child = Command::new(common::bin()).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let t = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t.elapsed().as_secs() >= secs {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("collapse-lab {args:?} did not end within {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// What is at `path`, not following a last symbolic link: "file", "folder", "char device",
/// "fifo", "socket", "symlink", "none".
fn file_kind(path: &std::path::Path) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let Ok(m) = std::fs::symlink_metadata(path) else { return "none" };
    let t = m.file_type();
    match () {
        _ if t.is_symlink() => "symlink",
        _ if t.is_file() => "file",
        _ if t.is_dir() => "folder",
        _ if t.is_char_device() => "char device",
        _ if t.is_fifo() => "fifo",
        _ if t.is_socket() => "socket",
        _ => "other",
    }
}

/// In `dir`: a character device node like /dev/null (mknod needs root: skipped, said, where it
/// fails), a FIFO, a socket and a symbolic link loop, each as (kind, path, what a refusal says).
fn special_files(dir: &std::path::Path) -> Vec<(&'static str, std::path::PathBuf, &'static str)> {
    let mut out = Vec::new();
    let node = dir.join("null-node");
    let _ = std::fs::remove_file(&node);
    match Command::new("mknod").arg(&node).args(["c", "1", "3"]).output() {
        Ok(o) if o.status.success() => out.push(("char device", node, "is a character device, not a regular file")),
        other => eprintln!("SKIPPED the device-node case: mknod failed (it needs root): {other:?}"),
    }
    let fifo = dir.join("fifo");
    let _ = std::fs::remove_file(&fifo);
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success(), "mkfifo failed");
    out.push(("fifo", fifo, "is a FIFO (named pipe), not a regular file"));
    let socket = dir.join("socket");
    let _ = std::fs::remove_file(&socket);
    // The listener is dropped at once; its socket file stays.
    std::os::unix::net::UnixListener::bind(&socket).unwrap();
    out.push(("socket", socket, "is a socket, not a regular file"));
    let lp = dir.join("loop");
    let _ = std::fs::remove_file(&lp);
    std::os::unix::fs::symlink("loop", &lp).unwrap();
    out.push(("symlink", lp, "is a symbolic link loop"));
    out
}

/// An output that is a device node, a FIFO, a socket or a symbolic link loop is refused by
/// name before any work, exit 2, and left as it was, for every flag that names an output file
/// or folder (issue 55 #1): `mknod n c 1 3; run --save-run n` replaced the node with a regular
/// file, and a FIFO blocked forever in the check before the run. So is one file named by
/// `--save-run` and `--save-figures`, and a folder's file that is not a regular file; a lock
/// whose process id now belongs to another program is taken over.
#[test]
fn an_output_that_is_not_a_regular_file_is_refused_by_name_and_left_as_it_was() {
    let dir = tmp("special-outputs");
    std::fs::create_dir_all(&dir).unwrap();
    let specials = special_files(&dir);
    let outputs: Vec<(Vec<&str>, &str)> = vec![
        (vec!["run"], "--save-run"),
        (vec!["run"], "--save-figures"),
        (vec!["run"], "--samples-out"),
        (vec!["run"], "--record-out"),
        (vec!["study", "--vary", "nfe=10,20", "--seeds", "1"], "--out"),
        (vec!["study", "--vary", "nfe=10,20", "--seeds", "1"], "--slurm"),
        (vec!["torch-script"], "--out"),
        (vec!["generations", "--generations", "1", "--gen-size", "1000", "--fresh", "0.5"], "--out"),
    ];
    for (verb, flag) in &outputs {
        for (kind, path, says) in &specials {
            let p = path.to_str().unwrap();
            let mut args = verb.clone();
            args.extend([*flag, p]);
            args.extend_from_slice(SMALL);
            let t = std::time::Instant::now();
            let (code, out, err) = lab_within(30, &args);
            assert_eq!(code, 2, "{args:?}: {err}");
            assert!(err.contains(&format!("{flag} {p}: {says}")), "{args:?}: {err}");
            assert!(out.is_empty() && t.elapsed().as_secs() < 20, "{args:?} worked first");
            assert_eq!(file_kind(path), *kind, "{args:?} replaced {p}");
            assert!(!err.contains("os error 17"), "{args:?}: {err}");
        }
    }
    // Inside an output folder: a FIFO where a file is written (and read, to resume) is refused.
    let folder = dir.join("with-fifo");
    std::fs::create_dir_all(&folder).unwrap();
    let inner = folder.join("generations.json");
    let _ = std::fs::remove_file(&inner);
    assert!(Command::new("mkfifo").arg(&inner).status().unwrap().success());
    for extra in [&[][..], &["--print-plan"][..]] {
        let mut args = vec!["generations", "--generations", "1", "--gen-size", "1000", "--fresh", "0.5", "--out", folder.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.extend_from_slice(SMALL);
        let (code, _, err) = lab_within(30, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(&format!("--out {}: is a FIFO", inner.display())), "{args:?}: {err}");
    }
    let samples = dir.join("samples");
    std::fs::create_dir_all(&samples).unwrap();
    let _ = std::fs::remove_file(samples.join("ode.csv"));
    assert!(Command::new("mkfifo").arg(samples.join("ode.csv")).status().unwrap().success());
    let mut args = vec!["run", "--samples-out", samples.to_str().unwrap()];
    args.extend_from_slice(SMALL);
    let (code, out, err) = lab_within(30, &args);
    assert!(code == 2 && out.is_empty() && err.contains("ode.csv: is a FIFO"), "{err}");
    assert_eq!(file_kind(&samples.join("ode.csv")), "fifo");
    // One file named twice: refused by name (not "another collapse-lab (pid = its own)").
    let twice = dir.join("twice.json");
    let _ = std::fs::remove_file(&twice);
    let dotted = format!("{}/./twice.json", dir.display());
    let mut args = vec!["run", "--save-run", twice.to_str().unwrap(), "--save-figures", dotted.as_str()];
    args.extend_from_slice(SMALL);
    let (code, out, err) = lab(&args);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--save-figures") && err.contains("is the --save-run file too") && !err.contains("another collapse-lab"), "{err}");
    assert!(out.is_empty() && !twice.exists());
    // A stale lock whose process id is now another program's (a `sleep`): taken over, said.
    let saved = dir.join("stale.json");
    let mut other = Command::new("sleep").arg("60").spawn().unwrap();
    let lock = dir.join(".stale.json.collapse-lab-lock");
    std::fs::write(&lock, other.id().to_string()).unwrap();
    let mut args = vec!["run", "--save-run", saved.to_str().unwrap()];
    args.extend_from_slice(SMALL);
    let (code, _, err) = lab_within(120, &args);
    other.kill().unwrap();
    other.wait().unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&format!("pid {} is now \"sleep\"", other.id())) && err.contains("taking it over"), "{err}");
    assert!(saved.exists() && !lock.exists());
}

/// Output paths fuzzed (issues 41, 55): every command that writes a file or folder, pointed at an
/// existing output while refused for a bad setting, at a folder that takes no file (/proc), at
/// a path under a regular file, at a folder where a file is wanted, at what is not a regular
/// file (a device node, a FIFO, a socket, a symbolic link loop: refused by name, left as it
/// was), or writing its stdout to /dev/full. Whatever the case, an existing output is byte for
/// byte what it was, a refusal
/// is exit 2 and a failed write exit 1, and no temporary or lock file is left beside it.
#[test]
fn fuzz_output_paths_no_refused_or_failed_command_changes_an_existing_file() {
    use rand::{RngExt, SeedableRng};
    let dir = tmp("fuzz-out");
    std::fs::create_dir_all(&dir).unwrap();
    let existing = dir.join("kept.json");
    let folder = dir.join("kept-folder");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("generations.json"), "{\"kept\": true}").unwrap();
    let plain_file = dir.join("plain");
    std::fs::write(&plain_file, "x").unwrap();
    let under_file = format!("{}/out.json", plain_file.display());
    let e = existing.to_str().unwrap().to_string();
    let f = folder.to_str().unwrap().to_string();
    // Outputs that are not regular files (issue 55 #1): each refused by name, never replaced.
    let specials = special_files(&dir);
    // (command and its output flag, whether the output is a folder)
    let commands: Vec<(Vec<&str>, &str, bool)> = vec![
        (vec!["run"], "--save-run", false),
        (vec!["run"], "--save-figures", false),
        (vec!["study", "--vary", "nfe=10,20", "--seeds", "1"], "--out", false),
        (vec!["torch-script"], "--out", false),
        (vec!["generations", "--generations", "1", "--gen-size", "1000", "--fresh", "0.5"], "--out", true),
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(41);
    for round in 0..60 {
        std::fs::write(&existing, "{\"kept\": true}").unwrap();
        let (verb, flag, is_folder) = &commands[rng.random_range(0..commands.len())];
        // The output: the existing one with a bad setting, or a path that cannot be written, or
        // one that is not a regular file (a device node, a FIFO, a socket, a symbolic link loop).
        let case = rng.random_range(0..5);
        let special = &specials[rng.random_range(0..specials.len())];
        let target = match case {
            4 => special.1.to_str().unwrap().to_string(),
            0 => {
                if *is_folder {
                    f.clone()
                } else {
                    e.clone()
                }
            }
            1 => "/proc/collapse-lab-fuzz/out.json".to_string(),
            2 => under_file.clone(),
            _ => {
                if *is_folder {
                    e.clone()
                } else {
                    f.clone()
                }
            }
        };
        let mut args: Vec<&str> = verb.clone();
        args.extend([*flag, target.as_str()]);
        args.extend_from_slice(SMALL);
        if case == 0 {
            // Refused for a setting after the output was named.
            args.extend(["--width", "0"]);
        }
        let (code, out, err) = lab_within(30, &args);
        assert_eq!(code, 2, "round {round}: {args:?}: {err}");
        assert!(out.is_empty(), "round {round}: {args:?} printed a result");
        if case == 4 {
            assert!(err.contains(&format!("{flag} {target}: {}", special.2)), "round {round}: {args:?}: {err}");
        }
        for (kind, path, _) in &specials {
            assert_eq!(file_kind(path), *kind, "round {round}: {args:?} replaced {}", path.display());
        }
        assert_eq!(std::fs::read_to_string(&existing).unwrap(), "{\"kept\": true}", "round {round}: {args:?} changed {e}");
        assert_eq!(std::fs::read_to_string(folder.join("generations.json")).unwrap(), "{\"kept\": true}", "round {round}: {args:?} changed {f}");
        let left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .chain(std::fs::read_dir(&folder).unwrap())
            .map(|x| x.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp") || n.contains("collapse-lab-lock") || n.contains("write-check"))
            .collect();
        assert!(left.is_empty(), "round {round}: {args:?} left {left:?}");
    }
    // A full stdout: exit 1, with the error said, and the existing output untouched.
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let mut args = vec!["run", "--save-run", e.as_str()];
    args.extend_from_slice(SMALL);
    let st = std::process::Command::new(common::bin()).args(&args).stdout(full).stderr(Stdio::piped()).output().unwrap();
    assert_eq!(st.status.code(), Some(1), "{}", String::from_utf8_lossy(&st.stderr));
    assert!(String::from_utf8_lossy(&st.stderr).contains("writing to stdout"));
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "{\"kept\": true}", "a failed stdout changed {e}");
}

/// A spec file saved with a UTF-8 byte-order mark reads as without one (the CSV reader skips it
/// too), and `tid --k 1` is refused by name as `run --k 1` is (issue 55).
#[test]
fn a_spec_file_with_a_bom_reads_and_tid_k_below_2_is_refused() {
    let spec = tmp("bom-spec.json");
    std::fs::write(&spec, "\u{feff}{\"seed\": 3}").unwrap();
    let (code, out, err) = lab(&["run", "--spec", spec.to_str().unwrap(), "--print-spec"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"seed\": 3"), "{out}");
    let csv = tmp("k-points.csv");
    std::fs::write(&csv, "0,0\n1,1\n0.5,0.5\n").unwrap();
    let (code, _, err) = lab(&["tid", "--train", csv.to_str().unwrap(), "--samples", csv.to_str().unwrap(), "--k", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--k") && err.contains("at least 2"), "{err}");
}

/// A start time outside the process's range is refused by name (issue 52 #5's start-time cells):
/// past the linear path's end (0.999), at or below t_eps, not a number.
#[test]
fn a_start_time_outside_the_process_is_refused() {
    for (process, t) in [("linear", "0.9995"), ("vp", "1.5"), ("vp", "0.001"), ("vp", "0"), ("linear", "nan")] {
        let mut args = vec!["run", "--process", process, "--t-start", t];
        args.extend_from_slice(&SMALL[..6]);
        let (code, out, err) = lab(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("t_start") && out.is_empty(), "{args:?}: {err}");
    }
    let mut args = vec!["run", "--process", "linear", "--t-start", "0.99", "--print-spec"];
    args.extend_from_slice(&SMALL[..6]);
    let (code, out, err) = lab(&args);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"t_start\": 0.99"), "{out}");
}
