//! The gallery: one preset per figure of the paper (and of the recursive-training paper), each
//! with a sentence of what to look for and two sizes. "quick" runs in well under a minute in
//! the page on a 2-core laptop (smaller nets, fewer steps: indicative, stated as such); "paper"
//! is the paper's own setting (appendix C.1, SPEC §8 and §10), for a GPU or the CLI.
//!
//! A preset is URL parameters, so it is exactly a link of the page (and `--preset` of the
//! CLI); every one of them is planned by the same code as a link a user types (a test).

use super::overrides;
use super::{ExperimentSpec, SpecError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Size {
    Quick,
    Paper,
}

impl Size {
    pub fn parse(s: &str) -> Option<Size> {
        match s {
            "quick" => Some(Size::Quick),
            "paper" => Some(Size::Paper),
            _ => None,
        }
    }
}

/// What a preset runs, and so which view shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Run,
    Study,
    Generations,
    Hermite,
}

#[derive(Debug, serde::Serialize)]
pub struct Preset {
    pub id: &'static str,
    /// The figure's number in its paper ("Fig. 2 / 11", "Recursive Fig. 1").
    pub figure: &'static str,
    pub title: &'static str,
    /// One sentence: what to look for.
    pub look: &'static str,
    pub kind: Kind,
    /// URL parameters of both sizes (`name=value&...`).
    pub common: &'static str,
    pub quick: &'static str,
    /// What the quick size is where it is not the default one (a smaller net and fewer steps,
    /// under a minute in the page): the see-saw's takes minutes, on another data set.
    pub quick_note: &'static str,
    pub paper: &'static str,
}

/// The quick size of a 2D run: a 2 x 64 net, 2000 steps of batch 500, 1000 samples.
macro_rules! quick_2d {
    () => {
        "depth=2&width=64&iters=2000&batch=500&n-samples=1000&steps=sde=500"
    };
}
/// The quick size of the see-saw's n-D runs (the paper: 2 x 1000, batch 2000, 10,000 steps).
macro_rules! quick_nd {
    () => {
        concat!("depth=2&iters=1500&batch=256&n-samples=1000&steps=sde=300&diag-points=4000&diag-trajectories=128", eps_nd!())
    };
}
/// The see-saw's quick size (docs/seesaw-search.md): the 1-D mixture, 2 x 10 to 2 x 400 nets,
/// 6000 steps of batch 500, the search's diagnostics and sampling.
macro_rules! quick_seesaw {
    () => {
        "dataset=mog1d&depth=2&iters=6000&batch=500&n-samples=1000&steps=ode=100&diag-points=4000&diag-trajectories=64&eps=0.02,0.05,0.1&record-times=1,0&trajectories=2"
    };
}
macro_rules! paper_nd {
    () => {
        "depth=2&width=1000&batch=2000&iters=10000"
    };
}
/// TID's radii for the 10-D mixture at paper size. The 2D defaults (0.01-0.2) hold almost no
/// neighbours in 10-D (0.008 per training point at 0.2), so TID there rests on a few pairs;
/// from 0.25 the data's points have neighbours, and the ODE's excess shows (Fig. 5's nets:
/// TID(0.3) 1.74 for the ODE, 0.39 for the SDE, spread 0.25).
macro_rules! eps_nd {
    () => {
        "&eps=0.2,0.25,0.3,0.35,0.4,0.5,0.7,1"
    };
}

