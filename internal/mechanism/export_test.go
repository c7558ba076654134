package mechanism

// Payloads is payloads, for the tests of package mechanism_test.
var Payloads = payloads
