//! Opening a text file whose encoding is UTF-8 (with or without BOM) or GB18030.
//!
//! The first pass reads the file once, without keeping it: it finds the encoding, refuses bytes
//! that are neither, refuses NUL bytes (binary files, UTF-16, a zip renamed .csv) and over-long
//! lines, each with the line where it happens. The second pass hands the caller a reader of
//! UTF-8 text. Two streaming passes beat one pass that holds a 2 GB file in memory.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use encoding_rs::{DecoderResult, Encoding, GB18030, UTF_8};

use crate::ImportError;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub max_line_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_file_bytes: 4 << 30, max_line_bytes: 1 << 20 }
    }
}

/// Bytes read so far, shared with a progress bar.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    pub fn bytes(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Clone)]
pub struct TextFile {
    pub path: PathBuf,
    pub encoding: &'static Encoding,
    pub size: u64,
    bom_len: usize,
}

const CHUNK: usize = 1 << 20;

impl TextFile {
    pub fn open(path: &Path, limits: Limits) -> Result<Self, ImportError> {
        let io_err = |source| ImportError::Io { file: path.to_owned(), source };
        let mut file = File::open(path).map_err(io_err)?;
        let size = file.metadata().map_err(io_err)?.len();
        if size > limits.max_file_bytes {
            return Err(ImportError::TooLarge { file: path.to_owned(), size, limit: limits.max_file_bytes });
        }
        let mut head = [0u8; 3];
        let n = read_full(&mut file, &mut head).map_err(io_err)?;
        let bom_len = if n == 3 && head == [0xEF, 0xBB, 0xBF] { 3 } else { 0 };

        let mut scan = Scan::new(path, limits.max_line_bytes);
        file.rewind().map_err(io_err)?;
        let utf8 = scan.run(&mut file, bom_len, UTF_8)?;
        let encoding = if utf8 {
            UTF_8
        } else {
            file.rewind().map_err(io_err)?;
            let mut scan = Scan::new(path, limits.max_line_bytes);
            if !scan.run(&mut file, 0, GB18030)? {
                return Err(ImportError::Encoding {
                    file: path.to_owned(),
                    line: scan.bad_line,
                    reason: "bytes that are neither UTF-8 nor GB18030; save the file as UTF-8 (CSV UTF-8 in Excel)".into(),
                });
            }
            GB18030
        };
        Ok(TextFile { path: path.to_owned(), encoding, size, bom_len })
    }

    /// The file's text as UTF-8, BOM removed. `progress` counts the file's bytes as they are read.
    pub fn reader(&self, progress: &Progress) -> Result<Box<dyn Read + Send>, ImportError> {
        let mut file =
            File::open(&self.path).map_err(|source| ImportError::Io { file: self.path.clone(), source })?;
        let mut skip = vec![0u8; self.bom_len];
        file.read_exact(&mut skip).map_err(|source| ImportError::Io { file: self.path.clone(), source })?;
        let counted = Counted { inner: file, progress: progress.clone() };
        if self.encoding == UTF_8 {
            Ok(Box::new(BufReader::with_capacity(CHUNK, counted)))
        } else {
            Ok(Box::new(Decoding::new(BufReader::with_capacity(CHUNK, counted), self.encoding)))
        }
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The first pass: decodes without replacement and discards the text, counting lines.
struct Scan<'a> {
    path: &'a Path,
    max_line: usize,
    line: u64,
    line_len: usize,
    bad_line: u64,
}

impl<'a> Scan<'a> {
    fn new(path: &'a Path, max_line: usize) -> Self {
        Scan { path, max_line, line: 1, line_len: 0, bad_line: 0 }
    }

    /// Ok(true): the whole file decodes; Ok(false): it does not (the line is in `bad_line`).
    fn run(&mut self, file: &mut File, skip: usize, enc: &'static Encoding) -> Result<bool, ImportError> {
        let mut decoder = enc.new_decoder_without_bom_handling();
        let mut buf = vec![0u8; CHUNK];
        let mut out = vec![0u8; CHUNK * 4 + 16];
        let mut skip = skip;
        loop {
            let n = file
                .read(&mut buf)
                .map_err(|source| ImportError::Io { file: self.path.to_owned(), source })?;
            let last = n == 0;
            let s = skip.min(n);
            skip -= s;
            let mut input = &buf[s..n];
            loop {
                let (result, read, written) =
                    decoder.decode_to_utf8_without_replacement(input, &mut out, last);
                self.count(&out[..written])?;
                input = &input[read..];
                match result {
                    DecoderResult::InputEmpty => break,
                    DecoderResult::OutputFull => continue,
                    DecoderResult::Malformed(..) => {
                        self.bad_line = self.line;
                        return Ok(false);
                    }
                }
            }
            if last {
                return Ok(true);
            }
        }
    }

