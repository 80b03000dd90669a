//! The paper's test conditions (Figs. 8 and 9) from a sweep of reconstruction trials:
//! per condition (HR frame separation δ, LR PSNR) the per-frame PSNR, SSIM and AAD of the
//! model and of bicubic up-sampling, as a table and as two box-plot figures — quality
//! against the LR PSNR at one δ, and against δ at one LR PSNR (docs/reconstruction.md#
//! test-conditions).

use std::collections::BTreeMap;
use std::path::Path;

use super::Section;
use crate::output_error::OutputError;
use crate::plot::{self, palette, BoxChart, BoxPanel, BoxSeries};
use crate::stats::{mean, median};
use crate::sweep::{Sweep, Trial};
use crate::table::{Cell, Table};
use xvr_contract::reconstruct::HrEvery;
use xvr_contract::results::ValidationRow;

/// The δ whose LR-PSNR study the paper shows (its headline ×20 in time).
const PAPER_HR_EVERY: HrEvery = HrEvery::Frames(20);

/// One test condition: δ and the target LR PSNR (∞ = noise-free).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Condition {
    hr_every: HrEvery,
    lr_psnr_db: f64,
}

/// Ordering keys: δ ascending with `first_last` last; LR PSNR ascending with ∞ last.
fn hr_key(h: HrEvery) -> (u8, usize) {
    match h {
        HrEvery::Frames(d) => (0, d),
        HrEvery::FirstLast => (1, 0),
    }
}

fn hr_label(h: HrEvery) -> String {
    match h {
        HrEvery::Frames(d) => d.to_string(),
        HrEvery::FirstLast => "first+last".into(),
    }
}

fn lr_label(db: f64) -> String {
    if db.is_finite() {
        format!("{} dB", crate::table::format_significant(db, 3))
    } else {
        "∞ (no noise)".into()
    }
}

/// The frames scored under one condition (pooled over the trials that ran it, e.g. noise
/// seeds) and what the reconstruction recorded about its noise.
#[derive(Debug, Default)]
struct Scored<'a> {
    rows: Vec<&'a ValidationRow>,
    trials: Vec<&'a str>,
    lr_b0: Vec<f64>,
    lr_psnr_measured: Vec<f64>,
}

/// Whether the sweep is made of reconstruction trials.
pub fn applies(sweep: &Sweep) -> bool {
    sweep.trials.iter().any(Trial::is_reconstruction)
}

pub fn section(sweep: &Sweep, out: &Path) -> Result<Section, OutputError> {
    let mut s = Section::new("test_conditions", "Test conditions (paper Figs. 8 and 9)");
    let mut by_condition: Vec<(Condition, Scored)> = Vec::new();
    for t in sweep.complete().filter(|t| t.is_reconstruction()) {
        let (Some(config), Some(rows)) = (t.config.as_ref(), t.validation.as_ref()) else {
            continue;
        };
        let r = config.reconstruct.as_ref().expect("filtered");
        let c = Condition {
            hr_every: r.hr_every,
            lr_psnr_db: r.lr_psnr_db,
        };
        let i = match by_condition.iter().position(|(k, _)| *k == c) {
            Some(i) => i,
            None => {
                by_condition.push((c, Scored::default()));
                by_condition.len() - 1
            }
        };
        let scored = &mut by_condition[i].1;
        scored.rows.extend(rows.iter());
        scored.trials.push(&t.id);
        if let Some(run) = &t.reconstruction {
            scored.lr_b0.extend(run.lr_b0);
            scored.lr_psnr_measured.extend(run.lr_psnr_db);
        }
    }
    by_condition.sort_by(|(a, _), (b, _)| {
        hr_key(a.hr_every)
            .cmp(&hr_key(b.hr_every))
            .then(a.lr_psnr_db.total_cmp(&b.lr_psnr_db))
    });
    s.notes.push(format!(
        "{} condition(s) from {} finished reconstruction trial(s). Scores are per frame against the re-simulated truth, over the frames between HR frames (a frame whose HR image was itself an input is left out); bicubic up-samples the (noisy) LR frame. Boxes: quartiles and median; whiskers: the furthest frames within 1.5 interquartile ranges; dots: frames beyond.",
        by_condition.len(),
        by_condition.iter().map(|(_, s)| s.trials.len()).sum::<usize>()
    ));
    if by_condition.is_empty() {
        s.notes
            .push("No reconstruction trial has finished yet: nothing to show.".into());
        return Ok(s);
    }
    s.tables.push(table(&by_condition));
    let noise_slice = slice_hr_every(&by_condition);
    let along_noise: Vec<&(Condition, Scored)> = by_condition
        .iter()
        .filter(|(c, _)| c.hr_every == noise_slice)
        .collect();
    let separation_slice = slice_lr_psnr(&by_condition);
    let along_separation: Vec<&(Condition, Scored)> = by_condition
        .iter()
        .filter(|(c, _)| c.lr_psnr_db.total_cmp(&separation_slice).is_eq())
        .collect();
    for (stem, title, x_label, conditions, label) in [
        (
            "test_lr_psnr",
            format!(
                "Quality against LR noise, HR frame separation {} (paper Fig. 8)",
                hr_label(noise_slice)
            ),
            "LR PSNR of the noisy input",
            along_noise,
            (|c: &Condition| lr_label(c.lr_psnr_db)) as fn(&Condition) -> String,
        ),
        (
            "test_hr_separation",
            format!(
                "Quality against HR frame separation, LR {} (paper Fig. 9)",
                lr_label(separation_slice)
            ),
            "HR frame separation δ (LR frames)",
            along_separation,
            |c: &Condition| hr_label(c.hr_every),
        ),
    ] {
        if conditions.len() < 2 {
            s.notes.push(format!(
                "{title}: fewer than two conditions in the sweep; no figure."
            ));
            continue;
        }
        s.figures.push(plot::save(
            &figure(&title, x_label, &conditions, label),
            out,
            stem,
        )?);
    }
    Ok(s)
}

