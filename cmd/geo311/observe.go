package main

import "github.com/geo311/geo311/data"

// changeObserver is told about every durable change of a request, after the
// store acknowledged it: old is nil for a new request. In-process indexes
// (the trends cube, the tile index, the dedupe index) keep themselves current
// this way without a database round trip per read.
type changeObserver interface {
	Observe(old, new *data.Request)
}

// observers fans a change out to every registered observer.
type observers []changeObserver

func (os observers) notify(old, new *data.Request) {
	for _, o := range os {
		o.Observe(old, new)
	}
}
