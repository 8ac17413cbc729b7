use proptest::prelude::*;
use prost::Message;
use prost_reflect::{DynamicMessage, MapKey, MessageDescriptor, ReflectMessage, Value};
use tonic_types::FieldViolation;

use super::*;

/// `google.protobuf.FieldMask`, a message of repeated strings that the
/// well-known types always describe.
fn mask_descriptor() -> MessageDescriptor {
    prost_types::FieldMask::default().descriptor()
}

/// UpdateListEntryRequest: nested messages, a list, text, enums, optional
/// and fixed-width scalars.
fn update_descriptor() -> MessageDescriptor {
    DescriptorPool::decode(completionist_proto::MEDIA_DESCRIPTOR_SET)
        .unwrap()
        .get_message_by_name("completionist.media.v1.UpdateListEntryRequest")
        .unwrap()
}

fn planned(descriptor: &MessageDescriptor) -> (Plan, usize) {
    let mut plan = Plan::default();
    let input = plan.add(descriptor);
    (plan, input)
}

/// The fields `message`, framed as on the wire, is refused for.
fn refused_fields(descriptor: &MessageDescriptor, message: &[u8]) -> Vec<String> {
    let (plan, input) = planned(descriptor);
    let Err(CommonError::InvalidArgument(violations)) = check(&plan, input, &framed(message), 1024)
    else {
        panic!("expected InvalidArgument");
    };
    violations.into_iter().map(|v| v.field).collect()
}

fn framed(message: &[u8]) -> Bytes {
    let mut body = vec![0];
    body.extend(u32::try_from(message.len()).unwrap().to_be_bytes());
    body.extend(message);
    body.into()
}

#[test]
fn control_characters_are_refused_by_field() {
    let mask = prost_types::FieldMask {
        paths: vec!["fine\tand\nfine".into(), "nul\0".into(), "bell\u{7}".into()],
    };
    let fields = refused_fields(&mask_descriptor(), &mask.encode_to_vec());
    assert_eq!(fields, ["paths[1]", "paths[2]"]);
}

