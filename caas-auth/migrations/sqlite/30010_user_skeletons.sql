-- Confusable usernames (UTS 39 skeletons) and normalized keys.
--
-- `username_skeleton` is the username's skeleton (confusable characters
-- mapped to one prototype, case folded): two usernames that look alike
-- share it, and the unique index refuses the second per tenant (NULLs, of
-- users without a username, are distinct).
--
-- `keys_version` says how `email_key`, `username_key` and
-- `username_skeleton` were computed: 0 for rows from before this
-- migration (keys only lower-cased, no skeleton), 1 for today's rules (NFC,
-- the email domain in its UTS 46 ASCII form, the skeleton). SQL cannot
-- compute either, so the user store backfills version-0 rows of a tenant
-- the first time it writes a user there (or a login finds nobody), in
-- that tenant's transaction.
ALTER TABLE auth_users ADD COLUMN username_skeleton TEXT;
ALTER TABLE auth_users ADD COLUMN keys_version BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX auth_users_username_skeleton ON auth_users (tenant_id, username_skeleton);
CREATE INDEX auth_users_legacy_keys ON auth_users (tenant_id, id) WHERE keys_version = 0;

-- Erasing a username (a data-subject erasure sets it NULL) erases its
-- skeleton too: it is derived from the name.
CREATE TRIGGER auth_users_forget_skeleton
AFTER UPDATE OF username ON auth_users
FOR EACH ROW WHEN NEW.username IS NULL AND NEW.username_skeleton IS NOT NULL
BEGIN
    UPDATE auth_users SET username_skeleton = NULL
    WHERE tenant_id = NEW.tenant_id AND id = NEW.id;
END;
