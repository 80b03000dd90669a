//! Choosing the final configuration. Rule (default, documented in `--help`): among the
//! configurations whose inference time per frame is within the budget, take the highest
//! validation PSNR; configurations within `tie_db` of the best count as tied and the
//! cheapest of them wins (fewest FLOPs per sample, then fewest parameters, then fastest).
//! Repeats of one configuration are averaged first (only repeats: two GPU counts are two
//! configurations). What is chosen are the model, data and training settings of the winner;
//! its resources (GPU count, walltime, queue) are not hyperparameters of quality and
//! selected.yaml keeps the sweep's base resources. The Pareto front of PSNR vs inference
//! time is reported and plotted with the choice marked.

use crate::output_error::OutputError;
use super::quality::{trial_quality, TrialQuality};
use super::{selected_spec, FinalRun, Section};
use crate::plot::{self, palette, Axis, Guide, LegendAt, Mark, Series, XyChart};
use crate::stats::mean;
use crate::sweep::{group_by, Sweep};
use crate::table::{Cell, Table};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Largest accepted inference time per frame (s); `None` = no limit.
    pub budget_s_per_frame: Option<f64>,
    /// PSNR difference (dB) within which configurations are tied.
    pub tie_db: f64,
}

impl Rule {
    pub fn describe(&self) -> String {
        let budget = match self.budget_s_per_frame {
            Some(b) => format!("inference time per frame ≤ {b} s"),
            None => "any inference time (no budget given)".into(),
        };
        format!(
            "highest mean validation PSNR among configurations with {budget}; configurations within {} dB of the best \
             are tied and the cheapest wins (fewest FLOPs per sample, then fewest parameters, then fastest inference)",
            self.tie_db
        )
    }
}

/// One configuration: its repeats averaged.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub config: String,
    /// The model, data and training settings of the configuration: what the selection chooses.
    pub hyperparameters: String,
    pub trials: Vec<String>,
    pub psnr_db: f64,
    pub infer_s: f64,
    pub params: u64,
    pub flops: u64,
}

/// Index of the chosen candidate under `rule`, if any is within budget.
pub fn choose(candidates: &[Candidate], rule: &Rule) -> Option<usize> {
    let within: Vec<usize> = (0..candidates.len())
        .filter(|&i| {
            rule.budget_s_per_frame
                .is_none_or(|b| candidates[i].infer_s <= b)
        })
        .collect();
    let best = within
        .iter()
        .map(|&i| candidates[i].psnr_db)
        .fold(f64::NEG_INFINITY, f64::max);
    within
        .into_iter()
        .filter(|&i| candidates[i].psnr_db >= best - rule.tie_db)
        .min_by(|&a, &b| {
            let (x, y) = (&candidates[a], &candidates[b]);
            x.flops
                .cmp(&y.flops)
                .then(x.params.cmp(&y.params))
                .then(x.infer_s.total_cmp(&y.infer_s))
        })
}

/// Whether each candidate is on the Pareto front (no other is at least as fast and at
/// least as accurate, and strictly better in one).
pub fn pareto_front(candidates: &[Candidate]) -> Vec<bool> {
    candidates
        .iter()
        .map(|c| {
            !candidates.iter().any(|o| {
                o.infer_s <= c.infer_s
                    && o.psnr_db >= c.psnr_db
                    && (o.infer_s < c.infer_s || o.psnr_db > c.psnr_db)
            })
        })
        .collect()
}

fn candidates<'a>(
    sweep: &Sweep,
    qualities: &[TrialQuality<'a>],
) -> Vec<(Candidate, &'a crate::sweep::Trial)> {
    let resources = sweep.resource_axes();
    group_by(qualities, |q| sweep.config_label(q.trial))
        .into_iter()
        .filter_map(|(config, group)| {
            let first = group.first()?;
            let candidate = Candidate {
                trials: group.iter().map(|q| q.trial.id.clone()).collect(),
                psnr_db: mean(&group.iter().map(|q| q.metrics.psnr_db).collect::<Vec<_>>())?,
                infer_s: mean(&group.iter().map(|q| q.metrics.infer_s).collect::<Vec<_>>())?,
                params: first.params,
                flops: first.flops,
                hyperparameters: sweep.config_of(first.trial, &resources).label(),
                config,
            };
            Some((candidate, first.trial))
        })
        .collect()
}

