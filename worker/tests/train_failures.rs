//! Runs that cannot go on stop with a clear error and leave the last good state in place.

mod train_support;

use burn::backend::{Autodiff, Flex};
use xvr_worker::train::{run, RunError, RunOptions};

use train_support::{checkpoint_iteration, tiny_trial, train_rows, write_trial};

type B = Autodiff<Flex>;

#[test]
fn non_finite_loss_stops_and_keeps_the_last_good_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let mut trial = tiny_trial(20);
    // An absurd learning rate: the first Adam step moves every weight by ~1e30, after which
    // the forward pass overflows to Inf/NaN.
    trial.train.lr = 1e30;
    trial.train.lr_min = 0.0;
    trial.train.warmup = -1;
    trial.train.checkpoint_every = 1;
    write_trial(dir.path(), &trial);
    let err = run::<B>(dir.path(), &Default::default(), RunOptions::default()).unwrap_err();
    let RunError::NonFiniteLoss { .. } = &err else {
        panic!("expected a non-finite loss error, got {err:?}")
    };
    let message = err.to_string();
    assert_eq!(err.exit_code(), 3);
    let rows = train_rows(dir.path());
    let failed_at = rows.len() as u64 + 1;
    assert!(failed_at <= 20, "the loss never became non-finite");
    assert!(
        message.contains(&format!("iteration {failed_at}:")) && message.contains("not finite"),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "last good checkpoint (iteration {})",
            failed_at - 1
        )),
        "{message}"
    );
    assert_eq!(checkpoint_iteration(dir.path()), failed_at - 1);
    assert!(!dir.path().join("summary.json").exists());
}

#[test]
fn bad_trial_files_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = run::<B>(dir.path(), &Default::default(), RunOptions::default()).unwrap_err();
    assert!(
        matches!(err, RunError::Setup(_)) && err.to_string().contains("trial.yaml: cannot read"),
        "{err}"
    );

    let mut trial = tiny_trial(2);
    trial.data.val_videos = 0;
    write_trial(dir.path(), &trial);
    let err = run::<B>(dir.path(), &Default::default(), RunOptions::default()).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    // Refused by the shared trial rules when trial.yaml is read, naming the file.
    assert!(
        err.to_string().contains("trial.yaml: data.val_videos: 0"),
        "{err}"
    );

    let mut trial = tiny_trial(2);
    trial.data.crop_lr = 9; // the 32×32 HR videos have 8×8 LR frames
    write_trial(dir.path(), &trial);
    let err = run::<B>(dir.path(), &Default::default(), RunOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("smaller than data.crop_lr 9"),
        "{err}"
    );
}
