//! A checkpoint is checked against the trial that resumes it: one from beyond the end of the
//! run, of another trial, of another model, ahead of train.csv, or with an unreadable file is
//! refused before training, by the real `xvr-worker run`, with a message that names the file
//! and says how to start over (exit status 2, set-up error).

mod train_support;

use std::path::Path;
use std::process::Command;

use train_support::{tiny_trial, write_trial};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn run(dir: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xvr-worker"))
        .arg("run")
        .arg(dir)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn edit_state(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("checkpoint/state.json");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut state);
    std::fs::write(&path, serde_json::to_vec_pretty(&state).unwrap()).unwrap();
}

fn set_channels(dir: &Path, channels: usize) {
    let mut trial = tiny_trial(6);
    trial.model.channels = channels;
    write_trial(dir, &trial);
}

#[test]
fn checkpoints_that_do_not_fit_the_trial_are_refused_with_a_remedy() {
    let root = tempfile::tempdir().unwrap();
    let done = root.path().join("done");
    write_trial(&done, &tiny_trial(6));
    let (code, stderr) = run(&done);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(done.join("checkpoint/state.json").is_file());

    type Damage = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Damage, &str, &str)> = vec![
        (
            "future",
            Box::new(|d| edit_state(d, |s| s["iteration"] = 99999.into())),
            "state.json",
            "iteration 99999, beyond the run's 6 iterations",
        ),
        (
            "other-trial",
            Box::new(|d| edit_state(d, |s| s["trial_id"] = "0123456789".into())),
            "state.json",
            "checkpoint of trial 0123456789, but this is trial tiny",
        ),
        (
            "other-model",
            Box::new(|d| set_channels(d, 12)),
            "state.json",
            "but this trial's model is",
        ),
        (
            // A checkpoint that does not record its model settings: the parameter shapes
            // themselves are compared.
            "other-shapes",
            Box::new(|d| {
                edit_state(d, |s| {
                    s.as_object_mut().unwrap().remove("model");
                });
                set_channels(d, 12);
            }),
            "model.bin",
            "parameter shapes differ",
        ),
        (
            "log-behind",
            Box::new(|d| {
                std::fs::write(d.join("train.csv"), "iter,lr,loss,step_s,samples_per_s\n").unwrap()
            }),
            "state.json",
            "train.csv holds iterations 1..=0",
        ),
        (
            "corrupt-model",
            Box::new(|d| std::fs::write(d.join("checkpoint/model.bin"), b"not a record").unwrap()),
            "model.bin",
            "unreadable checkpoint record",
        ),
        (
            "truncated-optimizer",
            Box::new(|d| {
                let path = d.join("checkpoint/optimizer.bin");
                let bytes = std::fs::read(&path).unwrap();
                std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
            }),
            "optimizer.bin",
            "unreadable checkpoint record",
        ),
        (
            "corrupt-state",
            Box::new(|d| {
                std::fs::write(d.join("checkpoint/state.json"), b"{\"iteration\": ").unwrap()
            }),
            "state.json",
            "not a checkpoint state",
        ),
    ];
    for (name, damage, file, says) in cases {
        let dir = root.path().join(name);
        copy_dir(&done, &dir);
        std::fs::remove_file(dir.join("summary.json")).unwrap();
        damage(&dir);
        let (code, stderr) = run(&dir);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        let named = dir.join("checkpoint").join(file).display().to_string();
        assert!(stderr.contains(&named), "{name}: {stderr}");
        assert!(stderr.contains(says), "{name}: {stderr}");
        assert!(
            stderr.contains("to train this trial from iteration 0"),
            "{name}: {stderr}"
        );
        assert!(
            !stderr.contains("0.14.0") && !stderr.contains("panicked"),
            "{name}: {stderr}"
        );
        assert!(
            !dir.join("summary.json").exists(),
            "{name}: a refused resume wrote a summary"
        );
    }
}