/// The δ of the LR-noise figure: the one run at the most LR PSNRs; on a tie the paper's 20,
/// else the smallest.
fn slice_hr_every(conditions: &[(Condition, Scored)]) -> HrEvery {
    let mut counts: BTreeMap<(u8, usize), (HrEvery, usize)> = BTreeMap::new();
    for (c, _) in conditions {
        counts
            .entry(hr_key(c.hr_every))
            .or_insert((c.hr_every, 0))
            .1 += 1;
    }
    let most = counts.values().map(|(_, n)| *n).max().unwrap_or(0);
    let tied: Vec<HrEvery> = counts
        .values()
        .filter(|(_, n)| *n == most)
        .map(|(h, _)| *h)
        .collect();
    if tied.contains(&PAPER_HR_EVERY) {
        PAPER_HR_EVERY
    } else {
        tied[0]
    }
}

/// The LR PSNR of the separation figure: the one run at the most δs; on a tie the highest
/// (noise-free first).
fn slice_lr_psnr(conditions: &[(Condition, Scored)]) -> f64 {
    let mut counts: Vec<(f64, usize)> = Vec::new();
    for (c, _) in conditions {
        match counts
            .iter_mut()
            .find(|(db, _)| db.total_cmp(&c.lr_psnr_db).is_eq())
        {
            Some(entry) => entry.1 += 1,
            None => counts.push((c.lr_psnr_db, 1)),
        }
    }
    let most = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
    counts
        .iter()
        .filter(|(_, n)| *n == most)
        .map(|(db, _)| *db)
        .fold(f64::NEG_INFINITY, f64::max)
}

fn table(conditions: &[(Condition, Scored)]) -> Table {
    let mut table = Table::new(
        "test_conditions",
        "Per condition: medians (and means) over the scored frames",
        &[
            "hr_every",
            "lr_psnr_target_db",
            "lr_b0",
            "lr_psnr_measured_db",
            "frames",
            "psnr_median_db",
            "bicubic_psnr_median_db",
            "psnr_mean_db",
            "bicubic_psnr_mean_db",
            "ssim_median",
            "bicubic_ssim_median",
            "aad_median",
            "bicubic_aad_median",
            "trials",
        ],
    );
    for (c, scored) in conditions {
        let of = |metric: fn(&ValidationRow) -> f64| -> Vec<f64> {
            scored.rows.iter().map(|r| metric(r)).collect()
        };
        table.push(vec![
            Cell::text(c.hr_every.to_string()),
            if c.lr_psnr_db.is_finite() {
                Cell::from(c.lr_psnr_db)
            } else {
                Cell::text("inf")
            },
            Cell::opt(mean(&scored.lr_b0)),
            Cell::opt(mean(&scored.lr_psnr_measured)),
            Cell::from(scored.rows.len() as u64),
            Cell::opt(median(&of(|r| r.psnr_db))),
            Cell::opt(median(&of(|r| r.bicubic_psnr_db))),
            Cell::opt(mean(&of(|r| r.psnr_db))),
            Cell::opt(mean(&of(|r| r.bicubic_psnr_db))),
            Cell::opt(median(&of(|r| r.ssim))),
            Cell::opt(median(&of(|r| r.bicubic_ssim))),
            Cell::opt(median(&of(|r| r.aad))),
            Cell::opt(median(&of(|r| r.bicubic_aad))),
            Cell::text(scored.trials.join(" ")),
        ]);
    }
    table
}

