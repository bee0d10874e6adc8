//! Photos from residents: JPEG, PNG or WebP up to 10 MB, recognised by their content, never by
//! name. Every photo is decoded (EXIF orientation applied) and re-encoded as a fresh JPEG, so
//! no metadata — EXIF, GPS, XMP, comments — survives to be shown to anyone; a 320-pixel
//! thumbnail is made beside it. Files live in a configurable directory under random keys.
//!
//! Decoding is bounded ([`PhotoLimits`], [`DecodePool`]): a photo's header is probed for its
//! dimensions before any pixel is decoded and refused above a pixel count and an allocation
//! limit, and at most a few photos decode at once; the rest wait briefly, then are refused
//! as [`PhotoError::Busy`] (503 with `Retry-After`).

use crate::residents::Residents;
use crate::{AppError, Result};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use rand::RngCore;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

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
    /// More pixels than [`PhotoLimits::max_pixels`], or a decode larger than the allocation limit.
    TooManyPixels,
    /// Every decoding slot stayed busy for [`PhotoLimits::queue_wait`]: try again later.
    Busy,
}

/// How much decoding one photo, and all photos at once, may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoLimits {
    /// Pixels (width × height) in one photo; the header says, before any decoding.
    pub max_pixels: u64,
    /// Bytes the decoder may allocate for one photo.
    pub max_alloc_bytes: u64,
    /// Photos decoded at the same time on this node.
    pub decode_slots: usize,
    /// How long a photo waits for a slot before it is refused as busy.
    pub queue_wait: Duration,
}

impl Default for PhotoLimits {
    fn default() -> Self {
        PhotoLimits {
            max_pixels: 40_000_000,
            max_alloc_bytes: 256 * 1024 * 1024,
            decode_slots: 2,
            queue_wait: Duration::from_secs(5),
        }
    }
}

/// The node's decoding slots: at most [`PhotoLimits::decode_slots`] submissions decode at once.
#[derive(Debug, Clone)]
pub struct DecodePool {
    pub limits: PhotoLimits,
    slots: Arc<tokio::sync::Semaphore>,
}

impl Default for DecodePool {
    fn default() -> Self {
        DecodePool::new(PhotoLimits::default())
    }
}

impl DecodePool {
    pub fn new(limits: PhotoLimits) -> Self {
        DecodePool { limits, slots: Arc::new(tokio::sync::Semaphore::new(limits.decode_slots.max(1))) }
    }

    /// Seconds a refused caller should wait before trying again.
    pub fn retry_after_secs(&self) -> u64 {
        self.limits.queue_wait.as_secs().max(1)
    }

    /// Cleans the photos of one submission in a slot, off the async threads: more than
    /// [`MAX_PHOTOS_PER_CASE`] is refused before any is decoded; the first bad one refuses all.
    pub async fn clean_all<B>(&self, raw: Vec<B>) -> std::result::Result<Vec<CleanPhoto>, PhotoError>
    where
        B: AsRef<[u8]> + Send + 'static,
    {
        if raw.is_empty() {
            return Ok(vec![]);
        }
        if raw.len() > MAX_PHOTOS_PER_CASE {
            return Err(PhotoError::TooMany);
        }
        // Headers first, in the caller's task: a bomb never waits for (or takes) a slot.
        for b in &raw {
            probe(b.as_ref(), &self.limits)?;
        }
        let permit = tokio::time::timeout(self.limits.queue_wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| PhotoError::Busy)?
            .map_err(|_| PhotoError::Busy)?;
        let limits = self.limits;
        let out = tokio::task::spawn_blocking(move || {
            let cleaned = raw.iter().map(|b| clean_with(b.as_ref(), &limits)).collect();
            drop(permit);
            cleaned
        })
        .await;
        out.unwrap_or(Err(PhotoError::Unreadable))
    }
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

/// A decoder for a photo whose header is within `limits`: size, type by content, then the
/// dimensions and the bytes a decode would take, before any pixel is decoded.
fn checked_decoder<'a>(
    bytes: &'a [u8],
    limits: &PhotoLimits,
) -> std::result::Result<impl ImageDecoder + 'a, PhotoError> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge);
    }
    let format = sniff(bytes).ok_or(PhotoError::NotAnImage)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_alloc = Some(limits.max_alloc_bytes);
    reader.limits(decoder_limits);
    let decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(_) => PhotoError::TooManyPixels,
        _ => PhotoError::Unreadable,
    })?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > limits.max_pixels || decoder.total_bytes() > limits.max_alloc_bytes {
        return Err(PhotoError::TooManyPixels);
    }
    Ok(decoder)
}

