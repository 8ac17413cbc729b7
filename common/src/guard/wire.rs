//! The protobuf wire format, read from the front as prost reads it: the
//! request guard's plan (`plan.rs`) reads requests with it.

/// The wire types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WireType {
    Varint,
    SixtyFourBit,
    LengthDelimited,
    StartGroup,
    EndGroup,
    ThirtyTwoBit,
}

impl WireType {
    pub(super) fn of(key: u32) -> Option<Self> {
        Some(match key & 7 {
            0 => Self::Varint,
            1 => Self::SixtyFourBit,
            2 => Self::LengthDelimited,
            3 => Self::StartGroup,
            4 => Self::EndGroup,
            5 => Self::ThirtyTwoBit,
            _ => return None,
        })
    }
}

/// Not a valid encoding of the type (prost would refuse it).
#[derive(Debug)]
pub(super) struct Malformed;

/// The wire format, read from the front.
pub(super) struct Reader<'a> {
    pub(super) bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(super) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// A varint of at most ten bytes, the tenth at most 1 (as prost reads
    /// them).
    pub(super) fn varint(&mut self) -> Result<u64, Malformed> {
        let mut value = 0_u64;
        for (i, byte) in self.bytes.iter().copied().enumerate().take(10) {
            if i == 9 && byte > 1 {
                return Err(Malformed);
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte < 0x80 {
                self.bytes = &self.bytes[i + 1..];
                return Ok(value);
            }
        }
        Err(Malformed)
    }

    /// A field's number and wire type.
    pub(super) fn key(&mut self) -> Result<(u32, WireType), Malformed> {
        let key = u32::try_from(self.varint()?).map_err(|_| Malformed)?;
        let wire = WireType::of(key).ok_or(Malformed)?;
        let number = key >> 3;
        if number == 0 {
            return Err(Malformed);
        }
        Ok((number, wire))
    }

    pub(super) fn take(&mut self, len: usize) -> Result<&'a [u8], Malformed> {
        if len > self.bytes.len() {
            return Err(Malformed);
        }
        let (taken, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(taken)
    }

    /// A length-delimited value's bytes.
    pub(super) fn delimited(&mut self) -> Result<&'a [u8], Malformed> {
        let len = usize::try_from(self.varint()?).map_err(|_| Malformed)?;
        self.take(len)
    }

    /// A scalar of wire type `wire`.
    pub(super) fn scalar(&mut self, wire: WireType) -> Result<(), Malformed> {
        match wire {
            WireType::Varint => self.varint().map(drop),
            WireType::ThirtyTwoBit => self.take(4).map(drop),
            WireType::SixtyFourBit => self.take(8).map(drop),
            _ => Err(Malformed),
        }
    }

    /// Skips a field no plan names, as prost does.
    pub(super) fn skip(
        &mut self,
        wire: WireType,
        number: u32,
        depth: u32,
    ) -> Result<(), Malformed> {
        if depth >= super::plan::RECURSION_LIMIT {
            return Err(Malformed);
        }
        match wire {
            WireType::LengthDelimited => self.delimited().map(drop),
            WireType::StartGroup => loop {
                if self.is_empty() {
                    return Err(Malformed);
                }
                match self.key()? {
                    (inner, WireType::EndGroup) if inner == number => return Ok(()),
                    (_, WireType::EndGroup) => return Err(Malformed),
                    (inner, wire) => self.skip(wire, inner, depth + 1)?,
                }
            },
            WireType::EndGroup => Err(Malformed),
            scalar => self.scalar(scalar),
        }
    }
}
