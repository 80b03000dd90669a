//! `xvr-worker reconstruct` end to end through the real binary: a tiny trial is trained once
//! (`xvr-worker run`), then applied to experiments stored as 8-bit PNG folders, 16-bit TIFF
//! stacks and HDF5 files, on 1 and 2 ranks, and to a re-simulated sequence; every refusal is
//! checked to happen before anything is written. What is checked is read back from the
//! written files and recomputed here.

mod mpi_support;
mod train_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use xvr_worker::data::level_frame::{BitDepth, LevelFrame};
use xvr_worker::data::sequence::{read_sequence, SequenceFormat, SequenceSource};
use xvr_worker::data::sequence_writer::SequenceLayout;
use xvr_worker::data::{Dataset, PairedVideo};

use train_support::{tiny_trial, write_trial};

/// Frames of the test experiment; HR every 4 LR frames from 0 → HR frames at 0, 4, 8.
const FRAMES: usize = 12;
const EVERY: usize = 4;

/// The trained trial (one for the whole file) and the validation video of its data.
fn trained() -> &'static (PathBuf, PairedVideo) {
    static TRIAL: OnceLock<(PathBuf, PairedVideo)> = OnceLock::new();
    TRIAL.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let mut trial = tiny_trial(150);
        trial.meta.id = "recon".into();
        trial.model.channels = 16;
        trial.data.synthetic.videos = 4;
        trial.data.synthetic.frames = FRAMES;
        trial.data.synthetic.height = 48;
        trial.data.synthetic.width = 48;
        trial.data.hr_gap_max = 2;
        trial.data.b0_exp = [5.0, 7.0];
        trial.train.warmup = 10;
        trial.train.lr = 3e-3;
        trial.train.lr_min = 5e-4;
        trial.train.ema = 0.9;
        trial.train.checkpoint_every = 0;
        write_trial(&dir, &trial);
        let out = Command::new(env!("CARGO_BIN_EXE_xvr-worker"))
            .arg("run")
            .arg(&dir)
            .env("RAYON_NUM_THREADS", "1")
            .output()
            .unwrap();
        assert_ok(&out);
        let video = Dataset::load(&trial.data).unwrap().val.remove(0);
        (dir, video)
    })
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "status {:?}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `frame` ([0, 1]) as levels of `depth`: k/max exactly for the 8-bit frames of the video.
fn to_levels(frame: &xvr_worker::data::Frame, depth: BitDepth) -> LevelFrame {
    let max = f32::from(depth.max_level());
    LevelFrame {
        height: frame.height,
        width: frame.width,
        levels: frame
            .pixels
            .iter()
            .map(|v| (v * max).round() as u16)
            .collect(),
    }
}

/// Writes the video's LR frames and its HR frames at 0, 4, 8 in `format`/`depth` under
/// `dir/{lr,hr}`, returning the two inputs' paths.
fn write_experiment(
    dir: &Path,
    video: &PairedVideo,
    format: SequenceFormat,
    depth: BitDepth,
) -> (PathBuf, PathBuf) {
    let hr: Vec<LevelFrame> = (0..FRAMES)
        .step_by(EVERY)
        .map(|t| to_levels(&video.hr[t], depth))
        .collect();
    let lr: Vec<LevelFrame> = video.lr.iter().map(|f| to_levels(f, depth)).collect();
    let layout = SequenceLayout {
        format,
        depth,
        dataset: Some("/exchange/data".into()),
    };
    let mut paths = Vec::new();
    for (name, frames) in [("lr", &lr), ("hr", &hr)] {
        let out = dir.join(name);
        std::fs::create_dir_all(out.join("frames")).unwrap();
        if layout.one_file_per_frame() {
            for (t, f) in frames.iter().enumerate() {
                layout.write_frame(&layout.frame_path(&out, t), f).unwrap();
            }
            paths.push(out.join("frames"));
        } else {
            layout
                .write_stack(&layout.frame_path(&out, 0), frames)
                .unwrap();
            paths.push(layout.frame_path(&out, 0));
        }
    }
    (paths.remove(0), paths.remove(0))
}

fn worker(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xvr-worker"));
    cmd.arg("reconstruct")
        .args(args)
        .env("RAYON_NUM_THREADS", "1");
    cmd
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// PSNR of two 8-bit images, computed here from its definition.
fn psnr(a: &[u16], b: &[u16]) -> f64 {
    let mse = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    10.0 * (255.0f64 * 255.0 / mse).log10()
}

fn manifest(out: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(out.join("manifest.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "frame",
            "time",
            "lr_frames",
            "hr_frames",
            "hr_times",
            "file",
            "rank",
            "infer_s",
            "psnr_db",
            "ssim",
            "aad",
            "bicubic_psnr_db",
            "bicubic_ssim",
            "bicubic_aad",
            "hr_key"
        ]
    );
    reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("reconstruct.json")).unwrap()).unwrap()
}

