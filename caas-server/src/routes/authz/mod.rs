//! caas-authz over HTTP (issue 7, in progress): the tenant's Cedar policy
//! versions.

pub mod policies;
