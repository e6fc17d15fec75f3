//! The experiment written out for other tools. [`torch_script`] writes a self-contained Python
//! file that runs one experiment in PyTorch (data, net, training, samplers, TID, diagnostics),
//! so a reader can check the lab's numbers outside the lab (`collapse-lab torch-script`, the
//! page's "PyTorch script" link). The Python lives in `torch_script.py` beside this file; the
//! lab fills in the spec and what it resolves from it (defaults, steps, the nets' time ranges,
//! the mixture), so the script repeats none of the lab's defaults.

use crate::diffusion::Process;
use crate::spec::{ExperimentSpec, SpecError, overrides};
use serde_json::json;

const TEMPLATE: &str = include_str!("torch_script.py");

/// The Python script of `spec`: refused, naming the field, for a spec the lab itself refuses
/// or for a generations run (recursive training is not in the script).
pub fn torch_script(spec: &ExperimentSpec) -> Result<String, SpecError> {
    spec.validate()?;
    let spec = &spec.canonical();
    if spec.recursion.is_some() {
        return Err(SpecError {
            field: "recursion".into(),
            message: "a generations run has no PyTorch script; export one generation's run (the spec without fresh, generations, ...)".into(),
        });
    }
    // What the script does not do is refused by name, not left out silently (its docstring
    // lists what it does not cover).
    if !spec.training.checkpoints.is_empty() {
        return Err(SpecError {
            field: "training.checkpoints".into(),
            message: "the PyTorch script trains to the end and measures the final nets only; export without checkpoints (a run of that many iterations is the net at that checkpoint)".into(),
        });
    }
    if spec.dataset == crate::data::Dataset::Csv {
        return Err(SpecError {
            field: "dataset".into(),
            message: "the PyTorch script draws its data itself, and a CSV file is not built into it; export a run on a built-in or painted data set".into(),
        });
    }
    let mixture = spec.mixture().map(|m| {
        assert!(m.stds.windows(2).all(|w| w[0] == w[1]), "the lab's mixtures have one std");
        json!({ "means": m.means, "std": m.stds[0] })
    });
    let resolved = json!({
        "data_size": spec.data_size(),
        "data_dim": spec.data_dim(),
        "t_max": spec.process.t_max(),
        "nets": spec.nets(),
        "steps": spec.sampling.samplers.iter().map(|&k| (k.name().to_string(), json!(spec.steps(k)))).collect::<serde_json::Map<_, _>>(),
        "mixture": mixture,
        "sigma_data": if spec.model.precond.is_none() { 0.0 } else { spec.data_std() as f32 as f64 },
    });
    let query: Vec<String> = overrides::print_changed(spec).into_iter().map(|(n, v)| format!("{n}={v}")).collect();
    let header = format!(
        "Collapse Lab {} wrote this file for the experiment {}",
        env!("CARGO_PKG_VERSION"),
        if query.is_empty() { "of the default settings".to_string() } else { format!("?{}", query.join("&")) }
    );
    let text = |v: &serde_json::Value| serde_json::to_string_pretty(v).expect("JSON");
    let spec_json = text(&crate::output::json_value(spec));
    // The JSON sits in r'''...''' literals: it holds no ''' (JSON strings escape nothing to it,
    // and no field of a spec holds quotes), checked here all the same.
    assert!(!spec_json.contains("'''") && !spec_json.contains('\\'), "spec JSON fits a raw literal");
    Ok(TEMPLATE.replacen("__HEADER__", &header.replace('\n', " "), 1).replacen("__SPEC__", &spec_json, 1).replacen("__RESOLVED__", &text(&resolved), 1))
}
