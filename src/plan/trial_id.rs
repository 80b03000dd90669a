//! Trial ids: a short hash of what the trial computes, stable across runs, machines and
//! compiler releases (so not std's `DefaultHasher`), so re-planning a spec finds the same
//! trial directories and recognises finished work.

use serde::Serialize;

use crate::spec::TrialConfig;

/// Hex digits kept: 40 bits, collision-free in practice for sweeps of thousands of trials.
pub const ID_LEN: usize = 10;

/// The id of a trial: FNV-1a-64 over the canonical JSON of model, data, train, resources,
/// profile, the repeat index and (reconstruction trials only) the reconstruct section. `meta` (sweep name, variant name, axes) is left out, so
/// the same computation has the same id whichever sweep or variant asks for it.
pub fn trial_id(config: &TrialConfig) -> String {
    #[derive(Serialize)]
    struct Canonical<'a> {
        model: &'a crate::spec::trial::ModelConfig,
        data: &'a crate::spec::trial::DataConfig,
        train: &'a crate::spec::trial::TrainConfig,
        resources: &'a crate::spec::trial::ResourcesConfig,
        profile: &'a crate::spec::trial::ProfileConfig,
        repeat: u32,
        // Absent from training trials, whose ids it therefore leaves as they were.
        #[serde(skip_serializing_if = "Option::is_none")]
        reconstruct: Option<&'a crate::spec::trial::ReconstructConfig>,
    }
    let canonical = Canonical {
        model: &config.model,
        data: &config.data,
        train: &config.train,
        resources: &config.resources,
        profile: &config.profile,
        repeat: config.meta.repeat,
        reconstruct: config.reconstruct.as_ref(),
    };
    // Hashed as it is written: no buffer per trial (a sweep may have 100 000).
    let mut hasher = Fnv1a64(FNV_OFFSET_BASIS);
    serde_json::to_writer(&mut hasher, &canonical).expect("trial config serialises to JSON");
    format!("{:016x}", hasher.0)[..ID_LEN].to_string()
}

const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// FNV-1a state fed by `io::Write`.
struct Fnv1a64(u64);

impl std::io::Write for Fnv1a64 {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 = bytes
            .iter()
            .fold(self.0, |h, &b| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME));
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// FNV-1a, 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
#[cfg(test)]
fn fnv1a_64(bytes: &[u8]) -> u64 {
    let mut h = Fnv1a64(FNV_OFFSET_BASIS);
    std::io::Write::write_all(&mut h, bytes).unwrap();
    h.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_published_test_vectors() {
        // Vectors from the FNV reference test suite (Noll): "", "a", "foobar".
        assert_eq!(fnv1a_64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn id_ignores_meta_but_not_settings_or_repeat() {
        let a = TrialConfig::default();
        let mut b = a.clone();
        b.meta.sweep = "other".into();
        b.meta.variant = Some("v".into());
        assert_eq!(trial_id(&a), trial_id(&b));
        assert_eq!(trial_id(&a).len(), ID_LEN);
        let mut c = a.clone();
        c.model.window = 4;
        assert_ne!(trial_id(&a), trial_id(&c));
        let mut d = a.clone();
        d.meta.repeat = 1;
        assert_ne!(trial_id(&a), trial_id(&d));
    }

    #[test]
    fn ids_of_fixed_trials_are_pinned() {
        // Ids must not change across runs, machines or compiler releases: a re-planned sweep
        // finds its finished trials by them. The literals come from tests/trial_id_reference.py,
        // which hashes (FNV-1a-64 in Python) the canonical JSON written out by hand from the
        // field order and defaults of contract/src/trial.rs, not from this code. Adding, renaming
        // or reordering a hashed field changes every id: a breaking change for existing results.
        assert_eq!(trial_id(&TrialConfig::default()), "e7e38a9d26");
        let mut t = TrialConfig::default();
        t.model.window = 4;
        t.train.total_samples = Some(1_206_240);
        t.resources.queue = Some("prod".into());
        t.meta.repeat = 2;
        t.meta.sweep = "not hashed".into();
        assert_eq!(trial_id(&t), "044b1ac027");
    }
}