fn figure(
    title: &str,
    x_label: &str,
    conditions: &[&(Condition, Scored)],
    label: fn(&Condition) -> String,
) -> BoxChart {
    let panel =
        |y_label: &str, model: fn(&ValidationRow) -> f64, bicubic: fn(&ValidationRow) -> f64| {
            let samples = |metric: fn(&ValidationRow) -> f64| -> Vec<Vec<f64>> {
                conditions
                    .iter()
                    .map(|(_, s)| s.rows.iter().map(|r| metric(r)).collect())
                    .collect()
            };
            BoxPanel {
                y_label: y_label.into(),
                series: vec![
                    BoxSeries {
                        name: "SWIN-XVR".into(),
                        samples: samples(model),
                        color: palette::BLUE,
                    },
                    BoxSeries {
                        name: "bicubic".into(),
                        samples: samples(bicubic),
                        color: palette::ORANGE,
                    },
                ],
            }
        };
    BoxChart {
        title: title.into(),
        x_label: x_label.into(),
        categories: conditions.iter().map(|(c, _)| label(c)).collect(),
        panels: vec![
            panel("PSNR (dB)", |r| r.psnr_db, |r| r.bicubic_psnr_db),
            panel("SSIM", |r| r.ssim, |r| r.bicubic_ssim),
            panel("AAD (grey levels)", |r| r.aad, |r| r.bicubic_aad),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conditions(list: &[(HrEvery, f64)]) -> Vec<(Condition, Scored<'static>)> {
        list.iter()
            .map(|&(hr_every, lr_psnr_db)| {
                (
                    Condition {
                        hr_every,
                        lr_psnr_db,
                    },
                    Scored::default(),
                )
            })
            .collect()
    }

    #[test]
    fn the_figures_slice_where_the_sweep_varies_the_other_axis() {
        let inf = f64::INFINITY;
        let (d2, d20, ends) = (HrEvery::Frames(2), HrEvery::Frames(20), HrEvery::FirstLast);
        // The paper's two one-axis studies: noise at δ 20, separations without noise.
        let paper = conditions(&[(d20, 20.0), (d20, 40.0), (d20, inf), (d2, inf), (ends, inf)]);
        assert_eq!(slice_hr_every(&paper), d20);
        assert_eq!(slice_lr_psnr(&paper), inf);
        // A full grid ties everywhere: δ 20 and no noise, as in the paper.
        let grid = conditions(&[(d2, 30.0), (d2, inf), (d20, 30.0), (d20, inf)]);
        assert_eq!((slice_hr_every(&grid), slice_lr_psnr(&grid)), (d20, inf));
        // Without δ 20: the smallest δ; without ∞: the highest PSNR.
        let other = conditions(&[(ends, 30.0), (d2, 30.0), (d2, 50.0), (ends, 50.0)]);
        assert_eq!((slice_hr_every(&other), slice_lr_psnr(&other)), (d2, 50.0));
    }

    #[test]
    fn labels_order_first_last_and_no_noise_last() {
        let mut hs = [HrEvery::FirstLast, HrEvery::Frames(450), HrEvery::Frames(2)];
        hs.sort_by_key(|h| hr_key(*h));
        assert_eq!(hs.map(hr_label), ["2", "450", "first+last"]);
        assert_eq!(lr_label(30.0), "30 dB");
        assert!(lr_label(f64::INFINITY).starts_with('∞'));
    }
}
