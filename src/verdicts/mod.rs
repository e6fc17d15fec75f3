//! What reproduces: one verdict per claim of the papers (the paper, its workshop version, the
//! recursive-training paper), per open question of the paper's review and per question of the
//! lab's own, computed from the files the page ships (`www/runs/ID.json`). No verdict is
//! written by hand.
//!
//! A row states the claim in the paper's words with its place and the paper's setting beside
//! the lab's ([`claims`]), and tests it by paired comparisons ([`evidence::compare`]): where two
//! figures share a seed (one net sampled by two samplers from one draw of noise, or two cells
//! of one study run with the same seed), the difference is taken seed by seed and its mean
//! gets a 95 % t interval over the seeds. Only runs that pass the row's gates count
//! ([`evidence`]); a run that fails one is listed under the row as excluded, with the reason.
//!
//! The verdict of a row, from its tests (each a place the claim speaks of: a data set, a width,
//! a budget): every test's interval above zero → *reproduced*; some → *partly*; none above and
//! some clearly below → *not reproduced*; none decided (intervals across zero, one seed, or
//! every run excluded by a gate) → *inconclusive*, with what would settle it; no file by
//! design or not computed yet → *not tested*, saying which.
//!
//! The rules live in [`rules`] (the paper's claims) and [`more`] (the workshop version's, the
//! recursive paper's, the review's and the lab's); the CLI's text in [`report`].

pub mod claims;
pub mod evidence;
mod more;
pub mod report;
mod rules;

use crate::stats::Reading;
use evidence::{Excluded, Test};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub use report::text;

/// A verdict on one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Reproduced,
    Partly,
    NotReproduced,
    Inconclusive,
    NotTested,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [Outcome::Reproduced, Outcome::Partly, Outcome::NotReproduced, Outcome::Inconclusive, Outcome::NotTested];

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Reproduced => "reproduced",
            Outcome::Partly => "partly",
            Outcome::NotReproduced => "not reproduced",
            Outcome::Inconclusive => "inconclusive",
            Outcome::NotTested => "not tested",
        }
    }

    /// The verdict of a row's paired tests (see the module's doc); `None` where it has none.
    pub fn of_tests(tests: &[Test]) -> Option<Outcome> {
        if tests.is_empty() {
            return None;
        }
        let above = tests.iter().filter(|t| t.reading == Reading::Above).count();
        let below = tests.iter().filter(|t| t.reading == Reading::Below).count();
        Some(match (above, below) {
            (a, _) if a == tests.len() => Outcome::Reproduced,
            (a, _) if a > 0 => Outcome::Partly,
            (_, b) if b > 0 => Outcome::NotReproduced,
            _ => Outcome::Inconclusive,
        })
    }
}

/// Whose claim a row tests; each group is counted on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    /// The paper, "Collapse errors in deterministic diffusion samplers".
    Paper,
    /// Its workshop version.
    Workshop,
    /// The recursive-training paper.
    Recursive,
    /// The open questions of the paper's review.
    Review,
    /// The lab's own questions.
    Lab,
}

impl Group {
    pub const ALL: [Group; 5] = [Group::Paper, Group::Workshop, Group::Recursive, Group::Review, Group::Lab];

    pub fn label(self) -> &'static str {
        match self {
            Group::Paper => "The paper's claims",
            Group::Workshop => "The workshop version's claims",
            Group::Recursive => "The recursive-training paper's claims",
            Group::Review => "The review's open questions",
            Group::Lab => "The lab's own questions",
        }
    }
}

/// The runs of one file that a row's tests counted, with where the file comes from.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub file: String,
    /// The file's entry in `www/runs/provenance.json` (command, commit, machine, date, wall time).
    pub provenance: Option<Value>,
    /// "seed 0 (dataset = spiral)", one per run counted.
    pub runs: Vec<String>,
}

/// One row of "What reproduces".
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub id: &'static str,
    pub group: Group,
    pub title: &'static str,
    /// Where the paper says it ("§5.3, Fig. 5").
    pub place: &'static str,
    /// The sentence tested, in the paper's words.
    pub quote: &'static str,
    /// The paper's setting for it.
    pub paper_setting: &'static str,
    /// The lab's setting: the runs' data, net, training and samplers, and seeds.
    pub lab_setting: String,
    /// The claim as the lab tests it, in a sentence.
    pub claim: &'static str,
    pub outcome: Outcome,
    /// How the numbers are compared ("paired by seed: ...").
    pub statistic: String,
    /// The paired comparisons, one per place.
    pub tests: Vec<Test>,
    /// The numbers behind the verdict, one sentence each (the tests' first).
    pub numbers: Vec<String>,
    /// The gates a run passes before it counts.
    pub gates: Vec<&'static str>,
    /// The runs left out, and why.
    pub excluded: Vec<Excluded>,
    /// For an inconclusive or untested row: what would settle it.
    pub settle: Option<String>,
    /// How the verdict is computed, in words.
    pub rule: &'static str,
    /// The gallery entries that show the figure (preset ids; the first is the main one).
    pub links: &'static [&'static str],
    pub evidence: Vec<Evidence>,
}

