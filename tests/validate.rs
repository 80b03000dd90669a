//! `xvr validate` on real spec files: every rule of the spec format has a bad spec under
//! tests/specs/bad/ and must be reported as `file:line:column: message` naming the field,
//! the value and what is allowed.

use std::path::Path;
use std::process::Command;

mod support;

fn validate(spec: &str) -> (bool, String) {
    let out = Command::new(support::xvr_bin())
        .arg("validate")
        .arg(spec)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("xvr runs");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// (file under tests/specs/bad, position, fragments the message must contain).
const BAD: &[(&str, &str, &[&str])] = &[
    (
        "unknown_key.yaml",
        "4:5",
        &["unknown key `base.model.windw`", "did you mean `window`?"],
    ),
    (
        "unknown_axis.yaml",
        "4:5",
        &[
            "unknown axis path `model.windw`",
            "did you mean `model.window`?",
        ],
    ),
    (
        "wrong_type.yaml",
        "4:13",
        &["base.model.window", "`big`", "expected usize"],
    ),
    ("malformed.yaml", "4:6", &["malformed YAML"]),
    (
        "channels_not_divisible.yaml",
        "4:22",
        &["model.channels: 192 is not divisible by model.heads 5"],
    ),
    (
        "window_zero.yaml",
        "4:23",
        &["model.window: 0", "must be >= 1"],
    ),
    (
        "lr_frames_even.yaml",
        "4:16",
        &["model.lr_frames: 4", "must be odd and >= 1"],
    ),
    (
        "lr_frames_zero.yaml",
        "4:26",
        &["model.lr_frames: 0", "must be odd and >= 1"],
    ),
    (
        "fraction_above_one.yaml",
        "4:26",
        &["data.fraction: 1.5", "must be in (0, 1]"],
    ),
    (
        "fraction_zero.yaml",
        "4:21",
        &["data.fraction: 0", "must be in (0, 1]"],
    ),
    (
        "gpus_not_multiple_of_4.yaml",
        "4:25",
        &["resources.gpus: 6", "1, 2 or a multiple of 4 up to 256"],
    ),
    (
        "gpus_above_256.yaml",
        "4:27",
        &["resources.gpus: 512", "1, 2 or a multiple of 4 up to 256"],
    ),
    (
        "walltime_no_queue.yaml",
        "7:38",
        &[
            "resources.walltime",
            "16 node(s) for 04:00:00 fits no queue",
            "small: 10-24 nodes, 00:05:00-03:00:00",
        ],
    ),
    (
        "nodes_no_queue.yaml",
        "5:25",
        &[
            "resources.gpus",
            "4 node(s) for 01:00:00 fits no queue of site two-nodes",
            "small (1-2 nodes",
        ],
    ),
    (
        "queue_override_too_small.yaml",
        "5:12",
        &[
            "resources.queue: queue debug does not accept 4 node(s)",
            "1-2 nodes",
        ],
    ),
    (
        "walltime_format.yaml",
        "4:15",
        &["resources.walltime", "`1h`", "expected HH:MM:SS"],
    ),
    (
        "empty_sweep.yaml",
        "6:10",
        &["empty sweep", "`grid`, `zip` or `variants`"],
    ),
    (
        "duplicate_variant.yaml",
        "6:13",
        &["duplicate variant name `heads1`", "first at line 4"],
    ),
    (
        "zip_unequal.yaml",
        "5:5",
        &[
            "sweep.zip.model.heads: 2 values",
            "sweep.zip.model.window has 3",
        ],
    ),
    (
        "repeats_zero.yaml",
        "5:12",
        &["sweep.repeats", "`0`", "integer >= 1"],
    ),
    (
        "duplicate_trial.yaml",
        "4:20",
        &["two trials resolve to the same config"],
    ),
    // What the worker would refuse after the queue is refused before it (the rules of
    // contract/src/rules.rs, shared with the worker).
    (
        "iterations_zero.yaml",
        "4:29",
        &["train.iterations: 0: must be >= 1"],
    ),
    (
        "total_samples_zero.yaml",
        "4:20",
        &["train.total_samples: 0: must be >= 1"],
    ),
    (
        "lr_negative.yaml",
        "4:16",
        &["train.lr: -0.0001: must be a positive number"],
    ),
    (
        "lr_nan.yaml",
        "3:15",
        &["train.lr: NaN: must be a positive number"],
    ),
    (
        "crop_lr_zero.yaml",
        "4:20",
        &["data.crop_lr: 0: must be >= 1"],
    ),
    (
        "synthetic_videos_zero.yaml",
        "4:29",
        &["data.synthetic.videos: 0: must be more than data.val_videos 4"],
    ),
    (
        "frame_size_not_multiple.yaml",
        "4:25",
        &["data.synthetic.height: 130: must be a positive multiple of 4"],
    ),
    (
        "val_videos_too_many.yaml",
        "3:22",
        &["data.synthetic.videos: 24: must be more than data.val_videos 30"],
    ),
    (
        "mlp_ratio_zero.yaml",
        "4:23",
        &["model.mlp_ratio: 0: must be a positive number"],
    ),
    ("ema_one.yaml", "3:16", &["train.ema: 1: must be in [0, 1)"]),
    (
        "b0_reversed.yaml",
        "3:18",
        &["data.b0_exp: [7, 1]: need finite lo <= hi"],
    ),
    (
        "texture_missing.yaml",
        "4:26",
        &["data.synthetic.texture: /nonexistent/texture.png: no such file"],
    ),
    (
        "png_without_hr_root.yaml",
        "3:18",
        &["data.hr_root: not set, but data.source: png needs"],
    ),
    (
        "hr_root_missing.yaml",
        "3:32",
        &["data.hr_root: /nonexistent/hr: no such directory"],
    ),
    (
        "threads_too_many.yaml",
        "3:33",
        &["resources.threads_per_rank: 100000: must be at most 256"],
    ),
    // Spec niceties.
    (
        "grid_and_zip.yaml",
        "6:5",
        &["sweep.zip.model.window: also a grid axis (line 4)"],
    ),
    ("second_document.yaml", "5:1", &["a second YAML document"]),
    (
        "name_too_long.yaml",
        "1:7",
        &["name: `aaaa", "100 characters; at most 64"],
    ),
    (
        "swapped_letters.yaml",
        "3:3",
        &["unknown key `base.modle`", "did you mean `model`?"],
    ),
    (
        "swapped_letters.yaml",
        "4:1",
        &["unknown key `bsae`", "did you mean `base`?"],
    ),
    (
        "swapped_letters.yaml",
        "6:3",
        &["unknown key `sweep.gird`", "did you mean `grid`?"],
    ),
];

#[test]
fn every_bad_spec_is_refused_at_the_offending_value() {
    let mut failures = Vec::new();
    for (file, pos, fragments) in BAD {
        let path = format!("tests/specs/bad/{file}");
        let (ok, text) = validate(&path);
        let prefix = format!("{path}:{pos}: ");
        let line = text.lines().find(|l| l.starts_with(&prefix));
        match (ok, line) {
            (false, Some(line)) if fragments.iter().all(|f| line.contains(f)) => {}
            _ => failures.push(format!(
                "{file}: exit ok={ok}, expected `{prefix}` with {fragments:?}, got:\n{text}"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_bad_spec_file_is_covered_by_a_case() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/bad");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            BAD.iter().any(|(f, _, _)| *f == name),
            "{name} has no expectation"
        );
    }
}

#[test]
fn a_misspelt_axis_is_reported_alone_not_also_as_an_empty_sweep() {
    let (_, text) = validate("tests/specs/bad/unknown_axis.yaml");
    assert!(!text.contains("empty sweep"), "{text}");
}

#[test]
fn a_missing_file_is_an_error_not_a_panic() {
    let (ok, text) = validate("tests/specs/does-not-exist.yaml");
    assert!(!ok);
    assert!(
        text.contains("does-not-exist.yaml:1:1: cannot read the spec"),
        "{text}"
    );
    assert!(!text.contains("panicked"), "{text}");
}

/// A spec written to a temporary file; validated and planned like any other.
fn spec_file(dir: &Path, name: &str, text: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn a_byte_order_mark_and_a_walltime_in_plain_seconds_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let body = "name: ok\nsweep:\n  grid:\n    model.window: [4]\n";
    let bom = spec_file(dir.path(), "bom.yaml", format!("\u{feff}{body}").as_bytes());
    let (ok, text) = validate(&bom);
    assert!(ok, "{text}");

    let seconds = spec_file(
        dir.path(),
        "seconds.yaml",
        b"name: ok\nbase:\n  resources: {walltime: 5400}\nsweep:\n  grid:\n    model.window: [4]\n",
    );
    let (ok, text) = validate(&seconds);
    assert!(ok, "{text}");
    let out = Command::new(env!("CARGO_BIN_EXE_xvr"))
        .args(["plan", &seconds, "--results"])
        .arg(dir.path().join("results"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let script = std::fs::read_dir(dir.path().join("results/ok/trials"))
        .unwrap()
        .flatten()
        .map(|d| std::fs::read_to_string(d.path().join("job.pbs")).unwrap())
        .next()
        .unwrap();
    // 5400 s = 1 h 30 min.
    assert!(script.contains("#PBS -l walltime=01:30:00"), "{script}");
}
