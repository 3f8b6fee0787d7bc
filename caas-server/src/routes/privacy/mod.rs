//! caas-privacy over HTTP. Subjects act on their own data (purposes,
//! consents, their requests and exports); a tenant administrator may act
//! for any subject (`subject` parameter) and runs everything else: request
//! steps, retention, legal holds, breaches, records of processing.

pub mod consents;
pub mod governance;
pub mod requests;

use caas_core::{Error, PrincipalKind};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::extract::{TenantAccess, is_tenant_admin};
use crate::problem::Problem;
use crate::state::AppState;
use utoipa_axum::routes;

use super::declare::{ADMIN, Anyone, Routes};

/// Whose data.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubjectParam {
    /// The subject (administrators only; default the caller).
    pub subject: Option<String>,
}

/// The subject a call acts for: the caller (a user or guest of the tenant),
/// or `requested` when the caller administers the tenant. Returns it and
/// whether the caller is an administrator.
pub(crate) async fn subject_for(
    state: &AppState,
    access: &TenantAccess,
    requested: Option<&str>,
) -> Result<(String, bool), Problem> {
    let admin = is_tenant_admin(state, access).await?;
    let own = (access.principal.tenant == Some(access.tenant.id)
        && matches!(
            access.principal.kind,
            PrincipalKind::User | PrincipalKind::Guest
        ))
    .then(|| access.principal.subject.clone());
    match (requested, own) {
        (Some(r), Some(own)) if r == own => Ok((own, admin)),
        (Some(r), _) if admin => Ok((r.to_owned(), admin)),
        (Some(_), _) => Err(Problem(Error::forbidden(
            "only an administrator of the tenant may act for another subject",
        ))),
        (None, Some(own)) => Ok((own, admin)),
        (None, None) => Err(Problem(
            Error::invalid_input("name the data subject with `subject`").with_field("subject"),
        )),
    }
}

/// Who acted, for records: the subject id of the caller.
pub(crate) fn actor(access: &TenantAccess) -> &str {
    &access.principal.subject
}

/// Subjects act on their own data (handlers let administrators name
/// another subject); the rest is the tenant administrators'.
pub(super) fn routes(r: Routes) -> Routes {
    r.add(Anyone, routes!(consents::list_purposes))
        .add(ADMIN, routes!(consents::put_purpose))
        .add(Anyone, routes!(consents::list_consents, consents::give))
        .add(Anyone, routes!(consents::withdraw))
        .add(Anyone, routes!(requests::list, requests::create))
        .add(Anyone, routes!(requests::get))
        .add(Anyone, routes!(requests::export))
        .add(ADMIN, routes!(requests::verify))
        .add(ADMIN, routes!(requests::approve))
        .add(ADMIN, routes!(requests::deny))
        .add(ADMIN, routes!(requests::extend))
        .add(
            ADMIN,
            routes!(governance::list_retention, governance::put_retention),
        )
        .add(
            ADMIN,
            routes!(governance::list_holds, governance::place_hold),
        )
        .add(ADMIN, routes!(governance::release_hold))
        .add(
            ADMIN,
            routes!(governance::list_breaches, governance::record_breach),
        )
        .add(ADMIN, routes!(governance::update_breach))
        .add(
            ADMIN,
            routes!(governance::get_processing, governance::put_processing),
        )
        .add(ADMIN, routes!(governance::deletion_log))
}
