//! Reading multipart bodies that may carry photos, with a gate before the first file: the
//! caller's checks (a credential, the CSRF token, a rate limit) run on the text fields sent
//! so far, and a refused request is answered without reading one byte of its files. Forms
//! put their token before their file inputs, and integrators send `api_key` before `media`
//! (or in the query or `Authorization`), so an honest request always passes the gate.
//!
//! Photos are only kept as bytes here; decoding happens after every check, in the node's
//! [`chuishao_app::residents::photos::DecodePool`].

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;

/// A multipart body's text fields in order (names may repeat) and its files of one name.
#[derive(Debug, Default)]
pub(crate) struct Upload {
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) files: Vec<Bytes>,
}

/// Why a multipart body was not read to its end.
#[derive(Debug)]
pub(crate) enum UploadError<E> {
    /// Larger than the route's body limit.
    TooLarge,
    /// Not multipart, or broken.
    Unreadable(String),
    /// A file part under another name than the files' (`name`).
    StrayFile(String),
    /// The gate refused: its reason, and the text fields read before the first file.
    Refused(E, Vec<(String, String)>),
}

/// Reads a multipart body: text fields, and the non-empty file parts named `file_field`.
/// `gate` runs once, on the fields read so far, when the first file part arrives; when it
/// refuses, the rest of the body is left unread. A file under another name is refused when
/// `strict`, else read as text (browsers send unchosen inputs as empty files).
pub(crate) async fn read_multipart<E>(
    parts: &Parts,
    body: Body,
    file_field: &str,
    strict: bool,
    gate: impl AsyncFnOnce(&[(String, String)]) -> Result<(), E>,
) -> Result<Upload, UploadError<E>> {
    let too_large_or = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            UploadError::TooLarge
        } else {
            UploadError::Unreadable(e.body_text())
        }
    };
    // The original parts carry the route's body limit.
    let req = Request::from_parts(parts.clone(), body);
    let mut mp =
        axum::extract::Multipart::from_request(req, &()).await.map_err(|e| UploadError::Unreadable(e.body_text()))?;
    let mut out = Upload::default();
    let mut gate = Some(gate);
    while let Some(field) = mp.next_field().await.map_err(too_large_or)? {
        let name = field.name().unwrap_or("").to_string();
        let is_file = field.file_name().is_some();
        if is_file
            && let Some(g) = gate.take()
            && let Err(e) = g(&out.fields).await
        {
            return Err(UploadError::Refused(e, out.fields));
        }
        let data = field.bytes().await.map_err(too_large_or)?;
        if is_file && name == file_field {
            // An empty part is a form sent without a file chosen.
            if !data.is_empty() {
                out.files.push(data);
            }
        } else if is_file && strict {
            return Err(UploadError::StrayFile(name));
        } else {
            out.fields.push((name, String::from_utf8_lossy(&data).into_owned()));
        }
    }
    Ok(out)
}

/// The last value of `name` among `fields`.
pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}
