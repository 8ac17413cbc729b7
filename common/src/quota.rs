//! How many of a thing each caller holds at once (uploads being read, for
//! one), refused past a limit: one caller's many cannot crowd out everyone
//! else.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Arc, Mutex, PoisonError},
};

/// At most `max` held at once per key.
#[derive(Debug)]
pub struct Quota<K> {
    max: usize,
    held: Arc<Mutex<HashMap<K, usize>>>,
}

impl<K: Eq + Hash + Clone> Quota<K> {
    pub fn new(max: usize) -> Self {
        Self {
            max,
            held: Arc::default(),
        }
    }

    /// One more for `key`, given back when the permit drops; `None` when
    /// `key` already holds `max`.
    pub fn try_take(&self, key: K) -> Option<QuotaPermit<K>> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let count = held.get(&key).copied().unwrap_or(0);
        if count >= self.max {
            return None;
        }
        held.insert(key.clone(), count + 1);
        Some(QuotaPermit {
            key: Some(key),
            held: self.held.clone(),
        })
    }
}

/// One held; dropping it gives it back.
#[derive(Debug)]
pub struct QuotaPermit<K: Eq + Hash> {
    key: Option<K>,
    held: Arc<Mutex<HashMap<K, usize>>>,
}

impl<K: Eq + Hash> Drop for QuotaPermit<K> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = held.get_mut(&key) {
            *count -= 1;
            if *count == 0 {
                held.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_holds_at_most_max_and_gets_them_back() {
        let quota = Quota::new(2);
        let a1 = quota.try_take("a");
        let a2 = quota.try_take("a");
        assert!(a1.is_some() && a2.is_some());
        assert!(quota.try_take("a").is_none(), "a third for a is refused");
        assert!(quota.try_take("b").is_some(), "b is not held back by a");
        drop(a1);
        assert!(quota.try_take("a").is_some());
        drop(a2);
        assert!(
            quota.held.lock().unwrap().is_empty(),
            "nothing kept for keys holding none"
        );
    }
}
