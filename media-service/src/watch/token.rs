//! Resume tokens: a position in one user's history, opaque to clients.
//!
//! Not sealed like page tokens, on purpose: a token means something only
//! for the caller's own list, so a forged one can replay nothing the
//! caller may not see; and a plain one survives a restart or a replica
//! without the shared `PAGE_TOKEN_SECRET`, which is when clients need it.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// The first byte of every token, for a format to come.
const VERSION: u8 = 1;

/// The token of position `seq`.
pub(crate) fn encode(seq: i64) -> String {
    let mut bytes = [0; 9];
    bytes[0] = VERSION;
    bytes[1..].copy_from_slice(&seq.to_be_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The position of a token; `None` for the empty token (start now).
pub(crate) fn decode(token: &str) -> Result<Option<i64>, &'static str> {
    const NOT_OURS: &str = "is not a resume token of this service";
    if token.is_empty() {
        return Ok(None);
    }
    // 9 bytes are 12 characters; anything longer is not ours, unread.
    if token.len() != 12 {
        return Err(NOT_OURS);
    }
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| NOT_OURS)?;
    let (&[VERSION], seq) = bytes.split_at(1) else {
        return Err(NOT_OURS);
    };
    let seq = i64::from_be_bytes(seq.try_into().map_err(|_| NOT_OURS)?);
    if seq < 0 {
        return Err(NOT_OURS);
    }
    Ok(Some(seq))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn tokens_round_trip() {
        for seq in [0, 1, 42, i64::MAX] {
            assert_eq!(decode(&encode(seq)), Ok(Some(seq)));
        }
        assert_eq!(decode(""), Ok(None));
        assert!(decode("not a token!").is_err());
        assert!(decode(&encode(-1)).is_err());
        assert!(decode(&"A".repeat(5000)).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(token in any::<String>()) {
            let _ = decode(&token);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..16)) {
            let _ = decode(&URL_SAFE_NO_PAD.encode(bytes));
        }
    }
}
