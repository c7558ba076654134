package filelog

// AppendSlot is appendSlot, for the tests.
var AppendSlot = appendSlot
