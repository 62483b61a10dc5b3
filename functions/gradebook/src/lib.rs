//! The Gradebook service: the 35 operations of OneRoster 1.2 Gradebook (with Assessment
//! Results), each one line of [`ROUTES`], served like every service by `oneroster-http`; the
//! writes follow the rules of `oneroster-writes` (201 when a PUT creates, 200 when it replaces,
//! 422 naming the property, tombstones on DELETE, sourcedId pairs on POST).
//!
//! `/classes/{id}/categories` lists the categories of the class's line items: a category names
//! no class. `/schools/{id}/scoreScales` lists the score scales of the school's classes: a score
//! scale names a class, not a school.

use axum::Router;
use oneroster_http::service::{self, Parent, PostUnder, Route, Target, CLASS, LINE_ITEM, SCHOOL};
use oneroster_http::Gate;
use oneroster_model::{Collection, Relation};
use oneroster_openapi::Service;
use oneroster_store::Store;
use std::sync::Arc;

/// A student in a class's results (`/classes/{c}/students/{s}/results`): any user, since
/// results name their student by user id.
const STUDENT: Parent = Parent(Collection::Users, None, "student");

/// Every operation: OpenAPI path, operationId, what it reads or writes.
pub const ROUTES: [Route; 35] = {
    use Collection as C;
    use Relation as R;
    use Target::*;
    [
        ("/assessmentLineItems", "getAllAssessmentLineItems", All(C::AssessmentLineItems)),
        ("/assessmentLineItems/{sourcedId}", "getAssessmentLineItem", One(C::AssessmentLineItems, None)),
        ("/assessmentLineItems/{sourcedId}", "putAssessmentLineItem", Put(C::AssessmentLineItems)),
        ("/assessmentLineItems/{sourcedId}", "deleteAssessmentLineItem", Delete(C::AssessmentLineItems)),
        ("/assessmentResults", "getAllAssessmentResults", All(C::AssessmentResults)),
        ("/assessmentResults/{sourcedId}", "getAssessmentResult", One(C::AssessmentResults, None)),
        ("/assessmentResults/{sourcedId}", "putAssessmentResult", Put(C::AssessmentResults)),
        ("/assessmentResults/{sourcedId}", "deleteAssessmentResult", Delete(C::AssessmentResults)),
        ("/categories", "getAllCategories", All(C::Categories)),
        ("/categories/{sourcedId}", "getCategory", One(C::Categories, None)),
        ("/categories/{sourcedId}", "putCategory", Put(C::Categories)),
        ("/categories/{sourcedId}", "deleteCategory", Delete(C::Categories)),
        (
            "/classes/{classSourcedId}/academicSessions/{academicSessionSourcedId}/results",
            "postResultsForAcademicSessionForClass",
            Post(C::Results, PostUnder::ClassSession),
        ),
        ("/classes/{classSourcedId}/categories", "getCategoriesForClass", Related(R::ClassCategories, CLASS, None)),
        ("/classes/{classSourcedId}/lineItems", "getLineItemsForClass", Related(R::ClassLineItems, CLASS, None)),
        ("/classes/{classSourcedId}/lineItems", "postLineItemsForClass", Post(C::LineItems, PostUnder::Class)),
        (
            "/classes/{classSourcedId}/lineItems/{lineItemSourcedId}/results",
            "getResultsForLineItemForClass",
            Nested(R::LineItemResults, CLASS, LINE_ITEM, "class"),
        ),
        ("/classes/{classSourcedId}/results", "getResultsForClass", Related(R::ClassResults, CLASS, None)),
        ("/classes/{classSourcedId}/scoreScales", "getScoreScalesForClass", Related(R::ClassScoreScales, CLASS, None)),
        (
            "/classes/{classSourcedId}/students/{studentSourcedId}/results",
            "getResultsForStudentForClass",
            Pair(R::ClassStudentResults, CLASS, STUDENT),
        ),
        ("/lineItems", "getAllLineItems", All(C::LineItems)),
        ("/lineItems/{lineItemSourcedId}/results", "postResultsForLineItem", Post(C::Results, PostUnder::LineItem)),
        ("/lineItems/{sourcedId}", "getLineItem", One(C::LineItems, None)),
        ("/lineItems/{sourcedId}", "putLineItem", Put(C::LineItems)),
        ("/lineItems/{sourcedId}", "deleteLineItem", Delete(C::LineItems)),
        ("/results", "getAllResults", All(C::Results)),
        ("/results/{sourcedId}", "getResult", One(C::Results, None)),
        ("/results/{sourcedId}", "putResult", Put(C::Results)),
        ("/results/{sourcedId}", "deleteResult", Delete(C::Results)),
        ("/schools/{schoolSourcedId}/lineItems", "postLineItemsForSchool", Post(C::LineItems, PostUnder::School)),
        (
            "/schools/{schoolSourcedId}/scoreScales",
            "getScoreScalesForSchool",
            Related(R::SchoolScoreScales, SCHOOL, None),
        ),
        ("/scoreScales", "getAllScoreScales", All(C::ScoreScales)),
        ("/scoreScales/{sourcedId}", "getScoreScale", One(C::ScoreScales, None)),
        ("/scoreScales/{sourcedId}", "putScoreScale", Put(C::ScoreScales)),
        ("/scoreScales/{sourcedId}", "deleteScoreScale", Delete(C::ScoreScales)),
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
