//! An atomically swappable program: requests keep running on the program
//! they started with while a new bundle is verified and swapped in.

use crate::program::{LoadError, Program};
use arc_swap::ArcSwap;
use ed25519_dalek::VerifyingKey;
use std::sync::Arc;

pub struct Engine {
    current: ArcSwap<Program>,
    trusted: Vec<VerifyingKey>,
}

impl Engine {
    pub fn new(program: Program, trusted: Vec<VerifyingKey>) -> Engine {
        Engine {
            current: ArcSwap::from_pointee(program),
            trusted,
        }
    }

    /// Loads and verifies a bundle. Its program has no classifiers: build
    /// the engine with `Engine::new(program.with_builtins(…), …)` (the
    /// `Authorizer` does) to decide raw tool calls and derived fields.
    pub fn load(bytes: &[u8], trusted: Vec<VerifyingKey>) -> Result<Engine, LoadError> {
        let program = Program::load(bytes, &trusted)?;
        Ok(Engine::new(program, trusted))
    }

    /// The program to bind and decide with. Hold the `Arc` for the whole
    /// bind → decide of one request.
    pub fn program(&self) -> Arc<Program> {
        self.current.load_full()
    }

    /// Verifies `bytes` fully, then swaps atomically. Returns the old
    /// program. The new one calls the builtins the current one does.
    pub fn swap(&self, bytes: &[u8]) -> Result<Arc<Program>, LoadError> {
        let builtins = self.current.load().builtins();
        let next = Program::load(bytes, &self.trusted)?.with_builtins(builtins);
        Ok(self.current.swap(Arc::new(next)))
    }
}
