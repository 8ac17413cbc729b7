//! Finding the provider item a row without an id stands for: by ISBN, or
//! by title (and author), taking only a candidate of the same title (and
//! year); a provider that cannot be asked holds the row back, so the job's
//! next attempt finds it.

use super::formats::{KnownItem, Parsed, Search, Target};
use crate::{app::App, db, domain::SearchQuery, providers::ProviderError};

/// Rows needing a search per batch: at about one search a second, a batch
/// commits what was found every few seconds, so progress shows and little
/// is searched again after a restart.
const SEARCHES_PER_BATCH: usize = 8;

/// The pending rows ready to apply, rows without an id found by search
/// (at most [`SEARCHES_PER_BATCH`]): a row that cannot be found fails; a
/// provider that cannot be asked ends the batch before that row, which
/// waits for the job's next attempt.
pub(super) async fn resolve_batch(
    app: &App,
    pending: Vec<db::imports::Pending>,
) -> (Vec<(i32, Parsed)>, Option<ProviderError>) {
    let mut batch = Vec::with_capacity(pending.len());
    let mut searches = 0;
    for row in pending {
        let parsed = match row.parsed {
            Parsed::Record(mut record) => {
                if let Target::Search(search) = &record.target {
                    if searches == SEARCHES_PER_BATCH {
                        break;
                    }
                    searches += 1;
                    match resolve(app, search).await {
                        Ok(item) => {
                            record.target = Target::Known(item);
                            Parsed::Record(record)
                        }
                        Err(Unresolved::NotFound(why)) => Parsed::Failed(why),
                        Err(Unresolved::Unavailable(e)) => return (batch, Some(e)),
                    }
                } else {
                    Parsed::Record(record)
                }
            }
            other => other,
        };
        batch.push((row.row, parsed));
    }
    (batch, None)
}

/// Why a row's item was not found.
enum Unresolved {
    /// For good: the row fails, with why.
    NotFound(String),
    /// The provider could not be asked now; the row waits.
    Unavailable(ProviderError),
}

/// The provider item a row without an id stands for: by ISBN first (its
/// first hit), then by title (and author), where only a candidate of the
/// same title (and year, when the row has one) is taken.
async fn resolve(app: &App, search: &Search) -> Result<KnownItem, Unresolved> {
    let mut queries = Vec::new();
    queries.extend(search.isbn.clone());
    queries.push(match &search.author {
        Some(author) => format!("{} {author}", search.title),
        None => search.title.clone(),
    });
    for (n, query) in queries.iter().enumerate() {
        let Ok(query) = SearchQuery::parse(query) else {
            continue;
        };
        let page = match app.providers.search(search.kind, query.as_str(), 1).await {
            Ok(page) => page,
            Err(e @ (ProviderError::Unavailable { .. } | ProviderError::BadResponse { .. })) => {
                return Err(Unresolved::Unavailable(e));
            }
            Err(e) => {
                return Err(Unresolved::NotFound(format!(
                    "{} could not be asked: {e}",
                    search.kind.provider()
                )));
            }
        };
        let by_isbn = n == 0 && search.isbn.is_some();
        let same_year = |year: Option<i32>| search.year.is_none() || year == search.year;
        let best = page
            .items
            .iter()
            .find(|c| same_title(&c.title, &search.title) && same_year(c.year))
            .or_else(|| page.items.first().filter(|_| by_isbn));
        if let Some(candidate) = best {
            return Ok(KnownItem {
                source: candidate.reference.source,
                kind: candidate.reference.kind,
                external_id: candidate.reference.external_id.clone(),
                title: candidate.title.clone(),
                year: candidate.year,
                image_url: candidate.image_url.clone(),
                summary: candidate.summary.clone(),
                total_units: candidate.total_units,
            });
        }
    }
    Err(Unresolved::NotFound(match search.year {
        Some(year) => format!(
            "no {} called {:?} from {year} was found",
            search.kind, search.title
        ),
        None => format!("no {} called {:?} was found", search.kind, search.title),
    }))
}

/// Whether a provider's `found` title is the file's `wanted` one: the same
/// letters and digits, case aside, once a series note in parentheses is
/// cut from the end of either ("The Hunger Games (The Hunger Games, #1)"),
/// and allowing a subtitle after the found one ("Dune: Deluxe Edition" for
/// "Dune").
fn same_title(found: &str, wanted: &str) -> bool {
    fn key(text: &str) -> String {
        let text = text.trim();
        let text = match text.strip_suffix(')').and_then(|t| t.rsplit_once('(')) {
            Some((main, _)) if !main.trim().is_empty() => main,
            _ => text,
        };
        text.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    }
    let wanted = key(wanted);
    !wanted.is_empty()
        && (key(found) == wanted
            || found
                .split_once(':')
                .is_some_and(|(main, _)| key(main) == wanted))
}

#[cfg(test)]
mod tests {
    use super::same_title;

    #[test]
    fn titles_match_only_when_they_are_the_same_title() {
        assert!(same_title(
            "The Hunger Games",
            "The Hunger Games (The Hunger Games, #1)"
        ));
        assert!(same_title("dune", "Dune"));
        assert!(same_title("Dune: Deluxe Edition", "Dune"));
        assert!(same_title("Amélie", "amélie"));
        assert!(!same_title("Dune Messiah", "Dune"));
        assert!(!same_title("Children of Dune", "Dune"));
        assert!(!same_title("Anything", ""));
        assert!(!same_title("(x)", "()"));
    }
}
