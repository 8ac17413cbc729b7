//! The auth database: rows and queries as small async functions over one
//! connection. Rows stay in here; what leaves is a domain type, and the
//! password hash only as [`users::Credentials`].

pub(crate) mod revocations;
pub(crate) mod tokens;
pub(crate) mod users;

pub(crate) type Conn = diesel_async::AsyncPgConnection;
type QueryResult<T> = Result<T, diesel::result::Error>;
