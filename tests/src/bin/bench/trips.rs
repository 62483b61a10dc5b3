//! Store calls and sequential rounds of calls per page, counted by a proxy in front of DynamoDB
//! Local: a list of a small collection and of a large one each cost at most two rounds of
//! calls, whatever the shard count, and read no more items than they return.

use e2e::faults::{sequential_rounds, FaultyStore, Policy};
use e2e::Api;
use local_server::LocalStack;
use oneroster_model::TenantId;
use oneroster_store::Store;

/// Pages read per listing (following `Link` `next`).
const PAGES: usize = 10;

/// Prints the calls, rounds and items read per page of small and large listings of `tenant`.
pub async fn run(stack: &LocalStack, tenant: &TenantId) -> Result<(), Box<dyn std::error::Error>> {
    let proxy = FaultyStore::start(&stack.config.dynamodb_endpoint, Policy::Healthy).await;
    let aws = aws_config::from_env().region(aws_config::Region::new("us-east-1")).load().await;
    let mut counted = stack.clone();
    counted.ingest.store = Store::connect(&aws, Some(&proxy.endpoint), stack.config.table.clone());
    let store = counted.store().clone();
    let api = Api::new(&counted, tenant).await;
    let rostering = "/ims/oneroster/rostering/v1p2";
    let listings = [
        ("GET /orgs?limit=100", format!("{rostering}/orgs?limit=100"), "orgs"),
        ("GET /terms?limit=100", format!("{rostering}/terms?limit=100"), "academicSessions"),
        ("GET /categories?limit=100", "/ims/oneroster/gradebook/v1p2/categories?limit=100".to_owned(), "categories"),
        ("GET /users?limit=100", format!("{rostering}/users?limit=100"), "users"),
        ("GET /enrollments?limit=100", format!("{rostering}/enrollments?limit=100"), "enrollments"),
    ];
    println!("store calls per page, through a counting proxy ({PAGES} pages at most, by Link next):");
    println!(
        "  {:<32} {:>6} {:>10} {:>16} {:>14} {:>18}",
        "request", "pages", "records", "calls per page", "max rounds", "reads per record"
    );
    for (name, start, key) in listings {
        // The first request reads the client's record for the token check; it is kept.
        api.get(&start).await;
        proxy.take_spans();
        let (mut pages, mut records, mut calls, mut rounds, mut read) = (0, 0, 0, 0, 0);
        let mut next = Some(start);
        while let Some(url) = next.take().filter(|_| pages < PAGES) {
            let before = store.items_read();
            let reply = api.get(&url).await;
            assert_eq!(reply.status, 200, "{url}: {}", reply.body);
            let spans = proxy.take_spans();
            pages += 1;
            records += reply.body[key].as_array().map_or(0, Vec::len);
            calls += spans.len();
            rounds = rounds.max(sequential_rounds(&spans));
            read += store.items_read() - before;
            next = reply.link("next");
        }
        println!(
            "  {name:<32} {pages:>6} {records:>10} {:>16.1} {rounds:>14} {:>18.2}",
            calls as f64 / pages.max(1) as f64,
            read as f64 / records.max(1) as f64
        );
    }
    Ok(())
}
