// Package data is geo311's domain vocabulary: boundary layers and their
// effective-dated generations, areas, jurisdictions and their service
// catalogues, routing results, service requests and community concerns, the
// lifecycle rules of CPD Special Order S02-03-03, the error kinds shared by
// every package, and the store interfaces.
//
// It depends on no store, no network and no other geo311 package. Store
// implementations live in subpackages named after what they depend on
// (data/sqlite, data/postgis); data/storetest is the contract suite every
// store passes, and CheckStorable and CheckImport (storable.go) are the
// checks every store makes of a request before it keeps it.
package data
