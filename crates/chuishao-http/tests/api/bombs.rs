//! Image bombs against every upload route: a small PNG whose header declares 12000×12000
//! pixels (144 MP; decoding it would take ~430 MB). Unauthenticated it is refused before any
//! file is read (Open311 `api_key`, the report form's CSRF token and rate limit, the console's
//! session and token); authenticated it is refused by its header, before decoding. Nothing is
//! filed or stored either way.

use super::*;
use reqwest::header::COOKIE;
use reqwest::multipart::{Form, Part};

/// CRC-32 (IEEE) of PNG chunks.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A PNG declaring `w`×`h` RGB pixels: a valid header and a token of image data.
pub(super) fn bomb_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // A zlib stream of one empty stored block: the decoder would want 432 MB more.
    chunk(&mut out, b"IDAT", &[0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01]);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn bomb_part() -> Part {
    Part::bytes(bomb_png(12_000, 12_000)).file_name("bomb.png").mime_str("image/png").unwrap()
}

#[test]
fn the_bomb_is_a_png_whose_header_says_144_megapixels() {
    use chuishao_app::residents::photos::{PhotoError, PhotoLimits, probe};
    let bomb = bomb_png(12_000, 12_000);
    assert!(bomb.len() < 200, "{} bytes", bomb.len());
    assert_eq!(probe(&bomb, &PhotoLimits::default()), Err(PhotoError::TooManyPixels));
    // Without the pixel count, the allocation limit alone stops it.
    let unbounded = PhotoLimits { max_pixels: u64::MAX, ..PhotoLimits::default() };
    assert_eq!(probe(&bomb, &unbounded), Err(PhotoError::TooManyPixels));
    let header = image::ImageReader::new(std::io::Cursor::new(&bomb)).with_guessed_format().unwrap();
    assert_eq!(header.into_dimensions().unwrap(), (12_000, 12_000));
}

#[tokio::test]
async fn open311_refuses_the_bomb_with_or_without_a_key() {
    let t = spawn_app_with(Options { photos: true, ..Options::default() }).await;
    let key = t.token("integrator").await;
    let url = t.url("/open311/v2/requests.json");
    let form = |key: Option<&str>| {
        let mut f = Form::new();
        if let Some(k) = key {
            f = f.text("api_key", k.to_string());
        }
        f.text("service_code", "E0101").text("lat", "39.974").text("long", "116.396").text("description", "井盖缺失")
    };
    let send = |req: reqwest::RequestBuilder| async move {
        let res = req.send().await.unwrap();
        (res.status(), res.text().await.unwrap())
    };
    // No key, a wrong key (query, header, form), a key sent only after the file.
    let cases = [
        t.client.post(&url).multipart(form(None).part("media", bomb_part())),
        t.client.post(format!("{url}?api_key=wrong")).multipart(form(None).part("media", bomb_part())),
        t.client.post(&url).bearer_auth("wrong").multipart(form(None).part("media", bomb_part())),
        t.client.post(&url).multipart(form(Some("wrong")).part("media", bomb_part())),
        t.client.post(&url).multipart(form(None).part("media", bomb_part()).text("api_key", key.clone())),
    ];
    for req in cases {
        let (status, text) = send(req).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
        assert!(text.contains("api_key"), "{text}");
    }
    // With a valid key anywhere: refused by the header.
    for req in [
        t.client.post(&url).multipart(form(Some(&key)).part("media", bomb_part())),
        t.client.post(format!("{url}?api_key={key}")).multipart(form(None).part("media", bomb_part())),
    ] {
        let (status, text) = send(req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
        assert!(text.contains("too many pixels"), "{text}");
    }
    assert_eq!(t.case_count().await, 0);
    assert_eq!(t.photos_stored(), 0);
    t.stop().await;
}

#[tokio::test]
async fn the_report_form_refuses_the_bomb_before_and_after_its_checks() {
    let t = spawn_app_with(Options { photos: true, ..Options::default() }).await;
    let (f, _) = t.open_report_form("").await;
    let send = |csrf: &str| {
        let form = Form::new()
            .text("csrf", csrf.to_string())
            .text("form_token", f.form_token.clone())
            .text("description", "井盖缺失，附照片")
            .text("address", "樱花园东门")
            .part("photo", bomb_part());
        let req = t.client.post(t.url("/report")).header(COOKIE, format!("csrf={}", f.cookie)).multipart(form);
        async move {
            let res = req.send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let (status, _) = send("ffffffffffffffffffffffffffffffff").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a wrong token: the photo is never read");
    let (status, page) = send(&f.csrf).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("4000万像素"), "{page}");
    assert_eq!(t.case_count().await, 0);
    // The rate limit, once spent, refuses before the body is read.
    let mut limited = false;
    for _ in 0..25 {
        let (status, _) = t.submit_report(&f, &[("description", "")]).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "the report limit was never reached");
    let (status, _) = send(&f.csrf).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(t.case_count().await, 0);
    assert_eq!(t.photos_stored(), 0);
    t.stop().await;
}

#[tokio::test]
async fn the_console_refuses_the_bomb_without_a_session_and_by_its_header_with_one() {
    let t = spawn_app_with(Options { photos: true, ..Options::default() }).await;
    let (_, c) = t.post(&t.admin, "/api/v1/cases", case_body("E0101", GRID)).await;
    let id = id_of(&c);
    let c = t.ok(&t.admin, &c, "register", json!({})).await;
    let c = t.ok(&t.admin, &c, "dispatch", json!({"handler_code": "CGZF"})).await;
    let dept = super::console::signed_in(&t, "department_staff").await;
    let v = c["version"].as_i64().unwrap().to_string();
    let (st, _) = super::console::act(&t, &dept, id, &[("action", "accept"), ("version", &v)], true).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let version = (c["version"].as_i64().unwrap() + 1).to_string();
    let tokens = [
        ("no-such-session", super::console::csrf_of(&t, "no-such-session").await),
        (dept.as_str(), super::console::csrf_of(&t, &dept).await),
    ];
    let send = |sid: &str| {
        let token = tokens.iter().find(|(s, _)| *s == sid).map(|(_, t)| t.clone()).unwrap();
        let form = Form::new()
            .text("csrf", token)
            .text("action", "resolve")
            .text("version", version.clone())
            .text("result", "已清运")
            .part("photo", bomb_part());
        let req = super::console::browser()
            .post(t.url(&format!("/console/cases/{id}/act")))
            .header(COOKIE, format!("sid={sid}"))
            .multipart(form);
        async move {
            let res = req.send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let before = t.snapshot(&c).await;
    let (status, _) = send("no-such-session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no session: the photo is never read");
    let (status, page) = send(&dept).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("4000万像素"), "{page}");
    assert_eq!(before.0["status"], "accepted");
    assert_eq!(t.snapshot(&c).await, before, "the case is as it was");
    assert_eq!(t.photos_stored(), 0);
    t.stop().await;
}
