//! `xvr-analysis predict PLANNED --from results/<measured sweep>`: reads a planned sweep
//! directory (`xvr plan` wrote it; `xvr predict SPEC` writes one to a scratch directory),
//! predicts each planned trial, prints the table and the assumptions, and with `--out DIR`
//! writes prediction.csv and a wall-time plot (PNG and SVG) there.

use super::{predict, BadLink, Prediction, PredictError};
use crate::output_error::OutputError;
use crate::plot::{self, palette, Axis, LegendAt, Mark, Series, XyChart};
use crate::sweep::{group_by, Sweep};
use std::path::{Path, PathBuf};
use xvr_contract::results::names;
use xvr_contract::site::{Link, Links, SiteFacts};

/// What the command line gives.
#[derive(Debug, Clone)]
pub struct Request {
    /// The planned sweep directory.
    pub planned: PathBuf,
    pub from: PathBuf,
    pub out: Option<PathBuf>,
    /// Replace the site profile's figures.
    pub intra_node: Option<Link>,
    pub inter_node: Option<Link>,
}

/// `GB/S,US` → a link; the error names the option and the allowed form.
pub fn parse_link(option: &str, text: &str) -> Result<Link, BadLink> {
    let bad = || BadLink {
        option: option.to_string(),
        text: text.to_string(),
    };
    let (bw, lat) = text.split_once(',').ok_or_else(bad)?;
    let link = Link {
        bandwidth_gb_s: bw.trim().parse().map_err(|_| bad())?,
        latency_us: lat.trim().parse().map_err(|_| bad())?,
    };
    if link.bandwidth_gb_s > 0.0 && link.latency_us >= 0.0 {
        Ok(link)
    } else {
        Err(bad())
    }
}

/// The site facts `xvr plan` recorded in a planned sweep directory.
fn site_facts(planned: &Path) -> Result<SiteFacts, PredictError> {
    let path = planned.join(names::SITE_JSON);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(PredictError::NoSite { planned: planned.to_path_buf() })
        }
        Err(source) => return Err(PredictError::SiteUnreadable { path, source }),
    };
    serde_json::from_str(&text).map_err(|source| PredictError::Site { path, source })
}

/// `xvr-analysis predict`: reads the planned sweep (writing nothing there), predicts it from
/// the measured sweep and reports the prediction.
pub fn predict_and_report(request: &Request) -> Result<(), PredictError> {
    let planned = Sweep::load(&request.planned)?;
    let site = site_facts(&request.planned)?;
    let measured = Sweep::load(&request.from)?;
    let links = match (request.intra_node, request.inter_node, site.links) {
        (Some(intra_node), Some(inter_node), _) => Links {
            intra_node,
            inter_node,
        },
        (intra, inter, Some(l)) => Links {
            intra_node: intra.unwrap_or(l.intra_node),
            inter_node: inter.unwrap_or(l.inter_node),
        },
        _ => {
            return Err(PredictError::NoLinks { site: site.name.clone() })
        }
    };
    let prediction = predict(&planned, &site, &measured, &links)?;
    let table = prediction.table();
    println!(
        "Prediction for sweep {} ({} planned trials) from {}:",
        planned.name,
        planned.trials.len(),
        measured.dir.display()
    );
    print!("{}", table.to_text());
    let total: f64 = prediction.rows.iter().map(|r| r.node_hours).sum();
    let requested: f64 = prediction.rows.iter().map(|r| r.requested_node_hours).sum();
    println!(
        "Predicted {total:.2} node-hours of training for one trial per row; the plan requests {requested:.2} \
         (nodes × walltime)."
    );
    println!("Assumptions:");
    for a in &prediction.assumptions {
        println!("- {a}");
    }
    if let Some(out) = &request.out {
        std::fs::create_dir_all(out)
            .map_err(|source| OutputError::CreateDir { dir: out.clone(), source })?;
        table.write_csv(out)?;
        let figure = plot::save(&chart(&prediction), out, "prediction_wall_time")?;
        println!(
            "wrote {} and {}",
            out.join(format!("{}.csv", table.stem)).display(),
            figure.png.display()
        );
    }
    Ok(())
}

/// Predicted wall time per series on log-log axes, with the measured trials' time per
/// iteration scaled to the planned iterations where they exist.
fn chart(prediction: &Prediction) -> XyChart {
    let mut gpus: Vec<f64> = prediction.rows.iter().map(|r| f64::from(r.gpus)).collect();
    gpus.sort_by(f64::total_cmp);
    gpus.dedup();
    let mut c = XyChart::new(
        "Predicted training wall time vs GPUs (log-log)",
        Axis::log("GPUs").with_value_ticks(&gpus),
        Axis::log("training wall time (s)"),
    );
    let series = group_by(&prediction.rows, |r| (r.series.clone(), r.batch_per_gpu));
    let several = series.len() > 1;
    for (k, ((name, batch), rows)) in series.iter().enumerate() {
        let label = if several {
            format!("{name}, batch {batch}")
        } else {
            String::new()
        };
        let colour = palette::nth(k);
        let predicted = rows.iter().map(|r| (f64::from(r.gpus), r.wall_s)).collect();
        c.series.push(Series::new(
            format!("predicted {label}").trim_end(),
            predicted,
            Mark::LinePoints,
            colour,
        ));
        let measured: Vec<(f64, f64)> = rows
            .iter()
            .filter_map(|r| {
                Some((
                    f64::from(r.gpus),
                    r.measured.as_ref()?.0 * r.iterations as f64,
                ))
            })
            .collect();
        if !measured.is_empty() {
            c.series.push(Series::new(
                format!("measured {label}").trim_end(),
                measured,
                Mark::Ring,
                colour,
            ));
        }
    }
    c.legend = LegendAt::UpperRight;
    c
}