pub static PRESETS: &[Preset] = &[
    Preset {
        id: "fig2-chessboard",
        figure: "Fig. 2",
        title: "ODE vs SDE on the chessboard",
        look: "The paper reports: the ODE samples pile into streaks and the histogram grows sharp peaks; the SDE samples spread over the squares like the data.",
        kind: Kind::Run,
        common: "dataset=chessboard&samplers=ode,sde",
        quick: quick_2d!(),
        quick_note: "",
        paper: "",
    },
    Preset {
        id: "fig11-spiral",
        figure: "Fig. 11",
        title: "Spiral",
        look: "The paper reports: ODE samples gather in knots along the arm (peaks in the histogram of x1); SDE samples follow the arm evenly.",
        kind: Kind::Run,
        common: "dataset=spiral&samplers=ode,sde",
        quick: quick_2d!(),
        quick_note: "",
        paper: "",
    },
    Preset {
        id: "fig11-semicircle",
        figure: "Fig. 11",
        title: "Semicircle",
        look: "The paper reports: the ODE's histogram of x1 has spikes the data does not have; the SDE's follows the data.",
        kind: Kind::Run,
        common: "dataset=semicircle&samplers=ode,sde",
        quick: quick_2d!(),
        quick_note: "",
        paper: "",
    },
    Preset {
        id: "fig11-mog",
        figure: "Fig. 11",
        title: "Mixture of Gaussians (2D)",
        look: "The paper reports: ODE samples shrink towards the centres of the components; TID of the ODE sits above the data-vs-data band.",
        kind: Kind::Run,
        common: "dataset=mog&samplers=ode,sde",
        quick: quick_2d!(),
        quick_note: "",
        paper: "",
    },
    Preset {
        id: "fig3-survival",
        figure: "Fig. 3a",
        title: "Neighbour counts and Hill's tail (spiral)",
        look: "The paper reports: the survival plot P(n > x) at e = 0.01: the ODE's curve has the heaviest tail (smallest α), the data's the lightest.",
        kind: Kind::Run,
        common: "dataset=spiral&samplers=ode,sde&survival-eps=0.01",
        quick: quick_2d!(),
        quick_note: "",
        paper: "",
    },
    Preset {
        id: "fig3-tid",
        figure: "Fig. 3b",
        title: "TID(e) on four data sets",
        look: "The paper reports: per data set, TID of ODE samples against TID of SDE samples at every e: the ODE's is higher on all four.",
        kind: Kind::Study,
        common: "samplers=ode,sde&vary=dataset=chessboard,spiral,semicircle,mog",
        quick: concat!(quick_2d!(), "&iters=1500&seeds=1"),
        quick_note: "",
        paper: "seeds=5",
    },
    Preset {
        id: "fig5-density",
        figure: "Fig. 5",
        title: "Density evolution in 10-D (first coordinate)",
        look: "The paper reports (§5.3, Fig. 5b): sharp peaks in the ODE's density of x1 already from t = 1 to t = 0.8, the earliest stage of sampling, while the truth stays smooth; the marginals at t = 0.8, 0.6, 0.4, 0 show where.",
        kind: Kind::Run,
        common: "dataset=mog-nd&samplers=ode,sde",
        quick: concat!(quick_nd!(), "&width=128"),
        quick_note: "",
        paper: concat!(paper_nd!(), eps_nd!()),
    },
    Preset {
        id: "fig17-density-2d",
        figure: "Fig. 17",
        title: "Density evolution on a 2D set (semicircle)",
        look: "The paper reports: the density of x1 over t: the ODE's bands narrow before t = 0 where the truth's do not.",
        kind: Kind::Run,
        common: "dataset=semicircle&samplers=ode",
        quick: quick_2d!(),
        quick_note: "",
        paper: "",
    },
    Preset {
        id: "fig6-velocity",
        figure: "Fig. 6",
        title: "Velocity field and error covariance (10-D)",
        look: "The paper reports: the learned velocity at t = 1 is off the exact straight line, and the error at t keeps a high correlation with the error at t = 1 far down t: the ODE carries it along.",
        kind: Kind::Run,
        common: "dataset=mog-nd&diagnostics=1&samplers=ode,sde",
        quick: concat!(quick_nd!(), "&width=256"),
        quick_note: "",
        paper: concat!(paper_nd!(), eps_nd!()),
    },
    Preset {
        id: "fig13-velocity-1d",
        figure: "Fig. 13",
        title: "Velocity field and error covariance (1D)",
        look: "The paper reports: the same in 1D: the velocity error at t = 1 stays correlated with the error along the ODE's path.",
        kind: Kind::Run,
        common: "dataset=mog1d&diagnostics=1&samplers=ode,sde",
        quick: "iters=2000&batch=500&n-samples=1000&steps=sde=500",
        quick_note: "",
        paper: "",
    },
    Preset {
        id: "fig14-width10",
        figure: "Fig. 14b",
        title: "Trajectories over the learned field, width 10",
        look: "ODE paths over the learned velocity field of a narrow net: compare where they end with the exact field's paths (Fig. 14a, the exact-score run).",
        kind: Kind::Run,
        common: "dataset=mog1d&width=10&diagnostics=1&samplers=ode",
        quick: "iters=2000&batch=500&n-samples=1000",
        quick_note: "",
        paper: "",
    },
    Preset {
        id: "fig14-width100",
        figure: "Fig. 14c",
        title: "Trajectories over the learned field, width 100",
        look: "The paper reports: a wider net learns the low-noise field better and its high-noise field worse: the paths bunch.",
        kind: Kind::Run,
        common: "dataset=mog1d&width=100&diagnostics=1&samplers=ode",
        quick: "iters=2000&batch=500&n-samples=1000",
        quick_note: "",
        paper: "",
    },
    Preset {
        id: "fig14-exact",
        figure: "Fig. 14a",
        title: "Trajectories of the exact score (1D)",
        look: "The analytic field: paths split evenly between the two components, no collapse (TID within the data band).",
        kind: Kind::Run,
        common: "dataset=mog1d&exact-score=1&samplers=ode,sde",
        quick: "n-samples=1000",
        quick_note: "",
        paper: "",
    },
    Preset {
        id: "fig7-seesaw",
        figure: "Fig. 7 / 8",
        title: "The see-saw across widths",
        look: "The paper reports: as width grows, MAE and DSM loss at t = 0.1 fall while at t = 1 they rise; the high-noise-only control (fixed t = 1) keeps t = 1 low; TID of ODE samples rises with width.",
        kind: Kind::Study,
        common: "dataset=mog-nd&diagnostics=1&samplers=ode",
        // The see-saw in minutes (docs/seesaw-search.md): on the 10-D mixture no affordable size
        // shows it (the narrow nets are undertrained everywhere), on the 1-D one it does.
        quick: concat!(quick_seesaw!(), "&vary=width=10,100,400&vary=fixed-t=none,1&seeds=3"),
        quick_note: "This is the see-saw's quick size: 18 nets on the 1-D mixture (2 × 10, 2 × 100 and 2 × 400; 6000 steps of batch 500; seeds 0–2): about 6–8 minutes on 2 cores, 3–4 on 4. The 10-D mixture shows the see-saw only at the paper's size. At this size a net's error at t = 1 varies much from seed to seed: on seeds 3–5 the rise stays within the bars (docs/seesaw-search.md).",
        paper: concat!(paper_nd!(), "&vary=width=10,50,100,250,500,1000&vary=fixed-t=none,1&seeds=5"),
    },
    Preset {
        id: "fig9-skip",
        figure: "Fig. 9",
        title: "Mitigation: skip connections (and a stochastic corrector)",
        look: "The paper reports: the skip parameterisations keep MAE at t = 1 low at every width, and their ODE TID stays near the PC sampler's.",
        kind: Kind::Study,
        common: "dataset=mog-nd&diagnostics=1&samplers=ode,pc",
        // The cure at the see-saw's quick size (docs/seesaw-search.md, "The cures at the quick size").
        quick: concat!(quick_seesaw!(), "&vary=width=10,100,400&vary=parameterization=plain,skip-fixed,skip-learned&seeds=3"),
        quick_note: "This is the cures' quick size, the see-saw's: 27 nets on the 1-D mixture (2 × 10, 2 × 100 and 2 × 400; 6000 steps of batch 500; seeds 0–2): about 13–14 minutes on 2 cores (807 s in the page here), about 7 on 4. There the plain net's MAE at t = 1 rises with width and both skip parameterisations keep it low (skip-fixed is exact at t = 1 by construction). In 1-D the ODE's samples hardly collapse at this size, so TID tells little here; the paper size (10-D) shows it.",
        paper: concat!(paper_nd!(), eps_nd!(), "&vary=width=100,1000&vary=parameterization=plain,skip-fixed,skip-learned&seeds=5"),
    },
    Preset {
        id: "fig9-two-model",
        figure: "Fig. 9",
        title: "Mitigation: two nets split at t' = 0.6",
        look: "The paper reports: with a separate net for t ≥ 0.6 the high-noise MAE no longer grows with width, and the ODE's TID falls.",
        kind: Kind::Study,
        common: "dataset=mog-nd&diagnostics=1&samplers=ode",
        // The cure at the see-saw's quick size (docs/seesaw-search.md, "The cures at the quick size").
        quick: concat!(quick_seesaw!(), "&vary=width=10,100,400&vary=two-model=none,0.6&seeds=3"),
        quick_note: "This is the cures' quick size, the see-saw's: 18 runs on the 1-D mixture (2 × 10, 2 × 100 and 2 × 400, two nets per run with the split; 6000 steps of batch 500; seeds 0–2): about 12 minutes on 2 cores (720 s in the page here), about 6 on 4. There the split keeps MAE at t = 1 below the single net's with the bars apart at widths 10 and 100; at 400 its mean stays lower but one seed's high-noise net is as far off as the single net's, so the bars overlap. In 1-D the ODE's samples hardly collapse at this size, so TID tells little here; the paper size (10-D) shows it.",
        paper: concat!(paper_nd!(), eps_nd!(), "&vary=width=100,1000&vary=two-model=none,0.6&seeds=5"),
    },
    Preset {
        id: "prop1-hermite",
        figure: "Prop. 1",
        title: "The Hermite see-saw",
        look: "The paper reports: with a fixed number of Hermite coefficients, fitting the low-noise score better makes the high-noise one worse.",
        kind: Kind::Hermite,
        common: "view=hermite",
        quick: "",
        quick_note: "",
        paper: "",
    },
    Preset {
        id: "appJ-processes",
        figure: "App. J",
        title: "Other processes: sub-VP and linear",
        look: "The paper reports: TID of the ODE per process: collapse is not a quirk of the VP schedule.",
        kind: Kind::Study,
        common: "dataset=mog&samplers=ode,sde&vary=process=vp,sub-vp,linear",
        quick: concat!(quick_2d!(), "&seeds=1"),
        quick_note: "",
        paper: "seeds=5",
    },
    Preset {
        id: "appK-samplers",
        figure: "App. K",
        title: "Other deterministic samplers: DDIM and DPM-Solver-2",
        look: "The paper reports: DDIM and DPM-Solver-2 collapse as the ODE does (bands in the density evolution, TID above the band); the SDE does not.",
        kind: Kind::Run,
        common: "dataset=mog&samplers=ode,ddim,dpm2,sde",
        quick: quick_2d!(),
        quick_note: "",
        paper: "",
    },
    Preset {
        id: "appK-samplers-2d",
        figure: "App. K",
        title: "Other deterministic samplers on the 2D mixture, seed by seed",
        look: "The lab's 2D extra to App. K (the paper's test is the 10-D one): DDIM, DPM-Solver-2 and the Euler ODE against the reverse SDE on the 2D mixture at the paper's 2D size, 5 seeds. Each seed's one net is sampled by every sampler from one draw of noise, so the samplers are compared seed by seed.",
        kind: Kind::Study,
        // One cell as a study (as appK-samplers-nd): its seed 0 is the appK-samplers run.
        common: "dataset=mog&samplers=ode,ddim,dpm2,sde&vary=process=vp",
        quick: concat!(quick_2d!(), "&seeds=2"),
        quick_note: "",
        paper: "seeds=5",
    },
    Preset {
        id: "appK-samplers-nd",
        figure: "App. K",
        title: "Other deterministic samplers in 10-D, the paper's setting",
        look: "The paper reports (App. K, Fig. 24, on the 10-D mixture with the 2 x 1000 net of App. E.1): DDIM and DPM-Solver-2 collapse as the ODE does. Each seed's one net is sampled by every sampler from one draw of noise, so the samplers are compared seed by seed.",
        kind: Kind::Study,
        // One cell (the VP process, the paper's), as a study: the page and the CLI open a study
        // by its axis, and App. J's study takes this cell's runs as its own vp cell.
        common: "dataset=mog-nd&samplers=ode,ddim,dpm2,sde,pc&vary=process=vp",
        quick: concat!(quick_nd!(), "&width=128&seeds=2"),
        quick_note: "",
        paper: concat!(paper_nd!(), eps_nd!(), "&seeds=3"),
    },
    Preset {
        id: "appJ-processes-nd",
        figure: "App. J",
        title: "Other processes in 10-D, the paper's setting",
        look: "The paper reports (App. J, Fig. 23, on the 10-D mixture with the 2 x 1000 net of App. E.1): the sub-VP and linear processes collapse too. TID of the ODE against the SDE per process, seed by seed.",
        kind: Kind::Study,
        common: "dataset=mog-nd&samplers=ode,sde&vary=process=vp,sub-vp,linear",
        quick: concat!(quick_nd!(), "&width=128&seeds=1"),
        quick_note: "",
        paper: concat!(paper_nd!(), eps_nd!(), "&seeds=3"),
    },
    Preset {
        id: "rec-fig1",
        figure: "Recursive Fig. 1 / 5",
        title: "Model collapse across generations, a = 0.1, 0.5, 0.9",
        look: "The recursive-training paper reports: with little fresh data (a = 0.1) χ² to the data grows generation after generation and the samples spread; a = 0.5 stays bounded, a = 0.9 stable; the contribution matrix shows which generations' errors remain.",
        kind: Kind::Generations,
        common: "dataset=mog&fresh=0.1,0.5,0.9&gen-sampler=sde&view=generations",
        quick: "depth=2&width=64&iters=1500&batch=500&n-samples=1000&steps=sde=200&generations=5&gen-size=4000&gen-seeds=1",
        quick_note: "",
        paper: "generations=20&gen-size=10000&gen-seeds=3",
    },
    Preset {
        id: "rec-ode-vs-sde",
        figure: "Recursive + collapse",
        title: "Does a deterministic sampler in the loop worsen model collapse?",
        look: "D_N for ODE-drawn generations against SDE-drawn ones at each a, with the spread over seeds.",
        kind: Kind::Generations,
        common: "dataset=mog&fresh=0.1,0.5,0.9&gen-sampler=sde,ode&view=generations",
        quick: "depth=2&width=64&iters=1500&batch=500&n-samples=1000&steps=sde=200,ode=100&generations=3&gen-size=4000&gen-seeds=1",
        quick_note: "",
        paper: "generations=20&gen-size=10000&gen-seeds=3",
    },
    Preset {
        id: "open-nfe",
        figure: "Open question",
        title: "Equal compute: TID against network evaluations",
        look: "TID per sampler at the same budget of network evaluations (the paper's ODE spends 100, its SDE 1000): does a second-order deterministic solver (Heun, DPM-Solver-2) still concentrate its samples where the SDE and PC do not, at every budget? A gap that stays at equal budgets is collapse, not a lack of compute.",
        kind: Kind::Study,
        common: "dataset=mog&samplers=ode,heun,dpm2,sde,pc",
        quick: concat!(quick_2d!(), "&vary=nfe=10,30,100,300&seeds=1"),
        quick_note: "",
        paper: "vary=nfe=10,20,50,100,200,500,1000&seeds=3",
    },
    Preset {
        id: "open-iters",
        figure: "Open question",
        title: "Training length: collapse as nets train longer",
        look: "TID of ODE, Heun and SDE samples against the number of training iterations, with the spread over seeds (the see-saw is a matter of fitting, so collapse may grow or fade as training goes on): a deterministic TID that stays above the stochastic one at every length is collapse at every stage of training. Each seed trains once, to the longest length; the shorter lengths sample the nets kept along the way, which are those of runs of those lengths bit for bit.",
        kind: Kind::Study,
        common: "dataset=mog&samplers=ode,heun,sde",
        quick: "depth=2&width=64&batch=500&n-samples=1000&steps=sde=500&vary=iters=300,1000,3000&seeds=2",
        quick_note: "",
        // 5 seeds: with 3 the marginal-accuracy trend's interval held 0.
        paper: "vary=iters=1000,3000,10000,30000&seeds=5",
    },
    Preset {
        id: "open-data-size",
        figure: "App. D / Workshop Fig. 3",
        title: "Training-set size: collapse as the data set grows",
        look: "TID of ODE and SDE samples and the ODE's marginal accuracy against the size of the training set, with the spread over seeds. The paper (App. D, Fig. 4 and 12) reports TID falling as the data set grows, on images of 10,000 to 40,000; the workshop version (Fig. 3c-d) marginal accuracy rising. Here the 2D mixture at the paper's 2D size, trained on 10,000 to 40,000 points (App. D's sizes) and on the paper's 500,000.",
        kind: Kind::Study,
        common: "dataset=mog&samplers=ode,sde",
        quick: concat!(quick_2d!(), "&vary=data-size=1000,4000,16000&seeds=1"),
        quick_note: "",
        paper: "vary=data-size=10000,20000,40000,500000&seeds=3",
    },
    Preset {
        id: "ws-fig4-sigma",
        figure: "Workshop Fig. 4",
        title: "The see-saw against the mixture's component sd",
        look: "The workshop version (Fig. 4b-c, on a 1-D mixture with means -1 and 1 and component sd sigma) reports: as a net widens its error at high noise (the workshop's t = 0, the full paper's t = 1) grows while at t = 0.2 it falls, and the smaller sigma, the more the high-noise error grows with width. Here the velocity's MAE at t = 1 and t = 0.2 (the score's, times the process's g(t)^2 / 2 at each t) for sigma = 1, 0.2, 0.1, 0.01 and nets of width 10 and 400, 3 seeds.",
        kind: Kind::Study,
        common: concat!(quick_seesaw!(), "&diagnostics=1&samplers=ode&diag-times=1,0.2"),
        // The quick size: the two ends of sigma, short training, fewer diagnostic points (in the
        // page's gallery test beside the others).
        quick: "vary=mixture-sd=1,0.01&vary=width=10,400&iters=1000&diag-points=1000&diag-trajectories=16&seeds=1",
        quick_note: "",
        paper: "vary=mixture-sd=1,0.2,0.1,0.01&vary=width=10,400&iters=10000&data-size=50000&seeds=3",
    },
    Preset {
        id: "open-flow-matching",
        figure: "Open question",
        title: "Flow matching: the velocity target on the linear path",
        look: "TID of the flow's Euler (ode) and Heun samples against the matching reverse SDE, for flow matching's velocity target (target v on the linear path) and the same path trained on eps, with uniform and logit-normal training times: a deterministic TID that stays above the SDE's means collapse persists in the flow-matching design; one that falls to it means the design cures it.",
        kind: Kind::Study,
        common: "dataset=chessboard&process=linear&samplers=ode,heun,sde&vary=target=eps,v&vary=t-dist=uniform,logit-normal",
        quick: concat!(quick_2d!(), "&seeds=1"),
        quick_note: "",
        paper: "seeds=3",
    },
    Preset {
        id: "open-flow-matching-why",
        figure: "Open question",
        title: "Flow matching, explained: the velocity error near t = 1 by target",
        look: "Why the flow's Euler ODE collapses with the eps target and not with the velocity target: on the linear path the eps target's velocity is (eps_hat - x) / (1 - t), so an error in eps_hat near t = 1 is multiplied by 1 / (1 - t), the see-saw's high-noise error amplified; the x0 target's velocity (x - x0_hat) / t carries its error near t = 0 instead. On the 2D mixture (its exact score known) the MAE of the velocity at t = 0.999, 0.99, 0.9, 0.6, 0.3 and 0.1 for the three targets, the correlation of the error along the ODE's paths with its value at the start, and TID of the ODE, Heun and SDE samples; and the samplers started at the path's end (t = 0.999), at 0.99 and at 0.9 (from sigma(t) N(0, I)): if the eps target's collapse is the error amplified near t = 1, its ODE started earlier collapses less.",
        kind: Kind::Study,
        common: "dataset=mog&process=linear&diagnostics=1&diag-times=1,0.99,0.9,0.6,0.3,0.1&samplers=ode,heun,sde&vary=target=eps,v,x0",
        // The quick size compares the targets alone; the paper size adds the start times.
        quick: concat!(quick_2d!(), "&diag-points=4000&diag-trajectories=128&seeds=1"),
        quick_note: "",
        paper: "vary=t-start=none,0.99,0.9&seeds=3",
    },
    Preset {
        id: "open-flow-matching-nd",
        figure: "Open question",
        title: "Flow matching in 10-D: the velocity target on the see-saw's mixture",
        look: "The flow-matching comparison of the chessboard entry on the 10-D mixture of Fig. 5–8 (the paper's 2 x 1000 net at paper size): TID of the flow's Euler and Heun samples against the reverse SDE's, eps against v targets, uniform against logit-normal times.",
        kind: Kind::Study,
        common: "dataset=mog-nd&process=linear&samplers=ode,heun,sde&vary=target=eps,v&vary=t-dist=uniform,logit-normal",
        quick: concat!(quick_nd!(), "&width=128&seeds=1"),
        quick_note: "",
        paper: concat!(paper_nd!(), eps_nd!(), "&seeds=3"),
    },
    Preset {
        id: "open-edm",
        figure: "Open question",
        title: "EDM: its process, preconditioning and samplers",
        look: "EDM's design (the ve process on its sigma grid, the denoiser target, lognormal training times, the final step to sigma = 0) with and without its preconditioning: TID of its deterministic Heun sampler (Algorithm 1) against its stochastic one (Algorithm 2's churn) and the reverse SDE. EDM reports the deterministic sampler as good as the stochastic; a Heun TID above the stochastic ones' means collapse persists in EDM's design space, one at their level that it does not.",
        kind: Kind::Study,
        common: "dataset=chessboard&process=ve&target=x0&t-dist=lognormal&denoise=true&samplers=ode,heun,sde,edm-sde&vary=precond=none,edm",
        quick: concat!(quick_2d!(), "&seeds=1"),
        quick_note: "",
        // 5 seeds: with 3 the preconditioned cell's Heun-minus-SDE interval held 0.
        paper: "seeds=5",
    },
    Preset {
        id: "open-edm-nd",
        figure: "Open question",
        title: "EDM in 10-D: its design on the see-saw's mixture",
        look: "The EDM comparison of the chessboard entry on the 10-D mixture of Fig. 5–8 (the paper's 2 x 1000 net at paper size).",
        kind: Kind::Study,
        common: "dataset=mog-nd&process=ve&target=x0&t-dist=lognormal&denoise=true&samplers=ode,heun,sde,edm-sde&vary=precond=none,edm",
        quick: concat!(quick_nd!(), "&width=128&seeds=1"),
        quick_note: "",
        paper: concat!(paper_nd!(), eps_nd!(), "&seeds=3"),
    },
    Preset {
        id: "open-robustness",
        figure: "Open question",
        title: "TID's robustness to the radius e and Hill's k",
        look: "TID of ODE and SDE samples over every radius e and Hill's k, next to the data floor: where the cells stay red for the ODE and pale for the SDE, the verdict does not hang on the two choices.",
        kind: Kind::Run,
        common: "dataset=chessboard&samplers=ode,sde",
        quick: concat!(quick_2d!(), "&k-grid=25,50,100,250,500,1000"),
        quick_note: "",
        paper: "k-grid=50,100,200,500,1000,2000",
    },
    Preset {
        id: "open-robustness-seeds",
        figure: "Open question",
        title: "TID's robustness to e and k, seed by seed",
        look: "The e × k grid of the entry above over 3 seeds (one net per seed, sampled by the ODE and the SDE from one draw of noise): per cell whose data-vs-data floor is stable over the seeds, the ODE's TID minus the SDE's with its interval.",
        kind: Kind::Study,
        // One cell as a study (as appK-samplers-nd), so the grid is measured over seeds.
        common: "dataset=chessboard&samplers=ode,sde&vary=process=vp",
        quick: concat!(quick_2d!(), "&k-grid=25,50,100,250,500,1000&seeds=2"),
        quick_note: "",
        paper: "k-grid=50,100,200,500,1000,2000&seeds=3",
    },
];