#[test]
fn a_png_experiment_is_reconstructed_at_every_lr_frame() {
    let (trial, video) = trained();
    let dir = tempfile::tempdir().unwrap();
    let (lr, hr) = write_experiment(
        dir.path(),
        video,
        SequenceFormat::PngFolder,
        BitDepth::Eight,
    );
    let out = dir.path().join("out");
    let result = worker(&[
        s(trial),
        "--lr",
        s(&lr),
        "--hr",
        s(&hr),
        "--hr-every",
        "4",
        "--lr-fps",
        "50000",
        "--out",
        s(&out),
    ])
    .output()
    .unwrap();
    assert_ok(&result);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("frames/s"), "{stderr}");

    let frames = read_sequence(&SequenceSource::FrameFolder(out.join("frames"))).unwrap();
    assert_eq!(
        (frames.format, frames.depth, frames.frames.len()),
        (SequenceFormat::PngFolder, BitDepth::Eight, FRAMES)
    );
    assert_eq!(frames.size(), (48, 48));

    let rows = manifest(&out);
    assert_eq!(rows.len(), FRAMES);
    // Target 5: LR 4 5 6; HR frames 1 and 2 (taken at LR 4 and 8). Target 0 reflects (2 0 1);
    // the last target has no later HR frame: both are the last one.
    assert_eq!(
        rows[5][..6],
        ["5", "0.0001", "4 5 6", "1 2", "4 8", "frames/00000005.png"]
    );
    assert_eq!(rows[0][2..5], ["2 0 1", "0 1", "0 4"]);
    assert_eq!(rows[11][2..5], ["10 11 9", "2 2", "8 8"]);

    // At the HR times the output is scored against the HR frame: recomputed here from the
    // files. Elsewhere there is no reference.
    for (j, t) in (0..FRAMES).step_by(EVERY).enumerate() {
        let want = to_levels(&video.hr[t], BitDepth::Eight);
        let got = psnr(&frames.frames[t].levels, &want.levels);
        let recorded: f64 = rows[t][8].parse().unwrap();
        assert!(
            (got - recorded).abs() < 1e-6,
            "frame {t}: {got} vs manifest {recorded}"
        );
        eprintln!(
            "HR time {t}: PSNR {got:.2} dB against the HR frame (bicubic {} dB)",
            rows[t][11]
        );
        // Measured: 21.3–22.1 dB after 150 iterations (bicubic 25.1–25.7 dB: a model this small
        // and this briefly trained does not beat it yet; see train_learns.rs for one that does).
        assert!(got > 18.0, "HR frame {j} at time {t}: PSNR {got} dB");
    }
    assert!(rows[5][8].is_empty());
    let sum = summary(&out);
    assert_eq!(
        (
            sum["frames"].as_u64(),
            sum["ranks"].as_u64(),
            sum["bit_depth"].as_u64()
        ),
        (Some(12), Some(1), Some(8))
    );
    assert_eq!(
        (
            sum["format"].as_str(),
            sum["weights"].as_str(),
            sum["mode"].as_str()
        ),
        (Some("png folder"), Some("ema"), Some("measured"))
    );
    assert!(sum["frames_per_s"].as_f64().unwrap() > 0.0);
}