/// Where the shipped files come from: `file(id)` is the parsed `www/runs/ID.json`, `None`
/// where it is not shipped (yet).
pub trait Files {
    fn file(&self, id: &str) -> Option<Value>;
}

impl<F: Fn(&str) -> Option<Value>> Files for F {
    fn file(&self, id: &str) -> Option<Value> {
        self(id)
    }
}

/// The files of a folder (`www/runs`), read when a rule asks for one.
pub struct Folder(pub std::path::PathBuf);

impl Files for Folder {
    fn file(&self, id: &str) -> Option<Value> {
        let text = std::fs::read_to_string(self.0.join(format!("{id}.json"))).ok()?;
        serde_json::from_str(&text).ok()
    }
}

impl Folder {
    /// The files a row reads that are present but cannot be read as JSON (a damaged copy),
    /// and the shipped ids with no file: a damaged or missing file is an error, not a claim
    /// "not tested".
    pub fn problems(&self, ids: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        for id in ids {
            let path = self.0.join(format!("{id}.json"));
            match std::fs::read_to_string(&path) {
                Err(e) => out.push(format!("{}: {e}", path.display())),
                Ok(text) => {
                    if let Err(e) = serde_json::from_str::<Value>(&text) {
                        out.push(format!("{}: not readable as JSON ({e})", path.display()));
                    }
                }
            }
        }
        out
    }
}

/// The files the rules read, parsed once.
pub struct Loaded {
    files: BTreeMap<String, Value>,
    /// The saved runs' figures files (`ID.figures.json`) a rule reads (Fig. 5's density record).
    figures: BTreeMap<String, Value>,
    provenance: Option<Value>,
    pub floors: evidence::Floors,
}

impl Loaded {
    pub fn new(files: &dyn Files) -> Loaded {
        let mut map = BTreeMap::new();
        for id in crate::spec::presets::SHIPPED {
            if let Some(v) = files.file(id) {
                map.insert(id.to_string(), v);
            }
        }
        let mut figures = BTreeMap::new();
        for id in FIGURES {
            if let Some(v) = files.file(&format!("{id}.figures")) {
                figures.insert(id.to_string(), v);
            }
        }
        let mut l = Loaded { files: map, figures, provenance: files.file("provenance"), floors: evidence::Floors::default() };
        let mut floors = evidence::Floors::default();
        for (id, v) in &l.files {
            floors.add(&evidence::runs_of(id, v));
        }
        l.floors = floors;
        l
    }

    /// No files (the rules that compute rather than read).
    pub fn empty() -> Loaded {
        Loaded { files: BTreeMap::new(), figures: BTreeMap::new(), provenance: None, floors: evidence::Floors::default() }
    }

    /// A saved run's figures file (`ID.figures.json`), where shipped and read by a rule.
    pub fn figures(&self, id: &str) -> Option<&Value> {
        self.figures.get(id)
    }

    pub fn get(&self, id: &str) -> Option<&Value> {
        self.files.get(id)
    }

    /// The runs of a study or saved run (none where the file is not shipped).
    pub fn runs(&self, id: &str) -> Vec<evidence::Run<'_>> {
        self.files.get_key_value(id).map(|(k, v)| evidence::runs_of(k, v)).unwrap_or_default()
    }

    /// How far a study is, where the file is partial: "4 of 9 runs done".
    pub fn progress(&self, id: &str) -> Option<String> {
        let v = self.files.get(id)?;
        let planned = v.get("cells")?.as_array()?.len() * v.get("seeds")?.as_u64()? as usize;
        let missing = v.get("missing")?.as_array()?.len();
        (missing > 0).then(|| format!("{} of {planned} runs done", planned - missing))
    }

    fn provenance_of(&self, id: &str) -> Option<Value> {
        self.provenance.as_ref()?.get(id).cloned()
    }
}

/// The figures files the rules read.
const FIGURES: &[&str] = &["fig5-density"];

