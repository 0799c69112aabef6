package data

import "strings"

// PublicText is a note's text as the public may read it: the notes of
// Assign and Reassign name the member or unit assigned, which is staff
// information (public views omit AssignedTo too), so their public text
// keeps only the event and the due date. Every other note's text is
// returned as it is.
//
//	"Assigned to P.O. Smith #1234; due 2026-03-09T15:00:00Z" -> "Assigned; due 2026-03-09T15:00:00Z"
//	"Reassigned to Unit 241 (reassignment 2); due ..."       -> "Reassigned (reassignment 2); due ..."
func PublicText(n Note) string {
	switch n.Event {
	case EventAssigned:
		if rest, ok := strings.CutPrefix(n.Text, "Assigned to "); ok {
			if i := strings.LastIndex(rest, "; due "); i >= 0 {
				return "Assigned" + rest[i:]
			}
			return "Assigned"
		}
	case EventReassigned:
		if rest, ok := strings.CutPrefix(n.Text, "Reassigned to "); ok {
			if i := strings.LastIndex(rest, " (reassignment "); i >= 0 {
				return "Reassigned" + rest[i:]
			}
			return "Reassigned"
		}
	}
	return n.Text
}