#[test]
#[cfg(feature = "hdf5")] // HDF5 needs the default feature `hdf5`
fn sixteen_bit_stacks_and_hdf5_come_back_in_their_format_and_ranks_agree() {
    let (trial, video) = trained();
    let dir = tempfile::tempdir().unwrap();
    let (lr, hr) = write_experiment(
        dir.path(),
        video,
        SequenceFormat::TiffStack,
        BitDepth::Sixteen,
    );
    let one = dir.path().join("one");
    assert_ok(
        &worker(&[
            s(trial),
            "--lr",
            s(&lr),
            "--hr",
            s(&hr),
            "--hr-every",
            "4",
            "--out",
            s(&one),
        ])
        .output()
        .unwrap(),
    );
    let stack = read_sequence(&SequenceSource::TiffStack(one.join("frames.tif"))).unwrap();
    assert_eq!(
        (stack.format, stack.depth, stack.frames.len()),
        (SequenceFormat::TiffStack, BitDepth::Sixteen, FRAMES)
    );
    assert!(!one.join("parts").exists());
    assert_eq!(manifest(&one)[3][5], "frames.tif[3]");

    let h5 = dir.path().join("h5");
    std::fs::create_dir_all(&h5).unwrap();
    let (lr5, hr5) = write_experiment(&h5, video, SequenceFormat::Hdf5, BitDepth::Sixteen);
    let out5 = dir.path().join("out5");
    assert_ok(
        &worker(&[
            s(trial),
            "--lr",
            s(&lr5),
            "--lr-dataset",
            "/exchange/data",
            "--hr",
            s(&hr5),
            "--hr-dataset",
            "/exchange/data",
            "--hr-every",
            "4",
            "--out",
            s(&out5),
        ])
        .output()
        .unwrap(),
    );
    let file = hdf5::File::open(out5.join("frames.h5")).unwrap();
    let ds = file.dataset("/exchange/data").unwrap();
    assert_eq!(ds.shape(), [FRAMES, 48, 48]);
    let levels: Vec<u16> = ds.read_raw().unwrap();
    // Same inputs, same model, same levels whichever container they travel in.
    let from_stack: Vec<u16> = stack.frames.iter().flat_map(|f| f.levels.clone()).collect();
    assert_eq!(levels, from_stack);

    let Some(mpiexec) = mpi_support::mpiexec_or_skip("sixteen_bit_stacks_on_two_ranks") else {
        return;
    };
    let two = dir.path().join("two");
    let out = Command::new(mpiexec)
        .env("MPIEXEC_TIMEOUT", "300")
        .args([
            "-n",
            "2",
            env!("CARGO_BIN_EXE_xvr-worker"),
            "reconstruct",
            s(trial),
            "--lr",
            s(&lr),
            "--hr",
            s(&hr),
            "--hr-every",
            "4",
            "--out",
            s(&two),
            "--ranks",
            "2",
        ])
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    assert_ok(&out);
    let split = read_sequence(&SequenceSource::TiffStack(two.join("frames.tif"))).unwrap();
    assert_eq!(split.frames, stack.frames);
    let ranks: Vec<String> = manifest(&two).iter().map(|r| r[6].clone()).collect();
    assert_eq!(
        ranks,
        ["0", "1", "0", "1", "0", "1", "0", "1", "0", "1", "0", "1"]
    );
    assert_eq!(summary(&two)["ranks"].as_u64(), Some(2));
}

#[test]
fn a_resimulated_sequence_is_scored_against_every_frame() {
    let (trial, video) = trained();
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference");
    std::fs::create_dir_all(&reference).unwrap();
    let layout = SequenceLayout {
        format: SequenceFormat::PngFolder,
        depth: BitDepth::Eight,
        dataset: None,
    };
    for (t, f) in video.hr.iter().enumerate() {
        layout
            .write_frame(
                &reference.join(format!("{t:08}.png")),
                &to_levels(f, BitDepth::Eight),
            )
            .unwrap();
    }
    let out = dir.path().join("out");
    assert_ok(
        &worker(&[
            s(trial),
            "--sequence",
            s(&reference),
            "--hr-every",
            "4",
            "--out",
            s(&out),
        ])
        .output()
        .unwrap(),
    );
    let rows = manifest(&out);
    assert_eq!(rows.len(), FRAMES);
    assert!(rows.iter().all(|r| !r[8].is_empty() && !r[11].is_empty()));
    // HR on the grid of 4 plus the last frame, as evaluation's inputs.
    assert_eq!(rows[9][4], "8 11");
    let sum = summary(&out);
    assert_eq!(sum["hr_times"], serde_json::json!([0, 4, 8, 11]));
    assert_eq!(sum["mode"].as_str(), Some("resimulated"));
    assert!(sum["lr_psnr_db"].is_null());

    // Test conditions: LR photon noise by b0. More photons, cleaner LR; one seed, one draw.
    let noisy = |b0: &str, name: &str| {
        let out = dir.path().join(name);
        assert_ok(
            &worker(&[
                s(trial),
                "--sequence",
                s(&reference),
                "--hr-every",
                "4",
                "--frames",
                "3",
                "--lr-b0",
                b0,
                "--out",
                s(&out),
            ])
            .output()
            .unwrap(),
        );
        (
            summary(&out)["lr_psnr_db"].as_f64().unwrap(),
            std::fs::read(out.join("frames/00000001.png")).unwrap(),
        )
    };
    let (dim, first) = noisy("30", "b30");
    let (bright, _) = noisy("30000", "b30000");
    let (_, again) = noisy("30", "b30again");
    assert!(
        dim < bright - 10.0,
        "LR PSNR {dim} dB at b0 30, {bright} dB at b0 30000"
    );
    assert_eq!(first, again);
}