/// What the resources of a trial did to its training: GPU count, iterations, global batch.
fn training_shape(trial: &crate::sweep::Trial) -> (Option<u32>, Option<u64>, Option<u64>) {
    let gpus = trial.gpus();
    let iterations = trial.summary.as_ref().map(|s| s.iterations);
    let global = trial
        .batch_per_gpu()
        .zip(gpus)
        .map(|(b, g)| b as u64 * u64::from(g));
    (gpus, iterations, global)
}

/// The section and, when something was chosen, the path of selected.yaml.
pub fn section(
    sweep: &Sweep,
    rule: &Rule,
    run: &FinalRun,
    out: &Path,
) -> Result<(Section, Option<PathBuf>), OutputError> {
    let mut s = Section::new("selection", "Selection of the final configuration");
    s.notes.push(format!("Rule: {}.", rule.describe()));
    // A trial whose summary.json disagrees with its validation.csv has numbers nobody can
    // vouch for: never a candidate.
    let (qualities, disputed): (Vec<TrialQuality>, Vec<TrialQuality>) = sweep
        .complete()
        .filter_map(trial_quality)
        .partition(|q| q.trial.mismatches.is_empty());
    for q in &disputed {
        s.notes.push(format!(
            "Trial {} left out: {}.",
            q.trial.id,
            q.trial.mismatches.join("; ")
        ));
    }
    let found = candidates(sweep, &qualities);
    let (cands, trials): (Vec<Candidate>, Vec<_>) = found.into_iter().unzip();
    let chosen = choose(&cands, rule);
    let front = pareto_front(&cands);
    let mut table = Table::new(
        "selection",
        "Candidates (repeats averaged)",
        &[
            "config",
            "hyperparameters",
            "gpus",
            "iterations",
            "global_batch",
            "trials",
            "psnr_db",
            "infer_s_per_frame",
            "params",
            "flops_per_sample",
            "within_budget",
            "pareto_front",
            "selected",
        ],
    );
    for (i, c) in cands.iter().enumerate() {
        let yes_no = |b: bool| Cell::text(if b { "yes" } else { "no" });
        let (gpus, iterations, global) = training_shape(trials[i]);
        table.push(vec![
            Cell::text(&c.config),
            Cell::text(&c.hyperparameters),
            Cell::opt(gpus.map(f64::from)),
            Cell::opt(iterations.map(|x| x as f64)),
            Cell::opt(global.map(|x| x as f64)),
            Cell::text(c.trials.join(" ")),
            Cell::Num(c.psnr_db),
            Cell::Num(c.infer_s),
            Cell::from(c.params),
            Cell::from(c.flops),
            yes_no(rule.budget_s_per_frame.is_none_or(|b| c.infer_s <= b)),
            yes_no(front[i]),
            yes_no(chosen == Some(i)),
        ]);
    }
    s.tables.push(table);
    let Some(k) = chosen else {
        s.notes.push(if cands.is_empty() {
            "No completed trial: nothing to select.".into()
        } else {
            "No configuration is within the inference-time budget: nothing selected.".into()
        });
        return Ok((s, None));
    };
    let incomplete = sweep.trials.iter().filter(|t| !t.is_complete()).count();
    if incomplete > 0 {
        s.notes.push(format!(
            "Chosen among completed trials only; {incomplete} trial(s) are not complete."
        ));
    }
    let pick = &cands[k];
    s.notes.push(format!(
        "Selected: {} (trial {}): PSNR {:.3} dB, {:.4} s per frame, {} parameters, {} FLOPs per sample.",
        pick.config, trials[k].id, pick.psnr_db, pick.infer_s, pick.params, pick.flops
    ));
    let resources = sweep.resource_axes();
    if !resources.is_empty() {
        let (gpus, iterations, global) = training_shape(trials[k]);
        let text = |x: Option<u64>| x.map_or("?".to_string(), |v| v.to_string());
        s.notes.push(format!(
            "The choice is of hyperparameters: {}. The sweep also varies {}, which are not hyperparameters of \
             quality: they change the iterations and the global batch (the pick was measured on {} GPUs, {} \
             iterations, global batch {}). selected.yaml keeps the sweep's base resources; change them with \
             --final-set resources.PATH=VALUE.",
            pick.hyperparameters,
            resources.join(", "),
            text(gpus.map(u64::from)),
            text(iterations),
            text(global)
        ));
    }
    s.figures.push(plot::save(
        &pareto_chart(&cands, &front, k, rule),
        out,
        "selection_pareto",
    )?);
    let Some(config) = &trials[k].config else {
        s.notes.push(format!(
            "Trial {} has no trial.yaml: selected.yaml not written.",
            trials[k].id
        ));
        return Ok((s, None));
    };
    let header = format!(
        "Written by xvr-analysis from results/{}/.\nRule: {}.\nSelected: {} (trial {}), PSNR {:.3} dB, {:.4} s per frame.",
        sweep.name,
        rule.describe(),
        pick.config,
        trials[k].id,
        pick.psnr_db,
        pick.infer_s
    );
    let path = selected_spec::write(sweep, config, run, &header, out)?;
    s.notes.push(
        "selected.yaml: a sweep spec for the final run (plan it with `xvr plan selected.yaml`)."
            .into(),
    );
    Ok((s, Some(path)))
}

