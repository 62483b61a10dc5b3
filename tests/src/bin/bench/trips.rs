//! Store calls and sequential rounds of calls per page, counted by a proxy in front of DynamoDB
//! Local: a list of a small collection and of a large one each cost at most two rounds of
//! calls, whatever the shard count, and read no more items than they return.

use e2e::trips::CountedApi;
use local_server::LocalStack;
use oneroster_model::TenantId;

/// Pages read per listing (following `Link` `next`).
const PAGES: usize = 10;

/// Prints the calls, rounds and items read per page of small and large listings of `tenant`.
pub async fn run(stack: &LocalStack, tenant: &TenantId) -> Result<(), Box<dyn std::error::Error>> {
    let api = CountedApi::start(stack, tenant).await;
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
        let costs = api.costs(&start, key, PAGES).await;
        println!(
            "  {name:<32} {:>6} {:>10} {:>16.1} {:>14} {:>18.2}",
            costs.pages,
            costs.records,
            costs.calls_per_page(),
            costs.max_rounds,
            costs.reads_per_record()
        );
    }
    Ok(())
}
