//! The world of one: a process started without `mpiexec`.

use super::{Collectives, CommError, WorldInfo};

/// Collectives for a single process: every operation is the identity.
#[derive(Debug, Default, Clone, Copy)]
pub struct Solo;

impl Collectives for Solo {
    fn world(&self) -> WorldInfo {
        WorldInfo::SOLO
    }
    fn all_reduce_sum(&self, _buf: &mut [f32]) -> Result<(), CommError> {
        Ok(())
    }
    fn broadcast(&self, _buf: &mut [f32], _root: usize) -> Result<(), CommError> {
        Ok(())
    }
    fn barrier(&self) -> Result<(), CommError> {
        Ok(())
    }
}