#[test]
fn nested_fields_are_named_by_their_path() {
    use completionist_proto::media::{ListEntry, MediaItem, UpdateListEntryRequest};
    let request = UpdateListEntryRequest {
        list_entry: Some(ListEntry {
            notes: "ok\u{1b}".into(),
            media_item: Some(MediaItem {
                title: "\0".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["notes".into(), "x\u{7f}".into()],
        }),
        ..Default::default()
    };
    let fields = refused_fields(&update_descriptor(), &request.encode_to_vec());
    assert_eq!(
        fields,
        [
            "list_entry.media_item.title",
            "list_entry.notes",
            "update_mask.paths[1]"
        ]
    );
}

#[test]
fn frames_are_checked_before_the_message() {
    let (plan, input) = planned(&mask_descriptor());
    assert!(check(&plan, input, &framed(b""), 8).is_ok());
    assert!(matches!(
        check(&plan, input, &framed(&[0; 16]), 8),
        Err(CommonError::TooLarge(8))
    ));
    assert!(matches!(
        check(&plan, input, &Bytes::from_static(&[0, 0]), 8),
        Err(CommonError::Malformed(_))
    ));
    assert!(matches!(
        check(&plan, input, &Bytes::from_static(&[0, 0, 0, 0, 9, 1]), 64),
        Err(CommonError::Malformed(_))
    ));
    assert!(matches!(
        check(&plan, input, &framed(&[0xff, 0xff]), 64),
        Err(CommonError::Malformed(_))
    ));
}

#[test]
fn what_prost_refuses_is_malformed() {
    let (plan, input) = planned(&update_descriptor());
    let refused = |bytes: &[u8]| {
        matches!(
            check(&plan, input, &framed(bytes), 1024),
            Err(CommonError::Malformed(_))
        )
    };
    // list_entry (1) as a varint: the wrong wire type.
    assert!(refused(&[0x08, 0x01]));
    // A length past the end.
    assert!(refused(&[0x0a, 0x05, 0x00]));
    // list_entry.notes (6) that is not UTF-8.
    assert!(refused(&[0x0a, 0x03, 0x32, 0x01, 0xff]));
    // Field number 0.
    assert!(refused(&[0x00, 0x01]));
    // An unknown field is skipped, as prost skips it.
    assert!(!refused(&[0xf8, 0x01, 0x05]));
    // An unknown group must end with its own end tag.
    assert!(!refused(&[0xfb, 0x01, 0xfc, 0x01]));
    assert!(refused(&[0xfb, 0x01, 0x04]));
}

/// `DescriptorProto`: it holds itself (nested types, to any depth), and
/// `FileDescriptorProto` holds packed lists of numbers.
fn descriptor_descriptor() -> MessageDescriptor {
    prost_types::DescriptorProto::default().descriptor()
}

/// `depth` `DescriptorProto`s, each the nested type of the one around it.
fn nested(depth: usize) -> Vec<u8> {
    (1..depth).fold(Vec::new(), |inner, _| {
        let mut outer = vec![0x1a];
        prost::encoding::encode_varint(inner.len() as u64, &mut outer);
        outer.extend(inner);
        outer
    })
}

#[test]
fn nesting_goes_as_deep_as_prost_goes() {
    let descriptor = descriptor_descriptor();
    let mut verdicts = Vec::new();
    for depth in 98..=104 {
        let bytes = nested(depth);
        let prost = prost_types::DescriptorProto::decode(bytes.as_slice()).is_ok();
        let planned = planned_violations(&descriptor, &bytes).is_ok();
        assert_eq!(planned, prost, "{depth} deep");
        verdicts.push(planned);
    }
    // The limit lies within the depths tried.
    assert_eq!(verdicts.first(), Some(&true));
    assert_eq!(verdicts.last(), Some(&false));
}

#[test]
fn packed_numbers_are_read_as_prost_reads_them() {
    let file = prost_types::FileDescriptorProto::default().descriptor();
    let numbers = prost_types::FileDescriptorProto {
        public_dependency: vec![1, 300, -1],
        weak_dependency: vec![7],
        ..Default::default()
    };
    // Packed (prost's way) and one number at a time: both fine.
    assert!(planned_violations(&file, &numbers.encode_to_vec()).is_ok());
    assert!(planned_violations(&file, &[0x50, 0x01, 0x50, 0x02]).is_ok());
    // A packed list whose last number is cut short.
    assert!(planned_violations(&file, &[0x52, 0x02, 0x01, 0x80]).is_err());
}

#[test]
fn a_request_is_refused_with_at_most_a_hundred_violations() {
    let mask = prost_types::FieldMask {
        paths: vec!["\0".into(); 1000],
    };
    let violations = planned_violations(&mask_descriptor(), &mask.encode_to_vec()).unwrap();
    assert_eq!(violations.len(), plan::MAX_VIOLATIONS);
}

/// The guard as it was: the request decoded into a dynamic message, its
/// text fields walked. The plan must refuse and name exactly what it did.
fn reference(
    descriptor: &MessageDescriptor,
    bytes: &[u8],
) -> Result<Vec<FieldViolation>, prost::DecodeError> {
    fn texts(message: &DynamicMessage, prefix: &str, out: &mut Vec<FieldViolation>) {
        for (field, value) in message.fields() {
            value_texts(value, &format!("{prefix}{}", field.name()), out);
        }
    }
    fn value_texts(value: &Value, path: &str, out: &mut Vec<FieldViolation>) {
        match value {
            Value::String(text) => {
                if let Some(bad) = text.chars().find(|c| is_unwanted(*c)) {
                    out.push(FieldViolation::new(path, plan::unwanted(bad)));
                }
            }
            Value::Message(message) => texts(message, &format!("{path}."), out),
            Value::List(values) => {
                for (i, value) in values.iter().enumerate() {
                    value_texts(value, &format!("{path}[{i}]"), out);
                }
            }
            Value::Map(entries) => {
                for (key, value) in entries {
                    if let MapKey::String(key) = key {
                        value_texts(&Value::String(key.clone()), &format!("{path}.key"), out);
                    }
                    value_texts(value, &format!("{path}[{key:?}]"), out);
                }
            }
            _ => {}
        }
    }
    let message = DynamicMessage::decode(descriptor.clone(), bytes)?;
    let mut out = Vec::new();
    texts(&message, "", &mut out);
    Ok(out)
}

fn planned_violations(
    descriptor: &MessageDescriptor,
    bytes: &[u8],
) -> Result<Vec<FieldViolation>, wire::Malformed> {
    let (plan, input) = planned(descriptor);
    let mut out = Vec::new();
    plan.check(input, bytes, &mut out).map(|()| out)
}

/// Text with the characters that matter: control ones, newline, tab,
/// multi-byte ones.
fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-z\\x00-\\x1f\\x7f\\u{80}-\\u{9f}é✓\\n\\t]{0,6}").unwrap()
}

