//! The verdicts as plain text (the CLI's `collapse-lab verdicts`): the tally per group, then
//! one block per claim: the verdict, the quote with its place, both settings, the tests, the
//! gates, the excluded runs, what would settle it, the rule and the figure's link.

use super::{Group, Outcome, Verdict};

/// "7 reproduced, 14 partly, ..." over some verdicts.
pub fn tally(vs: &[&Verdict]) -> String {
    Outcome::ALL.iter().map(|o| format!("{} {}", vs.iter().filter(|v| v.outcome == *o).count(), o.label())).collect::<Vec<_>>().join(", ")
}

pub fn text(vs: &[Verdict]) -> String {
    let all: Vec<&Verdict> = vs.iter().collect();
    let mut out = format!("What reproduces: {} (of {} rows)\n", tally(&all), vs.len());
    for g in Group::ALL {
        let these: Vec<&Verdict> = vs.iter().filter(|v| v.group == g).collect();
        if these.is_empty() {
            continue;
        }
        out.push_str(&format!("\n== {} ({} rows: {})\n", g.label(), these.len(), tally(&these)));
        for v in these {
            out.push_str(&format!("\n[{}] {} ({}, {})\n", v.outcome.label().to_uppercase(), v.title, v.place, v.id));
            out.push_str(&format!("  quote: \"{}\"\n", v.quote));
            out.push_str(&format!("  tested: {}\n", v.claim));
            out.push_str(&format!("  paper's setting: {}\n  lab's setting: {}\n", v.paper_setting, v.lab_setting));
            for n in &v.numbers {
                out.push_str(&format!("  - {n}\n"));
            }
            if !v.gates.is_empty() {
                out.push_str(&format!("  gates: {}\n", v.gates.join("; ")));
            }
            for e in &v.excluded {
                out.push_str(&format!("  excluded: {}, because {}\n", e.run, e.because));
            }
            if let Some(s) = &v.settle {
                out.push_str(&format!("  to settle it: {s}\n"));
            }
            out.push_str(&format!("  statistic: {}\n  rule: {}\n  figure: ?preset={}&size=paper\n", v.statistic, v.rule, v.links[0]));
        }
    }
    out
}