/// One step of the guided path through the papers (the page's gallery reads top to bottom):
/// what the step shows, in words for a student who has not read the papers, what to look for,
/// and its presets in reading order. Every preset belongs to exactly one step (a test).
#[derive(Debug, serde::Serialize)]
pub struct Step {
    pub title: &'static str,
    pub text: &'static str,
    pub look: &'static str,
    pub presets: &'static [&'static str],
}

pub static PATH: &[Step] = &[
    Step {
        title: "Collapse: deterministic samplers clump",
        text: "A diffusion model makes data from noise by following a learned field backwards in time. Sample one trained net twice from the same noise, once with a deterministic sampler (the probability-flow ODE) and once with a stochastic one (the reverse SDE): the ODE's samples crowd into small clumps the data does not have. TID measures how locally concentrated samples are compared with the data.",
        look: "Streaks and sharp histogram peaks in the ODE's panels; the ODE's TID curve above the grey data-vs-data band, the SDE's inside it.",
        presets: &[
            "fig2-chessboard",
            "fig11-spiral",
            "fig11-semicircle",
            "fig11-mog",
            "fig3-survival",
            "fig3-tid",
            "appK-samplers",
            "appK-samplers-2d",
            "appJ-processes",
            "appK-samplers-nd",
            "appJ-processes-nd",
        ],
    },
    Step {
        title: "Where it forms: early, at high noise",
        text: "Follow the density of one coordinate from t = 1 (pure noise) to t = 0 (the samples). The clumps are not made at the end: sharp peaks show in the ODE's density already between t = 1 and t = 0.8 (the paper's Fig. 5b) and are only carried down to t = 0. Something already goes wrong where the noise is large.",
        look: "Bands in the ODE's density evolution that the true noised data does not have, and marginals at t = 0.8 and 0.6 that already differ.",
        presets: &["fig5-density", "fig17-density-2d"],
    },
    Step {
        title: "Why: the see-saw",
        text: "One net learns the score at every noise level. The low-noise score is hard (fine detail), the high-noise one simple (nearly a straight line). As a net gets better at the hard part it gets worse at the simple one: its velocity error at t = 1 grows with width. The ODE carries that early error all the way down; the SDE's fresh noise washes it out. Prop. 1 shows the same trade-off exactly for polynomial fits.",
        look: "MAE at t = 1 rising with width while MAE at t = 0.1 falls; the error at t staying correlated with the error at t = 1 along ODE paths.",
        presets: &["fig14-exact", "fig14-width10", "fig14-width100", "fig13-velocity-1d", "fig6-velocity", "fig7-seesaw", "ws-fig4-sigma", "prop1-hermite"],
    },
    Step {
        title: "Cures: protect the high-noise field",
        text: "If the error is made at high noise, protect that part: add a stochastic corrector step (predictor-corrector), give t ≥ 0.6 a net of its own, or let a skip connection carry the simple part so the net need not learn it. Each should lower the high-noise error and the ODE's TID.",
        look: "MAE at t = 1 staying low at every width with the cure, and the ODE's TID moving towards the stochastic sampler's.",
        presets: &["fig9-two-model", "fig9-skip"],
    },
    Step {
        title: "Recursive training: a model fed its own samples",
        text: "A second paper asks what happens when each generation of a model is trained on a fraction a of fresh data and 1 - a of the previous generation's samples. With little fresh data the errors compound and the distance to the data grows; with half or more it stays bounded. A deterministic sampler in the loop can add its collapse to that.",
        look: "χ² to the data per generation: growing for a = 0.1, flat for 0.5 and 0.9; ODE-drawn chains against SDE-drawn ones.",
        presets: &["rec-fig1", "rec-ode-vs-sde"],
    },
    Step {
        title: "Open questions: beyond the paper",
        text: "The paper's reviewers asked what the paper does not answer: the ODE ran 100 network evaluations against the SDE's 1000, and only Euler-type solvers were compared; the phenomenon is tied to fitting, yet training length was not varied; modern design spaces such as EDM and flow matching were not tried; TID depends on a radius e and on Hill's k. Here samplers are compared at equal compute, with a second-order solver (Heun's method, as in EDM) among them; nets are trained for longer and shorter; a net learns flow matching's velocity instead of the noise; EDM's process, preconditioning and samplers replace the paper's; and TID is measured over a grid of e and k.",
        look: "The deterministic samplers' TID against the stochastic ones' at each budget and each training length, and across the e × k grid: a gap that persists is collapse, not a lack of compute, of training, of the paper's parameterisation or a choice of e and k.",
        presets: &[
            "open-nfe",
            "open-iters",
            "open-data-size",
            "open-flow-matching",
            "open-flow-matching-why",
            "open-flow-matching-nd",
            "open-edm",
            "open-edm-nd",
            "open-robustness",
            "open-robustness-seeds",
        ],
    },
];

