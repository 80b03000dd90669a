//! index.html: one self-contained page (styles inline, PNGs embedded as data URIs) with
//! every section's notes, tables and figures, and links to the CSV/PNG/SVG files beside it.

use crate::output_error::OutputError;
use super::base64;
use super::Section;
use crate::sweep::Sweep;
use crate::table::Table;
use std::fmt::Write;

/// Minimal HTML escaping for text and attribute values.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;max-width:1400px;color:#222}\
table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:0.9em}\
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f0f0f0}\
td.t{text-align:left}figure{display:inline-block;margin:0.5em;vertical-align:top}\
figure img{width:640px;max-width:100%;border:1px solid #ddd}figcaption{font-size:0.85em}\
.note{margin:0.3em 0}nav a{margin-right:1em}";

pub fn page(sweep: &Sweep, sections: &[Section]) -> Result<String, OutputError> {
    let mut h = String::new();
    let title = format!("xvr report: {}", sweep.name);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n<nav>",
        esc(&title),
        esc(&title)
    );
    for s in sections {
        let _ = write!(h, "<a href=\"#{}\">{}</a>", esc(&s.id), esc(&s.title));
    }
    h.push_str("</nav>\n");
    for s in sections {
        let _ = writeln!(
            h,
            "<section id=\"{}\"><h2>{}</h2>",
            esc(&s.id),
            esc(&s.title)
        );
        for note in &s.notes {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(note));
        }
        for t in &s.tables {
            table(&mut h, t);
        }
        for f in &s.figures {
            let png = std::fs::read(&f.png)
                .map_err(|source| OutputError::File { path: f.png.clone(), source })?;
            let name = |p: &std::path::Path| {
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            };
            let _ = writeln!(
                h,
                "<figure><img alt=\"{}\" src=\"data:image/png;base64,{}\"><figcaption>{} — <a href=\"{}\">PNG</a> <a href=\"{}\">SVG</a></figcaption></figure>",
                esc(&f.title),
                base64::encode(&png),
                esc(&f.title),
                esc(&name(&f.png)),
                esc(&name(&f.svg))
            );
        }
        h.push_str("</section>\n");
    }
    h.push_str("</body></html>\n");
    Ok(h)
}

fn table(h: &mut String, t: &Table) {
    let _ = write!(
        h,
        "<h3>{} <small>(<a href=\"{}.csv\">{}.csv</a>)</small></h3>\n<table><tr>",
        esc(&t.title),
        esc(&t.stem),
        esc(&t.stem)
    );
    for c in &t.columns {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr>\n");
    for row in &t.rows {
        h.push_str("<tr>");
        for cell in row {
            let class = if matches!(cell, crate::table::Cell::Text(_)) {
                " class=\"t\""
            } else {
                ""
            };
            let _ = write!(h, "<td{class}>{}</td>", esc(&cell.display()));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}
