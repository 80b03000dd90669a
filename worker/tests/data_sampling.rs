//! Training samples, the sharded sampler, data selection and validation inputs.

use std::collections::BTreeSet;
use std::sync::Arc;

use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;
use xvr_contract::trial::{DataConfig, SyntheticConfig};
use xvr_worker::data::dihedral::Dihedral;
use xvr_worker::data::eval_input::{hr_grid_frames, reflection_circle_frames};
use xvr_worker::data::sample::draw_sample;
use xvr_worker::data::selection::kept_training_videos;
use xvr_worker::data::{
    eval_frames, eval_input, Dataset, Frame, PairedVideo, SampleParams, SamplerState, TrainSampler,
};

const HR_H: usize = 32;
const HR_W: usize = 48;
const FRAMES: usize = 30;

/// HR pixel (t, y, x) holds (t·H·W + y·W + x) / 2^16 and LR pixel (t, y, x) holds
/// (t·h·w + y·w + x + 0.5) / 2^16, so every value says where it came from.
fn coordinate_video(name: &str) -> PairedVideo {
    let hr = (0..FRAMES).map(|t| {
        Frame::from_fn(HR_H, HR_W, |y, x| {
            ((t * HR_H + y) * HR_W + x) as f32 / 65536.0
        })
    });
    let (h, w) = (HR_H / 4, HR_W / 4);
    let lr = (0..FRAMES)
        .map(|t| Frame::from_fn(h, w, |y, x| (((t * h + y) * w + x) as f32 + 0.5) / 65536.0));
    PairedVideo::new(name, hr.collect(), lr.collect()).unwrap()
}

fn decode_hr(v: f32) -> (usize, usize, usize) {
    let i = (v * 65536.0).round() as usize;
    (i / (HR_H * HR_W), i / HR_W % HR_H, i % HR_W)
}

fn decode_lr(v: f32) -> (usize, usize, usize) {
    let (h, w) = (HR_H / 4, HR_W / 4);
    let i = (v * 65536.0 - 0.5).round() as usize;
    (i / (h * w), i / w % h, i % w)
}

fn params(crop: usize, b0_exp: [f64; 2]) -> SampleParams {
    let data = DataConfig {
        crop_lr: crop,
        b0_exp,
        ..Default::default()
    };
    SampleParams::new(&data, 3)
}

#[test]
fn dihedral_transforms_match_hand_made_2x3_cases() {
    let f = Frame::from_fn(2, 3, |y, x| (3 * y + x + 1) as f32); // [[1,2,3],[4,5,6]]
    let d = |hflip, vflip, transpose| {
        Dihedral {
            hflip,
            vflip,
            transpose,
        }
        .apply(&f)
    };
    assert_eq!(d(true, false, false).pixels, vec![3., 2., 1., 6., 5., 4.]);
    assert_eq!(d(false, true, false).pixels, vec![4., 5., 6., 1., 2., 3.]);
    let t = d(false, false, true);
    assert_eq!(
        (t.height, t.width, t.pixels),
        (3, 2, vec![1., 4., 2., 5., 3., 6.])
    );
    // hflip → [[3,2,1],[6,5,4]], vflip → [[6,5,4],[3,2,1]], transpose → [[6,3],[5,2],[4,1]].
    assert_eq!(d(true, true, true).pixels, vec![6., 3., 5., 2., 4., 1.]);
}

