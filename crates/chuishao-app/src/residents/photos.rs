//! Photos from residents: JPEG, PNG or WebP up to 10 MB, recognised by their content, never by
//! name. Every photo is decoded (EXIF orientation applied) and re-encoded as a fresh JPEG, so
//! no metadata — EXIF, GPS, XMP, comments — survives to be shown to anyone; a 320-pixel
//! thumbnail is made beside it. Files live in a configurable directory under random keys.

use crate::{App, AppError, Result};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use rand::RngCore;
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// Largest photo accepted, in bytes.
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
/// Most photos one case may carry.
pub const MAX_PHOTOS_PER_CASE: usize = 4;
/// Longest side of a thumbnail, in pixels.
pub const THUMB_SIZE: u32 = 320;

/// Why a photo was refused (each maps to a translated message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoError {
    TooLarge,
    NotAnImage,
    Unreadable,
    TooMany,
}

/// A cleaned photo, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanPhoto {
    pub jpeg: Vec<u8>,
    pub thumb: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The format by content: the magic bytes of JPEG, PNG or WebP; anything else is `None`.
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(ImageFormat::Png)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageFormat::WebP)
    } else {
        None
    }
}

fn encode_jpeg(img: &DynamicImage, quality: u8) -> std::result::Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    let rgb = img.to_rgb8();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&rgb)
        .map_err(|_| PhotoError::Unreadable)?;
    Ok(out)
}

/// Checks, decodes and re-encodes a photo without any of its metadata.
pub fn clean(bytes: &[u8]) -> std::result::Result<CleanPhoto, PhotoError> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge);
    }
    let format = sniff(bytes).ok_or(PhotoError::NotAnImage)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(12_000);
    limits.max_image_height = Some(12_000);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| PhotoError::Unreadable)?;
    let orientation = decoder.orientation().map_err(|_| PhotoError::Unreadable)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| PhotoError::Unreadable)?;
    img.apply_orientation(orientation);
    let jpeg = encode_jpeg(&img, 85)?;
    let thumb = encode_jpeg(&img.thumbnail(THUMB_SIZE, THUMB_SIZE), 80)?;
    Ok(CleanPhoto { jpeg, thumb, width: img.width(), height: img.height() })
}

/// Cleans the photos of one submission off the async threads (decoding is CPU work): more
/// than [`MAX_PHOTOS_PER_CASE`] is refused before any is decoded; the first bad one refuses all.
pub async fn clean_all<B>(raw: Vec<B>) -> std::result::Result<Vec<CleanPhoto>, PhotoError>
where
    B: AsRef<[u8]> + Send + 'static,
{
    if raw.len() > MAX_PHOTOS_PER_CASE {
        return Err(PhotoError::TooMany);
    }
    tokio::task::spawn_blocking(move || raw.iter().map(|b| clean(b.as_ref())).collect())
        .await
        .unwrap_or(Err(PhotoError::Unreadable))
}

/// Whether a key names a stored file (`{32 hex}.jpg` or `{32 hex}.thumb.jpg`).
pub fn valid_file_name(name: &str) -> bool {
    let key = name.strip_suffix(".thumb.jpg").or_else(|| name.strip_suffix(".jpg"));
    key.is_some_and(|k| k.len() == 32 && k.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
}

/// Writes a cleaned photo and its thumbnail into `dir` (created if missing) under a fresh
/// random key, and returns the key.
pub async fn write_photo_files(p: &CleanPhoto, dir: &Path) -> Result<String> {
    tokio::fs::create_dir_all(dir).await.map_err(|e| AppError::Internal(format!("photo dir: {e}")))?;
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    let key = hex::encode(b);
    let write = |name: PathBuf, data: Vec<u8>| async move {
        tokio::fs::write(&name, data).await.map_err(|e| AppError::Internal(format!("photo write: {e}")))
    };
    write(dir.join(format!("{key}.jpg")), p.jpeg.clone()).await?;
    write(dir.join(format!("{key}.thumb.jpg")), p.thumb.clone()).await?;
    Ok(key)
}

/// Removes the files [`write_photo_files`] wrote for `key` (best effort).
pub async fn remove_photo_files(key: &str, dir: &Path) {
    for name in [format!("{key}.jpg"), format!("{key}.thumb.jpg")] {
        let _ = tokio::fs::remove_file(dir.join(name)).await;
    }
}

impl App {
    /// Stores cleaned photos of a case in `dir` (created if missing), at most
    /// [`MAX_PHOTOS_PER_CASE`] per case; returns their keys.
    pub async fn attach_photos(&self, case_id: i64, photos: &[CleanPhoto], dir: &Path) -> Result<Vec<String>> {
        let existing = self.store.case_photo_keys(case_id).await?.len();
        if existing + photos.len() > MAX_PHOTOS_PER_CASE {
            return Err(AppError::invalid("photos", format!("at most {MAX_PHOTOS_PER_CASE} photos per case")));
        }
        let now = self.now_ms();
        let mut keys = Vec::new();
        let mut tx = self.store.begin().await?;
        for p in photos {
            let key = write_photo_files(p, dir).await?;
            tx.insert_case_photo(case_id, &key, (i64::from(p.width), i64::from(p.height), p.jpeg.len() as i64), now)
                .await?;
            keys.push(key);
        }
        tx.commit().await?;
        Ok(keys)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn jpeg_with_gps() -> Vec<u8> {
        let img = DynamicImage::new_rgb8(64, 48);
        let plain = encode_jpeg(&img, 90).unwrap();
        // An APP1 Exif segment carrying a recognisable GPS marker, right after SOI.
        let payload = b"Exif\0\0MM\0*GPSLatitude=39.9745;GPSLongitude=116.3961";
        let len = (payload.len() + 2) as u16;
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1, (len >> 8) as u8, (len & 0xFF) as u8];
        out.extend_from_slice(payload);
        out.extend_from_slice(&plain[2..]);
        out
    }

    #[test]
    fn metadata_does_not_survive_cleaning() {
        let dirty = jpeg_with_gps();
        assert!(dirty.windows(11).any(|w| w == b"GPSLatitude"));
        let clean = clean(&dirty).unwrap();
        assert_eq!((clean.width, clean.height), (64, 48));
        assert!(!clean.jpeg.windows(4).any(|w| w == b"Exif"));
        assert!(!clean.jpeg.windows(3).any(|w| w == b"GPS"));
        assert!(clean.thumb.starts_with(&[0xFF, 0xD8, 0xFF]));
    }

    #[test]
    fn content_decides_not_the_name() {
        assert_eq!(clean(b"#!/bin/sh\nrm -rf /\n").unwrap_err(), PhotoError::NotAnImage);
        assert_eq!(clean(b"<script>alert(1)</script>").unwrap_err(), PhotoError::NotAnImage);
        assert_eq!(clean(&[0xFF, 0xD8, 0xFF, 0x00, 0x01]).unwrap_err(), PhotoError::Unreadable);
        assert_eq!(clean(&vec![0u8; MAX_PHOTO_BYTES + 1]).unwrap_err(), PhotoError::TooLarge);
        let mut png = Vec::new();
        DynamicImage::new_rgb8(10, 10).write_to(&mut Cursor::new(&mut png), ImageFormat::Png).unwrap();
        assert_eq!(sniff(&png), Some(ImageFormat::Png));
        assert!(clean(&png).is_ok());
        assert!(valid_file_name("0123456789abcdef0123456789abcdef.thumb.jpg"));
        assert!(!valid_file_name("../etc/passwd.jpg"));
    }
}