    fn count(&mut self, text: &[u8]) -> Result<(), ImportError> {
        for &b in text {
            match b {
                b'\n' => {
                    self.line += 1;
                    self.line_len = 0;
                }
                0 => {
                    return Err(ImportError::Encoding {
                        file: self.path.to_owned(),
                        line: self.line,
                        reason:
                            "a NUL byte: this is not a text file (a spreadsheet, an archive, or UTF-16 text?)"
                                .into(),
                    });
                }
                _ => {
                    self.line_len += 1;
                    if self.line_len > self.max_line {
                        return Err(ImportError::LineTooLong {
                            file: self.path.to_owned(),
                            line: self.line,
                            limit: self.max_line,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

struct Counted<R> {
    inner: R,
    progress: Progress,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A reader that decodes another reader's bytes into UTF-8. The first pass proved the bytes
/// decode, so replacement never happens here.
struct Decoding<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    pending: Vec<u8>,
    pending_at: usize,
}

impl<R: Read> Decoding<R> {
    fn new(inner: R, enc: &'static Encoding) -> Self {
        Decoding {
            inner,
            decoder: enc.new_decoder_without_bom_handling(),
            input: vec![0; CHUNK],
            start: 0,
            end: 0,
            eof: false,
            pending: Vec::with_capacity(CHUNK * 4),
            pending_at: 0,
        }
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pending_at < self.pending.len() {
                let n = buf.len().min(self.pending.len() - self.pending_at);
                buf[..n].copy_from_slice(&self.pending[self.pending_at..self.pending_at + n]);
                self.pending_at += n;
                return Ok(n);
            }
            if self.eof && self.start == self.end {
                return Ok(0);
            }
            if self.start == self.end && !self.eof {
                self.start = 0;
                self.end = self.inner.read(&mut self.input)?;
                self.eof = self.end == 0;
            }
            self.pending.clear();
            self.pending_at = 0;
            let cap = self.decoder.max_utf8_buffer_length(self.end - self.start).unwrap_or(CHUNK * 4).max(16);
            self.pending.resize(cap, 0);
            let (_, read, written, _) =
                self.decoder.decode_to_utf8(&self.input[self.start..self.end], &mut self.pending, self.eof);
            self.start += read;
            self.pending.truncate(written);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    struct Scratch {
        path: PathBuf,
        _file: tempfile::NamedTempFile,
    }

    fn file(bytes: &[u8]) -> Scratch {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        Scratch { path: f.path().to_owned(), _file: f }
    }

    fn text(bytes: &[u8]) -> Result<(String, &'static str), ImportError> {
        let f = file(bytes);
        let t = TextFile::open(&f.path, Limits { max_file_bytes: 1 << 20, max_line_bytes: 64 })?;
        let mut s = String::new();
        t.reader(&Progress::default())?.read_to_string(&mut s).unwrap();
        Ok((s, t.encoding.name()))
    }

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(text("a,b\n王,1\n".as_bytes()).unwrap(), ("a,b\n王,1\n".into(), "UTF-8"));
        assert_eq!(text(b"\xEF\xBB\xBFa,b\n").unwrap(), ("a,b\n".into(), "UTF-8"));
    }

    #[test]
    fn gb18030_is_recognised() {
        let (bytes, _, _) = GB18030.encode("code,name\n150102,新城区\n");
        assert_eq!(text(&bytes).unwrap(), ("code,name\n150102,新城区\n".into(), "gb18030"));
    }

    #[test]
    fn garbage_names_its_line() {
        let err = text(b"a,b\nok,1\n\xFF\xFF\xFF,2\n").unwrap_err().to_string();
        assert!(
            err.ends_with(
                ":3: bytes that are neither UTF-8 nor GB18030; save the file as UTF-8 (CSV UTF-8 in Excel)"
            ),
            "{err}"
        );
        let err = text(b"a,b\n\x00\x01").unwrap_err().to_string();
        assert!(err.contains(":2: a NUL byte"), "{err}");
    }

    #[test]
    fn long_lines_and_big_files_are_refused() {
        let long = format!("a\n{}\n", "x".repeat(100));
        assert!(
            text(long.as_bytes()).unwrap_err().to_string().contains(":2: the line is longer than 64 bytes")
        );
        let big = file(&vec![b'a'; 2048]);
        let err =
            TextFile::open(&big.path, Limits { max_file_bytes: 1024, max_line_bytes: 4096 }).unwrap_err();
        assert!(matches!(err, ImportError::TooLarge { size: 2048, .. }));
    }

    #[test]
    fn decoding_across_chunk_boundaries() {
        let line = "社区,小区,楼栋\n".repeat(200_000);
        let (bytes, _, _) = GB18030.encode(&line);
        let f = file(&bytes);
        let t = TextFile::open(&f.path, Limits::default()).unwrap();
        let mut s = String::new();
        t.reader(&Progress::default()).unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, line);
    }
}
