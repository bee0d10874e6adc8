//! The storage layer's error type.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("configuration: {0}")]
    Config(String),
    /// A unique constraint refused the write (duplicate code, username, key…).
    #[error("already exists: {0}")]
    Conflict(String),
    /// A stored value could not be read back (corrupt or foreign data).
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// A copy or a restore found data where it must write into an empty database.
    #[error("the target database is not empty: {0}")]
    NotEmpty(String),
    #[error("migration {version} failed: {message}")]
    Migration { version: i64, message: String },
}

impl StoreError {
    /// Maps a unique-constraint violation to `Conflict`, leaving other errors as they are.
    pub(crate) fn unique(e: sqlx::Error, what: &str) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            return StoreError::Conflict(what.to_string());
        }
        StoreError::Database(e)
    }
}