/// Reads only a photo's header and refuses it as [`checked_decoder`] would.
pub fn probe(bytes: &[u8], limits: &PhotoLimits) -> std::result::Result<(u32, u32), PhotoError> {
    checked_decoder(bytes, limits).map(|d| d.dimensions())
}

/// Checks, decodes and re-encodes a photo without any of its metadata, within the default
/// limits.
pub fn clean(bytes: &[u8]) -> std::result::Result<CleanPhoto, PhotoError> {
    clean_with(bytes, &PhotoLimits::default())
}

/// As [`clean`], within `limits`.
pub fn clean_with(bytes: &[u8], limits: &PhotoLimits) -> std::result::Result<CleanPhoto, PhotoError> {
    let mut decoder = checked_decoder(bytes, limits)?;
    let orientation = decoder.orientation().map_err(|_| PhotoError::Unreadable)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => PhotoError::TooManyPixels,
        _ => PhotoError::Unreadable,
    })?;
    img.apply_orientation(orientation);
    let jpeg = encode_jpeg(&img, 85)?;
    let thumb = encode_jpeg(&img.thumbnail(THUMB_SIZE, THUMB_SIZE), 80)?;
    Ok(CleanPhoto { jpeg, thumb, width: img.width(), height: img.height() })
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

impl Residents<'_> {
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

    /// The storage keys of a case's photos, in the order they were attached.
    pub async fn case_photo_keys(&self, case_id: i64) -> Result<Vec<String>> {
        Ok(self.store.case_photo_keys(case_id).await?)
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

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut png = Vec::new();
        DynamicImage::new_rgb8(w, h).write_to(&mut Cursor::new(&mut png), ImageFormat::Png).unwrap();
        png
    }

    #[test]
    fn the_header_decides_before_any_pixel_is_decoded() {
        let limits = PhotoLimits { max_pixels: 100 * 100, ..PhotoLimits::default() };
        assert_eq!(probe(&png(100, 100), &limits), Ok((100, 100)));
        assert_eq!(probe(&png(101, 100), &limits), Err(PhotoError::TooManyPixels));
        assert_eq!(clean_with(&png(101, 100), &limits).unwrap_err(), PhotoError::TooManyPixels);
        // The allocation limit refuses what the pixel count alone would let through.
        let small_alloc = PhotoLimits { max_alloc_bytes: 100 * 100 * 3 - 1, ..PhotoLimits::default() };
        assert_eq!(probe(&png(100, 100), &small_alloc), Err(PhotoError::TooManyPixels));
        assert!(clean_with(&png(100, 100), &limits).is_ok());
    }

    #[tokio::test]
    async fn a_full_pool_refuses_as_busy_after_its_wait() {
        let limits = PhotoLimits { decode_slots: 1, queue_wait: Duration::from_millis(50), ..PhotoLimits::default() };
        let pool = DecodePool::new(limits);
        let held = pool.slots.clone().acquire_owned().await.unwrap();
        assert_eq!(pool.clean_all(vec![png(8, 8)]).await.unwrap_err(), PhotoError::Busy);
        // A bomb is refused by its header even while every slot is taken.
        let big = png(300, 300);
        let strict = DecodePool { limits: PhotoLimits { max_pixels: 1000, ..limits }, slots: pool.slots.clone() };
        assert_eq!(strict.clean_all(vec![big]).await.unwrap_err(), PhotoError::TooManyPixels);
        drop(held);
        assert_eq!(pool.clean_all(vec![png(8, 8)]).await.unwrap().len(), 1);
        assert_eq!(pool.clean_all(Vec::<Vec<u8>>::new()).await.unwrap().len(), 0);
    }
}
