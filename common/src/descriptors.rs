//! What a service's methods are, read from its descriptor set instead of
//! typed out by hand: which answer with a stream, which take a file (a
//! request with a `bytes` field), and which may be tried again (their
//! `idempotency_level`). A new method is then handled by its
//! shape, never by remembering to add it to a list.

use prost::Message;
use prost_types::{
    FileDescriptorSet, field_descriptor_proto::Type, method_options::IdempotencyLevel,
};

/// The methods of one service, by shape; full paths
/// (`/package.Service/Method`).
#[derive(Clone, Debug, Default)]
pub struct MethodShapes {
    /// Methods whose response is a server stream.
    pub server_streaming: Vec<String>,
    /// Methods whose request carries a file: a `bytes` field.
    pub uploads: Vec<String>,
    /// Methods that change nothing, or nothing more when called again
    /// (`option idempotency_level = NO_SIDE_EFFECTS` or `IDEMPOTENT`).
    pub idempotent: Vec<String>,
}

impl MethodShapes {
    pub fn is_server_streaming(&self, path: &str) -> bool {
        self.server_streaming.iter().any(|m| m == path)
    }

    pub fn is_upload(&self, path: &str) -> bool {
        self.uploads.iter().any(|m| m == path)
    }

    pub fn is_idempotent(&self, path: &str) -> bool {
        self.idempotent.iter().any(|m| m == path)
    }
}

/// The full paths (`/package.Service/Method`) of every method of every
/// service in an encoded `FileDescriptorSet`; none when the set cannot be
/// read (the sets are built in).
pub fn paths_of(descriptor_set: &[u8]) -> Vec<String> {
    let Ok(set) = FileDescriptorSet::decode(descriptor_set) else {
        return Vec::new();
    };
    set.file
        .iter()
        .flat_map(|file| {
            file.service.iter().flat_map(move |service| {
                service.method.iter().map(move |method| {
                    format!("/{}.{}/{}", file.package(), service.name(), method.name())
                })
            })
        })
        .collect()
}

/// The shapes of `service`'s methods in an encoded `FileDescriptorSet`;
/// empty when the set cannot be read (the sets are built in).
pub fn shapes_of(descriptor_set: &[u8], service: &str) -> MethodShapes {
    let Ok(set) = FileDescriptorSet::decode(descriptor_set) else {
        return MethodShapes::default();
    };
    let has_bytes = |type_name: &str| {
        set.file.iter().any(|file| {
            file.message_type.iter().any(|message| {
                format!(".{}.{}", file.package(), message.name()) == type_name
                    && message.field.iter().any(|f| f.r#type() == Type::Bytes)
            })
        })
    };
    let mut shapes = MethodShapes::default();
    for file in &set.file {
        for found in file
            .service
            .iter()
            .filter(|s| format!("{}.{}", file.package(), s.name()) == service)
        {
            for method in &found.method {
                let path = format!("/{service}/{}", method.name());
                if method.server_streaming() {
                    shapes.server_streaming.push(path.clone());
                }
                if has_bytes(method.input_type()) {
                    shapes.uploads.push(path.clone());
                }
                let level = method
                    .options
                    .as_ref()
                    .map_or(IdempotencyLevel::IdempotencyUnknown, |o| {
                        o.idempotency_level()
                    });
                if level != IdempotencyLevel::IdempotencyUnknown {
                    shapes.idempotent.push(path);
                }
            }
        }
    }
    shapes
}