fn pareto_chart(cands: &[Candidate], front: &[bool], chosen: usize, rule: &Rule) -> XyChart {
    let ms = |c: &Candidate| 1e3 * c.infer_s;
    let mut chart = XyChart::new(
        "Validation PSNR vs inference time (Pareto front)",
        Axis::linear("inference time per frame (ms)"),
        Axis::linear("validation PSNR (dB)"),
    );
    let all = cands.iter().map(|c| (ms(c), c.psnr_db)).collect();
    let mut on_front: Vec<(f64, f64)> = cands
        .iter()
        .zip(front)
        .filter(|(_, f)| **f)
        .map(|(c, _)| (ms(c), c.psnr_db))
        .collect();
    on_front.sort_by(|a, b| a.0.total_cmp(&b.0));
    chart.series.push(Series::new(
        "Pareto front",
        on_front,
        Mark::Line,
        palette::ORANGE,
    ));
    chart.series.push(Series::new(
        "configurations",
        all,
        Mark::Points,
        palette::BLUE,
    ));
    let pick = &cands[chosen];
    chart.series.push(Series::new(
        &format!("selected: {}", pick.config),
        vec![(ms(pick), pick.psnr_db)],
        Mark::Ring,
        palette::VERMILLION,
    ));
    chart.point_labels = cands
        .iter()
        .map(|c| (ms(c), c.psnr_db, c.config.clone()))
        .collect();
    if let Some(b) = rule.budget_s_per_frame {
        chart.v_guides.push(Guide {
            name: format!("budget {} ms", 1e3 * b),
            value: 1e3 * b,
            color: palette::GREY,
        });
    }
    chart.legend = LegendAt::UpperRight;
    chart
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(config: &str, psnr_db: f64, infer_s: f64, flops: u64) -> Candidate {
        Candidate {
            config: config.into(),
            hyperparameters: config.into(),
            trials: vec![],
            psnr_db,
            infer_s,
            params: flops / 1000,
            flops,
        }
    }

    #[test]
    fn tie_tolerance_lets_a_cheaper_model_win() {
        let cands = [
            c("big", 35.00, 0.06, 200),
            c("small", 34.96, 0.03, 100),
            c("tiny", 33.0, 0.01, 10),
        ];
        let exact = Rule {
            budget_s_per_frame: None,
            tie_db: 0.0,
        };
        assert_eq!(choose(&cands, &exact), Some(0));
        // 0.04 dB apart: tied at 0.05 dB tolerance, and "small" has half the FLOPs.
        let loose = Rule {
            budget_s_per_frame: None,
            tie_db: 0.05,
        };
        assert_eq!(choose(&cands, &loose), Some(1));
        let budget = Rule {
            budget_s_per_frame: Some(0.02),
            tie_db: 0.0,
        };
        assert_eq!(choose(&cands, &budget), Some(2));
        let impossible = Rule {
            budget_s_per_frame: Some(0.001),
            tie_db: 0.0,
        };
        assert_eq!(choose(&cands, &impossible), None);
    }

    #[test]
    fn pareto_front_excludes_dominated_points_only() {
        // "slow" is slower than "big" and no better; "same" equals "big" exactly (neither dominates).
        let cands = [
            c("big", 35.0, 0.06, 1),
            c("small", 34.0, 0.03, 1),
            c("slow", 34.5, 0.08, 1),
            c("same", 35.0, 0.06, 1),
        ];
        assert_eq!(pareto_front(&cands), vec![true, true, false, true]);
    }
}