fn update_request() -> impl Strategy<Value = completionist_proto::media::UpdateListEntryRequest> {
    use completionist_proto::media::{ListEntry, MediaItem, UpdateListEntryRequest};
    (
        (text(), text(), text(), text()),
        proptest::collection::vec(text(), 0..4),
        (
            any::<i32>(),
            proptest::option::of(any::<i32>()),
            any::<bool>(),
        ),
    )
        .prop_map(
            |((id, notes, title, summary), paths, (progress, year, with_item))| {
                UpdateListEntryRequest {
                    list_entry: Some(ListEntry {
                        id,
                        notes,
                        progress,
                        media_item: with_item.then(|| MediaItem {
                            title,
                            summary,
                            year,
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask { paths }),
                    ..Default::default()
                }
            },
        )
}

proptest! {
    #[test]
    fn arbitrary_bodies_are_checked_without_panicking(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        let (plan, input) = planned(&mask_descriptor());
        let _ = check(&plan, input, &Bytes::from(body.clone()), 128);
        let _ = check(&plan, input, &framed(&body), 128);
    }

    /// Arbitrary bytes: the plan refuses what decoding refused (prost's
    /// own types and the dynamic message alike), and no more.
    #[test]
    fn the_plan_refuses_what_decoding_refused(body in proptest::collection::vec(any::<u8>(), 0..128)) {
        use completionist_proto::media::UpdateListEntryRequest;
        for descriptor in [mask_descriptor(), update_descriptor(), descriptor_descriptor()] {
            let planned = planned_violations(&descriptor, &body).is_ok();
            let decoded = reference(&descriptor, &body).is_ok();
            prop_assert_eq!(planned, decoded, "{:02x?}", body);
        }
        let planned = planned_violations(&update_descriptor(), &body).is_ok();
        prop_assert_eq!(planned, UpdateListEntryRequest::decode(body.as_slice()).is_ok());
        let planned = planned_violations(&descriptor_descriptor(), &body).is_ok();
        prop_assert_eq!(planned, prost_types::DescriptorProto::decode(body.as_slice()).is_ok());
        let file = prost_types::FileDescriptorProto::default().descriptor();
        let planned = planned_violations(&file, &body).is_ok();
        prop_assert_eq!(planned, prost_types::FileDescriptorProto::decode(body.as_slice()).is_ok());
    }

    /// Real requests with every kind of text: the same violations, named
    /// the same way.
    #[test]
    fn the_plan_names_what_decoding_named(request in update_request()) {
        let bytes = request.encode_to_vec();
        let descriptor = update_descriptor();
        let named = |violations: Vec<FieldViolation>| {
            let mut named: Vec<(String, String)> =
                violations.into_iter().map(|v| (v.field, v.description)).collect();
            named.sort();
            named
        };
        let planned = named(planned_violations(&descriptor, &bytes).unwrap());
        let decoded = named(reference(&descriptor, &bytes).unwrap());
        prop_assert_eq!(planned, decoded);
    }

    /// Valid requests with bytes flipped here and there: still the same
    /// verdict as decoding.
    #[test]
    fn damaged_requests_get_the_verdict_decoding_gave(
        request in update_request(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = request.encode_to_vec();
        if bytes.is_empty() {
            return Ok(());
        }
        for (at, value) in flips {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        let descriptor = update_descriptor();
        let planned = planned_violations(&descriptor, &bytes).is_ok();
        let decoded = reference(&descriptor, &bytes).is_ok();
        prop_assert_eq!(planned, decoded, "{:02x?}", bytes);
    }
}