/// Every verdict, by group, in the gallery's reading order within each.
pub fn verdicts(files: &dyn Files) -> Vec<Verdict> {
    let l = Loaded::new(files);
    let mut out = rules::paper(&l);
    out.extend(more::workshop(&l));
    out.extend(more::recursive(&l));
    out.extend(more::review(&l));
    out.extend(more::lab(&l));
    out.sort_by_key(|v| v.group);
    out
}

/// A row in the making: a rule fills it and [`Row::finish`] turns it into a [`Verdict`].
pub(crate) struct Row {
    pub id: &'static str,
    pub claim: &'static str,
    pub rule: &'static str,
    pub links: &'static [&'static str],
    pub tests: Vec<Test>,
    pub numbers: Vec<String>,
    pub gates: Vec<&'static str>,
    pub excluded: evidence::Exclusions,
    pub used: BTreeMap<String, Vec<String>>,
    pub lab_setting: String,
    pub statistic: String,
    /// Set where the rule decides the outcome itself (an exact computation, a file not shipped).
    pub outcome: Option<Outcome>,
    pub settle: Option<String>,
    /// Places the rule planned a test for that had no run passing the gates.
    pub lost: Vec<String>,
}

/// The statistic of the rows that compare paired figures.
pub(crate) const PAIRED: &str = "Paired by seed: per seed, the difference of the two figures (the claim expects it above 0), its mean over the seeds with a 95 % Student-t interval, and the seeds above 0. A test reads 'above' only where the whole interval is above 0; one seed gives no interval.";

