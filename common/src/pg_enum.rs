//! Rust enums stored as Postgres `text` (held to their names by CHECK
//! constraints) and read and written by Diesel as the enum itself, as the
//! registry backend's `pg_enum.rs` does: a stored value is parsed once, at
//! the row, and one that names no variant fails the query (an internal
//! error) instead of travelling on as a string.

/// A stored name that names no variant.
#[derive(Debug, thiserror::Error)]
#[error("{name:?} is not a {what}")]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
}

/// Declares an enum stored as `text`: `as_str`, `ALL`, `FromStr`,
/// `Display`, and Diesel's `ToSql` / `FromSql` for `Text`.
///
/// ```
/// completionist_common::text_enum! {
///     /// Where an order stands.
///     pub enum State { Open = "open", Closed = "closed" }
/// }
/// assert_eq!("closed".parse::<State>().unwrap(), State::Closed);
/// assert_eq!(State::Open.as_str(), "open");
/// ```
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash,
            ::diesel::expression::AsExpression, ::diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = ::diesel::sql_types::Text)]
        $vis enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            $vis const ALL: &[Self] = &[$(Self::$variant),+];

            /// The stored name.
            $vis const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::pg_enum::UnknownName;

            fn from_str(name: &str) -> Result<Self, Self::Err> {
                match name {
                    $($text => Ok(Self::$variant),)+
                    other => Err($crate::pg_enum::UnknownName {
                        what: stringify!($name),
                        name: other.to_owned(),
                    }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::diesel::serialize::ToSql<::diesel::sql_types::Text, ::diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut ::diesel::serialize::Output<'b, '_, ::diesel::pg::Pg>,
            ) -> ::diesel::serialize::Result {
                <str as ::diesel::serialize::ToSql<
                    ::diesel::sql_types::Text,
                    ::diesel::pg::Pg,
                >>::to_sql(self.as_str(), out)
            }
        }

        impl ::diesel::deserialize::FromSql<::diesel::sql_types::Text, ::diesel::pg::Pg>
            for $name
        {
            fn from_sql(
                value: ::diesel::pg::PgValue<'_>,
            ) -> ::diesel::deserialize::Result<Self> {
                Ok(::std::str::from_utf8(value.as_bytes())?.parse()?)
            }
        }
    };
}
