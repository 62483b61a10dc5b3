//! Figure 10: what sharing rules cost. A client limited to one school (of all the district's)
//! pages the district's `/users`, `/students` and `/enrollments` from its school's listings:
//! items read per record returned (target: at most 1.5). Its pages beside the same listing read
//! by a client without rules (`/schools/{id}/students`), with three fields hidden from it: the
//! time the rules add per record (target: under 10%). A client withheld the fields of children
//! under 13 tells them by the birth dates the users' items keep (copied from their
//! demographics as those are written), shown apart beside the same listing without rules.

use crate::api::{measure, print_header, Requests};
use admin::SharingChange;
use district_gen::District;
use e2e::Api;
use local_server::LocalStack;
use oneroster_auth::Scopes;
use oneroster_model::TenantId;

const BASE: &str = "/ims/oneroster/rostering/v1p2";

/// Pages read per pattern (following `Link` `next`, from the start again at the end).
const PAGES: usize = 40;

/// Prints figure 10 for the tenant `stack` holds for `district`.
pub async fn run(stack: &LocalStack, tenant: &TenantId, district: &District) -> Result<(), Box<dyn std::error::Error>> {
    let school = district.school_id(0);
    let scopes = Scopes::all();
    let (plain, _) = Api::shared(stack, tenant, &scopes, SharingChange::default()).await;
    let rules = SharingChange {
        schools: Some(school.clone()),
        hide_fields: Some("phone,sms,email".into()),
        ..SharingChange::default()
    };
    let (one_school, _) = Api::shared(stack, tenant, &scopes, rules).await;
    let withheld = SharingChange { under_13: Some("withheld".into()), ..SharingChange::default() };
    let (children, _) = Api::shared(stack, tenant, &scopes, withheld).await;
    println!(
        "sharing rules: a client of school {school} (one of {}), phone, sms and email hidden from it:",
        district.schools
    );
    print_header();
    let walk = |path: &str| Requests::Walk(format!("{BASE}{path}"));
    let figure = |name: &'static str, api: &'static str, key: &'static str, path: String| (name, api, key, path);
    let patterns = [
        figure("one school: GET /users?limit=100", "one", "users", "/users?limit=100".into()),
        figure("one school: GET /enrollments?limit=100", "one", "enrollments", "/enrollments?limit=100".into()),
        figure("one school: GET /students?limit=100", "one", "users", "/students?limit=100".into()),
        figure(
            "no rules: GET /schools/{id}/students?limit=100",
            "plain",
            "users",
            format!("/schools/{school}/students?limit=100"),
        ),
        figure(
            "children's fields withheld: GET /students?limit=100",
            "children",
            "users",
            "/students?limit=100".into(),
        ),
        figure("no rules: GET /students?limit=100", "plain", "users", "/students?limit=100".into()),
    ];
    let mut per_record = Vec::new();
    for (name, who, key, path) in patterns {
        let api = match who {
            "one" => &one_school,
            "children" => &children,
            _ => &plain,
        };
        let figures = measure(stack, api, key, walk(&path), PAGES).await;
        figures.print(name);
        per_record.push(figures.median_per_record().as_secs_f64());
    }
    let added = |with: f64, without: f64| 100.0 * (with / without - 1.0);
    println!(
        "  rules add {:+.1}% per record to a page of the same listing (one school, 3 fields hidden); \
         the children's rule {:+.1}%",
        added(per_record[2], per_record[3]),
        added(per_record[4], per_record[5])
    );
    Ok(())
}
