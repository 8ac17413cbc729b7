//! Typed configuration from environment variables, with every problem reported
//! at once: a service reads all its variables through one [`Env`], then
//! [`Env::finish`] names each missing or malformed one in a single message.

use std::{collections::HashMap, fmt, str::FromStr};

pub use secrecy::{ExposeSecret, SecretString};

/// The variables a process sees: a `.env` file in the working directory,
/// overridden by the real environment.
pub struct Env {
    vars: HashMap<String, String>,
    problems: Vec<String>,
}

impl Env {
    /// The process environment over the `.env` file, if there is one.
    pub fn from_process() -> Self {
        let mut vars: HashMap<String, String> = dotenvy::dotenv_iter()
            .map(|iter| iter.filter_map(Result::ok).collect())
            .unwrap_or_default();
        vars.extend(std::env::vars());
        Self::from_vars(vars)
    }

    /// Exactly these variables; what tests use instead of touching the
    /// process environment.
    pub fn from_vars<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            problems: Vec::new(),
        }
    }

    /// The raw value of a variable, if set and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A variable parsed by `parse`, or `default` when unset.
    pub fn parse_or<T>(
        &mut self,
        name: &str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> T {
        let Some(raw) = self.get(name) else {
            return default;
        };
        match parse(raw) {
            Ok(value) => value,
            Err(why) => {
                self.problems.push(format!("{name}: {why}"));
                default
            }
        }
    }

    /// A variable that may turn something off: `default` when unset, `None`
    /// when set but empty (unlike every other reader here, for which empty
    /// is unset), else parsed with [`FromStr`].
    pub fn or_off<T: FromStr>(&mut self, name: &str, default: T) -> Option<T>
    where
        T::Err: fmt::Display,
    {
        if self.vars.get(name).is_some_and(|v| v.trim().is_empty()) {
            return None;
        }
        Some(self.or(name, default))
    }

    /// A variable parsed with [`FromStr`], or `default` when unset.
    pub fn or<T: FromStr>(&mut self, name: &str, default: T) -> T
    where
        T::Err: fmt::Display,
    {
        self.parse_or(name, default, |raw| {
            raw.parse::<T>()
                .map_err(|e| format!("cannot parse {raw:?}: {e}"))
        })
    }

    /// A variable that must be set; when it is not, the problem is recorded
    /// and a placeholder returned (never used: [`Env::finish`] fails).
    pub fn required<T: Default>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> T {
        if self.get(name).is_none() {
            self.problems.push(format!("{name}: required but not set"));
            return T::default();
        }
        self.parse_or(name, T::default(), parse)
    }

    /// Records a problem found while combining variables.
    pub fn problem(&mut self, name: &str, why: impl fmt::Display) {
        self.problems.push(format!("{name}: {why}"));
    }

    /// `value` if every variable read was fine, else all the problems.
    pub fn finish<T>(self, value: T) -> Result<T, ConfigError> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            Err(ConfigError(self.problems))
        }
    }
}

/// Every bad variable, one per line.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration:")?;
        for problem in &self.0 {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

/// Parses a number of seconds into a [`std::time::Duration`].
pub fn seconds(raw: &str) -> Result<std::time::Duration, String> {
    raw.parse::<u64>()
        .map(std::time::Duration::from_secs)
        .map_err(|_| format!("expected a whole number of seconds, got {raw:?}"))
}

/// Accepts `postgres://` and `postgresql://` URLs, kept secret (they may
/// carry a password).
pub fn postgres_url(raw: &str) -> Result<SecretString, String> {
    if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
        Ok(SecretString::from(raw))
    } else {
        Err("must be a postgres:// URL".into())
    }
}

/// `PAGE_TOKEN_SECRET`: the key page tokens are sealed with (at least 32
/// bytes; replicas of a service must share it). Unset, each process makes
/// its own, and tokens last as long as it does.
pub fn page_token_secret(env: &mut Env) -> Option<SecretString> {
    env.parse_or("PAGE_TOKEN_SECRET", None, |raw| {
        if raw.len() < 32 {
            Err("must be at least 32 bytes (e.g. `openssl rand -base64 48`)".into())
        } else {
            Ok(Some(SecretString::from(raw)))
        }
    })
}