impl Row {
    pub fn new(id: &'static str, claim: &'static str, rule: &'static str, links: &'static [&'static str]) -> Row {
        Row {
            id,
            claim,
            rule,
            links,
            tests: Vec::new(),
            numbers: Vec::new(),
            gates: Vec::new(),
            excluded: evidence::Exclusions::default(),
            used: BTreeMap::new(),
            lab_setting: String::new(),
            statistic: PAIRED.to_string(),
            outcome: None,
            settle: None,
            lost: Vec::new(),
        }
    }

    /// A row whose file is not shipped: not tested, saying which file and how far it is.
    pub fn not_shipped(mut self, l: &Loaded, file: &str) -> Row {
        self.outcome = Some(Outcome::NotTested);
        let how = l.progress(file).map(|p| format!(" ({p})")).unwrap_or_default();
        self.settle = Some(if l.get(file).is_some() {
            format!("Its study is being computed{how}: `scripts/make-gallery-runs.sh {file}` resumes it.")
        } else {
            format!("Its file www/runs/{file}.json is not shipped yet: `scripts/make-gallery-runs.sh {file}` makes it.")
        });
        self
    }

    /// A claim the lab has no study for by design (yet): not tested, and what would test it.
    pub fn no_study(mut self, what: &str) -> Row {
        self.outcome = Some(Outcome::NotTested);
        self.statistic = "None: no run tests it.".to_string();
        self.settle = Some(what.to_string());
        self
    }

    /// Adds a test (and its runs to the evidence) where it has any seed; a place with no run
    /// that passed the gates is remembered (the row cannot then read "every place").
    pub fn test(&mut self, t: Option<Test>, runs: &[&evidence::Run]) {
        let Some(t) = t else {
            if runs.is_empty() {
                return;
            }
            let place = runs.first().map(|r| evidence::place_of(&r.settings)).unwrap_or_default();
            self.lost.push(if place.is_empty() { runs.first().map(|r| r.file.to_string()).unwrap_or_default() } else { place });
            return;
        };
        for (seed, _) in &t.paired.diffs {
            for r in runs.iter().filter(|r| r.seed == *seed as u64) {
                let entry = self.used.entry(r.file.to_string()).or_default();
                let place = evidence::place_of(&r.settings);
                let name = if place.is_empty() { format!("seed {}", r.seed) } else { format!("seed {} ({place})", r.seed) };
                if !entry.contains(&name) {
                    entry.push(name);
                }
            }
        }
        self.tests.push(t);
    }

    pub fn setting(&mut self, runs: &[evidence::Run]) {
        if self.lab_setting.is_empty() {
            self.lab_setting = setting_of(runs);
        }
    }

    pub fn finish(self, l: &Loaded) -> Verdict {
        let c = claims::claim(self.id).unwrap_or_else(|| panic!("claim {} has no entry in claims.rs", self.id));
        let mut outcome = self.outcome.or_else(|| Outcome::of_tests(&self.tests)).unwrap_or(if self.excluded.0.is_empty() {
            Outcome::NotTested
        } else {
            Outcome::Inconclusive
        });
        let mut numbers: Vec<String> = self.tests.iter().map(Test::sentence).collect();
        let mut lost = self.lost.clone();
        lost.sort();
        lost.dedup();
        if !lost.is_empty() && !self.tests.is_empty() {
            // Every tested place holds, but not every place the claim speaks of was tested.
            if outcome == Outcome::Reproduced {
                outcome = Outcome::Partly;
            }
            numbers.push(format!("No run passed the gates at {}: the verdict covers the other places only.", lost.join("; ")));
        }
        numbers.extend(self.numbers);
        let settle = self.settle.or_else(|| match outcome {
            Outcome::Inconclusive => Some(settle_of(&self.tests, &self.excluded.0)),
            Outcome::NotTested => Some("No shipped run holds the figures this rule reads.".to_string()),
            _ => None,
        });
        let evidence = self.used.into_iter().map(|(file, runs)| Evidence { provenance: l.provenance_of(&file), file, runs }).collect();
        Verdict {
            id: c.id,
            group: c.group,
            title: c.title,
            place: c.place,
            quote: c.quote,
            paper_setting: c.paper_setting,
            lab_setting: if self.lab_setting.is_empty() { "No run.".to_string() } else { self.lab_setting },
            claim: self.claim,
            outcome,
            statistic: self.statistic,
            tests: self.tests,
            numbers,
            gates: self.gates,
            excluded: self.excluded.0,
            settle,
            rule: self.rule,
            links: self.links,
            evidence,
        }
    }
}

/// What would settle an inconclusive row.
fn settle_of(tests: &[Test], excluded: &[Excluded]) -> String {
    if tests.is_empty() {
        return format!(
            "Every run it reads failed a gate ({} excluded): runs whose stochastic reference reaches the data and whose samplers converge would settle it.",
            excluded.len()
        );
    }
    let n = tests.iter().map(|t| t.paired.n()).max().unwrap_or(0);
    if n <= 1 {
        "One seed gives no interval: the same run over 3 to 5 seeds would settle it.".to_string()
    } else if n < 5 {
        format!("The 95 % intervals over {n} seeds hold 0: more seeds (5 or more) would settle it.")
    } else {
        // Already 5 seeds or more: an effect this small (or none) needs many more seeds to
        // tell from 0, which the interval's width says.
        format!(
            "The 95 % intervals over {n} seeds hold 0: the effect, if there is one, is small next to the spread over seeds; about four times as many seeds would halve the interval's width."
        )
    }
}

/// The lab's setting of a set of runs: data, net, training, samplers and seeds, with the
/// settings a study varies named as varied (and their values) rather than read off one run.
pub(crate) fn setting_of(runs: &[evidence::Run]) -> String {
    let Some(r) = runs.first() else { return String::new() };
    let mut varied: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for run in runs {
        for (k, v) in &run.settings {
            let vs = varied.entry(k.as_str()).or_default();
            if !vs.contains(&v.as_str()) {
                vs.push(v.as_str());
            }
        }
    }
    let s = r.spec;
    let g = |name: &str, p: &str| -> String {
        if varied.contains_key(name) {
            return format!("({name} varied)");
        }
        s.pointer(p).map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).unwrap_or_default()
    };
    let dim = s.pointer("/dim").and_then(Value::as_u64);
    let data = match (g("dataset", "/dataset").as_str(), dim) {
        ("mog-nd", Some(d)) => format!("mog-nd ({d}-D)"),
        (d, _) => d.to_string(),
    };
    let samplers = s
        .pointer("/sampling/samplers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
        .unwrap_or_default();
    let mut seeds: Vec<u64> = runs.iter().map(|r| r.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    let axes = if varied.is_empty() {
        String::new()
    } else {
        format!(" Varied: {}.", varied.iter().map(|(k, v)| format!("{k} = {}", v.join(", "))).collect::<Vec<_>>().join("; "))
    };
    format!(
        "{data}, {} process; MLP {} × {} ({}); {} iterations, batch {}; samplers {samplers}; {} samples each; {} seed{} ({}).{axes}",
        g("process", "/process"),
        g("depth", "/model/depth"),
        g("width", "/model/width"),
        g("activation", "/model/activation"),
        g("iters", "/training/iters"),
        g("batch", "/training/batch"),
        g("n-samples", "/sampling/n_samples"),
        seeds.len(),
        if seeds.len() == 1 { "" } else { "s" },
        r.file
    )
}

#[cfg(test)]
mod tests;
