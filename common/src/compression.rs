//! Compressed messages, as gRPC clients in other languages send them by
//! default: requests compressed with gzip or zstd are taken, and answers
//! compressed when the caller asks (`grpc-accept-encoding`). Every server
//! here takes them through [`ENCODINGS`]; the request guard uncompresses a
//! request's message ([`uncompressed`]) to check it, so a compressed
//! request is checked like any other and never grows past its limit.

use std::io::Read;

use bytes::{BufMut, Bytes, BytesMut};
use http::HeaderValue;
use tonic::codec::CompressionEncoding;

use crate::error::CommonError;

/// The encodings every server takes and answers in.
pub const ENCODINGS: [CompressionEncoding; 2] =
    [CompressionEncoding::Gzip, CompressionEncoding::Zstd];

/// The gRPC frame header: a compression flag and a 4-byte length.
const FRAME_HEADER: usize = 5;

/// The largest window a zstd message may ask to be uncompressed with
/// (2^24 bytes): the window is memory held while uncompressing, and the
/// sender chooses it.
const ZSTD_MAX_WINDOW_LOG: u32 = 24;

/// `frame` (one framed request message) with its message uncompressed,
/// when it is compressed with `encoding` (the request's `grpc-encoding`)
/// and that is one of [`ENCODINGS`]; as it is otherwise (tonic refuses an
/// encoding it does not take). Uncompressed, the message may be at most
/// `max` bytes.
pub fn uncompressed(
    frame: Bytes,
    encoding: Option<&HeaderValue>,
    max: usize,
) -> Result<Bytes, CommonError> {
    let Some(([1, length @ ..], compressed)) = frame.split_first_chunk::<FRAME_HEADER>() else {
        return Ok(frame);
    };
    if usize::try_from(u32::from_be_bytes(*length)).ok() != Some(compressed.len()) {
        return Err(CommonError::Malformed(
            "the request is not one whole gRPC message".into(),
        ));
    }
    let unreadable = |_| {
        CommonError::Malformed(format!(
            "the request's message is not valid {}",
            encoding.and_then(|e| e.to_str().ok()).unwrap_or_default()
        ))
    };
    let reader: Box<dyn Read + '_> = match encoding.map(HeaderValue::as_bytes) {
        Some(b"gzip") => Box::new(flate2::read::GzDecoder::new(compressed)),
        Some(b"zstd") => {
            let mut decoder = zstd::stream::read::Decoder::new(compressed).map_err(unreadable)?;
            decoder
                .window_log_max(ZSTD_MAX_WINDOW_LOG)
                .map_err(unreadable)?;
            Box::new(decoder)
        }
        _ => return Ok(frame),
    };
    let mut message = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(limit)
        .read_to_end(&mut message)
        .map_err(unreadable)?;
    if message.len() > max {
        return Err(CommonError::TooLarge(max));
    }
    let length = u32::try_from(message.len()).map_err(|_| CommonError::TooLarge(max))?;
    let mut frame = BytesMut::with_capacity(FRAME_HEADER + message.len());
    frame.put_u8(0);
    frame.put_u32(length);
    frame.extend_from_slice(&message);
    Ok(frame.freeze())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use proptest::prelude::*;

    use super::*;

    fn framed(flag: u8, message: &[u8]) -> Bytes {
        let mut frame = BytesMut::new();
        frame.put_u8(flag);
        frame.put_u32(u32::try_from(message.len()).unwrap());
        frame.extend_from_slice(message);
        frame.freeze()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn a_compressed_message_is_given_uncompressed() {
        let message = b"\x0a\x05hello".repeat(100);
        let gzip_header = HeaderValue::from_static("gzip");
        let zstd_header = HeaderValue::from_static("zstd");
        let zstd = zstd::encode_all(message.as_slice(), 3).unwrap();
        for (encoding, compressed) in [(&gzip_header, gzip(&message)), (&zstd_header, zstd)] {
            let out = uncompressed(framed(1, &compressed), Some(encoding), 4096).unwrap();
            assert_eq!(out, framed(0, &message), "{encoding:?}");
        }
        // Not compressed, or in an encoding tonic refuses: as it is.
        let plain = framed(0, &message);
        assert_eq!(
            uncompressed(plain.clone(), Some(&gzip_header), 10).unwrap(),
            plain
        );
        let brotli = HeaderValue::from_static("br");
        let other = framed(1, b"whatever");
        assert_eq!(
            uncompressed(other.clone(), Some(&brotli), 10).unwrap(),
            other
        );
    }

    #[test]
    fn a_message_that_grows_past_the_limit_is_refused_as_it_grows() {
        // 64 MiB of zeros, some 64 KiB compressed.
        let bomb = gzip(&vec![0; 64 << 20]);
        let refused = uncompressed(
            framed(1, &bomb),
            Some(&HeaderValue::from_static("gzip")),
            1 << 20,
        );
        assert!(matches!(refused, Err(CommonError::TooLarge(max)) if max == 1 << 20));
    }

    #[test]
    fn broken_compressed_messages_are_malformed() {
        let gzip = HeaderValue::from_static("gzip");
        let broken = uncompressed(framed(1, b"not gzip at all"), Some(&gzip), 1024);
        assert!(matches!(broken, Err(CommonError::Malformed(_))));
        let mut short = framed(1, b"abc").to_vec();
        short.pop();
        let short = uncompressed(Bytes::from(short), Some(&gzip), 1024);
        assert!(matches!(short, Err(CommonError::Malformed(_))));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(
            body in proptest::collection::vec(any::<u8>(), 0..2048),
            zstd in any::<bool>(),
        ) {
            let encoding = HeaderValue::from_static(if zstd { "zstd" } else { "gzip" });
            let _ = uncompressed(Bytes::from(body.clone()), Some(&encoding), 4096);
            let mut framed_body = vec![1];
            framed_body.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
            framed_body.extend_from_slice(&body);
            let _ = uncompressed(Bytes::from(framed_body), Some(&encoding), 4096);
        }
    }
}