/// The page-token sealer of a service named `purpose`.
pub fn page_tokens(secret: Option<&SecretString>, purpose: &str) -> crate::paging::PageTokens {
    match secret {
        Some(secret) => crate::paging::PageTokens::new(secret, purpose),
        None => {
            tracing::warn!(
                "PAGE_TOKEN_SECRET is not set: page tokens last as long as this process \
                 and are not accepted by other replicas"
            );
            crate::paging::PageTokens::ephemeral()
        }
    }
}

/// An `http://` or `https://` URL with a host, without its trailing slash.
pub fn http_url(raw: &str) -> Result<String, String> {
    match http::Uri::try_from(raw) {
        Ok(uri)
            if matches!(uri.scheme_str(), Some("http" | "https")) && uri.authority().is_some() =>
        {
            Ok(raw.trim_end_matches('/').to_owned())
        }
        _ => Err(format!("must be an http:// or https:// URL, got {raw:?}")),
    }
}

/// A comma list of `http://` URLs: the replicas of a service (each URL's
/// host may also name several). Internal calls are plain HTTP/2: TLS
/// between the services belongs to the network (a service mesh).
pub fn service_urls(raw: &str) -> Result<String, String> {
    let urls = raw
        .split(',')
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(|url| match http_url(url) {
            Ok(url) if url.starts_with("http://") => Ok(url),
            _ => Err(format!("must be http:// URLs, got {url:?}")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if urls.is_empty() {
        return Err("must name at least one URL".into());
    }
    Ok(urls.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_every_bad_variable_at_once() {
        let mut env = Env::from_vars([("PORT", "x"), ("TTL", "-3")]);
        let _: u16 = env.or("PORT", 1);
        let _ = env.parse_or("TTL", std::time::Duration::ZERO, seconds);
        let _: SecretString = env.required("KEY", |v| Ok(SecretString::from(v)));
        let err = env.finish(()).unwrap_err().to_string();
        assert!(err.contains("PORT: cannot parse \"x\""), "{err}");
        assert!(err.contains("TTL: expected a whole number"), "{err}");
        assert!(err.contains("KEY: required but not set"), "{err}");
    }

    #[test]
    fn defaults_apply_to_unset_and_empty_variables() {
        let mut env = Env::from_vars([("EMPTY", "")]);
        assert_eq!(env.or("EMPTY", 7u16), 7);
        assert_eq!(env.or("UNSET", 8u16), 8);
        assert!(env.finish(()).is_ok());
    }

    #[test]
    fn an_empty_variable_turns_off_what_or_off_reads() {
        let mut env = Env::from_vars([("OFF", " "), ("ON", "9"), ("BAD", "x")]);
        assert_eq!(env.or_off("OFF", 1u16), None);
        assert_eq!(env.or_off("ON", 1u16), Some(9));
        assert_eq!(env.or_off("UNSET", 1u16), Some(1));
        let _ = env.or_off("BAD", 1u16);
        assert!(env.finish(()).unwrap_err().to_string().contains("BAD"));
    }

    #[test]
    fn service_urls_are_a_comma_list() {
        assert_eq!(
            service_urls("http://a:1/, http://b:2").as_deref(),
            Ok("http://a:1,http://b:2")
        );
        assert!(service_urls("http://a:1,ftp://b").is_err());
        assert!(service_urls("https://a:1").is_err());
        assert!(service_urls(" , ").is_err());
    }

    #[test]
    fn http_urls() {
        assert_eq!(http_url("http://h:1/").as_deref(), Ok("http://h:1"));
        assert!(http_url("https://api.example.com/v4").is_ok());
        assert!(http_url("ftp://h").is_err());
        assert!(http_url("not a url").is_err());
    }
}
