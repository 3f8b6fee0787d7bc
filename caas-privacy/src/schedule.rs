//! The privacy schedule: every hour, each tenant's retention policies run
//! and breaches past their 72-hour deadline are announced.

use std::time::Duration;

use caas_core::{Result, SharedTenantStore, TenantStatus};
use tokio::sync::watch;

use crate::Privacy;

/// How often the schedule runs.
pub const SCHEDULE_EVERY: Duration = Duration::from_secs(3_600);

impl Privacy {
    /// One pass over every tenant that is not deleted: retention runs
    /// (recorded as by `retention-schedule`) and overdue breaches announced.
    /// Returns the records erased.
    pub async fn run_schedule(&self, tenants: &SharedTenantStore) -> Result<u64> {
        let mut erased = 0;
        for tenant in tenants.all().await? {
            if tenant.status == TenantStatus::Deleted {
                continue;
            }
            erased += self
                .retention()
                .run(&tenant.id, "retention-schedule")
                .await?
                .erased();
            self.breaches().announce_overdue(&tenant.id).await?;
        }
        Ok(erased)
    }

    /// Runs [`Privacy::run_schedule`] every [`SCHEDULE_EVERY`] until `stop`
    /// flips; a failed pass is logged and the next one runs on time.
    pub async fn schedule(self, tenants: SharedTenantStore, mut stop: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                () = tokio::time::sleep(SCHEDULE_EVERY) => {}
                _ = stop.changed() => return,
            }
            match self.run_schedule(&tenants).await {
                Ok(erased) => tracing::info!(erased, "privacy schedule ran"),
                Err(e) => tracing::error!(error = %e, "the privacy schedule failed"),
            }
        }
    }
}
