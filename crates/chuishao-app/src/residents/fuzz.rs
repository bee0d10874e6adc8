//! Fuzz harness (stable Rust, proptest) over the photo pipeline and the redactor: arbitrary
//! bytes and mutated small PNG/JPEG/WebP files are cleaned or refused — never a panic or a
//! hang — and what is cleaned is a JPEG; any text redacts without a panic and leaves no
//! mobile number. `bench/fuzz.sh` runs it for minutes (`CHUISHAO_FUZZ_CASES`); the normal
//! test run does a short pass.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::photos::{clean, sniff};
use super::public_text::Redactor;
use proptest::prelude::*;
use std::io::Cursor;

/// Cases per harness: `CHUISHAO_FUZZ_CASES`, else a short pass.
fn cases() -> u32 {
    std::env::var("CHUISHAO_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)
}

/// Small valid images in every accepted format.
fn seeds() -> Vec<Vec<u8>> {
    let img = image::DynamicImage::new_rgb8(24, 16);
    [image::ImageFormat::Png, image::ImageFormat::Jpeg, image::ImageFormat::WebP]
        .into_iter()
        .map(|f| {
            let mut out = Cursor::new(Vec::new());
            img.write_to(&mut out, f).expect("encodes");
            out.into_inner()
        })
        .collect()
}

fn mutate(base: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut out = base.to_vec();
    for &(pos, kind, byte) in edits {
        if out.is_empty() {
            out.push(byte);
            continue;
        }
        let i = pos % out.len();
        match kind % 4 {
            0 => out[i] = byte,
            1 => out.insert(i, byte),
            2 => {
                out.remove(i);
            }
            // Truncation: a file cut off in transfer.
            _ => out.truncate(i.max(1)),
        }
    }
    out
}

fn check(bytes: &[u8]) {
    let _ = sniff(bytes);
    if let Ok(photo) = clean(bytes) {
        assert_eq!(sniff(&photo.jpeg), Some(image::ImageFormat::Jpeg), "cleaned photos are JPEG");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_are_cleaned_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        check(&bytes);
    }

    #[test]
    fn mutated_images_are_cleaned_or_refused(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..6),
    ) {
        let seeds = seeds();
        check(&mutate(&seeds[which], &edits));
    }

    #[test]
    fn any_text_redacts_and_no_mobile_number_survives(
        text in "\\PC{0,80}",
        mobile in "1[3-9][0-9]{9}",
        at in any::<usize>(),
    ) {
        let r = Redactor::default();
        let chars: Vec<char> = text.chars().collect();
        let i = if chars.is_empty() { 0 } else { at % chars.len() };
        let mixed: String = chars[..i].iter().chain([' '].iter()).collect::<String>() + &mobile + " " + &chars[i..].iter().collect::<String>();
        let out = r.redact(&mixed, &[]);
        prop_assert!(!out.contains(&mobile), "{} → {}", mixed, out);
    }
}
