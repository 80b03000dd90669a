//! Data parallelism's promise, on a tiny SWIN-XVR under `mpiexec -n 2`: two ranks with b
//! samples each make the same update as one rank with the 2b samples, and the ranks' weights
//! stay identical over many steps.

mod mpi_support;

use std::path::Path;

use mpi_support::{assert_ok, mpiexec_or_skip, selftest, under_mpiexec};

fn weights(dir: &Path, rank: usize) -> Vec<f32> {
    let bytes = std::fs::read(dir.join(format!("weights-rank{rank}.bin"))).unwrap();
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn losses(dir: &Path, rank: usize) -> Vec<f64> {
    serde_json::from_slice(&std::fs::read(dir.join(format!("losses-rank{rank}.json"))).unwrap())
        .unwrap()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn two_ranks_of_b_equal_one_rank_of_2b() {
    let Some(mpiexec) = mpiexec_or_skip("two_ranks_of_b_equal_one_rank_of_2b") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (one, two, half) = (
        tmp.path().join("one"),
        tmp.path().join("two"),
        tmp.path().join("half"),
    );
    let args = |dir: &Path, batch: &str| {
        [
            "train-equivalence",
            "--steps",
            "3",
            "--global-batch",
            batch,
            "--out",
        ]
        .map(String::from)
        .into_iter()
        .chain([dir.display().to_string()])
        .collect::<Vec<_>>()
    };
    assert_ok(&selftest().args(args(&one, "4")).output().unwrap());
    let two_args = args(&two, "4");
    let mut with_expect = vec!["--expect", "2"];
    with_expect.extend(two_args.iter().map(String::as_str));
    assert_ok(&under_mpiexec(&mpiexec, 2, &with_expect));
    // The control: one rank on only half of the samples must differ clearly, or the
    // comparison below could not tell a correct split from a wrong one.
    assert_ok(&selftest().args(args(&half, "2")).output().unwrap());

    let (w1, w2) = (weights(&one, 0), weights(&two, 0));
    assert!(
        max_abs_diff(&w1, &weights(&half, 0)) > 1e-3,
        "the control run should differ"
    );
    // Adam steps of lr 1e-3; float reduction order moves weights by ~1e-5 at most.
    assert!(
        max_abs_diff(&w1, &w2) < 1e-4,
        "1 rank × 4 vs 2 ranks × 2: {}",
        max_abs_diff(&w1, &w2)
    );
    // The reported loss is the mean over ranks = the mean over the 4 samples.
    for (a, b) in losses(&one, 0).iter().zip(losses(&two, 0)) {
        assert!((a - b).abs() < 1e-5 * a.abs().max(1.0), "{a} vs {b}");
    }
}

#[test]
fn ranks_keep_identical_weights_over_many_steps() {
    let Some(mpiexec) = mpiexec_or_skip("ranks_keep_identical_weights_over_many_steps") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().display().to_string();
    let out = under_mpiexec(
        &mpiexec,
        2,
        &[
            "--expect",
            "2",
            "train-equivalence",
            "--steps",
            "25",
            "--global-batch",
            "2",
            "--out",
            &dir,
        ],
    );
    assert_ok(&out);
    let (w0, w1) = (weights(tmp.path(), 0), weights(tmp.path(), 1));
    assert!(w0.iter().all(|v| v.is_finite()));
    assert_eq!(w0, w1, "ranks diverged");
    assert_eq!(losses(tmp.path(), 0), losses(tmp.path(), 1));
}
