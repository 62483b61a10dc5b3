//! The Gradebook service: the 35 operations of OneRoster 1.2 Gradebook (with Assessment
//! Results), each one line of [`ROUTES`], served like every service by `oneroster-http`; the
//! writes follow the rules of `oneroster-writes` (201 when a PUT creates, 200 when it replaces,
//! 422 naming the property, tombstones on DELETE, sourcedId pairs on POST).
//!
//! `/classes/{id}/categories` lists the categories of the class's line items: a category names
//! no class. `/schools/{id}/scoreScales` lists the score scales of the school's classes: a score
//! scale names a class, not a school.

use axum::Router;
use oneroster_http::service::{self, Route};
use oneroster_http::Gate;
use oneroster_model::{Collection, Relation};
use oneroster_openapi::Service;
use oneroster_service::routes::{Action, Parent, PostUnder, Read, Write, CLASS, LINE_ITEM, SCHOOL};
use oneroster_store::Store;
use std::sync::Arc;

/// A student in a class's results (`/classes/{c}/students/{s}/results`): any user, since
/// results name their student by user id.
const STUDENT: Parent = Parent::new(Collection::Users, None, "student");

/// Every operation: OpenAPI path, operationId, what it reads or writes.
pub const ROUTES: [Route; 35] = {
    use Collection as C;
    use Read::*;
    use Relation as R;
    use Write::*;
    [
        ("/assessmentLineItems", "getAllAssessmentLineItems", Action::Read(All(C::AssessmentLineItems))),
        ("/assessmentLineItems/{sourcedId}", "getAssessmentLineItem", Action::Read(One(C::AssessmentLineItems, None))),
        ("/assessmentLineItems/{sourcedId}", "putAssessmentLineItem", Action::Write(Put(C::AssessmentLineItems, None))),
        (
            "/assessmentLineItems/{sourcedId}",
            "deleteAssessmentLineItem",
            Action::Write(Delete(C::AssessmentLineItems, None)),
        ),
        ("/assessmentResults", "getAllAssessmentResults", Action::Read(All(C::AssessmentResults))),
        ("/assessmentResults/{sourcedId}", "getAssessmentResult", Action::Read(One(C::AssessmentResults, None))),
        ("/assessmentResults/{sourcedId}", "putAssessmentResult", Action::Write(Put(C::AssessmentResults, None))),
        ("/assessmentResults/{sourcedId}", "deleteAssessmentResult", Action::Write(Delete(C::AssessmentResults, None))),
        ("/categories", "getAllCategories", Action::Read(All(C::Categories))),
        ("/categories/{sourcedId}", "getCategory", Action::Read(One(C::Categories, None))),
        ("/categories/{sourcedId}", "putCategory", Action::Write(Put(C::Categories, None))),
        ("/categories/{sourcedId}", "deleteCategory", Action::Write(Delete(C::Categories, None))),
        (
            "/classes/{classSourcedId}/academicSessions/{academicSessionSourcedId}/results",
            "postResultsForAcademicSessionForClass",
            Action::Write(Post(C::Results, PostUnder::ClassSession)),
        ),
        (
            "/classes/{classSourcedId}/categories",
            "getCategoriesForClass",
            Action::Read(Related(R::ClassCategories, CLASS, None)),
        ),
        (
            "/classes/{classSourcedId}/lineItems",
            "getLineItemsForClass",
            Action::Read(Related(R::ClassLineItems, CLASS, None)),
        ),
        (
            "/classes/{classSourcedId}/lineItems",
            "postLineItemsForClass",
            Action::Write(Post(C::LineItems, PostUnder::Class)),
        ),
        (
            "/classes/{classSourcedId}/lineItems/{lineItemSourcedId}/results",
            "getResultsForLineItemForClass",
            Action::Read(Nested(R::LineItemResults, CLASS, LINE_ITEM, "class")),
        ),
        (
            "/classes/{classSourcedId}/results",
            "getResultsForClass",
            Action::Read(Related(R::ClassResults, CLASS, None)),
        ),
        (
            "/classes/{classSourcedId}/scoreScales",
            "getScoreScalesForClass",
            Action::Read(Related(R::ClassScoreScales, CLASS, None)),
        ),
        (
            "/classes/{classSourcedId}/students/{studentSourcedId}/results",
            "getResultsForStudentForClass",
            Action::Read(Pair(R::ClassStudentResults, CLASS, STUDENT)),
        ),
        ("/lineItems", "getAllLineItems", Action::Read(All(C::LineItems))),
        (
            "/lineItems/{lineItemSourcedId}/results",
            "postResultsForLineItem",
            Action::Write(Post(C::Results, PostUnder::LineItem)),
        ),
        ("/lineItems/{sourcedId}", "getLineItem", Action::Read(One(C::LineItems, None))),
        ("/lineItems/{sourcedId}", "putLineItem", Action::Write(Put(C::LineItems, None))),
        ("/lineItems/{sourcedId}", "deleteLineItem", Action::Write(Delete(C::LineItems, None))),
        ("/results", "getAllResults", Action::Read(All(C::Results))),
        ("/results/{sourcedId}", "getResult", Action::Read(One(C::Results, None))),
        ("/results/{sourcedId}", "putResult", Action::Write(Put(C::Results, None))),
        ("/results/{sourcedId}", "deleteResult", Action::Write(Delete(C::Results, None))),
        (
            "/schools/{schoolSourcedId}/lineItems",
            "postLineItemsForSchool",
            Action::Write(Post(C::LineItems, PostUnder::School)),
        ),
        (
            "/schools/{schoolSourcedId}/scoreScales",
            "getScoreScalesForSchool",
            Action::Read(Related(R::SchoolScoreScales, SCHOOL, None)),
        ),
        ("/scoreScales", "getAllScoreScales", Action::Read(All(C::ScoreScales))),
        ("/scoreScales/{sourcedId}", "getScoreScale", Action::Read(One(C::ScoreScales, None))),
        ("/scoreScales/{sourcedId}", "putScoreScale", Action::Write(Put(C::ScoreScales, None))),
        ("/scoreScales/{sourcedId}", "deleteScoreScale", Action::Write(Delete(C::ScoreScales, None))),
    ]
};

/// The service's router (see [`service::router`]).
pub fn router(store: Store, gate: Arc<Gate>) -> Router {
    service::router(Service::Gradebook, &ROUTES, store, gate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_routes_are_exactly_the_openapi_operations() {
        assert_eq!(service::route_drift(Service::Gradebook, &ROUTES), Vec::<String>::new());
    }
}