/// The presets whose paper size ships with the page (`www/runs/ID.json`, made by
/// `scripts/make-gallery-runs.sh`, where each comes from in `www/runs/provenance.json`;
/// `tests/shipped_runs.rs` checks the files): the 2D and 1D runs, as saved runs, and the
/// studies computed so far, as study JSONs. A long study ships partial and grows across sessions
/// (`make-gallery-runs.sh ID` resumes it from its file; the page says how many runs are done):
/// Fig. 9's two studies and the ODE-vs-SDE generations (its SDE chains of seed 0 are Fig. 1's;
/// each other chain ~20 min on a CPU) now (Fig. 7/8 is complete). The 10-D EDM question ships partial (its flow-matching twin not yet: the paper's 2 x 1000 net, about 45 min a run here); not the exact-score control (nothing
/// to train).
pub const SHIPPED: &[&str] = &[
    "fig2-chessboard",
    "fig11-spiral",
    "fig11-semicircle",
    "fig11-mog",
    "fig3-survival",
    "fig17-density-2d",
    "fig13-velocity-1d",
    "fig14-width10",
    "fig14-width100",
    "appK-samplers",
    "fig3-tid",
    "appK-samplers-2d",
    "appJ-processes",
    "appK-samplers-nd",
    "appJ-processes-nd",
    "fig7-seesaw",
    "fig9-two-model",
    "fig9-skip",
    "fig5-density",
    "fig6-velocity",
    "rec-fig1",
    "rec-ode-vs-sde",
    "open-nfe",
    "open-robustness",
    "open-robustness-seeds",
    "ws-fig4-sigma",
    "open-flow-matching",
    "open-flow-matching-why",
    "open-edm",
    "open-edm-nd",
    "open-flow-matching-nd",
    "open-iters",
    "open-data-size",
];

