//! AIP-134 update masks: which fields an Update call changes.

use prost_types::FieldMask;

use crate::error::Violations;

/// Calls `apply` with each field `mask` names, in the mask's order.
/// `fields` lists the fields an update may change, each with whether the
/// request sets it to a non-default value: an absent or empty mask means
/// those (AIP-134). A path that is not in `fields`, or a mask that names
/// nothing, is recorded in `v` against `update_mask`.
pub fn apply(
    mask: Option<FieldMask>,
    fields: &[(&'static str, bool)],
    v: &mut Violations,
    mut apply: impl FnMut(&'static str, &mut Violations),
) {
    let mut paths = mask.map(|mask| mask.paths).unwrap_or_default();
    if paths.is_empty() {
        paths = fields
            .iter()
            .filter(|(_, set)| *set)
            .map(|(name, _)| (*name).to_owned())
            .collect();
    }
    if paths.is_empty() {
        v.add("update_mask", "names no field to change");
    }
    for path in &paths {
        match fields.iter().find(|(name, _)| name == path) {
            Some((name, _)) => apply(name, v),
            None => v.add(
                "update_mask",
                format!("unknown or immutable field {path:?}; use {}", names(fields)),
            ),
        }
    }
}

/// `a, b or c`.
fn names(fields: &[(&'static str, bool)]) -> String {
    let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(
        mask: Option<Vec<&str>>,
        fields: &[(&'static str, bool)],
    ) -> (Vec<&'static str>, Vec<String>) {
        let mask = mask.map(|paths| FieldMask {
            paths: paths.into_iter().map(str::to_owned).collect(),
        });
        let mut v = Violations::default();
        let mut seen = Vec::new();
        apply(mask, fields, &mut v, |path, _| seen.push(path));
        let problems = v.finish(()).err().unwrap_or_default();
        (seen, problems.into_iter().map(|p| p.description).collect())
    }

    #[test]
    fn a_mask_names_the_fields_to_change_in_its_order() {
        let fields = [("a", false), ("b", false), ("c", true)];
        assert_eq!(applied(Some(vec!["b", "a"]), &fields).0, ["b", "a"]);
    }

    #[test]
    fn no_mask_means_every_field_that_is_set() {
        let fields = [("a", true), ("b", false), ("c", true)];
        assert_eq!(applied(None, &fields).0, ["a", "c"]);
        let (seen, problems) = applied(None, &[("a", false)]);
        assert!(seen.is_empty());
        assert_eq!(problems, ["names no field to change"]);
    }

    #[test]
    fn unknown_paths_are_refused_by_name() {
        let (seen, problems) = applied(
            Some(vec!["a", "id"]),
            &[("a", false), ("b", false), ("c", false)],
        );
        assert_eq!(seen, ["a"]);
        assert_eq!(
            problems,
            ["unknown or immutable field \"id\"; use a, b or c"]
        );
    }
}
