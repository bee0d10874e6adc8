-- The reporter vault sealed at rest (issue 13), PostgreSQL. Keep in step with ../sqlite/0036_vault.sql.
-- `name` and `phone` hold XChaCha20-Poly1305 ciphertext (`v1:` + base64) under the key named
-- here, kept outside the database (privacy.vault_key_file); null: a row from before, still
-- plain until the first start with a key seals it.
alter table reporters add column key_id text;