/// The preset of this id.
pub fn preset(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id)
}

/// Page parameters that are not settings: the study's axes and seeds, a generations run's lists
/// and seeds per chain, and the view.
const NOT_SETTINGS: &[&str] = &["vary", "seeds", "fresh", "gen-sampler", "gen-seeds", "view"];

/// A preset at one size, split the way the page and the CLI use it.
#[derive(Debug, Default)]
pub struct Resolved {
    /// `name=value` settings, the quick/paper ones after (and so over) the common ones.
    pub settings: Vec<(String, String)>,
    pub vary: Vec<String>,
    pub seeds: Option<usize>,
    pub fresh: Vec<String>,
    pub gen_samplers: Vec<String>,
    pub gen_seeds: Option<usize>,
}

fn pairs(q: &str) -> impl Iterator<Item = (&str, &str)> {
    q.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, "")))
}

impl Preset {
    /// The parameters of one size (after the common ones, and over them).
    fn sized(&self, size: Size) -> &'static str {
        match size {
            Size::Quick => self.quick,
            Size::Paper => self.paper,
        }
    }

    /// The URL query of this preset at `size` (without `?`), as the gallery links it.
    pub fn query(&self, size: Size) -> String {
        let mut parts = vec![format!("preset={}", self.id)];
        if size == Size::Paper {
            parts.push("size=paper".into());
        }
        for q in [self.common, self.sized(size)] {
            for (k, v) in pairs(q) {
                let kv = format!("{}={}", k, encode(v));
                // A size's value replaces the common one where it stands (a link names a
                // setting once; the page reads the first); axes repeat.
                match parts.iter_mut().find(|p| k != "vary" && p.split_once('=').is_some_and(|(n, _)| n == k)) {
                    Some(p) => *p = kv,
                    None => parts.push(kv),
                }
            }
        }
        parts.join("&")
    }

    /// The settings, axes and lists of this preset at `size`.
    pub fn resolve(&self, size: Size) -> Result<Resolved, SpecError> {
        let bad = |field: &str, message: String| SpecError { field: format!("preset {} {field}", self.id), message };
        let mut r = Resolved::default();
        for (k, v) in pairs(self.common).chain(pairs(self.sized(size))) {
            let count = |v: &str| v.parse::<usize>().map_err(|_| bad(k, format!("expected an integer, got {v:?}")));
            match k {
                "vary" => r.vary.push(v.to_string()),
                "seeds" => r.seeds = Some(count(v)?),
                "gen-seeds" => r.gen_seeds = Some(count(v)?),
                "fresh" => r.fresh = v.split(',').map(str::to_string).collect(),
                "gen-sampler" => r.gen_samplers = v.split(',').map(str::to_string).collect(),
                "view" => {}
                _ if NOT_SETTINGS.contains(&k) => {}
                _ => {
                    if overrides::setting(k).is_none() {
                        return Err(bad(k, "unknown setting".into()));
                    }
                    // A later value (the size's) replaces an earlier one (the common one).
                    r.settings.retain(|(n, _)| n != k);
                    r.settings.push((k.to_string(), v.to_string()));
                }
            }
        }
        Ok(r)
    }

    /// The spec of a run preset (or the base of a study or generations preset).
    pub fn spec(&self, size: Size) -> Result<ExperimentSpec, SpecError> {
        let r = self.resolve(size)?;
        let mut pairs: Vec<(&str, &str)> = r.settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if self.kind == Kind::Generations && !pairs.iter().any(|(k, _)| overrides::is_recursion(k)) {
            pairs.push(("generations", "20"));
        }
        overrides::from_pairs(pairs)
    }
}