/// A reconstruction trial (`xvr-worker run` on a trial.yaml with a `reconstruct` section)
/// on the trained trial: returns its directory after the run, and the run's output.
fn reconstruction_trial(
    dir: &Path,
    change: impl FnOnce(&mut xvr_contract::reconstruct::ReconstructConfig),
) -> (PathBuf, Output) {
    let (trained_dir, _) = trained();
    let trained_trial =
        xvr_contract::trial::TrialConfig::from_yaml_file(&trained_dir.join("trial.yaml")).unwrap();
    let mut section = xvr_contract::reconstruct::ReconstructConfig {
        trained: s(trained_dir).to_string(),
        hr_every: xvr_contract::reconstruct::HrEvery::Frames(EVERY),
        ..Default::default()
    };
    change(&mut section);
    let mut trial = tiny_trial(1);
    trial.meta.id = "condition".into();
    trial.model = trained_trial.model.clone();
    trial.data = trained_trial.data.clone();
    trial.reconstruct = Some(section);
    let trial_dir = dir.join("condition");
    write_trial(&trial_dir, &trial);
    let out = Command::new(env!("CARGO_BIN_EXE_xvr-worker"))
        .arg("run")
        .arg(&trial_dir)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    (trial_dir, out)
}

#[test]
fn a_reconstruction_trial_scores_the_frames_between_hr_frames_at_the_asked_lr_noise() {
    let dir = tempfile::tempdir().unwrap();
    let (trial_dir, out) = reconstruction_trial(dir.path(), |r| r.lr_psnr_db = 30.0);
    assert_ok(&out);
    // The synthetic test video: the trained trial's generator, one video past its set.
    let video = read_sequence(&SequenceSource::at(&trial_dir.join("test_video"), None).unwrap()).unwrap();
    assert_eq!((video.frames.len(), video.depth, video.size()), (FRAMES, BitDepth::Sixteen, (48, 48)));
    let recon = trial_dir.join("reconstruction");
    let rows = manifest(&recon);
    assert_eq!(rows.len(), FRAMES);
    // HR frames at 0, 4, 8 and the last (11): those are key frames, the other 8 are scored.
    let keys: Vec<usize> = rows.iter().filter(|r| r[14] == "true").map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(keys, [0, 4, 8, 11]);
    let mut validation = csv::Reader::from_path(trial_dir.join("validation.csv")).unwrap();
    let scored: Vec<(usize, f64)> = validation
        .deserialize::<xvr_contract::results::ValidationRow>()
        .map(|r| r.unwrap())
        .map(|r| (r.frame, r.psnr_db))
        .collect();
    assert_eq!(scored.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 3, 5, 6, 7, 9, 10]);
    for (frame, psnr) in &scored {
        assert_eq!(rows[*frame][8].parse::<f64>().unwrap(), *psnr, "frame {frame}");
    }
    // summary.json: the mean over the scored frames, recomputed here.
    let summary_json: xvr_contract::results::Summary =
        serde_json::from_slice(&std::fs::read(trial_dir.join("summary.json")).unwrap()).unwrap();
    let mean = scored.iter().map(|r| r.1).sum::<f64>() / scored.len() as f64;
    assert!((summary_json.psnr_db - mean).abs() < 1e-9, "{} vs {mean}", summary_json.psnr_db);
    assert_eq!(summary_json.status, "succeeded");
    // The LR noise: a b0 was found and the LR frames came out at about 30 dB.
    let record = summary(&recon);
    assert!(record["lr_b0"].as_f64().unwrap() > 0.0);
    let lr_psnr = record["lr_psnr_db"].as_f64().unwrap();
    assert!((lr_psnr - 30.0).abs() < 0.5, "LR PSNR {lr_psnr}");

    // Run again (as after a kill before summary.json): the reconstruction starts over, and
    // the same seed gives the same frames.
    let first = std::fs::read(recon.join("frames/00000005.png")).unwrap();
    std::fs::remove_file(trial_dir.join("summary.json")).unwrap();
    let again = Command::new(env!("CARGO_BIN_EXE_xvr-worker")).arg("run").arg(&trial_dir).output().unwrap();
    assert_ok(&again);
    assert_eq!(std::fs::read(recon.join("frames/00000005.png")).unwrap(), first);
}

