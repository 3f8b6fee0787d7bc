//! [`SourceRegistry`]: the data-subject sources requests and retention runs
//! reach, in registration order.

use std::sync::{Arc, RwLock};

use caas_core::{Error, Result, SharedDataSubjectSource};

/// The registered [`DataSubjectSource`](caas_core::DataSubjectSource)s,
/// shared by the stores that fan out to them. Cheap to clone: clones share
/// one registry.
#[derive(Clone, Default)]
pub struct SourceRegistry(Arc<RwLock<Vec<SharedDataSubjectSource>>>);

impl std::fmt::Debug for SourceRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self
            .all()
            .map(|s| s.iter().map(|s| s.name().to_owned()).collect())
            .unwrap_or_default();
        f.debug_tuple("SourceRegistry").field(&names).finish()
    }
}

impl SourceRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        SourceRegistry::default()
    }

    /// Registers a source of personal data; requests reach it from now on.
    /// A second source with the same name is refused.
    pub fn register(&self, source: SharedDataSubjectSource) -> Result<()> {
        let mut sources = self
            .0
            .write()
            .map_err(|_| Error::internal("the source registry is poisoned"))?;
        if sources.iter().any(|s| s.name() == source.name()) {
            return Err(Error::conflict(format!(
                "a data-subject source named `{}` is already registered",
                source.name()
            )));
        }
        sources.push(source);
        Ok(())
    }

    /// Every registered source, in registration order.
    pub fn all(&self) -> Result<Vec<SharedDataSubjectSource>> {
        Ok(self
            .0
            .read()
            .map_err(|_| Error::internal("the source registry is poisoned"))?
            .clone())
    }
}
