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

/// A row stored before today's key rules.
struct LegacyRow {
    id: String,
    email: Option<String>,
    email_key: Option<String>,
    username: Option<String>,
    username_key: Option<String>,
}

impl FromRow for LegacyRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(LegacyRow {
            id: row.get("id")?,
            email: row.get("email")?,
            email_key: row.get("email_key")?,
            username: row.get("username")?,
            username_key: row.get("username_key")?,
        })
    }
}

/// A user's unique keys.
struct KeysRow {
    email_key: Option<String>,
    username_key: Option<String>,
    username_skeleton: Option<String>,
}

impl FromRow for KeysRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(KeysRow {
            email_key: row.get("email_key")?,
            username_key: row.get("username_key")?,
            username_skeleton: row.get("username_skeleton")?,
        })
    }
}

/// The keys a login is looked up by: the email key when it reads as an
/// address, and the username key.
fn login_keys(login: &str) -> Option<(String, String)> {
    let login = login.trim();
    if login.is_empty() || login.len() > 254 {
        return None;
    }
    let username_key = model::fold(login);
    let email_key = model::email(login)
        .map(|(_, k)| k)
        .unwrap_or_else(|_| username_key.clone());
    Some((email_key, username_key))
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
        username: Option<&model::Username>,
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
        if let Some(u) = username {
            let hit: Option<Scalar<String>> = query(
                "SELECT id FROM auth_users WHERE tenant_id = $1 AND username_key = $2 AND id <> $3",
            )
            .bind(tenant)
            .bind(u.key.as_str())
            .bind(except.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if hit.is_some() {
                return Err(
                    Error::conflict("a user with this username exists").with_field("username")
                );
            }
            let hit: Option<Scalar<String>> = query(
                "SELECT id FROM auth_users WHERE tenant_id = $1 AND username_skeleton = $2 \
                 AND id <> $3",
            )
            .bind(tenant)
            .bind(u.skeleton.as_str())
            .bind(except.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if hit.is_some() {
                return Err(Error::conflict(
                    "a user with a username that looks the same (confusable characters) exists",
                )
                .with_field("username"));
            }
        }
        Ok(())
    }

    /// Recomputes the keys of `tenant`'s users stored before today's rules
    /// (`keys_version` 0: keys only lower-cased, no skeleton), inside `tx`.
    /// Where a recomputed key or skeleton is already another user's (two
    /// accounts that the old rules told apart), the old key is kept and the
    /// skeleton left empty: both accounts go on working, and no third one
    /// can take a look-alike of the first. Returns how many rows changed.
    async fn backfill(tx: &mut Tx, tenant: &TenantId) -> Result<u64> {
        let mut changed = 0;
        loop {
            let rows: Vec<LegacyRow> = query(
                "SELECT id, email, email_key, username, username_key FROM auth_users \
                 WHERE tenant_id = $1 AND keys_version = 0 ORDER BY id LIMIT 200",
            )
            .bind(tenant)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                return Ok(changed);
            }
            for row in rows {
                let email_key = row
                    .email
                    .as_deref()
                    .and_then(|e| model::email(e).ok())
                    .map(|(_, k)| k)
                    .or_else(|| row.email_key.clone());
                let username = row.username.as_deref().map(model::username_keys);
                let others: Vec<KeysRow> = query(
                    "SELECT email_key, username_key, username_skeleton FROM auth_users \
                     WHERE tenant_id = $1 AND id <> $2 \
                     AND (email_key = $3 OR username_key = $4 OR username_skeleton = $5)",
                )
                .bind(tenant)
                .bind(row.id.as_str())
                .bind(email_key.clone())
                .bind(username.as_ref().map(|u| u.key.clone()))
                .bind(username.as_ref().map(|u| u.skeleton.clone()))
                .fetch_all(&mut *tx)
                .await?;
                let clash = |pick: fn(&KeysRow) -> &Option<String>, v: &Option<String>| {
                    v.is_some() && others.iter().any(|o| pick(o) == v)
                };
                let email_key = if clash(|o| &o.email_key, &email_key) {
                    row.email_key.clone()
                } else {
                    email_key
                };
                let username_key = username.as_ref().map(|u| Some(u.key.clone()));
                let username_key = match username_key {
                    Some(k) if !clash(|o| &o.username_key, &k) => k,
                    _ => row.username_key.clone(),
                };
                let skeleton = username.map(|u| Some(u.skeleton)).unwrap_or_default();
                let skeleton = if clash(|o| &o.username_skeleton, &skeleton) {
                    None
                } else {
                    skeleton
                };
                changed += query(
                    "UPDATE auth_users SET email_key = $3, username_key = $4, \
                     username_skeleton = $5, keys_version = 1 \
                     WHERE tenant_id = $1 AND id = $2 AND keys_version = 0",
                )
                .bind(tenant)
                .bind(row.id.as_str())
                .bind(email_key)
                .bind(username_key)
                .bind(skeleton)
                .execute(&mut *tx)
                .await?;
            }
        }
    }

    /// The stored keys of user `id`.
    async fn keys_of(tx: &mut Tx, tenant: &TenantId, id: Uuid) -> Result<Option<KeysRow>> {
        query(
            "SELECT email_key, username_key, username_skeleton FROM auth_users \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
    }

    async fn find_in(
        tx: &mut Tx,
        tenant: &TenantId,
        email_key: &str,
        username_key: &str,
    ) -> Result<Option<UserRow>> {
        query(
            "SELECT tenant_id, id, email, username, display_name, status, attributes, password_hash, \
             created_at, updated_at FROM auth_users \
             WHERE tenant_id = $1 AND (email_key = $2 OR username_key = $3)",
        )
        .bind(tenant)
        .bind(email_key)
        .bind(username_key)
        .fetch_optional(&mut *tx)
        .await
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
            .map(|u| u.name.clone())
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
        Self::backfill(&mut tx, tenant).await?;
        Self::taken(
            &mut tx,
            tenant,
            email.as_ref().map(|(_, k)| k.as_str()),
            username.as_ref(),
            None,
        )
        .await?;
        query(
            "INSERT INTO auth_users (tenant_id, id, email, email_key, username, username_key, \
             username_skeleton, keys_version, display_name, status, attributes, password_hash, \
             created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10, $11, $12, $12)",
        )
        .bind(tenant)
        .bind(id)
        .bind(email.as_ref().map(|(e, _)| e.clone()))
        .bind(email.as_ref().map(|(_, k)| k.clone()))
        .bind(username.as_ref().map(|u| u.name.clone()))
        .bind(username.as_ref().map(|u| u.key.clone()))
        .bind(username.as_ref().map(|u| u.skeleton.clone()))
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
        let Some((email_key, username_key)) = login_keys(login) else {
            return Ok(None);
        };
        let mut tx = self.db.tenant_tx(tenant).await?;
        let mut row = Self::find_in(&mut tx, tenant, &email_key, &username_key).await?;
        // Nobody: perhaps a user stored before today's keys (an IDN domain,
        // a name not in NFC); bring the tenant's keys up to date, look again.
        if row.is_none() && Self::backfill(&mut tx, tenant).await? > 0 {
            row = Self::find_in(&mut tx, tenant, &email_key, &username_key).await?;
        }
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
        Self::backfill(&mut tx, tenant).await?;
        let current = Self::get_in(&mut tx, tenant, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        let stored = Self::keys_of(&mut tx, tenant, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        Self::taken(
            &mut tx,
            tenant,
            email.as_ref().map(|(_, k)| k.as_str()),
            username.as_ref(),
            Some(id),
        )
        .await?;
        let (email, email_key) = match email {
            Some((e, k)) => (Some(e), Some(k)),
            None => (current.email.clone(), stored.email_key),
        };
        let (username, username_key, skeleton) = match username {
            Some(u) => (Some(u.name), Some(u.key), Some(u.skeleton)),
            None => (
                current.username.clone(),
                stored.username_key,
                stored.username_skeleton,
            ),
        };
        query(
            "UPDATE auth_users SET email = $3, email_key = $4, username = $5, username_key = $6, \
             username_skeleton = $11, display_name = $7, status = $8, attributes = $9, \
             updated_at = $10 WHERE tenant_id = $1 AND id = $2",
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
        .bind(skeleton)
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
        let n = self
            .db
            .tenant_execute(tenant, query("UPDATE auth_users SET password_hash = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",).bind(tenant).bind(id).bind(hash.map(str::to_owned)).bind(self.clock.now()))
            .await?;
        if n == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    async fn delete(&self, tenant: &TenantId, id: Uuid) -> Result<()> {
        let n = self
            .db
            .tenant_execute(
                tenant,
                query("DELETE FROM auth_users WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id),
            )
            .await?;
        if n == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }
}
