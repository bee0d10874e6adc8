//! The backup container: a plain POSIX tar (ustar) archive, so an operator can list and
//! unpack it with `tar`. Only regular files are written; the reader checks every header's
//! checksum and reports a member that ends early as truncated. Sizes past ustar's 8 GiB use
//! the base-256 form GNU tar reads.

use sha2::{Digest, Sha256};
use std::io::{self, Read, Write};

const BLOCK: usize = 512;

/// Why an archive could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TarError {
    #[error("the archive ends early{0}")]
    Truncated(String),
    #[error("damaged archive: {0}")]
    Damaged(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

fn put(field: &mut [u8], text: &[u8]) {
    let n = text.len().min(field.len());
    field[..n].copy_from_slice(&text[..n]);
}

fn octal(field: &mut [u8], v: u64) {
    let digits = field.len() - 1;
    if v < 8u64.pow(digits as u32) {
        put(field, format!("{v:0digits$o}\0").as_bytes());
    } else {
        // Base-256: high bit set, big-endian in the rest of the field.
        field.fill(0);
        field[0] = 0x80;
        let bytes = v.to_be_bytes();
        let len = field.len();
        field[len - 8..].copy_from_slice(&bytes);
    }
}

fn header(name: &str, size: u64, mtime: u64) -> io::Result<[u8; BLOCK]> {
    if name.len() > 100 || name.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("member name {name:?} too long")));
    }
    let mut h = [0u8; BLOCK];
    put(&mut h[0..100], name.as_bytes());
    put(&mut h[100..108], b"0000644\0");
    put(&mut h[108..116], b"0000000\0");
    put(&mut h[116..124], b"0000000\0");
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], mtime);
    h[148..156].fill(b' ');
    h[156] = b'0';
    put(&mut h[257..263], b"ustar\0");
    put(&mut h[263..265], b"00");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    put(&mut h[148..156], format!("{sum:06o}\0 ").as_bytes());
    Ok(h)
}

/// Writes members one after another; [`TarWriter::finish`] writes the end marker.
pub struct TarWriter<W: Write> {
    out: W,
    mtime: u64,
}

/// A member written: its name, size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Member {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

impl<W: Write> TarWriter<W> {
    pub fn new(out: W, mtime: u64) -> Self {
        TarWriter { out, mtime }
    }

    /// Appends `size` bytes read from `input` under `name`, hashing them on the way.
    pub fn append(&mut self, name: &str, size: u64, input: &mut dyn Read) -> io::Result<Member> {
        self.out.write_all(&header(name, size, self.mtime)?)?;
        let mut hasher = Sha256::new();
        let mut left = size;
        let mut buf = vec![0u8; 256 * 1024];
        while left > 0 {
            let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            let n = input.read(&mut buf[..want])?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{name} shrank while being archived"),
                ));
            }
            hasher.update(&buf[..n]);
            self.out.write_all(&buf[..n])?;
            left -= n as u64;
        }
        let pad = (BLOCK - (size as usize % BLOCK)) % BLOCK;
        self.out.write_all(&vec![0u8; pad])?;
        Ok(Member { name: name.to_string(), bytes: size, sha256: hex::encode(hasher.finalize()) })
    }

    /// Appends a file from disk.
    pub fn append_file(&mut self, name: &str, path: &std::path::Path) -> io::Result<Member> {
        let mut f = std::fs::File::open(path)?;
        let size = f.metadata()?.len();
        self.append(name, size, &mut f)
    }

    /// Writes the two empty blocks that end an archive and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&[0u8; BLOCK * 2])?;
        self.out.flush()?;
        Ok(self.out)
    }
}

fn parse_octal(field: &[u8]) -> Result<u64, TarError> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        let mut v: u64 = 0;
        for b in &field[field.len().saturating_sub(8)..] {
            v = (v << 8) | u64::from(*b);
        }
        return Ok(v);
    }
    let text: String = field.iter().take_while(|b| **b != 0).map(|b| *b as char).collect::<String>().trim().to_string();
    if text.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(&text, 8).map_err(|_| TarError::Damaged(format!("bad number {text:?} in a header")))
}

/// Reads members in order.
pub struct TarReader<R: Read> {
    inp: R,
}

