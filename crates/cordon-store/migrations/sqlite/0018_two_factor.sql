-- 双因素登录: a user's TOTP secret, sealed like an ID number (AES-GCM under the key file, bound
-- to the user), and the last time step a code was accepted for, so a code counts once.
ALTER TABLE users ADD COLUMN totp_sealed BLOB;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
