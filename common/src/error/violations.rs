//! Collecting every invalid field of a request, so one answer lists them
//! all.

use std::fmt::Display;

use tonic_types::FieldViolation;

/// Collects every invalid field of a request, so one answer lists them all.
///
/// ```
/// # use completionist_common::error::Violations;
/// let mut v = Violations::default();
/// let a = v.check("a", "1".parse::<u8>());
/// let b = v.check("b", "x".parse::<u8>());
/// assert_eq!(v.finish((a, b)).unwrap_err().len(), 1);
/// ```
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// Keeps the value of `result`, or records why `field` is invalid.
    pub fn check<T, E: Display>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        result.map_err(|why| self.add(field, why)).ok()
    }

    /// Records that `field` is invalid.
    pub fn add(&mut self, field: &str, why: impl Display) {
        self.0.push(FieldViolation::new(field, why.to_string()));
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The checked values, or every violation recorded.
    pub fn finish<T: AllSome>(self, values: T) -> Result<T::Output, Vec<FieldViolation>> {
        match (self.0.is_empty(), values.all_some()) {
            (true, Some(values)) => Ok(values),
            (true, None) => Err(vec![FieldViolation::new("", "a field could not be read")]),
            (false, _) => Err(self.0),
        }
    }
}

/// A tuple of options that are all `Some` once validation passed.
pub trait AllSome {
    type Output;
    fn all_some(self) -> Option<Self::Output>;
}

macro_rules! all_some {
    ($($t:ident),+) => {
        impl<$($t),+> AllSome for ($(Option<$t>,)+) {
            type Output = ($($t,)+);
            #[expect(non_snake_case, reason = "the type parameters name the bindings")]
            fn all_some(self) -> Option<Self::Output> {
                let ($($t,)+) = self;
                Some(($($t?,)+))
            }
        }
    };
}

all_some!(A);
all_some!(A, B);
all_some!(A, B, C);
all_some!(A, B, C, D);
all_some!(A, B, C, D, E);
all_some!(A, B, C, D, E, F);
all_some!(A, B, C, D, E, F, G);
all_some!(A, B, C, D, E, F, G, H);

impl AllSome for () {
    type Output = ();
    fn all_some(self) -> Option<()> {
        Some(())
    }
}
