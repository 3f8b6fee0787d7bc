//! [`UserStore`] and its SQL implementation (SQLite, PostgreSQL under RLS).

use async_trait::async_trait;
use caas_core::sql::{FromRow, Row, Scalar, query};
use caas_core::{Db, Error, Result, SharedClock, TenantId, Tx, new_id};
use uuid::Uuid;

use super::model::{self, NewUser, User, UserStatus, UserUpdate};

/// A user and the stored password hash (PHC string), for login.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user.
    pub user: User,
    /// The argon2id PHC string, if a password is set.
    pub password_hash: Option<String>,
}

/// Users of every tenant.
#[async_trait]
pub trait UserStore: Send + Sync + std::fmt::Debug {
    /// Creates a user; the email and username must be free in the tenant
    /// (409 naming the field otherwise).
    async fn create(
        &self,
        tenant: &TenantId,
        user: &NewUser,
        password_hash: Option<&str>,
    ) -> Result<User>;

    /// The user `id`.
    async fn get(&self, tenant: &TenantId, id: Uuid) -> Result<Option<User>>;

    /// The user whose email or username is `login` (case-insensitive), with
    /// the password hash.
    async fn find_by_login(&self, tenant: &TenantId, login: &str) -> Result<Option<Credentials>>;

    /// Users ordered by id, after `after`.
    async fn list(&self, tenant: &TenantId, after: Option<Uuid>, limit: u32) -> Result<Vec<User>>;

    /// Applies `update`.
    async fn update(&self, tenant: &TenantId, id: Uuid, update: &UserUpdate) -> Result<User>;

    /// Replaces the password hash (`None` removes the password).
    async fn set_password_hash(
        &self,
        tenant: &TenantId,
        id: Uuid,
        hash: Option<&str>,
    ) -> Result<()>;

    /// Deletes the user; `not_found` if there is none.
    async fn delete(&self, tenant: &TenantId, id: Uuid) -> Result<()>;
}

/// [`UserStore`] on a [`Db`].
#[derive(Debug, Clone)]
pub struct SqlUserStore {
    db: Db,
    clock: SharedClock,
}

struct UserRow(User, Option<String>);

impl FromRow for UserRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let attributes: String = row.get("attributes")?;
        let hash: Option<String> = row.get("password_hash")?;
        let status: String = row.get("status")?;
        Ok(UserRow(
            User {
                id: row.parse("id")?,
                tenant_id: row.parse("tenant_id")?,
                email: row.get("email")?,
                username: row.get("username")?,
                display_name: row.get("display_name")?,
                status: status
                    .parse()
                    .map_err(|_| Error::internal("a stored user status is unknown"))?,
                attributes: serde_json::from_str(&attributes)
                    .map_err(|_| Error::internal("stored user attributes are not JSON"))?,
                has_password: hash.is_some(),
                created_at: row.timestamp("created_at")?,
                updated_at: row.timestamp("updated_at")?,
            },
            hash,
        ))
    }
}

impl SqlUserStore {
    /// A store on `db` (migrated with this crate's migrations).
    pub fn new(db: Db, clock: SharedClock) -> Self {
        SqlUserStore { db, clock }
    }

