//! The request guard's check, planned once: each request type's descriptor
//! is walked at start-up into a [`Plan`] (per message type, what each field
//! number holds), and a request is then checked by reading its wire format
//! once against the plan, without decoding it into a message of its own:
//! prost decodes it again for the handler anyway. The reading refuses
//! what prost would refuse (a bad varint or length, a field with the wrong
//! wire type, text that is not UTF-8, too deep a nesting), and skips what
//! prost skips (unknown fields).
//!
//! Where it differs from a decoded message, it is stricter, never looser:
//! a field sent twice is checked twice (prost keeps the last), and a map's
//! entries are named as they travel, a list of key and value pairs
//! (`labels[0].value`). At most [`MAX_VIOLATIONS`] are named, so a small
//! request of many bad strings cannot make a large answer.

use std::collections::HashMap;

use prost_reflect::{Cardinality, FieldDescriptor, Kind, MessageDescriptor};
use tonic_types::FieldViolation;

use super::{
    is_unwanted,
    wire::{Malformed, Reader, WireType},
};

/// How deep messages may nest: prost's own limit.
pub(super) const RECURSION_LIMIT: u32 = 100;

/// The most violations one request is refused with (the rest are not
/// named).
pub(super) const MAX_VIOLATIONS: usize = 100;

/// The message types a service's requests may hold, each once, by index.
#[derive(Debug, Default)]
pub(super) struct Plan {
    messages: Vec<MessagePlan>,
    /// Index of each type planned, by full name.
    known: HashMap<String, usize>,
}

/// One message type: its fields by number, in order.
#[derive(Debug)]
struct MessagePlan {
    name: String,
    fields: Vec<(u32, FieldPlan)>,
}

#[derive(Debug)]
struct FieldPlan {
    name: String,
    /// Repeated (a list, or a map's entries): violations name the element.
    repeated: bool,
    shape: Shape,
}

/// What a field holds, as the wire format carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// A string: UTF-8, checked for unwanted characters.
    Text,
    /// A message (plan index), length-delimited.
    Message(usize),
    /// A group (plan index): a proto2 message between start and end tags.
    Group(usize),
    /// Bytes: length-delimited, not looked into.
    Bytes,
    /// A scalar of this wire type (packed when repeated and
    /// length-delimited).
    Scalar(WireType),
}

impl Plan {
    /// Adds `message` (and every type it holds) to the plan; its index.
    pub(super) fn add(&mut self, message: &MessageDescriptor) -> usize {
        if let Some(index) = self.known.get(message.full_name()) {
            return *index;
        }
        let index = self.messages.len();
        self.known.insert(message.full_name().to_owned(), index);
        // Reserved first: a type may hold itself.
        self.messages.push(MessagePlan {
            name: message.full_name().to_owned(),
            fields: Vec::new(),
        });
        let mut fields: Vec<(u32, FieldPlan)> = message
            .fields()
            .map(|field| (field.number(), self.field(&field)))
            .collect();
        fields.sort_by_key(|(number, _)| *number);
        self.messages[index].fields = fields;
        index
    }

    /// The full name of message `index`.
    pub(super) fn name(&self, index: usize) -> &str {
        &self.messages[index].name
    }

    fn field(&mut self, field: &FieldDescriptor) -> FieldPlan {
        let shape = match field.kind() {
            Kind::String => Shape::Text,
            Kind::Bytes => Shape::Bytes,
            Kind::Message(message) if field.is_group() => Shape::Group(self.add(&message)),
            Kind::Message(message) => Shape::Message(self.add(&message)),
            Kind::Double | Kind::Fixed64 | Kind::Sfixed64 => Shape::Scalar(WireType::SixtyFourBit),
            Kind::Float | Kind::Fixed32 | Kind::Sfixed32 => Shape::Scalar(WireType::ThirtyTwoBit),
            Kind::Int32
            | Kind::Int64
            | Kind::Uint32
            | Kind::Uint64
            | Kind::Sint32
            | Kind::Sint64
            | Kind::Bool
            | Kind::Enum(_) => Shape::Scalar(WireType::Varint),
        };
        FieldPlan {
            name: field.name().to_owned(),
            repeated: field.cardinality() == Cardinality::Repeated,
            shape,
        }
    }