#[test]
fn crops_are_aligned_and_all_images_share_one_dihedral_transform() {
    let video = coordinate_video("0");
    // b0 = 1e18: noise far below the coordinate code's resolution.
    let p = params(4, [18.0, 18.0]);
    let (c, hc) = (4, 16);
    let mut seen = BTreeSet::new();
    for s in 0..300u64 {
        let mut rng = Pcg64Mcg::seed_from_u64(s);
        let sample = draw_sample(&video, 0, (s % FRAMES as u64) as usize, &p, &mut rng);
        let o = &sample.origin;
        seen.insert((o.dihedral.hflip, o.dihedral.vflip, o.dihedral.transpose));
        assert_eq!(
            (
                sample.lq.len(),
                sample.hq.len(),
                sample.gt.len(),
                sample.h,
                sample.w
            ),
            (3 * 16, 2 * 256, 256, c, c)
        );
        let centre = o.lr_frames[1];
        // Every GT pixel comes from the centre frame, inside the HR window at 4·(top, left),
        // and sits under the LR pixel of the same output position / 4 in every LR crop.
        let mut covered = BTreeSet::new();
        for y in 0..hc {
            for x in 0..hc {
                let (t, hy, hx) = decode_hr(sample.gt[y * hc + x]);
                assert_eq!(t, centre);
                assert!((4 * o.lr_top..4 * (o.lr_top + c)).contains(&hy));
                assert!((4 * o.lr_left..4 * (o.lr_left + c)).contains(&hx));
                covered.insert((hy, hx));
                for (k, &lt) in o.lr_frames.iter().enumerate() {
                    let (t, ly, lx) = decode_lr(sample.lq[k * c * c + (y / 4) * c + x / 4]);
                    assert_eq!(
                        (t, ly, lx),
                        (lt, hy / 4, hx / 4),
                        "sample {s} output ({y},{x}) LR frame {k}"
                    );
                }
                for (k, &ht) in o.hr_frames.iter().enumerate() {
                    assert_eq!(decode_hr(sample.hq[k * hc * hc + y * hc + x]), (ht, hy, hx));
                }
            }
        }
        assert_eq!(covered.len(), hc * hc);
        // LR frames: equally spaced by an allowed interval, inside the video.
        let interval = o.lr_frames[1] - o.lr_frames[0];
        assert!([1, 2, 3].contains(&interval) && o.lr_frames[2] - o.lr_frames[1] == interval);
        assert!(o.lr_frames[2] < FRAMES);
        // HR gaps in [1, 20] on each side (fallback to 1 at the ends).
        let [before, after] = o.hr_frames;
        assert!((1..=20).contains(&(centre - before)) && (1..=20).contains(&(after - centre)));
    }
    assert_eq!(
        seen.len(),
        8,
        "all 8 dihedral variants occur in 300 samples"
    );
}

#[test]
fn hr_gaps_fall_back_to_one_frame_near_the_ends() {
    // Centre 3 of 30 frames (valid for every interval ≤ 3, so it is never re-drawn): a gap
    // m1 ∈ [1, 20] is kept only when m1 ≤ 3, otherwise it falls back to 1, so
    // P(gap = 1) = (1 + 17)/20 = 0.9 and P(gap = 3) = 1/20 — a clamp to frame 0 would give
    // gap 3 instead. Symmetrically for centre 26 and the gap after it.
    let video = coordinate_video("0");
    let p = params(4, [18.0, 18.0]);
    for (centre, side) in [(3usize, 0usize), (26, 1)] {
        let (mut ones, mut threes, n) = (0, 0, 400);
        for s in 0..n {
            let mut rng = Pcg64Mcg::seed_from_u64(1000 + s);
            let sample = draw_sample(&video, 0, centre, &p, &mut rng);
            assert_eq!(sample.origin.lr_frames[1], centre);
            let gap = sample.origin.hr_frames[side].abs_diff(centre);
            assert!((1..=3).contains(&gap), "gap {gap}");
            ones += usize::from(gap == 1);
            threes += usize::from(gap == 3);
        }
        let (p1, p3) = (ones as f64 / n as f64, threes as f64 / n as f64);
        assert!(
            (p1 - 0.9).abs() < 0.08 && p3 < 0.12,
            "centre {centre}: P(1) = {p1}, P(3) = {p3}"
        );
    }
}

#[test]
fn poisson_noise_touches_only_the_lr_inputs() {
    let video = coordinate_video("0");
    let mut rng = Pcg64Mcg::seed_from_u64(9);
    let sample = draw_sample(&video, 0, 15, &params(4, [1.0, 1.0]), &mut rng);
    assert_eq!(sample.origin.b0, 10.0);
    // At b0 = 10 every LR value becomes k/10; the HR/GT crops keep their exact codes.
    assert!(sample
        .lq
        .iter()
        .all(|&v| ((v * 10.0).round() - v * 10.0).abs() < 1e-5));
    assert!(sample
        .gt
        .iter()
        .all(|&v| decode_hr(v).0 == sample.origin.lr_frames[1]));
}