    async fn taken(
        tx: &mut Tx,
        tenant: &TenantId,
        email_key: Option<&str>,
        username_key: Option<&str>,
        except: Option<Uuid>,
    ) -> Result<()> {
        let except = except.map(|u| u.to_string()).unwrap_or_default();
        if let Some(key) = email_key {
            let hit: Option<Scalar<String>> = query(
                "SELECT id FROM auth_users WHERE tenant_id = $1 AND email_key = $2 AND id <> $3",
            )
            .bind(tenant)
            .bind(key)
            .bind(except.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if hit.is_some() {
                return Err(Error::conflict("a user with this email exists").with_field("email"));
            }
        }
        if let Some(key) = username_key {
            let hit: Option<Scalar<String>> = query(
                "SELECT id FROM auth_users WHERE tenant_id = $1 AND username_key = $2 AND id <> $3",
            )
            .bind(tenant)
            .bind(key)
            .bind(except.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if hit.is_some() {
                return Err(
                    Error::conflict("a user with this username exists").with_field("username")
                );
            }
        }
        Ok(())
    }

    async fn get_in(tx: &mut Tx, tenant: &TenantId, id: Uuid) -> Result<Option<User>> {
        let row: Option<UserRow> = query(
            "SELECT tenant_id, id, email, username, display_name, status, attributes, password_hash, \
             created_at, updated_at FROM auth_users WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        Ok(row.map(|r| r.0))
    }
}

fn not_found(id: Uuid) -> Error {
    Error::not_found(format!("user `{id}` not found"))
}

#[async_trait]
impl UserStore for SqlUserStore {
    async fn create(
        &self,
        tenant: &TenantId,
        user: &NewUser,
        password_hash: Option<&str>,
    ) -> Result<User> {
        let email = user.email.as_deref().map(model::email).transpose()?;
        let username = user.username.as_deref().map(model::username).transpose()?;
        if email.is_none() && username.is_none() {
            return Err(
                Error::invalid_input("a user needs an email or a username").with_field("email")
            );
        }
        let fallback = username
            .as_ref()
            .map(|(u, _)| u.clone())
            .or_else(|| {
                email
                    .as_ref()
                    .and_then(|(e, _)| e.split('@').next().map(str::to_owned))
            })
            .unwrap_or_default();
        let display_name = model::display_name(user.display_name.as_deref().unwrap_or(&fallback))?;
        let attributes = model::attributes(&user.attributes)?;
        let now = self.clock.now();
        let id = new_id(self.clock.as_ref());
        let mut tx = self.db.tenant_tx(tenant).await?;
        Self::taken(
            &mut tx,
            tenant,
            email.as_ref().map(|(_, k)| k.as_str()),
            username.as_ref().map(|(_, k)| k.as_str()),
            None,
        )
        .await?;
        query(
            "INSERT INTO auth_users (tenant_id, id, email, email_key, username, username_key, display_name, \
             status, attributes, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
        )
        .bind(tenant)
        .bind(id)
        .bind(email.as_ref().map(|(e, _)| e.clone()))
        .bind(email.as_ref().map(|(_, k)| k.clone()))
        .bind(username.as_ref().map(|(u, _)| u.clone()))
        .bind(username.as_ref().map(|(_, k)| k.clone()))
        .bind(display_name)
        .bind(UserStatus::Active.as_str())
        .bind(attributes)
        .bind(password_hash.map(str::to_owned))
        .bind(now)
        .execute(&mut tx)
        .await?;
        let created = Self::get_in(&mut tx, tenant, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        tx.commit().await?;
        Ok(created)
    }

    async fn get(&self, tenant: &TenantId, id: Uuid) -> Result<Option<User>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let user = Self::get_in(&mut tx, tenant, id).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn find_by_login(&self, tenant: &TenantId, login: &str) -> Result<Option<Credentials>> {
        let key = login.trim().to_lowercase();
        if key.is_empty() || key.len() > 254 {
            return Ok(None);
        }
        let mut tx = self.db.tenant_tx(tenant).await?;
        let row: Option<UserRow> = query(
            "SELECT tenant_id, id, email, username, display_name, status, attributes, password_hash, \
             created_at, updated_at FROM auth_users \
             WHERE tenant_id = $1 AND (email_key = $2 OR username_key = $2)",
        )
        .bind(tenant)
        .bind(key)
        .fetch_optional(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(row.map(|UserRow(user, password_hash)| Credentials {
            user,
            password_hash,
        }))
    }

    async fn list(&self, tenant: &TenantId, after: Option<Uuid>, limit: u32) -> Result<Vec<User>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let rows: Vec<UserRow> = query(
            "SELECT tenant_id, id, email, username, display_name, status, attributes, password_hash, \
             created_at, updated_at FROM auth_users WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(tenant)
        .bind(after.map(|a| a.to_string()).unwrap_or_default())
        .bind(limit.clamp(1, 1000))
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    async fn update(&self, tenant: &TenantId, id: Uuid, update: &UserUpdate) -> Result<User> {
        let email = update.email.as_deref().map(model::email).transpose()?;
        let username = update
            .username
            .as_deref()
            .map(model::username)
            .transpose()?;
        let display_name = update
            .display_name
            .as_deref()
            .map(model::display_name)
            .transpose()?;
        let attributes = update
            .attributes
            .as_ref()
            .map(model::attributes)
            .transpose()?;
        let mut tx = self.db.tenant_tx(tenant).await?;
        let current = Self::get_in(&mut tx, tenant, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        Self::taken(
            &mut tx,
            tenant,
            email.as_ref().map(|(_, k)| k.as_str()),
            username.as_ref().map(|(_, k)| k.as_str()),
            Some(id),
        )
        .await?;
        let (email, email_key) = match email {
            Some((e, k)) => (Some(e), Some(k)),
            None => (
                current.email.clone(),
                current.email.as_ref().map(|e| e.to_lowercase()),
            ),
        };
        let (username, username_key) = match username {
            Some((u, k)) => (Some(u), Some(k)),
            None => (
                current.username.clone(),
                current.username.as_ref().map(|u| u.to_lowercase()),
            ),
        };
        query(
            "UPDATE auth_users SET email = $3, email_key = $4, username = $5, username_key = $6, \
             display_name = $7, status = $8, attributes = $9, updated_at = $10 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .bind(email)
        .bind(email_key)
        .bind(username)
        .bind(username_key)
        .bind(display_name.unwrap_or(current.display_name))
        .bind(update.status.unwrap_or(current.status).as_str())
        .bind(match attributes {
            Some(a) => a,
            None => model::attributes(&current.attributes)?,
        })
        .bind(self.clock.now())
        .execute(&mut tx)
        .await?;
        let user = Self::get_in(&mut tx, tenant, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        tx.commit().await?;
        Ok(user)
    }

    async fn set_password_hash(
        &self,
        tenant: &TenantId,
        id: Uuid,
        hash: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let n = query(
            "UPDATE auth_users SET password_hash = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .bind(hash.map(str::to_owned))
        .bind(self.clock.now())
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        if n == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    async fn delete(&self, tenant: &TenantId, id: Uuid) -> Result<()> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let n = query("DELETE FROM auth_users WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        if n == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }
}