impl Preset {
    /// The same experiment as a `collapse-lab` command line (what the gallery command prints).
    pub fn command(&self, size: Size) -> Result<String, SpecError> {
        let r = self.resolve(size)?;
        let cmd = match self.kind {
            Kind::Run => "run",
            Kind::Study => "study",
            Kind::Generations => "generations",
            Kind::Hermite => return Ok("collapse-lab hermite".into()),
        };
        let mut parts = vec![format!("collapse-lab {cmd}")];
        for (k, v) in &r.settings {
            parts.push(if overrides::is_boolean(k) { format!("--{k}={v}") } else { format!("--{k} {v}") });
        }
        parts.extend(r.vary.iter().map(|a| format!("--vary {a}")));
        if !r.fresh.is_empty() {
            parts.push(format!("--fresh {}", r.fresh.join(",")));
        }
        if !r.gen_samplers.is_empty() {
            parts.push(format!("--sampler {}", r.gen_samplers.join(",")));
        }
        if let Some(k) = r.seeds.or(r.gen_seeds) {
            parts.push(format!("--seeds {k}"));
        }
        Ok(parts.join(" "))
    }
}

/// Percent-encodes what a query value cannot hold as it is (`=`, `&`, `%`, `#`, `+`, space).
fn encode(v: &str) -> String {
    let mut out = String::new();
    for c in v.chars() {
        match c {
            '=' => out.push_str("%3D"),
            '&' => out.push_str("%26"),
            '%' => out.push_str("%25"),
            '#' => out.push_str("%23"),
            '+' => out.push_str("%2B"),
            ' ' => out.push_str("%20"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::{self, Axis};

    /// A study's training, summed over its runs: steps x batch x width^2 per net (a split run
    /// trains two nets).
    fn training(plan: &study::Plan) -> f64 {
        let work = |s: &ExperimentSpec| {
            let nets = if s.training.two_model.is_some() { 2 } else { 1 };
            nets as f64 * s.training.iters as f64 * s.training.batch as f64 * (s.model.width * s.model.width) as f64
        };
        plan.runs.iter().map(|r| work(&r.spec)).sum()
    }

    fn quick_plan(p: &Preset) -> study::Plan {
        study::preset_plan(p, Size::Quick).unwrap()
    }

    /// Every preset, at both sizes, is planned by the same code as a link typed by hand: its
    /// settings are valid, its axes form a study, its lists form a generations run.
    #[test]
    fn every_preset_plans_at_both_sizes() {
        let mut ids = std::collections::BTreeSet::new();
        for p in PRESETS {
            assert!(ids.insert(p.id), "duplicate id {}", p.id);
            assert!(!p.look.is_empty() && p.look.ends_with('.'), "{}", p.id);
            for size in [Size::Quick, Size::Paper] {
                let r = p.resolve(size).unwrap_or_else(|e| panic!("{} {size:?}: {e}", p.id));
                let spec = p.spec(size).unwrap_or_else(|e| panic!("{} {size:?}: {e}", p.id));
                match p.kind {
                    Kind::Run | Kind::Hermite => assert!(r.vary.is_empty() && r.fresh.is_empty(), "{}", p.id),
                    Kind::Study => {
                        let axes: Vec<Axis> = r.vary.iter().map(|a| Axis::parse(a).unwrap()).collect();
                        let plan = study::plan(&spec, axes, r.seeds.unwrap_or(3)).unwrap_or_else(|e| panic!("{} {size:?}: {e}", p.id));
                        assert!(plan.runs.len() >= 2, "{}", p.id);
                        if size == Size::Quick {
                            // A quick size of minutes (the see-saw's and the cures') says so in its
                            // note; its training, summed over the runs (a split run trains two nets),
                            // is at most 1.5 times the see-saw's 18 nets (380 s in the page on 2
                            // cores, so under 10 minutes on 4 workers).
                            if p.quick_note.is_empty() {
                                assert!(plan.runs.len() <= 16, "{}: {} runs is not quick", p.id, plan.runs.len());
                            } else {
                                let (total, seesaw) = (training(&plan), training(&quick_plan(preset("fig7-seesaw").unwrap())));
                                assert!(total <= 1.5 * seesaw, "{}: {:.2} times the see-saw's quick training", p.id, total / seesaw);
                            }
                        }
                    }
                    Kind::Generations => {
                        crate::generations::plan(&spec, &r.fresh, &r.gen_samplers, Vec::new(), r.gen_seeds.unwrap_or(1))
                            .unwrap_or_else(|e| panic!("{} {size:?}: {e}", p.id));
                    }
                }
                if size == Size::Quick && p.kind != Kind::Hermite {
                    // Quick: at most a 2 x 256 net for 2000 steps of batch 500 (well under a
                    // minute in the page here; the e2e test runs every one).
                    let work = spec.training.iters as usize * spec.training.batch * spec.model.width * spec.model.width;
                    assert!(spec.sampling.exact_score || work <= 2000 * 500 * 256 * 256, "{}: not quick", p.id);
                    // The see-saw's (minutes): its widest net, 2 x 400 for 6000 steps of batch 500.
                    if !p.quick_note.is_empty() {
                        assert!(p.quick_note.ends_with('.') && p.quick_note.contains("minutes"), "{}", p.id);
                        let r = p.resolve(size).unwrap();
                        let widest = r
                            .vary
                            .iter()
                            .filter_map(|a| a.strip_prefix("width="))
                            .flat_map(|v| v.split(','))
                            .filter_map(|w| w.parse::<usize>().ok())
                            .max()
                            .unwrap_or(spec.model.width);
                        assert!(spec.training.iters as usize * spec.training.batch * widest * widest <= 6000 * 500 * 400 * 400, "{}: more than minutes", p.id);
                    }
                }
            }
        }
        // The paper sizes are the paper's: the see-saw at width 1000 in 10-D, 5 seeds.
        let s = preset("fig7-seesaw").unwrap();
        let spec = s.spec(Size::Paper).unwrap();
        assert_eq!((spec.model.depth, spec.model.width, spec.training.batch, spec.training.iters, spec.dim), (2, 1000, 2000, 10_000, 10));
        assert_eq!(s.resolve(Size::Paper).unwrap().seeds, Some(5));
        assert_eq!(preset("fig2-chessboard").unwrap().spec(Size::Paper).unwrap(), {
            let mut d = ExperimentSpec::default();
            d.sampling.samplers = vec![crate::sample::SamplerKind::Ode, crate::sample::SamplerKind::Sde];
            d
        });
    }

    #[test]
    fn the_path_holds_every_preset_once() {
        let mut ids: Vec<&str> = PATH.iter().flat_map(|s| s.presets.iter().copied()).collect();
        for id in &ids {
            assert!(preset(id).is_some(), "{id} is not a preset");
        }
        ids.sort();
        let mut all: Vec<&str> = PRESETS.iter().map(|p| p.id).collect();
        all.sort();
        assert_eq!(ids, all);
    }

    #[test]
    fn a_query_reads_back_into_the_same_preset() {
        let p = preset("fig7-seesaw").unwrap();
        let q = p.query(Size::Quick);
        assert!(q.starts_with("preset=fig7-seesaw&dataset=mog1d&diagnostics=1&samplers=ode&depth=2"), "{q}");
        assert!(q.contains("vary=width%3D10,100,400&vary=fixed-t%3Dnone,1"), "{q}");
        // No preset names a setting twice in a link (the page would read the first).
        for p in PRESETS {
            for size in [Size::Quick, Size::Paper] {
                let q = p.query(size);
                let keys: Vec<&str> = q.split('&').filter_map(|kv| kv.split('=').next()).filter(|k| *k != "vary").collect();
                let set: std::collections::BTreeSet<&&str> = keys.iter().collect();
                assert_eq!(set.len(), keys.len(), "{} {size:?}: a setting twice in {q}", p.id);
            }
        }
        assert!(p.query(Size::Paper).contains("size=paper"));
        let e = Preset { id: "x", figure: "", title: "", look: "", kind: Kind::Run, common: "colour=red", quick: "", quick_note: "", paper: "" }
            .resolve(Size::Quick)
            .unwrap_err();
        assert_eq!(e.to_string(), "preset x colour: unknown setting");
        assert_eq!(
            p.command(Size::Paper).unwrap(),
            "collapse-lab study --dataset mog-nd --diagnostics=1 --samplers ode --depth 2 --width 1000 --batch 2000 --iters 10000 \
             --vary width=10,50,100,250,500,1000 --vary fixed-t=none,1 --seeds 5"
        );
        assert_eq!(
            preset("rec-fig1").unwrap().command(Size::Paper).unwrap(),
            "collapse-lab generations --dataset mog --generations 20 --gen-size 10000 --fresh 0.1,0.5,0.9 --sampler sde --seeds 3"
        );
    }
}
