use super::*;
use crate::transfers::Policy;

fn claim() -> Claim {
    Claim {
        job: Uuid::now_v7(),
        user: Uuid::now_v7(),
        policy: Policy::Skip,
        holder: Uuid::now_v7(),
    }
}

#[tokio::test]
async fn a_job_that_panics_frees_its_place_and_is_failed() {
    let mut running = Running::default();
    let (panics, returns) = (claim(), claim());
    running.spawn(panics, async { panic!("a bug") });
    running.spawn(returns, async { Ok(()) });
    assert_eq!(running.len(), 2);
    let mut ended = Vec::new();
    while let Some((claim, result)) = running.next_ended().await {
        ended.push((claim.job, result));
    }
    ended.sort_by_key(|(job, _)| *job == returns.job);
    assert_eq!(
        ended,
        [
            (panics.job, Err(INTERNAL_FAULT.to_owned())),
            (returns.job, Ok(()))
        ]
    );
    assert_eq!(running.len(), 0, "both places are free again");
}