#[test]
fn fraction_keeps_whole_videos_deterministically() {
    let a = kept_training_videos(1000, 0.3, 42);
    assert_eq!(a, kept_training_videos(1000, 0.3, 42));
    assert_ne!(a, kept_training_videos(1000, 0.3, 43));
    // Binomial(1000, 0.3): 300 ± 14.5; allow 5σ.
    assert!((227..=373).contains(&a.len()), "kept {}", a.len());
    // Growing the fraction only adds videos; 1 keeps all; a tiny fraction keeps exactly one.
    let b: BTreeSet<usize> = kept_training_videos(1000, 0.6, 42).into_iter().collect();
    assert!(a.iter().all(|i| b.contains(i)));
    assert_eq!(
        kept_training_videos(1000, 1.0, 42),
        (0..1000).collect::<Vec<_>>()
    );
    assert_eq!(kept_training_videos(50, 1e-9, 42).len(), 1);
}

#[test]
fn validation_videos_are_held_out_and_never_trained_on() {
    let videos: Vec<PairedVideo> = (0..10).map(|i| coordinate_video(&i.to_string())).collect();
    for fraction in [1.0, 0.5, 0.01] {
        let cfg = DataConfig {
            val_videos: 3,
            fraction,
            ..Default::default()
        };
        let d = Dataset::split(videos.clone(), &cfg).unwrap();
        let val: Vec<&str> = d.val.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(val, ["7", "8", "9"]);
        assert!(d.train.iter().all(|v| v.name.parse::<usize>().unwrap() < 7));
        assert!(!d.train.is_empty());
        let again = Dataset::split(videos.clone(), &cfg).unwrap();
        assert_eq!(d.train, again.train);
    }
    let all = Dataset::split(
        videos.clone(),
        &DataConfig {
            val_videos: 3,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(all.train.len(), 7);
    let err = Dataset::split(
        videos,
        &DataConfig {
            val_videos: 10,
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("data.val_videos"), "{err}");
}

fn small_dataset() -> Arc<Dataset> {
    let cfg = DataConfig {
        synthetic: SyntheticConfig {
            videos: 4,
            frames: 12,
            height: 32,
            width: 32,
            texture: None,
        },
        val_videos: 1,
        crop_lr: 4,
        ..Default::default()
    };
    Arc::new(Dataset::load(&cfg).unwrap())
}

#[test]
fn rank_shards_are_disjoint_and_together_are_the_single_rank_stream() {
    let data = small_dataset();
    let p = params(4, [1.0, 7.0]);
    let world = 3u64;
    let mut single = TrainSampler::new(data.clone(), p.clone(), 5, 0, 1).unwrap();
    let stream: Vec<_> = (0..8).flat_map(|_| single.next_batch(3)).collect(); // positions 0..24
    let mut from_ranks = vec![None; stream.len()];
    for rank in 0..world {
        let mut s = TrainSampler::new(data.clone(), p.clone(), 5, rank, world).unwrap();
        for (j, sample) in (0..4).flat_map(|_| s.next_batch(2)).enumerate() {
            let position = (rank + world * j as u64) as usize;
            assert!(
                from_ranks[position].is_none(),
                "position {position} drawn twice"
            );
            from_ranks[position] = Some(sample);
        }
    }
    for (p, (a, b)) in stream.iter().zip(&from_ranks).enumerate() {
        assert_eq!(Some(a), b.as_ref(), "position {p}");
    }
    // The stream is random, not constant.
    assert_ne!(stream[0], stream[1]);
}

#[test]
fn sampler_state_round_trip_reproduces_the_next_batch() {
    let data = small_dataset();
    let p = params(4, [1.0, 7.0]);
    let mut a = TrainSampler::new(data.clone(), p.clone(), 11, 1, 2).unwrap();
    for _ in 0..30 {
        a.next_batch(2); // 60 samples: past the first epoch of 36 keys
    }
    let json = serde_json::to_string(&a.state()).unwrap();
    let state: SamplerState = serde_json::from_str(&json).unwrap();
    assert_eq!(
        state,
        SamplerState {
            seed: 11,
            rank: 1,
            world: 2,
            taken: 60
        }
    );
    let mut b = TrainSampler::restore(data.clone(), p.clone(), state).unwrap();
    assert_eq!(a.next_batch(3), b.next_batch(3));
    // A fresh sampler (different position) gives different samples.
    assert_ne!(
        TrainSampler::new(data, p, 11, 1, 2).unwrap().next_batch(3),
        b.next_batch(3)
    );
}

#[test]
fn every_key_appears_once_per_epoch() {
    let data = small_dataset();
    let mut s = TrainSampler::new(data, params(4, [1.0, 7.0]), 2, 0, 1).unwrap();
    assert_eq!(s.epoch_len(), 3 * 12);
    // Keys are (video, requested centre); centres may be re-drawn, but videos are not: each
    // training video yields exactly 12 samples per epoch.
    let mut per_video = [0usize; 3];
    for sample in s.next_batch(36) {
        per_video[sample.origin.video] += 1;
    }
    assert_eq!(per_video, [12, 12, 12]);
}

#[test]
fn sampler_refuses_bad_rank_and_videos_too_small_for_the_crop() {
    let data = small_dataset();
    assert!(
        TrainSampler::new(data.clone(), params(4, [1.0, 7.0]), 0, 2, 2)
            .unwrap_err()
            .to_string()
            .contains("rank 2")
    );
    let err = TrainSampler::new(data, params(9, [1.0, 7.0]), 0, 0, 1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("data.crop_lr 9"), "{err}");
}

#[test]
fn reflection_circle_neighbours_at_the_ends() {
    assert_eq!(reflection_circle_frames(0, 10, 3), vec![2, 0, 1]);
    assert_eq!(reflection_circle_frames(9, 10, 3), vec![8, 9, 7]);
    assert_eq!(reflection_circle_frames(4, 10, 3), vec![3, 4, 5]);
    // NL = 5: i = −2 → 0 + 2 + 2 = 4, i = −1 → 3; at t = 9: i = 10 → 7 − 1 = 6, i = 11 → 5.
    assert_eq!(reflection_circle_frames(0, 10, 5), vec![4, 3, 0, 1, 2]);
    assert_eq!(reflection_circle_frames(1, 10, 5), vec![4, 0, 1, 2, 3]);
    assert_eq!(reflection_circle_frames(9, 10, 5), vec![7, 8, 9, 6, 5]);
}

#[test]
fn hr_frames_on_the_separation_grid_clamp_at_the_last_frame() {
    assert_eq!(hr_grid_frames(25, 60, 20), [20, 40]);
    assert_eq!(hr_grid_frames(40, 60, 20), [40, 59]);
    assert_eq!(hr_grid_frames(45, 50, 20), [40, 49]);
    assert_eq!(hr_grid_frames(0, 50, 2), [0, 2]);
    assert_eq!(eval_frames(50, 0), 0..50);
    assert_eq!(eval_frames(50, 8), 0..8);
}

#[test]
fn eval_inputs_are_full_frames_in_model_layout() {
    let video = coordinate_video("0");
    let e = eval_input(&video, 29, 3, 20);
    assert_eq!((e.h, e.w), (8, 12));
    assert_eq!(
        (e.lr_frames.clone(), e.hr_frames, e.on_grid),
        (vec![28, 29, 27], [20, 29], false)
    );
    assert_eq!(e.lq.len(), 3 * 96);
    assert_eq!(decode_lr(e.lq[96 + 13]), (29, 1, 1));
    assert_eq!(e.centre_lr(), &video.lr[29].pixels[..]);
    assert_eq!(decode_hr(e.hq[HR_H * HR_W + 5]), (29, 0, 5));
    assert_eq!(decode_hr(e.gt[HR_W + 2]), (29, 1, 2));
    assert!(eval_input(&video, 20, 3, 20).on_grid);
}