/// Reads until `buf` is full; the number of bytes read (less only at the end of input).
fn read_full(inp: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match inp.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

impl<R: Read> TarReader<R> {
    pub fn new(inp: R) -> Self {
        TarReader { inp }
    }

    /// The next member's name and size, `None` at the end marker.
    pub fn next_member(&mut self) -> Result<Option<(String, u64)>, TarError> {
        loop {
            let mut h = [0u8; BLOCK];
            let got = read_full(&mut self.inp, &mut h)?;
            if got == 0 {
                return Err(TarError::Truncated(" (no end marker)".into()));
            }
            if got < BLOCK {
                return Err(TarError::Truncated(" inside a header".into()));
            }
            if h.iter().all(|b| *b == 0) {
                return Ok(None);
            }
            let stored = parse_octal(&h[148..156])?;
            let mut copy = h;
            copy[148..156].fill(b' ');
            let sum: u64 = copy.iter().map(|b| u64::from(*b)).sum();
            if sum != stored {
                return Err(TarError::Damaged("a header's checksum does not match".into()));
            }
            let cut =
                |f: &[u8]| String::from_utf8_lossy(&f[..f.iter().position(|b| *b == 0).unwrap_or(f.len())]).to_string();
            let mut name = cut(&h[0..100]);
            let prefix = cut(&h[345..500]);
            if !prefix.is_empty() {
                name = format!("{prefix}/{name}");
            }
            let size = parse_octal(&h[124..136])?;
            match h[156] {
                b'0' | 0 => return Ok(Some((name, size))),
                // Anything else (directories, extended headers): skipped.
                _ => self.skip(&name, size)?,
            }
        }
    }

    fn skip(&mut self, name: &str, size: u64) -> Result<(), TarError> {
        self.copy_to(name, size, &mut io::sink()).map(|_| ())
    }

    /// Copies the current member (of `size` bytes) to `out`; returns its SHA-256.
    pub fn copy_to(&mut self, name: &str, size: u64, out: &mut dyn Write) -> Result<String, TarError> {
        let mut hasher = Sha256::new();
        let padded = size.div_ceil(BLOCK as u64) * BLOCK as u64;
        let mut left = padded;
        let mut data_left = size;
        let mut buf = vec![0u8; 256 * 1024];
        while left > 0 {
            let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            let got = read_full(&mut self.inp, &mut buf[..want])?;
            if got < want {
                return Err(TarError::Truncated(format!(
                    ": {name} stops after {} of {size} bytes",
                    size - data_left + (got as u64).min(data_left)
                )));
            }
            let data = usize::try_from(data_left.min(got as u64)).unwrap_or(got);
            hasher.update(&buf[..data]);
            out.write_all(&buf[..data])?;
            data_left -= data as u64;
            left -= got as u64;
        }
        Ok(hex::encode(hasher.finalize()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn archive() -> Vec<u8> {
        let mut w = TarWriter::new(Vec::new(), 1_700_000_000);
        w.append("a.txt", 5, &mut &b"hello"[..]).unwrap();
        let big = vec![7u8; 1500];
        w.append("photos/b.jpg", big.len() as u64, &mut big.as_slice()).unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn members_round_trip_with_their_hashes() {
        let bytes = archive();
        assert_eq!(bytes.len() % 512, 0);
        let mut r = TarReader::new(bytes.as_slice());
        let (name, size) = r.next_member().unwrap().unwrap();
        assert_eq!((name.as_str(), size), ("a.txt", 5));
        let mut out = Vec::new();
        let sha = r.copy_to(&name, size, &mut out).unwrap();
        assert_eq!(out, b"hello");
        assert_eq!(sha, hex::encode(Sha256::digest(b"hello")));
        let (name, size) = r.next_member().unwrap().unwrap();
        assert_eq!((name.as_str(), size), ("photos/b.jpg", 1500));
        r.copy_to(&name, size, &mut io::sink()).unwrap();
        assert!(r.next_member().unwrap().is_none());
    }

    #[test]
    fn a_cut_archive_is_truncated_and_a_flipped_header_damaged() {
        let bytes = archive();
        for cut in [100, 512 + 3, 1024 + 700, bytes.len() - 1024] {
            let mut r = TarReader::new(&bytes[..cut]);
            let mut failed = None;
            for _ in 0..4 {
                match r.next_member() {
                    Ok(Some((n, s))) => {
                        if let Err(e) = r.copy_to(&n, s, &mut io::sink()) {
                            failed = Some(e);
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            assert!(matches!(failed, Some(TarError::Truncated(_))), "cut at {cut}: {failed:?}");
        }
        let mut bad = bytes.clone();
        bad[10] ^= 1;
        assert!(matches!(TarReader::new(bad.as_slice()).next_member(), Err(TarError::Damaged(_))));
    }

    #[test]
    fn sizes_past_eight_gib_use_base_256() {
        let mut f = [0u8; 12];
        octal(&mut f, 10 * 1024 * 1024 * 1024);
        assert_eq!(parse_octal(&f).unwrap(), 10 * 1024 * 1024 * 1024);
        octal(&mut f, 1234);
        assert_eq!(parse_octal(&f).unwrap(), 1234);
    }
}
