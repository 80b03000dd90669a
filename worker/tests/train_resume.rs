//! A run interrupted after a checkpoint and resumed repeats the uninterrupted run exactly:
//! same learning rates and losses at every iteration, same EMA model (same validation
//! numbers). One test per file: the backend RNG is process-global.

mod train_support;

use burn::backend::{Autodiff, Flex};
use xvr_worker::train::{run, RunError, RunOptions};

use train_support::{checkpoint_iteration, tiny_trial, train_rows, write_trial};

type B = Autodiff<Flex>;

#[test]
fn resumed_run_continues_with_the_same_losses() {
    let root = tempfile::tempdir().unwrap();
    let trial = tiny_trial(7);

    let straight = root.path().join("straight");
    write_trial(&straight, &trial);
    let full = run::<B>(&straight, &Default::default(), RunOptions::default())
        .unwrap()
        .unwrap();
    let expected = train_rows(&straight);
    assert_eq!(expected.len(), 7);

    let interrupted = root.path().join("interrupted");
    write_trial(&interrupted, &trial);
    let err = run::<B>(
        &interrupted,
        &Default::default(),
        RunOptions {
            stop_after: Some(4),
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            RunError::Stopped {
                iteration: 4,
                total: 7,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.exit_code(), 143);
    assert!(err.to_string().contains("after iteration 4/7"), "{err}");
    assert_eq!(checkpoint_iteration(&interrupted), 4);
    assert!(
        !interrupted.join("summary.json").exists(),
        "no summary for an unfinished run"
    );
    // The interrupted process got further than its checkpoint before dying (as after a
    // SIGKILL): those rows must be dropped on resume.
    let mut csv = std::fs::read_to_string(interrupted.join("train.csv")).unwrap();
    csv.push_str("5,0.1,0.9,1.0,1.0\n6,0.1,0.9,1.0,1.0\n");
    std::fs::write(interrupted.join("train.csv"), csv).unwrap();

    let resumed = run::<B>(&interrupted, &Default::default(), RunOptions::default())
        .unwrap()
        .unwrap();
    assert_eq!(
        train_rows(&interrupted),
        expected,
        "iter, lr and loss of every row"
    );
    assert_eq!(checkpoint_iteration(&interrupted), 7);
    assert_eq!(resumed.psnr_db, full.psnr_db);
    assert_eq!(resumed.ssim, full.ssim);
    assert_eq!(resumed.iterations, 7);
}