    /// Reads `bytes` as message `index`, recording every text field that
    /// holds an unwanted character.
    pub(super) fn check(
        &self,
        index: usize,
        bytes: &[u8],
        violations: &mut Vec<FieldViolation>,
    ) -> Result<(), Malformed> {
        let mut reader = Reader { bytes };
        self.message(index, &mut reader, None, None, 0, violations)
    }

    /// Reads fields of message `index` (at `path`; the request itself
    /// at none) until the reader ends or, in a group, until the group's
    /// end tag `group`.
    fn message(
        &self,
        index: usize,
        reader: &mut Reader<'_>,
        group: Option<u32>,
        path: Option<&Path<'_>>,
        depth: u32,
        violations: &mut Vec<FieldViolation>,
    ) -> Result<(), Malformed> {
        // prost decodes a message at depth 100 and refuses one at 101.
        if depth > RECURSION_LIMIT {
            return Err(Malformed);
        }
        let plan = &self.messages[index];
        // Elements seen so far of each repeated field, to name them.
        let mut seen: Vec<u32> = Vec::new();
        while !reader.is_empty() {
            let (number, wire) = reader.key()?;
            if wire == WireType::EndGroup {
                return if group == Some(number) {
                    Ok(())
                } else {
                    Err(Malformed)
                };
            }
            let Ok(at) = plan.fields.binary_search_by_key(&number, |(n, _)| *n) else {
                reader.skip(wire, number, depth)?;
                continue;
            };
            let field = &plan.fields[at].1;
            let element = field.repeated.then(|| {
                if seen.is_empty() {
                    seen.resize(plan.fields.len(), 0);
                }
                seen[at] += 1;
                seen[at] - 1
            });
            let here = Path {
                parent: path,
                name: &field.name,
                element,
            };
            self.value(field, wire, number, reader, &here, depth, violations)?;
        }
        // A group must end with its end tag.
        if group.is_some() {
            Err(Malformed)
        } else {
            Ok(())
        }
    }

    /// Reads one value of `field` (number `number`, at `here`), sent as
    /// `wire`.
    #[expect(
        clippy::too_many_arguments,
        reason = "one reading's state, passed down"
    )]
    fn value(
        &self,
        field: &FieldPlan,
        wire: WireType,
        number: u32,
        reader: &mut Reader<'_>,
        here: &Path<'_>,
        depth: u32,
        violations: &mut Vec<FieldViolation>,
    ) -> Result<(), Malformed> {
        match (field.shape, wire) {
            (Shape::Text, WireType::LengthDelimited) => {
                let text = std::str::from_utf8(reader.delimited()?).map_err(|_| Malformed)?;
                if let Some(bad) = text.chars().find(|c| is_unwanted(*c))
                    && violations.len() < MAX_VIOLATIONS
                {
                    violations.push(FieldViolation::new(here.to_string(), unwanted(bad)));
                }
            }
            (Shape::Message(inner), WireType::LengthDelimited) => {
                let mut inner_reader = Reader {
                    bytes: reader.delimited()?,
                };
                let here = Some(here);
                self.message(inner, &mut inner_reader, None, here, depth + 1, violations)?;
            }
            (Shape::Group(inner), WireType::StartGroup) => {
                let here = Some(here);
                self.message(inner, reader, Some(number), here, depth + 1, violations)?;
            }
            (Shape::Bytes, WireType::LengthDelimited) => {
                reader.delimited()?;
            }
            (Shape::Scalar(expected), WireType::LengthDelimited) if field.repeated => {
                // Packed.
                let mut packed = Reader {
                    bytes: reader.delimited()?,
                };
                while !packed.is_empty() {
                    packed.scalar(expected)?;
                }
            }
            (Shape::Scalar(expected), wire) if wire == expected => reader.scalar(wire)?,
            _ => return Err(Malformed),
        }
        Ok(())
    }
}

/// Where a field is in the request, as violations name it: `entry.tags[2]`.
/// Written out only for a violation.
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    name: &'a str,
    /// Which element, in a repeated field.
    element: Option<u32>,
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(parent) = self.parent {
            write!(f, "{parent}.")?;
        }
        f.write_str(self.name)?;
        match self.element {
            Some(element) => write!(f, "[{element}]"),
            None => Ok(()),
        }
    }
}

/// Why a text field is refused.
pub(super) fn unwanted(bad: char) -> String {
    format!(
        "must not contain control characters (found U+{:04X}); newline and tab are allowed",
        u32::from(bad)
    )
}
