package telnyx

// AppealReasonForTest exposes appealReason to the package's external tests.
var AppealReasonForTest = appealReason
