//! The organiser's rotating QR code: a token naming the activity, its issue instant and a
//! random nonce, signed with HMAC-SHA256 under a key generated once per database (so every
//! node signs and verifies alike). A token is valid for `QR_VALIDITY_MS` after issue; the
//! organiser's page fetches a new one well before. Verifying checks only the signature and
//! the activity; the rules (validity, window, place, replay) are the domain's.

use super::Community;
use crate::time::rfc3339;
use crate::{AppError, Result};
use chuishao_domain::DomainError;
use chuishao_domain::community::{QR_VALIDITY_MS, Scan};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::Serialize;
use sha2::Sha256;

const KEY_NAME: &str = "activity_qr";
/// How often the organiser's page shows a new code.
pub const REFRESH_SECONDS: u32 = 20;
/// Longest token accepted (anything longer is not one of ours).
const MAX_TOKEN: usize = 200;

/// A QR token to show on the organiser's phone.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct QrToken {
    /// What the QR code encodes; the scanning phone sends it back.
    pub token: String,
    pub issued_at: String,
    pub expires_at: String,
    /// Show a new code after this many seconds.
    pub refresh_after_seconds: u32,
}

fn mac(key: &str, body: &str) -> Result<Hmac<Sha256>> {
    let mut m = Hmac::<Sha256>::new_from_slice(key.as_bytes()).map_err(|e| AppError::Internal(e.to_string()))?;
    m.update(body.as_bytes());
    Ok(m)
}

fn forged() -> AppError {
    DomainError::rule("qr_forged", "this is not a code issued for this activity").into()
}

impl Community<'_> {
    /// The deployment's QR signing key (made on first use, shared by every node).
    async fn qr_key(&self) -> Result<String> {
        self.admin().server_key(KEY_NAME).await
    }

    /// A fresh token for activity `id` issued now.
    pub(crate) async fn issue_token(&self, id: i64) -> Result<QrToken> {
        let key = self.qr_key().await?;
        let now = self.now();
        let mut nonce = [0u8; 8];
        rand::rng().fill_bytes(&mut nonce);
        let body = format!("a{id}.{now}.{}", hex::encode(nonce));
        let sig = hex::encode(mac(&key, &body)?.finalize().into_bytes());
        Ok(QrToken {
            token: format!("{body}.{sig}"),
            issued_at: rfc3339(now),
            expires_at: rfc3339(now + QR_VALIDITY_MS),
            refresh_after_seconds: REFRESH_SECONDS,
        })
    }

    /// Checks a scanned token's signature and activity; answers what the rules check.
    pub(crate) async fn verify_token(&self, id: i64, token: &str, lat: f64, lon: f64) -> Result<Scan> {
        let token = token.trim();
        if token.len() > MAX_TOKEN {
            return Err(forged());
        }
        let Some((body, sig)) = token.rsplit_once('.') else { return Err(forged()) };
        let parts: Vec<&str> = body.split('.').collect();
        let [activity, issued, nonce] = parts.as_slice() else { return Err(forged()) };
        if *activity != format!("a{id}") {
            return Err(forged());
        }
        let issued_at: i64 = issued.parse().map_err(|_| forged())?;
        let sig = hex::decode(sig).map_err(|_| forged())?;
        let key = self.qr_key().await?;
        mac(&key, body)?.verify_slice(&sig).map_err(|_| forged())?;
        Ok(Scan { issued_at, nonce: (*nonce).to_string(), lat, lon })
    }
}
