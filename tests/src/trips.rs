//! What a page of a listing costs in store calls, counted by a proxy in front of DynamoDB
//! Local: calls, sequential rounds of calls, and items read per record returned. The bench
//! prints these figures; an end-to-end test holds the walk to them.

use crate::faults::{sequential_rounds, FaultyStore, Policy};
use crate::Api;
use local_server::LocalStack;
use oneroster_model::TenantId;
use oneroster_store::Store;

/// The round trip each store call is given (DynamoDB's within a region is a few milliseconds),
/// so that calls made together overlap and calls made one after another do not.
const LATENCY: std::time::Duration = std::time::Duration::from_millis(20);

/// The cost of reading a listing page by page.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageCosts {
    /// Pages read.
    pub pages: usize,
    /// Records they returned.
    pub records: usize,
    /// Store calls, all pages together.
    pub calls: usize,
    /// The most sequential rounds of calls one page took.
    pub max_rounds: usize,
    /// Items the store read, all pages together.
    pub items_read: u64,
}

impl PageCosts {
    /// Store calls per page.
    pub fn calls_per_page(&self) -> f64 {
        self.calls as f64 / self.pages.max(1) as f64
    }

    /// Items read per record returned.
    pub fn reads_per_record(&self) -> f64 {
        self.items_read as f64 / self.records.max(1) as f64
    }
}

/// An API client of `tenant` whose store calls go through a counting proxy.
pub struct CountedApi {
    proxy: FaultyStore,
    store: Store,
    api: Api,
}

impl CountedApi {
    /// Starts the proxy in front of the stack's DynamoDB Local and a client of `tenant` behind it.
    pub async fn start(stack: &LocalStack, tenant: &TenantId) -> Self {
        Self::start_shared(stack, tenant, admin::SharingChange::default()).await
    }

    /// [`CountedApi::start`], the client shared what `change` says (one school, …).
    pub async fn start_shared(stack: &LocalStack, tenant: &TenantId, change: admin::SharingChange) -> Self {
        let proxy = FaultyStore::start(&stack.config.dynamodb_endpoint, Policy::Slow(LATENCY)).await;
        let mut counted = stack.clone();
        counted.ingest.store = proxy.store(&stack.config.table, Store::retries()).await;
        let store = counted.store().clone();
        // The standard's scopes and the attendance extension's read.
        let scopes = format!("{} attendance.readonly", oneroster_auth::Scopes::all().to_text());
        let scopes = oneroster_auth::Scopes::parse(&scopes).expect("scopes");
        let (api, _) = Api::shared(&counted, tenant, &scopes, change).await;
        Self { proxy, store, api }
    }

    /// Reads up to `pages` pages from `start`, following `Link` `next`; `key` names the array
    /// of records in a body. The first request is made once before counting: it reads the
    /// client's record for the token check, which is then kept.
    pub async fn costs(&self, start: &str, key: &str, pages: usize) -> PageCosts {
        self.api.get(start).await;
        self.proxy.take_spans();
        let mut costs = PageCosts::default();
        let mut next = Some(start.to_owned());
        while let Some(url) = next.take().filter(|_| costs.pages < pages) {
            let before = self.store.items_read();
            let reply = self.api.get(&url).await;
            assert_eq!(reply.status, 200, "{url}: {}", reply.body);
            let spans = self.proxy.take_spans();
            costs.pages += 1;
            costs.records += reply.body[key].as_array().map_or(0, Vec::len);
            costs.calls += spans.len();
            costs.max_rounds = costs.max_rounds.max(sequential_rounds(&spans));
            costs.items_read += self.store.items_read() - before;
            next = reply.link("next");
        }
        costs
    }
}
