-- Rotation re-wraps in the background: when the last key was re-wrapped.
ALTER TABLE crypto_key_rotations ADD COLUMN completed_at BIGINT;