#[test]
fn first_last_gives_every_frame_the_two_ends_and_a_changed_model_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (trial_dir, out) =
        reconstruction_trial(dir.path(), |r| r.hr_every = xvr_contract::reconstruct::HrEvery::FirstLast);
    assert_ok(&out);
    let rows = manifest(&trial_dir.join("reconstruction"));
    // Every frame between the ends fuses frames 0 and 11; the last is itself the HR frame.
    let last = FRAMES - 1;
    assert!(rows[..last].iter().all(|r| r[4] == format!("0 {last}")), "{rows:?}");
    assert_eq!(rows[last][4], format!("{last} {last}"));

    // The trained trial's model no longer matches the one planned into the trial.
    let yaml = trial_dir.join("trial.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap().replace("channels: 16", "channels: 24");
    std::fs::write(&yaml, text).unwrap();
    std::fs::remove_file(trial_dir.join("summary.json")).unwrap();
    let refused = Command::new(env!("CARGO_BIN_EXE_xvr-worker")).arg("run").arg(&trial_dir).output().unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("re-plan"), "{stderr}");
}

/// Runs a reconstruction that must be refused: exit 2, the message holds every `needle`, and
/// the output folder gets nothing.
fn assert_refused(args: &[&str], out: &Path, needles: &[&str]) {
    let before: Vec<_> = std::fs::read_dir(out)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    let result = worker(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} not in: {stderr}");
    }
    let after: Vec<_> = std::fs::read_dir(out)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    assert_eq!(before, after, "the output folder changed");
}

#[test]
fn bad_experiments_trials_and_output_folders_are_refused_before_any_work() {
    let (trial, video) = trained();
    let dir = tempfile::tempdir().unwrap();
    let (lr, hr) = write_experiment(
        dir.path(),
        video,
        SequenceFormat::PngFolder,
        BitDepth::Eight,
    );
    let out = dir.path().join("out");
    let png = |path: &Path, h: usize, w: usize| {
        std::fs::create_dir_all(path).unwrap();
        let layout = SequenceLayout {
            format: SequenceFormat::PngFolder,
            depth: BitDepth::Eight,
            dataset: None,
        };
        for t in 0..3 {
            layout
                .write_frame(
                    &path.join(format!("{t:08}.png")),
                    &LevelFrame {
                        height: h,
                        width: w,
                        levels: vec![7; h * w],
                    },
                )
                .unwrap();
        }
    };

    // HR size not a multiple of the scale.
    let odd = dir.path().join("odd");
    png(&odd, 46, 48);
    assert_refused(
        &[
            s(trial),
            "--lr",
            s(&lr),
            "--hr",
            s(&odd),
            "--hr-every",
            "4",
            "--out",
            s(&out),
        ],
        &out,
        &["odd", "46x48", "multiples of the scale 4"],
    );
    // LR and HR fields of view that do not match (HR 48×48, LR 12×16).
    let wide = dir.path().join("wide");
    png(&wide, 12, 16);
    assert_refused(
        &[
            s(trial),
            "--lr",
            s(&wide),
            "--hr",
            s(&hr),
            "--hr-every",
            "4",
            "--out",
            s(&out),
        ],
        &out,
        &["wide", "fields of view do not match"],
    );
    // HR frames beyond the LR sequence.
    assert_refused(
        &[
            s(trial),
            "--lr",
            s(&lr),
            "--hr",
            s(&hr),
            "--hr-every",
            "6",
            "--out",
            s(&out),
        ],
        &out,
        &["reach LR frame 12", "--hr-every"],
    );
    // A checkpoint whose model settings differ from the trial's.
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(trial.join("trial.yaml"), other.join("trial.yaml")).unwrap();
    let copy = Command::new("cp")
        .arg("-r")
        .arg(trial.join("checkpoint"))
        .arg(&other)
        .status()
        .unwrap();
    assert!(copy.success());
    let text = std::fs::read_to_string(other.join("trial.yaml")).unwrap();
    std::fs::write(
        other.join("trial.yaml"),
        text.replace("channels: 16", "channels: 32"),
    )
    .unwrap();
    assert_refused(
        &[
            s(&other),
            "--lr",
            s(&lr),
            "--hr",
            s(&hr),
            "--hr-every",
            "4",
            "--out",
            s(&out),
        ],
        &out,
        &["state.json", "differ from the trial's"],
    );
    // An output folder that already holds results.
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("manifest.csv"), "earlier").unwrap();
    assert_refused(
        &[
            s(trial),
            "--lr",
            s(&lr),
            "--hr",
            s(&hr),
            "--hr-every",
            "4",
            "--out",
            s(&out),
        ],
        &out,
        &["already holds files"],
    );
    assert_eq!(
        std::fs::read_to_string(out.join("manifest.csv")).unwrap(),
        "earlier"
    );
}
